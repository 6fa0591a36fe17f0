/**
 * The three fuzzers of docs/RELIABILITY.md. Each runs `count` inputs from a
 * seed against ONE firmware instance (re-created only after a failure), and
 * checks every input against the invariants: no trap, no panic, one page of
 * memory with nothing written above the statics and the read-only data
 * intact, the relay moved only by a valid command, and the client back to
 * CONNECTED (within its backoff bound) after whatever the input did.
 */
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { Rng, caseSeed, toHex, fromHex } from "./rng.js";
import { FirmwareRig, Problem, loadFirmwareSync, defaultHardware, FakeLink, type Firmware } from "./rig.js";
import { concat, connack, packet, pingresp, puback, publish, remLen, splitFrames, suback, unsuback, parsePublishFrame } from "./mqtt-bytes.js";
import { allowedRelayStates, jsonNumber, jsonObject, jsonString, jsonValue, mutate, ws } from "./mutate.js";
import { VirtualClock } from "../../clock.js";
import { encodeConfig } from "../../config-binary.js";
import { CONFIG_FORMAT, CONFIG_MAX_BYTES, CONFIG_SCHEMA, CONFIG_WORDS } from "../../device-config.js";

export type FuzzerName = "mqtt" | "json" | "config";
export const FUZZERS: readonly FuzzerName[] = ["mqtt", "json", "config"];

/** A saved failure: regenerable from (seed, index), replayable from `input` (+ `chunks`). */
export interface FuzzCase {
  fuzzer: FuzzerName;
  seed: number;
  index: number;
  /** Input bytes, hex. */
  input: string;
  /** Delivery plan: sizes of the chunks the bytes arrive in (mqtt, json). */
  chunks?: number[];
  /** Max bytes per sock_recv for this input. */
  recvMax?: number;
  /** QoS of the PUBLISH carrying the payload (json). */
  qos?: number;
  problem?: string;
  firmwareSha256?: string;
  /** The firmware's last log lines before the failure. */
  logs?: string[];
}

export interface FuzzStats {
  fuzzer: FuzzerName;
  seed: number;
  inputs: number;
  traps: number;
  memoryProblems: number;
  failures: FuzzCase[];
  /** Inputs after which the client had to reconnect (violation, refusal, close). */
  reconnects: number;
  /** Disconnects for PROTOCOL_VIOLATION. */
  violations: number;
  /** Largest reconnect time after a violation, virtual ms (bound: the backoff cap). */
  maxReconnectMs: number;
  relayChanges: number;
  /** Config fuzzer: init results by code. */
  initCodes: Record<string, number>;
  memoryBytes: number;
  ms: number;
}

export const FUZZ_UID = "tank-fz-01";
export const FUZZ_KEY = "key-fz-01";
export const DOWNLINK = "devices/tank-fz-01/state";
export const UPLINK = "iotbind/tank/tank-fz-01";
export const BACKOFF_BASE_MS = 100;
export const BACKOFF_CAP_MS = 400;

export const FUZZ_CONFIG: Record<string, unknown> = {
  uid: FUZZ_UID, key: FUZZ_KEY, broker_host: "broker.fuzz", broker_port: 1883,
  uplink_topic: UPLINK, downlink_topic: DOWNLINK,
  sensor: "hc-sr04", trig_pin: 5, echo_pin: 18, relay_pin: 26,
  temperature: "fixed", temperature_c: 20, empty_distance_mm: 1100, full_distance_mm: 100,
  reading_interval_ms: 10000, stale_ms: 3600000, min_interval_s: 0, min_on_s: 0, min_off_s: 0, max_run_s: 86400,
  mqtt_keepalive_s: 60, mqtt_backoff_base_ms: BACKOFF_BASE_MS, mqtt_backoff_cap_ms: BACKOFF_CAP_MS, mqtt_stable_ms: 1000,
};

export function firmwareSha(fw: Firmware): string {
  return createHash("sha256").update(readFileSync(fw.path)).digest("hex").slice(0, 16);
}

function emptyStats(fuzzer: FuzzerName, seed: number): FuzzStats {
  return { fuzzer, seed, inputs: 0, traps: 0, memoryProblems: 0, failures: [], reconnects: 0, violations: 0, maxReconnectMs: 0, relayChanges: 0, initCodes: {}, memoryBytes: 0, ms: 0 };
}

// ------------------------------------------------------------------ the connected session (mqtt + json)

/** A firmware instance connected to the scripted peer, ready for one input. */
export class Session {
  rig: FirmwareRig;
  constructor(readonly fw: Firmware, readonly seed: number) {
    this.rig = new FirmwareRig({ firmware: fw, config: FUZZ_CONFIG, seed });
    this.rig.keepLogs = true;
    if (this.rig.initStatus !== 0) throw new Error(`fuzz config refused: ${this.rig.initError}`);
    this.reconnect();
    // First reading, so the pump rules know the level.
    this.rig.runUntil(() => this.rig.x.level_permille() >= 0, 30000);
  }

  /** Back to CONNECTED with the auto peer; returns virtual ms taken. */
  reconnect(): number {
    const r = this.rig;
    r.link.peerAuto = true;
    r.link.blackHole = false;
    r.link.recvMax = Infinity;
    const t0 = r.clock.now();
    const bound = BACKOFF_CAP_MS + 1500;
    if (!r.runUntil(() => r.state === 4 && r.link.open && !r.link.peerClosed, bound, 20)) {
      throw new Problem("reconnect", `not CONNECTED ${bound} ms after the input (state ${r.state}, last disconnect ${r.x.last_disconnect()})`);
    }
    return r.clock.now() - t0;
  }

  /**
   * Delivers `bytes` in `chunks` on the current connection (stops when the
   * firmware closes it), then checks the invariants. Returns whether the
   * connection was lost and the relay change.
   */
  deliver(bytes: Uint8Array, chunks: number[], recvMax: number): { closed: boolean; closedAt: number; relayBefore: boolean } {
    const r = this.rig;
    r.link.peerAuto = false;
    r.link.recvMax = recvMax;
    const conn = r.link.conn;
    const relayBefore = r.relay;
    let off = 0;
    let closed = false;
    let closedAt = -1;
    for (const c of chunks) {
      if (off >= bytes.length) break;
      r.link.push(bytes.subarray(off, off + c));
      off += c;
      // Tick until the firmware has taken the chunk (sock_recv may hand out 1 byte at a time).
      for (let k = 0; k < 10000; k++) {
        r.advance(1);
        if (!r.link.open || r.link.conn !== conn) { closed = true; closedAt = r.clock.now(); break; }
        if (r.link.queued === 0) break;
      }
      if (closed) break;
    }
    if (!closed) {
      r.advance(1);
      r.advance(1);
      if (!r.link.open || r.link.conn !== conn) { closed = true; closedAt = r.clock.now(); }
    }
    r.checkMemory();
    return { closed, closedAt, relayBefore };
  }
}

function planChunks(rng: Rng, len: number): number[] {
  const chunks: number[] = [];
  let left = len;
  const mode = rng.int(0, 3);
  while (left > 0) {
    const c = mode === 0 ? left : mode === 1 ? 1 : rng.int(1, Math.max(1, Math.min(left, mode === 2 ? 8 : 200)));
    chunks.push(Math.min(c, left));
    left -= c;
  }
  return chunks;
}

// ------------------------------------------------------------------ mqtt stream fuzzer

const DOC_STATE = (uid: string, cmd: string): string =>
  `{"uid":"${uid}","name":"DeviceName","type":"Water Level","cmd":"${cmd}","level":"67","level_unit":"%","temperature":"21","temperature_unit":"C"}`;

/** Valid inbound packets (after CONNACK+SUBACK) to build streams from. */
function mqttPieces(rng: Rng): Uint8Array {
  const id = rng.chance(0.1) ? 0 : rng.int(1, 65535);
  switch (rng.int(0, 13)) {
    case 0: return publish(DOWNLINK, DOC_STATE(FUZZ_UID, rng.pick(["on", "off"])), rng.int(0, 1), id, rng.chance(0.2) ? 1 : 0);
    case 1: return publish(DOWNLINK, DOC_STATE("other-tank", "on"), rng.int(0, 1), id);
    case 2: return publish(DOWNLINK, `{"uid":"${FUZZ_UID}","key":"${FUZZ_KEY}","cmd":"on"}`, 1, id);
    case 3: return publish(rng.pick([DOWNLINK, "other/topic", "", "a/+/b", "\u0000"]), rng.bytes(rng.size(64)), rng.int(0, 1), id, rng.chance(0.2) ? 1 : 0);
    case 4: return puback(id);
    case 5: return pingresp();
    case 6: return suback(id, rng.pick([0, 1, 2, 0x80, 3]));
    case 7: return unsuback(id);
    case 8: return connack(rng.int(0, 6), rng.int(0, 1));
    case 9: return publish(DOWNLINK, new Uint8Array(rng.int(900, 3000)).fill(0x20), rng.int(0, 1), id); // oversize: skipped
    case 10: return packet(rng.int(0, 15) << 4 | rng.int(0, 15), rng.bytes(rng.size(20)));             // any type, any flags
    case 11: return concat([new Uint8Array([0x30]), new Uint8Array([0xff, 0xff, 0xff, 0xff, 0x7f])]);    // 5-byte length
    case 12: return publish(DOWNLINK, DOC_STATE(FUZZ_UID, "off"), 3, id);                                  // QoS 3
    default: {
      const rl = remLen(rng.size(300));
      return concat([new Uint8Array([rng.pick([0x30, 0x32, 0x40, 0x90, 0xb0, 0xd0])]), new Uint8Array(rl), rng.bytes(rng.size(40))]);
    }
  }
}

export function genMqttInput(rng: Rng): Uint8Array {
  const k = rng.int(0, 9);
  if (k === 0) return rng.bytes(rng.int(1, rng.chance(0.1) ? 2000 : 64));
  const parts: Uint8Array[] = [];
  const n = rng.int(1, 5);
  for (let i = 0; i < n; i++) parts.push(mqttPieces(rng));
  const valid = concat(parts);
  return k < 4 ? valid : mutate(rng, valid, 4, [], 4096);
}

/** Relay states the inbound stream may ask for (PUBLISH frames on the downlink topic, framed as the firmware frames them). */
function allowedFromStream(bytes: Uint8Array): Set<boolean> {
  const out = new Set<boolean>();
  const { frames } = splitFrames(bytes);
  for (const f of frames) {
    const p = parsePublishFrame(f);
    if (!p || p.topic !== DOWNLINK) continue;
    // A retained "on" never turns the pump on (docs/PROTOCOL-IMPL.md): only a retained "off" may act.
    for (const s of allowedRelayStates(p.payload, FUZZ_UID)) if (!(s && (f.flags & 1) !== 0)) out.add(s);
  }
  return out;
}

function mqttOne(s: Session, input: Uint8Array, chunks: number[], recvMax: number, stats: FuzzStats): void {
  const r = s.rig;
  const before = r.counter(16 + 9);
  const d = s.deliver(input, chunks, recvMax);
  checkRelay(r, d.relayBefore, () => allowedFromStream(input), stats);
  if (d.closed) {
    stats.reconnects++;
    const violated = r.counter(16 + 9) > before;
    if (violated) stats.violations++;
    r.link.peerAuto = true;
    const attemptsBefore = r.link.connects.length;
    const took = s.reconnect();
    // The first new attempt must come within the backoff bound after the close.
    const attempt = r.link.connects[attemptsBefore];
    if (attempt) {
      const wait = ((attempt.at - (Math.floor(d.closedAt) >>> 0)) >>> 0);
      if (wait > BACKOFF_CAP_MS + 5) throw new Problem("reconnect", `first reconnect attempt ${wait} ms after the close (cap ${BACKOFF_CAP_MS})`);
      if (violated) stats.maxReconnectMs = Math.max(stats.maxReconnectMs, took);
    }
  } else {
    // Clean start for the next input: the peer closes this connection.
    r.link.closeByPeer();
    s.reconnect();
  }
  relayOff(r);
}

/** The relay oracle: a change must be asked for by a valid command in the input. */
function checkRelay(r: FirmwareRig, before: boolean, allowed: () => Set<boolean>, stats: FuzzStats): void {
  const after = r.relay;
  if (after === before) return;
  stats.relayChanges++;
  if (!allowed().has(after)) throw new Problem("relay", `relay went ${after ? "on" : "off"} without a valid "${after ? "on" : "off"}" command for our uid in the input`);
}

/** Relay off again through a valid command (not part of any checked input); needs a connection. */
function relayOff(r: FirmwareRig): void {
  if (!r.relay) return;
  r.link.peerAuto = true;
  r.link.push(publish(DOWNLINK, DOC_STATE(FUZZ_UID, "off"), 0));
  if (!r.runUntil(() => !r.relay, 2000, 5)) throw new Problem("relay", "a valid \"off\" did not switch the relay off within 2 s");
}

// ------------------------------------------------------------------ downlink JSON fuzzer

export const DOC_EXAMPLES = [
  DOC_STATE(FUZZ_UID, "on"), DOC_STATE(FUZZ_UID, "off"), DOC_STATE("UniqueID", "on"),
  `{"uid":"${FUZZ_UID}","key":"${FUZZ_KEY}","cmd":"on"}`,
  `{"uid":"${FUZZ_UID}","key":"${FUZZ_KEY}","level":"67","temperature":"21"}`,
  `{"uid":"${FUZZ_UID}","key":"${FUZZ_KEY}","cmd":"on","level":"67","temperature":"21"}`,
  `{"uid":"${FUZZ_UID}","key":"${FUZZ_KEY}","cmd":"get"}`,
  `{"uid":"${FUZZ_UID}","key":"${FUZZ_KEY}","cmd":"ping"}`,
  `{"uid":"${FUZZ_UID}","cmd":"on"}`, `{"uid":"${FUZZ_UID}","cmd":"off"}`,
  `{"cmd":"on","uid":"${FUZZ_UID}","level":67,"temperature":21.5}`,
  ` { "uid" : "${FUZZ_UID}" , "cmd" : "on" } `,
  `{"uid":"\\u0074ank-fz-01","cmd":"o\\u006e"}`,
].map((s) => new TextEncoder().encode(s));

export function genJsonPayload(rng: Rng): Uint8Array {
  const k = rng.int(0, 9);
  const enc = new TextEncoder();
  if (k <= 3) return mutate(rng, rng.pick(DOC_EXAMPLES), 5, DOC_EXAMPLES, 3000);
  if (k <= 7) {
    const members: [string, string][] = [];
    const uidV = rng.pick([jsonString(rng, FUZZ_UID), jsonString(rng, FUZZ_UID), jsonString(rng, "other"), jsonValue(rng), jsonString(rng, FUZZ_UID + " ")]);
    if (rng.chance(0.9)) members.push(["uid", uidV]);
    if (rng.chance(0.15)) members.push(["key", jsonString(rng, FUZZ_KEY)]);
    if (rng.chance(0.8)) members.push(["cmd", rng.chance(0.8) ? jsonString(rng, rng.pick(["on", "off", "get", "ping", "ON", "of", "onn", ""])) : jsonValue(rng)]);
    for (const m of ["name", "type", "level", "level_unit", "temperature", "temperature_unit"]) {
      if (rng.chance(0.4)) members.push([m, rng.chance(0.5) ? jsonString(rng, m === "level" || m === "temperature" ? jsonNumber(rng) : "x") : jsonValue(rng)]);
    }
    for (let i = rng.size(4); i > 0; i--) members.push([rng.pick(["uid", "cmd", "x", "Uid", "uid\u0000", "key"]), jsonValue(rng)]);
    // shuffle
    for (let i = members.length - 1; i > 0; i--) { const j = rng.int(0, i); const t = members[i]!; members[i] = members[j]!; members[j] = t; }
    const text = jsonObject(rng, members);
    return k === 7 ? mutate(rng, enc.encode(text), 2, DOC_EXAMPLES, 3000) : enc.encode(text);
  }
  if (k === 8) return enc.encode(ws(rng) + jsonValue(rng) + ws(rng));
  // deep nesting / huge inputs
  const depth = rng.int(10, 2000);
  const open = rng.pick(["[", "{\"a\":", "[{\"uid\":"]);
  return enc.encode(`{"uid":"${FUZZ_UID}","cmd":"on","x":${open.repeat(depth)}1`);
}

function jsonOne(s: Session, payload: Uint8Array, qos: number, id: number, chunks: number[] | null, recvMax: number, stats: FuzzStats): number[] {
  const r = s.rig;
  const pkt = publish(DOWNLINK, payload, qos, id, 0);
  const plan = chunks ?? [pkt.length];
  const acksBefore = countPubacks(r.link, id);
  const d = s.deliver(pkt, plan, recvMax);
  if (d.closed) throw new Problem("protocol", `a well-formed PUBLISH (QoS ${qos}, ${payload.length} payload bytes) closed the connection (reason ${r.x.last_disconnect()})`);
  if (r.state !== 4) throw new Problem("protocol", `state ${r.state} after a well-formed PUBLISH`);
  if (qos === 1 && countPubacks(r.link, id) !== acksBefore + 1) throw new Problem("protocol", `no PUBACK for QoS 1 packet id ${id}`);
  checkRelay(r, d.relayBefore, () => allowedRelayStates(payload, FUZZ_UID), stats);
  relayOff(r);
  return plan;
}

function countPubacks(link: FakeLink, id: number): number {
  return link.pubacks.get(id) ?? 0;
}

// ------------------------------------------------------------------ config fuzzer

const CONFIG_SEEDS: Record<string, unknown>[] = [
  FUZZ_CONFIG,
  { uid: "u", key: "k", broker_host: "h", uplink_topic: "iotbind/tank/u", downlink_topic: "d", sensor: "hc-sr04", trig_pin: 5, echo_pin: 18, empty_distance_mm: 1100, full_distance_mm: 100 },
  { ...FUZZ_CONFIG, sensor: "a02yyuw", uart_port: 2, trig_pin: -1, echo_pin: -1, broker_user: "tank", broker_password: "pw", will_topic: "iotbind/tank/lwt", will_payload: "offline", will_qos: 1, will_retain: true },
  { ...FUZZ_CONFIG, sensor: "maxbotix", adc_channel: 6, adc_bits: 12, adc_ref_mv: 3300, analog_mm_per_v: 1551, relay_active_high: false, tank_shape: "rectangular", tank_length_mm: 2000, tank_width_mm: 1000, pump_mode: "drain", auto: true, auto_start_pct: 80, auto_stop_pct: 20 },
  { ...FUZZ_CONFIG, temperature: "ntc", ntc_channel: 7, button_pin: 0, power_on: "last", json_numbers: true, level_decimals: 2, client_id: "iotbind-abcdefghi", tank_shape: "horizontal_cylinder" },
];
const CONFIG_SEED_BYTES = CONFIG_SEEDS.map((c) => new TextEncoder().encode(JSON.stringify(c)));

const MEMBER_NAMES = [...new Set(CONFIG_SEEDS.flatMap((c) => Object.keys(c)))];

/**
 * A config input. Half are JSON (the host's side: the encoder refuses JSON
 * mistakes, the firmware the rest), half binary configs straight into init
 * (the firmware's side: records replaced by random ones, values at and just
 * past every member's range, bad UTF-8, duplicates, unknown indexes,
 * truncation, byte mutations, oversize).
 */
export function genConfig(rng: Rng): Uint8Array {
  return rng.chance(0.5) ? genConfigJson(rng) : genConfigBinary(rng);
}

function genConfigJson(rng: Rng): Uint8Array {
  const k = rng.int(0, 9);
  const base = rng.int(0, CONFIG_SEEDS.length - 1);
  if (k <= 4) return mutate(rng, CONFIG_SEED_BYTES[base]!, 5, CONFIG_SEED_BYTES, 4096);
  // structural: drop / retype / duplicate / add members
  const entries: [string, string][] = Object.entries(CONFIG_SEEDS[base]!).map(([key, v]) => [key, JSON.stringify(v)]);
  const ops = rng.int(1, 4);
  for (let i = 0; i < ops; i++) {
    const j = rng.int(0, entries.length - 1);
    switch (rng.int(0, 6)) {
      case 6: entries.push(entries[j]!); break; // the same member twice: refused
      case 0: entries.splice(j, 1); break;
      case 1: entries[j] = [entries[j]![0], jsonValue(rng)]; break;
      case 2: entries[j] = [entries[j]![0], jsonNumber(rng)]; break;
      case 3: entries.push([rng.pick(MEMBER_NAMES), jsonValue(rng)]); break;
      case 4: entries.push([rng.chance(0.5) ? "x" + rng.int(0, 99) : rng.pick(MEMBER_NAMES).toUpperCase(), jsonValue(rng)]); break;
      default: entries[j] = [entries[j]![0], jsonString(rng, "x".repeat(rng.pick([0, 1, 23, 24, 63, 64, 65, 95, 96, 97, 300])))]; break;
    }
  }
  const text = jsonObject(rng, entries);
  if (k === 9) return new TextEncoder().encode(text + " ".repeat(rng.int(0, 2100)));
  return new TextEncoder().encode(k === 8 ? new TextDecoder().decode(mutate(rng, new TextEncoder().encode(text), 2)) : text);
}

const CONFIG_SEED_BINS = CONFIG_SEEDS.map((c) => encodeConfig(c));
const isStringMember = (i: number): boolean => CONFIG_SCHEMA[i]!.kind === "string" || CONFIG_SCHEMA[i]!.kind === "topic";

/** The records of a well-formed binary config. */
function binRecords(b: Uint8Array): number[][] {
  const out: number[][] = [];
  for (let p = 1; p < b.length;) {
    const n = isStringMember(b[p]!) ? 2 + b[p + 1]! : 5;
    out.push([...b.subarray(p, p + n)]);
    p += n;
  }
  return out;
}

/** The binary range of member i (tenths, word index, 0/1), as the firmware checks it. */
function binRange(i: number): [number, number] {
  const m = CONFIG_SCHEMA[i]!;
  if (m.kind === "bool") return [0, 1];
  if (m.kind === "word") return [0, (CONFIG_WORDS as Record<string, readonly string[]>)[m.words!]!.length - 1];
  const t = m.kind === "scaled" ? 10 : 1;
  return [m.min! * t, m.max! * t];
}

function randomRecord(rng: Rng): number[] {
  const i = rng.chance(0.05) ? rng.int(CONFIG_SCHEMA.length, 255) : rng.int(0, CONFIG_SCHEMA.length - 1);
  if (i < CONFIG_SCHEMA.length && isStringMember(i)) {
    const m = CONFIG_SCHEMA[i]!;
    const len = rng.pick([0, 1, m.min ?? 0, m.max ?? 0, (m.max ?? 0) + 1, rng.int(0, 255)]);
    const bytes = Array.from({ length: len }, () => (rng.chance(0.9) ? rng.int(0x30, 0x7a) : rng.pick([0, 0x23, 0x2b, 0x80, 0xc0, 0xe2, 0xed, 0xf4, 0xff])));
    return [i, len & 255, ...bytes.slice(0, len & 255)];
  }
  let v: number;
  if (i < CONFIG_SCHEMA.length && rng.chance(0.7)) {
    const [lo, hi] = binRange(i);
    v = (rng.chance(0.5) ? lo : hi) + rng.int(-1, 1);
  } else v = rng.int(-0x80000000, 0x7fffffff);
  return [i, v & 255, (v >>> 8) & 255, (v >>> 16) & 255, (v >>> 24) & 255];
}

function genConfigBinary(rng: Rng): Uint8Array {
  const recs = binRecords(CONFIG_SEED_BINS[rng.int(0, CONFIG_SEED_BINS.length - 1)]!);
  const k = rng.int(0, 9);
  if (k === 0) return Uint8Array.from([0xc2, ...recs.flat()]); // a valid one, as is
  const ops = rng.int(1, 3);
  for (let i = 0; i < ops; i++) {
    const j = rng.int(0, recs.length - 1);
    switch (rng.int(0, 4)) {
      case 0: recs.splice(j, 1); break;
      case 1: recs.push(recs[j]!); break; // duplicate
      case 2: recs.push(randomRecord(rng)); break;
      default: recs[j] = randomRecord(rng); break;
    }
  }
  let b: Uint8Array = Uint8Array.from([0xc2, ...recs.flat()]);
  if (k === 1) b = b.subarray(0, rng.int(1, b.length)); // truncated
  else if (k === 2) b = mutate(rng, b, 3);
  else if (k === 3) b = Uint8Array.from([...b, ...Array.from({ length: CONFIG_MAX_BYTES + 1 - b.length + rng.int(0, 8) }, () => rng.int(0, 255))]); // past config_cap
  if (b.length === 0 || (k === 2 && b[0] !== 0xc2 && rng.chance(0.5))) b = Uint8Array.from([0xc2, ...b.subarray(1)]);
  return b;
}

/** The only hal imports a refused config may call (no GPIO, UART, ADC, KV, socket). */
export const CALLS_ALLOWED_WHEN_REFUSED: ReadonlySet<string> = new Set(["log"]);

class ConfigBench {
  readonly clock = new VirtualClock(5_000_000);
  readonly link = new FakeLink();
  readonly hw = defaultHardware(FUZZ_CONFIG, this.clock, 7);
  rig: FirmwareRig | null = null;
  constructor(readonly fw: Firmware) {}

  run(bytes: Uint8Array, stats: FuzzStats): void {
    const connectsBefore = this.link.connects.length;
    const rig = new FirmwareRig({ firmware: this.fw, config: {}, configBytes: bytes, clock: this.clock, hardware: this.hw, link: this.link });
    rig.keepLogs = true;
    this.rig = rig;
    const rc = rig.initStatus;
    stats.initCodes[String(rc)] = (stats.initCodes[String(rc)] ?? 0) + 1;
    rig.checkMemory();
    if (![0, -1, -2, -3, -5].includes(rc)) throw new Problem("init", `init returned ${rc}`);
    const binary = bytes[0] === CONFIG_FORMAT;
    if (binary) {
      if (bytes.length > rig.x.config_cap() && rc !== -1) throw new Problem("init", `${bytes.length} bytes accepted past config_cap (rc ${rc})`);
      if (rig.encoderRefused) throw new Problem("init", "a binary config went through the JSON encoder");
    } else {
      let jsonOk = true;
      try { JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes)); } catch { jsonOk = false; }
      if (!jsonOk && rc === 0) throw new Problem("init", "init accepted a config that is not well-formed JSON");
      if (!jsonOk && !rig.encoderRefused) throw new Problem("init", "the host's encoder passed text that is not JSON");
    }
    if (rc < 0) {
      if (rc !== -5 && (rig.encoderRefused ? rig.initError === "" : rig.x.error_len() <= 0)) throw new Problem("init", `init failed (${rc}) without an error text`);
      if (rig.relay) throw new Problem("relay", `relay on after a refused config (${rc})`);
      rig.advance(10);
      rig.advance(1000);
      if (this.link.connects.length !== connectsBefore) throw new Problem("init", `socket opened after a refused config (${rc})`);
      if (rc !== -5) {
        // A refused config touches no hardware at all, not even to drive the relay "off" with a pin
        // and polarity that were never validated: init, ticks and shutdown call nothing but `log`.
        rig.x.shutdown(rig.nowMs());
        const touched = rig.halCalls.filter((n) => !CALLS_ALLOWED_WHEN_REFUSED.has(n));
        if (touched.length) throw new Problem("init", `refused config (${rc}) made hal calls: ${[...new Set(touched)].join(", ")}`);
      }
    } else {
      for (let i = 0; i < 3; i++) rig.advance(50);
      if (this.link.connects.length === connectsBefore) throw new Problem("init", "accepted config but no connect attempt");
      if (rig.x.init(1) !== -4) throw new Problem("init", "second init not refused with ALREADY_CALLED");
      rig.x.shutdown(rig.nowMs());
    }
    rig.checkMemory();
  }
}

// ------------------------------------------------------------------ runners

export interface RunOptions {
  firmware?: Firmware;
  /** Called for each failure (e.g. to save it). */
  onFailure?: (c: FuzzCase) => void;
  /** Stop after this many failures (default 20). */
  maxFailures?: number;
  /** Progress callback every `progressEvery` inputs. */
  onProgress?: (s: FuzzStats) => void;
  progressEvery?: number;
}

export function runFuzzer(name: FuzzerName, seed: number, count: number, o: RunOptions = {}): FuzzStats {
  const fw = o.firmware ?? loadFirmwareSync();
  const sha = firmwareSha(fw);
  const stats = emptyStats(name, seed);
  const t0 = performance.now();
  let session: Session | null = null;
  let bench: ConfigBench | null = null;
  const fail = (c: FuzzCase, e: unknown): void => {
    if (!(e instanceof Problem)) throw e;
    if (e.kind === "trap") stats.traps++;
    if (e.kind === "memory") stats.memoryProblems++;
    c.problem = e.message;
    c.firmwareSha256 = sha;
    const logs = session?.rig.lastLogs ?? bench?.rig?.lastLogs;
    if (logs?.length) c.logs = logs.slice(-12);
    stats.failures.push(c);
    o.onFailure?.(c);
    session = null; // fresh instance after a failure
    bench = null;
  };
  for (let i = 0; i < count; i++) {
    if (stats.failures.length >= (o.maxFailures ?? 20)) break;
    const rng = new Rng(caseSeed(seed, i));
    stats.inputs++;
    if (name === "config") {
      const bytes = genConfig(rng);
      bench ??= new ConfigBench(fw);
      try { bench.run(bytes, stats); } catch (e) { fail({ fuzzer: name, seed, index: i, input: toHex(bytes) }, e); }
      if (bench?.rig) stats.memoryBytes = Math.max(stats.memoryBytes, bench.rig.memory.buffer.byteLength);
    } else {
      let bytes: Uint8Array;
      let chunks: number[];
      let qos = 0;
      let id = 0;
      if (name === "mqtt") {
        bytes = genMqttInput(rng);
        chunks = planChunks(rng, bytes.length);
      } else {
        bytes = genJsonPayload(rng);
        qos = rng.int(0, 1);
        id = rng.int(1, 65535);
        const pktLen = publish(DOWNLINK, bytes, qos, id).length;
        chunks = planChunks(rng, pktLen);
      }
      const recvMax = rng.chance(0.2) ? rng.int(1, 16) : 1 << 30;
      try {
        session ??= new Session(fw, seed);
        if (name === "mqtt") mqttOne(session, bytes, chunks, recvMax, stats);
        else jsonOne(session, bytes, qos, id, chunks, recvMax, stats);
        stats.memoryBytes = Math.max(stats.memoryBytes, session.rig.memory.buffer.byteLength);
      } catch (e) {
        fail({ fuzzer: name, seed, index: i, input: toHex(bytes), chunks, recvMax, ...(name === "json" ? { qos, id } : {}) } as FuzzCase, e);
      }
    }
    if (o.onProgress && o.progressEvery && (i + 1) % o.progressEvery === 0) { stats.ms = performance.now() - t0; o.onProgress(stats); }
  }
  stats.ms = performance.now() - t0;
  return stats;
}

/** Replays a saved case on a fresh instance; returns the problem text, or null when the case passes now. */
export function replayCase(c: FuzzCase & { id?: number }, fw: Firmware = loadFirmwareSync()): string | null {
  const bytes = fromHex(c.input);
  const stats = emptyStats(c.fuzzer, c.seed);
  try {
    if (c.fuzzer === "config") {
      new ConfigBench(fw).run(bytes, stats);
    } else {
      const s = new Session(fw, c.seed);
      const chunks = c.chunks ?? [Number.MAX_SAFE_INTEGER];
      if (c.fuzzer === "mqtt") mqttOne(s, bytes, chunks, c.recvMax ?? 1 << 30, stats);
      else jsonOne(s, bytes, c.qos ?? 0, c.id ?? 1, chunks, c.recvMax ?? 1 << 30, stats);
    }
    return null;
  } catch (e) {
    if (e instanceof Problem) return e.message;
    throw e;
  }
}

