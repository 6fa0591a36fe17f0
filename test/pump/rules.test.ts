/**
 * Pump rules, one by one: power-on states, minimum on/off time, maximum run
 * and lock-out, cut-offs with hysteresis, unknown level, disabled pump,
 * automatic mode and its precedence, the button, forced off.
 */
import { describe, test, expect, beforeAll } from "vitest";
import { compileEntry, instantiate, R, SRC, type Fw } from "../sensor/harness.js";

let mod: WebAssembly.Module;
beforeAll(() => { mod = compileEntry("pump-rules"); });

const RELAY = 7;
const BTN = 9;
const S = 1000;
const BASE = {
  relayPin: RELAY, relayActiveHigh: 1, pumpMode: 1, powerOn: 0, minOnMs: 10 * S, minOffMs: 10 * S,
  maxRunMs: 60 * S, lockoutMs: 30 * S, highCutoffPermille: 950, lowCutoffPermille: 100,
  hysteresisPermille: 50, unknownOffMs: 30 * S, autoMode: 0, buttonPin: -1,
};

function pumpFw(extra: Record<string, number> = {}, level = 500, hal?: Fw["hal"]): Fw {
  const fw = instantiate(mod, hal);
  fw.set({ ...BASE, ...extra });
  fw.x.pumpTestSetLevel(level);
  fw.hal.keepLogs = true;
  return fw;
}
const pin = (fw: Fw): number | undefined => fw.hal.pins.get(RELAY);
const req = (fw: Fw, on: boolean, t: number, src: number = SRC.PLATFORM): number => fw.x.pumpRequest(on ? 1 : 0, src, t);

describe("power-on and basic switching", () => {
  test("power-on drives the relay off (active high and active low)", () => {
    const a = pumpFw();
    expect(a.x.pumpInit(0)).toBe(0);
    expect(a.hal.modes.get(RELAY)).toBe(1);
    expect(pin(a)).toBe(0);
    const b = pumpFw({ relayActiveHigh: 0 });
    b.x.pumpInit(0);
    expect(pin(b)).toBe(1);
    expect(b.x.relayIsOn()).toBe(0);
  });

  test("relay gpio failure fails init", () => {
    const fw = pumpFw();
    fw.hal.gpioFail = true;
    expect(fw.x.pumpInit(0)).toBeLessThan(0);
  });

  test("minimum off time counts from boot; every refusal is named, counted and logged", () => {
    const fw = pumpFw();
    fw.x.pumpInit(0);
    expect(req(fw, true, 3 * S)).toBe(R.MIN_OFF_TIME);
    expect(pin(fw)).toBe(0);
    expect(fw.x.pumpLastRefusal()).toBe(R.MIN_OFF_TIME);
    expect(fw.x.counter(64 + R.MIN_OFF_TIME)).toBe(1);
    expect(fw.hal.logs.some((l) => l.includes("MIN_OFF_TIME"))).toBe(true);
    expect(req(fw, true, 10 * S)).toBe(0);
    expect(pin(fw)).toBe(1);
    expect(fw.x.counter(80)).toBe(1);
    expect(fw.x.pumpChangeSeq()).toBe(1);
    expect(fw.x.pumpLastChangeSource()).toBe(SRC.PLATFORM);
    expect(req(fw, true, 11 * S)).toBe(0); // already on
    expect(fw.x.counter(80)).toBe(1);
  });

  test("minimum on time refuses an early off; then off; then minimum off again", () => {
    const fw = pumpFw();
    fw.x.pumpInit(0);
    req(fw, true, 10 * S);
    expect(req(fw, false, 15 * S)).toBe(R.MIN_ON_TIME);
    expect(pin(fw)).toBe(1);
    expect(req(fw, false, 20 * S)).toBe(0);
    expect(pin(fw)).toBe(0);
    expect(req(fw, true, 25 * S)).toBe(R.MIN_OFF_TIME);
    expect(req(fw, true, 30 * S)).toBe(0);
  });

  test("maximum run time, then lock-out", () => {
    const fw = pumpFw();
    fw.x.pumpInit(0);
    req(fw, true, 10 * S);
    fw.x.pumpTick(69 * S);
    expect(pin(fw)).toBe(1);
    fw.x.pumpTick(70 * S);
    expect(pin(fw)).toBe(0);
    expect(fw.x.pumpLastChangeSource()).toBe(SRC.SAFETY);
    expect(req(fw, true, 90 * S)).toBe(R.LOCKOUT);
    expect(req(fw, true, 99 * S, SRC.BUTTON)).toBe(R.LOCKOUT);
    expect(fw.x.counter(64 + R.LOCKOUT)).toBe(2);
    expect(req(fw, true, 100 * S)).toBe(0);
  });

  test("tick asks to be called back at the next deadline, and without one sleeps as long as the firmware allows", () => {
    const NO_DEADLINE = 86_400_000; // assembly/tunables.ts NO_DEADLINE_MS
    const fw = pumpFw();
    fw.x.pumpInit(0);
    expect(fw.x.pumpTick(4 * S)).toBe(6 * S);           // min off time ends at 10 s
    req(fw, true, 10 * S);
    expect(fw.x.pumpTick(15 * S)).toBe(5 * S);          // min on time ends at 20 s
    expect(fw.x.pumpTick(69_500)).toBe(500);            // max run at 70 s
    expect(fw.x.pumpTick(70 * S)).toBe(1);              // cut: lock-out 30 s, min off 10 s
    expect(pin(fw)).toBe(0);
    expect(fw.x.pumpTick(75 * S)).toBe(5 * S);          // min off time ends at 80 s
    expect(fw.x.pumpTick(81 * S)).toBe(19 * S);         // lock-out ends at 100 s
    expect(fw.x.pumpTick(101 * S)).toBe(NO_DEADLINE);   // nothing pending
    fw.x.pumpTestSetLevel(-1);
    expect(fw.x.pumpTick(102 * S)).toBe(30 * S);        // unknown level: the cut-off after unknown_level_off
    expect(fw.x.pumpTick(132 * S)).toBe(NO_DEADLINE);
  });
});

describe("cut-offs and unknown level", () => {
  test("fill: high-level cut-off with hysteresis, stops a running pump even within minimum on time", () => {
    const fw = pumpFw();
    fw.x.pumpInit(0);
    fw.x.pumpTestSetLevel(960);
    expect(req(fw, true, 20 * S)).toBe(R.HIGH_LEVEL);
    fw.x.pumpTestSetLevel(920);
    expect(req(fw, true, 21 * S)).toBe(R.HIGH_LEVEL); // not yet 5 % inside
    fw.x.pumpTestSetLevel(900);
    expect(req(fw, true, 22 * S)).toBe(0);
    fw.x.pumpTestSetLevel(950);
    fw.x.pumpTick(23 * S);
    expect(pin(fw)).toBe(0);
    expect(fw.x.pumpLastChangeSource()).toBe(SRC.SAFETY);
  });

  test("drain: low-level cut-off with hysteresis", () => {
    const fw = pumpFw({ pumpMode: 2 });
    fw.x.pumpInit(0);
    fw.x.pumpTestSetLevel(80);
    expect(req(fw, true, 20 * S)).toBe(R.LOW_LEVEL);
    fw.x.pumpTestSetLevel(140);
    expect(req(fw, true, 21 * S)).toBe(R.LOW_LEVEL);
    fw.x.pumpTestSetLevel(150);
    expect(req(fw, true, 22 * S)).toBe(0);
    fw.x.pumpTestSetLevel(100);
    fw.x.pumpTick(23 * S);
    expect(pin(fw)).toBe(0);
    // a high level is no reason to refuse in drain mode
    fw.x.pumpTestSetLevel(990);
    expect(req(fw, true, 40 * S)).toBe(0);
  });

  test("level unknown: refuse on; switch off after unknown_level_off", () => {
    const fw = pumpFw({ maxRunMs: 600 * S });
    fw.x.pumpInit(0);
    fw.x.pumpTestSetLevel(-1);
    expect(req(fw, true, 20 * S)).toBe(R.LEVEL_UNKNOWN);
    fw.x.pumpTestSetLevel(500);
    expect(req(fw, true, 21 * S)).toBe(0);
    fw.x.pumpTestSetLevel(-1);
    fw.x.pumpTick(22 * S);
    fw.x.pumpTick(51 * S);
    expect(pin(fw)).toBe(1);
    fw.x.pumpTestSetLevel(500); // known again: the unknown timer restarts
    fw.x.pumpTick(52 * S);
    fw.x.pumpTestSetLevel(-1);
    fw.x.pumpTick(53 * S);
    fw.x.pumpTick(82 * S);
    expect(pin(fw)).toBe(1);
    fw.x.pumpTick(83 * S);
    expect(pin(fw)).toBe(0);
  });

  test("pump mode none or no relay pin: on is refused as DISABLED", () => {
    const a = pumpFw({ pumpMode: 0 });
    a.x.pumpInit(0);
    expect(req(a, true, 100 * S)).toBe(R.DISABLED);
    expect(req(a, false, 100 * S)).toBe(0);
    const b = pumpFw({ relayPin: -1 });
    b.x.pumpInit(0);
    expect(req(b, true, 100 * S)).toBe(R.DISABLED);
    expect(b.hal.writes.length).toBe(0);
  });
});

describe("power-on options", () => {
  test("last: restored from kv, still through the rules", () => {
    const fw = pumpFw({ powerOn: 2 }, -1);
    fw.hal.kv.set("pump", Uint8Array.of(0x31));
    fw.x.pumpInit(0);
    expect(pin(fw)).toBe(0);
    fw.x.pumpTick(5 * S);
    expect(pin(fw)).toBe(0);
    fw.x.pumpTick(12 * S); // min off passed, level still unknown
    expect(pin(fw)).toBe(0);
    fw.x.pumpTestSetLevel(400);
    fw.x.pumpTick(13 * S);
    expect(pin(fw)).toBe(1);
    expect(fw.x.pumpLastChangeSource()).toBe(SRC.BOOT);
    req(fw, false, 30 * S);
    expect(fw.hal.kv.get("pump")).toEqual(Uint8Array.of(0x30));
  });

  test("last: a stored on refused for a lasting reason is dropped", () => {
    const fw = pumpFw({ powerOn: 2 }, 990);
    fw.hal.kv.set("pump", Uint8Array.of(0x31));
    fw.x.pumpInit(0);
    fw.x.pumpTick(11 * S);
    expect(fw.x.pumpLastRefusal()).toBe(R.HIGH_LEVEL);
    fw.x.pumpTestSetLevel(500);
    fw.x.pumpTick(12 * S);
    expect(pin(fw)).toBe(0);
  });

  test("last: an early platform off cancels the stored on", () => {
    const fw = pumpFw({ powerOn: 2 });
    fw.hal.kv.set("pump", Uint8Array.of(0x31));
    fw.x.pumpInit(0);
    req(fw, false, 1 * S);
    fw.x.pumpTick(20 * S);
    expect(pin(fw)).toBe(0);
  });

  test("follow: off until the platform's first state, which waits for minimum off time", () => {
    const fw = pumpFw({ powerOn: 1 });
    fw.x.pumpInit(0);
    fw.x.pumpTick(1 * S);
    expect(pin(fw)).toBe(0);
    expect(req(fw, true, 2 * S)).toBe(R.MIN_OFF_TIME); // e.g. a retained message right after connecting
    fw.x.pumpTick(9 * S);
    expect(pin(fw)).toBe(0);
    fw.x.pumpTick(10 * S);
    expect(pin(fw)).toBe(1);
    expect(fw.x.pumpLastChangeSource()).toBe(SRC.PLATFORM);
  });

  test("follow: a later platform off cancels a pending first on (even though the relay is already off)", () => {
    const fw = pumpFw({ powerOn: 1 });
    fw.x.pumpInit(0);
    expect(req(fw, true, 2 * S)).toBe(R.MIN_OFF_TIME);
    expect(req(fw, false, 4 * S)).toBe(0); // already off: no change, but the command counts
    expect(req(fw, true, 6 * S)).toBe(R.MIN_OFF_TIME); // only the first platform state is deferred
    fw.x.pumpTick(20 * S);
    expect(pin(fw)).toBe(0);
  });

  test("off (default): an early platform on is refused and not retried", () => {
    const fw = pumpFw();
    fw.x.pumpInit(0);
    expect(req(fw, true, 2 * S)).toBe(R.MIN_OFF_TIME);
    fw.x.pumpTick(30 * S);
    expect(pin(fw)).toBe(0);
  });
});

describe("automatic mode", () => {
  test("fill: starts at/below start, stops at/above stop, offline (no platform needed)", () => {
    const fw = pumpFw({ autoMode: 1, autoStartPermille: 200, autoStopPermille: 900 }, 500);
    fw.x.pumpInit(0);
    fw.x.pumpTick(20 * S);
    expect(pin(fw)).toBe(0);
    fw.x.pumpTestSetLevel(190);
    fw.x.pumpTick(21 * S);
    expect(pin(fw)).toBe(1);
    expect(fw.x.pumpLastChangeSource()).toBe(SRC.AUTO);
    fw.x.pumpTestSetLevel(905);
    fw.x.pumpTick(25 * S); // min on not reached: stop waits
    expect(pin(fw)).toBe(1);
    expect(fw.x.pumpLastRefusal()).toBe(R.MIN_ON_TIME);
    fw.x.pumpTick(31 * S);
    expect(pin(fw)).toBe(0);
  });

  test("drain: starts at/above start, stops at/below stop", () => {
    const fw = pumpFw({ pumpMode: 2, autoMode: 1, autoStartPermille: 800, autoStopPermille: 300 }, 500);
    fw.x.pumpInit(0);
    fw.x.pumpTestSetLevel(850);
    fw.x.pumpTick(20 * S);
    expect(pin(fw)).toBe(1);
    fw.x.pumpTestSetLevel(250);
    fw.x.pumpTick(40 * S);
    expect(pin(fw)).toBe(0);
  });

  test("a platform command overrides automatic control until the next threshold crossing", () => {
    const fw = pumpFw({ autoMode: 1, autoStartPermille: 200, autoStopPermille: 900 }, 150);
    fw.x.pumpInit(0);
    fw.x.pumpTick(10 * S);
    expect(pin(fw)).toBe(1);
    expect(req(fw, false, 25 * S)).toBe(0); // manual off while below start
    expect(fw.x.pumpAutoInControl()).toBe(0);
    fw.x.pumpTick(40 * S);
    expect(pin(fw)).toBe(0); // auto does not fight the override
    fw.x.pumpTestSetLevel(500);
    fw.x.pumpTick(41 * S);
    expect(req(fw, true, 42 * S)).toBe(0); // manual on in the middle zone
    fw.x.pumpTick(50 * S);
    expect(pin(fw)).toBe(1);
    fw.x.pumpTestSetLevel(910); // crossing into the stop zone: auto takes over again
    fw.x.pumpTick(60 * S);
    expect(pin(fw)).toBe(0);
    expect(fw.x.pumpAutoInControl()).toBe(1);
  });

  test("a platform off while auto waits to start (relay still off) overrides it", () => {
    const fw = pumpFw({ autoMode: 1, autoStartPermille: 200, autoStopPermille: 900 }, 150);
    fw.x.pumpInit(0);
    fw.x.pumpTick(1 * S); // auto wants on; minimum off time from boot holds it back
    expect(pin(fw)).toBe(0);
    expect(fw.x.pumpLastRefusal()).toBe(R.MIN_OFF_TIME);
    expect(req(fw, false, 2 * S)).toBe(0);
    fw.x.pumpTick(20 * S);
    expect(pin(fw)).toBe(0);
  });

  test("automatic control cannot break a rule (high cut-off below the stop level)", () => {
    const fw = pumpFw({ autoMode: 1, autoStartPermille: 200, autoStopPermille: 1000, highCutoffPermille: 900 }, 100);
    fw.x.pumpInit(0);
    fw.x.pumpTick(10 * S);
    expect(pin(fw)).toBe(1);
    fw.x.pumpTestSetLevel(905);
    fw.x.pumpTick(12 * S);
    expect(pin(fw)).toBe(0);
    expect(fw.x.pumpLastChangeSource()).toBe(SRC.SAFETY);
  });
});

describe("button", () => {
  function press(fw: Fw, at: number, holdMs: number): number {
    let t = at;
    fw.hal.pins.set(BTN, 0);
    for (; t < at + holdMs; t += 10) fw.x.pumpTick(t);
    fw.hal.pins.set(BTN, 1);
    for (const end = t + 100; t < end; t += 10) fw.x.pumpTick(t);
    return t;
  }
  test("debounced, active low, toggles through the same rules", () => {
    const fw = pumpFw({ buttonPin: BTN, buttonActiveLow: 1, buttonDebounceMs: 50 });
    fw.hal.pins.set(BTN, 1);
    fw.x.pumpInit(0);
    expect(fw.hal.modes.get(BTN)).toBe(2); // pull-up
    let t = press(fw, 1 * S, 200); // too early: minimum off time
    expect(pin(fw)).toBe(0);
    expect(fw.x.pumpLastRefusal()).toBe(R.MIN_OFF_TIME);
    t = press(fw, 11 * S, 30); // a bounce shorter than the debounce time
    expect(pin(fw)).toBe(0);
    t = press(fw, t, 200);
    expect(pin(fw)).toBe(1);
    expect(fw.x.pumpLastChangeSource()).toBe(SRC.BUTTON);
    t = press(fw, 30 * S, 200);
    expect(pin(fw)).toBe(0);
    expect(fw.x.pumpTick(t)).toBeLessThanOrEqual(25);
  });
  test("a button held at boot does not switch the pump", () => {
    const fw = pumpFw({ buttonPin: BTN, minOffMs: 0 });
    fw.hal.pins.set(BTN, 0);
    fw.x.pumpInit(0);
    for (let t = 0; t < 2000; t += 10) fw.x.pumpTick(t);
    expect(pin(fw)).toBe(0);
  });
});

test("a failing relay write leaves the pump off, is counted, and never asks for a busy loop", () => {
  const fw = pumpFw();
  fw.x.pumpInit(0);
  fw.hal.gpioFail = true;
  expect(req(fw, true, 20 * S)).toBe(-1);
  expect(fw.x.relayIsOn()).toBe(0);
  expect(fw.x.counter(81)).toBeGreaterThanOrEqual(1);
  expect(fw.x.counter(80)).toBe(0);
  for (let t = 21 * S; t < 30 * S; t += 100) expect(fw.x.pumpTick(t)).toBeGreaterThanOrEqual(1);
});

test("forced off ignores every rule", () => {
  const fw = pumpFw();
  fw.x.pumpInit(0);
  req(fw, true, 10 * S);
  fw.x.pumpForceOff();
  expect(pin(fw)).toBe(0);
  expect(fw.x.relayIsOn()).toBe(0);
  expect(fw.x.counter(80)).toBe(2);
});
