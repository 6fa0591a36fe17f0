// Distance sensing, temperature compensation and the reading pipeline
// (docs/SENSING.md). No allocation: every buffer is static. Nothing here traps
// on any sensor or hal value.
//
// A reading is `pingsPerReading` pings, one per `sensorTick` call at most,
// spaced by `pingGapMs`; readings start every `readingIntervalMs`. Faulted
// pings are discarded, the good ones give a median, then the calibration
// offset, spike rejection and smoothing are applied before the value is
// accepted as the level.
import { cfg, SensorKind, TempSource } from "../config";
import { halGpioMode, halGpioWrite, halDelayUs, halPulseIn, halAdcRead, halUartOpen, halUartRead,
  GPIO_OUTPUT, GPIO_INPUT, LOG_WARN, LOG_INFO } from "../hal";
import { count, halFailed, C_QUALITY_BASE, C_HAL_ERRORS } from "../app/counters";
import { logBegin, logStr, logInt, logEnd, logLine } from "../app/log";
import { f2iRound, f2iClamp, clampI } from "../util/num";
import { elapsed, reached, untilInline } from "../util/time";
import { ascii } from "../util/ascii";
import { lnPos, acosApprox } from "./math";
import { TEMP_UNKNOWN, NTC_SAMPLES, ntcCountsToDeciC } from "./ntc";
import { volumeForDepthMm } from "./geometry";
import { NO_DEADLINE_MS, UART_POLL_MS, MAX_PINGS, UART_CHUNK, UART_READS_PER_TICK, ECHO_TIMEOUT_FACTOR, ECHO_TIMEOUT_EXTRA_US, ECHO_TIMEOUT_MAX_US } from "../tunables";

// Split by responsibility: math.ts (ln, acos), ntc.ts (temperature from an
// NTC), geometry.ts (volume per tank shape); re-exported for the test entries.
export { lnPos, acosApprox, TEMP_UNKNOWN, ntcCountsToDeciC, volumeForDepthMm };

// ----------------------------------------------------------------- qualities
// Reading quality codes of docs/ABI.md (`reading_quality`).
export const Q_NONE: i32 = 0;
export const Q_OK: i32 = 1;
export const Q_NO_ECHO: i32 = 2;
export const Q_OUT_OF_RANGE: i32 = 3;
export const Q_BLIND_ZONE: i32 = 4;
export const Q_BAD_FRAME: i32 = 5;
export const Q_ADC_RAIL: i32 = 6;
export const Q_STALE: i32 = 7;
export const Q_SPIKE: i32 = 8;


/** Phases of the reading cycle. */
const enum Phase {
  /** Waiting for `nextReadingAt`. */
  IDLE = 0,
  /** Collecting pings; the next one is due at `nextPingAt`. */
  PINGING = 1,
}

const pingBuf: usize = memory.data(MAX_PINGS * 8); // f64 distances (mm) of the good pings
const uartBuf: usize = memory.data(UART_CHUNK);

let started: bool = false;
let phase: Phase = Phase.IDLE;
let nextReadingAt: u32 = 0;
let readingStartAt: u32 = 0;
let nextPingAt: u32 = 0;
let pingsDone: i32 = 0;
let goodCount: i32 = 0;
/** Fault counts (i32) of the pings of the current reading, indexed by quality code
 *  Q_NO_ECHO..Q_ADC_RAIL (2..6: bytes 8..27; slots 0, 1 and 7 unused). */
const faultBuf: usize = memory.data(8 * 4);

// Accepted state.
let hasLevel: bool = false;
let accDistMm: f64 = 0;        // accepted distance after offset, smoothing; valid when hasLevel
let accLevelPm: i32 = -1;      // levelPermille() of accDistMm, set with it (config is fixed after init)
let lastGoodAt: u32 = 0;       // time of the last accepted reading (or of init)
let quality: i32 = Q_NONE;     // quality of the last completed reading
let stale: bool = false;
let seq: u32 = 0;

// Spike rejection: a candidate jump being confirmed.
let spikeCount: i32 = 0;
let spikeLastMm: f64 = 0;

// Temperature.
let tempDeciC: i32 = TEMP_UNKNOWN;   // measured (NTC) air temperature, 0.1 °C
let soundTempDeciC: i32 = 200;       // temperature used for compensation, 0.1 °C

// UART parser.
let fWin: u32 = 0;             // the last four bytes received, the newest in the low byte
let fHave: i32 = 0;            // how many of them came after the last valid frame (0..4)
let frameSeq: u32 = 0;         // increments per valid frame
let frameUsedSeq: u32 = 0;     // frameSeq consumed by the last ping
let frameMm: i32 = 0;          // distance of the latest valid frame, mm
let frameAt: u32 = 0;          // when it was drained
let badFrames: u32 = 0;        // increments per bad checksum / malformed frame
let badUsed: u32 = 0;
let uartOk: bool = false;


/** Speed of sound in m/s at `deciC` (0.1 °C): 331.3 + 0.606·T. */
export function soundSpeedMs(deciC: i32): f64 {
  return 331.3 + 0.606 * (<f64>deciC / 10.0);
}

/** soundSpeedMs(soundTempDeciC), m/s: set with it in updateTemperature (a ping does not recompute it). */
let soundSpeed: f64 = 0;

/** echoTimeoutUs() at the compensation temperature of the current reading (set with it in updateTemperature). */
let echoTimeout: u32 = 0;

/** pulse_in timeout in µs: the round trip at max range, at the current temperature, plus margin. */
export function echoTimeoutUs(): u32 {
  const us = 2000.0 * <f64>cfg.maxRangeMm / soundSpeed * // soundSpeed >= 307 m/s over -40..85 °C
    ECHO_TIMEOUT_FACTOR + ECHO_TIMEOUT_EXTRA_US;
  return <u32>f2iClamp(us, 1000, ECHO_TIMEOUT_MAX_US);
}


function halError(): void {
  count(C_HAL_ERRORS);
}

/** Reads the temperature source; sets tempDeciC and soundTempDeciC. */
function updateTemperature(): void {
  if (cfg.tempSource == TempSource.NTC) {
    let sum: i32 = 0;
    let ok = true;
    for (let i = 0; i < NTC_SAMPLES; i++) {
      const v = halAdcRead(cfg.ntcChannel);
      if (v < 0) { halError(); ok = false; break; }
      sum += v > 0xFFFF ? 0xFFFF : v;
    }
    const t = ok ? ntcCountsToDeciC((sum + NTC_SAMPLES / 2) / NTC_SAMPLES) : TEMP_UNKNOWN;
    tempDeciC = t;
  } else {
    tempDeciC = TEMP_UNKNOWN;
  }
  soundTempDeciC = tempDeciC != TEMP_UNKNOWN ? tempDeciC : clampI(cfg.tempFixedDeciC, -400, 850);
  soundSpeed = soundSpeedMs(soundTempDeciC);
  echoTimeout = echoTimeoutUs();
}

// -------------------------------------------------------------------- pings
// Each ping returns Q_OK with the measured distance in pingMm (mm, >= 0,
// before the calibration offset; doPing classifies it), or a fault code
// Q_NO_ECHO..Q_ADC_RAIL.
//
// Config values are within the ranges of config/schema.json (the config
// parser refuses anything else): the hot path does not clamp them again.

/** The distance of the ping that returned Q_OK, mm. */
let pingMm: f64 = 0;

/** Classifies a measured distance (or NaN) against the blind zone and the range: Q_OK or a fault code. */
function classify(mm: f64): i32 {
  if (!(mm == mm)) return Q_NO_ECHO;
  if (mm < <f64>cfg.blindMm) return Q_BLIND_ZONE;
  if (mm > <f64>cfg.maxRangeMm) return Q_OUT_OF_RANGE;
  return Q_OK;
}

/** Trigger pulse, then the echo's width: NO_ECHO for none, or when a hal call fails (counted; no further call is made). */
function pingPulse(): i32 {
  let w: i32 = -1;
  if (halGpioWrite(cfg.trigPin, 1) >= 0) {
    halDelayUs(<u32>cfg.triggerUs); // 5..1000
    if (halGpioWrite(cfg.trigPin, 0) >= 0) w = halPulseIn(cfg.echoPin, 1, echoTimeout);
  }
  if (w < 0) halError();
  if (w <= 0) return Q_NO_ECHO;
  pingMm = <f64>w * soundSpeed / 2000.0; // the round trip at soundSpeed, one way, in mm
  return Q_OK;
}

function pingAnalog(): i32 {
  const bits = clampI(cfg.adcBits, 1, 16);
  const full = (1 << bits) - 1;
  const n = clampI(cfg.analogSamples, 1, 64);
  let sum: i32 = 0; // <= 64 * 65535: fits
  for (let i = 0; i < n; i++) {
    const v = halAdcRead(cfg.adcChannel);
    if (v < 0) { halError(); return Q_NO_ECHO; }
    if (v <= 0 || v >= full) return Q_ADC_RAIL; // includes counts beyond full scale
    sum += v;
  }
  const counts = <f64>sum / <f64>n;
  const mv = counts * <f64>cfg.adcRefMv / <f64>full;
  pingMm = mv * <f64>cfg.analogUmPerMv / 1000.0;
  return Q_OK;
}

/**
 * Feeds one received byte to the frame parser: a frame is `FF hi lo sum`
 * with sum = (FF + hi + lo) & FF. The parser looks at the last four bytes
 * since the last valid frame: whenever the oldest of them is FF they are a
 * candidate; a bad checksum counts a bad frame, and the next candidate is the
 * next FF after the rejected header (any of hi, lo, sum, or a later byte),
 * so one corrupted byte never loses a valid frame that follows it.
 */
function uartByte(b: i32): void {
  fWin = (fWin << 8) | <u32>b;
  if (fHave < 4) fHave++;
  if (fHave < 4 || (fWin >>> 24) != 0xFF) return; // no candidate yet
  const hi = <i32>(fWin >>> 16) & 0xFF;
  const lo = <i32>(fWin >>> 8) & 0xFF;
  if (((0xFF + hi + lo) & 0xFF) == b) {
    frameMm = (hi << 8) | lo;
    frameSeq++;
    fHave = 0; // the frame's bytes start no other candidate
  } else {
    badFrames++;
  }
}

/** Drains what the UART has received (bounded per tick) through the parser. */
function uartDrain(now: u32): void {
  if (!uartOk) return;
  const before = frameSeq;
  for (let k = 0; k < UART_READS_PER_TICK; k++) {
    const n = halUartRead(cfg.uartPort, uartBuf, UART_CHUNK);
    if (n < 0) { halError(); break; }
    if (n == 0) break;
    const m = n > UART_CHUNK ? UART_CHUNK : n; // a host returning more than asked: use what fits
    for (let i = 0; i < m; i++) uartByte(<i32>load<u8>(uartBuf + <usize>i));
    if (n < UART_CHUNK) break;
  }
  if (frameSeq != before) frameAt = now;
}

/** pingUart result meaning "no frame yet, ask again next tick" (not a reading quality). */
const UART_WAIT: i32 = Q_NONE;

/**
 * The UART ping due at `nextPingAt`: the latest valid frame drained since
 * the previous ping, if it arrived within one gap (+50 ms). Without one it
 * waits up to two gaps (at most 2 s) past the due time, then reports
 * BAD_FRAME when only bad frames arrived, else NO_ECHO. A frame of 0 mm is
 * the modules' "nothing measured".
 */
function pingUart(now: u32): i32 {
  if (frameSeq != frameUsedSeq && elapsed(now, frameAt) <= cfg.pingGapMs + 50) {
    frameUsedSeq = frameSeq;
    badUsed = badFrames;
    if (frameMm == 0) return Q_NO_ECHO; // modules send 0 when nothing came back
    pingMm = <f64>frameMm;
    return Q_OK;
  }
  // Nothing fresh yet: wait up to two gaps past the due time for the next frame.
  if (elapsed(now, nextPingAt) < uartPatienceMs()) return UART_WAIT;
  frameUsedSeq = frameSeq;
  if (badFrames != badUsed) { badUsed = badFrames; return Q_BAD_FRAME; }
  return Q_NO_ECHO;
}

function uartPatienceMs(): u32 {
  const g = cfg.pingGapMs;
  return g > 1000 ? 2000 : 2 * g;
}

// ----------------------------------------------------------------- pipeline

@inline function pingAt(i: i32): f64 {
  return load<f64>(pingBuf + <usize>(i << 3));
}

/** Median of the sorted values at indices a..b (inclusive, a <= b). */
function medianOf(a: i32, b: i32): f64 {
  const n = b - a + 1;
  const h = a + (n >> 1);
  if (n & 1) return pingAt(h);
  return (pingAt(h - 1) + pingAt(h)) / 2.0;
}

/** Two pings agree when they are within this many mm of each other: 15 mm + 1 % of the distance. */
function agreeTolMm(mm: f64): f64 {
  return 15.0 + mm * 0.01;
}

/**
 * The reading's distance from its good pings: the median of the largest
 * group of pings that agree with each other (within agreeTolMm), when that
 * group is a strict majority. Without outliers the group is every ping, so
 * this is the plain median; a spurious early echo among an even number of
 * pings does not drag it half-way. Equal groups: the one nearest the
 * accepted distance, else the farthest (spurious echoes come early). No
 * majority (e.g. 2 spurious + 1 real echo after 2 missing): the group
 * nearest the accepted distance, or the plain median when there is none.
 */
function median(): f64 {
  const n = goodCount;
  // insertion sort of n <= 16 values
  for (let i = 1; i < n; i++) {
    const v = pingAt(i);
    let j = i - 1;
    while (j >= 0 && pingAt(j) > v) {
      store<f64>(pingBuf + <usize>((j + 1) << 3), pingAt(j));
      j--;
    }
    store<f64>(pingBuf + <usize>((j + 1) << 3), v);
  }
  if (n <= 1) return pingAt(0);
  const ref = accDistMm - <f64>cfg.distanceOffsetMm; // the accepted distance in raw ping terms
  let bestSize = 0;
  let bestMid: f64 = 0;
  let nearMid: f64 = 0;
  let nearDist: f64 = Infinity;
  let b = 0;
  for (let a = 0; a < n; a++) {
    if (b < a) b = a;
    while (b + 1 < n && pingAt(b + 1) - pingAt(a) <= agreeTolMm(pingAt(a))) b++;
    const size = b - a + 1;
    const mid = medianOf(a, b);
    if (size == n) return mid; // every ping agrees with the smallest: no other group can win
    let better = size > bestSize;
    if (!better && size == bestSize) {
      if (hasLevel) better = Math.abs(mid - ref) < Math.abs(bestMid - ref);
      else better = mid > bestMid;
    }
    if (better) { bestSize = size; bestMid = mid; }
    if (hasLevel && Math.abs(mid - ref) < nearDist) { nearDist = Math.abs(mid - ref); nearMid = mid; }
  }
  if (bestSize * 2 > n) return bestMid;
  if (hasLevel) return nearMid;
  return medianOf(0, n - 1);
}

/** The most frequent fault of the reading (ties: the first in ABI order). */
function dominantFault(): i32 {
  let q = Q_NO_ECHO;
  for (let k = Q_NO_ECHO + 1; k <= Q_ADC_RAIL; k++) {
    if (load<i32>(faultBuf + <usize>(k << 2)) > load<i32>(faultBuf + <usize>(q << 2))) q = k;
  }
  return q;
}

function accept(d: f64, now: u32, jump: bool): void {
  const w = cfg.smoothingPct; // 0..95
  if (hasLevel && !jump && w > 0) accDistMm = (accDistMm * <f64>w + d * <f64>(100 - w)) / 100.0;
  else accDistMm = d;
  const span = <f64>cfg.emptyDistanceMm - <f64>cfg.fullDistanceMm;
  accLevelPm = span > 0 ? f2iRound((<f64>cfg.emptyDistanceMm - accDistMm) * 1000.0 / span, 0, 1000) : -1;
  hasLevel = true;
  stale = false;
  lastGoodAt = now;
}

function finishReading(now: u32): void {
  let q: i32;
  if (goodCount == 0) {
    q = dominantFault();
  } else {
    const d = median() + <f64>cfg.distanceOffsetMm;
    const limit = cfg.spikeLimitMm;
    const confirm = cfg.spikeConfirm; // 1..10
    if (!hasLevel || limit <= 0 || Math.abs(d - accDistMm) <= <f64>limit) {
      spikeCount = 0;
      accept(d, now, false);
      q = Q_OK;
    } else {
      // A jump: believed once `confirm` consecutive readings (this one
      // included) agree with each other within the limit.
      if (spikeCount > 0 && Math.abs(d - spikeLastMm) <= <f64>limit) spikeCount++;
      else spikeCount = 1;
      spikeLastMm = d;
      if (spikeCount >= confirm) {
        spikeCount = 0;
        accept(d, now, true);
        q = Q_OK;
      } else {
        q = Q_SPIKE;
      }
    }
  }
  // One log line per change of quality (a dead sensor does not flood the log; the counters count every reading).
  if (q != quality && q != Q_OK) {
    logBegin();
    logStr(ascii("sensor: quality "));
    logInt(q);
    logEnd(LOG_WARN);
  }
  quality = q;
  count(C_QUALITY_BASE + q);
  seq++;
}

function checkStale(now: u32): void {
  if (stale) return;
  if (elapsed(now, lastGoodAt) >= cfg.staleMs) {
    stale = true;
    hasLevel = false;
    spikeCount = 0;
    count(C_QUALITY_BASE + Q_STALE);
    seq++;
    logLine(LOG_WARN, ascii("sensor: stale, level unknown"));
  }
}

function startReading(now: u32): void {
  phase = Phase.PINGING;
  // Readings keep their own pace: a tick that comes a few ms after the
  // deadline (the host slept from the end of the last tick) must not push
  // every later reading back; after a longer gap the schedule restarts now.
  readingStartAt = elapsed(now, nextReadingAt) < cfg.readingIntervalMs ? nextReadingAt : now;
  nextPingAt = now;
  pingsDone = 0;
  goodCount = 0;
  store<u64>(faultBuf + 8, 0); store<u64>(faultBuf + 16, 0); store<u32>(faultBuf + 24, 0); // codes 2..6
  updateTemperature();
}

/** Runs the ping due now. Returns false when a UART ping is still waiting for a frame. */
function doPing(now: u32): bool {
  let q: i32;
  if (cfg.sensorKind == SensorKind.UART) {
    q = pingUart(now);
    if (q == UART_WAIT) return false;
  } else if (cfg.sensorKind == SensorKind.ANALOG) {
    q = pingAnalog();
  } else {
    q = pingPulse();
  }
  if (q == Q_OK) q = classify(pingMm);
  if (q == Q_OK) {
    if (goodCount < MAX_PINGS) {
      store<f64>(pingBuf + <usize>(goodCount << 3), pingMm);
      goodCount++;
    }
  } else {
    if (<u32>(q - Q_NO_ECHO) > <u32>(Q_ADC_RAIL - Q_NO_ECHO)) q = Q_NO_ECHO; // (never: every fault is one of these)
    const at = faultBuf + <usize>(q << 2);
    store<i32>(at, load<i32>(at) + 1);
  }
  pingsDone++;
  return true;
}

// ------------------------------------------------------------------ exports

/** Sets up pins/UART for the configured sensor kind; 0 ok, <0 a hal call failed. */
export function sensorInit(nowMs: u32): i32 {
  started = true;
  phase = Phase.IDLE;
  nextReadingAt = nowMs;
  lastGoodAt = nowMs;
  hasLevel = false;
  stale = false;
  quality = Q_NONE;
  spikeCount = 0;
  seq = 0;
  fHave = 0;
  frameSeq = 0; frameUsedSeq = 0; badFrames = 0; badUsed = 0;
  uartOk = false;
  updateTemperature();
  if (cfg.sensorKind == SensorKind.PULSE) {
    if (halFailed(halGpioMode(cfg.trigPin, GPIO_OUTPUT))) return -1;
    if (halFailed(halGpioWrite(cfg.trigPin, 0))) return -1;
    if (halFailed(halGpioMode(cfg.echoPin, GPIO_INPUT))) return -1;
  } else if (cfg.sensorKind == SensorKind.UART) {
    if (halFailed(halUartOpen(cfg.uartPort, cfg.uartBaud))) return -1;
    uartOk = true;
  }
  logBegin();
  logStr(ascii("sensor: kind="));
  logInt(<i32>cfg.sensorKind);
  logStr(ascii(" echo_timeout_us="));
  logInt(<i32>echoTimeout);
  logEnd(LOG_INFO);
  return 0;
}

/** At most one ping per call; returns ms until it next needs a tick. */
export function sensorTick(nowMs: u32): u32 {
  if (!started) return NO_DEADLINE_MS;
  const now = nowMs;
  if (cfg.sensorKind == SensorKind.UART) uartDrain(now);
  if (phase == Phase.IDLE && reached(now, nextReadingAt)) startReading(now);
  if (phase == Phase.PINGING && reached(now, nextPingAt)) {
    if (doPing(now)) {
      nextPingAt = now + cfg.pingGapMs;
      if (pingsDone >= cfg.pingsPerReading) { // 1..15
        finishReading(now);
        phase = Phase.IDLE;
        nextReadingAt = readingStartAt + cfg.readingIntervalMs;
        // never start the next reading before one gap has passed (echoes die out)
        if (!reached(nextReadingAt, nextPingAt)) nextReadingAt = nextPingAt;
      }
    }
  }
  checkStale(now);
  const pinging = phase == Phase.PINGING;
  let wait = untilInline(now, pinging ? nextPingAt : nextReadingAt);
  if (pinging && wait == 0) wait = 10; // a UART ping waiting for its frame
  if (!stale) {
    const s = untilInline(now, lastGoodAt + cfg.staleMs);
    if (s < wait) wait = s;
  }
  if (cfg.sensorKind == SensorKind.UART && wait > UART_POLL_MS) wait = UART_POLL_MS; // keep the UART drained
  return wait;
}

/** Last accepted level in 0.1 % of span (0..1000), -1 when unknown (no reading yet, or stale). */
export function levelPermille(): i32 {
  return hasLevel ? accLevelPm : -1;
}

/** Last accepted distance sensor → surface in mm (after the offset), -1 when unknown. */
export function distanceMm(): i32 {
  if (!hasLevel) return -1;
  return f2iRound(accDistMm, 0, i32.MAX_VALUE);
}

/** Air temperature in 0.1 °C measured by the NTC, -32768 when unknown (also for "fixed" and "none"). */
export function temperatureDeciC(): i32 { return tempDeciC; }

/** Temperature used for the speed of sound in 0.1 °C (the NTC's, else temperature_c). */
export function compensationDeciC(): i32 { return soundTempDeciC; }

/** Water volume in ml from the tank geometry, -1 when unknown. */
export function volumeMl(): i32 {
  if (!hasLevel) return -1;
  const span = <f64>cfg.emptyDistanceMm - <f64>cfg.fullDistanceMm;
  if (!(span > 0)) return -1;
  let h = <f64>cfg.emptyDistanceMm - accDistMm; // water depth, mm
  if (h < 0) h = 0;
  if (h > span) h = span;
  return f2iRound(volumeForDepthMm(h) / 1000.0, 0, i32.MAX_VALUE);
}


/** Quality of the last reading (docs/ABI.md); STALE while the level is unknown after having been stale. */
export function readingQuality(): i32 {
  if (stale) return Q_STALE;
  return quality;
}

/** The last completed reading's own quality (never STALE). */
export function lastReadingQuality(): i32 { return quality; }

/** Increments with every completed reading (good or faulted) and when the level goes stale. */
export function readingSeq(): u32 { return seq; }

/** pulse_in timeout in use, µs (for tests and logs). */
export function sensorEchoTimeoutUs(): u32 { return echoTimeout; }
