// `abort` is routed here (asconfig.json `use: abort=...`). It reports through
// hal.panic and traps; it is reached only by a firmware bug, never by input.
import { halPanic } from "../hal";
import { MSG_CAP } from "../tunables";

const msg: usize = memory.data(MSG_CAP);

/** Copies the low byte of each UTF-16 unit of an AssemblyScript string (ASCII) into msg. */
function appendAscii(s: usize, off: i32): i32 {
  if (s == 0) return off;
  // AssemblyScript strings: byte length in the header word at s - 4.
  const bytes = <i32>load<u32>(s - 4);
  let o = off;
  for (let i = 0; i + 1 < bytes && o < MSG_CAP; i += 2) {
    const c = load<u16>(s + <usize>i);
    store<u8>(msg + <usize>o, c < 128 ? <u8>c : 63);
    o++;
  }
  return o;
}

export function halAbort(message: string | null, fileName: string | null, line: u32, column: u32): void {
  let n = appendAscii(changetype<usize>(message), 0);
  if (n < MSG_CAP) { store<u8>(msg + <usize>n, 64); n++; } // '@'
  n = appendAscii(changetype<usize>(fileName), n);
  halPanic(msg, n, <i32>line, <i32>column);
  unreachable();
}
