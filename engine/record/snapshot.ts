// Machine-state snapshots: the whole Machine object graph serialised as data, and restored over a fresh Machine.
// Principle 1 (state is plain records and typed arrays) is what makes this generic: no component writes its own.

import { createHash } from "node:crypto";
import { Cpu } from "../cpu/cpu.ts";
import { CpuState } from "../cpu/state.ts";
import type { Machine } from "../machine.ts";
import { AddressSpace } from "../memory/address-space.ts";
import { PAGE_SIZE } from "../memory/frames.ts";
import { ByteReader, ByteWriter, DecodeError } from "./codec.ts";
import { stateHash, zeroFrame } from "./state-hash.ts";

/** Bumped whenever the encoding below changes; a snapshot of another version is not restored. */
const SNAPSHOT_VERSION = 2;
const MAGIC = "HLSNAP";

/**
 * Host wiring, not machine state: kept as the fresh machine has it (its listeners, its host clock).
 * Named as ClassName.property.
 */
const KEEP_LIVE = new Set(["Kernel.listeners", "Kernel.hostStart", "Machine.hostMs", "Machine.consoleListeners", "FsTree.hostIo"]);
/**
 * Host wiring added later (raw event sinks and their need of a host clock, the last clock reading, the roottask's
 * scratch buffer for event captures): kept live too, and left out of the graph altogether, so world hashes and
 * snapshots of recordings made before them stay valid.
 */
const UNSEEN = new Set(["Kernel.sinks", "Kernel.hostClock", "Kernel.heldHostNs", "Kernel.lastHostNs", "Roottask.capture"]);

const enum Tag {
  Undefined, Null, False, True, Uint, NegInt, F64, String, BigInt,
  /** A value already written: identity is preserved (two paths to one object stay one object). */
  Ref,
  /** A function: closures are wiring; the fresh machine's own is kept. */
  Function,
  /** A KEEP_LIVE property. */
  Keep,
  Array, Object, Map, Set, Typed,
  /** A typed array or DataView over physical memory (the frame pool's buffer): re-made over the new pool. */
  MemoryView,
  /** A virtual CPU: only its retired-instruction count is state; the rest (decoded blocks, TLB) is cache. */
  Cpu,
}

const TYPED = [Uint8Array, Uint16Array, Uint32Array, Int32Array, Float64Array, Float32Array, Int8Array, Int16Array, Uint8ClampedArray] as const;
type TypedArray = InstanceType<(typeof TYPED)[number]>;
const DATAVIEW = TYPED.length;

/** Snapshots nest no deeper than this (real state is shallow; a hostile file may not be). */
const MAX_DEPTH = 200;

function className(obj: object): string {
  const proto = Object.getPrototypeOf(obj);
  if (proto === Object.prototype || proto === null) return "Object";
  return (proto.constructor as { name?: string } | undefined)?.name || "?";
}

class MapKey {
  constructor(readonly key: unknown) {}
}

class GraphWriter {
  readonly w: ByteWriter;
  private readonly ids = new Map<object, number>();
  private readonly buffers = new Map<ArrayBufferLike, string>();
  /**
   * Where the value being written lies — property names (".name"), array indices (numbers) and map keys — made
   * into a path only for an error.
   */
  private readonly at: (string | number | MapKey)[] = ["machine"];

  constructor(private readonly memory: ArrayBufferLike, capacity: number) {
    this.w = new ByteWriter(capacity);
  }

  /** The path of the value being written, as an error names it. */
  private path(): string {
    return this.at.map((step) => typeof step === "number" ? `[${step}]` : step instanceof MapKey ? `.get(${String(step.key)})` : step).join("");
  }

  value(v: unknown): void {
    const w = this.w;
    if (v === undefined) w.uint(Tag.Undefined);
    else if (v === null) w.uint(Tag.Null);
    else if (v === false) w.uint(Tag.False);
    else if (v === true) w.uint(Tag.True);
    else if (typeof v === "number") {
      if (Number.isSafeInteger(v) && !Object.is(v, -0)) {
        w.uint(v >= 0 ? Tag.Uint : Tag.NegInt);
        w.uint(Math.abs(v));
      } else {
        w.uint(Tag.F64);
        w.f64(v);
      }
    } else if (typeof v === "string") {
      w.uint(Tag.String);
      w.string(v);
    } else if (typeof v === "bigint") {
      w.uint(Tag.BigInt);
      w.string(v.toString(16));
    } else if (typeof v === "function") {
      w.uint(Tag.Function);
    } else if (typeof v === "object") {
      this.object(v);
    } else {
      throw new TypeError(`${this.path()}: a ${typeof v} cannot be part of a snapshot`);
    }
  }

  /** value(x) with `step` added to the path while it is written. */
  private inner(x: unknown, step: string): void {
    this.at.push(step);
    this.value(x);
    this.at.pop();
  }

  private object(v: object): void {
    const w = this.w;
    const seen = this.ids.get(v);
    if (seen !== undefined) {
      w.uint(Tag.Ref);
      w.uint(seen);
      return;
    }
    this.ids.set(v, this.ids.size);
    if (v instanceof Cpu) {
      w.uint(Tag.Cpu);
      w.uint(v.index);
      w.uint(v.icount);
    } else if (ArrayBuffer.isView(v)) {
      this.view(v);
    } else if (Array.isArray(v)) {
      w.uint(Tag.Array);
      w.uint(v.length);
      const depth = this.at.push(0);
      for (let i = 0; i < v.length; i++) {
        this.at[depth - 1] = i;
        this.value(v[i]);
      }
      this.at.pop();
    } else if (v instanceof Map) {
      w.uint(Tag.Map);
      w.uint(v.size);
      for (const [key, x] of v) {
        this.inner(key, " key");
        this.at.push(new MapKey(key));
        this.value(x);
        this.at.pop();
      }
    } else if (v instanceof Set) {
      w.uint(Tag.Set);
      w.uint(v.size);
      this.at.push(" item");
      for (const x of v) this.value(x);
      this.at.pop();
    } else {
      const name = className(v);
      if (v instanceof Promise || v instanceof WeakMap || v instanceof WeakSet || v instanceof ArrayBuffer) {
        throw new TypeError(`${this.path()} is a ${name}: not state a snapshot can hold`);
      }
      const keys = Object.keys(v).filter((key) => !UNSEEN.has(`${name}.${key}`));
      w.uint(Tag.Object);
      w.string(name);
      w.uint(keys.length);
      for (const key of keys) {
        w.string(key);
        if (KEEP_LIVE.has(`${name}.${key}`)) w.uint(Tag.Keep);
        else this.inner((v as Record<string, unknown>)[key], `.${key}`);
      }
    }
  }

  private view(v: ArrayBufferView): void {
    const w = this.w;
    const kind = v instanceof DataView ? DATAVIEW : TYPED.findIndex((T) => v instanceof T);
    if (kind < 0) throw new TypeError(`${this.path()}: ${className(v)} is not a snapshot type`);
    if (v.buffer === this.memory) {
      w.uint(Tag.MemoryView);
      w.uint(kind);
      w.uint(v.byteOffset);
      w.uint(v.byteLength);
      return;
    }
    // Two views sharing one buffer would come back as two buffers: refuse instead of restoring wrongly.
    const other = this.buffers.get(v.buffer);
    if (other !== undefined) throw new TypeError(`${this.path()} shares its ArrayBuffer with ${other}: a snapshot cannot keep that link`);
    this.buffers.set(v.buffer, this.path());
    if (kind === DATAVIEW) throw new TypeError(`${this.path()}: a DataView over its own buffer is not machine state`);
    w.uint(Tag.Typed);
    w.uint(kind);
    w.bytes(new Uint8Array(v.buffer, v.byteOffset, v.byteLength));
  }
}

class GraphReader {
  /** Every object restored, in the order read. */
  readonly objects: unknown[] = [];
  /** Taken before the overlay starts: restoring `machine.cpus` empties and refills that very array. */
  private readonly cpus: Cpu[];
  private readonly memory: ArrayBuffer;

  constructor(
    private readonly r: ByteReader,
    machine: Machine,
    private readonly classes: Map<string, object>,
  ) {
    this.cpus = [...machine.cpus];
    this.memory = machine.frames.bytes.buffer as ArrayBuffer;
  }

  /** Reads one value; `live` is what the fresh machine holds at the same place (updated in place when it fits). */
  value(live: unknown, depth: number): unknown {
    if (depth > MAX_DEPTH) throw new DecodeError("snapshot nested too deeply");
    const r = this.r;
    const tag = r.uint();
    switch (tag) {
      case Tag.Undefined: return undefined;
      case Tag.Null: return null;
      case Tag.False: return false;
      case Tag.True: return true;
      case Tag.Uint: return r.uint();
      case Tag.NegInt: return -r.uint();
      case Tag.F64: return r.f64();
      case Tag.String: return r.string();
      case Tag.BigInt: {
        const hex = r.string();
        if (!/^-?[0-9a-f]+$/.test(hex)) throw new DecodeError("malformed bigint");
        return hex.startsWith("-") ? -BigInt("0x" + hex.slice(1)) : BigInt("0x" + hex);
      }
      case Tag.Ref: {
        const id = r.uint();
        if (id >= this.objects.length) throw new DecodeError(`reference to object ${id} before it exists`);
        return this.objects[id];
      }
      case Tag.Function:
        if (typeof live !== "function") throw new DecodeError("a function in the snapshot has no counterpart in the machine");
        return live;
      case Tag.Keep: return live;
      case Tag.Cpu: {
        const cpu = this.cpus[r.uint()];
        if (!cpu) throw new DecodeError("snapshot names a CPU the machine does not have");
        this.objects.push(cpu);
        cpu.icount = r.uint();
        return cpu;
      }
      case Tag.Array: {
        const target: unknown[] = Array.isArray(live) ? live : [];
        this.objects.push(target);
        const old = target.slice();
        const n = r.uint();
        target.length = 0;
        for (let i = 0; i < n; i++) target.push(this.value(old[i], depth + 1));
        return target;
      }
      case Tag.Map: {
        const target = live instanceof Map ? live : new Map<unknown, unknown>();
        this.objects.push(target);
        const old = new Map(target);
        target.clear();
        const n = r.uint();
        for (let i = 0; i < n; i++) {
          const key = this.value(undefined, depth + 1);
          target.set(key, this.value(old.get(key), depth + 1));
        }
        return target;
      }
      case Tag.Set: {
        const target = live instanceof Set ? live : new Set<unknown>();
        this.objects.push(target);
        target.clear();
        const n = r.uint();
        for (let i = 0; i < n; i++) target.add(this.value(undefined, depth + 1));
        return target;
      }
      case Tag.Object: return this.object(live, depth);
      case Tag.Typed: {
        const T = TYPED[r.uint()];
        if (!T) throw new DecodeError("unknown typed-array kind");
        const bytes = r.bytes();
        if (bytes.length % T.BYTES_PER_ELEMENT !== 0) throw new DecodeError("typed array of a partial element");
        const length = bytes.length / T.BYTES_PER_ELEMENT;
        let target: TypedArray;
        if (live instanceof T && (live as TypedArray).length === length) target = live as TypedArray;
        else target = new T(length);
        new Uint8Array(target.buffer, target.byteOffset, target.byteLength).set(bytes);
        this.objects.push(target);
        return target;
      }
      case Tag.MemoryView: {
        const kind = r.uint();
        const offset = r.uint();
        const length = r.uint();
        const buffer = this.memory;
        if (kind > DATAVIEW || offset + length > buffer.byteLength) throw new DecodeError("view outside physical memory");
        const T = kind === DATAVIEW ? DataView : TYPED[kind];
        const same = live instanceof T && (live as ArrayBufferView).byteOffset === offset && (live as ArrayBufferView).byteLength === length;
        const bpe = kind === DATAVIEW ? 1 : TYPED[kind].BYTES_PER_ELEMENT;
        if (offset % bpe !== 0 || length % bpe !== 0) throw new DecodeError("misaligned view of physical memory");
        const target = same ? live : kind === DATAVIEW ? new DataView(buffer, offset, length) : new TYPED[kind](buffer, offset, length / bpe);
        this.objects.push(target);
        return target;
      }
      default:
        throw new DecodeError(`unknown snapshot tag ${tag}`);
    }
  }

  private object(live: unknown, depth: number): object {
    const r = this.r;
    const name = r.string();
    const proto = name === "Object" ? Object.prototype : this.classes.get(name);
    if (!proto) throw new DecodeError(`snapshot holds an instance of ${name}, which this machine has no class for`);
    const target = (typeof live === "object" && live !== null && Object.getPrototypeOf(live) === proto ? live : Object.create(proto)) as Record<string, unknown>;
    this.objects.push(target);
    const n = r.uint();
    const keys = new Set<string>();
    for (let i = 0; i < n; i++) {
      const key = r.string();
      if (key === "__proto__") throw new DecodeError("snapshot has a __proto__ key");
      keys.add(key);
      const value = this.value(target[key], depth + 1);
      Object.defineProperty(target, key, { value, writable: true, enumerable: true, configurable: true });
    }
    // A field the fresh object has and the saved one lacks means the snapshot was taken by other code.
    for (const key of Object.keys(target)) {
      if (!keys.has(key) && typeof target[key] !== "function" && !KEEP_LIVE.has(`${name}.${key}`) && !UNSEEN.has(`${name}.${key}`)) {
        throw new DecodeError(`the snapshot comes from a different engine build (${name} has no field '${key}' in it)`);
      }
    }
    return target;
  }
}

/** Every class reachable from a machine (plus the state classes new objects may need), by name. */
function classesOf(machine: Machine): Map<string, object> {
  const out = new Map<string, object>();
  const add = (proto: object) => {
    const name = (proto.constructor as { name: string }).name;
    const known = out.get(name);
    if (known && known !== proto) throw new Error(`snapshot: two classes are named ${name}; rename one`);
    out.set(name, proto);
  };
  add(CpuState.prototype);
  add(AddressSpace.prototype);
  const seen = new Set<object>();
  const walk = (v: unknown) => {
    if (typeof v !== "object" || v === null || seen.has(v) || ArrayBuffer.isView(v) || v instanceof Cpu) return;
    seen.add(v);
    if (v instanceof Map) for (const [k, x] of v) (walk(k), walk(x));
    else if (v instanceof Set || Array.isArray(v)) for (const x of v) walk(x);
    else {
      const proto = Object.getPrototypeOf(v);
      if (proto !== Object.prototype && proto !== null) add(proto);
      for (const key of Object.keys(v)) walk((v as Record<string, unknown>)[key]);
    }
  };
  walk(machine);
  return out;
}

/** The size of the last graph serialised: the next writer starts that large instead of growing by doubling to it. */
let lastGraphBytes = 1 << 16;

/** The object graph of the machine (everything but physical memory's contents), serialised. */
function graphBytes(machine: Machine): Uint8Array {
  const g = new GraphWriter(machine.frames.bytes.buffer, lastGraphBytes + 4096);
  g.value(machine);
  const graph = g.w.finish();
  lastGraphBytes = graph.length;
  return graph;
}

/**
 * The world hash: SHA-256 over the machine's whole object graph (kernel objects, capability spaces, page tables,
 * roottask, file server, processes — whatever a component adds to the Machine is covered without listing it) and
 * over the frames that are free but not zero (a reused frame's old contents). It completes stateHash (registers
 * and memory in use), costs a full serialisation, and so is taken at snapshots and at the run's end.
 */
export function worldHash(machine: Machine, graph: Uint8Array = graphBytes(machine)): string {
  const h = createHash("sha256");
  h.update(graph);
  const { refs, bytes } = machine.frames;
  const memory = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
  const index = new Float64Array(1);
  for (let f = 0; f < highFrame(machine); f++) {
    if (refs[f] !== 0 || zeroFrame(memory, f)) continue;
    index[0] = f;
    h.update(new Uint8Array(index.buffer));
    h.update(bytes.subarray(f * PAGE_SIZE, (f + 1) * PAGE_SIZE));
  }
  return h.digest("hex");
}

/** One past the highest frame ever handed out: frames above it were never written. */
function highFrame(machine: Machine): number {
  return (machine.frames as unknown as { nextFree: number }).nextFree;
}

/** Snapshots between two keyframes (full memory): a restore applies at most this many memory deltas. */
export const KEYFRAME_EVERY = 16;

/**
 * What the previous snapshot held of memory, so the next stores only the frames changed since. Kept by the
 * recorder (a copy the size of the memory written so far; untouched frames cost no host memory).
 */
export class MemoryShadow {
  private copy: Uint8Array | null = null;
  private taken = 0;
  /** One past the highest frame the copy may hold data for. */
  private copied = 0;

  /** Makes the next capture a keyframe (a new run of captures), keeping the copy's buffer. */
  restart(): void {
    this.taken = 0;
  }

  /** Memory runs for the next snapshot: all non-zero frames on a keyframe, else the frames that changed. */
  runs(machine: Machine, w: ByteWriter): boolean {
    const { bytes } = machine.frames;
    const memory = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
    const keyframe = this.copy === null || this.taken % KEYFRAME_EVERY === 0;
    this.taken++;
    const copy = (this.copy ??= new Uint8Array(bytes.length));
    const shadow = Buffer.from(copy.buffer, copy.byteOffset, copy.length);
    const high = highFrame(machine);
    // Frames above `high` must read as zero in the copy too: an earlier run may have left data there.
    if (keyframe) copy.fill(0, 0, Math.max(high, this.copied) * PAGE_SIZE);
    this.copied = Math.max(high, this.copied);
    const changed = keyframe
      ? (f: number) => !zeroFrame(memory, f)
      : (f: number) => memory.compare(shadow, f * PAGE_SIZE, (f + 1) * PAGE_SIZE, f * PAGE_SIZE, (f + 1) * PAGE_SIZE) !== 0;
    let f = 0;
    while (f < high) {
      if (!changed(f)) {
        f++;
        continue;
      }
      const start = f++;
      while (f < high && changed(f)) f++;
      const run = bytes.subarray(start * PAGE_SIZE, f * PAGE_SIZE);
      w.uint(start);
      w.bytes(run);
      copy.set(run, start * PAGE_SIZE);
    }
    return keyframe;
  }
}

export interface CapturedSnapshot {
  /** Header and object graph: restored from the wanted snapshot only. */
  head: Uint8Array;
  /** Memory runs: applied from the keyframe through every delta up to the wanted snapshot. */
  memory: Uint8Array;
  stateHash: string;
  worldHash: string;
  keyframe: boolean;
}

/**
 * Serialises the machine as two parts: the head (header and object graph) and the memory runs — every non-zero
 * frame, or with a shadow the frames changed since the previous snapshot (zeros included where a frame was cleared).
 * Stored apart, so a restore inflates one graph and the chain's memory, not every graph of the chain.
 * `hashed: false` leaves the two hashes empty: for checkpoints that never leave this process (checkpoints.ts),
 * restored with `checked: false`; a stored snapshot without them fails its restore.
 */
export function captureSnapshot(machine: Machine, shadow: MemoryShadow = new MemoryShadow(), options: { hashed?: boolean } = {}): CapturedSnapshot {
  const hashed = options.hashed ?? true;
  const hash = hashed ? stateHash(machine) : "";
  const graph = graphBytes(machine);
  const world = hashed ? worldHash(machine, graph) : "";
  const w = new ByteWriter(graph.length + 256);
  w.string(MAGIC);
  w.uint(SNAPSHOT_VERSION);
  w.string(hash);
  w.string(world);
  const runs = new ByteWriter();
  const keyframe = shadow.runs(machine, runs);
  w.uint(keyframe ? 1 : 0);
  w.raw(graph);
  return { head: w.finish(), memory: runs.finish(), stateHash: hash, worldHash: world, keyframe };
}

interface ParsedSnapshot {
  version: number;
  hash: string;
  world: string | null;
  keyframe: boolean;
  /** Reader positioned at the graph (in version 1 the memory runs follow it in the same blob). */
  reader: ByteReader;
}

function parse(data: Uint8Array): ParsedSnapshot {
  const r = new ByteReader(data);
  if (r.string() !== MAGIC) throw new DecodeError("not a machine snapshot");
  const version = r.uint();
  if (version === 1) return { version, hash: r.string(), world: null, keyframe: true, reader: r };
  if (version !== SNAPSHOT_VERSION) throw new DecodeError(`snapshot format ${version}, this build reads 1 and ${SNAPSHOT_VERSION}`);
  const hash = r.string();
  const world = r.string();
  const key = r.uint();
  if (key > 1) throw new DecodeError("malformed keyframe flag");
  return { version, hash, world, keyframe: key === 1, reader: r };
}

/** The state and world hashes a snapshot blob carries in its header (the world hash is null in version 1). */
export function snapshotHashes(data: Uint8Array): { stateHash: string; worldHash: string | null } {
  const r = new ByteReader(data);
  if (r.string() !== MAGIC) throw new DecodeError("not a machine snapshot");
  const version = r.uint();
  if (version !== 1 && version !== SNAPSHOT_VERSION) throw new DecodeError(`snapshot format ${version}`);
  const stateHash = r.string();
  return { stateHash, worldHash: version === 1 ? null : r.string() };
}

function applyRuns(r: ByteReader, memory: Uint8Array): void {
  while (!r.done) {
    const start = r.uint();
    const run = r.bytes(memory.length);
    if (start * PAGE_SIZE + run.length > memory.length || run.length % PAGE_SIZE !== 0) throw new DecodeError("snapshot memory lies outside physical memory");
    memory.set(run, start * PAGE_SIZE);
  }
}

/**
 * Restores a snapshot over a machine built from the same configuration and not yet run: `head` is the wanted
 * snapshot's head, `memory` the memory runs of its keyframe and every delta after it up to it, oldest first (a
 * version 1 snapshot carries its memory in its head: pass none). Checks the state (and world) hash afterwards, so
 * a restore that missed anything fails here rather than replaying wrongly. `checked: false` skips that check, for
 * checkpoints captured unhashed in this process by the same code (whose restores of stored snapshots are checked).
 *
 * `over: true` restores over a machine that has run (a seek with the engine open reuses its machine): its CPUs keep
 * the code they decoded and compiled from frames whose contents the restore left as they were (see CodeFrames).
 */
export function restoreSnapshot(machine: Machine, head: Uint8Array, memory: readonly Uint8Array[] = [], options: { checked?: boolean; over?: boolean } = {}): void {
  if (machine.icount !== 0 && !options.over) throw new Error("snapshot: restore needs a machine that has not run yet");
  const top = parse(head);
  if (top.version === 1 ? memory.length !== 0 : memory.length === 0) throw new DecodeError("snapshot memory does not match its format");
  const { bytes, refs } = machine.frames;
  const code = options.over ? CodeFrames.before(machine) : null;
  if (code !== null) {
    // Every frame ever handed out, free or not: a run leaves data in frames it freed, a fresh boot does not.
    bytes.fill(0, 0, highFrame(machine) * PAGE_SIZE);
  } else {
    // Clear what the fresh machine's boot wrote; the rest of the pool is untouched zeros (and stays unallocated on the host).
    for (let f = 0; f < refs.length; f++) if (refs[f] !== 0) bytes.fill(0, f * PAGE_SIZE, (f + 1) * PAGE_SIZE);
  }
  const reader = new GraphReader(top.reader, machine, classesOf(machine));
  reader.value(machine, 0);
  if (top.version === 1) applyRuns(top.reader, bytes);
  else if (!top.reader.done) throw new DecodeError("snapshot graph has trailing bytes");
  for (const runs of memory) applyRuns(new ByteReader(runs), bytes);
  // The code-cache tables are checked as the snapshot has them, then made to fit the CPUs again.
  if (options.checked !== false) checkRestored(machine, top);
  code?.keep(machine, reader.objects);
}

function checkRestored(machine: Machine, top: ParsedSnapshot): void {
  const got = stateHash(machine);
  if (got !== top.hash) throw new DecodeError(`restored state hash ${got.slice(0, 16)}… differs from the snapshot's ${top.hash.slice(0, 16)}…`);
  if (top.world !== null) {
    const world = worldHash(machine);
    if (world !== top.world) throw new DecodeError(`restored world hash ${world.slice(0, 16)}… differs from the snapshot's ${top.world.slice(0, 16)}…`);
  }
}

/**
 * The code-cache bookkeeping of a machine that has run, across a restore over it. Its CPUs hold instructions decoded
 * (and compiled) from frames marked in `frames.code`, valid while the frame's `codeEpoch` stays; the restore
 * overwrites those tables with the snapshot's values, which mean nothing to these CPUs. So afterwards every frame
 * gets an epoch no CPU has seen, except a code frame whose bytes the restore left unchanged: it keeps its old
 * epoch and mark, and what was decoded from it stays. Every address space's generation moves on (mappings were
 * replaced: TLBs, and regions that check their pages' mappings, see it), and so do the counters CPUs compare.
 */
class CodeFrames {
  private constructor(
    private readonly marks: Uint8Array,
    private readonly epochs: Uint32Array,
    private readonly frames: number[],
    private readonly contents: Uint8Array,
    private readonly writes: number,
    private readonly codeMarks: number,
  ) {}

  static before(machine: Machine): CodeFrames {
    const f = machine.frames;
    const frames: number[] = [];
    for (let i = 0; i < f.code.length; i++) if (f.code[i] !== 0) frames.push(i);
    const contents = new Uint8Array(frames.length * PAGE_SIZE);
    frames.forEach((frame, i) => contents.set(f.bytes.subarray(frame * PAGE_SIZE, (frame + 1) * PAGE_SIZE), i * PAGE_SIZE));
    return new CodeFrames(f.code.slice(), f.codeEpoch.slice(), frames, contents, f.codeWrites, f.codeMarks);
  }

  keep(machine: Machine, restored: readonly unknown[]): void {
    const f = machine.frames;
    const memory = Buffer.from(f.bytes.buffer, f.bytes.byteOffset, f.bytes.length);
    const old = Buffer.from(this.contents.buffer);
    for (let i = 0; i < f.codeEpoch.length; i++) {
      f.codeEpoch[i] = Math.max(f.codeEpoch[i], this.epochs[i]) + 1;
      f.code[i] = 0;
    }
    this.frames.forEach((frame, i) => {
      if (memory.compare(old, i * PAGE_SIZE, (i + 1) * PAGE_SIZE, frame * PAGE_SIZE, (frame + 1) * PAGE_SIZE) !== 0) return;
      f.codeEpoch[frame] = this.epochs[frame];
      f.code[frame] = this.marks[frame];
    });
    f.codeWrites = Math.max(f.codeWrites, this.writes) + 1;
    f.codeMarks = Math.max(f.codeMarks, this.codeMarks) + 1;
    for (const v of restored) if (v instanceof AddressSpace) v.generation++;
    for (const cpu of machine.cpus) {
      cpu.space = null;
      cpu.flushTlb();
    }
  }
}
