/**
 * Config validation in the firmware, checked against docs/CONFIG.md: every
 * documented member, its type and its range; required members; cross-member
 * rules; malformed JSON. An invalid config opens no socket, keeps the relay
 * off and publishes nothing.
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { bootBare } from "../helpers/bare-firmware.js";
import { packagePath } from "../../sim/paths.js";

const VALID = {
  uid: "u1", key: "k1", broker_host: "127.0.0.1", uplink_topic: "iotbind/tank/u1", downlink_topic: "dev/u1",
  trig_pin: 5, echo_pin: 18, relay_pin: 26, empty_distance_mm: 1100, full_distance_mm: 100,
};

interface Row { member: string; type: string; range: string }

function documentedMembers(): Row[] {
  const md = readFileSync(packagePath("docs", "CONFIG.md"), "utf8");
  const rows: Row[] = [];
  for (const line of md.split("\n")) {
    const m = /^\| \d+ \| `(\w+)` \| ([^|]+) \| ([^|]+) \|/.exec(line);
    if (m) rows.push({ member: m[1]!, type: m[2]!.trim(), range: m[3]!.trim() });
  }
  return rows;
}

const rows = documentedMembers();

function expectRefused(config: unknown, code: number, error: string | RegExp): void {
  const fw = bootBare(config);
  expect(fw.status).toBe(code);
  if (typeof error === "string") expect(fw.error).toBe(error);
  else expect(fw.error).toMatch(error);
  expect(fw.calls.some((c) => c.name === "sock_connect")).toBe(false);
  expect(fw.exports.relay_state()).toBe(0);
  // Ticking a refused device does nothing: no socket, no publish.
  fw.exports.tick(5000);
  expect(fw.calls.some((c) => c.name === "sock_connect" || c.name === "sock_send")).toBe(false);
}

describe("config", () => {
  it("documents at least the 83 members the firmware knows", () => {
    expect(rows.length).toBeGreaterThanOrEqual(83);
  });

  it("accepts the minimal valid config", () => {
    const fw = bootBare(VALID);
    expect(fw.error).toBe("");
    expect(fw.status).toBe(0);
    expect(fw.exports.relay_state()).toBe(0);
  });

  for (const row of rows) {
    const m = /^(-?\d+)\.\.(\d+)( bytes)?/.exec(row.range);
    if (row.type.startsWith("integer") || row.type === "number") {
      const [lo, hi] = [Number(m![1]), Number(m![2])];
      it(`${row.member}: ${row.type} ${lo}..${hi}`, () => {
        expectRefused({ ...VALID, [row.member]: hi + 1 }, -3, `config: member "${row.member}": must be between ${lo} and ${hi}`);
        expectRefused({ ...VALID, [row.member]: lo - 1 }, -3, `config: member "${row.member}": must be between ${lo} and ${hi}`);
        expectRefused({ ...VALID, [row.member]: String(lo) }, -3, `config: member "${row.member}": must be a number`);
        if (row.type.startsWith("integer")) {
          expectRefused({ ...VALID, [row.member]: lo + 0.5 }, -3, `config: member "${row.member}": must be an integer`);
        }
        // The bounds themselves pass this member's own check (cross rules may still refuse).
        for (const v of [lo, hi]) {
          const fw = bootBare({ ...VALID, [row.member]: v });
          expect(fw.error).not.toMatch(new RegExp(`"${row.member}": must be (between|a number|an integer)`));
        }
      });
    } else if (row.type === "string" && m && m[3]) {
      const hi = Number(m[2]);
      it(`${row.member}: string of at most ${hi} bytes`, () => {
        expectRefused({ ...VALID, [row.member]: "a".repeat(hi + 1) }, -3, `config: member "${row.member}": is too long (at most ${hi} bytes)`);
        expectRefused({ ...VALID, [row.member]: 7 }, -3, `config: member "${row.member}": must be a string`);
      });
    } else if (row.type === "string") {
      const words = row.range.split(",").map((w) => w.trim());
      it(`${row.member}: one of ${words.join(", ")}`, () => {
        expectRefused({ ...VALID, [row.member]: "bogus" }, -3, `config: member "${row.member}": must be one of: ${words.join(" ")}`);
      });
    } else if (row.type === "boolean") {
      it(`${row.member}: boolean`, () => {
        expectRefused({ ...VALID, [row.member]: "true" }, -3, `config: member "${row.member}": must be true or false`);
        expect(bootBare({ ...VALID, [row.member]: true }).error).not.toContain(`"${row.member}": must be`);
      });
    }
  }

  for (const member of ["uid", "key", "broker_host", "uplink_topic", "downlink_topic", "empty_distance_mm", "full_distance_mm"]) {
    it(`requires ${member}`, () => {
      const cfg: Record<string, unknown> = { ...VALID };
      delete cfg[member];
      expectRefused(cfg, -3, `config: member "${member}": is required`);
    });
  }

  it("rejects unknown members, naming them", () => {
    expectRefused({ ...VALID, broker_prot: 1883 }, -3, `config: member "broker_prot": is not a known member (see docs/CONFIG.md)`);
  });

  it("rejects MQTT wildcards in topics", () => {
    expectRefused({ ...VALID, uplink_topic: "iotbind/tank/#" }, -3, /uplink_topic.*wildcards/);
    expectRefused({ ...VALID, downlink_topic: "a/+/b" }, -3, /downlink_topic.*wildcards/);
  });

  it("rejects a client id with characters servers may refuse", () => {
    expectRefused({ ...VALID, client_id: "bad id!" }, -3, /client_id.*may contain only/);
  });

  const cross: Array<[string, Record<string, unknown>, RegExp]> = [
    ["password without user", { broker_password: "p" }, /"broker_password": needs broker_user/],
    ["full >= empty", { full_distance_mm: 1200 }, /"full_distance_mm": must be less than empty_distance_mm/],
    ["full inside the blind zone", { full_distance_mm: 10 }, /"full_distance_mm": must not be inside the sensor's blind zone/],
    ["empty beyond range", { empty_distance_mm: 5000 }, /"empty_distance_mm": must not exceed the sensor's range/],
    ["backoff cap < base", { mqtt_backoff_base_ms: 5000, mqtt_backoff_cap_ms: 1000 }, /"mqtt_backoff_cap_ms": must be at least/],
    ["will payload without topic", { will_payload: "gone" }, /"will_payload": needs will_topic/],
    ["pulse sensor without trig", { trig_pin: -1 }, /"trig_pin": is required for a pulse-echo sensor/],
    ["trig == echo", { echo_pin: 5 }, /"echo_pin": must differ from trig_pin/],
    ["uart sensor without port", { sensor: "a02yyuw" }, /"uart_port": is required for a UART sensor/],
    ["analog sensor without channel", { sensor: "maxbotix", empty_distance_mm: 1100, full_distance_mm: 400 }, /"adc_channel": is required/],
    ["ntc without channel", { temperature: "ntc" }, /"ntc_channel": is required/],
    ["pump without relay", { relay_pin: -1 }, /"relay_pin": is required unless pump_mode is "none"/],
    ["relay on a sensor pin", { relay_pin: 5 }, /"relay_pin": must differ/],
    ["button on the relay pin", { button_pin: 26 }, /"button_pin": must differ/],
    ["auto fill start >= stop", { auto: true, auto_start_pct: 90, auto_stop_pct: 20 }, /"auto_start_pct": must be below auto_stop_pct in fill mode/],
    ["auto drain start <= stop", { auto: true, pump_mode: "drain", auto_start_pct: 20, auto_stop_pct: 90 }, /"auto_start_pct": must be above auto_stop_pct in drain mode/],
    ["auto without pump", { auto: true, pump_mode: "none" }, /"auto": needs pump_mode fill or drain/],
  ];
  for (const [name, over, error] of cross) {
    it(`cross rule: ${name}`, () => expectRefused({ ...VALID, ...over }, -3, error));
  }

  it("applies a sensor profile before explicit members, whatever the order", () => {
    // jsn-sr04t has a 250 mm blind zone: full_distance_mm 100 is then inside it...
    expectRefused({ sensor: "jsn-sr04t", ...VALID }, -3, /blind zone/);
    // ...unless blind_mm is given explicitly, before or after the profile.
    expect(bootBare({ blind_mm: 50, ...VALID, sensor: "jsn-sr04t" }).status).toBe(0);
  });

  it("refuses malformed JSON, non-objects and oversize configs", () => {
    for (const bad of ["", "{", "[]", "{\"uid\":}", "{\"uid\":\"a\"} x", "\u0000"]) {
      const fw = bootBare(bad);
      expect(fw.status, bad).toBe(bad === "" ? -1 : -2);
    }
    // A JSON config has no length limit of its own: its binary form has (config_cap()).
    const big = JSON.stringify({ ...VALID, uid: "x".repeat(3000) });
    expect(bootBare(big).error).toBe('config: member "uid": is too long (at most 64 bytes)');
  });

  it("refuses a second init on the same instance", () => {
    const fw = bootBare(VALID);
    expect(fw.status).toBe(0);
    expect(fw.exports.init(10)).toBe(-4);
  });
});
