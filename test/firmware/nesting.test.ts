/**
 * Control nesting of every function in the release module stays at most 32
 * deep: wasm3's validator (ESP32 settings, d_m3MaxFunctionStackHeight 256)
 * refuses deeper functions (docs/CONFIG.md). Walks the code
 * section of build/firmware.wasm itself (no external tool): every block,
 * loop and if opens a level, every end closes one.
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { DEFAULT_FIRMWARE_PATH } from "../../sim/host/device.js";

const LIMIT = 32;

class Reader {
  constructor(readonly b: Uint8Array, public p = 0) {}
  u8(): number { return this.b[this.p++]!; }
  uleb(): number {
    let r = 0, shift = 0, byte: number;
    do { byte = this.u8(); r += (byte & 0x7f) * 2 ** shift; shift += 7; } while (byte & 0x80);
    return r;
  }
  sleb(): void { let byte: number; do { byte = this.u8(); } while (byte & 0x80); }
  skip(n: number): void { this.p += n; }
}

/** Deepest block/loop/if nesting of each function body (MVP opcodes plus the 0xFC prefix). */
export function maxNesting(wasm: Uint8Array): number[] {
  const r = new Reader(wasm, 8);
  const depths: number[] = [];
  while (r.p < wasm.length) {
    const id = r.u8();
    const size = r.uleb();
    const end = r.p + size;
    if (id !== 10) { r.p = end; continue; }
    const count = r.uleb();
    for (let f = 0; f < count; f++) {
      const bodySize = r.uleb();
      const bodyEnd = r.p + bodySize;
      const groups = r.uleb();
      for (let g = 0; g < groups; g++) { r.uleb(); r.u8(); }
      let depth = 0, max = 0;
      while (r.p < bodyEnd) {
        const op = r.u8();
        if (op === 0x02 || op === 0x03 || op === 0x04) {
          const bt = r.b[r.p]!;
          if (bt === 0x40 || bt >= 0x6f) r.p++; else r.sleb(); // empty/value type, or a type index
          depth++;
          if (depth > max) max = depth;
        } else if (op === 0x0b) depth--;
        else if (op === 0x0c || op === 0x0d || op === 0x10 || (op >= 0x20 && op <= 0x24)) r.uleb();
        else if (op === 0x0e) { const n = r.uleb(); for (let i = 0; i <= n; i++) r.uleb(); }
        else if (op === 0x11) { r.uleb(); r.uleb(); }
        else if (op >= 0x28 && op <= 0x3e) { r.uleb(); r.uleb(); }
        else if (op === 0x3f || op === 0x40) r.u8();
        else if (op === 0x41 || op === 0x42) r.sleb();
        else if (op === 0x43) r.skip(4);
        else if (op === 0x44) r.skip(8);
        else if (op === 0xfc) {
          const sub = r.uleb();
          if (sub === 8) { r.uleb(); r.u8(); } else if (sub === 9 || sub === 13 || sub === 15 || sub === 16 || sub === 17) r.uleb();
          else if (sub === 10 || sub === 12 || sub === 14) { r.uleb(); r.uleb(); } else if (sub === 11) r.u8();
        }
        // every other MVP opcode has no immediate
      }
      if (depth !== -1) throw new Error(`function ${f}: unbalanced body (depth ${depth} at its end)`);
      depths.push(max);
    }
    r.p = end;
  }
  return depths;
}

describe("control nesting", () => {
  const wasm = new Uint8Array(readFileSync(DEFAULT_FIRMWARE_PATH));
  const depths = maxNesting(wasm);

  it("walks every function body of the release module", () => {
    expect(depths.length).toBeGreaterThan(100);
    expect(Math.max(...depths)).toBeGreaterThan(3); // the walker does see nesting
  });

  it(`no function nests deeper than ${LIMIT} (wasm3's validator limit)`, () => {
    const deep = depths.map((d, i) => [i, d] as const).filter(([, d]) => d > LIMIT);
    expect(deep, `functions (code index, depth) over ${LIMIT}`).toEqual([]);
  });

  it("the walker catches a deep function (a module with 40 nested blocks)", () => {
    const nested = [...Array(40).fill([0x02, 0x40]).flat(), ...Array(40).fill(0x0b), 0x0b];
    const body = [0x00, ...nested];
    const mod = Uint8Array.from([
      0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
      0x01, 0x04, 0x01, 0x60, 0x00, 0x00,            // type: () -> ()
      0x03, 0x02, 0x01, 0x00,                        // one function
      0x0a, body.length + 2, 0x01, body.length, ...body,
    ]);
    expect(WebAssembly.validate(mod)).toBe(true);
    expect(maxNesting(mod)).toEqual([40]);
  });
});
