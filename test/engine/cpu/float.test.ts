// Floating point through real musl code: printf of doubles (x87 long double inside musl), long double
// arithmetic and conversions, SSE2 math. Built with musl-gcc at test time; output must equal the host run.

import { after, test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runOnMachine } from "../../helpers/machine-run.ts";

const SOURCE = String.raw`
#include <stdio.h>
#include <stdlib.h>
#include <math.h>
#include <stdint.h>
int main(void) {
  volatile double xs[] = { 0.0, -0.0, 1.0, -1.5, 3.141592653589793, 1e-300, 2.5e300, 123456789.123456789,
                           0.1, 1.0 / 3.0, 2.0 / 3.0, 1e22, 5e-324, 9007199254740993.0, -7.25e-5 };
  for (unsigned i = 0; i < sizeof xs / sizeof xs[0]; i++) {
    double x = xs[i];
    printf("%f %.3f %e %.10e %g %.17g %a\n", x, x, x, x, x, x, x);
  }
  volatile long double a = 1.0L / 3.0L, b = 2.0L, c = 1e4000L;
  printf("%.20Lf %.20Le %Lg\n", a, a * b, c / 7);
  printf("%.25Lf\n", a + 1e-19L);
  volatile long double s = 0;
  for (int i = 1; i <= 1000; i++) s += 1.0L / i;
  printf("harmonic %.21Lg\n", s);
  volatile int64_t big = -9007199254740993LL;
  volatile long double lb = big;
  printf("%.0Lf %lld %lld\n", lb, (long long)lb, (long long)(lb / 3));
  volatile double d = 0;
  for (int i = 1; i < 2000; i++) d += sqrt((double)i) / (i + 0.5) - (double)(i % 7) * 0.25;
  printf("sse %.12f %d %ld\n", d, (int)d, lrint(d * 1000));
  printf("floor %.1f ceil %.1f fmod %.6f\n", floor(-2.5), ceil(-2.5), fmod(10.3, 3.0));
  printf("strtod %.17g %.17g\n", strtod("1.7976931348623157e308", 0), strtod("0.000000123456789", 0));
  return 0;
}
`;

function build(): string | null {
  const dir = mkdtempSync(join(tmpdir(), "hedron-cpu-float-"));
  after(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, "f.c"), SOURCE);
  const out = join(dir, "f");
  const r = spawnSync("musl-gcc", ["-static", "-O2", "-o", out, join(dir, "f.c"), "-lm"]);
  return r.status === 0 ? out : null;
}

const binary = process.platform === "linux" && process.arch === "x64" ? build() : null;

test("printf of doubles and long double arithmetic match the host", { skip: !binary && "needs musl-gcc on an x86-64 Linux host" }, () => {
  const host = spawnSync(binary!, []).stdout.toString();
  const r = runOnMachine(readFileSync(binary!), ["f"]);
  assert.equal(r.fault, undefined);
  assert.equal(r.stdout, host);
});
