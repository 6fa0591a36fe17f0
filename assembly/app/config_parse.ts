// Parses and validates the host's JSON config (docs/CONFIG.md) into config.ts.
//
// Contract: parseConfig(ptr, len) returns INIT_OK, or INIT_CONFIG_JSON /
// INIT_CONFIG_INVALID with a text (errorPtr/errorLen) naming the member and
// the rule. Unknown members are rejected (a typo must not silently fall back
// to a default). The `sensor` profile is applied before every other member,
// whatever the order, so explicit members override the profile.
import * as cfg from "../config";
import {
  jsonOpen, jsonNext, jsonKeyIs, jsonKeyPtr, jsonKeyLen, jsonType, JsonType,
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

/** Sensor profiles: kind, blind zone mm, range mm, ping gap ms, trigger us (docs/SENSING.md). */
function applyProfile(): void {
  const p = takeWord(SENSORS);
  if (p == 0) profile(cfg.SensorKind.PULSE, 20, 4000, 60, 10);        // hc-sr04
  else if (p == 1) profile(cfg.SensorKind.PULSE, 250, 4500, 100, 20); // jsn-sr04t
  else if (p == 2) profile(cfg.SensorKind.PULSE, 200, 4500, 100, 20); // aj-sr04m
  else if (p == 3) profile(cfg.SensorKind.UART, 30, 4500, 100, 10);   // a02yyuw
  else if (p == 4) profile(cfg.SensorKind.UART, 250, 6000, 100, 10);  // jsn-sr04t-uart
  else if (p == 5) profile(cfg.SensorKind.ANALOG, 300, 5000, 50, 10); // maxbotix
}

function profile(kind: cfg.SensorKind, blind: i32, range: i32, gap: u32, trig: i32): void {
  cfg.sensorKind = kind;
  cfg.blindMm = blind;
  cfg.maxRangeMm = range;
  cfg.pingGapMs = gap;
  cfg.triggerUs = trig;
}

// ----------------------------------------------------------- members
// MEMBERS and the cases of member() are in the same order: word i of MEMBERS
// is case i (the comments at each case name the member). test/config/config.test.ts checks every member against the
// ranges documented in docs/CONFIG.md, which catches a shifted list.
// One literal (string concatenation would run, and allocate, at start).
const MEMBERS = ascii("uid key client_id uplink_topic downlink_topic broker_host broker_port broker_user broker_password mqtt_keepalive_s mqtt_clean_session mqtt_qos mqtt_inflight mqtt_backoff_base_ms mqtt_backoff_cap_ms mqtt_stable_ms mqtt_connect_timeout_ms mqtt_ping_timeout_ms will_topic will_payload will_qos will_retain json_numbers level_decimals temperature_decimals deadband_pct heartbeat_s min_interval_s ping_interval_s send_temperature sensor trig_pin echo_pin trigger_us blind_mm max_range_mm ping_gap_ms uart_port uart_baud adc_channel adc_bits adc_ref_mv analog_mm_per_v analog_samples pings_per_reading reading_interval_ms spike_limit_mm spike_confirm smoothing_pct stale_ms temperature temperature_c ntc_channel ntc_r0_ohm ntc_t0_c ntc_beta ntc_series_ohm ntc_bits empty_distance_mm full_distance_mm distance_offset_mm tank_shape tank_diameter_mm tank_length_mm tank_width_mm relay_pin relay_active_high pump_mode power_on min_on_s min_off_s max_run_s lockout_s high_cutoff_pct low_cutoff_pct cutoff_hysteresis_pct unknown_level_off_s auto auto_start_pct auto_stop_pct button_pin button_active_low button_debounce_ms mqtt_puback_timeout_ms"); // 80..83

let seenUid = false, seenKey = false, seenHost = false, seenUp = false, seenDown = false;
let seenEmpty = false, seenFull = false;

/** One member of the second pass. Returns false when the name is unknown. */
function member(): bool {
  switch (wordIndex(MEMBERS, jsonKeyPtr(), jsonKeyLen())) {
    case 0: /* uid */ cfg.uidLen = takeStr(cfg.uidBuf, cfg.UID_CAP, 1, false); seenUid = true; break;
    case 1: /* key */ cfg.keyLen = takeStr(cfg.keyBuf, cfg.KEY_CAP, 1, false); seenKey = true; break;
    case 2: /* client_id */ cfg.clientIdLen = takeStr(cfg.clientIdBuf, cfg.CLIENT_ID_CAP, 1, false); checkClientId(); break;
    case 3: /* uplink_topic */ cfg.uplinkLen = takeStr(cfg.uplinkBuf, cfg.TOPIC_CAP, 1, true); seenUp = true; break;
    case 4: /* downlink_topic */ cfg.downlinkLen = takeStr(cfg.downlinkBuf, cfg.TOPIC_CAP, 1, true); seenDown = true; break;
    case 5: /* broker_host */ cfg.hostLen = takeStr(cfg.hostBuf, cfg.HOST_CAP, 1, false); seenHost = true; break;
    case 6: /* broker_port */ cfg.brokerPort = takeInt(1, 65535); break;
    case 7: /* broker_user */ cfg.userLen = takeStr(cfg.userBuf, cfg.USER_CAP, 1, false); break;
    case 8: /* broker_password */ cfg.passLen = takeStr(cfg.passBuf, cfg.PASS_CAP, 0, false); cfg.passSet = true; break;
    case 9: /* mqtt_keepalive_s */ cfg.keepAliveS = takeInt(0, 3600); break;
    case 10: /* mqtt_clean_session */ cfg.cleanSession = takeBool(); break;
    case 11: /* mqtt_qos */ cfg.uplinkQos = takeInt(0, 1); break;
    case 12: /* mqtt_inflight */ cfg.inflightMax = takeInt(1, cfg.INFLIGHT_SLOTS); break;
    case 13: /* mqtt_backoff_base_ms */ cfg.backoffBaseMs = <u32>takeInt(100, 60000); break;
    case 14: /* mqtt_backoff_cap_ms */ cfg.backoffCapMs = <u32>takeInt(100, 3600000); break;
    case 15: /* mqtt_stable_ms */ cfg.backoffResetMs = <u32>takeInt(1000, 3600000); break;
    case 16: /* mqtt_connect_timeout_ms */ cfg.connectTimeoutMs = <u32>takeInt(1000, 120000); break;
    case 17: /* mqtt_ping_timeout_ms */ cfg.pingTimeoutMs = <u32>takeInt(500, 60000); break;
    case 18: /* will_topic */ cfg.willTopicLen = takeStr(cfg.willTopicBuf, cfg.WILL_CAP, 1, true); break;
    case 19: /* will_payload */ cfg.willPayloadLen = takeStr(cfg.willPayloadBuf, cfg.WILL_CAP, 0, false); break;
    case 20: /* will_qos */ cfg.willQos = takeInt(0, 1); break;
    case 21: /* will_retain */ cfg.willRetain = takeBool(); break;
    case 22: /* json_numbers */ cfg.numbersAsStrings = !takeBool(); break;
    case 23: /* level_decimals */ cfg.levelDecimals = takeInt(0, 3); break;
    case 24: /* temperature_decimals */ cfg.temperatureDecimals = takeInt(0, 3); break;
    case 25: /* deadband_pct */ cfg.deadbandPermille = takeScaled(0, 100, 10); break;
    case 26: /* heartbeat_s */ cfg.heartbeatMs = takeSecondsMs(10, 86400); break;
    case 27: /* min_interval_s */ cfg.minIntervalMs = takeSecondsMs(0, 3600); break;
    case 28: /* ping_interval_s */ cfg.pingIntervalMs = takeSecondsMs(10, 86400); break;
    case 29: /* send_temperature */ cfg.sendTemperature = takeBool(); break;
    case 30: /* sensor */ break; // sensor: applied in the first pass
    case 31: /* trig_pin */ cfg.trigPin = takePin(63); break;
    case 32: /* echo_pin */ cfg.echoPin = takePin(63); break;
    case 33: /* trigger_us */ cfg.triggerUs = takeInt(5, 1000); break;
    case 34: /* blind_mm */ cfg.blindMm = takeInt(0, 2000); break;
    case 35: /* max_range_mm */ cfg.maxRangeMm = takeInt(100, 20000); break;
    case 36: /* ping_gap_ms */ cfg.pingGapMs = <u32>takeInt(10, 5000); break;
    case 37: /* uart_port */ cfg.uartPort = takePin(7); break;
    case 38: /* uart_baud */ cfg.uartBaud = takeInt(1200, 921600); break;
    case 39: /* adc_channel */ cfg.adcChannel = takePin(31); break;
    case 40: /* adc_bits */ cfg.adcBits = takeInt(8, 16); break;
    case 41: /* adc_ref_mv */ cfg.adcRefMv = takeInt(500, 5000); break;
    case 42: /* analog_mm_per_v */ cfg.analogUmPerMv = takeInt(1, 100000); break;
    case 43: /* analog_samples */ cfg.analogSamples = takeInt(1, 64); break;
    case 44: /* pings_per_reading */ cfg.pingsPerReading = takeInt(1, 15); break;
    case 45: /* reading_interval_ms */ cfg.readingIntervalMs = <u32>takeInt(100, 3600000); break;
    case 46: /* spike_limit_mm */ cfg.spikeLimitMm = takeInt(0, 20000); break;
    case 47: /* spike_confirm */ cfg.spikeConfirm = takeInt(1, 10); break;
    case 48: /* smoothing_pct */ cfg.smoothingPct = takeInt(0, 95); break;
    case 49: /* stale_ms */ cfg.staleMs = <u32>takeInt(1000, 3600000); break;
    case 50: /* temperature */ { const t = takeWord(TEMP_SOURCES); if (t >= 0) cfg.tempSource = <cfg.TempSource>t; break; }
    case 51: /* temperature_c */ cfg.tempFixedDeciC = takeScaled(-40, 85, 10); break;
    case 52: /* ntc_channel */ cfg.ntcChannel = takePin(31); break;
    case 53: /* ntc_r0_ohm */ cfg.ntcR0 = takeInt(100, 1000000); break;
    case 54: /* ntc_t0_c */ cfg.ntcT0DeciC = takeScaled(-40, 85, 10); break;
    case 55: /* ntc_beta */ cfg.ntcBeta = takeInt(1000, 10000); break;
    case 56: /* ntc_series_ohm */ cfg.ntcSeriesOhm = takeInt(100, 1000000); break;
    case 57: /* ntc_bits */ cfg.ntcBits = takeInt(8, 16); break;
    case 58: /* empty_distance_mm */ cfg.emptyDistanceMm = takeInt(1, 20000); seenEmpty = true; break;
    case 59: /* full_distance_mm */ cfg.fullDistanceMm = takeInt(0, 20000); seenFull = true; break;
    case 60: /* distance_offset_mm */ cfg.distanceOffsetMm = takeInt(-1000, 1000); break;
    case 61: /* tank_shape */ { const t = takeWord(SHAPES); if (t >= 0) cfg.tankShape = <cfg.TankShape>t; break; }
    case 62: /* tank_diameter_mm */ cfg.tankDiameterMm = takeInt(10, 20000); break;
    case 63: /* tank_length_mm */ cfg.tankLengthMm = takeInt(10, 50000); break;
    case 64: /* tank_width_mm */ cfg.tankWidthMm = takeInt(10, 50000); break;
    case 65: /* relay_pin */ cfg.relayPin = takePin(63); break;
    case 66: /* relay_active_high */ cfg.relayActiveHigh = takeBool(); break;
    case 67: /* pump_mode */ { const t = takeWord(PUMP_MODES); if (t >= 0) cfg.pumpMode = <cfg.PumpMode>t; break; }
    case 68: /* power_on */ { const t = takeWord(POWER_ON); if (t >= 0) cfg.powerOn = <cfg.PowerOn>t; break; }
    case 69: /* min_on_s */ cfg.minOnMs = takeSecondsMs(0, 3600); break;
    case 70: /* min_off_s */ cfg.minOffMs = takeSecondsMs(0, 3600); break;
    case 71: /* max_run_s */ cfg.maxRunMs = takeSecondsMs(10, 86400); break;
    case 72: /* lockout_s */ cfg.lockoutMs = takeSecondsMs(0, 86400); break;
    case 73: /* high_cutoff_pct */ cfg.highCutoffPermille = takeScaled(1, 100, 10); break;
    case 74: /* low_cutoff_pct */ cfg.lowCutoffPermille = takeScaled(0, 99, 10); break;
    case 75: /* cutoff_hysteresis_pct */ cfg.hysteresisPermille = takeScaled(0, 50, 10); break;
    case 76: /* unknown_level_off_s */ cfg.unknownOffMs = takeSecondsMs(1, 3600); break;
    case 77: /* auto */ cfg.autoMode = takeBool(); break;
    case 78: /* auto_start_pct */ cfg.autoStartPermille = takeScaled(0, 100, 10); break;
    case 79: /* auto_stop_pct */ cfg.autoStopPermille = takeScaled(0, 100, 10); break;
    case 80: /* button_pin */ cfg.buttonPin = takePin(63); break;
    case 81: /* button_active_low */ cfg.buttonActiveLow = takeBool(); break;
    case 82: /* button_debounce_ms */ cfg.buttonDebounceMs = <u32>takeInt(10, 1000); break;
    case 83: /* mqtt_puback_timeout_ms */ cfg.pubackTimeoutMs = <u32>takeInt(1000, 3600000); break;
    default: return false;
  }
  return true;
}

/** MQTT 3.1.1 servers must accept 1..23 characters of [0-9a-zA-Z]; '-' and '_' are widely accepted too. */
function checkClientId(): void {
  for (let i = 0; i < cfg.clientIdLen; i++) {
    const c = load<u8>(cfg.clientIdBuf + <usize>i);
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
  requireMember(seenUid, ascii("uid"));
  requireMember(seenKey, ascii("key"));
  requireMember(seenHost, ascii("broker_host"));
  requireMember(seenUp, ascii("uplink_topic"));
  requireMember(seenDown, ascii("downlink_topic"));
  requireMember(seenEmpty, ascii("empty_distance_mm"));
  requireMember(seenFull, ascii("full_distance_mm"));
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
  // First pass: the sensor profile, so that explicit members override it.
  while (jsonNext() == 1) {
    if (jsonKeyIs(ascii("sensor"))) applyProfile();
  }
  if (failed) return INIT_CONFIG_INVALID;
  jsonOpen(ptr, len);
  while (jsonNext() == 1 && !failed) {
    if (!member()) bad(ascii("is not a known member (see docs/CONFIG.md)"));
  }
  if (!failed) crossRules();
  return failed ? INIT_CONFIG_INVALID : INIT_OK;
}
