/**
 * The binary config (docs/CONFIG.md "Binary config"), checked as a whole class:
 *
 * - property test of the firmware's validator on random and mutated binaries
 *   (truncation, unknown indexes, duplicates, every member just outside and
 *   at its binary range, strings of every length, bad UTF-8, wildcards): init
 *   never traps, writes nothing outside its static data, and a refused config
 *   makes no hal call but `log` (and logs the refusal);
 * - round trip JSON -> binary -> firmware for every member at both bounds of
 *   the schema: the firmware takes the value (only cross-member rules may
 *   still refuse the config, never the member's own check);
 * - encoder parity: the C hosts' encoder (boards/host/config_encode.c) makes
 *   the same bytes as the Node host's for random valid configs, and the same
 *   error text for JSON mistakes.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { bootBare } from "../helpers/bare-firmware.js";
import { binaryRange, loadSchema, maxBytes, type SchemaMember } from "../../scripts/config-gen.mjs";
import { encodeConfig, renderConfigError, ConfigError } from "../../sim/config-binary.js";
import { CONFIG_MAX_BYTES, CONFIG_WORDS } from "../../sim/device-config.js";

const schema = loadSchema();
const members = schema.members;
const isString = (m: SchemaMember): boolean => m.kind === "string" || m.kind === "topic";

const VALID = {
  uid: "u1", key: "k1", broker_host: "127.0.0.1", uplink_topic: "iotbind/tank/u1", downlink_topic: "dev/u1",
  trig_pin: 5, echo_pin: 18, relay_pin: 26, empty_distance_mm: 1100, full_distance_mm: 100,
};

/** One record, written independently of the encoder under test. */
function rec(index: number, value: number | Uint8Array): number[] {
  if (typeof value === "number") return [index, value & 255, (value >>> 8) & 255, (value >>> 16) & 255, (value >>> 24) & 255];
  return [index, value.length, ...value];
}
const bin = (...records: number[][]): Uint8Array => Uint8Array.from([schema.format, ...records.flat()]);
const validRecords = (): number[][] => [...encodeConfig(VALID).slice(1)].length ? splitRecords(encodeConfig(VALID)) : [];

/** The records of a well-formed binary (for mutating whole records). */
function splitRecords(b: Uint8Array): number[][] {
  const out: number[][] = [];
  for (let p = 1; p < b.length;) {
    const m = members[b[p]!]!;
    const n = isString(m) ? 2 + b[p + 1]! : 5;
    out.push([...b.slice(p, p + n)]);
    p += n;
  }
  return out;
}

/** Boots `bytes`; checks the invariants of every init; returns the outcome. */
function bootChecked(bytes: Uint8Array): ReturnType<typeof bootBare> {
  const fw = bootBare(bytes, 1000, true);
  const heapBase = Number((fw.exports as unknown as { __heap_base: WebAssembly.Global }).__heap_base.value);
  const mem = new Uint8Array(fw.exports.memory.buffer);
  for (let a = heapBase; a < mem.length; a++) if (mem[a] !== 0) throw new Error(`byte at ${a} (>= __heap_base ${heapBase}) written`);
  expect([0, -1, -2, -3, -5]).toContain(fw.status);
  if (fw.status !== 0 && fw.status !== -5) {
    const touched = fw.calls.filter((c) => c.name !== "log");
    expect(touched.map((c) => c.name), fw.error).toEqual([]);
    expect(fw.raw.length, `a refusal has a text (${fw.status}, ${Buffer.from(bytes).toString("hex")})`).toBeGreaterThan(0);
    expect(fw.logs.some((l) => l.startsWith("config:")), "a refusal is logged").toBe(true);
    fw.exports.tick(5000);
    fw.exports.shutdown(6000);
    expect(fw.calls.filter((c) => c.name !== "log").map((c) => c.name)).toEqual([]);
  }
  return fw;
}

describe("binary config: the firmware's validator", () => {
  it("the generated limits agree: config_cap() is the largest valid binary", () => {
    const fw = bootBare(VALID);
    expect(fw.exports.config_cap()).toBe(maxBytes(schema));
    expect(CONFIG_MAX_BYTES).toBe(maxBytes(schema));
    // every member at its longest: accepted by the member checks, and exactly config_cap() bytes
    const longest = members.map((m) => (isString(m) ? rec(m.index, new Uint8Array(m.max!).fill(0x61)) : rec(m.index, binaryRange(schema, m)[0])));
    expect(bin(...longest).length).toBe(fw.exports.config_cap());
    const r = bootChecked(bin(...longest));
    expect(r.raw).not.toMatch(/must be between|too long|not a known|more than once|truncated/);
  });

  it("refuses each member just outside its binary range, naming it by index; takes both bounds", () => {
    for (const m of members) {
      if (isString(m)) continue;
      const [lo, hi] = binaryRange(schema, m);
      const text = `config: member #${m.index}: must be between ${m.kind === "bool" || m.kind === "word" ? `${lo} and ${hi}` : `${m.min} and ${m.max}`}`;
      for (const v of [lo - 1, hi + 1, -0x80000000, 0x7fffffff]) {
        if (v >= lo && v <= hi) continue;
        const fw = bootChecked(bin(...validRecords().filter((r) => r[0] !== m.index), rec(m.index, v)));
        expect(fw.status, `${m.name} = ${v}`).toBe(-3);
        expect(fw.raw).toBe(text);
        expect(fw.error).toBe(renderConfigError(text));
        expect(fw.error).toContain(`"${m.name}"`);
      }
      for (const v of [lo, hi]) {
        const fw = bootChecked(bin(...validRecords().filter((r) => r[0] !== m.index), rec(m.index, v)));
        expect(fw.raw, `${m.name} = ${v}`).not.toMatch(new RegExp(`#${m.index}: must be between`));
      }
    }
  });

  it("checks every string member's length, UTF-8 and, for topics, wildcards and U+0000", () => {
    for (const m of members.filter(isString)) {
      const base = validRecords().filter((r) => r[0] !== m.index);
      const with_ = (b: number[]) => bootChecked(bin(...base, rec(m.index, Uint8Array.from(b))));
      expect(with_(new Array(m.max! + 1).fill(0x61)).raw).toBe(`config: member #${m.index}: is too long (at most ${m.max} bytes)`);
      if (m.min! > 0) expect(with_([]).raw).toBe(`config: member #${m.index}: must not be empty`);
      if (m.name !== "client_id") {
        for (const bad of [[0x61, 0xc0, 0x80], [0xed, 0xa0, 0x80], [0x61, 0xe2, 0x82]]) {
          expect(with_(bad).raw, `${m.name} ${bad}`).toBe(`config: member #${m.index}: must be well-formed UTF-8`);
        }
        expect(with_([0x61, 0xe2, 0x82, 0xac]).raw).not.toMatch(new RegExp(`#${m.index}: (is too long|must not|must be well)`)); // "a€" is fine
      }
      if (m.kind === "topic") {
        expect(with_([0x61, 0x2b]).raw).toBe(`config: member #${m.index}: must not contain MQTT wildcards + or #`);
        expect(with_([0x61, 0x23]).raw).toBe(`config: member #${m.index}: must not contain MQTT wildcards + or #`);
        expect(with_([0x61, 0x00]).raw).toBe(`config: member #${m.index}: must not contain U+0000`);
      }
    }
  });

  it("refuses unknown indexes, duplicates, truncated records and a wrong format byte", () => {
    const recs = validRecords();
    expect(bootChecked(bin(...recs, rec(members.length, 1))).raw).toBe(`config: member #${members.length}: is not a known member (see docs/CONFIG.md)`);
    expect(bootChecked(bin(...recs, rec(255, 1))).status).toBe(-3);
    const dup = bootChecked(bin(...recs, recs[3]!));
    expect(dup.status).toBe(-3);
    expect(dup.error).toBe(`config: member "${members[recs[3]![0]!]!.name}": is given more than once`);
    const whole = bin(...recs);
    for (let cut = 2; cut < whole.length; cut++) {
      const fw = bootChecked(whole.slice(0, cut));
      const atBoundary = splitRecords(whole).reduce<number[]>((a, r) => [...a, (a.at(-1) ?? 1) + r.length], []).includes(cut);
      if (!atBoundary) {
        expect(fw.status, `cut at ${cut}`).toBe(-2);
        expect(fw.raw).toMatch(/truncated record/);
      } else expect(fw.status, `cut at ${cut}`).not.toBe(-2);
    }
    for (const first of [0x7b, 0x00, 0xc3]) {
      const fw = bootChecked(Uint8Array.from([first, ...whole.slice(1)]));
      expect(fw.status).toBe(-2);
      expect(fw.raw).toMatch(/not a binary config/);
    }
    expect(bootChecked(new Uint8Array(maxBytes(schema) + 1).fill(0xc2)).status).toBe(-1);
  });

  it("never traps, never writes past its static data, and a refused binary calls no hal but log (random and mutated binaries)", () => {
    const recs = validRecords();
    const record = fc.oneof(
      { weight: 3, arbitrary: fc.constantFrom(...recs) },
      { weight: 2, arbitrary: fc.tuple(fc.integer({ min: 0, max: 255 }), fc.integer({ min: -0x80000000, max: 0x7fffffff })).map(([i, v]) => rec(i, v)) },
      { weight: 2, arbitrary: fc.tuple(fc.constantFrom(...members.filter((m) => !isString(m))), fc.integer({ min: -2, max: 2 }), fc.boolean()).map(([m, d, atHi]) => {
        const [lo, hi] = binaryRange(schema, m);
        return rec(m.index, (atHi ? hi : lo) + d);
      }) },
      { weight: 2, arbitrary: fc.tuple(fc.constantFrom(...members.filter(isString)), fc.uint8Array({ maxLength: 120 })).map(([m, b]) => rec(m.index, b)) },
      { weight: 1, arbitrary: fc.uint8Array({ minLength: 1, maxLength: 8 }).map((b) => [...b]) },
    );
    // a valid config's records, some replaced by and some followed by random ones; sometimes cut short
    const input = fc.tuple(fc.array(fc.tuple(fc.nat(), record), { maxLength: 6 }), fc.array(record, { maxLength: 6 }), fc.nat({ max: 4000 }), fc.integer({ min: 0, max: 3 }))
      .map(([replace, extra, cut, mode]) => {
        const rs = recs.map((r) => [...r]);
        if (mode > 0) for (const [at, r] of replace) rs[at % rs.length] = r;
        const b = bin(...rs, ...(mode > 1 ? extra : []));
        return mode === 3 ? b.slice(0, Math.max(1, cut % (b.length + 1))) : b;
      });
    const codes = new Map<number, number>();
    fc.assert(fc.property(input, (b) => {
      const fw = bootChecked(b);
      codes.set(fw.status, (codes.get(fw.status) ?? 0) + 1);
    }), { numRuns: 1500, seed: 15 });
    for (const c of [0, -2, -3]) expect(codes.get(c) ?? 0, `init ${c}: ${JSON.stringify([...codes])}`).toBeGreaterThan(5);
  });
});

describe("binary config: JSON -> binary -> firmware round trip at every member's bounds", () => {
  const CROSS = /needs |must be less than|blind zone|must not exceed|must be at least|is required for|is required unless|must differ|must be (below|above) auto_stop_pct|needs pump_mode|is required when/;
  for (const m of members) {
    const values: unknown[] = m.kind === "bool" ? [false, true]
      : m.kind === "word" ? [...(CONFIG_WORDS as Record<string, readonly string[]>)[m.words!]!]
      : isString(m) ? [(m.name === "client_id" ? "a" : "x").repeat(Math.max(1, m.min!)), (m.name === "client_id" ? "a" : "x").repeat(m.max!)]
      : [m.min, m.max];
    it(`${m.index} ${m.name}: ${values.map((v) => JSON.stringify(v)).join(", ")}`, () => {
      for (const v of values) {
        const b = encodeConfig({ ...VALID, [m.name]: v });
        const fw = bootChecked(b);
        if (fw.status !== 0) expect(fw.error, `${m.name} = ${JSON.stringify(v)}`).toMatch(CROSS);
        expect(fw.error).not.toMatch(new RegExp(`"${m.name}": (must be between|is too long|must not (be empty|contain)|must be (a number|an integer|true or false|one of|well-formed)|may contain)`));
      }
    });
  }

  it("most bounds are simply accepted (the cross-rule escape above is not the rule)", () => {
    let accepted = 0;
    let total = 0;
    for (const m of members.filter((x) => !isString(x) && x.kind !== "word" && x.kind !== "bool")) {
      for (const v of [m.min, m.max]) {
        total++;
        if (bootBare({ ...VALID, [m.name]: v }).status === 0) accepted++;
      }
    }
    expect(accepted / total).toBeGreaterThan(0.8);
  });
});

describe("binary config: the C hosts' encoder makes the same bytes as the Node host's", () => {
  const dir = mkdtempSync(join(tmpdir(), "iotbind-cfgenc-"));
  const exe = join(dir, "config_encode");
  const cEncode = (lines: string[]): string[] => {
    const out = execFileSync(exe, { input: lines.join("\n") + "\n", encoding: "utf8", maxBuffer: 1 << 26 });
    return out.split("\n").slice(0, lines.length);
  };
  const nodeEncode = (text: string): string => {
    try {
      return Buffer.from(encodeConfig(text)).toString("hex");
    } catch (e) {
      if (!(e instanceof ConfigError)) throw e;
      return `ERR ${e.code} ${e.message}`;
    }
  };

  it("builds with the hosts' strict flags", () => {
    execFileSync("cc", ["-std=c99", "-Wall", "-Wextra", "-Werror", "-Iboards/host", "-o", exe,
      "test/native/config_encode_main.c", "boards/host/config_encode.c", "boards/host/json_member.c", "-lm"]);
  });

  it("random valid configs: identical bytes", () => {
    const value = (m: SchemaMember): fc.Arbitrary<unknown> => {
      if (m.kind === "bool") return fc.boolean();
      if (m.kind === "word") return fc.constantFrom(...(CONFIG_WORDS as Record<string, readonly string[]>)[m.words!]!);
      if (isString(m)) return fc.string({ unit: "grapheme", maxLength: 20 }).filter((s) => Buffer.byteLength(s) <= m.max!);
      if (m.kind === "scaled") return fc.double({ min: m.min!, max: m.max!, noNaN: true });
      return fc.integer({ min: m.min!, max: m.max! });
    };
    const config = fc.shuffledSubarray(members, { minLength: 1 }).chain((ms) => fc.tuple(...ms.map((m) => value(m).map((v) => [m.name, v] as const))))
      .map((entries) => JSON.stringify(Object.fromEntries(entries), null, entries.length % 3 === 0 ? 1 : undefined).replace(/\n/g, " "));
    const samples = fc.sample(config, { numRuns: 400, seed: 7 });
    const c = cEncode(samples);
    samples.forEach((s, i) => {
      const n = nodeEncode(s);
      expect(n, s).not.toMatch(/^ERR/);
      expect(c[i], s).toBe(n);
    });
  });

  it("JSON mistakes: the same status and text", () => {
    const cases = [
      "", "[1]", "{", "{\"uid\":}", "{\"uid\":\"a\"} x", "{\"uid\":\"\\ud800\"}",
      "{\"uid\":\"a\",\"uid\":\"b\"}", "{\"broker_prot\":1}", "{\"broker_port\":\"1\"}", "{\"broker_port\":1.5}",
      "{\"broker_port\":1e12}", "{\"json_numbers\":1}", "{\"sensor\":\"hc-sr05\"}", "{\"uid\":5}",
      `{"uid":"${"x".repeat(65)}"}`, "{\"deadband_pct\":1e400}", "{\"temperature_c\":-0.05}", "{\"auto\":null}",
    ];
    const c = cEncode(cases.map((t) => t.replace(/\n/g, " ")));
    cases.forEach((t, i) => {
      const n = nodeEncode(t);
      if (n.startsWith("ERR -2")) expect(c[i], t).toMatch(/^ERR -2 config: not a well-formed JSON object/);
      else expect(c[i], t).toBe(n);
    });
  });
});
