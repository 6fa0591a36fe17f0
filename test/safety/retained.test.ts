/**
 * Issue 13, class 5: retained downlinks. Rule (docs/PROTOCOL-IMPL.md): a
 * retained message never turns the pump on; a retained "on" is ignored and
 * counted (counter 43) and nothing is reported for it; a retained "off" is
 * honoured like any other "off". The platform never publishes retained.
 *
 * Against the real mosquitto: a retained "on" left on the downlink topic
 * before the device connects. In the rig: every retained "on" form, QoS,
 * relay state and timing (property).
 */
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { broker, onCleanup, useCleanup, sleep, waitFor } from "../protocol/setup.js";
import { startDevice } from "../helpers/device-fixture.js";
import { PlatformClient } from "../helpers/platform-client.js";
import { ConnState } from "../../sim/host/abi.js";
import { publish } from "../../sim/tools/fuzz/mqtt-bytes.js";
import { C, DOWNLINK, FUZZ_UID, connectedRig, makeRig, reportedStates, run, sendCmd, timeUntil, S } from "./helpers.js";

useCleanup();

const RETAINED_ON = 43;

describe("retained downlinks against mosquitto", () => {
  const forms: Array<[string, (uid: string) => string, 0 | 1]> = [
    ["the doc's state message", (uid) => `{\n "uid":"${uid}",\n "name":"Tank",\n "type":"Water Level",\n "cmd":"on",\n "level":"67",\n "level_unit":"%"\n}`, 1],
    ["a bare command, QoS 0", (uid) => `{"cmd":"on","uid":"${uid}"}`, 0],
  ];
  for (const [what, payload, qos] of forms) {
    it(`a retained "on" (${what}) published before the device connects never switches the pump on`, async () => {
      const dut = await startDevice(broker, {}, { run: false });
      const platform = await PlatformClient.connect(broker, [dut.fx.uplink]);
      onCleanup(async () => {
        await dut.device.stop();
        await platform.client.publishAsync(dut.fx.downlink, "", { qos: 1, retain: true }); // clear it
        await platform.close();
      });
      await platform.client.publishAsync(dut.fx.downlink, payload(dut.fx.uid), { qos, retain: true });
      let everOn = false;
      dut.device.on("relay", (on: boolean) => { if (on) everOn = true; });
      dut.device.run();
      await waitFor(() => dut.device.connState === ConnState.CONNECTED, 8000, "MQTT CONNECTED");
      await waitFor(() => dut.device.counter(RETAINED_ON) === 1, 5000, "the retained message counted");
      await waitFor(() => dut.device.levelPct !== null, 5000, "a first reading");
      await sleep(1500);
      expect(everOn).toBe(false);
      expect(dut.hw.relayOn).toBe(false);
      expect(dut.device.relayOn).toBe(false);
      const cmds = platform.on(dut.fx.uplink).map((m) => (m.json as { cmd?: string }).cmd);
      expect(cmds, "the device reported \"on\"").not.toContain("on");
      expect(cmds).toContain("get"); // it asks the platform for the real state, as on every session
      // a live platform "on" still works
      await platform.publish(dut.fx.downlink, `{"uid":"${dut.fx.uid}","cmd":"on"}`);
      await waitFor(() => dut.hw.relayOn, 5000, "a live on");
    });
  }
});

describe("retained downlinks in the rig (property)", () => {
  const payloads = (uid: string) => fc.constantFrom(
    `{"uid":"${uid}","cmd":"on"}`,
    `{"cmd":"on","uid":"${uid}","level":"10"}`,
    `{"uid":"${uid}","name":"n","type":"Water Level","cmd":"on","level":"67","level_unit":"%","temperature":"21","temperature_unit":"C"}`,
    ` { "uid" : "${uid}" , "cmd" : "\\u006fn" } `,
    `{"uid":"${uid}","cmd":"off","cmd":"on"}`,
  );

  it("a retained 'on' never turns the pump on nor makes the device report 'on'", () => {
    fc.assert(fc.property(payloads(FUZZ_UID), fc.integer({ min: 0, max: 1 }), fc.boolean(), fc.integer({ min: 0, max: 3 }),
      (payload, qos, beforeReading, repeats) => {
        const rig = makeRig();
        expect(timeUntil(rig, () => rig.state === S.CONNECTED, 5000, 1)).toBeGreaterThanOrEqual(0);
        if (!beforeReading) expect(timeUntil(rig, () => rig.x.level_permille() >= 0, 30_000)).toBeGreaterThanOrEqual(0);
        for (let i = 0; i <= repeats; i++) {
          rig.link.push(publish(DOWNLINK, payload, qos, 10 + i, 1));
          run(rig, 300);
        }
        run(rig, 15_000);
        expect(rig.relay).toBe(false);
        expect(rig.counter(C.RETAINED_ON)).toBe(repeats + 1);
        expect(reportedStates(rig)).not.toContain("on");
      }), { numRuns: 60, seed: 5 });
  });

  it("a retained 'off' is honoured; the same 'on' without RETAIN is obeyed", () => {
    const rig = connectedRig();
    sendCmd(rig, "on", true);
    expect(rig.relay).toBe(false);
    sendCmd(rig, "on", false);
    expect(rig.relay).toBe(true);
    run(rig, 11_000);
    sendCmd(rig, "off", true);
    expect(rig.relay).toBe(false);
    expect(rig.counter(C.RETAINED_ON)).toBe(1);
  });
});
