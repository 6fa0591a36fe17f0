/**
 * The posix C host (boards/, wasm2c) running the release firmware.wasm against
 * the real mosquitto of the test harness, with mqtt.js in the platform's
 * place: readings arrive with the device's uid/key and the simulated level,
 * downlink states switch the relay (printed by the host as RELAY on/off),
 * malformed messages change nothing, the u32 clock wrap is harmless, a bad
 * config is refused with the firmware's own error text, and a trapping module
 * gets its relay driven off and is restarted. The same host with the WAMR
 * adapter runs over an emulation of WAMR's API (WAMR is not installed here).
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { connectAsync, type MqttClient } from "mqtt";
import { NativeHost } from "../helpers/native-host.js";
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from "vitest";

const HOST = "build/native/iotbind-tank-host";
const TRAP_OUT = "build/native/fixture-trap";
const TRAP_HOST = `${TRAP_OUT}/iotbind-tank-host`;

const broker = inject("broker");
const dir = mkdtempSync(join(tmpdir(), "iotbind-native-"));
const run = Math.random().toString(36).slice(2, 8);
const UID = `native-${run}`;
const KEY = `k-${run}-secret`;
const UPLINK = `iotbind/tank/native-${run}`;
const DOWNLINK = `iotbind/tank/native-${run}/state`;

/** A firmware config of the example's shape, pointed at the test broker. */
function config(extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    uid: UID,
    key: KEY,
    broker_host: broker.host,
    broker_port: broker.port,
    broker_user: broker.user,
    broker_password: broker.password,
    uplink_topic: UPLINK,
    downlink_topic: DOWNLINK,
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

/**
 * The posix host with boards/host/runtime_wamr.c instead of the wasm2c
 * adapter, over test/native/wamr-emulation/fake_wamr.c: WAMR's API emulated
 * on the wasm2c translation in `out` (WAMR itself cannot be installed here).
 */
function buildWamrEmulation(out: string): string {
  const flags = ["-O2", "-Wall", "-Wextra", "-Werror", "-DWASM_RT_MEMCHECK_SIGNAL_HANDLER=0", "-D_POSIX_C_SOURCE=200809L"];
  execFileSync("cc", ["-std=gnu11", ...flags, "-Iboards/host/test-stubs", "-isystem", out, "-isystem", "/usr/share/wabt/wasm2c",
    "-c", "test/native/wamr-emulation/fake_wamr.c", "-o", `${out}/fake_wamr.o`]);
  execFileSync("cc", ["-std=c99", ...flags, "-Iboards/host", "-Iboards/host/test-stubs",
    "-c", "boards/host/runtime_wamr.c", "-o", `${out}/runtime_wamr.o`]);
  const o = `${out}/obj`;
  const bin = `${out}/iotbind-tank-host-wamr-emulation`;
  execFileSync("cc", ["-o", bin, `${out}/fake_wamr.o`, `${out}/runtime_wamr.o`, `${o}/host/host.o`, `${o}/host/json_member.o`,
    `${o}/host/sockets_bsd.o`, `${o}/host/sockets_tls_mbedtls.o`, `${o}/platform/posix/hal_posix.o`, `${o}/platform/posix/sim_tank.o`,
    `${o}/platform/posix/main.o`, `${o}/firmware.o`, `${o}/wasm-rt-impl.o`, "-lmbedtls", "-lmbedx509", "-lmbedcrypto", "-lm"]);
  return bin;
}

let WAMR_HOST = "";
let WAMR_TRAP_HOST = "";

beforeAll(() => {
  // the same command as `npm run build:native`, then the trap fixture with the same Makefile
  execFileSync("npm", ["run", "build:native", "--silent"], { stdio: "inherit" });
  mkdirSync(TRAP_OUT, { recursive: true });
  execFileSync("wat2wasm", ["test/native/fixtures/trap.wat", "-o", `${TRAP_OUT}/trap.wasm`]);
  execFileSync("make", ["-s", "-C", "boards", `WASM=${process.cwd()}/${TRAP_OUT}/trap.wasm`, `OUT=${process.cwd()}/${TRAP_OUT}`], { stdio: "inherit" });
  WAMR_HOST = buildWamrEmulation("build/native");
  WAMR_TRAP_HOST = buildWamrEmulation(TRAP_OUT);
}, 240000);

afterEach(async () => {
  await Promise.all(hosts.splice(0).map((h) => h.stop()));
});

describe("posix host (wasm2c) with the release firmware against mosquitto", () => {
  let platform: MqttClient;
  const uplink: Record<string, unknown>[] = [];

  beforeAll(async () => {
    platform = await connectAsync(`mqtt://${broker.host}:${broker.port}`, {
      username: broker.user,
      password: broker.password,
      clientId: `platform-${run}`,
    });
    platform.on("message", (topic, payload) => {
      if (topic !== UPLINK) return;
      try { uplink.push(JSON.parse(payload.toString()) as Record<string, unknown>); } catch { uplink.push({ unparsable: payload.toString() }); }
    });
    await platform.subscribeAsync(UPLINK, { qos: 1 });
  });

  afterAll(async () => {
    await platform?.endAsync();
  });

  const readings = () => uplink.filter((m) => "level" in m);
  /** The platform's state message of PROTOCOL.md. */
  const state = (cmd: string) =>
    JSON.stringify({ uid: UID, name: "Tank", type: "Water Level", cmd, level: "67", level_unit: "%", temperature: "20.0", temperature_unit: "C" });

  describe("one host running the example-shaped config", () => {
    const simFile = join(dir, "sim.txt");
    let host: NativeHost;

    beforeAll(() => {
      writeFileSync(simFile, "level=67\n");
      host = new NativeHost(HOST, ["--sim-file", simFile, "--kv", join(dir, "kv.txt"), "--hw-id", `hw-${run}`, writeConfig("ok.json", config())]);
    });

    afterAll(async () => {
      // SIGTERM: shutdown() drives the relay off and the host exits 0
      expect(await host.stop()).toBe(0);
      expect(host.relayLines().at(-1)).toBe("RELAY off");
      expect(host.stderr.join("\n")).toMatch(/I host: stopped/);
    });

    it("publishes a reading with its uid and key, the simulated level and the NTC's temperature", async () => {
      await host.until(() => readings().length > 0, "a reading on the uplink topic", 20000);
      expect(readings()[0]).toMatchObject({ uid: UID, key: KEY, level: "67", temperature: "20.0" });
      // init drove the relay off before anything else
      expect(host.relayLines()).toEqual(["RELAY off"]);
    });

    it("follows the simulated tank: the next readings carry the new level and temperature", async () => {
      writeFileSync(simFile, "level=40\ntemperature=25.5\n");
      await host.until(() => readings().some((m) => m.level === "40"), "a reading of the new level 40", 20000);
      expect(readings().find((m) => m.level === "40")).toMatchObject({ uid: UID, key: KEY, temperature: "25.5" });
    });

    it("switches the relay on an \"on\" state and off on an \"off\" state", async () => {
      const n = host.relayLines().length;
      await platform.publishAsync(DOWNLINK, state("on"), { qos: 1 });
      await host.until(() => host.relayLines().length > n, "RELAY on");
      await platform.publishAsync(DOWNLINK, state("off"), { qos: 1 });
      await host.until(() => host.relayLines().length > n + 1, "RELAY off");
      expect(host.relayLines().slice(n)).toEqual(["RELAY on", "RELAY off"]);
    });

    it("changes nothing on malformed, foreign or addressed-to-the-platform messages, and still obeys afterwards", async () => {
      const n = host.relayLines().length;
      const ignored = [
        `{"uid":"${UID}","cmd":"on"`, // truncated JSON
        "not json at all",
        `{"uid":"${UID}","cmd":"maybe"}`, // unknown cmd
        `{"uid":"${UID}","cmd":1}`, // wrong type
        `{"uid":"other-${run}","cmd":"on"}`, // another device
        `{"uid":"${UID}","key":"${KEY}","cmd":"on"}`, // a request to the platform, not a state
        `{"cmd":"on"}`, // no uid
        `["${UID}","on"]`,
        `{"uid":"${UID}","cmd":"on","pad":"${"x".repeat(3000)}"}`, // larger than the firmware's receive buffer
        "",
      ];
      for (const m of ignored) await platform.publishAsync(DOWNLINK, m, { qos: 1 });
      // the host hands socket data to the firmware as it arrives: 2 s is ample
      await new Promise((r) => setTimeout(r, 2000));
      expect(host.relayLines().slice(n)).toEqual([]);
      expect(host.proc.exitCode).toBeNull();
      // still connected and obeying
      await platform.publishAsync(DOWNLINK, state("on"), { qos: 1 });
      await host.until(() => host.relayLines().length > n, "RELAY on after the ignored messages");
      expect(host.relayLines().slice(n)).toEqual(["RELAY on"]);
      for (const m of uplink) expect(m).toMatchObject({ uid: UID, key: KEY });
    });
  });

  it("refuses a config the firmware refuses, printing its error text, and exits 2", async () => {
    const cfg = config();
    delete cfg.uid;
    const host = startHost(HOST, [writeConfig("no-uid.json", cfg)]);
    expect(await host.exited).toBe(2);
    expect(host.stderr.join("\n")).toMatch(/init refused the config: -3 CONFIG_INVALID: .*uid.*required/);
    expect(host.relayLines()).not.toContain("RELAY on");
  });

  it("refuses a config longer than config_cap() without calling init", async () => {
    const host = startHost(HOST, [writeConfig("long.json", config({ will_payload: "x".repeat(4000) }))]);
    expect(await host.exited).toBe(2);
    expect(host.stderr.join("\n")).toMatch(/the firmware takes at most \d+/);
  });

  it("keeps publishing and obeying across the wrap of the u32 millisecond clock", async () => {
    // the clock starts 4 s before 2^32 ms: the wrap comes early in the run
    const uid = `${UID}-wrap`, up = `${UPLINK}-wrap`, down = `${DOWNLINK}-wrap`;
    const seen: { at: number; msg: Record<string, unknown> }[] = [];
    const t0 = Date.now();
    const onMessage = (topic: string, payload: Buffer) => {
      if (topic === up) seen.push({ at: Date.now() - t0, msg: JSON.parse(payload.toString()) as Record<string, unknown> });
    };
    platform.on("message", onMessage);
    await platform.subscribeAsync(up, { qos: 1 });
    try {
      const host = startHost(HOST, ["--millis-offset", String(2 ** 32 - 4000), "--hw-id", `hw-wrap-${run}`,
        writeConfig("wrap.json", config({ uid, uplink_topic: up, downlink_topic: down, heartbeat_s: 10, deadband_pct: 0 }))]);
      await host.until(() => seen.some((s) => s.at > 6000 && "level" in s.msg), "a reading after the wrap", 30000);
      await platform.publishAsync(down, JSON.stringify({ uid, cmd: "on" }), { qos: 1 });
      await host.until(() => host.relayLines().at(-1) === "RELAY on", "RELAY on after the wrap");
      expect(host.stderr.join("\n")).not.toMatch(/trapped|disconnected/);
    } finally {
      platform.off("message", onMessage);
    }
  }, 60000);
});

describe("posix host trap path (fixture module)", () => {
  it("drives the relay off, logs the panic and the trap, and restarts the module", async () => {
    const even = writeConfig("trap-even.json", { relay_pin: 23 }); // 16 bytes: panic + unreachable
    const host = startHost(TRAP_HOST, ["--max-restarts", "1", even]);
    expect(await host.exited).toBe(5);
    const err = host.stderr.join("\n");
    expect(err).toMatch(/firmware panic: fixture boom \(7:9\)/);
    expect(err).toMatch(/firmware trapped: Unreachable instruction executed after panic: fixture boom; relay off, restarting/);
    expect(err.match(/firmware running/g)).toHaveLength(2); // instantiated again after the trap
    expect(host.relayLines()).toEqual(["RELAY on", "RELAY off", "RELAY on", "RELAY off"]);
  });

  it("turns a pointer+length that leaves memory into a trap, not a host crash", async () => {
    const odd = writeConfig("trap-odd.json", { relay_pin: 23, xy: 1 }); // 23 bytes
    const host = startHost(TRAP_HOST, ["--max-restarts", "0", odd]);
    expect(await host.exited).toBe(5);
    expect(host.stderr.join("\n")).toMatch(/firmware trapped: Out-of-bounds access in linear memory/);
    expect(host.relayLines()).toEqual(["RELAY on", "RELAY off"]);
  });
});

describe("sources for runtimes and SDKs that are not installed here", () => {
  it("runtime_wamr.c compiles with -Wall -Wextra -Werror against the declarations of wasm_export.h", () => {
    // boards/host/test-stubs/wasm_export.h mirrors WAMR 2.x's header; this
    // proves the adapter is consistent with it, not that it runs
    expect(() => execFileSync("make", ["-s", "-C", "boards", "check-wamr"], { stdio: "pipe" })).not.toThrow();
  });

  it("the ESP-IDF sources compile with -Wall -Wextra -Werror against declarations of the ESP-IDF API", () => {
    // boards/platform/esp32/test-stubs/ is written from the ESP-IDF 5.2 API
    // reference: well-formed C consistent with it, not a real ESP-IDF build
    expect(() => execFileSync("make", ["-s", "-C", "boards", "check-esp32"], { stdio: "pipe" })).not.toThrow();
  });
});

describe("runtime_wamr.c run over an emulation of WAMR's API (WAMR is not installed here)", () => {
  it("instantiates with an 8 KiB stack and app heap 0; the release firmware publishes and obeys through it", async () => {
    const uid = `${UID}-wamr`, up = `${UPLINK}-wamr`, down = `${DOWNLINK}-wamr`;
    const platform = await connectAsync(`mqtt://${broker.host}:${broker.port}`, { username: broker.user, password: broker.password });
    const got: Record<string, unknown>[] = [];
    platform.on("message", (topic, payload) => { if (topic === up) got.push(JSON.parse(payload.toString()) as Record<string, unknown>); });
    await platform.subscribeAsync(up, { qos: 1 });
    try {
      const host = startHost(WAMR_HOST, ["--wasm", "build/firmware.wasm", "--hw-id", `hw-wamr-${run}`,
        writeConfig("wamr.json", config({ uid, uplink_topic: up, downlink_topic: down }))]);
      await host.until(() => got.some((m) => "level" in m), "a reading through the WAMR adapter");
      expect(host.stdout[0]).toBe("WAMR instantiate stack=8192 heap=0");
      expect(got.find((m) => "level" in m)).toMatchObject({ uid, key: KEY, level: "67", temperature: "20.0" });
      // subscribed (the reading comes after SUBACK) and the level is known: an "on" is obeyed
      await platform.publishAsync(down, JSON.stringify({ uid, cmd: "on" }), { qos: 1 });
      await host.until(() => host.relayLines().at(-1) === "RELAY on", "RELAY on through the WAMR adapter");
      expect(host.relayLines()).toEqual(["RELAY off", "RELAY on"]);
    } finally {
      await platform.endAsync();
    }
  });

  it("turns a trap into relay off + WAMR's exception in the log + a new instance", async () => {
    const host = startHost(WAMR_TRAP_HOST, ["--wasm", `${TRAP_OUT}/trap.wasm`, "--max-restarts", "1", writeConfig("wamr-trap.json", { relay_pin: 23 })]);
    expect(await host.exited).toBe(5);
    const err = host.stderr.join("\n");
    expect(err).toMatch(/firmware panic: fixture boom/);
    expect(err).toMatch(/firmware trapped: Exception: Unreachable instruction executed after panic: fixture boom/);
    expect(host.relayLines()).toEqual(["RELAY on", "RELAY off", "RELAY on", "RELAY off"]);
    expect(host.stdout.filter((l) => l.startsWith("WAMR instantiate"))).toHaveLength(2);
  });

  it("a `*~` pair outside memory is refused by the signature check, as WAMR does", async () => {
    const host = startHost(WAMR_TRAP_HOST, ["--wasm", `${TRAP_OUT}/trap.wasm`, "--max-restarts", "0", writeConfig("wamr-oob.json", { relay_pin: 23, xy: 1 })]);
    expect(await host.exited).toBe(5);
    expect(host.stderr.join("\n")).toMatch(/firmware trapped: Exception: out of bounds memory access/);
    expect(host.relayLines()).toEqual(["RELAY on", "RELAY off"]);
  });
});
