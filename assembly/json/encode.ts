// Zero-allocation JSON object writer into a caller-owned bounded buffer.
//
// Contract: jwBegin(buf, cap) starts "{"; each jwMember* appends one
// `"name":value` member (comma handled); jwEnd() appends "}" and returns the
// total length, or a negative JwStatus when anything did not fit. A member that
// does not fit is never partly visible: the writer becomes sticky-failed and the
// caller must not use the buffer contents. Member names are ASCII literals
// (written as is; callers pass plain names); string values are UTF-8 bytes,
// escaped per RFC 8259: `"` and `\` get a backslash, control characters
// (< 0x20) become \b \f \n \r \t or \u00XX; every other byte is copied.
import { putAscii, putByte, putFixed, putInt, copyBytes } from "../util/bytes";
import { ascii, Ascii, asciiLen, asciiAt, asciiPtr, DIGITS36 } from "../util/ascii";

export const enum JwStatus { OK = 0, NO_ROOM = -1, NOT_STARTED = -2, BAD_ARG = -3 }

let wBuf: usize = 0;
let wCap: i32 = 0;
let wLen: i32 = 0;
let wStatus: JwStatus = JwStatus.NOT_STARTED;
let wCount: i32 = 0;

function fail(s: JwStatus): void {
  if (wStatus == JwStatus.OK) wStatus = s;
}

/** The member ends at offset o, or did not fit (o < 0: sticky NO_ROOM). */
function advance(o: i32): void {
  if (o < 0) fail(JwStatus.NO_ROOM); else wLen = o;
}

/** Starts an object at buf (cap bytes; the caller owns the buffer). */
export function jwBegin(buf: usize, cap: i32): void {
  wBuf = buf;
  wCap = cap < 0 ? 0 : cap;
  wLen = 0;
  wCount = 0;
  wStatus = JwStatus.OK;
  advance(putByte(wBuf, wCap, 0, 0x7B));
}

/**
 * Continues an object whose first `members` members are already the first
 * `len` bytes at buf (written by an earlier jwBegin/jwMember* into the same
 * buffer and left untouched since).
 */
export function jwResume(buf: usize, cap: i32, len: i32, members: i32): void {
  wBuf = buf;
  wCap = cap < 0 ? 0 : cap;
  wLen = len;
  wCount = members;
  wStatus = JwStatus.OK;
}

/** Writes `,"name":` (the comma only after the first member); nothing when it does not fit. */
function memberStart(name: Ascii): bool {
  if (wStatus != JwStatus.OK) return false;
  const n = asciiLen(name);
  const comma = <i32>(wCount > 0);
  if (comma + n + 3 > wCap - wLen) { fail(JwStatus.NO_ROOM); return false; }
  // (stores in place: a member is on the hot path of every uplink, a call per byte is dear under an interpreter)
  let p = wBuf + <usize>wLen;
  store<u8>(p, 0x2C); // overwritten by the quote when there is no comma
  p += <usize>comma;
  store<u8>(p, 0x22);
  copyBytes(p + 1, asciiPtr(name), n);
  store<u16>(p + 1 + <usize>n, 0x3A22); // `":`
  wLen += comma + n + 3;
  wCount++;
  return true;
}

const HEX: Ascii = DIGITS36; // its first 16

/** Appends the escaped form of ptr,len at offset o; new offset or -1. */
function putEscaped(o: i32, ptr: usize, len: i32): i32 {
  for (let i = 0; i < len && o >= 0; i++) {
    const c = <i32>load<u8>(ptr + <usize>i);
    if (c == 0x22 || c == 0x5C) {
      o = putByte(wBuf, wCap, o, 0x5C);
      o = putByte(wBuf, wCap, o, c);
    } else if (c < 0x20) {
      let e = 0;
      if (c == 0x08) e = 0x62;
      else if (c == 0x0C) e = 0x66;
      else if (c == 0x0A) e = 0x6E;
      else if (c == 0x0D) e = 0x72;
      else if (c == 0x09) e = 0x74;
      o = putByte(wBuf, wCap, o, 0x5C);
      if (e != 0) o = putByte(wBuf, wCap, o, e);
      else {
        o = putAscii(wBuf, wCap, o, ascii("u00"));
        o = putByte(wBuf, wCap, o, asciiAt(HEX, c >> 4));
        o = putByte(wBuf, wCap, o, asciiAt(HEX, c & 15));
      }
    } else {
      o = putByte(wBuf, wCap, o, c);
    }
  }
  return o;
}

/** Member with a JSON string value from UTF-8 bytes ptr,len (escaped). */
export function jwMemberStr(name: Ascii, ptr: usize, len: i32): void {
  if (len < 0) { fail(JwStatus.BAD_ARG); return; }
  if (!memberStart(name)) return;
  let o = putByte(wBuf, wCap, wLen, 0x22);
  o = putEscaped(o, ptr, len);
  o = putByte(wBuf, wCap, o, 0x22);
  advance(o);
}

/** Member with a JSON string value given as an ASCII literal (escaped like any string). */
export function jwMemberAscii(name: Ascii, value: Ascii): void {
  jwMemberStr(name, asciiPtr(value), asciiLen(value));
}

/**
 * Member with the decimal value scaled / 10^decimals (decimals 0..3), written with exactly
 * `decimals` fraction digits, as a JSON string ("67.5") when asString, else as a JSON number (67.5).
 */
export function jwMemberFixed(name: Ascii, scaled: i32, decimals: i32, asString: bool): void {
  if (<u32>decimals > 3) { fail(JwStatus.BAD_ARG); return; }
  if (!memberStart(name)) return;
  // As a string: the digits between quotes, written when both quotes fit too.
  const q = <i32>asString;
  const o = putFixed(wBuf, wCap - q, wLen + q, scaled, decimals);
  if (o >= 0 && asString) {
    store<u8>(wBuf + <usize>wLen, 0x22);
    store<u8>(wBuf + <usize>o, 0x22);
  }
  advance(o < 0 ? o : o + q);
}

/** Member with an integer JSON number. */
export function jwMemberInt(name: Ascii, v: i32): void {
  if (!memberStart(name)) return;
  const o = putInt(wBuf, wCap, wLen, v);
  advance(o);
}

/** Member with true/false. */
export function jwMemberBool(name: Ascii, v: bool): void {
  if (!memberStart(name)) return;
  const o = putAscii(wBuf, wCap, wLen, v ? ascii("true") : ascii("false"));
  advance(o);
}

/** Closes the object: its length in bytes (> 0), or a negative JwStatus. */
export function jwEnd(): i32 {
  if (wStatus != JwStatus.OK) return <i32>wStatus;
  if (wLen >= wCap) { fail(JwStatus.NO_ROOM); return <i32>wStatus; }
  store<u8>(wBuf + <usize>wLen, 0x7D);
  wLen++;
  wStatus = JwStatus.NOT_STARTED; // one jwEnd per jwBegin
  return wLen;
}

/** True when a member did not fit (or an argument was bad) since jwBegin: jwEnd will fail. */
export function jwFailed(): bool { return wStatus != JwStatus.OK; }

/** Bytes written so far (for diagnostics). */
export function jwLength(): i32 { return wLen; }
