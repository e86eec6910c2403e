// The legacy vsyscall page (0xffffffffff600000): old static binaries (dietlibc, early glibc) call gettimeofday,
// time and getcpu at fixed addresses there. Linux (vsyscall=xonly) emulates such a call: it runs the syscall and
// returns to the caller; reading the page stays a fault. The lab does the same from the fault the call raises.

import { RAX, RSP, type CpuState } from "../../cpu/state.ts";
import { PageFault, type AddressSpace } from "../../memory/address-space.ts";
import { newSyscallFrame, setSyscallArg, type SyscallFrame } from "./context.ts";

const VSYSCALL_PAGE = 0xffffffffff600000n;
/** The entries by their offset in the page, and the syscall each stands for. */
const ENTRIES = new Map([[0x000n, 96 /* gettimeofday */], [0x400n, 201 /* time */], [0x800n, 309 /* getcpu */]]);
const ARG_REGS = [7, 6, 2]; // rdi, rsi, rdx
/** Below this the faulting RIP (a double, rounded near 2^64) cannot be in the page. */
const PAGE_START = Number(VSYSCALL_PAGE);

const u64 = (bytes: Uint8Array) => new DataView(bytes.buffer, bytes.byteOffset, 8).getBigUint64(0, true);
const reg64 = (regs: CpuState, r: number) => (BigInt(regs.gpr[2 * r + 1]! >>> 0) << 32n) | BigInt(regs.gpr[2 * r]! >>> 0);

/**
 * The exact address a call jumped to, from its call site: RIP near 2^64 is a rounded double, so the entry is told
 * by the `call *reg` before the return address (how such binaries reach the page: the address does not fit an
 * immediate). Null for any other call site.
 */
function callTarget(space: AddressSpace, regs: CpuState, ret: bigint): bigint | null {
  const at = Number(ret);
  const call = space.read(at - 2, 2);
  if (call[0] !== 0xff || (call[1]! & 0xf8) !== 0xd0) return null;
  const rex = space.read(at - 3, 1)[0]!;
  return reg64(regs, (call[1]! & 7) + ((rex & 0xf1) === 0x41 ? 8 : 0));
}

/**
 * If the fault at `rip` is a call into the vsyscall page, the frame of the syscall it stands for (the caller's
 * registers as arguments) and how to return: `finish(result)` sets RAX, pops the return address into RIP. Else null.
 */
export function vsyscallCall(space: AddressSpace, regs: CpuState): { frame: SyscallFrame; finish: (result: number) => void } | null {
  if (regs.rip < PAGE_START) return null;
  const rsp = regs.get(RSP);
  let target: bigint | null;
  let ret: bigint;
  try {
    ret = u64(space.read(rsp, 8));
    target = callTarget(space, regs, ret);
  } catch (error) {
    if (error instanceof PageFault) return null;
    throw error;
  }
  if (target === null || target >> 12n !== VSYSCALL_PAGE >> 12n) return null;
  const nr = ENTRIES.get(target - VSYSCALL_PAGE);
  if (nr === undefined) return null; // Linux: a misaligned vsyscall is SIGSEGV
  const frame = newSyscallFrame();
  frame.nr = nr;
  ARG_REGS.forEach((r, i) => setSyscallArg(frame, i, regs.gpr[2 * r]!, regs.gpr[2 * r + 1]!));
  return {
    frame,
    finish: (result) => {
      regs.set(RAX, result);
      regs.rip = Number(ret);
      regs.set(RSP, rsp + 8);
    },
  };
}
