// Parses and validates the host's JSON config (docs/CONFIG.md) into config.ts.
//
// Contract: parseConfig(ptr, len) returns INIT_OK, or INIT_CONFIG_JSON /
// INIT_CONFIG_INVALID with a text (errorPtr/errorLen) naming the member and
// the rule. Unknown and duplicate members are rejected (a typo must not
// silently fall back to a default; a member given twice is ambiguous). The
// `sensor` profile is applied before every other member, whatever the order,
// so explicit members override the profile.
import * as cfg from "../config";
import {
  jsonOpen, jsonNext, jsonKeyPtr, jsonKeyLen, jsonType, JsonType,
  jsonStrPtr, jsonStrLen, jsonStrTruncated, jsonNum,
} from "../json/scan";
import { putAscii, putBytes, putInt, copyBytes, wordIndex } from "../util/bytes";
import { ascii, Ascii } from "../util/ascii";

export const INIT_OK: i32 = 0;
export const INIT_CONFIG_TOO_LONG: i32 = -1;
export const INIT_CONFIG_JSON: i32 = -2;
export const INIT_CONFIG_INVALID: i32 = -3;
export const INIT_ALREADY_CALLED: i32 = -4;
export const INIT_HAL_FAILED: i32 = -5;

const ERR_CAP: i32 = 200;
const errBuf: usize = memory.data(ERR_CAP);
let errLen: i32 = 0;
let failed: bool = false;

export function errorPtr(): usize { return errBuf; }
export function errorLen(): i32 { return errLen; }

/** Sets the error text to `prefix` (ASCII) followed by `rule`; the first error wins. */
export function setError(prefix: Ascii, rule: Ascii): void {
  if (failed) return;
  failed = true;
  let o = putAscii(errBuf, ERR_CAP, 0, prefix);
  if (o >= 0) { const o2 = putAscii(errBuf, ERR_CAP, o, rule); if (o2 >= 0) o = o2; }
  errLen = o < 0 ? 0 : o;
}

/** Error about the current member: `config: member "<key>": <rule>`. */
function bad(rule: Ascii): void {
  if (failed) return;
  failed = true;
  let o = putAscii(errBuf, ERR_CAP, 0, ascii("config: member \""));
  let n = jsonKeyLen();
  if (n > 48) n = 48;
  o = putBytes(errBuf, ERR_CAP, o, jsonKeyPtr(), n);
  o = putAscii(errBuf, ERR_CAP, o, ascii("\": "));
  const o2 = putAscii(errBuf, ERR_CAP, o, rule);
  errLen = o2 >= 0 ? o2 : (o >= 0 ? o : 0);
}

/** Error about a member by name (missing members, cross-member rules). */
function badNamed(member: Ascii, rule: Ascii): void {
  if (failed) return;
  failed = true;
  let o = putAscii(errBuf, ERR_CAP, 0, ascii("config: member \""));
  o = putAscii(errBuf, ERR_CAP, o, member);
  o = putAscii(errBuf, ERR_CAP, o, ascii("\": "));
  const o2 = putAscii(errBuf, ERR_CAP, o, rule);
  errLen = o2 >= 0 ? o2 : (o >= 0 ? o : 0);
}

// ----------------------------------------------------------- value readers
// Each validates the current member and returns its value; on a bad value it
// records the error and returns a harmless value (the config is refused anyway).

/** Integer member in [lo, hi]; a JSON number with no fraction. */
function takeInt(lo: i32, hi: i32): i32 {
  if (jsonType() != JsonType.NUMBER) { bad(ascii("must be a number")); return lo; }
  const v = jsonNum();
  if (!(v == v) || v != Math.floor(v)) { bad(ascii("must be an integer")); return lo; }
  if (v < <f64>lo || v > <f64>hi) { rangeError(lo, hi); return lo; }
  return <i32>v; // integral and inside [lo, hi]
}

/** Number member in [lo, hi] (may have a fraction), returned multiplied by `scale` and rounded. */
function takeScaled(lo: i32, hi: i32, scale: i32): i32 {
  if (jsonType() != JsonType.NUMBER) { bad(ascii("must be a number")); return lo * scale; }
  const v = jsonNum();
  if (!(v == v) || v < <f64>lo || v > <f64>hi) { rangeError(lo, hi); return lo * scale; }
  const s = v * <f64>scale;
  return <i32>(s < 0 ? s - 0.5 : s + 0.5); // |s| <= hi*scale, checked by callers' ranges
}

function rangeError(lo: i32, hi: i32): void {
  if (failed) return;
  bad(ascii("must be between "));
  let o = putInt(errBuf, ERR_CAP, errLen, lo);
  o = putAscii(errBuf, ERR_CAP, o, ascii(" and "));
  o = putInt(errBuf, ERR_CAP, o, hi);
  if (o >= 0) errLen = o;
}

/** Seconds member in [lo, hi] returned in milliseconds. */
function takeSecondsMs(lo: i32, hi: i32): u32 {
  return <u32>takeInt(lo, hi) * 1000;
}

function takeBool(): bool {
  const t = jsonType();
  if (t == JsonType.TRUE) return true;
  if (t == JsonType.FALSE) return false;
  bad(ascii("must be true or false"));
  return false;
}

/** A pin or channel number in [0, hi], or -1 for "none". */
function takePin(hi: i32): i32 {
  return takeInt(-1, hi);
}

/**
 * String member copied into `buf` (capacity `cap`); returns its length.
 * `minLen` 1 makes it non-empty. `topic` rejects MQTT wildcards and U+0000.
 */
function takeStr(buf: usize, cap: i32, minLen: i32, topic: bool): i32 {
  if (jsonType() != JsonType.STRING) { bad(ascii("must be a string")); return 0; }
  const n = jsonStrLen();
  if (jsonStrTruncated() || n > cap) {
    bad(ascii("is too long (at most "));
    let o = putInt(errBuf, ERR_CAP, errLen, cap);
    o = putAscii(errBuf, ERR_CAP, o, ascii(" bytes)"));
    if (o >= 0) errLen = o;
    return 0;
  }
  if (n < minLen) { bad(ascii("must not be empty")); return 0; }
  const p = jsonStrPtr();
  if (topic) {
    for (let i = 0; i < n; i++) {
      const c = load<u8>(p + <usize>i);
      if (c == 0x2B || c == 0x23) { bad(ascii("must not contain MQTT wildcards + or #")); return 0; }
      if (c == 0) { bad(ascii("must not contain U+0000")); return 0; }
    }
  }
  copyBytes(buf, p, n);
  return n;
}

// ----------------------------------------------------------- vocabularies
// Each list is one literal (one static header); indexes follow word order.

const SENSORS = ascii("hc-sr04 jsn-sr04t aj-sr04m a02yyuw jsn-sr04t-uart maxbotix");
const TEMP_SOURCES = ascii("none fixed ntc");      // = TempSource
const SHAPES = ascii("vertical_cylinder horizontal_cylinder rectangular"); // = TankShape
const PUMP_MODES = ascii("none fill drain");       // = PumpMode
const POWER_ON = ascii("off follow last");         // = PowerOn

/** Word list `k` of the WORD members (aux of the member table). */
function wordList(k: i32): Ascii {
  if (k == 0) return SENSORS;
  if (k == 1) return TEMP_SOURCES;
  if (k == 2) return SHAPES;
  if (k == 3) return PUMP_MODES;
  return POWER_ON;
}

/** Index of the current STRING value in `list`, or -1 after recording "must be one of <list>". */
function takeWord(list: Ascii): i32 {
  const i = jsonType() == JsonType.STRING ? wordIndex(list, jsonStrPtr(), jsonStrLen()) : -1;
  if (i < 0) {
    bad(ascii("must be one of: "));
    const o = putAscii(errBuf, ERR_CAP, errLen, list);
    if (o >= 0) errLen = o;
  }
  return i;
}

/** Sensor profile `p` (word of SENSORS): kind, blind zone mm, range mm, ping gap ms, trigger us (docs/SENSING.md). */
function applyProfile(p: i32): void {
  if (p == 0) profile(cfg.SensorKind.PULSE, 20, 4000, 60, 10);        // hc-sr04
  else if (p == 1) profile(cfg.SensorKind.PULSE, 250, 4500, 100, 20); // jsn-sr04t
  else if (p == 2) profile(cfg.SensorKind.PULSE, 200, 4500, 100, 20); // aj-sr04m
  else if (p == 3) profile(cfg.SensorKind.UART, 30, 4500, 100, 10);   // a02yyuw
  else if (p == 4) profile(cfg.SensorKind.UART, 250, 6000, 100, 10);  // jsn-sr04t-uart
  else profile(cfg.SensorKind.ANALOG, 300, 5000, 50, 10);             // maxbotix
}

function profile(kind: cfg.SensorKind, blind: i32, range: i32, gap: u32, trig: i32): void {
  cfg.sensorKind = kind;
  cfg.blindMm = blind;
  cfg.maxRangeMm = range;
  cfg.pingGapMs = gap;
  cfg.triggerUs = trig;
}

// ----------------------------------------------------------- members
// Table-driven: a member's name is word i of MEMBERS; KIND/LO/HI row i say
// how to validate it; its value is kept in vals[i] (seen[i] set) and only
// commit() stores it into config.ts, once every member is valid. No `switch`
// over members: one function with ~85 cases nests ~85 blocks deep, past
// wasm3's validator limit of 32 (docs/CONFIG.md). test/config/config.test.ts
// checks every member against the ranges documented in docs/CONFIG.md, which
// catches a shifted row.
// One literal (string concatenation would run, and allocate, at start).
const K_INT: i32 = 0;     // integer in [LO, HI]
const K_SECS: i32 = 1;    // integer seconds in [LO, HI], stored in ms
const K_SCALED: i32 = 2;  // number in [LO, HI], stored x10 (0.1 % or 0.1 degC)
const K_BOOL: i32 = 3;
const K_STR: i32 = 4;     // string of LO..HI bytes into string slot aux
const K_TOPIC: i32 = 5;   // like K_STR, without MQTT wildcards and U+0000
const K_WORD: i32 = 6;    // one word of word list aux, stored as its index
const M_CLIENT_ID: i32 = 2;
const M_SENSOR: i32 = 30;

const MEMBERS = ascii("uid key client_id uplink_topic downlink_topic broker_host broker_port broker_user broker_password mqtt_keepalive_s mqtt_clean_session mqtt_qos mqtt_inflight mqtt_backoff_base_ms mqtt_backoff_cap_ms mqtt_stable_ms mqtt_connect_timeout_ms mqtt_ping_timeout_ms will_topic will_payload will_qos will_retain json_numbers level_decimals temperature_decimals deadband_pct heartbeat_s min_interval_s ping_interval_s send_temperature sensor trig_pin echo_pin trigger_us blind_mm max_range_mm ping_gap_ms uart_port uart_baud adc_channel adc_bits adc_ref_mv analog_mm_per_v analog_samples pings_per_reading reading_interval_ms spike_limit_mm spike_confirm smoothing_pct stale_ms temperature temperature_c ntc_channel ntc_r0_ohm ntc_t0_c ntc_beta ntc_series_ohm ntc_bits empty_distance_mm full_distance_mm distance_offset_mm tank_shape tank_diameter_mm tank_length_mm tank_width_mm relay_pin relay_active_high pump_mode power_on min_on_s min_off_s max_run_s lockout_s high_cutoff_pct low_cutoff_pct cutoff_hysteresis_pct unknown_level_off_s auto auto_start_pct auto_stop_pct button_pin button_active_low button_debounce_ms");
export const MEMBER_COUNT: i32 = 83;
// Per member (index = word of MEMBERS): kind | aux << 3 (aux: string slot or word list),
// lowest and highest value (strings: minimum length and capacity).
const KIND = memory.data<u8>([4, 12, 20, 29, 37, 44, 0, 52, 60, 0, 3, 0, 0, 0, 0, 0, 0, 0, 69, 76, 0, 3, 3, 0, 0, 2, 1, 1, 1, 3, 6, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 14, 2, 0, 0, 2, 0, 0, 0, 0, 0, 0, 22, 0, 0, 0, 0, 3, 30, 38, 1, 1, 1, 1, 2, 2, 2, 1, 3, 2, 2, 0, 3, 0]);
const LO = memory.data<i16>([1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 1, 100, 100, 1000, 1000, 500, 1, 0, 0, 0, 0, 0, 0, 0, 10, 0, 10, 0, 0, -1, -1, 5, 0, 100, 10, -1, 1200, -1, 8, 500, 1, 1, 1, 100, 0, 1, 0, 1000, 0, -40, -1, 100, -40, 1000, 100, 8, 1, 0, -1000, 0, 10, 10, 10, -1, 0, 0, 0, 0, 0, 10, 0, 1, 0, 0, 1, 0, 0, 0, -1, 0, 10]);
const HI = memory.data<i32>([cfg.UID_CAP, cfg.KEY_CAP, cfg.CLIENT_ID_CAP, cfg.TOPIC_CAP, cfg.TOPIC_CAP, cfg.HOST_CAP, 65535, cfg.USER_CAP, cfg.PASS_CAP, 3600, 1, 1, cfg.INFLIGHT_SLOTS, 60000, 3600000, 3600000, 120000, 60000, cfg.WILL_CAP, cfg.WILL_CAP, 1, 1, 1, 3, 3, 100, 86400, 3600, 86400, 1, 0, 63, 63, 1000, 2000, 20000, 5000, 7, 921600, 31, 16, 5000, 100000, 64, 15, 3600000, 20000, 10, 95, 3600000, 0, 85, 31, 1000000, 85, 10000, 1000000, 16, 20000, 20000, 1000, 0, 20000, 50000, 50000, 63, 1, 0, 0, 3600, 3600, 86400, 86400, 100, 99, 50, 3600, 1, 100, 100, 63, 1, 1000]);

/** Stores the validated values of the members present into config.ts (no nesting: one `if` each). */
function commit(): void {
  if (has(M_SENSOR)) applyProfile(val(M_SENSOR)); // first: explicit members override the profile
  let v = 0;
  if (has(0)) { v = val(0); cfg.uidLen = v; } // uid
  if (has(1)) { v = val(1); cfg.keyLen = v; } // key
  if (has(2)) { v = val(2); cfg.clientIdLen = v; } // client_id
  if (has(3)) { v = val(3); cfg.uplinkLen = v; } // uplink_topic
  if (has(4)) { v = val(4); cfg.downlinkLen = v; } // downlink_topic
  if (has(5)) { v = val(5); cfg.hostLen = v; } // broker_host
  if (has(6)) { v = val(6); cfg.brokerPort = v; } // broker_port
  if (has(7)) { v = val(7); cfg.userLen = v; } // broker_user
  if (has(8)) { v = val(8); cfg.passLen = v; cfg.passSet = true; } // broker_password
  if (has(9)) { v = val(9); cfg.keepAliveS = v; } // mqtt_keepalive_s
  if (has(10)) { v = val(10); cfg.cleanSession = v != 0; } // mqtt_clean_session
  if (has(11)) { v = val(11); cfg.uplinkQos = v; } // mqtt_qos
  if (has(12)) { v = val(12); cfg.inflightMax = v; } // mqtt_inflight
  if (has(13)) { v = val(13); cfg.backoffBaseMs = <u32>v; } // mqtt_backoff_base_ms
  if (has(14)) { v = val(14); cfg.backoffCapMs = <u32>v; } // mqtt_backoff_cap_ms
  if (has(15)) { v = val(15); cfg.backoffResetMs = <u32>v; } // mqtt_stable_ms
  if (has(16)) { v = val(16); cfg.connectTimeoutMs = <u32>v; } // mqtt_connect_timeout_ms
  if (has(17)) { v = val(17); cfg.pingTimeoutMs = <u32>v; } // mqtt_ping_timeout_ms
  if (has(18)) { v = val(18); cfg.willTopicLen = v; } // will_topic
  if (has(19)) { v = val(19); cfg.willPayloadLen = v; } // will_payload
  if (has(20)) { v = val(20); cfg.willQos = v; } // will_qos
  if (has(21)) { v = val(21); cfg.willRetain = v != 0; } // will_retain
  if (has(22)) { v = val(22); cfg.numbersAsStrings = v == 0; } // json_numbers
  if (has(23)) { v = val(23); cfg.levelDecimals = v; } // level_decimals
  if (has(24)) { v = val(24); cfg.temperatureDecimals = v; } // temperature_decimals
  if (has(25)) { v = val(25); cfg.deadbandPermille = v; } // deadband_pct
  if (has(26)) { v = val(26); cfg.heartbeatMs = <u32>v; } // heartbeat_s
  if (has(27)) { v = val(27); cfg.minIntervalMs = <u32>v; } // min_interval_s
  if (has(28)) { v = val(28); cfg.pingIntervalMs = <u32>v; } // ping_interval_s
  if (has(29)) { v = val(29); cfg.sendTemperature = v != 0; } // send_temperature
  if (has(31)) { v = val(31); cfg.trigPin = v; } // trig_pin
  if (has(32)) { v = val(32); cfg.echoPin = v; } // echo_pin
  if (has(33)) { v = val(33); cfg.triggerUs = v; } // trigger_us
  if (has(34)) { v = val(34); cfg.blindMm = v; } // blind_mm
  if (has(35)) { v = val(35); cfg.maxRangeMm = v; } // max_range_mm
  if (has(36)) { v = val(36); cfg.pingGapMs = <u32>v; } // ping_gap_ms
  if (has(37)) { v = val(37); cfg.uartPort = v; } // uart_port
  if (has(38)) { v = val(38); cfg.uartBaud = v; } // uart_baud
  if (has(39)) { v = val(39); cfg.adcChannel = v; } // adc_channel
  if (has(40)) { v = val(40); cfg.adcBits = v; } // adc_bits
  if (has(41)) { v = val(41); cfg.adcRefMv = v; } // adc_ref_mv
  if (has(42)) { v = val(42); cfg.analogUmPerMv = v; } // analog_mm_per_v
  if (has(43)) { v = val(43); cfg.analogSamples = v; } // analog_samples
  if (has(44)) { v = val(44); cfg.pingsPerReading = v; } // pings_per_reading
  if (has(45)) { v = val(45); cfg.readingIntervalMs = <u32>v; } // reading_interval_ms
  if (has(46)) { v = val(46); cfg.spikeLimitMm = v; } // spike_limit_mm
  if (has(47)) { v = val(47); cfg.spikeConfirm = v; } // spike_confirm
  if (has(48)) { v = val(48); cfg.smoothingPct = v; } // smoothing_pct
  if (has(49)) { v = val(49); cfg.staleMs = <u32>v; } // stale_ms
  if (has(50)) { v = val(50); cfg.tempSource = <cfg.TempSource>v; } // temperature
  if (has(51)) { v = val(51); cfg.tempFixedDeciC = v; } // temperature_c
  if (has(52)) { v = val(52); cfg.ntcChannel = v; } // ntc_channel
  if (has(53)) { v = val(53); cfg.ntcR0 = v; } // ntc_r0_ohm
  if (has(54)) { v = val(54); cfg.ntcT0DeciC = v; } // ntc_t0_c
  if (has(55)) { v = val(55); cfg.ntcBeta = v; } // ntc_beta
  if (has(56)) { v = val(56); cfg.ntcSeriesOhm = v; } // ntc_series_ohm
  if (has(57)) { v = val(57); cfg.ntcBits = v; } // ntc_bits
  if (has(58)) { v = val(58); cfg.emptyDistanceMm = v; } // empty_distance_mm
  if (has(59)) { v = val(59); cfg.fullDistanceMm = v; } // full_distance_mm
  if (has(60)) { v = val(60); cfg.distanceOffsetMm = v; } // distance_offset_mm
  if (has(61)) { v = val(61); cfg.tankShape = <cfg.TankShape>v; } // tank_shape
  if (has(62)) { v = val(62); cfg.tankDiameterMm = v; } // tank_diameter_mm
  if (has(63)) { v = val(63); cfg.tankLengthMm = v; } // tank_length_mm
  if (has(64)) { v = val(64); cfg.tankWidthMm = v; } // tank_width_mm
  if (has(65)) { v = val(65); cfg.relayPin = v; } // relay_pin
  if (has(66)) { v = val(66); cfg.relayActiveHigh = v != 0; } // relay_active_high
  if (has(67)) { v = val(67); cfg.pumpMode = <cfg.PumpMode>v; } // pump_mode
  if (has(68)) { v = val(68); cfg.powerOn = <cfg.PowerOn>v; } // power_on
  if (has(69)) { v = val(69); cfg.minOnMs = <u32>v; } // min_on_s
  if (has(70)) { v = val(70); cfg.minOffMs = <u32>v; } // min_off_s
  if (has(71)) { v = val(71); cfg.maxRunMs = <u32>v; } // max_run_s
  if (has(72)) { v = val(72); cfg.lockoutMs = <u32>v; } // lockout_s
  if (has(73)) { v = val(73); cfg.highCutoffPermille = v; } // high_cutoff_pct
  if (has(74)) { v = val(74); cfg.lowCutoffPermille = v; } // low_cutoff_pct
  if (has(75)) { v = val(75); cfg.hysteresisPermille = v; } // cutoff_hysteresis_pct
  if (has(76)) { v = val(76); cfg.unknownOffMs = <u32>v; } // unknown_level_off_s
  if (has(77)) { v = val(77); cfg.autoMode = v != 0; } // auto
  if (has(78)) { v = val(78); cfg.autoStartPermille = v; } // auto_start_pct
  if (has(79)) { v = val(79); cfg.autoStopPermille = v; } // auto_stop_pct
  if (has(80)) { v = val(80); cfg.buttonPin = v; } // button_pin
  if (has(81)) { v = val(81); cfg.buttonActiveLow = v != 0; } // button_active_low
  if (has(82)) { v = val(82); cfg.buttonDebounceMs = <u32>v; } // button_debounce_ms
}

const vals: usize = memory.data(MEMBER_COUNT * 4);
const seen: usize = memory.data(MEMBER_COUNT); // 1 = member present (duplicates are refused)

// @ts-ignore: decorator
@inline function has(i: i32): bool { return load<u8>(seen + <usize>i) != 0; }
// @ts-ignore: decorator
@inline function val(i: i32): i32 { return load<i32>(vals + <usize>(i << 2)); }

/** Buffer of string slot `k` (aux of K_STR/K_TOPIC rows). */
function strBuf(k: i32): usize {
  if (k == 0) return cfg.uidBuf;
  if (k == 1) return cfg.keyBuf;
  if (k == 2) return cfg.clientIdBuf;
  if (k == 3) return cfg.uplinkBuf;
  if (k == 4) return cfg.downlinkBuf;
  if (k == 5) return cfg.hostBuf;
  if (k == 6) return cfg.userBuf;
  if (k == 7) return cfg.passBuf;
  if (k == 8) return cfg.willTopicBuf;
  return cfg.willPayloadBuf;
}

/** Validates the current member into vals; false when its name is unknown. */
function member(): bool {
  const i = wordIndex(MEMBERS, jsonKeyPtr(), jsonKeyLen());
  if (i < 0) return false;
  if (has(i)) { bad(ascii("is given more than once")); return true; }
  store<u8>(seen + <usize>i, 1);
  const k = <i32>load<u8>(KIND + <usize>i);
  const kind = k & 7;
  const aux = k >> 3;
  const lo = <i32>load<i16>(LO + <usize>(i << 1));
  const hi = load<i32>(HI + <usize>(i << 2));
  let v = 0;
  if (kind == K_INT) v = takeInt(lo, hi);
  else if (kind == K_SECS) v = takeInt(lo, hi) * 1000;
  else if (kind == K_SCALED) v = takeScaled(lo, hi, 10);
  else if (kind == K_BOOL) v = takeBool() ? 1 : 0;
  else if (kind == K_WORD) v = takeWord(wordList(aux));
  else {
    const buf = strBuf(aux);
    v = takeStr(buf, hi, lo, kind == K_TOPIC);
    if (i == M_CLIENT_ID) checkClientId(buf, v);
  }
  store<i32>(vals + <usize>(i << 2), v);
  return true;
}

/** MQTT 3.1.1 servers must accept 1..23 characters of [0-9a-zA-Z]; '-' and '_' are widely accepted too. */
function checkClientId(buf: usize, n: i32): void {
  for (let i = 0; i < n; i++) {
    const c = load<u8>(buf + <usize>i);
    const ok = (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c == 45 || c == 95;
    if (!ok) { bad(ascii("may contain only 0-9, a-z, A-Z, '-' and '_'")); return; }
  }
}

function requireMember(seen: bool, name: Ascii): void {
  if (!seen) badNamed(name, ascii("is required"));
}

function requirePin(pin: i32, name: Ascii, why: Ascii): void {
  if (pin < 0) badNamed(name, why);
}

/** Cross-member rules, checked once every member is read. */
function crossRules(): void {
  requireMember(has(0), ascii("uid"));
  requireMember(has(1), ascii("key"));
  requireMember(has(5), ascii("broker_host"));
  requireMember(has(3), ascii("uplink_topic"));
  requireMember(has(4), ascii("downlink_topic"));
  requireMember(has(58), ascii("empty_distance_mm"));
  requireMember(has(59), ascii("full_distance_mm"));
  if (failed) return;
  if (cfg.passSet && cfg.userLen == 0) badNamed(ascii("broker_password"), ascii("needs broker_user (MQTT sends a password only with a user name)"));
  if (cfg.fullDistanceMm >= cfg.emptyDistanceMm) badNamed(ascii("full_distance_mm"), ascii("must be less than empty_distance_mm (the sensor looks down)"));
  if (cfg.fullDistanceMm < cfg.blindMm) badNamed(ascii("full_distance_mm"), ascii("must not be inside the sensor's blind zone (blind_mm)"));
  if (cfg.emptyDistanceMm > cfg.maxRangeMm) badNamed(ascii("empty_distance_mm"), ascii("must not exceed the sensor's range (max_range_mm)"));
  if (cfg.backoffCapMs < cfg.backoffBaseMs) badNamed(ascii("mqtt_backoff_cap_ms"), ascii("must be at least mqtt_backoff_base_ms"));
  if (cfg.willPayloadLen > 0 && cfg.willTopicLen == 0) badNamed(ascii("will_payload"), ascii("needs will_topic"));
  if (cfg.sensorKind == cfg.SensorKind.PULSE) {
    requirePin(cfg.trigPin, ascii("trig_pin"), ascii("is required for a pulse-echo sensor"));
    requirePin(cfg.echoPin, ascii("echo_pin"), ascii("is required for a pulse-echo sensor"));
    if (cfg.trigPin >= 0 && cfg.trigPin == cfg.echoPin) badNamed(ascii("echo_pin"), ascii("must differ from trig_pin"));
  } else if (cfg.sensorKind == cfg.SensorKind.UART) {
    requirePin(cfg.uartPort, ascii("uart_port"), ascii("is required for a UART sensor"));
  } else {
    requirePin(cfg.adcChannel, ascii("adc_channel"), ascii("is required for an analog sensor"));
  }
  if (cfg.tempSource == cfg.TempSource.NTC) requirePin(cfg.ntcChannel, ascii("ntc_channel"), ascii("is required when temperature is \"ntc\""));
  if (cfg.pumpMode != cfg.PumpMode.NONE) {
    requirePin(cfg.relayPin, ascii("relay_pin"), ascii("is required unless pump_mode is \"none\""));
    if (cfg.relayPin >= 0 && (cfg.relayPin == cfg.trigPin || cfg.relayPin == cfg.echoPin)) badNamed(ascii("relay_pin"), ascii("must differ from trig_pin and echo_pin"));
  }
  if (cfg.buttonPin >= 0 && (cfg.buttonPin == cfg.relayPin || cfg.buttonPin == cfg.trigPin || cfg.buttonPin == cfg.echoPin)) {
    badNamed(ascii("button_pin"), ascii("must differ from relay_pin, trig_pin and echo_pin"));
  }
  if (cfg.autoMode) {
    if (cfg.pumpMode == cfg.PumpMode.FILL && cfg.autoStartPermille >= cfg.autoStopPermille) badNamed(ascii("auto_start_pct"), ascii("must be below auto_stop_pct in fill mode"));
    if (cfg.pumpMode == cfg.PumpMode.DRAIN && cfg.autoStartPermille <= cfg.autoStopPermille) badNamed(ascii("auto_start_pct"), ascii("must be above auto_stop_pct in drain mode"));
    if (cfg.pumpMode == cfg.PumpMode.NONE) badNamed(ascii("auto"), ascii("needs pump_mode fill or drain"));
  }
}

/** Parses `len` bytes of JSON at `ptr` (the config buffer). */
export function parseConfig(ptr: usize, len: i32): i32 {
  const rc = jsonOpen(ptr, len);
  if (rc < 0) {
    let o = putAscii(errBuf, ERR_CAP, 0, ascii("config: not a well-formed JSON object (scanner error "));
    o = putInt(errBuf, ERR_CAP, o, rc);
    o = putAscii(errBuf, ERR_CAP, o, ascii(")"));
    errLen = o < 0 ? 0 : o;
    failed = true;
    return INIT_CONFIG_JSON;
  }
  // Every member is validated before any is stored: config.ts keeps its
  // defaults unless the whole member list is valid.
  while (jsonNext() == 1 && !failed) {
    if (!member()) bad(ascii("is not a known member (see docs/CONFIG.md)"));
  }
  if (failed) return INIT_CONFIG_INVALID;
  commit();
  crossRules();
  return failed ? INIT_CONFIG_INVALID : INIT_OK;
}
