import { describe, expect, test } from "vitest";
import {
  Air,
  AnalogDistanceSensor,
  DAY_MS,
  HOUR_MS,
  PulseEchoSensor,
  SeededRandom,
  Tank,
  Thermistor,
  UartDistanceSensor,
  capacityOf,
  distanceFromEchoUs,
  echoTimeUs,
  heightAtVolume,
  parseUartFrame,
  speedOfSound,
  uartFrame,
  volumeAtHeight,
} from "../../sim/world/index.js";

function mean(xs: number[]): number {
  return xs.reduce((a, b) => a + b, 0) / xs.length;
}
function sd(xs: number[]): number {
  const m = mean(xs);
  return Math.sqrt(xs.reduce((a, b) => a + (b - m) ** 2, 0) / (xs.length - 1));
}

describe("speed of sound and echo time", () => {
  test("c(T) = 331.3 + 0.606 T", () => {
    expect(speedOfSound(0)).toBeCloseTo(331.3, 10);
    expect(speedOfSound(20)).toBeCloseTo(343.42, 10);
    expect(speedOfSound(40)).toBeCloseTo(355.54, 10);
  });

  test("echo time for 1 m at 0/20/40 °C is 2·d/c", () => {
    expect(echoTimeUs(1000, 0)).toBeCloseTo(2e6 / 331.3, 6); // 6036.82 µs
    expect(echoTimeUs(1000, 20)).toBeCloseTo(2e6 / 343.42, 6); // 5823.77 µs
    expect(echoTimeUs(1000, 40)).toBeCloseTo(2e6 / 355.54, 6); // 5625.24 µs
    expect(echoTimeUs(1000, 0)).toBeCloseTo(6036.82, 1);
    expect(echoTimeUs(2500, 20)).toBeCloseTo(14559.43, 1);
    expect(distanceFromEchoUs(echoTimeUs(1234, 33), 33)).toBeCloseTo(1234, 9);
  });

  test("a noiseless sensor reports exactly the echo time", () => {
    const s = new PulseEchoSensor({ jitterUs: 0, echoDelayUs: 450 });
    const rng = new SeededRandom(1);
    for (const t of [0, 20, 40]) {
      const r = s.ping(1000, t, rng);
      expect(r.outcome).toBe("echo");
      expect(r.widthUs).toBeCloseTo(echoTimeUs(1000, t), 9);
      expect(r.delayUs).toBe(450);
    }
  });
});

describe("pulse-echo sensor statistics", () => {
  test("jitter has the configured mean and standard deviation", () => {
    const s = new PulseEchoSensor({ jitterUs: 20 });
    const rng = new SeededRandom(1234);
    const w = Array.from({ length: 20000 }, () => s.ping(1500, 20, rng).widthUs);
    const truth = echoTimeUs(1500, 20);
    expect(Math.abs(mean(w) - truth)).toBeLessThan(1); // standard error 0.14 µs
    expect(sd(w)).toBeGreaterThan(19);
    expect(sd(w)).toBeLessThan(21);
  });

  test("missing and spurious echo rates are as configured", () => {
    const s = new PulseEchoSensor({ jitterUs: 5, missingProbability: 0.1, spuriousProbability: 0.05 });
    const rng = new SeededRandom(99);
    const n = 20000;
    const truth = echoTimeUs(2000, 20);
    let early = 0;
    for (let i = 0; i < n; i++) {
      const r = s.ping(2000, 20, rng);
      if (r.outcome === "missing") expect(r.widthUs).toBe(38000);
      if (r.outcome === "spurious") {
        expect(r.widthUs).toBeLessThan(truth);
        early++;
      }
    }
    expect(s.stats.pings).toBe(n);
    expect(s.stats.missing / n).toBeGreaterThan(0.09);
    expect(s.stats.missing / n).toBeLessThan(0.11);
    // spurious only among pings that were not missing: 0.9 * 0.05 = 0.045
    expect(early / n).toBeGreaterThan(0.038);
    expect(early / n).toBeLessThan(0.052);
    expect(s.stats.echo + s.stats.missing + s.stats.spurious).toBe(n);
  });

  test("blind zone gives a short garbage echo, beyond range gives the no-echo pulse", () => {
    const s = new PulseEchoSensor({ blindMm: 250, maxRangeMm: 4500 });
    const rng = new SeededRandom(5);
    for (let i = 0; i < 200; i++) {
      const r = s.ping(100, 20, rng);
      expect(r.outcome).toBe("blind");
      expect(r.widthUs).toBeLessThan(echoTimeUs(250, 20) + 50);
    }
    const far = s.ping(4600, 20, rng);
    expect(far.outcome).toBe("out_of_range");
    expect(far.widthUs).toBe(38000);
  });

  test("faults: no_echo, stuck, disconnected", () => {
    const rng = new SeededRandom(5);
    expect(new PulseEchoSensor({ fault: "no_echo" }).ping(1000, 20, rng).widthUs).toBe(38000);
    const stuck = new PulseEchoSensor({ fault: "stuck", stuckDistanceMm: 300, jitterUs: 0 }).ping(1000, 20, rng);
    expect(stuck.widthUs).toBeCloseTo(echoTimeUs(300, 20), 6);
    expect(new PulseEchoSensor({ fault: "disconnected" }).ping(1000, 20, rng).delayUs).toBe(Infinity);
  });
});

describe("UART frames", () => {
  test("frame layout and checksum", () => {
    expect([...uartFrame(1234)]).toEqual([0xff, 0x04, 0xd2, (0xff + 0x04 + 0xd2) & 0xff]);
    expect([...uartFrame(1234)][3]).toBe(0xd5);
    expect([...uartFrame(0)]).toEqual([0xff, 0, 0, 0xff]);
    for (const d of [0, 1, 255, 256, 1000, 4500, 65535]) expect(parseUartFrame(uartFrame(d))).toBe(d);
    expect(parseUartFrame([0xff, 0x04, 0xd2, 0xd4])).toBeNull();
    expect(parseUartFrame([0xfe, 0x04, 0xd2, 0xd5])).toBeNull();
  });

  test("a sensor's frames decode to the distance; corrupted frames fail the checksum", () => {
    const rng = new SeededRandom(7);
    const ok = new UartDistanceSensor({ jitterMm: 0 });
    expect(parseUartFrame(ok.emit(987, rng))).toBe(987);
    const bad = new UartDistanceSensor({ jitterMm: 0, corruptProbability: 1 });
    for (let i = 0; i < 500; i++) {
      const f = bad.emit(987, rng);
      expect(f.length).toBe(4);
      expect(parseUartFrame(f)).toBeNull();
    }
    expect(bad.stats.corrupt).toBe(500);
    const garbage = new UartDistanceSensor({ jitterMm: 0, garbageProbability: 1 });
    const g = garbage.emit(987, rng);
    expect(g.length).toBe(5);
    expect(parseUartFrame(g.subarray(1))).toBe(987);
    expect(new UartDistanceSensor({ maxRangeMm: 4500 }).emit(5000, rng).length).toBe(0);
    expect(parseUartFrame(new UartDistanceSensor({ maxRangeMm: 4500, outOfRange: "zero" }).emit(5000, rng))).toBe(0);
  });
});

describe("analog sensor", () => {
  test("voltage ∝ distance, counts with bits/ref, clamped to the rails", () => {
    const s = new AnalogDistanceSensor({ mmPerV: 1000, adcBits: 12, adcRefMv: 3300, noiseMv: 0, blindMm: 300, maxRangeMm: 5000 });
    const rng = new SeededRandom(1);
    expect(s.outputMv(1000)).toBeCloseTo(1000, 9);
    expect(s.read(1000, rng)).toBe(Math.round((1000 / 3300) * 4095)); // 1241
    expect(s.read(100, rng)).toBe(Math.round((300 / 3300) * 4095)); // blind: reads as 300 mm
    expect(s.read(4000, rng)).toBe(4095); // 4 V > 3.3 V reference: top rail
    const noisy = new AnalogDistanceSensor({ mmPerV: 1000, noiseMv: 5 });
    const xs = Array.from({ length: 5000 }, () => noisy.read(1500, rng));
    const ideal = (1500 / 3300) * 4095;
    expect(Math.abs(mean(xs) - ideal)).toBeLessThan(0.5);
    expect(sd(xs)).toBeGreaterThan(5 * (4095 / 3300) * 0.9);
    expect(new AnalogDistanceSensor({ fault: "rail_low" }).read(1000, rng)).toBe(0);
  });
});

describe("thermistor", () => {
  test("half scale at 25 °C when R0 equals the series resistor", () => {
    const t = new Thermistor({ ntc_r0_ohm: 10000, ntc_series_ohm: 10000, ntc_t0_c: 25, ntc_beta: 3950, ntc_bits: 12 });
    expect(t.resistance(25)).toBeCloseTo(10000, 6);
    expect(t.idealCounts(25)).toBeCloseTo(4095 / 2, 9);
    expect(Math.abs(t.read(25) - 2048)).toBeLessThanOrEqual(1);
    const t10 = new Thermistor({ ntc_bits: 10 });
    expect(Math.abs(t10.read(25) - 512)).toBeLessThanOrEqual(1);
  });

  test("B-parameter curve: colder reads higher; inverse recovers the temperature", () => {
    const t = new Thermistor();
    // R(0 °C) = 10k · exp(3950 · (1/273.15 − 1/298.15)) ≈ 33.6 kΩ
    expect(t.resistance(0)).toBeCloseTo(10000 * Math.exp(3950 * (1 / 273.15 - 1 / 298.15)), 6);
    expect(t.resistance(0)).toBeGreaterThan(33000);
    expect(t.read(0)).toBeGreaterThan(t.read(25));
    expect(t.read(50)).toBeLessThan(t.read(25));
    for (const c of [-20, 0, 10, 21.5, 40, 60]) expect(t.celsiusFromCounts(t.read(c))).toBeCloseTo(c, 0);
    expect(new Thermistor({ fault: "open" }).read(20)).toBe(4095);
    expect(new Thermistor({ fault: "short" }).read(20)).toBe(0);
  });
});

describe("tank geometry", () => {
  test("closed-form volumes", () => {
    const vc = { shape: "vertical_cylinder" as const, diameterMm: 1000, heightMm: 2000 };
    expect(capacityOf(vc)).toBeCloseTo(Math.PI * 0.5 ** 2 * 2 * 1000, 6); // 1570.8 L
    expect(volumeAtHeight(vc, 500)).toBeCloseTo(Math.PI * 0.25 * 0.5 * 1000, 6);

    const hc = { shape: "horizontal_cylinder" as const, diameterMm: 1200, lengthMm: 2000 };
    const r = 0.6;
    expect(capacityOf(hc)).toBeCloseTo(Math.PI * r * r * 2 * 1000, 6);
    expect(volumeAtHeight(hc, 600)).toBeCloseTo((Math.PI * r * r * 2 * 1000) / 2, 6);
    // segment with central angle θ = π/2: h = r(1 − cos(θ/2)), A = r²/2 (θ − sin θ)
    const h = r * (1 - Math.cos(Math.PI / 4));
    expect(volumeAtHeight(hc, h * 1000)).toBeCloseTo(((r * r) / 2) * (Math.PI / 2 - 1) * 2 * 1000, 6);
    // symmetric: V(h) + V(D − h) = capacity
    expect(volumeAtHeight(hc, 200) + volumeAtHeight(hc, 1000)).toBeCloseTo(capacityOf(hc), 6);
    for (const hh of [0, 1, 150, 600, 1111, 1200]) expect(heightAtVolume(hc, volumeAtHeight(hc, hh))).toBeCloseTo(hh, 3);

    const rect = { shape: "rectangular" as const, lengthMm: 1000, widthMm: 500, heightMm: 800 };
    expect(capacityOf(rect)).toBeCloseTo(400, 9);
    expect(heightAtVolume(rect, 100)).toBeCloseTo(200, 9);
  });

  test("pump fill for 30 min adds flow × time, per geometry", () => {
    for (const g of [
      { shape: "vertical_cylinder" as const, diameterMm: 1000, heightMm: 2000 },
      { shape: "horizontal_cylinder" as const, diameterMm: 1200, lengthMm: 2000 },
      { shape: "rectangular" as const, lengthMm: 1500, widthMm: 1000, heightMm: 1000 },
    ]) {
      const t = new Tank({ ...g, initialLevelPct: 0, pumpFlowLpm: 20, consumptionLph: 0, pumpMode: "fill" });
      for (let i = 0; i < 1800; i++) t.step(1000, true);
      expect(t.volumeL).toBeCloseTo(600, 6);
      expect(t.waterHeightMm).toBeCloseTo(heightAtVolume(g, 600), 3);
      expect(t.totals.pumped).toBeCloseTo(600, 6);
      expect(t.totals.pumpOnMs).toBe(1800 * 1000);
      // relay off: nothing moves
      t.step(HOUR_MS, false);
      expect(t.volumeL).toBeCloseTo(600, 6);
    }
  });

  test("drain mode, consumption profile by hour, overflow and empty clamping", () => {
    const profile = Array.from({ length: 24 }, (_, h) => (h === 6 ? 60 : h === 7 ? 120 : 0));
    const t = new Tank({ shape: "rectangular", lengthMm: 1000, widthMm: 1000, heightMm: 1000, initialLevelPct: 50, consumptionLph: profile, startTimeOfDayMs: 6 * HOUR_MS });
    expect(t.volumeL).toBeCloseTo(500, 9);
    t.step(2 * HOUR_MS, false); // 06:00 → 08:00: 60 + 120 L
    expect(t.totals.consumed).toBeCloseTo(180, 9);
    expect(t.volumeL).toBeCloseTo(320, 9);
    expect(t.timeOfDayMs).toBe(8 * HOUR_MS);
    t.step(DAY_MS - 2 * HOUR_MS, false); // the rest of the day uses nothing
    expect(t.volumeL).toBeCloseTo(320, 9);

    // drain pump: 10 L/min for 60 min takes 600 L but only 320 are there
    t.setConsumption(0);
    t.pumpMode = "drain";
    t.pumpFlowLpm = 10;
    t.step(HOUR_MS, true);
    expect(t.volumeL).toBe(0);
    expect(t.isEmpty).toBe(true);
    expect(t.levelPct).toBe(0);

    // fill past the top: the rest overflows
    t.pumpMode = "fill";
    t.pumpFlowLpm = 50;
    t.step(30 * 60_000, true); // 1500 L into a 1000 L tank
    expect(t.isFull).toBe(true);
    expect(t.volumeL).toBeCloseTo(1000, 9);
    expect(t.totals.overflowed).toBeCloseTo(500, 6);
    expect(t.levelPct).toBeCloseTo(100, 9);
    expect(t.distanceMm).toBeCloseTo(100, 9); // sensor 100 mm above the full line by default

    // demand with an empty tank is unmet
    const e = new Tank({ shape: "rectangular", lengthMm: 1000, widthMm: 1000, heightMm: 1000, initialLevelPct: 1, consumptionLph: 20 });
    e.step(HOUR_MS, false);
    expect(e.volumeL).toBe(0);
    expect(e.totals.consumed).toBeCloseTo(10, 9);
    expect(e.totals.unmet).toBeCloseTo(10, 9);
  });

  test("mounting and firmware config", () => {
    const t = new Tank({ shape: "horizontal_cylinder", diameterMm: 1200, lengthMm: 2500, sensorHeightMm: 1400, initialLevelPct: 25 });
    expect(t.waterHeightMm).toBeCloseTo(300, 6);
    expect(t.distanceMm).toBeCloseTo(1100, 6);
    expect(t.firmwareConfig()).toEqual({
      empty_distance_mm: 1400,
      full_distance_mm: 200,
      tank_shape: "horizontal_cylinder",
      tank_diameter_mm: 1200,
      tank_length_mm: 2500,
      pump_mode: "fill",
    });
    expect(() => new Tank({ shape: "vertical_cylinder", diameterMm: 1000, heightMm: 2000, sensorHeightMm: 1500 })).toThrow(RangeError);
    expect(() => new Tank({ shape: "rectangular", lengthMm: 1000, heightMm: 1000 })).toThrow(/widthMm/);
  });
});

describe("air", () => {
  test("fixed and daily sine", () => {
    expect(new Air(12).at(0)).toBe(12);
    const a = new Air({ kind: "daily", minC: 0, maxC: 40, peakHour: 15 });
    expect(a.at(15 * HOUR_MS)).toBeCloseTo(40, 9);
    expect(a.at(3 * HOUR_MS)).toBeCloseTo(0, 9);
    expect(a.at(9 * HOUR_MS)).toBeCloseTo(20, 9);
    expect(a.at(15 * HOUR_MS + DAY_MS)).toBeCloseTo(40, 9);
  });
});
