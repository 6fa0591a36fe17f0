/**
 * The firmware under test for fuzzers and soaks: the unchanged
 * build/firmware.wasm instantiated synchronously over the simulator's hal
 * (SimHardware + a VirtualClock) with the socket imports replaced by a
 * scripted in-process link whose far end is a minimal MQTT peer. Also the
 * memory invariants every input is checked against.
 *
 * Written here rather than over test/helpers/scripted-hal.ts because the
 * `npm run fuzz` / `npm run soak` runners are compiled into dist/ and must
 * not pull the AssemblyScript compiler (which that helper imports) into it.
 */
import { readFileSync } from "node:fs";
import { VirtualClock, firmwareMillis } from "../../clock.js";
import { SeededRandom } from "../../random.js";
import { SimHardware } from "../../world/hardware.js";
import { SocketTable } from "../../host/sockets.js";
import { createHal, type OtaImports } from "../../host/hal.js";
import { packagePath } from "../../paths.js";
import { errorText, writeConfig, type FirmwareExports } from "../../host/abi.js";
import { ConfigError, encodeConfig, renderConfigError } from "../../config-binary.js";
import { T, connack, pingresp, puback, splitFrames, suback, parsePublishFrame, concat } from "./mqtt-bytes.js";

export const PAGE = 65536;

// ------------------------------------------------------------------ module + layout

export interface DataSegment { offset: number; bytes: Uint8Array }

/** The active data segments of a wasm module (i32.const offsets only). */
export function dataSegments(wasm: Uint8Array): DataSegment[] {
  let p = 8;
  const leb = (): number => {
    let v = 0, shift = 0, b = 0;
    do { b = wasm[p++]!; v += (b & 0x7f) * 2 ** shift; shift += 7; } while (b & 0x80);
    return v;
  };
  const segs: DataSegment[] = [];
  while (p < wasm.length) {
    const id = wasm[p++]!;
    const size = leb();
    const end = p + size;
    if (id === 11) {
      const n = leb();
      for (let i = 0; i < n; i++) {
        const kind = leb();
        if (kind !== 0) throw new Error(`data segment kind ${kind} not supported`);
        if (wasm[p++] !== 0x41) throw new Error("data segment offset is not i32.const");
        // signed LEB128 i32
        let v = 0, shift = 0, b = 0;
        do { b = wasm[p++]!; v |= (b & 0x7f) << shift; shift += 7; } while (b & 0x80);
        if (shift < 32 && (b & 0x40)) v |= -1 << shift;
        if (wasm[p++] !== 0x0b) throw new Error("data segment offset expression not terminated");
        const len = leb();
        segs.push({ offset: v >>> 0, bytes: wasm.slice(p, p + len) });
        p += len;
      }
    }
    p = end;
  }
  return segs;
}

/** The value of the module's exported immutable global `__heap_base` (docs/ABI.md, Memory map). */
export function heapBase(module: WebAssembly.Module): number {
  const imports: Record<string, Record<string, () => number>> = {};
  for (const i of WebAssembly.Module.imports(module)) (imports[i.module] ??= {})[i.name] = () => 0;
  const g = new WebAssembly.Instance(module, imports as WebAssembly.Imports).exports.__heap_base;
  if (!(g instanceof WebAssembly.Global)) throw new Error("firmware exports no __heap_base global");
  return Number(g.value);
}

export interface Firmware {
  module: WebAssembly.Module;
  path: string;
  /** Read-only data (the module's non-zero data segments: strings, tables). */
  segments: DataSegment[];
  /**
   * Start of the region the firmware must never write: above every static,
   * the module's exported `__heap_base` (the compiler's end of static data,
   * including the zero-filled `memory.data` buffers that the release build
   * leaves implicit).
   */
  guardStart: number;
}

let cached: Firmware | null = null;

export function loadFirmwareSync(path = packagePath("build", "firmware.wasm")): Firmware {
  if (cached && cached.path === path) return cached;
  const bytes = new Uint8Array(readFileSync(path));
  const module = new WebAssembly.Module(bytes);
  const segments = dataSegments(bytes);
  const end = heapBase(module);
  cached = { module, path, segments, guardStart: end };
  return cached;
}

// ------------------------------------------------------------------ problems

/** A broken invariant: what the fuzzers save and the tests fail on. */
export class Problem extends Error {
  constructor(readonly kind: "trap" | "memory" | "relay" | "reconnect" | "protocol" | "init" | "panic" | "liveness", detail: string) {
    super(`${kind}: ${detail}`);
  }
}

// ------------------------------------------------------------------ scripted link

export interface UplinkSeen { topic: string; payload: string; qos: number; dup: boolean; at: number; conn: number }

/**
 * One scripted TCP link at a time. The far end is a minimal MQTT peer:
 * `peerAuto` answers CONNECT, SUBSCRIBE, PINGREQ and QoS 1 PUBLISH by itself;
 * otherwise the test pushes bytes.
 */
export class FakeLink {
  handle = -1;
  open = false;
  /** Connection number (1, 2, ...) of the current handle. */
  conn = 0;
  connects: { host: string; port: number; at: number }[] = [];
  closesByFirmware = 0;
  /** sock_connect fails immediately. */
  refuse = false;
  /** sock_status stays 0 (connecting) while true. */
  pending = false;
  /** The peer closed: recv returns -2 once the queue is drained, status -2. */
  peerClosed = false;
  /** sock_send fails (returns -1). */
  sendFails = false;
  /** At most this many bytes per sock_recv. */
  recvMax = Infinity;
  /** Drop everything the firmware sends and answer nothing (a black hole). */
  blackHole = false;
  /**
   * Answer CONNECT/SUBSCRIBE/PINGREQ/QoS 1 PUBLISH automatically. While off
   * (an input is being fed), PUBACKs for uplinks are owed, not lost: they are
   * sent when it is switched on again on the same connection, as a slow
   * broker would (a firmware must not be stuck by a PUBACK that comes late).
   */
  get peerAuto(): boolean { return this.auto; }
  set peerAuto(on: boolean) {
    this.auto = on;
    if (!on) return;
    if (this.open && !this.peerClosed) for (const id of this.owedAcks) this.push(puback(id));
    this.owedAcks = [];
  }
  private auto = true;
  private owedAcks: number[] = [];
  /** Auto-acknowledge QoS 1 publishes (PUBACK). */
  autoPuback = true;
  /** Extra CONNACK return code / SUBACK code the auto peer answers with. */
  connackCode = 0;
  subackCode = 1;
  uplinks: UplinkSeen[] = [];
  pingreqs = 0;
  lastSubscribeId = 0;
  /** PUBACKs the firmware sent, by packet id. */
  pubacks = new Map<number, number>();
  /** Times (clock ms) of CONNECT and SUBSCRIBE frames on the current connection. */
  connectSeenAt = -1;
  private inbound = new Uint8Array(4096);
  private head = 0;
  private tail = 0;
  private outbuf: Uint8Array = new Uint8Array(0);
  now = 0;

  push(bytes: Uint8Array): void {
    if (this.tail + bytes.length > this.inbound.length) {
      const live = this.tail - this.head;
      const cap = Math.max(this.inbound.length, (live + bytes.length) * 2);
      const next = new Uint8Array(cap);
      next.set(this.inbound.subarray(this.head, this.tail));
      this.inbound = next;
      this.head = 0;
      this.tail = live;
    }
    this.inbound.set(bytes, this.tail);
    this.tail += bytes.length;
  }

  get queued(): number { return this.tail - this.head; }
  clearInbound(): void { this.head = this.tail = 0; }

  connect(host: string, port: number): number {
    this.connects.push({ host, port, at: this.now });
    if (this.refuse) return -1;
    this.handle = 1000 + this.connects.length;
    this.conn = this.connects.length;
    this.open = true;
    this.peerClosed = false;
    this.connectSeenAt = -1;
    this.clearInbound();
    this.owedAcks = [];
    this.outbuf = new Uint8Array(0);
    return this.handle;
  }

  status(h: number): number {
    if (h !== this.handle || !this.open) return -1;
    if (this.peerClosed) return -2;
    return this.pending ? 0 : 1;
  }

  send(h: number, src: Uint8Array): number {
    if (h !== this.handle || !this.open || this.peerClosed) return -2;
    if (this.sendFails) return -1;
    if (!this.blackHole) this.peerReceive(src);
    return src.length;
  }

  recv(h: number, dst: Uint8Array, cap: number): number {
    if (h !== this.handle || !this.open) return -1;
    const avail = this.tail - this.head;
    if (avail === 0) return this.peerClosed ? -2 : 0;
    if (this.blackHole) return 0;
    const n = Math.min(cap, avail, this.recvMax);
    dst.set(this.inbound.subarray(this.head, this.head + n));
    this.head += n;
    if (this.head === this.tail) this.head = this.tail = 0;
    return n;
  }

  close(h: number): void {
    if (h !== this.handle) return;
    this.closesByFirmware++;
    this.open = false;
    this.handle = -1;
    this.clearInbound();
  }

  /** The far end closes the connection. */
  closeByPeer(): void {
    if (this.open) this.peerClosed = true;
  }

  private peerReceive(src: Uint8Array): void {
    this.outbuf = this.outbuf.length ? concat([this.outbuf, src]) : src.slice();
    const { frames, used } = splitFrames(this.outbuf);
    this.outbuf = this.outbuf.slice(used);
    for (const f of frames) {
      if (f.type === T.CONNECT) {
        this.connectSeenAt = this.now;
        if (this.peerAuto) this.push(connack(this.connackCode));
      } else if (f.type === T.SUBSCRIBE) {
        this.lastSubscribeId = (f.body[0]! << 8) | f.body[1]!;
        if (this.peerAuto) this.push(suback(this.lastSubscribeId, this.subackCode));
      } else if (f.type === T.PINGREQ) {
        this.pingreqs++;
        if (this.peerAuto) this.push(pingresp());
      } else if (f.type === T.PUBACK && f.body.length >= 2) {
        const id = (f.body[0]! << 8) | f.body[1]!;
        this.pubacks.set(id, (this.pubacks.get(id) ?? 0) + 1);
      } else if (f.type === T.PUBLISH) {
        const p = parsePublishFrame(f);
        if (p) {
          this.uplinks.push({ topic: p.topic, payload: new TextDecoder().decode(p.payload), qos: p.qos, dup: p.dup, at: this.now, conn: this.conn });
          if (p.qos === 1 && this.autoPuback) {
            if (this.peerAuto) this.push(puback(p.id));
            else this.owedAcks.push(p.id);
          }
        }
      }
    }
  }
}

// ------------------------------------------------------------------ the rig

export interface RigOptions {
  firmware?: Firmware;
  config: Record<string, unknown>;
  /** Raw config bytes instead of JSON.stringify(config) (config fuzzer). */
  configBytes?: Uint8Array;
  /** Virtual clock start, ms (e.g. near 2^32 for wrap tests). */
  clockStart?: number;
  seed?: number;
  /** Reuse hardware and link across instances (config fuzzer speed). */
  hardware?: SimHardware;
  link?: FakeLink;
  clock?: VirtualClock;
  /** The host's ota_* (default: none, ota_begin answers UNSUPPORTED). */
  ota?: OtaImports;
}

export function defaultHardware(config: Record<string, unknown>, clock: VirtualClock, seed = 1, levelPct = 42): SimHardware {
  return new SimHardware({
    board: config,
    clock,
    tank: { shape: "vertical_cylinder", diameterMm: 1000, heightMm: 1000, sensorHeightMm: 1100, initialLevelPct: levelPct, pumpFlowLpm: 0, consumptionLph: 0 },
    air: 20,
    sensorOptions: { jitterUs: 0, missingProbability: 0, spuriousProbability: 0 },
    seed,
  });
}

export class FirmwareRig {
  readonly clock: VirtualClock;
  readonly hw: SimHardware;
  readonly link: FakeLink;
  readonly fw: Firmware;
  x!: FirmwareExports;
  initStatus = 1;
  initError = "";
  /** The last boot's JSON was refused by the host's encoder: init was not called. */
  encoderRefused = false;
  logs = 0;
  lastLogs: string[] = [];
  panics: string[] = [];
  keepLogs = false;
  /** Names of every hal import called since the last boot(), in order (config fuzzer: no hardware access after a refused config). */
  halCalls: string[] = [];
  /** Added to the virtual clock's millis for tick/shutdown (mod 2^32): a host whose clock steps back or jumps. */
  hostOffsetMs = 0;
  private mem!: WebAssembly.Memory;
  private readonly config: Record<string, unknown>;
  private readonly ota: OtaImports | undefined;

  constructor(o: RigOptions) {
    this.ota = o.ota;
    this.fw = o.firmware ?? loadFirmwareSync();
    this.config = o.config;
    this.clock = o.clock ?? new VirtualClock(o.clockStart ?? 1_000_000);
    this.hw = o.hardware ?? defaultHardware(o.config, this.clock, o.seed ?? 1);
    this.link = o.link ?? new FakeLink();
    this.boot(o.configBytes ?? new TextEncoder().encode(JSON.stringify(o.config)), o.seed ?? 1);
  }

  /** A fresh instance (same hardware, link and clock), init with `configBytes`. */
  boot(configBytes: Uint8Array, seed = 1): void {
    const sockets = new SocketTable();
    const hal = createHal({
      memory: () => this.mem,
      hardware: this.hw,
      clock: this.clock,
      random: new SeededRandom(seed),
      sockets,
      kv: new Map(),
      hwId: new Uint8Array([0x24, 0x6f, 0x28, 0x01, 0x02, 0x03]),
      log: () => {},
      panic: () => {},
      ...(this.ota ? { ota: this.ota } : {}),
    });
    const text = (ptr: number, len: number): string => new TextDecoder().decode(new Uint8Array(this.mem.buffer, ptr, len));
    const inMem = (ptr: number, len: number): boolean => ptr >= 0 && len >= 0 && ptr + len <= this.mem.buffer.byteLength;
    const link = this.link;
    const imports = {
      hal: {
        ...hal,
        sock_connect: (p: number, l: number, port: number) => { link.now = this.nowMs(); return inMem(p, l) ? link.connect(text(p, l), port) : -1; },
        sock_status: (h: number) => link.status(h),
        sock_send: (h: number, p: number, l: number) => {
          if (!inMem(p, l)) return -1;
          link.now = this.nowMs();
          return link.send(h, new Uint8Array(this.mem.buffer, p, l));
        },
        sock_recv: (h: number, p: number, cap: number) => (inMem(p, cap) ? link.recv(h, new Uint8Array(this.mem.buffer, p, cap), cap) : -1),
        sock_close: (h: number) => { link.close(h); },
        log: (level: number, p: number, l: number) => {
          this.logs++;
          if (this.keepLogs && inMem(p, l)) {
            this.lastLogs.push(`${Math.floor(this.clock.now())} ${level} ${text(p, l)}`);
            if (this.lastLogs.length > 40) this.lastLogs.splice(0, 20);
          }
        },
        panic: (p: number, l: number, line: number, col: number) => {
          this.panics.push(`${inMem(p, l) ? text(p, l) : "?"} (${line}:${col})`);
        },
      },
    };
    this.halCalls = [];
    const calls = this.halCalls;
    const recorded: Record<string, (...a: number[]) => unknown> = {};
    for (const [name, fn] of Object.entries(imports.hal as Record<string, (...a: number[]) => unknown>)) {
      recorded[name] = (...a: number[]) => { calls.push(name); return fn(...a); };
    }
    const instance = new WebAssembly.Instance(this.fw.module, { hal: recorded } as unknown as WebAssembly.Imports);
    this.x = instance.exports as unknown as FirmwareExports;
    this.mem = this.x.memory;
    // JSON (text bytes) is encoded like every host does; a binary config goes in as is.
    this.encoderRefused = false;
    let bin: Uint8Array;
    try {
      bin = encodeConfig(configBytes);
    } catch (e) {
      if (!(e instanceof ConfigError)) throw e;
      this.encoderRefused = true;
      this.initStatus = e.code;
      this.initError = e.message;
      return;
    }
    const len = writeConfig(this.x, bin);
    this.initStatus = this.call(() => this.x.init(len), "init");
    this.initError = renderConfigError(errorText(this.x));
  }

  nowMs(): number { return (firmwareMillis(this.clock.now()) + this.hostOffsetMs) >>> 0; }

  get memory(): WebAssembly.Memory { return this.mem; }

  /** Runs `fn`; a wasm trap becomes a Problem. */
  call(fn: () => number, what: string): number {
    try {
      return fn();
    } catch (e) {
      if (e instanceof WebAssembly.RuntimeError) throw new Problem("trap", `${what}: ${e.message}${this.panics.length ? ` (panic: ${this.panics.join("; ")})` : ""}`);
      throw e;
    }
  }

  tick(): number {
    this.link.now = this.nowMs();
    const w = this.call(() => this.x.tick(this.nowMs()) >>> 0, "tick");
    if (this.panics.length) throw new Problem("panic", this.panics.join("; "));
    return w;
  }

  advance(ms: number): number {
    this.clock.advance(ms);
    return this.tick();
  }

  get state(): number { return this.x.conn_state(); }
  get relay(): boolean { return this.x.relay_state() === 1; }
  counter(id: number): number { return this.x.counter(id) >>> 0; }

  /** Ticks (following the firmware's requested waits, at most `stepMs` each) until `cond` or `limitMs` of virtual time passed. */
  runUntil(cond: () => boolean, limitMs: number, stepMs = 50): boolean {
    const start = this.clock.now();
    for (;;) {
      if (cond()) return true;
      if (this.clock.now() - start > limitMs) return false;
      const w = this.tick();
      if (cond()) return true;
      this.clock.advance(Math.max(1, Math.min(w, stepMs)));
    }
  }

  /** Checks the memory invariants: one page, guard region all zero, read-only data intact. */
  memoryProblem(): string | null {
    const buf = this.mem.buffer;
    if (buf.byteLength !== PAGE) return `memory is ${buf.byteLength} bytes, not one page`;
    const g = this.fw.guardStart;
    const words = new Uint32Array(buf, g, (PAGE - g) >>> 2);
    for (let i = 0; i < words.length; i++) {
      if (words[i] !== 0) return `byte written above the statics at 0x${(g + i * 4).toString(16)} (guard starts at 0x${g.toString(16)})`;
    }
    const bytes = new Uint8Array(buf);
    for (const s of this.fw.segments) {
      const b = s.bytes;
      for (let i = 0; i < b.length; i++) {
        if (bytes[s.offset + i] !== b[i]) return `read-only data changed at 0x${(s.offset + i).toString(16)}`;
      }
    }
    return null;
  }

  checkMemory(): void {
    const p = this.memoryProblem();
    if (p) throw new Problem("memory", p);
  }
}
