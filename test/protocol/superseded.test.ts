/**
 * The whole firmware at virtual time (sim/tools/fuzz/rig.ts, scripted MQTT
 * peer): a reading stored unacknowledged when the link drops is never resent
 * once the device holds a newer reading; without a newer one it is resent
 * (DUP). Property over reading interval, outage length and level steps.
 */
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { FirmwareRig } from "../../sim/tools/fuzz/rig.js";
import { FUZZ_CONFIG } from "../../sim/tools/fuzz/fuzzers.js";

const C_SUPERSEDED = 11;
const stats = [0, 0];
const levelOf = (payload: string): string | undefined => (JSON.parse(payload) as { level?: string }).level;

describe("a superseded reading is never resent", () => {
  it("after an outage the old unacknowledged reading goes out again only if no newer valid reading exists; the latest one always does", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 200, max: 3000 }), fc.integer({ min: 50, max: 6000 }), fc.integer({ min: 20, max: 40 }), fc.integer({ min: 60, max: 90 }),
        async (interval, outage, first, second) => {
          const r = new FirmwareRig({
            config: { ...FUZZ_CONFIG, reading_interval_ms: interval, spike_limit_mm: 0, stale_ms: 3_600_000, mqtt_backoff_base_ms: 100, mqtt_backoff_cap_ms: 100 },
          });
          const link = r.link;
          expect(r.runUntil(() => r.state === 4 && link.uplinks.some((u) => levelOf(u.payload) !== undefined), 20_000)).toBe(true);
          // A reading whose PUBACK never comes, then the link drops with it stored.
          link.autoPuback = false;
          r.hw.tank.levelPct = first;
          expect(r.runUntil(() => link.uplinks.some((u) => levelOf(u.payload) === String(first)), 4 * interval + 2000)).toBe(true);
          const lost = [...link.uplinks].reverse().find((u) => levelOf(u.payload) === String(first))!;
          link.refuse = true;
          link.closeByPeer();
          expect(r.runUntil(() => r.state !== 4, 1000)).toBe(true);
          r.hw.tank.levelPct = second;
          r.runUntil(() => false, outage);
          const newer = r.x.level_permille() === second * 10; // the device took a newer valid reading while offline
          stats[newer ? 1 : 0] = (stats[newer ? 1 : 0] ?? 0) + 1;
          link.autoPuback = true;
          link.refuse = false;
          const conn = link.connects.length + 1;
          expect(r.runUntil(() => r.state === 4 && link.uplinks.some((u) => u.conn >= conn && levelOf(u.payload) === String(second)), 4 * interval + 5000)).toBe(true);
          const resent = link.uplinks.filter((u) => u.conn >= conn && u.payload === lost.payload && u.dup); // a retransmission, not a fresh reading of the same level
          if (newer) {
            expect(resent, "a stored reading resent although a newer one existed").toEqual([]);
            expect(r.counter(C_SUPERSEDED)).toBeGreaterThanOrEqual(1);
          } else {
            // No newer reading yet: the stored one is resent (DUP) or superseded by the newer one published after it.
            expect(resent.length + r.counter(C_SUPERSEDED)).toBeGreaterThanOrEqual(1);
          }
        },
      ),
      { numRuns: 25 },
    );
    console.log(`runs with a newer reading during the outage: ${stats[1]}, without: ${stats[0]}`);
    expect(stats[1]).toBeGreaterThan(0);
  });
});
