/**
 * Property: whatever arrives on the OTA topics (random offers, well-formed or
 * not, retained or not; chunks with random ids, offsets and lengths, including
 * the right ones; the device's own wants echoed back) and however time passes
 * (stall retries), the firmware never traps, never calls an ota_* import out
 * of the contract's order (docs/ABI.md "OTA (v2)"), never writes outside its
 * statics, and never moves the relay.
 */
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { FirmwareRig, loadFirmwareSync } from "../../sim/tools/fuzz/rig.js";
import { FUZZ_CONFIG } from "../../sim/tools/fuzz/fuzzers.js";
import { publish } from "../../sim/tools/fuzz/mqtt-bytes.js";
import { ConnState, Counter } from "../../sim/host/abi.js";
import type { OtaImports } from "../../sim/host/hal.js";

const fw = loadFirmwareSync();
const CID = "fzota";
const BASE = `iotbind-tank/${CID}`;

/** A host that checks the call order and answers by a script of results. */
class CheckingOta implements OtaImports {
  violations: string[] = [];
  calls: string[] = [];
  private open: { size: number; written: number } | null = null;
  private staged = false;
  constructor(private readonly results: number[]) {}
  private next(): number { return this.results.length ? this.results[this.calls.length % this.results.length]! : 0; }
  begin(size: number): number {
    this.calls.push("begin");
    this.staged = false;
    const rc = size < 65 || size > 4096 ? -2 : this.next() === -6 ? -6 : 0;
    this.open = rc === 0 ? { size, written: 0 } : null;
    return rc;
  }
  write(offset: number, bytes: Uint8Array): number {
    this.calls.push("write");
    const o = this.open;
    if (!o) { this.violations.push("write without begin"); return -7; }
    if (offset !== o.written) this.violations.push(`write at ${offset}, ${o.written} written`);
    if (bytes.length < 1 || bytes.length > 512 || offset + bytes.length > o.size) this.violations.push(`write of ${bytes.length} at ${offset} past ${o.size}`);
    o.written = offset + bytes.length;
    return 0;
  }
  finish(): number {
    this.calls.push("finish");
    const o = this.open;
    this.open = null;
    if (!o) { this.violations.push("finish without begin"); return -7; }
    if (o.written !== o.size) this.violations.push(`finish at ${o.written} of ${o.size}`);
    const rc = this.next() === -3 ? -3 : 0;
    this.staged = rc === 0;
    return rc;
  }
  abort(): void { this.calls.push("abort"); this.open = null; }
  activate(): void {
    this.calls.push("activate");
    if (!this.staged) this.violations.push("activate without a staged image");
    this.staged = false;
  }
}

const u32le = (v: number): number[] => [v & 255, (v >>> 8) & 255, (v >>> 16) & 255, (v >>> 24) & 255];

type Step =
  | { k: "offer"; id: number; size: number; retain: boolean; junk: string | null }
  | { k: "chunk"; good: boolean; id: number; offset: number; len: number }
  | { k: "want-echo" }
  | { k: "wait"; ms: number };

const step: fc.Arbitrary<Step> = fc.oneof(
  { weight: 2, arbitrary: fc.record({ k: fc.constant("offer" as const), id: fc.oneof({ weight: 4, arbitrary: fc.integer({ min: 0, max: 3 }) }, { weight: 1, arbitrary: fc.integer({ min: -5, max: 2 ** 32 + 5 }) }), size: fc.oneof({ weight: 4, arbitrary: fc.integer({ min: 60, max: 2000 }) }, { weight: 1, arbitrary: fc.integer({ min: -10, max: 2 ** 33 }) }), retain: fc.oneof({ weight: 4, arbitrary: fc.constant(false) }, { weight: 1, arbitrary: fc.constant(true) }), junk: fc.oneof({ weight: 4, arbitrary: fc.constant(null) }, { weight: 1, arbitrary: fc.string({ maxLength: 40 }) }) }) },
  { weight: 8, arbitrary: fc.record({ k: fc.constant("chunk" as const), good: fc.oneof({ weight: 3, arbitrary: fc.constant(true) }, { weight: 1, arbitrary: fc.constant(false) }), id: fc.integer({ min: 0, max: 3 }), offset: fc.integer({ min: 0, max: 3000 }), len: fc.integer({ min: 0, max: 600 }) }) },
  { weight: 1, arbitrary: fc.record({ k: fc.constant("want-echo" as const) }) },
  { weight: 1, arbitrary: fc.record({ k: fc.constant("wait" as const), ms: fc.integer({ min: 0, max: 12_000 }) }) },
);

describe("property: OTA messages never break the ota_* contract, never trap, never move the relay", () => {
  it("holds for random offer/chunk/wait sequences", () => {
    let staged = 0;
    let written = 0;
    fc.assert(fc.property(fc.array(step, { minLength: 1, maxLength: 60 }), fc.array(fc.constantFrom(0, 0, -3, -6), { minLength: 1, maxLength: 5 }), (steps, results) => {
      const ota = new CheckingOta(results);
      const rig = new FirmwareRig({ firmware: fw, config: { ...FUZZ_CONFIG, client_id: CID }, ota });
      expect(rig.initStatus).toBe(0);
      expect(rig.runUntil(() => rig.state === ConnState.CONNECTED && rig.counter(Counter.OTA_STATUS_ACKED) >= 1, 10_000)).toBe(true);
      const relay = rig.relay;
      const switches = rig.counter(Counter.PUMP_SWITCHES);
      let pid = 100;
      const lastWant = (): { id: number; offset: number; size: number } | null => {
        const w = rig.link.uplinks.filter((u) => u.topic === `${BASE}/ota/want`).at(-1);
        return w ? JSON.parse(w.payload) as { id: number; offset: number; size: number } : null;
      };
      for (const s of steps) {
        if (s.k === "offer") {
          const body = s.junk ?? JSON.stringify({ id: s.id, size: s.size });
          rig.link.push(publish(`${BASE}/ota/offer`, body, 1, pid++, s.retain ? 1 : 0));
        } else if (s.k === "chunk") {
          const w = lastWant();
          const id = s.good && w ? w.id : s.id;
          const offset = s.good && w ? w.offset : s.offset;
          const len = s.good && w ? Math.max(1, Math.min(512, w.size - w.offset)) : s.len;
          const payload = new Uint8Array([...u32le(id), ...u32le(offset), ...new Array<number>(len).fill(0xa5)]);
          rig.link.push(publish(`${BASE}/ota/data`, payload, 0));
        } else if (s.k === "want-echo") {
          rig.link.push(publish(`${BASE}/ota/want`, '{"id":1,"offset":0,"size":99}', 0));
        } else {
          rig.clock.advance(s.ms);
        }
        rig.runUntil(() => false, 200, 20);
      }
      rig.checkMemory();
      expect(ota.violations).toEqual([]);
      expect(rig.relay).toBe(relay);
      expect(rig.counter(Counter.PUMP_SWITCHES)).toBe(switches);
      staged += ota.calls.filter((c) => c === "activate").length;
      written += ota.calls.filter((c) => c === "write").length;
    }), { numRuns: 300, seed: 20 });
    // The generator must reach the deep paths: whole transfers staged and activated.
    expect(written).toBeGreaterThan(100);
    expect(staged).toBeGreaterThan(0);
  }, 120_000);
});
