/**
 * The zero-allocation encoder (assembly/json/encode.ts): escaping round-trips
 * through JSON.parse, numbers as strings/numbers, and refusal of what does not fit.
 */
import { describe, it, expect, beforeAll } from "vitest";
import fc from "fast-check";
import { JsonWasm } from "./wasm.js";

const enc = new TextEncoder();
let w: JsonWasm;
beforeAll(async () => { w = await JsonWasm.load(); });

function put(b: Uint8Array): void {
  new Uint8Array(w.mem.buffer, w.ex.input_ptr!(), b.length).set(b);
}
function out(n: number): string {
  return new TextDecoder("utf-8", { fatal: true }).decode(w.bytes(w.ex.out_ptr!(), n));
}

describe("JSON encoder", () => {
  it("escapes any well-formed string so that JSON.parse gives it back", () => {
    fc.assert(fc.property(fc.string({ unit: "binary", maxLength: 200 }), (s) => {
      const b = enc.encode(s);
      put(b);
      const n = w.ex.enc_str!(b.length, 8192);
      expect(n).toBeGreaterThan(0);
      const text = out(n);
      expect(JSON.parse(text)).toEqual({ s });
      // Only ", \ and control characters are escaped; everything else is copied.
      expect(text).toBe(JSON.stringify({ s }).replace(/\\u00([01][0-9a-f])/g, (_m, h: string) => "\\u00" + h));
    }), { numRuns: 3000, seed: 9 });
  });

  it("escapes quote, backslash and every control character", () => {
    const s = Array.from({ length: 32 }, (_, i) => String.fromCharCode(i)).join("") + '"\\/\u007f';
    const b = enc.encode(s);
    put(b);
    const n = w.ex.enc_str!(b.length, 1000);
    const text = out(n);
    expect(JSON.parse(text)).toEqual({ s });
    expect(text).toContain('\\b\\t\\n\\u000b\\f\\r');
    expect(text).toContain('\\u0000');
    expect(text).toContain('\\"\\\\/');
  });

  it("writes fixed-point numbers as strings or numbers", () => {
    const cases: [number, number, string][] = [[67, 0, "67"], [675, 1, "67.5"], [-5, 1, "-0.5"], [0, 2, "0.00"], [100000, 3, "100.000"], [-2147483647, 0, "-2147483647"], [215, 1, "21.5"]];
    for (const [v, d, t] of cases) {
      let n = w.ex.enc_fixed!(v, d, 1, 100);
      expect(out(n)).toBe(`{"v":"${t}"}`);
      n = w.ex.enc_fixed!(v, d, 0, 100);
      expect(out(n)).toBe(`{"v":${t}}`);
      expect(JSON.parse(out(n)).v).toBe(Number(t));
    }
    expect(w.ex.enc_fixed!(1, 4, 0, 100)).toBeLessThan(0);
  });

  it("writes every i32 at every scale 0..3 exactly, and refuses every capacity one byte short", () => {
    // Reference: exact decimal text from BigInt (sign, at least one digit before the point).
    const ref = (v: number, d: number): string => {
      const mag = (v < 0 ? -BigInt(v) : BigInt(v)).toString().padStart(d + 1, "0");
      const txt = d === 0 ? mag : `${mag.slice(0, mag.length - d)}.${mag.slice(mag.length - d)}`;
      return (v < 0 ? "-" : "") + txt;
    };
    const value = fc.oneof(fc.integer({ min: -2147483648, max: 2147483647 }), fc.integer({ min: -1200, max: 1200 }),
      fc.constantFrom(-2147483648, 2147483647, 0, -1, 9, 10, 99, 100, -999, 1000));
    fc.assert(fc.property(value, fc.integer({ min: 0, max: 3 }), fc.boolean(), (v, d, asString) => {
      const t = asString ? `{"v":"${ref(v, d)}"}` : `{"v":${ref(v, d)}}`;
      const n = w.ex.enc_fixed!(v, d, asString ? 1 : 0, 100);
      expect(out(n)).toBe(t);
      expect(w.ex.enc_fixed!(v, d, asString ? 1 : 0, t.length - 1)).toBeLessThan(0);
    }), { numRuns: 4000, seed: 12 });
  });

  it("refuses, with a status, every capacity too small, and never writes past the capacity", () => {
    const uid = enc.encode('dev-"1"\n€');
    put(uid);
    const full = w.ex.enc_multi!(uid.length, 8192);
    const text = out(full);
    expect(JSON.parse(text)).toEqual({ uid: 'dev-"1"\n€', cmd: "on", n: -42, b: true, t: 'a"b' });
    for (let cap = 0; cap < full; cap++) {
      const mem = new Uint8Array(w.mem.buffer, w.ex.out_ptr!(), 8192);
      mem.fill(0xee);
      expect(w.ex.enc_multi!(uid.length, cap), `cap ${cap}`).toBe(-1);
      for (let i = cap; i < 8192; i++) if (mem[i] !== 0xee) throw new Error(`wrote at ${i} with cap ${cap}`);
    }
    expect(w.ex.enc_multi!(uid.length, full)).toBe(full);
  });
});
