/* File throughput, native variant (the seed's evaluation): write then read N MiB in 4 KiB blocks through the
   roottask's file service (SDK client, portal calls), timed with rdtsc; identical work to linux/file-bench.c. */
#include "hedron.h"
#include "hrstd.h"

#define BLOCK 4096

static unsigned char block[BLOCK];

static long number(const char *s) {
  long n = 0;
  while (*s >= '0' && *s <= '9') n = n * 10 + (*s++ - '0');
  return n;
}

int main(int argc, char **argv) {
  long mib = argc > 1 ? number(argv[1]) : 4;
  if (mib < 1) mib = 1;
  long blocks = mib * (1024 * 1024 / BLOCK);
  const char *path = "/tmp/file-bench.dat";
  long fd = hrt_open(path, HRT_O_CREAT | HRT_O_RDWR | HRT_O_TRUNC, 0644);
  if (fd < 0) {
    hrt_eprintf("file-bench: open: error %ld\n", -fd);
    return 1;
  }
  uint64_t t0 = hedron_rdtsc();
  for (long i = 0; i < blocks; i++) {
    for (int j = 0; j < BLOCK; j += 512) block[j] = (unsigned char)(i + j);
    if (hrt_write_fd((int)fd, block, BLOCK) != BLOCK) {
      hrt_eprintf("file-bench: write failed\n");
      return 1;
    }
  }
  uint64_t t1 = hedron_rdtsc();
  hrt_lseek((int)fd, 0, HRT_SEEK_SET);
  uint32_t sum = 0;
  uint64_t t2 = hedron_rdtsc();
  for (long i = 0; i < blocks; i++) {
    if (hrt_read((int)fd, block, BLOCK) != BLOCK) {
      hrt_eprintf("file-bench: read failed\n");
      return 1;
    }
    for (int j = 0; j < BLOCK; j += 512) sum = sum * 31 + block[j];
  }
  uint64_t t3 = hedron_rdtsc();
  hrt_close((int)fd);
  hrt_printf("blocks %ld\n", blocks);
  hrt_printf("write %llu\n", (unsigned long long)((t1 - t0) / (uint64_t)blocks));
  hrt_printf("read %llu\n", (unsigned long long)((t3 - t2) / (uint64_t)blocks));
  hrt_printf("checksum %08x\n", sum);
  return 0;
}
