/**
 * JSON config -> binary config (docs/CONFIG.md "Binary config"), the Node
 * host's encoder, and the firmware's error texts rendered with member names.
 *
 * The encoder checks what JSON alone can get wrong (not an object, syntax,
 * an unknown or duplicate member, a wrong JSON type, a fraction where an
 * integer belongs, a word not in the list, a string longer than its maximum)
 * and names the member; ranges, minimum lengths, topic and client-id rules,
 * UTF-8 and the cross-member rules are the firmware's (its text names the
 * member by index: renderConfigError). The C hosts' encoder
 * (boards/host/config_encode.c) makes the same bytes for the same JSON
 * (test/config/binary.test.ts).
 */
import { CONFIG_FORMAT, CONFIG_MEMBERS, CONFIG_SCHEMA, CONFIG_WORDS, type ConfigMemberSpec } from "./device-config.js";

/** A config the encoder refuses: `code` is the init status it stands for (-1 empty, -2 not a JSON object, -3 a member). */
export class ConfigError extends Error {
  constructor(readonly code: -1 | -2 | -3, message: string) {
    super(message);
    this.name = "ConfigError";
  }
}

const INDEX = new Map<string, number>(CONFIG_MEMBERS.map((n, i) => [n, i]));

/** The member name of index `i`, or undefined. */
export function configMemberName(i: number): string | undefined {
  return CONFIG_MEMBERS[i];
}

/** The firmware's `config: member #<i>: ...` with the member's name: `config: member "<name>": ...`. */
export function renderConfigError(text: string): string {
  return text.replace(/^config: member #(\d+):/, (all, i: string) => {
    const name = configMemberName(Number(i));
    return name === undefined ? all : `config: member "${name}":`;
  });
}

/** True when `bytes` is already a binary config (its format byte). */
export function isBinaryConfig(bytes: Uint8Array): boolean {
  return bytes.length > 0 && bytes[0] === CONFIG_FORMAT;
}

const memberError = (name: string, rule: string): ConfigError => new ConfigError(-3, `config: member "${name}": ${rule}`);
const syntaxError = (why: string): ConfigError => new ConfigError(-2, `config: not a well-formed JSON object (${why})`);
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/**
 * The members of a flat JSON object text, in order, keeping duplicates (JSON.parse
 * would keep only the last one). Throws ConfigError -2 on a syntax error, a
 * lone surrogate escape or a non-object, -1 on an empty text.
 */
export function parseConfigText(text: string): Array<[string, unknown]> {
  if (text.length === 0) throw new ConfigError(-1, "config: empty");
  const tok = /[ \t\n\r]*(?:("(?:[^"\\\u0000-\u001f]|\\(?:["\\/bfnrt]|u[0-9a-fA-F]{4}))*")|(-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?)|(true|false|null)|([{}[\]:,]))/y;
  let at = 0;
  const next = (): RegExpExecArray => {
    tok.lastIndex = at;
    const m = tok.exec(text);
    if (!m) throw syntaxError(`unexpected ${at >= text.trimEnd().length ? "end" : `character at offset ${at}`}`);
    at = tok.lastIndex;
    return m;
  };
  const str = (m: RegExpExecArray): string => {
    const s = JSON.parse(m[1]!) as string;
    if (LONE_SURROGATE.test(s)) throw syntaxError(`a lone surrogate in a string at offset ${m.index}`);
    return s;
  };
  /** The items of an object or array after its opening token, up to its closing one: `item` gets each value (and, in an object, its name). */
  const items = (open: "{" | "[", item: (v: unknown, name: string) => void): void => {
    const close = open === "{" ? "}" : "]";
    let t = next();
    if (t[4] === close) return;
    for (;;) {
      let name = "";
      if (open === "{") {
        if (t[1] === undefined) throw syntaxError(`a member name expected at offset ${t.index}`);
        name = str(t);
        if (next()[4] !== ":") throw syntaxError(`':' expected after "${name}"`);
        t = next();
      }
      item(value(t), name);
      t = next();
      if (t[4] === close) return;
      if (t[4] !== ",") throw syntaxError(`',' or '${close}' expected at offset ${t.index}`);
      t = next();
    }
  };
  // A nested object or array is checked, not kept: no member takes one (the encoder names the member).
  const value = (m: RegExpExecArray): unknown => {
    if (m[1] !== undefined) return str(m);
    if (m[2] !== undefined) return Number(m[2]);
    if (m[3] !== undefined) return m[3] === "null" ? null : m[3] === "true";
    if (m[4] === "{") { items("{", () => {}); return {}; }
    if (m[4] === "[") { const out: unknown[] = []; items("[", (v) => out.push(v)); return out; }
    throw syntaxError(`unexpected '${m[4]}' at offset ${m.index}`);
  };
  if (next()[4] !== "{") throw syntaxError("the config must be one JSON object");
  const members: Array<[string, unknown]> = [];
  items("{", (v, name) => members.push([name, v]));
  if (!/^[ \t\n\r]*$/.test(text.slice(at))) throw syntaxError(`text after the object at offset ${at}`);
  return members;
}

/** The binary value of one member (i32) or throws naming it. Strings return their UTF-8 bytes. */
function encodeValue(spec: ConfigMemberSpec, v: unknown): number | Uint8Array {
  const name = spec.name;
  const range = (): ConfigError => memberError(name, `must be between ${spec.min} and ${spec.max}`);
  switch (spec.kind) {
    case "bool":
      if (typeof v !== "boolean") throw memberError(name, "must be true or false");
      return v ? 1 : 0;
    case "word": {
      const words = CONFIG_WORDS[spec.words!] as readonly string[];
      const i = typeof v === "string" ? words.indexOf(v) : -1;
      if (i < 0) throw memberError(name, `must be one of: ${words.join(" ")}`);
      return i;
    }
    case "string":
    case "topic": {
      if (typeof v !== "string") throw memberError(name, "must be a string");
      if (LONE_SURROGATE.test(v)) throw memberError(name, "must be well-formed UTF-8 (a lone surrogate)");
      const bytes = new TextEncoder().encode(v);
      if (bytes.length > spec.max!) throw memberError(name, `is too long (at most ${spec.max} bytes)`);
      return bytes;
    }
    case "scaled": {
      if (typeof v !== "number") throw memberError(name, "must be a number");
      if (!Number.isFinite(v)) throw range();
      const s = v * 10;
      const r = s < 0 ? -Math.floor(-s + 0.5) : Math.floor(s + 0.5);
      if (r < -0x80000000 || r > 0x7fffffff) throw range();
      return r;
    }
    default: // int, seconds
      if (typeof v !== "number") throw memberError(name, "must be a number");
      if (!Number.isFinite(v)) throw range();
      if (!Number.isInteger(v)) throw memberError(name, "must be an integer");
      if (v < -0x80000000 || v > 0x7fffffff) throw range();
      return v;
  }
}

/** Encodes members (in this order) to a binary config; throws ConfigError naming the first bad member. */
export function encodeConfigMembers(members: Iterable<[string, unknown]>): Uint8Array {
  const out: number[] = [CONFIG_FORMAT];
  const seen = new Set<string>();
  for (const [name, v] of members) {
    const i = INDEX.get(name);
    if (i === undefined) throw memberError(name, "is not a known member (see docs/CONFIG.md)");
    if (seen.has(name)) throw memberError(name, "is given more than once");
    seen.add(name);
    const e = encodeValue(CONFIG_SCHEMA[i]!, v);
    out.push(i);
    if (typeof e === "number") out.push(e & 255, (e >>> 8) & 255, (e >>> 16) & 255, (e >>> 24) & 255);
    else out.push(e.length, ...e);
  }
  return Uint8Array.from(out);
}

/**
 * The binary config of `config`: a JSON object (its own members), JSON text,
 * UTF-8 bytes of JSON text, or an already binary config (returned as is).
 */
export function encodeConfig(config: unknown): Uint8Array {
  if (config instanceof Uint8Array) {
    if (isBinaryConfig(config)) return config;
    let text: string;
    try {
      text = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true }).decode(config);
    } catch {
      throw syntaxError("not UTF-8");
    }
    return encodeConfigMembers(parseConfigText(text));
  }
  if (typeof config === "string") return encodeConfigMembers(parseConfigText(config));
  if (config === null || typeof config !== "object" || Array.isArray(config)) throw syntaxError("the config must be one JSON object");
  return encodeConfigMembers(Object.entries(config as Record<string, unknown>).filter(([, v]) => v !== undefined));
}
