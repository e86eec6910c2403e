// The lab's network and disk services in a browser: a FAT image attached from the Machine view reaches the guest and
// is listed with its counters; the timeline shows the services' work on their own tracks, for runs recorded in the lab
// and for a recording made by the CLI. Screenshots go to test-results/e2e/screenshots for a person to look at.
/// <reference lib="dom" />

import { expect, test, type Page } from "@playwright/test";
import { execFileSync } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { ROOT, SHOTS, startHost, type Host } from "./host.ts";

let host: Host;
let image: string;

test.beforeAll(async () => {
  // A recording made by the CLI, waiting in the user's recordings folder as if recorded earlier.
  host = await startHost((data) => {
    mkdirSync(join(data, "recordings"));
    const cli = join(ROOT, "bin", "hedron-lab.js");
    execFileSync(process.execPath, [cli, "record", "-o", join(data, "recordings", "net-loopback.hlrec"), join(ROOT, "engine/guests/bin/net-loopback")], { stdio: "ignore" });
    // The Costs view's service rows, measured for real and saved where the lab looks (bench-syscalls.json).
    execFileSync(process.execPath, [cli, "bench", "syscalls", "--rounds", "100", "--host-rounds", "1000"], { stdio: "ignore", env: { ...process.env, HEDRON_LAB_DATA: data } });
  });
  image = join(host.data, "lab-disk.img");
  execFileSync("mkfs.fat", ["-C", "-F", "32", "-n", "LABDISK", image, "65536"], { stdio: "ignore" });
  const file = join(host.data, "note.txt");
  writeFileSync(file, "a note on a FAT32 disk\n");
  execFileSync("mcopy", ["-i", image, file, "::note.txt"]);
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

test("a FAT image named in the Machine view is mounted at /disk, and the view lists it with its sectors read", async ({ page }) => {
  await openLab(page);
  await page.selectOption('[data-testid="guest"]', "cat");
  await page.fill('[data-testid="args"]', "/disk/note.txt");
  await page.fill('[data-testid="disk-path"]', image);
  await page.click('[data-testid="boot"]');
  await expect.poll(() => consoleText(page), { timeout: 60_000 }).toContain("a note on a FAT32 disk");
  await expect(page.locator('[data-testid="machine-message"]')).toContainText("exited with status 0", { timeout: 60_000 });
  const row = page.locator('[data-testid="disk"] tbody tr');
  await expect(row).toContainText(image);
  await expect(row).toContainText("FAT32");
  await expect(row).toContainText("64.0 MiB");
  await expect(row).toContainText("read-only");
  const sectorsRead = Number((await row.locator("td").nth(4).textContent())?.replace(/,/g, ""));
  expect(sectorsRead).toBeGreaterThan(1);
  await page.screenshot({ path: join(SHOTS, "services-01-disk-attached.png") });

  // The run was recorded: its timeline has the disk service's track with the open, reads and close on it.
  await expect(page.locator("header")).toContainText("cat-");
  await page.click('[data-view="timeline"]');
  await expect(page.locator('.track-labels [data-service="disk"]')).toHaveText("disk service (FAT /disk)");
  await expect(page.locator('.track-labels [data-service="net"]')).toHaveCount(0);
  await page.screenshot({ path: join(SHOTS, "services-02-disk-track.png") });
});

/** The timeline of the recording the analysis views show has a network-service track after the PD/EC tracks. */
async function expectNetTrack(page: Page, shot: string): Promise<void> {
  await page.click('[data-view="timeline"]');
  const labels = page.locator(".track-labels > div");
  await expect(labels.last()).toHaveText("network service (sockets)");
  await expect(labels.last()).toHaveAttribute("data-service", "net");
  expect(await labels.count()).toBeGreaterThan(1);
  await page.screenshot({ path: join(SHOTS, shot) });
}

test("a native network app run in the lab shows its network-portal calls on the network service's track", async ({ page }) => {
  await openLab(page);
  await page.selectOption('[data-testid="guest"]', "native-net-echo");
  await page.fill('[data-testid="args"]', "");
  await page.fill('[data-testid="disk-path"]', "");
  await page.click('[data-testid="boot"]');
  await expect(page.locator('[data-testid="machine-message"]')).toContainText("exited", { timeout: 60_000 });
  await expect(page.locator("header")).toContainText("native-net-echo-");
  await expectNetTrack(page, "services-03-native-net-track.png");
});

test("a Linux socket program's recording from the CLI replays with the network service's track", async ({ page }) => {
  await openLab(page);
  await page.click('[data-view="recordings"]');
  await page.locator('[data-testid="recordings"] tr', { hasText: "net-loopback.hlrec" }).locator('[data-testid="open"]').click();
  await expect(page.locator('[data-testid="replay"]')).toBeVisible();
  await expectNetTrack(page, "services-04-linux-net-track.png");
});

test("the Costs view compares send, recv and a FAT read through the Linux personality with the native SDK path", async ({ page }) => {
  const bench = JSON.parse(readFileSync(join(host.data, "bench-syscalls.json"), "utf8")) as { rows: { row: string; service?: string; labForeign: number; labNative: number }[] };
  const measured = bench.rows.filter((r) => r.service);
  expect(measured.map((r) => r.service)).toEqual(["net", "net", "disk"]);
  await openLab(page);
  await page.click('[data-view="recordings"]');
  await page.locator('[data-testid="recordings"] tr', { hasText: "net-loopback.hlrec" }).locator('[data-testid="open"]').click();
  await page.click('[data-view="costs"]');
  const rows = page.locator('[data-testid="service-costs"] tbody tr');
  await expect(rows).toHaveCount(3);
  for (const [i, r] of measured.entries()) {
    const cells = rows.nth(i).locator("td");
    await expect(cells.nth(0)).toHaveText(r.row);
    await expect(cells.nth(1)).toHaveText(r.labForeign.toLocaleString("en"));
    await expect(cells.nth(2)).toHaveText(r.labNative.toLocaleString("en"));
  }
  await expect(page.locator('[data-chart="services"] svg rect').first()).toBeVisible();
  await page.locator('[data-chart="services"]').scrollIntoViewIfNeeded();
  await page.screenshot({ path: join(SHOTS, "services-06-costs.png"), fullPage: true });
});

test("a disk path that is no FAT image is one clear error, and nothing boots", async ({ page }) => {
  await openLab(page);
  await page.selectOption('[data-testid="guest"]', "cat");
  await page.fill('[data-testid="disk-path"]', join(host.data, "note.txt"));
  const before = await page.locator('[data-testid="status"]').textContent();
  await page.click('[data-testid="boot"]');
  await expect(page.locator('[data-testid="errors"]')).toContainText("note.txt is not a FAT volume");
  expect(await page.locator('[data-testid="status"]').textContent()).toBe(before);
  await page.screenshot({ path: join(SHOTS, "services-05-disk-refused.png") });
});
