// Static UTF-8 literals. `ascii("text")` is replaced at compile time by
// transform/ascii.mjs with a pointer to [length: u8][UTF-8 bytes] in
// static data: no string header, one byte per ASCII character, nothing done
// at run time. An `Ascii` is such a pointer; it is never written to.

export type Ascii = usize;

/** Rewritten by transform/ascii.mjs; has no body, so a build without the transform fails to link. */
export declare function ascii(s: string): Ascii;

/** Length in bytes. */
// @ts-ignore: decorator
@inline export function asciiLen(a: Ascii): i32 {
  return <i32>load<u8>(a);
}

/** Pointer to the first byte. */
// @ts-ignore: decorator
@inline export function asciiPtr(a: Ascii): usize {
  return a + 1;
}

/** Byte `i` (0 <= i < asciiLen). */
// @ts-ignore: decorator
@inline export function asciiAt(a: Ascii, i: i32): i32 {
  return <i32>load<u8>(a + 1 + <usize>i);
}

/** The digits of bases up to 36, lowercase: base 16 (JSON \u escapes) and 36 (client ids) read their first 16 / 36. */
export const DIGITS36: Ascii = ascii("0123456789abcdefghijklmnopqrstuvwxyz");
