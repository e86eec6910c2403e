/* Dies of SIGFPE (integer divide by zero) without a handler: exit status 136. */
#include <stdio.h>

int main(void) {
  volatile int num = 1, den = 0;
  printf("dividing by zero\n");
  fflush(stdout);
  num = num / den;
  printf("not reached %d\n", num);
  return 0;
}
