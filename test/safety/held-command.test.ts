/**
 * Issue 13: a platform "on" that arrives before the first reading (e.g. a
 * queued command delivered right after CONNACK with a persistent session) is
 * held, not refused with LEVEL_UNKNOWN and reported "off". It is applied as
 * soon as the level is known and the rules allow; when the level is still
 * unknown unknown_level_off_s after boot, it is refused and the real state
 * ("off") is reported (docs/PROTOCOL-IMPL.md).
 */
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { FirmwareRig, loadFirmwareSync } from "../../sim/tools/fuzz/rig.js";
import { FUZZ_CONFIG } from "../../sim/tools/fuzz/fuzzers.js";
import { SimHardware } from "../../sim/world/hardware.js";
import { VirtualClock } from "../../sim/clock.js";
import { broker, onCleanup, useCleanup, sleep, waitFor } from "../protocol/setup.js";
import { startDevice } from "../helpers/device-fixture.js";
import { PlatformClient } from "../helpers/platform-client.js";
import { Device } from "../../sim/host/device.js";
import { ConnState } from "../../sim/host/abi.js";
import { C, R, S, makeRig, reportedStates, run, sendCmd, timeUntil } from "./helpers.js";

useCleanup();

describe("a platform 'on' before the first reading", () => {
  it("is held until the first reading, then applied within the rules (property)", () => {
    fc.assert(fc.property(
      fc.integer({ min: 0, max: 1 }),           // QoS of the downlink
      fc.constantFrom("off", "follow"),         // power_on
      fc.constantFrom(0, 0, 3),                 // min_off_s (counted from boot)
      fc.integer({ min: 2, max: 8 }),           // pings per reading: how long the first reading takes
      (qos, powerOn, minOff, pings) => {
        const rig = makeRig({ power_on: powerOn, min_off_s: minOff, pings_per_reading: pings, ping_gap_ms: 60 });
        expect(timeUntil(rig, () => rig.state === S.CONNECTED, 2000, 1)).toBeGreaterThanOrEqual(0);
        expect(rig.x.level_permille(), "the command must come before the first reading").toBe(-1);
        sendCmd(rig, "on", false, qos, 7);
        expect(rig.relay).toBe(false);
        const t = timeUntil(rig, () => rig.relay, minOff * 1000 + 5000, 10);
        expect(t, "held command never applied").toBeGreaterThanOrEqual(0);
        expect(t).toBeGreaterThanOrEqual(minOff * 1000 - 1500); // min off time from boot still holds
        expect(rig.counter(C.REFUSAL_BASE + R.LEVEL_UNKNOWN)).toBe(0);
        run(rig, 3000);
        expect(reportedStates(rig), "the device overwrote the platform's 'on'").not.toContain("off");
        expect(rig.relay).toBe(true);
      }), { numRuns: 40, seed: 6 });
  });

  it("is refused and 'off' reported when the level stays unknown for unknown_level_off_s", () => {
    const clock = new VirtualClock(1_000_000);
    const config = { ...FUZZ_CONFIG, unknown_level_off_s: 5 };
    const hardware = new SimHardware({
      board: config, clock,
      tank: { shape: "vertical_cylinder", diameterMm: 1000, heightMm: 1000, sensorHeightMm: 1100, initialLevelPct: 42, pumpFlowLpm: 0, consumptionLph: 0 },
      air: 20, sensorOptions: { jitterUs: 0, missingProbability: 1, spuriousProbability: 0 }, seed: 1,
    });
    const rig = new FirmwareRig({ firmware: loadFirmwareSync(), config, clock, hardware });
    expect(rig.initStatus).toBe(0);
    expect(timeUntil(rig, () => rig.state === S.CONNECTED, 2000, 1)).toBeGreaterThanOrEqual(0);
    sendCmd(rig, "on");
    run(rig, 4000);
    expect(rig.counter(C.REFUSAL_BASE + R.LEVEL_UNKNOWN)).toBe(0); // still held
    expect(reportedStates(rig)).toEqual([]);
    run(rig, 2000);
    expect(rig.relay).toBe(false);
    expect(rig.counter(C.REFUSAL_BASE + R.LEVEL_UNKNOWN)).toBe(1);
    expect(reportedStates(rig)).toEqual(["off"]);
    // once the hold has ended, an "on" (after the guard time) is refused at once
    run(rig, 10_500);
    sendCmd(rig, "on");
    expect(rig.counter(C.REFUSAL_BASE + R.LEVEL_UNKNOWN)).toBe(2);
  });

  it("an 'off' (or a button) cancels a held 'on'", () => {
    const rig = makeRig({ pings_per_reading: 8 });
    expect(timeUntil(rig, () => rig.state === S.CONNECTED, 2000, 1)).toBeGreaterThanOrEqual(0);
    sendCmd(rig, "on");
    sendCmd(rig, "off");
    run(rig, 5000);
    expect(rig.x.level_permille()).toBeGreaterThanOrEqual(0);
    expect(rig.relay).toBe(false);
  });

  it("a queued QoS 1 'on' delivered right after CONNACK by mosquitto (persistent session) is applied", async () => {
    const clientId = `held${process.pid}${Date.now().toString(36)}`.slice(0, 23);
    const over = { client_id: clientId, mqtt_clean_session: false };
    // first session: subscribe (QoS 1, persistent), then leave
    const first = await startDevice(broker, over);
    await waitFor(() => first.device.connState === ConnState.CONNECTED, 8000, "first session");
    await first.device.stop();
    const platform = await PlatformClient.connect(broker, [first.fx.uplink]);
    onCleanup(async () => { await platform.close(); });
    await platform.publish(first.fx.downlink, `{"uid":"${first.fx.uid}","cmd":"on"}`, 1); // queued by the broker
    // the same device boots again: the "on" arrives right after CONNACK, before any reading
    const device = await Device.create({ config: first.fx.config, hardware: first.hw });
    onCleanup(async () => { await device.stop(); });
    device.run();
    await waitFor(() => device.relayOn, 5000, "the queued on applied");
    expect(device.counter(64 + R.LEVEL_UNKNOWN)).toBe(0);
    await sleep(1000);
    const cmds = platform.on(first.fx.uplink).map((m) => (m.json as { cmd?: string }).cmd);
    expect(cmds, "the device overwrote the platform's 'on'").not.toContain("off");
    expect(device.relayOn).toBe(true);
  });
});
