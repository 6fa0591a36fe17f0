/** Byte mutations and JSON generators shared by the fuzzers. */
import type { Rng } from "./rng.js";

const enc = new TextEncoder();

export const INTERESTING_BYTES = [
  0x7b, 0x7d, 0x5b, 0x5d, 0x22, 0x3a, 0x2c, 0x5c, 0x30, 0x31, 0x39, 0x2d, 0x2b, 0x2e, 0x65, 0x45, 0x74, 0x66, 0x6e, 0x75,
  0x00, 0x01, 0x7f, 0x80, 0xbf, 0xc0, 0xc2, 0xe0, 0xed, 0xf0, 0xf4, 0xf5, 0xff, 0x20, 0x09, 0x0a, 0x0d, 0x0b, 0x0c,
];

export const INTERESTING_TOKENS = [
  "null", "true", "false", "0", "-0", "1e999", "-1e999", "1e-999", "9007199254740993", "4294967296", "-2147483649", "2147483648",
  "0.1", "1.", ".5", "01", "+1", "-", "1e", "1e+", "NaN", "Infinity", "\"\"", "\"", "\\", "\\u", "\\u00", "\\u0000", "\\ud800",
  "\\udc00", "\\ud83d\\ude00", "\\\"", "\\/", "\\x41", "[", "]", "{", "}", ",", ":", "[]", "{}", "[[[[[[[[", "{\"a\":{\"b\":",
  " ", "\t", "\n", "\r\n", "\u00a0", "\u2028", "\ufeff", "é", "\u{1f600}",
].map((t) => enc.encode(t));

/** Applies 1..maxOps random mutations; `others` are crossover partners. */
export function mutate(rng: Rng, input: Uint8Array, maxOps = 4, others: readonly Uint8Array[] = [], maxLen = 4096): Uint8Array {
  let b: Uint8Array = input.slice();
  const ops = rng.int(1, maxOps);
  for (let k = 0; k < ops; k++) {
    const n = b.length;
    const pos = n === 0 ? 0 : rng.int(0, n - 1);
    switch (rng.int(0, 11)) {
      case 0: if (n) b[pos] = b[pos]! ^ (1 << rng.int(0, 7)); break;
      case 1: if (n) b[pos] = rng.u32() & 0xff; break;
      case 2: if (n) b[pos] = rng.pick(INTERESTING_BYTES); break;
      case 3: b = splice(b, rng.int(0, n), 0, rng.pick(INTERESTING_TOKENS)); break;
      case 4: b = splice(b, rng.int(0, n), 0, rng.bytes(rng.int(1, 8))); break;
      case 5: if (n) b = splice(b, pos, rng.int(1, Math.min(16, n - pos)), new Uint8Array(0)); break;
      case 6: if (n) { const len = rng.int(1, Math.min(32, n - pos)); b = splice(b, rng.int(0, n), 0, b.slice(pos, pos + len)); } break;
      case 7: if (n) b = b.slice(0, rng.int(0, n - 1)); break;
      case 8: if (others.length) {
        const o = rng.pick(others);
        if (o.length) { const s = rng.int(0, o.length - 1); b = splice(b, rng.int(0, n), rng.int(0, Math.min(8, n - pos)), o.slice(s, s + rng.int(1, 32))); }
      } break;
      case 9: if (n) { // repeat one byte many times (long numbers, deep nesting)
        const c = rng.chance(0.5) ? b[pos]! : rng.pick([0x5b, 0x7b, 0x39, 0x20, 0x22]);
        b = splice(b, pos, 0, new Uint8Array(rng.int(2, rng.chance(0.1) ? 3000 : 100)).fill(c));
      } break;
      case 10: if (n) { // replace a digit run by an interesting number
        b = splice(b, pos, rng.int(0, 3), rng.pick(INTERESTING_TOKENS.slice(0, 20)));
      } break;
      default: if (n > 1) { const a = rng.int(0, n - 1); const c = b[a]!; b[a] = b[pos]!; b[pos] = c; } break;
    }
    if (b.length > maxLen) b = b.slice(0, maxLen);
  }
  return b;
}

export function splice(b: Uint8Array, at: number, del: number, ins: Uint8Array): Uint8Array {
  at = Math.max(0, Math.min(at, b.length));
  del = Math.max(0, Math.min(del, b.length - at));
  const out = new Uint8Array(b.length - del + ins.length);
  out.set(b.subarray(0, at));
  out.set(ins, at);
  out.set(b.subarray(at + del), at + ins.length);
  return out;
}

// ------------------------------------------------------------------ JSON grammar

const WS = [" ", "", "", "", "\t", "\n", "\r\n", "  "];

export function ws(rng: Rng): string {
  return rng.chance(0.7) ? "" : rng.pick(WS);
}

/** A JSON string literal with escapes, multi-byte characters and (rarely) lone surrogates. */
export function jsonString(rng: Rng, base?: string): string {
  let s = base ?? "";
  if (base === undefined) {
    const n = rng.size(rng.chance(0.05) ? 300 : 24);
    for (let i = 0; i < n; i++) s += String.fromCharCode(rng.chance(0.9) ? rng.int(0x20, 0x7e) : rng.int(0, 0xffff));
  }
  let out = "\"";
  for (const ch of s) {
    const c = ch.codePointAt(0)!;
    if (c === 0x22) out += "\\\"";
    else if (c === 0x5c) out += "\\\\";
    else if (c < 0x20) out += `\\u${c.toString(16).padStart(4, "0")}`;
    else if (rng.chance(0.05)) out += c > 0xffff ? ch.split("").map((u) => `\\u${u.charCodeAt(0).toString(16).padStart(4, "0")}`).join("") : `\\u${rng.chance(0.5) ? c.toString(16).padStart(4, "0").toUpperCase() : c.toString(16).padStart(4, "0")}`;
    else if (rng.chance(0.02) && c === 0x2f) out += "\\/";
    else out += ch;
  }
  return out + "\"";
}

export function jsonNumber(rng: Rng): string {
  switch (rng.int(0, 6)) {
    case 0: return String(rng.int(0, 100));
    case 1: return String(rng.int(-2_000_000_000, 2_000_000_000));
    case 2: return (rng.next() * 200 - 50).toFixed(rng.int(0, 6));
    case 3: return `${rng.int(1, 9)}e${rng.int(-400, 400)}`;
    case 4: return rng.pick(["0", "-0", "0.0", "1E2", "1e+2", "100.000", "9".repeat(rng.int(10, 400)), "-1"]);
    case 5: return `${rng.int(0, 100)}.${"0".repeat(rng.int(1, 30))}${rng.int(1, 9)}`;
    default: return String(rng.next());
  }
}

/** A random JSON value of limited depth. */
export function jsonValue(rng: Rng, depth = 0): string {
  const k = rng.int(0, depth > 3 ? 4 : 6);
  switch (k) {
    case 0: return jsonString(rng);
    case 1: return jsonNumber(rng);
    case 2: return rng.pick(["true", "false", "null"]);
    case 3: return jsonString(rng, rng.pick(["on", "off", "get", "ping", "ON", "Off", "", "67", "21.5", "%", "C"]));
    case 4: return jsonNumber(rng);
    case 5: {
      const n = rng.size(6);
      const items: string[] = [];
      for (let i = 0; i < n; i++) items.push(ws(rng) + jsonValue(rng, depth + 1) + ws(rng));
      return `[${items.join(",")}]`;
    }
    default: {
      const n = rng.size(5);
      const items: string[] = [];
      for (let i = 0; i < n; i++) items.push(`${ws(rng)}${jsonString(rng, rng.pick(["a", "uid", "cmd", "x", "level"]))}${ws(rng)}:${ws(rng)}${jsonValue(rng, depth + 1)}${ws(rng)}`);
      return `{${items.join(",")}}`;
    }
  }
}

/** An object of `members` (key, value-literal) pairs with random whitespace. */
export function jsonObject(rng: Rng, members: [string, string][]): string {
  return `${ws(rng)}{${members.map(([k, v]) => `${ws(rng)}${jsonString(rng, k)}${ws(rng)}:${ws(rng)}${v}${ws(rng)}`).join(",")}}${ws(rng)}`;
}

// ------------------------------------------------------------------ the relay oracle

const utf8 = new TextDecoder("utf-8", { fatal: true });

/**
 * The relay states a downlink payload may legitimately ask for (PROTOCOL.md
 * rules): well-formed UTF-8 JSON object, every `uid` member equal to ours,
 * no `key` member, `cmd` "on"/"off". Empty set: the payload must not move
 * the relay.
 */
export function allowedRelayStates(payload: Uint8Array, uid: string): Set<boolean> {
  const out = new Set<boolean>();
  let text: string;
  try {
    text = utf8.decode(payload);
  } catch {
    return out;
  }
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    return out;
  }
  // Duplicate members: the last one counts, as with JSON.parse (the firmware's documented rule).
  if (typeof v !== "object" || v === null || Array.isArray(v)) return out;
  const o = v as Record<string, unknown>;
  const u = o.uid;
  if (!(u === uid || (typeof u === "number" && String(u) === uid))) return out;
  if ("key" in o) return out;
  if (o.cmd === "on") out.add(true);
  if (o.cmd === "off") out.add(false);
  return out;
}
