// Hedron's guest-visible numbers: hypercall numbers, status codes, rights bits, vectors, fixed addresses.
// Values are those of HEDRON.md §1–§7 (the seed's Hedron fork, API 5.4); the kernel knows nothing else.

export const HC_CALL = 0;
export const HC_REPLY = 1;
export const HC_CREATE_PD = 2;
export const HC_CREATE_EC = 3;
export const HC_CREATE_SC = 4;
export const HC_CREATE_PT = 5;
export const HC_CREATE_SM = 6;
export const HC_REVOKE = 7;
export const HC_PD_CTRL = 8;
export const HC_EC_CTRL = 9;
export const HC_SC_CTRL = 10;
export const HC_PT_CTRL = 11;
export const HC_SM_CTRL = 12;
export const HC_ASSIGN_PCI = 13;
export const HC_ASSIGN_GSI = 14;
export const HC_MACHINE_CTRL = 15;

export const HYPERCALL_NAMES = [
  "call", "reply", "create_pd", "create_ec", "create_sc", "create_pt", "create_sm", "revoke",
  "pd_ctrl", "ec_ctrl", "sc_ctrl", "pt_ctrl", "sm_ctrl", "assign_pci", "assign_gsi", "machine_ctrl",
] as const;

export const SUCCESS = 0;
export const TIMEOUT = 1;
export const ABORT = 2;
export const BAD_HYP = 3;
export const BAD_CAP = 4;
export const BAD_PAR = 5;
export const BAD_FTR = 6;
export const BAD_CPU = 7;
export const BAD_DEV = 8;

export const STATUS_NAMES = ["SUCCESS", "TIMEOUT", "ABORT", "BAD_HYP", "BAD_CAP", "BAD_PAR", "BAD_FTR", "BAD_CPU", "BAD_DEV"] as const;

export function statusName(status: number): string {
  return STATUS_NAMES[status] ?? `status ${status}`;
}

/** Rights of a PD capability: which objects may be created with this PD as owner (NOVA's PD rights). */
export const PD_CREATE_PD = 1 << 0;
export const PD_CREATE_EC = 1 << 1;
export const PD_CREATE_SC = 1 << 2;
export const PD_CREATE_PT = 1 << 3;
export const PD_CREATE_SM = 1 << 4;
export const EC_CTRL = 1 << 0;
export const EC_BIND_SC = 1 << 2;
export const EC_BIND_PT = 1 << 3;
export const SC_CTRL = 1 << 0;
export const PT_CTRL = 1 << 0;
export const PT_CALL = 1 << 1;
export const SM_UP = 1 << 0;
export const SM_DOWN = 1 << 1;
/** All five rights bits of a CRD. */
export const RIGHTS_ALL = 0x1f;

/** Exception and event vectors (HEDRON.md §6). */
export const VEC_DE = 0, VEC_DB = 1, VEC_BP = 3, VEC_UD = 6, VEC_NM = 7, VEC_GP = 13, VEC_PF = 14;
export const VEC_MF = 16, VEC_AC = 17, VEC_XM = 19, VEC_STARTUP = 30, VEC_RECALL = 31;

export const VECTOR_NAMES: Record<number, string> = {
  0: "#DE", 1: "#DB", 3: "#BP", 4: "#OF", 5: "#BR", 6: "#UD", 7: "#NM", 13: "#GP", 14: "#PF",
  16: "#MF", 17: "#AC", 19: "#XM", 30: "STARTUP", 31: "RECALL",
};

export function vectorName(vector: number): string {
  return VECTOR_NAMES[vector] ?? `vector ${vector}`;
}

/** Object space size and the number of selectors reserved for exceptions (HIP sel_num, sel_exc). */
export const SEL_NUM = 2 ** 26;
export const SEL_EXC = 32;
export const SEL_VMI = 256;

/** The roottask's initial capabilities (HEDRON.md §7). */
export const ROOT_PD_SEL = 32;
export const ROOT_EC_SEL = 33;
export const ROOT_SC_SEL = 34;

/** Where the kernel maps the HIP (read-only) and the root EC's UTCB in the root PD. */
export const HIP_ADDR = 0x7fffffffe000;
export const ROOT_UTCB_ADDR = 0x7fffffffd000;

/** The root SC's scheduling parameters (HEDRON.md §3). */
export const ROOT_SC_PRIO = 1;
export const ROOT_SC_QUANTUM_US = 10_000;

export const RFLAGS_ON_RETURN = 0x200;
