// Processes, pipes and waits: Debian's busybox-static shell scripts and a C guest that forks, pipes, signals and
// re-executes itself run natively and in the lab with byte-identical stdout, stderr and exit status.
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { describe, it } from "node:test";
import { canRunNatively, GUEST_BIN, runGuestInLab, runLab, runNative } from "../helpers/run.ts";

const BUSYBOX = "/bin/busybox";
const ENV = { LC_ALL: "C", PATH: "/bin" };
const skip = !canRunNatively ? "needs an x86-64 Linux host for the native reference" : false;
const skipBusybox = !fs.existsSync(BUSYBOX) ? "busybox-static is not installed (apt-get install busybox-static)" : skip;

function same(lab: ReturnType<typeof runNative>, native: ReturnType<typeof runNative>): void {
  assert.equal(lab.stderr.toString("latin1"), native.stderr.toString("latin1"), "stderr differs");
  assert.equal(lab.stdout.toString("latin1"), native.stdout.toString("latin1"), "stdout differs");
  assert.equal(lab.status, native.status, "exit status differs");
}

/** Scripts for `busybox sh -c`; each runs in a fresh, empty working directory on both sides. */
const scripts: [string, string][] = [
  ["pipelines and exit statuses", "echo hi | cat; printf 'b\\na\\nc\\n' | sort | uniq -c | tr a-z A-Z; false | true; echo $?; true | false; echo $?"],
  ["redirections", "echo one > f; echo two >> f; cat < f; cat f nope 2>err >out; echo st $?; cat out err; exec 3>g; echo via3 >&3; exec 3>&-; cat g"],
  ["loops, functions and subshells", "f() { echo \"f $1\"; return $2; }; for i in 1 2 3; do f $i $i; echo \"-> $?\"; done; i=0; while [ $i -lt 3 ]; do i=$((i+1)); done; echo $i; (cd /; pwd; exit 4); echo \"sub $?\"; cd .. && cd - >/dev/null; echo back"],
  ["command substitution and here-documents", "x=$(echo inner $(echo nested)); echo \"[$x]\"; n=$(seq 1 100 | wc -l); echo $n; cat <<END\nline $n\nEND"],
  ["xargs and find over a tree the script made", "mkdir -p t/a/b t/c; echo x > t/a/f; echo yy > t/a/b/g; touch t/c/h; find t | sort; find t -type f | sort | xargs wc -c; echo 1 2 3 4 | xargs -n 2 echo pair"],
  ["tar c | tar t and ls -lnR", "mkdir -p d/e; echo data > d/e/file; echo more > d/top; tar cf - d | tar tf - | sort; ls -lnR d | sed 's/ [A-Z][a-z][a-z] [ 0-9][0-9] [0-9:]* / DATE /'"],
  ["background jobs, wait and kill", "sleep 0 & wait $!; echo waited $?; (exit 7) & wait $!; echo bg $?; sh -c 'kill -TERM $$'; echo killed $?"],
  ["a failing command's status is the script's", "echo before; ls /no/such/dir; exit 3"],
];

describe("busybox sh: lab equals native", { skip: skipBusybox }, () => {
  for (const [name, script] of scripts) {
    it(name, () => {
      same(runGuestInLab(BUSYBOX, ["sh", "-c", script], ENV), runNative(BUSYBOX, ["sh", "-c", script], ENV));
    });
  }
});

describe("processes guest: fork 50 children, pipes, SIGPIPE, SIGCHLD, kill, groups, execve /proc/self/exe", { skip }, () => {
  for (const variant of ["procs", "procs-glibc"]) {
    it(variant, () => {
      const elf = path.join(GUEST_BIN, variant);
      same(runGuestInLab(elf, [], ENV), runNative(elf, [], ENV));
    });
  }
});

describe("process limits", () => {
  it("a fork bomb gets EAGAIN at --max-procs and the lab keeps running", { skip: skipBusybox }, () => {
    const script = "i=0; while [ $i -lt 12 ]; do sleep 1 & i=$((i+1)); done; echo done";
    const lab = runLab(["run", "--clear-env", "--max-procs", "6", BUSYBOX, "sh", "-c", script]);
    assert.match(lab.stderr.toString(), /can't fork/);
    assert.equal(lab.status, 2);
  });

  it("the first process has the pid --pid names", { skip: skipBusybox }, () => {
    const lab = runLab(["run", "--clear-env", "--pid", "4321", BUSYBOX, "sh", "-c", "echo $$ $PPID"]);
    assert.equal(lab.stdout.toString(), "4321 1\n");
  });
});
