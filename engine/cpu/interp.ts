// The interpreter: executes decoded uops slot by slot, a block at a time. Shaped by speed: literal-case switch
// (table.test.ts pins the labels), no allocation, no BigInt.

import { PAGE_SHIFT, PAGE_SIZE } from "../memory/frames.ts";
import { FL_A32, FL_FS, FL_GS, FL_REP, FL_REPNE, HIGH_BYTE, NO_REG } from "./decoder.ts";
import { ARITH_MASK, carry, condition, F_NONE, materialize } from "./flags.ts";
import { RFLAGS_AF, RFLAGS_CF, RFLAGS_DF, RFLAGS_OF, RFLAGS_SF, RFLAGS_ZF } from "./state.ts";
import { U, UOP_NAMES } from "./table.ts";
import { cpuid } from "./cpuid.ts";
import { sseExec } from "./sse.ts";
import { sseExtExec } from "./sse4.ts";
import { x87Exec } from "./x87.ts";
import { CODE_SLOTS, Core, EXIT_EXCEPTION, EXIT_SYSCALL, SCRATCH_SLOTS, smulhi, TWO32, umulhi, VEC_BP, VEC_DE, VEC_GP, VEC_UD } from "./core.ts";

/** RFLAGS bits user code may change with popf (besides the arithmetic ones): DF, AC, ID. */
const POPF_MASK = ARITH_MASK | RFLAGS_DF | (1 << 18) | (1 << 21);

export abstract class Interpreter extends Core {
  override interpretSlot(i: number): number {
    const t = CODE_SLOTS - SCRATCH_SLOTS, c = this.code;
    c.copySlot(i, t);
    this.endBlock(t + 1, c.rip[i] + c.len[i]);
    return this.interpretBlock(t);
  }

  override interpretRest(i: number): number {
    return this.interpretBlock(i);
  }

  /**
   * Interprets the block at slot first; returns -1 to keep dispatching, or an EXIT_* code. A fault sets faultSlot
   * and propagates. Kept apart from run (cpu.ts) so the dispatch loop stays small enough for V8 to optimize well.
   */
  protected interpretBlock(first: number): number {
    const c = this.code;
    const ops = c.op, exts = c.ext, szs = c.sz, rgs = c.rg, rms = c.rm, mems = c.mem, lens = c.len;
    const disps = c.disp, imms = c.imm, immhs = c.immh, rips = c.rip;
    const R = this.r;
    let i = first;
    try {
      let retire = 1;
      let exit = -1;
      block: for (;;) {
        switch (ops[i]) {
          case 1: // NOP
            break;
          case 2: { // MOV_EG
            const sz = szs[i];
            const g = this.getR(rgs[i], sz);
            if (mems[i]) this.writeMem(this.ea(i), sz, g, this.hi);
            else this.setR(rms[i], sz, g, this.hi);
            break;
          }
          case 3: { // MOV_GE
            const sz = szs[i];
            let v: number;
            if (mems[i]) v = this.readMem(this.ea(i), sz);
            else {
              const rr = rms[i];
              if (sz === 8) {
                R[2 * rgs[i]] = R[2 * rr];
                R[2 * rgs[i] + 1] = R[2 * rr + 1];
                break;
              }
              v = this.getR(rr, sz);
            }
            this.setR(rgs[i], sz, v, this.hi);
            break;
          }
          case 4: { // MOV_EI
            const sz = szs[i];
            if (mems[i]) this.writeMem(this.ea(i), sz, imms[i], immhs[i]);
            else this.setR(rms[i], sz, imms[i], immhs[i]);
            break;
          }
          case 5: { // ALU_EG
            const sz = szs[i], op = exts[i];
            const g = this.getR(rgs[i], sz), gh = this.hi;
            if (mems[i]) {
              const a = this.ea(i);
              if (op === 7) {
                const v = this.readMem(a, sz);
                this.alu(7, sz, v, this.hi, g, gh);
              } else {
                const v = this.rmwLoad(a, sz);
                const r = this.alu(op, sz, v, this.hi, g, gh);
                this.rmwStore(a, sz, r, this.hi);
              }
            } else {
              const rr = rms[i];
              const v = this.getR(rr, sz);
              const r = this.alu(op, sz, v, this.hi, g, gh);
              if (op !== 7) this.setR(rr, sz, r, this.hi);
            }
            break;
          }
          case 6: { // ALU_GE
            const sz = szs[i], op = exts[i];
            const e = mems[i] ? this.readMem(this.ea(i), sz) : this.getR(rms[i], sz);
            const eh = this.hi;
            const rr = rgs[i];
            const r = this.alu(op, sz, this.getR(rr, sz), this.hi, e, eh);
            if (op !== 7) this.setR(rr, sz, r, this.hi);
            break;
          }
          case 7: { // ALU_EI
            const sz = szs[i], op = exts[i];
            if (mems[i]) {
              const a = this.ea(i);
              if (op === 7) this.alu(7, sz, this.readMem(a, sz), this.hi, imms[i], immhs[i]);
              else {
                const v = this.rmwLoad(a, sz);
                const r = this.alu(op, sz, v, this.hi, imms[i], immhs[i]);
                this.rmwStore(a, sz, r, this.hi);
              }
            } else {
              const rr = rms[i];
              const r = this.alu(op, sz, this.getR(rr, sz), this.hi, imms[i], immhs[i]);
              if (op !== 7) this.setR(rr, sz, r, this.hi);
            }
            break;
          }
          case 8: { // TEST_EG
            const sz = szs[i];
            const g = this.getR(rgs[i], sz), gh = this.hi;
            const e = mems[i] ? this.readMem(this.ea(i), sz) : this.getR(rms[i], sz);
            this.alu(4, sz, e, this.hi, g, gh);
            break;
          }
          case 9: { // TEST_EI
            const sz = szs[i];
            const e = mems[i] ? this.readMem(this.ea(i), sz) : this.getR(rms[i], sz);
            this.alu(4, sz, e, this.hi, imms[i], immhs[i]);
            break;
          }
          case 11: // LEA
            this.lea(i);
            break;
          case 12: { // MOVZX
            const v = mems[i] ? this.readMem(this.ea(i), exts[i]) : this.getR(rms[i], exts[i]);
            this.setR(rgs[i], szs[i], v, 0);
            break;
          }
          case 13: { // MOVSX
            const e = exts[i];
            let v = mems[i] ? this.readMem(this.ea(i), e) : this.getR(rms[i], e);
            v = e === 1 ? (v << 24) >> 24 : e === 2 ? (v << 16) >> 16 : v | 0;
            this.setR(rgs[i], szs[i], v, v >> 31);
            break;
          }
          case 14: case 15: { // INC, DEC
            const sz = szs[i], dec = ops[i] === 15;
            if (mems[i]) {
              const a = this.ea(i);
              const v = this.rmwLoad(a, sz);
              const r = this.incdec(dec, sz, v, this.hi);
              this.rmwStore(a, sz, r, this.hi);
            } else {
              const rr = rms[i];
              const r = this.incdec(dec, sz, this.getR(rr, sz), this.hi);
              this.setR(rr, sz, r, this.hi);
            }
            break;
          }
          case 18: case 19: { // SHIFT_EI, SHIFT_ECL
            const sz = szs[i];
            const count = ops[i] === 18 ? imms[i] : R[2];
            const a = mems[i] ? this.ea(i) : 0;
            const v = mems[i] ? this.rmwLoad(a, sz) : this.getR(rms[i], sz);
            const r = this.shift(exts[i], sz, v, this.hi, count);
            if (mems[i]) this.rmwStore(a, sz, r, this.hi);
            else this.setR(rms[i], sz, r, this.hi);
            break;
          }
          case 26: { // IMUL_GE
            const sz = szs[i];
            const e = mems[i] ? this.readMem(this.ea(i), sz) : this.getR(rms[i], sz);
            const eh = this.hi;
            const r = this.imul(sz, this.getR(rgs[i], sz), this.hi, e, eh);
            this.setR(rgs[i], sz, r, this.hi);
            break;
          }
          case 27: { // IMUL_GEI
            const sz = szs[i];
            const e = mems[i] ? this.readMem(this.ea(i), sz) : this.getR(rms[i], sz);
            const r = this.imul(sz, e, this.hi, imms[i], immhs[i]);
            this.setR(rgs[i], sz, r, this.hi);
            break;
          }
          case 30: { // CMOV
            const sz = szs[i];
            const v = mems[i] ? this.readMem(this.ea(i), sz) : this.getR(rms[i], sz);
            if (condition(this, exts[i])) this.setR(rgs[i], sz, v, this.hi);
            else if (sz === 4) R[2 * rgs[i] + 1] = 0;
            break;
          }
          case 31: { // SETCC
            const v = condition(this, exts[i]) ? 1 : 0;
            if (mems[i]) this.wr8(this.ea(i), v);
            else this.setR(rms[i], 1, v, 0);
            break;
          }
          case 32: // JCC
            this.rip = condition(this, exts[i]) ? disps[i] : rips[i] + lens[i];
            break block;
          case 33: // JMP
            this.rip = disps[i];
            break block;
          case 34: { // JMP_E
            const v = mems[i] ? this.rd64(this.ea(i)) : this.getR(rms[i], 8);
            this.rip = (this.hi >>> 0) * TWO32 + (v >>> 0);
            if (this.wasmRegions) this.indirectTargets.set(i, this.rip);
            break block;
          }
          case 35: { // CALL
            const next = rips[i] + lens[i];
            this.push64(next | 0, Math.floor(next / TWO32));
            this.rip = disps[i];
            break block;
          }
          case 36: { // CALL_E
            const v = mems[i] ? this.rd64(this.ea(i)) : this.getR(rms[i], 8);
            const target = (this.hi >>> 0) * TWO32 + (v >>> 0);
            const next = rips[i] + lens[i];
            this.push64(next | 0, Math.floor(next / TWO32));
            this.rip = target;
            if (this.wasmRegions) this.indirectTargets.set(i, target);
            break block;
          }
          case 37: { // RET
            const lo = this.pop64();
            this.rip = (this.hi >>> 0) * TWO32 + (lo >>> 0);
            if (imms[i] !== 0) this.setReg64(4, this.reg64(4) + imms[i]);
            break block;
          }
          case 66: // END
            this.rip = rips[i];
            retire = 0;
            break block;
          case 67: // SMC_EXIT
            this.rip = rips[i];
            retire = 0;
            break block;
          case 74: { // MOV_RR64
            const d = 2 * rms[i], r = 2 * rgs[i];
            R[d] = R[r];
            R[d + 1] = R[r + 1];
            break;
          }
          case 75: { // MOV_RR32
            const d = 2 * rms[i];
            R[d] = R[2 * rgs[i]];
            R[d + 1] = 0;
            break;
          }
          case 76: { // MOV_RI
            const d = 2 * rms[i];
            R[d] = imms[i];
            R[d + 1] = immhs[i];
            break;
          }
          case 77: { // LD64
            const b = 2 * rms[i];
            const lo = this.rd64(disps[i] + R[b + 1] * TWO32 + (R[b] >>> 0));
            const d = 2 * rgs[i];
            R[d] = lo;
            R[d + 1] = this.hi;
            break;
          }
          case 78: { // LD32
            const b = 2 * rms[i];
            const v = this.rd32(disps[i] + R[b + 1] * TWO32 + (R[b] >>> 0));
            const d = 2 * rgs[i];
            R[d] = v;
            R[d + 1] = 0;
            break;
          }
          case 79: { // ST64
            const b = 2 * rms[i], g = 2 * rgs[i];
            this.wr64(disps[i] + R[b + 1] * TWO32 + (R[b] >>> 0), R[g], R[g + 1]);
            break;
          }
          case 80: { // ST32
            const b = 2 * rms[i];
            this.wr32(disps[i] + R[b + 1] * TWO32 + (R[b] >>> 0), R[2 * rgs[i]]);
            break;
          }
          case 81: { // ALU_RR64
            const r = 2 * rgs[i];
            this.aluReg64(exts[i], 2 * rms[i], R[r], R[r + 1]);
            break;
          }
          case 82: // ALU_RR32
            this.aluReg32(exts[i], 2 * rms[i], R[2 * rgs[i]]);
            break;
          case 83: // ALU_RI64
            this.aluReg64(exts[i], 2 * rms[i], imms[i], immhs[i]);
            break;
          case 84: // ALU_RI32
            this.aluReg32(exts[i], 2 * rms[i], imms[i]);
            break;
          case 85: { // PUSH_R64
            const r = 2 * rms[i];
            this.push64(R[r], R[r + 1]);
            break;
          }
          case 86: { // POP_R64
            const lo = this.pop64();
            const r = 2 * rms[i];
            R[r] = lo;
            R[r + 1] = this.hi;
            break;
          }
          case 73: // X87: float loops are mostly x87 instructions, so not through execSlow's dispatch
            x87Exec(this, i);
            break;
          default: {
            const x = this.execSlow(i);
            if (x === -1) break;
            if (x >= 0) exit = x;
            break block;
          }
        }
        i++;
      }
      this.icount += i - first + retire;
      return exit;
    } catch (e) {
      this.faultSlot = i;
      this.faultFirst = first;
      throw e;
    }
  }

  // ---------------------------------------------------------------- less common instructions

  /** Executes one slot of a less common uop (Core.execSlow). */
  override execSlow(i: number): number {
    const c = this.code;
    const ops = c.op, exts = c.ext, szs = c.sz, rgs = c.rg, rms = c.rm, mems = c.mem, lens = c.len;
    const disps = c.disp, imms = c.imm, immhs = c.immh, rips = c.rip, fls = c.fl;
    const R = this.r;
    switch (ops[i]) {
        case 0: // UD
          return this.fault(VEC_UD, 0, rips[i]);
        case 16: case 17: { // NEG, NOT
          const sz = szs[i];
          const a = mems[i] ? this.ea(i) : 0;
          const v = mems[i] ? this.rmwLoad(a, sz) : this.getR(rms[i], sz);
          const vh = this.hi;
          let r: number, rh: number;
          if (ops[i] === 16) {
            r = this.neg(sz, v, vh);
            rh = this.hi;
          } else {
            r = ~v;
            rh = ~vh;
          }
          if (mems[i]) this.rmwStore(a, sz, r, rh);
          else this.setR(rms[i], sz, r, rh);
          return -1;
        }
        case 20: case 21: { // SHLD, SHRD
          const sz = szs[i];
          const count = exts[i] === 1 ? R[2] : imms[i];
          const g = this.getR(rgs[i], sz), gh = this.hi;
          const a = mems[i] ? this.ea(i) : 0;
          const v = mems[i] ? this.rmwLoad(a, sz) : this.getR(rms[i], sz);
          const r = this.shiftDouble(ops[i] === 20, sz, v, this.hi, g, gh, count);
          if (mems[i]) this.rmwStore(a, sz, r, this.hi);
          else this.setR(rms[i], sz, r, this.hi);
          return -1;
        }
        case 22: case 23: { // MUL1, IMUL1
          const sz = szs[i];
          const v = mems[i] ? this.readMem(this.ea(i), sz) : this.getR(rms[i], sz);
          this.mulAcc(ops[i] === 23, sz, v, this.hi);
          return -1;
        }
        case 24: case 25: { // DIV, IDIV
          const sz = szs[i];
          const v = mems[i] ? this.readMem(this.ea(i), sz) : this.getR(rms[i], sz);
          this.divide(ops[i] === 25, sz, v, this.hi);
          return -1;
        }
        case 28: { // CVT_A: cbw / cwde / cdqe
          const sz = szs[i];
          if (sz === 8) R[1] = R[0] >> 31;
          else if (sz === 4) {
            R[0] = (R[0] << 16) >> 16;
            R[1] = 0;
          } else this.setR(0, 2, (R[0] << 24) >> 24, 0);
          return -1;
        }
        case 29: { // CVT_D: cwd / cdq / cqo
          const sz = szs[i];
          if (sz === 8) R[4] = R[5] = R[1] >> 31;
          else if (sz === 4) {
            R[4] = R[0] >> 31;
            R[5] = 0;
          } else this.setR(2, 2, (R[0] << 16) >> 31, 0);
          return -1;
        }
        case 39: // PUSH_I
          this.pushSz(szs[i], imms[i], immhs[i]);
          return -1;
        case 41: { // LEAVE
          const bp = this.reg64(5);
          if (szs[i] === 2) { // 66 c9: pops BP only, RSP moves by 2 and RBP's upper bits stay
            const word = this.readMem(bp, 2);
            this.setReg64(4, bp + 2);
            this.setR(5, 2, word, 0);
            return -1;
          }
          const lo = this.rd64(bp);
          const hi = this.hi;
          this.setReg64(4, bp + 8);
          R[10] = lo;
          R[11] = hi;
          return -1;
        }
        case 42: // PUSHF
          this.pushSz(szs[i], this.getRflags() & ~0x30000, 0);
          return -1;
        case 43: { // POPF
          const v = this.popSz(szs[i]);
          const keep = szs[i] === 2 ? 0xffff0000 : 0;
          this.setRflags((this.getRflags() & (~POPF_MASK | keep)) | (v & POPF_MASK & ~keep));
          return -1;
        }
        case 44: // CMPXCHG
          this.cmpxchg(i);
          return -1;
        case 45: { // XADD
          const sz = szs[i];
          const g = this.getR(rgs[i], sz), gh = this.hi;
          if (mems[i]) {
            const a = this.ea(i);
            const v = this.rmwLoad(a, sz), vh = this.hi;
            const r = this.alu(0, sz, v, vh, g, gh);
            this.rmwStore(a, sz, r, this.hi);
            this.setR(rgs[i], sz, v, vh);
          } else {
            const v = this.getR(rms[i], sz), vh = this.hi;
            const r = this.alu(0, sz, v, vh, g, gh), rh = this.hi;
            this.setR(rgs[i], sz, v, vh);
            this.setR(rms[i], sz, r, rh);
          }
          return -1;
        }
        case 46: case 47: case 48: case 49: case 50: // BSF, BSR, TZCNT, LZCNT, POPCNT
          this.bitScan(i);
          return -1;
        case 51: case 52: // BT_EG, BT_EI
          this.bitTest(i);
          return -1;
        case 53: { // BSWAP
          const rr = rms[i];
          if (szs[i] === 8) {
            const lo = R[2 * rr], hi = R[2 * rr + 1];
            R[2 * rr] = bswap32(hi);
            R[2 * rr + 1] = bswap32(lo);
          } else {
            R[2 * rr] = bswap32(R[2 * rr]);
            R[2 * rr + 1] = 0;
          }
          return -1;
        }
        case 54: case 55: case 56: case 57: case 58: // MOVS, STOS, LODS, SCAS, CMPS
          this.stringOp(i);
          return -1;
        case 59: { // SYSCALL
          const next = rips[i] + lens[i];
          this.setReg64(1, next);
          R[22] = this.getRflags() & ~0x10000;
          R[23] = 0;
          this.rip = next;
          this.exitInstrLength = lens[i];
          return EXIT_SYSCALL;
        }
        case 60: { // CPUID
          cpuid(R[0], R);
          return -1;
        }
        case 61: case 62: { // RDTSC, RDTSCP
          const t = this.readTsc();
          R[0] = t % TWO32;
          R[1] = 0;
          R[4] = Math.floor(t / TWO32);
          R[5] = 0;
          if (ops[i] === 62) {
            R[2] = 0;
            R[3] = 0;
          }
          return -1;
        }
        case 63: // INT3: a trap, rip after it
          this.rip = rips[i] + lens[i];
          this.exitVector = VEC_BP;
          this.exitErrorCode = 0;
          this.exitAddress = rips[i];
          this.exitInstrLength = lens[i];
          return EXIT_EXCEPTION;
        case 64: // FLAGOP
          this.flagOp(exts[i]);
          return -1;
        case 65: { // LOOP / JRCXZ
          const a32 = (fls[i] & FL_A32) !== 0;
          const e = exts[i];
          let take: boolean;
          if (e === 0) take = a32 ? R[2] === 0 : (R[2] | R[3]) === 0;
          else {
            if (a32) {
              R[2] = (R[2] - 1) | 0;
              R[3] = 0;
            } else this.setR(1, 8, (R[2] - 1) | 0, R[2] === 0 ? (R[3] - 1) | 0 : R[3]);
            const nz = a32 ? R[2] !== 0 : (R[2] | R[3]) !== 0;
            take = e === 1 ? nz : e === 2 ? nz && condition(this, 4) : nz && !condition(this, 4);
          }
          this.rip = take ? disps[i] : rips[i] + lens[i];
          return -2;
        }
        case 10: { // XCHG
          const sz = szs[i];
          const g = this.getR(rgs[i], sz), gh = this.hi;
          if (mems[i]) {
            const a = this.ea(i);
            const v = this.rmwLoad(a, sz), vh = this.hi;
            this.rmwStore(a, sz, g, gh);
            this.setR(rgs[i], sz, v, vh);
          } else {
            const v = this.getR(rms[i], sz), vh = this.hi;
            this.setR(rms[i], sz, g, gh);
            this.setR(rgs[i], sz, v, vh);
          }
          return -1;
        }
        case 38: { // PUSH_E
          const sz = szs[i];
          const v = mems[i] ? this.readMem(this.ea(i), sz) : this.getR(rms[i], sz);
          this.pushSz(sz, v, this.hi);
          return -1;
        }
        case 40: { // POP_E
          const sz = szs[i];
          if (mems[i]) {
            // The address is computed after rsp is incremented; the store happens before rsp changes.
            const old = this.reg64(4);
            const v = sz === 8 ? this.rd64(old) : this.rd16(old);
            const vh = this.hi;
            this.setReg64(4, old + sz);
            const a = this.ea(i);
            this.setReg64(4, old);
            this.writeMem(a, sz, v, vh);
            this.setReg64(4, old + sz);
          } else {
            const v = this.popSz(sz);
            this.setR(rms[i], sz, v, this.hi);
          }
          return -1;
        }
        case 68: // CMPXCHGB (cmpxchg8b / cmpxchg16b)
          this.cmpxchgWide(i);
          return -1;
        case 69: // PRIV: privileged or unsupported-at-CPL3 instruction
          return this.fault(exts[i], 0, 0);
        case 70: // ENTER
          this.enter(i);
          return -1;
        case 71: // SSE
          sseExec(this, i);
          return -1;
        case 87: // SSEX
          sseExtExec(this, i);
          return -1;
        case 72: { // MOVBE
          const sz = szs[i];
          if (exts[i] === 0) {
            const v = this.readMem(this.ea(i), sz);
            if (sz === 8) this.setR(rgs[i], 8, bswap32(this.hi), bswap32(v));
            else this.setR(rgs[i], sz, sz === 4 ? bswap32(v) : ((v & 0xff) << 8) | ((v >> 8) & 0xff), 0);
          } else {
            const v = this.getR(rgs[i], sz);
            if (sz === 8) this.writeMem(this.ea(i), 8, bswap32(this.hi), bswap32(v));
            else this.writeMem(this.ea(i), sz, sz === 4 ? bswap32(v) : ((v & 0xff) << 8) | ((v >> 8) & 0xff), 0);
          }
          return -1;
        }
      default:
        throw new Error(`cpu: no handler for uop ${UOP_NAMES[ops[i]] ?? ops[i]}`);
    }
  }


  /** lea: exact 64-bit address arithmetic (lea doubles as integer arithmetic), no segment base. */
  private lea(i: number): void {
    const c = this.code, R = this.r;
    const d = c.disp[i];
    let lo = d % TWO32 | 0, hi = Math.floor(d / TWO32) | 0;
    const b = c.rm[i];
    if (b !== NO_REG) {
      const s = (lo >>> 0) + (R[2 * b] >>> 0);
      lo = s | 0;
      hi = (hi + R[2 * b + 1] + (s >= TWO32 ? 1 : 0)) | 0;
    }
    const x = c.ix[i];
    if (x !== NO_REG) {
      let xl = R[2 * x], xh = R[2 * x + 1];
      const sc = c.sc[i];
      if (sc !== 1) {
        const k = sc === 2 ? 1 : sc === 4 ? 2 : 3;
        xh = (xh << k) | (xl >>> (32 - k));
        xl = xl << k;
      }
      const s = (lo >>> 0) + (xl >>> 0);
      lo = s | 0;
      hi = (hi + xh + (s >= TWO32 ? 1 : 0)) | 0;
    }
    if (c.fl[i] & FL_A32) hi = 0;
    this.setR(c.rg[i], c.sz[i], lo, hi);
  }

  private cmpxchg(i: number): void {
    const c = this.code;
    const sz = c.sz[i];
    const acc = this.getR(0, sz), acch = this.hi;
    const g = this.getR(c.rg[i], sz), gh = this.hi;
    if (c.mem[i]) {
      const a = this.ea(i);
      const v = this.rmwLoad(a, sz), vh = this.hi;
      this.alu(7, sz, acc, acch, v, vh);
      const eq = this.fr === 0 && this.frh === 0;
      if (eq) this.rmwStore(a, sz, g, gh);
      else {
        this.rmwStore(a, sz, v, vh);
        this.setR(0, sz, v, vh);
      }
    } else {
      const v = this.getR(c.rm[i], sz), vh = this.hi;
      this.alu(7, sz, acc, acch, v, vh);
      if (this.fr === 0 && this.frh === 0) this.setR(c.rm[i], sz, g, gh);
      else this.setR(0, sz, v, vh);
    }
  }

  private cmpxchgWide(i: number): void {
    const R = this.r;
    const a = this.ea(i);
    if (this.code.sz[i] === 8) {
      // cmpxchg16b: rdx:rax vs m128, requires 16-byte alignment.
      if ((a & 15) !== 0) this.fault(VEC_GP, 0, 0);
      const p = this.wphys(a, 16);
      const dv = this.dv;
      const m0 = dv.getInt32(p, true), m1 = dv.getInt32(p + 4, true);
      const m2 = dv.getInt32(p + 8, true), m3 = dv.getInt32(p + 12, true);
      const eq = m0 === R[0] && m1 === R[1] && m2 === R[4] && m3 === R[5];
      if (this.frames.code[p >>> PAGE_SHIFT] !== 0) this.codeWritten(p >>> PAGE_SHIFT);
      if (eq) {
        dv.setInt32(p, R[6], true); dv.setInt32(p + 4, R[7], true);
        dv.setInt32(p + 8, R[2], true); dv.setInt32(p + 12, R[3], true);
      } else {
        R[0] = m0; R[1] = m1; R[4] = m2; R[5] = m3;
      }
      this.patchFlags(RFLAGS_ZF, eq ? RFLAGS_ZF : 0);
      return;
    }
    const lo = this.rmwLoad(a, 8), hi = this.hi;
    const eq = lo === R[0] && hi === R[4];
    if (eq) this.rmwStore(a, 8, R[6], R[2]);
    else {
      this.rmwStore(a, 8, lo, hi);
      R[0] = lo; R[1] = 0; R[4] = hi; R[5] = 0;
    }
    this.patchFlags(RFLAGS_ZF, eq ? RFLAGS_ZF : 0);
  }

  private bitScan(i: number): void {
    const c = this.code;
    const sz = c.sz[i], op = c.op[i];
    let v = c.mem[i] ? this.readMem(this.ea(i), sz) : this.getR(c.rm[i], sz);
    const vh = sz === 8 ? this.hi : 0;
    if (sz === 2) v &= 0xffff;
    const zero = v === 0 && vh === 0;
    const bits = sz * 8;
    if (op === U.POPCNT) {
      const n = popcount(v) + popcount(vh);
      this.setR(c.rg[i], sz, n, 0);
      this.fop = F_NONE;
      this.fbits = zero ? RFLAGS_ZF : 0;
      return;
    }
    if (op === U.BSF || op === U.BSR) {
      if (zero) {
        this.patchFlags(RFLAGS_ZF, RFLAGS_ZF);
        return;
      }
      let n: number;
      if (op === U.BSF) n = v !== 0 ? 31 - Math.clz32(v & -v) : 63 - Math.clz32(vh & -vh);
      else n = vh !== 0 ? 63 - Math.clz32(vh) : 31 - Math.clz32(v);
      this.setR(c.rg[i], sz, n, 0);
      this.patchFlags(RFLAGS_ZF, 0);
      return;
    }
    let n: number;
    if (zero) n = bits;
    else if (op === U.TZCNT) n = v !== 0 ? 31 - Math.clz32(v & -v) : 63 - Math.clz32(vh & -vh);
    else n = sz === 8 ? (vh !== 0 ? Math.clz32(vh) : 32 + Math.clz32(v)) : Math.clz32(v) - (32 - bits);
    this.setR(c.rg[i], sz, n, 0);
    this.patchFlags(RFLAGS_CF | RFLAGS_ZF, (zero ? RFLAGS_CF : 0) | (n === 0 ? RFLAGS_ZF : 0));
  }

  private bitTest(i: number): void {
    const c = this.code;
    const sz = c.sz[i], op = c.ext[i];
    const bits = sz * 8;
    let bit: number, bitHi = 0;
    if (c.op[i] === U.BT_EI) bit = c.imm[i] & (bits - 1);
    else {
      bit = this.getR(c.rg[i], sz);
      bitHi = sz === 8 ? this.hi : sz === 4 ? bit >> 31 : sz === 2 ? (bit << 16) >> 31 : 0;
      if (sz === 2) bit = (bit << 16) >> 16;
    }
    let a = 0;
    if (c.mem[i]) {
      a = this.ea(i);
      if (c.op[i] === U.BT_EG) {
        // Register bit offsets address memory beyond the operand (signed).
        const offset = sz === 8 ? bitHi * TWO32 + (bit >>> 0) : bit | 0;
        const units = Math.floor(offset / bits);
        a += units * sz;
        bit = offset - units * bits;
      }
    } else bit &= bits - 1;
    const v = c.mem[i] ? (op === 0 ? this.readMem(a, sz) : this.rmwLoad(a, sz)) : this.getR(c.rm[i], sz);
    let vh = this.hi;
    let lo = v;
    const inHi = bit >= 32;
    const mask = 1 << (bit & 31);
    const set = ((inHi ? vh : lo) & mask) !== 0;
    if (op !== 0) {
      if (inHi) vh = op === 1 ? vh | mask : op === 2 ? vh & ~mask : vh ^ mask;
      else lo = op === 1 ? lo | mask : op === 2 ? lo & ~mask : lo ^ mask;
      if (c.mem[i]) this.rmwStore(a, sz, lo, vh);
      else this.setR(c.rm[i], sz, lo, vh);
    }
    this.patchFlags(RFLAGS_CF, set ? RFLAGS_CF : 0);
  }

  private flagOp(op: number): void {
    switch (op) {
      case 0: this.patchFlags(RFLAGS_CF, 0); break;
      case 1: this.patchFlags(RFLAGS_CF, RFLAGS_CF); break;
      case 2: this.patchFlags(RFLAGS_CF, carry(this) ? 0 : RFLAGS_CF); break;
      case 3: this.rfOther &= ~RFLAGS_DF; break;
      case 4: this.rfOther |= RFLAGS_DF; break;
      case 5: this.patchFlags(RFLAGS_CF | RFLAGS_AF | RFLAGS_ZF | RFLAGS_SF | 4, (this.r[0] >> 8) & 0xff); break;
      default: this.setR(HIGH_BYTE, 1, (materialize(this) & 0xd5) | 2, 0); break;
    }
  }

  private enter(i: number): void {
    const c = this.code;
    const size = c.imm[i] & 0xffff, level = c.immh[i] & 31;
    this.push64(this.r[10], this.r[11]);
    const frame = this.reg64(4);
    for (let k = 1; k < level; k++) {
      const p = this.reg64(5) - 8 * k;
      const lo = this.rd64(p);
      this.push64(lo, this.hi);
    }
    if (level > 0) this.push64(frame % TWO32, Math.floor(frame / TWO32));
    this.setReg64(5, frame);
    this.setReg64(4, this.reg64(4) - size);
  }

  /** Adds a small step to a 64-bit register. */
  private advance(r: number, step: number): void {
    const R = this.r;
    const p = (R[2 * r] >>> 0) + step;
    R[2 * r] = p | 0;
    if (p >= TWO32) R[2 * r + 1]++;
    else if (p < 0) R[2 * r + 1]--;
  }

  /** rSI/rDI/rCX as string-instruction operands (32-bit with an address-size prefix). */
  private idx(r: number, a32: boolean): number {
    return a32 ? this.r[2 * r] >>> 0 : this.reg64(r);
  }

  private setIdx(r: number, v: number, a32: boolean): void {
    if (a32) {
      this.r[2 * r] = v | 0;
      this.r[2 * r + 1] = 0;
    } else this.setReg64(r, v < 0 ? v + 2 ** 64 : v);
  }

  /** movs/stos/lods/scas/cmps with optional rep/repe/repne; rCX/rSI/rDI advance per element, so faults are restartable. */
  private stringOp(i: number): void {
    const c = this.code, R = this.r;
    const op = c.op[i], sz = c.sz[i], fl = c.fl[i];
    const rep = (fl & (FL_REP | FL_REPNE)) !== 0;
    const a32 = (fl & FL_A32) !== 0;
    const step = this.rfOther & RFLAGS_DF ? -sz : sz;
    const seg = fl & FL_FS ? this.fsBase : fl & FL_GS ? this.gsBase : 0;
    if (!rep && !a32) {
      // Single element (musl's memcpy/memset tails): no count bookkeeping.
      if (op === U.MOVS) {
        const v = this.readMem(R[13] * TWO32 + (R[12] >>> 0) + seg, sz), vh = this.hi;
        this.writeMem(R[15] * TWO32 + (R[14] >>> 0), sz, v, vh);
        this.advance(6, step);
        this.advance(7, step);
        return;
      }
      if (op === U.STOS) {
        this.writeMem(R[15] * TWO32 + (R[14] >>> 0), sz, R[0], R[1]);
        this.advance(7, step);
        return;
      }
    }
    let count = rep ? this.idx(1, a32) : 1;
    if (count === 0) return;
    if (rep && step > 0 && count > 8 && !a32 && (op === U.MOVS || op === U.STOS)) {
      if (op === U.MOVS) this.repMovsFast(sz, seg);
      else this.repStosFast(sz);
      count = this.idx(1, a32);
      if (count === 0) return;
    }
    for (;;) {
      switch (op) {
        case U.MOVS: {
          const v = this.readMem(this.idx(6, a32) + seg, sz), vh = this.hi;
          this.writeMem(this.idx(7, a32), sz, v, vh);
          this.setIdx(6, this.idx(6, a32) + step, a32);
          this.setIdx(7, this.idx(7, a32) + step, a32);
          break;
        }
        case U.STOS:
          this.writeMem(this.idx(7, a32), sz, R[0], R[1]);
          this.setIdx(7, this.idx(7, a32) + step, a32);
          break;
        case U.LODS: {
          const v = this.readMem(this.idx(6, a32) + seg, sz);
          this.setR(0, sz, v, this.hi);
          this.setIdx(6, this.idx(6, a32) + step, a32);
          break;
        }
        case U.SCAS: {
          const v = this.readMem(this.idx(7, a32), sz), vh = this.hi;
          const acc = this.getR(0, sz);
          this.alu(7, sz, acc, this.hi, v, vh);
          this.setIdx(7, this.idx(7, a32) + step, a32);
          break;
        }
        default: {
          const a = this.readMem(this.idx(6, a32) + seg, sz), ah = this.hi;
          const b = this.readMem(this.idx(7, a32), sz), bh = this.hi;
          this.alu(7, sz, a, ah, b, bh);
          this.setIdx(6, this.idx(6, a32) + step, a32);
          this.setIdx(7, this.idx(7, a32) + step, a32);
          break;
        }
      }
      if (!rep) return;
      count--;
      this.setIdx(1, count, a32);
      if (count === 0) return;
      if (op === U.SCAS || op === U.CMPS) {
        const zf = this.fr === 0 && this.frh === 0;
        if ((fl & FL_REP) !== 0 ? !zf : zf) return;
      }
    }
  }

  /** Forward rep movs in page-bounded chunks with copyWithin, unless the chunk overlaps ahead of itself. */
  private repMovsFast(sz: number, seg: number): void {
    let count = this.reg64(1);
    while (count > 0) {
      const src = this.reg64(6) + seg, dst = this.reg64(7);
      const n = Math.min(count, Math.floor((PAGE_SIZE - (src & 0xfff)) / sz), Math.floor((PAGE_SIZE - (dst & 0xfff)) / sz));
      if (n === 0) return;
      const ps = this.rphys(src, n * sz), pd = this.wphys(dst, n * sz);
      if (ps < 0 || pd < 0) return;
      if (pd > ps && pd < ps + n * sz) return; // an overlapping forward copy replicates: element loop
      this.mem.copyWithin(pd, ps, ps + n * sz);
      count -= n;
      this.setReg64(6, src - seg + n * sz);
      this.setReg64(7, dst + n * sz);
      this.setReg64(1, count);
    }
  }

  private repStosFast(sz: number): void {
    const R = this.r;
    let count = this.reg64(1);
    while (count > 0) {
      const dst = this.reg64(7);
      const n = Math.min(count, Math.floor((PAGE_SIZE - (dst & 0xfff)) / sz));
      if (n === 0) return;
      const pd = this.wphys(dst, n * sz);
      if (pd < 0) return;
      if (sz === 1) this.mem.fill(R[0] & 0xff, pd, pd + n);
      else {
        for (let k = 0; k < n; k++) {
          const p = pd + k * sz;
          if (sz === 2) this.dv.setUint16(p, R[0], true);
          else if (sz === 4) this.dv.setInt32(p, R[0], true);
          else {
            this.dv.setInt32(p, R[0], true);
            this.dv.setInt32(p + 4, R[1], true);
          }
        }
      }
      count -= n;
      this.setReg64(7, dst + n * sz);
      this.setReg64(1, count);
    }
  }

  // ---------------------------------------------------------------- arithmetic only the interpreter runs

  private neg(sz: number, a: number, ah: number): number {
    return this.alu(5, sz, 0, 0, a, ah);
  }

  /** shld/shrd: shifts a (dest) by n filling from b (source). */
  private shiftDouble(left: boolean, sz: number, a: number, ah: number, b: number, bh: number, count: number): number {
    const n = count & (sz === 8 ? 63 : 31);
    if (n === 0) {
      this.hi = ah;
      return a;
    }
    const bits = sz * 8;
    // The destination shifted, with the vacated bits filled from the source.
    let lo: number, hi = 0, cf: number;
    if (sz === 8) {
      const sa = this.shift64(left ? 4 : 5, a, ah, n);
      const sah = this.hi;
      cf = this.fbits & RFLAGS_CF ? 1 : 0;
      const fill = this.shift64(left ? 5 : 4, b, bh, 64 - n);
      lo = sa | fill;
      hi = sah | this.hi;
    } else {
      if (sz === 4) {
        lo = left ? (a << n) | (b >>> (32 - n)) : (a >>> n) | (b << (32 - n));
        cf = left ? (a >>> (32 - n)) & 1 : (a >>> (n - 1)) & 1;
      } else if (n > bits) {
        // 16-bit operands with counts above 16: the result is undefined; model it as zero.
        lo = 0;
        cf = 0;
      } else {
        const va = a & 0xffff, vb = b & 0xffff;
        const joined = left ? (va << 16) | vb : (vb << 16) | va;
        lo = left ? (joined << n) >>> 16 : joined >>> n;
        cf = left ? (va >>> (16 - n)) & 1 : (va >>> (n - 1)) & 1;
      }
      lo = lo | 0;
      if (sz < 4) lo &= (1 << bits) - 1;
    }
    const msbNew = sz === 8 ? hi >>> 31 : (lo >>> (bits - 1)) & 1;
    const msbOld = sz === 8 ? ah >>> 31 : (a >>> (bits - 1)) & 1;
    this.setResFlags(sz, lo, hi, (cf ? RFLAGS_CF : 0) | (msbNew !== msbOld ? RFLAGS_OF : 0));
    this.hi = hi;
    return lo;
  }

  /** One-operand mul/imul: rDX:rAX = rAX * src. */
  private mulAcc(signed: boolean, sz: number, v: number, vh: number): void {
    const R = this.r;
    let of: boolean, rlo: number;
    if (sz === 8) {
      this.mul128(R[0], R[1], v, vh, signed);
      R[0] = this.m0;
      R[1] = this.m1;
      R[4] = this.m2;
      R[5] = this.m3;
      of = signed ? !(this.m2 === this.m1 >> 31 && this.m3 === this.m1 >> 31) : (this.m2 | this.m3) !== 0;
      this.setResFlags(8, this.m0, this.m1, of ? RFLAGS_CF | RFLAGS_OF : 0);
      return;
    }
    if (sz === 4) {
      const a = R[0];
      const lo = Math.imul(a, v);
      const hi = signed ? smulhi(a, v) : umulhi(a >>> 0, v >>> 0) | 0;
      R[0] = lo;
      R[1] = 0;
      R[4] = hi;
      R[5] = 0;
      of = signed ? hi !== lo >> 31 : hi !== 0;
      rlo = lo;
    } else if (sz === 2) {
      const a = R[0] & 0xffff, b = v & 0xffff;
      const p = signed ? ((a << 16) >> 16) * ((b << 16) >> 16) : a * b;
      this.setR(0, 2, p, 0);
      this.setR(2, 2, p >> 16, 0);
      of = signed ? p !== (p << 16) >> 16 : p >>> 16 !== 0;
      rlo = p & 0xffff;
    } else {
      const a = R[0] & 0xff, b = v & 0xff;
      const p = signed ? ((a << 24) >> 24) * ((b << 24) >> 24) : a * b;
      this.setR(0, 2, p, 0);
      of = signed ? p !== (p << 24) >> 24 : p >>> 8 !== 0;
      rlo = p & 0xff;
    }
    this.setResFlags(sz, rlo, 0, of ? RFLAGS_CF | RFLAGS_OF : 0);
  }

  /** div/idiv by src: quotient → rAX (AL), remainder → rDX (AH). #DE on zero or overflow. */
  private divide(signed: boolean, sz: number, v: number, vh: number): void {
    const R = this.r;
    if (sz === 1 || sz === 2) {
      const bits = sz * 8;
      const d = signed ? (sz === 1 ? (v << 24) >> 24 : (v << 16) >> 16) : v & (sz === 1 ? 0xff : 0xffff);
      if (d === 0) this.fault(VEC_DE, 0, 0);
      let n: number;
      if (sz === 1) n = signed ? (R[0] << 16) >> 16 : R[0] & 0xffff;
      else {
        const u = (R[4] & 0xffff) * 65536 + (R[0] & 0xffff);
        n = signed ? (u | 0) : u;
      }
      const q = Math.trunc(n / d), rem = n - q * d;
      const lim = 2 ** (bits - 1);
      if (signed ? q >= lim || q < -lim : q >= 2 * lim) this.fault(VEC_DE, 0, 0);
      if (sz === 1) this.setR(0, 2, (q & 0xff) | ((rem & 0xff) << 8), 0);
      else {
        this.setR(0, 2, q, 0);
        this.setR(2, 2, rem, 0);
      }
      return;
    }
    // 32- and 64-bit: unsigned magnitudes through udiv128.
    let n3: number, n2: number, n1: number, n0: number, dh: number, dl: number;
    if (sz === 4) {
      n3 = 0; n2 = 0; n1 = R[4]; n0 = R[0]; dh = 0; dl = v;
    } else {
      n3 = R[5]; n2 = R[4]; n1 = R[1]; n0 = R[0]; dh = vh; dl = v;
    }
    if ((dl | dh) === 0) this.fault(VEC_DE, 0, 0);
    let nNeg = false, dNeg = false;
    if (signed) {
      nNeg = (sz === 4 ? n1 : n3) < 0;
      dNeg = (sz === 4 ? v : dh) < 0;
      if (sz === 4) {
        // Sign-extend edx:eax and the divisor to 64/128-bit two's complement views.
        n3 = n2 = n1 >> 31;
        dh = v >> 31;
      }
      if (nNeg) {
        n0 = ~n0; n1 = ~n1; n2 = ~n2; n3 = ~n3;
        n0 = (n0 + 1) | 0;
        if (n0 === 0) { n1 = (n1 + 1) | 0; if (n1 === 0) { n2 = (n2 + 1) | 0; if (n2 === 0) n3 = (n3 + 1) | 0; } }
      }
      if (dNeg) {
        dl = ~dl; dh = ~dh;
        dl = (dl + 1) | 0;
        if (dl === 0) dh = (dh + 1) | 0;
      }
    }
    if (!udiv128(n3, n2, n1, n0, dh, dl)) this.fault(VEC_DE, 0, 0);
    let ql = DIV.ql, qh = DIV.qh, rl = DIV.rl, rh = DIV.rh;
    if (sz === 4) {
      if (qh !== 0) this.fault(VEC_DE, 0, 0);
      if (signed) {
        const neg = nNeg !== dNeg;
        if (neg ? ql >>> 0 > 0x80000000 : ql >>> 0 >= 0x80000000) this.fault(VEC_DE, 0, 0);
        if (neg) ql = -ql | 0;
        if (nNeg) rl = -rl | 0;
      }
      R[0] = ql; R[1] = 0; R[4] = rl; R[5] = 0;
      return;
    }
    if (signed) {
      const neg = nNeg !== dNeg;
      const top = qh >>> 0;
      if (neg ? top > 0x80000000 || (top === 0x80000000 && ql !== 0) : top >= 0x80000000) this.fault(VEC_DE, 0, 0);
      if (neg) { ql = ~ql; qh = ~qh; ql = (ql + 1) | 0; if (ql === 0) qh = (qh + 1) | 0; }
      if (nNeg) { rl = ~rl; rh = ~rh; rl = (rl + 1) | 0; if (rl === 0) rh = (rh + 1) | 0; }
    }
    R[0] = ql; R[1] = qh; R[4] = rl; R[5] = rh;
  }

  private pushSz(sz: number, lo: number, hi: number): void {
    if (sz === 8) this.push64(lo, hi);
    else {
      const R = this.r;
      const a = R[9] * TWO32 + (R[8] >>> 0) - 2;
      this.wr16(a, lo);
      this.setReg64(4, a);
    }
  }

  private popSz(sz: number): number {
    if (sz === 8) return this.pop64();
    const a = this.reg64(4);
    const v = this.rd16(a);
    this.setReg64(4, a + 2);
    return v;
  }
}

function bswap32(v: number): number {
  return ((v & 0xff) << 24) | ((v & 0xff00) << 8) | ((v >>> 8) & 0xff00) | (v >>> 24);
}

function popcount(v: number): number {
  v = v - ((v >>> 1) & 0x55555555);
  v = (v & 0x33333333) + ((v >>> 2) & 0x33333333);
  return (Math.imul((v + (v >>> 4)) & 0x0f0f0f0f, 0x01010101) >>> 24);
}

/** Results of udiv128 (kept in one record: no allocation per division). */
const DIV = { ql: 0, qh: 0, rl: 0, rh: 0 };

/**
 * Unsigned (n3:n2:n1:n0) / (dh:dl) with a 64-bit quotient; false when the quotient does not fit (#DE).
 * Fast path through doubles when everything is below 2^52.
 */
function udiv128(n3: number, n2: number, n1: number, n0: number, dh: number, dl: number): boolean {
  const d = (dh >>> 0) * TWO32 + (dl >>> 0);
  if (n3 === 0 && n2 === 0 && (n1 >>> 0) < 0x100000 && (dh >>> 0) < 0x100000) {
    const n = (n1 >>> 0) * TWO32 + (n0 >>> 0);
    let q = Math.floor(n / d);
    let r = n - q * d;
    if (r < 0) { q--; r += d; } else if (r >= d) { q++; r -= d; }
    DIV.ql = q % TWO32 | 0;
    DIV.qh = Math.floor(q / TWO32) | 0;
    DIV.rl = r % TWO32 | 0;
    DIV.rh = Math.floor(r / TWO32) | 0;
    return true;
  }
  // High 64 bits must be below the divisor for the quotient to fit.
  const u3 = n3 >>> 0, u2 = n2 >>> 0, udh = dh >>> 0, udl = dl >>> 0;
  if (u3 > udh || (u3 === udh && u2 >= udl)) return false;
  let rh = u3, rl = u2; // remainder (64 bits) as two uint32 doubles
  let ql = 0, qh = 0;
  let lo = n1 >>> 0, lo0 = n0 >>> 0;
  for (let k = 0; k < 64; k++) {
    // remainder = remainder * 2 + next dividend bit
    const top = rh >= 0x80000000;
    rh = ((rh << 1) >>> 0) + (rl >= 0x80000000 ? 1 : 0);
    rl = ((rl << 1) >>> 0) + (lo >= 0x80000000 ? 1 : 0);
    lo = ((lo << 1) >>> 0) + (lo0 >= 0x80000000 ? 1 : 0);
    lo0 = (lo0 << 1) >>> 0;
    qh = ((qh << 1) >>> 0) + (ql >= 0x80000000 ? 1 : 0);
    ql = (ql << 1) >>> 0;
    if (top || rh > udh || (rh === udh && rl >= udl)) {
      let sl = rl - udl, sh = rh - udh;
      if (sl < 0) { sl += TWO32; sh -= 1; }
      if (sh < 0) sh += TWO32;
      rh = sh;
      rl = sl;
      ql += 1;
    }
  }
  DIV.ql = ql | 0;
  DIV.qh = qh | 0;
  DIV.rl = rl | 0;
  DIV.rh = rh | 0;
  return true;
}
