/**
 * scripts/wasm-merge-data.mjs (the release post-build that merges data
 * segments): for random layouts of sorted, disjoint segments — contiguous,
 * small gaps, large gaps, 1..5-byte LEB offsets — the merged module is valid
 * and instantiates to the byte-identical memory image, never larger. Also on
 * the real debug build (one segment per literal, as asc emits them).
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { mergeDataSegments } from "../../scripts/wasm-merge-data.mjs";
import { DEFAULT_FIRMWARE_PATH } from "../../sim/host/device.js";
import { dataSegments } from "../../sim/tools/fuzz/rig.js";

function leb(n: number): number[] {
  const out: number[] = [];
  do { let b = n & 0x7f; n >>>= 7; if (n) b |= 0x80; out.push(b); } while (n);
  return out;
}
function sleb(n: number): number[] {
  const out: number[] = [];
  for (;;) {
    const b = n & 0x7f; n >>= 7;
    if ((n === 0 && !(b & 0x40)) || (n === -1 && b & 0x40)) { out.push(b); return out; }
    out.push(b | 0x80);
  }
}
function section(id: number, body: number[]): number[] { return [id, ...leb(body.length), ...body]; }

/** A module with one exported 1-page memory (max 1) and these data segments. */
function moduleWith(segs: Array<{ offset: number; bytes: number[] }>): Buffer {
  const mem = section(5, [1, 1, 1, 1]);
  const exp = section(7, [1, 3, ...Buffer.from("mem"), 2, 0]);
  const data: number[] = [...leb(segs.length)];
  for (const s of segs) data.push(0, 0x41, ...sleb(s.offset), 0x0b, ...leb(s.bytes.length), ...s.bytes);
  return Buffer.from([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0, ...mem, ...exp, ...section(11, data)]);
}

function image(wasm: Uint8Array): Uint8Array {
  const inst = new WebAssembly.Instance(new WebAssembly.Module(wasm as Uint8Array<ArrayBuffer>), {});
  return new Uint8Array((inst.exports.mem as WebAssembly.Memory).buffer).slice();
}

/** Deterministic PRNG (mulberry32) so a failure reproduces from its seed. */
function rng(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe("wasm-merge-data", () => {
  it("keeps the memory image and validity for random segment layouts, never growing the module", () => {
    for (let seed = 1; seed <= 400; seed++) {
      const r = rng(seed);
      const segs: Array<{ offset: number; bytes: number[] }> = [];
      let at = Math.floor(r() * 300);
      const n = 1 + Math.floor(r() * 40);
      for (let i = 0; i < n && at < 65000; i++) {
        const len = Math.floor(r() * 20); // empty segments included
        segs.push({ offset: at, bytes: Array.from({ length: len }, () => Math.floor(r() * 256)) });
        const gapKind = r();
        at += len + (gapKind < 0.4 ? 0 : gapKind < 0.8 ? Math.floor(r() * 10) : Math.floor(r() * 3000));
      }
      const before = moduleWith(segs);
      const after = mergeDataSegments(before);
      expect(WebAssembly.validate(after as Uint8Array<ArrayBuffer>), `seed ${seed}`).toBe(true);
      expect(after.length, `seed ${seed}`).toBeLessThanOrEqual(before.length);
      expect(Buffer.from(image(after)).equals(Buffer.from(image(before))), `seed ${seed}`).toBe(true);
    }
  });

  it("refuses overlapping or unsorted segments instead of guessing", () => {
    const bad = moduleWith([{ offset: 100, bytes: [1, 2, 3] }, { offset: 101, bytes: [9] }]);
    expect(() => mergeDataSegments(bad)).toThrow(/overlap or are unsorted/);
  });

  it("merges the debug build's per-literal segments into a few with the same static data", () => {
    const debug = readFileSync(DEFAULT_FIRMWARE_PATH.replace("firmware.wasm", "firmware.debug.wasm"));
    const merged = mergeDataSegments(debug);
    expect(WebAssembly.validate(merged as Uint8Array<ArrayBuffer>)).toBe(true);
    expect(merged.length).toBeLessThan(debug.length - 500);
    const segsBefore = dataSegments(debug);
    const segsAfter = dataSegments(merged);
    const flat = (segs: Array<{ offset: number; bytes: Uint8Array }>): Uint8Array => {
      const img = new Uint8Array(65536);
      for (const sg of segs) img.set(sg.bytes, sg.offset);
      return img;
    };
    expect(Buffer.from(flat(segsAfter)).equals(Buffer.from(flat(segsBefore)))).toBe(true);
    expect(segsAfter.length).toBeLessThan(segsBefore.length / 10);
  });
});
