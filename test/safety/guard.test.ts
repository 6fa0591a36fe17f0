/**
 * Issue 13, class 4: the no-oscillation guard closes on time. Whatever
 * happens to the device's state report (here: the broker acknowledges no
 * QoS 1 message, so the window is full and the report cannot even be
 * queued), a platform command that arrives GUARD_MS (10 s) after the device
 * state arose is obeyed; one that arrives inside the guard time is still
 * dropped as a stale echo.
 */
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { FakeLink } from "../../sim/tools/fuzz/rig.js";
import { C, R, S, makeRig, reportedStates, run, sendCmd, timeUntil } from "./helpers.js";

const GUARD_MS = 10_000;

describe("guard closes on time, not on a successful publish", () => {
  it("a platform 'off' after the guard time is obeyed while the broker acknowledges nothing (property)", () => {
    fc.assert(fc.property(
      fc.integer({ min: 1, max: 8 }),          // mqtt_inflight: the QoS 1 window
      fc.integer({ min: 1, max: 4_000 }),      // when the refused "off" comes after "on" (inside min on time)
      fc.integer({ min: 300, max: 120_000 }),  // how long after the guard time the platform's "off" comes
      fc.integer({ min: 1, max: 9_000 }),      // a stale "off" inside the guard time
      (inflight, refusedAt, after, staleAt) => {
        const link = new FakeLink();
        link.autoPuback = false; // the broker takes every PUBLISH and acknowledges none
        const rig = makeRig({ mqtt_inflight: inflight, reading_interval_ms: 500, deadband_pct: 0, min_interval_s: 0, min_on_s: 5, max_run_s: 3600 }, 1, link);
        expect(timeUntil(rig, () => rig.state === S.CONNECTED, 5000, 20)).toBeGreaterThanOrEqual(0);
        // readings fill the window: from now on nothing more can be queued
        expect(timeUntil(rig, () => rig.counter(C.DROPPED) > 0, 20_000)).toBeGreaterThanOrEqual(0);
        sendCmd(rig, "on");
        expect(rig.relay).toBe(true);
        run(rig, refusedAt);
        sendCmd(rig, "off"); // refused (min on time): the device holds "on" and must report it
        expect(rig.relay).toBe(true);
        expect(rig.x.pump_last_refusal()).toBe(R.MIN_ON_TIME);
        // inside the guard time a contradicting platform state is a stale echo
        run(rig, staleAt);
        const stale = rig.counter(C.STALE_ECHO);
        sendCmd(rig, "off");
        expect(rig.counter(C.STALE_ECHO)).toBe(stale + 1);
        expect(rig.relay).toBe(true);
        run(rig, GUARD_MS - staleAt + after);
        expect(rig.relay).toBe(true);
        sendCmd(rig, "off");
        expect(rig.relay, "platform locked out longer than the guard time").toBe(false);
        // the report never went out: this is the case the guard must survive
        expect(reportedStates(rig)).not.toContain("on");
        expect(rig.state).toBe(S.CONNECTED);
      },
    ), { numRuns: 40, seed: 4 });
  });
});
