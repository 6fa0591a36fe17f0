/**
 * Sensor drivers and the reading pipeline against a scripted hal:
 * pulse-echo (trigger, timeout, gap, one ping per tick, faults), UART frames
 * (checksum, corruption, garbage, resync), analog (scale, averaging, rails),
 * NTC and fixed temperature compensation, spike rejection, smoothing,
 * staleness, level and volume.
 */
import { describe, test, expect, beforeAll } from "vitest";
import fc from "fast-check";
import { compileEntry, instantiate, echoUs, sound, frame, runReadings, KIND, TEMP, Q, type Fw } from "./harness.js";
import { Thermistor } from "../../sim/world/thermistor.js";

let mod: WebAssembly.Module;
beforeAll(() => { mod = compileEntry("sensor-drivers"); });

const TANK = { emptyDistanceMm: 2000, fullDistanceMm: 200 } as const;

function pulseFw(extra: Record<string, number> = {}): Fw {
  const fw = instantiate(mod);
  fw.set({ sensorKind: KIND.PULSE, trigPin: 5, echoPin: 6, tempSource: TEMP.FIXED, tempFixedDeciC: 200, ...TANK, ...extra });
  return fw;
}

describe("pulse-echo", () => {
  test("distance, level and volume from echoes at 20 °C", () => {
    const fw = pulseFw({ tankShape: 0, tankDiameterMm: 1000 });
    fw.hal.pulseIn = () => Math.round(echoUs(1000, 20));
    expect(fw.x.sensorInit(0)).toBe(0);
    expect(fw.x.levelPermille()).toBe(-1);
    expect(fw.x.readingQuality()).toBe(Q.NONE);
    runReadings(fw, 1);
    expect(fw.x.readingQuality()).toBe(Q.OK);
    expect(fw.x.distanceMm()).toBe(1000);
    expect(fw.x.levelPermille()).toBe(556); // (2000-1000)/1800
    // vertical cylinder, 1000 mm water: π·0.5²·1 m³ = 785.4 l
    expect(Math.abs(fw.x.volumeMl() - 785398)).toBeLessThan(785398 * 1e-3);
    expect(fw.x.counter(48 + Q.OK)).toBe(1);
  });

  test("trigger pulse, echo timeout from max range and temperature, one ping per tick, gap between pings", () => {
    const fw = pulseFw({ triggerUs: 20, maxRangeMm: 4500, pingGapMs: 100, pingsPerReading: 5, readingIntervalMs: 2000 });
    const calls: number[] = [];
    fw.hal.pulseIn = (pin, level) => { expect(pin).toBe(6); expect(level).toBe(1); calls.push(fw.hal.nowMs); return Math.round(echoUs(800, 20)); };
    fw.x.sensorInit(0);
    expect(fw.hal.modes.get(5)).toBe(1);
    expect(fw.hal.modes.get(6)).toBe(0);
    for (let i = 0; i < 2000; i++) {
      const before = calls.length;
      const w = fw.x.sensorTick(Math.floor(fw.hal.nowMs));
      expect(calls.length - before).toBeLessThanOrEqual(1);
      expect(w).toBeLessThanOrEqual(2000); // the next ping or the next reading is always a deadline
      fw.hal.nowMs += 7; // a host ticking more often than needed
    }
    for (let i = 1; i < calls.length; i++) expect(calls[i]! - calls[i - 1]!).toBeGreaterThanOrEqual(100 - 1);
    // trig: high then low 20 µs later
    const trig = fw.hal.writes.filter(([p]) => p === 5);
    expect(trig[0]![1]).toBe(0); // init drives it low
    expect(trig[1]![1]).toBe(1);
    expect(trig[2]![1]).toBe(0);
    expect((trig[2]![2] - trig[1]![2]) * 1000).toBeCloseTo(20, 6);
    // timeout covers the round trip at max range, with margin, and stays bounded
    const t = fw.hal.lastTimeoutUs;
    expect(t).toBeGreaterThan(echoUs(4500, 20));
    expect(t).toBeLessThan(echoUs(4500, 20) * 1.3 + 2000);
  });

  test("echo timeout follows the temperature", () => {
    const cold = pulseFw({ tempFixedDeciC: -400 });
    const hot = pulseFw({ tempFixedDeciC: 850 });
    cold.x.sensorInit(0); hot.x.sensorInit(0);
    expect(cold.x.sensorEchoTimeoutUs()).toBeGreaterThan(hot.x.sensorEchoTimeoutUs());
    expect(cold.x.sensorEchoTimeoutUs()).toBeGreaterThan(echoUs(4000, -40));
  });

  test("faults: no echo, blind zone, out of range, hal error never become the level", () => {
    const fw = pulseFw({ blindMm: 250, maxRangeMm: 4000, staleMs: 60000 });
    let mm = 1500;
    let mode: "ok" | "none" | "blind" | "far" | "err" = "ok";
    fw.hal.pulseIn = (_p, _l, timeout) => {
      if (mode === "none") return 0;
      if (mode === "err") return -1;
      if (mode === "blind") return Math.round(echoUs(100, 20));
      if (mode === "far") return Math.min(timeout - 1, Math.round(echoUs(4600, 20)));
      return Math.round(echoUs(mm, 20));
    };
    fw.x.sensorInit(0);
    runReadings(fw, 1);
    const level = fw.x.levelPermille();
    expect(level).toBe(278);
    for (const [m, q] of [["none", Q.NO_ECHO], ["blind", Q.BLIND_ZONE], ["far", Q.OUT_OF_RANGE], ["err", Q.NO_ECHO]] as const) {
      mode = m;
      runReadings(fw, 1);
      expect(fw.x.readingQuality()).toBe(q);
      expect(fw.x.levelPermille()).toBe(level);
    }
    expect(fw.x.counter(48 + Q.NO_ECHO)).toBe(2);
    expect(fw.x.counter(48 + Q.BLIND_ZONE)).toBe(1);
    expect(fw.x.counter(48 + Q.OUT_OF_RANGE)).toBe(1);
    expect(fw.x.counter(81)).toBe(5); // five pings with a hal error
    // a few faulted pings among good ones are discarded (median of the good)
    let i = 0;
    mode = "ok"; mm = 1400;
    fw.hal.pulseIn = () => (i++ % 5 < 2 ? 0 : Math.round(echoUs(mm, 20)));
    runReadings(fw, 1);
    expect(fw.x.readingQuality()).toBe(Q.OK);
    expect(fw.x.distanceMm()).toBe(1400);
  });

  test("median rejects a spurious echo within a reading", () => {
    const fw = pulseFw();
    let i = 0;
    fw.hal.pulseIn = () => (i++ % 5 === 2 ? Math.round(echoUs(300, 20)) : Math.round(echoUs(1200, 20)));
    fw.x.sensorInit(0);
    runReadings(fw, 3);
    expect(fw.x.distanceMm()).toBe(1200);
  });

  test("consensus median: spurious echoes among an even count or without a majority do not move the level", () => {
    const fw = pulseFw({ distanceOffsetMm: -700, spikeLimitMm: 0, emptyDistanceMm: 1500, fullDistanceMm: 200 });
    let script: number[] = [1200, 1201, 1199, 1200, 1200];
    let i = 0;
    fw.hal.pulseIn = () => { const mm = script[i++ % script.length]!; return mm > 0 ? echoUs(mm, 20) : 0; };
    fw.x.sensorInit(0);
    runReadings(fw, 1);
    expect(fw.x.distanceMm()).toBe(500);
    // 1 missing, 2 spurious, 2 real: the plain median would be (500 + 1200) / 2
    i = 0; script = [500, 0, 1200, 300, 1201];
    runReadings(fw, 1);
    expect(Math.abs(fw.x.distanceMm() - 500)).toBeLessThanOrEqual(1);
    // 2 missing, 2 spurious, 1 real, nothing agrees: the ping nearest the accepted distance
    i = 0; script = [0, 900, 0, 1200, 350];
    runReadings(fw, 1);
    expect(fw.x.distanceMm()).toBe(500);
    // a majority that agrees wins, even far from the accepted distance (spike rejection is off here)
    i = 0; script = [800, 801, 0, 799, 1200];
    runReadings(fw, 1);
    expect(fw.x.distanceMm()).toBe(100);
  });

  test("stale: no good reading for stale_ms makes the level unknown", () => {
    const fw = pulseFw({ staleMs: 10000, readingIntervalMs: 1000 });
    let ok = true;
    fw.hal.pulseIn = () => (ok ? Math.round(echoUs(1000, 20)) : 0);
    fw.x.sensorInit(0);
    runReadings(fw, 1);
    const t0 = fw.hal.nowMs;
    ok = false;
    while (fw.x.levelPermille() >= 0 && fw.hal.nowMs < t0 + 20000) runReadings(fw, 1);
    expect(fw.x.levelPermille()).toBe(-1);
    expect(fw.x.distanceMm()).toBe(-1);
    expect(fw.x.volumeMl()).toBe(-1);
    expect(fw.x.readingQuality()).toBe(Q.STALE);
    expect(fw.hal.nowMs - t0).toBeGreaterThanOrEqual(10000 - 1000);
    expect(fw.hal.nowMs - t0).toBeLessThan(12000);
    expect(fw.x.counter(48 + Q.STALE)).toBe(1);
    ok = true;
    runReadings(fw, 1);
    expect(fw.x.readingQuality()).toBe(Q.OK);
    expect(fw.x.levelPermille()).toBe(556);
  });

  test("spike rejection: a jump is held until confirmed by consecutive readings", () => {
    const fw = pulseFw({ spikeLimitMm: 200, spikeConfirm: 3 });
    let mm = 1000;
    fw.hal.pulseIn = () => Math.round(echoUs(mm, 20));
    fw.x.sensorInit(0);
    runReadings(fw, 1);
    mm = 400; // a single odd reading (e.g. a splash)
    runReadings(fw, 1);
    expect(fw.x.readingQuality()).toBe(Q.SPIKE);
    expect(fw.x.distanceMm()).toBe(1000);
    mm = 1010;
    runReadings(fw, 1);
    expect(fw.x.distanceMm()).toBe(1010);
    mm = 500; // a real jump: confirmed on the third consecutive reading
    runReadings(fw, 2);
    expect(fw.x.distanceMm()).toBe(1010);
    expect(fw.x.counter(48 + Q.SPIKE)).toBe(3);
    runReadings(fw, 1);
    expect(fw.x.readingQuality()).toBe(Q.OK);
    expect(fw.x.distanceMm()).toBe(500);
  });

  test("smoothing and the calibration offset", () => {
    const fw = pulseFw({ smoothingPct: 50, distanceOffsetMm: -20, spikeLimitMm: 0 });
    let mm = 1020;
    fw.hal.pulseIn = () => Math.round(echoUs(mm, 20));
    fw.x.sensorInit(0);
    runReadings(fw, 1);
    expect(fw.x.distanceMm()).toBe(1000);
    mm = 1120;
    runReadings(fw, 1);
    expect(fw.x.distanceMm()).toBe(1050);
    runReadings(fw, 1);
    expect(fw.x.distanceMm()).toBe(1075);
  });

  test("level is clamped to 0..1000", () => {
    const fw = pulseFw({ spikeLimitMm: 0 });
    let mm = 2500;
    fw.hal.pulseIn = () => Math.round(echoUs(mm, 20));
    fw.x.sensorInit(0);
    runReadings(fw, 1);
    expect(fw.x.levelPermille()).toBe(0);
    expect(fw.x.volumeMl()).toBe(0);
    mm = 100;
    runReadings(fw, 1);
    expect(fw.x.levelPermille()).toBe(1000);
  });
});

describe("temperature compensation", () => {
  for (const celsius of [0, 20, 40]) {
    test(`fixed ${celsius} °C: error < 1 % (343 m/s would be off by ${(Math.abs(343 / sound(celsius) - 1) * 100).toFixed(2)} %)`, () => {
      for (const d of [300, 1000, 2500, 3900]) {
        const fw = pulseFw({ tempFixedDeciC: celsius * 10, spikeLimitMm: 0 });
        fw.hal.pulseIn = () => echoUs(d, celsius);
        fw.x.sensorInit(0);
        runReadings(fw, 1);
        expect(Math.abs(fw.x.distanceMm() - d) / d).toBeLessThan(0.01);
        expect(Math.abs(fw.x.distanceMm() - d)).toBeLessThanOrEqual(1);
      }
      if (celsius !== 20) expect(Math.abs(343 / sound(celsius) - 1)).toBeGreaterThan(0.01);
    });
    test(`NTC at ${celsius} °C: temperature read back and error < 1 %`, () => {
      const ntc = new Thermistor();
      const fw = pulseFw({ tempSource: TEMP.NTC, ntcChannel: 3, tempFixedDeciC: 200, spikeLimitMm: 0 });
      fw.hal.adc = (ch) => (ch === 3 ? ntc.read(celsius) : -1);
      fw.hal.pulseIn = () => echoUs(2000, celsius);
      fw.x.sensorInit(0);
      runReadings(fw, 1);
      expect(Math.abs(fw.x.temperatureDeciC() - celsius * 10)).toBeLessThanOrEqual(3);
      expect(Math.abs(fw.x.distanceMm() - 2000) / 2000).toBeLessThan(0.01);
    });
  }

  test("NTC open/short/hal error: temperature unknown, compensation falls back to temperature_c", () => {
    for (const counts of [0, 4095, -1]) {
      const fw = pulseFw({ tempSource: TEMP.NTC, ntcChannel: 3, tempFixedDeciC: 150 });
      fw.hal.adc = () => counts;
      fw.hal.pulseIn = () => echoUs(1000, 15);
      fw.x.sensorInit(0);
      runReadings(fw, 1);
      expect(fw.x.temperatureDeciC()).toBe(-32768);
      expect(fw.x.compensationDeciC()).toBe(150);
      expect(fw.x.distanceMm()).toBe(1000);
    }
  });

  test("NTC conversion matches the B model across the range and never traps", () => {
    const fw = pulseFw();
    for (const bits of [8, 10, 12, 16]) {
      fw.set({ ntcBits: bits, ntcR0: 10000, ntcSeriesOhm: 10000, ntcBeta: 3950, ntcT0DeciC: 250 });
      const ntc = new Thermistor({ ntc_bits: bits });
      for (let c = -30; c <= 80; c += 5) {
        const counts = ntc.read(c);
        const got = fw.x.ntcCountsToDeciC(counts);
        expect(Math.abs(got / 10 - ntc.celsiusFromCounts(counts))).toBeLessThanOrEqual(0.06);
      }
    }
    fc.assert(fc.property(fc.integer(), fc.integer({ min: 1, max: 16 }), fc.integer({ min: 1, max: 2_000_000 }), (c, bits, r) => {
      fw.set({ ntcBits: bits, ntcR0: r, ntcSeriesOhm: r });
      const t = fw.x.ntcCountsToDeciC(c);
      expect(t === -32768 || (t >= -550 && t <= 1250)).toBe(true);
    }), { numRuns: 2000 });
  });
});

describe("UART frames", () => {
  function uartFw(extra: Record<string, number> = {}): Fw {
    const fw = instantiate(mod);
    fw.set({ sensorKind: KIND.UART, uartPort: 1, uartBaud: 9600, blindMm: 30, maxRangeMm: 4500, pingGapMs: 100, spikeLimitMm: 0, ...TANK, ...extra });
    return fw;
  }
  /** Feeds a frame every 100 ms from `gen` while running readings. */
  function runUart(fw: Fw, readings: number, gen: () => number[]): void {
    let next = fw.hal.nowMs;
    const target = fw.x.readingSeq() + readings;
    for (let i = 0; i < 100000 && fw.x.readingSeq() < target; i++) {
      if (fw.hal.nowMs >= next) { fw.hal.uartRx.push(...gen()); next += 100; }
      const w = fw.x.sensorTick(Math.floor(fw.hal.nowMs) >>> 0);
      fw.hal.nowMs += Math.max(1, Math.min(w, 20));
    }
  }

  test("valid frames give the distance; the UART is opened with the configured baud", () => {
    const fw = uartFw();
    fw.x.sensorInit(0);
    expect(fw.hal.uartOpened).toEqual([[1, 9600]]);
    runUart(fw, 2, () => frame(1234));
    expect(fw.x.readingQuality()).toBe(Q.OK);
    expect(fw.x.distanceMm()).toBe(1234);
  });

  test("corrupted frames are rejected (BAD_FRAME) and never become the level", () => {
    const fw = uartFw();
    fw.x.sensorInit(0);
    runUart(fw, 1, () => frame(1000));
    expect(fw.x.distanceMm()).toBe(1000);
    runUart(fw, 2, () => { const f = frame(600); f[3] = (f[3]! + 1) & 0xff; return f; });
    expect(fw.x.readingQuality()).toBe(Q.BAD_FRAME);
    expect(fw.x.distanceMm()).toBe(1000);
    expect(fw.x.counter(48 + Q.BAD_FRAME)).toBeGreaterThanOrEqual(1);
  });

  test("resynchronises after garbage bytes, including 0xFF garbage and 0xFF data bytes", () => {
    // 0x0FFF = 4095 mm has 0xFF as its low byte; 0xFF05 garbage precedes it
    const fw = uartFw({ maxRangeMm: 6000 });
    fw.x.sensorInit(0);
    let k = 0;
    runUart(fw, 3, () => {
      k++;
      const g = k % 3 === 0 ? [0xff, 0x05] : k % 3 === 1 ? [0x12, 0xff] : [0xff];
      return [...g, ...frame(4095)];
    });
    expect(fw.x.readingQuality()).toBe(Q.OK);
    expect(fw.x.distanceMm()).toBe(4095);
  });

  test("property: any garbage mixed with frames never traps and accepted distances are only real frame values", () => {
    fc.assert(fc.property(
      fc.array(fc.oneof(fc.uint8Array({ maxLength: 7 }).map((a) => Array.from(a)), fc.constant(frame(1500))), { maxLength: 60 }),
      (chunks) => {
        const fw = uartFw();
        fw.x.sensorInit(0);
        for (const c of chunks) {
          fw.hal.uartRx.push(...c);
          fw.x.sensorTick(Math.floor(fw.hal.nowMs));
          fw.hal.nowMs += 37;
          const d = fw.x.distanceMm();
          // only a checksum-valid frame can produce a distance; random bytes pass a 1/256 checksum rarely
          if (d !== -1 && d !== 1500) {
            expect(d).toBeGreaterThanOrEqual(30);
            expect(d).toBeLessThanOrEqual(4500);
          }
        }
      }), { numRuns: 500 });
  });

  test("silence is NO_ECHO, a 0 distance is NO_ECHO, beyond range is OUT_OF_RANGE, blind is BLIND_ZONE", () => {
    const fw = uartFw({ staleMs: 600000 });
    fw.x.sensorInit(0);
    runUart(fw, 1, () => []);
    expect(fw.x.readingQuality()).toBe(Q.NO_ECHO);
    runUart(fw, 1, () => frame(0));
    expect(fw.x.readingQuality()).toBe(Q.NO_ECHO);
    runUart(fw, 1, () => frame(5000));
    expect(fw.x.readingQuality()).toBe(Q.OUT_OF_RANGE);
    runUart(fw, 1, () => frame(20));
    expect(fw.x.readingQuality()).toBe(Q.BLIND_ZONE);
    expect(fw.x.levelPermille()).toBe(-1);
  });

  test("uart_open failure fails init", () => {
    const fw = uartFw();
    fw.hal.uartOpenRc = -1;
    expect(fw.x.sensorInit(0)).toBeLessThan(0);
  });
});

describe("analog", () => {
  function anFw(extra: Record<string, number> = {}): Fw {
    const fw = instantiate(mod);
    fw.set({ sensorKind: KIND.ANALOG, adcChannel: 2, adcBits: 12, adcRefMv: 3300, analogUmPerMv: 1000, analogSamples: 8,
      blindMm: 300, maxRangeMm: 5000, pingGapMs: 50, spikeLimitMm: 0, ...TANK, ...extra });
    return fw;
  }
  test("counts → mV → mm with the configured scale, samples averaged", () => {
    const fw = anFw({ analogUmPerMv: 2000 }); // 2 mm per mV
    let n = 0;
    // 1500 mm at 2 mm/mV = 750 mV = 930.7 counts; alternate ±3 counts around it
    const base = (750 / 3300) * 4095;
    fw.hal.adc = (ch) => { expect(ch).toBe(2); return Math.round(base) + (n++ % 2 ? 3 : -3); };
    fw.x.sensorInit(0);
    runReadings(fw, 1);
    expect(n).toBe(5 * 8);
    expect(Math.abs(fw.x.distanceMm() - 1500)).toBeLessThanOrEqual(2);
  });
  test("a sample at a rail makes the ping ADC_RAIL", () => {
    for (const rail of [0, 4095]) {
      const fw = anFw();
      fw.hal.adc = () => rail;
      fw.x.sensorInit(0);
      runReadings(fw, 1);
      expect(fw.x.readingQuality()).toBe(Q.ADC_RAIL);
      expect(fw.x.levelPermille()).toBe(-1);
      expect(fw.x.counter(48 + Q.ADC_RAIL)).toBe(1);
    }
  });
  test("analog blind zone and range", () => {
    const fw = anFw({ staleMs: 600000 });
    let mv = 200;
    fw.hal.adc = () => Math.round((mv / 3300) * 4095);
    fw.x.sensorInit(0);
    runReadings(fw, 1);
    expect(fw.x.readingQuality()).toBe(Q.BLIND_ZONE);
    fw.set({ maxRangeMm: 1000 });
    mv = 2000;
    runReadings(fw, 1);
    expect(fw.x.readingQuality()).toBe(Q.OUT_OF_RANGE);
  });
});

describe("math helpers", () => {
  test("lnPos and acosApprox match Math.log / Math.acos", () => {
    const fw = pulseFw();
    fc.assert(fc.property(fc.double({ min: 1e-12, max: 1e12, noNaN: true }), (x) => {
      expect(Math.abs(fw.x.lnPos(x) - Math.log(x))).toBeLessThan(1e-10 * Math.max(1, Math.abs(Math.log(x))));
    }), { numRuns: 5000 });
    fc.assert(fc.property(fc.double({ min: -1, max: 1, noNaN: true }), (x) => {
      expect(Math.abs(fw.x.acosApprox(x) - Math.acos(x))).toBeLessThan(3e-8);
    }), { numRuns: 5000 });
    expect(Number.isNaN(fw.x.lnPos(0))).toBe(true);
    expect(Number.isNaN(fw.x.lnPos(-1))).toBe(true);
    expect(Number.isNaN(fw.x.lnPos(Infinity))).toBe(true);
    expect(fw.x.acosApprox(2)).toBe(0);
  });
});

describe("volume", () => {
  test("three tank shapes", () => {
    const cases: Array<[Record<string, number>, number, number]> = [
      // [config, water depth mm, expected litres]
      [{ tankShape: 0, tankDiameterMm: 1200 }, 900, Math.PI * 0.6 * 0.6 * 0.9 * 1000],
      [{ tankShape: 2, tankWidthMm: 800, tankLengthMm: 1500 }, 900, 0.8 * 1.5 * 0.9 * 1000],
      // horizontal cylinder D 1800 mm, L 2000 mm: half full = half the cylinder
      [{ tankShape: 1, tankDiameterMm: 1800, tankLengthMm: 2000 }, 900, (Math.PI * 0.9 * 0.9 * 2 * 1000) / 2],
      // a quarter-depth segment: r²acos(0.5) - 0.5r·sqrt(r²·0.75)
      [{ tankShape: 1, tankDiameterMm: 1800, tankLengthMm: 2000 }, 450,
        (0.81 * Math.acos(0.5) - 0.45 * Math.sqrt(2 * 0.9 * 0.45 - 0.45 * 0.45)) * 2 * 1000],
    ];
    for (const [c, depth, litres] of cases) {
      const fw = pulseFw({ ...c, spikeLimitMm: 0, emptyDistanceMm: 2000, fullDistanceMm: 200 });
      fw.hal.pulseIn = () => echoUs(2000 - depth, 20);
      fw.x.sensorInit(0);
      runReadings(fw, 1);
      expect(Math.abs(fw.x.volumeMl() / 1000 - litres) / litres).toBeLessThan(0.002);
    }
  });
});

describe("robustness", () => {
  test("property: arbitrary hal values never trap and never yield an out-of-range level", () => {
    fc.assert(fc.property(
      fc.constantFrom(KIND.PULSE, KIND.UART, KIND.ANALOG),
      fc.array(fc.integer(), { minLength: 1, maxLength: 50 }),
      fc.integer({ min: 1, max: 15 }),
      (kind, values, ppr) => {
        const fw = instantiate(mod);
        fw.set({ sensorKind: kind, trigPin: 1, echoPin: 2, uartPort: 0, adcChannel: 0, tempSource: TEMP.NTC, ntcChannel: 1,
          pingsPerReading: ppr, smoothingPct: 30, ...TANK });
        let i = 0;
        const next = (): number => values[i++ % values.length]!;
        fw.hal.pulseIn = next;
        fw.hal.adc = next;
        fw.x.sensorInit(0);
        for (let t = 0; t < 60; t++) {
          fw.hal.uartRx.push(next() & 0xff, next() & 0xff);
          fw.x.sensorTick(Math.floor(fw.hal.nowMs) >>> 0);
          fw.hal.nowMs += 97;
          const l = fw.x.levelPermille();
          expect(l === -1 || (l >= 0 && l <= 1000)).toBe(true);
          const q = fw.x.readingQuality();
          expect(q).toBeGreaterThanOrEqual(0);
          expect(q).toBeLessThanOrEqual(8);
        }
      }), { numRuns: 300 });
  });

  test("the u32 clock wrap does not stall the reading cycle", () => {
    const fw = pulseFw();
    fw.hal.nowMs = 2 ** 32 - 3000;
    fw.hal.pulseIn = () => echoUs(1000, 20);
    fw.x.sensorInit(Math.floor(fw.hal.nowMs) >>> 0);
    let n = 0;
    for (let i = 0; i < 20000 && n < 5; i++) {
      const s = fw.x.readingSeq();
      const w = fw.x.sensorTick(Math.floor(fw.hal.nowMs) >>> 0);
      if (fw.x.readingSeq() !== s) n++;
      fw.hal.nowMs += Math.max(1, w);
    }
    expect(n).toBe(5);
    expect(fw.hal.nowMs).toBeGreaterThan(2 ** 32);
    expect(fw.x.readingQuality()).toBe(Q.OK);
  });
});
