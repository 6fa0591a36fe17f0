// Default MQTT client identifier: "iotbind-" + 9 characters of [0-9a-z]
// (17 bytes, inside the 23 every MQTT 3.1.1 server accepts). The 9 characters
// are the 64-bit FNV-1a hash of the host's hardware id (hal.hw_id), or of the
// uid when the host has none (hw_id <= 0), reduced modulo 36^9 and written in
// base 36 with leading zeros. Deterministic: same id in, same client id out.
import { cfg, CLIENT_ID_CAP, clientIdBuf } from "../config";
import { halHwId } from "../hal";
import { putAscii } from "../util/bytes";
import { ascii, Ascii, asciiAt, DIGITS36 } from "../util/ascii";
import { HW_CAP } from "../tunables";

const hwBuf: usize = memory.data(HW_CAP);
const DIGITS: Ascii = DIGITS36;

/** 64-bit FNV-1a of ptr,len. */
export function fnv1a64(ptr: usize, len: i32): u64 {
  let h: u64 = 0xCBF29CE484222325;
  for (let i = 0; i < len; i++) {
    h ^= <u64>load<u8>(ptr + <usize>i);
    h *= 0x100000001B3;
  }
  return h;
}

/** Writes "iotbind-" + 9 base-36 characters of fnv1a64(ptr,len) to out (cap >= 17); length or -1. */
export function formatClientId(out: usize, cap: i32, ptr: usize, len: i32): i32 {
  const o = putAscii(out, cap, 0, ascii("iotbind-"));
  if (o < 0 || cap - o < 9) return -1;
  let v = fnv1a64(ptr, len) % 101559956668416; // 36^9
  for (let i = 8; i >= 0; i--) {
    store<u8>(out + <usize>(o + i), <u8>asciiAt(DIGITS, <i32>(v % 36)));
    v /= 36;
  }
  return o + 9;
}

/** Fills config.clientIdBuf/Len when no client_id was configured: "iotbind-" + 9 of [0-9a-z] from hw_id (or the uid). */
export function deriveClientId(): void {
  if (cfg.clientIdLen != 0) return;
  let n = halHwId(hwBuf, HW_CAP);
  let src = hwBuf;
  if (n <= 0) { src = cfg.uidBuf; n = cfg.uidLen; }
  else if (n > HW_CAP) n = HW_CAP; // a host bug: use what fits
  const r = formatClientId(clientIdBuf, CLIENT_ID_CAP, src, n);
  cfg.clientIdLen = r < 0 ? 0 : r;
}
