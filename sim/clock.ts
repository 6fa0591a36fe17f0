/**
 * Clocks for the simulator. The firmware sees `Math.floor(now()) >>> 0`, a
 * wrapping u32 millisecond clock; these clocks themselves never wrap, so the
 * world models can subtract times freely.
 */
import { performance } from "node:perf_hooks";
import type { Clock } from "./hal/types.js";

/** A clock that code can move forward (virtual time). */
export interface AdvanceableClock extends Clock {
  /** Moves time forward by `ms` (may be fractional, e.g. 0.01 for 10 µs). */
  advance(ms: number): void;
}

export function isAdvanceable(clock: Clock): clock is AdvanceableClock {
  return typeof (clock as Partial<AdvanceableClock>).advance === "function";
}

/** The u32 millisecond value the firmware sees for a clock reading. */
export function firmwareMillis(nowMs: number): number {
  return Math.floor(nowMs) >>> 0;
}

/**
 * Virtual time: moves only when told to. `start` lets a test begin just
 * before the u32 wrap (e.g. `new VirtualClock(0xFFFF_0000)`).
 */
export class VirtualClock implements AdvanceableClock {
  private t: number;
  readonly start: number;
  /** Virtual ms per real ms that a runner pacing this clock should aim for (Infinity = as fast as possible). */
  speed: number;

  constructor(start = 0, speed = Infinity) {
    if (!Number.isFinite(start) || start < 0) throw new RangeError(`start must be a finite number >= 0, got ${start}`);
    this.t = start;
    this.start = start;
    this.speed = checkSpeed(speed);
  }

  now(): number {
    return this.t;
  }

  /** Milliseconds since the clock was created. */
  elapsed(): number {
    return this.t - this.start;
  }

  advance(ms: number): void {
    if (!(ms >= 0) || !Number.isFinite(ms)) throw new RangeError(`advance needs a finite ms >= 0, got ${ms}`);
    this.t += ms;
  }

  /** Moves to `t` if it is later than now (never backwards). */
  advanceTo(t: number): void {
    if (t > this.t) this.t = t;
  }

  /** Real milliseconds a paced runner should wait for `virtualMs` to pass at the current speed. */
  realMsFor(virtualMs: number): number {
    return realMsFor(virtualMs, this.speed);
  }
}

/** Real time from `performance.now()`, optionally offset so it starts at `start`. */
export class RealClock implements Clock {
  private readonly offset: number;

  constructor(start?: number) {
    this.offset = start === undefined ? 0 : start - performance.now();
  }

  now(): number {
    return performance.now() + this.offset;
  }
}

/**
 * Real time scaled by a speed factor (virtual ms per real ms): a wall-clock
 * paced virtual time. Changing the speed keeps the time continuous.
 */
export class ScaledClock implements Clock {
  private baseVirtual: number;
  private baseReal: number;
  private factor: number;

  constructor(start = 0, speed = 1) {
    this.factor = checkSpeed(speed);
    if (!Number.isFinite(this.factor)) throw new RangeError("ScaledClock needs a finite speed");
    this.baseVirtual = start;
    this.baseReal = performance.now();
  }

  get speed(): number {
    return this.factor;
  }

  set speed(v: number) {
    const s = checkSpeed(v);
    if (!Number.isFinite(s)) throw new RangeError("ScaledClock needs a finite speed");
    this.baseVirtual = this.now();
    this.baseReal = performance.now();
    this.factor = s;
  }

  now(): number {
    return this.baseVirtual + (performance.now() - this.baseReal) * this.factor;
  }

  realMsFor(virtualMs: number): number {
    return realMsFor(virtualMs, this.factor);
  }
}

/** Real ms for `virtualMs` at `speed` virtual ms per real ms (0 when the speed is unbounded). */
export function realMsFor(virtualMs: number, speed: number): number {
  if (!Number.isFinite(speed)) return 0;
  return Math.max(0, virtualMs / speed);
}

function checkSpeed(speed: number): number {
  if (!(speed > 0)) throw new RangeError(`speed must be > 0 (virtual ms per real ms), got ${speed}`);
  return speed;
}

/**
 * Paces a `VirtualClock` against real time: `await pacer.advanceTo(t)` moves
 * the virtual clock to `t` no sooner than `speed` allows (virtual ms per real
 * ms, measured from the pacer's start, so short sleeps do not accumulate
 * drift). With an infinite speed it only yields to the event loop, so sockets
 * and timers still run between steps.
 */
export class Pacer {
  private realBase: number;
  private virtualBase: number;
  private factor: number;

  constructor(readonly clock: VirtualClock, speed = clock.speed) {
    this.factor = checkSpeed(speed);
    this.realBase = performance.now();
    this.virtualBase = clock.now();
  }

  get speed(): number {
    return this.factor;
  }

  /** Changes the speed from now on (keeps time continuous). */
  set speed(v: number) {
    this.factor = checkSpeed(v);
    this.rebase();
  }

  /** Forgets the past (call after a pause, so the pacer does not race to catch up). */
  rebase(): void {
    this.realBase = performance.now();
    this.virtualBase = this.clock.now();
  }

  /** Real ms until virtual time `t` is due at this speed: negative when it is overdue (the runner is behind); 0 at an infinite speed. */
  realOffsetUntil(t: number, realNow = performance.now()): number {
    if (!Number.isFinite(this.factor)) return 0;
    return this.realBase + (t - this.virtualBase) / this.factor - realNow;
  }

  /** Real ms to wait before virtual time `t` is due (0 if due). */
  realDelayUntil(t: number): number {
    return Math.max(0, this.realOffsetUntil(t));
  }

  /** Waits (real time) as the speed requires, then moves the clock to `t`. */
  async advanceTo(t: number): Promise<void> {
    const wait = this.realDelayUntil(t);
    if (wait >= 1) await new Promise<void>((r) => setTimeout(r, wait));
    else await new Promise<void>((r) => setImmediate(r));
    this.clock.advanceTo(t);
  }

  /** `advanceTo(now + ms)`. */
  advance(ms: number): Promise<void> {
    return this.advanceTo(this.clock.now() + ms);
  }
}
