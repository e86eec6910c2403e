/* Times single Linux syscalls the way the Hedron thesis did (HEDRON.md §9): rdtsc before and after each call,
   average of N rounds after a warm-up. rdtsc is real TSC natively and virtual cycles in the lab. */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

static inline uint64_t rdtsc(void) {
    uint32_t lo, hi;
    __asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
    return ((uint64_t)hi << 32) | lo;
}

/* One raw syscall instruction, so exactly one kernel entry is timed (libc wrappers may add or split calls). */
static inline long sys3(long nr, long a, long b, long c) {
    long r;
    __asm__ volatile("syscall" : "=a"(r) : "a"(nr), "D"(a), "S"(b), "d"(c) : "rcx", "r11", "memory");
    return r;
}

static const char *path = "/tmp/syscall-bench.dat";
static int fd;
static struct stat st;
static int tid;

static long do_set_tid_address(void) { return sys3(SYS_set_tid_address, (long)&tid, 0, 0); }
static long do_fstat(void) { return sys3(SYS_fstat, fd, (long)&st, 0); }
static long do_open(void) { return sys3(SYS_open, (long)path, O_RDONLY, 0); }

/* Average cycles of `rounds` timed calls after `warmup` untimed ones; opened fds are closed outside the timing. */
static uint64_t measure(long (*fn)(void), int closes, long warmup, long rounds) {
    for (long i = 0; i < warmup; i++) {
        long r = fn();
        if (closes && r >= 0) sys3(SYS_close, r, 0, 0);
    }
    uint64_t total = 0;
    for (long i = 0; i < rounds; i++) {
        uint64_t t0 = rdtsc();
        long r = fn();
        uint64_t t1 = rdtsc();
        if (r < 0) {
            fprintf(stderr, "syscall-bench: call failed with %ld\n", r);
            exit(1);
        }
        if (closes) sys3(SYS_close, r, 0, 0);
        total += t1 - t0;
    }
    return total / rounds;
}

int main(int argc, char **argv) {
    long rounds = argc > 1 ? atol(argv[1]) : 100000;
    long warmup = argc > 2 ? atol(argv[2]) : rounds / 10;
    if (rounds < 1) rounds = 1;
    fd = open(path, O_CREAT | O_RDWR | O_TRUNC, 0644);
    if (fd < 0 || write(fd, "hedron\n", 7) != 7) {
        perror("syscall-bench: create");
        return 1;
    }
    printf("set_tid_address %llu\n", (unsigned long long)measure(do_set_tid_address, 0, warmup, rounds));
    printf("fstat %llu\n", (unsigned long long)measure(do_fstat, 0, warmup, rounds));
    printf("open %llu\n", (unsigned long long)measure(do_open, 1, warmup, rounds));
    close(fd);
    unlink(path);
    return 0;
}
