/**
 * The `hal` import object of ABI v2 (docs/ABI.md) for Node. Every pointer
 * the firmware passes is checked against its memory before use; a bad
 * pointer gets -1, never a host exception.
 */
import type { Clock, Hardware, Random } from "../hal/types.js";
import { firmwareMillis } from "../clock.js";
import type { SocketTable } from "./sockets.js";

export const LOG_LEVELS = ["error", "warn", "info", "debug"] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** Key-value storage behind kv_get/kv_set (the device's NVS). */
export type KvStore = Map<string, Uint8Array>;

export const KV_KEY_MAX = 15;
export const KV_VALUE_MAX = 64;

export interface HalOptions {
  memory: () => WebAssembly.Memory;
  hardware: Hardware;
  clock: Clock;
  random: Random;
  /** The socket table (`recvInto` is optional for stand-ins: `recv` into a view is used without it). */
  sockets: Omit<SocketTable, "recvInto"> & Partial<Pick<SocketTable, "recvInto">>;
  kv: KvStore;
  hwId: Uint8Array;
  log: (level: LogLevel, text: string) => void;
  panic: (text: string, line: number, column: number) => void;
  /** Called after each sock_recv with the number of bytes it returned. */
  onRecv?: (n: number) => void;
  /** The host's OTA slots (docs/OTA.md); without it ota_begin answers -1 UNSUPPORTED. */
  ota?: OtaImports;
}

/**
 * The host side of the ota_* imports (docs/ABI.md "OTA (v2)"). Results are
 * OtaStatus codes (0 ok, < 0 refused). `bytes` is a view into the module's
 * memory, valid only during the call: copy what you keep.
 */
export interface OtaImports {
  begin(size: number): number;
  write(offset: number, bytes: Uint8Array): number;
  finish(): number;
  abort(): void;
  activate(): void;
}

const utf8 = new TextDecoder("utf-8", { fatal: false });

export type HalImports = Record<string, (...args: number[]) => number | void>;

export function createHal(o: HalOptions): HalImports {
  // One view of linear memory, made again only when the buffer changed (memory.grow detaches the old one: length 0).
  let view = new Uint8Array(0);
  const memView = (): Uint8Array => {
    if (view.length === 0) view = new Uint8Array(o.memory().buffer);
    return view;
  };
  const inside = (ptr: number, len: number, mem: Uint8Array): boolean =>
    Number.isInteger(ptr) && Number.isInteger(len) && ptr >= 0 && len >= 0 && ptr + len <= mem.length;
  const bytes = (ptr: number, len: number): Uint8Array | null => {
    const mem = memView();
    if (!inside(ptr, len, mem)) return null;
    return mem.subarray(ptr, ptr + len);
  };
  const text = (ptr: number, len: number): string | null => {
    const b = bytes(ptr, len);
    return b ? utf8.decode(b) : null;
  };
  return {
    millis: () => firmwareMillis(o.clock.now()) | 0,
    gpio_mode: (pin, mode) => o.hardware.gpioMode(pin!, mode!),
    gpio_write: (pin, level) => o.hardware.gpioWrite(pin!, level!),
    gpio_read: (pin) => o.hardware.gpioRead(pin!),
    pulse_in: (pin, level, timeoutUs) => o.hardware.pulseIn(pin!, level!, timeoutUs! >>> 0),
    delay_us: (us) => { o.hardware.delayUs(us! >>> 0); },
    adc_read: (ch) => o.hardware.adcRead(ch!),
    uart_open: (port, baud) => o.hardware.uartOpen(port!, baud!),
    uart_read: (port, ptr, cap) => {
      const dst = bytes(ptr!, cap!);
      if (!dst) return -1;
      const got = o.hardware.uartRead(port!, cap!);
      if (!got) return -1;
      dst.set(got.subarray(0, cap!));
      return Math.min(got.length, cap!);
    },
    uart_write: (port, ptr, len) => {
      const src = bytes(ptr!, len!);
      return src ? o.hardware.uartWrite(port!, src.slice()) : -1;
    },
    sock_connect: (hostPtr, hostLen, port) => {
      const host = text(hostPtr!, hostLen!);
      return host === null ? -1 : o.sockets.connect(host, port!);
    },
    sock_status: (h) => o.sockets.status(h!),
    sock_send: (h, ptr, len) => {
      const src = bytes(ptr!, len!);
      return src ? o.sockets.send(h!, src) : -1;
    },
    sock_recv: (h, ptr, cap) => {
      const mem = memView();
      if (!inside(ptr!, cap!, mem)) return -1;
      const s = o.sockets;
      const n = s.recvInto ? s.recvInto(h!, mem, ptr!, cap!) : s.recv(h!, mem.subarray(ptr!, ptr! + cap!), cap!);
      o.onRecv?.(n);
      return n;
    },
    sock_close: (h) => { o.sockets.close(h!); },
    kv_get: (kp, kl, bp, cap) => {
      const key = text(kp!, kl!);
      const dst = bytes(bp!, cap!);
      if (key === null || !dst) return -2;
      const v = o.kv.get(key);
      if (!v) return -1;
      const n = Math.min(v.length, cap!);
      dst.set(v.subarray(0, n));
      return n;
    },
    kv_set: (kp, kl, vp, vl) => {
      const key = text(kp!, kl!);
      const val = bytes(vp!, vl!);
      if (key === null || !val || key.length === 0 || key.length > KV_KEY_MAX || val.length > KV_VALUE_MAX) return -2;
      o.kv.set(key, val.slice());
      return 0;
    },
    log: (level, ptr, len) => {
      o.log(LOG_LEVELS[level!] ?? "debug", text(ptr!, len!) ?? "<bad log pointer>");
    },
    panic: (ptr, len, line, col) => {
      o.panic(text(ptr!, len!) ?? "<bad panic pointer>", line!, col!);
    },
    random_u32: () => o.random.u32() | 0,
    ota_begin: (size) => (o.ota ? o.ota.begin(size! >>> 0) : -1),
    ota_write: (offset, ptr, len) => {
      const src = bytes(ptr!, len!);
      if (!o.ota) return -1;
      return src ? o.ota.write(offset! >>> 0, src) : -4;
    },
    ota_finish: () => (o.ota ? o.ota.finish() : -1),
    ota_abort: () => { o.ota?.abort(); },
    ota_activate: () => { o.ota?.activate(); },
    hw_id: (ptr, cap) => {
      const dst = bytes(ptr!, cap!);
      if (!dst) return -1;
      const n = Math.min(o.hwId.length, cap!);
      dst.set(o.hwId.subarray(0, n));
      return n;
    },
  };
}
