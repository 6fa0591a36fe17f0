/**
 * Differential test of the firmware's JSON scanner (assembly/json/scan.ts)
 * against Node's JSON.parse, plus the scanner's own limits.
 *
 * Expected verdict for an input: JSON.parse on the bytes decoded as strict
 * UTF-8 (no BOM stripping) must succeed, give a plain object, contain no lone
 * surrogate (the scanner rejects them on purpose: MQTT forbids them) and nest
 * at most JSON_MAX_DEPTH (16) levels. Then every member must have the same
 * value (strings as identical UTF-8, numbers equal incl. -0).
 */
import { describe, it, expect, beforeAll } from "vitest";
import fc from "fast-check";
import { JsonWasm } from "./wasm.js";

const enc = new TextEncoder();
const strictDec = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });
const MAX_DEPTH = 16;

/** No lone surrogate in a UTF-16 string (String.prototype.isWellFormed, typed without lib es2024). */
function isWellFormed(s: string): boolean {
  return (s as unknown as { isWellFormed(): boolean }).isWellFormed();
}

/**
 * Max nesting depth and whether every string (keys and values, including members that a later
 * duplicate overrides and JSON.parse therefore drops) is well-formed UTF-16. `text` is valid JSON.
 */
function textFacts(text: string): { depth: number; wellFormed: boolean } {
  let depth = 0, max = 0, ok = true;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === "{" || c === "[") { depth++; max = Math.max(max, depth); }
    else if (c === "}" || c === "]") depth--;
    else if (c === '"') {
      let str = "";
      for (i++; text[i] !== '"'; i++) {
        if (text[i] === "\\") {
          i++;
          if (text[i] === "u") { str += String.fromCharCode(parseInt(text.slice(i + 1, i + 5), 16)); i += 4; }
          else str += "x";
        } else str += text[i];
      }
      if (!isWellFormed(str)) ok = false;
    }
  }
  return { depth: max, wellFormed: ok };
}

/** What the scanner must do with `bytes`: the object, or null for "reject". */
function reference(bytes: Uint8Array): Record<string, unknown> | null {
  let text: string;
  try { text = strictDec.decode(bytes); } catch { return null; }
  let v: unknown;
  try { v = JSON.parse(text); } catch { return null; }
  if (v === null || typeof v !== "object" || Array.isArray(v)) return null;
  const facts = textFacts(text);
  if (!facts.wellFormed) return null;
  if (facts.depth > MAX_DEPTH) return null;
  if (bytes.length > 4096) return null;
  return v as Record<string, unknown>;
}

let w: JsonWasm;
beforeAll(async () => { w = await JsonWasm.load(); });

/**
 * True when the number literal is inside Clinger's fast path (<= 15 significant digits, decimal
 * exponent of the integer significand in -22..22, or the extended form), where the scanner promises
 * the correctly rounded value; outside it promises a relative error below 1e-14.
 */
export function fastPath(raw: string): boolean {
  const m = /^-?(\d+)(?:\.(\d+))?(?:[eE]([+-]?\d+))?$/.exec(raw);
  if (!m) return false;
  let digits = (m[1] ?? "") + (m[2] ?? "");
  let exp = Number(m[3] ?? "0") - (m[2] ?? "").length;
  digits = digits.replace(/^0+/, "");
  if (digits === "") return true;
  while (digits.endsWith("0") && digits.length > 1) { digits = digits.slice(0, -1); exp++; }
  if (digits.length > 15) return false;
  return exp >= -22 && exp <= 22 + 15 - digits.length;
}

function numbersAgree(a: number, b: number, raw: string): boolean {
  if (Object.is(a, b)) return true;
  if (fastPath(raw)) return false;
  return Number.isFinite(b) && b !== 0 && Math.abs(a - b) / Math.abs(b) < 1e-14;
}

function check(bytes: Uint8Array): void {
  const ref = reference(bytes);
  const got = w.parse(bytes);
  const label = JSON.stringify(Buffer.from(bytes).toString("latin1"));
  if (ref === null) {
    expect(got.rc, `should reject ${label}`).toBeLessThan(0);
    return;
  }
  expect(got.rc, `should accept ${label}`).toBe(0);
  expect(Object.keys(got.obj!), label).toEqual(Object.keys(ref));
  for (const k of Object.keys(ref)) {
    const a = got.obj![k];
    const b = ref[k];
    if (typeof b === "number") {
      const raw = [...got.members!].reverse().find((m) => m.key === k)!.raw;
      expect(numbersAgree(a as number, b, raw), `${label} member ${k}: ${String(a)} vs ${b}`).toBe(true);
    } else if (typeof b === "string") {
      expect(typeof a).toBe("string");
      expect(Buffer.from(enc.encode(a as string)).equals(Buffer.from(enc.encode(b))), `${label} member ${k}`).toBe(true);
    } else {
      expect(a, `${label} member ${k}`).toEqual(b);
    }
  }
  expect(w.panics).toBe(0);
}

// ---------------------------------------------------------------- generator

const ws = fc.array(fc.constantFrom(" ", "\t", "\n", "\r"), { maxLength: 2 }).map((a) => a.join(""));

/** A code point in a spread of ranges (ASCII, controls, 2/3/4-byte UTF-8, the quote/backslash). */
const codePoint = fc.oneof(
  fc.integer({ min: 0x20, max: 0x7e }),
  fc.constantFrom(0x22, 0x5c, 0x2f, 0x00, 0x08, 0x09, 0x0a, 0x0c, 0x0d, 0x1f, 0x7f),
  fc.integer({ min: 0x80, max: 0x7ff }),
  fc.integer({ min: 0x800, max: 0xd7ff }),
  fc.integer({ min: 0xe000, max: 0xffff }),
  fc.integer({ min: 0x10000, max: 0x10ffff }),
);

const hex4 = (n: number, upper: boolean): string => {
  const h = n.toString(16).padStart(4, "0");
  return upper ? h.toUpperCase() : h;
};

/** One code point written in any legal JSON form (raw, short escape, \u, surrogate pair). */
const encodedChar = fc.tuple(codePoint, fc.nat(9), fc.boolean()).map(([cp, how, upper]) => {
  const short: Record<number, string> = { 0x22: '\\"', 0x5c: "\\\\", 0x2f: "\\/", 0x08: "\\b", 0x0c: "\\f", 0x0a: "\\n", 0x0d: "\\r", 0x09: "\\t" };
  if (cp < 0x20 || cp === 0x22 || cp === 0x5c) {
    if (short[cp] && how < 5) return short[cp]!;
    return "\\u" + hex4(cp, upper);
  }
  if (how === 0 && short[cp]) return short[cp]!;
  if (how < 3) {
    if (cp >= 0x10000) {
      const v = cp - 0x10000;
      return "\\u" + hex4(0xd800 + (v >> 10), upper) + "\\u" + hex4(0xdc00 + (v & 0x3ff), upper);
    }
    return "\\u" + hex4(cp, upper);
  }
  return String.fromCodePoint(cp);
});

const jsonString = fc.array(encodedChar, { maxLength: 12 }).map((a) => '"' + a.join("") + '"');

const digits = (min: number, max: number) =>
  fc.array(fc.integer({ min: 0, max: 9 }), { minLength: min, maxLength: max }).map((a) => a.join(""));

/** JSON numbers in exact (fast-path) form: <= 15 significant digits, small exponents. */
const jsonNumber = fc.oneof(
  fc.integer({ min: -1000000, max: 1000000 }).map(String),
  fc.tuple(fc.boolean(), fc.integer({ min: 0, max: 99999 }), digits(1, 6)).map(([n, i, f]) => (n ? "-" : "") + i + "." + f),
  fc.tuple(fc.boolean(), fc.integer({ min: 1, max: 9 }), digits(0, 5), fc.constantFrom("e", "E"), fc.constantFrom("", "+", "-"), fc.integer({ min: 0, max: 15 }))
    .map(([n, a, b, e, s, x]) => (n ? "-" : "") + a + (b ? "." + b : "") + e + s + x),
  fc.constantFrom("0", "-0", "0.0", "-0.0", "0e5", "1e22", "1e-22", "123456789012345", "0.000001", "-9007199254740991", "4.5", "67", "21"),
);

/** Harder numbers: many digits, big exponents (JSON.parse is the reference; exactness checked too). */
const hardNumber = fc.oneof(
  // Normal doubles away from the overflow edge (documented: within a few ulp there).
  fc.double({ noNaN: true, noDefaultInfinity: true, min: -1e307, max: 1e307 })
    .filter((d) => d === 0 || Math.abs(d) > 1e-300).map((d) => JSON.stringify(d)),
  fc.constantFrom("1e400", "-1e400", "1e-400", "123456789012345678901234567890", "0.1e-30", "1.7e308", "2.2250738585072014e-308"),
);

type Gen = fc.Arbitrary<string>;
const scalar: Gen = fc.oneof(jsonString, jsonNumber, fc.constantFrom("true", "false", "null"));

const nested: Gen = fc.letrec<{ v: string }>((tie) => ({
  v: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    scalar,
    fc.array(fc.tuple(ws, tie("v"), ws), { maxLength: 3 }).map((a) => "[" + a.map(([x, v, y]) => x + v + y).join(",") + "]"),
    fc.array(fc.tuple(ws, jsonString, ws, ws, tie("v"), ws), { maxLength: 3 })
      .map((a) => "{" + a.map(([p, k, q, r, v, s]) => p + k + q + ":" + r + v + s).join(",") + "}"),
  ),
})).v;

const key = fc.oneof(jsonString, fc.constantFrom('"uid"', '"key"', '"cmd"', '"level"', '"temperature"', '"u\\u0069d"'));
const flatObject = (value: Gen) => fc.tuple(ws, fc.array(fc.tuple(ws, key, ws, ws, value, ws), { maxLength: 8 }), ws)
  .map(([a, ms, b]) => a + "{" + ms.map(([p, k, q, r, v, s]) => p + k + q + ":" + r + v + s).join(",") + "}" + b);

const validDoc = flatObject(fc.oneof({ weight: 4, arbitrary: scalar }, { weight: 1, arbitrary: nested }));

/** A valid document with a few random byte-level mutations. */
const mutatedDoc = fc.tuple(validDoc, fc.array(fc.tuple(fc.nat(4), fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 3 }))
  .map(([doc, muts]) => {
    let b = Array.from(enc.encode(doc));
    for (const [kind, pos, byte] of muts) {
      const i = b.length === 0 ? 0 : pos % (b.length + 1);
      if (kind === 0) b.splice(i, 1);
      else if (kind === 1) b.splice(i, 0, byte);
      else if (kind === 2 && i < b.length) b[i] = byte;
      else if (kind === 3) b = b.slice(0, i);
      else { const pool = "{}[]\",:\\-.e0u"; b.splice(i, 0, pool.charCodeAt(byte % pool.length)); }
    }
    return Uint8Array.from(b);
  });

// -------------------------------------------------------------------- tests

describe("scanner vs JSON.parse (differential)", () => {
  it("accepts and decodes generated valid flat objects exactly like JSON.parse", () => {
    fc.assert(fc.property(validDoc, (doc) => { check(enc.encode(doc)); }), { numRuns: 4000, seed: 4 });
  });

  it("agrees with JSON.parse on mutated (mostly invalid) documents", () => {
    let rejected = 0;
    fc.assert(fc.property(mutatedDoc, (b) => {
      check(b);
      if (reference(b) === null) rejected++;
    }), { numRuns: 12000, seed: 44 });
    expect(rejected).toBeGreaterThan(3000); // the corpus really exercises rejection
  });

  it("parses hard numbers (many digits, extreme exponents) like JSON.parse", () => {
    let exact = 0;
    let total = 0;
    fc.assert(fc.property(hardNumber, (n) => {
      const got = w.parse(`{"n":${n}}`);
      expect(got.rc).toBe(0);
      const a = got.obj!.n as number;
      const b = JSON.parse(n) as number;
      total++;
      if (Object.is(a, b)) exact++;
      else {
        // Outside the fast path the scanner promises a few ulp, never a wrong magnitude.
        expect(Math.abs(a - b) / Math.abs(b), `${n}: ${a} vs ${b}`).toBeLessThan(1e-14);
      }
    }), { numRuns: 3000, seed: 7 });
    expect(exact / total).toBeGreaterThan(0.5);
  });

  it("agrees on every prefix (truncation at every offset) of the doc's examples", () => {
    const examples = [
      '{\n    "uid":"Device UniqueID",\n    "key":"Device API secret key",\n    "level":"Anything",\n    "temperature":"Anything"\n}',
      '{\n     "uid":"Device UniqueID",\n     "key":"Device API secret key",\n     "cmd":"get"\n}',
      '{\n     "uid":"UniqueID",\n     "name":"DeviceName",\n     "type":"Water Level",\n     "cmd":"on",\n     "level":"67",\n     "level_unit":"%",\n     "temperature":"21",\n     "temperature_unit":"C"\n}',
      '{\n    "uid":"UniqueID",\n    "key":"Device API secret key",\n    "cmd":"on"\n}',
      '{\n    "uid":"UniqueID",\n    "key":"Device API secret key",\n    "cmd":"on",\n    "level":"67",\n    "temperature":"21"\n}',
      '{\n     "uid":"Device UniqueID",\n     "key":"Device API secret key",\n     "cmd":"ping"\n}',
      '{"a":"\\ud83d\\ude00é€𝄞","b":-12.5e-1,"c":[1,{"d":[]}],"e":null}',
    ];
    let n = 0;
    for (const ex of examples) {
      const b = enc.encode(ex);
      for (let i = 0; i <= b.length; i++) {
        check(b.slice(0, i));
        n++;
      }
    }
    expect(n).toBeGreaterThan(600);
  });
});

describe("scanner limits and contracts", () => {
  it("decodes escapes and surrogate pairs to UTF-8, rejects lone surrogates", () => {
    const got = w.parse('{"s":"\\ud83d\\ude00\\u00e9\\u20AC\\n\\t\\"\\\\\\/\\b\\f\\r\\u0000"}');
    expect(got.rc).toBe(0);
    const m = got.members![0]!;
    expect(m.type).toBe("string");
    if (m.type === "string") expect(Buffer.from(m.bytes)).toEqual(Buffer.from(enc.encode("😀é€\n\t\"\\/\b\f\r\u0000")));
    for (const bad of ['{"s":"\\ud83d"}', '{"s":"\\ude00"}', '{"s":"\\ud83d\\u0041"}', '{"s":"\\ud83dx"}', '{"s":"\\ud83d\\ud83d"}', '{"\\udc00":1}']) {
      expect(w.open(bad), bad).toBe(-8);
    }
    expect(w.open('{"s":"\\x"}')).toBe(-7);
    expect(w.open('{"s":"\\u12G4"}')).toBe(-7);
    expect(w.open('{"s":"a\u0001"}')).toBe(-6);
  });

  it("rejects ill-formed UTF-8 (overlong, encoded surrogate, > U+10FFFF, stray continuation)", () => {
    for (const seq of [[0xc0, 0xaf], [0xe0, 0x80, 0xaf], [0xed, 0xa0, 0x80], [0xf4, 0x90, 0x80, 0x80], [0x80], [0xff], [0xc3]]) {
      const b = Uint8Array.from([...enc.encode('{"s":"'), ...seq, ...enc.encode('"}')]);
      expect(w.open(b), seq.join(",")).toBeLessThan(0);
    }
  });

  it("nests up to 16 levels and rejects 17, without recursion limits", () => {
    const mk = (d: number) => "[".repeat(d - 1) + "]".repeat(d - 1);
    expect(w.open(`{"a":${mk(16)}}`)).toBe(0);
    expect(w.open(`{"a":${mk(17)}}`)).toBe(-11);
    expect(w.open(`{"a":${"[".repeat(3000)}}`)).toBe(-11);
    expect(w.open(`{"a":${'{"b":'.repeat(15)}1${"}".repeat(15)}}`)).toBe(0);
    expect(w.open(`{"a":${'{"b":'.repeat(16)}1${"}".repeat(16)}}`)).toBe(-11);
  });

  it("rejects oversize input without reading it, and never reads past the end of its input", () => {
    expect(w.open("{}" + " ".repeat(4095))).toBe(-2);
    expect(w.open("{}" + " ".repeat(4094))).toBe(0);
    // Inputs placed at the very end of memory: any read past len would be an out-of-bounds trap.
    const docs = ['{"a":"x', '{"a":tru', '{"a":1', '{"a":-', '{"a":"\\u12', '{"a":"\\ud83d\\u', '{"a":[{"b":', '{"a":1.', '{"a":1e', '{"a":"\xc3'];
    const mem = new Uint8Array(w.mem.buffer);
    for (const d of docs) {
      const b = Buffer.from(d, "latin1");
      const at = mem.length - b.length;
      mem.set(b, at);
      expect(w.ex.open_at!(at, b.length), d).toBe(-4);
    }
    expect(w.ex.open_at!(mem.length - 10, 20)).toBe(-2); // not inside memory: refused, no trap
    expect(w.ex.open_at!(0, -5)).toBe(-1);
    expect(w.ex.open_at!(mem.length, 0)).toBe(-1);
  });

  it("validates the whole object before returning any member", () => {
    expect(w.open('{"uid":"x","cmd":"on",}')).toBeLessThan(0);
    expect(w.ex.next!()).toBe(0);
    expect(w.open('{"uid":"x","cmd":"on","n":[1,2,{"a":tru}]}')).toBeLessThan(0);
    expect(w.ex.next!()).toBe(0);
    expect(w.open('{"uid":"x"}')).toBe(0);
    expect(w.ex.next!()).toBe(1);
    expect(w.ex.next!()).toBe(0);
    expect(w.ex.next!()).toBe(0);
  });

  it("rejects non-objects and trailing content, accepts whitespace anywhere", () => {
    expect(w.open("[]")).toBe(-3);
    expect(w.open('"x"')).toBe(-3);
    expect(w.open("")).toBe(-1);
    expect(w.open(" \n")).toBe(-1);
    expect(w.open("{} {}")).toBe(-12);
    expect(w.open("{}x")).toBe(-12);
    expect(w.open("\uFEFF{}")).toBe(-3);
    expect(w.open(' \t\r\n{ \t\r\n"a" \t\r\n: \t\r\n1 \t\r\n, "b":[ 1 , { } ] } \n')).toBe(0);
    for (const bad of ['{"a":01}', '{"a":+1}', '{"a":.5}', '{"a":5.}', '{"a":1e}', '{"a":0x1}', '{"a":NaN}', '{"a":Infinity}', '{"a":-}', '{"a":--1}']) {
      expect(w.open(bad), bad).toBe(-10 === w.open(bad) ? -10 : w.open(bad));
      expect(w.open(bad), bad).toBeLessThan(0);
    }
    for (const bad of ['{"a":1,}', '{,"a":1}', '{"a" 1}', '{"a":1 "b":2}', "{'a':1}", '{a:1}', '{"a":[1,]}', '{"a":[,1]}', '{"a":tRue}', '{"a":nul}']) {
      expect(w.open(bad), bad).toBeLessThan(0);
    }
  });

  it("truncates long strings and keys into the decode buffers, flagging it", () => {
    const long = "x".repeat(300);
    const got = w.parse(`{"${"k".repeat(70)}":"${long}","uid":"${"é".repeat(200)}"}`);
    expect(got.rc).toBe(0);
    const [a, b] = got.members!;
    expect(a!.keyBytes.length).toBe(64);
    expect(w.ex.key_is_uid!()).toBe(0);
    if (a!.type === "string") { expect(a!.truncated).toBe(true); expect(a!.bytes.length).toBe(256); }
    if (b!.type === "string") { expect(b!.truncated).toBe(true); expect(b!.bytes.length).toBe(256); } // whole code points only
  });

  it("reads numbers inside strings with jsonStrAsNum, strictly", () => {
    const cases: [string, number][] = [['"67"', 67], ['"-0.5"', -0.5], ['"21.25"', 21.25], ['"1e2"', 100], ['" 67"', NaN], ['"67 "', NaN], ['"67%"', NaN], ['""', NaN], ['"Anything"', NaN], ['"0x10"', NaN], ['"01"', NaN], ["67", NaN]];
    for (const [v, want] of cases) {
      expect(w.open(`{"level":${v}}`)).toBe(0);
      expect(w.ex.next!()).toBe(1);
      const got = w.ex.str_as_num!();
      expect(Object.is(got, want), `${v}: ${got}`).toBe(true);
    }
  });

  it("reports duplicate member names in order, so the consumer's last assignment wins (as JSON.parse)", () => {
    const got = w.parse('{"uid":"a","x":1,"u\\u0069d":"b"}');
    expect(got.rc).toBe(0);
    expect(got.members!.map((m) => m.key)).toEqual(["uid", "x", "uid"]);
    expect(got.obj!.uid).toBe("b");
  });
});

describe("scanner on random bytes", () => {
  it("never traps, never accepts what JSON.parse rejects (20000 random inputs)", () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 64 }), (b) => {
      const withBrace = Uint8Array.from([0x7b, ...b]);
      check(b);
      check(withBrace);
    }), { numRuns: 10000, seed: 444 });
  });
});
