/**
 * Issue 13, classes 1 and 2. A refused config touches no hardware: init,
 * ticks and shutdown of a refused instance call no hal import but `log`
 * (no gpio_mode/gpio_write/uart_open/adc_read/kv/socket), whatever was parsed
 * before the bad member (e.g. an active-low relay). Every member given twice is
 * refused with an error naming it.
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { bootBare } from "../helpers/bare-firmware.js";
import { packagePath } from "../../sim/paths.js";

const VALID: Record<string, unknown> = {
  uid: "u1", key: "k1", broker_host: "127.0.0.1", uplink_topic: "iotbind/tank/u1", downlink_topic: "dev/u1",
  trig_pin: 5, echo_pin: 18, relay_pin: 26, empty_distance_mm: 1100, full_distance_mm: 100,
};

/** Member names from docs/CONFIG.md's tables. */
function documentedMembers(): Map<string, string> {
  const md = readFileSync(packagePath("docs", "CONFIG.md"), "utf8");
  return new Map([...md.matchAll(/^\| \d+ \| `(\w+)` \| ([^|]+) \| ([^|]+) \|/gm)].map((m) => [m[1]!, `${m[2]!.trim()} ${m[3]!.trim()}`]));
}
const DOC_TYPES = documentedMembers();

/** A valid value from the docs row (type and range) of a member that has no entry in DUP_VALUE. */
function documentedValue(name: string): unknown {
  const row = DOC_TYPES.get(name) ?? "";
  if (row.startsWith("boolean")) return false;
  const low = /^integer (-?\d+)\.\./.exec(row);
  return low ? Number(low[1]) : 1;
}
const MEMBERS = [...DOC_TYPES.keys()];

const ALLOWED = new Set(["log"]);

function hardwareCalls(calls: { name: string }[]): string[] {
  return calls.map((c) => c.name).filter((n) => !ALLOWED.has(n));
}

/** A JSON object text with members in the given order (duplicates kept). */
function objectText(entries: [string, unknown][]): string {
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${JSON.stringify(v)}`).join(",")}}`;
}

// Bad members: [name, value, expected error fragment]
const badMember = fc.oneof(
  fc.record({ k: fc.constantFrom("relay_activ_high", "relay_pin_", "RELAY_PIN", "x", "pump", "typo"), v: fc.constantFrom<unknown>(1, true, "on", null) })
    .map(({ k, v }) => ({ k, v, why: "is not a known member" })),
  fc.constantFrom(
    { k: "relay_active_high", v: 0, why: "must be true or false" },
    { k: "relay_active_high", v: "false", why: "must be true or false" },
    { k: "relay_pin", v: 64, why: "must be between" },
    { k: "relay_pin", v: "26", why: "must be a number" },
    { k: "min_on_s", v: -1, why: "must be between" },
    { k: "pump_mode", v: "fil", why: "must be one of" },
    { k: "sensor", v: 1, why: "must be one of" },
    { k: "broker_port", v: 1.5, why: "must be an integer" },
    { k: "uid", v: "", why: "must not be empty" },
  ),
);

describe("refused config: zero hal writes", () => {
  it("an active-low relay followed by any bad member: refused, no hal call but log, relay untouched (property)", () => {
    fc.assert(fc.property(
      fc.integer({ min: 0, max: 63 }).filter((p) => p !== 5 && p !== 18),
      fc.boolean(),
      badMember,
      fc.integer({ min: 0, max: 10 }),
      (relayPin, withButton, bad, extraAfter) => {
        const entries: [string, unknown][] = Object.entries({ ...VALID, relay_pin: relayPin });
        entries.push(["relay_active_high", false]);
        if (withButton && relayPin !== 0) entries.push(["button_pin", 0], ["button_active_low", false]);
        // the bad member comes after the relay members, followed by some valid ones
        const tail = Object.entries({ reading_interval_ms: 500, min_on_s: 5, max_run_s: 60, temperature: "fixed" }).slice(0, extraAfter % 5);
        const isDup = entries.some(([k]) => k === bad.k) && bad.why !== "is not a known member";
        entries.push([bad.k, bad.v], ...tail.filter(([k]) => k !== bad.k));
        const fw = bootBare(objectText(entries));
        expect(fw.status).toBe(-3);
        expect(fw.error).toContain(`"${bad.k}"`);
        expect(fw.error).toContain(isDup ? "more than once" : bad.why);
        expect(fw.exports.tick(5000)).toBeGreaterThan(0);
        fw.exports.tick(10_000);
        fw.exports.shutdown(11_000);
        expect(hardwareCalls(fw.calls)).toEqual([]);
        expect(fw.exports.relay_state()).toBe(0);
      },
    ), { numRuns: 400, seed: 13 });
  });

  it("a wrong type for relay_active_high touches no pin", () => {
    for (const v of [0, 1, "false", null, [], {}]) {
      const fw = bootBare(objectText([...Object.entries(VALID), ["relay_active_high", v]]));
      expect(fw.status).toBe(-3);
      expect(fw.error).toBe('config: member "relay_active_high": must be true or false');
      fw.exports.shutdown(2000);
      expect(hardwareCalls(fw.calls)).toEqual([]);
    }
  });

  it("a cross-member refusal (after every member parsed) touches no pin either", () => {
    const fw = bootBare({ ...VALID, relay_active_high: false, full_distance_mm: 2000 });
    expect(fw.status).toBe(-3);
    fw.exports.shutdown(2000);
    expect(hardwareCalls(fw.calls)).toEqual([]);
  });

  it("an accepted config does set the relay up (the check above can fail)", () => {
    const fw = bootBare({ ...VALID, relay_active_high: false });
    expect(fw.status).toBe(0);
    expect(fw.calls.filter((c) => c.name === "gpio_write" && c.args[0] === 26).map((c) => c.args[1])).toEqual([1]);
  });
});

describe("duplicate members", () => {
  it("documents the 83 members", () => {
    expect(MEMBERS.length).toBeGreaterThanOrEqual(83);
  });

  for (const name of MEMBERS) {
    it(`${name} given twice is refused, naming it`, () => {
      // the same (valid) value twice, first and second occurrence anywhere
      const base = Object.entries(VALID).filter(([k]) => k !== name);
      const value = name in VALID ? VALID[name] : DUP_VALUE[name] ?? documentedValue(name);
      const fw = bootBare(objectText([[name, value], ...base, [name, value]]));
      expect(fw.status).toBe(-3);
      expect(fw.error).toBe(`config: member "${name}": is given more than once`);
      expect(hardwareCalls(fw.calls)).toEqual([]);
    });
  }
});

/** A value of the right type for members not in VALID (the duplicate must be the only fault). */
const DUP_VALUE: Record<string, unknown> = {
  client_id: "abc", broker_user: "u", broker_password: "p", mqtt_clean_session: true, will_topic: "w", will_payload: "x",
  will_retain: false, json_numbers: true, send_temperature: true, sensor: "hc-sr04", temperature: "fixed",
  tank_shape: "rectangular", relay_active_high: true, pump_mode: "fill", power_on: "off", auto: false,
  button_active_low: true, mqtt_inflight: 1, mqtt_backoff_base_ms: 1000, mqtt_backoff_cap_ms: 60000, mqtt_stable_ms: 60000,
  mqtt_connect_timeout_ms: 10000, mqtt_ping_timeout_ms: 5000, heartbeat_s: 300, ping_interval_s: 120, trigger_us: 10,
  max_range_mm: 4000, ping_gap_ms: 60, uart_baud: 9600, adc_bits: 12, adc_ref_mv: 3300, analog_samples: 8,
  pings_per_reading: 5, reading_interval_ms: 2000, spike_confirm: 3, stale_ms: 30000, ntc_r0_ohm: 10000,
  ntc_beta: 3950, ntc_series_ohm: 10000, ntc_bits: 12, tank_diameter_mm: 1000, tank_length_mm: 1000,
  tank_width_mm: 1000, max_run_s: 3600, unknown_level_off_s: 30, button_debounce_ms: 50, analog_mm_per_v: 1000,
  high_cutoff_pct: 95, cutoff_hysteresis_pct: 5, auto_stop_pct: 90, broker_port: 1883, ntc_t0_c: 25, temperature_c: 20,
};
