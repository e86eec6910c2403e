/* The lab's two services through the Linux personality: a 64-byte TCP send and recv on a connected loopback pair, and
   a 4 KiB read of a file (sequential, never a block twice), timed with rdtsc per call (mean of N rounds after N/10 warm-up). native/service-bench.c does
   identical work through the SDK's network and file service clients. Usage: service-bench ROUNDS FILE */
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#define MESSAGE 64
#define BLOCK 4096

static inline uint64_t rdtsc(void) {
  uint32_t lo, hi;
  __asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
  return ((uint64_t)hi << 32) | lo;
}

static char message[MESSAGE];
static char block[BLOCK];

int main(int argc, char **argv) {
  long rounds = argc > 1 ? atol(argv[1]) : 1000;
  const char *file = argc > 2 ? argv[2] : "/disk/service.dat";
  long warmup = rounds / 10;
  int lis = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in addr = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
  socklen_t len = sizeof addr;
  if (lis < 0 || bind(lis, (struct sockaddr *)&addr, sizeof addr) || listen(lis, 1) || getsockname(lis, (struct sockaddr *)&addr, &len)) {
    perror("service-bench: listen");
    return 1;
  }
  int cli = socket(AF_INET, SOCK_STREAM, 0);
  if (cli < 0 || connect(cli, (struct sockaddr *)&addr, sizeof addr)) {
    perror("service-bench: connect");
    return 1;
  }
  int srv = accept(lis, NULL, NULL);
  uint64_t sendCycles = 0, recvCycles = 0;
  for (long i = 0; i < warmup + rounds; i++) {
    uint64_t t0 = rdtsc();
    long sent = send(cli, message, MESSAGE, 0);
    uint64_t t1 = rdtsc();
    long got = recv(srv, message, MESSAGE, MSG_WAITALL);
    uint64_t t2 = rdtsc();
    if (sent != MESSAGE || got != MESSAGE) {
      fprintf(stderr, "service-bench: send %ld, recv %ld\n", sent, got);
      return 1;
    }
    if (i >= warmup) sendCycles += t1 - t0, recvCycles += t2 - t1;
  }
  int fd = open(file, O_RDONLY);
  if (fd < 0) {
    perror("service-bench: open");
    return 1;
  }
  uint64_t readCycles = 0;
  for (long i = 0; i < warmup + rounds; i++) {
    uint64_t t0 = rdtsc();
    long n = read(fd, block, BLOCK);
    uint64_t t1 = rdtsc();
    if (n != BLOCK) {
      fprintf(stderr, "service-bench: read %ld of %d bytes (the file needs ROUNDS + ROUNDS/10 blocks of 4 KiB)\n", n, BLOCK);
      return 1;
    }
    if (i >= warmup) readCycles += t1 - t0;
  }
  printf("send %llu\nrecv %llu\nfile_read %llu\n", (unsigned long long)(sendCycles / rounds), (unsigned long long)(recvCycles / rounds),
         (unsigned long long)(readCycles / rounds));
  return 0;
}
