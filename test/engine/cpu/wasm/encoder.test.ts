// The WebAssembly encoder writes modules V8 accepts: signed LEB128 constants at their edges, branches by level, memory.

import { test } from "node:test";
import assert from "node:assert/strict";
import { buildModule, FunctionBody, I32, I64, OP } from "../../../../engine/cpu/wasm/encoder.ts";

function instantiate(body: FunctionBody, mem = new WebAssembly.Memory({ initial: 1 })) {
  const bytes = buildModule([], [{ name: "run", type: { params: [I32, I32], results: [I32] }, locals: [[1, I64]], body }]);
  assert.ok(WebAssembly.validate(bytes));
  return new WebAssembly.Instance(new WebAssembly.Module(bytes), { m: { mem } }).exports.run as (a: number, b: number) => number;
}

test("i64 constants round-trip through signed LEB128 at the edges of their range", () => {
  const mem = new WebAssembly.Memory({ initial: 1 });
  for (const v of [0n, 1n, -1n, 63n, 64n, -64n, -65n, 0x7fffffffn, -0x80000000n, 0xffffffffn, (1n << 63n) - 1n, -(1n << 63n)]) {
    const f = new FunctionBody();
    f.i32(0).i64(v).mem(OP.i64_store, 8);
    f.i32(0);
    const run = instantiate(f, mem);
    run(0, 0);
    assert.equal(new BigInt64Array(mem.buffer, 8, 1)[0], v);
  }
});

test("br_table and br name their targets by the level open() returned", () => {
  // Returns 10 + the index taken: block levels nest, so each case branches out to its own code.
  const f = new FunctionBody();
  const out = f.open(OP.block);
  const levels = [f.open(OP.block), f.open(OP.block), f.open(OP.block)].reverse();
  f.get(0);
  f.brTable(levels, levels[0]);
  for (let k = 0; k < 3; k++) {
    f.end();
    f.i32(0).i32(10 + k).mem(OP.i32_store, 0);
    f.br(out);
  }
  f.end();
  f.i32(0).mem(OP.i32_load, 0);
  const run = instantiate(f);
  assert.deepEqual([run(0, 0), run(1, 0), run(2, 0), run(7, 0)], [10, 11, 12, 10]);
});
