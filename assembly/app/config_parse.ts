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
import { putAscii, putBytes, putInt, putWord, copyBytes, wordIndex } from "../util/bytes";
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

/** Error about member `member` (index in MEMBERS) by name: missing members, cross-member rules. */
function badNamed(member: i32, rule: Ascii): void {
  if (failed) return;
  failed = true;
  let o = putAscii(errBuf, ERR_CAP, 0, ascii("config: member \""));
  o = putWord(errBuf, ERR_CAP, o, MEMBERS, member);
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
// Table-driven: a member's name is word i of MEMBERS; row i of ROWS says
// how to validate it; its value is kept in vals[i] (seen[i] set) and only
// commit() stores it into config.ts, once every member is valid. No `switch`
// over members: one function with ~85 cases nests ~85 blocks deep, past
// wasm3's validator limit of 32 (docs/CONFIG.md). test/config/config.test.ts
// checks every member against the ranges documented in docs/CONFIG.md, which
// catches a shifted row.
const K_INT: u16 = 0;     // integer in [lo, hi]
const K_SECS: u16 = 1;    // integer seconds in [lo, hi], stored in ms
const K_SCALED: u16 = 2;  // number in [lo, hi], stored x10 (0.1 % or 0.1 degC)
const K_BOOL: u16 = 3;
const K_STR: u16 = 4;     // string of lo..hi bytes into string slot aux
const K_TOPIC: u16 = 5;   // like K_STR, without MQTT wildcards and U+0000
const K_WORD: u16 = 6;    // one word of word list aux, stored as its index
const HUNDREDS: u16 = 128;
const ROW: i32 = 6;       // bytes per row of ROWS
// Indexes in MEMBERS of the members that rules below name.
const M_UID: i32 = 0;
const M_KEY: i32 = 1;
const M_CLIENT_ID: i32 = 2;
const M_UPLINK: i32 = 3;
const M_DOWNLINK: i32 = 4;
const M_HOST: i32 = 5;
const M_PASSWORD: i32 = 8;
const M_BACKOFF_CAP: i32 = 14;
const M_WILL_PAYLOAD: i32 = 19;
const M_SENSOR: i32 = 30;
const M_TRIG: i32 = 31;
const M_ECHO: i32 = 32;
const M_UART: i32 = 37;
const M_ADC: i32 = 39;
const M_NTC: i32 = 52;
const M_EMPTY: i32 = 58;
const M_FULL: i32 = 59;
const M_RELAY: i32 = 65;
const M_AUTO: i32 = 77;
const M_AUTO_START: i32 = 78;
const M_BUTTON: i32 = 80;

// One literal (string concatenation would run, and allocate, at start).
const MEMBERS = ascii("uid key client_id uplink_topic downlink_topic broker_host broker_port broker_user broker_password mqtt_keepalive_s mqtt_clean_session mqtt_qos mqtt_inflight mqtt_backoff_base_ms mqtt_backoff_cap_ms mqtt_stable_ms mqtt_connect_timeout_ms mqtt_ping_timeout_ms will_topic will_payload will_qos will_retain json_numbers level_decimals temperature_decimals deadband_pct heartbeat_s min_interval_s ping_interval_s send_temperature sensor trig_pin echo_pin trigger_us blind_mm max_range_mm ping_gap_ms uart_port uart_baud adc_channel adc_bits adc_ref_mv analog_mm_per_v analog_samples pings_per_reading reading_interval_ms spike_limit_mm spike_confirm smoothing_pct stale_ms temperature temperature_c ntc_channel ntc_r0_ohm ntc_t0_c ntc_beta ntc_series_ohm ntc_bits empty_distance_mm full_distance_mm distance_offset_mm tank_shape tank_diameter_mm tank_length_mm tank_width_mm relay_pin relay_active_high pump_mode power_on min_on_s min_off_s max_run_s lockout_s high_cutoff_pct low_cutoff_pct cutoff_hysteresis_pct unknown_level_off_s auto auto_start_pct auto_stop_pct button_pin button_active_low button_debounce_ms broker_tls mqtt_puback_timeout_ms");
export const MEMBER_COUNT: i32 = 85;
// Row i describes member i (word i of MEMBERS): kind (| aux << 3: string slot
// or word list; | HUNDREDS: the highest value is given in hundreds), lowest
// value (strings: minimum length), highest value (strings: capacity).
const ROWS = memory.data<u16>([
  K_STR, 1, <u16>cfg.UID_CAP, // uid
  K_STR | 1 << 3, 1, <u16>cfg.KEY_CAP, // key
  K_STR | 2 << 3, 1, <u16>cfg.CLIENT_ID_CAP, // client_id
  K_TOPIC | 3 << 3, 1, <u16>cfg.TOPIC_CAP, // uplink_topic
  K_TOPIC | 4 << 3, 1, <u16>cfg.TOPIC_CAP, // downlink_topic
  K_STR | 5 << 3, 1, <u16>cfg.HOST_CAP, // broker_host
  K_INT, 1, 65535, // broker_port
  K_STR | 6 << 3, 1, <u16>cfg.USER_CAP, // broker_user
  K_STR | 7 << 3, 0, <u16>cfg.PASS_CAP, // broker_password
  K_INT, 0, 3600, // mqtt_keepalive_s
  K_BOOL, 0, 1, // mqtt_clean_session
  K_INT, 0, 1, // mqtt_qos
  K_INT, 1, <u16>cfg.INFLIGHT_SLOTS, // mqtt_inflight
  K_INT, 100, 60000, // mqtt_backoff_base_ms
  K_INT | HUNDREDS, 100, 36000, // mqtt_backoff_cap_ms
  K_INT | HUNDREDS, 1000, 36000, // mqtt_stable_ms
  K_INT | HUNDREDS, 1000, 1200, // mqtt_connect_timeout_ms
  K_INT, 500, 60000, // mqtt_ping_timeout_ms
  K_TOPIC | 8 << 3, 1, <u16>cfg.WILL_CAP, // will_topic
  K_STR | 9 << 3, 0, <u16>cfg.WILL_CAP, // will_payload
  K_INT, 0, 1, // will_qos
  K_BOOL, 0, 1, // will_retain
  K_BOOL, 0, 1, // json_numbers
  K_INT, 0, 3, // level_decimals
  K_INT, 0, 3, // temperature_decimals
  K_SCALED, 0, 100, // deadband_pct
  K_SECS | HUNDREDS, 10, 864, // heartbeat_s
  K_SECS, 0, 3600, // min_interval_s
  K_SECS | HUNDREDS, 10, 864, // ping_interval_s
  K_BOOL, 0, 1, // send_temperature
  K_WORD, 0, 0, // sensor
  K_INT, <u16>(-1), 63, // trig_pin
  K_INT, <u16>(-1), 63, // echo_pin
  K_INT, 5, 1000, // trigger_us
  K_INT, 0, 2000, // blind_mm
  K_INT, 100, 20000, // max_range_mm
  K_INT, 10, 5000, // ping_gap_ms
  K_INT, <u16>(-1), 7, // uart_port
  K_INT | HUNDREDS, 1200, 9216, // uart_baud
  K_INT, <u16>(-1), 31, // adc_channel
  K_INT, 8, 16, // adc_bits
  K_INT, 500, 5000, // adc_ref_mv
  K_INT | HUNDREDS, 1, 1000, // analog_mm_per_v
  K_INT, 1, 64, // analog_samples
  K_INT, 1, 15, // pings_per_reading
  K_INT | HUNDREDS, 100, 36000, // reading_interval_ms
  K_INT, 0, 20000, // spike_limit_mm
  K_INT, 1, 10, // spike_confirm
  K_INT, 0, 95, // smoothing_pct
  K_INT | HUNDREDS, 1000, 36000, // stale_ms
  K_WORD | 1 << 3, 0, 0, // temperature
  K_SCALED, <u16>(-40), 85, // temperature_c
  K_INT, <u16>(-1), 31, // ntc_channel
  K_INT | HUNDREDS, 100, 10000, // ntc_r0_ohm
  K_SCALED, <u16>(-40), 85, // ntc_t0_c
  K_INT, 1000, 10000, // ntc_beta
  K_INT | HUNDREDS, 100, 10000, // ntc_series_ohm
  K_INT, 8, 16, // ntc_bits
  K_INT, 1, 20000, // empty_distance_mm
  K_INT, 0, 20000, // full_distance_mm
  K_INT, <u16>(-1000), 1000, // distance_offset_mm
  K_WORD | 2 << 3, 0, 0, // tank_shape
  K_INT, 10, 20000, // tank_diameter_mm
  K_INT, 10, 50000, // tank_length_mm
  K_INT, 10, 50000, // tank_width_mm
  K_INT, <u16>(-1), 63, // relay_pin
  K_BOOL, 0, 1, // relay_active_high
  K_WORD | 3 << 3, 0, 0, // pump_mode
  K_WORD | 4 << 3, 0, 0, // power_on
  K_SECS, 0, 3600, // min_on_s
  K_SECS, 0, 3600, // min_off_s
  K_SECS | HUNDREDS, 10, 864, // max_run_s
  K_SECS | HUNDREDS, 0, 864, // lockout_s
  K_SCALED, 1, 100, // high_cutoff_pct
  K_SCALED, 0, 99, // low_cutoff_pct
  K_SCALED, 0, 50, // cutoff_hysteresis_pct
  K_SECS, 1, 3600, // unknown_level_off_s
  K_BOOL, 0, 1, // auto
  K_SCALED, 0, 100, // auto_start_pct
  K_SCALED, 0, 100, // auto_stop_pct
  K_INT, <u16>(-1), 63, // button_pin
  K_BOOL, 0, 1, // button_active_low
  K_INT, 10, 1000, // button_debounce_ms
  K_BOOL, 0, 1, // broker_tls
  K_INT | HUNDREDS, 1000, 36000, // mqtt_puback_timeout_ms
]);

/** Stores the validated values of the members present into config.ts (straight-line: no nesting). */
function commit(): void {
  if (has(M_SENSOR)) applyProfile(val(M_SENSOR)); // first: explicit members override the profile
  cfg.uidLen = pick(0, cfg.uidLen); // uid
  cfg.keyLen = pick(1, cfg.keyLen); // key
  cfg.clientIdLen = pick(2, cfg.clientIdLen); // client_id
  cfg.uplinkLen = pick(3, cfg.uplinkLen); // uplink_topic
  cfg.downlinkLen = pick(4, cfg.downlinkLen); // downlink_topic
  cfg.hostLen = pick(5, cfg.hostLen); // broker_host
  cfg.brokerPort = pick(6, cfg.brokerPort); // broker_port
  cfg.userLen = pick(7, cfg.userLen); // broker_user
  cfg.passLen = pick(8, cfg.passLen); // broker_password
  if (has(8)) cfg.passSet = true;
  cfg.keepAliveS = pick(9, cfg.keepAliveS); // mqtt_keepalive_s
  cfg.cleanSession = pick(10, <i32>cfg.cleanSession) != 0; // mqtt_clean_session
  cfg.uplinkQos = pick(11, cfg.uplinkQos); // mqtt_qos
  cfg.inflightMax = pick(12, cfg.inflightMax); // mqtt_inflight
  cfg.backoffBaseMs = <u32>pick(13, <i32>cfg.backoffBaseMs); // mqtt_backoff_base_ms
  cfg.backoffCapMs = <u32>pick(14, <i32>cfg.backoffCapMs); // mqtt_backoff_cap_ms
  cfg.backoffResetMs = <u32>pick(15, <i32>cfg.backoffResetMs); // mqtt_stable_ms
  cfg.connectTimeoutMs = <u32>pick(16, <i32>cfg.connectTimeoutMs); // mqtt_connect_timeout_ms
  cfg.pingTimeoutMs = <u32>pick(17, <i32>cfg.pingTimeoutMs); // mqtt_ping_timeout_ms
  cfg.willTopicLen = pick(18, cfg.willTopicLen); // will_topic
  cfg.willPayloadLen = pick(19, cfg.willPayloadLen); // will_payload
  cfg.willQos = pick(20, cfg.willQos); // will_qos
  cfg.willRetain = pick(21, <i32>cfg.willRetain) != 0; // will_retain
  cfg.numbersAsStrings = pick(22, cfg.numbersAsStrings ? 0 : 1) == 0; // json_numbers
  cfg.levelDecimals = pick(23, cfg.levelDecimals); // level_decimals
  cfg.temperatureDecimals = pick(24, cfg.temperatureDecimals); // temperature_decimals
  cfg.deadbandPermille = pick(25, cfg.deadbandPermille); // deadband_pct
  cfg.heartbeatMs = <u32>pick(26, <i32>cfg.heartbeatMs); // heartbeat_s
  cfg.minIntervalMs = <u32>pick(27, <i32>cfg.minIntervalMs); // min_interval_s
  cfg.pingIntervalMs = <u32>pick(28, <i32>cfg.pingIntervalMs); // ping_interval_s
  cfg.sendTemperature = pick(29, <i32>cfg.sendTemperature) != 0; // send_temperature
  cfg.trigPin = pick(31, cfg.trigPin); // trig_pin
  cfg.echoPin = pick(32, cfg.echoPin); // echo_pin
  cfg.triggerUs = pick(33, cfg.triggerUs); // trigger_us
  cfg.blindMm = pick(34, cfg.blindMm); // blind_mm
  cfg.maxRangeMm = pick(35, cfg.maxRangeMm); // max_range_mm
  cfg.pingGapMs = <u32>pick(36, <i32>cfg.pingGapMs); // ping_gap_ms
  cfg.uartPort = pick(37, cfg.uartPort); // uart_port
  cfg.uartBaud = pick(38, cfg.uartBaud); // uart_baud
  cfg.adcChannel = pick(39, cfg.adcChannel); // adc_channel
  cfg.adcBits = pick(40, cfg.adcBits); // adc_bits
  cfg.adcRefMv = pick(41, cfg.adcRefMv); // adc_ref_mv
  cfg.analogUmPerMv = pick(42, cfg.analogUmPerMv); // analog_mm_per_v
  cfg.analogSamples = pick(43, cfg.analogSamples); // analog_samples
  cfg.pingsPerReading = pick(44, cfg.pingsPerReading); // pings_per_reading
  cfg.readingIntervalMs = <u32>pick(45, <i32>cfg.readingIntervalMs); // reading_interval_ms
  cfg.spikeLimitMm = pick(46, cfg.spikeLimitMm); // spike_limit_mm
  cfg.spikeConfirm = pick(47, cfg.spikeConfirm); // spike_confirm
  cfg.smoothingPct = pick(48, cfg.smoothingPct); // smoothing_pct
  cfg.staleMs = <u32>pick(49, <i32>cfg.staleMs); // stale_ms
  cfg.tempSource = <cfg.TempSource>pick(50, <i32>cfg.tempSource); // temperature
  cfg.tempFixedDeciC = pick(51, cfg.tempFixedDeciC); // temperature_c
  cfg.ntcChannel = pick(52, cfg.ntcChannel); // ntc_channel
  cfg.ntcR0 = pick(53, cfg.ntcR0); // ntc_r0_ohm
  cfg.ntcT0DeciC = pick(54, cfg.ntcT0DeciC); // ntc_t0_c
  cfg.ntcBeta = pick(55, cfg.ntcBeta); // ntc_beta
  cfg.ntcSeriesOhm = pick(56, cfg.ntcSeriesOhm); // ntc_series_ohm
  cfg.ntcBits = pick(57, cfg.ntcBits); // ntc_bits
  cfg.emptyDistanceMm = pick(58, cfg.emptyDistanceMm); // empty_distance_mm
  cfg.fullDistanceMm = pick(59, cfg.fullDistanceMm); // full_distance_mm
  cfg.distanceOffsetMm = pick(60, cfg.distanceOffsetMm); // distance_offset_mm
  cfg.tankShape = <cfg.TankShape>pick(61, <i32>cfg.tankShape); // tank_shape
  cfg.tankDiameterMm = pick(62, cfg.tankDiameterMm); // tank_diameter_mm
  cfg.tankLengthMm = pick(63, cfg.tankLengthMm); // tank_length_mm
  cfg.tankWidthMm = pick(64, cfg.tankWidthMm); // tank_width_mm
  cfg.relayPin = pick(65, cfg.relayPin); // relay_pin
  cfg.relayActiveHigh = pick(66, <i32>cfg.relayActiveHigh) != 0; // relay_active_high
  cfg.pumpMode = <cfg.PumpMode>pick(67, <i32>cfg.pumpMode); // pump_mode
  cfg.powerOn = <cfg.PowerOn>pick(68, <i32>cfg.powerOn); // power_on
  cfg.minOnMs = <u32>pick(69, <i32>cfg.minOnMs); // min_on_s
  cfg.minOffMs = <u32>pick(70, <i32>cfg.minOffMs); // min_off_s
  cfg.maxRunMs = <u32>pick(71, <i32>cfg.maxRunMs); // max_run_s
  cfg.lockoutMs = <u32>pick(72, <i32>cfg.lockoutMs); // lockout_s
  cfg.highCutoffPermille = pick(73, cfg.highCutoffPermille); // high_cutoff_pct
  cfg.lowCutoffPermille = pick(74, cfg.lowCutoffPermille); // low_cutoff_pct
  cfg.hysteresisPermille = pick(75, cfg.hysteresisPermille); // cutoff_hysteresis_pct
  cfg.unknownOffMs = <u32>pick(76, <i32>cfg.unknownOffMs); // unknown_level_off_s
  cfg.autoMode = pick(77, <i32>cfg.autoMode) != 0; // auto
  cfg.autoStartPermille = pick(78, cfg.autoStartPermille); // auto_start_pct
  cfg.autoStopPermille = pick(79, cfg.autoStopPermille); // auto_stop_pct
  cfg.buttonPin = pick(80, cfg.buttonPin); // button_pin
  cfg.buttonActiveLow = pick(81, <i32>cfg.buttonActiveLow) != 0; // button_active_low
  cfg.buttonDebounceMs = <u32>pick(82, <i32>cfg.buttonDebounceMs); // button_debounce_ms
  cfg.brokerTls = pick(83, <i32>cfg.brokerTls) != 0; // broker_tls
  cfg.pubackTimeoutMs = <u32>pick(84, <i32>cfg.pubackTimeoutMs); // mqtt_puback_timeout_ms
}

/** The validated value of member `i` when present, else `current` (the default). */
function pick(i: i32, current: i32): i32 {
  return has(i) ? val(i) : current;
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
  const row = ROWS + <usize>(i * ROW);
  const k = <i32>load<u16>(row);
  const kind = k & 7;
  const aux = (k >> 3) & 15;
  const lo = <i32>load<i16>(row + 2);
  const hi = <i32>load<u16>(row + 4) * ((k & HUNDREDS) != 0 ? 100 : 1);
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

function requireMember(member: i32): void {
  if (!has(member)) badNamed(member, ascii("is required"));
}

function requirePin(pin: i32, member: i32, why: Ascii): void {
  if (pin < 0) badNamed(member, why);
}

/** Cross-member rules, checked once every member is read. */
function crossRules(): void {
  requireMember(M_UID);
  requireMember(M_KEY);
  requireMember(M_HOST);
  requireMember(M_UPLINK);
  requireMember(M_DOWNLINK);
  requireMember(M_EMPTY);
  requireMember(M_FULL);
  if (failed) return;
  if (cfg.passSet && cfg.userLen == 0) badNamed(M_PASSWORD, ascii("needs broker_user (MQTT sends a password only with a user name)"));
  if (cfg.fullDistanceMm >= cfg.emptyDistanceMm) badNamed(M_FULL, ascii("must be less than empty_distance_mm (the sensor looks down)"));
  if (cfg.fullDistanceMm < cfg.blindMm) badNamed(M_FULL, ascii("must not be inside the sensor's blind zone (blind_mm)"));
  if (cfg.emptyDistanceMm > cfg.maxRangeMm) badNamed(M_EMPTY, ascii("must not exceed the sensor's range (max_range_mm)"));
  if (cfg.backoffCapMs < cfg.backoffBaseMs) badNamed(M_BACKOFF_CAP, ascii("must be at least mqtt_backoff_base_ms"));
  if (cfg.willPayloadLen > 0 && cfg.willTopicLen == 0) badNamed(M_WILL_PAYLOAD, ascii("needs will_topic"));
  if (cfg.sensorKind == cfg.SensorKind.PULSE) {
    requirePin(cfg.trigPin, M_TRIG, ascii("is required for a pulse-echo sensor"));
    requirePin(cfg.echoPin, M_ECHO, ascii("is required for a pulse-echo sensor"));
    if (cfg.trigPin >= 0 && cfg.trigPin == cfg.echoPin) badNamed(M_ECHO, ascii("must differ from trig_pin"));
  } else if (cfg.sensorKind == cfg.SensorKind.UART) {
    requirePin(cfg.uartPort, M_UART, ascii("is required for a UART sensor"));
  } else {
    requirePin(cfg.adcChannel, M_ADC, ascii("is required for an analog sensor"));
  }
  if (cfg.tempSource == cfg.TempSource.NTC) requirePin(cfg.ntcChannel, M_NTC, ascii("is required when temperature is \"ntc\""));
  if (cfg.pumpMode != cfg.PumpMode.NONE) {
    requirePin(cfg.relayPin, M_RELAY, ascii("is required unless pump_mode is \"none\""));
    if (cfg.relayPin >= 0 && (cfg.relayPin == cfg.trigPin || cfg.relayPin == cfg.echoPin)) badNamed(M_RELAY, ascii("must differ from trig_pin and echo_pin"));
  }
  if (cfg.buttonPin >= 0 && (cfg.buttonPin == cfg.relayPin || cfg.buttonPin == cfg.trigPin || cfg.buttonPin == cfg.echoPin)) {
    badNamed(M_BUTTON, ascii("must differ from relay_pin, trig_pin and echo_pin"));
  }
  if (cfg.autoMode) {
    if (cfg.pumpMode == cfg.PumpMode.FILL && cfg.autoStartPermille >= cfg.autoStopPermille) badNamed(M_AUTO_START, ascii("must be below auto_stop_pct in fill mode"));
    if (cfg.pumpMode == cfg.PumpMode.DRAIN && cfg.autoStartPermille <= cfg.autoStopPermille) badNamed(M_AUTO_START, ascii("must be above auto_stop_pct in drain mode"));
    if (cfg.pumpMode == cfg.PumpMode.NONE) badNamed(M_AUTO, ascii("needs pump_mode fill or drain"));
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
