/**
 * A water tank: geometry, water volume, pump flow while the relay is on and a
 * consumption profile over the day. Levels are water heights in mm above the
 * tank bottom; the sensor is mounted `sensorHeightMm` above the bottom, so the
 * distance it should measure is `sensorHeightMm - waterHeightMm`.
 */

import type { DeviceConfig } from "../device-config.js";

export type TankShape = NonNullable<DeviceConfig["tank_shape"]>;
export type PumpMode = NonNullable<DeviceConfig["pump_mode"]>;

export const DAY_MS = 86_400_000;
export const HOUR_MS = 3_600_000;

export interface TankGeometry {
  shape: TankShape;
  /** Cylinders: inner diameter in mm (a horizontal cylinder is this tall). */
  diameterMm?: number;
  /** Horizontal cylinder and rectangular: length in mm. */
  lengthMm?: number;
  /** Rectangular: width in mm. */
  widthMm?: number;
  /** Vertical cylinder and rectangular: height of the usable water column in mm (the "full" height). */
  heightMm?: number;
}

export interface TankOptions extends TankGeometry {
  /** Sensor face above the tank bottom, mm. Defaults to the full height + 100 mm. */
  sensorHeightMm?: number;
  /** Initial level, 0..100 % of the full height. Default 50. */
  initialLevelPct?: number;
  /** Pump flow in L/min while the relay is on. Default 20. */
  pumpFlowLpm?: number;
  /** What the pump does: fill adds water, drain removes it. Default "fill". */
  pumpMode?: PumpMode;
  /**
   * Consumption in L/h for each hour of the day (24 values), or one constant
   * value. Default `DEFAULT_CONSUMPTION_LPH` (morning and evening peaks).
   */
  consumptionLph?: number | readonly number[];
  /** Other inflow in L/h (a float valve, rain), constant. Default 0. */
  inflowLph?: number;
  /** Time of day at step 0, ms since midnight. Default 06:00. */
  startTimeOfDayMs?: number;
}

/** A household's draw in L/h by hour: low at night, peaks at 7–8 h and 18–20 h. */
export const DEFAULT_CONSUMPTION_LPH: readonly number[] = [
  5, 5, 5, 5, 5, 10, // 0-5
  60, 120, 90, 40, 30, 30, // 6-11
  50, 40, 30, 30, 40, 70, // 12-17
  110, 100, 60, 30, 15, 8, // 18-23
];

/** Water volume in litres for a water height `h` in mm (closed forms). */
export function volumeAtHeight(g: TankGeometry, hMm: number): number {
  const h = Math.max(0, Math.min(hMm, fullHeightOf(g)));
  switch (g.shape) {
    case "vertical_cylinder": {
      const r = need(g.diameterMm, "diameterMm") / 2;
      return (Math.PI * r * r * h) / 1e6;
    }
    case "horizontal_cylinder": {
      const r = need(g.diameterMm, "diameterMm") / 2;
      const len = need(g.lengthMm, "lengthMm");
      // Circular segment area of height h in a circle of radius r.
      const full = Math.PI * r * r;
      if (h >= 2 * r) return (full * len) / 1e6;
      // Circular segment r²(α − sin α cos α), α the half angle: cos α = (r − h)/r.
      // α = 2·asin(√(h/2r)) and the upper half by symmetry keep it precise near the
      // bottom and the top, where acos((r − h)/r) loses half the digits.
      const seg = (x: number): number => {
        const a = 2 * Math.asin(Math.sqrt(x / (2 * r)));
        return r * r * (a - Math.sin(a) * Math.cos(a));
      };
      const area = h <= r ? seg(h) : full - seg(2 * r - h);
      return (Math.max(0, Math.min(area, full)) * len) / 1e6;
    }
    case "rectangular":
      return (need(g.lengthMm, "lengthMm") * need(g.widthMm, "widthMm") * h) / 1e6;
  }
}

/** Full (usable) water height of a geometry in mm. */
export function fullHeightOf(g: TankGeometry): number {
  return g.shape === "horizontal_cylinder" ? need(g.diameterMm, "diameterMm") : need(g.heightMm, "heightMm");
}

/** Capacity in litres. */
export function capacityOf(g: TankGeometry): number {
  return volumeAtHeight(g, fullHeightOf(g));
}

/** Water height in mm for a volume in litres (inverse of `volumeAtHeight`). */
export function heightAtVolume(g: TankGeometry, litres: number): number {
  const H = fullHeightOf(g);
  const cap = capacityOf(g);
  if (litres <= 0) return 0;
  if (litres >= cap) return H;
  if (g.shape !== "horizontal_cylinder") return (litres / cap) * H;
  let lo = 0;
  let hi = H;
  for (let i = 0; i < 60; i++) {
    const mid = (lo + hi) / 2;
    if (volumeAtHeight(g, mid) < litres) lo = mid;
    else hi = mid;
  }
  return (lo + hi) / 2;
}

function need(v: number | undefined, name: string): number {
  if (v === undefined || !(v > 0) || !Number.isFinite(v)) throw new RangeError(`tank ${name} must be a positive number, got ${v}`);
  return v;
}

export interface TankStepResult {
  /** Litres the pump moved (positive in, for fill; positive out, for drain). */
  pumped: number;
  consumed: number;
  /** Litres lost over the top. */
  overflowed: number;
  /** Litres of demand that could not be served (tank empty). */
  unmet: number;
}

/** Firmware config members (docs: assembly/config.ts) that describe this tank and its mounting. */
/** The firmware config members that describe this tank (docs/CONFIG.md, "Tank" and `pump_mode`). */
export type TankFirmwareConfig = Required<Pick<DeviceConfig, "empty_distance_mm" | "full_distance_mm" | "tank_shape" | "pump_mode">> &
  Pick<DeviceConfig, "tank_diameter_mm" | "tank_length_mm" | "tank_width_mm">;

export class Tank {
  readonly geometry: TankGeometry;
  readonly sensorHeightMm: number;
  readonly capacityL: number;
  readonly fullHeightMm: number;
  pumpFlowLpm: number;
  pumpMode: PumpMode;
  inflowLph: number;
  private consumption: number[];
  private volume: number;
  private elapsed = 0;
  readonly startTimeOfDayMs: number;
  /** Cumulative totals since construction. */
  readonly totals = { pumped: 0, consumed: 0, overflowed: 0, unmet: 0, pumpOnMs: 0 };

  constructor(opts: TankOptions) {
    this.geometry = {
      shape: opts.shape,
      diameterMm: opts.diameterMm,
      lengthMm: opts.lengthMm,
      widthMm: opts.widthMm,
      heightMm: opts.heightMm,
    };
    this.fullHeightMm = fullHeightOf(this.geometry);
    this.capacityL = capacityOf(this.geometry);
    this.sensorHeightMm = opts.sensorHeightMm ?? this.fullHeightMm + 100;
    if (!(this.sensorHeightMm >= this.fullHeightMm)) {
      throw new RangeError(`sensorHeightMm (${this.sensorHeightMm}) must be >= the full height (${this.fullHeightMm})`);
    }
    this.pumpFlowLpm = opts.pumpFlowLpm ?? 20;
    this.pumpMode = opts.pumpMode ?? "fill";
    this.inflowLph = opts.inflowLph ?? 0;
    this.consumption = normaliseProfile(opts.consumptionLph ?? DEFAULT_CONSUMPTION_LPH);
    this.startTimeOfDayMs = mod(opts.startTimeOfDayMs ?? 6 * HOUR_MS, DAY_MS);
    const pct = opts.initialLevelPct ?? 50;
    if (!(pct >= 0 && pct <= 100)) throw new RangeError(`initialLevelPct must be 0..100, got ${pct}`);
    this.volume = volumeAtHeight(this.geometry, (pct / 100) * this.fullHeightMm);
  }

  /** Replaces the consumption profile (24 hourly L/h values or one constant). */
  setConsumption(lph: number | readonly number[]): void {
    this.consumption = normaliseProfile(lph);
  }

  /** Consumption in L/h at a time of day (ms since midnight). */
  consumptionAt(timeOfDayMs: number): number {
    return this.consumption[Math.floor(mod(timeOfDayMs, DAY_MS) / HOUR_MS)] ?? 0;
  }

  /** Milliseconds simulated so far. */
  get elapsedMs(): number {
    return this.elapsed;
  }

  /** Current time of day, ms since midnight. */
  get timeOfDayMs(): number {
    return mod(this.startTimeOfDayMs + this.elapsed, DAY_MS);
  }

  get volumeL(): number {
    return this.volume;
  }

  /** Sets the volume directly (scenarios), clamped to 0..capacity. */
  set volumeL(v: number) {
    this.volume = Math.max(0, Math.min(this.capacityL, v));
  }

  get waterHeightMm(): number {
    return heightAtVolume(this.geometry, this.volume);
  }

  /** Level as a percentage of the full water height (the firmware's definition: share of the empty→full distance span). */
  get levelPct(): number {
    return (this.waterHeightMm / this.fullHeightMm) * 100;
  }

  /** Sets the level (percent of full height). */
  set levelPct(pct: number) {
    this.volume = volumeAtHeight(this.geometry, (Math.max(0, Math.min(100, pct)) / 100) * this.fullHeightMm);
  }

  /** Volume as a percentage of capacity. */
  get volumePct(): number {
    return (this.volume / this.capacityL) * 100;
  }

  /** Distance from the sensor face to the water surface, mm. */
  get distanceMm(): number {
    return this.sensorHeightMm - this.waterHeightMm;
  }

  get isFull(): boolean {
    return this.volume >= this.capacityL - 1e-9;
  }

  get isEmpty(): boolean {
    return this.volume <= 1e-9;
  }

  /**
   * Advances the tank by `dtMs` with the pump relay `relayOn`. Exact for the
   * piecewise-constant rates: the step is split at every hour boundary.
   */
  /** Called at the end of every constant-rate piece of a step: tank time ms, level %, relay (checks that must see every moment). */
  onPiece: ((elapsedMs: number, levelPct: number, relayOn: boolean) => void) | null = null;

  step(dtMs: number, relayOn: boolean): TankStepResult {
    const res: TankStepResult = { pumped: 0, consumed: 0, overflowed: 0, unmet: 0 };
    if (!(dtMs > 0)) return res;
    let left = dtMs;
    while (left > 0) {
      const tod = this.timeOfDayMs;
      const toHour = HOUR_MS - (tod % HOUR_MS);
      const dt = Math.min(left, toHour);
      const hours = dt / HOUR_MS;
      const demand = this.consumptionAt(tod) * hours;
      const inflow = this.inflowLph * hours;
      const pump = relayOn && this.pumpMode !== "none" ? (this.pumpFlowLpm * dt) / 60_000 : 0;
      if (relayOn) this.totals.pumpOnMs += dt;
      let v = this.volume + inflow;
      if (this.pumpMode === "fill") v += pump;
      let out = demand + (this.pumpMode === "drain" ? pump : 0);
      // What can leave is limited by what is there (water that comes in during
      // the step counts too); the shortfall is split in proportion.
      let pumpedOut = this.pumpMode === "drain" ? pump : 0;
      let served = demand;
      if (out > v) {
        const ratio = out > 0 ? v / out : 0;
        served = demand * ratio;
        pumpedOut = pumpedOut * ratio;
        res.unmet += demand - served;
        out = v;
      }
      v -= out;
      if (v > this.capacityL) {
        res.overflowed += v - this.capacityL;
        v = this.capacityL;
      }
      this.volume = Math.max(0, v);
      res.consumed += served;
      res.pumped += this.pumpMode === "fill" ? pump : pumpedOut;
      this.elapsed += dt;
      left -= dt;
      // Rates are constant within a piece, so the level's extremes are at piece ends: an observer sees every one.
      this.onPiece?.(this.elapsed, this.levelPct, relayOn);
    }
    this.totals.pumped += res.pumped;
    this.totals.consumed += res.consumed;
    this.totals.overflowed += res.overflowed;
    this.totals.unmet += res.unmet;
    return res;
  }

  /** The firmware config members that match this tank and its sensor mounting. */
  firmwareConfig(): TankFirmwareConfig {
    const g = this.geometry;
    const c: TankFirmwareConfig = {
      empty_distance_mm: Math.round(this.sensorHeightMm),
      full_distance_mm: Math.round(this.sensorHeightMm - this.fullHeightMm),
      tank_shape: g.shape,
      pump_mode: this.pumpMode,
    };
    if (g.shape !== "rectangular") c.tank_diameter_mm = Math.round(need(g.diameterMm, "diameterMm"));
    if (g.shape !== "vertical_cylinder") c.tank_length_mm = Math.round(need(g.lengthMm, "lengthMm"));
    if (g.shape === "rectangular") c.tank_width_mm = Math.round(need(g.widthMm, "widthMm"));
    return c;
  }
}

function normaliseProfile(lph: number | readonly number[]): number[] {
  const arr = typeof lph === "number" ? new Array<number>(24).fill(lph) : [...lph];
  if (arr.length !== 24) throw new RangeError(`a consumption profile needs 24 hourly values, got ${arr.length}`);
  for (const v of arr) if (!(v >= 0) || !Number.isFinite(v)) throw new RangeError(`consumption must be >= 0 L/h, got ${v}`);
  return arr;
}

export function mod(a: number, m: number): number {
  return ((a % m) + m) % m;
}
