/**
 * Linear memory over a long run: the release firmware with the demo tank
 * (pump, household draw, auto mode, NTC, noisy sensor; no button), connected to the fake
 * broker, receiving an "on"/"off" state every 10 minutes, for `hours` of
 * virtual time. Pages and the highest written byte at start, after init and
 * at the end.
 */
import { VirtualClock } from "../sim/clock.js";
import { SimHardware } from "../sim/world/hardware.js";
import { Tank } from "../sim/world/tank.js";
import { DEFAULT_TANK, defaultDeviceConfig } from "../sim/simulation.js";
import { OfflineFirmware } from "./offline.js";
import { inspectMemory, type MemoryFootprint } from "./footprint.js";

export function measureMemory(module: WebAssembly.Module, hours: number): MemoryFootprint {
  const statics = inspectMemory();
  const pagesAtStart = (new WebAssembly.Instance(module, { hal: stubHal() }).exports.memory as WebAssembly.Memory).buffer.byteLength / 65536;
  const clock = new VirtualClock(0);
  const tank = new Tank({ ...DEFAULT_TANK });
  const config = {
    ...defaultDeviceConfig("mem-001", "demo-key-mem-001", { host: "broker.invalid", port: 1883, user: "tank", password: "p" }),
    ...(tank.firmwareConfig() as unknown as Record<string, string | number>),
  };
  // Without a button: with one the firmware polls it every 25 ms (debounce), 40 ticks/s, and a day takes minutes to simulate.
  delete config.button_pin;
  const hw = new SimHardware({
    board: config, clock, tank, air: { kind: "daily", minC: 14, maxC: 28 }, seed: "mem",
    sensorOptions: { jitterUs: 6, missingProbability: 0.02, spuriousProbability: 0.02 },
  });
  let relaySwitches = 0;
  hw.on("relay", () => relaySwitches++);
  const fw = new OfflineFirmware({ module, config, hardware: hw, clock });
  fw.broker.keepPublishes = false;
  const pagesAfterInit = fw.pages;
  const highWaterAfterInit = fw.highWater();
  const end = hours * 3_600_000;
  let nextDownlink = 600_000;
  let downlinks = 0;
  let traps = 0;
  try {
    fw.runUntil(end, () => {
      if (clock.now() >= nextDownlink) {
        nextDownlink += 600_000;
        downlinks++;
        const cmd = downlinks % 2 ? "on" : "off";
        fw.broker.deliver(String(config.downlink_topic), JSON.stringify({ uid: config.uid, name: "Tank", type: "Water Level", cmd, level: "50", level_unit: "%", temperature: "20", temperature_unit: "C" }), 1, (downlinks % 60000) + 1);
      }
    });
  } catch (e) {
    if (!(e instanceof WebAssembly.RuntimeError)) throw e;
    traps++;
  }
  return {
    ...statics,
    pagesAtStart,
    pagesAfterInit,
    pagesAfterRun: fw.pages,
    highWaterAfterInit,
    highWaterAfterRun: fw.highWater(),
    run: { virtualHours: hours, ticks: fw.ticks, readings: fw.readings(), publishes: fw.broker.publishCount, downlinks, relaySwitches, traps },
  };
}

/** Every import as a no-op (only to look at the memory of a fresh instance). */
function stubHal(): WebAssembly.ModuleImports {
  return new Proxy({}, { get: () => () => -1 }) as WebAssembly.ModuleImports;
}
