// Sequential file throughput in a folder (the lab's /disk FAT volume, or any host folder natively): writes MIB
// mebibytes in 64 KiB blocks, fsyncs and closes, reads them back. `name value` lines in the guest's own clock.
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

static long long now_ns(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec * 1000000000LL + t.tv_nsec;
}

static unsigned char buf[65536];

int main(int argc, char **argv) {
  const char *dir = argc > 1 ? argv[1] : "/disk";
  long mib = argc > 2 ? atol(argv[2]) : 4;
  char path[4096];
  snprintf(path, sizeof path, "%s/fat-bench.bin", dir);
  long blocks = mib * 16;
  long long t0 = now_ns();
  int fd = open(path, O_CREAT | O_TRUNC | O_WRONLY, 0644);
  if (fd < 0) { perror(path); return 1; }
  for (long b = 0; b < blocks; b++) {
    for (int i = 0; i < (int)sizeof buf; i += 64) buf[i] = (unsigned char)(b + i);
    if (write(fd, buf, sizeof buf) != (long)sizeof buf) { perror("write"); return 1; }
  }
  fsync(fd);
  close(fd);
  long long t1 = now_ns();
  fd = open(path, O_RDONLY);
  unsigned sum = 0;
  long n;
  while ((n = read(fd, buf, sizeof buf)) > 0)
    for (long i = 0; i < n; i += 64) sum = sum * 31 + buf[i];
  close(fd);
  long long t2 = now_ns();
  unlink(path);
  printf("bytes %ld\nwrite_ns %lld\nread_ns %lld\nchecksum %08x\n", mib << 20, t1 - t0, t2 - t1, sum);
  return 0;
}
