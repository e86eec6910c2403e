// The lab as a time-travel debugger, in a real Chromium against the real browser host: exact steps, reverse
// execution, watchpoints, event details and table, the query console, and the defects issue 13 listed.
/// <reference lib="dom" />

import { expect, test, type Page } from "@playwright/test";
import { spawnSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { ROOT, SHOTS, startHost, type Host } from "./host.ts";

let host: Host;

test.beforeAll(async () => {
  host = await startHost();
});

test.afterAll(async () => {
  await host?.stop();
});

async function openLab(page: Page, at: Host = host): Promise<void> {
  const problems: string[] = [];
  page.on("pageerror", (error) => problems.push(error.message));
  await page.goto(at.url);
  await expect(page.locator('[data-testid="status"]')).toBeVisible();
  expect(problems).toEqual([]);
}

const icountOf = async (page: Page) => Number((await page.locator('[data-testid="status"]').textContent())!.match(/([\d,]+) instr/)![1]!.replace(/,/g, ""));
/** The time-travel bar of one view (the Events and Inspector views each have one). */
const nav = (page: Page, view: string, id: string) => page.locator(`[data-testid="view-${view}"] [data-testid="${id}"]`);
const replayAt = async (page: Page, view = "events") => Number((await nav(page, view, "replay-icount").textContent())!.match(/@ ([\d,]+)/)![1]!.replace(/,/g, ""));
async function goTo(page: Page, view: string, icount: number): Promise<void> {
  await nav(page, view, "goto").fill(String(icount));
  await nav(page, view, "goto-button").click();
}

/** The bundled hello recording in the Inspector, halfway through; the registers panel (its heading shows the icount). */
async function inspectorHalfway(page: Page) {
  await openLab(page);
  await openBundled(page, "hello.hlrec");
  const total = Number((await page.locator('[data-testid="seek"]').getAttribute("max"))!);
  const half = Math.floor(total / 2);
  await page.click('[data-view="inspector"]');
  await goTo(page, "inspector", half);
  const heading = page.locator('[data-testid="registers"]').locator("..").locator("..");
  await expect(heading).toContainText(`icount ${half.toLocaleString("en")}`);
  return { half, heading };
}

async function openBundled(page: Page, name: string): Promise<void> {
  await page.click('[data-view="recordings"]');
  await page.locator('[data-testid="recordings"] tr', { hasText: name }).locator('[data-testid="open"]').click();
  // Not just any replay panel: the lab may have opened the recording of an earlier run by itself.
  await expect(page.locator('[data-testid="replay"] h2')).toContainText(name);
}

test("the Timeline's empty state shows only its prompt: no toolbar, no axis", async ({ page }) => {
  await openLab(page);
  await page.click('[data-view="timeline"]');
  await expect(page.locator('[data-testid="view-timeline"]')).toContainText("Open a recording");
  await expect(page.locator('[data-testid="timeline-toolbar"]')).toBeHidden();
  await expect(page.locator('[data-testid="timeline-canvas"]')).toBeHidden();
  await page.screenshot({ path: join(SHOTS, "20-timeline-empty.png") });
});

for (const record of [true, false]) {
  for (const jit of [true, false]) {
    test(`step 1, 1000 and 10^6 land on exactly that many instructions more (record ${record ? "on" : "off"}, JIT ${jit ? "on" : "off"})`, async ({ page }) => {
      await openLab(page);
      await page.click('[data-view="machine"]');
      await page.selectOption('[data-testid="guest"]', "bench");
      await page.fill('[data-testid="args"]', "");
      await page.locator('[data-testid="record"]').setChecked(record);
      await page.locator('[data-testid="jit"]').setChecked(jit);
      await page.click('[data-testid="boot"]');
      await expect(page.locator('[data-testid="pause"]')).toBeEnabled();
      await page.click('[data-testid="pause"]');
      await expect(page.locator('[data-testid="status"] .state')).toHaveText("paused");
      let rip = "";
      for (const n of [1, 1000, 1_000_000]) {
        const before = await icountOf(page);
        await page.fill('[data-testid="step-size"]', String(n));
        await page.click('[data-testid="step"]');
        await expect.poll(() => icountOf(page), { timeout: 60_000 }).toBe(before + n);
        await page.click('[data-view="inspector"]');
        await page.locator('input[type="radio"][value="live"]').check();
        await page.getByRole("button", { name: "Refresh" }).click();
        const now = page.locator('[data-testid="registers"] [data-reg="rip"]');
        await expect(page.locator('[data-testid="registers"]').locator("..").locator("..")).toContainText(`icount ${(before + n).toLocaleString("en")}`);
        const value = (await now.textContent())!;
        if (n > 1) expect(value).not.toBe(rip);
        rip = value;
        await page.click('[data-view="machine"]');
      }
      await page.screenshot({ path: join(SHOTS, `21-step-exact-record-${record ? "on" : "off"}-jit-${jit ? "on" : "off"}.png`) });
      await page.click('[data-testid="stop"]');
      await expect(page.locator('[data-testid="status"] .state')).toHaveText("exited");
    });
  }
}

test("a run booted with Record on appears in Timeline, Costs and Inspector as soon as it ends; the VGA starts blank", async ({ page }) => {
  await openLab(page);
  await page.click('[data-view="machine"]');
  await page.selectOption('[data-testid="guest"]', "hello");
  await page.fill('[data-testid="args"]', "world 42");
  await page.locator('[data-testid="record"]').setChecked(true);
  await page.click('[data-testid="boot"]');
  // A new boot never shows the previous guest's picture: until the guest's screen arrives the canvas is blank.
  await expect(page.locator('[data-testid="machine-message"]')).toContainText("exited", { timeout: 60_000 });
  await expect(page.locator('[data-testid="status"]')).toContainText("▣ hello-");
  await page.click('[data-view="timeline"]');
  await expect(page.locator('[data-testid="timeline-detail"]')).toBeVisible();
  await page.click('[data-view="costs"]');
  await expect(page.locator('[data-testid="costs-column"]')).toHaveCount(1);
  await expect(page.locator('[data-testid="costs-column"] > h2')).toContainText("hello-");
  await page.click('[data-view="inspector"]');
  await expect(page.locator('[data-testid="view-inspector"]')).toContainText("Replay point (hello-");
  await page.screenshot({ path: join(SHOTS, "22-recorded-boot-opened.png") });
});

test("the VGA canvas is reset when a new machine boots", async ({ page }) => {
  await openLab(page);
  await page.click('[data-view="machine"]');
  await page.selectOption('[data-testid="guest"]', "native-painter");
  await page.locator('[data-testid="record"]').setChecked(false);
  await page.click('[data-testid="boot"]');
  await expect(page.locator('[data-testid="vga"]')).toHaveAttribute("aria-label", /^framebuffer/, { timeout: 90_000 });
  await page.selectOption('[data-testid="guest"]', "hello");
  await page.click('[data-testid="boot"]');
  await expect(page.locator('[data-testid="vga"]')).not.toHaveAttribute("aria-label", /^framebuffer/, { timeout: 30_000 });
  const width = await page.locator('[data-testid="vga"]').evaluate((c: HTMLCanvasElement) => c.width);
  expect(width).toBe(640);
  await page.screenshot({ path: join(SHOTS, "23-vga-reset.png") });
});

test("reverse step and reverse continue to a breakpoint land on the same instruction as a forward run to it", async ({ page }) => {
  await openLab(page);
  await openBundled(page, "hello.hlrec");
  await page.click('[data-view="events"]');
  // A breakpoint on the instruction the replay stands at a third of the way in.
  const total = Number((await nav(page, "events", "replay-icount").textContent())!.match(/\/ ([\d,]+)/)![1]!.replace(/,/g, ""));
  const third = Math.floor(total / 3);
  await goTo(page, "events", third);
  await page.click('[data-view="inspector"]');
  await expect(page.locator('[data-testid="registers"]').locator("..").locator("..")).toContainText(`icount ${third.toLocaleString("en")}`);
  const rip = (await page.locator('[data-testid="registers"] [data-reg="rip"]').textContent())!;
  await page.click('[data-view="events"]');
  await nav(page, "events", "bp-address").fill(rip);
  await nav(page, "events", "bp-add").click();
  await expect(nav(page, "events", "stop-list")).toContainText(rip);
  // Reverse continue from the end: the last time that instruction ran.
  await goTo(page, "events", total);
  await nav(page, "events", "reverse-continue").click();
  await expect(nav(page, "events", "nav-note")).toContainText("breakpoint at instruction", { timeout: 90_000 });
  const back = await replayAt(page);
  expect(back).toBeGreaterThanOrEqual(third);
  expect(back).toBeLessThan(total);
  // Forward from a little before it: the same instruction.
  await goTo(page, "events", back - 50);
  await nav(page, "events", "continue").click();
  await expect(nav(page, "events", "nav-note")).toContainText(`breakpoint at instruction ${back.toLocaleString("en")}`, { timeout: 90_000 });
  expect(await replayAt(page)).toBe(back);
  // Step back from one past it lands on it too, with RIP at the breakpoint.
  await nav(page, "events", "step-forward").click();
  await nav(page, "events", "step-back").click();
  expect(await replayAt(page)).toBe(back);
  await page.click('[data-view="inspector"]');
  await expect(page.locator('[data-testid="registers"]').locator("..").locator("..")).toContainText(`icount ${back.toLocaleString("en")}`);
  await expect(page.locator('[data-testid="registers"] [data-reg="rip"]')).toHaveText(rip);
  await expect(page.locator('[data-testid="disassembly"] tr.current')).toContainText(rip);
  await page.screenshot({ path: join(SHOTS, "24-reverse-continue.png") });
});

test("a watchpoint finds the instruction that wrote a known value: 'who last wrote this?'", async ({ page }) => {
  const { half, heading } = await inspectorHalfway(page);
  const firstRow = page.locator('[data-testid="memory"] tr').first();
  await expect(firstRow).toBeVisible();
  const bytesAt = async () => (await firstRow.locator("td").nth(1).textContent())!.trim().split(" ").slice(0, 8).join(" ");
  const known = await bytesAt();
  await page.click('[data-testid="who-wrote"]');
  await expect(page.locator('[data-testid="who-wrote-result"]')).toContainText("written by instruction", { timeout: 90_000 });
  const writer = await replayAt(page, "inspector");
  expect(writer).toBeLessThanOrEqual(half);
  await expect(heading).toContainText(`icount ${writer.toLocaleString("en")}`);
  await expect.poll(bytesAt).toBe(known);
  await page.screenshot({ path: join(SHOTS, "25-who-wrote.png") });
  // One instruction earlier the value was not there yet.
  await nav(page, "inspector", "step-back").click();
  await expect(heading).toContainText(`icount ${(writer - 1).toLocaleString("en")}`);
  await expect.poll(bytesAt).not.toBe(known);
});

test("'who changed this register?' jumps to right after the instruction that last changed it", async ({ page }) => {
  const { half, heading } = await inspectorHalfway(page);
  const rax = page.locator('[data-testid="registers"] [data-reg="rax"]');
  const known = (await rax.textContent())!;
  await page.click('[data-testid="who-changed-rax"]');
  await expect(page.locator('[data-testid="who-changed-result"]')).toContainText("rax changed by instruction", { timeout: 90_000 });
  const after = await replayAt(page, "inspector");
  expect(after).toBeLessThanOrEqual(half);
  await expect(heading).toContainText(`icount ${after.toLocaleString("en")}`);
  await expect(rax).toHaveText(known);
  await page.screenshot({ path: join(SHOTS, "25b-who-changed-register.png") });
  // One instruction earlier RAX held something else.
  await nav(page, "inspector", "step-back").click();
  await expect(heading).toContainText(`icount ${(after - 1).toLocaleString("en")}`);
  await expect(rax).not.toHaveText(known);
});

test("clicking a syscall on the timeline shows its decoded arguments and opens its instruction in the Inspector", async ({ page }) => {
  await openLab(page);
  await openBundled(page, "hello.hlrec");
  await page.click('[data-view="timeline"]');
  await page.selectOption('[data-testid="axis"]', "icount");
  const canvas = page.locator('[data-testid="timeline-canvas"]');
  await expect(page.locator('[data-testid="timeline-detail"]')).toContainText("events");
  const box = (await canvas.boundingBox())!;
  const labels = await page.locator(".track-labels div").allTextContents();
  const track = labels.findIndex((l) => /hello/.test(l));
  expect(track).toBeGreaterThanOrEqual(0);
  const y = box.y + 24 + track * 26 + 18;
  let found = "";
  for (let x = 1; x < box.width && !found; x += 1) {
    await page.mouse.move(box.x + x, y);
    const tip = page.locator(".tooltip");
    if ((await tip.count()) && /^foreign_syscall writev?\(/.test((await tip.textContent()) ?? "")) {
      found = (await tip.textContent())!;
      await page.mouse.click(box.x + x, y);
    }
  }
  expect(found).toContain("host clock at the event");
  expect(found).not.toMatch(/µs \(measured\)/);
  await page.screenshot({ path: join(SHOTS, "26-timeline-syscall-clicked.png") });
  await page.click('[data-view="events"]');
  const details = page.locator('[data-testid="event-details"]');
  await expect(details).toContainText("foreign syscall");
  const args = (await page.locator('[data-testid="details-args"]').textContent())!;
  expect(found.split("\n")[0]).toContain(args);
  await expect(details).toContainText("Linux personality");
  await expect(page.locator('[data-testid="event-table"] tr.current')).toHaveCount(1);
  const icount = Number(found.match(/icount ([\d,]+)/)![1]!.replace(/,/g, ""));
  await page.screenshot({ path: join(SHOTS, "27-event-details.png") });
  await page.click('[data-testid="details-inspect"]');
  await expect(page.locator('[data-testid="view-inspector"]')).toBeVisible();
  await expect(page.locator('[data-testid="registers"]').locator("..").locator("..")).toContainText(`icount ${icount.toLocaleString("en")}`);
  await page.screenshot({ path: join(SHOTS, "28-event-in-inspector.png") });
});

test("the event table filters to one syscall name and the timeline highlights the same events", async ({ page }) => {
  await openLab(page);
  await openBundled(page, "fileio.hlrec");
  await page.click('[data-view="events"]');
  await expect(page.locator('[data-testid="event-count"]')).toHaveText(/^[\d,]+ events$/);
  const unfiltered = (await page.locator('[data-testid="event-count"]').textContent())!;
  await page.fill('[data-testid="filter-name"]', "open");
  // The count shown before the filter's answer arrives is the unfiltered one: wait for the change.
  await expect(page.locator('[data-testid="event-count"]')).not.toHaveText(unfiltered);
  const count = Number((await page.locator('[data-testid="event-count"]').textContent())!.match(/\d+/)![0]);
  expect(count).toBeGreaterThan(0);
  const names = await page.locator('[data-testid="event-table"] tbody tr td:nth-child(6)').allTextContents();
  expect(names.length).toBe(count);
  expect(new Set(names)).toEqual(new Set(["open"]));
  await page.screenshot({ path: join(SHOTS, "29-event-table-filtered.png") });
  await page.click('[data-view="timeline"]');
  await page.selectOption('[data-testid="axis"]', "icount");
  await expect(page.locator('[data-testid="timeline-detail"]')).toContainText("events");
  await expect(page.locator('[data-testid="timeline-canvas"]')).toHaveAttribute("data-highlighted", String(count));
  await page.screenshot({ path: join(SHOTS, "30-timeline-highlighted.png") });
});

test("previous/next event selects it: the event table turns to its page and shows the row; the replay stands on it", async ({ page }) => {
  await openLab(page);
  await openBundled(page, "fileio.hlrec");
  await page.click('[data-view="events"]');
  await expect(page.locator('[data-testid="event-count"]')).toHaveText(/^[\d,]+ events$/);
  const total = Number((await page.locator('[data-testid="seek"]').getAttribute("max"))!);
  await goTo(page, "events", total);
  await nav(page, "events", "nav-kind").selectOption("foreign_syscall");
  await nav(page, "events", "prev-event").click();
  await expect(nav(page, "events", "nav-note")).toContainText("foreign syscall");
  const at = await replayAt(page, "events");
  const row = page.locator('[data-testid="event-table"] tr.current');
  await expect(row).toHaveCount(1);
  // The last syscall of this recording is past the first page of 200 rows.
  expect(Number(await row.getAttribute("data-seq"))).toBeGreaterThan(200);
  await expect(row.locator("td").nth(1)).toHaveText(at.toLocaleString("en"));
  await expect(row).toBeInViewport();
  await expect(page.locator('[data-testid="details-args"]')).not.toHaveText("");
  // And back: the next syscall after an earlier point is on the first page again.
  await goTo(page, "events", 1);
  await nav(page, "events", "next-event").click();
  // The row of the previous selection stays current until the table has turned to the new one's page.
  await expect.poll(async () => Number(await row.getAttribute("data-seq"))).toBeLessThanOrEqual(200);
  await expect(row).toHaveCount(1);
  await expect(row).toBeInViewport();
  await page.screenshot({ path: join(SHOTS, "29b-event-selected-by-nav.png") });
});

test("a query counts syscalls by name and equals the run's --stats", async ({ page }) => {
  await openLab(page);
  await openBundled(page, "fileio.hlrec");
  await page.click('[data-view="events"]');
  await page.fill('[data-testid="query-sql"]', "SELECT name, count(*) AS calls FROM syscalls GROUP BY name ORDER BY name");
  await page.click('[data-testid="query-run"]');
  const rows = page.locator('[data-testid="query-result"] tbody tr');
  await expect(rows.first()).toBeVisible();
  const counted: Record<string, number> = {};
  for (const row of await rows.all()) {
    const [name, calls] = await row.locator("td").allTextContents();
    counted[name!] = Number(calls);
  }
  const run = spawnSync(process.execPath, [join(ROOT, "bin/hedron-lab.js"), "run", "--stats", join(ROOT, "engine/guests/bin/fileio")], { encoding: "utf8" });
  const stats = JSON.parse(run.stderr.trim().split("\n").at(-1)!);
  expect(counted).toEqual(stats.foreignSyscalls);
  await page.selectOption('[data-testid="query-plot"]', "bars");
  await expect(page.locator('[data-testid="query-svg"] rect')).toHaveCount(Object.keys(counted).length);
  await page.screenshot({ path: join(SHOTS, "31-query-bars.png") });
  const csvDownload = page.waitForEvent("download");
  await page.click('[data-testid="query-csv"]');
  const csv = readFileSync((await (await csvDownload).path())!, "utf8").split("\r\n");
  expect(csv[0]).toBe("name,calls");
});

test("Costs: one colour per part in every recording, the legend beside the plot, native calls named by service", async ({ page }) => {
  await openLab(page);
  await openBundled(page, "fileio.hlrec");
  await page.click('[data-view="costs"]');
  await page.selectOption('[data-testid="compare"]', { label: "hello.hlrec" });
  await expect(page.locator('[data-testid="costs-column"]')).toHaveCount(2);
  const charts = page.locator('[data-chart$="-breakdown"] svg');
  await expect(charts).toHaveCount(2);
  const colours = await charts.evaluateAll((svgs) =>
    svgs.map((svg) => Object.fromEntries(Array.from(svg.querySelectorAll("g[data-part]")).map((g) => [g.getAttribute("data-part"), g.getAttribute("fill")]))),
  );
  const shared = Object.keys(colours[0]!).filter((part) => part in colours[1]!);
  expect(shared.length).toBeGreaterThan(2);
  for (const part of shared) expect(colours[1]![part], part).toBe(colours[0]![part]);
  // The legend starts right of every bar.
  const overlap = await charts.evaluateAll((svgs) =>
    svgs.map((svg) => {
      const legend = svg.querySelector("g.legend")!.getBoundingClientRect();
      return Math.max(...Array.from(svg.querySelectorAll("g[data-part] rect")).map((r) => r.getBoundingClientRect().right)) - legend.left;
    }),
  );
  for (const o of overlap) expect(o).toBeLessThanOrEqual(0);
  const text = await page.locator('[data-testid="view-costs"]').textContent();
  expect(text).not.toMatch(/native:pt \d/);
  await page.screenshot({ path: join(SHOTS, "32-costs-compare.png") });
});

test("the Timeline PNG carries track labels and the legend (it is the SVG rasterised)", async ({ page }) => {
  await openLab(page);
  await openBundled(page, "hello.hlrec");
  await page.click('[data-view="timeline"]');
  await expect(page.locator('[data-testid="timeline-detail"]')).toBeVisible();
  const canvas = await page.locator('[data-testid="timeline-canvas"]').boundingBox();
  const pngDownload = page.waitForEvent("download");
  await page.click('[data-testid="timeline-png"]');
  const path = (await (await pngDownload).path())!;
  const png = readFileSync(path);
  expect(png.subarray(1, 4).toString()).toBe("PNG");
  const width = png.readUInt32BE(16);
  const height = png.readUInt32BE(20);
  // Twice the SVG: the 200-pixel label column beside the plot and the legend row under it.
  expect(width).toBe(2 * (Math.round(canvas!.width) + 200));
  expect(height).toBe(2 * (Math.round(canvas!.height) + 26));
  writeFileSync(join(SHOTS, "33-timeline-export.png"), png);
});

test("a failed import names the user's file, not the lab's data folder", async ({ page }) => {
  await openLab(page);
  await page.click('[data-view="recordings"]');
  await page.locator('input[type="file"]').setInputFiles({ name: "broken-run.hlrec", mimeType: "application/octet-stream", buffer: Buffer.from("SQLite format 3\0" + "x".repeat(300)) });
  const errors = page.locator('[data-testid="errors"]');
  await expect(errors).toContainText("broken-run.hlrec:");
  expect(await errors.textContent()).not.toContain(host.data);
  await page.screenshot({ path: join(SHOTS, "34-import-error.png") });
});

test("after the host goes away the controls are disabled, requests fail at once and a reconnect is offered", async ({ page }) => {
  const own = await startHost();
  try {
    await openLab(page, own);
    await expect(page.locator('[data-testid="boot"]')).toBeEnabled();
    await own.kill();
    await expect(page.locator('[data-testid="disconnected"]')).toBeVisible({ timeout: 30_000 });
    await expect(page.locator('[data-testid="boot"]')).toBeDisabled();
    await expect(page.locator('[data-testid="reconnect"]')).toBeEnabled();
    await expect(page.locator('[data-testid="errors"]')).toContainText("connection to the lab host closed");
    await page.screenshot({ path: join(SHOTS, "35-disconnected.png") });
  } finally {
    await own.stop();
  }
});
