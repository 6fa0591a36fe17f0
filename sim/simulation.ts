/**
 * Simulation: N simulated tank devices (the real firmware.wasm, one compiled
 * `WebAssembly.Module`, one instance per device), each with its own simulated
 * world (SimHardware: tank, sensor, thermistor, relay, button), on one
 * virtual clock driven by a `Scheduler`, talking MQTT to a broker (embedded
 * aedes by default, or an external one) with the iotBind platform emulator.
 * The CLI, the scenario runner, the fleet tool and the web dashboard are
 * layers on top of this class.
 *
 * ## API
 *
 *   const sim = new Simulation({ devices: 3, speed: 60 });
 *   sim.on("device-update", (snap) => ...);   // DeviceSnapshot, throttled (updateIntervalMs real) + on every change
 *   sim.on("publish", (e) => ...);            // PublishEvent: an MQTT PUBLISH a device sent (emitted inside the
 *                                             // device's tick: do not call back into that device synchronously)
 *   sim.on("relay", (e) => ...);              // RelayEvent: a device's relay switched
 *   sim.on("conn", (e) => ...);               // ConnEvent: a device's MQTT connection state changed
 *   sim.on("platform", (e) => ...);           // PlatformEvent: what the platform emulator did (reading, switch, state, connection, rejected)
 *   sim.on("log" | "trap" | "broker" | "stopped", ...)
 *   await sim.start();                        // broker, platform, devices (inits every firmware)
 *   sim.run();                                // ticks until stop() (or: await sim.runFor(virtualMs))
 *   await sim.setSwitch("tank-001", true);    // like the mobile app, through the platform emulator
 *   sim.pressButton("tank-001");
 *   sim.speed = 600;                          // virtual ms per real ms (Infinity = as fast as possible)
 *   sim.snapshot("tank-001"); sim.snapshots();
 *   await sim.stopBroker(); await sim.startBroker();   // an outage (embedded broker, or options.brokerControl)
 *   await sim.stop();                         // MQTT DISCONNECT from every device, platform and broker closed
 *
 *   await sim.runFor(3_600_000); await sim.runUntil(t); await sim.pause();   // instead of run()
 *   await sim.summary();                      // RunSummary: messages, platform → relay latency, disconnects by reason
 *
 * Load tests: `shard: "K/N"` runs slice K of N of the fleet (N processes on
 * N machines, one broker, no coordinator); `workers: W` spreads this
 * process's devices over W worker threads (finite speed).
 *
 * Devices: `sim.devices` (SimDevice: uid, name, config, device = the host
 * `Device`, hardware = `SimHardware`). Time: `sim.now()` (virtual ms since
 * the start), `sim.clock`, `sim.scheduler` (for `at`/`every` virtual timers).
 *
 * Virtual time: every firmware ticks exactly when its last tick asked (or at
 * once when its socket has data). The network is real: at an infinite speed
 * virtual time stands still while a message is on its way (a device awaits
 * CONNACK/PUBACK/…, a reading travels device → broker → platform → state →
 * device, the app's switch travels to the device), each wait bounded by
 * `ioWaitRealMs`; at a finite speed replies arrive in paced real time and
 * nothing is held (`ioHold`). Time a
 * device spends blocked in a hal call (pulseIn) moves only its own clock
 * (`TaskClock`). Events fire in virtual time order; `atMs` is virtual ms.
 */
import { EventEmitter } from "node:events";
import { connectAsync } from "mqtt";
import { startEmbeddedBroker, type EmbeddedBroker } from "./broker.js";
import { disconnectWords, withReasonWords } from "./host/reasons.js";
import { Device, loadFirmware, type DeviceConfig, type PublishSeen } from "./host/device.js";
import type { TlsOptions } from "./host/sockets.js";
import { CONN_STATE_NAMES, ConnState, Counter, DISCONNECT_NAMES, QUALITY_NAMES } from "./host/abi.js";
import { performance } from "node:perf_hooks";
import { WorkerPool, type Forwarded } from "./workers.js";
import type { LogLevel } from "./host/hal.js";
import { VirtualClock } from "./clock.js";
import { Scheduler, TaskClock, mqttExpectsReply, type IoHoldPolicy } from "./scheduler.js";
import { SimHardware } from "./world/hardware.js";
import { Tank, type TankOptions } from "./world/tank.js";
import type { AirOptions } from "./world/air.js";
import type { AnalogSensorOptions, PulseEchoOptions, UartSensorOptions } from "./world/ultrasonic.js";
import { PlatformEmulator, type ReadingEvent, type SeenRecord, type StatePublishedEvent, type SwitchEvent } from "./platform/emulator.js";

// ------------------------------------------------------------------ options

/** One device's description; every member is optional (defaults: `DEFAULT_TANK`, `defaultDeviceConfig`). */
export interface SimDeviceSpec {
  /** Default `tank-001`, `tank-002`, ... (see `SimulationOptions.uidPrefix`). */
  uid?: string;
  /** Shown on the platform (default "Tank N"). */
  name?: string;
  /** Default `demo-key-<uid>`. */
  key?: string;
  /** Firmware config members that replace the defaults (docs/CONFIG.md names). */
  config?: Partial<DeviceConfig>;
  /** Tank, pump and consumption (sim/world/tank.ts). */
  tank?: Partial<TankOptions>;
  /** Air temperature at the sensor: °C or a daily profile. */
  air?: number | AirOptions;
  /** Physical sensor behaviour (noise, missing/spurious echoes, faults). */
  sensorOptions?: PulseEchoOptions | UartSensorOptions | AnalogSensorOptions;
  /** Seed of this device's world (default `<sim seed>/<uid>`). */
  seed?: string;
}

export type BrokerOption =
  /** The embedded aedes broker (default), on `port` (default: any free port). */
  | { embedded: true; port?: number; user?: string; password?: string }
  /**
   * An external broker (mosquitto, MQTT.one): `mqtt://host:1883`, or
   * `mqtts://host:8883` for TLS (devices get `broker_tls: true`; devices and
   * platform verify the certificate and name against Node's trusted roots,
   * or `ca`, a PEM; `fingerprint256` also pins the devices' server certificate).
   */
  | { url: string; user?: string; password?: string; ca?: string | Buffer; fingerprint256?: string };

export interface SimulationOptions {
  /** Number of devices (with the defaults) or one spec per device. Default 1. */
  devices?: number | SimDeviceSpec[];
  /** Default uids are `<uidPrefix>-001`, `<uidPrefix>-002`, ... (default "tank"). */
  uidPrefix?: string;
  /** Applied to every device under its own spec. */
  defaults?: SimDeviceSpec;
  broker?: BrokerOption;
  /** Start the platform emulator (default true). */
  platform?: boolean;
  /** Virtual ms per real ms (default 60; Infinity = as fast as possible). */
  speed?: number;
  /** Seed of every random stream (default "1"). */
  seed?: string | number;
  /** The compiled firmware (default build/firmware.wasm), or a path to a .wasm. */
  firmware?: WebAssembly.Module | string;
  /** Real ms between periodic `device-update` events (default 200; 0 = only on changes). */
  updateIntervalMs?: number;
  /** For an external broker: how to stop and start it (outage scenarios). */
  brokerControl?: { stop(): Promise<void>; start(): Promise<void> };
  /** Longest real time the clock waits for one network reply (default 250 ms). */
  ioWaitRealMs?: number;
  /**
   * Device i first ticks at i × staggerMs of virtual time, so the devices'
   * readings and heartbeats are spread over time instead of arriving in one
   * burst per period. Default: one heartbeat period (`heartbeat_s` of
   * `defaults.config`, else 60 s) divided by the number of devices of the
   * whole fleet (all shards); 0 boots every device at once.
   */
  staggerMs?: number;
  /**
   * Only this slice of the fleet runs here: "K/N" or `{ k, n }` (1 ≤ K ≤ N).
   * The fleet (`devices`) is cut into N contiguous slices by device index;
   * slice K keeps the uids, worlds (seeds), tanks and boot times the devices
   * have in the whole fleet, so N processes started with 1/N … N/N against
   * one broker run exactly the devices of one unsharded run, each once.
   */
  shard?: string | ShardSpec;
  /**
   * Run the devices in this many worker threads (default 0: in this thread).
   * The compiled firmware module is shared; each worker has its own scheduler
   * (paced against real time at the same speed: a finite speed is required)
   * and its own broker connections; events, snapshots and `summary()` arrive
   * on this thread as without workers. `devices` (the SimDevice objects with
   * their `Device`) are then not available here.
   */
  workers?: number;
  /**
   * When a device's network wait holds virtual time (scheduler `ioHold`):
   * default "unpaced" (only at an infinite speed).
   */
  ioHold?: IoHoldPolicy;
  /** Internal (worker threads): run only the devices with index in [from, to) of `devices`. */
  range?: { from: number; to: number };
}

/** Slice K of N (1-based). */
export interface ShardSpec {
  k: number;
  n: number;
}

/** "K/N" → { k, n }; throws a one-line error for anything else. */
export function parseShard(v: string | ShardSpec): ShardSpec {
  const m = typeof v === "string" ? /^\s*(\d+)\s*\/\s*(\d+)\s*$/.exec(v) : null;
  const k = typeof v === "string" ? (m ? Number(m[1]) : NaN) : v.k;
  const n = typeof v === "string" ? (m ? Number(m[2]) : NaN) : v.n;
  if (!Number.isInteger(k) || !Number.isInteger(n) || n < 1 || k < 1 || k > n) {
    throw new Error(`shard must be "K/N" with 1 <= K <= N, got "${typeof v === "string" ? v : `${v.k}/${v.n}`}"`);
  }
  return { k, n };
}

/** The device indices [from, to) of shard k/n of a fleet of `total` devices (contiguous, disjoint, covering). */
export function shardRange(total: number, s: ShardSpec): { from: number; to: number } {
  return { from: Math.floor(((s.k - 1) * total) / s.n), to: Math.floor((s.k * total) / s.n) };
}

// ------------------------------------------------------------------- events

/**
 * What a run did, machine-readable (`sim.summary()`, the CLI's `--summary
 * FILE`), so load tests can be compared between runs. Counts come from the
 * firmware's own counters (docs/ABI.md), summed over the devices of this
 * process (all its workers).
 */
export interface RunSummary {
  /** Devices run here (this shard). */
  devices: number;
  /** Devices with an MQTT connection now. */
  connected: number;
  shard: ShardSpec | null;
  workers: number;
  /** Virtual seconds since the start, real seconds since `start()` returned. */
  virtualS: number;
  realS: number;
  messages: {
    /** Uplink messages the firmware published (counter 40). */
    uplinks: number;
    /** Downlinks the firmware received on its downlink topic (counters 32–39). */
    downlinks: number;
    /** MQTT packets in / out (counters 2, 3). */
    packetsIn: number;
    packetsOut: number;
  };
  /** Real ms from the platform emulator's state publish with a new cmd to the device's relay switching (null without the emulator or samples). */
  latencyMs: { platformToRelay: { samples: number; p50: number | null; p99: number | null; max: number | null } };
  /** MQTT disconnects by reason name (docs/ABI.md disconnect table), reasons that occurred. */
  disconnects: Record<string, number>;
  traps: number;
}

/** The counters a RunSummary is made of, for one device or summed. */
export interface DeviceCounts {
  uplinks: number;
  downlinks: number;
  packetsIn: number;
  packetsOut: number;
  connected: number;
  traps: number;
  disconnects: Record<string, number>;
}

/** Reads a device's counters (its firmware's `counter` export). */
export function deviceCounts(dev: Device): DeviceCounts {
  let down = 0;
  for (let id = Counter.DOWNLINK_ACCEPTED; id <= Counter.DOWNLINK_STALE_ECHO; id++) down += dev.counter(id);
  const disconnects: Record<string, number> = {};
  for (let r = 1; r < DISCONNECT_NAMES.length; r++) {
    const n = dev.counter(Counter.DISCONNECT_BASE + r);
    if (n > 0) disconnects[DISCONNECT_NAMES[r]!] = n;
  }
  return {
    uplinks: dev.counter(Counter.UPLINK_SENT),
    downlinks: down,
    packetsIn: dev.counter(Counter.MQTT_PACKETS_IN),
    packetsOut: dev.counter(Counter.MQTT_PACKETS_OUT),
    connected: dev.connState === ConnState.CONNECTED ? 1 : 0,
    traps: dev.traps,
    disconnects,
  };
}

/** Adds `b` into `a`. */
export function addCounts(a: DeviceCounts, b: DeviceCounts): DeviceCounts {
  a.uplinks += b.uplinks;
  a.downlinks += b.downlinks;
  a.packetsIn += b.packetsIn;
  a.packetsOut += b.packetsOut;
  a.connected += b.connected;
  a.traps += b.traps;
  for (const [k, v] of Object.entries(b.disconnects)) a.disconnects[k] = (a.disconnects[k] ?? 0) + v;
  return a;
}

export function emptyCounts(): DeviceCounts {
  return { uplinks: 0, downlinks: 0, packetsIn: 0, packetsOut: 0, connected: 0, traps: 0, disconnects: {} };
}

/** Wall-clock ms comparable across worker threads. */
export function wallMs(): number {
  return performance.timeOrigin + performance.now();
}

export interface MessageInfo {
  topic: string;
  payload: string;
  /** Virtual ms. */
  atMs: number;
}

export interface DeviceSnapshot {
  uid: string;
  name: string;
  /** Virtual ms since the start. */
  timeMs: number;
  /** Level the firmware measured, % (null = unknown). */
  levelPct: number | null;
  /** The simulated tank's true level, %. */
  trueLevelPct: number;
  /** True water volume, L, and the tank's capacity. */
  volumeL: number;
  capacityL: number;
  /** Temperature the firmware uses, °C (null = none). */
  temperatureC: number | null;
  /** True air temperature at the sensor, °C. */
  airC: number;
  /** The firmware's relay state (= the simulated relay unless it trapped). */
  relayOn: boolean;
  /** MQTT connected. */
  online: boolean;
  connState: string;
  /** Reading quality name (OK, NO_ECHO, ...). */
  quality: string;
  /** What the platform emulator shows (null without the emulator). */
  platform: { connected: boolean; level: string | null; temperature: string | null; cmd: "on" | "off" } | null;
  lastUplink: MessageInfo | null;
  lastDownlink: MessageInfo | null;
  publishes: number;
  relaySwitches: number;
  traps: number;
  /** Wasm linear memory of this instance, bytes. */
  memoryBytes: number;
}

export interface PublishEvent extends MessageInfo {
  uid: string;
  qos: number;
  retain: boolean;
}

export interface RelayEvent {
  uid: string;
  on: boolean;
  atMs: number;
  /** True level when it switched. */
  trueLevelPct: number;
  /** The firmware's level when it switched. */
  levelPct: number | null;
}

export interface ConnEvent {
  uid: string;
  state: string;
  atMs: number;
  /** When backing off: why the connection ended (DISCONNECT_NAMES code, and in words). */
  reasonCode?: number;
  reason?: string;
}

export type PlatformEvent =
  | { kind: "reading"; uid: string; atMs: number; level: string | null; temperature: string | null }
  | { kind: "switch"; uid: string; atMs: number; cmd: "on" | "off"; source: "device" | "app" }
  | { kind: "state"; uid: string; atMs: number; topic: string; payload: string; cause: StatePublishedEvent["cause"] }
  | { kind: "connection"; uid: string; atMs: number; connected: boolean }
  | { kind: "rejected"; uid: string | null; atMs: number; reason: string; payload: string };

export interface SimulationEvents {
  "device-update": [snap: DeviceSnapshot];
  publish: [e: PublishEvent];
  relay: [e: RelayEvent];
  conn: [e: ConnEvent];
  platform: [e: PlatformEvent];
  /** Firmware log lines; level "busy" is the host's own warning that a firmware busy-loops (keeps asking for 0 ms). */
  log: [e: { uid: string; level: LogLevel | "busy"; text: string; atMs: number }];
  trap: [e: { uid: string; error: string; atMs: number }];
  broker: [e: { state: "up" | "down"; url: string; atMs: number }];
  stopped: [];
  error: [err: Error];
}

// ----------------------------------------------------------------- defaults

/**
 * The demo tank: 800 mm × 1000 mm vertical cylinder (≈ 503 L), sensor 100 mm
 * above full, a 40 L/min fill pump and a steady 600 L/h draw: at speed 60 the
 * level drains from 40 % to the auto start (30 %) in ~5 s, fills to the auto
 * stop (90 %) in ~10 s and drains again in ~30 s of real time.
 */
export const DEFAULT_TANK: TankOptions = {
  shape: "vertical_cylinder",
  diameterMm: 800,
  heightMm: 1000,
  sensorHeightMm: 1100,
  initialLevelPct: 40,
  pumpFlowLpm: 40,
  pumpMode: "fill",
  consumptionLph: 600,
};

/** The members a `Tank` supplies (`Tank.firmwareConfig()`). */
type TankMember = "empty_distance_mm" | "full_distance_mm";

/** A host name as it goes in a URL (IPv6 literals in brackets). */
function urlHost(host: string): string {
  return host.includes(":") ? `[${host}]` : host;
}

/** The firmware config every simulated device starts from (before tank members and the spec's own). */
export function defaultDeviceConfig(uid: string, key: string, broker: { host: string; port: number; user?: string; password?: string; tls?: boolean }): Omit<DeviceConfig, TankMember> {
  const cfg: Omit<DeviceConfig, TankMember> = {
    uid,
    key,
    broker_host: broker.host,
    broker_port: broker.port,
    ...(broker.tls ? { broker_tls: true } : {}),
    uplink_topic: `iotbind/tank/${uid}`,
    downlink_topic: `iotbind/state/${uid}`,
    sensor: "hc-sr04",
    trig_pin: 5,
    echo_pin: 18,
    relay_pin: 26,
    relay_active_high: true,
    button_pin: 0,
    button_active_low: true,
    temperature: "ntc",
    ntc_channel: 7,
    auto: true,
    auto_start_pct: 30,
    auto_stop_pct: 90,
    min_on_s: 30,
    min_off_s: 30,
    heartbeat_s: 60,
    min_interval_s: 5,
    deadband_pct: 1,
    mqtt_backoff_base_ms: 1000,
    mqtt_backoff_cap_ms: 15000,
  };
  if (broker.user !== undefined) cfg.broker_user = broker.user;
  if (broker.password !== undefined) cfg.broker_password = broker.password;
  return cfg;
}

// ------------------------------------------------------------------ devices

/** One simulated device of a Simulation. */
export interface SimDevice {
  readonly uid: string;
  readonly name: string;
  readonly key: string;
  readonly config: DeviceConfig;
  readonly device: Device;
  readonly hardware: SimHardware;
  /** Scheduler task id. */
  readonly taskId: number;
  lastUplink: MessageInfo | null;
  lastDownlink: MessageInfo | null;
  publishes: number;
  relaySwitches: number;
}

interface DeviceState extends SimDevice {
  awaitingReply: boolean;
  expectDownlink: boolean;
  /** downlinksHandled() when expectDownlink was set: the wait ends when the firmware has handled one more. */
  downlinkMark: number;
  /** Uplinks sent that the platform emulator has not seen yet. */
  toPlatform: number;
  /** Ticked at least once (see staggerMs). */
  booted: boolean;
  stopped: boolean;
}

// --------------------------------------------------------------- simulation

export class Simulation extends EventEmitter<SimulationEvents> {
  readonly options: SimulationOptions;
  readonly clock: VirtualClock;
  readonly scheduler: Scheduler;
  /** The platform emulator (null with `platform: false` or before start). */
  platform: PlatformEmulator | null = null;
  /** The compiled firmware shared by every device (after start). */
  module: WebAssembly.Module | null = null;
  /** Broker URL the devices use (after start). */
  brokerUrl = "";
  brokerHost = "";
  brokerPort = 0;
  /** Whether the broker is up (false during an outage). */
  brokerUp = false;

  private readonly list: DeviceState[] = [];
  private readonly byUid = new Map<string, DeviceState>();
  private embedded: EmbeddedBroker | null = null;
  private auth: { user?: string; password?: string } = {};
  /** TLS to an external `mqtts://` broker: the devices' host settings (null: clear text). */
  private tls: TlsOptions | null = null;
  /** mqtt.js options of every platform-side client (TLS settings for mqtts://). */
  private mqttTls: { ca?: string | Buffer; rejectUnauthorized?: boolean } = {};
  private updateTimer: NodeJS.Timeout | null = null;
  private runPromise: Promise<void> | null = null;
  /** Device publishes are decoded (see trackPublishes). */
  private tracking = false;
  /** Virtual ms between two devices' first ticks (resolved at start). */
  private staggerMs = 0;
  private started = false;
  private stopped = false;
  /** Real time `start()` returned (wallMs). */
  private startedWall = 0;
  /** The platform's last state publish with a cmd the device's relay does not show yet: uid → { on, wall ms }. */
  private readonly pendingCmd = new Map<string, { on: boolean; t: number }>();
  private readonly relayLatency: number[] = [];
  /** With workers: the pool (sim/workers.ts). */
  private pool: WorkerPool | null = null;

  constructor(options: SimulationOptions = {}) {
    super();
    this.options = options;
    this.clock = new VirtualClock(0);
    this.scheduler = new Scheduler(this.clock, { speed: options.speed ?? 60, ioWaitRealMs: options.ioWaitRealMs ?? 250, ioHold: options.ioHold });
    // Decoding every sent packet costs: only while someone looks at publishes.
    (this as EventEmitter).on("newListener", (name: string) => {
      if (name === "publish" || name === "device-update") this.trackPublishes();
    });
    this.scheduler.onBusyLoop = (taskId, atMs) => {
      const d = this.list.find((x) => x.taskId === taskId);
      if (d) this.emit("log", { uid: d.uid, level: "busy", text: "host: firmware tick keeps returning 0 ms without progress (busy loop); stepping 1 ms per tick", atMs });
    };
  }

  /** Creates and starts a simulation (`new Simulation(o)` + `start()`). */
  static async start(options: SimulationOptions = {}): Promise<Simulation> {
    const sim = new Simulation(options);
    await sim.start();
    return sim;
  }

  /** The devices, in order. */
  get devices(): readonly SimDevice[] {
    return this.list;
  }

  device(uid: string): SimDevice {
    const d = this.byUid.get(uid);
    if (!d) throw new Error(`no simulated device ${uid}`);
    return d;
  }

  /** Virtual ms since the start (with workers: the latest a worker reported). */
  now(): number {
    return this.pool ? this.pool.now : this.clock.now();
  }

  get speed(): number {
    return this.scheduler.speed;
  }

  set speed(v: number) {
    if (this.pool && !Number.isFinite(v)) throw new Error("workers need a finite speed");
    this.scheduler.speed = v;
    this.pool?.setSpeed(v);
  }

  /** Starts the broker (or connects to it), the platform emulator and every device (firmware init). Does not tick yet. */
  async start(): Promise<void> {
    if (this.started) throw new Error("simulation already started");
    this.started = true;
    const o = this.options;
    const b = o.broker ?? { embedded: true };
    let user: string | undefined;
    let password: string | undefined;
    if ("url" in b) {
      const url = new URL(b.url);
      if (url.protocol !== "mqtt:" && url.protocol !== "mqtts:") throw new Error(`broker URL must be mqtt:// or mqtts://, got ${url.protocol}//`);
      const secure = url.protocol === "mqtts:";
      this.brokerHost = url.hostname.replace(/^\[(.*)\]$/, "$1");
      this.brokerPort = Number(url.port || (secure ? 8883 : 1883));
      if (secure) {
        this.tls = { ...(b.ca !== undefined ? { ca: b.ca } : {}), ...(b.fingerprint256 ? { fingerprint256: b.fingerprint256 } : {}) };
        this.mqttTls = { ...(b.ca !== undefined ? { ca: b.ca } : {}), rejectUnauthorized: true };
      }
      user = b.user ?? (url.username ? decodeURIComponent(url.username) : undefined);
      password = b.password ?? (url.password ? decodeURIComponent(url.password) : undefined);
    } else {
      this.embedded = await startEmbeddedBroker({ port: b.port ?? 0, user: b.user, password: b.password });
      this.brokerHost = this.embedded.host;
      this.brokerPort = this.embedded.port;
      user = b.user;
      password = b.password;
    }
    this.brokerUrl = `${this.tls ? "mqtts" : "mqtt"}://${urlHost(this.brokerHost)}:${this.brokerPort}`;
    this.auth = { user, password };
    this.brokerUp = true;
    // An external broker is "up" once the platform emulator has connected to it (without the emulator: once configured).
    const announce = (): void => void this.emit("broker", { state: "up", url: this.brokerUrl, atMs: this.now() });
    if (o.platform === false || this.embedded) announce();

    if (o.platform !== false) {
      const p = await PlatformEmulator.start({
        url: this.brokerUrl,
        username: user,
        password,
        now: () => this.now(),
        mqtt: { reconnectPeriod: 100, ...this.mqttTls },
      });
      this.platform = p;
      if (!this.embedded) announce();
      p.on("error", () => {}); // broker outages: mqtt.js reconnects
      // Keep virtual time still while a message is on its way device → platform → device.
      p.on("message", (r: SeenRecord) => {
        if (r.dir !== "in" || r.uid === null) return;
        const d = this.byUid.get(r.uid);
        if (!d) return;
        if (d.toPlatform > 0) d.toPlatform--;
        this.updateWaiting(d);
        const rec = p.device(r.uid);
        // The platform answers readings and on/off/get with a state publish (not pings).
        const m = r.parsed as Record<string, unknown> | null;
        const answered = m !== null && (m.level !== undefined || m.temperature !== undefined || m.cmd === "on" || m.cmd === "off" || m.cmd === "get");
        if (r.accepted && r.reason === "ok" && answered && rec?.publishEnabled) {
          for (const o of this.list) {
            if (String(o.config.downlink_topic) !== rec.downlinkTopic) continue;
            this.expectDownlink(o);
          }
        }
      });
      p.on("reading", (e: ReadingEvent) => this.emit("platform", { kind: "reading", uid: e.uid, atMs: e.atMs, level: e.level, temperature: e.temperature }));
      p.on("switch", (e: SwitchEvent) => this.emit("platform", { kind: "switch", uid: e.uid, atMs: e.atMs, cmd: e.cmd, source: e.source }));
      p.on("connection", (uid, connected, atMs) => this.emit("platform", { kind: "connection", uid, atMs, connected }));
      p.on("rejected", (r: SeenRecord) => this.emit("platform", { kind: "rejected", uid: r.uid, atMs: r.atMs, reason: r.reason, payload: r.payload }));
      p.on("state", (e: StatePublishedEvent) => {
        const payload = JSON.stringify(e.message);
        const cmd = (e.message as { cmd?: unknown }).cmd;
        if (cmd === "on" || cmd === "off") {
          const on = cmd === "on";
          if (this.relayOf(e.uid) !== on) this.pendingCmd.set(e.uid, { on, t: e.sentWallMs });
          else this.pendingCmd.delete(e.uid);
        }
        this.emit("platform", { kind: "state", uid: e.uid, atMs: e.atMs, topic: e.topic, payload, cause: e.cause });
        // Every device subscribed to that topic receives it.
        for (const d of this.list) {
          if (String(d.config.downlink_topic) === e.topic) d.lastDownlink = { topic: e.topic, payload, atMs: e.atMs };
        }
      });
    }

    this.module = o.firmware instanceof WebAssembly.Module ? o.firmware : await loadFirmware(o.firmware);
    if (this.platform) this.trackPublishes();
    const total = Array.isArray(o.devices) ? o.devices.length : (o.devices ?? 1);
    const { from, to } = o.range ?? (o.shard === undefined ? { from: 0, to: total } : shardRange(total, parseShard(o.shard)));
    const heartbeatS = Number(o.defaults?.config?.heartbeat_s ?? 60);
    this.staggerMs = o.staggerMs ?? (total > 1 && heartbeatS > 0 ? (heartbeatS * 1000) / total : 0);
    const workers = o.workers ?? 0;
    if (workers > 0) {
      if (!Number.isInteger(workers)) throw new Error(`workers must be a whole number, got ${workers}`);
      if (!Number.isFinite(this.speed)) throw new Error("workers need a finite speed (each worker paces its own clock against real time)");
      this.pool = await WorkerPool.start({
        count: Math.min(workers, Math.max(1, to - from)),
        options: { ...o, broker: { url: this.brokerUrl, user, password } },
        range: { from, to },
        staggerMs: this.staggerMs,
        module: this.module,
        track: this.tracking,
        onEvent: (f) => this.forwarded(f),
      });
      for (const d of this.pool.devices) this.platform?.register(d);
    } else {
      for (let i = from; i < to; i++) await this.addDevice(Array.isArray(o.devices) ? o.devices[i]! : {}, i, { user, password });
    }
    this.startedWall = wallMs();

    const every = o.updateIntervalMs ?? 200;
    if (every > 0) {
      this.updateTimer = setInterval(() => {
        for (const d of this.list) this.emitUpdate(d);
      }, every);
      this.updateTimer.unref();
    }
  }

  /** Ticks the devices until `stop()`; returns the scheduler's promise (rejects if a tick throws). */
  run(): Promise<void> {
    if (this.pool) {
      this.pool.run();
      // The workers run until pause()/stop(); the main scheduler runs the timers added here (sim.scheduler).
    }
    this.runPromise ??= this.scheduler.run().finally(() => { this.runPromise = null; });
    return this.runPromise;
  }

  /** Runs for `ms` of virtual time, then pauses (resolves). */
  async runFor(ms: number): Promise<void> {
    if (this.runPromise) throw new Error("simulation is running (run()); stop it or use scheduler timers");
    if (this.pool) return this.runUntil(this.now() + ms);
    await this.scheduler.runFor(ms);
  }

  /** Runs until the virtual clock reaches `t`. */
  async runUntil(t: number): Promise<void> {
    if (this.runPromise) throw new Error("simulation is running (run()); stop it or use scheduler timers");
    if (this.pool) {
      await this.pool.runUntil(t);
      this.clock.advanceTo(t);
      return;
    }
    await this.scheduler.runUntil(t);
  }

  /** Pauses the tick loop (devices stay connected until their keep-alive lapses in real time). */
  async pause(): Promise<void> {
    await this.pool?.pause();
    await this.scheduler.stop();
  }

  /** The mobile app switches the device's pump through the platform emulator; virtual time waits for the publish. */
  async setSwitch(uid: string, on: boolean): Promise<void> {
    if (!this.platform) throw new Error("setSwitch needs the platform emulator (it is off)");
    if (this.pool) {
      if (!this.pool.snapshots.has(uid)) throw new Error(`no simulated device ${uid}`);
      await this.platform.setSwitch(uid, on); // workers: nothing to hold (finite speed)
      return;
    }
    const d = this.need(uid);
    this.expectDownlink(d);
    await this.scheduler.hold(this.platform.setSwitch(uid, on));
  }

  /** Presses the device's button (200 ms), if its config has a button_pin. */
  pressButton(uid: string, holdMs = 200): void {
    if (this.pool) {
      if (!this.pool.snapshots.has(uid)) throw new Error(`no simulated device ${uid}`);
      return this.pool.press(uid, holdMs);
    }
    const d = this.need(uid);
    d.hardware.pressButton(holdMs);
    this.scheduler.wake(d.taskId);
  }

  /** Stops the broker: the embedded one, or through `options.brokerControl`. Virtual time waits meanwhile. */
  stopBroker(): Promise<void> {
    return this.scheduler.hold(this.doStopBroker(), 30_000);
  }

  /** Starts the broker again on the same port and waits (virtual time held) until the platform emulator is subscribed again. */
  startBroker(): Promise<void> {
    return this.scheduler.hold(this.doStartBroker(), 30_000);
  }

  private async doStopBroker(): Promise<void> {
    if (!this.brokerUp) return;
    if (this.embedded) {
      await this.embedded.close();
      this.embedded = null;
    } else if (this.options.brokerControl) {
      await this.options.brokerControl.stop();
    } else {
      throw new Error("stopBroker: an external broker needs options.brokerControl");
    }
    this.brokerUp = false;
    this.emit("broker", { state: "down", url: this.brokerUrl, atMs: this.now() });
  }

  private async doStartBroker(): Promise<void> {
    if (this.brokerUp) return;
    const b = this.options.broker ?? { embedded: true };
    if (!("url" in b)) {
      // The old server may still hold the port for a moment (clients lingering): retry for a while.
      for (let attempt = 0; ; attempt++) {
        try {
          this.embedded = await startEmbeddedBroker({ port: this.brokerPort, user: b.user, password: b.password });
          break;
        } catch (e) {
          if ((e as NodeJS.ErrnoException).code !== "EADDRINUSE" || attempt >= 50) throw e;
          await new Promise((r) => setTimeout(r, 100));
        }
      }
    } else if (this.options.brokerControl) {
      await this.options.brokerControl.start();
    } else {
      throw new Error("startBroker: an external broker needs options.brokerControl");
    }
    this.brokerUp = true;
    if (this.platform) await this.waitForPlatform();
    this.emit("broker", { state: "up", url: this.brokerUrl, atMs: this.now() });
  }

  /** Publishes a probe (no key: the platform ignores it) until the platform emulator receives one, i.e. it is subscribed. */
  private async waitForPlatform(timeoutMs = 15_000): Promise<void> {
    const p = this.platform!;
    const topic = `iotbind/tank/_sim-probe-${process.pid}`;
    const from = p.mark;
    const client = await connectAsync(this.brokerUrl, {
      username: this.auth.user,
      password: this.auth.password,
      reconnectPeriod: 100,
      connectTimeout: timeoutMs,
      ...this.mqttTls,
    });
    try {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        await client.publishAsync(topic, JSON.stringify({ probe: true }), { qos: 0 });
        try {
          await p.waitFor((r) => r.topic === topic, { fromIndex: from, timeoutMs: 100 });
          return;
        } catch {
          if (Date.now() > deadline) throw new Error("the platform emulator did not resubscribe after the broker restart");
        }
      }
    } finally {
      await client.endAsync(true);
    }
  }

  /** A machine-readable summary of the run so far (see RunSummary). */
  async summary(): Promise<RunSummary> {
    const c = this.pool ? await this.pool.counts() : this.list.reduce((a, d) => addCounts(a, deviceCounts(d.device)), emptyCounts());
    const lat = [...this.relayLatency].sort((a, b) => a - b);
    const pct = (p: number): number | null => (lat.length ? lat[Math.min(lat.length - 1, Math.max(0, Math.ceil((p / 100) * lat.length) - 1))]! : null);
    const r3 = (x: number | null): number | null => (x === null ? null : Math.round(x * 1000) / 1000);
    return {
      devices: this.pool ? this.pool.size : this.list.length,
      connected: c.connected,
      shard: this.options.shard === undefined ? null : parseShard(this.options.shard),
      workers: this.options.workers ?? 0,
      virtualS: this.now() / 1000,
      realS: this.startedWall ? Math.round(wallMs() - this.startedWall) / 1000 : 0,
      messages: { uplinks: c.uplinks, downlinks: c.downlinks, packetsIn: c.packetsIn, packetsOut: c.packetsOut },
      latencyMs: { platformToRelay: { samples: lat.length, p50: r3(pct(50)), p99: r3(pct(99)), max: r3(lat.length ? lat[lat.length - 1]! : null) } },
      disconnects: c.disconnects,
      traps: c.traps,
    };
  }

  /** A device's relay as this thread knows it (for the platform → relay latency). */
  private relayOf(uid: string): boolean | null {
    const d = this.byUid.get(uid);
    if (d) return d.stopped ? null : d.device.relayOn;
    return this.pool ? this.pool.relayOf(uid) : null;
  }

  /** A relay switched at real time `t` (wallMs): closes a pending platform → relay measurement. */
  private relaySwitched(uid: string, on: boolean, t: number): void {
    const p = this.pendingCmd.get(uid);
    if (!p) return;
    this.pendingCmd.delete(uid);
    if (p.on === on) this.relayLatency.push(t - p.t);
  }

  /** The device's state now (with workers: the latest snapshot its worker sent, at most `updateIntervalMs` old while someone listens to device-update). */
  snapshot(uid: string): DeviceSnapshot {
    if (this.pool) {
      const s = this.pool.snapshots.get(uid);
      if (!s) throw new Error(`no simulated device ${uid}`);
      return s;
    }
    return this.snap(this.need(uid));
  }

  snapshots(): DeviceSnapshot[] {
    if (this.pool) return [...this.pool.snapshots.values()];
    return this.list.map((d) => this.snap(d));
  }

  /** An event a worker posted: emitted here as if its device ran in this thread. */
  private forwarded(f: Forwarded): void {
    if (f.name === "error") {
      this.emit("error", new Error((f.arg as { message: string }).message));
      return;
    }
    if (f.name === "relay") {
      const e = f.arg as RelayEvent;
      this.relaySwitched(e.uid, e.on, f.wall ?? wallMs());
    }
    (this.emit as (name: string, arg: unknown) => boolean)(f.name, f.arg);
  }

  /** Clean stop: every device sends MQTT DISCONNECT, the platform emulator disconnects, the embedded broker closes. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    if (this.updateTimer) clearInterval(this.updateTimer);
    this.updateTimer = null;
    await this.scheduler.stop();
    await this.runPromise?.catch(() => {});
    if (this.pool) {
      await this.pool.stop();
    }
    await Promise.all(this.list.map(async (d) => {
      d.stopped = true;
      this.scheduler.remove(d.taskId);
      await d.device.stop();
    }));
    await this.platform?.close();
    await this.embedded?.close();
    this.embedded = null;
    this.brokerUp = false;
    this.emit("stopped");
  }

  // ---------------------------------------------------------------- internals

  private need(uid: string): DeviceState {
    const d = this.byUid.get(uid);
    if (!d) throw new Error(`no simulated device ${uid}`);
    return d;
  }

  private async addDevice(own: SimDeviceSpec, i: number, auth: { user?: string; password?: string }): Promise<void> {
    const o = this.options;
    const def = o.defaults ?? {};
    const uid = own.uid ?? def.uid ?? `${o.uidPrefix ?? "tank"}-${String(i + 1).padStart(3, "0")}`;
    if (this.byUid.has(uid)) throw new Error(`duplicate device uid ${uid}`);
    const key = own.key ?? `demo-key-${uid}`;
    const name = own.name ?? `Tank ${i + 1}`;
    // Demo devices differ a little (level, draw) so a fleet view is not N copies of one tank.
    const variety: Partial<TankOptions> = i === 0 ? {} : { initialLevelPct: 30 + ((i * 37) % 61), consumptionLph: 600 * (0.7 + ((i * 13) % 7) / 10) };
    const tank = new Tank({ ...DEFAULT_TANK, ...variety, ...def.tank, ...own.tank } as TankOptions);
    const config: DeviceConfig = {
      ...defaultDeviceConfig(uid, key, { host: this.brokerHost, port: this.brokerPort, tls: this.tls !== null, ...auth }),
      ...tank.firmwareConfig(),
      ...def.config,
      ...own.config,
    };
    // Each device blocks (pulseIn, delayUs) on its own clock, not on everyone's. A device that boots
    // later (stagger) starts its clock at its boot time, so init (which starts the MQTT connect) and
    // its world happen then, not at 0: its first tick must not find its connect timeout long expired.
    const bootAt = this.clock.now() + i * this.staggerMs;
    const clock = new TaskClock(this.clock, bootAt);
    const hw = new SimHardware({
      board: config,
      clock,
      tank,
      air: own.air ?? def.air ?? { kind: "daily", minC: 14, maxC: 28 },
      seed: own.seed ?? `${o.seed ?? "1"}/${uid}`,
      sensorOptions: own.sensorOptions ?? def.sensorOptions,
    });
    const device = await Device.create({ config, hardware: hw, module: this.module!, clock, ...(this.tls ? { tls: this.tls } : {}) });
    const state: DeviceState = {
      uid, name, key, config, device, hardware: hw, taskId: 0,
      lastUplink: null, lastDownlink: null, publishes: 0, relaySwitches: 0,
      awaitingReply: false, expectDownlink: false, downlinkMark: 0, toPlatform: 0, booted: false, stopped: false,
    };
    // With a stagger, socket activity started by init does not run the device before its boot time.
    const tick = (): number => {
      state.booted = true;
      const wait = device.tick();
      if (state.expectDownlink && downlinksHandled(device) !== state.downlinkMark) {
        state.expectDownlink = false;
        this.updateWaiting(state);
      }
      return wait;
    };
    (state as { taskId: number }).taskId = this.scheduler.add({ tick, now: () => clock.now() }, bootAt);
    device.on("io", (kind, _h, bytes) => {
      this.scheduler.progress(state.taskId);
      if (kind === "sent") {
        if (bytes && mqttExpectsReply(bytes)) state.awaitingReply = true;
      } else {
        state.awaitingReply = false;
        if (!state.stopped && state.booted) this.scheduler.wake(state.taskId);
      }
      this.updateWaiting(state);
    });
    if (this.tracking) this.trackDevice(state);
    device.on("relay", (on) => {
      state.relaySwitches++;
      this.relaySwitched(uid, on, wallMs());
      this.emit("relay", { uid, on, atMs: this.now(), trueLevelPct: hw.truth().levelPct, levelPct: device.levelPct });
      this.emitUpdate(state);
    });
    device.on("conn", (cs, stateName) => {
      this.updateWaiting(state);
      const code = cs === ConnState.BACKING_OFF ? device.lastDisconnect : undefined;
      this.emit("conn", code === undefined ? { uid, state: stateName, atMs: this.now() } : { uid, state: stateName, atMs: this.now(), reasonCode: code, reason: disconnectWords(code) });
      this.emitUpdate(state);
    });
    device.on("log", (level, text) => this.emit("log", { uid, level, text: withReasonWords(text), atMs: this.now() }));
    device.on("trap", (e) => this.emit("trap", { uid, error: e.message, atMs: this.now() }));
    this.platform?.register({ uid, key, name, downlinkTopic: String(config.downlink_topic) });
    this.list.push(state);
    this.byUid.set(uid, state);
  }

  /**
   * Decodes what the devices send (mqtt-packet) for `publish` events, the
   * snapshots' `lastUplink`/`publishes` and the platform round trip; off
   * until the platform emulator runs or someone listens to `publish` or
   * `device-update` (a load test without them does not pay for it).
   */
  private trackPublishes(): void {
    if (this.tracking) return;
    this.tracking = true;
    this.pool?.track();
    for (const d of this.list) this.trackDevice(d);
  }

  private trackDevice(state: DeviceState): void {
    const uid = state.uid;
    state.device.on("publish", (m: PublishSeen) => {
      const atMs = this.now();
      state.lastUplink = { topic: m.topic, payload: m.payload, atMs };
      state.publishes++;
      if (this.platform && m.topic.startsWith("iotbind/tank/")) state.toPlatform++;
      this.updateWaiting(state);
      this.emit("publish", { uid, topic: m.topic, payload: m.payload, qos: m.qos, retain: m.retain, atMs });
      // Sent from inside the firmware's tick (a hal call): snapshot after it.
      queueMicrotask(() => this.emitUpdate(state));
    });
  }

  /** Virtual time waits while a device waits for the network (a reply, the platform, a connection), when the scheduler holds for that (`ioHold`). */
  /**
   * The platform has published to `d`'s downlink topic: at infinite speed its
   * virtual time waits until the firmware has handled a downlink (counted),
   * not merely received bytes (a PUBACK or PINGRESP may come first).
   */
  private expectDownlink(d: DeviceState): void {
    if (!d.expectDownlink) d.downlinkMark = downlinksHandled(d.device);
    d.expectDownlink = true;
    this.updateWaiting(d);
  }

  private updateWaiting(d: DeviceState): void {
    if (d.stopped || !d.booted || !this.scheduler.ioHoldActive) return this.scheduler.setWaiting(d.taskId, false);
    const cs = d.device.connState;
    const connecting = cs === ConnState.SOCKET_CONNECTING || cs === ConnState.AWAITING_CONNACK || cs === ConnState.SUBSCRIBING;
    this.scheduler.setWaiting(d.taskId, d.awaitingReply || d.expectDownlink || d.toPlatform > 0 || connecting);
  }

  private emitUpdate(d: DeviceState): void {
    if (this.listenerCount("device-update") === 0 || d.stopped) return;
    this.emit("device-update", this.snap(d));
  }

  private snap(d: DeviceState): DeviceSnapshot {
    const t = d.hardware.truth();
    const dev = d.device;
    const rec = this.platform?.device(d.uid);
    return {
      uid: d.uid,
      name: d.name,
      timeMs: this.now(),
      levelPct: d.stopped ? null : dev.levelPct,
      trueLevelPct: t.levelPct,
      volumeL: t.volumeL,
      capacityL: d.hardware.tank.capacityL,
      temperatureC: d.stopped ? null : dev.temperatureC,
      airC: t.airC,
      relayOn: d.stopped ? t.relayOn : dev.relayOn,
      online: !d.stopped && dev.connState === ConnState.CONNECTED,
      connState: d.stopped ? "STOPPED" : (CONN_STATE_NAMES[dev.connState] ?? String(dev.connState)),
      quality: d.stopped ? "NONE" : (QUALITY_NAMES[dev.readingQuality] ?? String(dev.readingQuality)),
      platform: rec ? { connected: rec.connected, level: rec.level, temperature: rec.temperature, cmd: rec.cmd } : null,
      lastUplink: d.lastUplink,
      lastDownlink: d.lastDownlink,
      publishes: d.publishes,
      relaySwitches: d.relaySwitches,
      traps: dev.traps,
      memoryBytes: d.stopped ? 0 : dev.memory.buffer.byteLength,
    };
  }
}

/** The firmware's count of inbound PUBLISHes it has handled (each ends in exactly one of these counters). */
const DOWNLINK_COUNTERS = [
  Counter.DOWNLINK_ACCEPTED, Counter.DOWNLINK_OTHER_UID, Counter.DOWNLINK_HAS_KEY, Counter.DOWNLINK_MALFORMED,
  Counter.DOWNLINK_OVERSIZE, Counter.DOWNLINK_BAD_VALUE, Counter.DOWNLINK_NO_UID, Counter.DOWNLINK_STALE_ECHO,
  Counter.OTHER_TOPIC, Counter.DOWNLINK_RETAINED_ON,
];
function downlinksHandled(device: Device): number {
  let n = 0;
  for (const c of DOWNLINK_COUNTERS) n += device.counter(c);
  return n;
}
