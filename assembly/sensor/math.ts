// Small replacements for Math.log / Math.acos (the library versions cost
// ~0.8 KB of code in a module with a size budget).

/** Natural logarithm for finite x > 0 (relative error < 1e-11); NaN otherwise. */
export function lnPos(x: f64): f64 {
  if (!(x > 0) || x == Infinity) return NaN;
  let e: i32 = 0;
  let m = x;
  if (m < 1e-290) return -667.7; // far below any resistance ratio (no subnormal handling needed)
  const bits = reinterpret<u64>(m);
  e = <i32>((bits >> 52) & 0x7FF) - 1023;
  m = reinterpret<f64>((bits & 0x000FFFFFFFFFFFFF) | 0x3FF0000000000000); // [1, 2)
  if (m > 1.4142135623730951) { m *= 0.5; e++; }
  const z = (m - 1.0) / (m + 1.0); // |z| <= 0.1716
  const z2 = z * z;
  // z·(2 + z²·(2/3 + z²·(2/5 + … + z²·2/13))): Horner from 2/13 down, each
  // 2/k a correctly rounded division (the same value as the folded constant).
  let acc = 0.0;
  for (let k = 13; k >= 3; k -= 2) acc = 2.0 / <f64>k + z2 * acc;
  const series = z * (2.0 + z2 * acc);
  return <f64>e * 0.6931471805599453 + series;
}

/** acos(x) for x in [-1, 1] (clamped), absolute error < 3e-8 rad (Abramowitz & Stegun 4.4.46). */
export function acosApprox(x: f64): f64 {
  let a = x;
  if (!(a == a)) return NaN;
  if (a > 1) a = 1;
  if (a < -1) a = -1;
  const neg = a < 0;
  if (neg) a = -a;
  const p = 1.5707963050 + a * (-0.2145988016 + a * (0.0889789874 + a * (-0.0501743046 +
    a * (0.0308918810 + a * (-0.0170881256 + a * (0.0066700901 + a * -0.0012624911))))));
  const r = Math.sqrt(1.0 - a) * p;
  return neg ? Math.PI - r : r;
}
