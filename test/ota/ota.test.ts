/**
 * OTA end to end against the real mosquitto (docs/OTA.md): the real firmware
 * in the Node host with A/B slots and a public key, pushed to by the same
 * code as `iotbind-tank ota push` (sim/ota-push.ts).
 */
import { afterEach, beforeAll, describe, expect, inject, it } from "vitest";
import mqtt from "mqtt";
import { sign } from "node:crypto";
import { readFileSync } from "node:fs";
import { startDevice, waitFor, type DeviceUnderTest } from "../helpers/device-fixture.js";
import { ConnState, Counter } from "../../sim/host/abi.js";
import { DEFAULT_FIRMWARE_PATH, type OtaEvent } from "../../sim/host/device.js";
import type { OtaOptions } from "../../sim/host/ota.js";
import { pushImage, signModule, formatSummary, type PushProgress } from "../../sim/ota-push.js";
import type { BrokerInfo } from "../harness/mosquitto.js";
import { firmwareAs, keyPair, neverConnects, trapsInInit } from "./fixtures.js";

const broker = inject("broker") as BrokerInfo;
const url = `mqtt://${broker.host}:${broker.port}`;
const auth = { url, user: broker.user, password: broker.password };
const V1 = "0.1.0";
const V2 = "1.3.0";
const good = keyPair();
const other = keyPair();
let v2: Uint8Array;

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

beforeAll(() => {
  expect(readFileSync(DEFAULT_FIRMWARE_PATH).length).toBeGreaterThan(0);
  v2 = firmwareAs(V2);
}, 120_000);

let n = 0;
const clientId = (): string => `ota${process.pid % 10000}x${Date.now().toString(36).slice(-5)}${++n}`;

interface Dut extends DeviceUnderTest { cid: string; ota: OtaEvent[]; relayEvents: boolean[] }

async function device(ota: OtaOptions = {}): Promise<Dut> {
  const cid = clientId();
  const dut = await startDevice(broker, { client_id: cid, pump_mode: "fill" }, { run: false, device: { ota: { publicKey: good.publicPem, confirmS: 20, ...ota } } });
  const events: OtaEvent[] = [];
  const relayEvents: boolean[] = [];
  dut.device.on("ota", (e) => events.push(e));
  dut.device.on("relay", (on) => relayEvents.push(on));
  cleanups.push(() => dut.device.stop());
  dut.device.run();
  await waitFor(() => dut.device.connState === ConnState.CONNECTED && dut.device.counter(Counter.OTA_STATUS_ACKED) >= 1, 10_000, "connected, status acknowledged");
  return { ...dut, cid, ota: events, relayEvents };
}

/** The retained status of `cid`, read by a fresh subscriber. */
async function retainedStatus(cid: string): Promise<Record<string, unknown>> {
  const c = await mqtt.connectAsync(url, { username: broker.user, password: broker.password, clientId: `${cid}-reader` });
  try {
    const got = new Promise<Record<string, unknown>>((resolve) => c.on("message", (_t, p) => resolve(JSON.parse(p.toString()) as Record<string, unknown>)));
    await c.subscribeAsync(`iotbind-tank/${cid}/status`, { qos: 1 });
    return await Promise.race([got, new Promise<never>((_, rej) => setTimeout(() => rej(new Error("no retained status")), 3000))]);
  } finally {
    await c.endAsync();
  }
}

/** module || signature over arbitrary bytes (signModule refuses a module that is not WebAssembly). */
function signRaw(module: Uint8Array): Uint8Array {
  const sig = sign("sha256", module, { key: good.privatePem, dsaEncoding: "ieee-p1363" });
  const out = new Uint8Array(module.length + 64);
  out.set(module, 0);
  out.set(sig, module.length);
  return out;
}

describe("OTA against real mosquitto", () => {
  it("a signed v2 is received, verified, switched to, confirmed and reported on the retained status", async () => {
    const dut = await device();
    expect(dut.device.firmwareVersion).toBe(V1);
    const t0 = Date.now();
    const [r] = await pushImage({ ...auth, devices: [dut.cid], image: signModule(v2, good.privatePem), timeoutS: 30 });
    const ms = Date.now() - t0;
    expect(r).toMatchObject({ device: dut.cid, outcome: "updated", detail: V2 });
    await waitFor(() => dut.ota.some((e) => e.kind === "confirmed"), 10_000, "trial confirmed");
    expect(dut.device.firmwareVersion).toBe(V2);
    expect(dut.device.otaState).toEqual({ active: "B", trial: false, previous: "A" });
    expect(await retainedStatus(dut.cid)).toMatchObject({ version: V2, abi: 2, ota: "idle", error: "" });
    console.info(`otaUpdateOneDeviceMs=${ms} (${v2.length + 64} B image, offer to new version reported)`);
  });

  it("refuses wrong-key, truncated, flipped, oversize and non-wasm images by name; v1 keeps running, relay untouched", async () => {
    const dut = await device();
    // The relay on first (the platform's "on"), so "unchanged" means something.
    const c = await mqtt.connectAsync(url, { username: broker.user, password: broker.password });
    await c.publishAsync(dut.fx.downlink, JSON.stringify({ uid: dut.fx.uid, name: "Tank", type: "Water Level", cmd: "on", level: "42", level_unit: "%", temperature: "20", temperature_unit: "C" }));
    await c.endAsync();
    await waitFor(() => dut.hw.relayOn, 5000, "relay on");
    const relayBefore = dut.relayEvents.length;
    const signed = signModule(v2, good.privatePem);
    const flipped = signed.slice();
    flipped[1000] = flipped[1000]! ^ 0x01;
    const notWasm = v2.slice();
    notWasm[0] = 1;
    const cases: Array<[string, Uint8Array, string]> = [
      ["signed by another key", signModule(v2, other.privatePem), "BAD_SIGNATURE"],
      ["truncated", signed.subarray(0, Math.floor(signed.length / 2)), "BAD_SIGNATURE"],
      ["a byte flipped after signing", flipped, "BAD_SIGNATURE"],
      ["larger than the slot", new Uint8Array(70_000), "TOO_LARGE"],
      ["signed, not WebAssembly", signRaw(notWasm), "NOT_WASM"],
    ];
    for (const [what, image, name] of cases) {
      const [r] = await pushImage({ ...auth, devices: [dut.cid], image, timeoutS: 20 });
      expect(r, what).toMatchObject({ outcome: "failed", detail: name });
      expect(dut.device.firmwareVersion, what).toBe(V1);
      expect(dut.hw.relayOn, what).toBe(true);
    }
    expect(dut.relayEvents.length).toBe(relayBefore);
    expect(dut.ota).toEqual([]);
    expect(dut.device.otaState).toEqual({ active: "A", trial: false, previous: null });
    expect(await retainedStatus(dut.cid)).toMatchObject({ version: V1, ota: "refused", error: "NOT_WASM" });
  }, 40_000);

  it("rolls back a module that traps in init, and one that never connects, within the bound; the status names the reason", async () => {
    const confirmS = 3;
    const dut = await device({ confirmS });
    const [a] = await pushImage({ ...auth, devices: [dut.cid], image: signModule(trapsInInit("1.4.0"), good.privatePem), timeoutS: 20 });
    expect(a).toMatchObject({ outcome: "rolled-back", detail: "INIT_TRAPPED 1.4.0" });
    expect(dut.device.firmwareVersion).toBe(V1);
    const t0 = Date.now();
    const [b] = await pushImage({ ...auth, devices: [dut.cid], image: signModule(neverConnects("1.5.0"), good.privatePem), timeoutS: 20 });
    expect(b).toMatchObject({ outcome: "rolled-back", detail: "NOT_CONFIRMED 1.5.0" });
    expect(Date.now() - t0).toBeLessThan((confirmS + 8) * 1000);
    expect(dut.ota.map((e) => e.kind)).toEqual(["switched", "rolled-back", "switched", "rolled-back"]);
    expect(dut.device.otaState).toMatchObject({ active: "A", trial: false });
    expect(await retainedStatus(dut.cid)).toMatchObject({ version: V1, rollback: "NOT_CONFIRMED 1.5.0" });
    expect(dut.relayEvents.every((on) => !on)).toBe(true);
  }, 40_000);

  it("resumes from the wanted offset after the link drops mid-push", async () => {
    const dut = await device();
    const offsets: number[] = [];
    let dropped = -1;
    const image = signModule(v2, good.privatePem);
    const [r] = await pushImage({
      ...auth, devices: [dut.cid], image, timeoutS: 40,
      onProgress: (p: PushProgress) => {
        if (p.phase !== "receiving") return;
        offsets.push(p.offset);
        if (dropped < 0 && p.offset >= image.length / 3) { dropped = offsets.length; dut.device.sockets.closeAll(); }
      },
    });
    expect(r).toMatchObject({ outcome: "updated", detail: V2 });
    expect(dropped).toBeGreaterThan(0);
    const after = offsets.slice(dropped);
    expect(after.length).toBeGreaterThan(0);
    expect(Math.min(...after)).toBeGreaterThanOrEqual(offsets[dropped - 1]! - 512); // no restart from 0
    expect(dut.device.counter(Counter.MQTT_CONNECTS)).toBeGreaterThanOrEqual(1);
  }, 60_000);
});

describe("OTA slots as files", () => {
  it("a new Device on the same directory boots the confirmed image; a host restart during a trial rolls back at boot", async () => {
    const { mkdtempSync, existsSync, readFileSync: read } = await import("node:fs");
    const { tmpdir } = await import("node:os");
    const { join } = await import("node:path");
    const dir = mkdtempSync(join(tmpdir(), "ota-slots-"));
    const a = await device({ dir });
    const [r] = await pushImage({ ...auth, devices: [a.cid], image: signModule(v2, good.privatePem), timeoutS: 30 });
    expect(r).toMatchObject({ outcome: "updated" });
    await waitFor(() => a.ota.some((e) => e.kind === "confirmed"), 10_000, "confirmed");
    expect(existsSync(join(dir, "slot-b.wasm"))).toBe(true);
    expect(JSON.parse(read(join(dir, "ota-state.json"), "utf8"))).toEqual({ active: "B", trial: false, previous: "A" });
    await a.device.stop();
    // Restarted host, same directory: runs slot B (v2).
    const b = await startDevice(broker, { client_id: a.cid }, { run: false, device: { ota: { publicKey: good.publicPem, dir, confirmS: 60 } } });
    cleanups.push(() => b.device.stop());
    expect(b.device.firmwareVersion).toBe(V2);
    const events: OtaEvent[] = [];
    b.device.on("ota", (e) => events.push(e));
    b.device.run();
    await waitFor(() => b.device.counter(Counter.OTA_STATUS_ACKED) >= 1, 10_000, "v2 up");
    // A trial that is still running when the host stops...
    void pushImage({ ...auth, devices: [a.cid], image: signModule(neverConnects("1.6.0"), good.privatePem), timeoutS: 5 });
    await waitFor(() => events.some((e) => e.kind === "switched"), 10_000, "switched to the trial");
    expect(JSON.parse(read(join(dir, "ota-state.json"), "utf8"))).toMatchObject({ active: "A", trial: true, previous: "B" });
    await b.device.stop();
    // ...counts as failed at the next boot: back to B (v2), reason recorded for the status.
    const kv = new Map<string, Uint8Array>();
    const c = await startDevice(broker, { client_id: a.cid }, { run: false, device: { kv, ota: { publicKey: good.publicPem, dir } } });
    cleanups.push(() => c.device.stop());
    expect(c.device.firmwareVersion).toBe(V2);
    expect(c.device.otaState).toEqual({ active: "B", trial: false, previous: "A" });
    expect(new TextDecoder().decode(kv.get("ota.rollback"))).toBe("NOT_CONFIRMED 1.6.0");
  }, 60_000);
});

describe("OTA fleet", () => {
  it("updates 100 devices through one push and prints the summary", async () => {
    const duts: Dut[] = [];
    for (let i = 0; i < 100; i++) {
      const cid = clientId();
      const dut = await startDevice(broker, { client_id: cid, reading_interval_ms: 5000 }, { run: true, device: { ota: { publicKey: good.publicPem } } });
      cleanups.push(() => dut.device.stop());
      duts.push({ ...dut, cid, ota: [], relayEvents: [] });
    }
    await waitFor(() => duts.every((d) => d.device.counter(Counter.OTA_STATUS_ACKED) >= 1), 20_000, "100 devices up");
    const t0 = Date.now();
    const results = await pushImage({ ...auth, devices: duts.map((d) => d.cid), image: signModule(v2, good.privatePem), timeoutS: 60 });
    const ms = Date.now() - t0;
    const summary = formatSummary(results);
    console.info(`${summary.split("\n").at(-1)} in ${ms} ms (otaFleet100Ms=${ms})`);
    expect(results).toHaveLength(100);
    expect(results.filter((r) => r.outcome === "updated")).toHaveLength(100);
    expect(summary).toMatch(/^100 updated, 0 rolled back, 0 failed$/m);
    expect(duts.every((d) => d.device.firmwareVersion === V2)).toBe(true);
  }, 120_000);
});

describe("iotbind-tank ota (the CLI)", () => {
  it("keygen, sign and push: exit 0 when every device updated, 1 with the summary naming a device that never answered", async () => {
    const { execFile } = await import("node:child_process");
    const { mkdtempSync, readFileSync: read, writeFileSync: write } = await import("node:fs");
    const { tmpdir } = await import("node:os");
    const { join } = await import("node:path");
    const cli = (args: string[]) => new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
      execFile(process.execPath, ["dist/sim/cli.js", "ota", ...args], (err, stdout, stderr) => resolve({ code: err ? (err.code as number) : 0, stdout, stderr }));
    });
    const dir = mkdtempSync(join(tmpdir(), "ota-cli-"));
    expect((await cli(["keygen", "--out", dir])).code).toBe(0);
    write(join(dir, "v2.wasm"), v2);
    expect((await cli(["sign", "--key", join(dir, "ota-private.pem"), join(dir, "v2.wasm"), "-o", join(dir, "v2.signed")])).code).toBe(0);
    const a = await device({ publicKey: read(join(dir, "ota-public.pem"), "utf8") });
    const b = await device({ publicKey: read(join(dir, "ota-public.pem"), "utf8") });
    const common = ["--broker", url, "--user", broker.user, "--password", broker.password, join(dir, "v2.signed")];
    const ok = await cli(["push", "--device", a.cid, "--device", b.cid, "--timeout-s", "20", ...common]);
    expect(ok.stderr).toMatch(/receiving/);
    expect(ok.stdout).toMatch(/^2 updated, 0 rolled back, 0 failed$/m);
    expect(ok.code).toBe(0);
    const ghost = `${a.cid}-gone`;
    const bad = await cli(["push", "--device", ghost, "--timeout-s", "2", ...common]);
    expect(bad.code).toBe(1);
    expect(bad.stdout).toMatch(new RegExp(`${ghost}\\s+failed\\s+TIMEOUT \\(offered\\)`));
    const usage = await cli(["push", "--broker", url, join(dir, "v2.signed")]);
    expect(usage.code).toBe(2);
    expect(usage.stderr.trim().split("\n")).toHaveLength(1);
  }, 60_000);
});
