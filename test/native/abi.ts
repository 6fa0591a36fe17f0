/**
 * Parsers for the three descriptions of the raw ABI -- docs/ABI.md, the C
 * header boards/host/iotbind_hal.h and the module's own sections (as printed
 * by `wasm-objdump -x`) -- and comparisons that list every difference.
 */

/** Wire kinds: every value is an i32; `u32` and `ptr` say how it is read. */
export type Kind = "i32" | "u32" | "ptr";
export interface Sig {
  params: Kind[];
  result: Kind | "void";
}
export interface AbiImport extends Sig {
  wamr: string;
}
export interface Abi {
  imports: Map<string, AbiImport>;
  exports: Map<string, Sig>;
  /** exported immutable i32 globals (ABI.md only) */
  globals?: Set<string>;
  /** enum group -> NAME -> value; groups: init, conn, disconnect, quality, refusal, ota */
  enums: Map<string, Map<string, number>>;
  /** counter ids (a base id for the "16 + r" rows) */
  counters: number[];
}

const ENUM_GROUPS: [string, RegExp][] = [
  ["init", /^###\s+`init` status codes/],
  ["conn", /^###\s+MQTT client states/],
  ["disconnect", /^###\s+Disconnect reasons/],
  ["quality", /^###\s+Reading quality/],
  ["refusal", /^###\s+Pump refusal reasons/],
  ["ota", /^###\s+OTA status codes/],
];

/** The rows (cells, trimmed) of the first table after the heading matching `heading`. */
export function tableAfter(md: string, heading: RegExp): string[][] {
  const lines = md.split("\n");
  const at = lines.findIndex((l) => heading.test(l));
  if (at < 0) throw new Error(`ABI.md: no heading ${heading}`);
  const rows: string[][] = [];
  let i = at + 1;
  while (i < lines.length && !lines[i]!.startsWith("|")) {
    if (lines[i]!.startsWith("#")) throw new Error(`ABI.md: no table under ${heading}`);
    i++;
  }
  for (; i < lines.length && lines[i]!.startsWith("|"); i++) {
    rows.push(lines[i]!.split("|").slice(1, -1).map((c) => c.trim()));
  }
  return rows.slice(2); // header and separator
}

const unquote = (cell: string): string => {
  const m = /^`([^`]*)`/.exec(cell);
  if (!m) throw new Error(`ABI.md: expected a \`code\` cell, got ${JSON.stringify(cell)}`);
  return m[1]!;
};

/** `(pin: i32, buf: ptr, cap: i32) -> i32` or `(ptr, len) -> void`. */
export function parseMdSig(text: string): Sig {
  const m = /^\((.*)\)\s*->\s*(\w+)$/.exec(text.trim());
  if (!m) throw new Error(`ABI.md: bad signature ${JSON.stringify(text)}`);
  const params: Kind[] = m[1]!.trim() === "" ? [] : m[1]!.split(",").map((p) => {
    const [name, type] = p.split(":").map((s) => s.trim());
    const kind = type ?? (name === "ptr" ? "ptr" : "i32");
    if (kind !== "i32" && kind !== "u32" && kind !== "ptr") throw new Error(`ABI.md: bad type ${kind} in ${text}`);
    return kind;
  });
  const result = m[2]!;
  if (result !== "i32" && result !== "u32" && result !== "void") throw new Error(`ABI.md: bad result ${result}`);
  return { params, result };
}

export function parseAbiMd(md: string): Abi {
  const imports = new Map<string, AbiImport>();
  for (const row of tableAfter(md, /^##\s+Imports/)) {
    const name = unquote(row[0]!);
    if (imports.has(name)) throw new Error(`ABI.md: import ${name} listed twice`);
    imports.set(name, { ...parseMdSig(unquote(row[1]!)), wamr: unquote(row[2]!) });
  }
  const exports = new Map<string, Sig>();
  const globals = new Set<string>();
  for (const row of tableAfter(md, /^##\s+Exports/)) {
    const name = unquote(row[0]!);
    const sig = row[1]!;
    if (/immutable `i32` global/.test(sig)) { globals.add(name); continue; }
    if (!sig.includes("->")) continue; // memory
    if (exports.has(name)) throw new Error(`ABI.md: export ${name} listed twice`);
    exports.set(name, parseMdSig(unquote(sig)));
  }
  const enums = new Map<string, Map<string, number>>();
  for (const [group, heading] of ENUM_GROUPS) {
    const values = new Map<string, number>();
    for (const row of tableAfter(md, heading)) values.set(unquote(row[1]!), Number(row[0]));
    enums.set(group, values);
  }
  const counters = tableAfter(md, /^###\s+Counters/).map((row) => Number(/^\d+/.exec(row[0]!)?.[0]));
  return { imports, exports, globals, enums, counters };
}

const cKind = (type: string): Kind | "void" => {
  const t = type.replace(/\s+/g, " ").trim();
  if (t === "int32_t") return "i32";
  if (t === "uint32_t") return "u32";
  if (t === "void") return "void";
  if (/^(const )?uint8_t ?\*$/.test(t)) return "ptr";
  throw new Error(`iotbind_hal.h: unexpected C type ${JSON.stringify(type)}`);
};

/** `int32_t pin, const uint8_t *ptr, int32_t len` -> kinds. */
export function parseCParams(list: string): Kind[] {
  const l = list.trim();
  if (l === "void" || l === "") return [];
  return l.split(",").map((p) => {
    const m = /^(.*?[\s*])(\w+)$/.exec(p.trim());
    if (!m) throw new Error(`iotbind_hal.h: bad parameter ${JSON.stringify(p)}`);
    const k = cKind(m[1]!);
    if (k === "void") throw new Error(`iotbind_hal.h: void parameter in ${list}`);
    return k;
  });
}

/** The WAMR signature a C prototype calls for: `*~` for a pointer followed by its length. */
export function wamrSignature(sig: Sig): string {
  let s = "(";
  sig.params.forEach((k, i) => {
    if (k === "ptr") s += "*";
    else s += sig.params[i - 1] === "ptr" ? "~" : "i";
  });
  return s + ")" + (sig.result === "void" ? "" : "i");
}

const macroBody = (h: string, name: string): string => {
  const m = new RegExp(`#define ${name}\\(X\\)((?:.*\\\\\\n)*.*)`).exec(h);
  if (!m) throw new Error(`iotbind_hal.h: no ${name}(X)`);
  return m[1]!;
};

export function parseHeader(h: string): Abi {
  const wamr = new Map<string, string>();
  for (const m of macroBody(h, "IOTBIND_HAL_IMPORTS").matchAll(/X\((\w+),\s*"([^"]*)"\)/g)) {
    if (wamr.has(m[1]!)) throw new Error(`iotbind_hal.h: ${m[1]} twice in IOTBIND_HAL_IMPORTS`);
    wamr.set(m[1]!, m[2]!);
  }
  const imports = new Map<string, AbiImport>();
  for (const m of h.matchAll(/^(int32_t|uint32_t|void) hal_(\w+)\(([^)]*)\);/gm)) {
    const name = m[2]!;
    if (imports.has(name)) throw new Error(`iotbind_hal.h: hal_${name} declared twice`);
    // a missing WAMR entry shows up as "" and so as a difference
    imports.set(name, { params: parseCParams(m[3]!), result: cKind(m[1]!) as Sig["result"], wamr: wamr.get(name) ?? "" });
  }
  for (const name of wamr.keys()) {
    if (!imports.has(name)) imports.set(name, { params: [], result: "void", wamr: `(no prototype hal_${name})` });
  }
  const exports = new Map<string, Sig>();
  for (const m of macroBody(h, "IOTBIND_EXPORTS").matchAll(/X\((\w+),\s*(\w+),\s*\(([^)]*)\)\)/g)) {
    if (exports.has(m[1]!)) throw new Error(`iotbind_hal.h: export ${m[1]} twice`);
    exports.set(m[1]!, { params: parseCParams(m[3]!), result: cKind(m[2]!) as Sig["result"] });
  }
  const prefixes: Record<string, string> = {
    INIT: "init", CONN: "conn", DISCONNECT: "disconnect", QUALITY: "quality", REFUSAL: "refusal", OTA: "ota",
  };
  const enums = new Map<string, Map<string, number>>(Object.values(prefixes).map((g) => [g, new Map()]));
  const counters: number[] = [];
  for (const m of h.matchAll(/^\s*IOTBIND_(INIT|CONN|DISCONNECT|QUALITY|REFUSAL|OTA|COUNTER)_(\w+) = (-?\d+)/gm)) {
    if (m[1] === "COUNTER") counters.push(Number(m[3]));
    else enums.get(prefixes[m[1]!]!)!.set(m[2]!, Number(m[3]));
  }
  return { imports, exports, enums, counters };
}

const fmt = (s: Sig): string => `(${s.params.join(", ")}) -> ${s.result}`;

/** Every difference between two descriptions ("a" and "b" name them in the messages). */
export function diffAbi(a: Abi, b: Abi, an = "ABI.md", bn = "iotbind_hal.h"): string[] {
  const out: string[] = [];
  const both = <T>(what: string, x: Map<string, T>, y: Map<string, T>, cmp: (k: string, p: T, q: T) => void) => {
    for (const k of x.keys()) if (!y.has(k)) out.push(`${what} ${k}: in ${an}, not in ${bn}`);
    for (const k of y.keys()) if (!x.has(k)) out.push(`${what} ${k}: in ${bn}, not in ${an}`);
    for (const [k, p] of x) { const q = y.get(k); if (q !== undefined) cmp(k, p, q); }
  };
  both("import", a.imports, b.imports, (k, p, q) => {
    if (fmt(p) !== fmt(q)) out.push(`import ${k}: ${an} ${fmt(p)}, ${bn} ${fmt(q)}`);
    if (p.wamr !== q.wamr) out.push(`import ${k}: WAMR signature ${an} ${p.wamr}, ${bn} ${q.wamr}`);
  });
  both("export", a.exports, b.exports, (k, p, q) => {
    if (fmt(p) !== fmt(q)) out.push(`export ${k}: ${an} ${fmt(p)}, ${bn} ${fmt(q)}`);
  });
  for (const [group, x] of a.enums) {
    both(group, x, b.enums.get(group) ?? new Map(), (k, p, q) => {
      if (p !== q) out.push(`${group} ${k}: ${an} ${p}, ${bn} ${q}`);
    });
  }
  const ca = [...a.counters].sort((x, y) => x - y).join(",");
  const cb = [...b.counters].sort((x, y) => x - y).join(",");
  if (ca !== cb) out.push(`counter ids: ${an} [${ca}], ${bn} [${cb}]`);
  return out;
}

/** Each import's WAMR string against the one its own C prototype calls for. */
export function wamrSelfCheck(h: Abi): string[] {
  const out: string[] = [];
  for (const [k, s] of h.imports) {
    if (wamrSignature(s) !== s.wamr) out.push(`import ${k}: prototype needs ${wamrSignature(s)}, table says ${s.wamr}`);
  }
  return out;
}

// ------------------------------------------------------------- the module

export interface WasmFunc {
  params: string[];
  results: string[];
}
export interface ModuleInfo {
  imports: { module: string; name: string; kind: string; sig?: WasmFunc }[];
  exports: { name: string; kind: string; sig?: WasmFunc }[];
  memory?: { initial: number; max?: number };
}

/** Parses `wasm-objdump -x` output. */
export function parseObjdump(text: string): ModuleInfo {
  const types: WasmFunc[] = [];
  const funcSig = new Map<number, WasmFunc>();
  const info: ModuleInfo = { imports: [], exports: [] };
  let section = "";
  const list = (s: string) => (s.trim() === "" || s.trim() === "nil" ? [] : s.split(",").map((x) => x.trim()));
  for (const line of text.split("\n")) {
    const head = /^(\w+)\[\d+\]:/.exec(line);
    if (head) { section = head[1]!; continue; }
    let m: RegExpExecArray | null;
    if (section === "Type" && (m = /^ - type\[(\d+)\] \((.*)\) -> (.*)$/.exec(line))) {
      types[Number(m[1])] = { params: list(m[2]!), results: /^\(/.test(m[3]!) ? list(m[3]!.slice(1, -1)) : list(m[3]!) };
    } else if (section === "Import" && (m = /^ - (\w+)\[(\d+)\](?: sig=(\d+))?.*<- ([^.\s]+)\.(\S+)/.exec(line))) {
      const sig = m[3] !== undefined ? types[Number(m[3])] : undefined;
      if (m[1] === "func" && sig) funcSig.set(Number(m[2]), sig);
      info.imports.push({ module: m[4]!, name: m[5]!, kind: m[1]!, sig });
    } else if (section === "Function" && (m = /^ - func\[(\d+)\] sig=(\d+)/.exec(line))) {
      funcSig.set(Number(m[1]), types[Number(m[2])]!);
    } else if (section === "Memory" && (m = /^ - memory\[\d+\] pages: initial=(\d+)(?: max=(\d+))?/.exec(line))) {
      info.memory = { initial: Number(m[1]), max: m[2] !== undefined ? Number(m[2]) : undefined };
    } else if (section === "Export" && (m = /^ - (\w+)\[(\d+)\].*-> "([^"]*)"/.exec(line))) {
      info.exports.push({ name: m[3]!, kind: m[1]!, sig: m[1] === "func" ? funcSig.get(Number(m[2])) : undefined });
    }
  }
  return info;
}

const wasmOf = (s: Sig): string => `(${s.params.map(() => "i32").join(", ")}) -> ${s.result === "void" ? "nil" : "i32"}`;
const wasmFmt = (f?: WasmFunc): string => (f ? `(${f.params.join(", ")}) -> ${f.results.length ? f.results.join(", ") : "nil"}` : "?");

/**
 * The module against ABI.md: it imports only `hal` functions that the ABI
 * lists, with the ABI's wire types; it exports exactly the ABI's functions
 * plus `memory` (1 page, max 1). Imports the module does not use are allowed
 * (a compiler drops unused ones); `missing` lists them.
 */
export function diffModule(abi: Abi, mod: ModuleInfo): { problems: string[]; missing: string[] } {
  const problems: string[] = [];
  for (const imp of mod.imports) {
    const want = abi.imports.get(imp.name);
    if (imp.module !== "hal" || imp.kind !== "func") problems.push(`module imports ${imp.kind} ${imp.module}.${imp.name}`);
    else if (!want) problems.push(`module imports hal.${imp.name}, which ABI.md does not list`);
    else if (wasmFmt(imp.sig) !== wasmOf(want)) problems.push(`import ${imp.name}: module ${wasmFmt(imp.sig)}, ABI.md ${wasmOf(want)}`);
  }
  const imported = new Set(mod.imports.map((i) => i.name));
  const missing = [...abi.imports.keys()].filter((n) => !imported.has(n));
  const exported = new Map(mod.exports.map((e) => [e.name, e]));
  for (const [name, sig] of abi.exports) {
    const e = exported.get(name);
    if (!e) problems.push(`export ${name}: in ABI.md, not in the module`);
    else if (e.kind !== "func" || wasmFmt(e.sig) !== wasmOf(sig)) problems.push(`export ${name}: module ${e.kind} ${wasmFmt(e.sig)}, ABI.md ${wasmOf(sig)}`);
  }
  for (const name of abi.globals ?? []) {
    const e = exported.get(name);
    if (!e || e.kind !== "global") problems.push(`export ${name}: a global in ABI.md, ${e ? `a ${e.kind}` : "absent"} in the module`);
  }
  for (const e of mod.exports) {
    if (e.name === "memory") {
      if (e.kind !== "memory") problems.push(`export memory is a ${e.kind}`);
    } else if (abi.globals?.has(e.name) && e.kind === "global") {
      // checked above
    } else if (!abi.exports.has(e.name)) problems.push(`module exports ${e.kind} ${e.name}, which ABI.md does not list`);
  }
  if (!exported.has("memory")) problems.push("module does not export memory");
  if (mod.memory?.initial !== 1 || mod.memory?.max !== 1) problems.push(`memory is ${JSON.stringify(mod.memory)}, ABI.md says 1 page, max 1`);
  return { problems, missing };
}
