/**
 * TLS in the Node host against real mosquitto TLS listeners (throw-away PKI
 * made by the harness): the firmware speaks MQTT over a host-terminated TLS
 * stream (`broker_tls: true`), refuses every certificate it must not trust
 * with a named reason, never lets a byte of MQTT (the password) out on a
 * refused connection, times out a stalled handshake and backs off.
 */
import { afterEach, describe, expect, inject, it } from "vitest";
import { createServer, type Socket } from "node:net";
import { readFileSync } from "node:fs";
import { startDevice, waitFor, type DeviceUnderTest } from "../helpers/device-fixture.js";
import { PlatformClient } from "../helpers/platform-client.js";
import { ConnState, Counter, DISCONNECT_NAMES, disconnectCounter } from "../../sim/host/abi.js";
import type { TlsOptions } from "../../sim/host/sockets.js";
import type { DeviceConfig } from "../../sim/host/device.js";

const broker = inject("broker");
const tls = broker.tls!;
const ca = readFileSync(tls.caFile);
const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

const FAST: Partial<DeviceConfig> = { mqtt_connect_timeout_ms: 1000, mqtt_backoff_base_ms: 300, mqtt_backoff_cap_ms: 1200 };

async function device(over: Partial<DeviceConfig>, tlsOpts: TlsOptions): Promise<{ dut: DeviceUnderTest; sent: () => number }> {
  const dut = await startDevice(broker, { broker_host: "localhost", broker_tls: true, ...FAST, ...over }, { run: false, device: { tls: tlsOpts } });
  let sent = 0;
  dut.device.on("io", (kind, _h, bytes) => { if (kind === "sent") sent += bytes?.length ?? 0; });
  cleanups.push(() => dut.device.stop());
  dut.device.run();
  return { dut, sent: () => sent };
}

function stateMessage(uid: string, cmd: "on" | "off"): string {
  return JSON.stringify({ uid, name: "Tank", type: "Water Level", cmd, level: "42", level_unit: "%", temperature: "20", temperature_unit: "C" });
}

describe("Node host over TLS (mosquitto TLS listener)", () => {
  it("connects, publishes and obeys on/off; the platform side (mqtt.js) is on TLS too", async () => {
    const { dut } = await device({ broker_port: tls.port }, { ca });
    const platform = await PlatformClient.connect(broker, [dut.fx.uplink], { tls: { port: tls.port, ca } });
    cleanups.push(() => platform.close());
    await waitFor(() => dut.device.connState === ConnState.CONNECTED, 8000, "MQTT CONNECTED over TLS");
    await waitFor(() => platform.on(dut.fx.uplink).some((m) => (m.json as Record<string, unknown>)?.level !== undefined), 10000, "a reading");
    const msg = platform.on(dut.fx.uplink).find((m) => (m.json as Record<string, unknown>)?.level !== undefined)!.json as Record<string, string>;
    expect(msg.uid).toBe(dut.fx.uid);
    await platform.publish(dut.fx.downlink, stateMessage(dut.fx.uid, "on"));
    await waitFor(() => dut.hw.relayOn, 5000, "relay on");
    await platform.publish(dut.fx.downlink, stateMessage(dut.fx.uid, "off"));
    await waitFor(() => !dut.hw.relayOn, 5000, "relay off");
    expect(dut.device.counter(Counter.DOWNLINK_ACCEPTED)).toBe(2);
    expect(dut.device.counter(Counter.SOCKET_ERRORS)).toBe(0);
  });

  // Every way a certificate can be wrong, against every expectation: only the
  // trusted, right-name (and, when pinned, right-fingerprint) server connects.
  const wrongPin = "00".repeat(32);
  const cases: Array<{ what: string; port: () => number; tls: TlsOptions; host?: string; reason: string | null }> = [
    { what: "trusted CA, right name", port: () => tls.port, tls: { ca }, reason: null },
    { what: "trusted CA, right name, right pin", port: () => tls.port, tls: { ca, fingerprint256: tls.fingerprint256 }, reason: null },
    { what: "trusted CA, by IP address (in the SAN)", port: () => tls.port, tls: { ca }, host: "127.0.0.1", reason: null },
    { what: "trusted CA, right name, wrong pin", port: () => tls.port, tls: { ca, fingerprint256: wrongPin }, reason: "TLS_UNTRUSTED" },
    { what: "default roots only (test CA unknown)", port: () => tls.port, tls: {}, reason: "TLS_UNTRUSTED" },
    { what: "server signed by another CA", port: () => tls.untrustedPort, tls: { ca }, reason: "TLS_UNTRUSTED" },
    { what: "trusting only the other CA", port: () => tls.port, tls: { ca: readFileSync(tls.otherCaFile) }, reason: "TLS_UNTRUSTED" },
    { what: "certificate for another name", port: () => tls.wrongNamePort, tls: { ca }, reason: "TLS_NAME_MISMATCH" },
    { what: "plain MQTT listener (no TLS)", port: () => broker.port, tls: { ca }, reason: "TLS_HANDSHAKE_FAILED" },
  ];
  for (const c of cases) {
    it(`${c.reason ? "refuses" : "accepts"}: ${c.what}`, async () => {
      const { dut, sent } = await device({ broker_port: c.port(), ...(c.host ? { broker_host: c.host } : {}) }, c.tls);
      if (c.reason === null) {
        await waitFor(() => dut.device.connState === ConnState.CONNECTED, 8000, "CONNECTED");
        expect(sent()).toBeGreaterThan(0);
        return;
      }
      const code = DISCONNECT_NAMES.indexOf(c.reason as (typeof DISCONNECT_NAMES)[number]);
      expect(code).toBeGreaterThan(14);
      await waitFor(() => dut.device.counter(disconnectCounter(code)) >= 2, 8000, `two ${c.reason} disconnects`);
      expect(DISCONNECT_NAMES[dut.device.lastDisconnect]).toBe(c.reason);
      // Each attempt failed for this reason and nothing else; no session ever came up.
      expect(dut.device.counter(Counter.MQTT_CONNECTS)).toBe(0);
      const attempts = dut.device.counter(Counter.MQTT_CONNECT_ATTEMPTS);
      const failed = dut.device.counter(disconnectCounter(code));
      expect(attempts - failed).toBeLessThanOrEqual(1); // the attempt in progress
      // The password (the CONNECT packet) never left the device.
      expect(sent()).toBe(0);
    });
  }

  it("times out a stalled handshake (TCP up, no ServerHello) and retries with backoff", async () => {
    const starts: number[] = [];
    const held: Socket[] = [];
    const stall = createServer((s) => { starts.push(Date.now()); held.push(s); s.on("error", () => {}); });
    await new Promise<void>((r) => stall.listen(0, "127.0.0.1", () => r()));
    cleanups.push(() => new Promise<void>((r) => { for (const s of held) s.destroy(); stall.close(() => r()); }));
    const port = (stall.address() as { port: number }).port;
    const { dut, sent } = await device({ broker_port: port, broker_host: "127.0.0.1" }, { ca });
    const code = DISCONNECT_NAMES.indexOf("TLS_HANDSHAKE_TIMEOUT");
    const seen = new Set<number>();
    dut.device.on("conn", (st) => seen.add(st));
    await waitFor(() => starts.length >= 3, 15000, "three handshake attempts");
    expect(DISCONNECT_NAMES[dut.device.lastDisconnect]).toBe("TLS_HANDSHAKE_TIMEOUT");
    expect(dut.device.counter(disconnectCounter(code))).toBeGreaterThanOrEqual(2);
    expect(seen.has(ConnState.BACKING_OFF)).toBe(true);
    // Next attempt no sooner than connect timeout + backoff base (firmware clock vs. wall clock: 50 ms slack).
    for (let i = 1; i < starts.length; i++) expect(starts[i]! - starts[i - 1]!).toBeGreaterThanOrEqual(1000 + 300 - 50);
    expect(sent()).toBe(0);
  });

  it("relay rules are the same over TLS as in clear: an identical command script gives identical relay changes and refusals", async () => {
    // high_cutoff 40 % with the tank at 42 %: "on" is refused (HIGH_LEVEL); then the rule is relaxed by a second device.
    const script: Array<"on" | "off"> = ["on", "off", "on", "on", "off"];
    async function run(useTls: boolean, over: Partial<DeviceConfig>): Promise<{ relay: boolean[]; refusals: number[] }> {
      const dut = await startDevice(broker, useTls ? { broker_host: "localhost", broker_tls: true, broker_port: tls.port, ...over } : over,
        { run: false, device: { tls: { ca } } });
      cleanups.push(() => dut.device.stop());
      const relay: boolean[] = [];
      dut.device.on("relay", (on) => relay.push(on));
      const platform = await PlatformClient.connect(broker, []);
      cleanups.push(() => platform.close());
      dut.device.run();
      await waitFor(() => dut.device.connState === ConnState.CONNECTED && dut.device.levelPct !== null, 8000, "connected with a reading");
      for (const cmd of script) {
        const before = dut.device.counter(Counter.DOWNLINK_ACCEPTED) + dut.device.counter(Counter.DOWNLINK_STALE_ECHO);
        await platform.publish(dut.fx.downlink, stateMessage(dut.fx.uid, cmd));
        await waitFor(() => dut.device.counter(Counter.DOWNLINK_ACCEPTED) + dut.device.counter(Counter.DOWNLINK_STALE_ECHO) > before, 5000, `"${cmd}" handled`);
      }
      const refusals = Array.from({ length: 8 }, (_, r) => dut.device.counter(Counter.PUMP_REFUSAL_BASE + r));
      return { relay, refusals };
    }
    for (const over of [{}, { high_cutoff_pct: 40 }] as DeviceConfig[]) {
      const clear = await run(false, over);
      const secure = await run(true, over);
      expect(secure).toEqual(clear);
      // The script exercised the rules: switches without a cutoff, HIGH_LEVEL refusals with it.
      if (over.high_cutoff_pct === undefined) expect(clear.relay.length).toBeGreaterThanOrEqual(4);
      else expect(clear.refusals[4]).toBeGreaterThanOrEqual(2);
    }
  });
});
