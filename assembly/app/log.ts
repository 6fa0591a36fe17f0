// Logging through hal.log. A line is assembled in one static buffer:
// logBegin(), then logStr/logInt/logBytes, then logEnd(level). Lines longer
// than LINE_CAP are truncated, never overflowed.
import { halLog } from "../hal";
import { putAscii, putInt, putBytes, putWord } from "../util/bytes";
import { Ascii } from "../util/ascii";
import { LINE_CAP } from "../tunables";

const line: usize = memory.data(LINE_CAP);
let lineLen: i32 = 0;

export function logBegin(): void {
  lineLen = 0;
}

export function logStr(s: Ascii): void {
  const o = putAscii(line, LINE_CAP, lineLen, s);
  if (o >= 0) lineLen = o;
}

export function logInt(v: i32): void {
  const o = putInt(line, LINE_CAP, lineLen, v);
  if (o >= 0) lineLen = o;
}

/** Appends word `index` of the space-separated ASCII `list` (nothing when there is no such word). */
export function logWord(list: Ascii, index: i32): void {
  const o = putWord(line, LINE_CAP, lineLen, list, index);
  if (o >= 0) lineLen = o;
}

/** Appends raw bytes (UTF-8 expected), truncated to what fits. */
export function logBytes(ptr: usize, len: i32): void {
  let n = len;
  if (n > LINE_CAP - lineLen) n = LINE_CAP - lineLen;
  if (n <= 0) return;
  const o = putBytes(line, LINE_CAP, lineLen, ptr, n);
  if (o >= 0) lineLen = o;
}

export function logEnd(level: i32): void {
  halLog(level, line, lineLen);
  lineLen = 0;
}

/** One-shot line of an ASCII literal. */
export function logLine(level: i32, s: Ascii): void {
  logBegin();
  logStr(s);
  logEnd(level);
}
