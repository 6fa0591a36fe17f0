/**
 * Issue 13, class 3: a host clock that breaks the contract of docs/ABI.md
 * ("Clock": monotonic u32 ms, wrapping) never weakens a pump rule and never
 * pushes a deadline weeks away.
 *
 * For every state below and every anomaly (steps back of 1 ms, 20 s, 1 h;
 * jumps forward of 1, 25 and 40 days) the host's `now` is changed while the
 * physical (virtual) time goes on normally:
 * - after a step back, the state's pending deadline still falls due after the
 *   remaining time R (measured in physical time), not earlier and not later
 *   (a step back counts as zero elapsed);
 * - after a jump forward, the deadline is due within one tick, and the timer
 *   that follows restarts from the new time (e.g. a full lock-out after a max
 *   run cut-off);
 * - afterwards the sensor keeps reading and no tick asks for more than one
 *   reading interval (the next reading is always a deadline).
 */
import { describe, expect, it } from "vitest";
import { FakeLink, type FirmwareRig } from "../../sim/tools/fuzz/rig.js";
import { FUZZ_CONFIG } from "../../sim/tools/fuzz/fuzzers.js";

/** The rigs' reading interval: the longest a running device ever sleeps (the next reading is always a deadline). */
const READING_INTERVAL_MS = Number(FUZZ_CONFIG.reading_interval_ms);
import { C, R, S, connectedRig, makeRig, readings, run, sendCmd, timeUntil } from "./helpers.js";

const DAY = 86_400_000;
const ANOMALIES: { name: string; deltaMs: number; back: boolean }[] = [
  { name: "step back 1 ms", deltaMs: -1, back: true },
  { name: "step back 20 s", deltaMs: -20_000, back: true },
  { name: "step back 1 h", deltaMs: -3_600_000, back: true },
  { name: "jump 1 day", deltaMs: DAY, back: false },
  { name: "jump 25 days", deltaMs: 25 * DAY, back: false },
  { name: "jump 40 days", deltaMs: 40 * DAY, back: false },
];

/** Host clock anomaly, then one tick at the same physical instant. */
function anomaly(rig: FirmwareRig, deltaMs: number): void {
  rig.tick(); // the last tick before the anomaly is at this very instant
  rig.hostOffsetMs = (rig.hostOffsetMs + deltaMs) % 2 ** 32;
  rig.tick();
}

/** Physical ms the tick before `cond` became true may lag: one 100 ms step plus slack. */
const TOL = 250;

interface Scenario {
  name: string;
  /** A fresh rig that has just entered the state: its deadline is `full` ms of physical time away. */
  enter(): FirmwareRig;
  full: number;
  /** Either an event to wait for... */
  event?: (rig: FirmwareRig) => boolean;
  /** ...or a probe at a given time: true when the deadline has passed (a command now succeeds). */
  probe?: (rig: FirmwareRig) => boolean;
  /** After the event (forward jumps and back steps alike): the follow-up timer restarted from then. */
  after?: (rig: FirmwareRig) => void;
}

const SCENARIOS: Scenario[] = [
  {
    name: "pump on (min on time)",
    full: 60_000,
    enter() {
      const rig = connectedRig({ min_on_s: 60 });
      sendCmd(rig, "on");
      expect(rig.relay).toBe(true);
      return rig;
    },
    probe(rig) {
      sendCmd(rig, "off");
      return !rig.relay;
    },
  },
  {
    name: "pump on (max run time)",
    full: 60_000,
    enter() {
      const rig = connectedRig({ max_run_s: 60, lockout_s: 120 });
      sendCmd(rig, "on");
      expect(rig.relay).toBe(true);
      return rig;
    },
    event: (rig) => !rig.relay,
    after(rig) {
      // the lock-out runs its full 120 s from the cut-off, in physical time
      run(rig, 100_000);
      sendCmd(rig, "on");
      expect(rig.relay, "pump restarted during the lock-out").toBe(false);
      expect(rig.x.pump_last_refusal()).toBe(R.LOCKOUT);
      run(rig, 25_000);
      sendCmd(rig, "on");
      expect(rig.relay, "lock-out never ended").toBe(true);
    },
  },
  {
    name: "lock-out",
    full: 60_000,
    enter() {
      const rig = connectedRig({ max_run_s: 10, lockout_s: 60 });
      sendCmd(rig, "on");
      expect(timeUntil(rig, () => !rig.relay, 11_000, 10)).toBeGreaterThan(9_000);
      return rig;
    },
    probe(rig) {
      // the lock-out is over when an "on" is no longer refused for LOCKOUT (the level may be
      // unknown for a moment after a jump: the reading went stale, a new one starts at once)
      const lockouts = rig.counter(C.REFUSAL_BASE + R.LOCKOUT);
      sendCmd(rig, "on");
      return rig.relay || rig.counter(C.REFUSAL_BASE + R.LOCKOUT) === lockouts;
    },
  },
  {
    name: "waiting for CONNACK",
    full: 10_000,
    enter() {
      const rig = makeRig({ mqtt_connect_timeout_ms: 10_000, mqtt_backoff_base_ms: 30_000, mqtt_backoff_cap_ms: 30_000 });
      rig.link.peerAuto = false; // the broker accepts TCP, never answers CONNECT
      expect(timeUntil(rig, () => rig.state === S.AWAITING_CONNACK, 1000, 1)).toBeGreaterThanOrEqual(0);
      return rig;
    },
    event: (rig) => rig.state !== S.AWAITING_CONNACK,
    after(rig) {
      // the backoff (30 s) starts from the timeout, not weeks away
      const n = rig.link.connects.length;
      expect(timeUntil(rig, () => rig.link.connects.length > n, 32_000)).toBeGreaterThan(29_000);
    },
  },
  {
    name: "backing off",
    full: 30_000,
    enter() {
      const link = new FakeLink();
      link.refuse = true; // every connect fails at once
      const rig = makeRig({ mqtt_backoff_base_ms: 30_000, mqtt_backoff_cap_ms: 30_000 }, 1, link);
      expect(timeUntil(rig, () => rig.state === S.BACKING_OFF, 1000, 1)).toBeGreaterThanOrEqual(0);
      (rig as unknown as { attempts: number }).attempts = rig.link.connects.length;
      return rig;
    },
    event: (rig) => rig.link.connects.length > (rig as unknown as { attempts: number }).attempts,
  },
  {
    name: "guard open",
    full: 10_000,
    enter() {
      // level 42 % with a 40 % cut-off: a platform "on" is refused, the device reports "off" and guards it for 10 s
      const rig = connectedRig({ high_cutoff_pct: 40, cutoff_hysteresis_pct: 0 });
      sendCmd(rig, "on");
      expect(rig.x.pump_last_refusal()).toBe(R.HIGH_LEVEL);
      return rig;
    },
    probe(rig) {
      const stale = rig.counter(C.STALE_ECHO);
      sendCmd(rig, "on");
      return rig.counter(C.STALE_ECHO) === stale; // processed, not dropped as a stale echo
    },
  },
];

/** The firmware still works after the anomaly: readings go on, no tick asks for more than one reading interval. */
function checkLive(rig: FirmwareRig): void {
  const n = readings(rig);
  let maxWait = 0;
  for (let t = 0; t < 30_000; t += 100) maxWait = Math.max(maxWait, rig.advance(100));
  expect(readings(rig) - n, "readings stopped after the clock anomaly").toBeGreaterThanOrEqual(2);
  expect(maxWait).toBeLessThanOrEqual(READING_INTERVAL_MS);
}

describe("clock anomalies never weaken a pump rule nor push a deadline weeks away", () => {
  for (const sc of SCENARIOS) {
    // just entered (timers set in the very last tick: a 1 ms step back must not read as 49.7 days)
    // and near its deadline
    for (const pre of [0, sc.full - 3_000]) {
      const remaining = sc.full - pre;
      const setup = (): FirmwareRig => { const rig = sc.enter(); if (pre > 0) run(rig, pre); return rig; };
      for (const a of ANOMALIES) {
        it(`${sc.name}, ${pre === 0 ? "just entered" : `${remaining / 1000} s left`}: ${a.name}`, () => {
          if (sc.event) {
            const rig = setup();
            expect(sc.event(rig), "deadline passed before the anomaly").toBe(false);
            anomaly(rig, a.deltaMs);
            const t = timeUntil(rig, () => sc.event!(rig), remaining + 5_000);
            if (a.back) {
              expect(t, "deadline fell due early (rule weakened)").toBeGreaterThanOrEqual(remaining - TOL);
              expect(t, "deadline pushed away").toBeLessThanOrEqual(remaining + TOL);
            } else {
              expect(t, "due deadline not due within one tick of the jump").toBe(0);
            }
            sc.after?.(rig);
            checkLive(rig);
          } else {
            // probe before and after the remaining time, each on a fresh rig
            const early = setup();
            anomaly(early, a.deltaMs);
            if (a.back) {
              run(early, remaining - 1000);
              expect(sc.probe!(early), "deadline passed early (rule weakened)").toBe(false);
              const late = setup();
              anomaly(late, a.deltaMs);
              run(late, remaining + 1000);
              expect(sc.probe!(late), "deadline pushed away").toBe(true);
              checkLive(late);
            } else {
              expect(sc.probe!(early), "due deadline not due right after the jump").toBe(true);
              checkLive(early);
            }
          }
        });
      }
    }
  }

  it("counts steps back and clamped jumps (counters 82, 83)", () => {
    const rig = connectedRig();
    anomaly(rig, -5);
    expect(rig.counter(C.CLOCK_BACK)).toBe(1);
    anomaly(rig, 40 * DAY);
    expect(rig.counter(C.CLOCK_JUMP)).toBe(1);
  });

  it("a sane clock across the u32 wrap is not an anomaly", () => {
    const rig = connectedRig();
    rig.hostOffsetMs = (2 ** 32 - rig.nowMs() - 5_000) % 2 ** 32; // wraps 5 s from now
    rig.tick();
    const before = rig.counter(C.CLOCK_BACK) + rig.counter(C.CLOCK_JUMP);
    run(rig, 20_000);
    expect(rig.counter(C.CLOCK_BACK) + rig.counter(C.CLOCK_JUMP)).toBe(before);
  });
});
