/**
 * Device -> platform: the five uplink kinds of PROTOCOL.md byte for byte
 * (including the doc's own examples), numbers as strings and as numbers,
 * decimals, and the publish policy (get after connect, deadband, min
 * interval, heartbeat, ping, faulted readings, reconnect without backlog).
 */
import { describe, expect, it } from "vitest";
import mqtt from "mqtt";
import { rig, useCleanup, waitFor, sleep, broker, onCleanup } from "./setup.js";
import { ConnState, Counter } from "../../sim/host/abi.js";
import { ScaledClock } from "../../sim/clock.js";
import { defaultHwId } from "../../sim/host/device.js";
import { readFileSync } from "node:fs";

useCleanup();

/** The doc's examples, literally (../shared/seed/iotbind-mqtt-protocol.md). */
const DOC = {
  reading: '{\n    "uid":"Device UniqueID",\n    "key":"Device API secret key",\n    "level":"Anything",\n    "temperature":"Anything"\n}',
  get: '{\n     "uid":"Device UniqueID",\n     "key":"Device API secret key",\n     "cmd":"get"\n}',
  on: '{\n    "uid":"UniqueID",\n    "key":"Device API secret key",\n    "cmd":"on"\n}',
  all: '{\n    "uid":"UniqueID",\n    "key":"Device API secret key",\n    "cmd":"on",\n    "level":"67",\n    "temperature":"21"\n}',
  ping: '{\n     "uid":"Device UniqueID",\n     "key":"Device API secret key",\n     "cmd":"ping"\n}',
};
const compact = (s: string) => JSON.stringify(JSON.parse(s));

/** Kicks the device off the broker by connecting with its client id; returns when it is back. */
async function takeover(clientId: string): Promise<void> {
  const c = await mqtt.connectAsync(`mqtt://${broker.host}:${broker.port}`, {
    username: broker.user, password: broker.password, clientId, reconnectPeriod: 0,
  });
  c.on("error", () => {});
  await sleep(50);
  await c.endAsync(true).catch(() => {});
}

describe("uplink kinds, byte for byte", () => {
  it("sends get (kind 4) right after connecting, exactly like the doc's example", async () => {
    const r = await rig({ uid: "Device UniqueID", key: "Device API secret key" });
    await waitFor(() => r.uplinks().length >= 1, 5000, "first uplink");
    expect(r.uplinks()[0]!.payload).toBe(compact(DOC.get));
    expect(r.dut.device.counter(Counter.UPLINK_SENT)).toBeGreaterThanOrEqual(1);
    expect(r.traps()).toBe(0);
  });

  it("then the latest reading (kind 1): uid, key, level and temperature as strings, like the doc", async () => {
    const r = await rig({ uid: "Device UniqueID", key: "Device API secret key", temperature: "ntc", ntc_channel: 7, temperature_decimals: 0 }, { hardware: { air: 21 } });
    await waitFor(() => r.uplinks().length >= 2, 6000, "a reading");
    const reading = r.uplinks()[1]!.payload;
    expect(Object.keys(JSON.parse(reading))).toEqual(Object.keys(JSON.parse(DOC.reading)));
    // The fixture's tank is at 42 %; the NTC sees 21 C.
    expect(reading).toBe('{"uid":"Device UniqueID","key":"Device API secret key","level":"42","temperature":"21"}');
  });

  it("leaves temperature out when it is not measured (temperature \"fixed\") or send_temperature is off", async () => {
    const a = await rig({});
    const b = await rig({ temperature: "ntc", ntc_channel: 7, send_temperature: false });
    await waitFor(() => a.uplinks().length >= 2 && b.uplinks().length >= 2, 6000, "readings");
    expect(a.uplinks()[1]!.payload).toBe(`{"uid":"${a.dut.fx.uid}","key":"${a.dut.fx.key}","level":"42"}`);
    expect(b.uplinks()[1]!.payload).toBe(`{"uid":"${b.dut.fx.uid}","key":"${b.dut.fx.key}","level":"42"}`);
  });

  it("sends JSON numbers with json_numbers, and the configured decimals", async () => {
    const r = await rig({ json_numbers: true, level_decimals: 2, temperature: "ntc", ntc_channel: 7, temperature_decimals: 0 }, { hardware: { air: 21 } });
    await waitFor(() => r.uplinkJson().some((m) => m.level !== undefined), 6000, "a reading");
    const m = r.uplinks().find((x) => (x.json as Record<string, unknown>).level !== undefined)!;
    expect(m.payload).toMatch(new RegExp(`^\\{"uid":"${r.dut.fx.uid}","key":"${r.dut.fx.key}","level":4[12]\\.\\d\\d,"temperature":2[012]\\}$`));
    const j = m.json as Record<string, number>;
    expect(Math.abs(j.level! - 42)).toBeLessThanOrEqual(0.5);
    expect(j.temperature).toBe(21);
  });

  it("sends level with 3 decimals and temperature with 2, as strings", async () => {
    const r = await rig({ level_decimals: 3, temperature_decimals: 2, temperature: "ntc", ntc_channel: 7 }, { hardware: { air: 21 } });
    await waitFor(() => r.uplinkJson().some((m) => m.level !== undefined), 6000, "a reading");
    const m = r.uplinkJson().find((x) => x.level !== undefined)!;
    expect(m.level).toMatch(/^\d{1,3}\.\d{3}$/);
    expect(Math.abs(Number(m.level) - 42)).toBeLessThanOrEqual(0.5);
    expect(m.temperature).toMatch(/^\d{2}\.\d{2}$/);
    expect(Math.abs(Number(m.temperature) - 21)).toBeLessThanOrEqual(0.3);
  });

  it("reports a relay change made on the device (button) as kind 3, exactly like the doc's on/off example", async () => {
    const r = await rig({ uid: "UniqueID", key: "Device API secret key", button_pin: 0 });
    await waitFor(() => r.uplinkJson().some((m) => m.level !== undefined), 6000, "the first reading");
    const n = r.uplinks().length;
    r.dut.hw.pressButton(200);
    await waitFor(() => r.dut.hw.relayOn, 3000, "relay on by the button");
    await waitFor(() => r.uplinks().length > n, 3000, "a state report");
    expect(r.uplinks()[n]!.payload).toBe(compact(DOC.on));
    await sleep(400); // the first press is released
    const m = r.uplinks().length;
    r.dut.hw.pressButton(200);
    await waitFor(() => !r.dut.hw.relayOn, 3000, "relay off by the button");
    await waitFor(() => r.uplinks().length > m, 3000, "a second state report");
    expect(r.uplinks()[m]!.payload).toBe('{"uid":"UniqueID","key":"Device API secret key","cmd":"off"}');
  });

  it("sends reading and switch state together (kind 2), like the doc's last example, after a reconnect with an unreported change", async () => {
    const clientId = "tk-" + Math.random().toString(36).slice(2, 10);
    const r = await rig(
      { uid: "UniqueID", key: "Device API secret key", button_pin: 0, client_id: clientId, temperature: "ntc", ntc_channel: 7, temperature_decimals: 0, mqtt_backoff_base_ms: 3000, mqtt_backoff_cap_ms: 3000 },
      { hardware: { air: 21, tank: { shape: "vertical_cylinder", diameterMm: 1000, heightMm: 1000, sensorHeightMm: 1100, initialLevelPct: 67, pumpFlowLpm: 0, consumptionLph: 0 } } },
    );
    await waitFor(() => r.uplinkJson().some((m) => m.level !== undefined), 6000, "the first reading");
    await takeover(clientId);
    await waitFor(() => r.dut.device.connState !== ConnState.CONNECTED, 3000, "device kicked off");
    const n = r.uplinks().length;
    r.dut.hw.pressButton(200);
    await waitFor(() => r.dut.hw.relayOn, 2000, "relay on by the button while offline");
    await waitFor(() => r.dut.device.connState === ConnState.CONNECTED, 8000, "reconnected");
    await waitFor(() => r.uplinks().length > n, 3000, "an uplink after the reconnect");
    await sleep(300);
    const after = r.uplinks().slice(n).map((m) => m.payload);
    expect(after[0]).toBe(compact(DOC.all));
    // The unacknowledged device state replaces the get; no backlog.
    expect(after.filter((p) => p.includes('"cmd":"get"'))).toEqual([]);
  });

  it("pings (kind 5) like the doc's example when nothing else was sent for ping_interval", async () => {
    const clock = new ScaledClock(0, 20);
    const r = await rig(
      { uid: "Device UniqueID", key: "Device API secret key", ping_interval_s: 10, heartbeat_s: 3600, deadband_pct: 60, mqtt_keepalive_s: 60 },
      { hardware: { clock }, device: { clock } },
    );
    await waitFor(() => r.uplinks().some((m) => m.payload.includes('"ping"')), 5000, "a ping");
    const p = r.uplinks().find((m) => m.payload.includes('"ping"'))!;
    expect(p.payload).toBe(compact(DOC.ping));
    const kinds = r.uplinkJson().map((m) => m.cmd ?? "reading");
    expect(kinds.slice(0, 3)).toEqual(["get", "reading", "ping"]);
  });
});

describe("publish policy", () => {
  it("publishes a reading when the level moved by the deadband, not for smaller moves", async () => {
    const r = await rig({ deadband_pct: 5, heartbeat_s: 3600, ping_interval_s: 3600 });
    await waitFor(() => r.uplinkJson().some((m) => m.level !== undefined), 5000, "first reading");
    const readings = () => r.uplinkJson().filter((m) => m.level !== undefined);
    expect(readings().length).toBe(1);
    r.dut.hw.tank.levelPct = 45; // 3 % < deadband
    await sleep(1500); // three readings taken
    expect(readings().length).toBe(1);
    r.dut.hw.tank.levelPct = 48; // 6 % from the published 42 %
    await waitFor(() => readings().length === 2, 3000, "reading after a deadband move");
    expect(Math.abs(Number(readings()[1]!.level) - 48)).toBeLessThanOrEqual(1);
    r.dut.hw.tank.levelPct = 44; // 4 % back: still inside the deadband around 48
    await sleep(1500);
    expect(readings().length).toBe(2);
  });

  it("publishes a reading at least every heartbeat without any change", async () => {
    const clock = new ScaledClock(0, 5);
    const r = await rig({ deadband_pct: 60, heartbeat_s: 10, ping_interval_s: 3600, mqtt_keepalive_s: 600 }, { hardware: { clock }, device: { clock } });
    const at: number[] = [];
    r.dut.device.on("publish", (m) => { if (m.payload.includes('"level"')) at.push(clock.now()); });
    await waitFor(() => at.length >= 3, 9000, "three heartbeat readings");
    for (let i = 1; i < at.length; i++) {
      expect(at[i]! - at[i - 1]!).toBeGreaterThanOrEqual(9500);
      expect(at[i]! - at[i - 1]!).toBeLessThanOrEqual(12500);
    }
    expect(r.uplinkJson().filter((m) => m.cmd === "ping")).toEqual([]);
  });

  it("never publishes readings more often than min_interval (deadband 0 = every new reading)", async () => {
    const clock = new ScaledClock(0, 10);
    const r = await rig({ deadband_pct: 0, min_interval_s: 5, reading_interval_ms: 200, ping_interval_s: 3600, mqtt_keepalive_s: 600 }, { hardware: { clock }, device: { clock } });
    const seen: number[] = [];
    // Times taken on the device's clock when the PUBLISH leaves its socket (no network jitter).
    r.dut.device.on("publish", (m) => { if (m.payload.includes('"level"')) seen.push(clock.now()); });
    await sleep(3000); // 30 s virtual
    expect(seen.length).toBeGreaterThanOrEqual(3);
    expect(seen.length).toBeLessThanOrEqual(7);
    for (let i = 1; i < seen.length; i++) expect(seen[i]! - seen[i - 1]!).toBeGreaterThanOrEqual(4990);
  });

  it("never publishes a faulted reading as a level (no echo): only get and pings", async () => {
    // 5x, not faster: SimHardware sees a pulse_in that starts late (host scheduling, scaled by the
    // clock) as the tail of the sensor's 38 ms no-echo pulse, i.e. as an echo; at 20x a 0.5 ms stall
    // under load was enough to turn "no echo" into a reading.
    const clock = new ScaledClock(0, 5);
    const r = await rig({ ping_interval_s: 10, heartbeat_s: 10, mqtt_keepalive_s: 60 }, {
      hardware: { clock, sensorOptions: { jitterUs: 0, missingProbability: 1, spuriousProbability: 0 } }, device: { clock },
    });
    await waitFor(() => r.uplinks().filter((m) => m.payload.includes('"ping"')).length >= 2, 12000, "two pings");
    expect(r.uplinkJson().filter((m) => m.level !== undefined)).toEqual([]);
    expect(r.dut.device.levelPct).toBeNull();
  });

  it("after a reconnect sends get and the latest reading only, never a backlog", async () => {
    const clientId = "tk-" + Math.random().toString(36).slice(2, 10);
    const r = await rig({ client_id: clientId, deadband_pct: 1, mqtt_backoff_base_ms: 3000, mqtt_backoff_cap_ms: 3000 });
    await waitFor(() => r.uplinkJson().some((m) => m.level !== undefined), 6000, "first reading");
    await takeover(clientId);
    await waitFor(() => r.dut.device.connState !== ConnState.CONNECTED, 3000, "kicked off");
    const n = r.uplinks().length;
    for (const lvl of [50, 60, 70]) { r.dut.hw.tank.levelPct = lvl; await sleep(600); }
    await waitFor(() => r.dut.device.connState === ConnState.CONNECTED, 8000, "reconnected");
    await sleep(1500);
    const after = r.uplinkJson().slice(n);
    expect(after[0]!.cmd).toBe("get");
    const readings = after.filter((m) => m.level !== undefined);
    expect(readings.length).toBe(1);
    expect(Math.abs(Number(readings[0]!.level) - 70)).toBeLessThanOrEqual(1);
  });
});

describe("the largest uplink", () => {
  it("a reading with the longest uid, key and topic and every decimal still fits a QoS 1 slot and is delivered", async () => {
    const topic = "iotbind/tank/" + "t".repeat(83);
    // Subscribe before the device starts: its first reading follows its get at once.
    const p = await (await import("../helpers/platform-client.js")).PlatformClient.connect(broker, [topic]);
    onCleanup(() => p.close());
    const r = await rig({ uid: "u".repeat(64), key: "k".repeat(96), uplink_topic: topic, temperature: "ntc", ntc_channel: 7, level_decimals: 3, temperature_decimals: 3 });
    const readings = () => p.on(topic).map((m) => m.json as Record<string, string> | undefined).filter((m) => m?.level !== undefined && m.uid === "u".repeat(64));
    await waitFor(() => readings().length > 0, 8000, "the largest reading");
    const msg = readings()[0]!;
    expect(msg.key).toBe("k".repeat(96));
    expect(msg.level).toMatch(/^\d+\.\d{3}$/);
    expect(msg.temperature).toMatch(/^-?\d+\.\d{3}$/);
    expect(r.dut.device.counter(Counter.UPLINK_REFUSED)).toBe(0);
    expect(r.dut.device.connState).toBe(ConnState.CONNECTED);
  });
});

describe("client id", () => {
  function expectedClientId(bytes: Uint8Array): string {
    let h = 0xcbf29ce484222325n;
    for (const b of bytes) { h ^= BigInt(b); h = (h * 0x100000001b3n) & 0xffffffffffffffffn; }
    return "iotbind-" + (h % 36n ** 9n).toString(36).padStart(9, "0");
  }

  /** The client ids mosquitto saw since `from` (its log, "New client connected ... as <id>"). */
  function brokerClientIds(): string {
    return readFileSync(broker.logFile, "utf8");
  }

  it("defaults to iotbind- + 9 chars of [0-9a-z] from the hardware id (FNV-1a 64, base 36)", async () => {
    const r = await rig({});
    const want = expectedClientId(defaultHwId(r.dut.fx.uid));
    expect(want).toMatch(/^iotbind-[0-9a-z]{9}$/);
    await waitFor(() => brokerClientIds().includes(` as ${want} `), 3000, "the broker's log of the client id");
  });

  it("falls back to the uid when the host has no hardware id", async () => {
    const r = await rig({}, { device: { hwId: new Uint8Array(0) } });
    const want = expectedClientId(new TextEncoder().encode(r.dut.fx.uid));
    await waitFor(() => brokerClientIds().includes(` as ${want} `), 3000, "the broker's log of the client id");
  });

  it("uses a configured client_id as is", async () => {
    const id = "my_Tank-" + Math.random().toString(36).slice(2, 10);
    await rig({ client_id: id });
    await waitFor(() => brokerClientIds().includes(` as ${id} `), 3000, "the broker's log of the client id");
  });
});

void onCleanup;
