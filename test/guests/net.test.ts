// Sockets in the lab against Linux itself: the net guests print the same facts natively and in the lab (TCP, UDP, IPv6,
// UNIX, options, non-blocking, FIN/RST, forked peers, epoll); what only the lab does (no way out) is pinned too.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import path from "node:path";
import { describe, it } from "node:test";
import { canRunNatively, GUEST_BIN, runGuestInLab, runLab, runNative } from "../helpers/run.ts";
import { dosToolsMissing, makeImage, tempDir, writeTree } from "../engine/roottask/fat/images.ts";

const ENV = { PATH: "/bin" };

describe("sockets: lab output equals native output", { skip: canRunNatively ? false : "needs an x86-64 Linux host for the native reference" }, () => {
  // net-loopback: one process; net-fork: TCP echo with a 3 MiB transfer, FIN, RST, UDP, socketpair, UNIX names,
  // non-blocking connect between forked processes; net-epoll: an epoll server with 20 forked clients. Ports and pids
  // differ between hosts, so the guests print only facts about them (in range, equal to the peer's view).
  for (const guest of ["net-loopback", "net-fork", "net-epoll"]) {
    for (const variant of ["", "-O0", "-glibc"]) {
      it(`${guest}${variant}`, () => {
        const elf = path.join(GUEST_BIN, `${guest}${variant}`);
        const native = runNative(elf, [], ENV);
        const lab = runGuestInLab(elf, [], ENV);
        assert.equal(lab.stdout.toString("latin1"), native.stdout.toString("latin1"), "stdout differs");
        assert.equal(lab.stderr.toString("latin1"), native.stderr.toString("latin1"), "stderr differs");
        assert.equal(lab.status, native.status, "exit status differs");
      });
    }
  }
});

/** A TCP port free on the host now (the native run needs one; the lab's loopback is its own, so any port serves it). */
async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/**
 * busybox scripts over the loopback. A server started in the background may not listen yet when the client starts
 * natively, so clients retry quietly until they connect; the port never reaches the output. `wait` of a killed job is
 * told 2>/dev/null because ash prints "Terminated" only when the job dies while wait blocks (a host timing race).
 */
const busyboxNetScripts: [string, string][] = [
  // nc's input comes from files, not `echo |`: nc reads stdin before the socket in each select round, and a file is
  // readable at once, so its bytes always leave before the peer's FIN can end it (natively, an echo still on its way
  // through a pipe once lost the race under load, and the request never reached the server).
  ["nc -l and nc: one way, both ways, refused", [
    "echo 'hello over nc' > hello.txt; echo request > request.txt; echo reply > reply.txt",
    "busybox nc -l -p $PORT > got.txt & pid=$!",
    "n=0; until nc 127.0.0.1 $PORT < hello.txt 2>/dev/null; do n=$((n+1)); [ $n -gt 100 ] && break; sleep 0.05; done",
    "wait $pid; echo \"nc -l: $?\"; cat got.txt",
    "nc -l -p $PORT < reply.txt > got2.txt & pid=$!",
    "n=0; until nc 127.0.0.1 $PORT < request.txt > answer.txt 2>/dev/null; do n=$((n+1)); [ $n -gt 100 ] && break; sleep 0.05; done",
    "wait $pid; cat got2.txt answer.txt",
    "nc 127.0.0.1 $PORT < /dev/null; echo \"nc to nobody: $?\"",
  ].join("\n")],
  ["httpd serves a page and a 400 kB file (sendfile) that wget fetches; a 404; response headers", [
    "mkdir www; head -c 400000 /bin/busybox > www/big.bin; echo '<h1>hello</h1>' > www/index.html",
    "busybox httpd -f -p 127.0.0.1:$PORT -h www & pid=$!",
    "n=0; until wget -q -O index.out http://127.0.0.1:$PORT/ 2>/dev/null; do n=$((n+1)); [ $n -gt 100 ] && break; sleep 0.05; done",
    "cat index.out",
    "wget -q -O big.out http://127.0.0.1:$PORT/big.bin; echo \"wget big: $?\"",
    "md5sum www/big.bin big.out | sed 's/ .*\\// /'; wc -c < big.out",
    "wget -O missing.out http://127.0.0.1:$PORT/nope.txt 2>wget.err; echo \"wget missing: $?\"; sed \"s/$PORT/PORT/g\" wget.err",
    "wget -q -O - http://127.0.0.1:$PORT/big.bin | tail -c 5000 | md5sum",
    // Date, Last-Modified and ETag carry the host's wall clock.
    "wget -q -S -O /dev/null http://127.0.0.1:$PORT/index.html 2>&1 | grep -v 'Date:\\|Last-Modified:\\|ETag:' | sed \"s/$PORT/PORT/g\"",
    "kill $pid; wait $pid 2>/dev/null; echo \"httpd: $?\"",
  ].join("\n")],
];

describe("busybox nc, httpd and wget over the loopback: lab equals native", { skip: !fs.existsSync("/bin/busybox") ? "busybox-static is not installed" : canRunNatively ? false : "needs an x86-64 Linux host for the native reference" }, () => {
  for (const [name, script] of busyboxNetScripts) {
    it(name, async () => {
      const env = { ...ENV, PORT: String(await freePort()) };
      const native = runNative("/bin/busybox", ["sh", "-c", script], env);
      const lab = runGuestInLab("/bin/busybox", ["sh", "-c", script], env);
      assert.equal(lab.stdout.toString("latin1"), native.stdout.toString("latin1"), "stdout differs");
      assert.equal(lab.stderr.toString("latin1"), native.stderr.toString("latin1"), "stderr differs");
      assert.equal(lab.status, native.status, "exit status differs");
    });
  }
});

/** A boot config in a fresh folder: `modules` as [name, ELF, argv...]. */
function bootFile(modules: [string, string, ...string[]][]): string {
  const file = path.join(tempDir("net-boot"), "boot.json");
  fs.writeFileSync(file, JSON.stringify(modules.map(([name, elf, ...argv]) => ({ name, path: path.join(GUEST_BIN, elf), argv: [elf, ...argv] }))));
  return file;
}

/** net-pair natively: the server in the background, the client beside it; the server's stderr once it exited. */
async function nativePair(port: number, count: number): Promise<{ client: string; server: string; status: number | null }> {
  const elf = path.join(GUEST_BIN, "net-pair");
  const server = spawn(elf, ["server", String(port), String(count)], { env: ENV, stdio: ["ignore", "ignore", "pipe"] });
  let serverErr = "";
  server.stderr.on("data", (d: Buffer) => { serverErr += d.toString("latin1"); });
  const done = new Promise<void>((resolve) => server.on("close", () => resolve()));
  const client = await new Promise<{ out: string; status: number | null }>((resolve) => {
    const c = spawn(elf, ["client", String(port), String(count)], { env: ENV, stdio: ["ignore", "pipe", "inherit"] });
    let out = "";
    c.stdout.on("data", (d: Buffer) => { out += d.toString("latin1"); });
    c.on("close", (status) => resolve({ out, status }));
  });
  await done;
  return { client: client.out, server: serverErr, status: client.status };
}

describe("two apps side by side from one boot file", { skip: canRunNatively ? false : "needs an x86-64 Linux host for the native reference" }, () => {
  it("a Linux server and a Linux client talk TCP over the lab's loopback, as two processes do natively", async () => {
    const native = await nativePair(await freePort(), 3);
    for (const order of ["server first", "client first"]) {
      const modules: [string, string, ...string[]][] = [["server", "net-pair", "server", "7000", "3"], ["client", "net-pair", "client", "7000", "3"]];
      const lab = runLab(["run", "--clear-env", "--boot", bootFile(order === "server first" ? modules : modules.reverse())]);
      assert.equal(lab.stdout.toString("latin1"), native.client, `${order}: the client's stdout differs`);
      assert.equal(lab.stderr.toString("latin1"), native.server, `${order}: the server's stderr differs`);
      assert.equal(lab.status, native.status);
    }
  });

  it("a native Hedron echo server (blocking accept and receive through hrstd) serves the Linux client", async () => {
    const native = await nativePair(await freePort(), 3);
    const lab = runLab(["run", "--clear-env", "--boot", bootFile([["echo", "native-net-echo", "serve", "7000", "3"], ["client", "net-pair", "client", "7000", "3"]])]);
    assert.equal(lab.status, 0, lab.stderr.toString());
    const lines = lab.stdout.toString("latin1").split("\n");
    assert.equal(lines.filter((l) => l.startsWith("client:")).map((l) => `${l}\n`).join(""), native.client);
    const echoed = native.server.split("\n").filter((l) => l.includes("echoed")).map((l) => `[STDOUT PID=1] ${l.replace("server: ", "")}`);
    assert.deepEqual(lines.filter((l) => l.startsWith("[STDOUT PID=1]")), ["[STDOUT PID=1] native echo server: bind ok, listen 0", ...echoed]);
  });

  it("a native app's accept that nobody could ever satisfy ends the run with one deadlock line", () => {
    const lab = runLab(["run", path.join(GUEST_BIN, "native-net-echo"), "serve", "7000", "1"]);
    assert.equal(lab.stdout.toString(), "[STDOUT PID=1] native echo server: bind ok, listen 0\n");
    assert.equal(lab.stderr.toString(), "hedron-lab: deadlock: process(es) 1 'native-net-echo' in net accept blocked with nothing left to run\n");
    assert.equal(lab.status, 1);
  });
});

describe("sockets: the lab's own rules", () => {
  it("no traffic leaves the lab: every address off the loopback is unreachable", () => {
    const lab = runGuestInLab(path.join(GUEST_BIN, "net-blocking"), ["unreachable"], ENV);
    assert.equal(lab.status, 0);
    const lines = lab.stdout.toString().trim().split("\n");
    assert.equal(lines.length, 9);
    for (const line of lines) assert.match(line, /^(connect|sendto) .*: Network unreachable$|^bind .*: Address not available$/);
  });

  for (const call of ["accept", "recv"]) {
    it(`a blocking ${call} nothing could ever satisfy ends the run with one line naming the call`, () => {
      const lab = runGuestInLab(path.join(GUEST_BIN, "net-blocking"), [call], ENV);
      assert.equal(lab.stdout.toString(), `waiting in ${call}\n`);
      const name = call === "recv" ? "recvfrom" : call;
      assert.equal(lab.stderr.toString(), `hedron-lab: deadlock: process(es) 1000 'net-blocking' in ${name} blocked with nothing left to run\n`);
      assert.notEqual(lab.status, 0);
    });
  }
});

describe("the native SDK path: hrstd's network client and the file service on the FAT disk", { skip: dosToolsMissing }, () => {
  it("a native app listens, connects, accepts, echoes 8 KiB and reads /disk through the same services", () => {
    const dir = tempDir("net-native");
    writeTree(`${dir}/tree`);
    makeImage(`${dir}/disk.img`, 16, 8 * 1024, `${dir}/tree`);
    const lab = runLab(["run", "--disk", `${dir}/disk.img`, path.join(GUEST_BIN, "native-net-echo")]);
    assert.equal(lab.status, 0, lab.stderr.toString());
    assert.equal(lab.stdout.toString(), [
      "listen: 0 (ephemeral port: yes)", "connect: 0", "accept: a new fd", "send 8192 bytes: 8192", "server echoed 8192 bytes",
      "client received 8192 bytes: identical", "after the client closed, the server receives 0",
      "connect to an unreachable address: -101", "read from the FAT disk: hello from a FAT volume",
    ].map((line) => `[STDOUT PID=1] ${line}\n`).join(""));
  });
});
