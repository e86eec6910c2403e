// The lab's network and disk services in a browser: a FAT image attached from the Machine view reaches the guest and
// is listed with its counters. Screenshots go to test-results/e2e/screenshots for a person to look at.
/// <reference lib="dom" />

import { expect, test, type Page } from "@playwright/test";
import { execFileSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { SHOTS, startHost, type Host } from "./host.ts";

let host: Host;
let image: string;

test.beforeAll(async () => {
  host = await startHost();
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
});

test("a disk path that is no FAT image is one clear error, and nothing boots", async ({ page }) => {
  await openLab(page);
  await page.selectOption('[data-testid="guest"]', "cat");
  await page.fill('[data-testid="disk-path"]', join(host.data, "note.txt"));
  const before = await page.locator('[data-testid="status"]').textContent();
  await page.click('[data-testid="boot"]');
  await expect(page.locator('[data-testid="errors"]')).toContainText("note.txt is not a FAT volume");
  expect(await page.locator('[data-testid="status"]').textContent()).toBe(before);
  await page.screenshot({ path: join(SHOTS, "services-02-disk-refused.png") });
});
