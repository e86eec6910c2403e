/* Calls the legacy vsyscall page as old static binaries (dietlibc) do: gettimeofday, time and getcpu at fixed
 * addresses through a register. Linux (vsyscall=xonly) emulates the calls; the output is the same wherever the
 * clock stands and whichever CPU runs it. */
#include <stdio.h>
#include <sys/time.h>
#include <time.h>

typedef long (*gettimeofday_fn)(struct timeval *, void *);
typedef long (*time_fn)(long *);
typedef long (*getcpu_fn)(unsigned *, unsigned *, void *);

/* Read through memory: the call goes through whichever register the compiler loads it into. */
static volatile unsigned long time_entry = 0xffffffffff600400UL;

int main(void) {
  struct timeval tv = {0, 0};
  long r = ((gettimeofday_fn)0xffffffffff600000UL)(&tv, 0);
  struct timespec now;
  clock_gettime(CLOCK_REALTIME, &now);
  printf("gettimeofday = %ld, within a second of clock_gettime: %d, usec in range: %d\n", r,
         now.tv_sec - tv.tv_sec <= 1 && now.tv_sec >= tv.tv_sec, tv.tv_usec >= 0 && tv.tv_usec < 1000000);
  long t = 0;
  long got = ((time_fn)time_entry)(&t);
  printf("time returns what it stores: %d, after 2020: %d\n", got == t, t > 1577836800L);
  unsigned cpu = 99, node = 99;
  r = ((getcpu_fn)0xffffffffff600800UL)(&cpu, &node, 0);
  printf("getcpu = %ld, stores a CPU number: %d, node %u\n", r, cpu < 4096, node);
  return 0;
}
