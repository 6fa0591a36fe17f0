/**
 * The dashboard's wire format (WebSocket JSON messages and REST bodies),
 * shared by the server (sim/web/server.ts) and the page (web/src). Types only.
 *
 * Client → server:
 *   {type:"view", filter, status, page, pageSize}   which devices the page shows (server-side filter + paging)
 *   {type:"detail", uid|null}                       the device whose log / platform view is open
 *   {type:"switch", uid, on, id?}                   the mobile app's on/off (through the platform emulator)
 *   {type:"button", uid, id?}                       presses the device's push button
 *   {type:"speed", value, id?}                      virtual ms per real ms
 *
 * Server → client:
 *   hello     once: simulation info
 *   page      the current page: summaries of its devices, total and counts (sent when it changes)
 *   samples   chart points for devices on the page (full history on first sight, then increments)
 *   detail    the open device's summary (with its config the first time)
 *   log       the open device's message log (all kept entries on open, then increments)
 *   ack       reply to a command with an id
 */

/** Status filter of the grid. */
export type StatusFilter = "all" | "online" | "offline" | "pump-on" | "refused" | "bad-reading";

export interface DeviceSummary {
  uid: string;
  name: string;
  /** Virtual ms since the start. */
  timeMs: number;
  /** The firmware's level, % (null = unknown). */
  levelPct: number | null;
  /** The simulated tank's true level, %. */
  trueLevelPct: number;
  volumeL: number;
  capacityL: number;
  temperatureC: number | null;
  /** The firmware's relay state. */
  relayOn: boolean;
  /** MQTT connected (the device's own view). */
  online: boolean;
  connState: string;
  /** Reading quality name (docs/ABI.md). */
  quality: string;
  /** Name of the last refused pump request's reason ("NONE" if none yet). */
  lastRefusal: string;
  /** Pump requests refused so far. */
  refusals: number;
  /** Virtual ms of the last refusal seen (null = none). */
  lastRefusalAtMs: number | null;
  /** The last refusal came after the relay's last switch (the refused request is still "news"). */
  refusalActive: boolean;
  /** The last refusal in words ("Off refused: minimum on-time 10 s"), null = none (refusal.ts). */
  refusalText: string | null;
  /** Virtual ms from which the refused request will be allowed (timed rules), else null. */
  refusalAllowedAtMs: number | null;
  /** The condition under which it will be allowed ("when the level is below 95 %"), else null. */
  refusalAllowedWhen: string | null;
  /** Auto mode thresholds from the device config (null when auto is off / unset). */
  autoStartPct: number | null;
  autoStopPct: number | null;
  auto: boolean;
  publishes: number;
  relaySwitches: number;
  traps: number;
  platform: PlatformView | null;
}

/** What the iotBind platform (emulator) knows of the device. */
export interface PlatformView {
  /** Connection status as the platform tracks it. */
  connected: boolean;
  /** Last accepted message was authenticated (uid + key); false after a wrong key; null before any message. */
  authenticated: boolean | null;
  /** Messages accepted / refused (wrong key, bad value, ...) from this uid. */
  accepted: number;
  rejected: number;
  lastRejectReason: string | null;
  /** Virtual ms of the last authenticated message (null = never). */
  lastSeenMs: number | null;
  /** The switch state the platform holds (what the app shows). */
  cmd: "on" | "off";
  level: string | null;
  temperature: string | null;
  statesPublished: number;
}

export type LogKind = "uplink" | "downlink" | "rejected" | "relay" | "refusal" | "conn" | "app";

export interface LogEntry {
  /** Increasing per device. */
  seq: number;
  atMs: number;
  kind: LogKind;
  topic?: string;
  /** JSON text for uplink/downlink/rejected, a description otherwise. */
  text: string;
}

/** Chart series, column-wise; `t` in virtual seconds. */
export interface Samples {
  t: number[];
  /** The firmware's level, % (null = unknown). */
  level: (number | null)[];
  trueLevel: number[];
  /** Relay 1/0. */
  relay: number[];
  /** The platform's switch state 1/0 (what the app shows). */
  cmd: number[];
  /** The firmware's temperature, °C (null = unknown). */
  temp: (number | null)[];
}

export interface HelloMsg {
  type: "hello";
  version: 1;
  devices: number;
  speed: number | null;
  brokerUrl: string;
  sampleEveryMs: number;
  nowMs: number;
}

export interface PageMsg {
  type: "page";
  nowMs: number;
  /** The requested speed (virtual ms per real ms; null = as fast as possible). */
  speed: number | null;
  /** The speed achieved over the last seconds (virtual ms per real ms), null until measured. */
  achievedSpeed: number | null;
  /** The MQTT broker is up (null = unknown). */
  brokerUp: boolean | null;
  filter: string;
  status: StatusFilter;
  page: number;
  pageSize: number;
  /** Devices matching the filter. */
  total: number;
  /** Fleet-wide counts. */
  counts: { all: number; online: number; pumpOn: number; refused: number; badReading: number };
  devices: DeviceSummary[];
}

export interface SamplesMsg {
  type: "samples";
  uid: string;
  /** true: replaces the chart's data; false: appends. */
  reset: boolean;
  samples: Samples;
}

export interface DetailMsg {
  type: "detail";
  uid: string;
  device: DeviceSummary;
  /** The firmware config (only in the first message after opening; the key is masked). */
  config?: Record<string, string | number | boolean>;
}

export interface LogMsg {
  type: "log";
  uid: string;
  /** true: replaces the log (first message after opening); false: appends. */
  reset: boolean;
  entries: LogEntry[];
}

export interface AckMsg {
  type: "ack";
  id: number;
  ok: boolean;
  error?: string;
}

export type ServerMsg = HelloMsg | PageMsg | SamplesMsg | DetailMsg | LogMsg | AckMsg;

export type ClientMsg =
  | { type: "view"; filter: string; status: StatusFilter; page: number; pageSize: number }
  | { type: "detail"; uid: string | null }
  | { type: "switch"; uid: string; on: boolean; id?: number }
  | { type: "button"; uid: string; id?: number }
  | { type: "speed"; value: number; id?: number };
