// Test-only entry: thin raw-ABI wrappers over assembly/json (scan + encode).
// Built by test/json/*.test.ts into build/test/json-entry.wasm with the MVP flags.
import { halAbort } from "../../assembly/app/panic";
import { ascii } from "../../assembly/util/ascii";
export { halAbort as _unused_abort };
import {
  jsonOpen, jsonNext, jsonKeyPtr, jsonKeyLen, jsonKeyTruncated, jsonType, jsonStrPtr, jsonStrLen,
  jsonStrTruncated, jsonNum, jsonStrAsNum, jsonErrorOffset,
  jsonKeyIs, jsonRawPtr, jsonRawLen,
} from "../../assembly/json/scan";

export const INPUT_CAP: i32 = 8192;
const input: usize = memory.data(8192);

export function input_ptr(): usize { return input; }
export function input_cap(): i32 { return INPUT_CAP; }
export function open(len: i32): i32 { return jsonOpen(input, len); }
/** Open at an arbitrary pointer (for out-of-bounds-read tests: the input ends at the end of memory). */
export function open_at(ptr: usize, len: i32): i32 { return jsonOpen(ptr, len); }
export function next(): i32 { return jsonNext(); }
export function key_ptr(): usize { return jsonKeyPtr(); }
export function key_len(): i32 { return jsonKeyLen(); }
export function key_truncated(): i32 { return jsonKeyTruncated() ? 1 : 0; }
export function key_is_uid(): i32 { return jsonKeyIs(ascii("uid")) ? 1 : 0; }
export function type(): i32 { return <i32>jsonType(); }
export function str_ptr(): usize { return jsonStrPtr(); }
export function str_len(): i32 { return jsonStrLen(); }
export function str_truncated(): i32 { return jsonStrTruncated() ? 1 : 0; }
export function num(): f64 { return jsonNum(); }
export function str_as_num(): f64 { return jsonStrAsNum(); }
export function raw_ptr(): usize { return jsonRawPtr(); }
export function raw_len(): i32 { return jsonRawLen(); }
export function error_offset(): i32 { return jsonErrorOffset(); }

// ----------------------------------------------------------------- encoder
import { jwBegin, jwMemberStr, jwMemberAscii, jwMemberFixed, jwMemberInt, jwMemberBool, jwEnd } from "../../assembly/json/encode";

const out: usize = memory.data(8192);
export function out_ptr(): usize { return out; }
/** {"s":<bytes at input, len>} into out (cap bytes); length or < 0. */
export function enc_str(len: i32, cap: i32): i32 {
  jwBegin(out, cap);
  jwMemberStr(ascii("s"), input, len);
  return jwEnd();
}
/** {"v":scaled/10^dec} as string or number. */
export function enc_fixed(scaled: i32, dec: i32, asString: i32, cap: i32): i32 {
  jwBegin(out, cap);
  jwMemberFixed(ascii("v"), scaled, dec, asString != 0);
  return jwEnd();
}
/** {"uid":<input[0..len)>,"cmd":"on","n":-42,"b":true,"t":"a\"b"} into cap bytes. */
export function enc_multi(len: i32, cap: i32): i32 {
  jwBegin(out, cap);
  jwMemberStr(ascii("uid"), input, len);
  jwMemberAscii(ascii("cmd"), ascii("on"));
  jwMemberInt(ascii("n"), -42);
  jwMemberBool(ascii("b"), true);
  jwMemberAscii(ascii("t"), ascii("a\"b"));
  return jwEnd();
}
