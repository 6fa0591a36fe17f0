/** Air temperature at the sensor over the day. */
import { DAY_MS, HOUR_MS, mod } from "./tank.js";

export type AirOptions =
  | { kind: "fixed"; celsius: number }
  /** A daily sine between `minC` (at `peakHour` - 12 h) and `maxC` (at `peakHour`, default 15 h). */
  | { kind: "daily"; minC: number; maxC: number; peakHour?: number };

export class Air {
  private opts: AirOptions;

  constructor(opts: AirOptions | number = { kind: "fixed", celsius: 20 }) {
    this.opts = typeof opts === "number" ? { kind: "fixed", celsius: opts } : opts;
    if (this.opts.kind === "daily" && !(this.opts.maxC >= this.opts.minC)) {
      throw new RangeError(`air maxC (${this.opts.maxC}) must be >= minC (${this.opts.minC})`);
    }
  }

  set(opts: AirOptions | number): void {
    this.opts = typeof opts === "number" ? { kind: "fixed", celsius: opts } : opts;
  }

  /** Temperature in °C at a time of day (ms since midnight). */
  at(timeOfDayMs: number): number {
    const o = this.opts;
    if (o.kind === "fixed") return o.celsius;
    const peak = (o.peakHour ?? 15) * HOUR_MS;
    const phase = (2 * Math.PI * mod(timeOfDayMs - peak, DAY_MS)) / DAY_MS;
    const mid = (o.minC + o.maxC) / 2;
    const amp = (o.maxC - o.minC) / 2;
    return mid + amp * Math.cos(phase);
  }
}

/** Speed of sound in air, m/s, at `celsius` (c = 331.3 + 0.606·T). */
export function speedOfSound(celsius: number): number {
  return 331.3 + 0.606 * celsius;
}
