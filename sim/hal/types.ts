/**
 * The simulated hardware behind the firmware's `hal` imports (docs/ABI.md),
 * minus the network, the clock and logging, which the Node host owns.
 * Every method mirrors one import; return codes are those of the ABI.
 */
export interface Hardware {
  /** mode 0 input, 1 output, 2 input pull-up, 3 input pull-down; 0 ok, <0 error. */
  gpioMode(pin: number, mode: number): number;
  /** level 0/1; 0 ok, <0 error. */
  gpioWrite(pin: number, level: number): number;
  /** 0/1, <0 error. */
  gpioRead(pin: number): number;
  /** Pulse width in µs (>0), 0 on timeout, <0 error. May advance virtual time by the time it blocks. */
  pulseIn(pin: number, level: number, timeoutUs: number): number;
  /** Busy wait (virtual). */
  delayUs(us: number): void;
  /** Raw counts, <0 error. */
  adcRead(channel: number): number;
  /** 0 ok, <0 error. */
  uartOpen(port: number, baud: number): number;
  /** Up to `max` bytes received on `port` (possibly empty); null when the port is not open. */
  uartRead(port: number, max: number): Uint8Array | null;
  /** Bytes written, <0 error. */
  uartWrite(port: number, data: Uint8Array): number;
}

/** A clock in milliseconds. `now()` may be fractional; the firmware sees `Math.floor(now()) >>> 0`. */
export interface Clock {
  now(): number;
}

/** Deterministic random source (seeded), used for jitter and backoff. */
export interface Random {
  /** Uniform in [0, 1). */
  next(): number;
  /** Uniform 32-bit unsigned integer. */
  u32(): number;
}
