/**
 * Configs with each kind of mistake: init refuses (-3, or -2/-1 for JSON and
 * length), the error text names the member and the rule, the relay stays
 * off, nothing is published (no socket opened), and tick stays idle.
 */
import { describe, expect, it } from "vitest";
import { Device } from "../../sim/host/device.js";
import { fixtureConfig, makeHardware } from "../helpers/device-fixture.js";
import { broker, sleep } from "./setup.js";
import { Counter, ConnState } from "../../sim/host/abi.js";
import type { DeviceConfig } from "../../sim/host/device.js";

/** Deliberately wrong members (wrong types, unknown names): the firmware, not the type, must refuse them. */
type RawMembers = Record<string, unknown>;

async function boot(over: RawMembers, remove: string[] = [], raw?: string) {
  const fx = fixtureConfig(broker, over as Partial<DeviceConfig>);
  const cfg: Record<string, unknown> = { ...fx.config };
  for (const k of remove) delete cfg[k];
  const hw = makeHardware(fx.config);
  const dev = await Device.createUnchecked({ config: cfg as DeviceConfig, hardware: hw });
  if (raw !== undefined) {
    // A fresh instance for raw text (init may be called once per instance).
    await dev.boot(raw);
  }
  let connects = 0;
  dev.sockets.connectOverride = (h, p) => { connects++; return { host: h, port: p }; };
  for (let i = 0; i < 5; i++) { dev.tick(); await sleep(5); }
  return { dev, hw, connects: () => connects };
}

const cases: Array<[string, RawMembers, string[], RegExp]> = [
  ["missing required member", {}, ["uid"], /"uid".*required|required.*uid/i],
  ["missing key", {}, ["key"], /"key"/],
  ["wrong type (string for a number)", { broker_port: "1883" }, [], /"broker_port"/],
  ["wrong type (number for a bool)", { json_numbers: 1 }, [], /"json_numbers"/],
  ["wrong type (number for a string)", { uid: 12345 }, [], /"uid"/],
  ["out of range (decimals)", { level_decimals: 4 }, [], /"level_decimals"/],
  ["out of range (deadband)", { deadband_pct: 101 }, [], /"deadband_pct"/],
  ["out of range (heartbeat)", { heartbeat_s: 5 }, [], /"heartbeat_s"/],
  ["out of range (ping interval)", { ping_interval_s: 0 }, [], /"ping_interval_s"/],
  ["not an integer", { temperature_decimals: 1.5 }, [], /"temperature_decimals"/],
  ["string too long", { uid: "u".repeat(65) }, [], /"uid"/],
  ["bad client id characters", { client_id: "tank one" }, [], /"client_id"/],
  ["wildcard in a topic", { uplink_topic: "iotbind/tank/#" }, [], /"uplink_topic"/],
  ["unknown enum value", { power_on: "maybe" }, [], /"power_on"/],
  ["cross-member: empty <= full distance", { empty_distance_mm: 100, full_distance_mm: 200 }, [], /"full_distance_mm".*empty_distance_mm/],
  ["cross-member: password without user", {}, ["broker_user"], /"broker_password"/],
  ["unknown member", { levle_decimals: 1 }, [], /"levle_decimals"/],
];

describe("config mistakes refuse init, name the member, keep the relay off and publish nothing", () => {
  for (const [what, over, remove, re] of cases) {
    it(what, async () => {
      const { dev, hw, connects } = await boot(over, remove);
      expect(dev.initStatus).toBe(-3);
      expect(dev.initError).toMatch(re);
      expect(hw.relayOn).toBe(false);
      expect(dev.connState).toBe(ConnState.IDLE);
      expect(dev.counter(Counter.MQTT_CONNECT_ATTEMPTS)).toBe(0);
      expect(dev.counter(Counter.UPLINK_SENT)).toBe(0);
      expect(connects()).toBe(0);
    });
  }

  it("malformed JSON gives -2, an empty one -1; a long one is judged by its members", async () => {
    for (const raw of ['{"uid":"a",', '{"uid":"a"} x', "[1]", '{"uid":"\\ud800"}', ""]) {
      const { dev, connects } = await boot({}, [], raw);
      expect(dev.initStatus, raw).toBe(raw === "" ? -1 : -2);
      expect(connects()).toBe(0);
    }
    const { dev } = await boot({}, [], JSON.stringify({ pad: "x".repeat(3000) }));
    expect(dev.initStatus).toBe(-3);
    expect(dev.initError).toBe('config: member "pad": is not a known member (see docs/CONFIG.md)');
  });
});
