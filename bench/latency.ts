/**
 * Latency of a platform "on"/"off" to the relay pin.
 *
 * 1. Ticks (deterministic, in-process): the state message's bytes are queued
 *    on the firmware's socket (whole, or split in two with the rest arriving
 *    one tick later); count the ticks from the one in which the last byte is
 *    available to the one after which the relay pin has changed. Target: 0
 *    extra ticks (the tick that receives the bytes switches the relay).
 * 2. Milliseconds (real time, noisy machine): the Node host (Device, real
 *    clock, real sockets) against mosquitto, the platform emulator publishing
 *    the state as the app's switch does (`setSwitch`); from the call to the
 *    relay event of the simulated hardware. p50, p99, max.
 */
import { performance } from "node:perf_hooks";
import { VirtualClock, RealClock } from "../sim/clock.js";
import { SimHardware } from "../sim/world/hardware.js";
import { Tank } from "../sim/world/tank.js";
import { Device, type DeviceConfig } from "../sim/host/device.js";
import { PlatformEmulator } from "../sim/platform/emulator.js";
import { ConnState } from "../sim/host/abi.js";
import { SeededRandom } from "../sim/random.js";
import { OfflineFirmware } from "./offline.js";
import { percentile, round, sleep } from "./util.js";
import mqttPacket from "mqtt-packet";

export interface TickLatency {
  trials: number;
  /** Extra ticks after the one in which the last byte became available (0 = same tick). */
  extraTicksMax: number;
  extraTicksMean: number;
  splitTrials: number;
  splitExtraTicksMax: number;
  applied: number;
}

export interface MsLatency {
  samples: number;
  p50: number;
  p99: number;
  max: number;
  mean: number;
  missed: number;
}

const tankOptions = { shape: "vertical_cylinder" as const, diameterMm: 1000, heightMm: 1000, sensorHeightMm: 1100, initialLevelPct: 42, pumpFlowLpm: 0, consumptionLph: 0 };

function baseConfig(uid: string, broker: { host: string; port: number; user?: string; password?: string }): DeviceConfig {
  return {
    uid, key: `key-${uid}`, broker_host: broker.host, broker_port: broker.port,
    ...(broker.user ? { broker_user: broker.user, broker_password: broker.password ?? "" } : {}),
    uplink_topic: `iotbind/tank/${uid}`, downlink_topic: `devices/${uid}/state`,
    sensor: "hc-sr04", trig_pin: 5, echo_pin: 18, relay_pin: 26, temperature: "fixed", temperature_c: 20,
    empty_distance_mm: 1100, full_distance_mm: 100, reading_interval_ms: 1000,
    min_on_s: 0, min_off_s: 0, min_interval_s: 0, mqtt_keepalive_s: 60,
  };
}

const stateMsg = (uid: string, cmd: "on" | "off"): string =>
  JSON.stringify({ uid, name: "Bench tank", type: "Water Level", cmd, level: "42", level_unit: "%", temperature: "20", temperature_unit: "C" });

export function measureTickLatency(module: WebAssembly.Module, trials: number): TickLatency {
  const clock = new VirtualClock(0);
  const config = baseConfig("lat-ticks", { host: "broker.invalid", port: 1883 });
  const hw = new SimHardware({ board: config, clock, tank: new Tank(tankOptions), air: 20, seed: "lat", sensorOptions: { jitterUs: 0 } });
  const fw = new OfflineFirmware({ module, config, hardware: hw, clock });
  fw.runUntil(10_000); // connected, level known
  if (fw.x.conn_state() !== ConnState.CONNECTED || fw.x.level_permille() < 0) throw new Error("tick latency: the firmware did not connect or read a level");
  const rng = new SeededRandom("lat-split");
  const extra: number[] = [];
  const splitExtra: number[] = [];
  let applied = 0;
  let id = 1;
  for (let t = 0; t < trials * 2; t++) {
    const split = t >= trials;
    const want = hw.relayOn ? "off" : "on";
    const bytes = mqttPacket.generate({ cmd: "publish", topic: String(config.downlink_topic), payload: Buffer.from(stateMsg(String(config.uid), want)), qos: 1, messageId: id++, dup: false, retain: false });
    if (split) {
      const cut = rng.int(1, bytes.length - 1);
      fw.broker.push(bytes.subarray(0, cut));
      clock.advance(1);
      fw.tick();
      fw.broker.push(bytes.subarray(cut));
    } else {
      fw.broker.push(bytes);
    }
    let n = 0;
    for (; n < 20; n++) {
      clock.advance(1);
      fw.tick();
      if (hw.relayOn === (want === "on")) break;
    }
    if (n < 20) applied++;
    (split ? splitExtra : extra).push(n);
    fw.runUntil(clock.now() + 3_000);
  }
  return {
    trials,
    extraTicksMax: Math.max(...extra),
    extraTicksMean: round(extra.reduce((a, b) => a + b, 0) / extra.length, 3),
    splitTrials: trials,
    splitExtraTicksMax: Math.max(...splitExtra),
    applied,
  };
}

export async function measureMsLatency(broker: { host: string; port: number; user: string; password: string }, samples: number): Promise<MsLatency> {
  const uid = `lat-${process.pid}-${Date.now().toString(36)}`;
  const config = baseConfig(uid, broker);
  const clock = new RealClock();
  const hw = new SimHardware({ board: config, clock, tank: new Tank(tankOptions), air: 20, seed: uid, sensorOptions: { jitterUs: 0 } });
  const platform = await PlatformEmulator.start({ url: `mqtt://${broker.host}:${broker.port}`, username: broker.user, password: broker.password });
  platform.on("error", () => {});
  platform.register({ uid, key: String(config.key), name: "Bench tank", downlinkTopic: String(config.downlink_topic) });
  const device = await Device.create({ config, hardware: hw, clock });
  let relayAt = 0;
  hw.on("relay", () => { relayAt = performance.now(); });
  device.run();
  try {
    const deadline = Date.now() + 10_000;
    while ((device.connState !== ConnState.CONNECTED || device.levelPct === null) && Date.now() < deadline) await sleep(20);
    if (device.connState !== ConnState.CONNECTED) throw new Error("latency: the device did not connect to mosquitto");
    await sleep(300); // the first get/reading round trips settle
    const ms: number[] = [];
    let missed = 0;
    for (let i = 0; i < samples; i++) {
      const on = !hw.relayOn;
      relayAt = 0;
      const t0 = performance.now();
      await platform.setSwitch(uid, on);
      const deadline2 = performance.now() + 2000;
      while (hw.relayOn !== on && performance.now() < deadline2) await sleep(1);
      if (hw.relayOn !== on || relayAt === 0) missed++;
      else ms.push(relayAt - t0);
      await sleep(20);
    }
    ms.sort((a, b) => a - b);
    return {
      samples: ms.length,
      p50: round(percentile(ms, 50), 2),
      p99: round(percentile(ms, 99), 2),
      max: round(ms[ms.length - 1] ?? NaN, 2),
      mean: round(ms.reduce((a, b) => a + b, 0) / Math.max(1, ms.length), 2),
      missed,
    };
  } finally {
    await device.stop();
    await platform.close();
  }
}
