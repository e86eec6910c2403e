/* The guest the gdb test debugs: built with symbols (musl-gcc -static -g -O0), so `break main`, `break add`
   and `print total` work against the lab's GDB stub. */
#include <stdio.h>

static long add(long a, long b) {
  return a + b;
}

long total;

int main(void) {
  for (long i = 1; i <= 10; i++) total = add(total, i);
  printf("total = %ld\n", total);
  return (int)(total % 256);
}
