/**
 * Scenario definitions: one simulated device, a timeline of events, and
 * expectations the runner checks. Plain data, so a scenario can be a JSON
 * file (`iotbind-tank sim --scenario my.json`) as well as a built-in.
 * Times are virtual seconds from the start.
 */
import type { SimDeviceSpec } from "../simulation.js";
import type { AnalogSensorOptions, PulseEchoOptions, UartSensorOptions } from "../world/ultrasonic.js";

export type ScenarioAction =
  /** Stop the broker (embedded aedes, or mosquitto through the runner's brokerControl). */
  | { do: "broker-stop" }
  | { do: "broker-start" }
  /** The mobile app switches the pump through the platform emulator. */
  | { do: "set-switch"; on: boolean }
  | { do: "press-button" }
  /** Changes the physical sensor's behaviour (noise, missing/spurious echoes, faults). */
  | { do: "sensor"; set: PulseEchoOptions | UartSensorOptions | AnalogSensorOptions }
  /** Moves the water level (a bucket, a leak). */
  | { do: "set-level"; pct: number }
  | { do: "consumption"; lph: number | number[] }
  | { do: "pump-flow"; lpm: number };

export type ScenarioEvent = { atS: number; note?: string } & ScenarioAction;

export type Expectation =
  /** The true level stays within [min, max] % (from `fromS`, default 0). */
  | { kind: "true-level-within"; min: number; max: number; fromS?: number }
  /** The relay is never on while the true level is above `pct` (overflow protection, fill mode). */
  | { kind: "relay-never-on-above"; pct: number }
  /** Number of relay switches (on and off both count) within [min, max]. */
  | { kind: "relay-changes"; min?: number; max?: number }
  /** Every level the device published is a number in [0, 100] within `maxErrorPct` of the true level when sent. */
  | { kind: "published-levels-valid"; maxErrorPct: number }
  /** After every broker-start, a reading reached the platform within `withinS`. */
  | { kind: "reading-after-reconnect"; withinS: number }
  /** A reading reached the platform within `withinS` after `atS`. */
  | { kind: "reading-after"; atS: number; withinS: number }
  /** After every set-switch, the (simulated) relay is in the commanded state within `withinS` and stays so until the next command or `holdS`. */
  | { kind: "relay-follows-switch"; withinS: number; holdS?: number }
  /** The platform's stored switch state equals the relay at the end. */
  | { kind: "platform-agrees-at-end" }
  /** At least `count` publishes from the device, at least `readings` readings on the platform. */
  | { kind: "min-publishes"; count: number; readings?: number }
  /** The firmware never trapped. */
  | { kind: "no-traps" }
  /** The firmware never busy-looped (kept asking for a 0 ms sleep without doing anything, see Scheduler busyTicks). */
  | { kind: "no-busy-loop" }
  /** The device is MQTT-connected at the end. */
  | { kind: "online-at-end" };

export interface Scenario {
  name: string;
  description: string;
  /** Virtual seconds to run. */
  durationS: number;
  /** Virtual ms per real ms, or "max" (default "max"). */
  speed?: number | "max";
  seed?: string | number;
  /** Sampling interval of the recording, virtual seconds (default durationS / 1500, at least 1). */
  sampleS?: number;
  /** The device (one per scenario). */
  device?: SimDeviceSpec;
  /** Run the platform emulator (default true). */
  platform?: boolean;
  events?: ScenarioEvent[];
  expect: Expectation[];
  /** Dashed lines on the plot. */
  plotLines?: Array<{ pct: number; label: string }>;
}
