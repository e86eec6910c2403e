// `bench procs` guest: OP ROUNDS times one of fork+exit+wait, fork+execve+exit+wait, a pipe round trip between two
// processes, an uncontended FUTEX_WAKE, a contended futex hand-over between two threads, or thread create+join.
// Prints the totals as "ns N" (CLOCK_MONOTONIC: host time natively, virtual time in the lab) and "cycles N" (rdtsc).
#define _GNU_SOURCE
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <x86intrin.h>

// <linux/futex.h> is not among musl's headers.
#define FUTEX_WAIT_PRIVATE 128
#define FUTEX_WAKE_PRIVATE 129

static int64_t now_ns(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (int64_t)t.tv_sec * 1000000000 + t.tv_nsec;
}

static long futex(int *word, int op, int value) { return syscall(SYS_futex, word, op, value, NULL, NULL, 0); }

static int turn;
static long rounds;

/** The other side of the contended futex: waits for its turn (1), hands it back (0). */
static void *partner(void *arg) {
  (void)arg;
  for (long i = 0; i < rounds; i++) {
    while (__atomic_load_n(&turn, __ATOMIC_ACQUIRE) != 1) futex(&turn, FUTEX_WAIT_PRIVATE, 0);
    __atomic_store_n(&turn, 0, __ATOMIC_RELEASE);
    futex(&turn, FUTEX_WAKE_PRIVATE, 1);
  }
  return NULL;
}

static void *nothing(void *arg) { return arg; }

static void run(const char *op, char *self) {
  if (strcmp(op, "fork") == 0) {
    for (long i = 0; i < rounds; i++) {
      pid_t pid = fork();
      if (pid == 0) _exit(0);
      waitpid(pid, NULL, 0);
    }
  } else if (strcmp(op, "exec") == 0) {
    for (long i = 0; i < rounds; i++) {
      pid_t pid = fork();
      if (pid == 0) {
        char *argv[] = {self, "exit", NULL};
        execv("/proc/self/exe", argv);
        _exit(127);
      }
      waitpid(pid, NULL, 0);
    }
  } else if (strcmp(op, "pipe") == 0) {
    int there[2], back[2];
    if (pipe(there) || pipe(back)) exit(1);
    pid_t pid = fork();
    char c = 0;
    if (pid == 0) {
      for (long i = 0; i < rounds; i++) {
        if (read(there[0], &c, 1) != 1 || write(back[1], &c, 1) != 1) _exit(1);
      }
      _exit(0);
    }
    for (long i = 0; i < rounds; i++) {
      if (write(there[1], &c, 1) != 1 || read(back[0], &c, 1) != 1) exit(1);
    }
    waitpid(pid, NULL, 0);
  } else if (strcmp(op, "futex") == 0) {
    int word = 0;
    for (long i = 0; i < rounds; i++) futex(&word, FUTEX_WAKE_PRIVATE, 1);
  } else if (strcmp(op, "futex-contended") == 0) {
    pthread_t t;
    pthread_create(&t, NULL, partner, NULL);
    for (long i = 0; i < rounds; i++) {
      __atomic_store_n(&turn, 1, __ATOMIC_RELEASE);
      futex(&turn, FUTEX_WAKE_PRIVATE, 1);
      while (__atomic_load_n(&turn, __ATOMIC_ACQUIRE) != 0) futex(&turn, FUTEX_WAIT_PRIVATE, 1);
    }
    pthread_join(t, NULL);
  } else if (strcmp(op, "thread") == 0) {
    for (long i = 0; i < rounds; i++) {
      pthread_t t;
      pthread_create(&t, NULL, nothing, NULL);
      pthread_join(t, NULL);
    }
  } else {
    fprintf(stderr, "unknown operation %s\n", op);
    exit(2);
  }
}

int main(int argc, char **argv) {
  if (argc == 2 && strcmp(argv[1], "exit") == 0) return 0;
  if (argc != 3) {
    fprintf(stderr, "usage: procs-bench fork|exec|pipe|futex|futex-contended|thread ROUNDS\n");
    return 2;
  }
  rounds = atol(argv[2]);
  int64_t t0 = now_ns();
  uint64_t c0 = __rdtsc();
  if (rounds > 0) run(argv[1], argv[0]);
  uint64_t c1 = __rdtsc();
  int64_t t1 = now_ns();
  printf("rounds %ld\nns %lld\ncycles %llu\n", rounds, (long long)(t1 - t0), (unsigned long long)(c1 - c0));
  return 0;
}
