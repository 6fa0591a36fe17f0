import { describe, expect, test } from "vitest";
import {
  EXAMPLE_BOARDS,
  PulseEchoSensor,
  SimHardware,
  Tank,
  VirtualClock,
  echoTimeUs,
  parseUartFrame,
  type BoardConfig,
  type TankOptions,
} from "../../sim/world/index.js";

const TANK: TankOptions = { shape: "vertical_cylinder", diameterMm: 1000, heightMm: 1500, sensorHeightMm: 1600, initialLevelPct: 50, consumptionLph: 0, pumpFlowLpm: 20 };
const BOARD: BoardConfig = { sensor: "hc-sr04", trig_pin: 5, echo_pin: 18, relay_pin: 26, relay_active_high: true, button_pin: 0, ntc_channel: 7 };

/** The firmware's pulse-echo sequence. */
function ping(hw: SimHardware, trigUs = 10, timeoutUs = 25000): number {
  hw.gpioWrite(5, 1);
  hw.delayUs(trigUs);
  hw.gpioWrite(5, 0);
  return hw.pulseIn(18, 1, timeoutUs);
}

describe("SimHardware pulse-echo", () => {
  test("trigger → pulse_in returns the echo width and blocks virtual time", () => {
    const clock = new VirtualClock(1000);
    const hw = new SimHardware({ board: BOARD, clock, tank: TANK, air: 20, sensorOptions: { jitterUs: 0, echoDelayUs: 450 } });
    const d = hw.truth().distanceMm;
    expect(d).toBeCloseTo(850, 6);
    const t0 = clock.now();
    const w = ping(hw);
    expect(w).toBe(Math.round(echoTimeUs(850, 20))); // 4950 µs
    // 10 µs trigger + 450 µs burst + the echo itself
    expect((clock.now() - t0) * 1000).toBeCloseTo(10 + 450 + echoTimeUs(850, 20), 3);
    expect(hw.stats.triggers).toBe(1);
  });

  test("air temperature changes the echo time", () => {
    for (const c of [0, 20, 40]) {
      const clock = new VirtualClock();
      const hw = new SimHardware({ board: BOARD, clock, tank: TANK, air: c, sensorOptions: { jitterUs: 0 } });
      expect(ping(hw)).toBe(Math.round(echoTimeUs(850, c)));
    }
  });

  test("a trigger that is too short, or a ping while the sensor is busy, gets nothing", () => {
    const clock = new VirtualClock();
    const hw = new SimHardware({ board: { ...BOARD, sensor: "jsn-sr04t" }, clock, tank: TANK, sensorOptions: { jitterUs: 0 } });
    const t0 = clock.now();
    expect(ping(hw, 10)).toBe(0); // JSN-SR04T needs 20 µs
    expect((clock.now() - t0) * 1000).toBeCloseTo(10 + 25000, 3); // the whole timeout
    expect(hw.stats.ignoredTriggers).toBe(1);
    clock.advance(100);
    expect(ping(hw, 20)).toBeGreaterThan(0);
    // missing echo: the sensor holds its echo line ~38 ms; a trigger inside that is ignored
    const hw2 = new SimHardware({ board: BOARD, clock, tank: TANK, sensorOptions: { missingProbability: 1 } });
    expect(ping(hw2)).toBe(0);
    expect(ping(hw2)).toBe(0);
    expect(hw2.stats.ignoredTriggers).toBe(1);
    clock.advance(60);
    expect(ping(hw2)).toBe(0);
    expect(hw2.stats.triggers).toBe(2);
  });

  test("out of range times out; pulse_in without a trigger times out; bad pins are errors", () => {
    const clock = new VirtualClock();
    const far = new SimHardware({ board: BOARD, clock, tank: { ...TANK, sensorHeightMm: 5000 }, sensorOptions: {} });
    expect(far.truth().distanceMm).toBeGreaterThan(4000);
    expect(ping(far)).toBe(0);
    const t0 = clock.now();
    expect(far.pulseIn(18, 1, 5000)).toBe(0);
    expect(clock.now() - t0).toBeCloseTo(5, 6);
    expect(far.gpioWrite(64, 1)).toBe(-1);
    expect(far.gpioMode(3, 7)).toBe(-1);
    expect(far.pulseIn(-1, 1, 100)).toBe(-1);
    far.faults.gpio.add(5);
    expect(far.gpioWrite(5, 1)).toBe(-1);
  });

  test("same seed → same readings; different seed → different", () => {
    const run = (seed: number): number[] => {
      const clock = new VirtualClock();
      const hw = new SimHardware({ board: BOARD, clock, tank: TANK, seed, sensorOptions: { jitterUs: 30, spuriousProbability: 0.1, missingProbability: 0.1 } });
      return Array.from({ length: 200 }, () => {
        const w = ping(hw);
        clock.advance(60);
        return w;
      });
    };
    expect(run(11)).toEqual(run(11));
    expect(run(11)).not.toEqual(run(12));
  });
});

describe("SimHardware relay, tank and button", () => {
  test("relay pin drives the pump (active high and active low) with events", () => {
    for (const activeHigh of [true, false]) {
      const clock = new VirtualClock();
      const hw = new SimHardware({ board: { ...BOARD, relay_active_high: activeHigh }, clock, tank: TANK });
      const events: [boolean, number][] = [];
      hw.on("relay", (on, at) => events.push([on, at]));
      const on = activeHigh ? 1 : 0;
      expect(hw.relayOffLevel).toBe(1 - on);
      hw.gpioMode(26, 1);
      hw.gpioWrite(26, 1 - on); // off: no change, no event
      expect(events).toEqual([]);
      const v0 = hw.tank.volumeL;
      clock.advance(1000);
      hw.gpioWrite(26, on);
      expect(hw.relayOn).toBe(true);
      clock.advance(60_000); // 1 min at 20 L/min
      expect(hw.truth().volumeL).toBeCloseTo(v0 + 20, 6);
      hw.gpioWrite(26, on); // same level again: no event
      hw.gpioWrite(26, 1 - on);
      clock.advance(60_000);
      expect(hw.truth().volumeL).toBeCloseTo(v0 + 20, 6);
      expect(events).toEqual([[true, 1000], [false, 61_000]]);
      expect(hw.stats.relaySwitches).toBe(2);
      expect(hw.gpioRead(26)).toBe(1 - on);
    }
  });

  test("the measured distance follows the filling tank", () => {
    const clock = new VirtualClock();
    const tank = new Tank({ ...TANK, initialLevelPct: 10, pumpFlowLpm: 50 });
    const hw = new SimHardware({ board: BOARD, clock, tank, sensorOptions: { jitterUs: 0 } });
    const w0 = ping(hw);
    hw.gpioWrite(26, 1);
    clock.advance(10 * 60_000); // 500 L into a 0.785 m² cylinder: +637 mm
    const w1 = ping(hw);
    expect(w0 - w1).toBeGreaterThan(echoTimeUs(630, 20));
    expect(w0 - w1).toBeLessThan(echoTimeUs(645, 20));
    // the pump also ran during the ~5 ms of the second ping
    expect(tank.totals.pumped).toBeCloseTo((50 * tank.totals.pumpOnMs) / 60_000, 9);
    expect(tank.totals.pumpOnMs).toBeGreaterThan(600_000);
    expect(tank.totals.pumpOnMs).toBeLessThan(600_010);
    expect(hw.truth().levelPct).toBeCloseTo(10 + (tank.totals.pumped / tank.capacityL) * 100, 9);
  });

  test("button: pressed for a while (active low), bounce is random", () => {
    const clock = new VirtualClock();
    const hw = new SimHardware({ board: BOARD, clock, tank: TANK });
    hw.gpioMode(0, 2);
    expect(hw.gpioRead(0)).toBe(1);
    hw.pressButton(300);
    expect(hw.gpioRead(0)).toBe(0);
    clock.advance(299);
    expect(hw.gpioRead(0)).toBe(0);
    clock.advance(1);
    expect(hw.gpioRead(0)).toBe(1);
    hw.holdButton();
    clock.advance(10_000);
    expect(hw.gpioRead(0)).toBe(0);
    hw.releaseButton();
    expect(hw.gpioRead(0)).toBe(1);

    const hi = new SimHardware({ board: { ...BOARD, button_active_low: false }, clock, tank: TANK, buttonBounceMs: 5 });
    expect(hi.gpioRead(0)).toBe(0);
    hi.pressButton(500);
    const during = Array.from({ length: 200 }, () => { clock.advance(0.02); return hi.gpioRead(0); });
    expect(new Set(during)).toEqual(new Set([0, 1]));
    clock.advance(10);
    expect(hi.gpioRead(0)).toBe(1);
  });

  test("thermistor channel reads the air temperature; unknown channels are errors", () => {
    const clock = new VirtualClock();
    const hw = new SimHardware({ board: BOARD, clock, tank: TANK, air: 25 });
    expect(Math.abs(hw.adcRead(7) - 2048)).toBeLessThanOrEqual(1);
    expect(hw.adcRead(3)).toBe(-1);
    expect(hw.adcRead(99)).toBe(-1);
    hw.air.set(0);
    expect(hw.thermistor.celsiusFromCounts(hw.adcRead(7))).toBeCloseTo(0, 0);
  });
});

describe("SimHardware UART and analog", () => {
  test("A02YYUW frames arrive every 100 ms, byte by byte at 9600 baud", () => {
    const clock = new VirtualClock();
    const hw = new SimHardware({ board: EXAMPLE_BOARDS.a02yyuw, clock, tank: TANK, sensorOptions: { jitterMm: 0 } });
    expect(hw.uartRead(2, 64)).toBeNull(); // not open yet
    expect(hw.uartOpen(2, 9600)).toBe(0);
    expect(hw.uartRead(2, 64)).toEqual(new Uint8Array(0));
    clock.advance(100 + 2.5); // first frame starts at 100 ms; ~1.04 ms per byte
    expect([...hw.uartRead(2, 64)!]).toEqual([0xff, 0x03]);
    clock.advance(2);
    expect(hw.uartRead(2, 64)!.length).toBe(2);
    clock.advance(1000);
    const bytes = hw.uartRead(2, 1000)!;
    expect(bytes.length).toBe(40);
    for (let i = 0; i < 40; i += 4) expect(parseUartFrame(bytes.subarray(i, i + 4))).toBe(850);
    // read in small pieces
    clock.advance(200);
    expect(hw.uartRead(2, 3)!.length).toBe(3);
    expect(hw.uartRead(2, 100)!.length).toBe(5);
    expect(hw.uartWrite(2, Uint8Array.of(1, 2))).toBe(2);
    expect(hw.uartOpen(9, 9600)).toBe(-1);
  });

  test("the FIFO overflows when nobody reads; wrong baud gives garbage", () => {
    const clock = new VirtualClock();
    const hw = new SimHardware({ board: EXAMPLE_BOARDS.a02yyuw, clock, tank: TANK, uartRxCapacity: 64 });
    hw.uartOpen(2, 9600);
    clock.advance(60_000);
    expect(hw.uartRead(2, 1000)!.length).toBe(64);
    expect(hw.stats.uartOverflow).toBeGreaterThan(2000);
    const bad = new SimHardware({ board: EXAMPLE_BOARDS.a02yyuw, clock, tank: TANK, sensorOptions: { jitterMm: 0 } });
    bad.uartOpen(2, 115200);
    clock.advance(1000);
    const g = bad.uartRead(2, 1000)!;
    let good = 0;
    for (let i = 0; i + 4 <= g.length; i++) if (parseUartFrame(g.subarray(i, i + 4)) === 850) good++;
    expect(good).toBeLessThan(2);
  });

  test("MaxBotix analog counts", () => {
    const clock = new VirtualClock();
    const hw = new SimHardware({ board: EXAMPLE_BOARDS.maxbotix, clock, tank: TANK, sensorOptions: { noiseMv: 0 } });
    expect(hw.adcRead(6)).toBe(Math.round((850 / 1551) * 1000 / 3300 * 4095));
    const noisy = new SimHardware({ board: EXAMPLE_BOARDS.maxbotix, clock, tank: TANK, seed: 3 });
    const xs = Array.from({ length: 100 }, () => noisy.adcRead(6));
    expect(new Set(xs).size).toBeGreaterThan(3);
  });

  test("a ready-made sensor must match the profile's kind", () => {
    expect(() => new SimHardware({ board: EXAMPLE_BOARDS.a02yyuw, clock: new VirtualClock(), tank: TANK, sensor: new PulseEchoSensor() })).toThrow(/kind/);
  });

  test("works across the u32 wrap of the firmware clock", () => {
    const clock = new VirtualClock(0xffff_ffff - 5);
    const hw = new SimHardware({ board: BOARD, clock, tank: TANK, sensorOptions: { jitterUs: 0 } });
    hw.gpioWrite(26, 1);
    const tOn = clock.now();
    expect(ping(hw)).toBe(Math.round(echoTimeUs(850, 20)));
    clock.advance(60_000);
    expect(clock.now()).toBeGreaterThan(0xffff_ffff);
    expect(hw.truth().volumeL).toBeCloseTo(hw.tank.capacityL / 2 + (20 * (clock.now() - tOn)) / 60_000, 9);
  });
});

describe("firmware config from the simulated hardware", () => {
  test("board wiring plus tank geometry and mounting", () => {
    const hw = new SimHardware({ board: { ...BOARD, unrelated: 1 }, clock: new VirtualClock(), tank: TANK });
    expect(hw.firmwareConfig()).toEqual({
      sensor: "hc-sr04",
      trig_pin: 5,
      echo_pin: 18,
      relay_pin: 26,
      relay_active_high: true,
      button_pin: 0,
      ntc_channel: 7,
      empty_distance_mm: 1600,
      full_distance_mm: 100,
      tank_shape: "vertical_cylinder",
      tank_diameter_mm: 1000,
      pump_mode: "fill",
    });
    const noPump = new SimHardware({ board: EXAMPLE_BOARDS.a02yyuw, clock: new VirtualClock(), tank: { shape: "rectangular", lengthMm: 2000, widthMm: 1000, heightMm: 1000 } });
    const c = noPump.firmwareConfig();
    expect(c).toMatchObject({ sensor: "a02yyuw", uart_port: 2, tank_shape: "rectangular", tank_length_mm: 2000, tank_width_mm: 1000, empty_distance_mm: 1100, full_distance_mm: 100 });
  });
});

describe("clocks that the hardware cannot advance", () => {
  test("blocking runs local time ahead of the clock until the clock catches up", () => {
    const clock = new VirtualClock(500);
    const hw = new SimHardware({ board: BOARD, clock, tank: TANK, advanceClock: false, sensorOptions: { jitterUs: 0 } });
    expect(ping(hw)).toBe(Math.round(echoTimeUs(850, 20)));
    expect(clock.now()).toBe(500); // untouched
    const ahead = hw.nowUs() / 1000 - 500;
    expect(ahead).toBeCloseTo((10 + 450 + echoTimeUs(850, 20)) / 1000, 6);
    // a ping right away: the sensor is still busy only if local time did not move; it did, so it works
    expect(ping(hw)).toBe(Math.round(echoTimeUs(850, 20)));
    clock.advance(100);
    expect(hw.nowUs()).toBe(600_000); // caught up: no drift accumulates
    expect(hw.truth().timeMs).toBe(600);
  });
});
