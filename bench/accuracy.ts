/**
 * Accuracy of three ways of reading the same seeded world with the release
 * firmware (only the config differs), like test/sensor/accuracy.test.ts but
 * through the whole module and the simulator's own hardware (SimHardware:
 * HC-SR04 with echo jitter, 5 % spurious early echoes and 5 % missing echoes;
 * an NTC thermistor with 2 counts of noise):
 *
 *   A  full pipeline: median of 5 pings, NTC temperature compensation, spike rejection (defaults);
 *   B  a single ping, 343 m/s (no compensation), no spike rejection: what common firmware does;
 *   C  median of 5, 343 m/s, no spike rejection.
 *
 * Tracking: air cycles 0..40 °C (4 h period), the surface moves through the
 * span (3 h period); error of every completed reading in % of span (RMS,
 * worst). Response: the level steps 30 % <-> 70 % at instants unrelated to
 * the reading schedule; time from the step to the first reading within 1 % of
 * span of the new level (mean and worst over the steps).
 */
import { VirtualClock } from "../sim/clock.js";
import { SimHardware } from "../sim/world/hardware.js";
import { Tank } from "../sim/world/tank.js";
import { OfflineFirmware } from "./offline.js";
import { round } from "./util.js";

export type Method = "A" | "B" | "C";
export const METHODS: Record<Method, string> = {
  A: "firmware pipeline: median of 5, NTC compensation, spike rejection",
  B: "single ping, 343 m/s, no spike rejection",
  C: "median of 5, 343 m/s, no spike rejection",
};

const EMPTY = 2000;
const FULL = 200;
const SPAN = EMPTY - FULL;
/** 343 m/s = 331.3 + 0.606·T at T = 19.3 °C. */
const UNCOMPENSATED_C = 19.3;

export interface AccuracyFigures {
  method: Method;
  description: string;
  rmsPctSpan: number;
  worstPctSpan: number;
  readings: number;
  unknown: number;
  responseMeanS: number;
  responseWorstS: number;
  steps: number;
  stepsNotReached: number;
  /** RMS error (% of span) with other seeds: min and max over them. */
  otherSeeds: { seeds: number; rmsMin: number; rmsMax: number };
}

export interface AccuracyResult {
  conditions: Record<string, unknown>;
  methods: AccuracyFigures[];
}

const airC = (t: number): number => 20 - 20 * Math.cos((2 * Math.PI * t) / (4 * 3_600_000));
const trueMm = (t: number): number => 1100 - 800 * Math.cos((2 * Math.PI * t) / (3 * 3_600_000) + 0.7);

function rig(module: WebAssembly.Module, method: Method, seed: string): { fw: OfflineFirmware; hw: SimHardware; clock: VirtualClock; tank: Tank } {
  const clock = new VirtualClock(0);
  const tank = new Tank({ shape: "vertical_cylinder", diameterMm: 1000, heightMm: SPAN, sensorHeightMm: EMPTY, initialLevelPct: 50, pumpFlowLpm: 0, consumptionLph: 0, pumpMode: "none" });
  const board = { sensor: "hc-sr04", trig_pin: 5, echo_pin: 18, temperature: "ntc", ntc_channel: 7 } as const;
  const hw = new SimHardware({
    board, clock, tank, air: 20, seed,
    sensorOptions: { jitterUs: 6, spuriousProbability: 0.05, missingProbability: 0.05 },
    thermistor: { noiseCounts: 2 },
  });
  const config: Record<string, string | number | boolean> = {
    uid: "acc-001", key: "k", broker_host: "broker.invalid", broker_port: 1883,
    uplink_topic: "iotbind/tank/acc-001", downlink_topic: "devices/acc-001/state",
    sensor: "hc-sr04", trig_pin: 5, echo_pin: 18,
    empty_distance_mm: EMPTY, full_distance_mm: FULL, pump_mode: "none",
    reading_interval_ms: 2000, ping_gap_ms: 60, smoothing_pct: 0,
    pings_per_reading: method === "B" ? 1 : 5,
    spike_limit_mm: method === "A" ? 200 : 0,
    ...(method === "A" ? { temperature: "ntc", ntc_channel: 7 } : { temperature: "fixed", temperature_c: UNCOMPENSATED_C }),
  };
  const fw = new OfflineFirmware({ module, config, hardware: hw, clock });
  fw.broker.keepPublishes = false;
  return { fw, hw, clock, tank };
}

const setLevelMm = (tank: Tank, distanceMm: number): void => {
  tank.levelPct = ((EMPTY - distanceMm) / SPAN) * 100;
};

function tracking(module: WebAssembly.Module, method: Method, hours: number, seed: string): Pick<AccuracyFigures, "rmsPctSpan" | "worstPctSpan" | "readings" | "unknown"> {
  const { fw, hw, clock, tank } = rig(module, method, seed);
  let sum2 = 0, worst = 0, n = 0, unknown = 0;
  let seen = fw.readings();
  const end = hours * 3_600_000;
  while (clock.now() < end) {
    const t = clock.now();
    setLevelMm(tank, trueMm(t));
    hw.air.set(airC(t));
    const wait = fw.tick();
    const r = fw.readings();
    if (r !== seen) {
      seen = r;
      const level = fw.x.level_permille();
      if (level < 0) unknown++;
      else {
        const truth = ((EMPTY - trueMm(clock.now())) / SPAN) * 1000;
        const err = (level - truth) / 10;
        sum2 += err * err;
        worst = Math.max(worst, Math.abs(err));
        n++;
      }
    }
    clock.advance(Math.max(1, wait));
  }
  return { rmsPctSpan: round(Math.sqrt(sum2 / Math.max(1, n)), 3), worstPctSpan: round(worst, 2), readings: n, unknown };
}

function response(module: WebAssembly.Module, method: Method, steps: number, seed: string): Pick<AccuracyFigures, "responseMeanS" | "responseWorstS" | "steps" | "stepsNotReached"> {
  const { fw, hw, clock, tank } = rig(module, method, seed);
  hw.air.set(20);
  const lo = EMPTY - 0.3 * SPAN;
  const hi = EMPTY - 0.7 * SPAN;
  setLevelMm(tank, lo);
  fw.runUntil(60_000);
  const times: number[] = [];
  let missed = 0;
  let at = clock.now();
  for (let s = 0; s < steps; s++) {
    // steps 61.7 s apart: unrelated to the 2 s reading schedule
    at += 61_700;
    fw.runUntil(at);
    const targetMm = s % 2 === 0 ? hi : lo;
    setLevelMm(tank, targetMm);
    const targetPermille = ((EMPTY - targetMm) / SPAN) * 1000;
    const stepAt = clock.now();
    let seen = fw.readings();
    let reached = -1;
    while (clock.now() < stepAt + 60_000) {
      const wait = fw.tick();
      const r = fw.readings();
      if (r !== seen) {
        seen = r;
        const level = fw.x.level_permille();
        if (level >= 0 && Math.abs(level - targetPermille) <= 10) {
          reached = clock.now() - stepAt;
          break;
        }
      }
      clock.advance(Math.max(1, wait));
    }
    if (reached < 0) missed++;
    else times.push(reached / 1000);
  }
  return {
    responseMeanS: round(times.reduce((a, b) => a + b, 0) / Math.max(1, times.length), 2),
    responseWorstS: round(Math.max(0, ...times), 2),
    steps,
    stepsNotReached: missed,
  };
}

export function measureAccuracy(module: WebAssembly.Module, o: { hours: number; steps: number; seed?: string; otherSeeds?: number }): AccuracyResult {
  const seed = o.seed ?? "20261124";
  const extra = o.otherSeeds ?? 0;
  const methods = (Object.keys(METHODS) as Method[]).map((m): AccuracyFigures => {
    const rms = Array.from({ length: extra }, (_, k) => tracking(module, m, o.hours, `${seed}+${k + 1}`).rmsPctSpan);
    return {
      method: m,
      description: METHODS[m],
      ...tracking(module, m, o.hours, seed),
      ...response(module, m, o.steps, seed),
      otherSeeds: { seeds: extra, rmsMin: extra ? Math.min(...rms) : NaN, rmsMax: extra ? Math.max(...rms) : NaN },
    };
  });
  return {
    conditions: {
      seed, hours: o.hours, spanMm: SPAN, readingIntervalMs: 2000, pingGapMs: 60, jitterUs: 6, spuriousEchoes: 0.05, missingEchoes: 0.05,
      airC: [0, 40], airPeriodH: 4, levelPeriodH: 3, ntcNoiseCounts: 2, responseSteps: o.steps, responseBandPctSpan: 1,
      sensor: "hc-sr04 (sim/world/ultrasonic.ts)",
    },
    methods,
  };
}
