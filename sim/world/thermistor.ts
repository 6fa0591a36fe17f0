/**
 * NTC thermistor (B-parameter model) in a divider: series resistor from Vref
 * to the ADC node, NTC from the node to ground, so the counts fall as the
 * temperature rises. Counts = round(Rntc / (Rseries + Rntc) · (2^bits − 1)),
 * so R0 = Rseries at T0 gives half scale. Parameters use the firmware's
 * config names (ntc_r0_ohm, ntc_t0_c, ntc_beta, ntc_series_ohm, ntc_bits).
 */
import type { SeededRandom } from "../random.js";

export interface ThermistorOptions {
  ntc_r0_ohm?: number;
  ntc_t0_c?: number;
  ntc_beta?: number;
  ntc_series_ohm?: number;
  ntc_bits?: number;
  /** Gaussian noise on the reading, in counts (sd). Default 0. */
  noiseCounts?: number;
  /** Fault: "open" (NTC disconnected → top rail), "short" (→ 0). */
  fault?: "none" | "open" | "short";
}

const KELVIN = 273.15;

export class Thermistor {
  r0: number;
  t0C: number;
  beta: number;
  seriesOhm: number;
  bits: number;
  noiseCounts: number;
  fault: "none" | "open" | "short";

  constructor(o: ThermistorOptions = {}) {
    this.r0 = o.ntc_r0_ohm ?? 10000;
    this.t0C = o.ntc_t0_c ?? 25;
    this.beta = o.ntc_beta ?? 3950;
    this.seriesOhm = o.ntc_series_ohm ?? 10000;
    this.bits = o.ntc_bits ?? 12;
    this.noiseCounts = o.noiseCounts ?? 0;
    this.fault = o.fault ?? "none";
  }

  get fullScale(): number {
    return 2 ** this.bits - 1;
  }

  /** NTC resistance in ohm at `celsius`. */
  resistance(celsius: number): number {
    return this.r0 * Math.exp(this.beta * (1 / (celsius + KELVIN) - 1 / (this.t0C + KELVIN)));
  }

  /** Ideal (unrounded, noiseless) counts at `celsius`. */
  idealCounts(celsius: number): number {
    const r = this.resistance(celsius);
    return (r / (this.seriesOhm + r)) * this.fullScale;
  }

  /** One ADC sample at `celsius`. */
  read(celsius: number, rng?: SeededRandom): number {
    if (this.fault === "open") return this.fullScale;
    if (this.fault === "short") return 0;
    let c = this.idealCounts(celsius);
    if (this.noiseCounts > 0 && rng) c += rng.gaussian(0, this.noiseCounts);
    return Math.max(0, Math.min(this.fullScale, Math.round(c)));
  }

  /** Inverse: the temperature that gives `counts` (what a correct firmware computes). */
  celsiusFromCounts(counts: number): number {
    const ratio = counts / this.fullScale;
    const r = (this.seriesOhm * ratio) / (1 - ratio);
    return 1 / (1 / (this.t0C + KELVIN) + Math.log(r / this.r0) / this.beta) - KELVIN;
  }
}
