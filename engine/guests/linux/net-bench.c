// TCP over the loopback in one process: throughput (MIB mebibytes pushed through one connection, the sender filling
// what the socket takes and the receiver draining it) and round-trip latency (ROUNDS one-byte ping-pongs).
// Prints `name value` lines timed by the guest's own clock (virtual time in the lab) and a checksum of what arrived.
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static long long now_ns(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec * 1000000000LL + t.tv_nsec;
}

static char buf[65536], rbuf[65536];

int main(int argc, char **argv) {
  long mib = argc > 1 ? atol(argv[1]) : 8;
  long rounds = argc > 2 ? atol(argv[2]) : 2000;
  int lis = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in a = {0};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bind(lis, (struct sockaddr *)&a, sizeof a);
  listen(lis, 1);
  socklen_t len = sizeof a;
  getsockname(lis, (struct sockaddr *)&a, &len);
  int cli = socket(AF_INET, SOCK_STREAM, 0);
  if (connect(cli, (struct sockaddr *)&a, sizeof a) < 0) return 1;
  int srv = accept(lis, NULL, NULL);
  fcntl(cli, F_SETFL, O_NONBLOCK);
  // Stream byte p is (p mod 65536) * 7: the receiver checks a sample of positions, whatever sizes recv returns.
  for (int i = 0; i < (int)sizeof buf; i++) buf[i] = (char)(i * 7);
  long long total = mib << 20, sent = 0, got = 0, errors = 0;
  long long t0 = now_ns();
  while (got < total) {
    while (sent < total) {
      long at = (long)(sent % (long long)sizeof buf);
      long want = total - sent < (long long)sizeof buf - at ? (long)(total - sent) : (long)sizeof buf - at;
      long n = send(cli, buf + at, want, 0);
      if (n <= 0) break;
      sent += n;
    }
    long n = recv(srv, rbuf, sizeof rbuf, 0);
    if (n <= 0) return 2;
    for (long i = (61 - got % 61) % 61; i < n; i += 61) errors += rbuf[i] != (char)(((got + i) % 65536) * 7);
    got += n;
  }
  long long t1 = now_ns();
  fcntl(cli, F_SETFL, 0);
  char c = 'x';
  for (long r = 0; r < rounds; r++) {
    if (send(cli, &c, 1, 0) != 1 || recv(srv, &c, 1, 0) != 1) return 3;
    if (send(srv, &c, 1, 0) != 1 || recv(cli, &c, 1, 0) != 1) return 4;
  }
  long long t2 = now_ns();
  printf("tcp_bytes %lld\ntcp_ns %lld\nrtt_rounds %ld\nrtt_ns %lld\nerrors %lld\n", total, t1 - t0, rounds, t2 - t1, errors);
  return 0;
}
