// A minimal user-mode Linux for CPU tests: loads a static ELF and answers the few syscalls musl's stdio,
// malloc and file I/O need, so the interpreter can be tested on real guests without the kernel model.

import { Cpu, EXIT_BUDGET, EXIT_EXCEPTION, EXIT_SYSCALL } from "../../../engine/cpu/cpu.ts";
import { CpuState, RAX, RDI, RDX, RSI, R10, R8 } from "../../../engine/cpu/state.ts";
import { parseElf } from "../../../engine/elf/elf.ts";
import { loadElf } from "../../../engine/elf/loader.ts";
import { AddressSpace, PERM_RW } from "../../../engine/memory/address-space.ts";
import { FramePool, PAGE_SIZE } from "../../../engine/memory/frames.ts";

export interface MiniResult {
  stdout: string;
  stderr: string;
  status: number;
  instructions: number;
  hostMs: number;
  cpu: Cpu;
  fault?: string;
}

const ENOENT = 2, EBADF = 9, EINVAL = 22, ENOTTY = 25, ENOSYS = 38;

interface OpenFile {
  name: string;
  pos: number;
  append: boolean;
}

export function runElf(bytes: Uint8Array, argv: string[] = ["prog"], opts: { maxInstructions?: number; stdin?: string; jitThreshold?: number } = {}): MiniResult {
  const frames = new FramePool(256);
  const space = new AddressSpace(frames);
  const image = parseElf(bytes);
  const loaded = loadElf(image, space, {
    argv, envp: ["HEDRON_LAB=1"], execfn: argv[0], random16: new Uint8Array(16).fill(7),
  });
  const cpu = new Cpu(frames, 0);
  if (opts.jitThreshold !== undefined) cpu.jitThreshold = opts.jitThreshold;
  const state = new CpuState();
  state.rip = loaded.entry;
  state.set(4, loaded.rsp);
  cpu.load(state, space);
  let brk = loaded.brkStart;
  let mmapTop = 0x7f0000000000;
  const files = new Map<string, Uint8Array>();
  const fds = new Map<number, OpenFile>();
  let nextFd = 3;
  const out: number[] = [], err: number[] = [];
  const dec = new TextDecoder();
  const stdin = new TextEncoder().encode(opts.stdin ?? "");
  let stdinPos = 0;
  const max = opts.maxInstructions ?? 2e9;
  const t0 = performance.now();
  const arg = (k: number): number => cpu.reg64([RDI, RSI, RDX, R10, R8][k]);
  const str = (a: number): string => dec.decode(space.readCString(a));
  const writeFd = (fd: number, data: Uint8Array): number => {
    if (fd === 1) out.push(...data);
    else if (fd === 2) err.push(...data);
    else {
      const f = fds.get(fd);
      if (!f) return -EBADF;
      const old = files.get(f.name)!;
      if (f.append) f.pos = old.length;
      const grown = new Uint8Array(Math.max(old.length, f.pos + data.length));
      grown.set(old);
      grown.set(data, f.pos);
      files.set(f.name, grown);
      f.pos += data.length;
    }
    return data.length;
  };
  for (;;) {
    if (cpu.icount > max) return finish(-1, "instruction limit");
    const why = cpu.run(1_000_000);
    if (why === EXIT_BUDGET) continue;
    if (why === EXIT_EXCEPTION) {
      return finish(-1, `exception ${cpu.exitVector} at rip 0x${cpu.rip.toString(16)} addr 0x${cpu.exitAddress.toString(16)} err ${cpu.exitErrorCode}`);
    }
    if (why !== EXIT_SYSCALL) throw new Error("bad exit");
    const nr = cpu.r[2 * RAX];
    let res = 0;
    switch (nr) {
      case 0: { // read
        const fd = arg(0), len = arg(2);
        if (fd === 0) {
          const n = Math.min(len, stdin.length - stdinPos);
          space.write(arg(1), stdin.subarray(stdinPos, stdinPos + n));
          stdinPos += n;
          res = n;
          break;
        }
        const f = fds.get(fd);
        if (!f) { res = -EBADF; break; }
        const data = files.get(f.name)!;
        const n = Math.max(0, Math.min(len, data.length - f.pos));
        space.write(arg(1), data.subarray(f.pos, f.pos + n));
        f.pos += n;
        res = n;
        break;
      }
      case 1: res = writeFd(arg(0), space.read(arg(1), arg(2))); break;
      case 2: case 257: { // open, openat
        const path = str(arg(nr === 2 ? 0 : 1)), flags = arg(nr === 2 ? 1 : 2);
        if (!files.has(path)) {
          if (!(flags & 0o100)) { res = -ENOENT; break; }
          files.set(path, new Uint8Array(0));
        }
        if (flags & 0o1000) files.set(path, new Uint8Array(0));
        fds.set(nextFd, { name: path, pos: 0, append: (flags & 0o2000) !== 0 });
        res = nextFd++;
        break;
      }
      case 3: res = fds.delete(arg(0)) ? 0 : -EBADF; break;
      case 4: case 5: case 6: { // stat, fstat, lstat
        const name = nr === 5 ? fds.get(arg(0))?.name : str(arg(0));
        if (name === undefined || !files.has(name)) { res = nr === 5 ? -EBADF : -ENOENT; break; }
        const st = new Uint8Array(144);
        const v = new DataView(st.buffer);
        v.setUint32(24, 0o100644, true);
        v.setUint32(48, files.get(name)!.length, true);
        space.write(arg(1), st);
        break;
      }
      case 8: { // lseek
        const f = fds.get(arg(0));
        if (!f) { res = -EBADF; break; }
        const off = cpu.r[2 * RSI] + cpu.r[2 * RSI + 1] * 2 ** 32, whence = arg(2);
        f.pos = whence === 0 ? off : whence === 1 ? f.pos + off : files.get(f.name)!.length + off;
        res = f.pos;
        break;
      }
      case 9: { // mmap (anonymous only)
        const len = Math.ceil(arg(1) / PAGE_SIZE) * PAGE_SIZE;
        mmapTop -= len;
        space.mapAnonymous(mmapTop, len, PERM_RW);
        res = mmapTop;
        break;
      }
      case 11: space.unmapRange(arg(0), arg(1)); break;
      case 12: { // brk
        const want = arg(0);
        if (want > brk) {
          const from = Math.ceil(brk / PAGE_SIZE) * PAGE_SIZE, to = Math.ceil(want / PAGE_SIZE) * PAGE_SIZE;
          if (to > from) space.mapAnonymous(from, to - from, PERM_RW);
          brk = want;
        }
        res = brk;
        break;
      }
      case 13: case 14: break; // rt_sigaction, rt_sigprocmask
      case 16: res = -ENOTTY; break; // ioctl
      case 17: case 18: { // pread64, pwrite64
        const f = fds.get(arg(0));
        if (!f) { res = -EBADF; break; }
        const saved = f.pos, append = f.append;
        f.pos = arg(3);
        f.append = false;
        if (nr === 18) res = writeFd(arg(0), space.read(arg(1), arg(2)));
        else {
          const data = files.get(f.name)!;
          const n = Math.max(0, Math.min(arg(2), data.length - f.pos));
          space.write(arg(1), data.subarray(f.pos, f.pos + n));
          res = n;
        }
        f.pos = saved;
        f.append = append;
        break;
      }
      case 20: { // writev
        const iov = arg(1);
        for (let k = 0; k < arg(2); k++) {
          const base = space.readU64(iov + 16 * k), len = space.readU64(iov + 16 * k + 8);
          if (len) res += writeFd(arg(0), space.read(base, len));
        }
        break;
      }
      case 21: res = files.has(str(arg(0))) ? 0 : -ENOENT; break; // access
      case 269: res = files.has(str(arg(1))) ? 0 : -ENOENT; break; // faccessat
      case 87: res = files.delete(str(arg(0))) ? 0 : -ENOENT; break; // unlink
      case 263: res = files.delete(str(arg(1))) ? 0 : -ENOENT; break; // unlinkat
      case 60: case 231: return finish(arg(0) & 0xff);
      case 158: // arch_prctl
        if (arg(0) === 0x1002) cpu.fsBase = arg(1);
        else res = -EINVAL;
        break;
      case 218: res = 1; break; // set_tid_address
      case 39: res = 1; break; // getpid
      case 102: case 104: case 107: case 108: break; // getuid etc.
      default: res = -ENOSYS;
    }
    if (res < 0) {
      cpu.r[2 * RAX] = res;
      cpu.r[2 * RAX + 1] = -1;
    } else cpu.setReg64(RAX, res);
  }
  function finish(status: number, fault?: string): MiniResult {
    return {
      stdout: dec.decode(Uint8Array.from(out)), stderr: dec.decode(Uint8Array.from(err)), status,
      instructions: cpu.icount, hostMs: performance.now() - t0, cpu, fault,
    };
  }
}
