/** The Simulation API the CLI and the web dashboard build on, against the real mosquitto. */
import { afterEach, describe, expect, inject, it } from "vitest";
import { Simulation, type DeviceSnapshot, type PlatformEvent, type RelayEvent } from "../../sim/simulation.js";

const broker = inject("broker");
let sim: Simulation | null = null;
afterEach(async () => {
  await sim?.stop();
  sim = null;
});

function make(o: ConstructorParameters<typeof Simulation>[0] = {}): Simulation {
  sim = new Simulation({
    broker: { url: `mqtt://${broker.host}:${broker.port}`, user: broker.user, password: broker.password },
    uidPrefix: `api${process.pid}`,
    speed: Infinity,
    ...o,
  });
  return sim;
}

describe("Simulation", () => {
  it("emits device-update snapshots and publish events; each device has its own world and wasm instance", async () => {
    const s = make({ devices: [{ tank: { initialLevelPct: 20 } }, { tank: { initialLevelPct: 70 } }], defaults: { config: { auto: false } }, updateIntervalMs: 20 });
    const updates: DeviceSnapshot[] = [];
    let publishes = 0;
    s.on("device-update", (u) => updates.push(u));
    s.on("publish", () => publishes++);
    await s.start();
    await s.runFor(60_000);
    await new Promise((r) => setTimeout(r, 50));
    const [a, b] = s.snapshots();
    expect(a!.uid).toBe(`api${process.pid}-001`);
    expect(a!.online && b!.online).toBe(true);
    expect(Math.abs(a!.levelPct! - a!.trueLevelPct)).toBeLessThan(1.5);
    expect(Math.abs(b!.levelPct! - b!.trueLevelPct)).toBeLessThan(1.5);
    expect(b!.trueLevelPct - a!.trueLevelPct).toBeGreaterThan(40);
    expect(a!.quality).toBe("OK");
    expect(a!.memoryBytes).toBe(65536);
    expect(a!.lastUplink?.topic).toBe(`iotbind/tank/${a!.uid}`);
    expect(a!.platform?.connected).toBe(true);
    expect(a!.platform?.level).not.toBeNull();
    expect(publishes).toBeGreaterThan(2);
    expect(updates.some((u) => u.uid === b!.uid)).toBe(true);
    expect(s.devices[0]!.device.memory).not.toBe(s.devices[1]!.device.memory);
  });

  it("setSwitch acts like the mobile app: the relay follows, the platform and the device agree", async () => {
    const s = make({ defaults: { tank: { initialLevelPct: 50, consumptionLph: 0 }, config: { auto: false, min_on_s: 0, min_off_s: 0 } } });
    const relays: RelayEvent[] = [];
    const platform: PlatformEvent[] = [];
    s.on("relay", (e) => relays.push(e));
    s.on("platform", (e) => platform.push(e));
    await s.start();
    await s.runFor(10_000);
    const uid = s.devices[0]!.uid;
    await s.setSwitch(uid, true);
    await s.runFor(5_000);
    expect(s.devices[0]!.hardware.relayOn).toBe(true);
    expect(relays.map((r) => r.on)).toEqual([true]);
    expect(platform.some((e) => e.kind === "switch" && e.source === "app" && e.cmd === "on")).toBe(true);
    await s.setSwitch(uid, false);
    await s.runFor(5_000);
    expect(s.devices[0]!.hardware.relayOn).toBe(false);
    expect(s.snapshot(uid).platform?.cmd).toBe("off");
  });

  it("pressButton toggles the pump through the firmware's button handling", async () => {
    const s = make({ defaults: { tank: { initialLevelPct: 50, consumptionLph: 0 }, config: { auto: false, min_on_s: 0, min_off_s: 0 } } });
    await s.start();
    await s.runFor(5_000);
    const d = s.devices[0]!;
    expect(d.hardware.relayOn).toBe(false);
    s.pressButton(d.uid);
    await s.runFor(3_000);
    expect(d.hardware.relayOn).toBe(true);
    await s.runFor(5_000);
    expect(s.snapshot(d.uid).platform?.cmd).toBe("on"); // the device told the platform
  });

  it("stop() disconnects every device cleanly and can be called twice", async () => {
    const s = make({ devices: 3 });
    let stopped = 0;
    s.on("stopped", () => stopped++);
    await s.start();
    await s.runFor(45_000); // boots are staggered over one heartbeat period (60 s / 3)
    expect(s.snapshots().every((x) => x.online)).toBe(true);
    await s.stop();
    await s.stop();
    expect(stopped).toBe(1);
    expect(s.snapshots().every((x) => !x.online && x.connState === "STOPPED")).toBe(true);
    expect(s.devices.every((d) => d.device.sockets.openCount === 0)).toBe(true);
  });
});
