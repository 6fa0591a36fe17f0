// NTC thermistor: counts of the ADC to a temperature (B-parameter model).
import { cfg } from "../config";
import { f2iRound } from "../util/num";
import { lnPos } from "./math";

/** Temperature "unknown" (no NTC, a rail, or out of range), 0.1 °C. */
export const TEMP_UNKNOWN: i32 = -32768;

/** Temperatures outside this range are treated as a faulty NTC (0.1 °C). */
const NTC_MIN_DECIC: i32 = -550;
const NTC_MAX_DECIC: i32 = 1250;
/** ADC samples averaged per NTC measurement. */
export const NTC_SAMPLES: i32 = 4;
const KELVIN: f64 = 273.15;

/**
 * Temperature in 0.1 °C from NTC counts (B-parameter model; series resistor
 * from Vref to the node, NTC from the node to ground), TEMP_UNKNOWN at a rail
 * or outside -55..125 °C.
 */
export function ntcCountsToDeciC(counts: i32): i32 {
  // ntc_bits 8..16, ntc_r0_ohm and ntc_beta > 0 (config/schema.json); other values give
  // TEMP_UNKNOWN or a wrong temperature, never a trap (a shift takes its count mod 32).
  const full = (1 << cfg.ntcBits) - 1;
  if (counts <= 0 || counts >= full) return TEMP_UNKNOWN;
  const ratio = <f64>counts / <f64>full;
  const r = <f64>cfg.ntcSeriesOhm * ratio / (1.0 - ratio);
  if (!(r > 0)) return TEMP_UNKNOWN;
  const t0 = <f64>cfg.ntcT0DeciC / 10.0 + KELVIN;
  const inv = 1.0 / t0 + lnPos(r / <f64>cfg.ntcR0) / <f64>cfg.ntcBeta;
  if (!(inv > 0)) return TEMP_UNKNOWN;
  const t = 1.0 / inv - KELVIN;
  if (!(t == t) || t < <f64>NTC_MIN_DECIC / 10.0 || t > <f64>NTC_MAX_DECIC / 10.0) return TEMP_UNKNOWN;
  return f2iRound(t * 10.0, NTC_MIN_DECIC, NTC_MAX_DECIC);
}
