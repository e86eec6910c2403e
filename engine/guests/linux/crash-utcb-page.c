/* Writes the page where the lab maps a Hedron app's UTCB (0x7fffffffd000): a Linux process has nothing mapped there,
 * so it dies of SIGSEGV (139), as natively; the write must not set NSCT and turn its syscalls native. */
#include <stdio.h>

int main(void) {
  printf("writing the UTCB address\n");
  fflush(stdout);
  volatile unsigned long *utcb = (volatile unsigned long *)0x7fffffffd000UL;
  for (int i = 0; i < 512; i++) utcb[i] = ~0UL;
  printf("not reached\n");
  return 0;
}
