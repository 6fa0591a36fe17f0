// Generates everything that describes the firmware config from ONE schema,
// config/schema.json (members, kinds, ranges, defaults, units, storage, doc
// text, word lists, sensor profiles):
//
//   assembly/app/config_table.ts  the firmware's member rows, profile table and
//                                 commit() that stores values or the defaults
//   sim/device-config.ts          the TypeScript `DeviceConfig` type and the
//                                 runtime tables of the Node encoder
//   boards/host/config_schema.h   the tables of the C hosts' encoder
//   docs/CONFIG.md                the member tables (between the markers)
//
// `npm run build` runs it before asc and tsc (so a clean clone builds); the
// outputs are committed too, and test/config/schema.test.ts fails when one
// differs from what this script makes of the schema. It also fails the build
// when assembly/config.ts's initial values disagree with the schema defaults.
//
//   node scripts/config-gen.mjs           writes the files that changed
//   node scripts/config-gen.mjs --check   exits 1 when one is out of date
//   import { generate } from ...          { path: text } for the tests
import { readFileSync, writeFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
export const SCHEMA_FILE = resolve(root, "config", "schema.json");
export const OUTPUTS = {
  table: "assembly/app/config_table.ts",
  ts: "sim/device-config.ts",
  c: "boards/host/config_schema.h",
  docs: "docs/CONFIG.md",
};
const DOC_BEGIN = "<!-- config-gen: members begin (generated from config/schema.json by scripts/config-gen.mjs; edit the schema, not this table) -->";
const DOC_END = "<!-- config-gen: members end -->";

/** The schema, checked: indexes 0..n-1 in order, known kinds, ranges that the firmware rows can hold. */
export function loadSchema(text = readFileSync(SCHEMA_FILE, "utf8")) {
  const s = JSON.parse(text);
  const kinds = new Set(["int", "seconds", "scaled", "bool", "string", "topic", "word"]);
  const names = new Set();
  s.members.forEach((m, i) => {
    const where = `config/schema.json: member ${i} ${JSON.stringify(m.name)}`;
    if (m.index !== i) throw new Error(`${where}: index ${m.index}, expected ${i} (indexes are stable and append-only)`);
    if (!/^[a-z][a-z0-9_]*$/.test(m.name) || names.has(m.name)) throw new Error(`${where}: bad or duplicate name`);
    names.add(m.name);
    if (!kinds.has(m.kind)) throw new Error(`${where}: unknown kind ${m.kind}`);
    if (m.kind === "word" && !s.words[m.words]) throw new Error(`${where}: unknown word list ${m.words}`);
    if (hasRange(m)) {
      if (!Number.isInteger(m.min) || !Number.isInteger(m.max) || m.min > m.max) throw new Error(`${where}: bad range`);
      rowHi(m); // throws when it does not fit
      if (m.min < -32768 || m.min * scaleOf(m) < -32768) throw new Error(`${where}: min does not fit an i16 row`);
    }
    if (!m.required && m.default === undefined) throw new Error(`${where}: needs "default" (or "required": true)`);
    if (typeof m.doc !== "string" || !m.group) throw new Error(`${where}: needs "doc" and "group"`);
  });
  for (const [name, p] of Object.entries(s.profiles)) {
    if (!s.words.sensor.includes(name)) throw new Error(`config/schema.json: profile ${name} is not a sensor word`);
    for (const k of ["blind_mm", "max_range_mm", "ping_gap_ms", "trigger_us"]) if (!Number.isInteger(p[k])) throw new Error(`profile ${name}: ${k}`);
  }
  if (Object.keys(s.profiles).join() !== s.words.sensor.join()) throw new Error("config/schema.json: profiles must follow the sensor word order");
  return s;
}

const hasRange = (m) => m.kind === "int" || m.kind === "seconds" || m.kind === "scaled" || m.kind === "string" || m.kind === "topic";
const isString = (m) => m.kind === "string" || m.kind === "topic";
const scaleOf = (m) => (m.kind === "scaled" ? 10 : 1);
const constName = (m) => `M_${m.name.toUpperCase()}`;

/** The binary's range of a member (what the firmware checks): tenths for scaled, word index, 0/1. */
export function binaryRange(s, m) {
  if (m.kind === "bool") return [0, 1];
  if (m.kind === "word") return [0, s.words[m.words].length - 1];
  return [m.min * scaleOf(m), m.max * scaleOf(m)];
}

/** The row's highest value: u16, or in hundreds (flag) when it is larger. */
function rowHi(m) {
  if (m.max <= 65535) return { hi: m.max, hundreds: false };
  if (m.max % 100 === 0 && m.max / 100 <= 65535) return { hi: m.max / 100, hundreds: true };
  throw new Error(`config/schema.json: ${m.name}: max ${m.max} fits neither u16 nor u16 hundreds`);
}

/** Largest valid binary config: format byte + every member at its longest. */
export function maxBytes(s) {
  return 1 + s.members.reduce((n, m) => n + (isString(m) ? 2 + m.max : 5), 0);
}

// ------------------------------------------------------------ firmware table

/** config.ts: `export let <name>: <type> = <init>;` of every variable. */
function configTsVars(text) {
  const vars = {};
  for (const m of text.matchAll(/^export let (\w+): ([\w.]+) = ([^;]+);/gm)) vars[m[1]] = { type: m[2], init: m[3].trim() };
  return vars;
}

function storedDefault(s, m) {
  if (m.kind === "bool") return m.default ? 1 : 0;
  if (m.kind === "word") return s.words[m.words].indexOf(m.default);
  if (typeof m.default === "number") return Math.round(m.default * scaleOf(m));
  return m.storage.absent;
}

function tableSource(s, configTs) {
  const vars = configTsVars(configTs);
  const out = [];
  const rows = [];
  const commit = [];
  const profileVars = { blind_mm: "blindMm", max_range_mm: "maxRangeMm", ping_gap_ms: "pingGapMs", trigger_us: "triggerUs" };
  const profileCols = ["blind_mm", "max_range_mm", "ping_gap_ms", "trigger_us"];
  for (const m of s.members) {
    // row: flags (kind 0 number / 1 string / 2 topic; TENTHS; HUNDREDS; REQUIRED), lo (i16), hi (u16)
    let flags = isString(m) ? (m.kind === "topic" ? "F_TOPIC" : "F_STRING") : "F_NUMBER";
    let lo, hi;
    if (hasRange(m)) {
      const r = rowHi(m);
      lo = m.min;
      hi = r.hi;
      if (m.kind === "scaled") flags += " | F_TENTHS";
      if (r.hundreds) flags += " | F_HUNDREDS";
    } else [lo, hi] = binaryRange(s, m);
    if (m.required) flags += " | F_REQUIRED";
    rows.push(`  ${flags}, ${lo < 0 ? `<u16>(${lo})` : lo}, ${hi}, // ${m.index} ${m.name}`);
    // commit
    const st = m.storage;
    if (st.profile) continue;
    if (isString(m)) {
      if (st.copy) {
        commit.push(`  cfg.${st.var}Len = strLen(${constName(m)}); // ${m.name} (copied: the firmware may derive it instead)`);
        commit.push(`  copyBytes(cfg.${st.var}Buf, strPtr(${constName(m)}), cfg.${st.var}Len);`);
      } else {
        commit.push(`  cfg.${st.var}Buf = strPtr(${constName(m)}); // ${m.name}: points into the config buffer`);
        commit.push(`  cfg.${st.var}Len = strLen(${constName(m)});`);
      }
      if (st.given) commit.push(`  cfg.${st.given} = has(${constName(m)});`);
      continue;
    }
    const v = vars[st.var];
    if (!v) throw new Error(`assembly/config.ts has no \`export let ${st.var}\` (storage of member ${m.name})`);
    let dflt = storedDefault(s, m);
    let pick = `pick(${constName(m)}, ${dflt})`;
    if (profileVars[m.name]) {
      pick = `pick(${constName(m)}, <i32>load<u16>(prof, ${profileCols.indexOf(m.name) * 2 + 2}))`;
      dflt = s.profiles[s.members.find((x) => x.storage.profile).default][m.name];
    }
    let expr;
    if (v.type === "bool") expr = st.invert ? `${pick} == 0` : `${pick} != 0`;
    else if (v.type === "u32") expr = m.kind === "seconds" ? `<u32>${pick} * 1000` : `<u32>${pick}`;
    else if (v.type === "i32") expr = pick;
    else expr = `<${v.type.startsWith("cfg.") ? v.type : `cfg.${v.type}`}>${pick}`;
    commit.push(`  cfg.${st.var} = ${expr}; // ${m.name}`);
    // the initial value in config.ts must be the schema's default (stored units)
    const want = m.kind === "seconds" && dflt !== undefined ? dflt * 1000 : dflt;
    const init = v.type === "bool" ? (v.init === "true" ? 1 : 0) : /^-?\d+$/.test(v.init) ? Number(v.init) : null;
    const initStored = st.invert ? 1 - init : init;
    if (init !== null && initStored !== want) {
      throw new Error(`assembly/config.ts: ${st.var} = ${v.init}, but config/schema.json's default of ${m.name} stores ${want}: fix one of them`);
    }
  }
  const kindOf = { pulse: "cfg.SensorKind.PULSE", uart: "cfg.SensorKind.UART", analog: "cfg.SensorKind.ANALOG" };
  const profiles = Object.entries(s.profiles).map(([name, p]) => `  <u16>${kindOf[p.kind]}, ${profileCols.map((c) => p[c]).join(", ")}, // ${name}`);
  const sensor = s.members.find((m) => m.storage.profile);
  out.push(
    "// GENERATED by scripts/config-gen.mjs from config/schema.json: do not edit.",
    "// The firmware's view of the config schema: one row per member (how to check",
    "// its binary value), the sensor profiles, and commit(), which stores every",
    "// member into config.ts: the value given, else the schema's default.",
    'import * as cfg from "../config";',
    'import { copyBytes } from "../util/bytes";',
    "",
    `/** First byte of a binary config (docs/CONFIG.md "Binary config"). */`,
    `export const CONFIG_FORMAT: i32 = 0x${s.format.toString(16).toUpperCase()};`,
    `export const MEMBER_COUNT: i32 = ${s.members.length};`,
    `/** Largest valid binary config (every member at its longest): config_cap(). */`,
    `export const CONFIG_MAX_BYTES: i32 = ${maxBytes(s)};`,
    "",
    ...s.members.map((m) => `export const ${constName(m)}: i32 = ${m.index};`),
    "",
    "// Row flags: value kind (a 4-byte i32, or a string [len u8][bytes]) and range form.",
    "export const F_NUMBER: u16 = 0;",
    "export const F_STRING: u16 = 1;   // lo..hi bytes of well-formed UTF-8",
    "export const F_TOPIC: u16 = 2;    // a string without '+', '#', U+0000",
    "export const F_KIND: u16 = 3;",
    "export const F_TENTHS: u16 = 4;   // the binary carries tenths: checked against lo*10..hi*10, named as lo..hi",
    "export const F_HUNDREDS: u16 = 8; // hi is given in hundreds",
    "export const F_REQUIRED: u16 = 16;",
    "export const ROW_BYTES: i32 = 6;",
    "/** Row i: flags, lo (i16; strings: min length), hi (u16; strings: max length). */",
    "export const ROWS = memory.data<u16>([",
    ...rows,
    "]);",
    "",
    "/** Sensor profiles in word order: kind, blind_mm, max_range_mm, ping_gap_ms, trigger_us. */",
    "const PROFILES = memory.data<u16>([",
    ...profiles,
    "]);",
    "",
    `const vals: usize = memory.data(MEMBER_COUNT * 4); // number, or string (pointer << 8 | length)`,
    `const seen: usize = memory.data(MEMBER_COUNT);     // 1 = present (duplicates are refused)`,
    "",
    "// @ts-ignore: decorator",
    "@inline export function has(i: i32): bool { return load<u8>(seen + <usize>i) != 0; }",
    "// @ts-ignore: decorator",
    "@inline export function val(i: i32): i32 { return load<i32>(vals + <usize>(i << 2)); }",
    "export function setVal(i: i32, v: i32): void { store<u8>(seen + <usize>i, 1); store<i32>(vals + <usize>(i << 2), v); }",
    "function pick(i: i32, dflt: i32): i32 { return has(i) ? val(i) : dflt; }",
    "function strPtr(i: i32): usize { return has(i) ? <usize>(<u32>val(i) >> 8) : 0; }",
    "function strLen(i: i32): i32 { return has(i) ? val(i) & 255 : 0; }",
    "",
    "/** Stores every member (the given value or the default) into config.ts; the sensor profile first. */",
    "export function commit(): void {",
    `  const prof = PROFILES + <usize>(pick(${constName(sensor)}, ${s.words.sensor.indexOf(sensor.default)}) * 10);`,
    "  cfg.sensorKind = <cfg.SensorKind>load<u16>(prof);",
    ...commit,
    "}",
    "",
  );
  return out.join("\n");
}

// ------------------------------------------------------------ TypeScript

function tsType(s, m) {
  if (m.kind === "bool") return "boolean";
  if (m.kind === "word") return s.words[m.words].map((w) => JSON.stringify(w)).join(" | ");
  if (isString(m)) return "string";
  return "number";
}

export function docType(m) {
  return { int: "integer", seconds: "integer (s)", scaled: "number", bool: "boolean", string: "string", topic: "string", word: "string" }[m.kind];
}

export function docRange(s, m) {
  if (m.kind === "bool") return "true, false";
  if (m.kind === "word") return s.words[m.words].join(", ");
  return `${m.min}..${m.max}${isString(m) ? " bytes" : ""}`;
}

export function docDefault(m) {
  if (m.required) return "required";
  if (m.defaultDoc) return m.defaultDoc;
  if (m.default === null) return "none";
  return String(m.default);
}

function tsSource(s) {
  const lines = s.members.map((m) => {
    const range = m.kind === "bool" ? "" : ` ${docRange(s, m)}`;
    const doc = `${m.doc.replace(/\*\//g, "*\\/")} (${docType(m)}${range}; ${m.required ? "required" : `default ${docDefault(m)}`}; #${m.index})`;
    return `  /** ${doc} */\n  ${m.name}${m.required ? "" : "?"}: ${tsType(s, m)};`;
  });
  const spec = s.members.map((m) => {
    const o = { name: m.name, kind: m.kind };
    if (hasRange(m)) { o.min = m.min; o.max = m.max; }
    if (m.kind === "word") o.words = m.words;
    if (m.required) o.required = true;
    return `  ${JSON.stringify(o)},`;
  });
  return [
    "// GENERATED by scripts/config-gen.mjs from config/schema.json: do not edit.",
    "// To add or change a member, edit config/schema.json and run `npm run build`.",
    "",
    "/**",
    " * The firmware's JSON config (docs/CONFIG.md): one flat object; the host",
    " * encodes it to the binary config (sim/config-binary.ts) and the firmware",
    " * validates every member in `init`. Unknown members are refused. Optional",
    " * members take the documented default.",
    " */",
    "export type DeviceConfig = {",
    ...lines,
    "};",
    "",
    "/** The names of every config member, by index (docs/CONFIG.md). */",
    `export const CONFIG_MEMBERS = [${s.members.map((m) => JSON.stringify(m.name)).join(", ")}] as const satisfies readonly (keyof DeviceConfig)[];`,
    "",
    "export type ConfigKind = \"int\" | \"seconds\" | \"scaled\" | \"bool\" | \"string\" | \"topic\" | \"word\";",
    "export interface ConfigMemberSpec { name: string; kind: ConfigKind; min?: number; max?: number; words?: keyof typeof CONFIG_WORDS; required?: boolean }",
    "",
    `/** First byte of a binary config. */`,
    `export const CONFIG_FORMAT = 0x${s.format.toString(16).toUpperCase()};`,
    `/** Largest valid binary config (the firmware's config_cap()). */`,
    `export const CONFIG_MAX_BYTES = ${maxBytes(s)};`,
    "",
    "/** Member i of the binary config: kind and range (JSON units; strings: bytes). */",
    "export const CONFIG_SCHEMA: readonly ConfigMemberSpec[] = [",
    ...spec,
    "];",
    "",
    "/** The word lists of the `word` members; a word's binary value is its index. */",
    `export const CONFIG_WORDS = ${JSON.stringify(s.words)} as const;`,
    "",
    "/** The default of every optional member with a value of its own (JSON units; `profile`: from the sensor profile). */",
    `export const CONFIG_DEFAULTS = ${JSON.stringify(Object.fromEntries(s.members.filter((m) => !m.required && m.default !== null && m.default !== undefined).map((m) => [m.name, m.default])))} as const;`,
    "",
    "/** The sensor profiles: kind and the defaults they set (one table for firmware, docs and simulator). */",
    `export const CONFIG_PROFILES = ${JSON.stringify(s.profiles)} as const;`,
    "",
  ].join("\n");
}

// ------------------------------------------------------------ C header

function cSource(s) {
  const kinds = { int: "INT", seconds: "SECONDS", scaled: "SCALED", bool: "BOOL", string: "STRING", topic: "TOPIC", word: "WORD" };
  const words = Object.entries(s.words).map(([k, v]) => `static const char *const iotbind_cfg_words_${k}[] = {${v.map((w) => JSON.stringify(w)).join(", ")}, 0};`);
  const rows = s.members.map((m) => {
    const w = m.kind === "word" ? `iotbind_cfg_words_${m.words}` : "0";
    const [lo, hi] = hasRange(m) ? [m.min, m.max] : [0, 0];
    return `    {${JSON.stringify(m.name)}, IOTBIND_CFG_${kinds[m.kind]}, ${lo}L, ${hi}L, ${w}}, /* ${m.index} */`;
  });
  return [
    "/* GENERATED by scripts/config-gen.mjs from config/schema.json: do not edit. */",
    "/*",
    " * The config schema for the C hosts' JSON -> binary encoder (config_encode.c):",
    " * member i's name, kind and range (JSON units; strings: bytes). Include it in",
    " * one translation unit only (it defines static tables).",
    " */",
    "#ifndef IOTBIND_CONFIG_SCHEMA_H",
    "#define IOTBIND_CONFIG_SCHEMA_H",
    "",
    `#define IOTBIND_CONFIG_FORMAT 0x${s.format.toString(16).toUpperCase()}`,
    `#define IOTBIND_CONFIG_MEMBERS ${s.members.length}`,
    `#define IOTBIND_CONFIG_MAX_BYTES ${maxBytes(s)}`,
    "",
    "enum iotbind_cfg_kind {",
    "  IOTBIND_CFG_INT, IOTBIND_CFG_SECONDS, IOTBIND_CFG_SCALED, IOTBIND_CFG_BOOL,",
    "  IOTBIND_CFG_STRING, IOTBIND_CFG_TOPIC, IOTBIND_CFG_WORD",
    "};",
    "",
    "struct iotbind_cfg_member {",
    "  const char *name;",
    "  enum iotbind_cfg_kind kind;",
    "  long min, max;              /* JSON units; strings: bytes */",
    "  const char *const *words;   /* IOTBIND_CFG_WORD: NULL-terminated list; the value is the index */",
    "};",
    "",
    ...words,
    "",
    "static const struct iotbind_cfg_member iotbind_cfg_members[IOTBIND_CONFIG_MEMBERS] = {",
    ...rows,
    "};",
    "",
    "#endif",
    "",
  ].join("\n");
}

// ------------------------------------------------------------ docs

function docsTables(s) {
  const groups = [];
  for (const m of s.members) {
    let g = groups.find((x) => x.name === m.group);
    if (!g) groups.push((g = { name: m.group, members: [] }));
    g.members.push(m);
  }
  const out = [];
  for (const g of groups) {
    out.push(`### ${g.name}`, "", "| # | member | type | range | default | meaning |", "| ---: | --- | --- | --- | --- | --- |");
    for (const m of g.members) out.push(`| ${m.index} | \`${m.name}\` | ${docType(m)} | ${docRange(s, m)} | ${docDefault(m)} | ${m.doc} |`);
    out.push("");
    if (g.members.some((m) => m.storage.profile)) {
      const p = Object.entries(s.profiles).map(([n, v]) => `\`${n}\` ${v.kind} ${v.blind_mm} mm, ${v.max_range_mm} mm, ${v.ping_gap_ms} ms${v.kind === "pulse" ? `, ${v.trigger_us} µs` : ""}`);
      out.push(`Profiles (kind; blind zone, range, ping gap, trigger): ${p.join("; ")}.`, "");
    }
  }
  return out.join("\n");
}

function docsSource(s, old) {
  const a = old.indexOf(DOC_BEGIN);
  const b = old.indexOf(DOC_END);
  if (a < 0 || b < a) throw new Error(`docs/CONFIG.md: markers ${DOC_BEGIN} ... ${DOC_END} not found`);
  return `${old.slice(0, a + DOC_BEGIN.length)}\n\n${docsTables(s)}\n${old.slice(b)}`;
}

/** Every generated file's expected text: { relative path: text }. */
export function generate() {
  const s = loadSchema();
  const read = (p) => readFileSync(resolve(root, p), "utf8");
  return {
    [OUTPUTS.table]: tableSource(s, read("assembly/config.ts")),
    [OUTPUTS.ts]: tsSource(s),
    [OUTPUTS.c]: cSource(s),
    [OUTPUTS.docs]: docsSource(s, read(OUTPUTS.docs)),
  };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  try {
    const files = generate();
    const stale = [];
    for (const [p, text] of Object.entries(files)) {
      let old = "";
      try { old = readFileSync(resolve(root, p), "utf8"); } catch { /* first run */ }
      if (old === text) continue;
      stale.push(p);
      if (!process.argv.includes("--check")) writeFileSync(resolve(root, p), text);
    }
    if (process.argv.includes("--check") && stale.length) {
      console.error(`config-gen: out of date (run node scripts/config-gen.mjs): ${stale.join(", ")}`);
      process.exit(1);
    }
  } catch (e) {
    console.error(`config-gen: ${e instanceof Error ? e.message : String(e)}`);
    process.exit(1);
  }
}
