// Clocks and timers: CLOCK_REALTIME is a wall-clock time, every clock moves across a sleep, and setitimer/alarm,
// POSIX timers (SIGEV_SIGNAL, SIGEV_THREAD_ID, SIGEV_NONE) and timerfds (read, poll, epoll) fire. Prints only what
// is the same on every run natively (whether, not exactly when).
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/timerfd.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t alarms, usr1, usr1_code, usr1_value, usr2_tid;

static void on_alarm(int sig) { (void)sig; alarms++; }

static void on_usr1(int sig, siginfo_t *info, void *ctx) {
  (void)sig; (void)ctx;
  usr1++;
  usr1_code = info->si_code;
  usr1_value = info->si_value.sival_int;
}

static void on_usr2(int sig) { (void)sig; usr2_tid = (sig_atomic_t)syscall(SYS_gettid); }

static int64_t ns(clockid_t clock) {
  struct timespec t;
  clock_gettime(clock, &t);
  return (int64_t)t.tv_sec * 1000000000 + t.tv_nsec;
}

/** The kernel's struct sigevent with SIGEV_THREAD_ID's thread id (libcs name that field differently). */
struct kernel_sigevent {
  union sigval value;
  int signo;
  int notify;
  int tid;
  int pad[11];
};

int main(void) {
  setvbuf(stdout, NULL, _IONBF, 0);
  // A wall-clock time after 2024-01-01, and time() and gettimeofday() agree with it.
  int64_t real = ns(CLOCK_REALTIME);
  struct timeval tv;
  gettimeofday(&tv, NULL);
  time_t now = time(NULL);
  printf("realtime after 2024: %s\n", real / 1000000000 > 1704067200 ? "yes" : "no");
  printf("time() and gettimeofday() agree: %s\n", now - real / 1000000000 <= 1 && tv.tv_sec - real / 1000000000 <= 1 ? "yes" : "no");

  // Every clock moves across a 30 ms sleep.
  int64_t m0 = ns(CLOCK_MONOTONIC), r0 = ns(CLOCK_REALTIME), b0 = ns(CLOCK_BOOTTIME);
  struct timespec req = {0, 30000000};
  nanosleep(&req, NULL);
  printf("monotonic moved 30 ms: %s\n", ns(CLOCK_MONOTONIC) - m0 >= 30000000 ? "yes" : "no");
  printf("realtime moved 30 ms: %s\n", ns(CLOCK_REALTIME) - r0 >= 30000000 ? "yes" : "no");
  printf("boottime moved 30 ms: %s\n", ns(CLOCK_BOOTTIME) - b0 >= 30000000 ? "yes" : "no");

  // alarm + pause; alarm's return value is the time left of the previous one.
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_alarm;
  sigaction(SIGALRM, &sa, NULL);
  alarm(1);
  int r = pause();
  printf("pause: %d %s, alarms %d\n", r, strerror(errno), (int)alarms);
  alarm(5);
  printf("alarm(0) after alarm(5): %u\n", alarm(0));

  // An interval timer interrupts a busy loop three times; getitimer shows the interval.
  alarms = 0;
  struct itimerval it = {{0, 10000}, {0, 10000}}, cur;
  setitimer(ITIMER_REAL, &it, NULL);
  for (volatile unsigned long spin = 0; alarms < 3; spin++) {}
  getitimer(ITIMER_REAL, &cur);
  printf("itimer: %d alarms in a busy loop, interval %ld us, armed %s\n", (int)alarms, (long)cur.it_interval.tv_usec,
         cur.it_value.tv_sec == 0 && cur.it_value.tv_usec > 0 && cur.it_value.tv_usec <= 10000 ? "yes" : "no");
  struct itimerval off = {{0, 0}, {0, 0}};
  setitimer(ITIMER_REAL, &off, NULL);
  getitimer(ITIMER_REAL, &cur);
  printf("itimer disarmed: %s\n", cur.it_value.tv_sec == 0 && cur.it_value.tv_usec == 0 ? "yes" : "no");

  // A POSIX timer's signal carries SI_TIMER and sigev_value.
  memset(&sa, 0, sizeof sa);
  sa.sa_sigaction = on_usr1;
  sa.sa_flags = SA_SIGINFO;
  sigaction(SIGUSR1, &sa, NULL);
  struct sigevent sev;
  memset(&sev, 0, sizeof sev);
  sev.sigev_notify = SIGEV_SIGNAL;
  sev.sigev_signo = SIGUSR1;
  sev.sigev_value.sival_int = 42;
  timer_t timer;
  printf("timer_create: %d\n", timer_create(CLOCK_MONOTONIC, &sev, &timer));
  struct itimerspec its = {{0, 0}, {0, 20000000}}, got;
  timer_settime(timer, 0, &its, NULL);
  timer_gettime(timer, &got);
  printf("timer armed: %s\n", got.it_value.tv_sec == 0 && got.it_value.tv_nsec > 0 && got.it_value.tv_nsec <= 20000000 ? "yes" : "no");
  while (!usr1) pause();
  printf("timer signal: %d, SI_TIMER %s, value %d\n", (int)usr1, usr1_code == SI_TIMER ? "yes" : "no", (int)usr1_value);
  timer_gettime(timer, &got);
  printf("one-shot disarmed: %s, overrun %d\n", got.it_value.tv_sec == 0 && got.it_value.tv_nsec == 0 ? "yes" : "no", timer_getoverrun(timer));
  int deleted = timer_delete(timer);
  int again = timer_delete(timer);
  printf("timer_delete: %d, again: %d %s\n", deleted, again, strerror(errno));

  // SIGEV_THREAD_ID names the thread the signal goes to; SIGEV_NONE only counts down.
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_usr2;
  sigaction(SIGUSR2, &sa, NULL);
  struct kernel_sigevent ksev;
  memset(&ksev, 0, sizeof ksev);
  ksev.notify = 4; // SIGEV_THREAD_ID
  ksev.signo = SIGUSR2;
  ksev.tid = (int)syscall(SYS_gettid);
  int kid = -1;
  printf("thread-directed timer_create: %ld\n", syscall(SYS_timer_create, CLOCK_MONOTONIC, &ksev, &kid));
  syscall(SYS_timer_settime, kid, 0, &its, NULL);
  while (!usr2_tid) pause();
  printf("signal at the named thread: %s\n", usr2_tid == (sig_atomic_t)syscall(SYS_gettid) ? "yes" : "no");
  syscall(SYS_timer_delete, kid);
  sev.sigev_notify = SIGEV_NONE;
  timer_create(CLOCK_REALTIME, &sev, &timer);
  struct itimerspec abs = {{0, 0}, {time(NULL) + 100, 0}};
  timer_settime(timer, TIMER_ABSTIME, &abs, NULL);
  timer_gettime(timer, &got);
  printf("absolute realtime timer: %s\n", got.it_value.tv_sec >= 98 && got.it_value.tv_sec <= 100 ? "yes" : "no");
  timer_delete(timer);
  r = timer_gettime((timer_t)(intptr_t)12345, &got);
  printf("bad timer id: %d %s\n", r, strerror(errno));

  // timerfd: read blocks until an expiry, poll and epoll report it, gettime shows the interval.
  int tfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC);
  struct itimerspec tspec = {{0, 10000000}, {0, 10000000}};
  printf("timerfd_settime: %d\n", timerfd_settime(tfd, 0, &tspec, NULL));
  uint64_t count = 0;
  ssize_t n = read(tfd, &count, sizeof count);
  printf("read: %zd, expirations >= 1: %s\n", n, count >= 1 ? "yes" : "no");
  struct pollfd pfd = {tfd, POLLIN, 0};
  r = poll(&pfd, 1, 1000);
  printf("poll: %d, revents %#x\n", r, pfd.revents);
  read(tfd, &count, sizeof count);
  int ep = epoll_create1(0);
  struct epoll_event ev = {.events = EPOLLIN, .data.u32 = 7}, out;
  epoll_ctl(ep, EPOLL_CTL_ADD, tfd, &ev);
  r = epoll_wait(ep, &out, 1, 1000);
  printf("epoll_wait: %d, data %u\n", r, out.data.u32);
  read(tfd, &count, sizeof count);
  struct itimerspec tget;
  timerfd_gettime(tfd, &tget);
  printf("timerfd interval %ld ns, armed %s\n", tget.it_interval.tv_nsec, tget.it_value.tv_nsec > 0 ? "yes" : "no");
  struct itimerspec stop = {{0, 0}, {0, 0}};
  timerfd_settime(tfd, 0, &stop, NULL);
  int nb = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK);
  n = read(nb, &count, sizeof count);
  printf("non-blocking read of an unarmed timerfd: %zd %s\n", n, strerror(errno));
  n = read(tfd, &count, 4);
  printf("short read: %zd %s\n", n, strerror(errno));
  r = timerfd_create(12345, 0);
  printf("timerfd_create bad clock: %d %s\n", r, strerror(errno));

  // A busy process whose alarm has no handler dies of SIGALRM.
  pid_t child = fork();
  if (child == 0) {
    signal(SIGALRM, SIG_DFL);
    struct itimerval soon = {{0, 0}, {0, 20000}};
    setitimer(ITIMER_REAL, &soon, NULL);
    for (volatile unsigned long spin = 0;; spin++) {}
  }
  int status;
  waitpid(child, &status, 0);
  printf("busy child: signaled %d, signal %d\n", WIFSIGNALED(status), WTERMSIG(status));
  return 0;
}
