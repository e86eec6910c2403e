/* Threads: a pool of 8 pthreads sharing a work queue under a mutex and two condition variables, a join of each,
 * thread-local storage, a detached thread and a timed wait; the output is the same whatever the interleaving. */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#define WORKERS 8
#define JOBS 400

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t work = PTHREAD_COND_INITIALIZER, done = PTHREAD_COND_INITIALIZER;
static int next_job, finished, results[JOBS];
static __thread int tls_count;

static int collatz(int n) {
  int steps = 0;
  for (long x = n + 1; x != 1; steps++) x = x % 2 ? 3 * x + 1 : x / 2;
  return steps;
}

static void *worker(void *arg) {
  (void)arg;
  for (;;) {
    pthread_mutex_lock(&lock);
    if (next_job >= JOBS) { pthread_mutex_unlock(&lock); break; }
    int job = next_job++;
    pthread_mutex_unlock(&lock);
    int r = collatz(job * 37);
    tls_count++;
    pthread_mutex_lock(&lock);
    results[job] = r;
    if (++finished == JOBS) pthread_cond_broadcast(&done);
    pthread_mutex_unlock(&lock);
  }
  return (void *)(long)tls_count;
}

static int ping, pong_turn;
static void *ponger(void *arg) {
  (void)arg;
  for (int i = 0; i < 50; i++) {
    pthread_mutex_lock(&lock);
    while (!pong_turn) pthread_cond_wait(&work, &lock);
    pong_turn = 0;
    ping++;
    pthread_cond_signal(&done);
    pthread_mutex_unlock(&lock);
  }
  return NULL;
}

static volatile int detached_ran;
static void *detached(void *arg) {
  (void)arg;
  detached_ran = 1;
  return NULL;
}

int main(void) {
  pthread_t t[WORKERS];
  for (long i = 0; i < WORKERS; i++) pthread_create(&t[i], NULL, worker, (void *)i);
  pthread_mutex_lock(&lock);
  while (finished < JOBS) pthread_cond_wait(&done, &lock);
  pthread_mutex_unlock(&lock);
  long total = 0;
  for (int i = 0; i < WORKERS; i++) {
    void *n;
    pthread_join(t[i], &n);
    total += (long)n;
  }
  long sum = 0;
  for (int i = 0; i < JOBS; i++) sum += results[i];
  printf("pool of %d: %d jobs, per-thread counts add up to %ld, checksum %ld, main tls %d\n", WORKERS, JOBS, total, sum, tls_count);

  pthread_t p;
  pthread_create(&p, NULL, ponger, NULL);
  for (int i = 0; i < 50; i++) {
    pthread_mutex_lock(&lock);
    pong_turn = 1;
    pthread_cond_signal(&work);
    while (pong_turn || ping <= i) pthread_cond_wait(&done, &lock);
    pthread_mutex_unlock(&lock);
  }
  pthread_join(p, NULL);
  printf("condvar ping-pong: %d rounds\n", ping);

  pthread_attr_t attr;
  pthread_attr_init(&attr);
  pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
  pthread_t d;
  pthread_create(&d, &attr, detached, NULL);
  while (!detached_ran) sched_yield();
  printf("detached thread ran\n");

  struct timespec until;
  clock_gettime(CLOCK_REALTIME, &until);
  until.tv_nsec += 20 * 1000 * 1000;
  if (until.tv_nsec >= 1000000000) { until.tv_sec++; until.tv_nsec -= 1000000000; }
  pthread_mutex_lock(&lock);
  int r = pthread_cond_timedwait(&work, &lock, &until);
  pthread_mutex_unlock(&lock);
  printf("timed wait: %s\n", r == ETIMEDOUT ? "ETIMEDOUT" : "other");
  return 0;
}
