// Generates everything that describes the firmware config from ONE schema,
// config/schema.json (members, kinds, ranges, defaults, units, storage, doc
// text, word lists, sensor profiles):
//
//   assembly/config.ts            the config table block (between its markers):
//                                 the Config fields (one per member, documented
//                                 from the schema) and `cfg`, their static block
//   assembly/app/config_table.ts  the firmware's member rows (range, field, default),
//                                 profile table and commit(), one loop over the
//                                 rows that stores the value given or the default
//   sim/device-config.ts          the TypeScript `DeviceConfig` type and the
//                                 runtime tables of the Node encoder
//   boards/host/config_schema.h   the tables of the C hosts' encoder
//   docs/CONFIG.md                the member tables (between the markers)
//
// `npm run build` runs it before asc and tsc (so a clean clone builds); the
// outputs are committed too, and test/config/schema.test.ts fails when one
// differs from what this script makes of the schema.
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
  config: "assembly/config.ts",
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

function storedDefault(s, m) {
  if (m.kind === "bool") return m.default ? 1 : 0;
  if (m.kind === "word") return s.words[m.words].indexOf(m.default);
  if (typeof m.default === "number") return Math.round(m.default * scaleOf(m));
  return m.storage.absent;
}

const PROFILE_COLS = ["blind_mm", "max_range_mm", "ping_gap_ms", "trigger_us"];
const ENUM_OF_WORDS = { sensor: "SensorKind", temperature: "TempSource", tank_shape: "TankShape", pump_mode: "PumpMode", power_on: "PowerOn" };
/** A row's default that means "absent: keep the sensor profile's value". */
const KEEP = -32768;

/**
 * The config table's fields in memory order: every bool (1 byte; commit()
 * finds it by its byte offset), then every 4-byte field (member order; a
 * string is its pointer then its length; found by offset / 4). Each:
 * { name, type, size, offset, init (the default in stored units), member, note }.
 */
export function configFields(s) {
  const wide = [];
  const bools = [];
  const sensor = s.members.find((m) => m.storage.profile);
  const prof = s.profiles[sensor.default];
  for (const m of s.members) {
    const st = m.storage;
    if (st.profile) {
      wide.push({ name: "sensorKind", type: ENUM_OF_WORDS[m.words], init: ["pulse", "uart", "analog"].indexOf(prof.kind), member: m, note: "the kind of the sensor profile" });
      continue;
    }
    if (isString(m)) {
      if (!st.copy) wide.push({ name: `${st.var}Buf`, type: "usize", init: 0, member: m, note: "pointer into the config buffer (0: absent)" });
      wide.push({ name: `${st.var}Len`, type: "i32", init: 0, member: m, note: st.copy ? `bytes in ${st.var}Buf (the member copied, or derived)` : "length in bytes (0: absent)" });
      if (st.given) bools.push({ name: st.given, type: "bool", init: 0, member: m, note: "the member was given (even empty)" });
      continue;
    }
    const type = st.type || (m.kind === "word" ? ENUM_OF_WORDS[m.words] : m.kind === "bool" ? "bool" : "i32");
    let init = PROFILE_COLS.includes(m.name) ? prof[m.name] : storedDefault(s, m);
    if (m.kind === "seconds") init *= 1000;
    if (st.invert) init = 1 - init;
    const f = { name: st.var, type, init, member: m, note: "" };
    if (m.kind === "seconds") f.note = "stored in ms";
    if (m.kind === "scaled") f.note = "stored in tenths";
    if (st.invert) f.note = `the inverse of ${m.name}`;
    if (PROFILE_COLS.includes(m.name)) f.note = "default from the sensor profile";
    if (type === "bool") bools.push(f); else wide.push(f);
  }
  let offset = 0;
  for (const f of bools) { f.size = 1; f.offset = offset; offset += 1; }
  offset = (offset + 3) & ~3;
  for (const f of wide) { f.size = 4; f.offset = offset; offset += 4; }
  if (offset / 4 > 255) throw new Error("config table larger than the rows' 8-bit slot");
  return { fields: [...bools, ...wide], bytes: offset };
}


function fieldDoc(s, m, f) {
  const range = hasRange(m) ? `, ${m.min}..${m.max}${m.unit ? ` ${m.unit}` : ""}` : m.kind === "word" ? `, ${s.words[m.words].map((w) => `"${w}"`).join(" | ")}` : "";
  const dflt = m.required ? "required" : `default ${docDefault(m)}`;
  const note = f.note ? `; ${f.note}` : "";
  return `${m.name} (#${m.index}${range}; ${dflt}${note}): ${m.doc}`.replace(/\*\//g, "*\\/");
}

const CFG_BEGIN = "// config-gen: table begin (generated from config/schema.json by scripts/config-gen.mjs; edit the schema, not this block)";
const CFG_END = "// config-gen: table end";

function configBlock(s) {
  const { fields, bytes } = configFields(s);
  const out = [CFG_BEGIN, "", "/** The resolved config: one field per member (see each field), in linear memory (not wasm globals); defaults in the schema. */", "// @ts-ignore: decorator", "@unmanaged export class Config {"];
  for (const f of fields) out.push(`  /** ${fieldDoc(s, f.member, f)} */`, `  ${f.name}: ${f.type};`);
  out.push("}", "", `/** The config table (${bytes} bytes): app/config_table.ts commit() stores every member, the defaults at instantiation, then the value given or the default. */`);
  out.push(`export const cfg = changetype<Config>(memory.data(${bytes}, 4));`, "", CFG_END);
  return out.join("\n");
}

function configSource(s, old) {
  const a = old.indexOf(CFG_BEGIN);
  const b = old.indexOf(CFG_END);
  if (a < 0 || b < a) throw new Error(`assembly/config.ts: markers ${CFG_BEGIN} ... ${CFG_END} not found`);
  return `${old.slice(0, a)}${configBlock(s)}${old.slice(b + CFG_END.length)}`;
}

function tableSource(s) {
  const rows = [];
  const { fields } = configFields(s);
  const sensor = s.members.find((m) => m.storage.profile);
  const copies = s.members.filter((m) => m.storage.copy);
  const inverts = s.members.filter((m) => m.storage.invert);
  if (copies.length > 1 || inverts.length > 1) throw new Error("config/schema.json: commit() copies one string member and inverts one bool at most");
  const after = [];
  for (const m of s.members) {
    // row: flags (kind 0 number / 1 string / 2 topic; TENTHS; HUNDREDS; REQUIRED; MS; BOOL; DEFAULT_HUNDREDS;
    // the field's slot in the high byte), lo (i16), hi (u16), the default (i16)
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
    const st = m.storage;
    let field;
    let dflt = 0; // strings: absent (pointer 0, length 0)
    if (st.profile) field = fields.find((f) => f.name === "sensorKind");
    else if (isString(m)) {
      field = fields.find((f) => f.name === (st.copy ? `${st.var}Len` : `${st.var}Buf`));
      if (st.given) after.push(`  cfg.${st.given} = has(${constName(m)});`);
    } else {
      field = fields.find((f) => f.name === st.var);
      if (m.kind === "seconds") flags += " | F_MS";
      dflt = PROFILE_COLS.includes(m.name) ? KEEP : storedDefault(s, m);
      if (dflt !== KEEP && (dflt < -32767 || dflt > 32767)) {
        if (!flags.includes("F_HUNDREDS") || dflt % 100 !== 0 || Math.abs(dflt / 100) > 32767) throw new Error(`config/schema.json: ${m.name}: default ${dflt} fits no i16 row`);
        flags += " | F_DEFAULT_HUNDREDS";
        dflt /= 100;
      }
    }
    if (field.type === "bool") flags += " | F_BOOL";
    const slot = field.type === "bool" ? field.offset : field.offset / 4;
    rows.push(`  ${flags} | ${slot} << 8, ${lo < 0 ? `<u16>(${lo})` : lo}, ${hi}, ${dflt < 0 ? `<u16>(${dflt})` : dflt}, // ${m.index} ${m.name} -> ${field.name}${dflt === KEEP ? " (absent: the profile's)" : ""}`);
  }
  const kindOf = { pulse: "SensorKind.PULSE", uart: "SensorKind.UART", analog: "SensorKind.ANALOG" };
  const profiles = Object.entries(s.profiles).map(([name, p]) => `  <u16>${kindOf[p.kind]}, ${PROFILE_COLS.map((c) => p[c]).join(", ")}, // ${name}`);
  const profVar = (c) => s.members.find((m) => m.name === c).storage.var;
  const profType = (c) => fields.find((f) => f.name === profVar(c)).type;
  return [
    "// GENERATED by scripts/config-gen.mjs from config/schema.json: do not edit.",
    "// The firmware's view of the config schema: one row per member (how to check",
    "// its binary value, where it is stored, its default), the sensor profiles,",
    "// and commit(), which stores every member into the config table (config.ts",
    "// `cfg`): the value given, else the schema's default.",
    `import { cfg, SensorKind${copies.length ? `, ${copies[0].storage.var}Buf` : ""} } from "../config";`,
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
    "// Row flags (low byte): value kind (a 4-byte i32, or a string [len u8][bytes]), range form, storage.",
    "export const F_NUMBER: u16 = 0;",
    "export const F_STRING: u16 = 1;   // lo..hi bytes of well-formed UTF-8",
    "export const F_TOPIC: u16 = 2;    // a string without '+', '#', U+0000",
    "export const F_KIND: u16 = 3;",
    "export const F_TENTHS: u16 = 4;   // the binary carries tenths: checked against lo*10..hi*10, named as lo..hi",
    "export const F_HUNDREDS: u16 = 8; // hi is given in hundreds",
    "export const F_REQUIRED: u16 = 16;",
    "const F_MS: u16 = 32;             // seconds, stored in ms (x 1000)",
    "const F_BOOL: u16 = 64;           // a 1-byte field: the slot is its byte offset (else offset / 4)",
    "const F_DEFAULT_HUNDREDS: u16 = 128; // the default is given in hundreds",
    `const KEEP: i32 = ${KEEP};         // default: keep the sensor profile's value`,
    "export const ROW_BYTES: i32 = 8;",
    "/** Row i: flags | the field's slot in the config table << 8, lo (i16; strings: min length), hi (u16; strings: max length), the default (i16; stored units, seconds in s). */",
    "export const ROWS = memory.data<u16>([",
    ...rows,
    "]);",
    "",
    "/** Sensor profiles in word order: kind, blind_mm, max_range_mm, ping_gap_ms, trigger_us. */",
    "const PROFILES = memory.data<u16>([",
    ...profiles,
    "]);",
    "",
    "/** Member i's value: its offset in the config buffer (a number: i32 LE; a string: [length u8][bytes]); 0 = not given. */",
    `const at: usize = memory.data(MEMBER_COUNT * 2);`,
    "",
    "// @ts-ignore: decorator",
    "@inline export function has(i: i32): bool { return load<u16>(at + <usize>(i << 1)) != 0; }",
    "/** Records that member i's value is at offset `off` (>= 1) of the config buffer. */",
    "export function setAt(i: i32, off: i32): void { store<u16>(at + <usize>(i << 1), <u16>off); }",
    "",
    "",
    "/** Stores every member (the value given in the config buffer `buf`, else the default) into the config table; the sensor profile first. */",
    "export function commit(buf: usize): void {",
    `  const prof = PROFILES + <usize>(<u32>(has(${constName(sensor)}) ? load<i32>(buf + <usize>load<u16>(at, ${constName(sensor)} << 1)) : ${s.words.sensor.indexOf(sensor.default)}) * 10);`,
    "  cfg.sensorKind = <SensorKind>load<u16>(prof);",
    ...PROFILE_COLS.map((c, k) => `  cfg.${profVar(c)} = <${profType(c)}>load<u16>(prof, ${2 + 2 * k});`),
    `  for (let i = 0; i < MEMBER_COUNT; i++) {`,
    `    if (i == ${constName(sensor)}) continue; // stored above`,
    "    const row = ROWS + <usize>(i << 3);",
    "    const k = <i32>load<u16>(row);",
    "    const given = <usize>load<u16>(at + <usize>(i << 1));",
    "    let v: i32;",
    "    let str: usize = 0; // a string's bytes (0: absent)",
    "    if (given != 0) {",
    "      const p = buf + given;",
    "      if ((k & F_KIND) != F_NUMBER) { str = p + 1; v = <i32>load<u8>(p); }",
    "      else v = load<i32>(p);",
    "    } else {",
    "      v = <i32>load<i16>(row, 6);",
    "      if (v == KEEP) continue;",
    "      if ((k & F_DEFAULT_HUNDREDS) != 0) v *= 100;",
    "    }",
    "    let dst = changetype<usize>(cfg) + <usize>((k >> 8) << ((k & F_BOOL) != 0 ? 0 : 2));",
    "    if ((k & F_KIND) != F_NUMBER) {",
    copies.length
      ? `      if (i == ${constName(copies[0])}) copyBytes(${copies[0].storage.var}Buf, str, v); // its own buffer: the firmware may derive it instead\n      else { store<usize>(dst, str); dst += 4; }`
      : "      store<usize>(dst, str);\n      dst += 4;",
    "    }",
    "    if ((k & F_MS) != 0) v *= 1000;",
    inverts.length
      ? `    if ((k & F_BOOL) != 0) store<u8>(dst, i == ${constName(inverts[0])} ? v ^ 1 : v); // ${inverts[0].name}: stored inverted`
      : "    if ((k & F_BOOL) != 0) store<u8>(dst, v);",
    "    else store<i32>(dst, v);",
    "  }",
    ...after,
    "}",
    "",
    "// The defaults from instantiation on (the start function): exports a host calls before init, or after a refused",
    "// config, read a valid config, never the zeroed table. parseConfig's commit() then stores the config given.",
    "commit(0);",
    "",
  ].join("\n");
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
    [OUTPUTS.config]: configSource(s, read(OUTPUTS.config)),
    [OUTPUTS.table]: tableSource(s),
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
