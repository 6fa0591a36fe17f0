/**
 * config/schema.json is the one definition of the config: everything that
 * describes a member agrees with it.
 * - every generated file (firmware rows + commit(), config.ts's config table,
 *   DeviceConfig + tables, C header, docs/CONFIG.md member tables) is what
 *   scripts/config-gen.mjs makes of it;
 * - docs/CONFIG.md's tables, read back, say the schema's index, type, range
 *   and default for every member;
 * - the firmware's config table (assembly/config.ts, read back byte by byte)
 *   starts with the schema's default of every member, which commit() leaves
 *   for every member not given, and config.ts's string capacities are the
 *   schema's maximum lengths;
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

  it("the firmware's config table starts with the schema's default of every member (commit() writes only those given)", () => {
    // assembly/config.ts: the Config fields in order, and the table's initial bytes, one line per field
    const config = read("assembly/config.ts");
    const fields = [.../@unmanaged export class Config \{([\s\S]*?)\n\}/.exec(config)![1]!.matchAll(/^ {2}(\w+): ([\w.]+);/gm)].map((m) => ({ name: m[1]!, type: m[2]! }));
    const init = new Map<string, number>();
    let offset = 0;
    for (const m of config.matchAll(/^ {2}((?:\d+, )+)\/\/ (\w+) = (-?\d+)$/gm)) {
      const bytes = m[1]!.split(",").map((x) => x.trim()).filter(Boolean).map(Number);
      const f = fields[init.size]!;
      expect(m[2], `table line ${init.size}`).toBe(f.name); // the bytes follow the field order
      expect(bytes.length, f.name).toBe(f.type === "bool" ? 1 : 4);
      expect(offset % bytes.length, `${f.name} aligned`).toBe(0);
      offset += bytes.length;
      const v = bytes.reduceRight((a, b) => a * 256 + b, 0);
      init.set(f.name, bytes.length === 4 ? v | 0 : v);
      expect(init.get(f.name), f.name).toBe(Number(m[3]));
    }
    expect(init.size).toBe(fields.length);
    const dflt = schema.profiles[schema.members.find((m) => m.storage.profile)!.default as string]!;
    let checked = 0;
    for (const m of schema.members) {
      const st = m.storage;
      if (st.profile) { expect(init.get("sensorKind"), "sensor").toBe(["pulse", "uart", "analog"].indexOf(dflt.kind)); continue; }
      if (m.kind === "string" || m.kind === "topic") {
        if (!st.copy) expect(init.get(`${st.var}Buf`), m.name).toBe(0);
        expect(init.get(`${st.var}Len`), m.name).toBe(0);
        if (st.given) expect(init.get(st.given), m.name).toBe(0);
        continue;
      }
      const scale = m.kind === "scaled" ? 10 : m.kind === "seconds" ? 1000 : 1;
      let want = m.kind === "bool" ? (m.default ? 1 : 0)
        : m.kind === "word" ? schema.words[m.words!]!.indexOf(m.default as string)
        : m.default === "profile" ? dflt[m.name as "blind_mm"]
        : typeof m.default === "number" ? m.default * scale : m.storage.absent!;
      if (st.invert) want = 1 - want;
      expect(init.get(st.var!), m.name).toBe(want);
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
