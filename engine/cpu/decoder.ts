// Decodes x86-64 machine code into pre-decoded instruction slots (structure of typed arrays), driven by table.ts.
// Decoding happens once per block; the interpreter reads only these flat fields, never bytes or row objects.

import { ROWS, U, type Row } from "./table.ts";

/** Prefix/addressing bits in `fl`. */
export const FL_REP = 1, FL_REPNE = 2, FL_A32 = 4, FL_FS = 8, FL_GS = 16, FL_LOCK = 32;
/** No base / no index register. */
export const NO_REG = 255;
/** Register numbers 16..19 in a byte operand mean AH, CH, DH, BH (the high byte of register n-16). */
export const HIGH_BYTE = 16;

/** Decoded instruction slots. One slot per instruction; blocks are runs of consecutive slots. */
export class CodeBuffer {
  readonly op: Uint8Array;
  readonly ext: Uint8Array;
  readonly ext2: Uint8Array;
  readonly sz: Uint8Array;
  readonly rg: Uint8Array;
  readonly rm: Uint8Array;
  readonly ix: Uint8Array;
  readonly sc: Uint8Array;
  readonly mem: Uint8Array;
  readonly fl: Uint8Array;
  readonly len: Uint8Array;
  readonly row: Uint16Array;
  readonly disp: Float64Array;
  readonly imm: Int32Array;
  readonly immh: Int32Array;
  readonly rip: Float64Array;

  constructor(readonly capacity: number) {
    this.op = new Uint8Array(capacity);
    this.ext = new Uint8Array(capacity);
    this.ext2 = new Uint8Array(capacity);
    this.sz = new Uint8Array(capacity);
    this.rg = new Uint8Array(capacity);
    this.rm = new Uint8Array(capacity);
    this.ix = new Uint8Array(capacity);
    this.sc = new Uint8Array(capacity);
    this.mem = new Uint8Array(capacity);
    this.fl = new Uint8Array(capacity);
    this.len = new Uint8Array(capacity);
    this.row = new Uint16Array(capacity);
    this.disp = new Float64Array(capacity);
    this.imm = new Int32Array(capacity);
    this.immh = new Int32Array(capacity);
    this.rip = new Float64Array(capacity);
  }

  /** Copies one decoded instruction to another slot (the debugger executes single instructions from a copy). */
  copySlot(from: number, to: number): void {
    this.op[to] = this.op[from]!;
    this.ext[to] = this.ext[from]!;
    this.ext2[to] = this.ext2[from]!;
    this.sz[to] = this.sz[from]!;
    this.rg[to] = this.rg[from]!;
    this.rm[to] = this.rm[from]!;
    this.ix[to] = this.ix[from]!;
    this.sc[to] = this.sc[from]!;
    this.mem[to] = this.mem[from]!;
    this.fl[to] = this.fl[from]!;
    this.len[to] = this.len[from]!;
    this.row[to] = this.row[from]!;
    this.disp[to] = this.disp[from]!;
    this.imm[to] = this.imm[from]!;
    this.immh[to] = this.immh[from]!;
    this.rip[to] = this.rip[from]!;
  }
}

// Operand kinds of a compiled form.
const K_E = 1, K_G = 2, K_Z = 3, K_I = 4, K_J = 5, K_O = 6, K_ACC = 7, K_CL = 8, K_ONE = 9;
const K_V = 10, K_W = 11, K_U = 12, K_M = 13;

interface Operand {
  kind: number;
  size: string; // b w d q v y z u or ""
}

interface Compiled {
  row: Row;
  index: number;
  operands: Operand[];
  modrm: boolean;
}

function compile(row: Row, index: number): Compiled {
  const operands: Operand[] = [];
  for (const t of row.form ? row.form.split(",") : []) {
    if (t === "AL") operands.push({ kind: K_ACC, size: "b" });
    else if (t === "rAX") operands.push({ kind: K_ACC, size: "v" });
    else if (t === "CL") operands.push({ kind: K_CL, size: "b" });
    else if (t === "1") operands.push({ kind: K_ONE, size: "" });
    else {
      const kind = ({ E: K_E, G: K_G, Z: K_Z, I: K_I, U: K_U, J: K_J, O: K_O, V: K_V, W: K_W, M: K_M } as const)[
        t[0] as "E"
      ];
      if (kind === undefined) throw new Error(`table: bad operand ${t} in ${row.mn}`);
      operands.push({ kind, size: t.slice(1) });
    }
  }
  const modrm =
    row.reg >= 0 || row.mod !== "any" ||
    operands.some((o) => o.kind === K_E || o.kind === K_G || o.kind === K_V || o.kind === K_W || o.kind === K_U || o.kind === K_M);
  return { row, index, operands, modrm };
}

/** Rows by (map << 8 | opcode). */
const BY_OPCODE: Compiled[][] = Array.from({ length: 4 * 256 }, () => []);
ROWS.forEach((row, i) => BY_OPCODE[(row.map << 8) | row.op].push(compile(row, i)));

/** The row of an opcode that matches the mandatory prefix and ModRM.reg/mod (exact prefix before prefix-less). */
function pick(cands: Compiled[], mandatory: number, reg: number, isMem: boolean): Compiled | undefined {
  let any: Compiled | undefined;
  for (const c of cands) {
    const r = c.row;
    if (r.reg >= 0 && r.reg !== reg) continue;
    if (r.mod === "mem" && !isMem) continue;
    if (r.mod === "reg" && isMem) continue;
    if (r.pfxAny && r.map >= 2 && (mandatory === 0xf2 || mandatory === 0xf3)) continue; // e.g. F3 0F38 F0 is #UD
    if (r.pfxAny) {
      if (any === undefined) any = c;
    } else if (r.pfx === mandatory) return c;
  }
  return any;
}

/** Result of decode(): bytes consumed, or TRUNCATED when the buffer ended inside the instruction. */
export const TRUNCATED = -1;

/**
 * Decodes one instruction from buf[pos .. pos+avail) at guest address rip into slot `s`.
 * Returns its length, or TRUNCATED. Unknown encodings become a U.UD slot (length = bytes seen); an instruction longer
 * than 15 bytes becomes a #GP slot, as the hardware raises #GP for it (Linux: SIGSEGV).
 */
export function decode(buf: Uint8Array, pos: number, avail: number, rip: number, out: CodeBuffer, s: number): number {
  const n = decodeUpTo15(buf, pos, avail, rip, out, s);
  return n === TRUNCATED && avail >= 15 ? tooLong(out, s, rip) : n;
}

function decodeUpTo15(buf: Uint8Array, pos: number, avail: number, rip: number, out: CodeBuffer, s: number): number {
  let p = pos;
  const end = pos + Math.min(avail, 15);
  let has66 = false, fl = 0, rex = 0, mandatory = 0;
  let b = 0;
  for (;;) {
    if (p >= end) return TRUNCATED;
    b = buf[p++];
    if (b === 0x66) { has66 = true; if (mandatory === 0) mandatory = 0x66; }
    else if (b === 0xf3) { fl = (fl & ~FL_REPNE) | FL_REP; mandatory = 0xf3; }
    else if (b === 0xf2) { fl = (fl & ~FL_REP) | FL_REPNE; mandatory = 0xf2; }
    else if (b === 0x67) fl |= FL_A32;
    else if (b === 0xf0) fl |= FL_LOCK;
    else if (b === 0x64) fl = (fl & ~FL_GS) | FL_FS;
    else if (b === 0x65) fl = (fl & ~FL_FS) | FL_GS;
    else if (b === 0x2e || b === 0x36 || b === 0x3e || b === 0x26) { /* null segments in long mode */ }
    else if ((b & 0xf0) === 0x40) {
      rex = b;
      if (p >= end) return TRUNCATED;
      b = buf[p];
      if (b === 0x66 || b === 0x67 || b === 0xf2 || b === 0xf3 || b === 0xf0 || b === 0x64 || b === 0x65 ||
          b === 0x2e || b === 0x36 || b === 0x3e || b === 0x26 || (b & 0xf0) === 0x40) {
        rex = 0; // a REX not directly before the opcode is ignored
        continue;
      }
      p++;
      break;
    } else break;
  }
  let map = 0;
  if (b === 0x0f) {
    if (p >= end) return TRUNCATED;
    b = buf[p++];
    map = 1;
    if (b === 0x38 || b === 0x3a) {
      map = b === 0x38 ? 2 : 3;
      if (p >= end) return TRUNCATED;
      b = buf[p++];
    }
  }
  const cands = BY_OPCODE[(map << 8) | b];
  if (cands.length === 0) return invalid(out, s, rip, p - pos);
  const rexW = (rex & 8) !== 0, rexR = (rex & 4) << 1, rexX = (rex & 2) << 2, rexB = (rex & 1) << 3;
  let modrm = -1;
  if (cands[0].modrm) {
    if (p >= end) return TRUNCATED;
    modrm = buf[p++];
  }
  const mod = modrm >> 6, regField = (modrm >> 3) & 7, rmField = modrm & 7;
  const isMem = modrm >= 0 && mod !== 3;
  const c = pick(cands, mandatory, regField, isMem);
  if (c === undefined) return invalid(out, s, rip, p - pos);
  const row = c.row;
  if (!row.pfxAny && row.pfx !== 0) {
    if (row.pfx === 0xf3) fl &= ~FL_REP;
    else if (row.pfx === 0xf2) fl &= ~FL_REPNE;
  }
  const osize = rexW ? 8 : row.size64 === "f64" ? 8 : has66 && (row.pfxAny || row.pfx !== 0x66) ? 2 : row.size64 === "d64" ? 8 : 4;

  // Memory operand.
  let base = NO_REG, index = NO_REG, scale = 1, disp = 0, ripRel = false, rmReg = 0;
  if (isMem) {
    if (rmField === 4) {
      if (p >= end) return TRUNCATED;
      const sib = buf[p++];
      scale = 1 << (sib >> 6);
      const idx = ((sib >> 3) & 7) | rexX;
      if (idx !== 4) index = idx;
      const bs = sib & 7;
      if (bs === 5 && mod === 0) {
        if (p + 4 > end) return TRUNCATED;
        disp = readI32(buf, p);
        p += 4;
      } else base = bs | rexB;
    } else if (rmField === 5 && mod === 0) {
      if (p + 4 > end) return TRUNCATED;
      disp = readI32(buf, p);
      p += 4;
      ripRel = true;
    } else base = rmField | rexB;
    if (mod === 1) {
      if (p >= end) return TRUNCATED;
      disp = (buf[p++] << 24) >> 24;
    } else if (mod === 2) {
      if (p + 4 > end) return TRUNCATED;
      disp = readI32(buf, p);
      p += 4;
    }
  } else if (modrm >= 0) rmReg = rmField | rexB;

  const sizeOf = (letter: string): number =>
    letter === "b" ? 1 : letter === "w" ? 2 : letter === "d" ? 4 : letter === "q" ? 8 :
    letter === "y" ? (rexW ? 8 : 4) : osize;
  const byteReg = (r: number): number => (rex === 0 && r >= 4 && r < 8 ? HIGH_BYTE + r - 4 : r);

  let rg = 0, rm = rmReg, mem = isMem ? 1 : 0, sz = 0, imm = 0, immh = 0, jrel = 0, isJump = false;
  const ops = c.operands;
  const hasO = ops.some((o) => o.kind === K_O);
  for (let k = 0; k < ops.length; k++) {
    const o = ops[k];
    const osz = o.size === "" ? 0 : sizeOf(o.size);
    if (sz === 0 && osz !== 0 && o.kind !== K_I && o.kind !== K_J) sz = osz;
    switch (o.kind) {
      case K_E: case K_M:
        if (!isMem && o.kind === K_M) return invalid(out, s, rip, p - pos);
        if (!isMem && osz === 1) rm = byteReg(rmReg);
        break;
      case K_W: case K_U:
        break;
      case K_G:
        rg = osz === 1 ? byteReg(regField | rexR) : regField | rexR;
        break;
      case K_V:
        rg = regField | rexR;
        break;
      case K_Z: {
        const r = (b & 7) | rexB;
        if (ops.length === 2 && ops[0].kind === K_ACC) rg = 0; // xchg rAX, r
        rm = osz === 1 ? byteReg(r) : r;
        mem = 0;
        break;
      }
      case K_ACC:
        if (hasO) rg = 0;
        else { rm = 0; mem = 0; }
        break;
      case K_I: {
        const letter = o.size;
        if (letter === "b" || letter === "u") {
          if (p >= end) return TRUNCATED;
          const v = buf[p++];
          if (k === 1 && ops[0].kind === K_I) immh = v; // enter Iw,Ub: second immediate
          else { imm = letter === "b" ? (v << 24) >> 24 : v; immh = imm >> 31; }
        } else if (letter === "w" || ((letter === "z" || letter === "v") && osize === 2)) {
          if (p + 2 > end) return TRUNCATED;
          const v = buf[p] | (buf[p + 1] << 8);
          p += 2;
          imm = letter === "w" ? v : (v << 16) >> 16;
          immh = letter === "w" ? 0 : imm >> 31;
        } else if (letter === "v" && osize === 8) {
          if (p + 8 > end) return TRUNCATED;
          imm = readI32(buf, p);
          immh = readI32(buf, p + 4);
          p += 8;
        } else {
          if (p + 4 > end) return TRUNCATED;
          imm = readI32(buf, p);
          immh = imm >> 31;
          p += 4;
        }
        break;
      }
      case K_J: {
        let rel: number;
        if (o.size === "b") {
          if (p >= end) return TRUNCATED;
          rel = (buf[p++] << 24) >> 24;
        } else {
          if (p + 4 > end) return TRUNCATED;
          rel = readI32(buf, p);
          p += 4;
        }
        jrel = rel;
        isJump = true;
        break;
      }
      case K_O: {
        const n = fl & FL_A32 ? 4 : 8;
        if (p + n > end) return TRUNCATED;
        disp = n === 4 ? readI32(buf, p) >>> 0 : (readI32(buf, p) >>> 0) + readI32(buf, p + 4) * 0x100000000;
        p += n;
        mem = 1;
        base = NO_REG;
        index = NO_REG;
        break;
      }
      case K_ONE:
        imm = 1;
        break;
      case K_CL:
        break;
    }
  }
  if (sz === 0) sz = osize;
  // String ops: ext = 1 marks the byte form.
  if (row.ex >= U.MOVS && row.ex <= U.CMPS && row.ext === 1) sz = 1;
  if ((fl & FL_LOCK) !== 0 && !(mem && lockable(row))) return invalid(out, s, rip, p - pos);
  const length = p - pos;
  const next = rip + length;
  // 90 with REX.B is xchg r8, rAX, not nop.
  out.op[s] = row.ex === U.NOP && b === 0x90 && map === 0 && rexB !== 0 ? U.XCHG : row.ex;
  out.ext[s] = row.ext;
  out.ext2[s] = row.ext2;
  out.sz[s] = sz;
  out.rg[s] = rg;
  out.rm[s] = mem ? base : rm;
  out.ix[s] = index;
  out.sc[s] = scale;
  out.mem[s] = mem;
  out.fl[s] = fl;
  out.len[s] = length;
  out.row[s] = c.index;
  out.disp[s] = isJump ? wrapAddress(next + jrel) : ripRel ? next + disp : disp;
  out.imm[s] = imm;
  out.immh[s] = immh;
  out.rip[s] = rip;
  specialize(out, s);
  return length;
}

/** ALU sub-operation used by the specialised ALU forms for `test` (and without write-back). */
export const ALU_TEST = 8;

/**
 * Replaces a generic slot by a specialised uop when the operands have the commonest shape. Reg-reg forms are
 * normalised so that rm is the destination and rg the source.
 */
function specialize(out: CodeBuffer, s: number): void {
  const op = out.op[s], sz = out.sz[s];
  if (sz !== 4 && sz !== 8) return;
  const wide = sz === 8;
  if (out.mem[s] === 0) {
    switch (op) {
      case U.MOV_GE: swapRegs(out, s); out.op[s] = wide ? U.MOV_RR64 : U.MOV_RR32; return;
      case U.MOV_EG: out.op[s] = wide ? U.MOV_RR64 : U.MOV_RR32; return;
      case U.MOV_EI: out.op[s] = U.MOV_RI; if (!wide) out.immh[s] = 0; return;
      case U.ALU_GE: swapRegs(out, s); out.op[s] = wide ? U.ALU_RR64 : U.ALU_RR32; return;
      case U.ALU_EG: out.op[s] = wide ? U.ALU_RR64 : U.ALU_RR32; return;
      case U.TEST_EG: out.op[s] = wide ? U.ALU_RR64 : U.ALU_RR32; out.ext[s] = ALU_TEST; return;
      case U.ALU_EI: out.op[s] = wide ? U.ALU_RI64 : U.ALU_RI32; return;
      case U.TEST_EI: out.op[s] = wide ? U.ALU_RI64 : U.ALU_RI32; out.ext[s] = ALU_TEST; return;
      case U.PUSH_E: if (wide) out.op[s] = U.PUSH_R64; return;
      case U.POP_E: if (wide) out.op[s] = U.POP_R64; return;
    }
    return;
  }
  // [base + disp] without index, segment override or address-size prefix.
  if (out.ix[s] !== NO_REG || out.rm[s] === NO_REG || (out.fl[s] & (FL_A32 | FL_FS | FL_GS)) !== 0) return;
  if (op === U.MOV_GE) out.op[s] = wide ? U.LD64 : U.LD32;
  else if (op === U.MOV_EG) out.op[s] = wide ? U.ST64 : U.ST32;
}

function swapRegs(out: CodeBuffer, s: number): void {
  const t = out.rg[s];
  out.rg[s] = out.rm[s];
  out.rm[s] = t;
}

function wrapAddress(a: number): number {
  return a < 0 ? a + 2 ** 64 : a;
}

function readI32(buf: Uint8Array, p: number): number {
  return buf[p] | (buf[p + 1] << 8) | (buf[p + 2] << 16) | (buf[p + 3] << 24);
}

/** LOCK is allowed only on these read-modify-write instructions (and only with a memory destination). */
function lockable(row: Row): boolean {
  switch (row.ex) {
    case U.ALU_EG: case U.ALU_EI: return row.ext !== 7;
    case U.BT_EG: case U.BT_EI: return row.ext !== 0;
    case U.INC: case U.DEC: case U.NEG: case U.NOT: case U.XCHG: case U.CMPXCHG: case U.XADD: case U.CMPXCHGB: return true;
  }
  return false;
}

function tooLong(out: CodeBuffer, s: number, rip: number): number {
  invalid(out, s, rip, 15);
  out.op[s] = U.PRIV;
  out.ext[s] = 13;
  return 15;
}

function invalid(out: CodeBuffer, s: number, rip: number, length: number): number {
  out.op[s] = U.UD;
  out.len[s] = length;
  out.row[s] = 0xffff;
  out.rip[s] = rip;
  out.mem[s] = 0;
  out.fl[s] = 0;
  return length;
}

/** The table row a decoded slot came from (for disassembly, traces and tests); undefined for #UD slots. */
export function rowOf(out: CodeBuffer, s: number): Row | undefined {
  return out.row[s] === 0xffff ? undefined : ROWS[out.row[s]];
}
