/**
 * The scenario file schema (the shape of types.ts, as data) and its validator.
 *
 * `validateScenario(value, file)` returns the first problem as one line that
 * names the file, the JSON path and, for a misspelled member or value, the
 * nearest valid name:
 *
 *   my.json: $.events[0]: unknown member "at"; did you mean "atS"?
 *   my.json: $.events[1].do: unknown value "consumpton"; did you mean "consumption"?
 *
 * Every member of every object is checked (unknown members are errors, not
 * ignored), numbers must be finite and within range, and each kind of event
 * and expectation has its own members. The key lists are tied to the
 * TypeScript types with `satisfies`, so a member added to a type without its
 * schema (or the reverse) does not compile. The firmware config
 * (`device.config`) is checked here as flat scalars only; its members are
 * validated by the firmware's own config schema at init (docs/CONFIG.md).
 */
import type { SimDeviceSpec } from "../simulation.js";
import type { TankOptions } from "../world/tank.js";
import type { AnalogSensorOptions, PulseEchoOptions, UartSensorOptions } from "../world/ultrasonic.js";
import type { Expectation, Scenario, ScenarioAction } from "./types.js";

export type Schema =
  | { t: "number"; min?: number; max?: number; int?: boolean; exclusiveMin?: boolean }
  | { t: "string"; nonEmpty?: boolean }
  | { t: "boolean" }
  | { t: "enum"; values: readonly (string | number)[] }
  | { t: "array"; of: Schema; minLength?: number; maxLength?: number }
  | { t: "object"; props: Record<string, Schema>; required?: readonly string[] }
  /** One object per value of its `tag` member. */
  | { t: "tagged"; tag: string; variants: Record<string, { props: Record<string, Schema>; required?: readonly string[] }> }
  | { t: "oneOf"; of: readonly Schema[]; describe: string }
  /** A flat object of scalar values (the firmware config). */
  | { t: "scalars" };

const num = (o: { min?: number; max?: number; int?: boolean; exclusiveMin?: boolean } = {}): Schema => ({ t: "number", ...o });
const nonNeg = num({ min: 0 });
const positive = num({ min: 0, exclusiveMin: true });
const pct = num({ min: 0, max: 100 });
const prob = num({ min: 0, max: 1 });
const str: Schema = { t: "string" };
const bool: Schema = { t: "boolean" };

const tankProps = {
  shape: { t: "enum", values: ["vertical_cylinder", "horizontal_cylinder", "rectangular"] },
  diameterMm: positive,
  lengthMm: positive,
  widthMm: positive,
  heightMm: positive,
  sensorHeightMm: positive,
  initialLevelPct: pct,
  pumpFlowLpm: nonNeg,
  pumpMode: { t: "enum", values: ["none", "fill", "drain"] },
  consumptionLph: { t: "oneOf", of: [nonNeg, { t: "array", of: nonNeg, minLength: 24, maxLength: 24 }], describe: "a number >= 0 or 24 numbers (one per hour)" },
  inflowLph: nonNeg,
  startTimeOfDayMs: num({ min: 0, max: 86_400_000 }),
} satisfies Record<keyof TankOptions, Schema>;

/** Every sensor kind's options in one object (the device's sensor decides which apply). */
const sensorProps = {
  blindMm: nonNeg,
  maxRangeMm: positive,
  minTriggerUs: nonNeg,
  echoDelayUs: nonNeg,
  noEchoPulseUs: nonNeg,
  jitterUs: nonNeg,
  missingProbability: prob,
  spuriousProbability: prob,
  fault: { t: "enum", values: ["none", "no_echo", "disconnected", "stuck", "silent", "garbage", "rail_low", "rail_high"] },
  stuckDistanceMm: nonNeg,
  baud: num({ min: 1, int: true }),
  frameIntervalMs: positive,
  jitterMm: nonNeg,
  corruptProbability: prob,
  garbageProbability: prob,
  outOfRange: { t: "enum", values: ["silent", "zero", "measured"] },
  mmPerV: positive,
  adcBits: num({ min: 1, max: 32, int: true }),
  adcRefMv: positive,
  noiseMv: nonNeg,
} satisfies Record<keyof (PulseEchoOptions & UartSensorOptions & AnalogSensorOptions), Schema>;

const airSchema: Schema = {
  t: "oneOf",
  describe: 'a temperature in °C, {"kind":"fixed","celsius":N} or {"kind":"daily","minC":N,"maxC":N,"peakHour":N}',
  of: [
    num({ min: -60, max: 90 }),
    {
      t: "tagged",
      tag: "kind",
      variants: {
        fixed: { props: { celsius: num({ min: -60, max: 90 }) }, required: ["celsius"] },
        daily: { props: { minC: num({ min: -60, max: 90 }), maxC: num({ min: -60, max: 90 }), peakHour: num({ min: 0, max: 24 }) }, required: ["minC", "maxC"] },
      },
    },
  ],
};

const deviceProps = {
  uid: { t: "string", nonEmpty: true },
  name: str,
  key: { t: "string", nonEmpty: true },
  config: { t: "scalars" },
  tank: { t: "object", props: tankProps },
  air: airSchema,
  sensorOptions: { t: "object", props: sensorProps },
  seed: str,
} satisfies Record<keyof SimDeviceSpec, Schema>;

type ActionName = ScenarioAction["do"];
type Variant = { props: Record<string, Schema>; required?: readonly string[] };
const EVENT_COMMON = { atS: nonNeg, note: str, do: str };
const actions = {
  "broker-stop": { props: {} },
  "broker-start": { props: {} },
  "set-switch": { props: { on: bool }, required: ["on"] },
  "press-button": { props: {} },
  sensor: { props: { set: { t: "object", props: sensorProps } }, required: ["set"] },
  "set-level": { props: { pct }, required: ["pct"] },
  consumption: { props: { lph: tankProps.consumptionLph }, required: ["lph"] },
  "pump-flow": { props: { lpm: nonNeg }, required: ["lpm"] },
} satisfies Record<ActionName, { props: Record<string, Schema>; required?: readonly string[] }>;

const eventSchema: Schema = {
  t: "tagged",
  tag: "do",
  variants: Object.fromEntries(Object.entries(actions as Record<string, Variant>).map(([k, v]) => [k, { props: { ...EVENT_COMMON, ...v.props }, required: ["atS", ...(v.required ?? [])] }])),
};

const expectations = {
  "true-level-within": { props: { min: pct, max: pct, fromS: nonNeg }, required: ["min", "max"] },
  "relay-never-on-above": { props: { pct }, required: ["pct"] },
  "relay-changes": { props: { min: num({ min: 0, int: true }), max: num({ min: 0, int: true }) } },
  "published-levels-valid": { props: { maxErrorPct: nonNeg }, required: ["maxErrorPct"] },
  "reading-after-reconnect": { props: { withinS: nonNeg }, required: ["withinS"] },
  "reading-after": { props: { atS: nonNeg, withinS: nonNeg }, required: ["atS", "withinS"] },
  "relay-follows-switch": { props: { withinS: nonNeg, holdS: nonNeg }, required: ["withinS"] },
  "platform-agrees-at-end": { props: {} },
  "min-publishes": { props: { count: num({ min: 0, int: true }), readings: num({ min: 0, int: true }) }, required: ["count"] },
  "no-traps": { props: {} },
  "no-busy-loop": { props: {} },
  "online-at-end": { props: {} },
} satisfies Record<Expectation["kind"], { props: Record<string, Schema>; required?: readonly string[] }>;

const expectationSchema: Schema = {
  t: "tagged",
  tag: "kind",
  variants: Object.fromEntries(Object.entries(expectations as Record<string, Variant>).map(([k, v]) => [k, { props: { kind: str, ...v.props }, required: v.required ?? [] }])),
};

/** A scenario's virtual duration is at most one year (a longer run is almost certainly a unit mistake). */
export const MAX_DURATION_S = 366 * 86_400;

const scenarioProps = {
  name: { t: "string", nonEmpty: true },
  description: str,
  durationS: num({ min: 0, max: MAX_DURATION_S, exclusiveMin: true }),
  speed: { t: "oneOf", of: [positive, { t: "enum", values: ["max"] }], describe: 'a number > 0 (virtual ms per real ms) or "max"' },
  seed: { t: "oneOf", of: [str, num()], describe: "a string or a number" },
  sampleS: positive,
  device: { t: "object", props: deviceProps },
  platform: bool,
  events: { t: "array", of: eventSchema },
  expect: { t: "array", of: expectationSchema, minLength: 1 },
  plotLines: { t: "array", of: { t: "object", props: { pct, label: str }, required: ["pct", "label"] } },
} satisfies Record<keyof Scenario, Schema>;

export const SCENARIO_SCHEMA: Schema = { t: "object", props: scenarioProps, required: ["name", "durationS", "expect"] };

// ------------------------------------------------------------------ validator

/** Levenshtein distance (small strings). */
function distance(a: string, b: string): number {
  const d = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let prev = d[0]!;
    d[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = d[j]!;
      d[j] = Math.min(d[j]! + 1, d[j - 1]! + 1, prev + (a[i - 1]!.toLowerCase() === b[j - 1]!.toLowerCase() ? 0 : 1));
      prev = tmp;
    }
  }
  return d[b.length]!;
}

/** `; did you mean "x"?` for the nearest of `names`, or the list of valid names when none is near. */
export function suggest(got: string, names: readonly string[]): string {
  if (names.length === 0) return "";
  let best = names[0]!;
  let bestD = Infinity;
  for (const n of names) {
    const dd = distance(got, n) - (n.toLowerCase().startsWith(got.toLowerCase()) ? 1 : 0);
    if (dd < bestD) {
      bestD = dd;
      best = n;
    }
  }
  if (bestD <= Math.max(2, Math.floor(best.length / 3))) return `; did you mean "${best}"?`;
  return `; valid: ${names.map((n) => `"${n}"`).join(", ")}`;
}

const typeName = (v: unknown): string => (v === null ? "null" : Array.isArray(v) ? "an array" : typeof v === "object" ? "an object" : `${typeof v} ${JSON.stringify(v)}`);

function describe(s: Schema): string {
  switch (s.t) {
    case "number": {
      const lo = s.min !== undefined ? `${s.exclusiveMin ? ">" : ">="} ${s.min}` : "";
      const hi = s.max !== undefined ? `<= ${s.max}` : "";
      return `${s.int ? "a whole number" : "a number"}${lo || hi ? ` ${[lo, hi].filter(Boolean).join(" and ")}` : ""}`;
    }
    case "string": return s.nonEmpty ? "a non-empty string" : "a string";
    case "boolean": return "true or false";
    case "enum": return `one of ${s.values.map((v) => JSON.stringify(v)).join(", ")}`;
    case "array": return s.minLength !== undefined && s.minLength === s.maxLength ? `an array of ${s.minLength}` : "an array";
    case "object": case "tagged": case "scalars": return "an object";
    case "oneOf": return s.describe;
  }
}

/** The first problem found at `path` ("$.events[0].do"), or null. */
export function check(v: unknown, s: Schema, path: string): string | null {
  switch (s.t) {
    case "number": {
      const ok = typeof v === "number" && Number.isFinite(v)
        && (s.min === undefined || (s.exclusiveMin ? v > s.min : v >= s.min))
        && (s.max === undefined || v <= s.max)
        && (!s.int || Number.isInteger(v));
      return ok ? null : `${path}: expected ${describe(s)}, got ${typeName(v)}`;
    }
    case "string":
      return typeof v === "string" && (!s.nonEmpty || v.length > 0) ? null : `${path}: expected ${describe(s)}, got ${typeName(v)}`;
    case "boolean":
      return typeof v === "boolean" ? null : `${path}: expected ${describe(s)}, got ${typeName(v)}`;
    case "enum":
      if (s.values.includes(v as string | number)) return null;
      if (typeof v === "string") return `${path}: unknown value ${JSON.stringify(v)}${suggest(v, s.values.map(String))}`;
      return `${path}: expected ${describe(s)}, got ${typeName(v)}`;
    case "array": {
      if (!Array.isArray(v)) return `${path}: expected ${describe(s)}, got ${typeName(v)}`;
      if (s.minLength !== undefined && v.length < s.minLength) return `${path}: expected at least ${s.minLength} item${s.minLength === 1 ? "" : "s"}, got ${v.length}`;
      if (s.maxLength !== undefined && v.length > s.maxLength) return `${path}: expected at most ${s.maxLength} items, got ${v.length}`;
      for (let i = 0; i < v.length; i++) {
        const e = check(v[i], s.of, `${path}[${i}]`);
        if (e) return e;
      }
      return null;
    }
    case "object":
      return checkObject(v, s.props, s.required ?? [], path);
    case "tagged": {
      if (typeof v !== "object" || v === null || Array.isArray(v)) return `${path}: expected an object, got ${typeName(v)}`;
      const tag = (v as Record<string, unknown>)[s.tag];
      const names = Object.keys(s.variants);
      if (tag === undefined) {
        const near = Object.keys(v).find((k) => distance(k, s.tag) <= 2);
        return `${path}: missing "${s.tag}" (${names.map((n) => `"${n}"`).join(", ")})${near ? `; "${near}" is not a member, did you mean "${s.tag}"?` : ""}`;
      }
      const variant = typeof tag === "string" && Object.hasOwn(s.variants, tag) ? s.variants[tag]! : null;
      if (!variant) return `${path}.${s.tag}: unknown value ${JSON.stringify(tag)}${typeof tag === "string" ? suggest(tag, names) : `; valid: ${names.join(", ")}`}`;
      return checkObject(v, { [s.tag]: str, ...variant.props }, variant.required ?? [], path);
    }
    case "oneOf": {
      for (const alt of s.of) if (check(v, alt, path) === null) return null;
      // an object alternative explains itself better (unknown member, missing tag)
      const obj = s.of.find((a) => (a.t === "tagged" || a.t === "object") && typeof v === "object" && v !== null && !Array.isArray(v));
      if (obj) return check(v, obj, path);
      const arr = s.of.find((a) => a.t === "array" && Array.isArray(v));
      if (arr) return check(v, arr, path);
      return `${path}: expected ${s.describe}, got ${typeName(v)}`;
    }
    case "scalars": {
      if (typeof v !== "object" || v === null || Array.isArray(v)) return `${path}: expected an object, got ${typeName(v)}`;
      for (const [k, x] of Object.entries(v)) {
        if (!(typeof x === "string" || typeof x === "boolean" || (typeof x === "number" && Number.isFinite(x)))) return `${path}.${k}: expected a string, number or boolean, got ${typeName(x)}`;
      }
      return null;
    }
  }
}

function checkObject(v: unknown, props: Record<string, Schema>, required: readonly string[], path: string): string | null {
  if (typeof v !== "object" || v === null || Array.isArray(v)) return `${path}: expected an object, got ${typeName(v)}`;
  const o = v as Record<string, unknown>;
  const names = Object.keys(props);
  for (const k of Object.keys(o)) {
    if (!Object.hasOwn(props, k)) return `${path}: unknown member ${JSON.stringify(k)}${suggest(k, names)}`;
  }
  for (const k of required) {
    if (o[k] === undefined) return `${path}: missing ${JSON.stringify(k)} (${describe(props[k]!)})`;
  }
  for (const k of names) {
    if (o[k] === undefined) continue;
    const e = check(o[k], props[k]!, `${path}.${k}`);
    if (e) return e;
  }
  return null;
}

/** Checks a parsed scenario file; throws one line `<file>: <path>: <problem>` on the first problem. */
export function validateScenario(v: unknown, file: string): Scenario {
  const e = check(v, SCENARIO_SCHEMA, "$");
  if (e) throw new ScenarioError(`${file}: ${e}`);
  const s = v as Scenario;
  for (const [i, x] of (s.expect ?? []).entries()) {
    if (x.kind === "true-level-within" && x.min > x.max) throw new ScenarioError(`${file}: $.expect[${i}]: min (${x.min}) is above max (${x.max})`);
    if (x.kind === "relay-changes" && x.min !== undefined && x.max !== undefined && x.min > x.max) throw new ScenarioError(`${file}: $.expect[${i}]: min (${x.min}) is above max (${x.max})`);
  }
  for (const [i, ev] of (s.events ?? []).entries()) {
    if (ev.atS > s.durationS) throw new ScenarioError(`${file}: $.events[${i}].atS: ${ev.atS} s is after the end of the scenario (durationS ${s.durationS})`);
  }
  return s;
}

/** A scenario that cannot be loaded or run as written (the CLI prints its message alone). */
export class ScenarioError extends Error {}
