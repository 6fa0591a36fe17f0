/**
 * The built-in scenarios. Each is plain data (see types.ts); `iotbind-tank
 * sim --scenario <name>` runs one, or pass a JSON file of the same shape.
 */
import { DEFAULT_CONSUMPTION_LPH, HOUR_MS } from "../world/tank.js";
import type { Scenario } from "./types.js";

/** A household day: morning and evening peaks; auto refill between 30 % and 90 %. */
export const dayRefill: Scenario = {
  name: "day-refill",
  description: "A day of household consumption (peaks at 7-8 h and 18-20 h) with automatic refill between 30 % and 90 %.",
  durationS: 24 * 3600,
  speed: "max",
  sampleS: 60,
  device: {
    tank: {
      shape: "vertical_cylinder", diameterMm: 1000, heightMm: 1000, sensorHeightMm: 1100,
      initialLevelPct: 50, pumpFlowLpm: 20, consumptionLph: [...DEFAULT_CONSUMPTION_LPH].map((v) => v * 1.5), startTimeOfDayMs: 0 * HOUR_MS,
    },
    config: { reading_interval_ms: 10000, heartbeat_s: 600, deadband_pct: 2, auto: true, auto_start_pct: 30, auto_stop_pct: 90 },
  },
  expect: [
    { kind: "true-level-within", min: 25, max: 95 },
    { kind: "relay-changes", min: 4, max: 12 },
    { kind: "relay-never-on-above", pct: 93 },
    { kind: "published-levels-valid", maxErrorPct: 2 },
    { kind: "min-publishes", count: 48, readings: 48 },
    { kind: "platform-agrees-at-end" },
    { kind: "no-traps" },
    { kind: "no-busy-loop" },
    { kind: "online-at-end" },
  ],
  plotLines: [{ pct: 30, label: "auto start 30 %" }, { pct: 90, label: "auto stop 90 %" }],
};

/** The broker goes away for three minutes and comes back. */
export const brokerOutage: Scenario = {
  name: "broker-outage",
  description: "The broker is stopped for 3 minutes and restarted; the device reconnects by itself and its latest reading reaches the platform.",
  durationS: 20 * 60,
  speed: "max",
  sampleS: 2,
  device: {
    tank: { initialLevelPct: 60, consumptionLph: 300, pumpFlowLpm: 30 },
    config: { mqtt_backoff_base_ms: 1000, mqtt_backoff_cap_ms: 10000, mqtt_keepalive_s: 30 },
  },
  events: [
    { atS: 300, do: "broker-stop" },
    { atS: 480, do: "broker-start" },
  ],
  expect: [
    { kind: "reading-after-reconnect", withinS: 30 },
    { kind: "published-levels-valid", maxErrorPct: 2 },
    { kind: "no-traps" },
    { kind: "no-busy-loop" },
    { kind: "online-at-end" },
    { kind: "min-publishes", count: 10, readings: 8 },
  ],
};

/** Missing echoes, noise bursts and a dead sensor: the level is never published as garbage. */
export const sensorFaults: Scenario = {
  name: "sensor-faults",
  description: "Missing echoes and spurious (noise) echoes for 5 minutes, then no echo at all for 3 minutes: no garbage level is ever published, readings resume afterwards.",
  durationS: 30 * 60,
  speed: "max",
  sampleS: 2,
  device: {
    tank: { initialLevelPct: 70, consumptionLph: 200, pumpFlowLpm: 30 },
    config: { auto: true, auto_start_pct: 30, auto_stop_pct: 90 },
  },
  events: [
    { atS: 300, do: "sensor", set: { missingProbability: 0.3, spuriousProbability: 0.2, jitterUs: 30 }, note: "noise burst" },
    { atS: 600, do: "sensor", set: { missingProbability: 0, spuriousProbability: 0, jitterUs: 6 } },
    { atS: 900, do: "sensor", set: { fault: "no_echo" }, note: "no echo" },
    { atS: 1080, do: "sensor", set: { fault: "none" } },
  ],
  expect: [
    { kind: "published-levels-valid", maxErrorPct: 3 },
    { kind: "reading-after", atS: 1080, withinS: 120 },
    { kind: "relay-changes", max: 0 },
    { kind: "no-traps" },
    { kind: "no-busy-loop" },
    { kind: "online-at-end" },
  ],
};

/** Someone switches the fill pump on from the app when the tank is nearly full: the high cut-off stops it. */
export const overflowProtection: Scenario = {
  name: "overflow-protection",
  description: "The fill pump is switched on from the app at 88 %; the high cut-off (95 %) stops it before the tank overflows, and the platform learns the pump is off.",
  durationS: 15 * 60,
  speed: "max",
  sampleS: 1,
  device: {
    tank: { initialLevelPct: 88, consumptionLph: 0, pumpFlowLpm: 30 },
    config: { auto: false, high_cutoff_pct: 95, min_on_s: 0, min_off_s: 0 },
  },
  events: [
    { atS: 60, do: "set-switch", on: true },
  ],
  expect: [
    { kind: "relay-never-on-above", pct: 96.5 },
    { kind: "true-level-within", min: 80, max: 97 },
    { kind: "relay-changes", min: 2, max: 2 },
    { kind: "platform-agrees-at-end" },
    { kind: "published-levels-valid", maxErrorPct: 2 },
    { kind: "no-traps" },
    { kind: "no-busy-loop" },
  ],
  plotLines: [{ pct: 95, label: "high cut-off 95 %" }],
};

/** A platform user switches the pump on and off from the app; the relay follows. */
export const platformSwitch: Scenario = {
  name: "platform-switch",
  description: "A user switches the pump on and off twice from the mobile app (through the platform); the relay follows each command within 2 s.",
  durationS: 12 * 60,
  speed: "max",
  sampleS: 1,
  device: {
    tank: { initialLevelPct: 40, consumptionLph: 120, pumpFlowLpm: 15 },
    config: { auto: false, min_on_s: 30, min_off_s: 30 },
  },
  events: [
    { atS: 120, do: "set-switch", on: true },
    { atS: 300, do: "set-switch", on: false },
    { atS: 420, do: "set-switch", on: true },
    { atS: 600, do: "set-switch", on: false },
  ],
  expect: [
    { kind: "relay-follows-switch", withinS: 2 },
    { kind: "relay-changes", min: 4, max: 4 },
    { kind: "platform-agrees-at-end" },
    { kind: "published-levels-valid", maxErrorPct: 2 },
    { kind: "no-traps" },
    { kind: "no-busy-loop" },
    { kind: "online-at-end" },
  ],
};

export const BUILTIN_SCENARIOS: readonly Scenario[] = [dayRefill, brokerOutage, sensorFaults, overflowProtection, platformSwitch];

export function builtinScenario(name: string): Scenario | undefined {
  return BUILTIN_SCENARIOS.find((s) => s.name === name);
}
