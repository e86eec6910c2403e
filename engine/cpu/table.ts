// The one x86-64 instruction table: every opcode form the engine knows, read by the decoder, the
// interpreter's dispatch, the iced-x86 cross-check and the tests. Adding an instruction = one row + one handler.

/** Micro-op ids: the interpreter switches on these (as literal cases, which V8 turns into a jump table). */
export const U = {
  UD: 0, NOP: 1, MOV_EG: 2, MOV_GE: 3, MOV_EI: 4, ALU_EG: 5, ALU_GE: 6, ALU_EI: 7, TEST_EG: 8, TEST_EI: 9,
  XCHG: 10, LEA: 11, MOVZX: 12, MOVSX: 13, INC: 14, DEC: 15, NEG: 16, NOT: 17, SHIFT_EI: 18, SHIFT_ECL: 19,
  SHLD: 20, SHRD: 21, MUL1: 22, IMUL1: 23, DIV: 24, IDIV: 25, IMUL_GE: 26, IMUL_GEI: 27, CVT_A: 28, CVT_D: 29,
  CMOV: 30, SETCC: 31, JCC: 32, JMP: 33, JMP_E: 34, CALL: 35, CALL_E: 36, RET: 37, PUSH_E: 38, PUSH_I: 39,
  POP_E: 40, LEAVE: 41, PUSHF: 42, POPF: 43, CMPXCHG: 44, XADD: 45, BSF: 46, BSR: 47, TZCNT: 48, LZCNT: 49,
  POPCNT: 50, BT_EG: 51, BT_EI: 52, BSWAP: 53, MOVS: 54, STOS: 55, LODS: 56, SCAS: 57, CMPS: 58, SYSCALL: 59,
  CPUID: 60, RDTSC: 61, RDTSCP: 62, INT3: 63, FLAGOP: 64, LOOP: 65, END: 66, SMC_EXIT: 67, CMPXCHGB: 68,
  PRIV: 69, ENTER: 70, SSE: 71, MOVBE: 72, X87: 73,
  // Specialised forms the decoder substitutes for the commonest operand shapes (no rows of their own):
  // register-register / register-immediate with 32- or 64-bit operands, and loads/stores through [base+disp].
  MOV_RR64: 74, MOV_RR32: 75, MOV_RI: 76, LD64: 77, LD32: 78, ST64: 79, ST32: 80, ALU_RR64: 81, ALU_RR32: 82,
  ALU_RI64: 83, ALU_RI32: 84, PUSH_R64: 85, POP_R64: 86,
  // SSE3, SSSE3, SSE4.1, SSE4.2, CRC32, FXSAVE/FXRSTOR and the rarer SSE/SSE2 ops (sse4.ts, sub-op in SX).
  SSEX: 87,
} as const;
/** Uop names by id (traces, test messages). */
export const UOP_NAMES: string[] = Object.entries(U).sort((a, b) => a[1] - b[1]).map(([k]) => k);

/** Uops after which a decoded block ends (control transfer, exit to the kernel, or a synthetic end). */
export const TERMINATORS: ReadonlySet<number> = new Set<number>([
  U.UD, U.JCC, U.JMP, U.JMP_E, U.CALL, U.CALL_E, U.RET, U.SYSCALL, U.INT3, U.LOOP, U.END, U.SMC_EXIT, U.PRIV,
]);

/** SSE sub-operations (the `ext` of a U.SSE row); sse.ts switches on these. */
export const S = {
  MOVU_LD: 0, MOVA_LD: 1, MOVU_ST: 2, MOVA_ST: 3, MOVSD_LD: 4, MOVSD_ST: 5, MOVSS_LD: 6, MOVSS_ST: 7,
  MOVD_LD: 8, MOVD_ST: 9, MOVQ_LD: 10, MOVQ_ST: 11, MOVLP_LD: 12, MOVLP_ST: 13, MOVHP_LD: 14, MOVHP_ST: 15,
  PXOR: 16, POR: 17, PAND: 18, PANDN: 19, PCMPEQB: 20, PCMPEQW: 21, PCMPEQD: 22, PCMPGTB: 23, PCMPGTW: 24,
  PCMPGTD: 25, PMOVMSKB: 26, MOVMSKPS: 27, MOVMSKPD: 28, PUNPCKLBW: 29, PUNPCKLWD: 30, PUNPCKLDQ: 31,
  PUNPCKLQDQ: 32, PUNPCKHBW: 33, PUNPCKHWD: 34, PUNPCKHDQ: 35, PUNPCKHQDQ: 36, PSHUFD: 37, PSHUFLW: 38,
  PSHUFHW: 39, SHUFPS: 40, SHUFPD: 41, PADDB: 42, PADDW: 43, PADDD: 44, PADDQ: 45, PSUBB: 46, PSUBW: 47,
  PSUBD: 48, PSUBQ: 49, PMINUB: 50, PMAXUB: 51, PSRLW_I: 52, PSRAW_I: 53, PSLLW_I: 54, PSRLD_I: 55,
  PSRAD_I: 56, PSLLD_I: 57, PSRLQ_I: 58, PSRLDQ_I: 59, PSLLQ_I: 60, PSLLDQ_I: 61, FARITH: 62, CVTSI2SD: 63,
  CVTSI2SS: 64, CVTTSD2SI: 65, CVTSD2SI: 66, CVTTSS2SI: 67, CVTSS2SI: 68, CVTSS2SD: 69, CVTSD2SS: 70,
  UCOMISD: 71, UCOMISS: 72, CMPF: 73, CVTDQ2PD: 74, CVTDQ2PS: 75, CVTTPS2DQ: 76, CVTPS2PD: 77, CVTPD2PS: 78,
  LDMXCSR: 79, STMXCSR: 80, PMULUDQ: 81, PMULLW: 82, PACKUSWB: 83, PACKSSWB: 84, PACKSSDW: 85, PADDUSB: 86,
  PSUBUSB: 87, PADDUSW: 88, PSUBUSW: 89, PMINSW: 90, PMAXSW: 91, PAVGB: 92, PAVGW: 93, PSADBW: 94, PMULHW: 95,
  PMULHUW: 96, PMADDWD: 97, PEXTRW: 98, PINSRW: 99, MOVHLPS: 100, MOVLHPS: 101, PSRLW: 102, PSRAW: 103,
  PSLLW: 104, PSRLD: 105, PSRAD: 106, PSLLD: 107, PSRLQ: 108, PSLLQ: 109, CVTTPD2DQ: 110, CVTPS2DQ: 111,
  CVTPD2DQ: 112, PADDSB: 113, PADDSW: 114, PSUBSB: 115, PSUBSW: 116,
} as const;

/** Sub-operations of U.SSEX rows (the `ext`); sse4.ts switches on these. */
export const SX = {
  ADDSUBPD: 0, ADDSUBPS: 1, HADDPD: 2, HADDPS: 3, HSUBPD: 4, HSUBPS: 5, MOVDDUP: 6, MOVSHDUP: 7, MOVSLDUP: 8,
  LDDQU: 9, PSHUFB: 10, PHADDW: 11, PHADDD: 12, PHADDSW: 13, PMADDUBSW: 14, PHSUBW: 15, PHSUBD: 16, PHSUBSW: 17,
  PSIGNB: 18, PSIGNW: 19, PSIGND: 20, PMULHRSW: 21, PABSB: 22, PABSW: 23, PABSD: 24, PALIGNR: 25, PBLENDVB: 26,
  BLENDVPS: 27, BLENDVPD: 28, PTEST: 29, PMOVX: 30, PMULDQ: 31, PCMPEQQ: 32, MOVNTDQA: 33, PACKUSDW: 34,
  PCMPGTQ: 35, PMINSB: 36, PMINSD: 37, PMINUW: 38, PMINUD: 39, PMAXSB: 40, PMAXSD: 41, PMAXUW: 42, PMAXUD: 43,
  PMULLD: 44, PHMINPOSUW: 45, ROUND: 46, BLENDPS: 47, BLENDPD: 48, PBLENDW: 49, PEXTRB: 50, PEXTRW: 51,
  PEXTRD: 52, EXTRACTPS: 53, PINSRB: 54, INSERTPS: 55, PINSRD: 56, DPPS: 57, DPPD: 58, MPSADBW: 59, PCMPSTR: 60,
  CRC32: 61, FXSAVE: 62, FXRSTOR: 63, MASKMOVDQU: 64, RCP: 65, RSQRT: 66,
} as const;

/** x87 sub-operations (the `ext` of a U.X87 row); x87.ts switches on these. */
export const X = {
  LD_M: 0, ST_M: 1, STP_M: 2, ARITH_M: 3, COM_M: 4, LDCW: 5, STCW: 6, STSW_M: 7, LDENV: 8, STENV: 9, RSTOR: 10,
  SAVE: 11, ISTTP_M: 12, ARITH_ST0: 13, ARITH_STI: 14, ARITH_STIP: 15, COM_ST: 16, COMI: 17, LD_ST: 18, XCH: 19,
  ST_ST: 20, STP_ST: 21, FREE: 22, CMOV: 23, SPECIAL: 24, STSW_AX: 25, NOP: 26,
} as const;
/** Memory operand kinds of x87 loads/stores (in `ext2`, low 3 bits). */
export const XM = { F32: 0, F64: 1, F80: 2, I16: 3, I32: 4, I64: 5 } as const;

/** FARITH sub-operation (in `ext2`): op * 4 + type. */
export const FOP = { ADD: 0, MUL: 1, SUB: 2, MIN: 3, DIV: 4, MAX: 5, SQRT: 6, AND: 7 } as const;
export const FTYPE = { PS: 0, PD: 1, SS: 2, SD: 3 } as const;

/** Flags an instruction writes, as RFLAGS bits (logic ops write the same set, with CF = OF = 0). */
export const FL_NONE = 0, FL_ARITH = 0x8d5, FL_LOGIC = 0x8d5, FL_CF = 1, FL_ZF = 0x40;

/**
 * One opcode form. `form` lists operands in Intel order:
 *   E/G + size: ModRM r/m / reg (b=8, w=16, d=32, q=64, v=operand size, y=32|64 by REX.W);
 *   M: memory-only r/m; Z + size: register in the opcode's low 3 bits; V/W/U: XMM reg / XMM-or-mem / XMM-only;
 *   I + size: immediate (b sign-extended, u unsigned byte, w, z=16|32, v=16|32|64); J b/z: relative target;
 *   O + size: absolute moffs; AL/rAX: the accumulator; CL, 1: shift counts.
 */
export interface Row {
  map: 0 | 1 | 2 | 3; // 0 = one-byte, 1 = 0F, 2 = 0F38, 3 = 0F3A
  op: number;
  pfx: 0 | 0x66 | 0xf3 | 0xf2; // mandatory prefix (0 = none, or any for integer rows with pfxAny)
  reg: number; // ModRM.reg selector for group opcodes, -1 = any
  mod: "any" | "mem" | "reg";
  form: string;
  mn: string;
  ex: number;
  ext: number;
  ext2: number;
  flags: number;
  /** Operand size defaults to 64 (push/pop/near branches), or is always 64 ("f64"). */
  size64: "" | "d64" | "f64";
  /** Integer rows ignore 66/F2/F3 as mandatory prefixes (66 selects operand size instead). */
  pfxAny: boolean;
}

interface Opts {
  pfx?: 0 | 0x66 | 0xf3 | 0xf2;
  reg?: number;
  mod?: "any" | "mem" | "reg";
  ext?: number;
  ext2?: number;
  flags?: number;
  size64?: "" | "d64" | "f64";
}

export const ROWS: Row[] = [];

function row(map: 0 | 1 | 2 | 3, op: number, form: string, mn: string, ex: number, o: Opts = {}): void {
  ROWS.push({
    map, op, pfx: o.pfx ?? 0, reg: o.reg ?? -1, mod: o.mod ?? "any", form, mn, ex, ext: o.ext ?? 0,
    ext2: o.ext2 ?? 0, flags: o.flags ?? FL_NONE, size64: o.size64 ?? "", pfxAny: o.pfx === undefined && map !== 1,
  });
}
/** Integer row in the 0F map (ignores SSE-style mandatory prefixes unless one is given). */
function row0f(op: number, form: string, mn: string, ex: number, o: Opts = {}): void {
  row(1, op, form, mn, ex, o);
  ROWS[ROWS.length - 1].pfxAny = o.pfx === undefined;
}
function sse(op: number, pfx: 0 | 0x66 | 0xf3 | 0xf2, form: string, mn: string, ext: number, o: Opts = {}): void {
  row(1, op, form, mn, U.SSE, { ...o, pfx, ext });
}

const ALU = ["add", "or", "adc", "sbb", "and", "sub", "xor", "cmp"];
for (let a = 0; a < 8; a++) {
  const base = a * 8;
  row(0, base + 0, "Eb,Gb", ALU[a], U.ALU_EG, { ext: a, flags: FL_ARITH });
  row(0, base + 1, "Ev,Gv", ALU[a], U.ALU_EG, { ext: a, flags: FL_ARITH });
  row(0, base + 2, "Gb,Eb", ALU[a], U.ALU_GE, { ext: a, flags: FL_ARITH });
  row(0, base + 3, "Gv,Ev", ALU[a], U.ALU_GE, { ext: a, flags: FL_ARITH });
  row(0, base + 4, "AL,Ib", ALU[a], U.ALU_EI, { ext: a, flags: FL_ARITH });
  row(0, base + 5, "rAX,Iz", ALU[a], U.ALU_EI, { ext: a, flags: FL_ARITH });
  row(0, 0x80, "Eb,Ib", ALU[a], U.ALU_EI, { reg: a, ext: a, flags: FL_ARITH });
  row(0, 0x81, "Ev,Iz", ALU[a], U.ALU_EI, { reg: a, ext: a, flags: FL_ARITH });
  row(0, 0x83, "Ev,Ib", ALU[a], U.ALU_EI, { reg: a, ext: a, flags: FL_ARITH });
}
for (let r = 0; r < 8; r++) {
  row(0, 0x50 + r, "Zv", "push", U.PUSH_E, { size64: "d64" });
  row(0, 0x58 + r, "Zv", "pop", U.POP_E, { size64: "d64" });
  row(0, 0x90 + r, "rAX,Zv", r === 0 ? "nop" : "xchg", r === 0 ? U.NOP : U.XCHG);
  row(0, 0xb0 + r, "Zb,Ib", "mov", U.MOV_EI);
  row(0, 0xb8 + r, "Zv,Iv", "mov", U.MOV_EI);
  row0f(0xc8 + r, "Zy", "bswap", U.BSWAP);
}
row(0, 0x63, "Gv,Ed", "movsxd", U.MOVSX, { ext: 4 });
row(0, 0x68, "Iz", "push", U.PUSH_I, { size64: "d64" });
row(0, 0x69, "Gv,Ev,Iz", "imul", U.IMUL_GEI, { flags: FL_ARITH });
row(0, 0x6a, "Ib", "push", U.PUSH_I, { size64: "d64" });
row(0, 0x6b, "Gv,Ev,Ib", "imul", U.IMUL_GEI, { flags: FL_ARITH });
for (let cc = 0; cc < 16; cc++) {
  row(0, 0x70 + cc, "Jb", "jcc", U.JCC, { ext: cc, size64: "f64" });
  row0f(0x80 + cc, "Jz", "jcc", U.JCC, { ext: cc, size64: "f64" });
  row0f(0x90 + cc, "Eb", "setcc", U.SETCC, { ext: cc });
  row0f(0x40 + cc, "Gv,Ev", "cmovcc", U.CMOV, { ext: cc });
}
row(0, 0x84, "Eb,Gb", "test", U.TEST_EG, { flags: FL_LOGIC });
row(0, 0x85, "Ev,Gv", "test", U.TEST_EG, { flags: FL_LOGIC });
row(0, 0x86, "Eb,Gb", "xchg", U.XCHG);
row(0, 0x87, "Ev,Gv", "xchg", U.XCHG);
row(0, 0x88, "Eb,Gb", "mov", U.MOV_EG);
row(0, 0x89, "Ev,Gv", "mov", U.MOV_EG);
row(0, 0x8a, "Gb,Eb", "mov", U.MOV_GE);
row(0, 0x8b, "Gv,Ev", "mov", U.MOV_GE);
row(0, 0x8d, "Gv,M", "lea", U.LEA);
row(0, 0x8f, "Ev", "pop", U.POP_E, { reg: 0, size64: "d64" });
row(0, 0x98, "", "cwde", U.CVT_A);
row(0, 0x99, "", "cdq", U.CVT_D);
row(0, 0x9c, "", "pushf", U.PUSHF, { size64: "d64" });
row(0, 0x9d, "", "popf", U.POPF, { size64: "d64", flags: FL_ARITH });
row(0, 0x9e, "", "sahf", U.FLAGOP, { ext: 5, flags: 0xd5 });
row(0, 0x9f, "", "lahf", U.FLAGOP, { ext: 6 });
row(0, 0xa0, "AL,Ob", "mov", U.MOV_GE);
row(0, 0xa1, "rAX,Ov", "mov", U.MOV_GE);
row(0, 0xa2, "Ob,AL", "mov", U.MOV_EG);
row(0, 0xa3, "Ov,rAX", "mov", U.MOV_EG);
row(0, 0xa4, "", "movsb", U.MOVS, { ext: 1 });
row(0, 0xa5, "", "movs", U.MOVS);
row(0, 0xa6, "", "cmpsb", U.CMPS, { ext: 1, flags: FL_ARITH });
row(0, 0xa7, "", "cmps", U.CMPS, { flags: FL_ARITH });
row(0, 0xa8, "AL,Ib", "test", U.TEST_EI, { flags: FL_LOGIC });
row(0, 0xa9, "rAX,Iz", "test", U.TEST_EI, { flags: FL_LOGIC });
row(0, 0xaa, "", "stosb", U.STOS, { ext: 1 });
row(0, 0xab, "", "stos", U.STOS);
row(0, 0xac, "", "lodsb", U.LODS, { ext: 1 });
row(0, 0xad, "", "lods", U.LODS);
row(0, 0xae, "", "scasb", U.SCAS, { ext: 1, flags: FL_ARITH });
row(0, 0xaf, "", "scas", U.SCAS, { flags: FL_ARITH });
const SHIFT = ["rol", "ror", "rcl", "rcr", "shl", "shr", "sal", "sar"];
for (let s = 0; s < 8; s++) {
  row(0, 0xc0, "Eb,Iu", SHIFT[s], U.SHIFT_EI, { reg: s, ext: s, flags: FL_ARITH });
  row(0, 0xc1, "Ev,Iu", SHIFT[s], U.SHIFT_EI, { reg: s, ext: s, flags: FL_ARITH });
  row(0, 0xd0, "Eb,1", SHIFT[s], U.SHIFT_EI, { reg: s, ext: s, flags: FL_ARITH });
  row(0, 0xd1, "Ev,1", SHIFT[s], U.SHIFT_EI, { reg: s, ext: s, flags: FL_ARITH });
  row(0, 0xd2, "Eb,CL", SHIFT[s], U.SHIFT_ECL, { reg: s, ext: s, flags: FL_ARITH });
  row(0, 0xd3, "Ev,CL", SHIFT[s], U.SHIFT_ECL, { reg: s, ext: s, flags: FL_ARITH });
}
row(0, 0xc2, "Iw", "ret", U.RET, { size64: "f64" });
row(0, 0xc3, "", "ret", U.RET, { size64: "f64" });
row(0, 0xc6, "Eb,Ib", "mov", U.MOV_EI, { reg: 0 });
row(0, 0xc7, "Ev,Iz", "mov", U.MOV_EI, { reg: 0 });
row(0, 0xc8, "Iw,Iu", "enter", U.ENTER, { size64: "d64" });
row(0, 0xc9, "", "leave", U.LEAVE, { size64: "d64" });
row(0, 0xcc, "", "int3", U.INT3);
row(0, 0xcd, "Iu", "int", U.PRIV, { ext: 13 });
row(0, 0xe0, "Jb", "loopne", U.LOOP, { ext: 3, size64: "f64" });
row(0, 0xe1, "Jb", "loope", U.LOOP, { ext: 2, size64: "f64" });
row(0, 0xe2, "Jb", "loop", U.LOOP, { ext: 1, size64: "f64" });
row(0, 0xe3, "Jb", "jrcxz", U.LOOP, { ext: 0, size64: "f64" });
row(0, 0xe8, "Jz", "call", U.CALL, { size64: "f64" });
row(0, 0xe9, "Jz", "jmp", U.JMP, { size64: "f64" });
row(0, 0xeb, "Jb", "jmp", U.JMP, { size64: "f64" });
row(0, 0xf4, "", "hlt", U.PRIV, { ext: 13 });
// Port I/O and the interrupt flag need IOPL 3, which Linux never grants: #GP (SIGSEGV), as on the hardware.
row(0, 0xe4, "Ib", "in", U.PRIV, { ext: 13 });
row(0, 0xe5, "Ib", "in", U.PRIV, { ext: 13 });
row(0, 0xe6, "Ib", "out", U.PRIV, { ext: 13 });
row(0, 0xe7, "Ib", "out", U.PRIV, { ext: 13 });
row(0, 0xec, "", "in", U.PRIV, { ext: 13 });
row(0, 0xed, "", "in", U.PRIV, { ext: 13 });
row(0, 0xee, "", "out", U.PRIV, { ext: 13 });
row(0, 0xef, "", "out", U.PRIV, { ext: 13 });
row(0, 0x6c, "", "insb", U.PRIV, { ext: 13 });
row(0, 0x6d, "", "ins", U.PRIV, { ext: 13 });
row(0, 0x6e, "", "outsb", U.PRIV, { ext: 13 });
row(0, 0x6f, "", "outs", U.PRIV, { ext: 13 });
row(0, 0xfa, "", "cli", U.PRIV, { ext: 13 });
row(0, 0xfb, "", "sti", U.PRIV, { ext: 13 });
row(0, 0xf5, "", "cmc", U.FLAGOP, { ext: 2, flags: FL_CF });
row(0, 0xf6, "Eb,Ib", "test", U.TEST_EI, { reg: 0, flags: FL_LOGIC });
row(0, 0xf6, "Eb,Ib", "test", U.TEST_EI, { reg: 1, flags: FL_LOGIC });
row(0, 0xf6, "Eb", "not", U.NOT, { reg: 2 });
row(0, 0xf6, "Eb", "neg", U.NEG, { reg: 3, flags: FL_ARITH });
row(0, 0xf6, "Eb", "mul", U.MUL1, { reg: 4, flags: FL_ARITH });
row(0, 0xf6, "Eb", "imul", U.IMUL1, { reg: 5, flags: FL_ARITH });
row(0, 0xf6, "Eb", "div", U.DIV, { reg: 6, flags: FL_ARITH });
row(0, 0xf6, "Eb", "idiv", U.IDIV, { reg: 7, flags: FL_ARITH });
row(0, 0xf7, "Ev,Iz", "test", U.TEST_EI, { reg: 0, flags: FL_LOGIC });
row(0, 0xf7, "Ev,Iz", "test", U.TEST_EI, { reg: 1, flags: FL_LOGIC });
row(0, 0xf7, "Ev", "not", U.NOT, { reg: 2 });
row(0, 0xf7, "Ev", "neg", U.NEG, { reg: 3, flags: FL_ARITH });
row(0, 0xf7, "Ev", "mul", U.MUL1, { reg: 4, flags: FL_ARITH });
row(0, 0xf7, "Ev", "imul", U.IMUL1, { reg: 5, flags: FL_ARITH });
row(0, 0xf7, "Ev", "div", U.DIV, { reg: 6, flags: FL_ARITH });
row(0, 0xf7, "Ev", "idiv", U.IDIV, { reg: 7, flags: FL_ARITH });
row(0, 0xf8, "", "clc", U.FLAGOP, { ext: 0, flags: FL_CF });
row(0, 0xf9, "", "stc", U.FLAGOP, { ext: 1, flags: FL_CF });
row(0, 0xfc, "", "cld", U.FLAGOP, { ext: 3 });
row(0, 0xfd, "", "std", U.FLAGOP, { ext: 4 });
row(0, 0xfe, "Eb", "inc", U.INC, { reg: 0, flags: FL_ARITH & ~FL_CF });
row(0, 0xfe, "Eb", "dec", U.DEC, { reg: 1, flags: FL_ARITH & ~FL_CF });
row(0, 0xff, "Ev", "inc", U.INC, { reg: 0, flags: FL_ARITH & ~FL_CF });
row(0, 0xff, "Ev", "dec", U.DEC, { reg: 1, flags: FL_ARITH & ~FL_CF });
row(0, 0xff, "Ev", "call", U.CALL_E, { reg: 2, size64: "f64" });
row(0, 0xff, "Ev", "jmp", U.JMP_E, { reg: 4, size64: "f64" });
row(0, 0xff, "Ev", "push", U.PUSH_E, { reg: 6, size64: "d64" });

// Two-byte (0F) integer opcodes.
row0f(0x05, "", "syscall", U.SYSCALL);
row0f(0x0b, "", "ud2", U.UD);
row0f(0x0d, "Ev", "prefetchw", U.NOP, { mod: "mem" });
for (let h = 0; h < 4; h++) row0f(0x18, "Ev", "prefetch", U.NOP, { reg: h, mod: "mem" });
row0f(0x1e, "Ev", "nop", U.NOP); // F3 0F 1E FA is endbr64
row0f(0x1f, "Ev", "nop", U.NOP);
row0f(0x31, "", "rdtsc", U.RDTSC);
row0f(0xa2, "", "cpuid", U.CPUID);
row0f(0xa3, "Ev,Gv", "bt", U.BT_EG, { ext: 0, flags: FL_CF });
row0f(0xa4, "Ev,Gv,Iu", "shld", U.SHLD, { flags: FL_ARITH });
row0f(0xa5, "Ev,Gv,CL", "shld", U.SHLD, { ext: 1, flags: FL_ARITH });
row0f(0xab, "Ev,Gv", "bts", U.BT_EG, { ext: 1, flags: FL_CF });
row0f(0xac, "Ev,Gv,Iu", "shrd", U.SHRD, { flags: FL_ARITH });
row0f(0xad, "Ev,Gv,CL", "shrd", U.SHRD, { ext: 1, flags: FL_ARITH });
row0f(0xaf, "Gv,Ev", "imul", U.IMUL_GE, { flags: FL_ARITH });
row0f(0xb0, "Eb,Gb", "cmpxchg", U.CMPXCHG, { flags: FL_ARITH });
row0f(0xb1, "Ev,Gv", "cmpxchg", U.CMPXCHG, { flags: FL_ARITH });
row0f(0xb3, "Ev,Gv", "btr", U.BT_EG, { ext: 2, flags: FL_CF });
row0f(0xb6, "Gv,Eb", "movzx", U.MOVZX, { ext: 1 });
row0f(0xb7, "Gv,Ew", "movzx", U.MOVZX, { ext: 2 });
row0f(0xba, "Ev,Iu", "bt", U.BT_EI, { reg: 4, ext: 0, flags: FL_CF });
row0f(0xba, "Ev,Iu", "bts", U.BT_EI, { reg: 5, ext: 1, flags: FL_CF });
row0f(0xba, "Ev,Iu", "btr", U.BT_EI, { reg: 6, ext: 2, flags: FL_CF });
row0f(0xba, "Ev,Iu", "btc", U.BT_EI, { reg: 7, ext: 3, flags: FL_CF });
row0f(0xbb, "Ev,Gv", "btc", U.BT_EG, { ext: 3, flags: FL_CF });
row0f(0xbc, "Gv,Ev", "bsf", U.BSF, { flags: FL_ARITH });
row0f(0xbc, "Gv,Ev", "tzcnt", U.TZCNT, { pfx: 0xf3, flags: FL_ARITH });
row0f(0xbd, "Gv,Ev", "bsr", U.BSR, { flags: FL_ARITH });
row0f(0xbd, "Gv,Ev", "lzcnt", U.LZCNT, { pfx: 0xf3, flags: FL_ARITH });
row0f(0xb8, "Gv,Ev", "popcnt", U.POPCNT, { pfx: 0xf3, flags: FL_ARITH });
row0f(0xbe, "Gv,Eb", "movsx", U.MOVSX, { ext: 1 });
row0f(0xbf, "Gv,Ew", "movsx", U.MOVSX, { ext: 2 });
row0f(0xc0, "Eb,Gb", "xadd", U.XADD, { flags: FL_ARITH });
row0f(0xc1, "Ev,Gv", "xadd", U.XADD, { flags: FL_ARITH });
row0f(0xc7, "M", "cmpxchg8b", U.CMPXCHGB, { reg: 1, flags: FL_ZF });
row0f(0xae, "", "lfence", U.NOP, { pfx: 0, reg: 5, mod: "reg" });
row0f(0xae, "", "incssp", U.NOP, { pfx: 0xf3, reg: 5, mod: "reg" }); // shadow stacks are off (not in CPUID): a no-op
row0f(0xae, "", "mfence", U.NOP, { pfx: 0, reg: 6, mod: "reg" });
row0f(0xae, "", "sfence", U.NOP, { pfx: 0, reg: 7, mod: "reg" });
row0f(0xae, "M", "clflush", U.NOP, { pfx: 0, reg: 7, mod: "mem" });
row0f(0xae, "M", "ldmxcsr", U.SSE, { pfx: 0, reg: 2, mod: "mem", ext: S.LDMXCSR });
row0f(0xae, "M", "stmxcsr", U.SSE, { pfx: 0, reg: 3, mod: "mem", ext: S.STMXCSR });
row0f(0xc3, "My,Gy", "movnti", U.MOV_EG, { mod: "mem", pfx: 0 });
row(2, 0xf0, "Gv,M", "movbe", U.MOVBE);
row(2, 0xf1, "M,Gv", "movbe", U.MOVBE, { ext: 1 });

// SSE / SSE2.
sse(0x10, 0, "V,W", "movups", S.MOVU_LD);
sse(0x10, 0x66, "V,W", "movupd", S.MOVU_LD);
sse(0x10, 0xf3, "V,W", "movss", S.MOVSS_LD);
sse(0x10, 0xf2, "V,W", "movsd", S.MOVSD_LD);
sse(0x11, 0, "W,V", "movups", S.MOVU_ST);
sse(0x11, 0x66, "W,V", "movupd", S.MOVU_ST);
sse(0x11, 0xf3, "W,V", "movss", S.MOVSS_ST);
sse(0x11, 0xf2, "W,V", "movsd", S.MOVSD_ST);
sse(0x12, 0, "V,W", "movlps", S.MOVLP_LD, { mod: "mem" });
sse(0x12, 0, "V,U", "movhlps", S.MOVHLPS, { mod: "reg" });
sse(0x12, 0x66, "V,M", "movlpd", S.MOVLP_LD, { mod: "mem" });
sse(0x13, 0, "M,V", "movlps", S.MOVLP_ST, { mod: "mem" });
sse(0x13, 0x66, "M,V", "movlpd", S.MOVLP_ST, { mod: "mem" });
sse(0x14, 0, "V,W", "unpcklps", S.PUNPCKLDQ);
sse(0x14, 0x66, "V,W", "unpcklpd", S.PUNPCKLQDQ);
sse(0x15, 0, "V,W", "unpckhps", S.PUNPCKHDQ);
sse(0x15, 0x66, "V,W", "unpckhpd", S.PUNPCKHQDQ);
sse(0x16, 0, "V,W", "movhps", S.MOVHP_LD, { mod: "mem" });
sse(0x16, 0, "V,U", "movlhps", S.MOVLHPS, { mod: "reg" });
sse(0x16, 0x66, "V,M", "movhpd", S.MOVHP_LD, { mod: "mem" });
sse(0x17, 0, "M,V", "movhps", S.MOVHP_ST, { mod: "mem" });
sse(0x17, 0x66, "M,V", "movhpd", S.MOVHP_ST, { mod: "mem" });
sse(0x28, 0, "V,W", "movaps", S.MOVA_LD);
sse(0x28, 0x66, "V,W", "movapd", S.MOVA_LD);
sse(0x29, 0, "W,V", "movaps", S.MOVA_ST);
sse(0x29, 0x66, "W,V", "movapd", S.MOVA_ST);
sse(0x2a, 0xf3, "V,Ey", "cvtsi2ss", S.CVTSI2SS);
sse(0x2a, 0xf2, "V,Ey", "cvtsi2sd", S.CVTSI2SD);
sse(0x2b, 0, "M,V", "movntps", S.MOVA_ST, { mod: "mem" });
sse(0x2b, 0x66, "M,V", "movntpd", S.MOVA_ST, { mod: "mem" });
sse(0x2c, 0xf3, "Gy,W", "cvttss2si", S.CVTTSS2SI);
sse(0x2c, 0xf2, "Gy,W", "cvttsd2si", S.CVTTSD2SI);
sse(0x2d, 0xf3, "Gy,W", "cvtss2si", S.CVTSS2SI);
sse(0x2d, 0xf2, "Gy,W", "cvtsd2si", S.CVTSD2SI);
sse(0x2e, 0, "V,W", "ucomiss", S.UCOMISS, { flags: FL_ARITH });
sse(0x2e, 0x66, "V,W", "ucomisd", S.UCOMISD, { flags: FL_ARITH });
sse(0x2f, 0, "V,W", "comiss", S.UCOMISS, { flags: FL_ARITH, ext2: 1 });
sse(0x2f, 0x66, "V,W", "comisd", S.UCOMISD, { flags: FL_ARITH, ext2: 1 });
sse(0x50, 0, "Gd,U", "movmskps", S.MOVMSKPS, { mod: "reg" });
sse(0x50, 0x66, "Gd,U", "movmskpd", S.MOVMSKPD, { mod: "reg" });
const FARITH: [number, number, string][] = [
  [0x51, FOP.SQRT, "sqrt"], [0x58, FOP.ADD, "add"], [0x59, FOP.MUL, "mul"], [0x5c, FOP.SUB, "sub"],
  [0x5d, FOP.MIN, "min"], [0x5e, FOP.DIV, "div"], [0x5f, FOP.MAX, "max"],
];
const FSUFFIX: [0 | 0x66 | 0xf3 | 0xf2, number, string][] = [
  [0, FTYPE.PS, "ps"], [0x66, FTYPE.PD, "pd"], [0xf3, FTYPE.SS, "ss"], [0xf2, FTYPE.SD, "sd"],
];
for (const [op, fop, name] of FARITH) {
  for (const [pfx, ft, suffix] of FSUFFIX) sse(op, pfx, "V,W", name + suffix, S.FARITH, { ext2: fop * 4 + ft });
}
sse(0x54, 0, "V,W", "andps", S.PAND);
sse(0x54, 0x66, "V,W", "andpd", S.PAND);
sse(0x55, 0, "V,W", "andnps", S.PANDN);
sse(0x55, 0x66, "V,W", "andnpd", S.PANDN);
sse(0x56, 0, "V,W", "orps", S.POR);
sse(0x56, 0x66, "V,W", "orpd", S.POR);
sse(0x57, 0, "V,W", "xorps", S.PXOR);
sse(0x57, 0x66, "V,W", "xorpd", S.PXOR);
sse(0x5a, 0, "V,W", "cvtps2pd", S.CVTPS2PD);
sse(0x5a, 0x66, "V,W", "cvtpd2ps", S.CVTPD2PS);
sse(0x5a, 0xf3, "V,W", "cvtss2sd", S.CVTSS2SD);
sse(0x5a, 0xf2, "V,W", "cvtsd2ss", S.CVTSD2SS);
sse(0x5b, 0, "V,W", "cvtdq2ps", S.CVTDQ2PS);
sse(0x5b, 0x66, "V,W", "cvtps2dq", S.CVTPS2DQ);
sse(0x5b, 0xf3, "V,W", "cvttps2dq", S.CVTTPS2DQ);
sse(0xe6, 0xf3, "V,W", "cvtdq2pd", S.CVTDQ2PD);
sse(0xe6, 0x66, "V,W", "cvttpd2dq", S.CVTTPD2DQ);
sse(0xe6, 0xf2, "V,W", "cvtpd2dq", S.CVTPD2DQ);
const P66: [number, string, number][] = [
  [0x60, "punpcklbw", S.PUNPCKLBW], [0x61, "punpcklwd", S.PUNPCKLWD], [0x62, "punpckldq", S.PUNPCKLDQ],
  [0x63, "packsswb", S.PACKSSWB], [0x64, "pcmpgtb", S.PCMPGTB], [0x65, "pcmpgtw", S.PCMPGTW],
  [0x66, "pcmpgtd", S.PCMPGTD], [0x67, "packuswb", S.PACKUSWB], [0x68, "punpckhbw", S.PUNPCKHBW],
  [0x69, "punpckhwd", S.PUNPCKHWD], [0x6a, "punpckhdq", S.PUNPCKHDQ], [0x6b, "packssdw", S.PACKSSDW],
  [0x6c, "punpcklqdq", S.PUNPCKLQDQ], [0x6d, "punpckhqdq", S.PUNPCKHQDQ], [0x74, "pcmpeqb", S.PCMPEQB],
  [0x75, "pcmpeqw", S.PCMPEQW], [0x76, "pcmpeqd", S.PCMPEQD], [0xd1, "psrlw", S.PSRLW], [0xd2, "psrld", S.PSRLD],
  [0xd3, "psrlq", S.PSRLQ], [0xd4, "paddq", S.PADDQ], [0xd5, "pmullw", S.PMULLW], [0xd8, "psubusb", S.PSUBUSB],
  [0xd9, "psubusw", S.PSUBUSW], [0xda, "pminub", S.PMINUB], [0xdb, "pand", S.PAND], [0xdc, "paddusb", S.PADDUSB],
  [0xdd, "paddusw", S.PADDUSW], [0xde, "pmaxub", S.PMAXUB], [0xdf, "pandn", S.PANDN], [0xe0, "pavgb", S.PAVGB],
  [0xe1, "psraw", S.PSRAW], [0xe2, "psrad", S.PSRAD], [0xe3, "pavgw", S.PAVGW], [0xe4, "pmulhuw", S.PMULHUW],
  [0xe5, "pmulhw", S.PMULHW], [0xe8, "psubsb", S.PSUBSB], [0xe9, "psubsw", S.PSUBSW], [0xea, "pminsw", S.PMINSW],
  [0xeb, "por", S.POR], [0xec, "paddsb", S.PADDSB], [0xed, "paddsw", S.PADDSW], [0xee, "pmaxsw", S.PMAXSW],
  [0xef, "pxor", S.PXOR], [0xf1, "psllw", S.PSLLW], [0xf2, "pslld", S.PSLLD], [0xf3, "psllq", S.PSLLQ],
  [0xf4, "pmuludq", S.PMULUDQ], [0xf5, "pmaddwd", S.PMADDWD], [0xf6, "psadbw", S.PSADBW], [0xf8, "psubb", S.PSUBB],
  [0xf9, "psubw", S.PSUBW], [0xfa, "psubd", S.PSUBD], [0xfb, "psubq", S.PSUBQ], [0xfc, "paddb", S.PADDB],
  [0xfd, "paddw", S.PADDW], [0xfe, "paddd", S.PADDD],
];
for (const [op, mn, ext] of P66) sse(op, 0x66, "V,W", mn, ext);
sse(0x6e, 0x66, "V,Ey", "movd", S.MOVD_LD);
sse(0x7e, 0x66, "Ey,V", "movd", S.MOVD_ST);
sse(0x6f, 0x66, "V,W", "movdqa", S.MOVA_LD);
sse(0x6f, 0xf3, "V,W", "movdqu", S.MOVU_LD);
sse(0x7f, 0x66, "W,V", "movdqa", S.MOVA_ST);
sse(0x7f, 0xf3, "W,V", "movdqu", S.MOVU_ST);
sse(0x7e, 0xf3, "V,W", "movq", S.MOVQ_LD);
sse(0xd6, 0x66, "W,V", "movq", S.MOVQ_ST);
sse(0xe7, 0x66, "M,V", "movntdq", S.MOVA_ST, { mod: "mem" });
sse(0x70, 0x66, "V,W,Iu", "pshufd", S.PSHUFD);
sse(0x70, 0xf2, "V,W,Iu", "pshuflw", S.PSHUFLW);
sse(0x70, 0xf3, "V,W,Iu", "pshufhw", S.PSHUFHW);
sse(0x71, 0x66, "U,Iu", "psrlw", S.PSRLW_I, { reg: 2, mod: "reg" });
sse(0x71, 0x66, "U,Iu", "psraw", S.PSRAW_I, { reg: 4, mod: "reg" });
sse(0x71, 0x66, "U,Iu", "psllw", S.PSLLW_I, { reg: 6, mod: "reg" });
sse(0x72, 0x66, "U,Iu", "psrld", S.PSRLD_I, { reg: 2, mod: "reg" });
sse(0x72, 0x66, "U,Iu", "psrad", S.PSRAD_I, { reg: 4, mod: "reg" });
sse(0x72, 0x66, "U,Iu", "pslld", S.PSLLD_I, { reg: 6, mod: "reg" });
sse(0x73, 0x66, "U,Iu", "psrlq", S.PSRLQ_I, { reg: 2, mod: "reg" });
sse(0x73, 0x66, "U,Iu", "psrldq", S.PSRLDQ_I, { reg: 3, mod: "reg" });
sse(0x73, 0x66, "U,Iu", "psllq", S.PSLLQ_I, { reg: 6, mod: "reg" });
sse(0x73, 0x66, "U,Iu", "pslldq", S.PSLLDQ_I, { reg: 7, mod: "reg" });
sse(0xc2, 0, "V,W,Iu", "cmpps", S.CMPF, { ext2: FTYPE.PS });
sse(0xc2, 0x66, "V,W,Iu", "cmppd", S.CMPF, { ext2: FTYPE.PD });
sse(0xc2, 0xf3, "V,W,Iu", "cmpss", S.CMPF, { ext2: FTYPE.SS });
sse(0xc2, 0xf2, "V,W,Iu", "cmpsd", S.CMPF, { ext2: FTYPE.SD });
sse(0xc4, 0x66, "V,Ed,Iu", "pinsrw", S.PINSRW);
sse(0xc5, 0x66, "Gd,U,Iu", "pextrw", S.PEXTRW, { mod: "reg" });
sse(0xc6, 0, "V,W,Iu", "shufps", S.SHUFPS);
sse(0xc6, 0x66, "V,W,Iu", "shufpd", S.SHUFPD);
sse(0xd7, 0x66, "Gd,U", "pmovmskb", S.PMOVMSKB, { mod: "reg" });

// SSE3, SSSE3, SSE4.1, SSE4.2 and the rarer SSE/SSE2 ops (U.SSEX). All need the mandatory prefix shown.
function sx(map: 1 | 2 | 3, op: number, pfx: 0 | 0x66 | 0xf3 | 0xf2, form: string, mn: string, ext: number, o: Opts = {}): void {
  row(map, op, form, mn, U.SSEX, { ...o, pfx, ext });
  ROWS[ROWS.length - 1].pfxAny = false;
}
sx(1, 0xd0, 0x66, "V,W", "addsubpd", SX.ADDSUBPD);
sx(1, 0xd0, 0xf2, "V,W", "addsubps", SX.ADDSUBPS);
sx(1, 0x7c, 0x66, "V,W", "haddpd", SX.HADDPD);
sx(1, 0x7c, 0xf2, "V,W", "haddps", SX.HADDPS);
sx(1, 0x7d, 0x66, "V,W", "hsubpd", SX.HSUBPD);
sx(1, 0x7d, 0xf2, "V,W", "hsubps", SX.HSUBPS);
sx(1, 0x12, 0xf2, "V,W", "movddup", SX.MOVDDUP);
sx(1, 0x16, 0xf3, "V,W", "movshdup", SX.MOVSHDUP);
sx(1, 0x12, 0xf3, "V,W", "movsldup", SX.MOVSLDUP);
sx(1, 0xf0, 0xf2, "V,M", "lddqu", SX.LDDQU, { mod: "mem" });
sx(1, 0xf7, 0x66, "V,U", "maskmovdqu", SX.MASKMOVDQU, { mod: "reg" });
sx(1, 0x52, 0, "V,W", "rsqrtps", SX.RSQRT, { ext2: FTYPE.PS });
sx(1, 0x52, 0xf3, "V,W", "rsqrtss", SX.RSQRT, { ext2: FTYPE.SS });
sx(1, 0x53, 0, "V,W", "rcpps", SX.RCP, { ext2: FTYPE.PS });
sx(1, 0x53, 0xf3, "V,W", "rcpss", SX.RCP, { ext2: FTYPE.SS });
sx(1, 0xae, 0, "M", "fxsave", SX.FXSAVE, { reg: 0, mod: "mem" });
sx(1, 0xae, 0, "M", "fxrstor", SX.FXRSTOR, { reg: 1, mod: "mem" });
const MAP38: [number, string, number][] = [
  [0x00, "pshufb", SX.PSHUFB], [0x01, "phaddw", SX.PHADDW], [0x02, "phaddd", SX.PHADDD], [0x03, "phaddsw", SX.PHADDSW],
  [0x04, "pmaddubsw", SX.PMADDUBSW], [0x05, "phsubw", SX.PHSUBW], [0x06, "phsubd", SX.PHSUBD],
  [0x07, "phsubsw", SX.PHSUBSW], [0x08, "psignb", SX.PSIGNB], [0x09, "psignw", SX.PSIGNW], [0x0a, "psignd", SX.PSIGND],
  [0x0b, "pmulhrsw", SX.PMULHRSW], [0x10, "pblendvb", SX.PBLENDVB], [0x14, "blendvps", SX.BLENDVPS],
  [0x15, "blendvpd", SX.BLENDVPD], [0x17, "ptest", SX.PTEST], [0x1c, "pabsb", SX.PABSB], [0x1d, "pabsw", SX.PABSW],
  [0x1e, "pabsd", SX.PABSD], [0x28, "pmuldq", SX.PMULDQ], [0x29, "pcmpeqq", SX.PCMPEQQ],
  [0x2b, "packusdw", SX.PACKUSDW], [0x37, "pcmpgtq", SX.PCMPGTQ], [0x38, "pminsb", SX.PMINSB],
  [0x39, "pminsd", SX.PMINSD], [0x3a, "pminuw", SX.PMINUW], [0x3b, "pminud", SX.PMINUD], [0x3c, "pmaxsb", SX.PMAXSB],
  [0x3d, "pmaxsd", SX.PMAXSD], [0x3e, "pmaxuw", SX.PMAXUW], [0x3f, "pmaxud", SX.PMAXUD], [0x40, "pmulld", SX.PMULLD],
  [0x41, "phminposuw", SX.PHMINPOSUW],
];
for (const [op, mn, ext] of MAP38) sx(2, op, 0x66, "V,W", mn, ext, { flags: ext === SX.PTEST ? FL_ARITH : FL_NONE });
/** pmovsx/pmovzx: ext2 = source element log2 size * 4 + destination log2 size (bytes), +16 when sign-extending. */
const PMOVX: [number, string, number][] = [[0, "bw", 1], [1, "bd", 2], [2, "bq", 3], [3, "wd", 0x12], [4, "wq", 0x13], [5, "dq", 0x23]];
for (const [k, suffix, shape] of PMOVX) {
  sx(2, 0x20 + k, 0x66, "V,W", "pmovsx" + suffix, SX.PMOVX, { ext2: (shape >> 4) * 4 + (shape & 15) + 16 });
  sx(2, 0x30 + k, 0x66, "V,W", "pmovzx" + suffix, SX.PMOVX, { ext2: (shape >> 4) * 4 + (shape & 15) });
}
sx(2, 0x2a, 0x66, "V,M", "movntdqa", SX.MOVNTDQA, { mod: "mem" });
sx(2, 0xf0, 0xf2, "Gy,Eb", "crc32", SX.CRC32);
// The Ev form's operand size comes from Ev (66 = 16-bit source); the destination is 64-bit only with REX.W.
sx(2, 0xf1, 0xf2, "Gv,Ev", "crc32", SX.CRC32, { ext2: 1 });
sx(3, 0x08, 0x66, "V,W,Iu", "roundps", SX.ROUND, { ext2: FTYPE.PS });
sx(3, 0x09, 0x66, "V,W,Iu", "roundpd", SX.ROUND, { ext2: FTYPE.PD });
sx(3, 0x0a, 0x66, "V,W,Iu", "roundss", SX.ROUND, { ext2: FTYPE.SS });
sx(3, 0x0b, 0x66, "V,W,Iu", "roundsd", SX.ROUND, { ext2: FTYPE.SD });
sx(3, 0x0c, 0x66, "V,W,Iu", "blendps", SX.BLENDPS);
sx(3, 0x0d, 0x66, "V,W,Iu", "blendpd", SX.BLENDPD);
sx(3, 0x0e, 0x66, "V,W,Iu", "pblendw", SX.PBLENDW);
sx(3, 0x0f, 0x66, "V,W,Iu", "palignr", SX.PALIGNR);
sx(3, 0x14, 0x66, "Ed,V,Iu", "pextrb", SX.PEXTRB);
sx(3, 0x15, 0x66, "Ed,V,Iu", "pextrw", SX.PEXTRW);
sx(3, 0x16, 0x66, "Ey,V,Iu", "pextrd", SX.PEXTRD);
sx(3, 0x17, 0x66, "Ed,V,Iu", "extractps", SX.EXTRACTPS);
sx(3, 0x20, 0x66, "V,Ed,Iu", "pinsrb", SX.PINSRB);
sx(3, 0x21, 0x66, "V,W,Iu", "insertps", SX.INSERTPS);
sx(3, 0x22, 0x66, "V,Ey,Iu", "pinsrd", SX.PINSRD);
sx(3, 0x40, 0x66, "V,W,Iu", "dpps", SX.DPPS);
sx(3, 0x41, 0x66, "V,W,Iu", "dppd", SX.DPPD);
sx(3, 0x42, 0x66, "V,W,Iu", "mpsadbw", SX.MPSADBW);
sx(3, 0x60, 0x66, "V,W,Iu", "pcmpestrm", SX.PCMPSTR, { ext2: 0, flags: FL_ARITH });
sx(3, 0x61, 0x66, "V,W,Iu", "pcmpestri", SX.PCMPSTR, { ext2: 1, flags: FL_ARITH });
sx(3, 0x62, 0x66, "V,W,Iu", "pcmpistrm", SX.PCMPSTR, { ext2: 2, flags: FL_ARITH });
sx(3, 0x63, 0x66, "V,W,Iu", "pcmpistri", SX.PCMPSTR, { ext2: 3, flags: FL_ARITH });

// x87 (D8-DF): memory forms by ModRM.reg, register forms by ModRM.reg with st(i) in ModRM.rm.
const X87_ARITH = ["add", "mul", "com", "comp", "sub", "subr", "div", "divr"];
function x87(op: number, reg: number, mod: "mem" | "reg", mn: string, ext: number, ext2 = 0): void {
  row(0, op, mod === "mem" ? "M" : "", mn, U.X87, { reg, mod, ext, ext2 });
}
for (let r = 0; r < 8; r++) {
  const arith = r === 2 || r === 3 ? X.COM_M : X.ARITH_M;
  x87(0xd8, r, "mem", "f" + X87_ARITH[r], arith, r * 8 + XM.F32);
  x87(0xdc, r, "mem", "f" + X87_ARITH[r], arith, r * 8 + XM.F64);
  x87(0xda, r, "mem", "fi" + X87_ARITH[r], arith, r * 8 + XM.I32);
  x87(0xde, r, "mem", "fi" + X87_ARITH[r], arith, r * 8 + XM.I16);
  if (r === 2 || r === 3) {
    x87(0xd8, r, "reg", "f" + X87_ARITH[r], X.COM_ST, r - 2);
    x87(0xdc, r, "reg", "f" + X87_ARITH[r], X.COM_ST, r - 2);
  } else {
    x87(0xd8, r, "reg", "f" + X87_ARITH[r], X.ARITH_ST0, r);
    // DC/DE register forms swap sub/subr and div/divr (st(i) = st(i) op st(0)).
    const swapped = r >= 4 ? r ^ 1 : r;
    x87(0xdc, r, "reg", "f" + X87_ARITH[swapped], X.ARITH_STI, swapped);
    x87(0xde, r, "reg", "f" + X87_ARITH[swapped] + "p", X.ARITH_STIP, swapped);
  }
  if (r < 4) x87(0xda, r, "reg", "fcmov", X.CMOV, r);
  if (r < 4) x87(0xdb, r, "reg", "fcmovn", X.CMOV, r + 4);
}
x87(0xd9, 0, "mem", "fld", X.LD_M, XM.F32);
x87(0xd9, 2, "mem", "fst", X.ST_M, XM.F32);
x87(0xd9, 3, "mem", "fstp", X.STP_M, XM.F32);
x87(0xd9, 4, "mem", "fldenv", X.LDENV);
x87(0xd9, 5, "mem", "fldcw", X.LDCW);
x87(0xd9, 6, "mem", "fnstenv", X.STENV);
x87(0xd9, 7, "mem", "fnstcw", X.STCW);
x87(0xd9, 0, "reg", "fld", X.LD_ST);
x87(0xd9, 1, "reg", "fxch", X.XCH);
x87(0xd9, 2, "reg", "fnop", X.NOP);
for (let r = 4; r < 8; r++) x87(0xd9, r, "reg", "f(d9 group)", X.SPECIAL, 0xd9);
x87(0xda, 5, "reg", "fucompp", X.COM_ST, 2 | 4);
x87(0xdb, 0, "mem", "fild", X.LD_M, XM.I32);
x87(0xdb, 1, "mem", "fisttp", X.ISTTP_M, XM.I32);
x87(0xdb, 2, "mem", "fist", X.ST_M, XM.I32);
x87(0xdb, 3, "mem", "fistp", X.STP_M, XM.I32);
x87(0xdb, 5, "mem", "fld", X.LD_M, XM.F80);
x87(0xdb, 7, "mem", "fstp", X.STP_M, XM.F80);
x87(0xdb, 4, "reg", "f(db group)", X.SPECIAL, 0xdb);
x87(0xdb, 5, "reg", "fucomi", X.COMI, 0);
x87(0xdb, 6, "reg", "fcomi", X.COMI, 0);
x87(0xdd, 0, "mem", "fld", X.LD_M, XM.F64);
x87(0xdd, 1, "mem", "fisttp", X.ISTTP_M, XM.I64);
x87(0xdd, 2, "mem", "fst", X.ST_M, XM.F64);
x87(0xdd, 3, "mem", "fstp", X.STP_M, XM.F64);
x87(0xdd, 4, "mem", "frstor", X.RSTOR);
x87(0xdd, 6, "mem", "fnsave", X.SAVE);
x87(0xdd, 7, "mem", "fnstsw", X.STSW_M);
x87(0xdd, 0, "reg", "ffree", X.FREE);
x87(0xdd, 2, "reg", "fst", X.ST_ST);
x87(0xdd, 3, "reg", "fstp", X.STP_ST);
x87(0xdd, 4, "reg", "fucom", X.COM_ST, 0);
x87(0xdd, 5, "reg", "fucomp", X.COM_ST, 1);
x87(0xde, 3, "reg", "fcompp", X.COM_ST, 2);
x87(0xdf, 0, "mem", "fild", X.LD_M, XM.I16);
x87(0xdf, 1, "mem", "fisttp", X.ISTTP_M, XM.I16);
x87(0xdf, 2, "mem", "fist", X.ST_M, XM.I16);
x87(0xdf, 3, "mem", "fistp", X.STP_M, XM.I16);
x87(0xdf, 5, "mem", "fild", X.LD_M, XM.I64);
x87(0xdf, 7, "mem", "fistp", X.STP_M, XM.I64);
x87(0xdf, 4, "reg", "fnstsw", X.STSW_AX);
x87(0xdf, 5, "reg", "fucomip", X.COMI, 1);
x87(0xdf, 6, "reg", "fcomip", X.COMI, 1);
row(0, 0x9b, "", "fwait", U.NOP);
