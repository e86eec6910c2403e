// A real personality over a real AddressSpace and FileServer for syscall tests: syscalls go in through
// SyscallFrame exactly as the roottask's portal handler delivers them, guest buffers live in mapped pages.

import { AddressSpace, PAGE_SIZE, PERM_RW } from "../../../../engine/memory/address-space.ts";
import { FramePool } from "../../../../engine/memory/frames.ts";
import { FileServer } from "../../../../engine/roottask/fs/file-server.ts";
import {
  LinuxPersonality, LinuxProcess, LinuxThread, newSyscallFrame, PersonalityHost, setSyscallArg, SyscallFrame, TerminalInfo,
} from "../../../../engine/roottask/linux/personality.ts";
import { ROWS } from "../../../../engine/roottask/linux/table.ts";

export const SCRATCH = 0x10000000;
export const SCRATCH_SIZE = 64 * PAGE_SIZE;
export const BRK_START = 0x00600000;
export const MMAP_BASE = 0x7f0000000000;
export const UNMAPPED = 0x20000000;
export const AT_FDCWD = -100;

/** Syscall number by name, from the table (so tests fail if a row goes missing). */
export function nr(name: string): number {
  const row = ROWS.find((r) => r.name === name);
  if (!row) throw new Error(`no syscall row named ${name}`);
  return row.nr;
}

export interface Harness {
  linux: LinuxPersonality;
  fs: FileServer;
  space: AddressSpace;
  frames: FramePool;
  proc: LinuxProcess;
  /** The process's one thread (signal mask, pending signals, alternate stack). */
  thread: LinuxThread;
  frame: SyscallFrame;
  host: PersonalityHost;
  stdout: number[];
  stderr: number[];
  clock: { ns: number };
  /** Runs a syscall by name with numeric arguments (negative numbers become two's complement). */
  call(name: string, ...args: number[]): number;
  /** Copies bytes or a NUL-terminated string into scratch memory and returns its address. */
  put(data: Uint8Array | string): number;
  /** Reserves zeroed scratch bytes and returns their address. */
  alloc(size: number): number;
  bytes(addr: number, len: number): Uint8Array;
  text(addr: number, len: number): string;
  u64(addr: number): number;
  u32(addr: number): number;
}

export function setup(options: { mounts?: { host: string; guest: string }[]; strict?: boolean; terminal?: TerminalInfo; stdin?: string } = {}): Harness {
  const frames = new FramePool(64);
  const space = new AddressSpace(frames);
  const fs = new FileServer({ mounts: options.mounts });
  const stdout: number[] = [];
  const stderr: number[] = [];
  let stdin = new TextEncoder().encode(options.stdin ?? "");
  const clock = { ns: 1_700_000_000_123_456_789 };
  const host: PersonalityHost = {
    fileServer: fs,
    writeConsole: (stream, bytes) => (stream === "stdout" ? stdout : stderr).push(...bytes) >= 0,
    readStdin: (max) => {
      const chunk = stdin.slice(0, max);
      stdin = stdin.slice(chunk.length);
      return chunk;
    },
    nowNs: () => clock.ns,
    random: (bytes) => {
      for (let i = 0; i < bytes.length; i++) bytes[i] = (i * 73 + 11) & 0xff;
    },
    strict: options.strict ?? false,
    terminal: options.terminal,
  };
  const linux = new LinuxPersonality(host);
  space.mapAnonymous(SCRATCH, SCRATCH_SIZE, PERM_RW);
  const proc = linux.createProcess({
    pid: 7, ppid: 1, space, brkStart: BRK_START, mmapBase: MMAP_BASE, cwd: "/", execfn: "/bin/prog",
  });
  const frame = newSyscallFrame();
  let next = SCRATCH;
  const alloc = (size: number) => {
    const at = next;
    next += Math.ceil(Math.max(size, 1) / 16) * 16;
    if (next > SCRATCH + SCRATCH_SIZE) throw new Error("harness scratch memory exhausted");
    return at;
  };
  return {
    linux, fs, space, frames, proc, thread: proc.threads[0], frame, host, stdout, stderr, clock,
    call(name, ...args) {
      frame.nr = nr(name);
      for (let i = 0; i < 6; i++) {
        const v = args[i] ?? 0;
        const hi = Math.floor(v / 4294967296);
        setSyscallArg(frame, i, (v - hi * 4294967296) | 0, hi | 0);
      }
      linux.syscall(proc, proc.threads[0], frame);
      return frame.result;
    },
    put(data) {
      const bytes = typeof data === "string" ? new TextEncoder().encode(data + "\0") : data;
      const at = alloc(bytes.length);
      space.write(at, bytes);
      return at;
    },
    alloc,
    bytes: (addr, len) => space.read(addr, len),
    text: (addr, len) => new TextDecoder().decode(space.read(addr, len)),
    u64: (addr) => space.readU64(addr),
    u32: (addr) => new DataView(space.read(addr, 4).buffer).getUint32(0, true),
  };
}
