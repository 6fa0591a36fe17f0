/**
 * The fuzz corpus through the native host too, on every runtime (wasm2c,
 * WAMR classic, WAMR fast, wasm3: test/helpers/runtimes.ts) with the same
 * build/firmware.wasm, so every host agrees with the Node host: the saved
 * failures of fuzz-corpus/failures plus a sample of the CI seed's generated
 * inputs.
 *  - MQTT stream inputs: one per connection from a scripted broker; the
 *    native host closes exactly the connections the Node-hosted firmware
 *    closes, and never traps (--max-restarts 0 would exit 5).
 *  - Downlink JSON payloads: streamed on one connection; the native RELAY
 *    lines equal the relay changes of the Node-hosted firmware.
 *  - Configs: the native host refuses (exit 2, same error text) exactly
 *    what init refuses, and runs what it accepts.
 */
import { afterAll, describe, expect, it } from "vitest";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Rng, caseSeed, fromHex } from "../../sim/tools/fuzz/rng.js";
import { FUZZ_CONFIG, DOWNLINK, DOC_EXAMPLES, FUZZ_UID, Session, genConfig, genJsonPayload, genMqttInput } from "../../sim/tools/fuzz/fuzzers.js";
import { FirmwareRig, loadFirmwareSync } from "../../sim/tools/fuzz/rig.js";
import { concat, publish } from "../../sim/tools/fuzz/mqtt-bytes.js";
import { loadCases } from "../../sim/tools/fuzz/corpus.js";
import { NativeHost, ScriptedBroker, until } from "../helpers/fuzz-native.js";
import { CI_SEED } from "../helpers/fuzz-run.js";
import { RUNTIMES, releaseArgs, type NativeRuntime } from "../helpers/runtimes.js";

// The hosts are built once by the vitest global setup (test/harness/native-build.ts).
const dir = mkdtempSync(join(tmpdir(), "iotbind-fuzz-native-"));
const fw = loadFirmwareSync();
const saved = loadCases();
const hosts: NativeHost[] = [];
const brokers: ScriptedBroker[] = [];

afterAll(async () => {
  for (const h of hosts) await h.stop();
  for (const b of brokers) await b.close();
});

function sample<T>(n: number, gen: (rng: Rng) => T): T[] {
  return Array.from({ length: n }, (_, i) => gen(new Rng(caseSeed(CI_SEED, i))));
}

function nativeConfig(port: number): string {
  const path = join(dir, `config-${port}.json`);
  writeFileSync(path, JSON.stringify({ ...FUZZ_CONFIG, broker_host: "127.0.0.1", broker_port: port, mqtt_backoff_base_ms: 100, mqtt_backoff_cap_ms: 100 }));
  return path;
}

async function startNative(rt: NativeRuntime, scripts: ConstructorParameters<typeof ScriptedBroker>[0]): Promise<{ broker: ScriptedBroker; host: NativeHost }> {
  const broker = new ScriptedBroker(scripts);
  await broker.start();
  brokers.push(broker);
  const host = new NativeHost(rt.bin, releaseArgs(rt, ["--max-restarts", "0", "--level", "42", nativeConfig(broker.port)]));
  hosts.push(host);
  return { broker, host };
}

describe.each(RUNTIMES)("fuzz corpus through the native host on $name", (rt) => {
  it("MQTT stream inputs: the native host closes exactly the connections the Node host closes, and never traps", async () => {
    const inputs = [...saved.filter((x) => x.c.fuzzer === "mqtt").map((x) => fromHex(x.c.input)), ...sample(60, genMqttInput)];
    // Node reference
    const s = new Session(fw, 1);
    const expected: boolean[] = [];
    for (const bytes of inputs) {
      const d = s.deliver(bytes, [bytes.length], 1 << 30);
      expected.push(d.closed);
      if (!d.closed) s.rig.link.closeByPeer();
      s.reconnect();
    }
    const { broker, host } = await startNative(rt, inputs.map((bytes) => ({ bytes, holdMs: 150 })));
    await until(() => broker.done || host.proc.exitCode !== null, 60_000, "every input delivered to the native host");
    expect(host.proc.exitCode, host.stderr.slice(-20).join("\n")).toBeNull();
    const got = broker.results.map((r) => r.closedByDevice);
    expect(got).toEqual(expected);
    expect(expected.filter(Boolean).length).toBeGreaterThan(10); // violations were exercised
    expect(host.stderr.join("\n")).not.toMatch(/trap/i);
  }, 90_000);

  it("downlink JSON payloads: the native RELAY lines equal the Node host's relay changes", async () => {
    // the doc's examples (valid on/off among them, escaped, reordered) first, then saved failures and generated payloads
    const payloads = [...DOC_EXAMPLES, ...saved.filter((x) => x.c.fuzzer === "json").map((x) => fromHex(x.c.input)), ...sample(150, genJsonPayload)];
    const off = publish(DOWNLINK, `{"uid":"${FUZZ_UID}","cmd":"off"}`, 0);
    const on = publish(DOWNLINK, `{"uid":"${FUZZ_UID}","cmd":"on"}`, 0);
    const packets: Uint8Array[] = [];
    payloads.forEach((p, i) => { packets.push(publish(DOWNLINK, p, i % 2, 1 + i), off); });
    packets.push(on, off); // a marker at the end
    // Node reference
    const s = new Session(fw, 1);
    const expected: string[] = [];
    let relay = s.rig.relay;
    for (const pkt of packets) {
      s.deliver(pkt, [pkt.length], 1 << 30);
      if (s.rig.relay !== relay) { relay = s.rig.relay; expected.push(`RELAY ${relay ? "on" : "off"}`); }
    }
    expect(expected.slice(-2)).toEqual(["RELAY on", "RELAY off"]);
    expect(expected.length).toBeGreaterThan(6); // commands among the payloads were obeyed
    const { host } = await startNative(rt, [{ bytes: concat(packets), holdMs: -1, delayMs: 1500 }]);
    // init drives the relay off first: one more line
    await until(() => host.relayLines().length >= expected.length + 1 || host.proc.exitCode !== null, 30_000, "the native relay changes")
      .catch((e: Error) => { throw new Error(`${e.message}\nnative: ${host.relayLines().join(", ")}\nnode:   ${expected.join(", ")}\n${host.stderr.slice(-30).join("\n")}`); });
    await new Promise((r) => setTimeout(r, 300));
    expect(host.proc.exitCode, host.stderr.slice(-20).join("\n")).toBeNull();
    expect(host.relayLines().slice(1)).toEqual(expected);
  }, 60_000);

  it("configs (JSON and binary): the native host refuses exactly what the Node host refuses (same error text) and runs what it accepts", async () => {
    const configs = [...saved.filter((x) => x.c.fuzzer === "config").map((x) => fromHex(x.c.input)), ...sample(80, genConfig)];
    let accepted = 0;
    for (const [i, raw] of configs.entries()) {
      // the native host drops trailing newlines of a JSON config: give the Node host the same bytes
      let n = raw.length;
      while (raw[0] !== 0xc2 && n > 0 && (raw[n - 1] === 0x0a || raw[n - 1] === 0x0d)) n--;
      const bytes = raw.subarray(0, n);
      const rig = new FirmwareRig({ firmware: fw, config: {}, configBytes: bytes });
      const path = join(dir, `fuzz-config-${rt.name}-${i}.json`);
      writeFileSync(path, bytes);
      const host = new NativeHost(rt.bin, releaseArgs(rt, ["--max-restarts", "0", path]));
      hosts.push(host);
      if (rig.initStatus === 0) {
        accepted++;
        const early = await Promise.race([host.exited, new Promise((r) => setTimeout(() => r("running"), 300))]);
        expect(early, `config ${i} accepted by init, but the native host exited:\n${host.stderr.join("\n")}`).toBe("running");
        expect(await host.stop()).toBe(0);
      } else {
        const code = await host.exited;
        expect(code, `config ${i}: init ${rig.initStatus} "${rig.initError}"; native stderr:\n${host.stderr.join("\n")}`).toBe(rig.initStatus === -5 ? 4 : 2);
        // (a config longer than config_cap is refused by the host itself, with its own words; a JSON
        // syntax error is named in each encoder's words, after the same prefix)
        const said = rig.initStatus === -2 && rig.encoderRefused ? "config: not a well-formed JSON object" : rig.initError;
        if (rig.initError && rig.initStatus !== -1) expect(host.stderr.join("\n")).toContain(said);
      }
    }
    expect(accepted).toBeGreaterThan(0);
  }, 90_000);
});
