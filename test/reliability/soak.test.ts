/**
 * Soak, CI-sized: one simulated week at accelerated virtual time (a few
 * seconds of real time) with household traffic, platform commands, faults
 * of every kind and the firmware's u32 millisecond clock wrapping in the
 * first hour. `npm run soak -- --days N` runs longer.
 */
import { describe, expect, it } from "vitest";
import { runSoak } from "../../sim/tools/fuzz/soak.js";
import { PAGE } from "../../sim/tools/fuzz/rig.js";

describe("soak: a simulated week", () => {
  it("runs 7 days across the clock wrap with faults: no trap, memory constant, always recovers", () => {
    const s = runSoak({ days: 7, seed: Number(process.env.SOAK_SEED ?? 42) });
    console.log(`soak: ${JSON.stringify(s)}`);
    expect(s.virtualMs).toBeGreaterThanOrEqual(7 * 86_400_000);
    expect(s.wraps).toBe(1);
    expect(s.traps).toBe(0);
    expect(s.memoryBytes).toBe(PAGE);
    expect(s.memoryChecks).toBeGreaterThan(10_000);
    for (const f of ["peer-close", "half-open", "broker-down", "garbage", "slow-recv", "send-error"]) expect(s.faults[f] ?? 0, f).toBeGreaterThan(0);
    expect(s.reconnects).toBeGreaterThan(20);
    expect(s.maxHalfOpenDetectMs).toBeLessThanOrEqual(90_000); // 1.5 x keep-alive 60 s
    expect(s.maxReconnectMs).toBeLessThanOrEqual(30_000 + 15_000); // backoff cap + connect
    expect(s.readings).toBeGreaterThan(1000);
    expect(s.maxReadingGapMs).toBeLessThanOrEqual(660_000); // heartbeat 600 s
    expect(s.commands).toBeGreaterThan(50);
    expect(s.commandsObeyed + s.commandsRefused).toBe(s.commands);
    expect(s.commandsObeyed).toBeGreaterThan(s.commands / 2);
  }, 60_000);
});
