/**
 * Fuzzer 2: downlink JSON payloads (mutations of PROTOCOL.md's examples and
 * grammar-generated objects, deep nesting, oversize) delivered as well-formed
 * PUBLISH packets. A well-formed packet must never cost the connection; a
 * QoS 1 one is acknowledged; the relay moves only when JSON.parse agrees the
 * payload is our uid, no key, cmd "on"/"off" (duplicates: last wins).
 */
import { describe, expect, it } from "vitest";
import { fuzzCi } from "../helpers/fuzz-run.js";

describe("fuzz: downlink JSON payloads", () => {
  it("survives 30,000 payloads without a trap, a disconnect or an unasked relay change", () => {
    const s = fuzzCi("json", 30_000);
    expect(s.reconnects).toBe(0);
    expect(s.relayChanges).toBeGreaterThan(50);
  }, 120_000);
});
