import { BLOCKED } from "../../../../engine/roottask/linux/context.ts";
import assert from "node:assert/strict";
import { test } from "node:test";
import { E } from "../../../../engine/roottask/fs/errno.ts";
import { UnknownSyscallError } from "../../../../engine/roottask/linux/personality.ts";
import { setup, UNMAPPED } from "./harness.ts";

test("exit_group ends the process with the low 8 bits of its status and closes its descriptors", () => {
  const h = setup();
  assert.equal(h.frame.exited, false);
  h.call("exit_group", 300);
  assert.equal(h.frame.exited, true);
  assert.equal(h.frame.exitStatus, 44);
  assert.equal(h.proc.exited, true);
  assert.equal(h.fs.processes.has(h.proc.pid), false);
  assert.equal(h.linux.formatResult(h.frame), "?");
});

test("process ids, thread setup calls and root credentials", () => {
  const h = setup();
  assert.equal(h.call("getpid"), 7);
  assert.equal(h.call("getppid"), 1);
  assert.equal(h.call("gettid"), 7);
  assert.equal(h.call("set_tid_address", 0x1234), 7);
  assert.equal(h.thread.clearChildTid, 0x1234);
  assert.equal(h.call("set_robust_list", 0x5000, 24), 0);
  assert.equal(h.call("set_robust_list", 0x5000, 8), -E.EINVAL);
  assert.equal(h.call("getuid"), 0);
  assert.equal(h.call("geteuid"), 0);
  const ids = h.alloc(12);
  h.space.write(ids, new Uint8Array(12).fill(0xff));
  assert.equal(h.call("getresuid", ids, ids + 4, ids + 8), 0);
  assert.deepEqual([...h.bytes(ids, 12)], new Array(12).fill(0));
  assert.equal(h.call("getpgid", 0), 7);
  assert.equal(h.call("getpgid", 99), -E.ESRCH);
  assert.equal(h.call("wait4", -1, 0, 0, 0), -E.ECHILD);
  assert.equal(h.call("sched_yield"), 0);
});

test("arch_prctl sets and reads the FS base through the frame", () => {
  const h = setup();
  assert.equal(h.call("arch_prctl", 0x1002 /* ARCH_SET_FS */, 0x4c4bb8), 0);
  assert.equal(h.frame.fsBase, 0x4c4bb8);
  assert.equal(h.frame.fsBaseChanged, true);
  const out = h.alloc(8);
  assert.equal(h.call("arch_prctl", 0x1003 /* ARCH_GET_FS */, out), 0);
  assert.equal(h.frame.fsBaseChanged, false, "reset on every call");
  assert.equal(h.u64(out), 0x4c4bb8);
  assert.equal(h.call("arch_prctl", 0x1003, UNMAPPED), -E.EFAULT);
  assert.equal(h.call("arch_prctl", 0x1002, 2 ** 47), -E.EPERM);
  assert.equal(h.call("arch_prctl", 0x9999, 0), -E.EINVAL);
});

test("prlimit64/getrlimit report Linux defaults and remember new limits", () => {
  const h = setup();
  const lim = h.alloc(16);
  assert.equal(h.call("getrlimit", 3 /* RLIMIT_STACK */, lim), 0);
  assert.equal(h.u64(lim), 8 << 20);
  assert.deepEqual([...h.bytes(lim + 8, 8)], new Array(8).fill(0xff), "RLIM_INFINITY");
  const next = h.alloc(16);
  h.space.writeU64(next, 100);
  h.space.writeU64(next + 8, 200);
  assert.equal(h.call("prlimit64", 0, 7 /* NOFILE */, next, lim), 0);
  assert.equal(h.u64(lim), 1024);
  assert.equal(h.call("prlimit64", 0, 7, 0, lim), 0);
  assert.equal(h.u64(lim), 100);
  assert.equal(h.u64(lim + 8), 200);
  h.space.writeU64(next, 300);
  assert.equal(h.call("prlimit64", 0, 7, next, 0), -E.EINVAL, "soft above hard");
  assert.equal(h.call("prlimit64", 99, 7, 0, lim), -E.ESRCH);
  assert.equal(h.call("getrlimit", 16, lim), -E.EINVAL);
});

test("sched_getaffinity reports the virtual CPUs", () => {
  const h = setup();
  const mask = h.alloc(16);
  assert.equal(h.call("sched_getaffinity", 0, 16, mask), 8);
  assert.equal(h.bytes(mask, 1)[0], 1);
  assert.equal(h.call("sched_getaffinity", 0, 4, mask), -E.EINVAL);
});

test("clocks read virtual time; a sleep blocks until its virtual deadline; bad arguments give EINVAL", () => {
  const h = setup();
  h.clock.ns = 12_345_678_901;
  const ts = h.alloc(16);
  assert.equal(h.call("clock_gettime", 1 /* MONOTONIC */, ts), 0);
  assert.equal(h.u64(ts), 12);
  assert.equal(h.u64(ts + 8), 345_678_901);
  assert.equal(h.call("clock_gettime", 0, ts), 0);
  assert.equal(h.call("clock_gettime", 99, ts), -E.EINVAL);
  assert.equal(h.call("clock_gettime", 0, UNMAPPED), -E.EFAULT);
  const tv = h.alloc(16);
  assert.equal(h.call("gettimeofday", tv, 0), 0);
  assert.equal(h.u64(tv + 8), 345_678);
  assert.equal(h.call("time", 0), 12);
  assert.equal(h.call("clock_getres", 1, ts), 0);
  assert.equal(h.u64(ts + 8), 1);
  const req = h.alloc(16);
  h.space.writeU64(req, 5);
  assert.equal(h.call("nanosleep", req, 0), BLOCKED);
  assert.equal(h.thread.blocked?.deadlineNs, 12_345_678_901 + 5e9, "the reply is withheld until the deadline");
  assert.equal(h.host.nowNs(), 12_345_678_901, "blocking does not advance the clock by itself");
  h.thread.blocked = null;
  h.space.writeU64(req + 8, 2_000_000_000);
  assert.equal(h.call("nanosleep", req, 0), -E.EINVAL);
  assert.equal(h.call("clock_nanosleep", 1, 0, req, 0), -E.EINVAL);
});

test("uname names Linux on x86_64 in six 65-byte fields; getrandom uses the seeded host PRNG", () => {
  const h = setup();
  const u = h.alloc(390);
  assert.equal(h.call("uname", u), 0);
  const field = (i: number) => {
    const raw = h.bytes(u + i * 65, 65);
    return new TextDecoder().decode(raw.subarray(0, raw.indexOf(0)));
  };
  assert.equal(field(0), "Linux");
  assert.equal(field(2), "6.1.0-hedron-lab");
  assert.equal(field(4), "x86_64");
  const buf = h.alloc(8);
  assert.equal(h.call("getrandom", buf, 4, 0), 4);
  assert.deepEqual([...h.bytes(buf, 4)], [11, 84, 157, 230]);
  assert.equal(h.call("getrandom", buf, 4, 8), -E.EINVAL);
  const si = h.alloc(112);
  assert.equal(h.call("sysinfo", si), 0);
  assert.equal(h.u64(si + 32), 64 * 1024 * 1024);
});

test("rt_sigaction records a disposition and returns the old one", () => {
  const h = setup();
  const act = h.alloc(32);
  h.space.writeU64(act, 0x401000);
  h.space.writeU64(act + 8, 0x04000000);
  h.space.writeU64(act + 16, 0x401500);
  h.space.writeU64(act + 24, 1 << 1);
  const old = h.alloc(32);
  assert.equal(h.call("rt_sigaction", 2 /* SIGINT */, act, old, 8), 0);
  assert.equal(h.u64(old), 0, "SIG_DFL before");
  assert.equal(h.call("rt_sigaction", 2, 0, old, 8), 0);
  assert.equal(h.u64(old), 0x401000);
  assert.equal(h.u64(old + 16), 0x401500);
  assert.equal(h.call("rt_sigaction", 9 /* SIGKILL */, act, 0, 8), -E.EINVAL);
  assert.equal(h.call("rt_sigaction", 65, 0, old, 8), -E.EINVAL);
  assert.equal(h.call("rt_sigaction", 2, 0, old, 16), -E.EINVAL);
});

test("rt_sigprocmask blocks, unblocks and sets, but never masks SIGKILL or SIGSTOP", () => {
  const h = setup();
  const set = h.alloc(8), old = h.alloc(8);
  h.space.write(set, new Uint8Array(8).fill(0xff));
  assert.equal(h.call("rt_sigprocmask", 0 /* BLOCK */, set, old, 8), 0);
  assert.equal(h.u64(old), 0);
  assert.equal(h.thread.sigmaskLo, (0xffffffff & ~(1 << 8) & ~(1 << 18)) >>> 0);
  h.space.writeU64(set, 1 << 1);
  assert.equal(h.call("rt_sigprocmask", 1 /* UNBLOCK */, set, 0, 8), 0);
  assert.equal(h.thread.sigmaskLo & 2, 0);
  assert.equal(h.call("rt_sigprocmask", 2 /* SETMASK */, set, old, 8), 0);
  assert.equal(h.thread.sigmaskLo, 2);
  assert.equal(h.call("rt_sigprocmask", 7, set, 0, 8), -E.EINVAL);
});

test("sigaltstack records the alternate stack and reports SS_DISABLE before one is set", () => {
  const h = setup();
  const ss = h.alloc(24), old = h.alloc(24);
  assert.equal(h.call("sigaltstack", 0, old), 0);
  assert.equal(h.u32(old + 8), 2);
  h.space.writeU64(ss, 0x700000);
  h.space.writeU64(ss + 16, 8192);
  assert.equal(h.call("sigaltstack", ss, 0), 0);
  assert.equal(h.call("sigaltstack", 0, old), 0);
  assert.equal(h.u64(old), 0x700000);
  assert.equal(h.u64(old + 16), 8192);
  h.space.writeU64(ss + 16, 100);
  assert.equal(h.call("sigaltstack", ss, 0), -E.ENOMEM);
});

test("a signal to itself with the default action kills the process (abort → 128 + SIGABRT)", () => {
  const h = setup();
  assert.equal(h.call("tgkill", 7, 7, 0), 0, "signal 0 only checks");
  assert.equal(h.call("kill", 7, 17 /* SIGCHLD: ignored by default */), 0);
  assert.equal(h.frame.exited, false);
  assert.equal(h.call("tgkill", 7, 8, 6), -E.ESRCH);
  h.call("tgkill", 7, 7, 6 /* SIGABRT */);
  assert.equal(h.frame.exited, true);
  assert.equal(h.frame.exitStatus, 134);
  assert.equal(h.proc.killedBy, 6);
});

test("a blocked or handled signal is left pending instead of killing", () => {
  const h = setup();
  const set = h.alloc(8);
  h.space.writeU64(set, 1 << 14); // SIGTERM
  h.call("rt_sigprocmask", 0, set, 0, 8);
  assert.equal(h.call("kill", 0, 15), 0);
  assert.equal(h.frame.exited, false);
  assert.deepEqual(h.thread.pending.map((p) => p.sig), [15]);
  const pend = h.alloc(8);
  assert.equal(h.call("rt_sigpending", pend, 8), 0);
  assert.equal(h.u64(pend), 1 << 14);
  const act = h.alloc(32);
  h.space.writeU64(act, 0x401000);
  h.call("rt_sigaction", 10 /* SIGUSR1 */, act, 0, 8);
  h.call("kill", 7, 10);
  assert.equal(h.frame.exited, false, "a handled signal waits for delivery");
  assert.deepEqual(h.thread.pending.map((p) => p.sig), [15, 10]);
  h.space.writeU64(set, 0);
  h.call("rt_sigprocmask", 2 /* SETMASK */, set, 0, 8);
  assert.equal(h.frame.exited, true, "unblocking a pending fatal signal kills, as musl's abort() relies on");
  assert.equal(h.frame.exitStatus, 128 + 15);
});

test("setting a pending signal to SIG_IGN discards it", () => {
  const h = setup();
  const set = h.alloc(8);
  h.space.writeU64(set, 1 << 0); // SIGHUP
  h.call("rt_sigprocmask", 0, set, 0, 8);
  h.call("kill", 7, 1);
  const ign = h.alloc(32);
  h.space.writeU64(ign, 1);
  h.call("rt_sigaction", 1, ign, 0, 8);
  assert.deepEqual(h.thread.pending, []);
  h.call("rt_sigprocmask", 1, set, 0, 8);
  assert.equal(h.frame.exited, false);
});

test("an unknown syscall returns ENOSYS and is counted by number and name", () => {
  const h = setup();
  h.frame.nr = 169; // clone
  h.linux.syscall(h.proc, h.thread, h.frame);
  h.linux.syscall(h.proc, h.thread, h.frame);
  assert.equal(h.frame.result, -E.ENOSYS);
  assert.deepEqual(h.linux.unknown.get(169), { name: "reboot", count: 2 });
  assert.equal(h.linux.describe(169), undefined);
  assert.equal(h.linux.describe(1)?.name, "write");
});

test("in strict mode an unknown syscall throws a typed error naming it", () => {
  const h = setup({ strict: true });
  h.frame.nr = 169;
  assert.throws(() => h.linux.syscall(h.proc, h.thread, h.frame), (e: unknown) => {
    assert.ok(e instanceof UnknownSyscallError);
    assert.equal(e.nr, 169);
    assert.equal(e.syscallName, "reboot");
    return true;
  });
  assert.deepEqual(h.linux.unknown.get(169), { name: "reboot", count: 1 });
});

test("prctl sets and reads the thread name, starting from the executable's name", () => {
  const h = setup();
  const buf = h.alloc(16);
  assert.equal(h.call("prctl", 16 /* PR_GET_NAME */, buf), 0);
  assert.equal(h.text(buf, 5), "prog\0");
  assert.equal(h.call("prctl", 15 /* PR_SET_NAME */, h.put("a-very-long-thread-name")), 0);
  h.call("prctl", 16, buf);
  assert.equal(h.text(buf, 16), "a-very-long-thr\0");
  assert.equal(h.call("prctl", 12345, 0), -E.EINVAL);
});
