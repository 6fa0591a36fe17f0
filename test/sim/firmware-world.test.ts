/**
 * Cross-check of the world models with the real firmware: the unchanged
 * build/firmware.wasm reads the simulated sensors (pulse-echo with an NTC,
 * UART frames, analog) on a virtual clock and must report the true level and
 * temperature; in auto mode it must keep the tank between its thresholds.
 * No broker is needed (the firmware's MQTT client just keeps backing off).
 */
import { afterEach, describe, expect, test } from "vitest";
import { Device, type DeviceConfig } from "../../sim/host/device.js";
import { EXAMPLE_BOARDS, SimHardware, VirtualClock, type BoardConfig, type TankOptions } from "../../sim/world/index.js";
import { freePort } from "../harness/mosquitto.js";

const TANK: TankOptions = { shape: "vertical_cylinder", diameterMm: 1000, heightMm: 1500, sensorHeightMm: 1700, initialLevelPct: 63, consumptionLph: 0, pumpFlowLpm: 0 };
const devices: Device[] = [];

afterEach(async () => {
  for (const d of devices.splice(0)) await d.stop();
});

async function boot(board: BoardConfig, extra: Partial<DeviceConfig>, hwOver: Partial<ConstructorParameters<typeof SimHardware>[0]> = {}): Promise<{ dev: Device; hw: SimHardware; clock: VirtualClock }> {
  const clock = new VirtualClock(0xffff_0000); // across the u32 wrap
  const hw = new SimHardware({ board, clock, tank: TANK, air: 31, seed: 9, ...hwOver });
  const port = await freePort(); // nobody listens: the MQTT side only backs off
  const config = {
    uid: "world-check",
    key: "k",
    broker_host: "127.0.0.1",
    broker_port: port,
    uplink_topic: "iotbind/tank/world-check",
    downlink_topic: "devices/world-check",
    reading_interval_ms: 500,
    ...hw.firmwareConfig(),
    ...extra,
  } as DeviceConfig;
  const dev = await Device.create({ config, hardware: hw, clock });
  devices.push(dev);
  return { dev, hw, clock };
}

function runFor(dev: Device, clock: VirtualClock, ms: number): void {
  const end = clock.now() + ms;
  while (clock.now() < end) {
    const wait = dev.tick();
    clock.advance(Math.max(1, Math.min(wait, end - clock.now())));
  }
}

describe("firmware reads the simulated world", () => {
  test("HC-SR04 with NTC: level, distance and temperature", async () => {
    const { dev, hw, clock } = await boot(EXAMPLE_BOARDS["hc-sr04"], { temperature: "ntc", pump_mode: "none" }, { sensorOptions: { jitterUs: 10 } });
    runFor(dev, clock, 20_000);
    const t = hw.truth();
    expect(t.levelPct).toBeCloseTo(63, 6);
    expect(dev.temperatureC).not.toBeNull();
    expect(Math.abs(dev.temperatureC! - 31)).toBeLessThan(0.5);
    expect(dev.levelPct).not.toBeNull();
    expect(Math.abs(dev.levelPct! - t.levelPct)).toBeLessThan(0.5);
    expect(Math.abs(dev.distanceMm! - t.distanceMm)).toBeLessThan(5);
    expect(Math.abs(dev.volumeL! - t.volumeL)).toBeLessThan(0.01 * hw.tank.capacityL);
    expect(hw.stats.triggers).toBeGreaterThan(20);
    expect(hw.stats.ignoredTriggers).toBe(0); // the firmware respects the sensor's cycle
  });

  test("A02YYUW UART frames", async () => {
    const { dev, hw, clock } = await boot(EXAMPLE_BOARDS.a02yyuw, { temperature: "fixed", temperature_c: 20, pump_mode: "none" }, { sensorOptions: { garbageProbability: 0.05, corruptProbability: 0.05 } });
    runFor(dev, clock, 20_000);
    expect(dev.levelPct).not.toBeNull();
    expect(Math.abs(dev.levelPct! - hw.truth().levelPct)).toBeLessThan(0.5);
    expect(hw.stats.uartBytesRead).toBeGreaterThan(400);
  });

  test("MaxBotix analog", async () => {
    // the MaxBotix blind zone is 300 mm: mount it 400 mm above the full line
    const { dev, hw, clock } = await boot(EXAMPLE_BOARDS.maxbotix, { temperature: "fixed", temperature_c: 20, pump_mode: "none" }, { tank: { ...TANK, sensorHeightMm: 1900 } });
    runFor(dev, clock, 20_000);
    expect(dev.levelPct).not.toBeNull();
    expect(Math.abs(dev.levelPct! - hw.truth().levelPct)).toBeLessThan(1);
  });

  test("auto fill keeps the tank between its thresholds over a simulated day", async () => {
    const { dev, hw, clock } = await boot(EXAMPLE_BOARDS["hc-sr04"], {
      temperature: "ntc",
      pump_mode: "fill",
      auto: true,
      auto_start_pct: 30,
      auto_stop_pct: 80,
      min_on_s: 10,
      min_off_s: 10,
      reading_interval_ms: 2000,
    }, {
      tank: { ...TANK, initialLevelPct: 50, pumpFlowLpm: 60, consumptionLph: [20, 20, 20, 20, 20, 40, 150, 250, 200, 100, 60, 60, 80, 60, 60, 60, 80, 150, 250, 200, 120, 60, 40, 20] },
      air: { kind: "daily", minC: 5, maxC: 35 },
      sensorOptions: { jitterUs: 15, missingProbability: 0.02, spuriousProbability: 0.02 },
    });
    let minPct = 100;
    let maxPct = 0;
    const switches: boolean[] = [];
    hw.on("relay", (on) => switches.push(on));
    for (let h = 0; h < 24 * 6; h++) {
      runFor(dev, clock, 600_000); // 10 min
      const p = hw.truth().levelPct;
      minPct = Math.min(minPct, p);
      maxPct = Math.max(maxPct, p);
    }
    expect(switches.length).toBeGreaterThanOrEqual(4); // several fill cycles
    expect(minPct).toBeGreaterThan(25);
    expect(maxPct).toBeLessThan(85);
    expect(hw.tank.totals.overflowed).toBe(0);
    expect(hw.tank.totals.unmet).toBe(0);
  });
});
