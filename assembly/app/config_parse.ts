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
import { putAscii, putBytes, putInt, copyBytes, bytesEqAscii } from "../util/bytes";

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
export function setError(prefix: string, rule: string): void {
  if (failed) return;
  failed = true;
  let o = putAscii(errBuf, ERR_CAP, 0, prefix);
  if (o >= 0) { const o2 = putAscii(errBuf, ERR_CAP, o, rule); if (o2 >= 0) o = o2; }
  errLen = o < 0 ? 0 : o;
}

/** Error about the current member: `config: member "<key>": <rule>`. */
function bad(rule: string): void {
  if (failed) return;
  failed = true;
  let o = putAscii(errBuf, ERR_CAP, 0, "config: member \"");
  let n = jsonKeyLen();
  if (n > 48) n = 48;
  o = putBytes(errBuf, ERR_CAP, o, jsonKeyPtr(), n);
  o = putAscii(errBuf, ERR_CAP, o, "\": ");
  const o2 = putAscii(errBuf, ERR_CAP, o, rule);
  errLen = o2 >= 0 ? o2 : (o >= 0 ? o : 0);
}

/** Error about a member by name (missing members, cross-member rules). */
function badNamed(member: string, rule: string): void {
  if (failed) return;
  failed = true;
  let o = putAscii(errBuf, ERR_CAP, 0, "config: member \"");
  o = putAscii(errBuf, ERR_CAP, o, member);
  o = putAscii(errBuf, ERR_CAP, o, "\": ");
  const o2 = putAscii(errBuf, ERR_CAP, o, rule);
  errLen = o2 >= 0 ? o2 : (o >= 0 ? o : 0);
}

// ----------------------------------------------------------- value readers
// Each validates the current member and returns its value; on a bad value it
// records the error and returns a harmless value (the config is refused anyway).

/** Integer member in [lo, hi]; a JSON number with no fraction. */
function takeInt(lo: i32, hi: i32): i32 {
  if (jsonType() != JsonType.NUMBER) { bad("must be a number"); return lo; }
  const v = jsonNum();
  if (!(v == v) || v != Math.floor(v)) { bad("must be an integer"); return lo; }
  if (v < <f64>lo || v > <f64>hi) { rangeError(lo, hi); return lo; }
  return <i32>v; // integral and inside [lo, hi]
}

/** Number member in [lo, hi] (may have a fraction), returned multiplied by `scale` and rounded. */
function takeScaled(lo: i32, hi: i32, scale: i32): i32 {
  if (jsonType() != JsonType.NUMBER) { bad("must be a number"); return lo * scale; }
  const v = jsonNum();
  if (!(v == v) || v < <f64>lo || v > <f64>hi) { rangeError(lo, hi); return lo * scale; }
  const s = v * <f64>scale;
  return <i32>(s < 0 ? s - 0.5 : s + 0.5); // |s| <= hi*scale, checked by callers' ranges
}

function rangeError(lo: i32, hi: i32): void {
  if (failed) return;
  bad("must be between ");
  let o = putInt(errBuf, ERR_CAP, errLen, lo);
  o = putAscii(errBuf, ERR_CAP, o, " and ");
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
  bad("must be true or false");
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
  if (jsonType() != JsonType.STRING) { bad("must be a string"); return 0; }
  const n = jsonStrLen();
  if (jsonStrTruncated() || n > cap) {
    bad("is too long (at most ");
    let o = putInt(errBuf, ERR_CAP, errLen, cap);
    o = putAscii(errBuf, ERR_CAP, o, " bytes)");
    if (o >= 0) errLen = o;
    return 0;
  }
  if (n < minLen) { bad("must not be empty"); return 0; }
  const p = jsonStrPtr();
  if (topic) {
    for (let i = 0; i < n; i++) {
      const c = load<u8>(p + <usize>i);
      if (c == 0x2B || c == 0x23) { bad("must not contain MQTT wildcards + or #"); return 0; }
      if (c == 0) { bad("must not contain U+0000"); return 0; }
    }
  }
  copyBytes(buf, p, n);
  return n;
}

/** Current member is a string equal to the ASCII literal. */
function strIs(s: string): bool {
  return jsonType() == JsonType.STRING && bytesEqAscii(jsonStrPtr(), jsonStrLen(), s);
}

// ----------------------------------------------------------- sensor profiles

function applyProfile(): void {
  if (strIs("hc-sr04")) profile(cfg.SensorKind.PULSE, 20, 4000, 60, 10, 9600);
  else if (strIs("jsn-sr04t")) profile(cfg.SensorKind.PULSE, 250, 4500, 100, 20, 9600);
  else if (strIs("aj-sr04m")) profile(cfg.SensorKind.PULSE, 200, 4500, 100, 20, 9600);
  else if (strIs("a02yyuw")) profile(cfg.SensorKind.UART, 30, 4500, 100, 10, 9600);
  else if (strIs("jsn-sr04t-uart")) profile(cfg.SensorKind.UART, 250, 6000, 100, 10, 9600);
  else if (strIs("maxbotix")) profile(cfg.SensorKind.ANALOG, 300, 5000, 50, 10, 9600);
  else bad("must be one of hc-sr04, jsn-sr04t, aj-sr04m, a02yyuw, jsn-sr04t-uart, maxbotix");
}

function profile(kind: cfg.SensorKind, blind: i32, range: i32, gap: u32, trig: i32, baud: i32): void {
  cfg.sensorKind = kind;
  cfg.blindMm = blind;
  cfg.maxRangeMm = range;
  cfg.pingGapMs = gap;
  cfg.triggerUs = trig;
  cfg.uartBaud = baud;
}

// ----------------------------------------------------------- members

let seenUid = false, seenKey = false, seenHost = false, seenUp = false, seenDown = false;
let seenEmpty = false, seenFull = false;

/** One member of the second pass. Returns false when the name is unknown. */
function member(): bool {
  // identity and platform
  if (jsonKeyIs("uid")) { cfg.uidLen = takeStr(cfg.uidBuf, cfg.UID_CAP, 1, false); seenUid = true; }
  else if (jsonKeyIs("key")) { cfg.keyLen = takeStr(cfg.keyBuf, cfg.KEY_CAP, 1, false); seenKey = true; }
  else if (jsonKeyIs("client_id")) { cfg.clientIdLen = takeStr(cfg.clientIdBuf, cfg.CLIENT_ID_CAP, 1, false); checkClientId(); }
  else if (jsonKeyIs("uplink_topic")) { cfg.uplinkLen = takeStr(cfg.uplinkBuf, cfg.TOPIC_CAP, 1, true); seenUp = true; }
  else if (jsonKeyIs("downlink_topic")) { cfg.downlinkLen = takeStr(cfg.downlinkBuf, cfg.TOPIC_CAP, 1, true); seenDown = true; }
  // broker
  else if (jsonKeyIs("broker_host")) { cfg.hostLen = takeStr(cfg.hostBuf, cfg.HOST_CAP, 1, false); seenHost = true; }
  else if (jsonKeyIs("broker_port")) cfg.brokerPort = takeInt(1, 65535);
  else if (jsonKeyIs("broker_user")) cfg.userLen = takeStr(cfg.userBuf, cfg.USER_CAP, 1, false);
  else if (jsonKeyIs("broker_password")) { cfg.passLen = takeStr(cfg.passBuf, cfg.PASS_CAP, 0, false); cfg.passSet = true; }
  else if (jsonKeyIs("mqtt_keepalive_s")) cfg.keepAliveS = takeInt(0, 3600);
  else if (jsonKeyIs("mqtt_clean_session")) cfg.cleanSession = takeBool();
  else if (jsonKeyIs("mqtt_qos")) cfg.uplinkQos = takeInt(0, 1);
  else if (jsonKeyIs("mqtt_inflight")) cfg.inflightMax = takeInt(1, cfg.INFLIGHT_SLOTS);
  else if (jsonKeyIs("mqtt_backoff_base_ms")) cfg.backoffBaseMs = <u32>takeInt(100, 60000);
  else if (jsonKeyIs("mqtt_backoff_cap_ms")) cfg.backoffCapMs = <u32>takeInt(100, 3600000);
  else if (jsonKeyIs("mqtt_stable_ms")) cfg.backoffResetMs = <u32>takeInt(1000, 3600000);
  else if (jsonKeyIs("mqtt_connect_timeout_ms")) cfg.connectTimeoutMs = <u32>takeInt(1000, 120000);
  else if (jsonKeyIs("mqtt_ping_timeout_ms")) cfg.pingTimeoutMs = <u32>takeInt(500, 60000);
  else if (jsonKeyIs("will_topic")) cfg.willTopicLen = takeStr(cfg.willTopicBuf, cfg.WILL_CAP, 1, true);
  else if (jsonKeyIs("will_payload")) cfg.willPayloadLen = takeStr(cfg.willPayloadBuf, cfg.WILL_CAP, 0, false);
  else if (jsonKeyIs("will_qos")) cfg.willQos = takeInt(0, 1);
  else if (jsonKeyIs("will_retain")) cfg.willRetain = takeBool();
  // reporting
  else if (jsonKeyIs("json_numbers")) cfg.numbersAsStrings = !takeBool();
  else if (jsonKeyIs("level_decimals")) cfg.levelDecimals = takeInt(0, 3);
  else if (jsonKeyIs("temperature_decimals")) cfg.temperatureDecimals = takeInt(0, 3);
  else if (jsonKeyIs("deadband_pct")) cfg.deadbandPermille = takeScaled(0, 100, 10);
  else if (jsonKeyIs("heartbeat_s")) cfg.heartbeatMs = takeSecondsMs(10, 86400);
  else if (jsonKeyIs("min_interval_s")) cfg.minIntervalMs = takeSecondsMs(0, 3600);
  else if (jsonKeyIs("ping_interval_s")) cfg.pingIntervalMs = takeSecondsMs(10, 86400);
  else if (jsonKeyIs("send_temperature")) cfg.sendTemperature = takeBool();
  // sensor
  else if (jsonKeyIs("sensor")) { /* applied in the first pass */ }
  else if (jsonKeyIs("trig_pin")) cfg.trigPin = takePin(63);
  else if (jsonKeyIs("echo_pin")) cfg.echoPin = takePin(63);
  else if (jsonKeyIs("trigger_us")) cfg.triggerUs = takeInt(5, 1000);
  else if (jsonKeyIs("blind_mm")) cfg.blindMm = takeInt(0, 2000);
  else if (jsonKeyIs("max_range_mm")) cfg.maxRangeMm = takeInt(100, 20000);
  else if (jsonKeyIs("ping_gap_ms")) cfg.pingGapMs = <u32>takeInt(10, 5000);
  else if (jsonKeyIs("uart_port")) cfg.uartPort = takePin(7);
  else if (jsonKeyIs("uart_baud")) cfg.uartBaud = takeInt(1200, 921600);
  else if (jsonKeyIs("adc_channel")) cfg.adcChannel = takePin(31);
  else if (jsonKeyIs("adc_bits")) cfg.adcBits = takeInt(8, 16);
  else if (jsonKeyIs("adc_ref_mv")) cfg.adcRefMv = takeInt(500, 5000);
  else if (jsonKeyIs("analog_mm_per_v")) cfg.analogUmPerMv = takeInt(1, 100000);
  else if (jsonKeyIs("analog_samples")) cfg.analogSamples = takeInt(1, 64);
  else if (jsonKeyIs("pings_per_reading")) cfg.pingsPerReading = takeInt(1, 15);
  else if (jsonKeyIs("reading_interval_ms")) cfg.readingIntervalMs = <u32>takeInt(100, 3600000);
  else if (jsonKeyIs("spike_limit_mm")) cfg.spikeLimitMm = takeInt(0, 20000);
  else if (jsonKeyIs("spike_confirm")) cfg.spikeConfirm = takeInt(1, 10);
  else if (jsonKeyIs("smoothing_pct")) cfg.smoothingPct = takeInt(0, 95);
  else if (jsonKeyIs("stale_ms")) cfg.staleMs = <u32>takeInt(1000, 3600000);
  else if (jsonKeyIs("temperature")) {
    if (strIs("none")) cfg.tempSource = cfg.TempSource.NONE;
    else if (strIs("fixed")) cfg.tempSource = cfg.TempSource.FIXED;
    else if (strIs("ntc")) cfg.tempSource = cfg.TempSource.NTC;
    else bad("must be one of none, fixed, ntc");
  }
  else if (jsonKeyIs("temperature_c")) cfg.tempFixedDeciC = takeScaled(-40, 85, 10);
  else if (jsonKeyIs("ntc_channel")) cfg.ntcChannel = takePin(31);
  else if (jsonKeyIs("ntc_r0_ohm")) cfg.ntcR0 = takeInt(100, 1000000);
  else if (jsonKeyIs("ntc_t0_c")) cfg.ntcT0DeciC = takeScaled(-40, 85, 10);
  else if (jsonKeyIs("ntc_beta")) cfg.ntcBeta = takeInt(1000, 10000);
  else if (jsonKeyIs("ntc_series_ohm")) cfg.ntcSeriesOhm = takeInt(100, 1000000);
  else if (jsonKeyIs("ntc_bits")) cfg.ntcBits = takeInt(8, 16);
  // tank
  else if (jsonKeyIs("empty_distance_mm")) { cfg.emptyDistanceMm = takeInt(1, 20000); seenEmpty = true; }
  else if (jsonKeyIs("full_distance_mm")) { cfg.fullDistanceMm = takeInt(0, 20000); seenFull = true; }
  else if (jsonKeyIs("distance_offset_mm")) cfg.distanceOffsetMm = takeInt(-1000, 1000);
  else if (jsonKeyIs("tank_shape")) {
    if (strIs("vertical_cylinder")) cfg.tankShape = cfg.TankShape.VERTICAL_CYLINDER;
    else if (strIs("horizontal_cylinder")) cfg.tankShape = cfg.TankShape.HORIZONTAL_CYLINDER;
    else if (strIs("rectangular")) cfg.tankShape = cfg.TankShape.RECTANGULAR;
    else bad("must be one of vertical_cylinder, horizontal_cylinder, rectangular");
  }
  else if (jsonKeyIs("tank_diameter_mm")) cfg.tankDiameterMm = takeInt(10, 20000);
  else if (jsonKeyIs("tank_length_mm")) cfg.tankLengthMm = takeInt(10, 50000);
  else if (jsonKeyIs("tank_width_mm")) cfg.tankWidthMm = takeInt(10, 50000);
  // pump
  else if (jsonKeyIs("relay_pin")) cfg.relayPin = takePin(63);
  else if (jsonKeyIs("relay_active_high")) cfg.relayActiveHigh = takeBool();
  else if (jsonKeyIs("pump_mode")) {
    if (strIs("none")) cfg.pumpMode = cfg.PumpMode.NONE;
    else if (strIs("fill")) cfg.pumpMode = cfg.PumpMode.FILL;
    else if (strIs("drain")) cfg.pumpMode = cfg.PumpMode.DRAIN;
    else bad("must be one of none, fill, drain");
  }
  else if (jsonKeyIs("power_on")) {
    if (strIs("off")) cfg.powerOn = cfg.PowerOn.OFF;
    else if (strIs("follow")) cfg.powerOn = cfg.PowerOn.FOLLOW;
    else if (strIs("last")) cfg.powerOn = cfg.PowerOn.LAST;
    else bad("must be one of off, follow, last");
  }
  else if (jsonKeyIs("min_on_s")) cfg.minOnMs = takeSecondsMs(0, 3600);
  else if (jsonKeyIs("min_off_s")) cfg.minOffMs = takeSecondsMs(0, 3600);
  else if (jsonKeyIs("max_run_s")) cfg.maxRunMs = takeSecondsMs(10, 86400);
  else if (jsonKeyIs("lockout_s")) cfg.lockoutMs = takeSecondsMs(0, 86400);
  else if (jsonKeyIs("high_cutoff_pct")) cfg.highCutoffPermille = takeScaled(1, 100, 10);
  else if (jsonKeyIs("low_cutoff_pct")) cfg.lowCutoffPermille = takeScaled(0, 99, 10);
  else if (jsonKeyIs("cutoff_hysteresis_pct")) cfg.hysteresisPermille = takeScaled(0, 50, 10);
  else if (jsonKeyIs("unknown_level_off_s")) cfg.unknownOffMs = takeSecondsMs(1, 3600);
  else if (jsonKeyIs("auto")) cfg.autoMode = takeBool();
  else if (jsonKeyIs("auto_start_pct")) cfg.autoStartPermille = takeScaled(0, 100, 10);
  else if (jsonKeyIs("auto_stop_pct")) cfg.autoStopPermille = takeScaled(0, 100, 10);
  else if (jsonKeyIs("button_pin")) cfg.buttonPin = takePin(63);
  else if (jsonKeyIs("button_active_low")) cfg.buttonActiveLow = takeBool();
  else if (jsonKeyIs("button_debounce_ms")) cfg.buttonDebounceMs = <u32>takeInt(10, 1000);
  else return false;
  return true;
}

/** MQTT 3.1.1 servers must accept 1..23 characters of [0-9a-zA-Z]; '-' and '_' are widely accepted too. */
function checkClientId(): void {
  for (let i = 0; i < cfg.clientIdLen; i++) {
    const c = load<u8>(cfg.clientIdBuf + <usize>i);
    const ok = (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c == 45 || c == 95;
    if (!ok) { bad("may contain only 0-9, a-z, A-Z, '-' and '_'"); return; }
  }
}

function requireMember(seen: bool, name: string): void {
  if (!seen) badNamed(name, "is required");
}

function requirePin(pin: i32, name: string, why: string): void {
  if (pin < 0) badNamed(name, why);
}

/** Cross-member rules, checked once every member is read. */
function crossRules(): void {
  requireMember(seenUid, "uid");
  requireMember(seenKey, "key");
  requireMember(seenHost, "broker_host");
  requireMember(seenUp, "uplink_topic");
  requireMember(seenDown, "downlink_topic");
  requireMember(seenEmpty, "empty_distance_mm");
  requireMember(seenFull, "full_distance_mm");
  if (failed) return;
  if (cfg.passSet && cfg.userLen == 0) badNamed("broker_password", "needs broker_user (MQTT sends a password only with a user name)");
  if (cfg.fullDistanceMm >= cfg.emptyDistanceMm) badNamed("full_distance_mm", "must be less than empty_distance_mm (the sensor looks down)");
  if (cfg.fullDistanceMm < cfg.blindMm) badNamed("full_distance_mm", "must not be inside the sensor's blind zone (blind_mm)");
  if (cfg.emptyDistanceMm > cfg.maxRangeMm) badNamed("empty_distance_mm", "must not exceed the sensor's range (max_range_mm)");
  if (cfg.backoffCapMs < cfg.backoffBaseMs) badNamed("mqtt_backoff_cap_ms", "must be at least mqtt_backoff_base_ms");
  if (cfg.willPayloadLen > 0 && cfg.willTopicLen == 0) badNamed("will_payload", "needs will_topic");
  if (cfg.sensorKind == cfg.SensorKind.PULSE) {
    requirePin(cfg.trigPin, "trig_pin", "is required for a pulse-echo sensor");
    requirePin(cfg.echoPin, "echo_pin", "is required for a pulse-echo sensor");
    if (cfg.trigPin >= 0 && cfg.trigPin == cfg.echoPin) badNamed("echo_pin", "must differ from trig_pin");
  } else if (cfg.sensorKind == cfg.SensorKind.UART) {
    requirePin(cfg.uartPort, "uart_port", "is required for a UART sensor");
  } else {
    requirePin(cfg.adcChannel, "adc_channel", "is required for an analog sensor");
  }
  if (cfg.tempSource == cfg.TempSource.NTC) requirePin(cfg.ntcChannel, "ntc_channel", "is required when temperature is \"ntc\"");
  if (cfg.pumpMode != cfg.PumpMode.NONE) {
    requirePin(cfg.relayPin, "relay_pin", "is required unless pump_mode is \"none\"");
    if (cfg.relayPin >= 0 && (cfg.relayPin == cfg.trigPin || cfg.relayPin == cfg.echoPin)) badNamed("relay_pin", "must differ from trig_pin and echo_pin");
  }
  if (cfg.buttonPin >= 0 && (cfg.buttonPin == cfg.relayPin || cfg.buttonPin == cfg.trigPin || cfg.buttonPin == cfg.echoPin)) {
    badNamed("button_pin", "must differ from relay_pin, trig_pin and echo_pin");
  }
  if (cfg.autoMode) {
    if (cfg.pumpMode == cfg.PumpMode.FILL && cfg.autoStartPermille >= cfg.autoStopPermille) badNamed("auto_start_pct", "must be below auto_stop_pct in fill mode");
    if (cfg.pumpMode == cfg.PumpMode.DRAIN && cfg.autoStartPermille <= cfg.autoStopPermille) badNamed("auto_start_pct", "must be above auto_stop_pct in drain mode");
    if (cfg.pumpMode == cfg.PumpMode.NONE) badNamed("auto", "needs pump_mode fill or drain");
  }
}

/** Parses `len` bytes of JSON at `ptr` (the config buffer). */
export function parseConfig(ptr: usize, len: i32): i32 {
  const rc = jsonOpen(ptr, len);
  if (rc < 0) {
    let o = putAscii(errBuf, ERR_CAP, 0, "config: not a well-formed JSON object (scanner error ");
    o = putInt(errBuf, ERR_CAP, o, rc);
    o = putAscii(errBuf, ERR_CAP, o, ")");
    errLen = o < 0 ? 0 : o;
    failed = true;
    return INIT_CONFIG_JSON;
  }
  // First pass: the sensor profile, so that explicit members override it.
  while (jsonNext() == 1) {
    if (jsonKeyIs("sensor")) applyProfile();
  }
  jsonOpen(ptr, len);
  while (jsonNext() == 1 && !failed) {
    if (!member()) bad("is not a known member (see docs/CONFIG.md)");
  }
  if (!failed) crossRules();
  return failed ? INIT_CONFIG_INVALID : INIT_OK;
}
