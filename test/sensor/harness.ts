/**
 * Test harness for the sensing and pump modules: compiles the test-only
 * entry test/as/sensor-entry.ts with the release MVP flags and runs it
 * against a small scriptable hal.
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, renameSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { MVP_FLAGS } from "../helpers/asc-flags.js";
import { fileURLToPath } from "node:url";

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..");


/** Compiles the test entry to build/test/<name>.wasm (atomic rename, safe with parallel test files). */
export function compileEntry(name: string): WebAssembly.Module {
  const out = join(ROOT, "build", "test", `${name}.wasm`);
  const tmp = `${out}.${process.pid}.tmp`;
  mkdirSync(dirname(out), { recursive: true });
  execFileSync(process.execPath, [join(ROOT, "node_modules", "assemblyscript", "bin", "asc.js"),
    "test/as/sensor-entry.ts", "--config", "test/as/asconfig.json", ...MVP_FLAGS, "--use", "PUMP_TEST_HOOKS=1", "-o", tmp], { cwd: ROOT, stdio: "pipe" });
  renameSync(tmp, out);
  return new WebAssembly.Module(readFileSync(out));
}

/** Config variable ids of setCfg in test/as/sensor-entry.ts. */
export const CFG = {
  sensorKind: 0, trigPin: 1, echoPin: 2, triggerUs: 3, blindMm: 4, maxRangeMm: 5, pingGapMs: 6,
  uartPort: 7, uartBaud: 8, adcChannel: 9, adcBits: 10, adcRefMv: 11, analogUmPerMv: 12,
  analogSamples: 13, pingsPerReading: 14, readingIntervalMs: 15, spikeLimitMm: 16, spikeConfirm: 17,
  smoothingPct: 18, staleMs: 19, tempSource: 20, tempFixedDeciC: 21, ntcChannel: 22, ntcR0: 23,
  ntcT0DeciC: 24, ntcBeta: 25, ntcSeriesOhm: 26, ntcBits: 27, emptyDistanceMm: 28,
  fullDistanceMm: 29, distanceOffsetMm: 30, tankShape: 31, tankDiameterMm: 32, tankLengthMm: 33,
  tankWidthMm: 34, relayPin: 40, relayActiveHigh: 41, pumpMode: 42, powerOn: 43, minOnMs: 44,
  minOffMs: 45, maxRunMs: 46, lockoutMs: 47, highCutoffPermille: 48, lowCutoffPermille: 49,
  hysteresisPermille: 50, unknownOffMs: 51, autoMode: 52, autoStartPermille: 53,
  autoStopPermille: 54, buttonPin: 55, buttonActiveLow: 56, buttonDebounceMs: 57,
} as const;
export type CfgName = keyof typeof CFG;

export const Q = { NONE: 0, OK: 1, NO_ECHO: 2, OUT_OF_RANGE: 3, BLIND_ZONE: 4, BAD_FRAME: 5, ADC_RAIL: 6, STALE: 7, SPIKE: 8 } as const;
export const R = { NONE: 0, MIN_OFF_TIME: 1, MIN_ON_TIME: 2, LOCKOUT: 3, HIGH_LEVEL: 4, LOW_LEVEL: 5, LEVEL_UNKNOWN: 6, DISABLED: 7 } as const;
export const SRC = { PLATFORM: 0, BUTTON: 1, AUTO: 2, SAFETY: 3, BOOT: 4 } as const;
export const KIND = { PULSE: 0, UART: 1, ANALOG: 2 } as const;
export const TEMP = { NONE: 0, FIXED: 1, NTC: 2 } as const;

export interface Exports {
  memory: WebAssembly.Memory;
  setCfg(id: number, v: number): void;
  counter(id: number): number;
  sensorInit(now: number): number;
  sensorTick(now: number): number;
  levelPermille(): number;
  distanceMm(): number;
  temperatureDeciC(): number;
  compensationDeciC(): number;
  volumeMl(): number;
  readingQuality(): number;
  lastReadingQuality(): number;
  readingSeq(): number;
  sensorEchoTimeoutUs(): number;
  ntcCountsToDeciC(c: number): number;
  lnPos(x: number): number;
  acosApprox(x: number): number;
  pumpInit(now: number): number;
  pumpTick(now: number): number;
  pumpRequest(on: number, source: number, now: number): number;
  relayIsOn(): number;
  pumpLastRefusal(): number;
  pumpRefusalSeq(): number;
  pumpChangeSeq(): number;
  pumpLastChangeSource(): number;
  pumpForceOff(): void;
  pumpTestSetLevel(l: number): void;
  pumpAutoInControl(): number;
}

/** A scriptable hal. Time is `nowMs` (a float, advanced by pulse_in/delay_us). */
export class TestHal {
  nowMs = 0;
  pins = new Map<number, number>();
  modes = new Map<number, number>();
  /** Every gpio_write as [pin, level, nowMs]. */
  writes: Array<[number, number, number]> = [];
  pulseIn: (pin: number, level: number, timeoutUs: number) => number = () => 0;
  adc: (channel: number) => number = () => -1;
  uartRx: number[] = [];
  uartOpenRc = 0;
  uartOpened: Array<[number, number]> = [];
  gpioFail = false;
  kv = new Map<string, Uint8Array>();
  logs: string[] = [];
  keepLogs = false;
  lastTimeoutUs = 0;
  mem!: WebAssembly.Memory;

  private bytes(ptr: number, len: number): Uint8Array {
    return new Uint8Array(this.mem.buffer, ptr, len);
  }

  imports(): WebAssembly.Imports {
    const hal: Record<string, (...a: number[]) => number | void> = {
      millis: () => Math.floor(this.nowMs) >>> 0,
      gpio_mode: (pin, mode) => { this.modes.set(pin, mode); return this.gpioFail ? -1 : 0; },
      gpio_write: (pin, level) => {
        if (this.gpioFail) return -1;
        this.pins.set(pin, level); this.writes.push([pin, level, this.nowMs]); return 0;
      },
      gpio_read: (pin) => this.pins.get(pin) ?? 0,
      pulse_in: (pin, level, timeoutUs) => {
        this.lastTimeoutUs = timeoutUs >>> 0;
        const w = this.pulseIn(pin, level, timeoutUs >>> 0);
        this.nowMs += (w > 0 ? w + 450 : timeoutUs >>> 0) / 1000;
        return w;
      },
      delay_us: (us) => { this.nowMs += (us >>> 0) / 1000; },
      adc_read: (ch) => this.adc(ch),
      uart_open: (port, baud) => { this.uartOpened.push([port, baud]); return this.uartOpenRc; },
      uart_read: (_port, buf, cap) => {
        const n = Math.min(cap, this.uartRx.length);
        const dst = this.bytes(buf, n);
        for (let i = 0; i < n; i++) dst[i] = this.uartRx.shift()!;
        return n;
      },
      uart_write: (_p, _ptr, len) => len,
      sock_connect: () => -1, sock_status: () => -1, sock_send: () => -1, sock_recv: () => -1, sock_close: () => {},
      kv_get: (k, kl, buf, cap) => {
        const key = Buffer.from(this.bytes(k, kl)).toString();
        const v = this.kv.get(key);
        if (!v) return -1;
        const n = Math.min(cap, v.length);
        this.bytes(buf, n).set(v.subarray(0, n));
        return n;
      },
      kv_set: (k, kl, v, vl) => {
        this.kv.set(Buffer.from(this.bytes(k, kl)).toString(), Uint8Array.from(this.bytes(v, vl)));
        return 0;
      },
      log: (_lvl, p, l) => { if (this.keepLogs) this.logs.push(Buffer.from(this.bytes(p, l)).toString()); },
      panic: (p, l) => { throw new Error(`panic: ${Buffer.from(this.bytes(p, l)).toString()}`); },
      random_u32: () => 4,
      hw_id: () => 0,
    };
    return { hal: hal as unknown as WebAssembly.ModuleImports };
  }
}

export interface Fw { hal: TestHal; x: Exports; set(c: Partial<Record<CfgName, number>>): void }

export function instantiate(mod: WebAssembly.Module, hal = new TestHal()): Fw {
  const inst = new WebAssembly.Instance(mod, hal.imports());
  const x = inst.exports as unknown as Exports;
  hal.mem = x.memory;
  const set = (c: Partial<Record<CfgName, number>>): void => {
    for (const [k, v] of Object.entries(c)) x.setCfg(CFG[k as CfgName], v as number);
  };
  return { hal, x, set };
}

/** Speed of sound, m/s (FACTS.md). */
export const sound = (c: number): number => 331.3 + 0.606 * c;
/** Round-trip echo µs for `mm` at `celsius`. */
export const echoUs = (mm: number, celsius: number): number => (2000 * mm) / sound(celsius);

/** A 4-byte A02YYUW frame. */
export function frame(mm: number): number[] {
  const hi = (mm >> 8) & 0xff, lo = mm & 0xff;
  return [0xff, hi, lo, (0xff + hi + lo) & 0xff];
}

/** Runs sensorTick until `n` more readings have completed (bounded), honouring the returned waits. */
export function runReadings(fw: Fw, n: number, maxTicks = 100000): void {
  const target = (fw.x.readingSeq() + n) >>> 0;
  for (let i = 0; i < maxTicks && fw.x.readingSeq() !== target; i++) {
    const wait = fw.x.sensorTick(Math.floor(fw.hal.nowMs) >>> 0);
    fw.hal.nowMs += Math.max(1, wait);
  }
}
