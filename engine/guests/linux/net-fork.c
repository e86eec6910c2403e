// Sockets between forked processes, as Linux shows them: a TCP echo with a large transfer (blocking sends under flow
// control), FIN and RST, ECONNREFUSED, UDP and connected UDP, socketpair, UNIX path and abstract names, a non-blocking
// connect with poll and SO_ERROR, EADDRINUSE and port 0, getsockname/getpeername, SCM_RIGHTS. Children report to the parent, which
// alone prints, and prints only host-independent facts (never a port number or a pid).
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>
#define LABEL_WIDTH 48
#include "net-guest.h"

#define FACT(label, cond) printf("%-*s %s\n", LABEL_WIDTH, label, (cond) ? "yes" : "no")

static int peer_port_of(int fd) {
  struct sockaddr_in a;
  socklen_t len = sizeof a;
  if (getpeername(fd, (struct sockaddr *)&a, &len) < 0) return -1;
  return ntohs(a.sin_port);
}

static int tcp_connect(int port) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in a = v4(port);
  if (connect(fd, (struct sockaddr *)&a, sizeof a) < 0) { close(fd); return -1; }
  return fd;
}

/** The byte at offset i of the large transfer (a pattern that catches reordering and loss). */
static char pattern(long i) {
  return (char)((i * 7 + (i >> 9)) & 0xff);
}

static int reap(pid_t pid) {
  int status = 0;
  waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

#define BIG (3L << 20)

/** The child's side of the TCP test: each step's verdict is a byte sent back, or the exit status. */
static int tcp_child(int port) {
  int c = tcp_connect(port);
  if (c < 0) return 10;
  char buf[4096];
  // Ping-pong: 64 messages of growing size, each echoed back whole before the next.
  for (int i = 1; i <= 64; i++) {
    int n = i * 61;
    for (int j = 0; j < n; j++) buf[j] = (char)(i + j);
    if (write_all(c, buf, n) != n) return 11;
    char back[4096];
    if (read_full(c, back, n) != n || memcmp(buf, back, n) != 0) return 12;
  }
  // The large transfer: more than both buffers hold, so the sends block until the parent drains.
  static char big[BIG];
  for (long i = 0; i < BIG; i++) big[i] = pattern(i);
  if (write_all(c, big, BIG) != BIG) return 13;
  // Half-close: the parent sees end of stream and may still answer.
  if (shutdown(c, SHUT_WR) < 0) return 14;
  long n = read_full(c, buf, 4);
  if (n != 4 || memcmp(buf, "bye!", 4) != 0) return 15;
  if (read(c, buf, 1) != 0) return 16;
  close(c);
  // RST: send bytes the parent never reads; its close resets the connection.
  c = tcp_connect(port);
  if (write(c, "unread", 6) != 6) return 17;
  long r = recv(c, buf, sizeof buf, 0);
  int reset = r < 0 && errno == ECONNRESET;
  r = recv(c, buf, sizeof buf, 0);
  int eof_after = r == 0;
  r = send(c, "x", 1, MSG_NOSIGNAL);
  int epipe = r < 0 && errno == EPIPE;
  close(c);
  return reset && eof_after && epipe ? 0 : 18;
}

static void tcp_echo(void) {
  puts("== TCP echo between two processes");
  int lis = tcp_listener(4);
  int port = port_of(lis);
  pid_t pid = fork();
  if (pid == 0) { close(lis); _exit(tcp_child(port)); }
  struct sockaddr_in peer;
  socklen_t plen = sizeof peer;
  int s = accept(lis, (struct sockaddr *)&peer, &plen);
  SHOW("accept the child's connection", s);
  FACT("accept's address = getpeername", peer_port_of(s) == ntohs(peer.sin_port));
  FACT("the connection's local port = the listener's", port_of(s) == port);
  char buf[65536];
  long echoed = 0;
  for (int i = 1; i <= 64; i++) {
    int n = i * 61;
    if (read_full(s, buf, n) != n) break;
    if (write_all(s, buf, n) != n) break;
    echoed += n;
  }
  SHOWN("bytes echoed in 64 round trips", echoed);
  long got = 0, bad = 0, reads = 0;
  for (;;) {
    long n = read(s, buf, sizeof buf);
    if (n <= 0) { SHOWN("the read that ends the stream", n); break; }
    for (long j = 0; j < n; j++) bad += buf[j] != pattern(got + j);
    got += n;
    reads++;
  }
  SHOWN("bytes of the large transfer", got);
  FACT("every byte arrived, in order", bad == 0);
  FACT("it took more than one read", reads > 1);
  SHOWN("write after the child's FIN", write(s, "bye!", 4));
  close(s);
  s = accept(lis, NULL, NULL);
  struct pollfd p = {s, POLLIN, 0};
  SHOWN("the unread bytes poll readable", poll(&p, 1, 10000));
  close(s);
  SHOWN("child: echo, large transfer, FIN, RST (0 = all as expected)", reap(pid));
  close(lis);
  SHOW("connect to the closed listener's port", tcp_connect(port));
}

static void udp(void) {
  puts("== UDP between two processes");
  int srv = socket(AF_INET, SOCK_DGRAM, 0);
  struct sockaddr_in a = v4(0);
  bind(srv, (struct sockaddr *)&a, sizeof a);
  int port = port_of(srv);
  int ready[2], done[2];
  pipe(ready);
  pipe(done);
  pid_t pid = fork();
  if (pid == 0) {
    close(srv);
    int c = socket(AF_INET, SOCK_DGRAM, 0);
    struct sockaddr_in to = v4(port);
    char buf[2048];
    int ok = sendto(c, "ping", 4, 0, (struct sockaddr *)&to, sizeof to) == 4;
    struct sockaddr_in from;
    socklen_t flen = sizeof from;
    ok = ok && recvfrom(c, buf, sizeof buf, 0, (struct sockaddr *)&from, &flen) == 4 && memcmp(buf, "pong", 4) == 0;
    ok = ok && ntohs(from.sin_port) == port;
    // Connected UDP: only the peer's datagrams arrive; send without an address.
    ok = ok && connect(c, (struct sockaddr *)&to, sizeof to) == 0;
    ok = ok && send(c, "conn", 4, 0) == 4;
    ok = ok && recv(c, buf, sizeof buf, 0) == 6 && memcmp(buf, "second", 6) == 0;
    write(ready[1], "r", 1);
    // The parent closes its socket: the next send draws ICMP port unreachable, reported on the following call.
    char d;
    read(done[0], &d, 1);
    ok = ok && send(c, "gone", 4, 0) == 4;
    long r = recv(c, buf, sizeof buf, 0);
    ok = ok && r < 0 && errno == ECONNREFUSED;
    _exit(ok ? 0 : 1);
  }
  char buf[2048];
  struct sockaddr_in from;
  socklen_t flen = sizeof from;
  SHOWN("recvfrom the child", recvfrom(srv, buf, sizeof buf, 0, (struct sockaddr *)&from, &flen));
  FACT("sender is 127.0.0.1 with a port", from.sin_addr.s_addr == htonl(INADDR_LOOPBACK) && from.sin_port != 0);
  SHOWN("sendto the sender's address", sendto(srv, "pong", 4, 0, (struct sockaddr *)&from, flen));
  SHOWN("recv the connected child's datagram", recv(srv, buf, sizeof buf, 0));
  int other = socket(AF_INET, SOCK_DGRAM, 0);
  SHOWN("a stranger's datagram to the connected child", sendto(other, "first", 5, 0, (struct sockaddr *)&from, flen));
  SHOWN("the peer's datagram to it", sendto(srv, "second", 6, 0, (struct sockaddr *)&from, flen));
  char r;
  read(ready[0], &r, 1);
  close(srv);
  close(other);
  write(done[1], "d", 1);
  SHOWN("child: round trip, connected UDP, ICMP refusal (0 = ok)", reap(pid));
  close(ready[0]); close(ready[1]); close(done[0]); close(done[1]);
}

static void pairs(void) {
  puts("== socketpair across fork");
  int sv[2];
  SHOW("socketpair(SOCK_STREAM)", socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
  pid_t pid = fork();
  if (pid == 0) {
    close(sv[0]);
    char buf[64];
    long n = read(sv[1], buf, sizeof buf);
    for (long i = 0; i < n; i++) buf[i] = buf[i] >= 'a' && buf[i] <= 'z' ? buf[i] - 32 : buf[i];
    write(sv[1], buf, n);
    _exit(0);
  }
  close(sv[1]);
  char buf[64] = {0};
  write(sv[0], "shout this", 10);
  SHOWN("read the child's answer", read(sv[0], buf, sizeof buf));
  printf("%-48s %s\n", "answer", buf);
  SHOWN("read after the child exited", read(sv[0], buf, sizeof buf));
  reap(pid);
  close(sv[0]);
  SHOW("socketpair(SOCK_DGRAM)", socketpair(AF_UNIX, SOCK_DGRAM, 0, sv));
  pid = fork();
  if (pid == 0) {
    close(sv[0]);
    write(sv[1], "one", 3);
    write(sv[1], "two!", 4);
    write(sv[1], "", 0);
    write(sv[1], "three", 5);
    _exit(0);
  }
  close(sv[1]);
  reap(pid);
  for (int i = 0; i < 4; i++) SHOWN("a datagram keeps its boundary", recv(sv[0], buf, sizeof buf, 0));
  SHOW("then nothing (non-blocking)", recv(sv[0], buf, sizeof buf, MSG_DONTWAIT));
  struct pollfd p = {sv[0], POLLIN | POLLOUT, 0};
  poll(&p, 1, 0);
  printf("%-48s %#x\n", "poll with the peer gone", p.revents);
  SHOW("send to the closed peer", send(sv[0], "x", 1, 0));
  SHOW("send again", send(sv[0], "x", 1, 0));
  close(sv[0]);
}

/** A UNIX stream server at `addr` (len bytes) answering one client by forking; prints what each side sees. */
static void unix_server(const char *title, struct sockaddr_un *addr, socklen_t len) {
  int lis = socket(AF_UNIX, SOCK_STREAM, 0);
  SHOW(title, bind(lis, (struct sockaddr *)addr, len));
  listen(lis, 2);
  pid_t pid = fork();
  if (pid == 0) {
    close(lis);
    int c = socket(AF_UNIX, SOCK_STREAM, 0);
    if (connect(c, (struct sockaddr *)addr, len) < 0) _exit(1);
    struct sockaddr_un peer;
    socklen_t plen = sizeof peer;
    getpeername(c, (struct sockaddr *)&peer, &plen);
    int same = plen == len && memcmp(&peer, addr, len) == 0;
    write(c, same ? "peer name matches" : "peer name differs", 17);
    _exit(0);
  }
  struct sockaddr_un from;
  socklen_t flen = sizeof from;
  int s = accept(lis, (struct sockaddr *)&from, &flen);
  SHOWN("accept: the client is unnamed (address length)", s < 0 ? s : (long)flen);
  char buf[64] = {0};
  SHOWN("read", read(s, buf, sizeof buf));
  printf("%-48s %s\n", "the child says", buf);
  struct sockaddr_un name;
  socklen_t nlen = sizeof name;
  getsockname(s, (struct sockaddr *)&name, &nlen);
  FACT("the accepted socket's name = the listener's", nlen == len && memcmp(&name, addr, len) == 0);
  SHOWN("read after the child exited", read(s, buf, sizeof buf));
  SHOWN("child status", reap(pid));
  close(s);
  close(lis);
}

static void unix_names(void) {
  puts("== UNIX names across fork");
  struct sockaddr_un a = {0};
  a.sun_family = AF_UNIX;
  strcpy(a.sun_path, "server.sock");
  unix_server("bind a path", &a, offsetof(struct sockaddr_un, sun_path) + strlen(a.sun_path) + 1);
  int again = socket(AF_UNIX, SOCK_STREAM, 0);
  SHOW("bind the path again (the file stays)", bind(again, (struct sockaddr *)&a, sizeof a));
  SHOW("connect to the stale path", connect(again, (struct sockaddr *)&a, sizeof a));
  unlink(a.sun_path);
  SHOW("connect after unlink", connect(again, (struct sockaddr *)&a, sizeof a));
  close(again);
  struct sockaddr_un b = {0};
  b.sun_family = AF_UNIX;
  int n = snprintf(b.sun_path + 1, sizeof b.sun_path - 1, "hedron-net-fork-%d", (int)getpid());
  unix_server("bind an abstract name", &b, offsetof(struct sockaddr_un, sun_path) + 1 + n);
  int late = socket(AF_UNIX, SOCK_STREAM, 0);
  SHOW("connect to the abstract name after close", connect(late, (struct sockaddr *)&b, offsetof(struct sockaddr_un, sun_path) + 1 + n));
  close(late);
  int dg = socket(AF_UNIX, SOCK_DGRAM, 0);
  strcpy(a.sun_path, "dgram.sock");
  SHOW("bind a datagram socket to a path", bind(dg, (struct sockaddr *)&a, sizeof a));
  pid_t pid = fork();
  if (pid == 0) {
    int c = socket(AF_UNIX, SOCK_DGRAM, 0);
    sendto(c, "first", 5, 0, (struct sockaddr *)&a, sizeof a);
    sendto(c, "second", 6, 0, (struct sockaddr *)&a, sizeof a);
    _exit(0);
  }
  reap(pid);
  char buf[16] = {0};
  SHOWN("recv the child's first datagram", recv(dg, buf, sizeof buf, 0));
  SHOWN("and the second", recv(dg, buf, sizeof buf, 0));
  printf("%-48s %s\n", "in order", buf);
  close(dg);
  unlink(a.sun_path);
}

static void nonblocking_connect(void) {
  puts("== non-blocking connect, poll and SO_ERROR");
  int lis = tcp_listener(4);
  int port = port_of(lis);
  int checked[2];
  pipe(checked);
  pid_t pid = fork();
  if (pid == 0) {
    int c = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    struct sockaddr_in a = v4(port);
    int r = connect(c, (struct sockaddr *)&a, sizeof a);
    int inprogress = r < 0 && errno == EINPROGRESS;
    struct pollfd p = {c, POLLOUT, 0};
    poll(&p, 1, 10000);
    int soerr = -1;
    socklen_t len = sizeof soerr;
    getsockopt(c, SOL_SOCKET, SO_ERROR, &soerr, &len);
    char buf[8];
    int eagain = recv(c, buf, sizeof buf, 0) < 0 && errno == EAGAIN;
    write(checked[1], "c", 1);
    p.events = POLLIN;
    poll(&p, 1, 10000);
    int got = read(c, buf, sizeof buf) == 5 && memcmp(buf, "hello", 5) == 0;
    _exit((inprogress ? 0 : 1) | (p.revents == POLLIN ? 0 : 2) | (soerr == 0 ? 0 : 4) | (eagain ? 0 : 8) | (got ? 0 : 16));
  }
  struct pollfd pl = {lis, POLLIN, 0};
  SHOWN("the listener polls readable", poll(&pl, 1, 10000));
  int s = accept(lis, NULL, NULL);
  char c;
  read(checked[0], &c, 1);
  write(s, "hello", 5);
  SHOWN("child: EINPROGRESS, POLLOUT, SO_ERROR 0, EAGAIN, data", reap(pid));
  close(s);
  close(lis);
  close(checked[0]);
  close(checked[1]);
  int late = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
  struct sockaddr_in a = v4(port);
  SHOW("non-blocking connect nobody accepts", connect(late, (struct sockaddr *)&a, sizeof a));
  struct pollfd p = {late, POLLOUT, 0};
  SHOWN("poll", poll(&p, 1, 10000));
  printf("%-48s %#x\n", "revents", p.revents);
  int soerr = 0;
  socklen_t len = sizeof soerr;
  getsockopt(late, SOL_SOCKET, SO_ERROR, &soerr, &len);
  printf("%-48s %s\n", "SO_ERROR", soerr == ECONNREFUSED ? "ECONNREFUSED" : strerror(soerr));
  getsockopt(late, SOL_SOCKET, SO_ERROR, &soerr, &len);
  printf("%-48s %d\n", "SO_ERROR read again", soerr);
  close(late);
}

static void ports_and_names(void) {
  puts("== ports and names");
  int lis = tcp_listener(4);
  int port = port_of(lis);
  FACT("port 0 picks one in 32768..60999", port >= 32768 && port <= 60999);
  int second = tcp_listener(4);
  FACT("a second port 0 picks another", port_of(second) != port);
  close(second);
  pid_t pid = fork();
  if (pid == 0) {
    int one = 1;
    int b = socket(AF_INET, SOCK_STREAM, 0);
    setsockopt(b, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in a = v4(port);
    int inuse = bind(b, (struct sockaddr *)&a, sizeof a) < 0 && errno == EADDRINUSE;
    close(b);
    int c = tcp_connect(port);
    char msg[16];
    int n = snprintf(msg, sizeof msg, "%d %d", port_of(c), peer_port_of(c) == port);
    write(c, msg, n);
    read(c, msg, 1);
    _exit(inuse ? 0 : 1);
  }
  struct sockaddr_in peer;
  socklen_t plen = sizeof peer;
  int s = accept(lis, (struct sockaddr *)&peer, &plen);
  char msg[16] = {0};
  read(s, msg, sizeof msg - 1);
  int child_port = 0, peer_ok = 0;
  sscanf(msg, "%d %d", &child_port, &peer_ok);
  FACT("the child's getsockname = the parent's getpeername", child_port == ntohs(peer.sin_port) && child_port == peer_port_of(s));
  FACT("the child's getpeername = the listener", peer_ok == 1);
  write(s, "k", 1);
  SHOWN("child: EADDRINUSE on the listener's port (0 = yes)", reap(pid));
  close(s);
  close(lis);
  int u1 = socket(AF_INET, SOCK_DGRAM, 0), u2 = socket(AF_INET, SOCK_DGRAM, 0);
  struct sockaddr_in a = v4(0);
  bind(u1, (struct sockaddr *)&a, sizeof a);
  a = v4(port_of(u1));
  SHOW("UDP bind of a port in use", bind(u2, (struct sockaddr *)&a, sizeof a));
  int t = socket(AF_INET, SOCK_STREAM, 0);
  SHOW("TCP bind of the same number (other protocol)", bind(t, (struct sockaddr *)&a, sizeof a));
  close(u1); close(u2); close(t);
}

/** sendmsg of `text` with SCM_RIGHTS for `fds` (count of them). */
static long send_fds(int sock, const char *text, const int *fds, int count) {
  char control[CMSG_SPACE(4 * sizeof(int))] = {0};
  struct iovec iov = {(void *)text, strlen(text)};
  struct msghdr m = {0};
  m.msg_iov = &iov;
  m.msg_iovlen = 1;
  m.msg_control = control;
  m.msg_controllen = CMSG_SPACE(count * sizeof(int));
  struct cmsghdr *c = CMSG_FIRSTHDR(&m);
  c->cmsg_level = SOL_SOCKET;
  c->cmsg_type = SCM_RIGHTS;
  c->cmsg_len = CMSG_LEN(count * sizeof(int));
  memcpy(CMSG_DATA(c), fds, count * sizeof(int));
  return sendmsg(sock, &m, 0);
}

/** recvmsg with a control buffer of `room` fds; the fds received go to `fds`, their count is returned (-1: error). */
static int recv_fds(int sock, char *text, int size, int *fds, int room, int flags, int *msg_flags) {
  char control[CMSG_SPACE(8 * sizeof(int))] = {0};
  struct iovec iov = {text, (size_t)size - 1};
  struct msghdr m = {0};
  m.msg_iov = &iov;
  m.msg_iovlen = 1;
  m.msg_control = control;
  m.msg_controllen = room ? CMSG_LEN(room * sizeof(int)) : 0;
  long n = recvmsg(sock, &m, flags);
  if (n < 0) return -1;
  text[n] = 0;
  *msg_flags = m.msg_flags;
  int count = 0;
  for (struct cmsghdr *c = CMSG_FIRSTHDR(&m); c; c = CMSG_NXTHDR(&m, c)) {
    if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS) continue;
    int k = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
    memcpy(fds + count, CMSG_DATA(c), k * sizeof(int));
    count += k;
  }
  return count;
}

static void rights(void) {
  puts("== SCM_RIGHTS across fork");
  int sv[2];
  socketpair(AF_UNIX, SOCK_STREAM, 0, sv);
  int file = open("passed.txt", O_RDWR | O_CREAT | O_TRUNC, 0644);
  write(file, "the file's bytes", 16);
  int p[2];
  pipe(p);
  pid_t pid = fork();
  if (pid == 0) {
    close(sv[0]);
    char text[64], buf[64];
    int fds[8], flags = 0;
    int got = recv_fds(sv[1], text, sizeof text, fds, 4, MSG_CMSG_CLOEXEC, &flags);
    int cloexec = got == 2 && (fcntl(fds[0], F_GETFD) & FD_CLOEXEC) && (fcntl(fds[1], F_GETFD) & FD_CLOEXEC);
    int n = got == 2 ? (int)pread(fds[1], buf, sizeof buf, 0) : 0;
    char reply[256];
    int k = snprintf(reply, sizeof reply, "%s|%d fds|cloexec %s|file: %.*s|", text, got, cloexec ? "yes" : "no", n, buf);
    close(fds[1]);
    write(sv[1], reply, k);
    n = got == 2 ? (int)read(fds[0], buf, sizeof buf) : 0;
    k = snprintf(reply, sizeof reply, "pipe: %.*s|", n, buf);
    write(sv[1], reply, k);
    // Two fds into room for one: the second is closed and the message flagged.
    got = recv_fds(sv[1], text, sizeof text, fds, 1, 0, &flags);
    k = snprintf(reply, sizeof reply, "%d fd with a control buffer for one, MSG_CTRUNC %s|", got, flags & MSG_CTRUNC ? "yes" : "no");
    write(sv[1], reply, k);
    // A plain read drops what came with the bytes.
    n = (int)read(sv[1], buf, 1);
    write(sv[1], n == 1 ? "read" : "?", 4);
    _exit(0);
  }
  close(sv[1]);
  int pass[2] = {p[0], file};
  SHOWN("sendmsg with a pipe and a file", send_fds(sv[0], "two fds", pass, 2));
  close(p[0]);
  close(file);
  char buf[512] = {0};
  long n = read(sv[0], buf, sizeof buf - 1);
  buf[n > 0 ? n : 0] = 0;
  printf("%-48s %s\n", "the child got", buf);
  write(p[1], "through the pipe", 16);
  n = read(sv[0], buf, sizeof buf - 1);
  buf[n > 0 ? n : 0] = 0;
  printf("%-48s %s\n", "the child read", buf);
  int other[2];
  pipe(other);
  int two[2] = {other[0], other[0]};
  send_fds(sv[0], "x", two, 2);
  n = read(sv[0], buf, sizeof buf - 1);
  buf[n > 0 ? n : 0] = 0;
  printf("%-48s %s\n", "the child", buf);
  int one[1] = {other[0]};
  send_fds(sv[0], "y", one, 1);
  close(other[0]);
  n = read(sv[0], buf, 4);
  SHOWN("the child's plain read took the byte", n);
  reap(pid);
  // The child closed every copy of the read end it had (a dropped fd is closed too): no readers are left.
  SHOW("write to the pipe nobody can read", write(other[1], "z", 1));
  int bad[1] = {999};
  SHOW("SCM_RIGHTS with a closed fd", send_fds(sv[0], "bad", bad, 1));
  int lis = tcp_listener(1);
  int tcp = tcp_connect(port_of(lis));
  int self[1] = {0};
  SHOW("SCM_RIGHTS over TCP", send_fds(tcp, "tcp", self, 1));
  close(tcp);
  close(lis);
  close(other[1]);
  close(p[1]);
  close(sv[0]);
  unlink("passed.txt");
}

int main(void) {
  signal(SIGPIPE, SIG_IGN);
  setvbuf(stdout, NULL, _IOLBF, 0);
  tcp_echo();
  udp();
  pairs();
  unix_names();
  nonblocking_connect();
  ports_and_names();
  rights();
  return 0;
}
