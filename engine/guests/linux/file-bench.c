/* File throughput, Linux variant (the seed's evaluation): write then read N MiB in 4 KiB blocks through read/write
   syscalls, timed with rdtsc. engine/guests/native/file-bench.c does identical work through the native file service. */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#define BLOCK 4096

static inline uint64_t rdtsc(void) {
    uint32_t lo, hi;
    __asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
    return ((uint64_t)hi << 32) | lo;
}

static unsigned char block[BLOCK];

int main(int argc, char **argv) {
    long mib = argc > 1 ? atol(argv[1]) : 4;
    if (mib < 1) mib = 1;
    long blocks = mib * (1024 * 1024 / BLOCK);
    const char *path = "/tmp/file-bench.dat";
    int fd = open(path, O_CREAT | O_RDWR | O_TRUNC, 0644);
    if (fd < 0) {
        perror("file-bench: open");
        return 1;
    }
    uint64_t t0 = rdtsc();
    for (long i = 0; i < blocks; i++) {
        for (int j = 0; j < BLOCK; j += 512) block[j] = (unsigned char)(i + j);
        if (write(fd, block, BLOCK) != BLOCK) {
            perror("file-bench: write");
            return 1;
        }
    }
    uint64_t t1 = rdtsc();
    lseek(fd, 0, SEEK_SET);
    uint32_t sum = 0;
    uint64_t t2 = rdtsc();
    for (long i = 0; i < blocks; i++) {
        if (read(fd, block, BLOCK) != BLOCK) {
            perror("file-bench: read");
            return 1;
        }
        for (int j = 0; j < BLOCK; j += 512) sum = sum * 31 + block[j];
    }
    uint64_t t3 = rdtsc();
    close(fd);
    printf("blocks %ld\n", blocks);
    printf("write %llu\n", (unsigned long long)((t1 - t0) / blocks));
    printf("read %llu\n", (unsigned long long)((t3 - t2) / blocks));
    printf("checksum %08x\n", sum);
    return 0;
}
