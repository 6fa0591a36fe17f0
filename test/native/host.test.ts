/**
 * The posix C host (boards/) running the release firmware.wasm against the
 * real mosquitto of the test harness, with mqtt.js in the platform's place,
 * on EVERY runtime: wasm2c, WAMR 2.4.3 classic and fast interpreter, wasm3
 * 0.5.0 (real runtimes built from registry-fetched sources, boards/runtimes/).
 * Per runtime: readings arrive with the device's uid/key and the simulated
 * level, downlink states switch the relay (printed by the host as RELAY
 * on/off, and stdout carries nothing else), malformed messages change
 * nothing, the u32 clock wrap is harmless, a broker SIGKILL is survived, a
 * bad config is refused with the firmware's own error text, and a trapping
 * module gets its relay driven off and is restarted. Modules whose imports do
 * not match the ABI are refused. Assertions are on behaviour, never on one
 * runtime's wording of a trap.
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { connectAsync, type MqttClient } from "mqtt";
import { NativeHost } from "../helpers/native-host.js";
import { RUNTIMES, releaseArgs, type NativeRuntime } from "../helpers/runtimes.js";
import { Mosquitto } from "../harness/mosquitto.js";
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from "vitest";

const FIXTURES = "build/native/fixtures";
const TRAP_OUT = `${FIXTURES}/trap-wasm2c`;

const broker = inject("broker");
const dir = mkdtempSync(join(tmpdir(), "iotbind-native-"));
const run = Math.random().toString(36).slice(2, 8);

/** A firmware config of the example's shape, pointed at `b` (default: the shared test broker). */
function config(ids: Ids, extra: Record<string, unknown> = {}, b = broker): Record<string, unknown> {
  return {
    uid: ids.uid,
    key: ids.key,
    broker_host: b.host,
    broker_port: b.port,
    broker_user: b.user,
    broker_password: b.password,
    uplink_topic: ids.up,
    downlink_topic: ids.down,
    sensor: "hc-sr04",
    trig_pin: 5,
    echo_pin: 18,
    relay_pin: 23,
    empty_distance_mm: 1200,
    full_distance_mm: 200,
    temperature: "ntc", // the simulated NTC divider, at the simulator's 20 C
    ntc_channel: 6,
    pump_mode: "fill",
    min_on_s: 0,
    min_off_s: 0,
    reading_interval_ms: 500,
    min_interval_s: 0,
    ...extra,
  };
}

interface Ids { uid: string; key: string; up: string; down: string }
function ids(tag: string): Ids {
  const uid = `native-${run}-${tag}`;
  return { uid, key: `k-${run}-secret`, up: `iotbind/tank/${uid}`, down: `iotbind/tank/${uid}/state` };
}

function writeConfig(name: string, cfg: Record<string, unknown>): string {
  const path = join(dir, name);
  writeFileSync(path, JSON.stringify(cfg));
  return path;
}

const hosts: NativeHost[] = [];
function startHost(bin: string, args: string[]): NativeHost {
  const h = new NativeHost(bin, args);
  hosts.push(h);
  return h;
}

/** stdout is the host's line protocol: RELAY lines only (a runtime's own log must go to stderr). */
function expectCleanStdout(h: NativeHost): void {
  for (const line of h.stdout) expect(line).toMatch(/^RELAY (on|off)$/);
}

/** The trap fixture as each runtime runs it: wasm2c compiled in, the others load trap.wasm. */
function trapHost(rt: NativeRuntime, args: string[]): NativeHost {
  return rt.loads ? startHost(rt.bin, ["--wasm", `${FIXTURES}/trap.wasm`, ...args]) : startHost(`${TRAP_OUT}/iotbind-tank-host`, args);
}

/** trap.wat with its imports changed: a wrong signature, or one import the ABI does not have. */
const TRAP_WAT = readFileSync("test/native/fixtures/trap.wat", "utf8");
const BAD_MODULES: Record<string, string> = {
  "bad-signature": TRAP_WAT.replace('(import "hal" "millis" (func $millis (result i32)))', '(import "hal" "millis" (func $millis (param i32) (result i32)))'),
  "unknown-import": TRAP_WAT.replace('(import "hal" "hw_id"', '(import "hal" "no_such_fn" (func $nope (param i32)))\n  (import "hal" "hw_id"'),
};

beforeAll(() => {
  // The hosts themselves are built by the global setup (test/harness/native-build.ts).
  mkdirSync(FIXTURES, { recursive: true });
  execFileSync("wat2wasm", ["test/native/fixtures/trap.wat", "-o", `${FIXTURES}/trap.wasm`]);
  execFileSync("make", ["-s", "-C", "boards", "wasm2c", `WASM=${process.cwd()}/${FIXTURES}/trap.wasm`, `OUT=${process.cwd()}/${TRAP_OUT}`], { stdio: "inherit" });
  for (const [name, wat] of Object.entries(BAD_MODULES)) {
    writeFileSync(`${FIXTURES}/${name}.wat`, wat);
    execFileSync("wat2wasm", [`${FIXTURES}/${name}.wat`, "-o", `${FIXTURES}/${name}.wasm`]);
  }
  writeFileSync(`${FIXTURES}/empty.wasm`, new Uint8Array(0));
}, 120000);

afterEach(async () => {
  await Promise.all(hosts.splice(0).map((h) => h.stop()));
});

describe.each(RUNTIMES)("posix host on $name with the release firmware against mosquitto", (rt) => {
  let platform: MqttClient;
  const id = ids(rt.name);
  const uplink: Record<string, unknown>[] = [];

  beforeAll(async () => {
    platform = await connectAsync(`mqtt://${broker.host}:${broker.port}`, {
      username: broker.user,
      password: broker.password,
      clientId: `platform-${run}-${rt.name}`,
    });
    platform.on("message", (topic, payload) => {
      if (topic !== id.up) return;
      try { uplink.push(JSON.parse(payload.toString()) as Record<string, unknown>); } catch { uplink.push({ unparsable: payload.toString() }); }
    });
    await platform.subscribeAsync(id.up, { qos: 1 });
  });

  afterAll(async () => {
    await platform?.endAsync();
  });

  const readings = () => uplink.filter((m) => "level" in m);
  /** The platform's state message of PROTOCOL.md. */
  const state = (cmd: string) =>
    JSON.stringify({ uid: id.uid, name: "Tank", type: "Water Level", cmd, level: "67", level_unit: "%", temperature: "20.0", temperature_unit: "C" });

  describe(`one ${rt.name} host running the example-shaped config`, () => {
    const simFile = join(dir, `sim-${rt.name}.txt`);
    let host: NativeHost;

    beforeAll(() => {
      writeFileSync(simFile, "level=67\n");
      host = new NativeHost(rt.bin, releaseArgs(rt, ["--sim-file", simFile, "--kv", join(dir, `kv-${rt.name}.txt`), "--hw-id", `hw-${run}-${rt.name}`,
        writeConfig(`ok-${rt.name}.json`, config(id))]));
    });

    afterAll(async () => {
      // SIGTERM: shutdown() drives the relay off and the host exits 0
      expect(await host.stop()).toBe(0);
      expect(host.relayLines().at(-1)).toBe("RELAY off");
      expect(host.stderr.join("\n")).toMatch(/I host: stopped/);
      expectCleanStdout(host);
    });

    it("publishes a reading with its uid and key, the simulated level and the NTC's temperature", async () => {
      await host.until(() => readings().length > 0, "a reading on the uplink topic", 20000);
      expect(readings()[0]).toMatchObject({ uid: id.uid, key: id.key, level: "67", temperature: "20.0" });
      // init drove the relay off before anything else
      expect(host.relayLines()).toEqual(["RELAY off"]);
    });

    it("follows the simulated tank: the next readings carry the new level and temperature", async () => {
      writeFileSync(simFile, "level=40\ntemperature=25.5\n");
      await host.until(() => readings().some((m) => m.level === "40"), "a reading of the new level 40", 20000);
      expect(readings().find((m) => m.level === "40")).toMatchObject({ uid: id.uid, key: id.key, temperature: "25.5" });
    });

    it("switches the relay on an \"on\" state and off on an \"off\" state", async () => {
      const n = host.relayLines().length;
      await platform.publishAsync(id.down, state("on"), { qos: 1 });
      await host.until(() => host.relayLines().length > n, "RELAY on");
      await platform.publishAsync(id.down, state("off"), { qos: 1 });
      await host.until(() => host.relayLines().length > n + 1, "RELAY off");
      expect(host.relayLines().slice(n)).toEqual(["RELAY on", "RELAY off"]);
    });

    it("changes nothing on malformed, foreign or addressed-to-the-platform messages, and still obeys afterwards", async () => {
      const n = host.relayLines().length;
      const ignored = [
        `{"uid":"${id.uid}","cmd":"on"`, // truncated JSON
        "not json at all",
        `{"uid":"${id.uid}","cmd":"maybe"}`, // unknown cmd
        `{"uid":"${id.uid}","cmd":1}`, // wrong type
        `{"uid":"other-${run}","cmd":"on"}`, // another device
        `{"uid":"${id.uid}","key":"${id.key}","cmd":"on"}`, // a request to the platform, not a state
        `{"cmd":"on"}`, // no uid
        `["${id.uid}","on"]`,
        `{"uid":"${id.uid}","cmd":"on","pad":"${"x".repeat(3000)}"}`, // larger than the firmware's receive buffer
        "",
      ];
      for (const m of ignored) await platform.publishAsync(id.down, m, { qos: 1 });
      // the host hands socket data to the firmware as it arrives: 2 s is ample
      await new Promise((r) => setTimeout(r, 2000));
      expect(host.relayLines().slice(n)).toEqual([]);
      expect(host.proc.exitCode).toBeNull();
      // still connected and obeying
      await platform.publishAsync(id.down, state("on"), { qos: 1 });
      await host.until(() => host.relayLines().length > n, "RELAY on after the ignored messages");
      expect(host.relayLines().slice(n)).toEqual(["RELAY on"]);
      for (const m of uplink) expect(m).toMatchObject({ uid: id.uid, key: id.key });
    });
  });

  it("refuses a config the firmware refuses, printing its error text, and exits 2", async () => {
    const cfg = config(id);
    delete cfg.uid;
    const host = startHost(rt.bin, releaseArgs(rt, [writeConfig(`no-uid-${rt.name}.json`, cfg)]));
    expect(await host.exited).toBe(2);
    expect(host.stderr.join("\n")).toMatch(/init refused the config: -3 CONFIG_INVALID: .*uid.*required/);
    expect(host.relayLines()).not.toContain("RELAY on");
    expectCleanStdout(host);
  });

  it("keeps publishing and obeying across the wrap of the u32 millisecond clock", async () => {
    // the clock starts 4 s before 2^32 ms: the wrap comes early in the run
    const w = ids(`${rt.name}-wrap`);
    const seen: { at: number; msg: Record<string, unknown> }[] = [];
    const t0 = Date.now();
    const onMessage = (topic: string, payload: Buffer) => {
      if (topic === w.up) seen.push({ at: Date.now() - t0, msg: JSON.parse(payload.toString()) as Record<string, unknown> });
    };
    platform.on("message", onMessage);
    await platform.subscribeAsync(w.up, { qos: 1 });
    try {
      const host = startHost(rt.bin, releaseArgs(rt, ["--millis-offset", String(2 ** 32 - 4000), "--hw-id", `hw-wrap-${run}-${rt.name}`,
        writeConfig(`wrap-${rt.name}.json`, config(w, { heartbeat_s: 10, deadband_pct: 0 }))]));
      await host.until(() => seen.some((s) => s.at > 6000 && "level" in s.msg), "a reading after the wrap", 30000);
      await platform.publishAsync(w.down, JSON.stringify({ uid: w.uid, cmd: "on" }), { qos: 1 });
      await host.until(() => host.relayLines().at(-1) === "RELAY on", "RELAY on after the wrap");
      expect(host.stderr.join("\n")).not.toMatch(/trapped|disconnected/);
    } finally {
      platform.off("message", onMessage);
    }
  }, 60000);

  it("survives a broker SIGKILL: reconnects to the restarted broker, publishes and obeys again", async () => {
    const own = await Mosquitto.start();
    const k = ids(`${rt.name}-kill`);
    let p: MqttClient | null = null;
    const got: { at: number; msg: Record<string, unknown> }[] = [];
    const listen = async (): Promise<MqttClient> => {
      const c = await connectAsync(`mqtt://${own.info.host}:${own.info.port}`, { username: own.info.user, password: own.info.password });
      c.on("message", (topic, payload) => { if (topic === k.up) got.push({ at: Date.now(), msg: JSON.parse(payload.toString()) as Record<string, unknown> }); });
      await c.subscribeAsync(k.up, { qos: 1 });
      return c;
    };
    try {
      p = await listen();
      // The device sends its latest reading right after it reconnects, possibly before this test's
      // own subscriber is back: once that one listens again, a level change makes a new reading.
      const killSim = join(dir, `sim-kill-${rt.name}.txt`);
      writeFileSync(killSim, "level=67\n");
      const host = startHost(rt.bin, releaseArgs(rt, ["--hw-id", `hw-kill-${run}-${rt.name}`, "--sim-file", killSim,
        writeConfig(`kill-${rt.name}.json`, config(k, { mqtt_backoff_base_ms: 200, mqtt_backoff_cap_ms: 1000 }, own.info))]));
      await host.until(() => got.some((g) => "level" in g.msg), "a reading before the kill", 20000);
      await p.endAsync(true);
      await own.kill();
      await new Promise((r) => setTimeout(r, 800)); // the device finds the broker gone, retries fail
      await own.restart();
      const back = Date.now();
      p = await listen();
      writeFileSync(killSim, "level=45\n");
      await host.until(() => got.some((g) => g.at >= back && "level" in g.msg), "a reading after the broker came back", 20000);
      const n = host.relayLines().length;
      await p.publishAsync(k.down, JSON.stringify({ uid: k.uid, cmd: "on" }), { qos: 1 });
      await host.until(() => host.relayLines().length > n, "RELAY on after the broker came back");
      expect(host.relayLines().slice(n)).toEqual(["RELAY on"]);
      expect(host.proc.exitCode).toBeNull();
      expect(host.stderr.join("\n")).not.toMatch(/trapped/);
      expectCleanStdout(host);
    } finally {
      await p?.endAsync(true);
      await own.stop();
    }
  }, 60000);

  describe(`trap path on ${rt.name} (fixture module)`, () => {
    it("drives the relay off, logs the panic and the trap, and restarts the module", async () => {
      const even = writeConfig("trap-even.json", { relay_pin: 23 }); // binary: 6 bytes: panic + unreachable
      const host = trapHost(rt, ["--max-restarts", "1", even]);
      expect(await host.exited).toBe(5);
      const err = host.stderr.join("\n");
      expect(err).toMatch(/firmware panic: fixture boom \(7:9\)/);
      // the runtime's own words for `unreachable` differ (FACTS.md); the host's frame does not
      expect(err).toMatch(/firmware trapped: .+ after panic: fixture boom; relay off, restarting/);
      expect(err.match(/firmware running/g)).toHaveLength(2); // instantiated again after the trap
      expect(host.relayLines()).toEqual(["RELAY on", "RELAY off", "RELAY on", "RELAY off"]);
      expectCleanStdout(host);
    });

    it("turns a pointer+length that leaves memory into a trap, not a host crash", async () => {
      const odd = writeConfig("trap-odd.json", { relay_pin: 23, uid: "a" }); // binary: 9 bytes
      const host = trapHost(rt, ["--max-restarts", "0", odd]);
      expect(await host.exited).toBe(5);
      expect(host.stderr.join("\n")).toMatch(/firmware trapped: .*(out[- ]of[- ]bounds|oob)/i);
      expect(host.stderr.join("\n")).not.toMatch(/after panic/);
      expect(host.relayLines()).toEqual(["RELAY on", "RELAY off"]);
    });
  });
});

describe.each(RUNTIMES.filter((r) => r.loads))("module refusal on $name", (rt) => {
  const cfg = () => writeConfig("refusal.json", { relay_pin: 23 });

  it.each(Object.keys(BAD_MODULES))("refuses a module with a %s import before running it (exit 3, the import named)", async (name) => {
    const host = startHost(rt.bin, ["--wasm", `${FIXTURES}/${name}.wasm`, cfg()]);
    expect(await host.exited).toBe(3);
    const err = host.stderr.join("\n");
    expect(err).toMatch(name === "bad-signature" ? /hal\.millis/ : /hal\.no_such_fn/);
    expect(err).not.toMatch(/firmware running/);
    expect(host.relayLines()).toEqual([]);
    expectCleanStdout(host);
  });

  it("refuses an empty module with a message (exit 3)", async () => {
    const host = startHost(rt.bin, ["--wasm", `${FIXTURES}/empty.wasm`, cfg()]);
    expect(await host.exited).toBe(3);
    expect(host.stderr.join("\n")).toMatch(/empty/);
    expectCleanStdout(host);
  });

  it("refuses bytes that are not a module (exit 3)", async () => {
    writeFileSync(`${FIXTURES}/garbage.wasm`, Buffer.from("\0asm\x01\0\0\0garbage that is no section"));
    const host = startHost(rt.bin, ["--wasm", `${FIXTURES}/garbage.wasm`, cfg()]);
    expect(await host.exited).toBe(3);
    expectCleanStdout(host);
  });
});

describe("module refusal on wasm2c (the module is compiled in)", () => {
  // (an import the module never calls costs wasm2c nothing: only a changed signature is a build error there)
  it.each(["bad-signature"])("a module with a %s import does not build: the generated import conflicts with runtime_wasm2c.c", (name) => {
    const out = `${process.cwd()}/${FIXTURES}/${name}-wasm2c`;
    expect(() => execFileSync("make", ["-s", "-C", "boards", "wasm2c", `WASM=${process.cwd()}/${FIXTURES}/${name}.wasm`, `OUT=${out}`], { stdio: "pipe" })).toThrow();
  });
});

describe("sources for an SDK that is not installed here", () => {
  it("the ESP-IDF sources compile with -Wall -Wextra -Werror against declarations of the ESP-IDF API", () => {
    // boards/platform/esp32/test-stubs/ is written from the ESP-IDF 5.2 API
    // reference: well-formed C consistent with it, not a real ESP-IDF build
    expect(() => execFileSync("make", ["-s", "-C", "boards", "check-esp32"], { stdio: "pipe" })).not.toThrow();
  });
});
