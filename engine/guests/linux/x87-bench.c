// x87-heavy benchmark: long double add/mul/div/sqrt, compares, and conversions to and from int, long long, double
// and float in a loop (argv[1] iterations, default 2,000,000), printing checksums of every result's bits so any
// mis-rounded last bit changes the output.
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint64_t mix(uint64_t h, uint64_t v) {
  return (h ^ v) * 0x100000001b3ULL;
}

static uint64_t bits80(long double v) {
  uint64_t m;
  uint16_t se;
  memcpy(&m, &v, 8);
  memcpy(&se, (char *)&v + 8, 2);
  return m ^ ((uint64_t)se << 48);
}

int main(int argc, char **argv) {
  long n = argc > 1 ? strtol(argv[1], 0, 10) : 2000000;
  long double x = 1.0L, harmonic = 0, basel = 0, root = 0;
  uint64_t h = 0xcbf29ce484222325ULL;
  double dsum = 0;
  float fsum = 0;
  long long isum = 0;
  for (long i = 1; i <= n; i++) {
    long double li = (long double)i;           // fild
    long double r = sqrtl(li * 3.0L + 0.25L);  // fmul, fadd, fsqrt
    root += r;
    harmonic += 1.0L / li;                     // fdivr
    basel += 1.0L / (li * li);
    x = x * 1.000000119L + r / (li + 0.5L);    // fmul, fdiv
    if (x > 1e6L) x -= 999999.5L;              // fucomi
    long long t = (long long)(x * 4096.0L);    // fistp (truncating: fldcw)
    isum += t;
    double d = (double)(r - x);                // fstp m64
    dsum += d;
    float f = (float)(harmonic * r);           // fstp m32
    fsum += f;
    h = mix(h, bits80(r));
    h = mix(h, bits80(x));
    h = mix(h, (uint64_t)t);
    long double back = (long double)d + (long double)f; // fld m64, fld m32
    h = mix(h, bits80(back));
  }
  printf("x %La\nharmonic %La\nbasel %La\nroot %La\n", x, harmonic, basel, root);
  printf("%.21Lg %.21Lg %.21Lg\n", harmonic, basel, root);
  printf("dsum %a fsum %a isum %lld hash %016llx\n", dsum, (double)fsum, isum, (unsigned long long)h);
  return 0;
}
