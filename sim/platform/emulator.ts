/**
 * An emulator of the iotBind platform's MQTT side, as ../shared/PROTOCOL.md
 * ("Platform behaviour") describes it: it listens on `iotbind/tank/#`, keeps
 * a registry of devices (uid, key, name, downlink topic, MQTT publish on or
 * off), authenticates every message by uid + key, stores level, temperature
 * and the switch state, answers `get`, publishes the device's state to its
 * downlink topic after every update, and tracks the connection status.
 *
 * Decisions where the platform's documentation is silent:
 * - nothing is ever published for a device whose MQTT publish is disabled
 *   (it has no downlink topic then), not even in reply to `get`;
 * - a level or temperature never received is sent as "0";
 * - any authenticated message marks the device connected (a `ping` does it
 *   explicitly); it counts as disconnected after `offlineAfterMs` of silence
 *   or when a message arrives on its registered will topic;
 * - a message with an unknown `cmd`, or a `level`/`temperature` that is
 *   neither a string nor a number, is rejected as a whole;
 * - messages without a `key` are not requests (they are the platform's own
 *   state messages, or other devices' wills): ignored.
 */
import { EventEmitter } from "node:events";
import { connectAsync, type IClientOptions, type MqttClient } from "mqtt";

export type SwitchState = "on" | "off";

export interface DeviceRegistration {
  uid: string;
  key: string;
  name?: string;
  /** The topic chosen in the device's Edit settings; the state goes there. */
  downlinkTopic: string;
  /** "MQTT" publish enabled in the device settings (default true). */
  publishEnabled?: boolean;
  /** Initial switch state (default "off"). */
  cmd?: SwitchState;
  /** A topic whose messages (the device's MQTT will) mark it disconnected. */
  willTopic?: string;
}

export interface DeviceRecord {
  readonly uid: string;
  key: string;
  name: string;
  downlinkTopic: string;
  publishEnabled: boolean;
  willTopic: string | null;
  /** Stored values, as received (strings; numbers are converted with String()). */
  level: string | null;
  temperature: string | null;
  cmd: SwitchState;
  /** Time (emulator clock) of the last authenticated message, null if none. */
  lastSeenMs: number | null;
  /** Set by any authenticated message, cleared by the will or `offlineAfterMs` of silence. */
  connected: boolean;
  /** Counters per device. */
  readings: number;
  commands: number;
  pings: number;
  gets: number;
  statesPublished: number;
}

/** The platform's state message, exactly the documentation's format. */
export interface StateMessage {
  uid: string;
  name: string;
  type: "Water Level";
  cmd: SwitchState;
  level: string;
  level_unit: "%";
  temperature: string;
  temperature_unit: "C";
}

export type SeenDirection = "in" | "out";

export type SeenReason =
  | "ok"
  | "malformed-json"
  | "not-an-object"
  | "no-key"
  | "no-uid"
  | "unknown-uid"
  | "wrong-key"
  | "bad-cmd"
  | "bad-value"
  | "will"
  | "published";

export interface SeenRecord {
  /** Index in `seen`. */
  index: number;
  dir: SeenDirection;
  topic: string;
  payload: string;
  /** The JSON value, or null when it did not parse. */
  parsed: unknown;
  accepted: boolean;
  reason: SeenReason;
  uid: string | null;
  atMs: number;
}

export interface ReadingEvent {
  uid: string;
  level: string | null;
  temperature: string | null;
  /** Numeric values when they parse, else NaN / null when absent. */
  levelValue: number | null;
  temperatureValue: number | null;
  atMs: number;
}

export interface SwitchEvent {
  uid: string;
  cmd: SwitchState;
  previous: SwitchState;
  /** "device": a device's on/off message; "app": `setSwitch` (the mobile app). */
  source: "device" | "app";
  atMs: number;
}

export interface StatePublishedEvent {
  uid: string;
  topic: string;
  message: StateMessage;
  /** Why it was sent. */
  cause: "reading" | "cmd" | "get" | "app" | "manual";
  atMs: number;
  /** Wall-clock ms (performance.timeOrigin + performance.now(), comparable across worker threads) just before the PUBLISH left: the event itself fires after the broker's PUBACK, which a device may beat. */
  sentWallMs: number;
}

export interface PlatformEvents {
  message: [record: SeenRecord];
  rejected: [record: SeenRecord];
  reading: [event: ReadingEvent];
  switch: [event: SwitchEvent];
  state: [event: StatePublishedEvent];
  ping: [uid: string, atMs: number];
  connection: [uid: string, connected: boolean, atMs: number];
  error: [err: Error];
}

export interface PlatformOptions {
  /** Broker URL, e.g. mqtt://127.0.0.1:1883. */
  url: string;
  username?: string;
  password?: string;
  clientId?: string;
  /** Subscription (default `iotbind/tank/#`). */
  topicFilter?: string;
  /** QoS of the subscription and of state publishes (default 1). */
  qos?: 0 | 1;
  /** Delay before each state publish, ms (real time), to provoke echo races. Default 0. */
  publishDelayMs?: number;
  /** The emulator's clock (default Date.now); pass a virtual clock's now() to run in virtual time. */
  now?: () => number;
  /** Silence after which a device counts as disconnected (emulator clock), ms. Default 300000. */
  offlineAfterMs?: number;
  /** Keep about this many records in `seen` (the oldest are dropped in chunks of 10 %). Default 100000. */
  maxRecords?: number;
  /** Extra mqtt.js options. */
  mqtt?: IClientOptions;
}

export interface PlatformCounters {
  /** Messages received on the subscription. */
  received: number;
  /** Authenticated and acted on. */
  accepted: number;
  /** Unknown uid or wrong key: nothing changed, no reply. */
  authFailed: number;
  malformed: number;
  badCommand: number;
  badValue: number;
  /** Without a key (state messages, including our own): ignored. */
  ignoredNoKey: number;
  wills: number;
  published: number;
  publishErrors: number;
}

/** How long close() waits for state publishes still in flight, ms. */
const CLOSE_WAIT_MS = 2000;

export class PlatformEmulator extends EventEmitter<PlatformEvents> {
  readonly seen: SeenRecord[] = [];
  readonly counters: PlatformCounters = {
    received: 0,
    accepted: 0,
    authFailed: 0,
    malformed: 0,
    badCommand: 0,
    badValue: 0,
    ignoredNoKey: 0,
    wills: 0,
    published: 0,
    publishErrors: 0,
  };
  publishDelayMs: number;
  readonly topicFilter: string;
  private readonly devices = new Map<string, DeviceRecord>();
  /** Will topics of registered devices (for a quick check per message). */
  private readonly willTopics = new Set<string>();
  private readonly now: () => number;
  private readonly offlineAfterMs: number;
  private readonly qos: 0 | 1;
  private readonly maxRecords: number;
  private recordCount = 0;
  private readonly timers = new Map<NodeJS.Timeout, () => void>();
  private readonly inflight = new Set<Promise<void>>();
  private closed = false;

  private constructor(private readonly client: MqttClient, o: PlatformOptions) {
    super();
    this.topicFilter = o.topicFilter ?? "iotbind/tank/#";
    this.publishDelayMs = o.publishDelayMs ?? 0;
    this.now = o.now ?? Date.now;
    this.offlineAfterMs = o.offlineAfterMs ?? 300_000;
    this.qos = o.qos ?? 1;
    this.maxRecords = o.maxRecords ?? 100_000;
    client.on("message", (topic, payload) => this.onMessage(topic, payload));
    client.on("error", (err) => {
      if (this.listenerCount("error") > 0) this.emit("error", err);
    });
  }

  /** Connects to the broker and subscribes; resolves once the subscription is acknowledged. */
  static async start(o: PlatformOptions): Promise<PlatformEmulator> {
    const client = await connectAsync(o.url, {
      username: o.username,
      password: o.password,
      clientId: o.clientId ?? `iotbind-platform-${Math.random().toString(36).slice(2, 10)}`,
      clean: true,
      reconnectPeriod: 1000,
      connectTimeout: 10_000,
      ...o.mqtt,
    });
    const p = new PlatformEmulator(client, o);
    try {
      const granted = await client.subscribeAsync(p.topicFilter, { qos: p.qos });
      if (granted.some((g) => g.qos === 128)) throw new Error(`subscription to ${p.topicFilter} refused by the broker`);
    } catch (err) {
      await client.endAsync(true);
      throw err;
    }
    return p;
  }

  // ------------------------------------------------------------ registry

  register(reg: DeviceRegistration): DeviceRecord {
    if (!reg.uid || !reg.key) throw new Error("a device needs a uid and a key");
    if (!reg.downlinkTopic || /[+#\u0000]/.test(reg.downlinkTopic)) throw new Error(`bad downlink topic ${JSON.stringify(reg.downlinkTopic)}`);
    const rec: DeviceRecord = {
      uid: reg.uid,
      key: reg.key,
      name: reg.name ?? reg.uid,
      downlinkTopic: reg.downlinkTopic,
      publishEnabled: reg.publishEnabled ?? true,
      willTopic: reg.willTopic ?? null,
      level: null,
      temperature: null,
      cmd: reg.cmd ?? "off",
      lastSeenMs: null,
      connected: false,
      readings: 0,
      commands: 0,
      pings: 0,
      gets: 0,
      statesPublished: 0,
    };
    this.devices.set(reg.uid, rec);
    if (rec.willTopic) this.willTopics.add(rec.willTopic);
    return rec;
  }

  unregister(uid: string): boolean {
    return this.devices.delete(uid);
  }

  device(uid: string): DeviceRecord | undefined {
    const d = this.devices.get(uid);
    if (d) this.refreshConnection(d);
    return d;
  }

  listDevices(): DeviceRecord[] {
    return [...this.devices.values()].map((d) => (this.refreshConnection(d), d));
  }

  /** "Refresh" the device's API key (the old one stops working). */
  setKey(uid: string, key: string): void {
    this.need(uid).key = key;
  }

  setPublishEnabled(uid: string, enabled: boolean, downlinkTopic?: string): void {
    const d = this.need(uid);
    d.publishEnabled = enabled;
    if (downlinkTopic !== undefined) d.downlinkTopic = downlinkTopic;
  }

  /** Whether the platform shows the device as connected now. */
  isConnected(uid: string): boolean {
    const d = this.devices.get(uid);
    if (!d) return false;
    this.refreshConnection(d);
    return d.connected;
  }

  /**
   * Sets the connection status from outside, for hosts that see the broker's
   * sessions (e.g. an embedded aedes broker's client/clientDisconnect events).
   */
  markConnection(uid: string, connected: boolean): void {
    const d = this.need(uid);
    if (connected) d.lastSeenMs = this.now();
    this.setConnected(d, connected);
  }

  /** A JSON-friendly copy of the registry and counters (for views and `--json`). */
  snapshot(): { counters: PlatformCounters; devices: DeviceRecord[] } {
    return { counters: { ...this.counters }, devices: this.listDevices().map((d) => ({ ...d })) };
  }

  /** The state message the platform would send for `uid` now. */
  stateMessage(uid: string): StateMessage {
    const d = this.need(uid);
    return {
      uid: d.uid,
      name: d.name,
      type: "Water Level",
      cmd: d.cmd,
      level: d.level ?? "0",
      level_unit: "%",
      temperature: d.temperature ?? "0",
      temperature_unit: "C",
    };
  }

  /**
   * The mobile app switches the device: the state is stored and published
   * to the device's downlink topic (when MQTT publish is enabled).
   * Resolves when the publish is done (after `publishDelayMs`).
   */
  async setSwitch(uid: string, on: boolean): Promise<void> {
    const d = this.need(uid);
    const cmd: SwitchState = on ? "on" : "off";
    const previous = d.cmd;
    d.cmd = cmd;
    this.emit("switch", { uid, cmd, previous, source: "app", atMs: this.now() });
    await this.publishState(d, "app");
  }

  /** Publishes the device's current state now (as after any update). */
  async publishStateNow(uid: string): Promise<void> {
    await this.publishState(this.need(uid), "manual");
  }

  // ----------------------------------------------------------- inspection

  /**
   * Resolves with the first record (already seen from `fromIndex`, or future)
   * that matches; rejects after `timeoutMs` (real time, default 5000).
   */
  waitFor(pred: (r: SeenRecord) => boolean, opts: { timeoutMs?: number; fromIndex?: number } = {}): Promise<SeenRecord> {
    const from = opts.fromIndex ?? this.recordCount;
    const firstIdx = this.recordCount - this.seen.length;
    for (let i = Math.max(0, from - firstIdx); i < this.seen.length; i++) {
      const r = this.seen[i]!;
      if (pred(r)) return Promise.resolve(r);
    }
    const timeoutMs = opts.timeoutMs ?? 5000;
    return new Promise((resolve, reject) => {
      const onMsg = (r: SeenRecord): void => {
        if (r.index >= from && pred(r)) {
          clearTimeout(t);
          this.off("message", onMsg);
          resolve(r);
        }
      };
      const t = setTimeout(() => {
        this.off("message", onMsg);
        reject(new Error(`platform emulator: no matching message within ${timeoutMs} ms`));
      }, timeoutMs);
      this.on("message", onMsg);
    });
  }

  /** Number of records so far (use as `fromIndex`). */
  get mark(): number {
    return this.recordCount;
  }

  /** Records of messages received (dir "in") that were accepted, optionally for one uid. */
  accepted(uid?: string): SeenRecord[] {
    return this.seen.filter((r) => r.dir === "in" && r.accepted && (uid === undefined || r.uid === uid));
  }

  /** Records of state messages published, optionally for one uid. */
  published(uid?: string): SeenRecord[] {
    return this.seen.filter((r) => r.dir === "out" && (uid === undefined || r.uid === uid));
  }

  /** Unsubscribes and disconnects cleanly; pending delayed publishes are dropped. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const [t, resolve] of this.timers) {
      clearTimeout(t);
      resolve();
    }
    this.timers.clear();
    // A QoS 1 publish made while the broker is down never completes: wait a
    // bounded time for what is in flight, then close without it.
    const settled = await Promise.race([
      Promise.allSettled([...this.inflight]).then(() => true),
      new Promise<boolean>((r) => setTimeout(() => r(false), CLOSE_WAIT_MS).unref()),
    ]);
    try {
      if (settled && this.client.connected) await this.client.unsubscribeAsync(this.topicFilter);
    } catch {
      // the broker may be gone; closing anyway
    }
    await this.client.endAsync(!settled || !this.client.connected);
  }

  // ------------------------------------------------------------- internals

  private need(uid: string): DeviceRecord {
    const d = this.devices.get(uid);
    if (!d) throw new Error(`no device ${uid} registered`);
    return d;
  }

  private refreshConnection(d: DeviceRecord): void {
    if (d.connected && d.lastSeenMs !== null && this.now() - d.lastSeenMs > this.offlineAfterMs) {
      d.connected = false;
      this.emit("connection", d.uid, false, this.now());
    }
  }

  private record(r: Omit<SeenRecord, "index" | "atMs">): SeenRecord {
    const rec: SeenRecord = { ...r, index: this.recordCount++, atMs: this.now() };
    this.seen.push(rec);
    // trimmed in chunks, so a long run does not pay O(n) per message
    if (this.seen.length > this.maxRecords + Math.ceil(this.maxRecords / 10)) this.seen.splice(0, this.seen.length - this.maxRecords);
    this.emit("message", rec);
    if (rec.dir === "in" && !rec.accepted && rec.reason !== "no-key" && rec.reason !== "will") this.emit("rejected", rec);
    return rec;
  }

  private onMessage(topic: string, buf: Buffer): void {
    if (this.closed) return;
    this.counters.received++;
    const payload = buf.toString("utf8");
    let parsed: unknown = null;
    const reject = (reason: SeenReason, uid: string | null = null): void => {
      this.record({ dir: "in", topic, payload, parsed, accepted: false, reason, uid });
    };

    // A will on a registered will topic (no key, any payload).
    const willOf = this.willTopics.has(topic) ? [...this.devices.values()].filter((d) => d.willTopic === topic) : [];
    try {
      parsed = JSON.parse(payload);
    } catch {
      parsed = null;
    }
    const obj = isObject(parsed) ? parsed : null;
    if (willOf.length > 0 && (obj === null || !("key" in obj))) {
      this.counters.wills++;
      for (const d of willOf) this.setConnected(d, false);
      this.record({ dir: "in", topic, payload, parsed, accepted: true, reason: "will", uid: willOf[0]?.uid ?? null });
      return;
    }
    if (parsed === null && payload.trim() !== "null") {
      this.counters.malformed++;
      return reject("malformed-json");
    }
    if (!obj) {
      this.counters.malformed++;
      return reject("not-an-object");
    }
    if (!("key" in obj)) {
      this.counters.ignoredNoKey++;
      return reject("no-key", typeof obj.uid === "string" ? obj.uid : null);
    }
    if (typeof obj.uid !== "string") {
      this.counters.authFailed++;
      return reject("no-uid");
    }
    const uid = obj.uid;
    const d = this.devices.get(uid);
    if (!d) {
      this.counters.authFailed++;
      return reject("unknown-uid", uid);
    }
    if (obj.key !== d.key) {
      this.counters.authFailed++;
      return reject("wrong-key", uid);
    }
    const cmd = obj.cmd;
    if (cmd !== undefined && cmd !== "on" && cmd !== "off" && cmd !== "get" && cmd !== "ping") {
      this.counters.badCommand++;
      return reject("bad-cmd", uid);
    }
    const level = valueOf(obj.level);
    const temperature = valueOf(obj.temperature);
    if (level === false || temperature === false) {
      this.counters.badValue++;
      return reject("bad-value", uid);
    }

    // Authenticated: act on it.
    this.counters.accepted++;
    const at = this.now();
    d.lastSeenMs = at;
    this.setConnected(d, true);
    this.record({ dir: "in", topic, payload, parsed, accepted: true, reason: "ok", uid });

    let publish: StatePublishedEvent["cause"] | null = null;
    if (level !== undefined || temperature !== undefined) {
      if (level !== undefined) d.level = level;
      if (temperature !== undefined) d.temperature = temperature;
      d.readings++;
      this.emit("reading", {
        uid,
        level: d.level,
        temperature: d.temperature,
        levelValue: level === undefined ? null : Number(level),
        temperatureValue: temperature === undefined ? null : Number(temperature),
        atMs: at,
      });
      publish = "reading";
    }
    if (cmd === "on" || cmd === "off") {
      d.commands++;
      const previous = d.cmd;
      d.cmd = cmd;
      this.emit("switch", { uid, cmd, previous, source: "device", atMs: at });
      publish = "cmd";
    } else if (cmd === "get") {
      d.gets++;
      publish = "get";
    } else if (cmd === "ping") {
      d.pings++;
      this.emit("ping", uid, at);
    }
    if (publish) void this.publishState(d, publish);
  }

  private setConnected(d: DeviceRecord, connected: boolean): void {
    if (d.connected === connected) return;
    d.connected = connected;
    this.emit("connection", d.uid, connected, this.now());
  }

  private publishState(d: DeviceRecord, cause: StatePublishedEvent["cause"]): Promise<void> {
    if (!d.publishEnabled || this.closed) return Promise.resolve();
    // The state is taken now; the delay models the platform's latency.
    const message = this.stateMessage(d.uid);
    const topic = d.downlinkTopic;
    const send = async (): Promise<void> => {
      if (this.closed) return;
      const payload = JSON.stringify(message);
      const sentWallMs = performance.timeOrigin + performance.now();
      try {
        await this.client.publishAsync(topic, payload, { qos: this.qos, retain: false });
      } catch (err) {
        this.counters.publishErrors++;
        if (this.listenerCount("error") > 0) this.emit("error", err instanceof Error ? err : new Error(String(err)));
        return;
      }
      this.counters.published++;
      d.statesPublished++;
      this.record({ dir: "out", topic, payload, parsed: message, accepted: true, reason: "published", uid: d.uid });
      this.emit("state", { uid: d.uid, topic, message, cause, atMs: this.now(), sentWallMs });
    };
    let p: Promise<void>;
    if (this.publishDelayMs > 0) {
      p = new Promise<void>((resolve) => {
        const t = setTimeout(() => {
          this.timers.delete(t);
          send().then(resolve, resolve);
        }, this.publishDelayMs);
        this.timers.set(t, resolve);
      });
    } else {
      p = send();
    }
    this.inflight.add(p);
    void p.finally(() => this.inflight.delete(p));
    return p;
  }
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** undefined when absent, false when of a wrong type, else the value as a string. */
function valueOf(v: unknown): string | undefined | false {
  if (v === undefined) return undefined;
  if (typeof v === "string") return v;
  if (typeof v === "number" && Number.isFinite(v)) return String(v);
  return false;
}
