/**
 * OTA (docs/OTA.md): the time to update one device, from the offer to the
 * device reporting the image's version on its status topic. The Node host
 * (Device, real clock, in-memory slots) against mosquitto; the image is the
 * release firmware itself, signed with a throw-away key (the same bytes and
 * chunk count as a real update, without a rebuild). Median of `repeats`.
 */
import { generateKeyPairSync } from "node:crypto";
import { readFileSync } from "node:fs";
import { performance } from "node:perf_hooks";
import { RealClock } from "../sim/clock.js";
import { SimHardware } from "../sim/world/hardware.js";
import { Tank } from "../sim/world/tank.js";
import { Device, type DeviceConfig } from "../sim/host/device.js";
import { ConnState, Counter } from "../sim/host/abi.js";
import { pushImage, signModule } from "../sim/ota-push.js";
import { packagePath } from "../sim/paths.js";
import { percentile, round, sleep } from "./util.js";

export interface OtaBench {
  /** Bytes of the signed image (release module + 64-byte signature). */
  imageBytes: number;
  samples: number;
  /** Offer published -> new instance's status received by the sender, ms. */
  updateMsP50: number;
  updateMsMax: number;
}

export async function measureOta(broker: { host: string; port: number; user: string; password: string }, repeats: number): Promise<OtaBench> {
  const { privateKey, publicKey } = generateKeyPairSync("ec", { namedCurve: "prime256v1" });
  const image = signModule(new Uint8Array(readFileSync(packagePath("build", "firmware.wasm"))), privateKey.export({ type: "pkcs8", format: "pem" }));
  const ms: number[] = [];
  for (let i = 0; i < repeats; i++) {
    const uid = `ota-bench-${process.pid}-${i}`;
    const cid = `otab${(process.pid % 100000).toString(36)}${i}`;
    const config: DeviceConfig = {
      uid, key: `key-${uid}`, client_id: cid, broker_host: broker.host, broker_port: broker.port, broker_user: broker.user, broker_password: broker.password,
      uplink_topic: `iotbind/tank/${uid}`, downlink_topic: `devices/${uid}/state`,
      sensor: "hc-sr04", trig_pin: 5, echo_pin: 18, relay_pin: 26, temperature: "fixed", temperature_c: 20,
      empty_distance_mm: 1100, full_distance_mm: 100, reading_interval_ms: 1000, mqtt_keepalive_s: 60,
    };
    const clock = new RealClock();
    const hw = new SimHardware({ board: config, clock, air: 20, seed: uid, sensorOptions: { jitterUs: 0 },
      tank: new Tank({ shape: "vertical_cylinder", diameterMm: 1000, heightMm: 1000, sensorHeightMm: 1100, initialLevelPct: 42, pumpFlowLpm: 0, consumptionLph: 0 }) });
    const device = await Device.create({ config, hardware: hw, clock, ota: { publicKey: publicKey.export({ type: "spki", format: "pem" }) } });
    device.run();
    try {
      const deadline = Date.now() + 10_000;
      while ((device.connState !== ConnState.CONNECTED || device.counter(Counter.OTA_STATUS_ACKED) < 1) && Date.now() < deadline) await sleep(20);
      if (device.connState !== ConnState.CONNECTED) throw new Error("ota: the device did not connect to mosquitto");
      const t0 = performance.now();
      const [r] = await pushImage({ url: `mqtt://${broker.host}:${broker.port}`, user: broker.user, password: broker.password, devices: [cid], image, timeoutS: 30 });
      if (r?.outcome !== "updated") throw new Error(`ota: the update was not applied (${r?.outcome} ${r?.detail})`);
      ms.push(performance.now() - t0);
    } finally {
      await device.stop();
    }
  }
  ms.sort((a, b) => a - b);
  return { imageBytes: image.length, samples: ms.length, updateMsP50: round(percentile(ms, 50), 1), updateMsMax: round(ms.at(-1) ?? NaN, 1) };
}
