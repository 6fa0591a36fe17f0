/**
 * Fuzzer 1: the MQTT byte stream after a valid CONNACK + SUBACK. Random
 * bytes and mutated sequences of valid packets, delivered in random-sized
 * chunks (and sock_recv handing out as little as 1 byte per call) to one
 * firmware instance. Every input: no trap, memory one page with nothing
 * written above the statics, relay moved only by a valid command, and after
 * any disconnect the client back to CONNECTED with the first attempt inside
 * the backoff cap.
 */
import { describe, expect, it } from "vitest";
import { fuzzCi } from "../helpers/fuzz-run.js";
import { BACKOFF_CAP_MS } from "../../sim/tools/fuzz/fuzzers.js";

describe("fuzz: MQTT stream after CONNACK", () => {
  it("survives 45,000 inputs: no trap, constant memory, relay only by valid commands, reconnects after violations", () => {
    const s = fuzzCi("mqtt", 45_000);
    // The generator must actually exercise the paths it claims to.
    expect(s.violations).toBeGreaterThan(s.inputs / 4);
    expect(s.relayChanges).toBeGreaterThan(100);
    expect(s.maxReconnectMs).toBeLessThanOrEqual(BACKOFF_CAP_MS + 1500);
  }, 120_000);
});
