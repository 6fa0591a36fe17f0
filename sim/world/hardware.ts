/**
 * SimHardware: the `Hardware` behind the firmware's hal imports, wired from a
 * board description that uses the firmware's own config member names
 * (trig_pin, echo_pin, relay_pin, relay_active_high, button_pin,
 * button_active_low, adc_channel, adc_bits, adc_ref_mv, analog_mm_per_v,
 * ntc_channel, ntc_*, uart_port, sensor). You may pass the whole firmware
 * config object: members it does not know are ignored.
 *
 * Time: every hal call first brings the world up to `clock.now()` (the tank
 * fills or drains with the relay state it had meanwhile). Calls that block on
 * a device (`delayUs`, `pulseIn`) advance a `VirtualClock` by the time they
 * take. With a clock that cannot be advanced (real time) or with
 * `advanceClock: false`, the hardware's own time runs ahead of the clock by
 * the blocked time until the clock catches up (no drift accumulates).
 */
import { EventEmitter } from "node:events";
import type { Clock, Hardware } from "../hal/types.js";
import type { DeviceConfig } from "../device-config.js";
import { isAdvanceable } from "../clock.js";
import { SeededRandom } from "../random.js";
import { Air, type AirOptions } from "./air.js";
import { Tank, type TankOptions } from "./tank.js";
import { Thermistor, type ThermistorOptions } from "./thermistor.js";
import {
  AnalogDistanceSensor,
  PulseEchoSensor,
  SENSOR_PROFILES,
  UartDistanceSensor,
  type AnalogSensorOptions,
  type DistanceSensor,
  type PulseEchoOptions,
  type PulseResult,
  type SensorProfileName,
  type UartSensorOptions,
} from "./ultrasonic.js";

/** The config members that describe a board's wiring (docs/CONFIG.md). */
type BoardMember =
  | "sensor" | "trig_pin" | "echo_pin" | "uart_port" | "adc_channel" | "adc_bits" | "adc_ref_mv" | "analog_mm_per_v"
  | "temperature" | "ntc_channel" | "ntc_r0_ohm" | "ntc_t0_c" | "ntc_beta" | "ntc_series_ohm" | "ntc_bits"
  | "relay_pin" | "relay_active_high" | "button_pin" | "button_active_low";

/**
 * Board wiring, in the firmware's config member names and types (a whole
 * `DeviceConfig` will do: other members are ignored). `sensor` also selects
 * the simulated physical sensor (default "hc-sr04").
 */
export type BoardConfig = Partial<Pick<DeviceConfig, BoardMember>> & { [member: string]: unknown };

/** Example wirings (ESP32-style pin numbers) for the three sensor kinds. */
export const EXAMPLE_BOARDS = {
  "hc-sr04": { sensor: "hc-sr04", trig_pin: 5, echo_pin: 18, relay_pin: 26, relay_active_high: true, button_pin: 0, button_active_low: true, temperature: "ntc", ntc_channel: 7 },
  a02yyuw: { sensor: "a02yyuw", uart_port: 2, relay_pin: 26, relay_active_high: true, button_pin: 0, temperature: "fixed" },
  maxbotix: { sensor: "maxbotix", adc_channel: 6, adc_bits: 12, adc_ref_mv: 3300, analog_mm_per_v: 1551, relay_pin: 26, relay_active_high: false, button_pin: 0 },
} as const satisfies Record<string, BoardConfig>;

export interface SimHardwareOptions {
  board: BoardConfig;
  clock: Clock;
  tank: Tank | TankOptions;
  air?: Air | AirOptions | number;
  /** Seed for every random stream of this device (default 1). */
  seed?: number | string;
  /** Overrides of the physical sensor's behaviour (noise, fault rates, faults). */
  sensorOptions?: PulseEchoOptions | UartSensorOptions | AnalogSensorOptions;
  /** Or a ready-made sensor (must match the board's sensor kind). */
  sensor?: DistanceSensor;
  thermistor?: ThermistorOptions;
  /** Button contact bounce after each edge, ms (reads are random meanwhile). Default 0. */
  buttonBounceMs?: number;
  /** Surface waves while the pump runs: gaussian noise on the distance the sensor sees, mm (sd). Default 0. */
  pumpTurbulenceMm?: number;
  /** Advance an advanceable clock while the firmware blocks (default true). */
  advanceClock?: boolean;
  /** UART receive FIFO size in bytes (default 256); more is dropped. */
  uartRxCapacity?: number;
}

export interface HardwareEvents {
  /** The pump relay switched; `atMs` is the clock reading. */
  relay: [on: boolean, atMs: number];
  /** A pulse-echo measurement was triggered. */
  ping: [result: PulseResult, atMs: number];
  /** The button was pressed (true) or released (false). */
  button: [pressed: boolean, atMs: number];
}

export interface GroundTruth {
  timeMs: number;
  timeOfDayMs: number;
  /** Percent of the full water height (the firmware's level). */
  levelPct: number;
  volumePct: number;
  volumeL: number;
  waterHeightMm: number;
  /** Sensor face → water surface, mm. */
  distanceMm: number;
  airC: number;
  relayOn: boolean;
}

const MAX_PIN = 63;
const MAX_CHANNEL = 31;
const MAX_PORT = 7;

export class SimHardware extends EventEmitter<HardwareEvents> implements Hardware {
  readonly board: Readonly<BoardConfig>;
  readonly clock: Clock;
  readonly tank: Tank;
  readonly air: Air;
  readonly sensor: DistanceSensor;
  readonly thermistor: Thermistor;
  readonly rng: SeededRandom;
  /** Fault injection: operations on these pins / channels / ports return -1. */
  readonly faults = { gpio: new Set<number>(), adc: new Set<number>(), uart: new Set<number>() };
  /** Counters for tests. */
  readonly stats = {
    triggers: 0,
    ignoredTriggers: 0,
    pulseIns: 0,
    pulseTimeouts: 0,
    relaySwitches: 0,
    adcReads: 0,
    uartBytesRead: 0,
    uartOverflow: 0,
    blockedUs: 0,
  };

  private readonly sensorRng: SeededRandom;
  private readonly uartRng: SeededRandom;
  private readonly adcRng: SeededRandom;
  private readonly buttonRng: SeededRandom;
  private readonly advanceClock: boolean;
  /** With a clock we cannot advance: the end of the last blocking call, ms (time never runs behind it). */
  private blockedUntilMs = -Infinity;
  private worldMs: number;

  private readonly modes = new Map<number, number>();
  private readonly levels = new Map<number, number>();
  private relay = false;

  private trigRiseUs: number | null = null;
  private pending: { riseUs: number; widthUs: number } | null = null;
  private busyUntilUs = -Infinity;

  private buttonDownAt: number | null = null;
  private buttonUpAt: number | null = null;
  private readonly bounceMs: number;
  /** Surface waves while the pump runs, mm (sd); may be changed at any time. */
  pumpTurbulenceMm: number;

  private uartOpen_ = false;
  private uartWrongBaud = false;
  private nextFrameMs = 0;
  private readonly uartPending: { atMs: number; byte: number }[] = [];
  private readonly uartFifo: number[] = [];
  private readonly uartCap: number;

  constructor(o: SimHardwareOptions) {
    super();
    this.board = { ...o.board };
    this.clock = o.clock;
    this.tank = o.tank instanceof Tank ? o.tank : new Tank(o.tank);
    this.air = o.air instanceof Air ? o.air : new Air(o.air ?? 20);
    this.rng = new SeededRandom(o.seed ?? 1);
    this.sensorRng = this.rng.fork("sensor");
    this.uartRng = this.rng.fork("uart");
    this.adcRng = this.rng.fork("adc");
    this.buttonRng = this.rng.fork("button");
    this.advanceClock = (o.advanceClock ?? true) && isAdvanceable(o.clock);
    this.bounceMs = o.buttonBounceMs ?? 0;
    this.pumpTurbulenceMm = o.pumpTurbulenceMm ?? 0;
    this.uartCap = o.uartRxCapacity ?? 256;
    this.worldMs = o.clock.now();

    const profile = SENSOR_PROFILES[this.board.sensor ?? "hc-sr04"];
    if (!profile) throw new RangeError(`unknown sensor profile ${String(this.board.sensor)}`);
    if (o.sensor) {
      if (o.sensor.kind !== profile.kind) throw new RangeError(`sensor kind ${o.sensor.kind} does not match profile ${profile.name} (${profile.kind})`);
      this.sensor = o.sensor;
    } else if (profile.kind === "pulse") {
      this.sensor = PulseEchoSensor.fromProfile(profile, o.sensorOptions as PulseEchoOptions);
    } else if (profile.kind === "uart") {
      this.sensor = UartDistanceSensor.fromProfile(profile, o.sensorOptions as UartSensorOptions);
    } else {
      this.sensor = AnalogDistanceSensor.fromProfile(profile, {
        mmPerV: num(this.board.analog_mm_per_v, 1000),
        adcBits: num(this.board.adc_bits, 12),
        adcRefMv: num(this.board.adc_ref_mv, 3300),
        ...(o.sensorOptions as AnalogSensorOptions),
      });
    }
    this.thermistor = new Thermistor({
      ntc_r0_ohm: num(this.board.ntc_r0_ohm, 10000),
      ntc_t0_c: num(this.board.ntc_t0_c, 25),
      ntc_beta: num(this.board.ntc_beta, 3950),
      ntc_series_ohm: num(this.board.ntc_series_ohm, 10000),
      ntc_bits: num(this.board.ntc_bits, 12),
      ...o.thermistor,
    });
  }

  // ------------------------------------------------------------- wiring

  private pin(name: "trig_pin" | "echo_pin" | "relay_pin" | "button_pin"): number {
    return num(this.board[name], -1);
  }

  get relayActiveHigh(): boolean {
    return this.board.relay_active_high !== false;
  }

  get buttonActiveLow(): boolean {
    return this.board.button_active_low !== false;
  }

  /** The pin level that switches the relay off (what a host drives after a trap). */
  get relayOffLevel(): number {
    return this.relayActiveHigh ? 0 : 1;
  }

  /**
   * The firmware config members this hardware implies: the board wiring
   * (pins, channels, port, sensor profile, ADC and NTC parameters) plus the
   * tank's geometry and mounting. Merge with the network members (uid, key,
   * broker_*, topics) to get a complete config.
   */
  firmwareConfig(): Partial<DeviceConfig> {
    const out: Record<string, unknown> = {};
    const members = [
      "sensor", "trig_pin", "echo_pin", "uart_port", "uart_baud", "adc_channel", "adc_bits", "adc_ref_mv", "analog_mm_per_v",
      "temperature", "temperature_c", "ntc_channel", "ntc_r0_ohm", "ntc_t0_c", "ntc_beta", "ntc_series_ohm", "ntc_bits",
      "relay_pin", "relay_active_high", "button_pin", "button_active_low",
    ];
    for (const m of members) if (this.board[m] !== undefined) out[m] = this.board[m];
    if (out.sensor === undefined) out.sensor = "hc-sr04";
    const tank: Record<string, unknown> = { ...this.tank.firmwareConfig() };
    if (out.relay_pin === undefined) tank.pump_mode = "none";
    return { ...out, ...tank } as Partial<DeviceConfig>;
  }

  // ---------------------------------------------------------------- time

  /** Current time in µs (clock plus any blocking not pushed into the clock). */
  nowUs(): number {
    return this.nowMs() * 1000;
  }

  private nowMs(): number {
    return Math.max(this.clock.now(), this.blockedUntilMs);
  }

  private block(us: number): void {
    if (!(us > 0)) return;
    this.stats.blockedUs += us;
    const clock = this.clock;
    if (this.advanceClock && isAdvanceable(clock)) clock.advance(us / 1000);
    else this.blockedUntilMs = this.nowMs() + us / 1000;
  }

  /** Brings the world (tank, UART stream) up to `nowMs` (default: the clock). */
  advanceTo(nowMs: number = this.nowMs()): void {
    while (this.worldMs < nowMs) {
      let target = nowMs;
      const uartDue = this.uartOpen_ && this.nextFrameMs <= nowMs;
      if (uartDue) target = Math.max(this.worldMs, this.nextFrameMs);
      if (target > this.worldMs) {
        this.tank.step(target - this.worldMs, this.relay);
        this.worldMs = target;
      }
      if (uartDue) this.emitFrame();
    }
    if (this.uartOpen_) {
      while (this.uartOpen_ && this.nextFrameMs <= nowMs) this.emitFrame();
      this.deliverUart(nowMs);
    }
  }

  /** Ground truth for tests and views. */
  truth(): GroundTruth {
    this.advanceTo();
    const tod = this.tank.timeOfDayMs;
    return {
      timeMs: this.nowMs(),
      timeOfDayMs: tod,
      levelPct: this.tank.levelPct,
      volumePct: this.tank.volumePct,
      volumeL: this.tank.volumeL,
      waterHeightMm: this.tank.waterHeightMm,
      distanceMm: this.tank.distanceMm,
      airC: this.air.at(tod),
      relayOn: this.relay,
    };
  }

  /** The distance the sensor sees now: the true one, plus surface waves while the pump runs. */
  private sensedDistanceMm(rng: SeededRandom): number {
    const d = this.tank.distanceMm;
    return this.relay && this.pumpTurbulenceMm > 0 ? Math.max(0, d + rng.gaussian(0, this.pumpTurbulenceMm)) : d;
  }

  get relayOn(): boolean {
    return this.relay;
  }

  airC(): number {
    return this.air.at(this.tank.timeOfDayMs);
  }

  // ---------------------------------------------------------------- GPIO

  gpioMode(pin: number, mode: number): number {
    this.advanceTo();
    if (!validPin(pin) || this.faults.gpio.has(pin) || !(mode >= 0 && mode <= 3 && Number.isInteger(mode))) return -1;
    this.modes.set(pin, mode);
    return 0;
  }

  gpioWrite(pin: number, level: number): number {
    this.advanceTo();
    if (!validPin(pin) || this.faults.gpio.has(pin) || (level !== 0 && level !== 1)) return -1;
    const prev = this.levels.get(pin) ?? 0;
    this.levels.set(pin, level);
    if (pin === this.pin("relay_pin")) {
      const on = this.relayActiveHigh ? level === 1 : level === 0;
      if (on !== this.relay) {
        this.relay = on;
        this.stats.relaySwitches++;
        this.emit("relay", on, this.nowMs());
      }
    }
    if (pin === this.pin("trig_pin") && this.sensor.kind === "pulse") {
      const now = this.nowUs();
      if (level === 1 && prev === 0) this.trigRiseUs = now;
      if (level === 0 && prev === 1 && this.trigRiseUs !== null) {
        const width = now - this.trigRiseUs;
        this.trigRiseUs = null;
        this.trigger(width, now);
      }
    }
    return 0;
  }

  private trigger(widthUs: number, nowUs: number): void {
    const s = this.sensor as PulseEchoSensor;
    // 0.5 µs of slack for floating-point clocks.
    if (widthUs + 0.5 < s.minTriggerUs || nowUs < this.busyUntilUs) {
      this.stats.ignoredTriggers++;
      return;
    }
    this.stats.triggers++;
    const res = s.ping(this.sensedDistanceMm(this.sensorRng), this.airC(), this.sensorRng);
    const riseUs = nowUs + res.delayUs;
    this.pending = Number.isFinite(riseUs) ? { riseUs, widthUs: res.widthUs } : null;
    this.busyUntilUs = Number.isFinite(riseUs) ? riseUs + res.widthUs : nowUs + s.noEchoPulseUs;
    this.emit("ping", res, nowUs / 1000);
  }

  gpioRead(pin: number): number {
    this.advanceTo();
    if (!validPin(pin) || this.faults.gpio.has(pin)) return -1;
    if (pin === this.pin("button_pin")) return this.buttonLevel();
    if (pin === this.pin("echo_pin") && this.pending) {
      const now = this.nowUs();
      return now >= this.pending.riseUs && now < this.pending.riseUs + this.pending.widthUs ? 1 : 0;
    }
    const mode = this.modes.get(pin) ?? 0;
    if (mode === 1) return this.levels.get(pin) ?? 0;
    return mode === 2 ? 1 : 0;
  }

  pulseIn(pin: number, level: number, timeoutUs: number): number {
    this.advanceTo();
    if (!validPin(pin) || this.faults.gpio.has(pin) || (level !== 0 && level !== 1)) return -1;
    const timeout = timeoutUs >>> 0;
    this.stats.pulseIns++;
    const p = this.pending;
    this.pending = null;
    if (pin !== this.pin("echo_pin") || level !== 1 || !p) {
      this.block(timeout);
      this.stats.pulseTimeouts++;
      return 0;
    }
    const now = this.nowUs();
    let start = p.riseUs;
    let width = p.widthUs;
    if (now > start) {
      // Called late: only the rest of the pulse is seen (or none of it).
      width -= now - start;
      start = now;
      if (width <= 0) {
        this.block(timeout);
        this.stats.pulseTimeouts++;
        return 0;
      }
    }
    const wait = start - now;
    if (wait + width > timeout) {
      this.block(timeout);
      this.stats.pulseTimeouts++;
      return 0;
    }
    this.block(wait + width);
    return Math.max(1, Math.round(width));
  }

  delayUs(us: number): void {
    this.block(us >>> 0);
  }

  // -------------------------------------------------------------- button

  /** Presses the button for `holdMs` (default 200 ms), then releases it. */
  pressButton(holdMs = 200): void {
    const now = this.nowMs();
    this.buttonDownAt = now;
    this.buttonUpAt = now + holdMs;
    this.emit("button", true, now);
  }

  /** Holds the button down until `releaseButton()`. */
  holdButton(): void {
    const now = this.nowMs();
    this.buttonDownAt = now;
    this.buttonUpAt = null;
    this.emit("button", true, now);
  }

  releaseButton(): void {
    const now = this.nowMs();
    if (this.buttonDownAt !== null && (this.buttonUpAt === null || this.buttonUpAt > now)) {
      this.buttonUpAt = now;
      this.emit("button", false, now);
    }
  }

  /** Whether the button is pressed now (ignoring bounce). */
  get buttonPressed(): boolean {
    const now = this.nowMs();
    return this.buttonDownAt !== null && now >= this.buttonDownAt && (this.buttonUpAt === null || now < this.buttonUpAt);
  }

  private buttonLevel(): number {
    const now = this.nowMs();
    const active = this.buttonActiveLow ? 0 : 1;
    const idle = 1 - active;
    if (this.bounceMs > 0) {
      const near = (t: number | null): boolean => t !== null && now >= t && now < t + this.bounceMs;
      if (near(this.buttonDownAt) || near(this.buttonUpAt)) return this.buttonRng.chance(0.5) ? active : idle;
    }
    return this.buttonPressed ? active : idle;
  }

  // ----------------------------------------------------------------- ADC

  adcRead(channel: number): number {
    this.advanceTo();
    if (!(Number.isInteger(channel) && channel >= 0 && channel <= MAX_CHANNEL) || this.faults.adc.has(channel)) return -1;
    this.stats.adcReads++;
    if (channel === num(this.board.adc_channel, -1) && this.sensor.kind === "analog") {
      return this.sensor.read(this.sensedDistanceMm(this.adcRng), this.adcRng);
    }
    if (channel === num(this.board.ntc_channel, -1)) return this.thermistor.read(this.airC(), this.adcRng);
    return -1;
  }

  // ---------------------------------------------------------------- UART

  uartOpen(port: number, baud: number): number {
    this.advanceTo();
    if (!(Number.isInteger(port) && port >= 0 && port <= MAX_PORT) || this.faults.uart.has(port) || !(baud > 0)) return -1;
    if (port !== num(this.board.uart_port, -1) || this.sensor.kind !== "uart") return 0; // nothing attached
    this.uartOpen_ = true;
    this.uartWrongBaud = baud !== this.sensor.baud;
    this.nextFrameMs = this.nowMs() + this.sensor.frameIntervalMs;
    this.uartPending.length = 0;
    this.uartFifo.length = 0;
    return 0;
  }

  uartRead(port: number, max: number): Uint8Array | null {
    if (!(Number.isInteger(port) && port >= 0 && port <= MAX_PORT)) return null;
    if (this.faults.uart.has(port)) return null;
    this.advanceTo();
    if (port !== num(this.board.uart_port, -1)) return new Uint8Array(0);
    if (!this.uartOpen_) return null;
    const n = Math.max(0, Math.min(max, this.uartFifo.length));
    const out = Uint8Array.from(this.uartFifo.splice(0, n));
    this.stats.uartBytesRead += n;
    return out;
  }

  uartWrite(port: number, data: Uint8Array): number {
    this.advanceTo();
    if (!(Number.isInteger(port) && port >= 0 && port <= MAX_PORT) || this.faults.uart.has(port)) return -1;
    return data.length;
  }

  private emitFrame(): void {
    const s = this.sensor as UartDistanceSensor;
    // After a long silence (a jump of virtual time) only the last few seconds matter: the FIFO would have overflowed anyway.
    const now = this.nowMs();
    if (now - this.nextFrameMs > 10_000) {
      const skip = Math.floor((now - this.nextFrameMs - 10_000) / s.frameIntervalMs);
      this.stats.uartOverflow += skip * 4;
      this.nextFrameMs += skip * s.frameIntervalMs;
      if (this.worldMs < this.nextFrameMs) {
        this.tank.step(this.nextFrameMs - this.worldMs, this.relay);
        this.worldMs = this.nextFrameMs;
      }
    }
    const t = this.nextFrameMs;
    let bytes = s.emit(this.sensedDistanceMm(this.uartRng), this.uartRng);
    if (this.uartWrongBaud && bytes.length > 0) {
      bytes = Uint8Array.from({ length: this.uartRng.int(1, bytes.length * 2) }, () => this.uartRng.int(0, 255));
    }
    const byteMs = s.byteMs();
    bytes.forEach((b, i) => this.uartPending.push({ atMs: t + (i + 1) * byteMs, byte: b }));
    this.nextFrameMs = t + s.frameIntervalMs;
  }

  private deliverUart(nowMs: number): void {
    let i = 0;
    while (i < this.uartPending.length) {
      const e = this.uartPending[i]!;
      if (e.atMs > nowMs) break;
      if (this.uartFifo.length < this.uartCap) this.uartFifo.push(e.byte);
      else this.stats.uartOverflow++;
      i++;
    }
    if (i > 0) this.uartPending.splice(0, i);
  }
}

function validPin(pin: number): boolean {
  return Number.isInteger(pin) && pin >= 0 && pin <= MAX_PIN;
}

function num(v: unknown, dflt: number): number {
  return typeof v === "number" && Number.isFinite(v) ? v : dflt;
}
