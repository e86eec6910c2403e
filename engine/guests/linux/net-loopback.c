// Sockets in one process, as Linux shows them: TCP and UDP over 127.0.0.1 and ::1, UNIX stream and datagram sockets
// (path, abstract, socketpair), errors, non-blocking mode, flow control, FIN and RST. Prints only host-independent facts.
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>
#include "net-guest.h"

static int tcp_connect(int port, int flags) {
  int fd = socket(AF_INET, SOCK_STREAM | flags, 0);
  struct sockaddr_in a = v4(port);
  connect(fd, (struct sockaddr *)&a, sizeof a);
  return fd;
}

static void tcp(void) {
  puts("== TCP over 127.0.0.1");
  int lis = tcp_listener(4);
  int port = port_of(lis);
  printf("%-44s %s\n", "bind port 0 picks an ephemeral port", port >= 1024 ? "yes" : "no");
  int cli = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in a = v4(port);
  SHOW("connect to the listener", connect(cli, (struct sockaddr *)&a, sizeof a));
  SHOW("connect again", connect(cli, (struct sockaddr *)&a, sizeof a));
  struct sockaddr_in peer;
  socklen_t plen = sizeof peer;
  int srv = accept(lis, (struct sockaddr *)&peer, &plen);
  SHOW("accept", srv);
  printf("%-44s %s %s\n", "accepted peer = client's name", ntohs(peer.sin_port) == port_of(cli) ? "yes" : "no", inet_ntoa(peer.sin_addr));
  struct sockaddr_in name;
  socklen_t nlen = sizeof name;
  getpeername(cli, (struct sockaddr *)&name, &nlen);
  printf("%-44s %s\n", "client's peer = listener", ntohs(name.sin_port) == port ? "yes" : "no");
  SHOWN("send hello", send(cli, "hello", 5, 0));
  char buf[256] = {0};
  SHOWN("recv", recv(srv, buf, sizeof buf, 0));
  printf("%-44s %s\n", "got", buf);
  SHOWN("write reply", write(srv, "world!", 6));
  SHOWN("recv with MSG_PEEK", recv(cli, buf, 3, MSG_PEEK));
  memset(buf, 0, sizeof buf);
  SHOWN("read", read(cli, buf, sizeof buf));
  printf("%-44s %s\n", "got", buf);
  SHOW("shutdown(SHUT_WR) on the client", shutdown(cli, SHUT_WR));
  SHOWN("server reads end of stream", recv(srv, buf, sizeof buf, 0));
  SHOW("client send after SHUT_WR", send(cli, "x", 1, MSG_NOSIGNAL));
  SHOWN("server can still send", send(srv, "late", 4, 0));
  SHOWN("client still reads", recv(cli, buf, sizeof buf, 0));
  close(srv);
  SHOWN("client reads end of stream after close", recv(cli, buf, sizeof buf, 0));
  close(cli);

  int fresh = socket(AF_INET, SOCK_STREAM, 0);
  SHOW("recv on an unconnected socket", recv(fresh, buf, 1, 0));
  SHOW("getpeername unconnected", getpeername(fresh, (struct sockaddr *)&name, &nlen));
  struct sockaddr_in same = v4(port);
  SHOW("bind the listener's port again", bind(fresh, (struct sockaddr *)&same, sizeof same));
  close(fresh);

  int holder = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in h = v4(0);
  bind(holder, (struct sockaddr *)&h, sizeof h);
  int closed_port = port_of(holder);
  int refused = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in c = v4(closed_port);
  SHOW("connect where nobody listens", connect(refused, (struct sockaddr *)&c, sizeof c));
  close(refused);
  int one = 1;
  int r1 = socket(AF_INET, SOCK_STREAM, 0), r2 = socket(AF_INET, SOCK_STREAM, 0);
  setsockopt(r1, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  setsockopt(r2, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  struct sockaddr_in r = v4(0);
  bind(r1, (struct sockaddr *)&r, sizeof r);
  r = v4(port_of(r1));
  SHOW("SO_REUSEADDR twice, nobody listening", bind(r2, (struct sockaddr *)&r, sizeof r));
  SHOW("listen on one of them", listen(r1, 1));
  close(r1); close(r2); close(holder);

  puts("== RST");
  cli = tcp_connect(port, 0);
  srv = accept(lis, NULL, NULL);
  send(cli, "unread", 6, 0);
  close(srv);
  SHOW("recv after the peer closed with unread data", recv(cli, buf, sizeof buf, 0));
  SHOWN("recv again", recv(cli, buf, sizeof buf, 0));
  close(cli);
  cli = tcp_connect(port, 0);
  srv = accept(lis, NULL, NULL);
  close(srv);
  SHOWN("write to a closed peer", write(cli, "a", 1));
  SHOW("write again (the reset came back)", write(cli, "b", 1));
  SHOW("and again", send(cli, "c", 1, MSG_NOSIGNAL));
  close(cli);
  cli = tcp_connect(port, 0);
  srv = accept(lis, NULL, NULL);
  struct linger lg = {1, 0};
  SHOW("SO_LINGER {1, 0}", setsockopt(srv, SOL_SOCKET, SO_LINGER, &lg, sizeof lg));
  close(srv);
  SHOW("recv after an abortive close", recv(cli, buf, sizeof buf, 0));
  close(cli);
  close(lis);
}

static void nonblocking(void) {
  puts("== non-blocking");
  int lis = tcp_listener(8);
  fcntl(lis, F_SETFL, O_NONBLOCK);
  SHOW("accept with nothing pending", accept(lis, NULL, NULL));
  int cli = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
  struct sockaddr_in a = v4(port_of(lis));
  SHOW("connect", connect(cli, (struct sockaddr *)&a, sizeof a));
  struct pollfd p = {cli, POLLOUT, 0};
  SHOWN("poll for POLLOUT", poll(&p, 1, 1000));
  printf("%-44s %#x\n", "revents", p.revents);
  int soerr = -1;
  socklen_t len = sizeof soerr;
  getsockopt(cli, SOL_SOCKET, SO_ERROR, &soerr, &len);
  printf("%-44s %d\n", "SO_ERROR", soerr);
  struct pollfd pl = {lis, POLLIN, 0};
  SHOWN("listener polls readable", poll(&pl, 1, 1000));
  int srv = accept4(lis, NULL, NULL, SOCK_NONBLOCK);
  SHOW("accept4(SOCK_NONBLOCK)", srv);
  char buf[4096];
  SHOW("recv with nothing queued", recv(srv, buf, sizeof buf, 0));
  SHOW("recv MSG_DONTWAIT on the client", recv(cli, buf, sizeof buf, MSG_DONTWAIT));
  long total = 0;
  unsigned sum = 0;
  for (int i = 0; i < 100000; i++) {
    for (int j = 0; j < (int)sizeof buf; j++) buf[j] = (char)(total + j);
    long n = send(cli, buf, sizeof buf, 0);
    if (n < 0) { printf("%-44s %s\n", "sending until the buffer is full", err(n)); break; }
    for (long j = 0; j < n; j++) sum = sum * 31 + (unsigned char)buf[j];
    total += n;
  }
  printf("%-44s %s\n", "bytes in flight > 64 KiB", total > 65536 ? "yes" : "no");
  struct pollfd pw = {cli, POLLOUT, 0};
  SHOWN("a full socket does not poll writable", poll(&pw, 1, 0));
  long got = 0;
  unsigned check = 0;
  for (;;) {
    long n = recv(srv, buf, sizeof buf, 0);
    if (n <= 0) break;
    for (long j = 0; j < n; j++) check = check * 31 + (unsigned char)buf[j];
    got += n;
  }
  printf("%-44s %s\n", "every byte arrived, in order", got == total && check == sum ? "yes" : "no");
  close(cli); close(srv);

  int holder = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in h = v4(0);
  bind(holder, (struct sockaddr *)&h, sizeof h);
  int late = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
  struct sockaddr_in c = v4(port_of(holder));
  long r = connect(late, (struct sockaddr *)&c, sizeof c);
  if (r < 0 && errno == EINPROGRESS) {
    struct pollfd pe = {late, POLLOUT, 0};
    poll(&pe, 1, 1000);
  }
  soerr = 0;
  getsockopt(late, SOL_SOCKET, SO_ERROR, &soerr, &len);
  printf("%-44s %s\n", "refused non-blocking connect reports", soerr == ECONNREFUSED || (r < 0 && errno == ECONNREFUSED) ? "ECONNREFUSED" : "something else");
  close(late); close(holder); close(lis);
}

static void udp(void) {
  puts("== UDP");
  int u = socket(AF_INET, SOCK_DGRAM, 0);
  struct sockaddr_in a = v4(0);
  SHOW("bind", bind(u, (struct sockaddr *)&a, sizeof a));
  a = v4(port_of(u));
  SHOWN("sendto self", sendto(u, "datagram one", 12, 0, (struct sockaddr *)&a, sizeof a));
  SHOWN("sendto self again", sendto(u, "two", 3, 0, (struct sockaddr *)&a, sizeof a));
  char buf[64] = {0};
  struct sockaddr_in from;
  socklen_t flen = sizeof from;
  SHOWN("recvfrom into 5 bytes (the rest is dropped)", recvfrom(u, buf, 5, 0, (struct sockaddr *)&from, &flen));
  printf("%-44s %s from self: %s\n", "got", buf, from.sin_port == a.sin_port ? "yes" : "no");
  struct iovec iov = {buf, sizeof buf};
  struct msghdr m = {0};
  m.msg_iov = &iov;
  m.msg_iovlen = 1;
  memset(buf, 0, sizeof buf);
  SHOWN("recvmsg", recvmsg(u, &m, 0));
  printf("%-44s %s flags %d\n", "got", buf, m.msg_flags);
  SHOW("recv with nothing queued (MSG_DONTWAIT)", recv(u, buf, sizeof buf, MSG_DONTWAIT));
  int v = socket(AF_INET, SOCK_DGRAM, 0);
  SHOW("send on an unconnected socket", send(v, "x", 1, 0));
  int holder = socket(AF_INET, SOCK_DGRAM, 0);
  struct sockaddr_in h = v4(0);
  bind(holder, (struct sockaddr *)&h, sizeof h);
  struct sockaddr_in dead = v4(port_of(holder));
  close(holder);
  SHOW("connect to a port nobody holds", connect(v, (struct sockaddr *)&dead, sizeof dead));
  SHOWN("send there", send(v, "x", 1, 0));
  SHOW("the next call reports the ICMP error", recv(v, buf, sizeof buf, MSG_DONTWAIT));
  SHOW("connect to self", connect(v, (struct sockaddr *)&a, sizeof a));
  SHOWN("send to self through connect", send(v, "via connect", 11, 0));
  memset(buf, 0, sizeof buf);
  SHOWN("recv", recv(u, buf, sizeof buf, 0));
  printf("%-44s %s\n", "got", buf);
  close(u); close(v);
}

static void ipv6(void) {
  puts("== TCP over ::1 and v4-mapped");
  int lis = socket(AF_INET6, SOCK_STREAM, 0);
  struct sockaddr_in6 a = {0};
  a.sin6_family = AF_INET6;
  a.sin6_addr = in6addr_any;
  SHOW("bind [::]:0", bind(lis, (struct sockaddr *)&a, sizeof a));
  listen(lis, 2);
  int port = port_of(lis);
  int c6 = socket(AF_INET6, SOCK_STREAM, 0);
  a.sin6_addr = in6addr_loopback;
  a.sin6_port = htons(port);
  SHOW("connect [::1]", connect(c6, (struct sockaddr *)&a, sizeof a));
  struct sockaddr_in6 peer;
  socklen_t plen = sizeof peer;
  int s6 = accept(lis, (struct sockaddr *)&peer, &plen);
  char text[64];
  inet_ntop(AF_INET6, &peer.sin6_addr, text, sizeof text);
  printf("%-44s %s\n", "accepted from", text);
  int c4 = tcp_connect(port, 0);
  int s4 = accept(lis, (struct sockaddr *)&peer, &plen);
  inet_ntop(AF_INET6, &peer.sin6_addr, text, sizeof text);
  printf("%-44s %s\n", "IPv4 client accepted on [::] from", text);
  SHOWN("send over v4-mapped", send(c4, "mapped", 6, 0));
  char buf[16] = {0};
  SHOWN("recv", recv(s4, buf, sizeof buf, 0));
  printf("%-44s %s\n", "got", buf);
  int only = socket(AF_INET6, SOCK_STREAM, 0);
  struct sockaddr_in s4addr = v4(1);
  SHOW("bind an IPv4 address to an IPv6 socket", bind(only, (struct sockaddr *)&s4addr, sizeof s4addr));
  close(only); close(c6); close(s6); close(c4); close(s4); close(lis);
}

static void unix_sockets(void) {
  puts("== UNIX");
  int sv[2];
  SHOW("socketpair(SOCK_STREAM)", socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
  SHOWN("write", write(sv[0], "pair", 4));
  char buf[128] = {0};
  SHOWN("read", read(sv[1], buf, sizeof buf));
  printf("%-44s %s\n", "got", buf);
  close(sv[1]);
  SHOW("write to a closed pair", write(sv[0], "x", 1));
  SHOWN("read after the peer closed", read(sv[0], buf, sizeof buf));
  close(sv[0]);
  SHOW("socketpair(AF_INET)", socketpair(AF_INET, SOCK_STREAM, 0, sv));
  SHOW("socketpair(SOCK_DGRAM)", socketpair(AF_UNIX, SOCK_DGRAM, 0, sv));
  send(sv[0], "one", 3, 0);
  send(sv[0], "second", 6, 0);
  memset(buf, 0, sizeof buf);
  SHOWN("recv keeps datagram boundaries", recv(sv[1], buf, sizeof buf, 0));
  SHOWN("recv", recv(sv[1], buf, sizeof buf, 0));
  close(sv[0]); close(sv[1]);

  char dir[] = "/tmp/hedron-net-XXXXXX";
  if (!mkdtemp(dir)) return;
  struct sockaddr_un a = {0};
  a.sun_family = AF_UNIX;
  snprintf(a.sun_path, sizeof a.sun_path, "%s/server.sock", dir);
  int lis = socket(AF_UNIX, SOCK_STREAM, 0);
  SHOW("bind a path", bind(lis, (struct sockaddr *)&a, sizeof a));
  struct stat st;
  SHOW("the path is a socket file", stat(a.sun_path, &st) == 0 && S_ISSOCK(st.st_mode) ? 0 : -1);
  int again = socket(AF_UNIX, SOCK_STREAM, 0);
  SHOW("bind the same path again", bind(again, (struct sockaddr *)&a, sizeof a));
  int cli = socket(AF_UNIX, SOCK_STREAM, 0);
  SHOW("connect before listen", connect(cli, (struct sockaddr *)&a, sizeof a));
  listen(lis, 1);
  SHOW("connect", connect(cli, (struct sockaddr *)&a, sizeof a));
  struct sockaddr_un peer;
  socklen_t plen = sizeof peer;
  int srv = accept(lis, (struct sockaddr *)&peer, &plen);
  SHOW("accept", srv);
  printf("%-44s %d\n", "an unbound client's address length", (int)plen);
  struct sockaddr_un name;
  socklen_t nlen = sizeof name;
  getpeername(cli, (struct sockaddr *)&name, &nlen);
  printf("%-44s %s\n", "client's peer is the path", strcmp(name.sun_path, a.sun_path) == 0 ? "yes" : "no");
  SHOWN("send", send(cli, "over a path", 11, 0));
  memset(buf, 0, sizeof buf);
  SHOWN("recv", recv(srv, buf, sizeof buf, 0));
  printf("%-44s %s\n", "got", buf);
  close(cli); close(srv); close(lis); close(again);
  unlink(a.sun_path);
  struct sockaddr_un missing = a;
  int lost = socket(AF_UNIX, SOCK_STREAM, 0);
  SHOW("connect to a removed path", connect(lost, (struct sockaddr *)&missing, sizeof missing));
  close(lost);

  struct sockaddr_un ab = {0};
  ab.sun_family = AF_UNIX;
  memcpy(ab.sun_path, "\0hedron-abstract", 16);
  socklen_t ablen = offsetof(struct sockaddr_un, sun_path) + 16;
  int d1 = socket(AF_UNIX, SOCK_DGRAM, 0), d2 = socket(AF_UNIX, SOCK_DGRAM, 0);
  SHOW("bind an abstract name", bind(d1, (struct sockaddr *)&ab, ablen));
  SHOWN("sendto the abstract name", sendto(d2, "abstract", 8, 0, (struct sockaddr *)&ab, ablen));
  memset(buf, 0, sizeof buf);
  SHOWN("recv", recv(d1, buf, sizeof buf, 0));
  printf("%-44s %s\n", "got", buf);
  nlen = sizeof name;
  getsockname(d1, (struct sockaddr *)&name, &nlen);
  printf("%-44s %d\n", "abstract name length", (int)nlen);
  close(d1); close(d2);
  rmdir(dir);
}

static void options(void) {
  puts("== options");
  int t = socket(AF_INET, SOCK_STREAM, 0);
  int v = 0;
  socklen_t len = sizeof v;
  getsockopt(t, SOL_SOCKET, SO_TYPE, &v, &len); printf("%-44s %d\n", "SO_TYPE", v);
  getsockopt(t, SOL_SOCKET, SO_RCVBUF, &v, &len); printf("%-44s %d\n", "SO_RCVBUF default", v);
  getsockopt(t, SOL_SOCKET, SO_SNDBUF, &v, &len); printf("%-44s %d\n", "SO_SNDBUF default", v);
  v = 4096; setsockopt(t, SOL_SOCKET, SO_RCVBUF, &v, sizeof v);
  getsockopt(t, SOL_SOCKET, SO_RCVBUF, &v, &len); printf("%-44s %d\n", "SO_RCVBUF after setting 4096", v);
  v = 1; setsockopt(t, SOL_SOCKET, SO_SNDBUF, &v, sizeof v);
  getsockopt(t, SOL_SOCKET, SO_SNDBUF, &v, &len); printf("%-44s %d\n", "SO_SNDBUF after setting 1", v);
  v = 1; SHOW("SO_KEEPALIVE", setsockopt(t, SOL_SOCKET, SO_KEEPALIVE, &v, sizeof v));
  getsockopt(t, SOL_SOCKET, SO_KEEPALIVE, &v, &len); printf("%-44s %d\n", "SO_KEEPALIVE reads", v);
  v = 1; SHOW("TCP_NODELAY", setsockopt(t, IPPROTO_TCP, TCP_NODELAY, &v, sizeof v));
  v = 0; getsockopt(t, IPPROTO_TCP, TCP_NODELAY, &v, &len); printf("%-44s %d\n", "TCP_NODELAY reads", v);
  v = 1; SHOW("SO_REUSEPORT", setsockopt(t, SOL_SOCKET, SO_REUSEPORT, &v, sizeof v));
  struct linger lg = {1, 5};
  SHOW("SO_LINGER", setsockopt(t, SOL_SOCKET, SO_LINGER, &lg, sizeof lg));
  memset(&lg, 0, sizeof lg); len = sizeof lg;
  getsockopt(t, SOL_SOCKET, SO_LINGER, &lg, &len); printf("%-44s %d %d (%d bytes)\n", "SO_LINGER reads", lg.l_onoff, lg.l_linger, (int)len);
  len = sizeof v;
  SHOW("an unknown option", getsockopt(t, SOL_SOCKET, 12345, &v, &len));
  SHOW("a short optlen", setsockopt(t, SOL_SOCKET, SO_KEEPALIVE, &v, 2));
  int u = socket(AF_INET, SOCK_DGRAM, 0);
  getsockopt(u, SOL_SOCKET, SO_PROTOCOL, &v, &len); printf("%-44s %d\n", "UDP SO_PROTOCOL", v);
  SHOW("listen on UDP", listen(u, 1));
  SHOW("accept on UDP", accept(u, NULL, NULL));
  int file = open("/dev/null", O_RDONLY);
  SHOW("getsockopt on a file", getsockopt(file, SOL_SOCKET, SO_TYPE, &v, &len));
  SHOW("socket(12345)", socket(12345, SOCK_STREAM, 0));
  struct stat st;
  fstat(t, &st);
  printf("%-44s %s\n", "fstat says socket", S_ISSOCK(st.st_mode) ? "yes" : "no");
  SHOW("lseek on a socket", lseek(t, 0, SEEK_SET));
  close(file); close(t); close(u);
}

int main(void) {
  signal(SIGPIPE, SIG_IGN);
  setvbuf(stdout, NULL, _IOLBF, 0);
  tcp();
  nonblocking();
  udp();
  ipv6();
  unix_sockets();
  options();
  return 0;
}
