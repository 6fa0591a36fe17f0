// The five uplink kinds of PROTOCOL.md, encoded into one static buffer and
// published on the configured uplink topic. Members in the doc's order:
// uid, key, cmd, level, temperature; compact (no whitespace).
import { cfg } from "../config";
import { jwBegin, jwResume, jwLength, jwFailed, jwMemberStr, jwMemberAscii, jwMemberFixed, jwEnd } from "../json/encode";
import { validTopicName } from "../mqtt/codec";
import { mqttPublish, MQTT_PUB_TOO_BIG, MQTT_PUB_BAD_ARG } from "../mqtt/client";
import { count, C_UPLINK_SENT, C_UPLINK_REFUSED } from "../app/counters";
import { logBegin, logStr, logInt, logEnd } from "../app/log";
import { LOG_WARN } from "../hal";
import { ascii, Ascii } from "../util/ascii";
import { UPLINK_CAP } from "../tunables";
export { UPLINK_CAP };

export const enum UplinkKind { READING = 1, READING_STATE = 2, STATE = 3, GET = 4, PING = 5 }

const msgBuf: usize = memory.data(UPLINK_CAP);
let msgLen: i32 = 0;
/**
 * Bytes of `{"uid":"…","key":"…"` at the start of msgBuf, 0 until the first
 * encode wrote them: uid and key are fixed after init, and nothing else
 * writes those bytes, so every later uplink starts from them.
 */
let headLen: i32 = 0;
/** The uplink topic passed validTopicName once (it is fixed after init): 1 yes, 0 no, -1 not checked yet. */
let topicValid: i32 = -1;

/** Temperature "unknown" marker of sensor.temperatureDeciC(). */
export const TEMP_UNKNOWN: i32 = -32768;

/**
 * A value in tenths, clamped to lo..hi, scaled to `decimals` fraction digits:
 * 0 rounds half away from zero; 1..3 multiply by 10^(decimals-1) (larger: 3).
 * The level is in 0.1 % (0..1000), the temperature in 0.1 °C (-100..200 °C).
 */
function scaled(tenths: i32, lo: i32, hi: i32, decimals: i32): i32 {
  let v = tenths < lo ? lo : tenths > hi ? hi : tenths;
  if (decimals <= 0) return v >= 0 ? (v + 5) / 10 : -((5 - v) / 10);
  for (let i = 1; i < decimals && i < 3; i++) v *= 10;
  return v;
}

/**
 * Encodes one uplink. `on` is the switch state for kinds 2 and 3; `levelPm`/`tempDeciC` are used by
 * kinds 1 and 2 (temperature omitted when TEMP_UNKNOWN or send_temperature is off).
 * Returns the payload length, or < 0 when it does not fit.
 */
export function encodeUplink(kind: UplinkKind, on: bool, levelPm: i32, tempDeciC: i32): i32 {
  if (headLen == 0) {
    jwBegin(msgBuf, UPLINK_CAP);
    jwMemberStr(ascii("uid"), cfg.uidBuf, cfg.uidLen);
    jwMemberStr(ascii("key"), cfg.keyBuf, cfg.keyLen);
    if (!jwFailed()) headLen = jwLength(); // else stays 0 and jwEnd fails
  }
  if (headLen > 0) jwResume(msgBuf, UPLINK_CAP, headLen, 2);
  let cmd: Ascii = 0;
  if (kind == UplinkKind.READING_STATE || kind == UplinkKind.STATE) cmd = on ? ascii("on") : ascii("off");
  else if (kind == UplinkKind.GET) cmd = ascii("get");
  else if (kind == UplinkKind.PING) cmd = ascii("ping");
  if (cmd != 0) jwMemberAscii(ascii("cmd"), cmd);
  if (kind == UplinkKind.READING || kind == UplinkKind.READING_STATE) {
    jwMemberFixed(ascii("level"), scaled(levelPm, 0, 1000, cfg.levelDecimals), cfg.levelDecimals, cfg.numbersAsStrings);
    if (cfg.sendTemperature && tempDeciC != TEMP_UNKNOWN) {
      jwMemberFixed(ascii("temperature"), scaled(tempDeciC, -1000, 2000, cfg.temperatureDecimals), cfg.temperatureDecimals, cfg.numbersAsStrings);
    }
  }
  msgLen = jwEnd();
  return msgLen;
}

export function uplinkPtr(): usize { return msgBuf; }
export function uplinkLen(): i32 { return msgLen < 0 ? 0 : msgLen; }

/** sendUplink result: published. */
export const UPLINK_OK: i32 = 0;
/** sendUplink result: refused for now (not connected, QoS 1 window full, transmit queue busy): retry later. */
export const UPLINK_RETRY: i32 = -1;
/** sendUplink result: can never be sent as is (does not fit the uplink buffer or an MQTT packet): drop it. */
export const UPLINK_DROP: i32 = -2;

/**
 * Latest-value facts an uplink carries (mqttPublish `latest`): a stored QoS 1
 * uplink is superseded, never resent, once a newer one carries all of its
 * facts (a reading by a newer reading, a state by a newer state, ...).
 */
function latestMask(kind: UplinkKind): i32 {
  // One nibble per kind from READING up: 1 (level + temperature), 1|2 (reading and relay
  // state), 2 (state), 4 (get), 8 (ping; also any other kind).
  const k = <u32>(kind - UplinkKind.READING);
  return k < 5 ? (0x84231 >>> (k << 2)) & 15 : 8;
}

/** Encodes and publishes one uplink (uplink topic, configured QoS, never retained). UPLINK_OK / _RETRY / _DROP. */
export function sendUplink(kind: UplinkKind, on: bool, levelPm: i32, tempDeciC: i32, nowMs: u32): i32 {
  const n = encodeUplink(kind, on, levelPm, tempDeciC);
  let rc = -100;
  if (topicValid < 0) topicValid = validTopicName(cfg.uplinkBuf, cfg.uplinkLen) ? 1 : 0;
  if (n > 0) rc = mqttPublish(cfg.uplinkBuf, cfg.uplinkLen, msgBuf, n, cfg.uplinkQos, false, nowMs, latestMask(kind), topicValid == 1);
  if (rc == 0) {
    // Counted, not logged: a log line per uplink costs a host call per
    // reading (and the payload carries the API key: never logged).
    count(C_UPLINK_SENT);
    return UPLINK_OK;
  }
  count(C_UPLINK_REFUSED);
  logBegin();
  logStr(ascii("uplink refused "));
  logInt(<i32>kind);
  logStr(ascii(" "));
  logInt(n <= 0 ? n : rc);
  logEnd(LOG_WARN);
  return n <= 0 || rc == MQTT_PUB_TOO_BIG || rc == MQTT_PUB_BAD_ARG ? UPLINK_DROP : UPLINK_RETRY;
}
