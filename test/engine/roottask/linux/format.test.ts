import assert from "node:assert/strict";
import { test } from "node:test";
import { ByteWriter } from "../../../../engine/record/codec.ts";
import { setSyscallArg } from "../../../../engine/roottask/linux/context.ts";
import { captureSyscall, formatStruct, quote, renderSyscall } from "../../../../engine/roottask/linux/format.ts";
import { ROWS } from "../../../../engine/roottask/linux/table.ts";
import { AT_FDCWD, setup, UNMAPPED } from "./harness.ts";

function line(h: ReturnType<typeof setup>): string {
  return `${h.linux.formatCall(h.proc, h.frame)} = ${h.linux.formatResult(h.frame)}`;
}

test("write shows the fd, the quoted buffer and the count", () => {
  const h = setup();
  h.call("write", 1, h.put(new TextEncoder().encode("hello\n")), 6);
  assert.equal(line(h), 'write(1, "hello\\n", 6) = 6');
});

test("a failed openat shows AT_FDCWD, the path, symbolic flags and errno name and message", () => {
  const h = setup();
  h.call("openat", AT_FDCWD, h.put("/nope"), 0, 0);
  assert.equal(line(h), 'openat(AT_FDCWD, "/nope", O_RDONLY) = -1 ENOENT (No such file or directory)');
  h.call("openat", AT_FDCWD, h.put("/tmp/x"), 0o2000102, 0o644);
  assert.equal(line(h), 'openat(AT_FDCWD, "/tmp/x", O_RDWR|O_CREAT|O_CLOEXEC, 0644) = 3');
});

test("read shows the buffer contents after the call, and only the address before it", () => {
  const h = setup({ stdin: "input line\n" });
  const buf = h.alloc(64);
  h.call("read", 0, buf, 64);
  assert.equal(line(h), 'read(0, "input line\\n", 64) = 11');
  assert.equal(h.linux.formatCall(h.proc, h.frame, "entry"), `read(0, 0x${buf.toString(16)}, 64)`);
});

test("long buffers are cut at 32 bytes with an ellipsis, as strace does", () => {
  const h = setup();
  const text = "a".repeat(40);
  h.call("write", 1, h.put(new TextEncoder().encode(text)), 40);
  assert.equal(line(h), `write(1, "${"a".repeat(32)}"..., 40) = 40`);
  assert.equal(quote(new Uint8Array([0, 0x31, 7, 0x41])), '"\\0001\\7A"');
});

test("mmap shows protections and map flags by name and the address in hex", () => {
  const h = setup();
  const addr = h.call("mmap", 0, 8192, 3, 0x22, -1, 0);
  assert.equal(line(h), `mmap(NULL, 8192, PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_ANONYMOUS, -1, 0) = 0x${addr.toString(16)}`);
  h.call("brk", 0);
  assert.equal(line(h), "brk(NULL) = 0x600000");
});

test("structs are decoded: fstat, clock_gettime, uname, rt_sigaction", () => {
  const h = setup();
  h.clock.ns = 3_000_000_042;
  const fd = h.call("open", h.put("/f"), 0o101, 0o600);
  h.call("write", fd, h.put(new TextEncoder().encode("abc")), 3);
  const st = h.alloc(144);
  h.call("fstat", fd, st);
  assert.equal(line(h), "fstat(3, {st_mode=S_IFREG|0600, st_size=3, ...}) = 0");
  const ts = h.alloc(16);
  h.call("clock_gettime", 1, ts);
  assert.equal(line(h), "clock_gettime(CLOCK_MONOTONIC, {tv_sec=3, tv_nsec=42}) = 0");
  h.call("uname", h.alloc(390));
  assert.equal(line(h), 'uname({sysname="Linux", nodename="hedron", ...}) = 0');
  const act = h.alloc(32);
  h.space.writeU64(act, 1);
  h.call("rt_sigaction", 13, act, 0, 8);
  assert.equal(line(h), "rt_sigaction(SIGPIPE, {sa_handler=SIG_IGN, sa_mask=[], sa_flags=0, sa_restorer=0x0}, NULL, 8) = 0");
});

test("fcntl shows its third argument only for commands that use it", () => {
  const h = setup();
  h.call("fcntl", 1, 3 /* F_GETFL */, 77);
  assert.equal(line(h), "fcntl(1, F_GETFL) = 32769");
  h.call("fcntl", 1, 1030, 10);
  assert.equal(line(h), "fcntl(1, F_DUPFD_CLOEXEC, 0xa) = 10");
});

test("writev shows its iovec array; a bad pointer is shown as an address", () => {
  const h = setup();
  const iov = h.alloc(16);
  const data = h.put(new TextEncoder().encode("hi\n"));
  h.space.writeU64(iov, data);
  h.space.writeU64(iov + 8, 3);
  h.call("writev", 1, iov, 1);
  assert.equal(line(h), 'writev(1, [{iov_base="hi\\n", iov_len=3}], 1) = 3');
  h.call("write", 1, UNMAPPED, 4);
  assert.equal(line(h), `write(1, 0x${UNMAPPED.toString(16)}, 4) = -1 EFAULT (Bad address)`);
});

test("exit_group has no result, arch_prctl names its code, unknown syscalls show raw arguments", () => {
  const h = setup();
  h.call("arch_prctl", 0x1002, 0x4c4bb8);
  assert.equal(line(h), "arch_prctl(ARCH_SET_FS, 0x4c4bb8) = 0");
  h.frame.nr = 169;
  h.linux.syscall(h.proc, h.thread, h.frame);
  assert.equal(line(h), "reboot(0x1002, 0x4c4bb8, 0x0, 0x0, 0x0, 0x0) = -1 ENOSYS (Function not implemented)");
  h.call("exit_group", 0);
  assert.equal(line(h), "exit_group(0) = ?");
});

test("every table row has a unique number and name, and buffer kinds point at a length argument", () => {
  const numbers = new Set<number>();
  const names = new Set<string>();
  for (const row of ROWS) {
    assert.ok(!numbers.has(row.nr), `number ${row.nr}`);
    assert.ok(!names.has(row.name), row.name);
    numbers.add(row.nr);
    names.add(row.name);
    assert.ok(row.args.length <= 6, row.name);
    for (const arg of row.args) {
      if (arg.kind === "inbuf" || arg.kind === "outbuf" || arg.kind === "iovec") {
        assert.ok(arg.len !== undefined && arg.len < row.args.length, `${row.name}.${arg.name}`);
      }
      if (arg.kind === "flags" || arg.kind === "enum") assert.ok(arg.set, `${row.name}.${arg.name}`);
      if (arg.kind === "struct") assert.ok(arg.struct, `${row.name}.${arg.name}`);
    }
  }
});

test("a struct's capture keeps every byte its text shows: random contents render as from the whole struct, within a page or across two", () => {
  const h = setup();
  let seed = 12345;
  const random = () => (seed = (seed * 1103515245 + 12345) >>> 0) >>> 24;
  const seen = new Set<string>();
  const room = h.alloc(512 + 8192);
  for (const row of ROWS) {
    row.args.forEach((spec, i) => {
      if (spec.kind !== "struct" || seen.has(spec.struct!)) return;
      seen.add(spec.struct!);
      for (let round = 0; round < 20; round++) {
        const bytes = Uint8Array.from({ length: 512 }, random);
        h.frame.nr = row.nr;
        for (let k = 0; k < 6; k++) setSyscallArg(h.frame, k, 0, 0);
        // Every other round the struct straddles a page boundary.
        const at = round % 2 === 0 ? room : room + 8192 - (room % 4096) - 24;
        h.space.write(at, bytes);
        setSyscallArg(h.frame, i, at, 0);
        h.frame.result = 0;
        h.frame.exited = false;
        const w = new ByteWriter();
        captureSyscall(row, h.space, h.frame, "exit", w);
        assert.ok(renderSyscall(w.finish()).args.includes(formatStruct(bytes, spec.struct!)), `${row.name} ${spec.struct}`);
      }
    });
  }
  assert.equal(seen.size, 10);
});

test("a capture renders the same text after the guest overwrote the memory it showed", () => {
  const h = setup();
  const buf = h.put(new TextEncoder().encode("before"));
  h.call("write", 1, buf, 6);
  const w = new ByteWriter();
  h.linux.capture(h.proc, h.frame, "exit", w);
  h.space.write(buf, new TextEncoder().encode("after!"));
  assert.deepEqual(renderSyscall(w.finish()), { args: '1, "before", 6', result: "6" });
  assert.equal(h.linux.formatArgs(h.proc, h.frame), '1, "after!", 6');
});
