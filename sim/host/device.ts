/**
 * One simulated tank device: the unchanged `firmware.wasm` instantiated with
 * plain `WebAssembly.instantiate`, a `hal` over simulated hardware and real
 * non-blocking sockets, and a tick loop. Typed embedding API for Node users:
 *
 *   const dev = await Device.create({ config, hardware });
 *   dev.on("relay", (on) => ...); dev.run(); ... await dev.stop();
 */
import { EventEmitter } from "node:events";
import { readFile } from "node:fs/promises";
import mqttPacket from "mqtt-packet";
import type { Clock, Hardware, Random } from "../hal/types.js";
import { RealClock, firmwareMillis } from "../clock.js";
import { SeededRandom, fmix32 } from "../random.js";
import { SocketTable, type TlsOptions } from "./sockets.js";
import { FIRMWARE_PATH } from "../firmware.js";
import { createHal, type KvStore, type LogLevel } from "./hal.js";
import { ABI_VERSION, type FirmwareExports, CONN_STATE_NAMES, INIT_STATUS_NAMES, ConnState, Counter, errorText, versionString, writeConfig } from "./abi.js";
import { OtaSlots, type OtaOptions, type RollbackReason, type SlotName, type SlotState } from "./ota.js";

import type { DeviceConfig } from "../device-config.js";
import { ConfigError, encodeConfig, renderConfigError } from "../config-binary.js";

export type { DeviceConfig };

export interface DeviceOptions {
  config: DeviceConfig;
  /** The simulated hardware behind gpio/pulse/adc/uart. */
  hardware: Hardware;
  /** The compiled firmware; compile it once and share it across a fleet. Default: build/firmware.wasm. */
  module?: WebAssembly.Module;
  clock?: Clock;
  random?: Random;
  /** What `hw_id` returns (e.g. a MAC). Default: 6 bytes derived from the uid. */
  hwId?: Uint8Array;
  /** The device's persistent key-value storage (survives restarts when you pass the same map). */
  kv?: KvStore;
  /** Re-instantiate and re-init after a trap (relay is forced off first). Default true. */
  restartOnTrap?: boolean;
  /** Host-side TLS settings for `broker_tls: true` (CA PEM, optional fingerprint pin). Default: Node's trusted roots. */
  tls?: TlsOptions;
  /** Route socket connects elsewhere (tests use it for fault-injecting proxies). */
  connectOverride?: (host: string, port: number) => { host: string; port: number };
  /**
   * Over-the-air updates (docs/OTA.md): the public key that signs images, slots
   * in memory or in `dir`, `confirmS` for a trial. Without it the firmware's
   * offers are refused UNSUPPORTED. `module` (or build/firmware.wasm) is slot A's first content.
   */
  ota?: OtaOptions;
}

/** What happened to an OTA image on this device (the `ota` event). */
export type OtaEvent =
  | { kind: "switched"; slot: SlotName; version: string }                       // restarted into a staged image, on trial
  | { kind: "confirmed"; slot: SlotName; version: string }                      // the trial passed
  | { kind: "rolled-back"; slot: SlotName; reason: RollbackReason; failed: string }; // back to the previous slot

export interface PublishSeen {
  topic: string;
  payload: string;
  qos: number;
  dup: boolean;
  retain: boolean;
}

export interface DeviceEvents {
  log: [level: LogLevel, text: string];
  /** A PUBLISH the firmware sent (decoded from its socket bytes). */
  publish: [msg: PublishSeen];
  /** The relay changed during tick number `tick`. */
  relay: [on: boolean, tick: number];
  /** The firmware trapped (a bug: it is built never to); the relay was forced off. */
  trap: [error: Error];
  /** Connection state changed (conn_state of docs/ABI.md). */
  conn: [state: number, name: string];
  /** An OTA switch, confirmation or rollback. */
  ota: [event: OtaEvent];
  /** Socket activity (for schedulers that run the device themselves): bytes arrived, a connection changed state, or the firmware sent bytes. */
  io: [kind: "data" | "state" | "sent", handle: number, bytes?: Uint8Array];
}

export const DEFAULT_FIRMWARE_PATH = FIRMWARE_PATH;

let defaultModule: Promise<WebAssembly.Module> | null = null;

/** Compiles build/firmware.wasm once per process. */
export function loadFirmware(path = DEFAULT_FIRMWARE_PATH): Promise<WebAssembly.Module> {
  if (path !== DEFAULT_FIRMWARE_PATH) return readFile(path).then((b) => WebAssembly.compile(b));
  defaultModule ??= readFile(path).then((b) => WebAssembly.compile(b));
  return defaultModule;
}

export class InitError extends Error {
  constructor(readonly code: number, readonly text: string) {
    super(`init failed (${code} ${INIT_STATUS_NAMES[-code] ?? "?"}): ${text}`);
  }
}

/** A trial module failed to start (instantiate, init trap, init refusal). */
class TrialFailure extends Error {
  constructor(readonly reason: RollbackReason) { super(reason); }
}

export class Device extends EventEmitter<DeviceEvents> {
  readonly config: DeviceConfig;
  readonly hardware: Hardware;
  readonly clock: Clock;
  readonly kv: KvStore;
  readonly sockets: SocketTable;
  /** Ticks run so far. */
  ticks = 0;
  /** The tick in which sock_recv last returned bytes. */
  lastRecvTick = -1;
  traps = 0;
  initStatus = 1;
  initError = "";

  private exports!: FirmwareExports;
  private module: WebAssembly.Module;
  /** The module slot A started with (the shipped one). */
  private readonly shipped: WebAssembly.Module;
  private readonly otaSlots: OtaSlots | null;
  /** The running trial: when it started (clock ms) and its version. */
  private trial: { since: number; version: string } | null = null;
  private readonly random: Random;
  private readonly hwId: Uint8Array;
  private readonly restartOnTrap: boolean;
  private timer: NodeJS.Timeout | null = null;
  private immediate: NodeJS.Immediate | null = null;
  private running = false;
  private stopped = false;
  private relay = false;
  private conn = 0;
  private readonly parsers = new Map<number, ReturnType<typeof mqttPacket.parser>>();

  private constructor(o: DeviceOptions, module: WebAssembly.Module) {
    super();
    this.config = o.config;
    this.hardware = o.hardware;
    this.module = module;
    this.shipped = module;
    this.otaSlots = o.ota ? new OtaSlots(o.ota) : null;
    this.clock = o.clock ?? new RealClock();
    this.random = o.random ?? new SeededRandom(String(o.config.uid ?? "device"));
    this.kv = o.kv ?? new Map();
    this.restartOnTrap = o.restartOnTrap ?? true;
    this.hwId = o.hwId ?? defaultHwId(String(o.config.uid ?? ""));
    this.sockets = new SocketTable({
      onData: (h) => { this.emit("io", "data", h); this.wake(); },
      onState: (h) => { this.emit("io", "state", h); this.wake(); },
      onSend: (h, bytes) => { this.emit("io", "sent", h, bytes); this.sniff(h, bytes); },
    }, o.tls ?? {});
    if (o.connectOverride) this.sockets.connectOverride = o.connectOverride;
  }

  /** Instantiates the firmware and runs `init` with the config. Throws InitError when init refuses the config. */
  static async create(o: DeviceOptions): Promise<Device> {
    const dev = await Device.createUnchecked(o);
    if (dev.initStatus !== 0) throw new InitError(dev.initStatus, dev.initError);
    return dev;
  }

  /** Like create, but returns the device even when init fails (initStatus/initError tell why). */
  static async createUnchecked(o: DeviceOptions): Promise<Device> {
    const module = o.module ?? (await loadFirmware());
    const dev = new Device(o, module);
    dev.bootOtaSlot();
    if (dev.otaSlots?.state.trial) {
      // The host restarted while a trial ran: a failed trial (docs/OTA.md).
      dev.rollbackTo("NOT_CONFIRMED", moduleVersion(dev.module));
      return dev;
    }
    await dev.boot(JSON.stringify(o.config));
    return dev;
  }

  /**
   * Instantiates a fresh instance and inits it with `configText`: JSON text
   * (raw, so tests can pass malformed JSON), its UTF-8 bytes, or a binary
   * config. JSON is encoded to the binary config first (sim/config-binary.ts);
   * a config the encoder refuses is not handed to `init` at all (initStatus
   * -1/-2/-3 and initError as the firmware would say them; tick stays idle).
   * The firmware's errors are shown with the member's name.
   */
  async boot(configText: string | Uint8Array): Promise<void> {
    this.bootSync(configText);
  }

  /**
   * bootSync: instantiate `this.module` and init. During a trial an instantiate
   * failure, a trap in init or a refused init throws TrialFailure instead.
   */
  private bootSync(configText: string | Uint8Array): void {
    let memory: WebAssembly.Memory | null = null;
    const hal = createHal({
      memory: () => memory!,
      hardware: this.hardware,
      clock: this.clock,
      random: this.random,
      sockets: this.sockets,
      kv: this.kv,
      hwId: this.hwId,
      log: (level, text) => this.emit("log", level, renderConfigError(text)),
      panic: (text, line, col) => this.emit("log", "error", `panic: ${text} (${line}:${col})`),
      onRecv: (n) => { if (n > 0) this.lastRecvTick = this.ticks; },
      ...(this.otaSlots ? { ota: this.otaSlots } : {}),
    });
    let instance: WebAssembly.Instance;
    try {
      instance = new WebAssembly.Instance(this.module, { hal });
      const x = instance.exports as unknown as FirmwareExports;
      if (typeof x.abi_version !== "function" || x.abi_version() !== ABI_VERSION) {
        throw new Error(`firmware ABI ${typeof x.abi_version === "function" ? x.abi_version() : "(none)"}, host speaks ${ABI_VERSION}`);
      }
    } catch (e) {
      if (this.trial) throw new TrialFailure("INSTANTIATE_FAILED");
      throw e;
    }
    this.exports = instance.exports as unknown as FirmwareExports;
    memory = this.exports.memory;
    let bytes: Uint8Array;
    try {
      bytes = encodeConfig(configText);
    } catch (e) {
      if (!(e instanceof ConfigError)) throw e;
      this.initStatus = e.code;
      this.initError = e.message;
      this.emit("log", "error", e.message);
      return;
    }
    const initLen = writeConfig(this.exports, bytes);
    if (this.trial) {
      try {
        this.initStatus = this.exports.init(initLen);
      } catch (e) {
        if (e instanceof WebAssembly.RuntimeError) throw new TrialFailure("INIT_TRAPPED");
        throw e;
      }
      if (this.initStatus < 0) throw new TrialFailure("INIT_REFUSED");
    } else {
      this.initStatus = this.guard(() => this.exports.init(initLen), -99);
    }
    this.initError = renderConfigError(errorText(this.exports));
  }

  /** Runs one firmware tick at the clock's time; returns the ms it asks to sleep. */
  tick(): number {
    if (this.stopped) return 1000;
    this.ticks++;
    // guard() inlined: no closure per tick (a fleet ticks ~100,000 times a second).
    let wait = 1000;
    this.sockets.cork();
    try {
      wait = this.exports.tick(firmwareMillis(this.clock.now())) >>> 0;
    } catch (e) {
      if (!(e instanceof WebAssembly.RuntimeError)) throw e;
      this.onTrap(e);
    } finally {
      this.sockets.uncork();
    }
    if (this.otaSlots) wait = Math.min(wait, this.otaStep());
    this.observe();
    return wait;
  }

  /** Ticks on the clock's pace: sleeps what the firmware asks (scaled by a ScaledClock's speed), wakes early when socket data arrives. */
  run(): void {
    if (this.running || this.stopped) return;
    this.running = true;
    this.schedule(0);
  }

  /** Clean stop: MQTT DISCONNECT, relay off, sockets closed. */
  async stop(): Promise<void> {
    this.running = false;
    if (this.timer) clearTimeout(this.timer);
    if (this.immediate) clearImmediate(this.immediate);
    this.timer = null;
    this.immediate = null;
    if (!this.stopped) {
      this.guard(() => { this.exports.shutdown(firmwareMillis(this.clock.now())); return 0; }, 0);
      this.observe();
      this.stopped = true;
    }
    await new Promise((r) => setTimeout(r, 20)); // let the DISCONNECT leave
    this.sockets.closeAll();
  }

  // ---------------------------------------------------------------- getters

  get memory(): WebAssembly.Memory { return this.exports.memory; }
  /** Level in % of span (0.1 % steps), null when unknown. */
  get levelPct(): number | null { const v = this.exports.level_permille(); return v < 0 ? null : v / 10; }
  get distanceMm(): number | null { const v = this.exports.distance_mm(); return v < 0 ? null : v; }
  get temperatureC(): number | null { const v = this.exports.temperature_decic(); return v === -32768 ? null : v / 10; }
  get volumeL(): number | null { const v = this.exports.volume_ml(); return v < 0 ? null : v / 1000; }
  get readingQuality(): number { return this.exports.reading_quality(); }
  get relayOn(): boolean { return this.exports.relay_state() === 1; }
  get connState(): number { return this.exports.conn_state(); }
  get connStateName(): string { return CONN_STATE_NAMES[this.connState] ?? String(this.connState); }
  get lastDisconnect(): number { return this.exports.last_disconnect(); }
  get pumpLastRefusal(): number { return this.exports.pump_last_refusal(); }
  counter(id: number): number { return this.exports.counter(id) >>> 0; }
  /** The running firmware's version ("1.2.3", from its fw_version export). */
  get firmwareVersion(): string { return versionString(this.exports.fw_version() >>> 0); }
  /** The OTA slot state record ({active, trial, previous}), null without `ota` options. */
  get otaState(): SlotState | null { return this.otaSlots?.state ?? null; }
  /** Raw exports, for tests and tools that need the ABI directly. */
  get raw(): FirmwareExports { return this.exports; }

  // ---------------------------------------------------------------- internals

  private schedule(ms: number): void {
    if (!this.running) return;
    if (this.timer) clearTimeout(this.timer);
    const paced = this.clock as Clock & { realMsFor?: (virtualMs: number) => number };
    const realMs = paced.realMsFor ? paced.realMsFor(ms) : ms;
    this.timer = setTimeout(() => {
      this.timer = null;
      const wait = this.tick();
      this.schedule(wait);
    }, realMs);
  }

  /** Socket activity: tick as soon as the event loop allows (same tick as the bytes). */
  private wake(): void {
    if (!this.running || this.immediate) return;
    this.immediate = setImmediate(() => {
      this.immediate = null;
      if (!this.running) return;
      const wait = this.tick();
      this.schedule(wait);
    });
  }

  private observe(): void {
    if (this.stopped) return;
    const relay = this.exports.relay_state() === 1;
    if (relay !== this.relay) {
      this.relay = relay;
      this.emit("relay", relay, this.ticks);
    }
    const conn = this.exports.conn_state();
    if (conn !== this.conn) {
      this.conn = conn;
      this.emit("conn", conn, CONN_STATE_NAMES[conn] ?? String(conn));
    }
  }

  /** Runs one firmware call; what it sends leaves in one write per socket when it returns (or traps). */
  private guard(fn: () => number, fallback: number): number {
    this.sockets.cork();
    try {
      return fn();
    } catch (e) {
      if (!(e instanceof WebAssembly.RuntimeError)) throw e;
      this.onTrap(e);
      return fallback;
    } finally {
      this.sockets.uncork();
    }
  }

  private onTrap(e: Error): void {
    this.traps++;
    if (this.trial) {
      this.emit("trap", e);
      this.rollbackTo("TRAPPED", this.trial.version);
      return;
    }
    const pin = Number(this.config.relay_pin ?? -1);
    const activeHigh = this.config.relay_active_high !== false;
    if (pin >= 0) this.hardware.gpioWrite(pin, activeHigh ? 0 : 1);
    this.sockets.closeAll();
    this.emit("trap", e);
    if (this.relay) { this.relay = false; this.emit("relay", false, this.ticks); }
    if (this.restartOnTrap && !this.stopped) {
      void this.boot(JSON.stringify(this.config));
    } else {
      this.stopped = true;
    }
  }

  // ---------------------------------------------------------------- OTA

  /** At construction: run the module of the active slot (slot A without a stored image is the shipped module). */
  private bootOtaSlot(): void {
    const slots = this.otaSlots;
    if (!slots) return;
    const bytes = slots.slot(slots.state.active);
    if (bytes) {
      try { this.module = new WebAssembly.Module(bytes); } catch { /* unreadable slot: the shipped module */ }
    }
  }

  /** After each tick: a restart the firmware asked for (ota_activate), and the trial's confirm/timeout. Returns ms until it needs a tick. */
  private otaStep(): number {
    const slots = this.otaSlots!;
    const next = slots.takeActivation();
    if (next) { this.activate(next); return 0; }
    if (!this.trial || this.stopped) return 1000;
    const x = this.exports;
    if (x.conn_state() === ConnState.CONNECTED && x.counter(Counter.MQTT_CONNECTS) >= 1 && x.counter(Counter.OTA_STATUS_ACKED) >= 1) {
      const version = this.trial.version;
      this.trial = null;
      slots.confirm();
      this.kv.delete("ota.rollback");
      this.emit("ota", { kind: "confirmed", slot: slots.state.active, version });
      return 1000;
    }
    const left = this.trial.since + slots.confirmS * 1000 - this.clock.now();
    if (left <= 0) { this.rollbackTo("NOT_CONFIRMED", this.trial.version); return 0; }
    return Math.min(1000, left);
  }

  /** Relay off, the old instance shut down, sockets closed: nothing of it survives a switch. */
  private quiesce(): void {
    try { this.exports?.shutdown(firmwareMillis(this.clock.now())); } catch { /* a trapping module is stopped anyway */ }
    const pin = Number(this.config.relay_pin ?? -1);
    const activeHigh = this.config.relay_active_high !== false;
    if (pin >= 0) this.hardware.gpioWrite(pin, activeHigh ? 0 : 1);
    this.sockets.closeAll();
    this.parsers.clear();
    if (this.relay) { this.relay = false; this.emit("relay", false, this.ticks); }
    this.conn = -1;
  }

  /** Restarts into the staged `slot` as a trial (docs/OTA.md "Slots, trial, confirm, rollback"). */
  private activate(slot: SlotName): void {
    const slots = this.otaSlots!;
    const bytes = slots.slot(slot);
    this.quiesce();
    slots.startTrial(slot);
    let version = "?";
    try {
      this.module = new WebAssembly.Module(bytes ?? new Uint8Array(0));
      version = moduleVersion(this.module);
      this.trial = { since: this.clock.now(), version };
      this.emit("ota", { kind: "switched", slot, version });
      this.bootSync(JSON.stringify(this.config));
    } catch (e) {
      if (e instanceof TrialFailure) this.rollbackTo(e.reason, version);
      else if (e instanceof WebAssembly.CompileError || e instanceof WebAssembly.LinkError) this.rollbackTo("INSTANTIATE_FAILED", version);
      else throw e;
    }
  }

  /** The trial failed: relay off, back to the previous slot, the reason in kv "ota.rollback" for the restored firmware to report. */
  private rollbackTo(reason: RollbackReason, failed: string): void {
    const slots = this.otaSlots!;
    this.trial = null;
    this.quiesce();
    const back = slots.rollback();
    this.kv.set("ota.rollback", new TextEncoder().encode(`${reason} ${failed}`.slice(0, 64)));
    const bytes = slots.slot(back);
    this.module = this.shipped;
    if (bytes) {
      try { this.module = new WebAssembly.Module(bytes); } catch { /* keep the shipped module */ }
    }
    this.emit("ota", { kind: "rolled-back", slot: back, reason, failed });
    this.bootSync(JSON.stringify(this.config));
  }

  private sniff(handle: number, bytes: Uint8Array): void {
    if (this.listenerCount("publish") === 0) return;
    let p = this.parsers.get(handle);
    if (!p) {
      p = mqttPacket.parser({ protocolVersion: 4 });
      p.on("packet", (pkt) => {
        if (pkt.cmd !== "publish") return;
        const payload = typeof pkt.payload === "string" ? pkt.payload : Buffer.from(pkt.payload).toString("utf8");
        this.emit("publish", { topic: pkt.topic, payload, qos: pkt.qos, dup: pkt.dup, retain: pkt.retain });
      });
      p.on("error", () => this.parsers.delete(handle));
      this.parsers.set(handle, p);
    }
    p.parse(Buffer.from(bytes));
  }
}

/**
 * 6 bytes (a MAC-like id) derived from a string: bytes of two independent
 * 32-bit hashes (FNV-1a over the UTF-16 code units with two offsets, each
 * finished with murmur3's fmix32 so every output bit depends on every input
 * bit). The firmware derives its default MQTT client id from this, so ids
 * must not collide within a fleet (an earlier version took the low byte of
 * successive FNV states, 8 bits of entropy per step: two uids of a
 * 4,000-device fleet got one client id and kept taking over each other's
 * session). About 48 bits: a 100,000-device fleet collides with
 * probability ~2e-5.
 */
export function defaultHwId(seed: string): Uint8Array {
  const out = new Uint8Array(6);
  const a = fmix32(fnv1a32(seed, 0x811c9dc5));
  const b = fmix32(fnv1a32(seed, 0x050c5d1f));
  out[0] = a >>> 24; out[1] = a >>> 16; out[2] = a >>> 8; out[3] = a;
  out[4] = b >>> 24; out[5] = b >>> 16;
  return out;
}

function fnv1a32(s: string, h: number): number {
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193) >>> 0;
  return h;
}


/** The version a module reports (its fw_version export, called without init), or "?" when it has none. */
export function moduleVersion(module: WebAssembly.Module): string {
  try {
    const hal: Record<string, () => number> = {};
    for (const i of WebAssembly.Module.imports(module)) if (i.kind === "function") hal[i.name] = () => -1;
    const x = new WebAssembly.Instance(module, { hal }).exports as { fw_version?: () => number };
    return typeof x.fw_version === "function" ? versionString(x.fw_version() >>> 0) : "?";
  } catch {
    return "?";
  }
}
