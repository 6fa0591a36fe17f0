/**
 * No oscillation: the platform emulator (sim/platform) echoes the device's
 * state after every update with a delay, so state messages older than a
 * change made on the device are always in flight. The device must not be
 * flipped back by them (counted as stale echoes, id 39), and device and
 * platform must converge. Relay toggles are counted.
 */
import { describe, expect, it } from "vitest";
import { rig, useCleanup, waitFor, sleep, broker, onCleanup } from "./setup.js";
import { Counter } from "../../sim/host/abi.js";
import { PlatformEmulator } from "../../sim/platform/emulator.js";
import { ScaledClock } from "../../sim/clock.js";

useCleanup();

async function emulator(delayMs: number): Promise<PlatformEmulator> {
  const p = await PlatformEmulator.start({
    url: `mqtt://${broker.host}:${broker.port}`, username: broker.user, password: broker.password, publishDelayMs: delayMs,
  });
  onCleanup(() => p.close());
  return p;
}

describe("no oscillation with a delayed-echo platform", () => {
  it("a button change is not undone by stale echoes; the platform converges; the app still controls the relay", async () => {
    const platform = await emulator(1500);
    const r = await rig({ button_pin: 0, deadband_pct: 0, min_interval_s: 0, reading_interval_ms: 300 }, { connect: false });
    platform.register({ uid: r.dut.fx.uid, key: r.dut.fx.key, downlinkTopic: r.dut.fx.downlink, cmd: "off" });
    const toggles: boolean[] = [];
    r.dut.device.on("relay", (on) => toggles.push(on));
    await waitFor(() => (platform.device(r.dut.fx.uid)?.readings ?? 0) >= 3, 8000, "readings reach the platform");
    await waitFor(() => r.dut.device.counter(Counter.DOWNLINK_ACCEPTED) >= 2, 5000, "echoes reach the device");

    r.dut.hw.pressButton(200);
    await waitFor(() => r.dut.hw.relayOn, 3000, "relay on by the button");
    await waitFor(() => platform.device(r.dut.fx.uid)!.cmd === "on", 3000, "the platform learns 'on'");
    await sleep(4000); // every echo that was in flight has arrived
    expect(toggles).toEqual([true]);
    expect(r.dut.hw.relayOn).toBe(true);
    expect(r.dut.device.counter(Counter.DOWNLINK_STALE_ECHO)).toBeGreaterThanOrEqual(1);
    expect(platform.device(r.dut.fx.uid)!.cmd).toBe("on");

    // The app switches it off: followed once the platform's state arrives, no bounce either.
    await platform.setSwitch(r.dut.fx.uid, false);
    await waitFor(() => !r.dut.hw.relayOn, 3000, "relay off by the app");
    await sleep(3500);
    expect(toggles).toEqual([true, false]);
    expect(platform.device(r.dut.fx.uid)!.cmd).toBe("off");

    // And the button again, right after an app command: still exactly one toggle each.
    r.dut.hw.pressButton(200);
    await waitFor(() => r.dut.hw.relayOn, 3000, "relay on by the button again");
    await sleep(4000);
    expect(toggles).toEqual([true, false, true]);
    expect(platform.device(r.dut.fx.uid)!.cmd).toBe("on");
    expect(r.traps()).toBe(0);
  });

  it("a refused platform command converges to the device's real state without toggling", async () => {
    const platform = await emulator(800);
    const r = await rig({ pump_mode: "fill", high_cutoff_pct: 90, deadband_pct: 0, min_interval_s: 0, reading_interval_ms: 300 }, {
      connect: false,
      hardware: { tank: { shape: "vertical_cylinder", diameterMm: 1000, heightMm: 1000, sensorHeightMm: 1100, initialLevelPct: 97, pumpFlowLpm: 0, consumptionLph: 0 } },
    });
    platform.register({ uid: r.dut.fx.uid, key: r.dut.fx.key, downlinkTopic: r.dut.fx.downlink, cmd: "off" });
    const toggles: boolean[] = [];
    r.dut.device.on("relay", (on) => toggles.push(on));
    await waitFor(() => (platform.device(r.dut.fx.uid)?.readings ?? 0) >= 3, 8000, "readings reach the platform");
    await platform.setSwitch(r.dut.fx.uid, true);
    await waitFor(() => r.dut.device.counter(Counter.PUMP_REFUSAL_BASE + 4) >= 1, 3000, "HIGH_LEVEL refusal");
    await waitFor(() => platform.device(r.dut.fx.uid)!.cmd === "off", 3000, "the platform learns the real state");
    await sleep(3000);
    expect(toggles).toEqual([]);
    expect(platform.device(r.dut.fx.uid)!.cmd).toBe("off");
    // Stale "on" echoes were not re-requested over and over: at most a few refusals.
    expect(r.dut.device.counter(Counter.PUMP_REFUSAL_BASE + 4)).toBeLessThanOrEqual(2);
  });

  it("a safety cut-off (tank full) is reported and not undone by the platform's stale \"on\" echoes", async () => {
    const platform = await emulator(1000);
    const r = await rig({ pump_mode: "fill", high_cutoff_pct: 90, deadband_pct: 0, min_interval_s: 0, reading_interval_ms: 300 }, { connect: false });
    platform.register({ uid: r.dut.fx.uid, key: r.dut.fx.key, downlinkTopic: r.dut.fx.downlink, cmd: "off" });
    const toggles: boolean[] = [];
    r.dut.device.on("relay", (on) => toggles.push(on));
    await waitFor(() => (platform.device(r.dut.fx.uid)?.readings ?? 0) >= 2, 8000, "readings reach the platform");
    await platform.setSwitch(r.dut.fx.uid, true);
    await waitFor(() => r.dut.hw.relayOn, 4000, "relay on by the app");
    await sleep(1500);
    r.dut.hw.tank.levelPct = 96; // above the cut-off: the pump stops on its own
    await waitFor(() => !r.dut.hw.relayOn, 4000, "safety cut-off");
    await waitFor(() => platform.device(r.dut.fx.uid)!.cmd === "off", 4000, "the platform learns 'off'");
    await sleep(3000);
    expect(toggles).toEqual([true, false]);
    expect(platform.device(r.dut.fx.uid)!.cmd).toBe("off");
    expect(r.dut.device.counter(Counter.DOWNLINK_STALE_ECHO)).toBeGreaterThanOrEqual(1);
  });

  it("without an acknowledgement the guard closes after 10 s: a platform that never echoes is locked out no longer", async () => {
    const clock = new ScaledClock(0, 5);
    const r = await rig({ button_pin: 0, mqtt_keepalive_s: 300, reading_interval_ms: 1000 }, { hardware: { clock }, device: { clock } });
    const state = (cmd: string) => JSON.stringify({ uid: r.dut.fx.uid, name: "Tank", type: "Water Level", cmd, level: "42", level_unit: "%", temperature: "20", temperature_unit: "C" });
    r.dut.hw.pressButton(200);
    await waitFor(() => r.dut.hw.relayOn, 3000, "relay on by the button");
    await waitFor(() => r.uplinkJson().some((m) => m.cmd === "on"), 3000, "state report");
    const reportAt = clock.now();
    await r.platform.publish(r.dut.fx.downlink, state("off")); // contradicts, no ack yet: stale
    await waitFor(() => r.dut.device.counter(Counter.DOWNLINK_STALE_ECHO) === 1, 3000, "stale echo counted");
    expect(r.dut.hw.relayOn).toBe(true);
    await waitFor(() => clock.now() - reportAt > 10500, 5000, "10 s (virtual) without acknowledgement");
    await r.platform.publish(r.dut.fx.downlink, state("off"));
    await waitFor(() => !r.dut.hw.relayOn, 3000, "the platform's 'off' applies again");
    expect(r.dut.device.counter(Counter.DOWNLINK_STALE_ECHO)).toBe(1);
  });

  it("power_on \"follow\": the relay follows the platform's state at boot, even when the pump must wait", async () => {
    const platform = await emulator(200);
    const r = await rig({ power_on: "follow" }, { connect: false });
    platform.register({ uid: r.dut.fx.uid, key: r.dut.fx.key, downlinkTopic: r.dut.fx.downlink, cmd: "on" });
    const toggles: boolean[] = [];
    r.dut.device.on("relay", (on) => toggles.push(on));
    await waitFor(() => r.dut.hw.relayOn, 8000, "relay follows the platform's 'on'");
    await sleep(1500);
    expect(toggles).toEqual([true]);
    expect(platform.device(r.dut.fx.uid)!.gets).toBeGreaterThanOrEqual(1);
    expect(platform.device(r.dut.fx.uid)!.cmd).toBe("on");
  });

  it("power_on \"off\" (default): the relay stays off at boot and the platform is told so", async () => {
    const platform = await emulator(200);
    const r = await rig({ min_off_s: 5 }, { connect: false });
    platform.register({ uid: r.dut.fx.uid, key: r.dut.fx.key, downlinkTopic: r.dut.fx.downlink, cmd: "on" });
    await waitFor(() => platform.device(r.dut.fx.uid)!.cmd === "off", 8000, "the platform learns 'off'");
    await sleep(1500);
    expect(r.dut.hw.relayOn).toBe(false);
    expect(platform.device(r.dut.fx.uid)!.cmd).toBe("off");
  });

  it("after a reconnect, get brings a state the platform changed meanwhile", async () => {
    const platform = await emulator(100);
    const clientId = "tk-" + Math.random().toString(36).slice(2, 10);
    const r = await rig({ client_id: clientId, mqtt_backoff_base_ms: 2000, mqtt_backoff_cap_ms: 2000 });
    platform.register({ uid: r.dut.fx.uid, key: r.dut.fx.key, downlinkTopic: r.dut.fx.downlink, cmd: "off" });
    const gets = platform.device(r.dut.fx.uid)!.gets;
    const mqtt = (await import("mqtt")).default;
    const c = await mqtt.connectAsync(`mqtt://${broker.host}:${broker.port}`, { username: broker.user, password: broker.password, clientId, reconnectPeriod: 0 });
    c.on("error", () => {});
    await waitFor(() => r.dut.device.connState !== 4, 3000, "device kicked off");
    await c.endAsync(true).catch(() => {});
    await platform.setSwitch(r.dut.fx.uid, true); // lost: the device is offline (clean session)
    expect(r.dut.hw.relayOn).toBe(false);
    await waitFor(() => r.dut.hw.relayOn, 8000, "relay on after the reconnect");
    expect(platform.device(r.dut.fx.uid)!.gets).toBeGreaterThan(gets);
  });
});
