// A small WebAssembly binary writer: LEB128 numbers, function bodies' opcodes with structured labels, and a module
// of exported functions over the imported guest memory (and, for the region runtime, a function table). Only what
// the region compiler and its runtime emit.

/** Value types. */
export const I32 = 0x7f, I64 = 0x7e, F64 = 0x7c;

/** Opcodes used by the region compiler (names as in the WebAssembly spec). */
export const OP = {
  unreachable: 0x00, block: 0x02, loop: 0x03, if: 0x04, else: 0x05, end: 0x0b, br: 0x0c, br_if: 0x0d, br_table: 0x0e, return: 0x0f, call: 0x10,
  call_indirect: 0x11, select: 0x1b,
  local_get: 0x20, local_set: 0x21, local_tee: 0x22,
  i32_load: 0x28, i64_load: 0x29, i32_load16_u: 0x2f, i32_store16: 0x3b, f32_load: 0x2a, f32_store: 0x38, f64_load: 0x2b, i64_load8_u: 0x31, i64_load16_u: 0x33, i64_load32_u: 0x35,
  i32_store: 0x36, i64_store: 0x37, f64_store: 0x39, i64_store8: 0x3c, i64_store16: 0x3d, i64_store32: 0x3e,
  i32_const: 0x41, i64_const: 0x42, f64_const: 0x44,
  i32_eqz: 0x45, i32_eq: 0x46, i32_ne: 0x47, i32_lt_s: 0x48, i32_lt_u: 0x49, i32_gt_s: 0x4a, i32_le_s: 0x4c, i32_ge_s: 0x4e,
  i32_ge_u: 0x4f, i32_gt_u: 0x4b, i32_shr_s: 0x75,
  i64_eqz: 0x50, i64_eq: 0x51, i64_ne: 0x52, i64_lt_s: 0x53, i64_lt_u: 0x54, i64_gt_s: 0x55, i64_gt_u: 0x56,
  i64_le_s: 0x57, i64_le_u: 0x58, i64_ge_s: 0x59, i64_ge_u: 0x5a, f64_eq: 0x61, f64_ne: 0x62, f64_lt: 0x63, f64_ge: 0x66,
  f64_abs: 0x99, f64_sqrt: 0x9f, f64_min: 0xa4, f64_add: 0xa0, f64_sub: 0xa1, f64_mul: 0xa2, f64_div: 0xa3, f64_convert_i32_s: 0xb7, f64_reinterpret_i64: 0xbf,
  i32_popcnt: 0x69, i64_clz: 0x79, i64_ctz: 0x7a, i64_popcnt: 0x7b,
  i32_add: 0x6a, i32_sub: 0x6b, i32_mul: 0x6c, i32_and: 0x71, i32_or: 0x72, i32_xor: 0x73, i32_shl: 0x74, i32_shr_u: 0x76, i32_rotl: 0x77,
  i64_add: 0x7c, i64_sub: 0x7d, i64_mul: 0x7e, i64_div_s: 0x7f, i64_div_u: 0x80, i64_and: 0x83, i64_or: 0x84, i64_xor: 0x85, i64_shl: 0x86,
  i64_shr_s: 0x87, i64_shr_u: 0x88, i64_rotl: 0x89, i64_rotr: 0x8a,
  i32_wrap_i64: 0xa7, f32_demote_f64: 0xb6, f64_promote_f32: 0xbb, f32_reinterpret_i32: 0xbe, i64_trunc_f64_u: 0xb1, i64_extend_i32_s: 0xac, i64_extend_i32_u: 0xad, f64_convert_i64_s: 0xb9, f64_convert_i64_u: 0xba,
  i64_extend8_s: 0xc2, i64_extend16_s: 0xc3, i64_extend32_s: 0xc4,
} as const;

function unsigned(out: number[], v: number): void {
  while (v >= 128 && v < 0x80000000) {
    out.push((v & 0x7f) | 0x80);
    v >>>= 7;
  }
  do {
    let b = v % 128;
    v = Math.floor(v / 128);
    if (v !== 0) b |= 0x80;
    out.push(b);
  } while (v !== 0);
}

/** Signed LEB128 of a safe integer (no BigInt: most constants are small). */
function signedNumber(out: number[], v: number): void {
  for (;;) {
    const b = v - Math.floor(v / 128) * 128;
    v = (v - b) / 128;
    if ((v === 0 && (b & 0x40) === 0) || (v === -1 && (b & 0x40) !== 0)) {
      out.push(b);
      return;
    }
    out.push(b | 0x80);
  }
}

function signed(out: number[], v: bigint): void {
  for (;;) {
    const b = Number(v & 0x7fn);
    v >>= 7n;
    if ((v === 0n && (b & 0x40) === 0) || (v === -1n && (b & 0x40) !== 0)) {
      out.push(b);
      return;
    }
    out.push(b | 0x80);
  }
}

/** One function body: opcodes plus the nesting depth of open blocks, so branches name their targets by level. */
export class FunctionBody {
  readonly bytes: number[] = [];
  /** Open block/loop/if constructs. */
  level = 0;

  op(code: number): this {
    this.bytes.push(code);
    return this;
  }

  /** Opens a block, loop or if (no result, or one value of `type`) and returns its level for br. */
  open(code: number, type = 0x40): number {
    this.bytes.push(code, type);
    return this.level++;
  }

  end(): void {
    this.bytes.push(OP.end);
    this.level--;
  }

  /** Branch to the construct opened at `level`. */
  br(level: number, code: number = OP.br): void {
    this.bytes.push(code);
    unsigned(this.bytes, this.level - 1 - level);
  }

  brTable(levels: number[], fallback: number): void {
    this.bytes.push(OP.br_table);
    unsigned(this.bytes, levels.length);
    for (const l of levels) unsigned(this.bytes, this.level - 1 - l);
    unsigned(this.bytes, this.level - 1 - fallback);
  }

  get(local: number): this { this.bytes.push(OP.local_get); unsigned(this.bytes, local); return this; }
  set(local: number): this { this.bytes.push(OP.local_set); unsigned(this.bytes, local); return this; }
  tee(local: number): this { this.bytes.push(OP.local_tee); unsigned(this.bytes, local); return this; }
  i32(v: number): this { this.bytes.push(OP.i32_const); signedNumber(this.bytes, v | 0); return this; }
  /** An i64 constant: a safe integer, or any 64-bit pattern as a bigint. */
  i64(v: number | bigint): this {
    this.bytes.push(OP.i64_const);
    if (typeof v === "number" && Number.isSafeInteger(v)) signedNumber(this.bytes, v);
    else signed(this.bytes, BigInt.asIntN(64, BigInt(v)));
    return this;
  }
  f64(v: number): this {
    this.bytes.push(OP.f64_const);
    const b = new Uint8Array(new Float64Array([v]).buffer);
    for (const x of b) this.bytes.push(x);
    return this;
  }
  call(fn: number): this { this.bytes.push(OP.call); unsigned(this.bytes, fn); return this; }
  /** call_indirect through table 0 with the signature of type index `type`. */
  callIndirect(type: number): this { this.bytes.push(OP.call_indirect); unsigned(this.bytes, type); this.bytes.push(0); return this; }
  /** A load or store with its natural alignment hint left at 0 and a constant offset. */
  mem(code: number, offset: number): this {
    this.bytes.push(code, 0);
    unsigned(this.bytes, offset);
    return this;
  }
}

export interface FuncType { params: number[]; results: number[] }

function section(out: number[], id: number, body: number[]): void {
  out.push(id);
  unsigned(out, body.length);
  out.push(...body);
}

function vec(out: number[], items: number[][]): void {
  unsigned(out, items.length);
  for (const it of items) for (const b of it) out.push(b);
}

function name(s: string): number[] {
  const out: number[] = [];
  unsigned(out, s.length);
  for (const ch of s) out.push(ch.charCodeAt(0));
  return out;
}

function funcType(t: FuncType): number[] {
  const out = [0x60];
  unsigned(out, t.params.length);
  out.push(...t.params);
  unsigned(out, t.results.length);
  out.push(...t.results);
  return out;
}

/** A function a module defines and exports. */
export interface ModuleFunction {
  name: string;
  type: FuncType;
  /** Locals after the parameters, as [count, type] runs. */
  locals: [number, number][];
  body: FunctionBody;
  /** The function's name in the module's name section (what profilers show), when not its export name. */
  title?: string;
}

/**
 * A module importing memory "m.mem", with `table` also the funcref table "m.table", and the functions `imports`
 * (module "m"); it defines and exports `functions`. Type indices: one per import, one per function, then
 * `indirectTypes` (for call_indirect) in order.
 */
export function buildModule(
  imports: { name: string; type: FuncType }[],
  functions: ModuleFunction[],
  options: { table?: boolean; indirectTypes?: FuncType[] } = {},
): Uint8Array<ArrayBuffer> {
  const out = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00];
  const types = [...imports.map((i) => i.type), ...functions.map((f) => f.type), ...(options.indirectTypes ?? [])];
  section(out, 1, ((): number[] => { const s: number[] = []; vec(s, types.map(funcType)); return s; })());
  const imp: number[][] = [[...name("m"), ...name("mem"), 0x02, 0x00, 0x00]];
  if (options.table) imp.push([...name("m"), ...name("table"), 0x01, 0x70, 0x00, 0x00]);
  imports.forEach((i, k) => { const e = [...name("m"), ...name(i.name), 0x00]; unsigned(e, k); imp.push(e); });
  section(out, 2, ((): number[] => { const s: number[] = []; vec(s, imp); return s; })());
  section(out, 3, ((): number[] => {
    const s: number[] = [];
    unsigned(s, functions.length);
    functions.forEach((_, k) => unsigned(s, imports.length + k));
    return s;
  })());
  section(out, 7, ((): number[] => {
    const s: number[] = [];
    vec(s, functions.map((f, k) => { const e = [...name(f.name), 0x00]; unsigned(e, imports.length + k); return e; }));
    return s;
  })());
  // The code section: bodies are copied once, into the finished module (they are most of its bytes).
  const heads: number[][] = functions.map((f) => {
    const head: number[] = [];
    unsigned(head, f.locals.length);
    for (const [n, t] of f.locals) { unsigned(head, n); head.push(t); }
    return head;
  });
  const sizes = functions.map((f, k) => heads[k].length + f.body.bytes.length + 1);
  const count: number[] = [];
  unsigned(count, functions.length);
  const entries = functions.map((_, k) => { const e: number[] = []; unsigned(e, sizes[k]); e.push(...heads[k]); return e; });
  const codeSize = count.length + entries.reduce((n, e, k) => n + e.length + sizes[k] - heads[k].length, 0);
  // The name section (custom section "name", function names): what profiles and stack traces show.
  const names: number[] = [];
  vec(names, functions.map((f, k) => { const e: number[] = []; unsigned(e, imports.length + k); e.push(...name(f.title ?? f.name)); return e; }));
  const custom = [...name("name"), 1];
  unsigned(custom, names.length);
  custom.push(...names);
  const tail = [0];
  unsigned(tail, custom.length);
  tail.push(...custom);
  out.push(10);
  unsigned(out, codeSize);
  out.push(...count);
  const module = new Uint8Array(out.length + codeSize - count.length + tail.length);
  module.set(out);
  let at = out.length;
  functions.forEach((f, k) => {
    module.set(entries[k], at);
    at += entries[k].length;
    module.set(f.body.bytes, at);
    at += f.body.bytes.length;
    module[at++] = OP.end;
  });
  module.set(tail, at);
  return module;
}
