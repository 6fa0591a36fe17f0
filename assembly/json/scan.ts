// Zero-allocation, non-trapping scanner for one flat JSON object (RFC 8259).
//
// Contract:
// - jsonOpen(ptr, len) validates the WHOLE input first (one object, optional
//   JSON whitespace around it, nothing else) and only then positions before
//   the first member, so a malformed object is never half-acted on. It never
//   reads outside ptr,len and rejects len > JSON_MAX_LEN without reading.
// - jsonNext() then walks the top-level members in document order; the input
//   stays owned by the caller and must not change until the walk is over. Keys and
//   STRING values are decoded (escapes resolved, \uXXXX surrogate pairs joined)
//   into static buffers owned by this module, valid until the next
//   jsonNext/jsonOpen. NUMBER values are parsed to f64.
// - Nested objects/arrays inside member values are validated and skipped;
//   nesting deeper than JSON_MAX_DEPTH (the top-level object is depth 1) is
//   rejected.
// - Strings must be well-formed UTF-8 (no overlongs, no encoded surrogates,
//   nothing above U+10FFFF); raw control characters (< 0x20) are rejected;
//   \u escapes that leave a lone surrogate are rejected (MQTT forbids them).
// - Duplicate member names are accepted and reported in order; a consumer that
//   assigns per member therefore gets "last wins", the semantics of
//   ECMAScript JSON.parse.
// - Numbers follow the JSON grammar exactly (no leading '+', no leading zeros,
//   no '.5', no '5.', no hex, no NaN/Infinity). Parsing is exact (correctly
//   rounded) when the significand has at most 15 digits and the decimal
//   exponent is in -22..22 (Clinger's fast path), which covers every value the
//   protocol and the config use; otherwise it is within a few ulp. Overflow
//   gives +/-Infinity, underflow 0, as JSON.parse does.
import { bytesEqAscii, inMemory, utf8SeqLen } from "../util/bytes";
import { ascii, Ascii, asciiLen, asciiAt } from "../util/ascii";

export const enum JsonType { NONE = 0, STRING = 1, NUMBER = 2, TRUE = 3, FALSE = 4, NULL = 5, OBJECT = 6, ARRAY = 7 }

/** Status of jsonOpen (0 = OK). jsonErrorOffset() gives the byte offset where it was detected. */
export const enum JsonError {
  OK = 0,
  EMPTY = -1,          // len <= 0, or only whitespace
  TOO_LONG = -2,       // len > JSON_MAX_LEN (nothing read)
  NOT_OBJECT = -3,     // the top-level value is not an object
  TRUNCATED = -4,      // input ends inside the object
  SYNTAX = -5,         // an unexpected byte (missing ':' ',' '"', bad literal, ...)
  CONTROL_CHAR = -6,   // raw byte < 0x20 inside a string
  BAD_ESCAPE = -7,     // unknown escape or bad \uXXXX hex digits
  BAD_SURROGATE = -8,  // \u escape leaving a lone surrogate
  BAD_UTF8 = -9,       // ill-formed UTF-8 inside a string
  BAD_NUMBER = -10,    // not the JSON number grammar
  TOO_DEEP = -11,      // nesting deeper than JSON_MAX_DEPTH
  TRAILING = -12,      // bytes after the object
}

/** Largest input accepted by jsonOpen, bytes. */
export const JSON_MAX_LEN: i32 = 4096;
/** Deepest nesting accepted; the top-level object counts as 1. */
export const JSON_MAX_DEPTH: i32 = 16;
/** Decode buffer capacities (bytes of UTF-8). Longer values are truncated and flagged. */
export const JSON_KEY_CAP: i32 = 64;
export const JSON_STR_CAP: i32 = 256;

const keyBuf: usize = memory.data(JSON_KEY_CAP);
const strBuf: usize = memory.data(JSON_STR_CAP);

// Input (valid after a successful jsonOpen).
let inPtr: usize = 0;
let inLen: i32 = 0;
// Input, current member and scratch state touched a few times per member: in
// linear memory, not wasm globals (a global costs 48 B of WAMR RAM and 32 B of
// wasm3's; a field its own bytes); zero at instantiation.
// @ts-ignore: decorator
@unmanaged class ScanCold {
  sNum: f64;
  vEnd: i32;
  cur: i32;  // offset of the next byte to look at during iteration
  keyLen: i32;
  keyTrunc: bool;
  opened: bool;
  strTrunc: bool;
}
const cold = changetype<ScanCold>(memory.data(offsetof<ScanCold>(), 8));
let done: bool = true;
let errOff: i32 = 0;

// Current member.
let vType: JsonType = JsonType.NONE;
let vStart: i32 = 0;       // raw value bytes (offsets into the input)
let strLen: i32 = 0;

// Scratch results of the helpers (no multi-value in MVP).
let sEnd: i32 = 0;         // offset after the scanned token
let sOutLen: i32 = 0;      // decoded bytes stored
let sTrunc: bool = false;  // decoded string did not fit
let sType: JsonType = JsonType.NONE; // type of the value scanValue dispatched on last

// ------------------------------------------------------------------ bytes

// @ts-ignore: decorator
@inline function at(i: i32): i32 {
  return <i32>load<u8>(inPtr + <usize>i);
}

/** '0'..'9' (one unsigned compare). */
// @ts-ignore: decorator
@inline function isDigit(c: i32): bool {
  return <u32>(c - 48) < 10;
}

function isWs(c: i32): bool {
  return c == 0x20 || c == 0x09 || c == 0x0A || c == 0x0D;
}

function skipWs(i: i32): i32 {
  while (i < inLen && isWs(at(i))) i++;
  return i;
}

function hexVal(c: i32): i32 {
  if (isDigit(c)) return c - 48;
  const l = (c | 0x20) - 97; // 'a'..'f' and 'A'..'F' (only they map to 0..5)
  return <u32>l < 6 ? l + 10 : -1;
}

/** Reads 4 hex digits at i; the code unit, or -1 (bad digit or not enough input: check bounds first). */
function hex4(i: i32): i32 {
  let v = 0;
  for (let k = 0; k < 4; k++) {
    const h = hexVal(at(i + k));
    if (h < 0) return -1;
    v = (v << 4) | h;
  }
  return v;
}

/** Reserves n bytes of out (cap bytes) at sOutLen: their address, or 0 when out is 0 (validate
 *  only) or they do not fit (then sTrunc is set and stays set: a truncated value keeps only
 *  whole characters from its start). */
function reserve(out: usize, cap: i32, n: i32): usize {
  if (out == 0) return 0;
  if (sTrunc || n > cap - sOutLen) { sTrunc = true; return 0; }
  const p = out + <usize>sOutLen;
  sOutLen += n;
  return p;
}

/** Appends code point cp (<= 0x10FFFF) as UTF-8 to out (see reserve). */
function emitCp(out: usize, cap: i32, cp: i32): void {
  let n = 1;
  if (cp >= 0x80) n = 2;
  if (cp >= 0x800) n = 3;
  if (cp >= 0x10000) n = 4;
  let p = reserve(out, cap, n);
  if (p == 0) return;
  // Continuation bytes from the last one back, then the lead byte (0xxxxxxx, 110xxxxx, 1110xxxx, 11110xxx).
  let c = cp;
  for (let k = n - 1; k > 0; k--) {
    store<u8>(p + <usize>k, <u8>(0x80 | (c & 0x3F)));
    c >>= 6;
  }
  store<u8>(p, <u8>(((0xF0E0C000 >>> (<u32>(n - 1) << 3)) & 0xFF) | <u32>c));
}

/** JSON's one-character escapes (RFC 8259 section 7): the letter after the backslash, then the byte it stands for. */
const ESCAPES: Ascii = ascii("\"\"\\\\//b\bf\fn\nr\rt\t");

/**
 * Scans the string whose opening quote is at i. Decodes into out (cap bytes; out 0 = validate only).
 * Returns 0 with sEnd after the closing quote, or a negative JsonError (errOff set).
 */
function scanString(i: i32, out: usize, cap: i32): i32 {
  sOutLen = 0;
  sTrunc = false;
  let p = i + 1;
  for (;;) {
    if (p >= inLen) { errOff = p; return JsonError.TRUNCATED; }
    const c = at(p);
    if (c == 0x22) { sEnd = p + 1; return 0; }
    if (c < 0x20) { errOff = p; return JsonError.CONTROL_CHAR; }
    if (c == 0x5C) {
      if (p + 1 >= inLen) { errOff = p; return JsonError.TRUNCATED; }
      const e = at(p + 1);
      let k = 0; // the one-character escapes: pairs of (letter, byte)
      while (k < asciiLen(ESCAPES) && asciiAt(ESCAPES, k) != e) k += 2;
      if (k < asciiLen(ESCAPES)) { emitCp(out, cap, asciiAt(ESCAPES, k + 1)); p += 2; continue; }
      if (e != 0x75) { errOff = p; return JsonError.BAD_ESCAPE; }
      if (p + 6 > inLen) { errOff = p; return JsonError.TRUNCATED; }
      const u = hex4(p + 2);
      if (u < 0) { errOff = p; return JsonError.BAD_ESCAPE; }
      if (<u32>(u - 0xDC00) <= 0x3FF) { errOff = p; return JsonError.BAD_SURROGATE; }
      if (<u32>(u - 0xD800) <= 0x3FF) {
        // Needs a following \uDC00..\uDFFF.
        if (p + 12 > inLen) {
          // Not enough input for a pair: truncated if what is there could still be "\u", else lone.
          if (p + 6 < inLen && at(p + 6) != 0x5C) { errOff = p; return JsonError.BAD_SURROGATE; }
          if (p + 7 < inLen && at(p + 7) != 0x75) { errOff = p; return JsonError.BAD_SURROGATE; }
          errOff = p; return JsonError.TRUNCATED;
        }
        if (at(p + 6) != 0x5C || at(p + 7) != 0x75) { errOff = p; return JsonError.BAD_SURROGATE; }
        const lo = hex4(p + 8);
        if (lo < 0) { errOff = p + 6; return JsonError.BAD_ESCAPE; }
        if (<u32>(lo - 0xDC00) > 0x3FF) { errOff = p; return JsonError.BAD_SURROGATE; }
        emitCp(out, cap, 0x10000 + ((u - 0xD800) << 10) + (lo - 0xDC00));
        p += 12;
        continue;
      }
      emitCp(out, cap, u);
      p += 6;
      continue;
    }
    if (c < 0x80) { // ASCII (most bytes): no encoding step
      if (out != 0) { // (validation: no call per byte)
        const q = reserve(out, cap, 1);
        if (q != 0) store<u8>(q, <u8>c);
      }
      p++;
      continue;
    }
    // Multi-byte UTF-8: validated (RFC 3629 table 3-7), copied as whole sequences only.
    const n = utf8SeqLen(inPtr + <usize>p, inLen - p);
    if (n <= 0) { errOff = p; return n < 0 ? JsonError.TRUNCATED : JsonError.BAD_UTF8; }
    const q = reserve(out, cap, n);
    if (q != 0) for (let k = 0; k < n; k++) store<u8>(q + <usize>k, <u8>at(p + k));
    p += n;
  }
  return JsonError.SYNTAX; // not reached
}

// ---------------------------------------------------------------- numbers

/** 10^e for e >= 0: exact up to 10^22 (each product is an exactly representable integer), then
 *  repeated multiplication (inexact), saturating to Infinity. */
function pow10(e: i32): f64 {
  let r: f64 = 1;
  let k = e;
  while (k > 22) { r *= 1e22; k -= 22; if (r == Infinity) return r; }
  let t: f64 = 1;
  for (let i = 0; i < k; i++) t *= 10;
  return r * t;
}

/** m * 10^e for m >= 0 integer-valued (exact when m < 2^53 and |e| <= 22). */
function scale10(m: f64, e: i32): f64 {
  if (m == 0) return 0;
  if (e >= 0) { // (e = 0: m * 1)
    if (e > 400) return Infinity;
    return m * pow10(e);
  }
  const ne = -e;
  if (ne > 400) return 0;
  // ne <= 22: m / 10^ne (one correctly rounded division). Beyond, in steps that keep intermediate
  // values normal: m / 10^22 / ... / 10^k, avoiding premature underflow.
  let r = m;
  let k = ne;
  while (k > 22) { r /= 1e22; k -= 22; }
  return r / pow10(k);
}

/**
 * Scans a JSON number starting at i (first byte '-' or a digit), stopping at the first byte that
 * cannot continue it. With limit = the end of the input. 0 with sEnd/sNum set, or BAD_NUMBER/TRUNCATED.
 */
function scanNumber(i: i32, limit: i32): i32 {
  let p = i;
  let neg = false;
  if (p < limit && at(p) == 0x2D) { neg = true; p++; }
  let mant: u64 = 0;      // first 19 significant digits
  let sig = 0;            // significant digits stored in mant
  let dropped = 0;        // integer-part digits that did not fit in mant (raise the exponent)
  let exp10: i32 = 0;     // fraction digits: leading zeros and those stored in mant (lower it)
  let nonzeroDropped = false;
  let frac = false;       // in the fraction part
  let c: i32;
  // One digit loop for the integer part, then (after a '.') for the fraction.
  for (;;) {
    if (p >= limit) { errOff = p; return JsonError.TRUNCATED; }
    c = at(p);
    if (!isDigit(c)) { errOff = p; return JsonError.BAD_NUMBER; }
    if (!frac && c == 48 && p + 1 < limit && isDigit(at(p + 1))) { errOff = p + 1; return JsonError.BAD_NUMBER; } // leading zero
    while (p < limit) {
      c = at(p);
      if (!isDigit(c)) break;
      if (sig == 0 && c == 48) {
        if (frac && exp10 > -100000) exp10--; // leading zeros of the fraction (the integer part: a lone 0)
      } else if (sig < 19) {
        mant = mant * 10 + <u64>(c - 48); sig++;
        if (frac) exp10--;
      } else {
        if (!frac && dropped < 100000) dropped++;
        if (c != 48) nonzeroDropped = true;
      }
      p++;
    }
    if (frac || p >= limit || at(p) != 0x2E) break;
    frac = true;
    p++;
  }
  exp10 += dropped;       // (dropped > 0 only when sig > 0: the leading-zero clamp above saw exp10 = 0 + its own)
  if (p < limit && (at(p) == 0x65 || at(p) == 0x45)) {
    p++;
    let eneg = false;
    if (p < limit && (at(p) == 0x2B || at(p) == 0x2D)) { eneg = at(p) == 0x2D; p++; }
    if (p >= limit) { errOff = p; return JsonError.TRUNCATED; }
    c = at(p);
    if (!isDigit(c)) { errOff = p; return JsonError.BAD_NUMBER; }
    let ev: i32 = 0;
    while (p < limit) {
      c = at(p);
      if (!isDigit(c)) break;
      if (ev < 100000) ev = ev * 10 + (c - 48);
      p++;
    }
    exp10 += eneg ? -ev : ev;
  }
  let v: f64;
  if (mant == 0) v = 0;
  else if (sig <= 15 && !nonzeroDropped && exp10 > 22 && exp10 <= 22 + 15 - sig) {
    // Clinger's extended fast path: m * 10^(e-22) is still an exact integer < 10^15.
    v = (<f64>mant * pow10(exp10 - 22)) * 1e22;
  } else v = scale10(<f64>mant, exp10); // exact for <= 15 digits and |e| <= 22

  cold.sNum = neg ? -v : v;
  sEnd = p;
  return 0;
}

// ---------------------------------------------------------------- values

function matchLit(i: i32, s: Ascii): i32 {
  const n = asciiLen(s);
  for (let k = 0; k < n; k++) {
    if (i + k >= inLen) { errOff = i + k; return JsonError.TRUNCATED; }
    if (at(i + k) != asciiAt(s, k)) { errOff = i + k; return JsonError.SYNTAX; }
  }
  sEnd = i + n;
  return 0;
}

/**
 * Validates one value at i (no leading whitespace), nested containers included, with the
 * nesting stack kept as a bit mask (1 = array). depth = depth of the container holding it.
 * A STRING value is decoded into strOut (JSON_STR_CAP bytes; 0 = validate only).
 * 0 with sEnd after the value, or a negative JsonError.
 */
/**
 * One member's key at p (a string, decoded into out, cap bytes; out 0 = validate only), the ':'
 * and the whitespace around it: the offset of the member's value (< inLen), or a negative JsonError.
 * The one member walker, for validation (scanValue) and for iteration (jsonNext).
 */
function scanKey(p: i32, out: usize, cap: i32): i32 {
  if (at(p) != 0x22) { errOff = p; return JsonError.SYNTAX; } // callers checked p < inLen
  const rs = scanString(p, out, cap);
  if (rs < 0) return rs;
  p = skipWs(sEnd);
  if (p >= inLen) { errOff = p; return JsonError.TRUNCATED; }
  if (at(p) != 0x3A) { errOff = p; return JsonError.SYNTAX; }
  p = skipWs(p + 1);
  if (p >= inLen) { errOff = p; return JsonError.TRUNCATED; }
  return p;
}

function scanValue(i: i32, depth: i32, strOut: usize): i32 {
  if (i >= inLen) { errOff = i; return JsonError.TRUNCATED; }
  const c = at(i);
  // sType: the type of a scalar value (a container leaves that of its last scalar: jsonNext
  // tells containers apart by their first byte).
  if (c == 0x22) { sType = JsonType.STRING; return scanString(i, strOut, JSON_STR_CAP); }
  if (c == 0x2D || isDigit(c)) { sType = JsonType.NUMBER; return scanNumber(i, inLen); }
  if (c == 0x74) { sType = JsonType.TRUE; return matchLit(i, ascii("true")); }
  if (c == 0x66) { sType = JsonType.FALSE; return matchLit(i, ascii("false")); }
  if (c == 0x6E) { sType = JsonType.NULL; return matchLit(i, ascii("null")); }
  if (c != 0x7B && c != 0x5B) { errOff = i; return JsonError.SYNTAX; }
  // Container: iterative walk; nesting kept as a bit mask (bit k set = level k is an array).
  let d = depth + 1;
  if (d > JSON_MAX_DEPTH) { errOff = i; return JsonError.TOO_DEEP; }
  let stack: u32 = c == 0x5B ? 1 : 0;
  let level = 0;                 // relative level of the innermost open container
  let p = i + 1;
  let state = 0;                 // 0 = just opened, 1 = after an element, 2 = after ','
  for (;;) {
    p = skipWs(p);
    if (p >= inLen) { errOff = p; return JsonError.TRUNCATED; }
    const isArr = ((stack >> <u32>level) & 1) != 0;
    let ch = at(p);
    const close = isArr ? 0x5D : 0x7D;
    if (state != 2 && ch == close) {
      p++;
      if (level == 0) { sEnd = p; return 0; }
      level--;
      d--;
      state = 1;
      continue;
    }
    if (state == 1) {
      if (ch != 0x2C) { errOff = p; return JsonError.SYNTAX; }
      p++;
      state = 2;
      continue;
    }
    // An element (array) or a member (object) starts at p.
    if (!isArr) {
      p = scanKey(p, 0, 0);
      if (p < 0) return p;
      ch = at(p);
    }
    if (ch == 0x7B || ch == 0x5B) {
      d++;
      if (d > JSON_MAX_DEPTH) { errOff = p; return JsonError.TOO_DEEP; }
      level++;
      if (ch == 0x5B) stack |= (<u32>1 << <u32>level);
      else stack &= ~(<u32>1 << <u32>level);
      state = 0;
      p++;
      continue;
    }
    const rv = scanValue(p, 0, 0); // a scalar here: no further recursion
    if (rv < 0) return rv;
    p = sEnd;
    state = 1;
  }
  return JsonError.SYNTAX; // not reached
}

// ---------------------------------------------------------------- public

/** No current member: every getter reads as empty. */
function clearMember(): void {
  cold.keyLen = 0; cold.keyTrunc = false; vType = JsonType.NONE; strLen = 0; cold.strTrunc = false;
  vStart = 0; cold.vEnd = 0;
}

/** Validates that ptr,len is exactly one JSON object (whitespace around it allowed)
 *  and positions before its first member. 0, or a negative JsonError. Never reads outside ptr,len. */
export function jsonOpen(ptr: usize, len: i32): i32 {
  cold.opened = false;
  done = true;
  errOff = 0;
  clearMember();
  if (len > JSON_MAX_LEN) { errOff = 0; return JsonError.TOO_LONG; }
  if (len <= 0) { errOff = 0; return JsonError.EMPTY; }
  // A caller bug (input not inside memory) is refused rather than trapped on.
  if (!inMemory(ptr, len)) { errOff = 0; return JsonError.TOO_LONG; }
  inPtr = ptr;
  inLen = len;
  let p = skipWs(0);
  if (p >= inLen) { errOff = p; return JsonError.EMPTY; }
  if (at(p) != 0x7B) { errOff = p; return JsonError.NOT_OBJECT; }
  const r = scanValue(p, 0, 0);
  if (r < 0) { inLen = 0; return r; }
  const end = skipWs(sEnd);
  if (end < inLen) { errOff = end; inLen = 0; return JsonError.TRAILING; }
  cold.cur = p + 1;
  cold.opened = true;
  done = false;
  return 0;
}

/** Next top-level member: 1 = a member is current, 0 = no more. */
export function jsonNext(): i32 {
  clearMember();
  if (!cold.opened || done) return 0;
  let p = skipWs(cold.cur);
  if (p < inLen && at(p) == 0x2C) p = skipWs(p + 1);
  // jsonOpen validated the whole object: anything but a member's key here is its closing '}'.
  if (p >= inLen || at(p) != 0x22) { done = true; return 0; }
  p = scanKey(p, keyBuf, JSON_KEY_CAP);
  if (p < 0) { done = true; return 0; }
  cold.keyLen = sOutLen;
  cold.keyTrunc = sTrunc;
  vStart = p;
  if (scanValue(p, 1, strBuf) < 0) { done = true; return 0; }
  // A container's type: scanValue's sType is then that of its last scalar.
  const c = at(p);
  vType = c == 0x7B ? JsonType.OBJECT : c == 0x5B ? JsonType.ARRAY : sType;
  if (vType == JsonType.STRING) {
    strLen = sOutLen;
    cold.strTrunc = sTrunc;
  }
  cold.vEnd = sEnd;
  cold.cur = sEnd;
  return 1;
}

/** Decoded key of the current member equals the ASCII literal. */
export function jsonKeyIs(name: Ascii): bool {
  if (cold.keyTrunc) return false;
  return bytesEqAscii(keyBuf, cold.keyLen, name);
}
/** Decoded UTF-8 of the current key (truncated to JSON_KEY_CAP; see jsonKeyTruncated). */
export function jsonKeyPtr(): usize { return keyBuf; }
export function jsonKeyLen(): i32 { return cold.keyLen; }
export function jsonKeyTruncated(): bool { return cold.keyTrunc; }
export function jsonType(): JsonType { return vType; }
/** Decoded UTF-8 of a STRING value (escapes resolved); valid until the next jsonNext/jsonOpen. */
export function jsonStrPtr(): usize { return strBuf; }
export function jsonStrLen(): i32 { return strLen; }
/** The STRING value was longer than the decode buffer (jsonStrLen is then the truncated length). */
export function jsonStrTruncated(): bool { return cold.strTrunc; }
/** NUMBER value; NaN for other types. */
export function jsonNum(): f64 { return vType == JsonType.NUMBER ? cold.sNum : NaN; } // sNum: set by this member's scanNumber
/** A STRING whose whole content is a JSON number (e.g. "67") as f64; NaN otherwise. */
export function jsonStrAsNum(): f64 {
  if (vType != JsonType.STRING || cold.strTrunc || strLen <= 0) return NaN;
  // Parse the decoded bytes with the number scanner, temporarily pointed at the string buffer.
  const sp = inPtr;
  const sl = inLen;
  inPtr = strBuf;
  inLen = strLen;
  let r: f64 = NaN;
  const c = at(0);
  if (c == 0x2D || isDigit(c)) {
    if (scanNumber(0, strLen) == 0 && sEnd == strLen) r = cold.sNum;
  }
  inPtr = sp;
  inLen = sl;
  return r;
}
/** Raw bytes of the current value as they appear in the input (offsets valid until the next jsonOpen). */
export function jsonRawPtr(): usize { return inPtr + <usize>vStart; }
export function jsonRawLen(): i32 { return cold.vEnd - vStart; }
/** Byte offset at which the last jsonOpen failure was detected. */
export function jsonErrorOffset(): i32 { return errOff; }
