// Builds minimal static x86-64 ELF executables from raw machine code, for loader and CLI tests
// that need a precise instruction (a crash, an unsupported opcode) without a toolchain.

export const TINY_BASE = 0x400000;

/** One RWX-free PT_LOAD (R+X) holding the headers and `code`; entry = the first code byte. */
export function tinyElf(code: number[] | Uint8Array, options: { elfClass?: number; interp?: boolean } = {}): Uint8Array {
  const interp = options.interp ? new TextEncoder().encode("/lib/ld-linux-x86-64.so.2\0") : new Uint8Array(0);
  const phnum = options.interp ? 2 : 1;
  const headers = 64 + 56 * phnum;
  const file = new Uint8Array(headers + interp.length + code.length);
  const view = new DataView(file.buffer);
  file.set([0x7f, 0x45, 0x4c, 0x46, options.elfClass ?? 2, 1, 1, 0]);
  view.setUint16(16, 2, true); // ET_EXEC
  view.setUint16(18, 62, true); // EM_X86_64
  view.setUint32(20, 1, true);
  view.setBigUint64(24, BigInt(TINY_BASE + headers + interp.length), true);
  view.setBigUint64(32, 64n, true);
  view.setUint16(52, 64, true);
  view.setUint16(54, 56, true);
  view.setUint16(56, phnum, true);
  const phdr = (at: number, type: number, flags: number, offset: number, size: number) => {
    view.setUint32(at, type, true);
    view.setUint32(at + 4, flags, true);
    view.setBigUint64(at + 8, BigInt(offset), true);
    view.setBigUint64(at + 16, BigInt(TINY_BASE + offset), true);
    view.setBigUint64(at + 24, BigInt(TINY_BASE + offset), true);
    view.setBigUint64(at + 32, BigInt(size), true);
    view.setBigUint64(at + 40, BigInt(size), true);
    view.setBigUint64(at + 48, 0x1000n, true);
  };
  phdr(64, 1, 5, 0, file.length);
  if (options.interp) phdr(64 + 56, 3, 4, headers, interp.length);
  file.set(interp, headers);
  file.set(code, headers + interp.length);
  return file;
}

