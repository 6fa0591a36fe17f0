/**
 * The firmware's MQTT client against a real mosquitto (password auth), over
 * real non-blocking sockets (sim/host/sockets.ts), with mqtt.js as the peer.
 */
import { describe, test, expect, inject, afterEach } from "vitest";
import mqtt from "mqtt";
import { SocketTable } from "../../sim/host/sockets.js";
import { Mosquitto, type BrokerInfo } from "../harness/mosquitto.js";
import { MqttClient, ScriptedHal, S, R, C, toHex, type ClientConfig } from "../helpers/scripted-hal.js";

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

let seq = 0;
function ids(): { clientId: string; up: string; dl: string } {
  const n = `${process.pid}x${++seq}`;
  return { clientId: `iotbindT${n}`.slice(0, 23), up: `iotbind/tank/up/${n}`, dl: `iotbind/tank/dl/${n}` };
}

async function device(broker: BrokerInfo, config: ClientConfig): Promise<MqttClient> {
  const sockets = new SocketTable();
  const c = await MqttClient.create(
    { host: broker.host, port: broker.port, user: broker.user, password: broker.password, keepAliveS: 30, ...config },
    new ScriptedHal(sockets),
  );
  cleanups.push(() => { c.stop(); sockets.closeAll(); });
  c.hal.now = Date.now() >>> 0;
  c.start();
  return c;
}

/** Ticks the device in real time until `cond` holds. */
async function until(c: MqttClient, cond: () => boolean, ms = 8000, what = "condition"): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timeout waiting for ${what} (state ${c.state}, reason ${c.lastDisconnect})`);
    c.hal.now = Date.now() >>> 0;
    c.tick();
    await sleep(3);
  }
}

async function runFor(c: MqttClient, ms: number): Promise<void> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    c.hal.now = Date.now() >>> 0;
    c.tick();
    await sleep(5);
  }
}

async function peer(broker: BrokerInfo): Promise<mqtt.MqttClient> {
  const p = await mqtt.connectAsync(`mqtt://${broker.host}:${broker.port}`, {
    username: broker.user, password: broker.password, clean: true, reconnectPeriod: 200, protocolVersion: 4,
  });
  cleanups.push(() => p.endAsync(true).then(() => undefined));
  return p;
}

describe("MQTT client against mosquitto", () => {
  const broker = inject("broker");

  test("authenticated connect, subscribe, QoS 1 both ways with mqtt.js", async () => {
    const id = ids();
    const p = await peer(broker);
    await p.subscribeAsync(id.up, { qos: 1 });
    const got: { topic: string; payload: string; qos: number }[] = [];
    p.on("message", (topic, payload, packet) => got.push({ topic, payload: payload.toString(), qos: packet.qos }));

    const c = await device(broker, { clientId: id.clientId, downlink: id.dl });
    await until(c, () => c.state === S.CONNECTED, 8000, "session");
    expect(c.sessionId).toBe(1);
    expect(c.counter(C.CONNECTS)).toBe(1);

    // Device -> platform, QoS 1: delivered and acknowledged (slot freed).
    expect(c.publish(id.up, '{"level":"67"}', 1)).toBe(0);
    await until(c, () => got.length === 1 && c.x.inflight() === 0, 5000, "uplink + PUBACK");
    expect(got[0]).toEqual({ topic: id.up, payload: '{"level":"67"}', qos: 1 });

    // Platform -> device, QoS 1: delivered once, PUBACK sent.
    c.hal.take();
    await p.publishAsync(id.dl, '{"cmd":"on"}', { qos: 1 });
    await until(c, () => c.hal.messages.length === 1, 5000, "downlink");
    expect(c.hal.messages[0]!.topic).toBe(id.dl);
    expect(new TextDecoder().decode(c.hal.messages[0]!.payload)).toBe('{"cmd":"on"}');
    await runFor(c, 50);
    expect(toHex(c.hal.take())).toMatch(/^40 02 /);
    expect(c.counter(C.PROTOCOL_ERRORS)).toBe(0);
  });

  test("wrong password: CONNACK 5 from mosquitto, named error, backs off without spinning", async () => {
    const id = ids();
    const c = await device(broker, { clientId: id.clientId, password: "wrong", backoffBase: 1000, backoffCap: 4000 });
    await until(c, () => c.state === S.BACKING_OFF, 5000, "refusal");
    expect(c.lastDisconnect).toBe(R.CONNACK_NOT_AUTHORISED);
    await runFor(c, 1500);
    // Retries wait at least the 1 s base each time: at most 2 attempts in 1.5 s.
    expect(c.counter(C.ATTEMPTS)).toBeLessThanOrEqual(2);
    expect(c.counter(C.CONNECTS)).toBe(0);
    expect(c.counter(C.DISCONNECT_BASE + R.CONNACK_NOT_AUTHORISED)).toBeGreaterThanOrEqual(1);
  });

  test("a short keep-alive is seen in the broker's log as PINGREQ/PINGRESP", async () => {
    const id = ids();
    const c = await device(broker, { clientId: id.clientId, downlink: id.dl, keepAliveS: 1 });
    await until(c, () => c.state === S.CONNECTED, 8000, "session");
    await runFor(c, 3300);
    expect(c.state).toBe(S.CONNECTED);
    const { readFileSync } = await import("node:fs");
    const log = readFileSync(broker.logFile, "utf8");
    const pings = log.split("\n").filter((l) => l.includes(`Received PINGREQ from ${id.clientId}`));
    expect(pings.length).toBeGreaterThanOrEqual(2);
    expect(log).toContain(`Sending PINGRESP to ${id.clientId}`);
    expect(log).toMatch(new RegExp(`New client connected from .* as ${id.clientId} \\(p2, c1, k1, u'tank'\\)`));
  });

  test("a packet larger than the receive buffer is skipped and acknowledged; the next one is delivered", async () => {
    const id = ids();
    const c = await device(broker, { clientId: id.clientId, downlink: id.dl });
    await until(c, () => c.state === S.CONNECTED, 8000, "session");
    const p = await peer(broker);
    await p.publishAsync(id.dl, Buffer.alloc(3000, 0x41), { qos: 1 });
    await p.publishAsync(id.dl, "small", { qos: 1 });
    await until(c, () => c.hal.messages.length === 1, 5000, "small message");
    expect(new TextDecoder().decode(c.hal.messages[0]!.payload)).toBe("small");
    expect(c.counter(C.OVERSIZE)).toBe(1);
    expect(c.hal.oversizes.length).toBe(1);
    await runFor(c, 100);
    const { readFileSync } = await import("node:fs");
    const log = readFileSync(broker.logFile, "utf8");
    const acks = log.split("\n").filter((l) => l.includes(`Received PUBACK from ${id.clientId}`));
    expect(acks.length).toBe(2);
    expect(c.state).toBe(S.CONNECTED);
  });

  test("broker killed and restarted: reconnect, resubscribe, DUP resend of an unacknowledged QoS 1 message", async () => {
    const own = await Mosquitto.start();
    cleanups.push(() => own.stop());
    const b = own.info;
    const id = ids();
    const c = await device(b, { clientId: id.clientId, downlink: id.dl, backoffBase: 200, backoffCap: 400 });
    await until(c, () => c.state === S.CONNECTED, 8000, "session");

    // A QoS 1 message that leaves the device but never reaches the broker.
    c.hal.dropSends = true;
    expect(c.publish(id.up, "kept", 1)).toBe(0);
    await runFor(c, 50);
    c.hal.dropSends = false;
    expect(c.x.inflight()).toBe(1);

    await own.kill();
    await until(c, () => c.state === S.BACKING_OFF || c.state === S.SOCKET_CONNECTING, 5000, "disconnect");
    expect([R.SOCKET_CLOSED, R.SEND_FAILED, R.SOCKET_FAILED]).toContain(c.lastDisconnect);
    await runFor(c, 600); // a few refused attempts while the broker is down
    await own.restart();
    const p = await peer(b);
    await p.subscribeAsync(id.up, { qos: 1 });
    const got: { payload: string; dup: boolean }[] = [];
    p.on("message", (_t, payload, packet) => got.push({ payload: payload.toString(), dup: packet.dup }));
    c.hal.take();
    await until(c, () => c.sessionId === 2 && c.x.inflight() === 0, 10000, "second session + PUBACK");
    const sent = c.hal.take();
    // The resend carries DUP=1, QoS 1 (first byte 0x3a).
    expect(Array.from(sent).includes(0x3a)).toBe(true);
    expect(c.counter(C.RETRANSMISSIONS)).toBe(1);
    await until(c, () => got.length >= 1, 5000, "resent message at the peer");
    expect(got[0]!.payload).toBe("kept");
    expect(own.log()).toMatch(new RegExp(`Received PUBLISH from ${id.clientId} \\(d1, q1, r0, m\\d+, '${id.up}'`));
    // Resubscribed: a downlink published now reaches the device.
    await p.publishAsync(id.dl, "after-restart", { qos: 1 });
    await until(c, () => c.hal.messages.length === 1, 5000, "downlink after restart");
    expect(own.log()).toContain(`Received SUBSCRIBE from ${id.clientId}`);
  });
});
