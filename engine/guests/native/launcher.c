/* Native launcher: starts copies of itself through the process service and waits for each (blocking on the exit
 * semaphore the wait reply delegates); a copy started with "child N" prints and exits with status N. */
#include "hrstd.h"

int main(int argc, char **argv) {
  if (argc == 3 && argv[1][0] == 'c') {
    int n = argv[2][0] - '0';
    hrt_printf("child %d running on CPU %u\n", n, hrt_cpu);
    return n;
  }
  const char *self = "/bin/native-launcher";
  const char *a1[] = { "native-launcher", "child", "3", 0 };
  const char *a2[] = { "native-launcher", "child", "5", 0 };
  long p1 = hrt_spawn(self, a1);
  long p2 = hrt_spawn(self, a2);
  hrt_printf("started children %ld and %ld\n", p1, p2);
  long s1 = hrt_wait(p1);
  long s2 = hrt_wait(p2);
  hrt_printf("child %ld exited with %ld, child %ld exited with %ld\n", p1, s1, p2, s2);
  hrt_printf("wait for a non-child -> %ld, start of a missing file -> %ld\n", hrt_wait(1), hrt_spawn("/bin/none", 0));
  return 0;
}
