/**
 * Seeded randomness for the fuzzers: every input is generated from
 * `caseSeed(runSeed, index)`, so (seed, index) names an input exactly and a
 * failure can be regenerated as well as replayed from its saved bytes.
 */
import { fmix32 } from "../../random.js";

export class Rng {
  private s: number;
  constructor(seed: number) {
    this.s = seed >>> 0 || 0x9e3779b9;
  }

  /** Uniform u32 (mulberry32). */
  u32(): number {
    this.s = (this.s + 0x6d2b79f5) >>> 0;
    let t = this.s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  }

  /** Uniform in [0, 1). */
  next(): number {
    return this.u32() / 0x1_0000_0000;
  }

  /** Integer in [lo, hi] (inclusive). */
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.next() * (hi - lo + 1));
  }

  /** True with probability p. */
  chance(p: number): boolean {
    return this.next() < p;
  }

  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new RangeError("pick from an empty list");
    return items[Math.floor(this.next() * items.length)]!;
  }

  /** Small numbers are likelier: in [0, max], roughly log-uniform. */
  size(max: number): number {
    const bits = Math.floor(this.next() * (Math.log2(max + 1) + 1));
    return Math.min(max, Math.floor(this.next() * 2 ** bits));
  }

  bytes(n: number): Uint8Array {
    const out = new Uint8Array(n);
    for (let i = 0; i < n; i++) out[i] = this.u32() & 0xff;
    return out;
  }
}

/** The seed of input number `index` of a run seeded `seed`. */
export function caseSeed(seed: number, index: number): number {
  // seed and index are each fully mixed before they meet, so runs with
  // different seeds share no inputs (not a permutation of the same ones)
  const hi = Math.floor(index / 0x1_0000_0000);
  let h = fmix32(fmix32((seed >>> 0) ^ 0x85ebca6b) + Math.imul(index >>> 0, 0x9e3779b1));
  h = fmix32((h ^ fmix32(hi + 0x27d4eb2f)) >>> 0);
  return h;
}


export const toHex = (b: Uint8Array): string => Buffer.from(b).toString("hex");
export const fromHex = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, "hex"));
