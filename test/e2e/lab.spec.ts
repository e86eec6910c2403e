// The lab in a browser against the real browser host and engine: boot, run, record, replay, inspect, export.
// Screenshots of each step go to test-results/e2e/screenshots for a person to look at.
/// <reference lib="dom" />

import { expect, test, type Page } from "@playwright/test";
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { ROOT, SHOTS, startHost, type Host } from "./host.ts";
import { readVgaText } from "./vga-text.ts";
import { appKind } from "../../engine/roottask/app-kind.ts";

const GUESTS = join(ROOT, "engine/guests/bin");
/** The native framebuffer painter among the prebuilt guests: a native ELF whose name says it paints. */
const painter = readdirSync(GUESTS).find((name) => /paint/i.test(name) && appKind(readFileSync(join(GUESTS, name))) === "native");

let host: Host;

test.beforeAll(async () => {
  host = await startHost();
});

test.afterAll(async () => {
  await host?.stop();
});

async function openLab(page: Page): Promise<void> {
  const problems: string[] = [];
  page.on("pageerror", (error) => problems.push(error.message));
  await page.goto(host.url);
  await expect(page.locator('[data-testid="status"]')).toBeVisible();
  expect(problems).toEqual([]);
}

const consoleText = (page: Page) => page.locator('[data-testid="console"]').getAttribute("data-text");

/** Boots a guest (recording is on by default) and waits until its output shows `expected` and it has exited. */
async function bootAndFinish(page: Page, guest: string, args: string, expected: string): Promise<void> {
  await page.click('[data-view="machine"]');
  await page.selectOption('[data-testid="guest"]', guest);
  await page.fill('[data-testid="args"]', args);
  await page.click('[data-testid="boot"]');
  await expect.poll(() => consoleText(page), { timeout: 60_000 }).toContain(expected);
  await expect(page.locator('[data-testid="machine-message"]')).toContainText("exited", { timeout: 60_000 });
}

test("boots the demo: the kernel banner is painted on the VGA canvas and the roottask logs on the serial console", async ({ page }) => {
  await openLab(page);
  await expect.poll(async () => (await readVgaText(page)).join("\n"), { timeout: 60_000 }).toContain("Hedron Microhypervisor");
  await expect.poll(() => consoleText(page)).toContain("[ INFO] Hedron roottask");
  await expect(page.locator('[data-testid="pds"]')).toContainText("foreign");
  await page.screenshot({ path: join(SHOTS, "01-demo-booted.png") });
});

test("runs a guest chosen in the Machine view with arguments, and records it", async ({ page }) => {
  await openLab(page);
  await bootAndFinish(page, "hello", "alpha beta", 'argv[2] = "beta"');
  const text = await consoleText(page);
  expect(text).toContain("Hello from a static Linux binary on Hedron!");
  expect(text).toContain('argv[1] = "alpha"');
  expect(text).toContain('argv[2] = "beta"');
  await expect(page.locator('[data-testid="machine-message"]')).toContainText("exited with status 3");
  await page.screenshot({ path: join(SHOTS, "02-guest-ran.png") });
  await page.click('[data-view="recordings"]');
  await expect(page.locator('[data-testid="recordings"]')).toContainText("hello");
});

test("a dropped static ELF runs; a dropped non-ELF file is reported, not ignored", async ({ page }) => {
  await openLab(page);
  const drop = async (name: string, bytes: Buffer) => {
    const transfer = await page.evaluateHandle(
      ({ name, data }) => {
        const t = new DataTransfer();
        t.items.add(new File([Uint8Array.from(atob(data), (c) => c.charCodeAt(0))], name));
        return t;
      },
      { name, data: bytes.toString("base64") },
    );
    await page.dispatchEvent(".shell", "drop", { dataTransfer: transfer });
  };
  await drop("sort", readFileSync(join(ROOT, "engine/guests/bin/sort")));
  await expect.poll(() => consoleText(page), { timeout: 60_000 }).toContain("ints: n=5000 sorted=1");
  await expect(page.locator('[data-testid="machine-message"]')).toContainText("exited with status 0", { timeout: 60_000 });
  await drop("dropped.hlrec", readFileSync(join(ROOT, "recordings/hello.hlrec")));
  await expect(page.locator('[data-testid="recordings"] tr', { hasText: "dropped" })).toContainText("yours");
  await drop("notes.txt", Buffer.from("just text"));
  await expect(page.locator('[data-testid="errors"]')).toContainText("neither an ELF executable nor a Hedron Lab recording");
  await page.screenshot({ path: join(SHOTS, "03-drop.png") });
});

test("opens a bundled recording, zooms the timeline, exports the timeline as SVG and CSV", async ({ page }) => {
  await openLab(page);
  await page.click('[data-view="recordings"]');
  const bundled = page.locator('[data-testid="recordings"] tr', { hasText: "fileio.hlrec" });
  await expect(bundled).toContainText("bundled");
  await bundled.locator('[data-testid="open"]').click();
  await expect(page.locator('[data-testid="replay"]')).toBeVisible();
  await page.screenshot({ path: join(SHOTS, "04-recording-open.png") });

  await page.click('[data-view="timeline"]');
  const canvas = page.locator('[data-testid="timeline-canvas"]');
  await expect(page.locator('[data-testid="timeline-detail"]')).toBeVisible();
  const before = (await canvas.getAttribute("data-domain"))!.split(",").map(Number);
  const box = (await canvas.boundingBox())!;
  // Zoom in around the start, where every run has its boot and first system calls.
  await page.mouse.move(box.x + 3, box.y + box.height / 2);
  for (let i = 0; i < 5; i++) await page.mouse.wheel(0, -300);
  await expect.poll(async () => {
    const [from, to] = (await canvas.getAttribute("data-domain"))!.split(",").map(Number);
    return (to! - from!) / (before[1]! - before[0]!);
  }).toBeLessThan(0.5);
  await page.screenshot({ path: join(SHOTS, "05-timeline-zoomed.png") });

  const svgDownload = page.waitForEvent("download");
  await page.click('[data-testid="timeline-svg"]');
  const svg = readFileSync((await (await svgDownload).path())!, "utf8");
  expect(svg).toMatch(/^<\?xml/);
  expect(svg).toContain("<svg");
  expect(svg).toMatch(/<rect [^>]*fill="#/);

  const csvDownload = page.waitForEvent("download");
  await page.click('[data-testid="timeline-csv"]');
  const csv = readFileSync((await (await csvDownload).path())!, "utf8").split("\r\n");
  expect(csv[0]).toMatch(/^(icount,vcycles|start_icount,end_icount)/);
  expect(csv.length).toBeGreaterThan(2);
});

test("the Costs view charts a recording with the native Linux column and exports a chart as SVG, PNG and CSV", async ({ page }) => {
  // What `hedron-lab bench syscalls --json` writes, in the lab's data folder where the Costs view looks for it.
  const measured = ["read", "write", "brk", "mmap", "ioctl", "exit_group", "writev", "openat", "close"].map((syscall, i) => ({ syscall, nativeLinux: 100 + i }));
  writeFileSync(join(host.data, "bench-syscalls.json"), JSON.stringify({ rows: measured }));
  await openLab(page);
  await page.click('[data-view="recordings"]');
  await page.locator('[data-testid="recordings"] tr', { hasText: "bundled" }).first().locator('[data-testid="open"]').click();
  await page.click('[data-view="costs"]');
  const chart = page.locator('[data-chart$="-means"]').first();
  await expect(chart.locator("svg rect").first()).toBeVisible();
  await expect(page.locator('[data-testid="native-linux-source"]').first()).toContainText("bench-syscalls.json");
  await page.screenshot({ path: join(SHOTS, "06-costs.png") });
  const svgDownload = page.waitForEvent("download");
  await chart.locator('[data-testid="export-svg"]').click();
  const svg = readFileSync((await (await svgDownload).path())!, "utf8");
  expect(svg).toContain("linux:");
  const pngDownload = page.waitForEvent("download");
  await chart.locator('button', { hasText: "PNG" }).click();
  const png = readFileSync((await (await pngDownload).path())!);
  expect(png.subarray(1, 4).toString()).toBe("PNG");
  const csvDownload = page.waitForEvent("download");
  await chart.locator('[data-testid="export-csv"]').click();
  const csv = readFileSync((await (await csvDownload).path())!, "utf8").split("\r\n");
  expect(csv[0]).toBe("kind,series,mean_vcycles");
  expect(csv.slice(1).some((line) => line.startsWith("linux:"))).toBe(true);
  const native = csv.slice(1).filter((line) => line.includes(",native Linux (host),"));
  expect(native.length).toBeGreaterThan(0);
  for (const line of native) {
    const [kind, , value] = line.split(",");
    expect(Number(value)).toBe(measured.find((m) => `linux:${m.syscall}` === kind)!.nativeLinux);
  }
});

test("seeking the replay re-executes to that point and the registers change", async ({ page }) => {
  await openLab(page);
  await page.click('[data-view="recordings"]');
  const row = page.locator('[data-testid="recordings"] tr', { hasText: "bundled" }).first();
  const name = (await row.locator("td").first().textContent())!;
  await row.locator('[data-testid="open"]').click();
  // The lab may have opened the recording of an earlier run by itself: its replay panel must not be the one read.
  await expect(page.locator('[data-testid="replay"] h2')).toHaveText(`Replay · ${name}`);
  const seek = page.locator('[data-testid="seek"]');
  const max = Number(await seek.getAttribute("max"));
  await seek.fill(String(Math.floor(max / 3)));
  await page.click('[data-view="inspector"]');
  const rip = page.locator('[data-testid="registers"] [data-reg="rip"]');
  await expect(rip).toHaveText(/^0x[0-9a-f]+$/);
  const first = await rip.textContent();
  const firstRegs = await page.locator('[data-testid="registers"]').textContent();
  await page.screenshot({ path: join(SHOTS, "07-inspector-a.png") });
  await page.click('[data-view="recordings"]');
  await seek.fill(String(Math.floor((2 * max) / 3)));
  await page.click('[data-view="inspector"]');
  await expect.poll(() => page.locator('[data-testid="registers"]').textContent()).not.toBe(firstRegs);
  expect(first).toMatch(/^0x/);
  await expect(page.locator('[data-testid="disassembly"] tr.current')).toHaveCount(1);
  await page.screenshot({ path: join(SHOTS, "08-inspector-b.png") });
});

test("keys typed in the serial console reach the guest's stdin; stop ends the run", async ({ page }) => {
  await openLab(page);
  await page.click('[data-view="machine"]');
  await page.selectOption('[data-testid="guest"]', "cat");
  await page.fill('[data-testid="args"]', "");
  await page.click('[data-testid="boot"]');
  await expect(page.locator('[data-testid="machine-message"]')).toContainText("waiting for input", { timeout: 60_000 });
  // The PD table lists the process with its thread (its EC and CPU); the machine, not a withheld reply, waits for stdin.
  const catRow = page.locator('[data-testid="pds"] tr', { hasText: "cat" });
  await expect(catRow).toContainText("pid 1000");
  await expect(catRow.locator('[data-testid="threads"]')).toHaveText(/^1000 · EC \d+ · CPU 0$/);
  await page.locator('[data-testid="console"]').click();
  await page.keyboard.type("typed into the lab\n");
  await expect.poll(() => consoleText(page)).toContain("typed into the lab\n");
  await page.screenshot({ path: join(SHOTS, "09-stdin.png") });
  await page.click('[data-testid="stop"]');
  await expect(page.locator('[data-testid="status"] .state')).toHaveText("exited");
});

test("a long run can be paused, stepped and resumed", async ({ page }) => {
  await openLab(page);
  await page.click('[data-view="machine"]');
  await page.selectOption('[data-testid="guest"]', "bench");
  await page.uncheck('input[type="checkbox"]');
  await page.click('[data-testid="boot"]');
  await expect(page.locator('[data-testid="pause"]')).toBeEnabled();
  await page.click('[data-testid="pause"]');
  await expect(page.locator('[data-testid="status"] .state')).toHaveText("paused");
  const count = async () => Number((await page.locator('[data-testid="status"]').textContent())!.match(/([\d,]+) instr/)![1]!.replace(/,/g, ""));
  const before = await count();
  await page.fill('input[aria-label="instructions per step"]', "5000");
  await page.click('[data-testid="step"]');
  await expect.poll(count).toBeGreaterThanOrEqual(before + 5000);
  expect(await count()).toBeLessThan(before + 5000 + 1000);
  await page.click('[data-testid="run"]');
  await expect(page.locator('[data-testid="machine-message"]')).toContainText("exited", { timeout: 90_000 });
});

test("the native framebuffer painter's picture shows in the VGA view's linear framebuffer mode", async ({ page }) => {
  const reason = "no native painter ELF in engine/guests/bin (a native ELF named *paint*): build it with npm run guests";
  if (!painter) process.stdout.write(`painter test skipped: ${reason}\n`);
  test.skip(!painter, reason);
  await openLab(page);
  await page.click('[data-view="machine"]');
  await page.selectOption('[data-testid="guest"]', painter!);
  await page.click('[data-testid="boot"]');
  // The painter prints its checksum when the picture is complete, then exits.
  await expect.poll(() => consoleText(page), { timeout: 90_000 }).toContain("painted:");
  await expect(page.locator('[data-testid="status"] .state')).toHaveText("exited", { timeout: 60_000 });
  await expect(page.locator('[data-testid="pds"] tr', { hasText: painter! })).toContainText("native");
  const vga = page.locator('[data-testid="vga"]');
  await expect(vga).toHaveAttribute("aria-label", /^framebuffer \d+×\d+$/);
  const { width, height, lit, colours } = await vga.evaluate((canvas: HTMLCanvasElement) => {
    const data = canvas.getContext("2d")!.getImageData(0, 0, canvas.width, canvas.height).data;
    let lit = 0;
    const colours = new Set<number>();
    for (let i = 0; i < data.length; i += 4) {
      const rgb = (data[i]! << 16) | (data[i + 1]! << 8) | data[i + 2]!;
      if (rgb !== 0) lit++;
      if (colours.size < 64) colours.add(rgb);
    }
    return { width: canvas.width, height: canvas.height, lit, colours: colours.size };
  });
  expect(width).toBeGreaterThan(640);
  expect(lit).toBeGreaterThan((width * height) / 4);
  expect(colours).toBeGreaterThan(2);
  await page.screenshot({ path: join(SHOTS, "11-painter.png") });
});
