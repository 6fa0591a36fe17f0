/**
 * Accuracy, deterministic with a seeded simulator (sim/world): a pulse-echo
 * sensor with echo jitter, 5 % spurious early echoes and 5 % missing echoes,
 * air cycling between 0 and 40 °C read by an NTC, and a water surface moving
 * through the whole span. Three ways of reading the same simulated world
 * (same seed, same trajectory):
 *   A. the firmware's pipeline: 5 pings, median, NTC compensation, spike rejection;
 *   B. a single-ping reading without compensation (343 m/s), as common firmware does;
 *   C. a median of 5 without compensation (343 m/s).
 * The reported level's error is measured at every completed reading in % of
 * the span. A must stay within 0.5 % RMS. Figures are printed and written to
 * test-artifacts/accuracy.json.
 */
import { test, expect, beforeAll } from "vitest";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { compileEntry, instantiate, KIND, TEMP, ROOT } from "./harness.js";
import { SeededRandom } from "../../sim/random.js";
import { PulseEchoSensor, UartDistanceSensor, AnalogDistanceSensor } from "../../sim/world/ultrasonic.js";
import { Thermistor } from "../../sim/world/thermistor.js";

let mod: WebAssembly.Module;
beforeAll(() => { mod = compileEntry("sensor-accuracy"); });

const EMPTY = 2000;
const FULL = 200;
const SPAN = EMPTY - FULL;
const HOURS = 8;
const SEED = 20261124;
/** 343 m/s = 331.3 + 0.606·T at T = 19.3 °C: the uncompensated constant. */
const UNCOMPENSATED_DECIC = 193;

const airC = (tMs: number): number => 20 - 20 * Math.cos((2 * Math.PI * tMs) / (4 * 3_600_000)); // 0..40 °C, 4 h period
const trueMm = (tMs: number): number => 1100 - 800 * Math.cos((2 * Math.PI * tMs) / (3 * 3_600_000) + 0.7); // 300..1900 mm

interface Figures { rmsPctSpan: number; worstPctSpan: number; readings: number; unknown: number }

function run(method: "A" | "B" | "C", seed = SEED): Figures {
  const rng = new SeededRandom(seed);
  const sensor = new PulseEchoSensor({ blindMm: 20, maxRangeMm: 4000, jitterUs: 6, spuriousProbability: 0.05, missingProbability: 0.05 });
  const ntc = new Thermistor({ noiseCounts: 2 });
  const fw = instantiate(mod);
  fw.set({
    sensorKind: KIND.PULSE, trigPin: 5, echoPin: 6, blindMm: 20, maxRangeMm: 4000, pingGapMs: 60, readingIntervalMs: 2000,
    emptyDistanceMm: EMPTY, fullDistanceMm: FULL, smoothingPct: 0, staleMs: 30000,
    pingsPerReading: method === "B" ? 1 : 5,
    spikeLimitMm: method === "A" ? 200 : 0,
    tempSource: method === "A" ? TEMP.NTC : TEMP.FIXED,
    tempFixedDeciC: method === "A" ? 200 : UNCOMPENSATED_DECIC,
    ntcChannel: 3,
  });
  fw.hal.adc = (ch) => (ch === 3 ? ntc.read(airC(fw.hal.nowMs), rng) : -1);
  fw.hal.pulseIn = (_pin, _level, timeoutUs) => {
    const r = sensor.ping(trueMm(fw.hal.nowMs), airC(fw.hal.nowMs), rng);
    if (!Number.isFinite(r.delayUs) || r.delayUs + r.widthUs > timeoutUs) return 0; // the call ends at the timeout
    return Math.max(1, Math.round(r.widthUs));
  };
  fw.x.sensorInit(0);
  let sum2 = 0, worst = 0, n = 0, unknown = 0;
  const end = HOURS * 3_600_000;
  while (fw.hal.nowMs < end) {
    const seq = fw.x.readingSeq();
    const wait = fw.x.sensorTick(Math.floor(fw.hal.nowMs) >>> 0);
    if (fw.x.readingSeq() !== seq) {
      const level = fw.x.levelPermille();
      if (level < 0) unknown++;
      else {
        const truth = ((EMPTY - trueMm(fw.hal.nowMs)) / SPAN) * 1000;
        const errPct = (level - truth) / 10;
        sum2 += errPct * errPct;
        worst = Math.max(worst, Math.abs(errPct));
        n++;
      }
    }
    fw.hal.nowMs += Math.max(1, wait);
  }
  return { rmsPctSpan: Math.sqrt(sum2 / Math.max(1, n)), worstPctSpan: worst, readings: n, unknown };
}

test("level accuracy with jitter, 5 % spurious and 5 % missing echoes, air 0..40 °C", () => {
  const a = run("A");
  const b = run("B");
  const c = run("C");
  const fmt = (f: Figures): string => `RMS ${f.rmsPctSpan.toFixed(3)} % of span, worst ${f.worstPctSpan.toFixed(2)} % (${f.readings} readings, ${f.unknown} unknown)`;
  console.log(`accuracy A firmware (median of 5, NTC compensation, spike rejection): ${fmt(a)}`);
  console.log(`accuracy B single ping, 343 m/s:                                       ${fmt(b)}`);
  console.log(`accuracy C median of 5, 343 m/s:                                       ${fmt(c)}`);
  // the firmware's figure is no accident of one seed
  const others = [1, 2, 3, 4].map((k) => run("A", SEED + k));
  console.log(`accuracy A over 4 more seeds: RMS ${others.map((f) => f.rmsPctSpan.toFixed(3)).join(", ")} %, worst ${others.map((f) => f.worstPctSpan.toFixed(2)).join(", ")} %`);
  const dir = join(ROOT, "test-artifacts");
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, "accuracy.json"), JSON.stringify({
    conditions: {
      seed: SEED, hours: HOURS, spanMm: SPAN, readingIntervalMs: 2000, jitterUs: 6,
      spuriousEchoes: 0.05, missingEchoes: 0.05, airC: [0, 40], ntcNoiseCounts: 2,
    },
    firmware_median5_compensated: a,
    single_ping_uncompensated: b,
    median5_uncompensated: c,
    firmware_other_seeds: others.map((f, i) => ({ seed: SEED + 1 + i, ...f })),
  }, null, 2) + "\n");
  for (const f of others) {
    expect(f.rmsPctSpan).toBeLessThan(0.5);
    expect(f.unknown).toBe(0);
  }
  expect(a.readings).toBeGreaterThan(10000);
  expect(a.unknown).toBe(0);
  expect(a.rmsPctSpan).toBeLessThan(0.5);
  // the comparison methods are worse (sanity of the set-up)
  expect(b.rmsPctSpan).toBeGreaterThan(a.rmsPctSpan);
  expect(c.rmsPctSpan).toBeGreaterThan(a.rmsPctSpan);
});

test("UART and analog sensors from the simulator: corrupted frames, garbage bytes, ADC noise", () => {
  const results: Record<string, Figures> = {};
  for (const kind of ["uart", "analog"] as const) {
    const rng = new SeededRandom(SEED);
    const fw = instantiate(mod);
    const uart = new UartDistanceSensor({ blindMm: 30, maxRangeMm: 4500, jitterMm: 1, corruptProbability: 0.1, garbageProbability: 0.2, missingProbability: 0.05 });
    const analog = new AnalogDistanceSensor({ blindMm: 150, maxRangeMm: 5000, mmPerV: 1000, adcBits: 12, adcRefMv: 3300, noiseMv: 2 });
    fw.set({
      sensorKind: kind === "uart" ? KIND.UART : KIND.ANALOG, uartPort: 1, adcChannel: 2, adcBits: 12, adcRefMv: 3300,
      analogUmPerMv: 1000, analogSamples: 8, blindMm: kind === "uart" ? 30 : 150, maxRangeMm: 4500, pingGapMs: 100,
      readingIntervalMs: 2000, emptyDistanceMm: EMPTY, fullDistanceMm: FULL, tempSource: TEMP.NONE,
    });
    fw.hal.adc = () => analog.read(trueMm(fw.hal.nowMs), rng);
    fw.x.sensorInit(0);
    let nextFrame = 0, sum2 = 0, worst = 0, n = 0, unknown = 0;
    const end = 2 * 3_600_000;
    while (fw.hal.nowMs < end) {
      if (kind === "uart" && fw.hal.nowMs >= nextFrame) {
        fw.hal.uartRx.push(...uart.emit(trueMm(fw.hal.nowMs), rng));
        nextFrame += 100;
      }
      const seq = fw.x.readingSeq();
      const wait = fw.x.sensorTick(Math.floor(fw.hal.nowMs) >>> 0);
      if (fw.x.readingSeq() !== seq) {
        const level = fw.x.levelPermille();
        if (level < 0) unknown++;
        else {
          const err = (level - ((EMPTY - trueMm(fw.hal.nowMs)) / SPAN) * 1000) / 10;
          sum2 += err * err; worst = Math.max(worst, Math.abs(err)); n++;
        }
      }
      fw.hal.nowMs += Math.max(1, Math.min(wait, 20));
    }
    results[kind] = { rmsPctSpan: Math.sqrt(sum2 / Math.max(1, n)), worstPctSpan: worst, readings: n, unknown };
    console.log(`accuracy ${kind}: RMS ${results[kind]!.rmsPctSpan.toFixed(3)} % of span, worst ${worst.toFixed(2)} % (${n} readings, ${unknown} unknown)` +
      (kind === "uart" ? `; ${fw.x.counter(48 + 5)} BAD_FRAME readings, ${uart.stats.corrupt} corrupted frames, ${uart.stats.garbage} garbage bytes` : ""));
    expect(n).toBeGreaterThan(3000);
    expect(unknown).toBe(0);
    expect(results[kind]!.rmsPctSpan).toBeLessThan(0.5);
  }
});
