// The digest chain of a recording: SHA-256 over every stored row, one link per trace chunk, so any edit shows.
// The writer feeds each row here as it stores it and the checker re-reads the same rows in the same order.

import { createHash, type Hash } from "node:crypto";

/** What a chunk's link covers, one sub-digest each, in this order (a mismatch names the part). */
export const DIGEST_PARTS = ["trace chunk", "events", "input", "console", "frames", "snapshot"] as const;
export type DigestPart = (typeof DIGEST_PARTS)[number];
export const SUB_DIGEST_BYTES = 16;

/** A value as SQLite hands it back: each fed with a type tag and a length, so no two row sequences hash alike. */
export type RowValue = number | string | Uint8Array | null | bigint;

export function feed(h: Hash, values: readonly RowValue[]): void {
  for (const v of values) {
    if (v === null) h.update("z;");
    else if (typeof v === "number" || typeof v === "bigint") h.update(`n${v};`);
    else if (typeof v === "string") {
      const bytes = Buffer.from(v, "utf8");
      h.update(`s${bytes.length}:`);
      h.update(bytes);
    } else {
      h.update(`b${v.length}:`);
      h.update(v);
    }
  }
  h.update("|");
}

/** Running sub-digests for one chunk. */
export class ChunkDigest {
  private readonly parts: Hash[] = DIGEST_PARTS.map(() => createHash("sha256"));

  add(part: DigestPart, values: readonly RowValue[]): void {
    feed(this.parts[DIGEST_PARTS.indexOf(part)], values);
  }

  /** The sub-digests (16 bytes each, concatenated) and the chained link H(previous link ‖ sub-digests). */
  finish(previous: Uint8Array): { parts: Buffer; link: Buffer } {
    const parts = Buffer.concat(this.parts.map((h) => h.digest().subarray(0, SUB_DIGEST_BYTES)));
    return { parts, link: createHash("sha256").update(previous).update(parts).digest() };
  }
}

/** The chain's start: everything the session row fixes at creation, and the boot modules. */
export function genesisDigest(session: readonly RowValue[], modules: readonly [string, Uint8Array][]): Buffer {
  const h = createHash("sha256");
  h.update("HLREC2");
  feed(h, session);
  for (const [name, data] of [...modules].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))) feed(h, [name, data]);
  return h.digest();
}

/** The chain's end, for a complete recording: the last link and the session's final fields. */
export function finalDigest(lastLink: Uint8Array, fields: readonly RowValue[]): Buffer {
  const h = createHash("sha256");
  h.update(lastLink);
  feed(h, fields);
  return h.digest();
}
