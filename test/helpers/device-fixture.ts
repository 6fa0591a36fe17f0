/**
 * A simulated device wired to the test broker: a SimHardware tank with an
 * HC-SR04 (no noise unless asked), the firmware on real time, and the config
 * every end-to-end test starts from.
 */
import { Device, type DeviceConfig, type DeviceOptions } from "../../sim/host/device.js";
import { SimHardware, type SimHardwareOptions } from "../../sim/world/hardware.js";
import { RealClock } from "../../sim/clock.js";
import type { BrokerInfo } from "../harness/mosquitto.js";

let seq = 0;

/** A unique id per device so parallel tests never share topics. */
export function uniqueId(prefix = "tank"): string {
  seq++;
  return `${prefix}-${process.pid}-${Date.now().toString(36)}-${seq}`;
}

export interface Fixture {
  uid: string;
  key: string;
  uplink: string;
  downlink: string;
  config: DeviceConfig;
}

/** The firmware config for a device on `broker`; `over` replaces or adds members. */
export function fixtureConfig(broker: BrokerInfo, over: Partial<DeviceConfig> = {}): Fixture {
  const uid = uniqueId();
  const key = `key-${uid}`;
  const uplink = `iotbind/tank/${uid}`;
  const downlink = `devices/${uid}/state`;
  const config: DeviceConfig = {
    uid,
    key,
    broker_host: broker.host,
    broker_port: broker.port,
    broker_user: broker.user,
    broker_password: broker.password,
    uplink_topic: uplink,
    downlink_topic: downlink,
    sensor: "hc-sr04",
    trig_pin: 5,
    echo_pin: 18,
    relay_pin: 26,
    temperature: "fixed",
    temperature_c: 20,
    empty_distance_mm: 1100,
    full_distance_mm: 100,
    reading_interval_ms: 500,
    min_interval_s: 0,
    min_on_s: 0,
    min_off_s: 0,
    mqtt_keepalive_s: 30,
    ...over,
  };
  return { uid, key, uplink, downlink, config: { ...config, ...over } };
}

export interface DeviceUnderTest {
  device: Device;
  hw: SimHardware;
  fx: Fixture;
}

/** Tank: vertical cylinder 1000 mm of water column, sensor 1100 mm above the bottom (= empty distance). */
export function makeHardware(config: DeviceConfig, over: Partial<SimHardwareOptions> = {}): SimHardware {
  return new SimHardware({
    board: config,
    clock: over.clock ?? new RealClock(),
    tank: { shape: "vertical_cylinder", diameterMm: 1000, heightMm: 1000, sensorHeightMm: 1100, initialLevelPct: 42, pumpFlowLpm: 0, consumptionLph: 0 },
    air: 20,
    sensorOptions: { jitterUs: 0, missingProbability: 0, spuriousProbability: 0 },
    seed: String(config.uid),
    ...over,
  });
}

export async function startDevice(
  broker: BrokerInfo,
  over: Partial<DeviceConfig> = {},
  opts: { hardware?: Partial<SimHardwareOptions>; device?: Partial<DeviceOptions>; run?: boolean } = {},
): Promise<DeviceUnderTest> {
  const fx = fixtureConfig(broker, over);
  const hw = makeHardware(fx.config, opts.hardware);
  const device = await Device.create({ config: fx.config, hardware: hw, ...opts.device });
  if (opts.run !== false) device.run();
  return { device, hw, fx };
}

/** Polls `cond` every 10 ms until true or `timeoutMs` passes. */
export async function waitFor(cond: () => boolean, timeoutMs = 5000, what = "condition"): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}
