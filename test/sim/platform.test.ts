import { afterEach, beforeEach, describe, expect, inject, test } from "vitest";
import { connectAsync, type MqttClient } from "mqtt";
import { PlatformEmulator, type StateMessage } from "../../sim/platform/index.js";

const broker = inject("broker");
const url = `mqtt://${broker.host}:${broker.port}`;

let platform: PlatformEmulator;
let device: MqttClient;
let topicBase: string;
let uplink: string;
let downlink: string;
/** Messages the fake device received on its downlink topic. */
let inbox: { topic: string; json: Record<string, unknown> }[];
let n = 0;

async function waitInbox(count: number, timeoutMs = 5000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (inbox.length < count) {
    if (Date.now() > end) throw new Error(`expected ${count} downlink messages, got ${inbox.length}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** Lets the broker deliver anything in flight (used to show that nothing came). */
async function settle(): Promise<void> {
  // A round trip through the broker: publish a marker and wait for it.
  const marker = `${topicBase}/marker`;
  const seen = platform.waitFor((r) => r.topic === marker, { fromIndex: platform.mark });
  await device.publishAsync(marker, "{}", { qos: 1 });
  await seen;
  await new Promise((r) => setTimeout(r, 100));
}

function send(msg: Record<string, unknown> | string): Promise<unknown> {
  return device.publishAsync(uplink, typeof msg === "string" ? msg : JSON.stringify(msg), { qos: 1 });
}

beforeEach(async () => {
  n++;
  topicBase = `iotbind/tank/t${process.pid}-${n}`;
  uplink = `${topicBase}/up`;
  downlink = `devices/t${process.pid}-${n}/state`;
  platform = await PlatformEmulator.start({ url, username: broker.user, password: broker.password, topicFilter: `${topicBase}/#` });
  platform.register({ uid: "tank-1", key: "k-secret", name: "Roof tank", downlinkTopic: downlink });
  inbox = [];
  device = await connectAsync(url, { username: broker.user, password: broker.password, clientId: `iotbind-test${n}x`, reconnectPeriod: 0 });
  device.on("message", (topic, payload) => inbox.push({ topic, json: JSON.parse(payload.toString()) as Record<string, unknown> }));
  await device.subscribeAsync(downlink, { qos: 1 });
});

afterEach(async () => {
  await device.endAsync();
  await platform.close();
});

describe("platform emulator against mosquitto", () => {
  test("a reading with the right key is stored and the state goes to the downlink topic", async () => {
    const readings: string[] = [];
    platform.on("reading", (e) => readings.push(`${e.uid}:${e.level}:${e.temperature}:${e.levelValue}`));
    await send({ uid: "tank-1", key: "k-secret", level: "67", temperature: "21.5" });
    await waitInbox(1);
    const expected: StateMessage = {
      uid: "tank-1",
      name: "Roof tank",
      type: "Water Level",
      cmd: "off",
      level: "67",
      level_unit: "%",
      temperature: "21.5",
      temperature_unit: "C",
    };
    expect(inbox[0]).toEqual({ topic: downlink, json: expected });
    // exactly the documentation's member order
    expect(Object.keys(inbox[0]!.json)).toEqual(["uid", "name", "type", "cmd", "level", "level_unit", "temperature", "temperature_unit"]);
    const d = platform.device("tank-1")!;
    expect(d.level).toBe("67");
    expect(d.temperature).toBe("21.5");
    expect(d.connected).toBe(true);
    expect(d.readings).toBe(1);
    expect(readings).toEqual(["tank-1:67:21.5:67"]);
    expect(platform.counters.accepted).toBe(1);
    // JSON numbers are accepted too and reported as strings
    await send({ uid: "tank-1", key: "k-secret", level: 42 });
    await waitInbox(2);
    expect(inbox[1]!.json.level).toBe("42");
    expect(inbox[1]!.json.temperature).toBe("21.5");
    // records: what came in and what went out
    expect(platform.accepted("tank-1").map((r) => r.reason)).toEqual(["ok", "ok"]);
    // The platform records a publish once its PUBACK is in, which may come after the subscriber got the message.
    for (let i = 0; i < 200 && platform.published("tank-1").length < 2; i++) await new Promise((r) => setTimeout(r, 10));
    expect(platform.published("tank-1")).toHaveLength(2);
  });

  test("wrong key, unknown uid, malformed: nothing stored, no reply, counted", async () => {
    const rejected: string[] = [];
    platform.on("rejected", (r) => rejected.push(r.reason));
    await send({ uid: "tank-1", key: "wrong", level: "10", cmd: "on" });
    await send({ uid: "tank-9", key: "k-secret", level: "10" });
    await send({ key: "k-secret", level: "10" });
    await send("{not json");
    await send("[1,2]");
    await send({ uid: "tank-1", key: "k-secret", cmd: "explode" });
    await send({ uid: "tank-1", key: "k-secret", level: { v: 1 } });
    await settle();
    expect(inbox).toEqual([]);
    const d = platform.device("tank-1")!;
    expect(d.level).toBeNull();
    expect(d.cmd).toBe("off");
    expect(d.connected).toBe(false);
    expect(d.lastSeenMs).toBeNull();
    expect(platform.counters.authFailed).toBe(3);
    expect(platform.counters.malformed).toBe(2);
    expect(platform.counters.badCommand).toBe(1);
    expect(platform.counters.badValue).toBe(1);
    expect(platform.counters.accepted).toBe(0);
    expect(platform.counters.published).toBe(0);
    expect(rejected).toEqual(["wrong-key", "unknown-uid", "no-uid", "malformed-json", "not-an-object", "bad-cmd", "bad-value"]);
  });

  test("get → state; on/off → stored + state; ping → connected", async () => {
    const pings: string[] = [];
    const conn: boolean[] = [];
    platform.on("ping", (uid) => pings.push(uid));
    platform.on("connection", (_uid, c) => conn.push(c));
    await send({ uid: "tank-1", key: "k-secret", cmd: "get" });
    await waitInbox(1);
    expect(inbox[0]!.json).toMatchObject({ uid: "tank-1", cmd: "off", level: "0", temperature: "0" });

    await send({ uid: "tank-1", key: "k-secret", cmd: "on" });
    await waitInbox(2);
    expect(inbox[1]!.json.cmd).toBe("on");
    expect(platform.device("tank-1")!.cmd).toBe("on");

    await send({ uid: "tank-1", key: "k-secret", cmd: "off", level: "55", temperature: "19" });
    await waitInbox(3);
    expect(inbox[2]!.json).toMatchObject({ cmd: "off", level: "55", temperature: "19" });
    await settle();
    expect(inbox).toHaveLength(3); // one state per message, even with cmd + level

    await send({ uid: "tank-1", key: "k-secret", cmd: "ping" });
    await settle();
    expect(pings).toEqual(["tank-1"]);
    expect(inbox).toHaveLength(3); // ping gets no reply
    const d = platform.device("tank-1")!;
    expect(d.connected).toBe(true);
    expect(d.pings).toBe(1);
    expect(d.gets).toBe(1);
    expect(d.commands).toBe(2);
    expect(conn).toEqual([true]);
    expect(platform.isConnected("tank-1")).toBe(true);
  });

  test("setSwitch (the mobile app) publishes the state in the documentation's format", async () => {
    const switches: string[] = [];
    platform.on("switch", (e) => switches.push(`${e.source}:${e.previous}->${e.cmd}`));
    await send({ uid: "tank-1", key: "k-secret", level: "30", temperature: "22" });
    await waitInbox(1);
    await platform.setSwitch("tank-1", true);
    await waitInbox(2);
    expect(inbox[1]).toEqual({
      topic: downlink,
      json: { uid: "tank-1", name: "Roof tank", type: "Water Level", cmd: "on", level: "30", level_unit: "%", temperature: "22", temperature_unit: "C" },
    });
    await platform.setSwitch("tank-1", false);
    await waitInbox(3);
    expect(inbox[2]!.json.cmd).toBe("off");
    expect(switches).toEqual(["app:off->on", "app:on->off"]);
  });

  test("publish disabled: stored but nothing sent; shared topic: own messages ignored", async () => {
    platform.setPublishEnabled("tank-1", false);
    await send({ uid: "tank-1", key: "k-secret", level: "80", cmd: "get" });
    await settle();
    expect(inbox).toEqual([]);
    expect(platform.device("tank-1")!.level).toBe("80");

    // a device whose downlink is the uplink topic itself
    platform.register({ uid: "tank-2", key: "k2", name: "Shared", downlinkTopic: uplink });
    await device.subscribeAsync(uplink, { qos: 1 });
    const mark = platform.mark;
    await send({ uid: "tank-2", key: "k2", level: "12" });
    await waitInbox(2); // its own uplink echoed + the platform's state
    await settle();
    const states = inbox.filter((m) => !("key" in m.json));
    expect(states).toHaveLength(1);
    expect(states[0]!.json).toMatchObject({ uid: "tank-2", level: "12", type: "Water Level" });
    const own = platform.seen.filter((r) => r.index >= mark && r.dir === "in" && r.reason === "no-key" && r.uid === "tank-2");
    expect(own).toHaveLength(1); // the state it published came back and was ignored
    expect(platform.counters.accepted).toBe(2);
    expect(platform.counters.published).toBe(1);
  });

  test("publish delay: the state taken at the time of the update arrives later", async () => {
    platform.publishDelayMs = 300;
    const t0 = Date.now();
    const mark = platform.mark;
    await send({ uid: "tank-1", key: "k-secret", cmd: "on" });
    await platform.waitFor((r) => r.dir === "in" && r.accepted, { fromIndex: mark });
    await platform.setSwitch("tank-1", false);
    await waitInbox(2);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(290);
    expect(inbox.map((m) => m.json.cmd)).toEqual(["on", "off"]);
  });

  test("will topic marks the device disconnected; offline after silence", async () => {
    let now = 1_000_000;
    const p2 = await PlatformEmulator.start({ url, username: broker.user, password: broker.password, topicFilter: `${topicBase}/#`, now: () => now, offlineAfterMs: 60_000 });
    try {
      p2.register({ uid: "tank-3", key: "k3", downlinkTopic: downlink, willTopic: `${topicBase}/will` });
      let mark = p2.mark;
      await send({ uid: "tank-3", key: "k3", cmd: "ping" });
      await p2.waitFor((r) => r.uid === "tank-3" && r.accepted, { fromIndex: mark });
      expect(p2.isConnected("tank-3")).toBe(true);
      now += 60_001;
      expect(p2.isConnected("tank-3")).toBe(false);
      mark = p2.mark;
      await send({ uid: "tank-3", key: "k3", cmd: "ping" });
      await p2.waitFor((r) => r.uid === "tank-3" && r.accepted, { fromIndex: mark });
      expect(p2.isConnected("tank-3")).toBe(true);
      mark = p2.mark;
      await device.publishAsync(`${topicBase}/will`, "offline", { qos: 1 });
      await p2.waitFor((r) => r.reason === "will", { fromIndex: mark });
      expect(p2.isConnected("tank-3")).toBe(false);
      expect(p2.counters.wills).toBe(1);
    } finally {
      await p2.close();
    }
  });

  test("a fleet of 100 devices on one shared downlink topic", async () => {
    const shared = `${topicBase}/fleet-state`;
    await device.subscribeAsync(shared, { qos: 1 });
    for (let i = 0; i < 100; i++) platform.register({ uid: `fleet-${i}`, key: `key-${i}`, name: `Tank ${i}`, downlinkTopic: shared });
    await Promise.all(Array.from({ length: 100 }, (_, i) => send({ uid: `fleet-${i}`, key: `key-${i}`, level: String(i), temperature: "20" })));
    await waitInbox(100, 10_000);
    const byUid = new Map(inbox.map((m) => [m.json.uid, m.json]));
    expect(byUid.size).toBe(100);
    for (let i = 0; i < 100; i++) {
      expect(byUid.get(`fleet-${i}`)).toMatchObject({ name: `Tank ${i}`, level: String(i), cmd: "off" });
      expect(platform.device(`fleet-${i}`)!.level).toBe(String(i));
    }
    // the 100 state messages also came back to the platform on the shared topic and were ignored
    await settle();
    expect(platform.counters.ignoredNoKey).toBeGreaterThanOrEqual(100);
    expect(platform.counters.accepted).toBe(100);
  });

  test("markConnection and snapshot", async () => {
    const seen: boolean[] = [];
    platform.on("connection", (_u, c) => seen.push(c));
    platform.markConnection("tank-1", true);
    platform.markConnection("tank-1", true);
    platform.markConnection("tank-1", false);
    expect(seen).toEqual([true, false]);
    const snap = platform.snapshot();
    expect(snap.devices.map((d) => d.uid)).toEqual(["tank-1"]);
    expect(snap.devices[0]!.connected).toBe(false);
    snap.devices[0]!.name = "changed";
    expect(platform.device("tank-1")!.name).toBe("Roof tank"); // a copy
    expect(JSON.parse(JSON.stringify(snap)).counters.accepted).toBe(0);
    expect(() => platform.markConnection("nobody", true)).toThrow(/no device/);
  });

  test("a wrong broker password fails to start", async () => {
    await expect(
      PlatformEmulator.start({ url, username: broker.user, password: "nope", mqtt: { reconnectPeriod: 0, connectTimeout: 3000 } }),
    ).rejects.toThrow();
  });
});

describe("platform emulator across a broker restart", () => {
  test("reconnects, resubscribes and keeps its registry", async () => {
    const { Mosquitto } = await import("../harness/mosquitto.js");
    const own = await Mosquitto.start();
    const ownUrl = `mqtt://${own.info.host}:${own.info.port}`;
    const p = await PlatformEmulator.start({ url: ownUrl, username: own.info.user, password: own.info.password, mqtt: { reconnectPeriod: 200 } });
    let dev: MqttClient | null = null;
    try {
      p.register({ uid: "tank-r", key: "kr", downlinkTopic: "devices/tank-r" });
      await own.restart();
      dev = await connectAsync(ownUrl, { username: own.info.user, password: own.info.password, clientId: "iotbind-restart1", reconnectPeriod: 0 });
      const got: string[] = [];
      dev.on("message", (_t, m) => got.push(m.toString()));
      await dev.subscribeAsync("devices/tank-r", { qos: 1 });
      // the platform may still be reconnecting: retry the reading until it answers
      const end = Date.now() + 10_000;
      while (got.length === 0 && Date.now() < end) {
        await dev.publishAsync("iotbind/tank/restart", JSON.stringify({ uid: "tank-r", key: "kr", level: "5" }), { qos: 1 });
        await new Promise((r) => setTimeout(r, 250));
      }
      expect(got.length).toBeGreaterThan(0);
      expect(JSON.parse(got[0]!)).toMatchObject({ uid: "tank-r", level: "5", cmd: "off" });
    } finally {
      await dev?.endAsync();
      await p.close();
      await own.stop();
    }
  });

  test("close() returns promptly when the broker is gone, dropping delayed publishes", async () => {
    const { Mosquitto } = await import("../harness/mosquitto.js");
    const own = await Mosquitto.start();
    const ownUrl = `mqtt://${own.info.host}:${own.info.port}`;
    const p = await PlatformEmulator.start({ url: ownUrl, username: own.info.user, password: own.info.password, publishDelayMs: 60_000 });
    p.register({ uid: "tank-c", key: "kc", downlinkTopic: "devices/tank-c" });
    const pending = p.setSwitch("tank-c", true); // waits 60 s unless closed
    await own.kill();
    const t0 = Date.now();
    await p.close();
    await pending;
    expect(Date.now() - t0).toBeLessThan(3000);
    expect(p.counters.published).toBe(0);
    await own.stop();
  });
});
