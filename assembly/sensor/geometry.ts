// Tank geometry: the volume of water for a depth, per configured shape.
import { cfg, TankShape } from "../config";
import { acosApprox } from "./math";

/** Volume in mm³ of water `h` mm deep for the configured shape. */
export function volumeForDepthMm(h: f64): f64 {
  if (!(h > 0)) return 0;
  const shape = cfg.tankShape;
  if (shape == TankShape.RECTANGULAR) {
    return h * <f64>cfg.tankWidthMm * <f64>cfg.tankLengthMm;
  }
  const r = <f64>cfg.tankDiameterMm / 2.0;
  if (shape == TankShape.HORIZONTAL_CYLINDER) {
    if (!(r > 0)) return 0;
    const hh = h > 2.0 * r ? 2.0 * r : h;
    // circular segment of depth hh: r²·acos((r-hh)/r) - (r-hh)·sqrt(2r·hh - hh²)
    let c = (r - hh) / r;
    if (c > 1) c = 1;
    if (c < -1) c = -1;
    let s = 2.0 * r * hh - hh * hh;
    if (s < 0) s = 0;
    const area = r * r * acosApprox(c) - (r - hh) * Math.sqrt(s);
    return area * <f64>cfg.tankLengthMm;
  }
  return Math.PI * r * r * h;
}
