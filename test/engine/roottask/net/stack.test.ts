// The network service's wait queues and flow control, below the Linux ABI: what the blocking mechanism builds on.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { E } from "../../../../engine/roottask/fs/errno.ts";
import { NetStack, SocketWouldBlock } from "../../../../engine/roottask/net/stack.ts";
import { AF_INET, AF_UNIX, POLLERR, POLLHUP, POLLIN, POLLOUT, SOCK_DGRAM, SOCK_STREAM, type SockAddr, type Socket } from "../../../../engine/roottask/net/socket.ts";

const loop = (port: number): SockAddr => ({ family: AF_INET, ip: "127.0.0.1", port, path: "" });

function connected(net: NetStack): { listener: Socket; client: Socket; server: Socket } {
  const listener = net.create(AF_INET, SOCK_STREAM, 0) as Socket;
  assert.equal(net.bind(listener, loop(0)), 0);
  assert.equal(net.listen(listener, 1), 0);
  const client = net.create(AF_INET, SOCK_STREAM, 0) as Socket;
  assert.equal(net.connect(client, loop(listener.local!.port), false), 0);
  const server = net.accept(listener, true) as Socket;
  return { listener, client, server };
}

describe("network service", () => {
  it("a waiter on a listener wakes when a connection lands in the backlog, once", () => {
    const net = new NetStack();
    const woken: number[] = [];
    net.onWake = (token) => woken.push(token);
    const listener = net.create(AF_INET, SOCK_STREAM, 0) as Socket;
    net.bind(listener, loop(0));
    net.listen(listener, 4);
    assert.equal(net.accept(listener, true), -E.EAGAIN);
    net.addWaiter(listener, 7, POLLIN);
    const client = net.create(AF_INET, SOCK_STREAM, 0) as Socket;
    assert.equal(net.connect(client, loop(listener.local!.port), true), -E.EINPROGRESS);
    assert.deepEqual(woken, [7]);
    assert.equal(listener.waiters.length, 0);
    net.connect(net.create(AF_INET, SOCK_STREAM, 0) as Socket, loop(listener.local!.port), false);
    assert.deepEqual(woken, [7], "a woken waiter is gone");
  });

  it("readers wake on data and on FIN; a writer blocked by a full buffer wakes when the reader drains it", () => {
    const net = new NetStack();
    const woken: number[] = [];
    net.onWake = (token) => woken.push(token);
    const { client, server } = connected(net);
    net.addWaiter(server, 1, POLLIN);
    net.send(client, new Uint8Array(10), true);
    assert.deepEqual(woken, [1]);
    let sent = 0;
    for (;;) {
      const n = net.send(client, new Uint8Array(65536), true);
      if (n < 0) { assert.equal(n, -E.EAGAIN); break; }
      sent += n;
    }
    assert.equal(net.pollMask(client) & POLLOUT, 0, "a full stream does not poll writable");
    net.addWaiter(client, 2, POLLOUT);
    net.recv(server, 4096, 0, true);
    assert.deepEqual(woken, [1, 2]);
    const short = net.send(client, new Uint8Array(1 << 20), false);
    assert.ok(short > 0 && short < 1 << 20, "a blocking send that partly fits is a short write");
    assert.throws(() => net.send(client, new Uint8Array(1), false), SocketWouldBlock, "a blocking send with no room waits");
    net.addWaiter(client, 3, POLLIN);
    net.close(server);
    assert.deepEqual(woken, [1, 2, 3], "the peer's reset wakes a reader (POLLERR/POLLHUP)");
    assert.ok(net.pollMask(client) & (POLLERR | POLLHUP));
    assert.ok(sent > 0);
  });

  it("ports: EADDRINUSE, port 0 walks the ephemeral range, and closing frees the port", () => {
    const net = new NetStack();
    const a = net.create(AF_INET, SOCK_DGRAM, 0) as Socket;
    const b = net.create(AF_INET, SOCK_DGRAM, 0) as Socket;
    assert.equal(net.bind(a, loop(5353)), 0);
    assert.equal(net.bind(b, loop(5353)), -E.EADDRINUSE);
    assert.equal(net.bind(b, { ...loop(5353), ip: "0.0.0.0" }), -E.EADDRINUSE, "a wildcard overlaps a specific address");
    net.close(a);
    assert.equal(net.bind(b, loop(5353)), 0);
    const c = net.create(AF_INET, SOCK_STREAM, 0) as Socket;
    assert.equal(net.bind(c, loop(0)), 0);
    assert.ok(c.local!.port >= 32768 && c.local!.port <= 60999);
    assert.equal(net.bind(net.create(AF_INET, SOCK_STREAM, 0) as Socket, { ...loop(80), ip: "10.0.0.1" }), -E.EADDRNOTAVAIL);
  });

  it("UNIX datagrams keep boundaries and senders; socketpair streams end with EOF after close", () => {
    const net = new NetStack();
    const [x, y] = net.pair(SOCK_STREAM) as [Socket, Socket];
    net.send(x, Uint8Array.of(1, 2, 3), false);
    net.close(x);
    const got = net.recv(y, 10, 0, false);
    assert.ok(typeof got !== "number");
    assert.deepEqual([...got.bytes], [1, 2, 3]);
    const end = net.recv(y, 10, 0, false);
    assert.ok(typeof end !== "number" && end.bytes.length === 0);
    const receiver = net.create(AF_UNIX, SOCK_DGRAM, 0) as Socket;
    net.bindUnix(receiver, "\0name", 0);
    const sender = net.create(AF_UNIX, SOCK_DGRAM, 0) as Socket;
    net.autobindUnix(sender);
    assert.equal(net.send(sender, Uint8Array.of(9), false, receiver.local, net.unixTarget("\0name", 0)), 1);
    const d = net.recv(receiver, 10, 0, false);
    assert.ok(typeof d !== "number");
    assert.equal(d.from!.path, sender.local!.path);
    assert.match(sender.local!.path, /^\0[0-9a-f]{5}$/);
  });

  it("passed files travel with their chunk: a read stops after it, a failed send holds none, a closed socket drops the rest", () => {
    const net = new NetStack();
    const dropped: number[] = [];
    net.onDropRights = (files) => dropped.push(...files);
    const [a, b] = net.pair(SOCK_STREAM) as [Socket, Socket];
    let holds = 0;
    const hold = (ids: number[]) => () => (holds++, ids);
    assert.equal(net.send(a, new TextEncoder().encode("plain "), false), 6);
    assert.equal(net.send(a, new TextEncoder().encode("with"), false, null, 0, hold([11, 12])), 4);
    assert.equal(net.send(a, new TextEncoder().encode(" after"), false, null, 0, hold([13])), 6);
    const first = net.recv(b, 100, 0, false);
    assert.ok(typeof first !== "number");
    assert.equal(new TextDecoder().decode(first.bytes), "plain with", "the read ends with the chunk that carries files");
    assert.deepEqual(first.rights, [11, 12]);
    net.shutdown(b, 1);
    assert.equal(net.send(b, new Uint8Array(1), false, null, 0, hold([99])), -E.EPIPE);
    assert.equal(holds, 2, "a send that fails takes no reference");
    net.close(b);
    assert.deepEqual(dropped, [13], "files nobody received are released with the socket");
  });
});
