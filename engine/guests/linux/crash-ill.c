/* Dies of SIGILL (ud2) without a handler; a SIGILL handler set to SIG_IGN does not help (the kernel forces it). */
#include <signal.h>
#include <stdio.h>

int main(void) {
  signal(SIGILL, SIG_IGN);
  printf("executing ud2\n");
  fflush(stdout);
  __asm__ volatile("ud2");
  printf("not reached\n");
  return 0;
}
