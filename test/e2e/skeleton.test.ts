/**
 * The walking skeleton end to end: firmware.wasm in the Node host, a real
 * mosquitto with password authentication, mqtt.js as the platform.
 */
import { afterEach, describe, expect, inject, it } from "vitest";
import { startDevice, waitFor, type DeviceUnderTest } from "../helpers/device-fixture.js";
import { PlatformClient } from "../helpers/platform-client.js";
import { ConnState, Counter, DISCONNECT_NAMES } from "../../sim/host/abi.js";

const broker = inject("broker");
const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

async function setup(over = {}): Promise<{ dut: DeviceUnderTest; platform: PlatformClient; traps: () => number }> {
  const dut = await startDevice(broker, over, { run: false });
  let traps = 0;
  dut.device.on("trap", () => traps++);
  const platform = await PlatformClient.connect(broker, [dut.fx.uplink]);
  cleanups.push(async () => { await dut.device.stop(); await platform.close(); });
  dut.device.run();
  await waitFor(() => dut.device.connState === ConnState.CONNECTED, 8000, "MQTT CONNECTED");
  return { dut, platform, traps: () => traps };
}

function stateMessage(uid: string, cmd: "on" | "off"): string {
  return JSON.stringify({ uid, name: "Tank", type: "Water Level", cmd, level: "42", level_unit: "%", temperature: "20", temperature_unit: "C" });
}

describe("walking skeleton against real mosquitto", () => {
  it("publishes a reading with its uid, key and a level within 1 % of the simulated tank", async () => {
    const { dut, platform } = await setup();
    await waitFor(() => platform.on(dut.fx.uplink).some((m) => typeof (m.json as Record<string, unknown>)?.level !== "undefined"), 10000, "a reading");
    const reading = platform.on(dut.fx.uplink).find((m) => (m.json as Record<string, unknown>)?.level !== undefined)!;
    const msg = reading.json as Record<string, string>;
    expect(msg.uid).toBe(dut.fx.uid);
    expect(msg.key).toBe(dut.fx.key);
    expect(typeof msg.level).toBe("string"); // the doc's examples carry numbers as strings
    const truth = dut.hw.truth().levelPct;
    expect(Math.abs(Number(msg.level) - truth)).toBeLessThanOrEqual(1);
    expect(Math.abs(dut.device.levelPct! - truth)).toBeLessThanOrEqual(1);
  });

  it("switches the relay on in the same tick the \"on\" bytes arrive, and off on \"off\"", async () => {
    const { dut, platform } = await setup();
    await waitFor(() => dut.device.levelPct !== null, 8000, "a first reading");
    const relayTicks: Array<{ on: boolean; tick: number; recvTick: number }> = [];
    dut.device.on("relay", (on, tick) => relayTicks.push({ on, tick, recvTick: dut.device.lastRecvTick }));
    expect(dut.hw.relayOn).toBe(false);
    await platform.publish(dut.fx.downlink, stateMessage(dut.fx.uid, "on"));
    await waitFor(() => dut.hw.relayOn, 5000, "relay on");
    expect(dut.device.relayOn).toBe(true);
    expect(relayTicks[0]).toMatchObject({ on: true });
    expect(relayTicks[0]!.tick).toBe(relayTicks[0]!.recvTick);
    await platform.publish(dut.fx.downlink, stateMessage(dut.fx.uid, "off"));
    await waitFor(() => !dut.hw.relayOn, 5000, "relay off");
    expect(relayTicks[1]).toMatchObject({ on: false });
    expect(relayTicks[1]!.tick).toBe(relayTicks[1]!.recvTick);
  });

  it("ignores another uid, a message with a key member, and malformed JSON, without trapping", async () => {
    const { dut, platform, traps } = await setup();
    await waitFor(() => dut.device.levelPct !== null, 8000, "a first reading");
    const before = {
      other: dut.device.counter(Counter.DOWNLINK_OTHER_UID),
      key: dut.device.counter(Counter.DOWNLINK_HAS_KEY),
      malformed: dut.device.counter(Counter.DOWNLINK_MALFORMED),
    };
    await platform.publish(dut.fx.downlink, stateMessage("someone-else", "on"));
    await platform.publish(dut.fx.downlink, JSON.stringify({ uid: dut.fx.uid, key: dut.fx.key, cmd: "on" }));
    await platform.publish(dut.fx.downlink, `{"uid":"${dut.fx.uid}","cmd":"on"`);
    await platform.publish(dut.fx.downlink, `{"uid":[a"}`);
    await waitFor(() => dut.device.counter(Counter.DOWNLINK_MALFORMED) >= before.malformed + 2, 5000, "malformed counted");
    expect(dut.device.counter(Counter.DOWNLINK_OTHER_UID)).toBe(before.other + 1);
    expect(dut.device.counter(Counter.DOWNLINK_HAS_KEY)).toBe(before.key + 1);
    expect(dut.hw.relayOn).toBe(false);
    expect(dut.device.relayOn).toBe(false);
    expect(traps()).toBe(0);
    expect(dut.device.connState).toBe(ConnState.CONNECTED);
  });

  it("reports a wrong broker password as a named error state, not a crash", async () => {
    const dut = await startDevice(broker, { broker_password: "wrong-password", mqtt_backoff_base_ms: 200, mqtt_backoff_cap_ms: 400 });
    cleanups.push(() => dut.device.stop());
    let traps = 0;
    dut.device.on("trap", () => traps++);
    await waitFor(() => dut.device.counter(Counter.MQTT_CONNECT_ATTEMPTS) >= 2, 8000, "two connect attempts");
    const reason = DISCONNECT_NAMES[dut.device.lastDisconnect];
    expect(["CONNACK_BAD_CREDENTIALS", "CONNACK_NOT_AUTHORISED"]).toContain(reason);
    expect(dut.device.counter(Counter.MQTT_CONNECTS)).toBe(0);
    expect([ConnState.BACKING_OFF, ConnState.SOCKET_CONNECTING, ConnState.AWAITING_CONNACK]).toContain(dut.device.connState);
    expect(traps).toBe(0);
    expect(dut.hw.relayOn).toBe(false);
  });
});
