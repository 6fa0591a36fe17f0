/**
 * Physics of the three kinds of distance sensor the firmware reads:
 * pulse-echo (HC-SR04 family), UART frames (A02YYUW / JSN-SR04T serial) and
 * analog voltage (MaxBotix style). Each takes the true distance to the water
 * surface and the air temperature and produces what the wire would carry.
 */
import { CONFIG_DEFAULTS, CONFIG_PROFILES, type DeviceConfig } from "../device-config.js";
import type { SeededRandom } from "../random.js";
import { speedOfSound } from "./air.js";

export type SensorKind = "pulse" | "uart" | "analog";

/** The firmware's sensor profile names (assembly/config.ts `sensor`). */
export type SensorProfileName = NonNullable<DeviceConfig["sensor"]>;

export interface SensorProfile {
  name: SensorProfileName;
  kind: SensorKind;
  blindMm: number;
  maxRangeMm: number;
  /** Minimum trigger pulse the module reacts to (pulse kind), µs. */
  triggerUs: number;
  /** The firmware's default gap between pings, ms. */
  pingGapMs: number;
  /** UART kinds: baud and frame period. */
  baud?: number;
  frameIntervalMs?: number;
}

/**
 * The simulated physical sensors, one per firmware profile: the numbers are
 * the schema's (config/schema.json "profiles", the same table the firmware's
 * profile defaults and docs/CONFIG.md come from). triggerUs is the minimum
 * trigger pulse of pulse sensors (0: not triggered); UART sensors send at the
 * `uart_baud` default.
 */
export const SENSOR_PROFILES: Readonly<Record<SensorProfileName, SensorProfile>> = Object.fromEntries(
  (Object.entries(CONFIG_PROFILES) as Array<[SensorProfileName, (typeof CONFIG_PROFILES)[SensorProfileName]]>).map(([name, p]) => [name, {
    name,
    kind: p.kind,
    blindMm: p.blind_mm,
    maxRangeMm: p.max_range_mm,
    triggerUs: p.kind === "pulse" ? p.trigger_us : 0,
    pingGapMs: p.ping_gap_ms,
    ...(p.kind === "uart" ? { baud: CONFIG_DEFAULTS.uart_baud, frameIntervalMs: p.frame_interval_ms } : {}),
  }]),
) as Record<SensorProfileName, SensorProfile>;

/** Round-trip echo time in µs for `distanceMm` at `celsius`: 2·d / c(T). */
export function echoTimeUs(distanceMm: number, celsius: number): number {
  return (2000 * distanceMm) / speedOfSound(celsius);
}

/** Distance in mm for a round-trip echo time in µs at `celsius` (inverse of `echoTimeUs`). */
export function distanceFromEchoUs(echoUs: number, celsius: number): number {
  return (echoUs * speedOfSound(celsius)) / 2000;
}

// ------------------------------------------------------------- pulse-echo

export type PulseOutcome = "echo" | "spurious" | "missing" | "blind" | "out_of_range" | "fault";

export interface PulseResult {
  outcome: PulseOutcome;
  /** µs from the trigger's falling edge until the echo line rises. */
  delayUs: number;
  /** How long the echo line stays high, µs (the no-echo time-out pulse when nothing came back). */
  widthUs: number;
}

export type PulseFault = "none" | "no_echo" | "disconnected" | "stuck";

export interface PulseEchoOptions {
  blindMm?: number;
  maxRangeMm?: number;
  /** Trigger pulses shorter than this are ignored, µs. */
  minTriggerUs?: number;
  /** Trigger falling edge → echo rising edge (the 40 kHz burst), µs. Default 450. */
  echoDelayUs?: number;
  /** Echo high time when nothing comes back (HC-SR04 ≈ 38 ms). Default 38000. */
  noEchoPulseUs?: number;
  /** Gaussian jitter on the echo time, µs (sd). Default 6 (≈ 1 mm). */
  jitterUs?: number;
  /** Probability that a ping gets no echo. Default 0. */
  missingProbability?: number;
  /** Probability of a spurious early echo (wall, pipe, inlet). Default 0. */
  spuriousProbability?: number;
  fault?: PulseFault;
  /** For fault "stuck": the distance it keeps reporting, mm. */
  stuckDistanceMm?: number;
}

export class PulseEchoSensor {
  readonly kind = "pulse" as const;
  blindMm: number;
  maxRangeMm: number;
  minTriggerUs: number;
  echoDelayUs: number;
  noEchoPulseUs: number;
  jitterUs: number;
  missingProbability: number;
  spuriousProbability: number;
  fault: PulseFault;
  stuckDistanceMm: number;
  readonly stats = { pings: 0, echo: 0, spurious: 0, missing: 0, blind: 0, out_of_range: 0, fault: 0 };

  constructor(o: PulseEchoOptions = {}) {
    this.blindMm = o.blindMm ?? 20;
    this.maxRangeMm = o.maxRangeMm ?? 4000;
    this.minTriggerUs = o.minTriggerUs ?? 10;
    this.echoDelayUs = o.echoDelayUs ?? 450;
    this.noEchoPulseUs = o.noEchoPulseUs ?? 38000;
    this.jitterUs = o.jitterUs ?? 6;
    this.missingProbability = o.missingProbability ?? 0;
    this.spuriousProbability = o.spuriousProbability ?? 0;
    this.fault = o.fault ?? "none";
    this.stuckDistanceMm = o.stuckDistanceMm ?? 500;
  }

  static fromProfile(p: SensorProfile, o: PulseEchoOptions = {}): PulseEchoSensor {
    return new PulseEchoSensor({ blindMm: p.blindMm, maxRangeMm: p.maxRangeMm, minTriggerUs: p.triggerUs, ...o });
  }

  /** One measurement cycle for a surface `distanceMm` away at `celsius`. */
  ping(distanceMm: number, celsius: number, rng: SeededRandom): PulseResult {
    this.stats.pings++;
    const res = this.measure(distanceMm, celsius, rng);
    this.stats[res.outcome]++;
    return res;
  }

  private measure(d: number, celsius: number, rng: SeededRandom): PulseResult {
    const delayUs = this.echoDelayUs;
    const echo = (mm: number, outcome: PulseOutcome): PulseResult => ({
      outcome,
      delayUs,
      widthUs: Math.max(1, echoTimeUs(mm, celsius) + (this.jitterUs > 0 ? rng.gaussian(0, this.jitterUs) : 0)),
    });
    const none = (outcome: PulseOutcome): PulseResult => ({ outcome, delayUs, widthUs: this.noEchoPulseUs });
    switch (this.fault) {
      case "no_echo":
        return none("fault");
      case "disconnected":
        return { outcome: "fault", delayUs: Infinity, widthUs: 0 };
      case "stuck":
        return echo(this.stuckDistanceMm, "fault");
      case "none":
        break;
    }
    if (d > this.maxRangeMm) return none("out_of_range");
    if (rng.chance(this.missingProbability)) return none("missing");
    if (d < this.blindMm) {
      // The transducer is still ringing: a short, meaningless echo.
      return echo(rng.uniform(0, this.blindMm), "blind");
    }
    if (rng.chance(this.spuriousProbability)) return echo(rng.uniform(this.blindMm, d), "spurious");
    return echo(d, "echo");
  }
}

// -------------------------------------------------------------- UART frames

/** One A02YYUW-style frame: 0xFF, high, low, (0xFF + high + low) & 0xFF. */
export function uartFrame(distanceMm: number): Uint8Array {
  const d = Math.max(0, Math.min(0xffff, Math.round(distanceMm)));
  const hi = (d >> 8) & 0xff;
  const lo = d & 0xff;
  return Uint8Array.of(0xff, hi, lo, (0xff + hi + lo) & 0xff);
}

/** Parses a 4-byte frame; null when the header or checksum is wrong. */
export function parseUartFrame(b: ArrayLike<number>): number | null {
  if (b.length < 4 || b[0] !== 0xff) return null;
  const hi = b[1] ?? 0;
  const lo = b[2] ?? 0;
  if (((0xff + hi + lo) & 0xff) !== b[3]) return null;
  return (hi << 8) | lo;
}

export type UartFault = "none" | "silent" | "garbage";

export interface UartSensorOptions {
  blindMm?: number;
  maxRangeMm?: number;
  baud?: number;
  frameIntervalMs?: number;
  /** Gaussian jitter on the reported distance, mm (sd). Default 1. */
  jitterMm?: number;
  /** Probability that a frame has a bad checksum (one byte flipped). Default 0. */
  corruptProbability?: number;
  /** Probability of a random garbage byte before a frame. Default 0. */
  garbageProbability?: number;
  /** Probability that a measurement yields no frame at all. Default 0. */
  missingProbability?: number;
  /** What it sends beyond the range: nothing, a 0 distance, or the measured value. Default "silent". */
  outOfRange?: "silent" | "zero" | "measured";
  fault?: UartFault;
}

export class UartDistanceSensor {
  readonly kind = "uart" as const;
  blindMm: number;
  maxRangeMm: number;
  baud: number;
  frameIntervalMs: number;
  jitterMm: number;
  corruptProbability: number;
  garbageProbability: number;
  missingProbability: number;
  outOfRange: "silent" | "zero" | "measured";
  fault: UartFault;
  readonly stats = { frames: 0, corrupt: 0, garbage: 0, missing: 0, blind: 0, out_of_range: 0 };

  constructor(o: UartSensorOptions = {}) {
    this.blindMm = o.blindMm ?? 30;
    this.maxRangeMm = o.maxRangeMm ?? 4500;
    this.baud = o.baud ?? 9600;
    this.frameIntervalMs = o.frameIntervalMs ?? 100;
    this.jitterMm = o.jitterMm ?? 1;
    this.corruptProbability = o.corruptProbability ?? 0;
    this.garbageProbability = o.garbageProbability ?? 0;
    this.missingProbability = o.missingProbability ?? 0;
    this.outOfRange = o.outOfRange ?? "silent";
    this.fault = o.fault ?? "none";
  }

  static fromProfile(p: SensorProfile, o: UartSensorOptions = {}): UartDistanceSensor {
    return new UartDistanceSensor({
      blindMm: p.blindMm,
      maxRangeMm: p.maxRangeMm,
      baud: p.baud ?? 9600,
      frameIntervalMs: p.frameIntervalMs ?? 100,
      ...o,
    });
  }

  /** Milliseconds one byte takes on the wire (8N1 = 10 bits). */
  byteMs(): number {
    return 10_000 / this.baud;
  }

  /** The bytes of one measurement cycle (possibly none, possibly with garbage). */
  emit(distanceMm: number, rng: SeededRandom): Uint8Array {
    if (this.fault === "silent") return new Uint8Array(0);
    if (this.fault === "garbage") return Uint8Array.from({ length: 4 }, () => rng.int(0, 255));
    const out: number[] = [];
    if (rng.chance(this.garbageProbability)) {
      out.push(rng.int(0, 255));
      this.stats.garbage++;
    }
    if (rng.chance(this.missingProbability)) {
      this.stats.missing++;
      return Uint8Array.from(out);
    }
    let d: number;
    if (distanceMm > this.maxRangeMm) {
      this.stats.out_of_range++;
      if (this.outOfRange === "silent") return Uint8Array.from(out);
      d = this.outOfRange === "zero" ? 0 : distanceMm;
    } else if (distanceMm < this.blindMm) {
      this.stats.blind++;
      d = rng.uniform(0, this.blindMm);
    } else {
      d = distanceMm + (this.jitterMm > 0 ? rng.gaussian(0, this.jitterMm) : 0);
    }
    const frame = uartFrame(d);
    if (rng.chance(this.corruptProbability)) {
      const i = rng.int(1, 3);
      frame[i] = (frame[i] ?? 0) ^ (1 << rng.int(0, 7));
      this.stats.corrupt++;
    }
    this.stats.frames++;
    out.push(...frame);
    return Uint8Array.from(out);
  }
}

// ------------------------------------------------------------------- analog

export type AnalogFault = "none" | "rail_low" | "rail_high";

export interface AnalogSensorOptions {
  blindMm?: number;
  maxRangeMm?: number;
  /** Scale, mm per volt (the firmware's analog_mm_per_v). Default 1000. */
  mmPerV?: number;
  /** ADC resolution and full-scale voltage (adc_bits, adc_ref_mv). */
  adcBits?: number;
  adcRefMv?: number;
  /** Gaussian noise on the voltage, mV (sd). Default 2. */
  noiseMv?: number;
  fault?: AnalogFault;
}

export class AnalogDistanceSensor {
  readonly kind = "analog" as const;
  blindMm: number;
  maxRangeMm: number;
  mmPerV: number;
  adcBits: number;
  adcRefMv: number;
  noiseMv: number;
  fault: AnalogFault;

  constructor(o: AnalogSensorOptions = {}) {
    this.blindMm = o.blindMm ?? 300;
    this.maxRangeMm = o.maxRangeMm ?? 5000;
    this.mmPerV = o.mmPerV ?? 1000;
    this.adcBits = o.adcBits ?? 12;
    this.adcRefMv = o.adcRefMv ?? 3300;
    this.noiseMv = o.noiseMv ?? 2;
    this.fault = o.fault ?? "none";
  }

  static fromProfile(p: SensorProfile, o: AnalogSensorOptions = {}): AnalogDistanceSensor {
    return new AnalogDistanceSensor({ blindMm: p.blindMm, maxRangeMm: p.maxRangeMm, ...o });
  }

  get fullScale(): number {
    return 2 ** this.adcBits - 1;
  }

  /** Output voltage in mV for a surface at `distanceMm` (closer than the blind zone reads as the blind distance, farther than the range as the range). */
  outputMv(distanceMm: number): number {
    const d = Math.max(this.blindMm, Math.min(this.maxRangeMm, distanceMm));
    return (d / this.mmPerV) * 1000;
  }

  /** Counts for `mv` on this ADC: round(mv / ref · (2^bits − 1)), clamped to the rails. */
  countsForMv(mv: number): number {
    return Math.max(0, Math.min(this.fullScale, Math.round((mv / this.adcRefMv) * this.fullScale)));
  }

  /** One ADC sample. */
  read(distanceMm: number, rng: SeededRandom): number {
    if (this.fault === "rail_low") return 0;
    if (this.fault === "rail_high") return this.fullScale;
    const mv = this.outputMv(distanceMm) + (this.noiseMv > 0 ? rng.gaussian(0, this.noiseMv) : 0);
    return this.countsForMv(mv);
  }
}

export type DistanceSensor = PulseEchoSensor | UartDistanceSensor | AnalogDistanceSensor;
