// Numeric helpers that cannot trap. The release build has no non-trapping
// float-to-int instructions (MVP only), so every f64 -> int conversion in the
// firmware goes through these.

/** f64 -> i32, rounding toward zero; NaN -> 0; clamped to [lo, hi]. */
export function f2iClamp(x: f64, lo: i32, hi: i32): i32 {
  if (!(x == x)) x = 0; // (lo <= hi: gives clampI(0, lo, hi))
  if (x <= <f64>lo) return lo;
  if (x >= <f64>hi) return hi;
  return <i32>x; // finite and inside [lo, hi]: cannot trap
}

/** f64 -> i32 rounded to nearest (half away from zero), clamped to [lo, hi]; NaN -> clamp(0). */
export function f2iRound(x: f64, lo: i32, hi: i32): i32 {
  return f2iClamp( // NaN stays NaN: f2iClamp makes it clamp(0)
    x < 0 ? x - 0.5 : x + 0.5, lo, hi);
}

export function clampI(v: i32, lo: i32, hi: i32): i32 {
  return v < lo ? lo : (v > hi ? hi : v);
}
