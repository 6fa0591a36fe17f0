/**
 * Property test: over random configurations and random sequences of
 * commands (platform and button, requests and physical presses), levels
 * (including unknown) and clock jumps (including across the u32 wrap), no
 * pump rule is ever violated. The relay is observed on the test hal's GPIO
 * pin, time is tracked unwrapped by the checker, the firmware sees it mod 2^32.
 */
import { test, expect, beforeAll } from "vitest";
import fc from "fast-check";
import { compileEntry, instantiate, SRC } from "../sensor/harness.js";

let mod: WebAssembly.Module;
beforeAll(() => { mod = compileEntry("pump-property"); });

const RELAY = 7;
const BTN = 9;
const RUNS = 10_000;

type Action =
  | { k: "req"; on: boolean; src: 0 | 1 }
  | { k: "level"; v: number }
  | { k: "wait"; ms: number }
  | { k: "btn"; down: boolean };

const action: fc.Arbitrary<Action> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ k: fc.constant("req" as const), on: fc.boolean(), src: fc.constantFrom(0 as const, 1 as const) }) },
  { weight: 3, arbitrary: fc.record({ k: fc.constant("level" as const), v: fc.oneof(fc.constant(-1), fc.integer({ min: 0, max: 1000 }), fc.constantFrom(0, 100, 150, 850, 900, 950, 1000)) }) },
  { weight: 5, arbitrary: fc.record({ k: fc.constant("wait" as const), ms: fc.oneof(
    { weight: 4, arbitrary: fc.integer({ min: 0, max: 3000 }) },
    { weight: 5, arbitrary: fc.integer({ min: 0, max: 200_000 }) },
    { weight: 1, arbitrary: fc.integer({ min: 0, max: 2 ** 31 - 1 }) }) }) },
  { weight: 1, arbitrary: fc.record({ k: fc.constant("btn" as const), down: fc.boolean() }) },
);

const config = fc.record({
  pumpMode: fc.constantFrom(0, 1, 1, 2, 2),
  powerOn: fc.constantFrom(0, 1, 2),
  kvOn: fc.boolean(),
  relayActiveHigh: fc.constantFrom(0, 1),
  minOnMs: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 30_000 })),
  minOffMs: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 30_000 })),
  maxRunMs: fc.integer({ min: 10_000, max: 300_000 }),
  lockoutMs: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 300_000 })),
  highCutoffPermille: fc.integer({ min: 500, max: 1000 }),
  lowCutoffPermille: fc.integer({ min: 0, max: 400 }),
  hysteresisPermille: fc.integer({ min: 0, max: 100 }),
  unknownOffMs: fc.integer({ min: 1000, max: 60_000 }),
  autoMode: fc.constantFrom(0, 1),
  autoStartPermille: fc.integer({ min: 0, max: 1000 }),
  autoStopPermille: fc.integer({ min: 0, max: 1000 }),
  button: fc.boolean(),
  buttonDebounceMs: fc.integer({ min: 10, max: 200 }),
  t0: fc.oneof(fc.integer({ min: 0, max: 2 ** 32 - 1 }), fc.integer({ min: 2 ** 32 - 400_000, max: 2 ** 32 - 1 })),
  level0: fc.oneof({ weight: 1, arbitrary: fc.constant(-1) }, { weight: 4, arbitrary: fc.integer({ min: 0, max: 1000 }) }),
});

/** Cheap assertion for the hot loop (vitest's expect is too slow for ~10^6 checks). */
function ok(cond: boolean, what: string): void {
  if (!cond) throw new Error(`rule violated: ${what}`);
}

test(`no pump rule is ever violated (${RUNS} random sequences)`, () => {
  let transitions = 0;
  let refusals = 0;
  fc.assert(fc.property(config, fc.array(action, { minLength: 5, maxLength: 80, size: "large" }), (c, actions) => {
    const fw = instantiate(mod);
    fw.set({
      relayPin: RELAY, relayActiveHigh: c.relayActiveHigh, pumpMode: c.pumpMode, powerOn: c.powerOn,
      minOnMs: c.minOnMs, minOffMs: c.minOffMs, maxRunMs: c.maxRunMs, lockoutMs: c.lockoutMs,
      highCutoffPermille: c.highCutoffPermille, lowCutoffPermille: c.lowCutoffPermille,
      hysteresisPermille: c.hysteresisPermille, unknownOffMs: c.unknownOffMs, autoMode: c.autoMode,
      autoStartPermille: c.autoStartPermille, autoStopPermille: c.autoStopPermille,
      buttonPin: c.button ? BTN : -1, buttonActiveLow: 1, buttonDebounceMs: c.buttonDebounceMs,
    });
    if (c.kvOn) fw.hal.kv.set("pump", Uint8Array.of(0x31));
    fw.hal.pins.set(BTN, 1);
    const relayOn = (): boolean => {
      const p = fw.hal.pins.get(RELAY);
      if (p === undefined) return false;
      return c.relayActiveHigh ? p === 1 : p === 0;
    };

    // ---- checker state (unwrapped time)
    let T = c.t0;
    let level = c.level0;
    const boot = T;
    let lastOff = boot;      // last on→off (or boot)
    let onAt = 0;
    let lockoutFrom = -Infinity;
    let latch = false;       // cut-off latch, updated with the level seen at each call
    let unkSince = -1;       // first call time the level was seen unknown, -1 when known
    const see = (): void => {
      if (level < 0) { if (unkSince < 0) unkSince = T; }
      else {
        unkSince = -1;
        if (c.pumpMode === 1) { if (level >= c.highCutoffPermille) latch = true; else if (level <= c.highCutoffPermille - c.hysteresisPermille) latch = false; }
        if (c.pumpMode === 2) { if (level <= c.lowCutoffPermille) latch = true; else if (level >= c.lowCutoffPermille + c.hysteresisPermille) latch = false; }
      }
    };
    const unknownLong = (): boolean => unkSince >= 0 && T - unkSince >= c.unknownOffMs;
    const fwNow = (): number => T % 2 ** 32;

    let seenWrites = 0;
    let state = false;
    const call = (kind: "tick" | "req", f: () => unknown): number => {
      see();
      const ret = f() as number;
      // every relay write during the call, in order (a call could switch more than once)
      const ws = fw.hal.writes;
      for (; seenWrites < ws.length; seenWrites++) {
        const [p, lv] = ws[seenWrites]!;
        if (p !== RELAY) continue;
        const on = c.relayActiveHigh ? lv === 1 : lv === 0;
        if (!state && on) {
          transitions++;
          ok(c.pumpMode !== 0, "c.pumpMode !== 0");                 // disabled pump never runs
          ok(level >= 0, "level >= 0");         // never on with the level unknown
          ok(latch === false, "latch === false");                       // never on past a cut-off (with hysteresis)
          ok(T - lastOff >= c.minOffMs, "T - lastOff >= c.minOffMs"); // minimum off time (also from boot)
          ok(T - lockoutFrom >= c.lockoutMs, "T - lockoutFrom >= c.lockoutMs"); // lock-out after max run
          onAt = T;
        } else if (state && !on) {
          transitions++;
          const ran = T - onAt;
          const safety = latch || unknownLong() || ran >= c.maxRunMs;
          if (!safety) ok(ran >= c.minOnMs, "ran >= c.minOnMs"); // minimum on time
          if (kind === "tick" && ran >= c.maxRunMs) lockoutFrom = T;
          lastOff = T;
        }
        state = on;
      }
      ok(relayOn() === state, "relayOn() === state");
      ok((fw.x.relayIsOn() === 1) === state, "relay_state() agrees with the pin");
      if (kind === "tick" && state) {
        // after a tick a running pump is within every limit
        ok(T - onAt < c.maxRunMs, "T - onAt < c.maxRunMs");
        ok(latch === false, "latch === false");
        ok(unknownLong() === false, "unknownLong() === false");
      }
      return ret;
    };

    fw.x.pumpTestSetLevel(level);
    const rc = fw.x.pumpInit(fwNow());
    ok(rc === 0, "rc === 0");
    seenWrites = fw.hal.writes.length;
    see();
    ok(relayOn() === false, "relayOn() === false"); // power-on: off, whatever the option
    call("tick", () => fw.x.pumpTick(fwNow()));
    for (const a of actions) {
      if (a.k === "req") {
        call("req", () => {
          const r = fw.x.pumpRequest(a.on ? 1 : 0, a.src === 0 ? SRC.PLATFORM : SRC.BUTTON, fwNow());
          // -2 PUMP_HELD: a platform "on" before the level was ever known is held, not refused
          ok((r >= 0 && r <= 7) || (r === -2 && a.src === 0 && a.on), "refusal reason in 0..7 (or held)");
          if (r > 0) { refusals++; ok(fw.x.pumpLastRefusal() === r, "fw.x.pumpLastRefusal() === r"); }
        });
      } else if (a.k === "level") {
        level = a.v;
        fw.x.pumpTestSetLevel(level);
      } else if (a.k === "btn") {
        fw.hal.pins.set(BTN, a.down ? 0 : 1);
      } else {
        // advance in steps: at most the tick's own wait, or one big jump
        let left = a.ms;
        let steps = 0;
        let w = call("tick", () => fw.x.pumpTick(fwNow())) >>> 0;
        while (left > 0) {
          const d = Math.min(left, steps < 20 ? Math.max(1, w) : left);
          T += d;
          left -= d;
          steps++;
          w = call("tick", () => fw.x.pumpTick(fwNow())) >>> 0;
        }
      }
    }
  }), { numRuns: RUNS, seed: 20261124 });
  // the sequences did exercise the relay
  expect(transitions).toBeGreaterThan(RUNS);
  expect(refusals).toBeGreaterThan(RUNS);
  console.log(`pump property: ${RUNS} sequences, ${transitions} relay transitions, ${refusals} refusals checked`);
}, 300_000);
