import { describe, expect, test } from "vitest";
import fc from "fast-check";
import {
  SimHardware,
  Tank,
  VirtualClock,
  EXAMPLE_BOARDS,
  capacityOf,
  echoTimeUs,
  heightAtVolume,
  parseUartFrame,
  uartFrame,
  volumeAtHeight,
  type TankGeometry,
} from "../../sim/world/index.js";

const geometry: fc.Arbitrary<TankGeometry> = fc.oneof(
  fc.record({ shape: fc.constant("vertical_cylinder" as const), diameterMm: fc.integer({ min: 10, max: 20000 }), heightMm: fc.integer({ min: 10, max: 20000 }) }),
  fc.record({ shape: fc.constant("horizontal_cylinder" as const), diameterMm: fc.integer({ min: 10, max: 20000 }), lengthMm: fc.integer({ min: 10, max: 50000 }) }),
  fc.record({ shape: fc.constant("rectangular" as const), lengthMm: fc.integer({ min: 10, max: 50000 }), widthMm: fc.integer({ min: 10, max: 50000 }), heightMm: fc.integer({ min: 10, max: 20000 }) }),
);

describe("world properties", () => {
  test("volume is monotonic in height and heightAtVolume inverts it", () => {
    fc.assert(
      fc.property(geometry, fc.double({ min: 0, max: 1, noNaN: true }), fc.double({ min: 0, max: 1, noNaN: true }), (g, a, b) => {
        const H = g.shape === "horizontal_cylinder" ? g.diameterMm! : g.heightMm!;
        const [lo, hi] = a <= b ? [a, b] : [b, a];
        expect(volumeAtHeight(g, lo * H)).toBeLessThanOrEqual(volumeAtHeight(g, hi * H) + 1e-9);
        const v = volumeAtHeight(g, a * H);
        // near the top of a horizontal cylinder dV/dh → 0, so heights invert less precisely than volumes
        expect(Math.abs(heightAtVolume(g, v) - a * H)).toBeLessThan(1e-4 * H);
        expect(Math.abs(volumeAtHeight(g, heightAtVolume(g, v)) - v)).toBeLessThan(1e-9 * capacityOf(g));
        expect(v).toBeLessThanOrEqual(capacityOf(g) * (1 + 1e-12));
      }),
      { numRuns: 500 },
    );
  });

  test("water is conserved: start + pumped + inflow − consumed − overflow = end", () => {
    fc.assert(
      fc.property(
        geometry,
        fc.double({ min: 0, max: 100, noNaN: true }),
        fc.array(fc.double({ min: 0, max: 500, noNaN: true }), { minLength: 24, maxLength: 24 }),
        fc.constantFrom("fill" as const, "drain" as const),
        fc.array(fc.tuple(fc.integer({ min: 1, max: 7_200_000 }), fc.boolean()), { minLength: 1, maxLength: 30 }),
        (g, pct, profile, mode, steps) => {
          const t = new Tank({ ...g, initialLevelPct: pct, consumptionLph: profile, pumpMode: mode, pumpFlowLpm: 30, inflowLph: 5 });
          const v0 = t.volumeL;
          let inflow = 0;
          for (const [dt, on] of steps) {
            t.step(dt, on);
            inflow += (5 * dt) / 3_600_000;
            expect(t.volumeL).toBeGreaterThanOrEqual(0);
            expect(t.volumeL).toBeLessThanOrEqual(t.capacityL + 1e-9);
          }
          const pumpedIn = mode === "fill" ? t.totals.pumped : -t.totals.pumped;
          const balance = v0 + pumpedIn + inflow - t.totals.consumed - t.totals.overflowed;
          expect(Math.abs(balance - t.volumeL)).toBeLessThan(1e-6 * Math.max(1, t.capacityL + inflow + t.totals.pumped));
        },
      ),
      { numRuns: 300 },
    );
  });

  test("UART frames round-trip every distance", () => {
    for (let d = 0; d <= 0xffff; d++) {
      const f = uartFrame(d);
      expect(f[3]).toBe((0xff + f[1]! + f[2]!) & 0xff);
      if (parseUartFrame(f) !== d) throw new Error(`frame for ${d} does not round-trip`);
    }
  });
});

describe("hardware behaviours used by scenarios", () => {
  const TANK = { shape: "vertical_cylinder" as const, diameterMm: 1000, heightMm: 1500, sensorHeightMm: 1600, initialLevelPct: 50, consumptionLph: 0 };
  function ping(hw: SimHardware): number {
    hw.gpioWrite(5, 1);
    hw.delayUs(10);
    hw.gpioWrite(5, 0);
    return hw.pulseIn(18, 1, 25000);
  }

  test("a sensor fault can be switched on and off while running", () => {
    const clock = new VirtualClock();
    const hw = new SimHardware({ board: EXAMPLE_BOARDS["hc-sr04"], clock, tank: TANK, sensorOptions: { jitterUs: 0 } });
    expect(ping(hw)).toBe(Math.round(echoTimeUs(850, 20)));
    clock.advance(60);
    (hw.sensor as { fault: string }).fault = "no_echo";
    expect(ping(hw)).toBe(0);
    clock.advance(60);
    (hw.sensor as { fault: string }).fault = "none";
    expect(ping(hw)).toBe(Math.round(echoTimeUs(850, 20)));
  });

  test("surface waves only while the pump runs", () => {
    const clock = new VirtualClock();
    const hw = new SimHardware({ board: EXAMPLE_BOARDS["hc-sr04"], clock, tank: { ...TANK, pumpFlowLpm: 0 }, sensorOptions: { jitterUs: 0 }, pumpTurbulenceMm: 20 });
    const quiet = new Set(Array.from({ length: 50 }, () => { const w = ping(hw); clock.advance(60); return w; }));
    expect(quiet.size).toBe(1);
    hw.gpioWrite(26, 1);
    const wavy = Array.from({ length: 200 }, () => { const w = ping(hw); clock.advance(60); return w; });
    expect(new Set(wavy).size).toBeGreaterThan(50);
    const sdUs = Math.sqrt(wavy.reduce((a, w) => a + (w - echoTimeUs(850, 20)) ** 2, 0) / wavy.length);
    expect(sdUs).toBeGreaterThan(echoTimeUs(20, 20) * 0.8);
    expect(sdUs).toBeLessThan(echoTimeUs(20, 20) * 1.2);
  });

  test("UART and analog streams repeat for the same seed", () => {
    const uart = (seed: number): number[] => {
      const clock = new VirtualClock();
      const hw = new SimHardware({ board: EXAMPLE_BOARDS.a02yyuw, clock, tank: TANK, seed, sensorOptions: { jitterMm: 3, garbageProbability: 0.1, corruptProbability: 0.1 } });
      hw.uartOpen(2, 9600);
      const out: number[] = [];
      for (let i = 0; i < 50; i++) {
        clock.advance(37);
        out.push(...hw.uartRead(2, 16)!);
      }
      return out;
    };
    expect(uart(5)).toEqual(uart(5));
    expect(uart(5)).not.toEqual(uart(6));
    const analog = (seed: number): number[] => {
      const hw = new SimHardware({ board: EXAMPLE_BOARDS.maxbotix, clock: new VirtualClock(), tank: TANK, seed });
      return Array.from({ length: 100 }, () => hw.adcRead(6));
    };
    expect(analog(5)).toEqual(analog(5));
    expect(analog(5)).not.toEqual(analog(6));
  });
});
