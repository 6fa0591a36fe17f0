// MQTT 3.1.1 client state machine (docs/MQTT.md). Driven only by
// mqttTick(nowMs) and the host's non-blocking socket imports; never blocks,
// never allocates, never traps on any byte the network or the host sends.
//
// Buffers (all static, owned by this module):
//   rx     RX_CAP bytes: stream reassembly. Bytes [0, rxLen) are received and
//          not yet consumed; a complete packet is consumed from the front.
//   txq    TX_CAP bytes: outgoing byte queue. Bytes [0, txLen) are whole
//          serialized packets not yet accepted by sock_send; a partial send
//          drops only the accepted prefix, so the stream is never corrupted.
//   slots  INFLIGHT_SLOTS x SLOT_CAP bytes: serialized QoS 1 PUBLISH packets
//          kept until their PUBACK (see "QoS 1 policy" below).
//
// Link recovery rules (docs/MQTT.md "Never stuck"):
//   - a QoS 1 message that is the oldest unacknowledged one fully written to
//     a connection when that connection ends counts a strike; at
//     UNDELIVERABLE_STRIKES strikes in a row it is dropped (counter 10);
//   - a stored message is superseded (dropped, never sent again; counter 11)
//     when a newer one carries everything it carried (`latest` masks);
//   - a QoS 1 message unacknowledged for mqtt_puback_timeout_ms after it was
//     queued closes the connection with DISCONNECT (PUBACK_TIMEOUT);
//   - a connection the client ends on its own decision after CONNACK
//     (refused SUBACK, PUBACK timeout) ends with DISCONNECT, so the broker
//     discards the will [MQTT-3.1.2-10].
import {
  halSockConnect, halSockStatus, halSockSend, halSockRecv, halSockClose, halRandomU32,
  LOG_INFO, LOG_WARN, SOCK_TLS, SOCK_CONNECTING, SOCK_HANDSHAKING,
  SOCK_TLS_UNTRUSTED, SOCK_TLS_NAME_MISMATCH, SOCK_TLS_FAILED,
} from "../hal";
import { cfg, clientIdBuf } from "../config";
import {
  count, C_MQTT_CONNECTS, C_MQTT_CONNECT_ATTEMPTS, C_MQTT_PACKETS_IN, C_MQTT_PACKETS_OUT,
  C_MQTT_PROTOCOL_ERRORS, C_MQTT_OVERSIZE_SKIPS, C_MQTT_KEEPALIVE_TIMEOUTS,
  C_MQTT_PUBLISH_DROPPED, C_MQTT_RETRANSMISSIONS, C_SOCKET_ERRORS, disconnectCounter,
  C_MQTT_UNDELIVERABLE, C_MQTT_SUPERSEDED, C_MQTT_PUBACK_TIMEOUTS,
} from "../app/counters";
import { logBegin, logStr, logInt, logEnd } from "../app/log";
import { onMqttMessage, onMqttOversize, onMqttPuback } from "../app/inbox";
import { copyBytes, inMemory } from "../util/bytes";
import { elapsed, reached, until, minU, sooner } from "../util/time";
import {
  T_CONNACK, T_PUBLISH, T_PUBACK, T_SUBACK, T_UNSUBACK, T_PINGRESP,
  D_NEED_MORE, decodeRemLen, rlBytes, checkHeader, parsePublish, readU16, validTopicName,
  encConnect, encPublish, encSubscribe, UNSUBSCRIBE, encPuback, encEmpty, PINGREQ, DISCONNECT, publishSize,
  pubQos, pubId, pubRetain, pubTopicOff, pubTopicLen, pubPayloadOff, pubPayloadLen,
} from "./codec";
import { ascii } from "../util/ascii";
import { RX_CAP, TX_CAP, INFLIGHT_SLOTS, SLOT_CAP, NO_DEADLINE_MS, UNDELIVERABLE_STRIKES } from "../tunables";
export { UNDELIVERABLE_STRIKES };

/** Connection states; values are ABI.md's `conn_state` table. */
export const enum MqttState { IDLE = 0, SOCKET_CONNECTING = 1, AWAITING_CONNACK = 2, SUBSCRIBING = 3, CONNECTED = 4, BACKING_OFF = 5, STOPPED = 6 }

/** Disconnect reasons; values are ABI.md's `last_disconnect` table. */
export const enum Reason {
  NONE = 0, SOCKET_FAILED = 1, SOCKET_CLOSED = 2, CONNECT_TIMEOUT = 3,
  CONNACK_PROTOCOL = 4, CONNACK_IDENTIFIER = 5, CONNACK_UNAVAILABLE = 6,
  CONNACK_BAD_CREDENTIALS = 7, CONNACK_NOT_AUTHORISED = 8,
  PROTOCOL_VIOLATION = 9, KEEPALIVE_TIMEOUT = 10, SUBSCRIBE_REFUSED = 11,
  SEND_FAILED = 12, HOST_VIOLATION = 13, SHUTDOWN = 14,
  TLS_UNTRUSTED = 15, TLS_NAME_MISMATCH = 16, TLS_HANDSHAKE_TIMEOUT = 17, TLS_HANDSHAKE_FAILED = 18,
  PUBACK_TIMEOUT = 19,
}


/** mqttPublish results. */
export const MQTT_PUB_OK: i32 = 0;
export const MQTT_PUB_NOT_CONNECTED: i32 = -1; // QoS 0 while no session, or client idle/stopped
export const MQTT_PUB_TOO_BIG: i32 = -2;       // packet larger than TX_CAP (QoS 0) or SLOT_CAP (QoS 1)
export const MQTT_PUB_WINDOW_FULL: i32 = -3;   // QoS 1: inflightMax messages already await PUBACK (counted)
export const MQTT_PUB_BAD_ARG: i32 = -4;       // qos not 0/1, or topic not a valid topic name
export const MQTT_PUB_BUSY: i32 = -5;          // QoS 0: transmit queue full right now; retry later

/** mqttSubscribe/mqttUnsubscribe results. */
export const MQTT_REQ_PENDING: i32 = -1;  // sent or queued, no answer yet
export const MQTT_REQ_BUSY: i32 = -2;     // another request is pending, or no session
export const MQTT_REQ_BAD_ARG: i32 = -3;

// ------------------------------------------------------------------ state
let state: MqttState = MqttState.IDLE;
let sock: i32 = -1;
let lastReason: i32 = 0;
let sessionId: u32 = 0;
let failures: i32 = 0;         // consecutive failed attempts: backoff exponent
let retryAt: u32 = 0;          // BACKING_OFF: next attempt (ms)
let attemptStart: u32 = 0;     // sock_connect time: connect timeout base (ms)
let upSince: u32 = 0;          // session up time (ms)
let stable: bool = false;      // the backoff was reset for this session
let lastSent: u32 = 0;         // last time sock_send accepted bytes (ms)
let lastRecv: u32 = 0;         // last time a complete packet arrived (ms)
let pingOut: bool = false;     // PINGREQ due or queued, no PINGRESP yet
let pingAt: u32 = 0;           // when it fell due (ms): the ping timeout runs from here
let needPing: bool = false;    // PINGREQ due but not yet in txq (queue full)
let needSub: bool = false;     // downlink SUBSCRIBE still to queue
let subId: i32 = 0;            // packet id of the downlink SUBSCRIBE awaiting SUBACK, 0 none
let nextId: i32 = 0;           // last packet id handed out (1..65535)

// One application subscribe/unsubscribe request at a time.
const enum Req { NONE = 0, SUB = 1, UNSUB = 2 }
let reqKind: Req = Req.NONE;
let reqId: i32 = 0;
let reqResult: i32 = 0;
let reqQueued: bool = false;   // the request packet is in txq
const REQ_CAP: i32 = 96;
const reqTopic: usize = memory.data(REQ_CAP);
let reqTopicLen: i32 = 0;
let reqQos: i32 = 0;

// Receive side.
const rx: usize = memory.data(RX_CAP);
let rxLen: i32 = 0;
let skipping: bool = false;    // inside an oversize PUBLISH, counting its bytes away
let skipLeft: u32 = 0;         // body bytes of it still to discard
let skipPos: u32 = 0;          // body bytes of it discarded so far
let skipQos: i32 = 0;
let skipTopicLen: u32 = 0;     // its topic length, known once skipPos >= 2
let skipId: i32 = 0;           // its packet id, known once skipPos >= 4 + topic length
let lastRetain: bool = false;

// Transmit side.
const txq: usize = memory.data(TX_CAP);
let txLen: i32 = 0;
let txDone: u32 = 0;           // bytes sock_send accepted on this connection (txDone + txLen = bytes queued)

// QoS 1 store. Slot i: bytes at slots + i*SLOT_CAP, meta at meta + i*META.
//
// QoS 1 policy on reconnect: a message is serialized once into a slot with
// its packet id and kept until the PUBACK with that id. When a connection
// ends, every slot already written to it (Slot.SENT) gets DUP=1 in its
// stored first byte and becomes Slot.RESEND; after the next CONNACK 0 the
// slots go out again oldest first (by seq), same packet id, behind the
// downlink SUBSCRIBE [MQTT-4.4.0-1, MQTT-3.3.1-1, MQTT-4.6.0-1]. Slots
// filled while no session existed (Slot.QUEUED) follow with DUP=0. With
// clean session the broker sees a resend as a new message: at-least-once.
// Only three things drop a stored message: supersession by a newer one,
// UNDELIVERABLE_STRIKES strikes (see the top of this file), and mqttStop.
const enum Slot {
  FREE = 0,
  QUEUED = 1,     // to be written to txq (first transmission)
  RESEND = 2,     // to be written to txq again with DUP=1 (counted retransmission)
  SENT = 3,       // in txq or sent, awaiting PUBACK
}
// Meta per slot: u8 state @0, u8 latest mask @1, u16 len @2, u16 id @4,
// u8 strikes @6, u8 superseded @7, u32 seq @8, u32 end @12 (txDone value at
// which its last byte is accepted by sock_send), u32 queued-at ms @16.
const META: i32 = 20;
const slots: usize = memory.data(INFLIGHT_SLOTS * SLOT_CAP);
const meta: usize = memory.data(INFLIGHT_SLOTS * 20);
let seqNext: u32 = 0;

// @ts-ignore: decorator
@inline function slotState(i: i32): Slot { return <Slot>load<u8>(meta + <usize>(i * META)); }
/** Slots not Slot.FREE, kept by setSlotState: the scans skip an empty store at once. */
let nUsed: i32 = 0;
/** The one place a slot changes state. */
function setSlotState(i: i32, s: Slot): void {
  const p = meta + <usize>(i * META);
  nUsed += <i32>(s != Slot.FREE) - <i32>(load<u8>(p) != Slot.FREE);
  store<u8>(p, s);
}
// @ts-ignore: decorator
@inline function slotLen(i: i32): i32 { return <i32>load<u16>(meta + <usize>(i * META + 2)); }
// @ts-ignore: decorator
@inline function slotId(i: i32): i32 { return <i32>load<u16>(meta + <usize>(i * META + 4)); }
// @ts-ignore: decorator
@inline function slotSeq(i: i32): u32 { return load<u32>(meta + <usize>(i * META + 8)); }
// @ts-ignore: decorator
@inline function slotPtr(i: i32): usize { return slots + <usize>(i * SLOT_CAP); }
// @ts-ignore: decorator
@inline function slotMeta(i: i32): usize { return meta + <usize>(i * META); }

/** True when a message with `latest` mask `newer` makes one with mask `older` obsolete: it carries everything the older one did. */
function supersedes(newer: i32, older: i32): bool {
  return older != 0 && (older & ~newer) == 0;
}

/** Frees stored messages that a new message with mask `latest` supersedes and that are not on the wire; returns how many. */
function dropSupersededUnsent(latest: i32): i32 {
  let n = 0;
  if (nUsed == 0) return 0;
  for (let i = 0; i < INFLIGHT_SLOTS; i++) {
    const s = slotState(i);
    if ((s == Slot.QUEUED || s == Slot.RESEND) && supersedes(latest, <i32>load<u8>(slotMeta(i) + 1))) {
      setSlotState(i, Slot.FREE);
      count(C_MQTT_SUPERSEDED);
      n++;
    }
  }
  return n;
}

/** Marks messages on the wire that `latest` supersedes: freed at their PUBACK, or when the connection ends, never resent. */
function markSupersededSent(latest: i32, except: i32): void {
  if (nUsed == 0) return;
  for (let i = 0; i < INFLIGHT_SLOTS; i++) {
    if (i != except && slotState(i) == Slot.SENT && supersedes(latest, <i32>load<u8>(slotMeta(i) + 1))) store<u8>(slotMeta(i) + 7, 1);
  }
}

/** Effective PUBACK timeout, ms: mqtt_puback_timeout_ms, else twice the keep-alive (120 s when keep-alive is off). */
function pubackTimeout(): u32 {
  if (cfg.pubackTimeoutMs > 0) return cfg.pubackTimeoutMs;
  return cfg.keepAliveS > 0 ? <u32>cfg.keepAliveS * 2000 : 120000;
}

/** Slot of the oldest message (by seq) in state `a` or `b`, -1 none; `whole`: only those sock_send fully accepted (for Slot.SENT). */
function oldestIn(a: Slot, b: Slot, whole: bool): i32 {
  let best = -1;
  let bestSeq: u32 = 0;
  if (nUsed == 0) return -1;
  for (let i = 0; i < INFLIGHT_SLOTS; i++) {
    const s = slotState(i);
    if (s != a && s != b) continue;
    if (whole && <i32>(txDone - load<u32>(slotMeta(i) + 12)) < 0) continue;
    const q = slotSeq(i);
    if (best < 0 || <i32>(q - bestSeq) < 0) { best = i; bestSeq = q; }
  }
  return best;
}

/**
 * The connection is ending: the oldest message fully written to it and not
 * acknowledged is the one the broker most likely closed on. It counts a
 * strike; at UNDELIVERABLE_STRIKES it is dropped and counted (counter 10).
 */
function strikeHead(): void {
  const i = oldestIn(Slot.SENT, Slot.SENT, true);
  if (i < 0) return;
  const m = slotMeta(i);
  if (load<u8>(m + 7) != 0) return; // superseded: resetLink frees it anyway
  const strikes = <i32>load<u8>(m + 6) + 1;
  store<u8>(m + 6, <u8>strikes);
  if (strikes < UNDELIVERABLE_STRIKES) return;
  setSlotState(i, Slot.FREE);
  count(C_MQTT_UNDELIVERABLE);
  logBegin();
  logStr(ascii("mqtt: QoS 1 message id "));
  logInt(slotId(i));
  logStr(ascii(" dropped: the connection ended right after it "));
  logInt(strikes);
  logStr(ascii(" times in a row"));
  logEnd(LOG_WARN);
}

/** True when `id` is held by a QoS 1 slot or a pending SUBSCRIBE/UNSUBSCRIBE. */
function idInUse(id: i32): bool {
  if (id == subId || (reqKind != Req.NONE && id == reqId)) return true;
  for (let i = 0; i < INFLIGHT_SLOTS; i++) {
    if (slotState(i) != Slot.FREE && slotId(i) == id) return true;
  }
  return false;
}

/** Next non-zero packet id not in use [MQTT-2.3.1-1, MQTT-2.3.1-2]; at most 11 ids are ever in use. */
function allocId(): i32 {
  for (let k = 0; k < 65536; k++) {
    nextId = nextId >= 65535 ? 1 : nextId + 1;
    if (!idInUse(nextId)) return nextId;
  }
  return 1; // unreachable: fewer than 12 ids are ever held
}

// ------------------------------------------------------------------ public API

/** Starts connecting with the settings of config.ts (broker, client id, credentials, will, downlink topic). */
/** Calls from outside that may give mqttTick new work (publish, supersede, requests); see mqttCalls. */
let calls: u32 = 0;

/**
 * Count of the calls since start that may have given the client new work
 * (mqttPublish, mqttSupersede, mqttSubscribe, mqttUnsubscribe; wraps). While
 * it does not change, a second mqttTick at the same time would only repeat
 * the first (app/main.ts skips it).
 */
export function mqttCalls(): u32 { return calls; }

/** Changes the pump rules and the publish policy react to: sessions up and deliveries to app/inbox; see mqttEvents. */
let events: u32 = 0;

/**
 * Count of the sessions up and of the messages delivered to app/inbox since
 * start (wraps): what the pump rules and the publish policy react to (a
 * connection ending or an oversize skip needs nothing of them at once).
 * app/main.ts runs them again at once when one happened after they ran.
 */
export function mqttEvents(): u32 { return events; }

/**
 * The idle tick's one look at the network: one sock_recv into the free part
 * of the receive buffer (nothing else is done with the bytes). True when the
 * client needs a full tick now: bytes arrived (they stay in rx for mqttTick),
 * the socket failed (the connection is ended here), or the receive buffer is
 * full. False when no socket is open or nothing arrived.
 */
export function mqttPoll(nowMs: u32): bool {
  if (sock < 0 || state == MqttState.SOCKET_CONNECTING) return false;
  return RX_CAP - rxLen <= 0 || recvSome(nowMs) != 0;
}

/** One sock_recv into the free part of rx (there is some): bytes received, or -1 when the connection was ended (socket error, host overrun). */
function recvSome(nowMs: u32): i32 {
  const cap = RX_CAP - rxLen;
  const n = halSockRecv(sock, rx + <usize>rxLen, cap);
  if (n < 0) {
    socketError(Reason.SOCKET_CLOSED, nowMs);
    return -1;
  }
  if (n > cap) {
    fail(Reason.HOST_VIOLATION, nowMs);
    return -1;
  }
  rxLen += n;
  return n;
}

export function mqttStart(nowMs: u32): void {
  if (state != MqttState.IDLE && state != MqttState.STOPPED) return;
  failures = 0;
  startAttempt(nowMs);
}

/** Drives the client; returns ms until it next needs a tick (a timer, or a short poll while connecting or sending). Calls app/inbox onMqttMessage for every inbound PUBLISH. */
export function mqttTick(nowMs: u32): u32 {
  if (state == MqttState.IDLE || state == MqttState.STOPPED) return NO_DEADLINE_MS;
  if (state == MqttState.BACKING_OFF) {
    if (!reached(nowMs, retryAt)) return until(nowMs, retryAt);
    startAttempt(nowMs);
    if (state != MqttState.SOCKET_CONNECTING) return nextWait(nowMs);
  }
  if (state == MqttState.SOCKET_CONNECTING) {
    const st = halSockStatus(sock);
    if (st < 0) {
      socketError(socketFailure(st), nowMs);
      return nextWait(nowMs);
    }
    if (st == SOCK_CONNECTING || st == SOCK_HANDSHAKING) {
      if (elapsed(nowMs, attemptStart) >= cfg.connectTimeoutMs) {
        fail(st == SOCK_HANDSHAKING ? Reason.TLS_HANDSHAKE_TIMEOUT : Reason.CONNECT_TIMEOUT, nowMs);
      }
      return nextWait(nowMs);
    }
    // Connected: the transmit queue is empty here and CONNECT (<= 3+10+25+196+66+98 = 398 bytes with the config capacities) fits TX_CAP.
    const n = encConnect(txq, TX_CAP, clientIdBuf, cfg.clientIdLen, cfg.keepAliveS, cfg.cleanSession,
      cfg.userBuf, cfg.userLen, cfg.passSet, cfg.passBuf, cfg.passLen,
      cfg.willTopicBuf, cfg.willTopicLen, cfg.willPayloadBuf, cfg.willPayloadLen, cfg.willQos, cfg.willRetain);
    if (n < 0) { fail(Reason.PROTOCOL_VIOLATION, nowMs); return nextWait(nowMs); }
    txLen = n;
    count(C_MQTT_PACKETS_OUT);
    lastSent = nowMs;
    lastRecv = nowMs;
    state = MqttState.AWAITING_CONNACK;
  }
  linkTick(nowMs);
  return nextWait(nowMs);
}

/**
 * Publishes `payload` on `topic` (bytes are copied; the caller keeps
 * ownership). QoS 0 is written to the transmit queue at once and needs a
 * session (CONNACK accepted). QoS 1 is stored in an in-flight slot, also
 * while the link is down, and is sent when a session is up; it stays until
 * its PUBACK, unless superseded or undeliverable (see the top of the file).
 * `latest` (0..255) is a bit mask of the latest-value facts the message
 * carries (0: none, never superseded): a stored QoS 1 message whose mask is
 * covered by it is superseded. `topicChecked`: the caller has seen
 * validTopicName(topic, topicLen) pass and the bytes have not changed since
 * (the uplink topic, fixed after init). Returns MQTT_PUB_OK or a negative
 * MQTT_PUB_* code.
 */
export function mqttPublish(topic: usize, topicLen: i32, payload: usize, payloadLen: i32, qos: i32, retain: bool, nowMs: u32, latest: i32 = 0, topicChecked: bool = false): i32 {
  calls++;
  if (<u32>qos > 1 || topicLen > 65535 || payloadLen < 0 || <u32>latest > 255) return MQTT_PUB_BAD_ARG;
  if (!inMemory(topic, topicLen) || !inMemory(payload, payloadLen)) return MQTT_PUB_BAD_ARG;
  if (!topicChecked && !validTopicName(topic, topicLen)) return MQTT_PUB_BAD_ARG;
  if (state == MqttState.IDLE || state == MqttState.STOPPED) return MQTT_PUB_NOT_CONNECTED;
  const size = publishSize(topicLen, payloadLen, qos);
  if (qos == 0) {
    if (<u32>size > <u32>TX_CAP) return MQTT_PUB_TOO_BIG; // (-1: cannot be encoded)
    if (!linkUp()) return MQTT_PUB_NOT_CONNECTED;
    const n = encPublish(txEnd(), txRoom(), topic, topicLen, payload, payloadLen, 0, retain, false, 0);
    if (n < 0) return MQTT_PUB_BUSY;
    queued(n);
    flush(nowMs);
    return MQTT_PUB_OK;
  }
  if (<u32>size > <u32>SLOT_CAP) return MQTT_PUB_TOO_BIG;
  dropSupersededUnsent(latest);
  // The window: mqtt_inflight, 1..INFLIGHT_SLOTS (config/schema.json; the config parser refuses others).
  if (nUsed >= cfg.inflightMax) {
    count(C_MQTT_PUBLISH_DROPPED);
    return MQTT_PUB_WINDOW_FULL;
  }
  let slot = -1;
  for (let i = 0; i < INFLIGHT_SLOTS; i++) {
    if (slotState(i) == Slot.FREE) { slot = i; break; }
  }
  if (slot < 0) { count(C_MQTT_PUBLISH_DROPPED); return MQTT_PUB_WINDOW_FULL; }
  const id = allocId();
  const n = encPublish(slotPtr(slot), SLOT_CAP, topic, topicLen, payload, payloadLen, 1, retain, false, id);
  if (n < 0) return MQTT_PUB_TOO_BIG;
  const m = slotMeta(slot);
  store<u8>(m + 1, <u8>latest);
  store<u16>(m + 2, <u16>n);
  store<u16>(m + 4, <u16>id);
  store<u8>(m + 6, 0);
  store<u8>(m + 7, 0);
  store<u32>(m + 8, seqNext);
  seqNext++;
  setSlotState(slot, Slot.QUEUED);
  markSupersededSent(latest, slot);
  if (linkUp()) {
    pumpSlots(nowMs);
    flush(nowMs);
  }
  return MQTT_PUB_OK;
}

/**
 * Subscribes to one topic filter (copied; 1..96 bytes) at qos 0..1 within the
 * current session. One request at a time; mqttRequestResult() gives the
 * SUBACK return code. Not renewed after a reconnect (only the downlink topic is).
 */
export function mqttSubscribe(filter: usize, filterLen: i32, qos: i32, nowMs: u32): i32 {
  calls++;
  if (<u32>(filterLen - 1) >= <u32>REQ_CAP || <u32>qos > 1 || !inMemory(filter, filterLen)) return MQTT_REQ_BAD_ARG; // filterLen 1..REQ_CAP
  return startRequest(Req.SUB, filter, filterLen, qos, nowMs);
}

/** Unsubscribes one topic filter (copied; 1..96 bytes); mqttRequestResult() is 0 once UNSUBACK arrived. */
export function mqttUnsubscribe(filter: usize, filterLen: i32, nowMs: u32): i32 {
  calls++;
  if (<u32>(filterLen - 1) >= <u32>REQ_CAP || !inMemory(filter, filterLen)) return MQTT_REQ_BAD_ARG;
  return startRequest(Req.UNSUB, filter, filterLen, 0, nowMs);
}

/**
 * The caller holds newer values of the facts in `latest` (mqttPublish's mask)
 * than any stored message, to be published on the next session: stored QoS 1
 * messages whose mask it covers are superseded now (dropped, or freed instead
 * of resent when on the wire; counter 11).
 */
export function mqttSupersede(latest: i32): void {
  calls++;
  if (<u32>(latest - 1) > 254) return; // latest 1..255
  dropSupersededUnsent(latest);
  markSupersededSent(latest, -1);
}

/** Packet id of the last QoS 1 message stored by mqttPublish (or request sent); read right after an MQTT_PUB_OK to match its PUBACK (onMqttPuback). */
export function mqttLastPacketId(): i32 { return nextId; }

/** Result of the last subscribe/unsubscribe: MQTT_REQ_PENDING, the SUBACK code (0, 1, 0x80), 0 for UNSUBACK (and before any request), or MQTT_REQ_BUSY when the session ended first. */
export function mqttRequestResult(): i32 { return reqResult; }

export function mqttState(): MqttState { return state; }
/** Increments each time a session is fully up (CONNACK accepted and subscribed). */
export function mqttSessionId(): u32 { return sessionId; }
export function mqttLastDisconnect(): i32 { return lastReason; }
/** Retain flag of the PUBLISH being delivered to (or last delivered to) onMqttMessage. */
export function mqttLastRetained(): bool { return lastRetain; }
/** QoS 1 messages stored and not yet acknowledged. */
export function mqttInflight(): i32 { return nUsed; }

/** Clean DISCONNECT, socket closed, state STOPPED. Queued QoS 1 messages are discarded. */
export function mqttStop(nowMs: u32): void {
  if (state == MqttState.IDLE || state == MqttState.STOPPED) {
    state = MqttState.STOPPED;
    return;
  }
  if (state != MqttState.SOCKET_CONNECTING && state != MqttState.BACKING_OFF) sendDisconnect();
  if (sock >= 0) halSockClose(sock);
  sock = -1;
  lastReason = Reason.SHUTDOWN;
  count(disconnectCounter(Reason.SHUTDOWN));
  resetLink();
  for (let i = 0; i < INFLIGHT_SLOTS; i++) setSlotState(i, Slot.FREE);
  state = MqttState.STOPPED;
}

// ------------------------------------------------------------------ internals

/**
 * Queues DISCONNECT and offers the queue to the socket once. Whole packets
 * only: a partially sent packet is completed first when the queue has room
 * for DISCONNECT behind it; otherwise DISCONNECT is skipped rather than
 * corrupting the stream.
 */
function sendDisconnect(): void {
  if (sock < 0) return;
  const n = encEmpty(txEnd(), txRoom(), DISCONNECT);
  if (n > 0) {
    queued(n);
  }
  const sent = halSockSend(sock, txq, txLen);
  if (sent < 0) count(C_SOCKET_ERRORS);
}

/** The client ends a session on its own decision: DISCONNECT first (the broker then discards the will), then close and back off. */
function closeCleanly(reason: i32, nowMs: u32): void {
  sendDisconnect();
  fail(reason, nowMs);
}


/** A session exists: CONNACK accepted, socket open. */
function linkUp(): bool {
  return state == MqttState.SUBSCRIBING || state == MqttState.CONNECTED;
}

function startRequest(kind: Req, filter: usize, filterLen: i32, qos: i32, nowMs: u32): i32 {
  if (!linkUp() || reqResult == MQTT_REQ_PENDING) return MQTT_REQ_BUSY;
  copyBytes(reqTopic, filter, filterLen);
  reqTopicLen = filterLen;
  reqQos = qos;
  reqKind = kind;
  reqId = allocId();
  reqResult = MQTT_REQ_PENDING;
  reqQueued = false;
  pumpControl(nowMs);
  flush(nowMs);
  return MQTT_REQ_PENDING;
}

function startAttempt(nowMs: u32): void {
  resetLink();
  count(C_MQTT_CONNECT_ATTEMPTS);
  attemptStart = nowMs;
  const h = halSockConnect(cfg.hostBuf, cfg.hostLen, cfg.brokerTls ? cfg.brokerPort | SOCK_TLS : cfg.brokerPort);
  if (h < 0) {
    socketError(Reason.SOCKET_FAILED, nowMs);
    return;
  }
  sock = h;
  state = MqttState.SOCKET_CONNECTING;
}

/** Forgets everything tied to one connection. QoS 1 slots written to the old socket become Slot.RESEND. */
function resetLink(): void {
  rxLen = 0;
  txLen = 0;
  txDone = 0;
  skipping = false;
  skipLeft = 0;
  pingOut = false;
  needPing = false;
  needSub = false;
  subId = 0;
  if (reqKind != Req.NONE) {
    reqKind = Req.NONE;
    if (reqResult == MQTT_REQ_PENDING) reqResult = MQTT_REQ_BUSY;
  }
  for (let i = 0; i < INFLIGHT_SLOTS; i++) {
    if (slotState(i) != Slot.SENT) continue;
    if (load<u8>(slotMeta(i) + 7) != 0) {
      setSlotState(i, Slot.FREE); // superseded while on the wire: never resent
      count(C_MQTT_SUPERSEDED);
    } else {
      const p = slotPtr(i);
      store<u8>(p, load<u8>(p) | 0x08); // DUP=1 on re-delivery [MQTT-3.3.1-1]
      setSlotState(i, Slot.RESEND);
    }
  }
}

/** Disconnect reason for a negative sock_status: the TLS failures are named, everything else is SOCKET_FAILED. */
function socketFailure(st: i32): i32 {
  if (st == SOCK_TLS_UNTRUSTED) return Reason.TLS_UNTRUSTED;
  if (st == SOCK_TLS_NAME_MISMATCH) return Reason.TLS_NAME_MISMATCH;
  if (st == SOCK_TLS_FAILED) return Reason.TLS_HANDSHAKE_FAILED;
  return Reason.SOCKET_FAILED;
}

/** A socket call failed: counted (counter 9), then like fail(). */
function socketError(reason: i32, nowMs: u32): void {
  count(C_SOCKET_ERRORS);
  fail(reason, nowMs);
}

/** Closes the connection for `reason` and schedules the next attempt. */
function fail(reason: i32, nowMs: u32): void {
  if (sock >= 0) halSockClose(sock);
  sock = -1;
  lastReason = reason;
  count(disconnectCounter(reason));
  if (reason == Reason.PROTOCOL_VIOLATION) count(C_MQTT_PROTOCOL_ERRORS);
  // The client's own decisions (and host bugs) are not the message's fault.
  if (reason != Reason.SUBSCRIBE_REFUSED && reason != Reason.HOST_VIOLATION) strikeHead();
  resetLink();
  const delay = backoffDelay(failures);
  if (failures < 30) failures++;
  retryAt = nowMs + delay;
  state = MqttState.BACKING_OFF;
  logBegin();
  logStr(ascii("mqtt: disconnected, reason "));
  logInt(reason);
  logStr(ascii(", retry in "));
  logInt(<i32>delay);
  logStr(ascii(" ms"));
  logEnd(LOG_WARN);
}

/**
 * Backoff before attempt number `n + 1` after `n` consecutive failures:
 * uniform in [base, min(cap, base * 2^(n+1))] ("full jitter" above the
 * base, so a fleet never reconnects in lock-step and never spins faster than
 * base). Uses hal random_u32.
 */
export function backoffDelay(n: i32): u32 {
  // u32 is exact: the schema bounds base <= 60,000 and cap <= 3,600,000, so
  // ceil < 2 * cap and base + span < 2^32.
  const base = cfg.backoffBaseMs;
  let cap = cfg.backoffCapMs;
  if (cap < base) cap = base;
  let ceil = base;
  for (let i = 0; i <= n && ceil < cap; i++) ceil = ceil << 1;
  if (ceil > cap) ceil = cap;
  const span = ceil - base;
  if (span == 0) return base;
  return base + halRandomU32() % (span + 1);
}

function sessionUp(nowMs: u32): void {
  state = MqttState.CONNECTED;
  events++;
  sessionId++;
  upSince = nowMs;
  stable = false;
  logBegin();
  logStr(ascii("mqtt: session "));
  logInt(<i32>sessionId);
  logStr(ascii(" up"));
  logEnd(LOG_INFO);
}

/** One tick of a connection whose socket is up (AWAITING_CONNACK, SUBSCRIBING, CONNECTED). */
function linkTick(nowMs: u32): void {
  if (!flush(nowMs)) return;
  // At most 8 receive calls per tick keeps a tick bounded under a flood.
  for (let k = 0; k < 8; k++) {
    if (RX_CAP - rxLen <= 0) break; // a complete packet waits for transmit room (back-pressure)
    const n = recvSome(nowMs);
    if (n < 0) return;
    if (n == 0) break;
    if (!processRx(nowMs)) return;
    pumpControl(nowMs);
    if (txLen > 0 && !flush(nowMs)) return; // the socket is open after processRx returned true
  }
  if (!processRx(nowMs)) return; // packets held back by a full transmit queue
  pumpControl(nowMs);
  if (txLen > 0 && !flush(nowMs)) return;
  timers(nowMs);
  if (txLen > 0 && (linkUp() || state == MqttState.AWAITING_CONNACK)) flush(nowMs);
}

/** Connect timeout, keep-alive and backoff reset. */
function timers(nowMs: u32): void {
  if (state == MqttState.AWAITING_CONNACK || state == MqttState.SUBSCRIBING) {
    if (elapsed(nowMs, attemptStart) >= cfg.connectTimeoutMs) fail(Reason.CONNECT_TIMEOUT, nowMs);
    return;
  }
  if (state != MqttState.CONNECTED) return;
  if (!stable && elapsed(nowMs, upSince) >= cfg.backoffResetMs) {
    stable = true;
    failures = 0;
  }
  const head = oldestIn(Slot.SENT, Slot.SENT, false);
  if (head >= 0 && elapsed(nowMs, load<u32>(slotMeta(head) + 16)) >= pubackTimeout()) {
    // The broker keeps the link (PINGRESP) but lost a PUBACK: a new
    // connection resends the message (as the Paho embedded client does).
    count(C_MQTT_PUBACK_TIMEOUTS);
    closeCleanly(Reason.PUBACK_TIMEOUT, nowMs);
    return;
  }
  if (cfg.keepAliveS <= 0) return;
  if (pingOut) {
    if (elapsed(nowMs, pingAt) >= cfg.pingTimeoutMs) {
      count(C_MQTT_KEEPALIVE_TIMEOUTS);
      fail(Reason.KEEPALIVE_TIMEOUT, nowMs);
    }
    return;
  }
  const ka: u32 = <u32>cfg.keepAliveS * 1000;
  // PINGREQ when nothing was sent for the keep-alive period [MQTT-3.1.2-23],
  // and also when nothing was received for it (detects a dead link while
  // QoS 0 traffic keeps lastSent fresh).
  // The ping timeout is armed even when the PINGREQ cannot be queued yet
  // (socket not taking bytes): a link stalled that long is closed too.
  if (elapsed(nowMs, lastSent) >= ka || elapsed(nowMs, lastRecv) >= ka) {
    pingOut = true;
    pingAt = nowMs;
    needPing = true;
    queuePing();
  }
}

function queuePing(): void {
  if (!needPing) return;
  const n = encEmpty(txEnd(), txRoom(), PINGREQ);
  if (n < 0) return; // retried by pumpControl when the queue drains
  queued(n);
  needPing = false;
}

/**
 * Milliseconds until the client next needs a tick: its timers (connect
 * timeout, keep-alive, ping timeout, backoff reset, PUBACK timeout, retry),
 * a 20 ms poll of sock_status while connecting and a 10 ms poll while bytes
 * wait for sock_send. Inbound bytes need none: the idle tick polls the socket
 * (app/main.ts), and a host may tick early when it has socket data.
 */
function nextWait(nowMs: u32): u32 {
  let w: u32 = NO_DEADLINE_MS;
  switch (state) {
    case MqttState.BACKING_OFF: return sooner(w, nowMs, retryAt);
    case MqttState.SOCKET_CONNECTING: return sooner(20, nowMs, attemptStart + cfg.connectTimeoutMs);
    case MqttState.AWAITING_CONNACK:
    case MqttState.SUBSCRIBING:
      w = sooner(w, nowMs, attemptStart + cfg.connectTimeoutMs);
      break;
    case MqttState.CONNECTED:
      if (cfg.keepAliveS > 0) {
        if (pingOut) w = sooner(w, nowMs, pingAt + cfg.pingTimeoutMs);
        else {
          const ka: u32 = <u32>cfg.keepAliveS * 1000;
          w = sooner(w, nowMs, lastSent + ka);
          w = sooner(w, nowMs, lastRecv + ka);
        }
      }
      if (!stable) w = sooner(w, nowMs, upSince + cfg.backoffResetMs);
      {
        const head = oldestIn(Slot.SENT, Slot.SENT, false);
        if (head >= 0) w = sooner(w, nowMs, load<u32>(slotMeta(head) + 16) + pubackTimeout());
      }
      break;
    default: return NO_DEADLINE_MS;
  }
  if (txLen > 0) w = minU(w, 10);
  return w;
}

/** Where the next packet is written into txq (its end), and the bytes free there (one call each: shorter than the arithmetic at every encoder call). */
function txEnd(): usize { return txq + <usize>txLen; }
function txRoom(): i32 { return TX_CAP - txLen; }

/** `n` bytes of one whole packet were just written at the end of txq. */
function queued(n: i32): void {
  txLen += n;
  count(C_MQTT_PACKETS_OUT);
}

/** Offers the transmit queue to the socket. False when the connection failed. */
function flush(nowMs: u32): bool {
  if (sock < 0) return false;
  if (txLen == 0) return true;
  const n = halSockSend(sock, txq, txLen);
  if (n < 0) {
    socketError(Reason.SEND_FAILED, nowMs);
    return false;
  }
  if (n > txLen) {
    fail(Reason.HOST_VIOLATION, nowMs);
    return false;
  }
  if (n > 0) {
    // Partial send policy: drop only the accepted prefix; the rest of the
    // current packet (and those behind it) goes out on a later call.
    if (n < txLen) copyBytes(txq, txq + <usize>n, txLen - n);
    txLen -= n;
    txDone += <u32>n;
    lastSent = nowMs;
  }
  return true;
}

/** Queues pending control packets and QoS 1 messages while the transmit queue has room. */
function pumpControl(nowMs: u32): void {
  if (!linkUp()) return;
  if (needPing) queuePing();
  if (needSub) {
    const id = allocId();
    const n = encSubscribe(txEnd(), txRoom(), id, cfg.downlinkBuf, cfg.downlinkLen, 1);
    if (n > 0) {
      queued(n);
      needSub = false;
      subId = id;
    }
  }
  if (reqKind != Req.NONE && !reqQueued) {
    const n = encSubscribe(txEnd(), txRoom(), reqId, reqTopic, reqTopicLen, reqKind == Req.SUB ? reqQos : UNSUBSCRIBE);
    if (n > 0) {
      queued(n);
      reqQueued = true;
    }
  }
  pumpSlots(nowMs);
}

/** Writes QoS 1 slots waiting for (re)transmission to txq, oldest first, while they fit. */
function pumpSlots(nowMs: u32): void {
  for (;;) {
    const best = oldestIn(Slot.QUEUED, Slot.RESEND, false);
    if (best < 0) return;
    const len = slotLen(best);
    if (len > TX_CAP - txLen) return; // keeps order: nothing newer overtakes it
    copyBytes(txq + <usize>txLen, slotPtr(best), len);
    txLen += len;
    count(C_MQTT_PACKETS_OUT);
    if (slotState(best) == Slot.RESEND) count(C_MQTT_RETRANSMISSIONS);
    setSlotState(best, Slot.SENT);
    store<u32>(slotMeta(best) + 12, txDone + <u32>txLen);
    store<u32>(slotMeta(best) + 16, nowMs);
  }
}

/** Closes for a protocol violation; always returns false (for `return violation(now)`). */
function violation(nowMs: u32): bool {
  fail(Reason.PROTOCOL_VIOLATION, nowMs);
  return false;
}

/**
 * Consumes complete packets (and oversize-skip bytes) from the front of rx.
 * Stops when a packet is incomplete or needs transmit room that is not
 * there. False when the connection was closed.
 */
function processRx(nowMs: u32): bool {
  for (;;) {
    if (sock < 0) return false; // closed by a failure or by the app (mqttStop) in a handler
    if (skipping) {
      if (!skipStep(nowMs)) return sock >= 0;
      continue;
    }
    if (rxLen < 2) return true;
    const rem = decodeRemLen(rx + 1, rxLen - 1);
    if (rem == D_NEED_MORE) return true;
    if (rem < 0) return violation(nowMs); // 5th length byte [MQTT-2.2.3]
    const b0 = <i32>load<u8>(rx);
    if (checkHeader(b0, rem) != 0) return violation(nowMs);
    const hdr = 1 + rlBytes;
    const type = b0 >>> 4;
    if (state == MqttState.AWAITING_CONNACK && type != T_CONNACK) return violation(nowMs); // [MQTT-3.2.0-1]
    if (rem > RX_CAP - hdr) {
      // Only PUBLISH passes checkHeader with this length: skip it byte by byte.
      count(C_MQTT_PACKETS_IN);
      count(C_MQTT_OVERSIZE_SKIPS);
      lastRecv = nowMs;
      skipping = true;
      skipLeft = <u32>rem;
      skipPos = 0;
      skipQos = (b0 >>> 1) & 3;
      skipTopicLen = 0;
      skipId = 0;
      consume(hdr);
      continue;
    }
    const total = hdr + rem;
    if (rxLen < total) return true;
    if (type == T_PUBLISH && ((b0 >>> 1) & 3) == 1 && TX_CAP - txLen < 4) return true; // PUBACK room first
    count(C_MQTT_PACKETS_IN);
    lastRecv = nowMs;
    if (!handlePacket(type, hdr, total, nowMs)) return false;
    if (sock < 0) return false;
    consume(total);
  }
  return true;
}

/** Drops `n` bytes from the front of rx. */
function consume(n: i32): void {
  if (n >= rxLen) { rxLen = 0; return; }
  copyBytes(rx, rx + <usize>n, rxLen - n);
  rxLen -= n;
}

/**
 * Discards received bytes of an oversize PUBLISH, noting its topic length
 * and packet id on the way. When the last byte is gone, a QoS 1 one is
 * acknowledged (in arrival order) and the app told. False when waiting for
 * bytes or transmit room, or when the connection was closed.
 */
function skipStep(nowMs: u32): bool {
  if (skipLeft > 0) {
    if (rxLen == 0) return false;
    const n = <u32>rxLen < skipLeft ? rxLen : <i32>skipLeft;
    for (let i = 0; i < n; i++) {
      const pos = skipPos + <u32>i;
      const b = <u32>load<u8>(rx + <usize>i);
      // (both start at 0: big-endian, a byte at a time)
      if (pos < 2) skipTopicLen = (skipTopicLen << 8) | b;
      else if (pos > skipTopicLen + 3) break; // nothing more to learn from this chunk
      else if (skipQos > 0 && pos >= skipTopicLen + 2) skipId = (skipId << 8) | <i32>b;
    }
    skipPos += <u32>n;
    skipLeft -= <u32>n;
    consume(n);
    if (skipLeft > 0) return false;
  }
  // Whole packet discarded.
  if (skipQos > 0) {
    if (skipTopicLen + 4 > skipPos || skipId == 0) { violation(nowMs); return false; } // [MQTT-2.3.1-1]
    const n = encPuback(txEnd(), txRoom(), skipId);
    if (n < 0) return false; // wait for transmit room
    queued(n);
  }
  else if (skipTopicLen + 2 > skipPos) { violation(nowMs); return false; } // topic overruns the packet
  skipping = false;
  onMqttOversize(nowMs);
  return true;
}

/**
 * CONNACK 2 (identifier rejected): mosquitto >= 2.0.12 answers so to a
 * 3.1.1 CONNECT whose keep-alive exceeds its max_keepalive (or is 0 while
 * max_keepalive is set); the client id is valid by construction, so the
 * keep-alive is the likely cause and the line says what to change.
 */
function logKeepAliveHint(): void {
  logBegin();
  logStr(ascii("mqtt: CONNACK 2 (identifier rejected): if mqtt_keepalive_s "));
  logInt(cfg.keepAliveS);
  logStr(ascii(" exceeds the broker's max_keepalive (or is 0), lower it or raise max_keepalive"));
  logEnd(LOG_WARN);
}

/** Handles one complete packet of `total` bytes at rx. False when the connection was closed. */
function handlePacket(type: i32, hdr: i32, total: i32, nowMs: u32): bool {
  if (type == T_CONNACK) {
    if (state != MqttState.AWAITING_CONNACK) return violation(nowMs); // one CONNACK per connection
    const flags = <i32>load<u8>(rx + 2);
    const rc = <i32>load<u8>(rx + 3);
    if ((flags & 0xFE) != 0) return violation(nowMs);            // reserved bits 7-1 of the acknowledge flags
    if (rc > 5) return violation(nowMs);                         // [MQTT-3.2.2-6]
    if (rc != 0) {
      // A refusal is reported as the refusal even with session present set
      // against [MQTT-3.2.2-4]: mosquitto >= 2.0.12 sets it on its keep-alive
      // refusal to a client with a stored session, and the reason is what
      // the user needs.
      if (rc == 2) logKeepAliveHint();
      fail(Reason.CONNACK_PROTOCOL + rc - 1, nowMs);             // named refusal, backs off
      return false;
    }
    if (cfg.cleanSession && (flags & 1) != 0) return violation(nowMs); // [MQTT-3.2.2-1]
    count(C_MQTT_CONNECTS);
    // QoS 1 policy: messages sent on an earlier connection and not
    // acknowledged are sent again with DUP=1, same packet id, oldest first,
    // right after CONNACK [MQTT-4.4.0-1]; messages queued while down follow.
    if (cfg.downlinkLen > 0) {
      state = MqttState.SUBSCRIBING;
      needSub = true;
    } else {
      sessionUp(nowMs);
    }
    pumpControl(nowMs);
    return true;
  }
  if (type == T_PUBLISH) {
    if (parsePublish(rx, hdr, total) != 0) return violation(nowMs);
    const qos = pubQos;
    if (qos == 1) {
      // PUBACK queued before delivery keeps acknowledgements in arrival order
      // [MQTT-4.6.0-2] whatever the app publishes from its handler. Room was
      // checked by processRx.
      const n = encPuback(txEnd(), txRoom(), pubId);
      if (n < 0) return true;
      queued(n);
    }
    lastRetain = pubRetain;
    const st = state;
    events++;
    onMqttMessage(rx + <usize>pubTopicOff, pubTopicLen, rx + <usize>pubPayloadOff, pubPayloadLen, nowMs);
    return state == st && sock >= 0;
  }
  if (type == T_PINGRESP) {
    pingOut = false;
    return true;
  }
  // PUBACK, SUBACK or UNSUBACK (checkHeader lets no other type through): a packet id first.
  const id = readU16(rx + <usize>hdr);
  if (id == 0) return violation(nowMs); // [MQTT-2.3.1-1]
  if (type == T_PUBACK) {
    for (let i = 0; i < INFLIGHT_SLOTS; i++) {
      if (slotState(i) == Slot.SENT && slotId(i) == id) {
        setSlotState(i, Slot.FREE);
        onMqttPuback(id);
        break;
      }
    }
    // A PUBACK for an id not in flight (e.g. a late duplicate) is ignored.
    return true;
  }
  let rc = 0; // UNSUBACK: no return code
  if (type == T_SUBACK) {
    rc = <i32>load<u8>(rx + <usize>(hdr + 2));
    const okCode = rc == 0 || rc == 1 || rc == 0x80; // [MQTT-3.9.3-2]; QoS 1 requested, never 2
    if (!okCode) return violation(nowMs);
    if (subId != 0 && id == subId) {
      subId = 0;
      if (rc == 0x80) {
        closeCleanly(Reason.SUBSCRIBE_REFUSED, nowMs); // DISCONNECT: no will on every retry
        return false;
      }
      if (state == MqttState.SUBSCRIBING) sessionUp(nowMs);
      return true;
    }
  }
  // The application's request: a SUBACK answers a SUBSCRIBE, an UNSUBACK an UNSUBSCRIBE.
  if (reqKind == (type == T_SUBACK ? Req.SUB : Req.UNSUB) && reqQueued && id == reqId) {
    if (rc > reqQos && rc != 0x80) return violation(nowMs);
    reqKind = Req.NONE;
    reqResult = rc;
    return true;
  }
  return violation(nowMs); // an acknowledgement of nothing we asked
}
