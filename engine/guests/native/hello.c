/* Native hello: prints through the roottask's stdout service (no Linux, no libc), then exits with status 0.
 * The smallest native app: crt0 → main → hrt_printf → one portal call per line. */
#include "hrstd.h"

int main(int argc, char **argv) {
  hrt_printf("Hello from a native Hedron app!\n");
  hrt_printf("argc=%d argv[0]=%s cpu=%u of %u utcb=%p\n", argc, argv[0], hrt_cpu, hrt_cpus, (void *)hrt_utcb);
  return 0;
}
