// MQTT 3.1.1 packet serializer and deserializer. Pure: no I/O, no
// allocation. Every encoder writes into a caller-owned buffer `buf` of `cap`
// bytes and returns the packet length, or -1 when it does not fit (then
// nothing is written). Every decoder reads only inside the `len` bytes it is
// given and reports malformed input with a status code, never a trap.
import { utf8SeqLen, copyBytes } from "../util/bytes";

// Control packet types (first byte >> 4).
export const T_CONNECT: i32 = 1;
export const T_CONNACK: i32 = 2;
export const T_PUBLISH: i32 = 3;
export const T_PUBACK: i32 = 4;
export const T_PUBREC: i32 = 5;
export const T_PUBREL: i32 = 6;
export const T_PUBCOMP: i32 = 7;
export const T_SUBSCRIBE: i32 = 8;
export const T_SUBACK: i32 = 9;
export const T_UNSUBSCRIBE: i32 = 10;
export const T_UNSUBACK: i32 = 11;
export const T_PINGREQ: i32 = 12;
export const T_PINGRESP: i32 = 13;
export const T_DISCONNECT: i32 = 14;

/** Largest remaining length that fits in 4 bytes [MQTT-2.2.3]. */
export const REM_LEN_MAX: i32 = 268435455;

/** Decoder status codes (negative). */
export const D_NEED_MORE: i32 = -1; // not enough bytes yet
export const D_MALFORMED: i32 = -2; // protocol violation

/** Bytes needed to encode remaining length `n` (1..4), or -1 when n is out of 0..REM_LEN_MAX. */
export function remLenSize(n: i32): i32 {
  if (<u32>n > <u32>REM_LEN_MAX) return -1;
  if (n < 128) return 1;
  if (n < 16384) return 2;
  if (n < 2097152) return 3;
  return 4;
}

/** Writes remaining length `n` at buf+off (space already checked); returns the new offset. */
function writeRemLen(buf: usize, off: i32, n: i32): i32 {
  let v = n;
  let o = off;
  do {
    let b = v & 0x7F;
    v = v >>> 7;
    if (v > 0) b |= 0x80;
    store<u8>(buf + <usize>o, <u8>b);
    o++;
  } while (v > 0);
  return o;
}

function writeU16(buf: usize, off: i32, v: i32): i32 {
  store<u8>(buf + <usize>off, <u8>((v >>> 8) & 0xFF));
  store<u8>(buf + <usize>(off + 1), <u8>(v & 0xFF));
  return off + 2;
}

/** Writes a length-prefixed string (len 0..65535, space already checked). */
function writeStr(buf: usize, off: i32, ptr: usize, len: i32): i32 {
  const o = writeU16(buf, off, len);
  copyBytes(buf + <usize>o, ptr, len);
  return o + len;
}

/** Total packet size for a remaining length, or -1 when it cannot be encoded. */
function packetSize(rem: i32): i32 {
  const s = remLenSize(rem);
  return s < 0 ? -1 : 1 + s + rem;
}

/** Reads the big-endian u16 at p. */
export function readU16(p: usize): i32 {
  return (<i32>load<u8>(p) << 8) | <i32>load<u8>(p + 1);
}

// ------------------------------------------------------------------ encoders

/**
 * CONNECT [MQTT-3.1]. Strings are ptr+len (len 0..65535). The password is
 * sent only when a user name is (len > 0) and `hasPass` [MQTT-3.1.2-22]; the
 * will only when willTopicLen > 0 (willQos 0..2, otherwise -1).
 */
export function encConnect(
  buf: usize, cap: i32,
  clientId: usize, clientIdLen: i32, keepAliveS: i32, clean: bool,
  user: usize, userLen: i32, hasPass: bool, pass: usize, passLen: i32,
  willTopic: usize, willTopicLen: i32, willPayload: usize, willPayloadLen: i32,
  willQos: i32, willRetain: bool,
): i32 {
  // every length and the keep-alive in 0..65535 (a negative value has high bits set too)
  if (((clientIdLen | userLen | passLen | willTopicLen | willPayloadLen | keepAliveS) >>> 16) != 0) return -1;
  if (<u32>willQos > 2) return -1;
  const withUser = userLen > 0;
  const withPass = withUser && hasPass;
  const withWill = willTopicLen > 0;
  let rem = 10 + 2 + clientIdLen;
  if (withWill) rem += 4 + willTopicLen + willPayloadLen;
  if (withUser) rem += 2 + userLen;
  if (withPass) rem += 2 + passLen;
  const size = packetSize(rem);
  if (size < 0 || size > cap) return -1;
  let flags = 0;
  if (withUser) flags |= 0x80;
  if (withPass) flags |= 0x40;
  if (withWill) {
    flags |= 0x04 | (willQos << 3);
    if (willRetain) flags |= 0x20;
  }
  if (clean) flags |= 0x02;
  store<u8>(buf, 0x10);
  let o = writeRemLen(buf, 1, rem);
  o = writeU16(buf, o, 4);
  store<u8>(buf + <usize>o, 0x4D); // M
  store<u8>(buf + <usize>(o + 1), 0x51); // Q
  store<u8>(buf + <usize>(o + 2), 0x54); // T
  store<u8>(buf + <usize>(o + 3), 0x54); // T
  store<u8>(buf + <usize>(o + 4), 4); // protocol level 3.1.1 [MQTT-3.1.2-2]
  store<u8>(buf + <usize>(o + 5), <u8>flags);
  o = writeU16(buf, o + 6, keepAliveS);
  o = writeStr(buf, o, clientId, clientIdLen);
  if (withWill) {
    o = writeStr(buf, o, willTopic, willTopicLen);
    o = writeStr(buf, o, willPayload, willPayloadLen);
  }
  if (withUser) o = writeStr(buf, o, user, userLen);
  if (withPass) o = writeStr(buf, o, pass, passLen);
  return o;
}

/** Size of a PUBLISH packet, or -1 when it cannot be encoded. */
export function publishSize(topicLen: i32, payloadLen: i32, qos: i32): i32 {
  if (<u32>topicLen > 65535 || <u32>payloadLen > <u32>REM_LEN_MAX) return -1;
  const rem = 2 + topicLen + (qos > 0 ? 2 : 0) + payloadLen;
  if (<u32>rem > <u32>REM_LEN_MAX) return -1;
  return packetSize(rem);
}

/** PUBLISH [MQTT-3.3]: qos 0..1 (id 1..65535 for qos 1, ignored for 0; DUP only with qos 1). */
export function encPublish(
  buf: usize, cap: i32, topic: usize, topicLen: i32, payload: usize, payloadLen: i32,
  qos: i32, retain: bool, dup: bool, id: i32,
): i32 {
  if (<u32>qos > 1) return -1;
  if (qos == 1 && <u32>(id - 1) > 65534) return -1; // id 1..65535
  const size = publishSize(topicLen, payloadLen, qos);
  if (size < 0 || size > cap) return -1;
  let b0 = 0x30 | (qos << 1);
  if (retain) b0 |= 0x01;
  if (dup && qos > 0) b0 |= 0x08; // [MQTT-3.3.1-2]: DUP is 0 for QoS 0
  store<u8>(buf, <u8>b0);
  let o = writeRemLen(buf, 1, 2 + topicLen + (qos > 0 ? 2 : 0) + payloadLen);
  o = writeStr(buf, o, topic, topicLen);
  if (qos > 0) o = writeU16(buf, o, id);
  copyBytes(buf + <usize>o, payload, payloadLen);
  return o + payloadLen;
}

/** qos argument of encSubscribe for an UNSUBSCRIBE. */
export const UNSUBSCRIBE: i32 = -1;

/**
 * SUBSCRIBE with one topic filter at `qos` 0..1 [MQTT-3.8], or, with qos
 * UNSUBSCRIBE, UNSUBSCRIBE of it [MQTT-3.10] (the same packet without the
 * requested QoS byte); fixed header flags 0010 [MQTT-3.8.1-1, MQTT-3.10.1-1].
 */
export function encSubscribe(buf: usize, cap: i32, id: i32, filter: usize, filterLen: i32, qos: i32): i32 {
  if (<u32>(id - 1) > 65534 || <u32>(filterLen - 1) > 65534 || <u32>(qos - UNSUBSCRIBE) > <u32>(1 - UNSUBSCRIBE)) return -1; // 1..65535, 1..65535, UNSUBSCRIBE..1
  const sub = qos >= 0;
  const rem = 2 + 2 + filterLen + <i32>sub;
  const size = packetSize(rem);
  if (size < 0 || size > cap) return -1;
  store<u8>(buf, sub ? 0x82 : 0xA2);
  let o = writeRemLen(buf, 1, rem);
  o = writeU16(buf, o, id);
  o = writeStr(buf, o, filter, filterLen);
  if (sub) store<u8>(buf + <usize>(o++), <u8>qos);
  return o;
}

/** PUBACK [MQTT-3.4] for packet id 1..65535. */
export function encPuback(buf: usize, cap: i32, id: i32): i32 {
  if (cap < 4 || <u32>(id - 1) > 65534) return -1;
  store<u8>(buf, 0x40);
  store<u8>(buf + 1, 2);
  writeU16(buf, 2, id);
  return 4;
}

/** First bytes of the packets that are a fixed header alone: PINGREQ [MQTT-3.12] and DISCONNECT [MQTT-3.14]. */
export const PINGREQ: i32 = 0xC0;
export const DISCONNECT: i32 = 0xE0;

/** A packet of type byte `b0` (PINGREQ, DISCONNECT) with no variable header and no payload. */
export function encEmpty(buf: usize, cap: i32, b0: i32): i32 {
  if (cap < 2) return -1;
  store<u16>(buf, <u16>b0); // b0, remaining length 0
  return 2;
}

// ------------------------------------------------------------------ decoders

/** Bytes taken by the remaining length decoded by the last decodeRemLen (1..4). */
export let rlBytes: i32 = 0;

/**
 * Decodes a remaining length from the `avail` bytes at `p` [MQTT-2.2.3].
 * Returns the value (0..REM_LEN_MAX) and sets rlBytes; D_NEED_MORE when the
 * bytes end inside it; D_MALFORMED when a 4th byte still has the
 * continuation bit (a 5th byte would follow). Non-minimal encodings
 * (e.g. 0x80 0x00) are accepted as the spec does not forbid them.
 */
export function decodeRemLen(p: usize, avail: i32): i32 {
  let value = 0;
  let shift = 0;
  for (let i = 0; i < 4; i++) {
    if (i >= avail) return D_NEED_MORE;
    const b = <i32>load<u8>(p + <usize>i);
    value |= (b & 0x7F) << shift;
    if ((b & 0x80) == 0) {
      rlBytes = i + 1;
      return value;
    }
    shift += 7;
  }
  return D_MALFORMED;
}

/**
 * Checks a server-to-client fixed header before the body arrives: the type
 * is one a client may receive, the flags are the ones the spec fixes, and
 * the remaining length is the one the type requires. 0 ok, D_MALFORMED
 * otherwise. Types a client never receives (CONNECT, SUBSCRIBE, UNSUBSCRIBE,
 * PINGREQ, DISCONNECT, 0, 15) and the QoS 2 flow (PUBREC, PUBREL, PUBCOMP:
 * this client never publishes or subscribes at QoS 2) are violations.
 */
export function checkHeader(b0: i32, rem: i32): i32 {
  const type = b0 >>> 4;
  const flags = b0 & 0x0F;
  if (type == T_PUBLISH) {
    const qos = (flags >>> 1) & 3;
    if (qos == 3) return D_MALFORMED;            // [MQTT-3.3.1-4]
    if (qos == 2) return D_MALFORMED;            // never requested: granted QoS <= 1
    if (qos == 0 && (flags & 0x08) != 0) return D_MALFORMED; // [MQTT-3.3.1-2]
    const min = qos > 0 ? 5 : 3;                 // topic length, >= 1 byte of topic, id
    return rem < min ? D_MALFORMED : 0;
  }
  if (flags != 0) return D_MALFORMED;            // [MQTT-2.2.2-2]
  if (type == T_CONNACK || type == T_PUBACK || type == T_UNSUBACK) return rem == 2 ? 0 : D_MALFORMED;
  if (type == T_SUBACK) return rem == 3 ? 0 : D_MALFORMED; // one return code per filter [MQTT-3.9.3-1]
  if (type == T_PINGRESP) return rem == 0 ? 0 : D_MALFORMED;
  return D_MALFORMED;
}

/** Fields of the PUBLISH parsed by the last successful parsePublish (offsets from the packet start). */
export let pubQos: i32 = 0;
export let pubRetain: bool = false;
export let pubDup: bool = false;
export let pubId: i32 = 0;
export let pubTopicOff: i32 = 0;
export let pubTopicLen: i32 = 0;
export let pubPayloadOff: i32 = 0;
export let pubPayloadLen: i32 = 0;

/**
 * Parses a complete PUBLISH of `total` bytes at `p` whose header takes `hdr`
 * bytes (already checked by checkHeader). 0 ok, D_MALFORMED when the topic
 * length overruns the packet, the topic is empty or not a valid topic name,
 * or a QoS 1 packet id is 0 [MQTT-2.3.1-1].
 */
export function parsePublish(p: usize, hdr: i32, total: i32): i32 {
  const b0 = <i32>load<u8>(p);
  const qos = (b0 >>> 1) & 3;
  if (hdr + 2 > total) return D_MALFORMED;
  const tl = readU16(p + <usize>hdr);
  let o = hdr + 2;
  if (tl < 1 || tl > total - o) return D_MALFORMED;
  if (!validTopicName(p + <usize>o, tl)) return D_MALFORMED;
  const topicOff = o;
  o += tl;
  let id = 0;
  if (qos > 0) {
    if (o + 2 > total) return D_MALFORMED;
    id = readU16(p + <usize>o);
    if (id == 0) return D_MALFORMED;
    o += 2;
  }
  pubQos = qos;
  pubRetain = (b0 & 1) != 0;
  pubDup = (b0 & 8) != 0;
  pubId = id;
  pubTopicOff = topicOff;
  pubTopicLen = tl;
  pubPayloadOff = o;
  pubPayloadLen = total - o;
  return 0;
}

/**
 * True when the `len` bytes at `p` are a valid topic name: well-formed UTF-8
 * [MQTT-1.5.3-1] (no overlong forms, no surrogates U+D800..U+DFFF, nothing
 * above U+10FFFF), no U+0000 [MQTT-1.5.3-2], no wildcard '+' or '#'
 * [MQTT-3.3.2-2], at least one byte [MQTT-4.7.3-1].
 */
export function validTopicName(p: usize, len: i32): bool {
  if (len < 1) return false;
  let i = 0;
  while (i < len) {
    const c = <i32>load<u8>(p + <usize>i);
    if (c < 0x80) {
      if (c == 0 || c == 0x2B || c == 0x23) return false;
      i++;
      continue;
    }
    const n = utf8SeqLen(p + <usize>i, len - i);
    if (n <= 0) return false;
    i += n;
  }
  return true;
}
