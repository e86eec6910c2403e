/* Dies of SIGSEGV without a handler: exit status 139 as a shell sees it, output before the crash kept. */
#include <stdio.h>

int main(void) {
  printf("writing through a bad pointer\n");
  fflush(stdout);
  *(volatile int *)0x10 = 1;
  printf("not reached\n");
  return 0;
}
