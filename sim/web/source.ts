/**
 * What the dashboard needs from a running simulation, as a small interface
 * (`DashboardSource`), and its implementation on top of `Simulation`
 * (`simulationSource`). The server (server.ts) and the model (model.ts) only
 * see this interface, so they can be tested against a fake.
 */
import type { ConnEvent, DeviceSnapshot, PlatformEvent, PublishEvent, RelayEvent, Simulation } from "../simulation.js";
import type { SeenRecord } from "../platform/emulator.js";
import { Counter, REFUSAL_NAMES } from "../host/abi.js";

/** A device's state as the simulation sees it: the part of `DeviceSnapshot` the dashboard uses. */
export type SourceSnapshot = Pick<DeviceSnapshot,
  "uid" | "name" | "timeMs" | "levelPct" | "trueLevelPct" | "volumeL" | "capacityL" | "temperatureC" |
  "relayOn" | "online" | "connState" | "quality" | "publishes" | "relaySwitches" | "traps">;

/** The platform emulator's record of a device. */
export interface SourcePlatformRecord {
  connected: boolean;
  lastSeenMs: number | null;
  cmd: "on" | "off";
  level: string | null;
  temperature: string | null;
  statesPublished: number;
}

export type SourceEvent =
  /** The device published (uplink). */
  | { kind: "uplink"; uid: string; topic: string; payload: string; atMs: number }
  /** The platform published the device's state to its downlink topic. */
  | { kind: "downlink"; uid: string; topic: string; payload: string; atMs: number; cause: string }
  /** The platform received a message (accepted or refused: wrong key, bad value, ...). */
  | { kind: "platform-in"; uid: string | null; topic: string; payload: string; accepted: boolean; reason: string; atMs: number }
  | { kind: "relay"; uid: string; on: boolean; atMs: number }
  | { kind: "conn"; uid: string; state: string; atMs: number; /** why the connection ended, in words (when backing off) */ reason?: string }
  /** The platform's switch state changed: by the mobile app (dashboard or anyone calling setSwitch) or by the device's report. */
  | { kind: "platform-switch"; uid: string; cmd: "on" | "off"; source: "app" | "device"; atMs: number }
  | { kind: "stopped" };

export interface DashboardSource {
  readonly brokerUrl: string;
  /** Virtual ms since the start. */
  now(): number;
  /** Virtual ms per real ms, null when unknown. */
  getSpeed(): number | null;
  setSpeed?(v: number): void;
  /** Whether the MQTT broker is up (false during an outage); optional. */
  brokerUp?(): boolean;
  uids(): readonly string[];
  snapshot(uid: string): SourceSnapshot;
  config(uid: string): Record<string, string | number | boolean>;
  /** Pump requests refused so far and the last reason's name. */
  refusals(uid: string): { count: number; last: string };
  platform(uid: string): SourcePlatformRecord | null;
  subscribe(fn: (e: SourceEvent) => void): () => void;
  /** Calls fn every `ms` of virtual time (while the simulation runs); returns a cancel function. */
  every(ms: number, fn: () => void): () => void;
  /** The mobile app's on/off, through the platform emulator. */
  setSwitch(uid: string, on: boolean): Promise<void>;
  pressButton(uid: string): void;
  /** Detaches from the simulation (optional). */
  close?(): void;
}

const REFUSAL_IDS = Array.from({ length: 15 }, (_, i) => Counter.PUMP_REFUSAL_BASE + 1 + i);

/** A `DashboardSource` on a started `Simulation`. */
export function simulationSource(sim: Simulation): DashboardSource {
  const listeners = new Set<(e: SourceEvent) => void>();
  const emit = (e: SourceEvent): void => {
    for (const fn of listeners) fn(e);
  };
  let platformAttached: unknown = null;
  const attachPlatform = (): void => {
    const p = sim.platform;
    if (!p || platformAttached === p) return;
    platformAttached = p;
    p.on("message", (r: SeenRecord) => {
      if (r.dir !== "in" || r.reason === "no-key") return;
      emit({ kind: "platform-in", uid: r.uid, topic: r.topic, payload: r.payload, accepted: r.accepted, reason: r.reason, atMs: r.atMs });
    });
  };
  attachPlatform();

  const onPublish = (e: PublishEvent): void => {
    attachPlatform();
    emit({ kind: "uplink", uid: e.uid, topic: e.topic, payload: e.payload, atMs: e.atMs });
  };
  const onRelay = (e: RelayEvent): void => emit({ kind: "relay", uid: e.uid, on: e.on, atMs: e.atMs });
  const onConn = (e: ConnEvent): void => emit(e.reason === undefined ? { kind: "conn", uid: e.uid, state: e.state, atMs: e.atMs } : { kind: "conn", uid: e.uid, state: e.state, atMs: e.atMs, reason: e.reason });
  const onPlatform = (e: PlatformEvent): void => {
    if (e.kind === "state") {
      emit({ kind: "downlink", uid: e.uid, topic: e.topic, payload: e.payload, atMs: e.atMs, cause: e.cause });
    } else if (e.kind === "switch") {
      emit({ kind: "platform-switch", uid: e.uid, cmd: e.cmd, source: e.source, atMs: e.atMs });
    }
  };
  const onStopped = (): void => emit({ kind: "stopped" });
  sim.on("publish", onPublish);
  sim.on("relay", onRelay);
  sim.on("conn", onConn);
  sim.on("platform", onPlatform);
  sim.on("stopped", onStopped);

  return {
    get brokerUrl() {
      return sim.brokerUrl;
    },
    now: () => sim.now(),
    getSpeed: () => (Number.isFinite(sim.speed) ? sim.speed : null),
    setSpeed: (v) => {
      sim.speed = v;
    },
    brokerUp: () => sim.brokerUp,
    uids: () => sim.devices.map((d) => d.uid),
    snapshot: (uid) => sim.snapshot(uid),
    config: (uid) => sim.device(uid).config,
    refusals: (uid) => {
      const dev = sim.device(uid).device;
      try {
        let count = 0;
        for (const id of REFUSAL_IDS) count += dev.counter(id);
        const r = dev.pumpLastRefusal;
        return { count, last: REFUSAL_NAMES[r] ?? String(r) };
      } catch {
        return { count: 0, last: "NONE" }; // the instance trapped or is gone
      }
    },
    platform: (uid) => {
      attachPlatform();
      const r = sim.platform?.device(uid);
      if (!r) return null;
      return { connected: r.connected, lastSeenMs: r.lastSeenMs, cmd: r.cmd, level: r.level, temperature: r.temperature, statesPublished: r.statesPublished };
    },
    subscribe: (fn) => {
      listeners.add(fn);
      return () => listeners.delete(fn);
    },
    every: (ms, fn) => {
      const id = sim.scheduler.every(ms, fn);
      return () => sim.scheduler.cancel(id);
    },
    setSwitch: (uid, on) => sim.setSwitch(uid, on),
    pressButton: (uid) => sim.pressButton(uid),
    close: () => {
      sim.off("publish", onPublish);
      sim.off("relay", onRelay);
      sim.off("conn", onConn);
      sim.off("platform", onPlatform);
      sim.off("stopped", onStopped);
      listeners.clear();
    },
  };
}
