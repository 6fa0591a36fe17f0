import { describe, expect, test } from "vitest";
import { Pacer, RealClock, ScaledClock, VirtualClock, firmwareMillis, isAdvanceable, realMsFor } from "../../sim/clock.js";
import { SeededRandom, gaussian, seedFrom } from "../../sim/random.js";

describe("SeededRandom", () => {
  test("same seed, same sequence; different seed, different sequence", () => {
    const a = new SeededRandom(42);
    const b = new SeededRandom(42);
    const c = new SeededRandom(43);
    const sa = Array.from({ length: 1000 }, () => a.u32());
    const sb = Array.from({ length: 1000 }, () => b.u32());
    const sc = Array.from({ length: 1000 }, () => c.u32());
    expect(sa).toEqual(sb);
    expect(sa).not.toEqual(sc);
    expect(new Set(sa).size).toBeGreaterThan(995);
    for (const x of sa) expect(Number.isInteger(x) && x >= 0 && x <= 0xffffffff).toBe(true);
    expect(new SeededRandom("dev-1").u32()).toBe(new SeededRandom("dev-1").u32());
    expect(seedFrom("dev-1")).not.toBe(seedFrom("dev-2"));
  });

  test("next() is uniform in [0,1); gaussian has mean 0 and sd 1", () => {
    const r = new SeededRandom(7);
    const n = 50000;
    const xs = Array.from({ length: n }, () => r.next());
    expect(Math.min(...xs)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...xs)).toBeLessThan(1);
    const bins = new Array<number>(10).fill(0);
    for (const x of xs) bins[Math.floor(x * 10)]!++;
    for (const b of bins) expect(Math.abs(b - n / 10)).toBeLessThan(300); // ~4.5 sd
    for (const g of [(): number => r.gaussian(), (): number => gaussian(r)]) {
      const ys = Array.from({ length: n }, g);
      const m = ys.reduce((s, y) => s + y, 0) / n;
      const v = ys.reduce((s, y) => s + (y - m) ** 2, 0) / n;
      expect(Math.abs(m)).toBeLessThan(0.03);
      expect(Math.abs(Math.sqrt(v) - 1)).toBeLessThan(0.03);
    }
    const ints = Array.from({ length: 6000 }, () => r.int(1, 6));
    expect(Math.min(...ints)).toBe(1);
    expect(Math.max(...ints)).toBe(6);
  });

  test("forks are deterministic and independent of each other", () => {
    const a = new SeededRandom(1).fork("sensor");
    const b = new SeededRandom(1).fork("sensor");
    expect(a.u32()).toBe(b.u32());
    const c = new SeededRandom(1).fork("uart");
    expect(new SeededRandom(1).fork("sensor").u32()).not.toBe(c.u32());
  });
});

describe("clocks", () => {
  test("VirtualClock starts where told and the firmware's view wraps at 2^32", () => {
    const c = new VirtualClock(0xffff_0000);
    expect(isAdvanceable(c)).toBe(true);
    expect(firmwareMillis(c.now())).toBe(0xffff_0000);
    c.advance(0xffff);
    expect(firmwareMillis(c.now())).toBe(0xffff_ffff);
    c.advance(1);
    expect(firmwareMillis(c.now())).toBe(0);
    c.advance(5.75);
    expect(firmwareMillis(c.now())).toBe(5);
    expect(c.elapsed()).toBeCloseTo(0x1_0000 + 5.75, 9);
    // the clock itself never wraps: differences stay positive
    expect(c.now()).toBeGreaterThan(0xffff_ffff);
    c.advanceTo(c.now() - 10);
    expect(firmwareMillis(c.now())).toBe(5);
    expect(() => c.advance(-1)).toThrow(RangeError);
    expect(() => c.advance(NaN)).toThrow(RangeError);
  });

  test("speed factor", () => {
    expect(realMsFor(1000, 100)).toBe(10);
    expect(realMsFor(1000, Infinity)).toBe(0);
    const c = new VirtualClock(0, 60);
    expect(c.realMsFor(60_000)).toBe(1000);
    expect(() => new VirtualClock(0, 0)).toThrow(RangeError);
  });

  test("RealClock and ScaledClock follow performance.now()", async () => {
    const r = new RealClock(1000);
    expect(isAdvanceable(r)).toBe(false);
    expect(r.now()).toBeGreaterThanOrEqual(1000);
    expect(r.now()).toBeLessThan(1100);
    const s = new ScaledClock(0, 100);
    await new Promise((res) => setTimeout(res, 50));
    const t1 = s.now();
    expect(t1).toBeGreaterThanOrEqual(4000); // ≥ 40 ms real at 100×
    s.speed = 1;
    const t2 = s.now();
    expect(t2).toBeGreaterThanOrEqual(t1);
    expect(t2 - t1).toBeLessThan(50);
  });
});

describe("Pacer", () => {
  test("paces virtual time at the requested speed", async () => {
    const clock = new VirtualClock(0xffff_0000);
    const pacer = new Pacer(clock, 1000); // 1 s virtual per real ms
    const t0 = performance.now();
    for (let i = 0; i < 20; i++) await pacer.advance(10_000); // 200 s virtual
    const real = performance.now() - t0;
    expect(clock.elapsed()).toBe(200_000);
    expect(real).toBeGreaterThanOrEqual(190);
    expect(real).toBeLessThan(1000);
  });

  test("infinite speed does not sleep but yields", async () => {
    const clock = new VirtualClock();
    const pacer = new Pacer(clock, Infinity);
    let ticks = 0;
    const iv = setInterval(() => ticks++, 1);
    const t0 = performance.now();
    for (let i = 0; i < 2000; i++) await pacer.advance(1000);
    clearInterval(iv);
    expect(clock.now()).toBe(2_000_000);
    expect(performance.now() - t0).toBeLessThan(1000);
    expect(pacer.realDelayUntil(clock.now() + 1e9)).toBe(0);
  });
});
