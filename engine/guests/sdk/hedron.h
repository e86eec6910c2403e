/* hedron.h — the raw Hedron ABI for C guests (HEDRON.md §1–§8): hypercall wrappers, UTCB, CRDs, MTD, status codes.
 * Header-only and libc-free (native apps build with -nostdlib -ffreestanding; hybrid musl apps include it too). */
#ifndef HEDRON_H
#define HEDRON_H

#include <stdint.h>

/* ---- status codes (returned in RDI bits 7:0) ---------------------------------------------------------------- */
#define HEDRON_SUCCESS 0
#define HEDRON_TIMEOUT 1
#define HEDRON_ABORT   2
#define HEDRON_BAD_HYP 3
#define HEDRON_BAD_CAP 4
#define HEDRON_BAD_PAR 5
#define HEDRON_BAD_FTR 6
#define HEDRON_BAD_CPU 7
#define HEDRON_BAD_DEV 8

/* ---- hypercall numbers (ARG1 bits 7:0) ----------------------------------------------------------------------- */
#define HC_CALL         0
#define HC_REPLY        1
#define HC_CREATE_PD    2
#define HC_CREATE_EC    3
#define HC_CREATE_SC    4
#define HC_CREATE_PT    5
#define HC_CREATE_SM    6
#define HC_REVOKE       7
#define HC_PD_CTRL      8
#define HC_EC_CTRL      9
#define HC_SC_CTRL      10
#define HC_PT_CTRL      11
#define HC_SM_CTRL      12
#define HC_ASSIGN_PCI   13
#define HC_ASSIGN_GSI   14
#define HC_MACHINE_CTRL 15

/* ARG1: number bits 7:0, four flag bits 11:8, selector (or value) bits 63:12. */
#define HEDRON_ARG1(nr, flags, sel) ((uint64_t)(nr) | ((uint64_t)(flags) << 8) | ((uint64_t)(sel) << 12))

/* ---- rights ---------------------------------------------------------------------------------------------------- */
#define PD_CREATE_PD (1u << 0)
#define PD_CREATE_EC (1u << 1)
#define PD_CREATE_SC (1u << 2)
#define PD_CREATE_PT (1u << 3)
#define PD_CREATE_SM (1u << 4)
#define EC_RIGHT_CTRL    (1u << 0)
#define EC_RIGHT_BIND_SC (1u << 2)
#define EC_RIGHT_BIND_PT (1u << 3)
#define SC_RIGHT_CTRL (1u << 0)
#define PT_RIGHT_CTRL (1u << 0)
#define PT_RIGHT_CALL (1u << 1)
#define SM_RIGHT_UP   (1u << 0)
#define SM_RIGHT_DOWN (1u << 1)
#define RIGHTS_ALL 0x1fu
#define MEM_R 1u
#define MEM_W 2u
#define MEM_X 4u

/* ---- capability range descriptors and transfer items (§4) ---------------------------------------------------- */
#define CRD_NULL 0
#define CRD_MEM  1
#define CRD_IO   2
#define CRD_OBJ  3

typedef uint64_t hedron_crd_t;

static inline hedron_crd_t hedron_crd(unsigned type, unsigned rights, unsigned order, uint64_t base) {
  return (uint64_t)(type & 3) | ((uint64_t)(rights & 0x1f) << 2) | ((uint64_t)(order & 0x1f) << 7) | (base << 12);
}
static inline hedron_crd_t hedron_obj_crd(uint64_t sel, unsigned order, unsigned rights) { return hedron_crd(CRD_OBJ, rights, order, sel); }
static inline hedron_crd_t hedron_mem_crd(uint64_t addr, unsigned order, unsigned rights) { return hedron_crd(CRD_MEM, rights, order, addr >> 12); }
static inline unsigned hedron_crd_type(hedron_crd_t c) { return (unsigned)(c & 3); }
static inline unsigned hedron_crd_rights(hedron_crd_t c) { return (unsigned)((c >> 2) & 0x1f); }
static inline unsigned hedron_crd_order(hedron_crd_t c) { return (unsigned)((c >> 7) & 0x1f); }
static inline uint64_t hedron_crd_base(hedron_crd_t c) { return c >> 12; }

/* Transfer-item metadata word: kind bits 1:0, bit 8 = not the host page table, bit 11 = from the kernel, hotspot 63:12. */
#define XFER_TRANSLATE 0u
#define XFER_DELEGATE 1u
#define XFER_TRANSLATE_OR_DELEGATE 2u
#define XFER_NO_HOST_PT (1u << 8)
#define XFER_FROM_KERNEL (1u << 11)
static inline uint64_t hedron_xfer(unsigned kind, uint64_t hotspot) { return (uint64_t)kind | (hotspot << 12); }

/* ---- UTCB (§5) -------------------------------------------------------------------------------------------------- */
#define UTCB_NSCT 1u
#define UTCB_MAX_WORDS 508

struct hedron_utcb {
  uint32_t flags;            /* 0x00 bit0 NSCT: the next syscall of a foreign PD's EC is a native hypercall */
  uint32_t items;            /* 0x04 untyped words bits 15:0, typed items bits 31:16 */
  hedron_crd_t xlt_window;   /* 0x08 translate receive window */
  hedron_crd_t del_window;   /* 0x10 delegate receive window */
  uint64_t tls;              /* 0x18 never touched by the kernel */
  uint64_t words[UTCB_MAX_WORDS]; /* 0x20 untyped word i; typed item i occupies the last 16·(i+1) bytes */
};

static inline unsigned hedron_utcb_untyped(const volatile struct hedron_utcb *u) { return u->items & 0xffff; }
static inline unsigned hedron_utcb_typed(const volatile struct hedron_utcb *u) { return u->items >> 16; }
static inline void hedron_utcb_set_items(volatile struct hedron_utcb *u, unsigned untyped, unsigned typed) {
  u->items = (untyped & 0xffff) | (typed << 16);
}
/* Typed item i: CRD word at 0xff0 − 16·i, metadata word right after it. */
static inline volatile uint64_t *hedron_utcb_typed_item(volatile struct hedron_utcb *u, unsigned i) {
  return (volatile uint64_t *)((volatile uint8_t *)u + 0xff0 - 16 * i);
}
static inline void hedron_utcb_set_typed(volatile struct hedron_utcb *u, unsigned i, hedron_crd_t crd, uint64_t meta) {
  volatile uint64_t *t = hedron_utcb_typed_item(u, i);
  t[0] = crd;
  t[1] = meta;
}

/* Exception layout (kernel-generated messages, U = 79): byte offsets into the UTCB. */
#define EXC_WORDS    79
#define EXC_MTD      0x20
#define EXC_INST_LEN 0x28
#define EXC_RIP      0x30
#define EXC_RFLAGS   0x38
#define EXC_GPR      0x58 /* GPR i in x86 encoding order (rax rcx rdx rbx rsp rbp rsi rdi r8..r15) at EXC_GPR + 8·i */
#define EXC_QUAL0    0xd8 /* error code */
#define EXC_QUAL1    0xe0 /* fault address */
#define EXC_FS_BASE  0x1d8
#define EXC_GS_BASE  0x1e8
enum { GPR_RAX, GPR_RCX, GPR_RDX, GPR_RBX, GPR_RSP, GPR_RBP, GPR_RSI, GPR_RDI, GPR_R8, GPR_R9, GPR_R10, GPR_R11,
       GPR_R12, GPR_R13, GPR_R14, GPR_R15 };
static inline volatile uint64_t *hedron_exc(volatile struct hedron_utcb *u, unsigned offset) {
  return (volatile uint64_t *)((volatile uint8_t *)u + offset);
}
static inline volatile uint64_t *hedron_exc_gpr(volatile struct hedron_utcb *u, unsigned gpr) { return hedron_exc(u, EXC_GPR + 8 * gpr); }

/* MTD bits: which state an exception-layout message carries (delivery: the portal's MTD; reply: the word at 0x20). */
#define MTD_ACDB    (1u << 0)  /* rax rcx rdx rbx */
#define MTD_BSD     (1u << 1)  /* rbp rsi rdi */
#define MTD_RSP     (1u << 2)
#define MTD_RIP_LEN (1u << 3)
#define MTD_RFLAGS  (1u << 4)
#define MTD_FS_GS   (1u << 6)
#define MTD_QUAL    (1u << 15)
#define MTD_GPR_R8_R15 (1u << 22)
#define MTD_FPU     (1u << 31)

/* Event vectors (§6): the portal for an event is the EC's EVT + vector. */
#define VEC_DE 0
#define VEC_DB 1
#define VEC_BP 3
#define VEC_UD 6
#define VEC_NM 7
#define VEC_GP 13
#define VEC_PF 14
#define VEC_STARTUP 30
#define VEC_RECALL 31

/* ---- the runtime's selector layout and fixed addresses (roottask policy, §7/§10; see README.md) ----------------- */
#define SEL_EXC_BASE   0    /* exception portals 0..31 (30 = startup) */
#define SEL_OWN_PD     32
#define SEL_OWN_EC     33
#define SEL_OWN_SC     34
#define SEL_SRV_ALLOC  35
#define SEL_SRV_STDOUT 36
#define SEL_SRV_STDERR 37
#define SEL_SRV_FS     38
#define SEL_SRV_ECHO   39
#define SEL_SRV_RAW_ECHO 40
#define SEL_SRV_EXIT   41
#define SEL_SRV_LOG    42
#define SEL_SRV_PROCESS 43
#define SEL_SRV_FB     44
#define SEL_SRV_NET    46   /* network service (native and hybrid apps) */
#define SEL_FOREIGN_BASE 50 /* foreign-syscall portal of CPU n at 50 + n (foreign and hybrid apps) */
#define SEL_APP_FIRST  128  /* selectors from here on are the app's own */
#define HEDRON_APP_UTCB 0x7fffffffd000ull /* the main EC's UTCB in every app */
#define HEDRON_USER_LIMIT 0x7ffffffff000ull

/* ---- the raw entry: ARG1 = RDI, ARG2 = RSI, ARG3 = RDX, ARG4 = RAX, ARG5 = R8; status in RDI bits 7:0 ---------- */
struct hedron_args {
  uint64_t rdi, rsi, rdx, rax, r8;
};

/* One `syscall`: every argument register is in/out (pd_ctrl and sc_ctrl return values in RSI/RDX/RAX). */
static inline unsigned hedron_syscall(struct hedron_args *a) {
  register uint64_t r8 __asm__("r8") = a->r8;
  __asm__ volatile("syscall"
                   : "+D"(a->rdi), "+S"(a->rsi), "+d"(a->rdx), "+a"(a->rax), "+r"(r8)
                   :
                   : "rcx", "r11", "memory");
  a->r8 = r8;
  return (unsigned)(a->rdi & 0xff);
}

static inline unsigned hedron_hypercall(unsigned nr, unsigned flags, uint64_t sel, uint64_t a2, uint64_t a3, uint64_t a4, uint64_t a5) {
  struct hedron_args a = { HEDRON_ARG1(nr, flags, sel), a2, a3, a4, a5 };
  return hedron_syscall(&a);
}

/* ---- hypercalls (§2) ------------------------------------------------------------------------------------------- */
#define CALL_NONBLOCK 1u /* call f0: a busy callee gives TIMEOUT instead of waiting */

/* IPC call: the message is the caller's UTCB (items word + untyped words + typed items); the reply replaces it. */
static inline unsigned hedron_call(uint64_t pt, unsigned flags) { return hedron_hypercall(HC_CALL, flags, pt, 0, 0, 0, 0); }

/* Reply from a portal handler: the EC then waits for the next call and re-enters at the portal's entry IP. */
__attribute__((noreturn)) static inline void hedron_reply(void) {
  __asm__ volatile("syscall" : : "D"((uint64_t)HC_REPLY) : "rcx", "r11", "memory");
  __builtin_unreachable();
}

/* ARG4: bit0 = foreign PD, bits 63:1 = its foreign-syscall portal base. */
static inline unsigned hedron_create_pd(uint64_t sel, uint64_t owner_pd, hedron_crd_t initial, int foreign, uint64_t foreign_base) {
  return hedron_hypercall(HC_CREATE_PD, 0, sel, owner_pd, initial, foreign ? (foreign_base << 1) | 1 : 0, 0);
}

#define CREATE_EC_GLOBAL 1u           /* f0 */
#define CREATE_EC_UTCB_IN_CALLER 8u   /* f3: map the UTCB in the caller's PD */
/* ARG3 = CPU in bits 11:0 | page-aligned UTCB address; ARG4 = initial RSP; ARG5 = event base. */
static inline unsigned hedron_create_ec(uint64_t sel, uint64_t pd, unsigned cpu, uint64_t utcb, uint64_t rsp, uint64_t evt, unsigned flags) {
  return hedron_hypercall(HC_CREATE_EC, flags, sel, pd, (utcb & ~0xfffull) | (cpu & 0xfff), rsp, evt);
}

/* QPD: priority 1..127 in bits 7:0, quantum in µs in bits 63:12. */
static inline uint64_t hedron_qpd(unsigned prio, uint64_t quantum_us) { return (quantum_us << 12) | (prio & 0xff); }
static inline unsigned hedron_create_sc(uint64_t sel, uint64_t pd, uint64_t ec, uint64_t qpd) {
  return hedron_hypercall(HC_CREATE_SC, 0, sel, pd, ec, qpd, 0);
}

static inline unsigned hedron_create_pt(uint64_t sel, uint64_t pd, uint64_t ec, uint64_t mtd, uint64_t ip) {
  return hedron_hypercall(HC_CREATE_PT, 0, sel, pd, ec, mtd, ip);
}

static inline unsigned hedron_create_sm(uint64_t sel, uint64_t pd, uint64_t counter) {
  return hedron_hypercall(HC_CREATE_SM, 0, sel, pd, counter, 0, 0);
}

#define REVOKE_SELF 1u   /* f0: also remove the rights from the range itself */
#define REVOKE_REMOTE 2u /* f1: revoke in the PD given in ARG3 */
/* The CRD's rights mask is what gets removed (recursively from everything derived). */
static inline unsigned hedron_revoke(hedron_crd_t crd, unsigned flags, uint64_t remote_pd) {
  return hedron_hypercall(HC_REVOKE, flags, 0, crd, remote_pd, 0, 0);
}

/* pd_ctrl lookup: what the caller's own space holds at the CRD's base (null CRD if nothing). */
static inline unsigned hedron_pd_lookup(hedron_crd_t *crd) {
  struct hedron_args a = { HEDRON_ARG1(HC_PD_CTRL, 0, 0), *crd, 0, 0, 0 };
  unsigned s = hedron_syscall(&a);
  *crd = a.rsi;
  return s;
}

/* pd_ctrl delegate from PD `src` to PD `dst`; *result (if given) gets the CRD that arrived. */
static inline unsigned hedron_pd_delegate(uint64_t src, uint64_t dst, hedron_crd_t send, uint64_t xfer, hedron_crd_t window, hedron_crd_t *result) {
  struct hedron_args a = { HEDRON_ARG1(HC_PD_CTRL, 2, src), dst, send, xfer, window };
  unsigned s = hedron_syscall(&a);
  if (result) *result = a.rdx;
  return s;
}

/* ec_ctrl recall: the EC gets a RECALL event (vector 31) before it runs on. */
static inline unsigned hedron_ec_recall(uint64_t ec) { return hedron_hypercall(HC_EC_CTRL, 0, ec, 0, 0, 0, 0); }

/* sc_ctrl: time the SC consumed, in µs. */
static inline unsigned hedron_sc_time(uint64_t sc, uint64_t *us) {
  struct hedron_args a = { HEDRON_ARG1(HC_SC_CTRL, 0, sc), 0, 0, 0, 0 };
  unsigned s = hedron_syscall(&a);
  *us = (a.rsi << 32) | (a.rdx & 0xffffffffu);
  return s;
}

/* pt_ctrl: the portal id its handler receives in RDI. */
static inline unsigned hedron_pt_ctrl(uint64_t pt, uint64_t id) { return hedron_hypercall(HC_PT_CTRL, 0, pt, id, 0, 0, 0); }

static inline unsigned hedron_sm_up(uint64_t sm) { return hedron_hypercall(HC_SM_CTRL, 0, sm, 0, 0, 0, 0); }
/* down: f0 = 1; f1 = zero the counter; deadline in TSC ticks (0 = none), ARG2 = bits 63:32, ARG3 = bits 31:0. */
static inline unsigned hedron_sm_down(uint64_t sm, int zero, uint64_t deadline) {
  return hedron_hypercall(HC_SM_CTRL, 1u | (zero ? 2u : 0u), sm, deadline >> 32, deadline & 0xffffffffu, 0, 0);
}

/* ---- hybrid apps (§8): set NSCT around a native hypercall of a foreign PD's EC -------------------------------- */
static inline volatile struct hedron_utcb *hedron_my_utcb(void) { return (volatile struct hedron_utcb *)HEDRON_APP_UTCB; }

static inline void hedron_hybrid_begin(volatile struct hedron_utcb *u) { u->flags |= UTCB_NSCT; }
static inline void hedron_hybrid_end(volatile struct hedron_utcb *u) { u->flags &= ~UTCB_NSCT; }

/* One native hypercall from a foreign PD: NSCT set, `syscall`, NSCT cleared (the kernel never resets it). */
static inline unsigned hedron_hybrid_syscall(volatile struct hedron_utcb *u, struct hedron_args *a) {
  hedron_hybrid_begin(u);
  unsigned s = hedron_syscall(a);
  hedron_hybrid_end(u);
  return s;
}
static inline unsigned hedron_hybrid_call(uint64_t pt, unsigned flags) {
  struct hedron_args a = { HEDRON_ARG1(HC_CALL, flags, pt), 0, 0, 0, 0 };
  return hedron_hybrid_syscall(hedron_my_utcb(), &a);
}

/* ---- misc ------------------------------------------------------------------------------------------------------ */
/* Virtual cycles in the lab, real TSC ticks on hardware. */
static inline uint64_t hedron_rdtsc(void) {
  uint32_t lo, hi;
  __asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
  return ((uint64_t)hi << 32) | lo;
}

/* Marks an ELF's kind for `hedron-lab run` auto-detection: a section .hedron.kind holding "native" or "hybrid". */
#define HEDRON_APP_KIND(kind) \
  __asm__(".pushsection .hedron.kind,\"a\",@progbits\n.asciz \"" #kind "\"\n.popsection")

#endif
