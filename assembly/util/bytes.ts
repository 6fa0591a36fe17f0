import { Ascii, asciiLen, asciiAt, asciiPtr } from "./ascii";
// Byte helpers over linear memory. No allocation; every write is bounded by
// the capacity the caller passes. ASCII literals are read with charCodeAt
// (string literals are static data, reading them allocates nothing).

/**
 * Bytes of linear memory: exactly one page (asconfig.json: initial = maximum
 * = 1, no memory.grow). A constant, not `memory.size`: WAMR shrinks an
 * instance's memory to `__heap_base` only for modules without memory.size.
 */
const MEMORY_BYTES: u64 = 65536;

/** True when [ptr, ptr+len) lies inside linear memory (caller buffers are never trusted to). */
export function inMemory(ptr: usize, len: i32): bool {
  return len >= 0 && <u64>ptr + <u64>len <= MEMORY_BYTES;
}

/**
 * Length (2..4) of the well-formed multi-byte UTF-8 sequence at `p`, whose
 * lead byte is >= 0x80 (RFC 3629 table 3-7: no overlong forms, no surrogates
 * U+D800..U+DFFF, nothing above U+10FFFF); 0 when it is ill-formed; -1 when
 * its lead byte asks for more than the `avail` bytes there are. The one
 * validator of JSON strings and MQTT topic names.
 */
export function utf8SeqLen(p: usize, avail: i32): i32 {
  const c = <i32>load<u8>(p);
  // Lead bytes: C2..DF start two bytes, E0..EF three, F0..F4 four.
  if (<u32>(c - 0xC2) > 0xF4 - 0xC2) return 0;
  const n = c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;
  if (n > avail) return -1;
  // Every continuation byte is 80..BF; the first one narrower after E0
  // (overlong), ED (surrogates), F0 (overlong) and F4 (above U+10FFFF).
  let lo = c == 0xE0 ? 0xA0 : c == 0xF0 ? 0x90 : 0x80;
  let hi = c == 0xED ? 0x9F : c == 0xF4 ? 0x8F : 0xBF;
  for (let k = 1; k < n; k++) {
    const ck = <i32>load<u8>(p + <usize>k);
    if (ck < lo || ck > hi) return 0;
    lo = 0x80;
    hi = 0xBF;
  }
  return n;
}

/**
 * Copies `n` bytes from `src` to `dst` (regions may overlap). Front to back
 * eight bytes at a time when `dst` is below `src` (every copy the firmware
 * makes: MVP has no memory.copy; unaligned loads are allowed), else back to
 * front byte by byte, so an overlapping source byte is always read before
 * it is overwritten.
 */
export function copyBytes(dst: usize, src: usize, n: i32): void {
  if (n <= 0 || dst == src) return;
  if (dst < src) {
    let i = 0;
    for (; i + 8 <= n; i += 8) store<u64>(dst + <usize>i, load<u64>(src + <usize>i));
    for (; i < n; i++) store<u8>(dst + <usize>i, load<u8>(src + <usize>i));
  } else {
    for (let i = n - 1; i >= 0; i--) store<u8>(dst + <usize>i, load<u8>(src + <usize>i));
  }
}

/** True when the `len` bytes at `ptr` equal the ASCII literal `s`. */
// @ts-ignore: decorator
@inline export function bytesEqAscii(ptr: usize, len: i32, s: Ascii): bool {
  return bytesEq(ptr, len, asciiPtr(s), asciiLen(s));
}

export function bytesEq(a: usize, aLen: i32, b: usize, bLen: i32): bool {
  if (aLen != bLen) return false;
  for (let i = 0; i < aLen; i++) {
    if (load<u8>(a + <usize>i) != load<u8>(b + <usize>i)) return false;
  }
  return true;
}

/**
 * Writes the ASCII literal `s` at `buf + off` if it fits in `cap`.
 * Returns the new offset, or -1 (nothing written) when it does not fit.
 */
export function putAscii(buf: usize, cap: i32, off: i32, s: Ascii): i32 {
  return putBytes(buf, cap, off, asciiPtr(s), asciiLen(s));
}

/** Writes `n` bytes from `src` at `buf + off` if they fit; new offset or -1. */
export function putBytes(buf: usize, cap: i32, off: i32, src: usize, n: i32): i32 {
  if (off < 0 || n < 0 || n > cap - off) return -1;
  copyBytes(buf + <usize>off, src, n);
  return off + n;
}

/** Writes one byte if it fits; new offset or -1. */
export function putByte(buf: usize, cap: i32, off: i32, b: i32): i32 {
  if (off < 0 || off >= cap) return -1;
  store<u8>(buf + <usize>off, <u8>b);
  return off + 1;
}

/** Writes the decimal form of `v` (any i32); new offset or -1. */
export function putInt(buf: usize, cap: i32, off: i32, v: i32): i32 {
  return putFixed(buf, cap, off, v, 0);
}

/**
 * Writes `scaled / 10^decimals` with exactly `decimals` fraction digits
 * (decimals 0..9; 0 = an integer, no '.'), e.g. (675, 1) -> "67.5",
 * (-5, 1) -> "-0.5", (-42, 0) -> "-42"; any i32 `scaled`. New offset or -1
 * (nothing written when it does not fit).
 */
export function putFixed(buf: usize, cap: i32, off: i32, scaled: i32, decimals: i32): i32 {
  if (off < 0) return -1;
  const dec = decimals < 0 ? 0 : decimals > 9 ? 9 : decimals;
  let u: u32 = scaled < 0 ? <u32>(0 - scaled) : <u32>scaled; // i32.MIN_VALUE wraps to 2^31, correct as u32
  let digits = 1;
  for (let t = u; t >= 10; t /= 10) digits++;
  if (digits <= dec) digits = dec + 1; // "0.05": at least one digit before the point
  const total = digits + (dec > 0 ? 1 : 0) + (scaled < 0 ? 1 : 0);
  if (total > cap - off) return -1;
  if (scaled < 0) store<u8>(buf + <usize>off, 45); // '-'
  // Digits from the last one back, the point after `dec` of them.
  let p = buf + <usize>(off + total);
  for (let k = 0; ; k++) {
    if (k == dec && dec > 0) store<u8>(--p, 46); // '.'
    store<u8>(--p, <u8>(48 + u % 10));
    u /= 10;
    if (u == 0 && k >= dec) break;
  }
  return off + total;
}

/** Writes word `index` of the space-separated `list` at `buf + off`; new offset or -1. */
export function putWord(buf: usize, cap: i32, off: i32, list: Ascii, index: i32): i32 {
  const n = asciiLen(list);
  let w = 0;
  let start = 0;
  for (let i = 0; i <= n; i++) {
    if (i == n || asciiAt(list, i) == 32) {
      if (w == index) return putBytes(buf, cap, off, asciiPtr(list) + <usize>start, i - start);
      w++;
      start = i + 1;
    }
  }
  return -1;
}
