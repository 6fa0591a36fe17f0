// Over-the-air update receiver (docs/OTA.md). The firmware never holds the
// image: each accepted chunk goes straight to the host's inactive slot through
// the hal ota_* imports; the host verifies the signature and owns slots,
// trial, confirm and rollback.
//
// Contract with the host (ABI v2): ota_begin once per transfer, then
// ota_write at offsets 0, n1, n1+n2, ... without gaps, then ota_finish only
// when offset == size, ota_activate only after ota_finish returned 0;
// ota_abort drops a transfer at any point. No ota_* call is made for a message
// that does not fit these rules (it is ignored and counted, or refused by name).
// OTA never touches the relay. Zero allocation: static buffers only.
//
// Topics: <base> = "iotbind-tank/" + client id; the device subscribes to
// <base>/ota/+ (its own SUBSCRIBE: a refusal is counted and logged, the link
// stays up), reads <base>/ota/offer and <base>/ota/data, publishes
// <base>/ota/want (QoS 0) and <base>/status (QoS 1, retained).
import {
  halOtaBegin, halOtaWrite, halOtaFinish, halOtaAbort, halOtaActivate, halKvGet, LOG_WARN,
} from "../hal";
import { cfg, CLIENT_ID_CAP, clientIdBuf } from "../config";
import {
  mqttPublish, mqttSubscribe, mqttRequestResult, mqttSessionId, mqttState, mqttLastRetained,
  mqttLastPacketId, mqttInflight, MqttState, MQTT_PUB_OK, MQTT_REQ_PENDING,
} from "../mqtt/client";
import {
  count, C_OTA_STATUS_ACKED, C_OTA_OFFERS, C_OTA_IGNORED, C_OTA_REFUSED, C_OTA_SUB_REFUSED,
} from "../app/counters";
import { logLine } from "../app/log";
import { jwBegin, jwMemberStr, jwMemberInt, jwEnd } from "../json/encode";
import { jsonOpen, jsonNext, jsonKeyIs, jsonNum } from "../json/scan";
import { f2iClamp } from "../util/num";
import { putAscii, putBytes, putInt, putByte, putWord, bytesEq } from "../util/bytes";
import { elapsed, until, minU } from "../util/time";
import { ascii, Ascii, asciiLen, asciiPtr } from "../util/ascii";
import { FIRMWARE_VERSION } from "./version";
import { OTA_CHUNK_MAX, OTA_WANT_RETRY_MS as WANT_RETRY_MS, OTA_WANT_RETRIES as WANT_RETRIES, OTA_ACTIVATE_WAIT_MS as ACTIVATE_WAIT_MS, OTA_DUE_WAIT_MS as DUE_WAIT_MS, NO_DEADLINE_MS } from "../tunables";
export { OTA_CHUNK_MAX };

/** Transfer states; the status message names them (STATE_NAMES). */
export const enum OtaState { IDLE = 0, RECEIVING = 1, VERIFYING = 2, STAGED = 3, REFUSED = 4 }
const STATE_NAMES: Ascii = ascii("idle receiving verifying staged refused");

/**
 * Refusals: -1 … -7 are the host's OtaStatus codes (hal ota_* results,
 * docs/OTA.md), -8 … -11 the firmware's own. ERROR_NAMES word i is code -i.
 */
export const enum OtaError {
  NONE = 0, UNSUPPORTED = -1, TOO_LARGE = -2, BAD_SIGNATURE = -3, TRUNCATED = -4, NOT_WASM = -5,
  STORAGE = -6, NOT_STARTED = -7, BUSY = -8, BAD_OFFER = -9, BAD_CHUNK = -10, STALLED = -11,
}
const ERROR_NAMES: Ascii = ascii(
  "- UNSUPPORTED TOO_LARGE BAD_SIGNATURE TRUNCATED NOT_WASM STORAGE NOT_STARTED BUSY BAD_OFFER BAD_CHUNK STALLED");

// <base> = "iotbind-tank/" + client id; suffixes are written behind it.
const PREFIX: Ascii = ascii("iotbind-tank/");
const TOPIC_CAP: i32 = 13 + CLIENT_ID_CAP + 10;
const topicBuf: usize = memory.data(TOPIC_CAP);
let baseLen: i32 = 0;              // 0: OTA not started (init failed or not called)

/** The host's last rollback reason (kv "ota.rollback"), printable ASCII, read at init. */
const KV_VALUE_CAP: i32 = 64;
const rollbackBuf: usize = memory.data(KV_VALUE_CAP);
// Rarely touched state in linear memory, not wasm globals (a global costs 48 B of
// WAMR RAM and 32 B of wasm3's; a field its own bytes): zero at instantiation.
// @ts-ignore: decorator
@unmanaged class OtaCold {
  versionLen: i32;
  rollbackLen: i32;
  seenSession: u32;  // MQTT session the subscription and status were done for
}
const cold = changetype<OtaCold>(memory.data(offsetof<OtaCold>(), 4));

const VERSION_CAP: i32 = 12;       // "255.255.255"
const versionBuf: usize = memory.data(VERSION_CAP);

const MSG_CAP: i32 = 224;          // status: <= 190 bytes (longest names and numbers, 64-byte rollback)
const msgBuf: usize = memory.data(MSG_CAP);
const NAME_CAP: i32 = 16;          // one state or error name, copied into the message at once
const nameBuf: usize = memory.data(NAME_CAP);

let state: OtaState = OtaState.IDLE;
let lastError: OtaError = OtaError.NONE;
let xferId: i32 = 0;               // current transfer id (0 … 2^31-1)
let xferSize: u32 = 0;             // signed image bytes
let xferOffset: u32 = 0;           // next wanted offset = bytes written
let wantAt: u32 = 0;               // when the last want went out (ms)
let wantTries: i32 = 0;            // wants in a row without a chunk
let wantDue: bool = false;
let statusDue: bool = false;
let statusId: i32 = 0;             // packet id of the last status publish awaiting PUBACK, 0 none
let stagedAt: u32 = 0;
let activated: bool = false;       // ota_activate called (once per instance)

// OTA subscription steps, per MQTT session.
const enum SubStep { WANTED = 0, PENDING = 1, DONE = 2 }
let subStep: SubStep = SubStep.DONE;

/** Writes <base> + suffix to topicBuf; its length. */
function topic(suffix: Ascii): i32 {
  return putAscii(topicBuf, TOPIC_CAP, baseLen, suffix);
}

/** Called by init once the client id is known: builds <base>, reads the rollback reason and the version string. */
export function otaInit(): void {
  let o = putAscii(topicBuf, TOPIC_CAP, 0, PREFIX);
  baseLen = putBytes(topicBuf, TOPIC_CAP, o, clientIdBuf, cfg.clientIdLen);
  const key = ascii("ota.rollback");
  const n = halKvGet(asciiPtr(key), asciiLen(key), rollbackBuf, KV_VALUE_CAP);
  cold.rollbackLen = n > 0 && n <= KV_VALUE_CAP ? n : 0;
  // Host-written text: anything that would need escaping becomes '?'.
  for (let i = 0; i < cold.rollbackLen; i++) {
    const c = load<u8>(rollbackBuf + <usize>i);
    if (<u32>(c - 0x20) > 0x5E || c == 0x22 || c == 0x5C) store<u8>(rollbackBuf + <usize>i, 0x3F);
  }
  o = putInt(versionBuf, VERSION_CAP, 0, <i32>(FIRMWARE_VERSION >>> 16) & 255);
  o = putByte(versionBuf, VERSION_CAP, o, 0x2E);
  o = putInt(versionBuf, VERSION_CAP, o, <i32>(FIRMWARE_VERSION >>> 8) & 255);
  o = putByte(versionBuf, VERSION_CAP, o, 0x2E);
  cold.versionLen = putInt(versionBuf, VERSION_CAP, o, <i32>FIRMWARE_VERSION & 255);
  statusDue = true;  // the first status of this instance (version, rollback reason)
}

/** Ends the transfer with `err` (status `refused`); `abort` asks the host to drop the slot. */
function refuse(err: OtaError, abort: bool): void {
  if (abort) halOtaAbort();
  count(C_OTA_REFUSED);
  lastError = err < OtaError.STALLED ? OtaError.STORAGE : err;  // an unknown host code is named STORAGE
  state = OtaState.REFUSED;
  statusDue = true;
  wantDue = false;
}

/** A u32 JSON number that is an integer in 0 … 2^31-1, else -1. */
function jsonU31(): i32 {
  const v = jsonNum();
  // The clamp to -1..2^31-1 (NaN -> 0, fractions toward zero) gives back v
  // exactly only for an integer v in that range (-1 itself maps to -1).
  const i = f2iClamp(v, -1, i32.MAX_VALUE);
  return <f64>i == v ? i : -1;
}

function onOffer(payload: usize, len: i32): void {
  if (mqttLastRetained()) { count(C_OTA_IGNORED); return; }  // a retained offer never starts a transfer
  let id = -1;
  let size = -1;
  if (jsonOpen(payload, len) == 0) {
    while (jsonNext() == 1) {
      if (jsonKeyIs(ascii("id"))) id = jsonU31();
      else if (jsonKeyIs(ascii("size"))) size = jsonU31();
    }
  }
  if (state == OtaState.STAGED || state == OtaState.VERIFYING) {
    // The staged image waits for activation: nothing may replace it now.
    lastError = OtaError.BUSY;
    count(C_OTA_REFUSED);
    statusDue = true;
    return;
  }
  if (id < 0 || size <= 0) {
    if (state != OtaState.RECEIVING) refuse(OtaError.BAD_OFFER, false);
    else count(C_OTA_IGNORED);  // junk never ends a transfer in progress
    return;
  }
  if (state == OtaState.RECEIVING) {
    if (id == xferId) { wantDue = true; wantTries = 0; return; }  // same transfer: resume
    halOtaAbort();                                                 // another one replaces it
  }
  const rc = halOtaBegin(<u32>size);
  if (rc < 0) { refuse(<OtaError>rc, false); return; }
  count(C_OTA_OFFERS);
  state = OtaState.RECEIVING;
  lastError = OtaError.NONE;
  xferId = id;
  xferSize = <u32>size;
  xferOffset = 0;
  wantTries = 0;
  wantDue = true;
  statusDue = true;
}

function onData(payload: usize, len: i32, nowMs: u32): void {
  const n = len - 8;
  if (state != OtaState.RECEIVING || <u32>(n - 1) >= <u32>OTA_CHUNK_MAX
    || load<u32>(payload) != <u32>xferId || load<u32>(payload + 4) != xferOffset) {
    count(C_OTA_IGNORED);  // stale, repeated or foreign chunk: the want asks again
    return;
  }
  if (<u32>n > xferSize - xferOffset) { refuse(OtaError.BAD_CHUNK, true); return; }
  const rc = halOtaWrite(xferOffset, payload + 8, n);
  if (rc < 0) { refuse(<OtaError>rc, true); return; }
  xferOffset += <u32>n;
  wantTries = 0;
  if (xferOffset < xferSize) { wantDue = true; return; }
  state = OtaState.VERIFYING;
  const fin = halOtaFinish();  // the host verifies the signature now; on < 0 it discarded the slot
  if (fin < 0) { refuse(<OtaError>fin, false); return; }
  state = OtaState.STAGED;
  stagedAt = nowMs;
  statusDue = true;
}

/**
 * Called by the inbox for every PUBLISH; true when the topic is <base>/ota/*
 * (handled here, including our own wants echoed back), false otherwise.
 */
export function otaMessage(t: usize, tLen: i32, payload: usize, len: i32, nowMs: u32): bool {
  if (baseLen <= 0) return false;
  if (bytesEq(t, tLen, topicBuf, topic(ascii("/ota/data")))) onData(payload, len, nowMs);
  else if (bytesEq(t, tLen, topicBuf, topic(ascii("/ota/offer")))) onOffer(payload, len);
  else return bytesEq(t, tLen, topicBuf, topic(ascii("/ota/want")));  // our own, echoed by the broker
  return true;
}

/** PUBACK of packet `id`: the status publish it matches counts as acknowledged. */
export function otaPuback(id: i32): void {
  if (statusId != 0 && id == statusId) {
    statusId = 0;
    count(C_OTA_STATUS_ACKED);
  }
}

function sendWant(nowMs: u32): void {
  jwBegin(msgBuf, MSG_CAP);
  jwMemberInt(ascii("id"), xferId);
  jwMemberInt(ascii("offset"), <i32>xferOffset);
  jwMemberInt(ascii("size"), <i32>xferSize);
  const n = jwEnd();
  if (mqttPublish(topicBuf, topic(ascii("/ota/want")), msgBuf, n, 0, false, nowMs) != MQTT_PUB_OK) return; // retried next tick
  wantDue = false;
  wantAt = nowMs;
}

function sendStatus(nowMs: u32): void {
  jwBegin(msgBuf, MSG_CAP);
  jwMemberStr(ascii("version"), versionBuf, cold.versionLen);
  jwMemberInt(ascii("abi"), 2);
  jwMemberStr(ascii("ota"), nameBuf, putWord(nameBuf, NAME_CAP, 0, STATE_NAMES, <i32>state));
  jwMemberInt(ascii("offset"), <i32>xferOffset);
  jwMemberInt(ascii("size"), <i32>xferSize);
  jwMemberStr(ascii("error"), nameBuf, lastError == OtaError.NONE ? 0 : putWord(nameBuf, NAME_CAP, 0, ERROR_NAMES, -<i32>lastError));
  jwMemberStr(ascii("rollback"), rollbackBuf, cold.rollbackLen);
  const n = jwEnd();
  // latest 0x80: a newer status supersedes an unsent older one.
  if (mqttPublish(topicBuf, topic(ascii("/status")), msgBuf, n, 1, true, nowMs, 0x80) != MQTT_PUB_OK) return;
  statusDue = false;
  statusId = mqttLastPacketId();
}

/** Ms until a staged image is activated without its status's PUBACK; no deadline when none waits. */
function activateWait(nowMs: u32): u32 {
  return state == OtaState.STAGED && !activated ? until(nowMs, stagedAt + ACTIVATE_WAIT_MS) : NO_DEADLINE_MS;
}

/** One OTA step per device tick; ms until OTA next needs a tick. */
export function otaTick(nowMs: u32): u32 {
  // Idle fast path (most ticks): no transfer, nothing due, same MQTT session.
  // No deadline of its own then: offers, chunks, SUBACKs and CONNACKs arrive as
  // socket data, and a tick with data runs this again.
  if (state != OtaState.RECEIVING && state != OtaState.STAGED && !statusDue && subStep == SubStep.DONE && mqttSessionId() == cold.seenSession) return NO_DEADLINE_MS;
  if (baseLen <= 0) return NO_DEADLINE_MS;
  if (state == OtaState.STAGED && !activated && (statusId == 0 && !statusDue || elapsed(nowMs, stagedAt) >= ACTIVATE_WAIT_MS)) {
    activated = true;
    halOtaActivate();  // the host restarts into the staged image after this tick returns
    return 0;
  }
  if (mqttState() != MqttState.CONNECTED) {
    wantAt = nowMs;  // no stall counted while the link is down; the want goes out after the reconnect
    return activateWait(nowMs);
  }
  const sid = mqttSessionId();
  if (sid != cold.seenSession) {
    cold.seenSession = sid;
    subStep = SubStep.WANTED;
    if (state == OtaState.RECEIVING) { wantDue = true; wantTries = 0; }  // resume from xferOffset
  }
  if (subStep == SubStep.WANTED) {
    if (mqttSubscribe(topicBuf, topic(ascii("/ota/+")), 1, nowMs) == MQTT_REQ_PENDING) subStep = SubStep.PENDING;
  } else if (subStep == SubStep.PENDING && mqttRequestResult() != MQTT_REQ_PENDING) {
    subStep = SubStep.DONE;
    if (mqttRequestResult() == 0x80) {
      count(C_OTA_SUB_REFUSED);
      logLine(LOG_WARN, ascii("ota: subscribe refused"));
    }
  }
  if (state == OtaState.RECEIVING && !wantDue && elapsed(nowMs, wantAt) >= WANT_RETRY_MS) {
    if (++wantTries > WANT_RETRIES) refuse(OtaError.STALLED, true);
    else wantDue = true;
  }
  if (wantDue) sendWant(nowMs);
  // The status yields to the application's QoS 1 messages (it never takes the
  // last window slot from a reading), and is not republished per connection:
  // the retained copy stays current, an unacknowledged one is resent by the
  // client and dropped after its strikes (a broker whose packet limit is below
  // the status never sees it on every connect).
  if (statusDue && mqttInflight() == 0) sendStatus(nowMs);
  if (wantDue || statusDue || subStep != SubStep.DONE) return DUE_WAIT_MS;
  if (state == OtaState.STAGED) return activateWait(nowMs);
  if (state == OtaState.RECEIVING) return until(nowMs, wantAt + WANT_RETRY_MS);
  return NO_DEADLINE_MS;
}

/** Current transfer state (tests and the status message). */
export function otaState(): OtaState { return state; }
