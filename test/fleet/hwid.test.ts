/**
 * The default hardware id (and so the firmware's default MQTT client id)
 * must be unique across a fleet: two devices with one client id take over
 * each other's broker session forever.
 */
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { defaultHwId } from "../../sim/host/device.js";

const hex = (b: Uint8Array): string => Buffer.from(b).toString("hex");

describe("defaultHwId", () => {
  it("is unique over 20,000-device fleets for any uid prefix and numbering, and deterministic", () => {
    fc.assert(fc.property(fc.string({ minLength: 0, maxLength: 12 }), fc.constantFrom(0, 3, 5), fc.constantFrom("-", "/", ""), (prefix, pad, sep) => {
      const seen = new Set<string>();
      for (let i = 0; i < 20_000; i++) seen.add(hex(defaultHwId(`${prefix}${sep}${String(i).padStart(pad, "0")}`)));
      expect(seen.size).toBe(20_000);
    }), { numRuns: 8 });
    expect(hex(defaultHwId("tank-001"))).toBe(hex(defaultHwId("tank-001")));
    expect(defaultHwId("x").length).toBe(6);
  });

  it("every output bit depends on the input: flipping one character changes about half the bits", () => {
    let flips = 0;
    let total = 0;
    for (let i = 0; i < 2000; i++) {
      const a = defaultHwId(`dev-${i}`);
      const b = defaultHwId(`dev-${i}x`);
      for (let j = 0; j < 6; j++) { let x = a[j]! ^ b[j]!; while (x) { flips += x & 1; x >>= 1; } }
      total += 48;
    }
    expect(flips / total).toBeGreaterThan(0.45);
    expect(flips / total).toBeLessThan(0.55);
  });
});
