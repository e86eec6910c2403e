// The timeline's network and disk service tracks over real recordings: Linux socket calls and native network-portal
// calls land on the network track, calls on /disk files (and their fds) on the disk track, and nothing else does.

import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { after, before, test } from "node:test";
import { Recording } from "../../engine/record/recording.ts";
import type { MachineEvent } from "../../engine/events.ts";
import { TimelineIndex } from "../../main/timeline-index.ts";
import { SERVICE_LABELS } from "../../main/service-tracks.ts";

const ROOT = resolve(import.meta.dirname, "../..");
let dir: string;

before(() => {
  dir = mkdtempSync(join(tmpdir(), "hedron-service-tracks-"));
});

after(() => rmSync(dir, { recursive: true, force: true }));

/** Records a guest with `hedron-lab record` and returns every event with the track the index put it on. */
async function indexed(name: string, args: string[]): Promise<{ events: (MachineEvent & { track: string })[]; labels: string[] }> {
  const file = join(dir, `${name}.hlrec`);
  execFileSync(process.execPath, [join(ROOT, "bin", "hedron-lab.js"), "record", "-o", file, ...args], { stdio: "ignore" });
  const rec = Recording.open(file);
  try {
    const total = rec.summary().events;
    const index = await TimelineIndex.build(rec, total, () => {});
    const slice = index.slice(rec, "icount", 0, index.end("icount"), 10, total);
    assert.equal(slice.events.length, total);
    return { events: slice.events.map((e) => ({ ...e, track: slice.tracks[e.track]!.label })), labels: slice.tracks.map((t) => t.label) };
  } finally {
    rec.close();
  }
}

const on = (events: (MachineEvent & { track: string })[], label: string) => events.filter((e) => e.track === label);

test("a file read from the FAT disk puts its open, reads and close on the disk track, its console writes stay on the PD's", async () => {
  const image = join(dir, "fat16.img");
  execFileSync("mkfs.fat", ["-C", "-F", "16", image, "16384"], { stdio: "ignore" });
  writeFileSync(join(dir, "note.txt"), "on the disk\n");
  execFileSync("mcopy", ["-i", image, join(dir, "note.txt"), "::note.txt"]);
  const { events, labels } = await indexed("cat-disk", ["--disk", image, join(ROOT, "engine/guests/bin/cat"), "/disk/note.txt"]);
  assert.equal(labels.at(-1), SERVICE_LABELS.disk);
  assert.ok(!labels.includes(SERVICE_LABELS.net));
  const disk = on(events, SERVICE_LABELS.disk).map((e) => `${e.name}(${e.args.split(",")[0]})`);
  assert.equal(disk[0], `open("/disk/note.txt")`);
  assert.equal(disk.at(-1), "close(3)");
  assert.ok(disk.slice(1, -1).length > 0 && disk.slice(1, -1).every((call) => call === "read(3)"), disk.join(" "));
  const writes = events.filter((e) => e.kind === "foreign_syscall" && e.name === "write");
  assert.ok(writes.length > 0 && writes.every((e) => e.track.startsWith("PD ")), "writes to stdout are the app's own");
});

test("a native app's network-portal calls and replies are on the network track, its console portal calls are not", async () => {
  const { events, labels } = await indexed("native-net", [join(ROOT, "engine/guests/bin/native-net-echo")]);
  assert.equal(labels.at(-1), SERVICE_LABELS.net);
  const portal = (name: string) => events.filter((e) => (e.kind === "portal_call" || e.kind === "portal_reply") && e.name === name);
  assert.ok(portal("pt 46").length > 10);
  assert.ok(portal("pt 46").every((e) => e.track === SERVICE_LABELS.net));
  assert.ok(portal("pt 36").length > 0 && portal("pt 36").every((e) => e.track.startsWith("PD ")));
});

test("a Linux program's socket calls, and reads and closes of its sockets, are on the network track", async () => {
  const { events } = await indexed("net-loopback", [join(ROOT, "engine/guests/bin/net-loopback")]);
  const net = on(events, SERVICE_LABELS.net);
  const names = new Set(net.map((e) => e.name));
  for (const call of ["socket", "bind", "listen", "accept", "connect", "sendto", "recvfrom", "getsockopt", "shutdown", "close"]) {
    assert.ok(names.has(call), `${call} is on the network track`);
  }
  assert.ok(net.every((e) => e.kind === "foreign_syscall"));
  assert.ok(!net.some((e) => e.name === "writev"), "the report lines it prints are not network work");
});

test("a bundled recording without sockets or a disk has only its PD/EC tracks", async () => {
  const rec = Recording.open(join(ROOT, "recordings/fileio.hlrec"));
  try {
    const index = await TimelineIndex.build(rec, rec.summary().events, () => {});
    assert.ok(index.tracks.every((t) => t.service === undefined && t.pd >= 0));
  } finally {
    rec.close();
  }
});
