// The bundled demo recordings (recordings/, made by `npm run recordings`): each opens, and replays identically.
import { test } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { DEMOS, RECORDINGS_DIR } from "../../../engine/record/make-recordings.ts";
import { Recording } from "../../../engine/record/recording.ts";
import { replay } from "../../../engine/record/replayer.ts";

for (const demo of DEMOS) {
  test(`bundled recording ${demo.file} is complete and replays with identical hashes`, () => {
    const rec = Recording.open(join(RECORDINGS_DIR, demo.file));
    try {
      assert.equal(rec.session.status, "complete");
      assert.deepEqual(rec.session.args, [demo.guest, ...demo.argv]);
      if (demo.stdin) assert.equal(rec.consoleText(Number.MAX_SAFE_INTEGER, ["stdout"]), demo.stdin);
      const result = replay(rec);
      assert.equal(
        result.divergence, null,
        `${demo.file} no longer replays on this engine (regenerate with 'npm run recordings' if the engine changed on purpose): ${result.divergence?.what}`,
      );
      assert.equal(result.chunksVerified, rec.summary().chunks);
    } finally {
      rec.close();
    }
  });
}
