/**
 * TLS in the posix C host (boards/, wasm2c + mbed TLS from Debian) against the
 * harness's mosquitto TLS listeners: connects, publishes and obeys on/off with
 * `--ca`; refuses an unknown CA, the system store (which does not hold the
 * test CA), a name mismatch and a plain listener, each with its own reason and
 * without the broker ever seeing the client; a stalled handshake is timed out
 * and retried with backoff; the relay rules do not depend on the transport.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { createServer, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { connectAsync, type MqttClient } from "mqtt";
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from "vitest";
import { NativeHost } from "../helpers/native-host.js";

// Its own output directory, so it never races `npm run build:native` in another test file.
const OUT = "build/native-tls";
const HOST = `${OUT}/iotbind-tank-host`;
const broker = inject("broker");
const tls = broker.tls!;
const dir = mkdtempSync(join(tmpdir(), "iotbind-tls-native-"));
const run = Math.random().toString(36).slice(2, 8);
let seq = 0;

interface Dev { uid: string; clientId: string; uplink: string; downlink: string; file: string }

function device(extra: Record<string, unknown>): Dev {
  seq++;
  const uid = `tlsn-${run}-${seq}`;
  const clientId = `tlsn${run}${seq}`;
  const d = { uid, clientId, uplink: `iotbind/tank/${uid}`, downlink: `iotbind/tank/${uid}/state`, file: join(dir, `${uid}.json`) };
  writeFileSync(d.file, JSON.stringify({
    uid, key: `k-${uid}`, client_id: clientId,
    broker_host: "localhost", broker_port: tls.port, broker_tls: true,
    broker_user: broker.user, broker_password: broker.password,
    uplink_topic: d.uplink, downlink_topic: d.downlink,
    sensor: "hc-sr04", trig_pin: 5, echo_pin: 18, relay_pin: 23, empty_distance_mm: 1200, full_distance_mm: 200,
    temperature: "fixed", temperature_c: 20, pump_mode: "fill", min_on_s: 0, min_off_s: 0,
    reading_interval_ms: 500, min_interval_s: 0,
    mqtt_connect_timeout_ms: 1000, mqtt_backoff_base_ms: 300, mqtt_backoff_cap_ms: 1200,
    ...extra,
  }));
  return d;
}

const hosts: NativeHost[] = [];
function start(d: Dev, args: string[]): NativeHost {
  const h = new NativeHost(HOST, [...args, "--sim-file", join(dir, "sim.txt"), d.file]);
  hosts.push(h);
  return h;
}
afterEach(async () => { await Promise.all(hosts.splice(0).map((h) => h.stop())); });

/** Disconnect reasons the firmware logged ("mqtt: disconnected, reason N"). */
function reasons(h: NativeHost): number[] {
  return h.stderr.flatMap((l) => { const m = /mqtt: disconnected, reason (\d+)/.exec(l); return m ? [Number(m[1])] : []; });
}

let platform: MqttClient;
const received: Array<{ topic: string; json: Record<string, unknown> }> = [];
const state = (uid: string, cmd: string) =>
  JSON.stringify({ uid, name: "Tank", type: "Water Level", cmd, level: "67", level_unit: "%", temperature: "20.0", temperature_unit: "C" });

beforeAll(async () => {
  execFileSync("make", ["-s", "-C", "boards", "wasm2c", `OUT=${process.cwd()}/${OUT}`], { stdio: "inherit" });
  writeFileSync(join(dir, "sim.txt"), "level=67\n");
  // The platform over TLS as well (mqtt.js, trusting the test CA, checking the name).
  platform = await connectAsync(`mqtts://localhost:${tls.port}`, {
    username: broker.user, password: broker.password, clientId: `platform-tls-${run}`, ca: readFileSync(tls.caFile), rejectUnauthorized: true,
  });
  platform.on("message", (topic, payload) => {
    try { received.push({ topic, json: JSON.parse(payload.toString()) as Record<string, unknown> }); } catch { /* not JSON */ }
  });
  await platform.subscribeAsync("iotbind/tank/#", { qos: 1 });
}, 240000);
afterAll(async () => { await platform?.endAsync(); });

const readingsOf = (d: Dev) => received.filter((m) => m.topic === d.uplink && "level" in m.json);

describe("posix host over TLS (mbed TLS)", () => {
  it("connects with --ca, publishes, and obeys on/off", async () => {
    const d = device({});
    const h = start(d, ["--ca", tls.caFile]);
    await h.until(() => readingsOf(d).length > 0, "a reading over TLS", 20000);
    expect(readingsOf(d)[0]!.json).toMatchObject({ uid: d.uid, level: "67" });
    expect(h.stderr.join("\n")).toMatch(/tls: up \(TLSv1\.2/);
    await platform.publishAsync(d.downlink, state(d.uid, "on"), { qos: 1 });
    await h.until(() => h.relayLines().includes("RELAY on"), "RELAY on");
    await platform.publishAsync(d.downlink, state(d.uid, "off"), { qos: 1 });
    await h.until(() => h.relayLines().filter((l) => l === "RELAY off").length >= 2, "RELAY off");
    expect(h.relayLines()).toEqual(["RELAY off", "RELAY on", "RELAY off"]);
    expect(reasons(h)).toEqual([]);
  });

  const cases: Array<{ what: string; port: () => number; args: () => string[]; reason: number }> = [
    { what: "server signed by another CA", port: () => tls.untrustedPort, args: () => ["--ca", tls.caFile], reason: 15 },
    { what: "trusting only the other CA", port: () => tls.port, args: () => ["--ca", tls.otherCaFile], reason: 15 },
    { what: "the system store (test CA not in it)", port: () => tls.port, args: () => [], reason: 15 },
    { what: "certificate for another name", port: () => tls.wrongNamePort, args: () => ["--ca", tls.caFile], reason: 16 },
    { what: "plain MQTT listener", port: () => broker.port, args: () => ["--ca", tls.caFile], reason: 18 },
  ];
  for (const c of cases) {
    it(`refuses ${c.what} with reason ${c.reason}, and the broker never sees the client`, async () => {
      const d = device({ broker_port: c.port() });
      const h = start(d, c.args());
      await h.until(() => reasons(h).length >= 2, `two disconnects`, 15000);
      expect(new Set(reasons(h))).toEqual(new Set([c.reason]));
      expect(readingsOf(d)).toEqual([]);
      // mosquitto logs every CONNECT with its client id: none came through.
      expect(readFileSync(broker.logFile, "utf8")).not.toContain(d.clientId);
    });
  }

  it("times out a stalled handshake (reason 17) and retries with backoff", async () => {
    const starts: number[] = [];
    const held: Socket[] = [];
    const stall = createServer((s) => { starts.push(Date.now()); held.push(s); s.on("error", () => {}); });
    await new Promise<void>((r) => stall.listen(0, "127.0.0.1", () => r()));
    try {
      const d = device({ broker_port: (stall.address() as { port: number }).port });
      const h = start(d, ["--ca", tls.caFile]);
      await h.until(() => starts.length >= 3 && reasons(h).length >= 2, "three stalled handshakes", 15000);
      expect(new Set(reasons(h))).toEqual(new Set([17]));
      for (let i = 1; i < starts.length; i++) expect(starts[i]! - starts[i - 1]!).toBeGreaterThanOrEqual(1000 + 300 - 50);
    } finally {
      for (const s of held) s.destroy();
      await new Promise<void>((r) => stall.close(() => r()));
    }
  });

  it("relay rules are the same over TLS and in clear: one command script, same relay lines, with and without a high cutoff", async () => {
    const outcome = async (useTls: boolean, over: Record<string, unknown>): Promise<string[]> => {
      const d = device(useTls ? over : { ...over, broker_tls: false, broker_host: broker.host, broker_port: broker.port });
      const h = start(d, ["--ca", tls.caFile]);
      await h.until(() => readingsOf(d).length > 0, "a reading", 20000);
      for (const cmd of ["on", "off", "on"]) {
        await platform.publishAsync(d.downlink, state(d.uid, cmd), { qos: 1 });
        await new Promise((r) => setTimeout(r, 300));
      }
      if (over.high_cutoff_pct === undefined) await h.until(() => h.relayLines().length >= 4, "three switches");
      else await new Promise((r) => setTimeout(r, 500));
      return h.relayLines();
    };
    for (const over of [{}, { high_cutoff_pct: 40 }]) {
      const clear = await outcome(false, over);
      const secure = await outcome(true, over);
      expect(secure).toEqual(clear);
      expect(clear).toEqual(over.high_cutoff_pct === undefined ? ["RELAY off", "RELAY on", "RELAY off", "RELAY on"] : ["RELAY off"]);
    }
  });
});
