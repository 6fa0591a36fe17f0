/**
 * Link recovery against real mosquitto (docs/MQTT.md "Never stuck"): the
 * whole firmware in the simulator, real sockets, each test with its own
 * broker where the broker's configuration is the fault.
 *
 * - max_packet_size: mosquitto drops the link whenever a too-large message
 *   arrives. One stored reading over the limit ends at most 3 connections,
 *   then the device is stably connected and downlinks get through.
 * - PUBACKs lost (a proxy drops every PUBACK, mosquitto still answers
 *   PINGREQ): DISCONNECT and reconnect after mqtt_puback_timeout_ms; the will
 *   is not published.
 * - A subscription refused by mosquitto's dynamic-security plugin (SUBACK
 *   0x80): every retry ends with DISCONNECT, so the will is never published,
 *   and the retries back off.
 * - A keep-alive refused the way mosquitto >= 2.0.12 refuses it (a gate in
 *   front of the real 2.0.11 answers the CONNECT with CONNACK 2, as
 *   handle_connect.c does): named reason, a log line naming
 *   mqtt_keepalive_s and max_keepalive, backoff; within the limit the same
 *   device works.
 */
import { afterEach, describe, expect, it } from "vitest";
import { Mosquitto } from "../harness/mosquitto.js";
import { startDevice, waitFor, type DeviceUnderTest } from "../helpers/device-fixture.js";
import { PlatformClient } from "../helpers/platform-client.js";
import { FaultProxy } from "../helpers/proxy.js";
import { ConnState, Counter, DISCONNECT_NAMES } from "../../sim/host/abi.js";
import { BACKOFF_BASE_MS, BACKOFF_CAP_MS, FAST, command, readingsSince, sleep, startRig, type Rig } from "./helpers.js";

const R = {
  CONNACK_IDENTIFIER: DISCONNECT_NAMES.indexOf("CONNACK_IDENTIFIER"),
  SUBSCRIBE_REFUSED: DISCONNECT_NAMES.indexOf("SUBSCRIBE_REFUSED"),
  PUBACK_TIMEOUT: DISCONNECT_NAMES.indexOf("PUBACK_TIMEOUT"),
} as const;

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!().catch(() => {});
});

async function broker(opts: Parameters<typeof Mosquitto.start>[0] = {}): Promise<Mosquitto> {
  const b = await Mosquitto.start(opts);
  cleanups.push(() => b.stop());
  return b;
}

let n = 0;
const clientId = (): string => `iotbindLR${process.pid % 100000}x${++n}`;

/** Remaining length of the PUBLISH the device sends for `payload` on `topic` (QoS 1). */
const publishRemLen = (topic: string, payload: string): number => 2 + Buffer.byteLength(topic) + 2 + Buffer.byteLength(payload);

/** Connection events (CONNECTED transitions and disconnects) of a device. */
function track(dut: DeviceUnderTest): { ups: number[]; downs: number[] } {
  const ev = { ups: [] as number[], downs: [] as number[] };
  let last = dut.device.connState;
  dut.device.on("conn", (state: number) => {
    if (state === ConnState.CONNECTED) ev.ups.push(Date.now());
    else if (last === ConnState.CONNECTED || last === ConnState.SUBSCRIBING) ev.downs.push(Date.now());
    last = state;
  });
  return ev;
}

describe("link recovery against real mosquitto", () => {
  it("a reading over mosquitto's max_packet_size ends at most 3 connections; then the device stays connected and downlinks get through", async () => {
    const b = await broker();
    const r: Rig = await startRig(b.info, { spike_limit_mm: 0, client_id: clientId() });
    cleanups.push(() => r.close());
    // The device's own reading at 42 %: the broker will take exactly that size, one byte more is too large.
    await waitFor(() => readingsSince(r, 0).length > 0, 5000, "a first reading");
    const sample = r.platform.on(r.dut.fx.uplink).find((m) => (m.json as Record<string, unknown>).level === "42")!;
    expect(sample, "a reading of 42 %").toBeDefined();
    const limit = publishRemLen(r.dut.fx.uplink, sample.payload) + 1; // mosquitto: too large when remaining length + 1 > max_packet_size
    await b.reconfigure([`max_packet_size ${limit}`]);
    await r.platform.close().catch(() => {});
    r.platform = await PlatformClient.connect(b.info, [r.dut.fx.uplink]);
    await waitFor(() => r.dut.device.connState === ConnState.CONNECTED, BACKOFF_CAP_MS + 5000, "CONNECTED to the restarted broker");
    const ev = track(r.dut);
    // The poison: one reading of "100" (a byte longer). Back to 42 % as soon as the broker dropped the link.
    const t0 = Date.now();
    r.dut.hw.tank.levelPct = 100;
    await waitFor(() => ev.downs.length > 0, 5000, "mosquitto closing on the oversize reading");
    r.dut.hw.tank.levelPct = 42;
    // Recovered: connected and no disconnect for 4 s (well over the backoff cap).
    await waitFor(() => r.dut.device.connState === ConnState.CONNECTED && Date.now() - (ev.downs.at(-1) ?? 0) > 4000, 20_000, "a stable connection after the undeliverable reading");
    const oversize = b.log().split("\n").filter((l) => l.includes("disconnected due to oversize packet")).length;
    expect(oversize).toBeGreaterThanOrEqual(1);
    expect(oversize).toBeLessThanOrEqual(3);
    expect(r.dut.device.counter(Counter.MQTT_UNDELIVERABLE) + r.dut.device.counter(Counter.MQTT_SUPERSEDED)).toBeGreaterThanOrEqual(1);
    // Downlinks and uplinks flow: a command acts, and the latest reading (42 %) is at the platform. (The
    // platform's commands are kept compact: the broker's packet limit applies to the platform too.)
    for (const cmd of ["on", "off"] as const) {
      await r.platform.publish(r.dut.fx.downlink, JSON.stringify({ uid: r.dut.fx.uid, cmd }));
      await waitFor(() => r.dut.device.relayOn === (cmd === "on"), 3000, `relay ${cmd} after a downlink`);
    }
    expect(r.relayEvents.map((e) => e.on)).toEqual([true, false]);
    expect(readingsSince(r, t0).some((x) => Math.abs(x.level - 42) <= 1)).toBe(true);
    expect(readingsSince(r, t0).some((x) => x.level === 100)).toBe(false); // the broker never took it
    expect(r.traps).toBe(0);
  }, 60_000);

  it("PUBACKs lost while mosquitto still answers PINGREQ: DISCONNECT and reconnect after mqtt_puback_timeout_ms, no will, the reading is delivered", async () => {
    const b = await broker();
    const cid = clientId();
    const willTopic = `iotbind/will/${cid}`;
    const r: Rig = await startRig(b.info, { client_id: cid, mqtt_puback_timeout_ms: 2000, will_topic: willTopic, will_payload: "offline" });
    cleanups.push(() => r.close());
    const watcher = await PlatformClient.connect(b.info, [willTopic]);
    cleanups.push(() => watcher.close());
    await waitFor(() => readingsSince(r, 0).length > 0, 5000, "a first reading");
    const ev = track(r.dut);
    const isPuback = (b0: number): boolean => b0 >> 4 === 4;
    r.proxy.dropDown = isPuback;
    r.proxy.current!.setDrop("down", isPuback);
    const t0 = Date.now();
    r.dut.hw.tank.levelPct = 55; // a new reading: its PUBACK is lost
    await waitFor(() => ev.downs.length > 0, 2000 + 2 * FAST.mqtt_keepalive_s * 1000, "the PUBACK timeout");
    expect(r.dut.device.lastDisconnect).toBe(R.PUBACK_TIMEOUT);
    const took = ev.downs[0]! - t0;
    expect(took).toBeGreaterThanOrEqual(2000);
    expect(took).toBeLessThanOrEqual(2000 + 1500); // reading interval + timer lag
    expect(r.dut.device.counter(Counter.MQTT_PUBACK_TIMEOUTS)).toBeGreaterThanOrEqual(1);
    // mosquitto saw a clean DISCONNECT (and kept answering PINGREQ meanwhile is the point of the test).
    await waitFor(() => b.log().includes(`Received DISCONNECT from ${cid}`), 2000, "DISCONNECT in the broker log");
    // PUBACKs flow again: the next connection resends and the device settles.
    r.proxy.dropDown = null;
    for (const l of r.proxy.live) l.setDrop("down", null);
    await waitFor(() => r.dut.device.connState === ConnState.CONNECTED && r.dut.device.raw.counter(Counter.MQTT_PUBACK_TIMEOUTS) >= 1 && Date.now() - (ev.downs.at(-1) ?? 0) > 3000, 15_000, "a stable connection");
    expect(readingsSince(r, t0).some((x) => Math.abs(x.level - 55) <= 1)).toBe(true);
    await command(r, "on");
    expect(watcher.on(willTopic)).toEqual([]); // every close was clean
    expect(r.traps).toBe(0);
  }, 60_000);

  it("a subscription refused by mosquitto (SUBACK 0x80): every retry ends with DISCONNECT, the will is never published, retries back off", async () => {
    const b = await broker({ denySubscribe: ["devices/+/state"] });
    const cid = clientId();
    const willTopic = `iotbind/will/${cid}`;
    const watcher = await PlatformClient.connect(b.info, [willTopic]);
    cleanups.push(() => watcher.close());
    const dut = await startDevice(b.info, { ...FAST, client_id: cid, will_topic: willTopic, will_payload: "offline" });
    cleanups.push(() => dut.device.stop());
    const attempts: number[] = [];
    dut.device.on("conn", (s: number) => { if (s === ConnState.SOCKET_CONNECTING) attempts.push(Date.now()); });
    await waitFor(() => dut.device.counter(Counter.DISCONNECT_BASE + R.SUBSCRIBE_REFUSED) >= 4, 15_000, "four refused subscriptions");
    await sleep(300); // the broker processes the last close
    expect(dut.device.connState).not.toBe(ConnState.CONNECTED);
    expect(dut.device.lastDisconnect).toBe(R.SUBSCRIBE_REFUSED);
    const log = b.log().split("\n");
    const refused = dut.device.counter(Counter.DISCONNECT_BASE + R.SUBSCRIBE_REFUSED);
    expect(log.filter((l) => l.includes(`Received DISCONNECT from ${cid}`)).length).toBeGreaterThanOrEqual(refused);
    expect(log.filter((l) => l.includes(`Client ${cid} closed its connection`))).toEqual([]);
    expect(watcher.on(willTopic)).toEqual([]);
    for (let i = 1; i < attempts.length; i++) expect(attempts[i]! - attempts[i - 1]!).toBeGreaterThanOrEqual(BACKOFF_BASE_MS - 20);
  }, 30_000);

  it("a keep-alive over the broker's max_keepalive, refused as mosquitto >= 2.0.12 refuses it: CONNACK_IDENTIFIER, a log line saying what to change, backoff; within the limit it works", async () => {
    const b = await broker();
    const MAX_KEEPALIVE = 30;
    const proxy = await FaultProxy.start({ host: b.info.host, port: b.info.port });
    cleanups.push(() => proxy.close());
    // mosquitto >= 2.0.12, handle_connect.c: a 3.1.1 CONNECT with keep-alive > max_keepalive (or 0) gets
    // CONNACK "identifier rejected" (return code 2) and the connection is closed.
    proxy.gate = (connect) => {
      let hdr = 1;
      while (connect[hdr]! & 0x80) hdr++;
      hdr++; // fixed header: type byte + remaining length; then "MQTT" (2 + 4), level, flags, keep-alive
      const ka = connect.readUInt16BE(hdr + 8);
      return ka > MAX_KEEPALIVE || ka === 0 ? Buffer.from([0x20, 2, 0, 2]) : null;
    };
    const refused = await startDevice(b.info, { ...FAST, mqtt_keepalive_s: 60, client_id: clientId() }, { device: { connectOverride: proxy.override } });
    cleanups.push(() => refused.device.stop());
    const logs: string[] = [];
    refused.device.on("log", (_level: unknown, text: string) => logs.push(text));
    const attempts: number[] = [];
    refused.device.on("conn", (s: number) => { if (s === ConnState.SOCKET_CONNECTING) attempts.push(Date.now()); });
    await waitFor(() => refused.device.counter(Counter.DISCONNECT_BASE + R.CONNACK_IDENTIFIER) >= 4, 15_000, "four refusals");
    expect(refused.device.lastDisconnect).toBe(R.CONNACK_IDENTIFIER);
    expect(proxy.gated).toBeGreaterThanOrEqual(4);
    const hint = logs.filter((l) => l.includes("max_keepalive"));
    expect(hint.length).toBeGreaterThanOrEqual(4);
    expect(hint[0]).toContain("mqtt_keepalive_s 60 ");
    for (let i = 1; i < attempts.length; i++) expect(attempts[i]! - attempts[i - 1]!).toBeGreaterThanOrEqual(BACKOFF_BASE_MS - 20);
    // The fix the line asks for: a keep-alive within the limit connects through the same gate to mosquitto.
    const ok = await startDevice(b.info, { ...FAST, mqtt_keepalive_s: 20, client_id: clientId() }, { device: { connectOverride: proxy.override } });
    cleanups.push(() => ok.device.stop());
    await waitFor(() => ok.device.connState === ConnState.CONNECTED, BACKOFF_CAP_MS + 5000, "CONNECTED with keep-alive 20");
  }, 30_000);
});
