// Pump relay control and its safety rules (docs/SENSING.md, "Pump").
//
// Every on/off request, whatever its source, goes through `pumpRequest`,
// which enforces: minimum on and off time (off also counted from boot),
// maximum run time followed by a lock-out, the high-level cut-off (fill) or
// low-level cut-off (drain) with hysteresis, and "level unknown -> no on".
// `pumpTick` switches off on its own (max run, cut-off, level unknown longer
// than unknown_level_off_s), runs automatic mode and the button.
//
// Precedence (documented in docs/SENSING.md): safety rules > the latest
// manual command (platform or button) > automatic control. A manual command
// overrides automatic control until the level next enters the start or the
// stop zone; entering a zone hands control back to automatic mode.
import { cfg, PowerOn, PumpMode } from "../config";
import { halGpioMode, halGpioWrite, halGpioRead, halKvGet, halKvSet,
  GPIO_OUTPUT, GPIO_INPUT_PULLUP, GPIO_INPUT_PULLDOWN, LOG_WARN, LOG_INFO } from "../hal";
import { count, halFailed, C_PUMP_REFUSAL_BASE, C_PUMP_SWITCHES, C_HAL_ERRORS } from "../app/counters";
import { logBegin, logStr, logInt, logEnd, logWord } from "../app/log";
import { levelPermille } from "../sensor/sensor";
import { elapsed, minU, until, sooner } from "../util/time";
import { NO_DEADLINE_MS } from "../tunables";
import { ascii, Ascii } from "../util/ascii";

export const enum PumpSource { PLATFORM = 0, BUTTON = 1, AUTO = 2, SAFETY = 3, BOOT = 4 }

// Refusal reasons of docs/ABI.md (`pump_last_refusal`).
export const R_NONE: i32 = 0;
export const R_MIN_OFF_TIME: i32 = 1;
export const R_MIN_ON_TIME: i32 = 2;
export const R_LOCKOUT: i32 = 3;
export const R_HIGH_LEVEL: i32 = 4;
export const R_LOW_LEVEL: i32 = 5;
export const R_LEVEL_UNKNOWN: i32 = 6;
export const R_DISABLED: i32 = 7;
/** pumpRequest result when the relay GPIO write failed (state unchanged). */
export const PUMP_HAL_FAILED: i32 = -1;
/**
 * pumpRequest result for a platform "on" that arrived before the level was
 * ever known (e.g. a queued command delivered right after CONNACK): it is
 * held, not refused, and applied by pumpTick as soon as the rules allow, or
 * refused (pumpHeldRefusals() moves) when the level is still unknown
 * unknown_level_off_s after boot or another rule refuses it.
 */
export const PUMP_HELD: i32 = -2;

/** Automatic-mode zones of the level. */
const enum Zone { NONE = 0, START = 1, MIDDLE = 2, STOP = 3 }

const KV_KEY: usize = memory.data<u8>([0x70, 0x75, 0x6D, 0x70]); // "pump"
const KV_KEY_LEN: i32 = 4;
const kvBuf: usize = memory.data(8);
const LEVEL_NO_OVERRIDE: i32 = i32.MIN_VALUE;

let started: bool = false;
let relayOn: bool = false;
let lastChangeAt: u32 = 0;    // last relay change (or init)
let minOnDone: bool = false;  // on for at least min_on since lastChangeAt
let minOffDone: bool = false; // off for at least min_off since lastChangeAt
let lockout: bool = false;
// Rarely touched state in linear memory, not wasm globals (a global costs 48 B of
// WAMR RAM and 32 B of wasm3's; a field its own bytes): zero at instantiation
// (R_NONE, Zone.NONE), lastSource BOOT.
// @ts-ignore: decorator
@unmanaged class PumpCold {
  refusalSeq: u32;
  btnSince: u32;
  btnStable: i32;
  lastRefusal: i32;
  lastSource: PumpSource;
  lockoutAt: u32;
  unknownSince: u32;
  zone: Zone;
  autoRefusedOnce: bool;
  followFirst: bool;
}
const cold = changetype<PumpCold>(memory.data(offsetof<PumpCold>(), 4));
cold.lastSource = PumpSource.BOOT;
// Read on every tick: globals (a field read costs the interpreters a bounds check).
let levelSeen: bool = false;   // a level has been known since init
let levelOverride: i32 = LEVEL_NO_OVERRIDE; // tests only: a level that replaces the sensor's
let cutLatched: bool = false; // fill: level reached high cut-off; drain: low cut-off
/** What the pump rules know of the level. */
const enum LevelState {
  KNOWN = 0,
  /** Unknown since unknownSince, for less than unknown_level_off_s. */
  UNKNOWN = 1,
  /** Unknown for at least unknown_level_off_s: the relay is switched off and a held "on" refused. */
  UNKNOWN_LONG = 2,
}
let levelState: LevelState = LevelState.KNOWN;
let changeSeq: u32 = 0;
// Power-on "follow"/"last": an on that waits until the rules allow it.
let pendingOn: bool = false;
let pendingSource: PumpSource = PumpSource.BOOT;
let heldRefusals: u32 = 0;     // pending platform "on"s finally refused (to be reported)
// Automatic mode.
let autoActive: bool = false;
let autoWant: bool = false;
// Button.
let btnRaw: i32 = 0;

function pumpPresent(): bool {
  return cfg.relayPin >= 0 && cfg.pumpMode != PumpMode.NONE;
}

// @ts-ignore: PUMP_TEST_HOOKS is a compile-time constant (asc --use) that only
// the test entry test/as/sensor-entry.ts sets (test/sensor/harness.ts): the
// release module has neither the override nor its check.
const TEST_HOOKS: bool = isDefined(PUMP_TEST_HOOKS);

function level(): i32 {
  return TEST_HOOKS && levelOverride != LEVEL_NO_OVERRIDE ? levelOverride : levelPermille();
}

/** Log names of the refusal reasons (R_*, by value) and of the sources (PumpSource, by value). */
const REASON_NAMES: Ascii = ascii("NONE MIN_OFF_TIME MIN_ON_TIME LOCKOUT HIGH_LEVEL LOW_LEVEL LEVEL_UNKNOWN DISABLED");
const SOURCE_NAMES: Ascii = ascii("platform button auto safety boot");

/** Saturating timers: once a limit has passed it stays passed (immune to the u32 wrap). */
function refresh(now: u32): void {
  const since = elapsed(now, lastChangeAt);
  if (relayOn) { if (!minOnDone && since >= cfg.minOnMs) minOnDone = true; }
  else if (!minOffDone && since >= cfg.minOffMs) minOffDone = true;
  if (lockout && elapsed(now, cold.lockoutAt) >= cfg.lockoutMs) lockout = false;
  const l = level();
  if (l < 0) {
    if (levelState == LevelState.KNOWN) { levelState = LevelState.UNKNOWN; cold.unknownSince = now; }
    if (levelState == LevelState.UNKNOWN && elapsed(now, cold.unknownSince) >= cfg.unknownOffMs) levelState = LevelState.UNKNOWN_LONG;
  } else {
    levelState = LevelState.KNOWN;
    levelSeen = true;
    updateCutoff(l);
  }
}

/** Cut-off latch with hysteresis; `l` is a known level in 0.1 %. */
function updateCutoff(l: i32): void {
  const mode = cfg.pumpMode;
  if (mode == PumpMode.FILL) {
    const high = cfg.highCutoffPermille;
    if (l >= high) cutLatched = true;
    else if (l <= high - cfg.hysteresisPermille) cutLatched = false;
  } else if (mode == PumpMode.DRAIN) {
    const low = cfg.lowCutoffPermille;
    if (l <= low) cutLatched = true;
    else if (l >= low + cfg.hysteresisPermille) cutLatched = false;
  } else {
    cutLatched = false;
  }
}

/** Why switching on would break a rule now (R_NONE when allowed). Call refresh() first. */
function checkOn(): i32 {
  if (!pumpPresent()) return R_DISABLED;
  if (lockout) return R_LOCKOUT;
  if (level() < 0) return R_LEVEL_UNKNOWN;
  if (cutLatched) return cfg.pumpMode == PumpMode.DRAIN ? R_LOW_LEVEL : R_HIGH_LEVEL;
  if (!minOffDone) return R_MIN_OFF_TIME;
  return R_NONE;
}

/** Why switching off would break a rule now; safety stops are never refused. */
function checkOff(source: PumpSource): i32 {
  if (source == PumpSource.SAFETY) return R_NONE;
  if (!minOnDone) return R_MIN_ON_TIME;
  return R_NONE;
}

function refuse(reason: i32, on: bool, source: PumpSource): i32 {
  cold.lastRefusal = reason;
  cold.refusalSeq++;
  count(C_PUMP_REFUSAL_BASE + reason);
  logBegin();
  logStr(ascii("pump: refused "));
  logStr(on ? ascii("on") : ascii("off"));
  logStr(ascii(" from "));
  logWord(SOURCE_NAMES, <i32>source);
  logStr(ascii(": "));
  logWord(REASON_NAMES, reason);
  logEnd(LOG_WARN);
  return reason;
}

function relayLevel(on: bool): i32 {
  return on == cfg.relayActiveHigh ? 1 : 0;
}

function storeLast(on: bool): void {
  if (cfg.powerOn != PowerOn.LAST) return;
  store<u8>(kvBuf, on ? 0x31 : 0x30);
  halFailed(halKvSet(KV_KEY, KV_KEY_LEN, kvBuf, 1));
}

/** Drives the relay; 0 ok, PUMP_HAL_FAILED when the GPIO write failed (state unchanged). */
function setRelay(on: bool, source: PumpSource, now: u32): i32 {
  const pin = cfg.relayPin;
  if (halFailed(halGpioWrite(pin, relayLevel(on)))) {
    if (on) halGpioWrite(pin, relayLevel(false));
    return PUMP_HAL_FAILED;
  }
  relayOn = on;
  lastChangeAt = now;
  minOnDone = cfg.minOnMs == 0;
  minOffDone = cfg.minOffMs == 0;
  changeSeq++;
  cold.lastSource = source;
  count(C_PUMP_SWITCHES);
  storeLast(on);
  logBegin();
  logStr(ascii("pump: "));
  logStr(on ? ascii("on") : ascii("off"));
  logStr(ascii(" by "));
  logWord(SOURCE_NAMES, <i32>source);
  logEnd(LOG_INFO);
  return 0;
}

function isTransient(reason: i32): bool {
  return reason == R_MIN_OFF_TIME || reason == R_LEVEL_UNKNOWN;
}

// ------------------------------------------------------------------ exports

/** Drives the relay to off (or the configured power-on state, within the rules); 0 ok, <0 hal failure. */
export function pumpInit(nowMs: u32): i32 {
  started = true;
  relayOn = false;
  lastChangeAt = nowMs;
  minOnDone = false;
  minOffDone = cfg.minOffMs == 0;
  lockout = false;
  cutLatched = false;
  levelState = LevelState.KNOWN;
  levelSeen = false;
    pendingOn = false;
  const powerOn = cfg.powerOn;
  cold.followFirst = powerOn == PowerOn.FOLLOW;
    autoActive = false;
  const relay = cfg.relayPin;
  if (relay >= 0) {
    if (halFailed(halGpioMode(relay, GPIO_OUTPUT))) return -1;
    if (halFailed(halGpioWrite(relay, relayLevel(false)))) return -1;
  }
  const button = cfg.buttonPin;
  if (button >= 0) {
    const activeLow = cfg.buttonActiveLow;
    if (halFailed(halGpioMode(button, activeLow ? GPIO_INPUT_PULLUP : GPIO_INPUT_PULLDOWN))) return -1;
    const v = halGpioRead(button);
    btnRaw = v < 0 ? (activeLow ? 1 : 0) : (v != 0 ? 1 : 0);
    cold.btnStable = btnRaw; // a button held at boot does not toggle
    cold.btnSince = nowMs;
  }
  if (powerOn == PowerOn.LAST && pumpPresent()) {
    const n = halKvGet(KV_KEY, KV_KEY_LEN, kvBuf, 8);
    if (n < -1) count(C_HAL_ERRORS);
    if (n >= 1 && load<u8>(kvBuf) == 0x31) {
      pendingOn = true;
      pendingSource = PumpSource.BOOT;
    }
  }
  refresh(nowMs);
  return 0;
}

/** Every on/off request goes through here. 0 = done (or already so); > 0 = refusal reason (docs/ABI.md); -1 relay write failed. */
export function pumpRequest(on: bool, source: PumpSource, nowMs: u32): i32 {
  if (!started) return on ? refuse(R_DISABLED, on, source) : 0;
  refresh(nowMs);
  if (source == PumpSource.PLATFORM || source == PumpSource.BUTTON) {
    autoActive = false; // manual override until the next zone entry
    pendingOn = false;
  }
  let firstFollow = false;
  if (source == PumpSource.PLATFORM && cold.followFirst) { cold.followFirst = false; firstFollow = true; }
  if (on == relayOn) return 0;
  const reason = on ? checkOn() : checkOff(source);
  if (reason != R_NONE) {
    if (source == PumpSource.PLATFORM && reason == R_LEVEL_UNKNOWN && !levelSeen && levelState != LevelState.UNKNOWN_LONG) {
      pendingOn = true; // before the first reading: hold it (PUMP_HELD)
      pendingSource = PumpSource.PLATFORM;
      return PUMP_HELD;
    }
    if (firstFollow && on && isTransient(reason)) {
      pendingOn = true;
      pendingSource = PumpSource.PLATFORM;
    }
    return refuse(reason, on, source);
  }
  return setRelay(on, source, nowMs);
}

/** What is left of `limit` ms `since` ms after its start (0 once it has passed). */
function leftOf(limit: u32, since: u32): u32 {
  return limit > since ? limit - since : 0;
}

/** Automatic-mode zone of a known level `l` (0.1 %) for the pump mode. */
function zoneOf(l: i32): Zone {
  const start = cfg.autoStartPermille;
  const stop = cfg.autoStopPermille;
  if (cfg.pumpMode == PumpMode.FILL) {
    if (l <= start) return Zone.START;
    if (l >= stop) return Zone.STOP;
  } else {
    if (l >= start) return Zone.START;
    if (l <= stop) return Zone.STOP;
  }
  return Zone.MIDDLE;
}

function pollButton(now: u32): void {
  const v = halGpioRead(cfg.buttonPin);
  if (v < 0) { count(C_HAL_ERRORS); return; }
  const raw = v != 0 ? 1 : 0;
  if (raw != btnRaw) { btnRaw = raw; cold.btnSince = now; return; }
  if (raw != cold.btnStable && elapsed(now, cold.btnSince) >= cfg.buttonDebounceMs) {
    cold.btnStable = raw;
    const pressed = cfg.buttonActiveLow ? raw == 0 : raw == 1;
    if (pressed) pumpRequest(!relayOn, PumpSource.BUTTON, now);
  }
}

/** Rules that act on their own (max run, cut-offs, unknown level, auto, button); ms until next needed tick. */
export function pumpTick(nowMs: u32): u32 {
  if (!started) return NO_DEADLINE_MS;
  const now = nowMs;
  refresh(now);
  if (!pumpPresent()) {
    if (relayOn) setRelay(false, PumpSource.SAFETY, now);
    return NO_DEADLINE_MS;
  }
  // Safety stops. A tick that stopped the pump changes nothing else (one
  // relay change per tick: a stop is never followed by a restart in the same instant).
  if (relayOn) {
    if (elapsed(now, lastChangeAt) >= cfg.maxRunMs) {
      if (setRelay(false, PumpSource.SAFETY, now) == 0) {
        const lockoutMs = cfg.lockoutMs;
        lockout = lockoutMs > 0;
        cold.lockoutAt = now;
        logBegin(); logStr(ascii("pump: max run, lock-out s=")); logInt(<i32>(lockoutMs / 1000)); logEnd(LOG_WARN);
      }
      return 1;
    } else if (cutLatched || levelState == LevelState.UNKNOWN_LONG) {
      setRelay(false, PumpSource.SAFETY, now);
      return 1;
    }
  }
  if (cfg.buttonPin >= 0) pollButton(now);
  // Power-on "follow"/"last" waiting for the rules.
  if (pendingOn) {
    if (relayOn) pendingOn = false;
    else {
      const r = checkOn();
      if (r == R_NONE) { pendingOn = false; setRelay(true, pendingSource, now); }
      else if (!isTransient(r) || levelState == LevelState.UNKNOWN_LONG) {
        pendingOn = false;
        refuse(r, true, pendingSource);
        if (pendingSource == PumpSource.PLATFORM) heldRefusals++;
      }
    }
  }
  // Automatic mode.
  if (cfg.autoMode) {
    const l = level();
    if (l >= 0) {
      const z = zoneOf(l);
      if (z != cold.zone && (z == Zone.START || z == Zone.STOP)) {
        autoActive = true;
        autoWant = z == Zone.START;
        cold.autoRefusedOnce = false;
        pendingOn = false;
      }
      cold.zone = z;
    }
    if (autoActive && relayOn != autoWant) {
      const r = autoWant ? checkOn() : checkOff(PumpSource.AUTO);
      if (r == R_NONE) setRelay(autoWant, PumpSource.AUTO, now);
      else if (!cold.autoRefusedOnce) { cold.autoRefusedOnce = true; refuse(r, autoWant, PumpSource.AUTO); }
    }
  }
  // Next deadline: every timer refresh() and the rules above look at (max
  // run, min on/off, lock-out end, the unknown-level cut); level changes come
  // from the sensor in the same tick.
  let wait: u32 = NO_DEADLINE_MS;
  const since = elapsed(now, lastChangeAt);
  if (relayOn) {
    wait = minU(wait, leftOf(cfg.maxRunMs, since));
    if (!minOnDone) wait = minU(wait, leftOf(cfg.minOnMs, since));
  } else if (!minOffDone) {
    wait = minU(wait, leftOf(cfg.minOffMs, since));
  }
  if (lockout) wait = sooner(wait, now, cold.lockoutAt + cfg.lockoutMs);
  if (levelState == LevelState.UNKNOWN) wait = sooner(wait, now, cold.unknownSince + cfg.unknownOffMs);
  if (cfg.buttonPin >= 0) {
    const d = cfg.buttonDebounceMs / 2;
    wait = minU(wait, d < 5 ? 5 : d);
  }
  return wait == 0 ? 1 : wait; // never 0: a failing relay write must not become a busy loop
}

export function relayIsOn(): bool { return relayOn; }
/**
 * Right after pumpRequest refused a platform "on": true when that "on" is
 * kept pending (power_on "follow": the first platform state waits for a
 * transient rule, minimum off time or unknown level, and pumpTick applies
 * it). A platform request clears any earlier pending "on" first, so nothing
 * else is pending then. This module is the one owner of that rule; the
 * caller reports nothing (the platform already holds "on").
 */
export function pumpPlatformPending(): bool { return pendingOn; }
export function pumpLastRefusal(): i32 { return cold.lastRefusal; }
/** Increments on every refusal (so a repeated reason can be told apart). */
export function pumpRefusalSeq(): u32 { return cold.refusalSeq; }
/** Increments each time a pending platform "on" is finally refused (the platform believes "on"). */
export function pumpHeldRefusals(): u32 { return heldRefusals; }
/** Increments on every relay change. */
export function pumpChangeSeq(): u32 { return changeSeq; }
/** Source of the last relay change. */
export function pumpLastChangeSource(): PumpSource { return cold.lastSource; }
/** True while automatic mode is in control (not overridden by a manual command). */
export function pumpAutoInControl(): bool { return cfg.autoMode && autoActive; }

/**
 * Relay off immediately (shutdown, hal failure during init). No rule can
 * refuse it. Before pumpInit (e.g. after a refused config) it touches no pin:
 * the pin and polarity are not validated then.
 */
export function pumpForceOff(): void {
  pendingOn = false;
  autoActive = false;
  if (!started || cfg.relayPin < 0) { relayOn = false; return; }
  halFailed(halGpioWrite(cfg.relayPin, relayLevel(false)));
  if (relayOn) {
    relayOn = false;
    changeSeq++;
    cold.lastSource = PumpSource.SAFETY;
    count(C_PUMP_SWITCHES);
  }
}

/** Tests only (a build with `--use PUMP_TEST_HOOKS=1`; without it the call does nothing): replaces the sensor's level (0..1000, -1 unknown); i32.MIN_VALUE restores it. */
export function pumpTestSetLevel(l: i32): void { levelOverride = l; }
