/**
 * A scripted, in-process implementation of every `hal` import of ABI v1
 * (docs/ABI.md) for driving the firmware's MQTT client from tests, plus the
 * `test` imports of the test-only MQTT module (test/as/mqtt-entry.ts).
 *
 * The fake socket: `push()` queues inbound bytes; `sock_recv` hands out what
 * is queued, at most `recvChunk` bytes per call; `recvScript` makes chosen
 * call indices return 0, an error, or more bytes than asked; `sendScript`
 * does the same for `sock_send` (accept n bytes, or fail). Everything the
 * firmware sent is in `sent` (per connection in `sentOn`). The clock is
 * `now` (u32 ms), set by the test. Optionally a real socket table
 * (sim/host/sockets.ts) replaces the fake socket.
 */
import type { SocketTable } from "../../sim/host/sockets.js";
import { compileTestModule } from "./mqtt-module.js";

export type RecvAction = "zero" | "error" | "toomany" | number;
export type SendAction = "error" | "toomany" | number;

export interface Message {
  topic: string;
  topicBytes: Uint8Array;
  payload: Uint8Array;
  retain: boolean;
  now: number;
}

export const hex = (s: string): Uint8Array =>
  Uint8Array.from((s.replace(/[^0-9a-fA-F]/g, "").match(/../g) ?? []).map((b) => parseInt(b, 16)));
export const toHex = (b: Uint8Array | number[]): string =>
  Array.from(b, (x) => x.toString(16).padStart(2, "0")).join(" ");

export class ScriptedHal {
  memory: WebAssembly.Memory | null = null;
  now = 0;
  /** Bytes queued for sock_recv. */
  inbound: number[] = [];
  /** Every byte the firmware sent, across connections. */
  sent: number[] = [];
  /** Bytes sent per socket handle. */
  sentOn = new Map<number, number[]>();
  /** Max bytes one sock_recv returns (Infinity: all that fits). */
  recvChunk = Infinity;
  recvCalls = 0;
  sendCalls = 0;
  recvScript = new Map<number, RecvAction>();
  sendScript = new Map<number, SendAction>();
  /** Default bytes sock_send accepts per call (Infinity: all). */
  sendAccept = Infinity;
  /** What sock_status returns (connected by default). */
  status = 1;
  /** What the next sock_connect returns when >= 0 is wanted: handles count up from 1. */
  connectResult: number | null = null;
  /** Peer closed: recv returns -2 once the queue is drained. */
  peerClosed = false;
  connects: { host: string; port: number; at: number }[] = [];
  closes: number[] = [];
  handle = -1;
  private nextHandle = 1;
  randomValues: number[] = [];
  randomCalls = 0;
  logs: { level: number; text: string }[] = [];
  panics: string[] = [];
  messages: Message[] = [];
  oversizes: number[] = [];
  /** Real sockets instead of the fake one (broker tests). */
  real: SocketTable | null = null;
  /** Real sockets: accept sends but never deliver them (a black-holed uplink). */
  dropSends = false;

  constructor(real: SocketTable | null = null) {
    this.real = real;
  }

  private mem(): Uint8Array {
    return new Uint8Array(this.memory!.buffer);
  }

  private text(ptr: number, len: number): string {
    return new TextDecoder().decode(this.mem().subarray(ptr, ptr + len));
  }

  push(bytes: Uint8Array | number[] | string): void {
    const b = typeof bytes === "string" ? hex(bytes) : bytes;
    for (const x of b) this.inbound.push(x);
  }

  /** Bytes sent since the last call (and forgets them). */
  take(): Uint8Array {
    const out = Uint8Array.from(this.sent);
    this.sent = [];
    return out;
  }

  imports(): WebAssembly.Imports {
    const hal = {
      millis: () => this.now | 0,
      gpio_mode: () => -1,
      gpio_write: () => -1,
      gpio_read: () => -1,
      pulse_in: () => -1,
      delay_us: () => {},
      adc_read: () => -1,
      uart_open: () => -1,
      uart_read: () => -1,
      uart_write: () => -1,
      sock_connect: (ptr: number, len: number, port: number) => {
        const host = this.text(ptr, len);
        this.connects.push({ host, port, at: this.now });
        if (this.real) {
          this.handle = this.real.connect(host, port);
          return this.handle;
        }
        if (this.connectResult !== null && this.connectResult < 0) return this.connectResult;
        this.handle = this.nextHandle++;
        this.sentOn.set(this.handle, []);
        this.peerClosed = false;
        return this.handle;
      },
      sock_status: (h: number) => (this.real ? this.real.status(h) : h === this.handle ? this.status : -1),
      sock_send: (h: number, ptr: number, len: number) => {
        const call = this.sendCalls++;
        const action = this.sendScript.get(call);
        if (action === "error") return -1;
        if (this.real) {
          const bytes = this.mem().slice(ptr, ptr + len);
          const n = this.dropSends && this.real.status(h) === 1 ? len : this.real.send(h, bytes);
          if (n > 0) for (const x of bytes.subarray(0, n)) this.sent.push(x);
          return n;
        }
        if (h !== this.handle) return -1;
        if (action === "toomany") return len + 1;
        let n = typeof action === "number" ? action : Math.min(len, this.sendAccept);
        n = Math.max(0, Math.min(n, len));
        const bytes = this.mem().subarray(ptr, ptr + n);
        for (const x of bytes) {
          this.sent.push(x);
          this.sentOn.get(h)?.push(x);
        }
        return n;
      },
      sock_recv: (h: number, ptr: number, cap: number) => {
        const call = this.recvCalls++;
        const action = this.recvScript.get(call);
        if (action === "zero") return 0;
        if (action === "error") return -1;
        if (action === "toomany") {
          // Claims one byte more than asked (writes nothing: the count alone is the violation).
          return cap + 1;
        }
        if (this.real) {
          const out = new Uint8Array(cap);
          const n = this.real.recv(h, out, cap);
          if (n > 0) this.mem().set(out.subarray(0, n), ptr);
          return n;
        }
        if (h !== this.handle) return -1;
        if (this.inbound.length === 0) return this.peerClosed ? -2 : 0;
        let n = Math.min(cap, this.inbound.length, this.recvChunk);
        if (typeof action === "number") n = Math.min(n, action);
        const chunk = this.inbound.splice(0, n);
        this.mem().set(chunk, ptr);
        return n;
      },
      sock_close: (h: number) => {
        this.closes.push(h);
        if (this.real) this.real.close(h);
        if (h === this.handle) this.handle = -1;
      },
      kv_get: () => -1,
      kv_set: () => -1,
      log: (level: number, ptr: number, len: number) => {
        this.logs.push({ level, text: this.text(ptr, len) });
      },
      panic: (ptr: number, len: number) => {
        this.panics.push(this.text(ptr, len));
      },
      random_u32: () => {
        const i = this.randomCalls++;
        return (this.randomValues.length ? this.randomValues[i % this.randomValues.length]! : 0x9e3779b9 * (i + 1)) | 0;
      },
      hw_id: () => 0,
    };
    const test = {
      message: (t: number, tl: number, p: number, pl: number, now: number) => {
        this.messages.push({ topic: this.text(t, tl), topicBytes: this.mem().slice(t, t + tl), payload: this.mem().slice(p, p + pl), retain: false, now: now >>> 0 });
      },
      oversize: (now: number) => {
        this.oversizes.push(now >>> 0);
      },
    };
    return { hal, test };
  }
}

/** ABI.md conn_state values. */
export const S = { IDLE: 0, SOCKET_CONNECTING: 1, AWAITING_CONNACK: 2, SUBSCRIBING: 3, CONNECTED: 4, BACKING_OFF: 5, STOPPED: 6 } as const;
/** ABI.md disconnect reasons. */
export const R = {
  NONE: 0, SOCKET_FAILED: 1, SOCKET_CLOSED: 2, CONNECT_TIMEOUT: 3, CONNACK_PROTOCOL: 4, CONNACK_IDENTIFIER: 5,
  CONNACK_UNAVAILABLE: 6, CONNACK_BAD_CREDENTIALS: 7, CONNACK_NOT_AUTHORISED: 8, PROTOCOL_VIOLATION: 9,
  KEEPALIVE_TIMEOUT: 10, SUBSCRIBE_REFUSED: 11, SEND_FAILED: 12, HOST_VIOLATION: 13, SHUTDOWN: 14,
  TLS_UNTRUSTED: 15, TLS_NAME_MISMATCH: 16, TLS_HANDSHAKE_TIMEOUT: 17, TLS_HANDSHAKE_FAILED: 18,
} as const;
/** ABI.md counter ids. */
export const C = {
  CONNECTS: 0, ATTEMPTS: 1, PACKETS_IN: 2, PACKETS_OUT: 3, PROTOCOL_ERRORS: 4, OVERSIZE: 5, KEEPALIVE_TIMEOUTS: 6,
  DROPPED: 7, RETRANSMISSIONS: 8, SOCKET_ERRORS: 9, DISCONNECT_BASE: 16,
} as const;

export interface ClientExports {
  memory: WebAssembly.Memory;
  scratch_ptr(): number;
  scratch_cap(): number;
  cfg_str(which: number, len: number): number;
  cfg_num(which: number, v: number): void;
  start(now: number): void;
  tick(now: number): number;
  stop(now: number): void;
  publish(topicLen: number, payloadLen: number, qos: number, retain: number, now: number): number;
  publish_raw(topic: number, topicLen: number, payload: number, payloadLen: number, qos: number, now: number): number;
  subscribe(len: number, qos: number, now: number): number;
  unsubscribe(len: number, now: number): number;
  request_result(): number;
  state(): number;
  session_id(): number;
  last_disconnect(): number;
  last_retained(): number;
  inflight(): number;
  counter(id: number): number;
  backoff_delay(n: number): number;
  rl_size(n: number): number;
  rl_decode(avail: number): number;
  rl_bytes(): number;
  rl_max(): number;
}

export const CFG_STR = { host: 0, clientId: 1, user: 2, password: 3, downlink: 4, willTopic: 5, willPayload: 6 } as const;
export const CFG_NUM = {
  port: 0, keepAliveS: 1, cleanSession: 2, inflight: 3, backoffBase: 4, backoffCap: 5, stableMs: 6,
  connectTimeout: 7, pingTimeout: 8, willQos: 9, willRetain: 10, passSet: 11, tls: 12,
} as const;

export interface ClientConfig {
  host?: string;
  port?: number;
  clientId?: string;
  user?: string;
  password?: string | null;
  downlink?: string;
  willTopic?: string;
  willPayload?: string;
  willQos?: number;
  willRetain?: boolean;
  /** broker_tls: sock_connect asks for TLS (port | 0x10000). */
  tls?: boolean;
  keepAliveS?: number;
  cleanSession?: boolean;
  inflight?: number;
  backoffBase?: number;
  backoffCap?: number;
  stableMs?: number;
  connectTimeout?: number;
  pingTimeout?: number;
}

const enc = new TextEncoder();

/** The MQTT test module instantiated over a ScriptedHal, with typed helpers. */
export class MqttClient {
  constructor(readonly hal: ScriptedHal, readonly x: ClientExports) {}

  static async create(config: ClientConfig = {}, hal = new ScriptedHal()): Promise<MqttClient> {
    const wasm = await compileTestModule();
    const instance = await WebAssembly.instantiate(await WebAssembly.compile(wasm), hal.imports());
    const x = instance.exports as unknown as ClientExports;
    hal.memory = x.memory;
    const c = new MqttClient(hal, x);
    c.configure({
      host: "broker.test", port: 1883, clientId: "iotbind-abc123def", user: "", password: null, downlink: "",
      keepAliveS: 60, cleanSession: true, inflight: 4, backoffBase: 1000, backoffCap: 60000, stableMs: 60000,
      connectTimeout: 10000, pingTimeout: 5000, willTopic: "", willPayload: "", willQos: 0, willRetain: false,
      ...config,
    });
    return c;
  }

  private scratch(bytes: Uint8Array, off = 0): void {
    new Uint8Array(this.x.memory.buffer).set(bytes, this.x.scratch_ptr() + off);
  }

  setStr(which: number, s: string | Uint8Array): void {
    const b = typeof s === "string" ? enc.encode(s) : s;
    this.scratch(b);
    if (this.x.cfg_str(which, b.length) !== 0) throw new Error(`config string ${which} too long`);
  }

  configure(c: ClientConfig): void {
    if (c.host !== undefined) this.setStr(CFG_STR.host, c.host);
    if (c.clientId !== undefined) this.setStr(CFG_STR.clientId, c.clientId);
    if (c.user !== undefined) this.setStr(CFG_STR.user, c.user);
    if (c.password !== undefined) {
      if (c.password === null) {
        this.setStr(CFG_STR.password, "");
        this.x.cfg_num(CFG_NUM.passSet, 0);
      } else this.setStr(CFG_STR.password, c.password);
    }
    if (c.downlink !== undefined) this.setStr(CFG_STR.downlink, c.downlink);
    if (c.willTopic !== undefined) this.setStr(CFG_STR.willTopic, c.willTopic);
    if (c.willPayload !== undefined) this.setStr(CFG_STR.willPayload, c.willPayload);
    const nums: [keyof ClientConfig, number][] = [
      ["port", CFG_NUM.port], ["keepAliveS", CFG_NUM.keepAliveS], ["inflight", CFG_NUM.inflight],
      ["backoffBase", CFG_NUM.backoffBase], ["backoffCap", CFG_NUM.backoffCap], ["stableMs", CFG_NUM.stableMs],
      ["connectTimeout", CFG_NUM.connectTimeout], ["pingTimeout", CFG_NUM.pingTimeout], ["willQos", CFG_NUM.willQos],
    ];
    for (const [k, id] of nums) if (c[k] !== undefined) this.x.cfg_num(id, c[k] as number);
    if (c.cleanSession !== undefined) this.x.cfg_num(CFG_NUM.cleanSession, c.cleanSession ? 1 : 0);
    if (c.willRetain !== undefined) this.x.cfg_num(CFG_NUM.willRetain, c.willRetain ? 1 : 0);
    if (c.tls !== undefined) this.x.cfg_num(CFG_NUM.tls, c.tls ? 1 : 0);
  }

  get state(): number { return this.x.state(); }
  get lastDisconnect(): number { return this.x.last_disconnect(); }
  get sessionId(): number { return this.x.session_id() >>> 0; }
  counter(id: number): number { return this.x.counter(id) >>> 0; }

  start(): void { this.x.start(this.hal.now >>> 0); }
  /** One tick at the hal's clock; returns the wait. */
  tick(): number { return this.x.tick(this.hal.now >>> 0) >>> 0; }
  /** Advances the clock by `ms` then ticks. */
  advance(ms: number): number {
    this.hal.now = (this.hal.now + ms) >>> 0;
    return this.tick();
  }
  stop(): void { this.x.stop(this.hal.now >>> 0); }

  publish(topic: string | Uint8Array, payload: string | Uint8Array, qos: number, retain = false): number {
    const t = typeof topic === "string" ? enc.encode(topic) : topic;
    const p = typeof payload === "string" ? enc.encode(payload) : payload;
    if (t.length + p.length > this.x.scratch_cap()) throw new Error("too long for scratch");
    this.scratch(t);
    this.scratch(p, t.length);
    return this.x.publish(t.length, p.length, qos, retain ? 1 : 0, this.hal.now >>> 0);
  }

  /** Writes bytes at the scratch buffer (for codec probes). */
  setScratch(bytes: Uint8Array | number[]): void {
    this.scratch(Uint8Array.from(bytes));
  }

  scratchBytes(n: number): Uint8Array {
    return new Uint8Array(this.x.memory.buffer, this.x.scratch_ptr(), n).slice();
  }

  subscribe(filter: string, qos: number): number {
    this.scratch(enc.encode(filter));
    return this.x.subscribe(enc.encode(filter).length, qos, this.hal.now >>> 0);
  }

  unsubscribe(filter: string): number {
    this.scratch(enc.encode(filter));
    return this.x.unsubscribe(enc.encode(filter).length, this.hal.now >>> 0);
  }
}
