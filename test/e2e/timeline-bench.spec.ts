// Timeline bench: a recording of ~10^6 events, zoomed and panned with the mouse; prints frame times and asserts
// the view stays interactive. The level-of-detail index keeps what is drawn to a few thousand shapes.

import { expect, test } from "@playwright/test";
import { execFileSync } from "node:child_process";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { ROOT, SHOTS, startHost, type Host } from "./host.ts";

let host: Host;
let hasCompiler = true;
try {
  execFileSync("musl-gcc", ["--version"], { stdio: "ignore" });
} catch {
  hasCompiler = false;
}

test.beforeAll(async () => {
  test.setTimeout(300_000);
  if (!hasCompiler) return;
  host = await startHost((data) => {
    mkdirSync(join(data, "recordings"));
    const out = execFileSync(process.execPath, ["--import", "tsx", join(ROOT, "test/e2e/storm-recording.ts"), join(data, "recordings", "storm.hlrec")], { cwd: ROOT });
    process.stdout.write(`timeline bench recording: ${out.toString().trim()}\n`);
  });
});

test.afterAll(async () => {
  await host?.stop();
});

const stats = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;
  return { n: values.length, median: at(0.5), p95: at(0.95), max: sorted.at(-1) ?? 0 };
};

test("the timeline stays interactive while zooming and panning a recording of 10^6 events", async ({ page }) => {
  test.skip(!hasCompiler, "musl-gcc is not installed (apt-get install musl-tools): the bench guest cannot be built");
  test.setTimeout(300_000);
  await page.goto(host.url);
  await page.click('[data-view="recordings"]');
  const row = page.locator('[data-testid="recordings"] tr', { hasText: "storm.hlrec" });
  await expect(row).toContainText("1,000,1");
  await row.locator('[data-testid="open"]').click();
  const opened = Date.now();
  await page.click('[data-view="timeline"]');
  await expect(page.locator('[data-testid="timeline-detail"]')).toContainText("aggregated", { timeout: 120_000 });
  const indexMs = Date.now() - opened;
  const canvas = page.locator('[data-testid="timeline-canvas"]');
  const box = (await canvas.boundingBox())!;

  // Frame intervals as the page sees them (requestAnimationFrame), plus the canvas draw time of each redraw.
  await page.evaluate(() => {
    const w = window as unknown as { frames_: number[]; draws_: number[]; stop_: boolean };
    w.frames_ = [];
    w.draws_ = [];
    w.stop_ = false;
    let last = performance.now();
    const c = document.querySelector('[data-testid="timeline-canvas"]')!;
    new MutationObserver(() => w.draws_.push(Number(c.getAttribute("data-frame-ms")))).observe(c, { attributes: true, attributeFilter: ["data-frame-ms", "data-domain"] });
    requestAnimationFrame(function tick(now) {
      w.frames_.push(now - last);
      last = now;
      if (!w.stop_) requestAnimationFrame(tick);
    });
  });
  await page.mouse.move(box.x + box.width * 0.4, box.y + box.height / 2);
  for (let i = 0; i < 40; i++) await page.mouse.wheel(0, -120);
  await page.mouse.down();
  for (let i = 0; i < 40; i++) await page.mouse.move(box.x + box.width * 0.4 + i * 8, box.y + box.height / 2);
  await page.mouse.up();
  for (let i = 0; i < 40; i++) await page.mouse.wheel(0, 120);
  await page.waitForTimeout(500);
  const { frames, draws } = await page.evaluate(() => {
    const w = window as unknown as { frames_: number[]; draws_: number[]; stop_: boolean };
    w.stop_ = true;
    return { frames: w.frames_.slice(1), draws: w.draws_ };
  });
  await page.screenshot({ path: join(SHOTS, "10-timeline-1M.png") });
  const frame = stats(frames);
  const draw = stats(draws);
  process.stdout.write(
    `timeline bench (10^6 events): index+first view ${indexMs} ms; frame interval median ${frame.median.toFixed(1)} ms, ` +
      `p95 ${frame.p95.toFixed(1)} ms, max ${frame.max.toFixed(1)} ms over ${frame.n} frames; ` +
      `canvas draw median ${draw.median.toFixed(2)} ms, p95 ${draw.p95.toFixed(2)} ms over ${draw.n} redraws\n`,
  );
  expect(draw.n).toBeGreaterThan(20);
  expect(draw.p95).toBeLessThan(16);
  expect(frame.p95).toBeLessThan(100);
});
