// CPUID as the guest sees it: advertises exactly the features the interpreter implements (SSE up to 4.2, no AVX).
// Answers are fixed, so guest behaviour that depends on CPUID is deterministic across hosts.

/** Leaf 1 EDX: FPU (x87), TSC, CX8, CMOV, CLFSH, FXSR, SSE, SSE2. */
export const CPUID1_EDX = (1 << 0) | (1 << 4) | (1 << 8) | (1 << 15) | (1 << 19) | (1 << 24) | (1 << 25) | (1 << 26);
/** Leaf 1 ECX: SSE3, SSSE3, CX16, SSE4.1, SSE4.2, MOVBE, POPCNT (no OSXSAVE/AVX: xgetbv is not implemented). */
export const CPUID1_ECX = (1 << 0) | (1 << 9) | (1 << 13) | (1 << 19) | (1 << 20) | (1 << 22) | (1 << 23);
/** Leaf 0x80000001 ECX: LAHF/SAHF in long mode, LZCNT (ABM). EDX: SYSCALL, NX, long mode. */
export const CPUIDX1_ECX = (1 << 0) | (1 << 5);
export const CPUIDX1_EDX = (1 << 11) | (1 << 20) | (1 << 29);

const VENDOR = "HedronLabCPU"; // 12 bytes: ebx, edx, ecx
const BRAND = "Hedron Lab x86-64 interpreter".padEnd(48, "\0");

function word(s: string, at: number): number {
  return s.charCodeAt(at) | (s.charCodeAt(at + 1) << 8) | (s.charCodeAt(at + 2) << 16) | (s.charCodeAt(at + 3) << 24);
}

/** Writes eax/ebx/ecx/edx (zero-extended) of `leaf` into the GPR halves array; no leaf here has sub-leaves. */
export function cpuid(leaf: number, r: Int32Array): void {
  let a = 0, b = 0, c = 0, d = 0;
  switch (leaf >>> 0) {
    case 0:
      a = 7;
      b = word(VENDOR, 0);
      d = word(VENDOR, 4);
      c = word(VENDOR, 8);
      break;
    case 1:
      a = 0x000306a9; // family 6, model 0x3a, stepping 9
      b = (1 << 16) | (8 << 8); // one logical CPU, clflush line 64 bytes
      c = CPUID1_ECX;
      d = CPUID1_EDX;
      break;
    case 0x80000000:
      a = 0x80000004;
      break;
    case 0x80000001:
      c = CPUIDX1_ECX;
      d = CPUIDX1_EDX;
      break;
    case 0x80000002: case 0x80000003: case 0x80000004: {
      const base = ((leaf >>> 0) - 0x80000002) * 16;
      a = word(BRAND, base);
      b = word(BRAND, base + 4);
      c = word(BRAND, base + 8);
      d = word(BRAND, base + 12);
      break;
    }
  }
  r[0] = a; r[1] = 0;
  r[6] = b; r[7] = 0;
  r[2] = c; r[3] = 0;
  r[4] = d; r[5] = 0;
}
