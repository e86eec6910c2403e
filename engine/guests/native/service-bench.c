/* The lab's two services through the native SDK path: a 64-byte TCP send and receive on a connected loopback pair
   (hrstd's network client) and a 4 KiB read of a file (the file service client, sequential), timed with rdtsc per call, mean of N
   rounds after N/10 warm-up: identical work to linux/service-bench.c. Usage: service-bench ROUNDS FILE */
#include "hedron.h"
#include "hrstd.h"

#define MESSAGE 64
#define BLOCK 4096

static char message[MESSAGE];
static char block[BLOCK];

static long number(const char *s) {
  long n = 0;
  while (*s >= '0' && *s <= '9') n = n * 10 + (*s++ - '0');
  return n;
}

int main(int argc, char **argv) {
  long rounds = argc > 1 ? number(argv[1]) : 1000;
  const char *file = argc > 2 ? argv[2] : "/disk/service.dat";
  if (rounds < 1) rounds = 1;
  long warmup = rounds / 10;
  long lis = hrt_net_socket(HRT_SOCK_STREAM);
  long port = hrt_net_bind((int)lis, HRT_IPV4(127, 0, 0, 1), 0);
  long cli = hrt_net_socket(HRT_SOCK_STREAM);
  if (lis < 0 || port <= 0 || hrt_net_listen((int)lis, 1) < 0 || cli < 0 || hrt_net_connect((int)cli, HRT_IPV4(127, 0, 0, 1), (unsigned)port) < 0) {
    hrt_eprintf("service-bench: listen or connect failed\n");
    return 1;
  }
  long srv = hrt_net_accept((int)lis);
  uint64_t send_cycles = 0, recv_cycles = 0;
  for (long i = 0; i < warmup + rounds; i++) {
    uint64_t t0 = hedron_rdtsc();
    long sent = hrt_net_send((int)cli, message, MESSAGE);
    uint64_t t1 = hedron_rdtsc();
    long got = hrt_net_receive((int)srv, message, MESSAGE);
    uint64_t t2 = hedron_rdtsc();
    if (sent != MESSAGE || got != MESSAGE) {
      hrt_eprintf("service-bench: send %ld, receive %ld\n", sent, got);
      return 1;
    }
    if (i >= warmup) send_cycles += t1 - t0, recv_cycles += t2 - t1;
  }
  long fd = hrt_open(file, HRT_O_RDONLY, 0);
  if (fd < 0) {
    hrt_eprintf("service-bench: open %s: error %ld\n", file, -fd);
    return 1;
  }
  uint64_t read_cycles = 0;
  for (long i = 0; i < warmup + rounds; i++) {
    uint64_t t0 = hedron_rdtsc();
    long n = hrt_read((int)fd, block, BLOCK);
    uint64_t t1 = hedron_rdtsc();
    if (n != BLOCK) {
      hrt_eprintf("service-bench: read %ld of %d bytes (the file needs ROUNDS + ROUNDS/10 blocks of 4 KiB)\n", n, BLOCK);
      return 1;
    }
    if (i >= warmup) read_cycles += t1 - t0;
  }
  hrt_printf("send %llu\n", (unsigned long long)(send_cycles / (uint64_t)rounds));
  hrt_printf("recv %llu\n", (unsigned long long)(recv_cycles / (uint64_t)rounds));
  hrt_printf("file_read %llu\n", (unsigned long long)(read_cycles / (uint64_t)rounds));
  return 0;
}
