/**
 * config/schema.json is the one definition of the config: everything that
 * describes a member agrees with it.
 * - every generated file (firmware rows + commit(), config.ts's config table,
 *   DeviceConfig + tables, C header, docs/CONFIG.md member tables) is what
 *   scripts/config-gen.mjs makes of it;
 * - docs/CONFIG.md's tables, read back, say the schema's index, type, range
 *   and default for every member;
 * - the firmware stores the schema's default for every member it is not
 *   given (the generated rows, read back), in the config.ts field named for
 *   it, and config.ts's string capacities are the schema's maximum lengths;
 * - the generator refuses a schema that breaks its rules.
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { docDefault, docRange, docType, generate, loadSchema, OUTPUTS } from "../../scripts/config-gen.mjs";
import { CONFIG_DEFAULTS, CONFIG_MEMBERS, CONFIG_PROFILES, CONFIG_SCHEMA } from "../../sim/device-config.js";
import { SENSOR_PROFILES } from "../../sim/world/ultrasonic.js";
import { packagePath } from "../../sim/paths.js";

const schema = loadSchema();
const read = (p: string): string => readFileSync(packagePath(p), "utf8");

describe("config/schema.json is the one definition", () => {
  it("every generated file is up to date (run npm run build)", () => {
    const files = generate();
    expect(Object.keys(files).sort()).toEqual(Object.values(OUTPUTS).sort());
    for (const [path, text] of Object.entries(files)) expect(read(path), path).toBe(text);
  });

  it("docs/CONFIG.md's member tables say the schema's index, type, range and default", () => {
    const rows = [...read("docs/CONFIG.md").matchAll(/^\| (\d+) \| `(\w+)` \| ([^|]+) \| ([^|]+) \| ([^|]+) \|/gm)];
    expect(rows.map((r) => Number(r[1])).sort((a, b) => a - b)).toEqual(schema.members.map((m) => m.index)); // each once
    for (const r of rows) {
      const m = schema.members[Number(r[1])]!;
      expect(r[2], `row #${r[1]}`).toBe(m.name);
      expect([r[3]!.trim(), r[4]!.trim(), r[5]!.trim()], m.name).toEqual([docType(m), docRange(schema, m), docDefault(m)]);
    }
  });

  it("DeviceConfig's runtime tables and the simulator's sensors are the schema's", () => {
    expect([...CONFIG_MEMBERS]).toEqual(schema.members.map((m) => m.name));
    expect(CONFIG_SCHEMA.map((s) => [s.name, s.kind, s.min, s.max])).toEqual(schema.members.map((m) => [m.name, m.kind, m.min, m.max]));
    expect(CONFIG_PROFILES).toEqual(schema.profiles);
    for (const [name, p] of Object.entries(schema.profiles)) {
      const s = SENSOR_PROFILES[name as keyof typeof SENSOR_PROFILES];
      expect([s.kind, s.blindMm, s.maxRangeMm, s.pingGapMs], name).toEqual([p.kind, p.blind_mm, p.max_range_mm, p.ping_gap_ms]);
    }
    for (const m of schema.members) {
      if (typeof m.default === "number" || typeof m.default === "boolean") expect((CONFIG_DEFAULTS as Record<string, unknown>)[m.name], m.name).toBe(m.default);
    }
  });

  it("the firmware stores the schema's default of every member it is not given, in the field config.ts documents", () => {
    // assembly/config.ts: the Config fields in memory order (bools, then 4-byte fields aligned)
    const config = read("assembly/config.ts");
    const fields = [.../@unmanaged export class Config \{([\s\S]*?)\n\}/.exec(config)![1]!.matchAll(/^ {2}(\w+): ([\w.]+);/gm)].map((m) => ({ name: m[1]!, type: m[2]! }));
    const offset = new Map<string, number>();
    let at = 0;
    for (const f of fields) {
      const size = f.type === "bool" ? 1 : 4;
      at = Math.ceil(at / size) * size;
      offset.set(f.name, at);
      at += size;
    }
    expect(/memory\.data\((\d+), 4\)/.exec(config)![1], "table size").toBe(String(at));
    // the generated rows: flags | slot << 8, lo, hi, default, // index name -> field
    const table = read("assembly/app/config_table.ts");
    const rows = [...table.matchAll(/^ {2}(F_[A-Z_ |]+?) \| (\d+) << 8, [^,]+, \d+, (?:<u16>\()?(-?\d+)\)?, \/\/ (\d+) (\w+) -> (\w+)/gm)];
    expect(rows.map((r) => Number(r[4]))).toEqual(schema.members.map((m) => m.index));
    const dflt = schema.profiles[schema.members.find((m) => m.storage.profile)!.default as string]!;
    let checked = 0;
    for (const r of rows) {
      const m = schema.members[Number(r[4])]!;
      const st = m.storage;
      const flags = r[1]!;
      const field = r[6]!;
      expect(r[5], `row ${r[4]}`).toBe(m.name);
      // the slot is the field's byte offset (bools) or offset / 4
      expect(Number(r[2]) * (flags.includes("F_BOOL") ? 1 : 4), `${m.name} slot`).toBe(offset.get(field));
      expect(flags.includes("F_BOOL"), `${m.name} F_BOOL`).toBe(fields.find((f) => f.name === field)!.type === "bool");
      if (st.profile) { expect(field).toBe("sensorKind"); continue; }
      if (m.kind === "string" || m.kind === "topic") {
        expect(field, m.name).toBe(st.copy ? `${st.var}Len` : `${st.var}Buf`);
        expect(Number(r[3]), m.name).toBe(0);
        continue;
      }
      expect(field, m.name).toBe(st.var);
      expect(flags.includes("F_MS"), `${m.name} F_MS`).toBe(m.kind === "seconds");
      const scale = m.kind === "scaled" ? 10 : 1;
      const want = m.kind === "bool" ? (m.default ? 1 : 0)
        : m.kind === "word" ? schema.words[m.words!]!.indexOf(m.default as string)
        : m.default === "profile" ? null
        : typeof m.default === "number" ? m.default * scale : m.storage.absent!;
      const got = Number(r[3]) * (flags.includes("F_DEFAULT_HUNDREDS") ? 100 : 1);
      if (want === null) expect(got, `${m.name}: keeps the profile's ${dflt[m.name as "blind_mm"]}`).toBe(-32768);
      else expect(got, m.name).toBe(want);
      checked++;
    }
    expect(checked).toBeGreaterThan(70);
  });

  it("assembly/config.ts's string capacities are the schema's maximum lengths", () => {
    const config = read("assembly/config.ts");
    const cap = (name: string): number => Number(new RegExp(`export const ${name}: i32 = (\\d+);`).exec(config)![1]);
    const max = (name: string): number => schema.members.find((m) => m.name === name)!.max!;
    expect([cap("UID_CAP"), cap("KEY_CAP"), cap("HOST_CAP"), cap("USER_CAP"), cap("PASS_CAP"), cap("CLIENT_ID_CAP"), cap("TOPIC_CAP"), cap("TOPIC_CAP"), cap("WILL_CAP"), cap("WILL_CAP")])
      .toEqual([max("uid"), max("key"), max("broker_host"), max("broker_user"), max("broker_password"), max("client_id"), max("uplink_topic"), max("downlink_topic"), max("will_topic"), max("will_payload")]);
  });

  it("the generator refuses what would make the firmware's table wrong", () => {
    const text = read("config/schema.json");
    const edit = (f: (s: { members: Array<Record<string, unknown>> }) => void): string => {
      const s = JSON.parse(text) as { members: Array<Record<string, unknown>> };
      f(s);
      return JSON.stringify(s);
    };
    expect(() => loadSchema(edit((s) => { s.members[10]!.index = 11; }))).toThrow(/index 11, expected 10/);
    expect(() => loadSchema(edit((s) => { s.members[7]!.name = "uid"; }))).toThrow(/bad or duplicate name/);
    expect(() => loadSchema(edit((s) => { s.members[6]!.max = 70001; }))).toThrow(/fits neither u16/);
    expect(() => loadSchema(edit((s) => { s.members[6]!.kind = "float"; }))).toThrow(/unknown kind/);
    expect(() => loadSchema(edit((s) => { delete s.members[6]!.default; }))).toThrow(/needs "default"/);
    expect(loadSchema(text).members.length).toBe(schema.members.length);
  });
});
