// Checks the host's binary config (docs/CONFIG.md "Binary config") and
// stores it into config.ts.
//
// Contract: parseConfig(ptr, len) returns INIT_OK, or INIT_CONFIG_FORMAT /
// INIT_CONFIG_INVALID with a text (errorPtr/errorLen) naming the member by
// its index, `config: member #<i>: <rule>` (hosts show the member's name
// from the generated tables). The binary is the format byte, then records
// [index u8][value]: a number is an i32 LE, a string [length u8][bytes].
// Table-driven (app/config_table.ts, generated from config/schema.json): no
// per-member code but the cross-member rules. Unknown indexes and duplicates
// are refused; nothing is stored until every record is valid, and then
// commit() stores every member (the value given or the default; the sensor
// profile first, so explicit members override it).
import { cfg, PumpMode, SensorKind, TempSource } from "../config";
import {
  CONFIG_FORMAT, MEMBER_COUNT, ROWS, ROW_BYTES, F_KIND, F_NUMBER, F_TOPIC, F_TENTHS, F_HUNDREDS, F_REQUIRED,
  has, setAt, commit,
  M_CLIENT_ID, M_BROKER_PASSWORD, M_MQTT_BACKOFF_CAP_MS, M_WILL_PAYLOAD, M_TRIG_PIN, M_ECHO_PIN, M_UART_PORT,
  M_ADC_CHANNEL, M_NTC_CHANNEL, M_EMPTY_DISTANCE_MM, M_FULL_DISTANCE_MM, M_RELAY_PIN, M_AUTO, M_AUTO_START_PCT, M_BUTTON_PIN,
} from "./config_table";
import { putAscii, putInt, utf8SeqLen } from "../util/bytes";
import { ascii, Ascii } from "../util/ascii";

export const INIT_OK: i32 = 0;
export const INIT_CONFIG_TOO_LONG: i32 = -1;
export const INIT_CONFIG_FORMAT: i32 = -2;
export const INIT_CONFIG_INVALID: i32 = -3;
export const INIT_ALREADY_CALLED: i32 = -4;
export const INIT_HAL_FAILED: i32 = -5;

const ERR_CAP: i32 = 160;
const errBuf: usize = memory.data(ERR_CAP);
let errLen: i32 = 0;
let failed: bool = false;

export function errorPtr(): usize { return errBuf; }
export function errorLen(): i32 { return errLen; }

/** Appends `s` to the error text when it fits whole. */
function addAscii(s: Ascii): void {
  const o = putAscii(errBuf, ERR_CAP, errLen, s);
  if (o >= 0) errLen = o;
}

/** Appends `v` and then `tail` to the error text. */
function addInt(v: i32, tail: Ascii): void {
  let o = putInt(errBuf, ERR_CAP, errLen, v);
  o = putAscii(errBuf, ERR_CAP, o, tail);
  if (o >= 0) errLen = o;
}

/** Sets the error text to `prefix` (ASCII) followed by `rule`; the first error wins. */
export function setError(prefix: Ascii, rule: Ascii): void {
  if (failed) return;
  failed = true;
  errLen = 0;
  addAscii(prefix);
  addAscii(rule);
}

/** `config: member #<member>: <rule>`; the first error wins (then true). */
function bad(member: i32, rule: Ascii): bool {
  if (failed) return false;
  failed = true;
  errLen = 0;
  addAscii(ascii("config: member #"));
  addInt(member, ascii(": "));
  addAscii(rule);
  return true;
}

/**
 * Checks string member `i` of `n` bytes at `s` against row flags `k`, lo, hi:
 * length, well-formed UTF-8 (the one validator, util/bytes), topic rules,
 * the client id's character set.
 */
function checkString(i: i32, k: i32, lo: i32, hi: i32, s: usize, n: i32): void {
  if (n > hi) { if (bad(i, ascii("is too long (at most "))) addInt(hi, ascii(" bytes)")); return; }
  if (n < lo) { bad(i, ascii("must not be empty")); return; }
  const topic = (k & F_KIND) == F_TOPIC;
  const id = i == M_CLIENT_ID;
  let j = 0;
  while (j < n && !failed) {
    const c = <i32>load<u8>(s + <usize>j);
    let step = 1;
    if (id && !((c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c == 45 || c == 95)) bad(i, ascii("may contain only 0-9, a-z, A-Z, '-' and '_'"));
    else if (c >= 0x80) step = utf8SeqLen(s + <usize>j, n - j);
    else if (topic && (c == 0x2B || c == 0x23)) bad(i, ascii("must not contain MQTT wildcards + or #"));
    else if (topic && c == 0) bad(i, ascii("must not contain U+0000"));
    if (step <= 0) bad(i, ascii("must be well-formed UTF-8"));
    j += step;
  }
}

/** Reads the records of the `len` bytes at `ptr` into the member slots; false on a truncated record. */
function readRecords(ptr: usize, len: i32): bool {
  let p = 1;
  let whole = true;
  while (p < len && !failed) {
    const i = <i32>load<u8>(ptr + <usize>p);
    if (i >= MEMBER_COUNT) { bad(i, ascii("is not a known member (see docs/CONFIG.md)")); return true; }
    if (has(i)) { bad(i, ascii("is given more than once")); return true; }
    const row = ROWS + <usize>(i * ROW_BYTES);
    const k = <i32>load<u16>(row);
    let lo = <i32>load<i16>(row, 2);
    let hi = <i32>load<u16>(row, 4) * ((k & F_HUNDREDS) != 0 ? 100 : 1);
    if ((k & F_KIND) == F_NUMBER) {
      if (p + 5 > len) { whole = false; break; }
      const v = load<i32>(ptr + <usize>p, 1);
      setAt(i, p + 1);
      p += 5;
      const t = (k & F_TENTHS) != 0 ? 10 : 1;
      if ((v < lo * t || v > hi * t) && bad(i, ascii("must be between "))) { addInt(lo, ascii(" and ")); addInt(hi, ascii("")); }
    } else {
      const n = p + 2 > len ? 256 : <i32>load<u8>(ptr + <usize>p, 1);
      const s = ptr + <usize>(p + 2);
      const off = p + 1;
      p += 2 + n;
      if (p > len) { whole = false; break; }
      checkString(i, k, lo, hi, s, n);
      setAt(i, off);
    }
  }
  if (whole) return true;
  setError(ascii("config: "), ascii("truncated record (not a binary config of docs/CONFIG.md)"));
  return false;
}

/** `is required<tail>` for a member whose pin/port/channel `pin` is unset (< 0); the rules share the literal's first words. */
function requirePin(pin: i32, member: i32, tail: Ascii): void {
  if (pin < 0 && bad(member, ascii("is required"))) addAscii(tail);
}

/** Required members and cross-member rules, checked on the committed values. */
function crossRules(): void {
  for (let i = 0; i < MEMBER_COUNT; i++) {
    if ((load<u16>(ROWS + <usize>(i * ROW_BYTES)) & F_REQUIRED) != 0 && !has(i)) bad(i, ascii("is required"));
  }
  if (failed) return;
  // each field read once (a table read is 6 bytes of code, a local 2)
  const full = cfg.fullDistanceMm;
  const empty = cfg.emptyDistanceMm;
  const kind = cfg.sensorKind;
  const trig = cfg.trigPin;
  const echo = cfg.echoPin;
  const mode = cfg.pumpMode;
  const relay = cfg.relayPin;
  const button = cfg.buttonPin;
  if (cfg.passSet && cfg.userLen == 0) bad(M_BROKER_PASSWORD, ascii("needs broker_user (MQTT sends a password only with a user name)"));
  if (full >= empty) bad(M_FULL_DISTANCE_MM, ascii("must be less than empty_distance_mm (the sensor looks down)"));
  if (full < cfg.blindMm) bad(M_FULL_DISTANCE_MM, ascii("must not be inside the sensor's blind zone (blind_mm)"));
  if (empty > cfg.maxRangeMm) bad(M_EMPTY_DISTANCE_MM, ascii("must not exceed the sensor's range (max_range_mm)"));
  if (cfg.backoffCapMs < cfg.backoffBaseMs) bad(M_MQTT_BACKOFF_CAP_MS, ascii("must be at least mqtt_backoff_base_ms"));
  if (cfg.willPayloadLen > 0 && cfg.willTopicLen == 0) bad(M_WILL_PAYLOAD, ascii("needs will_topic"));
  if (kind == SensorKind.PULSE) {
    requirePin(trig, M_TRIG_PIN, ascii(" for a pulse-echo sensor"));
    requirePin(echo, M_ECHO_PIN, ascii(" for a pulse-echo sensor"));
    if (trig >= 0 && trig == echo) bad(M_ECHO_PIN, ascii("must differ from trig_pin"));
  } else if (kind == SensorKind.UART) {
    requirePin(cfg.uartPort, M_UART_PORT, ascii(" for a UART sensor"));
  } else {
    requirePin(cfg.adcChannel, M_ADC_CHANNEL, ascii(" for an analog sensor"));
  }
  if (cfg.tempSource == TempSource.NTC) requirePin(cfg.ntcChannel, M_NTC_CHANNEL, ascii(" when temperature is \"ntc\""));
  if (mode != PumpMode.NONE) {
    requirePin(relay, M_RELAY_PIN, ascii(" unless pump_mode is \"none\""));
    if (relay >= 0 && (relay == trig || relay == echo)) bad(M_RELAY_PIN, ascii("must differ from trig_pin and echo_pin"));
  }
  if (button >= 0 && (button == relay || button == trig || button == echo)) {
    bad(M_BUTTON_PIN, ascii("must differ from relay_pin, trig_pin and echo_pin"));
  }
  if (cfg.autoMode) {
    const start = cfg.autoStartPermille;
    const stop = cfg.autoStopPermille;
    if (mode == PumpMode.FILL && start >= stop) bad(M_AUTO_START_PCT, ascii("must be below auto_stop_pct in fill mode"));
    if (mode == PumpMode.DRAIN && start <= stop) bad(M_AUTO_START_PCT, ascii("must be above auto_stop_pct in drain mode"));
    if (mode == PumpMode.NONE) bad(M_AUTO, ascii("needs pump_mode fill or drain"));
  }
}

/** Checks and stores the `len` (>= 1) bytes of binary config at `ptr` (the config buffer). */
export function parseConfig(ptr: usize, len: i32): i32 {
  if (<i32>load<u8>(ptr) != CONFIG_FORMAT) {
    setError(ascii("config: "), ascii("not a binary config (first byte must be 0xC2: hosts encode the JSON config, docs/CONFIG.md)"));
    return INIT_CONFIG_FORMAT;
  }
  if (!readRecords(ptr, len)) return INIT_CONFIG_FORMAT;
  if (failed) return INIT_CONFIG_INVALID;
  commit(ptr);
  crossRules();
  return failed ? INIT_CONFIG_INVALID : INIT_OK;
}
