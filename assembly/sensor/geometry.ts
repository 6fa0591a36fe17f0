// Tank geometry: the volume of water for a depth, per configured shape.
import { cfg, TankShape } from "../config";
import { acosApprox } from "./math";

/**
 * Volume in mm³ of water `h` mm deep (0 <= h, finite: volumeMl clamps it to
 * the span) for the configured shape; the tank sizes are those of
 * config/schema.json (>= 10 mm). A depth of 0 gives 0 for every shape.
 */
export function volumeForDepthMm(h: f64): f64 {
  const shape = cfg.tankShape;
  if (shape == TankShape.RECTANGULAR) {
    return h * <f64>cfg.tankWidthMm * <f64>cfg.tankLengthMm;
  }
  const r = <f64>cfg.tankDiameterMm / 2.0;
  if (shape == TankShape.HORIZONTAL_CYLINDER) {
    const hh = h > 2.0 * r ? 2.0 * r : h;
    // circular segment of depth hh: r²·acos((r-hh)/r) - (r-hh)·sqrt(2r·hh - hh²)
    const c = (r - hh) / r; // in [-1, 1] (acosApprox clamps it)
    // >= 0: 0 <= hh <= 2r, so 2r·hh >= hh·hh, and rounding keeps that order (2.0 * r is exact)
    const s = 2.0 * r * hh - hh * hh;
    const area = r * r * acosApprox(c) - (r - hh) * Math.sqrt(s);
    return area * <f64>cfg.tankLengthMm;
  }
  return Math.PI * r * r * h;
}
