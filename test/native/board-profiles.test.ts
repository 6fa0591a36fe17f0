/**
 * Board profiles (boards/*.json) are data that hosts merge under a user's
 * config as {...profile.config, ...userConfig}: every key of `config` must be
 * a firmware config member. The real release module is the judge: its init
 * must accept each merged config (and the example configs of boards/).
 */
import { readdirSync, readFileSync } from "node:fs";
import { beforeAll, describe, expect, it } from "vitest";
import { ConfigError, encodeConfig, renderConfigError } from "../../sim/config-binary.js";

interface Profile {
  name: string;
  description: string;
  config: Record<string, number | string | boolean>;
  host?: Record<string, number>;
  notes?: string[];
}

const profiles = readdirSync("boards")
  .filter((f) => f.endsWith(".json"))
  .map((f) => ({ file: f, profile: JSON.parse(readFileSync(`boards/${f}`, "utf8")) as Profile }));

/** What a user adds to a profile: identity, broker, topics, tank. */
const USER = {
  uid: "u-1",
  key: "k-1",
  broker_host: "127.0.0.1",
  uplink_topic: "iotbind/tank/t",
  downlink_topic: "iotbind/tank/t/state",
  empty_distance_mm: 1500,
  full_distance_mm: 250,
};

let wasm: WebAssembly.Module;
beforeAll(async () => {
  wasm = await WebAssembly.compile(readFileSync("build/firmware.wasm"));
});

/** init() of a fresh instance on `config`, with a hal that has no hardware faults and no network. */
async function init(config: unknown): Promise<{ rc: number; error: string }> {
  let mem!: WebAssembly.Memory;
  let t = 0;
  const hal: Record<string, (...a: number[]) => number | void> = {
    millis: () => (t += 7),
    gpio_mode: () => 0, gpio_write: () => 0, gpio_read: () => 1, pulse_in: () => 0, delay_us: () => {},
    adc_read: () => 2048, uart_open: () => 0, uart_read: () => 0, uart_write: (_p, _b, len) => len,
    sock_connect: () => -1, sock_status: () => -1, sock_send: () => -1, sock_recv: () => -1, sock_close: () => {},
    kv_get: () => -1, kv_set: () => 0, log: () => {}, panic: () => {}, random_u32: () => 4, hw_id: () => 0,
    // ABI v2 OTA: a host without OTA (docs/OTA.md: UNSUPPORTED from ota_begin)
    ota_begin: () => -1, ota_write: () => -7, ota_finish: () => -7, ota_abort: () => {}, ota_activate: () => {},
  };
  const inst = await WebAssembly.instantiate(wasm, { hal });
  const ex = inst.exports as Record<string, (...a: number[]) => number> & { memory: WebAssembly.Memory };
  mem = ex.memory;
  let bytes: Uint8Array;
  try {
    bytes = encodeConfig(config); // as every host does: a JSON mistake never reaches init
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    return { rc: e.code, error: e.message };
  }
  new Uint8Array(mem.buffer, ex.config_ptr!(), bytes.length).set(bytes);
  const rc = ex.init!(bytes.length);
  const error = renderConfigError(new TextDecoder().decode(new Uint8Array(mem.buffer, ex.error_ptr!(), ex.error_len!())));
  return { rc, error };
}

describe("board profiles", () => {
  it("there are at least three, each with name, description and config", () => {
    expect(profiles.length).toBeGreaterThanOrEqual(3);
    for (const { file, profile } of profiles) {
      expect(profile.name, file).toBe(file.replace(/\.json$/, ""));
      expect(profile.description.length, file).toBeGreaterThan(20);
      expect(Object.keys(profile.config).length, file).toBeGreaterThan(3);
    }
  });

  for (const { file, profile } of profiles) {
    it(`${file}: the firmware accepts {...profile.config, ...user}`, async () => {
      expect(await init({ ...profile.config, ...USER })).toEqual({ rc: 0, error: "" });
    });
  }

  it("a profile key that is no firmware member is refused (the check bites)", async () => {
    const { rc, error } = await init({ ...profiles[0]!.profile.config, trigger_pin: 4, ...USER });
    expect(rc).toBe(-3);
    expect(error).toMatch(/trigger_pin/);
  });

  it("boards/posix/example-config.json and the ESP32 device example are accepted", async () => {
    expect(await init(JSON.parse(readFileSync("boards/posix/example-config.json", "utf8")))).toEqual({ rc: 0, error: "" });
    const device = JSON.parse(readFileSync("boards/esp32/main/device.example.json", "utf8")) as { firmware: unknown };
    expect(await init(device.firmware)).toEqual({ rc: 0, error: "" });
  });
});
