// The firmware clock: every state machine (pump rules, guard, sensor
// schedule, publish policy, MQTT timers) runs on this clock, never on the
// host's `now` directly (docs/ABI.md, "Clock").
//
// Contract with the host: `now` is a monotonic u32 millisecond count that
// wraps after 2^32 ms. A host that breaks it cannot weaken a pump rule:
// - a step back (the host's `now` is at most BACK_WINDOW_MS behind the
//   previous one, modulo 2^32) counts as zero elapsed: rules keep their
//   remaining time;
// - a step forward of any size advances this clock by at most MAX_STEP_MS
//   (longer than any configured duration, which is at most 86,400 s), so
//   every due deadline is due within one tick, timers restart from the new
//   time, and the signed deadline comparisons of util/time.ts (valid while
//   times are < 2^31 ms apart) stay correct.
// The u32 ambiguity: a step back of d ms and a step forward of 2^32 - d ms
// look the same. Steps back up to BACK_WINDOW_MS (~6.2 days) are taken as
// steps back; forward steps of 2^32 - BACK_WINDOW_MS (~43.5 days) or more
// are therefore taken as steps back (zero elapsed) too.
import { count, C_CLOCK_BACK, C_CLOCK_JUMP } from "./counters";

/** Host steps back up to this many ms count as steps back (2^29 ms, ~6.2 days). */
export const BACK_WINDOW_MS: u32 = 0x20000000;
/** Largest advance of the firmware clock per host sample (2^30 ms, ~12.4 days). */
export const MAX_STEP_MS: u32 = 0x40000000;

let hostLast: u32 = 0;
let fwNow: u32 = 0;

/** Starts the firmware clock at the host's `hostNow` (init). */
export function clockStart(hostNow: u32): u32 {
  hostLast = hostNow;
  fwNow = hostNow;
  return fwNow;
}

/** The firmware time for a host sample `hostNow` (tick, shutdown): monotonic, bounded steps. */
export function clockSample(hostNow: u32): u32 {
  const d = hostNow - hostLast;
  hostLast = hostNow;
  if (d > 0 - BACK_WINDOW_MS) { count(C_CLOCK_BACK); return fwNow; }
  if (d > MAX_STEP_MS) { count(C_CLOCK_JUMP); fwNow += MAX_STEP_MS; }
  else fwNow += d;
  return fwNow;
}
