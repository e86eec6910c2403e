// long double printf and libm (musl: x87 asm for sqrtl/fmodl/remainderl/expl/logl/powl/atan2l) plus double libm.
// Transcendental results print 15 digits: the lab computes x87 transcendentals through doubles (see engine/cpu/x87.ts).
#include <math.h>
#include <stdio.h>

static volatile long double lv[] = { 1.0L, 3.0L, 0.1L, 1e4000L, 1e-4000L, 123456789.123456789L, -2.5L, 0x1p-16445L };
static volatile double dv[] = { 1.0, 10.0, 0.5, 2.0, 1e-300 };

int main(void) {
  long double third = lv[0] / lv[1];
  printf("%.21Lg %La %Le %Lf\n", third, third, third, third);
  printf("%Lg %.30Lg %Lg %La\n", lv[3], lv[3], lv[4], lv[7]);
  printf("%.25Lf %Lg %.3Lf\n", lv[5], lv[6], lv[2] * lv[1]);
  long double acc = 0;
  for (int k = 1; k <= 1000; k++) acc += 1.0L / ((long double)k * k);
  printf("sum %.21Lg\n", acc);
  printf("sqrtl %.21Lg %.21Lg\n", sqrtl(2.0L), sqrtl(lv[5]));
  printf("fmodl %.21Lg %.21Lg\n", fmodl(1e20L, 3.3L), fmodl(-lv[5], 7.25L));
  printf("remainderl %.21Lg %.21Lg\n", remainderl(10.5L, 3.0L), remainderl(lv[5], 0.1L));
  int e;
  long double m = frexpl(lv[5], &e);
  printf("frexpl %.21Lg %d ldexpl %.21Lg %Lg\n", m, e, ldexpl(m, e), ldexpl(lv[0], -16400));
  printf("sinl %.18Lg cosl %.18Lg\n", sinl(lv[0]), cosl(lv[0]));
  printf("atan2l %.15Lg expl %.15Lg logl %.15Lg powl %.15Lg\n", atan2l(lv[0], 2.0L), expl(lv[0]), logl(10.0L), powl(2.0L, 0.5L));
  printf("sin %.17g cos %.17g exp %.17g log %.17g pow %.17g\n", sin(dv[0]), cos(dv[0]), exp(dv[0]), log(dv[1]), pow(dv[3], dv[2]));
  printf("tiny %.17g %.17g\n", exp(-dv[4]), log(dv[4]));
  return 0;
}
