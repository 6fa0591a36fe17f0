// Wrap-safe arithmetic on the u32 millisecond clock. Two times are only ever
// compared through their difference, valid while they are < 2^31 ms apart.

/** Milliseconds from `since` to `now` (assumes `now` is not before `since`). */
// @ts-ignore: decorator
@inline export function elapsed(now: u32, since: u32): u32 {
  return now - since;
}

/** True when `now` is at or after `deadline`. */
// @ts-ignore: decorator
@inline export function reached(now: u32, deadline: u32): bool {
  return <i32>(now - deadline) >= 0;
}

/** Milliseconds from `now` until `deadline`, 0 when already reached; inlined (for a hot path: a call costs more than this under an interpreter). */
// @ts-ignore: decorator
@inline export function untilInline(now: u32, deadline: u32): u32 {
  const d = <i32>(deadline - now);
  return d > 0 ? <u32>d : 0;
}

/** Milliseconds from `now` until `deadline`, 0 when already reached. */
export function until(now: u32, deadline: u32): u32 {
  return untilInline(now, deadline);
}

export function minU(a: u32, b: u32): u32 {
  return a < b ? a : b;
}

/** minU(wait, until(now, deadline)) in one call (a call is the dearest thing under an interpreter). */
export function sooner(wait: u32, now: u32, deadline: u32): u32 {
  const u = untilInline(now, deadline);
  return u < wait ? u : wait;
}
