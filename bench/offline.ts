/**
 * The release firmware in-process without a network: the Node host's own
 * `hal` (sim/host/hal.ts) over simulated hardware and a `FakeBroker` socket
 * that answers like an MQTT broker (CONNACK, SUBACK, PUBACK, PINGRESP) and
 * can deliver downlinks. Deterministic and fast (virtual time), for the
 * footprint's long run, the accuracy runs and the tick-latency count.
 */
import mqttPacket from "mqtt-packet";
import { createHal } from "../sim/host/hal.js";
import type { SocketTable } from "../sim/host/sockets.js";
import { errorText, writeConfig, type FirmwareExports } from "../sim/host/abi.js";
import type { Hardware } from "../sim/hal/types.js";
import { VirtualClock, firmwareMillis } from "../sim/clock.js";
import { SeededRandom } from "../sim/random.js";
import { defaultHwId } from "../sim/host/device.js";
import { encodeConfig, renderConfigError } from "../sim/config-binary.js";

export interface SeenPublish {
  topic: string;
  payload: string;
  qos: number;
  atMs: number;
}

/** One in-memory connection to a well-behaved broker. */
export class FakeBroker {
  /** Bytes waiting for the firmware's sock_recv. */
  private inbound: Buffer[] = [];
  private queued = 0;
  private handle = 0;
  private open = false;
  private parser = mqttPacket.parser({ protocolVersion: 4 });
  readonly publishes: SeenPublish[] = [];
  connects = 0;
  keepPublishes = true;
  publishCount = 0;

  constructor(private readonly clock: { now(): number }) {
    this.parser.on("packet", (p) => this.onPacket(p));
  }

  private reply(p: mqttPacket.Packet): void {
    this.push(mqttPacket.generate(p));
  }

  push(bytes: Uint8Array): void {
    const b = Buffer.from(bytes);
    this.inbound.push(b);
    this.queued += b.length;
  }

  /** A broker → device PUBLISH (the platform's state message on the downlink topic). */
  deliver(topic: string, payload: string, qos: 0 | 1 = 1, messageId = 1): void {
    this.push(mqttPacket.generate({ cmd: "publish", topic, payload: Buffer.from(payload), qos, messageId, dup: false, retain: false }));
  }

  get pending(): number {
    return this.queued;
  }

  private onPacket(p: mqttPacket.Packet): void {
    switch (p.cmd) {
      case "connect":
        this.reply({ cmd: "connack", returnCode: 0, sessionPresent: false });
        break;
      case "subscribe":
        this.reply({ cmd: "suback", messageId: p.messageId!, granted: p.subscriptions.map((s) => s.qos) });
        break;
      case "publish": {
        this.publishCount++;
        const payload = typeof p.payload === "string" ? p.payload : Buffer.from(p.payload).toString("utf8");
        if (this.keepPublishes) this.publishes.push({ topic: p.topic, payload, qos: p.qos, atMs: this.clock.now() });
        if (p.qos === 1) this.reply({ cmd: "puback", messageId: p.messageId! });
        break;
      }
      case "pingreq":
        this.reply({ cmd: "pingresp" });
        break;
      default:
        break;
    }
  }

  /** The SocketTable face the hal uses. */
  sockets(): SocketTable {
    const self = this;
    const table = {
      connect(): number {
        self.connects++;
        self.open = true;
        self.inbound = [];
        self.queued = 0;
        self.parser = mqttPacket.parser({ protocolVersion: 4 });
        self.parser.on("packet", (p) => self.onPacket(p));
        return ++self.handle;
      },
      status(h: number): number {
        return h === self.handle && self.open ? 1 : -1;
      },
      send(h: number, bytes: Uint8Array): number {
        if (h !== self.handle || !self.open) return -1;
        self.parser.parse(Buffer.from(bytes));
        return bytes.length;
      },
      recv(h: number, out: Uint8Array, cap: number): number {
        if (h !== self.handle || !self.open) return -1;
        if (self.queued === 0) return 0;
        let n = 0;
        while (n < cap && self.inbound.length > 0) {
          const head = self.inbound[0]!;
          const take = Math.min(head.length, cap - n);
          out.set(head.subarray(0, take), n);
          n += take;
          if (take === head.length) self.inbound.shift();
          else self.inbound[0] = head.subarray(take);
        }
        self.queued -= n;
        return n;
      },
      pending(): number {
        return self.queued;
      },
      close(h: number): void {
        if (h === self.handle) self.open = false;
      },
      closeAll(): void {
        self.open = false;
      },
    };
    return table as unknown as SocketTable;
  }
}

export interface OfflineOptions {
  module: WebAssembly.Module;
  config: Record<string, string | number | boolean>;
  hardware: Hardware;
  clock: VirtualClock;
  /** Collect log lines (default false). */
  keepLogs?: boolean;
}

/** The firmware instance, its hal and the fake broker. */
export class OfflineFirmware {
  readonly x: FirmwareExports;
  readonly broker: FakeBroker;
  readonly clock: VirtualClock;
  readonly logs: string[] = [];
  readonly initStatus: number;
  readonly initError: string;
  ticks = 0;

  constructor(o: OfflineOptions) {
    this.clock = o.clock;
    this.broker = new FakeBroker(o.clock);
    let memory: WebAssembly.Memory | null = null;
    const hal = createHal({
      memory: () => memory!,
      hardware: o.hardware,
      clock: o.clock,
      random: new SeededRandom(String(o.config.uid ?? "bench")),
      sockets: this.broker.sockets(),
      kv: new Map(),
      hwId: defaultHwId(String(o.config.uid ?? "")),
      log: (level, text) => { if (o.keepLogs) this.logs.push(`${level}: ${text}`); },
      panic: (text, line, col) => { this.logs.push(`panic: ${text} (${line}:${col})`); },
    });
    const inst = new WebAssembly.Instance(o.module, { hal: hal as unknown as WebAssembly.ModuleImports });
    this.x = inst.exports as unknown as FirmwareExports;
    memory = this.x.memory;
    const bytes = encodeConfig(o.config);
    this.initStatus = this.x.init(writeConfig(this.x, bytes));
    this.initError = renderConfigError(errorText(this.x));
    if (this.initStatus !== 0) throw new Error(`init refused the config (${this.initStatus}): ${this.initError}`);
  }

  /** One tick at the clock's time; returns the wait it asked for. */
  tick(): number {
    this.ticks++;
    return this.x.tick(firmwareMillis(this.clock.now())) >>> 0;
  }

  /** Ticks following the waits (at least `minStepMs` apart) until virtual time `untilMs`; `each` runs before every tick. */
  runUntil(untilMs: number, each?: () => void, minStepMs = 1): void {
    while (this.clock.now() < untilMs) {
      each?.();
      const wait = this.tick();
      this.clock.advance(Math.max(minStepMs, Math.min(wait, untilMs - this.clock.now())));
    }
  }

  /** Readings completed so far (sum of the quality counters 48..63). */
  readings(): number {
    let n = 0;
    for (let q = 0; q < 16; q++) n += this.x.counter(48 + q) >>> 0;
    return n;
  }

  /** Highest non-zero byte of linear memory + 1 (how far anything was ever written, given zeroed memory). */
  highWater(): number {
    const m = new Uint8Array(this.x.memory.buffer);
    for (let i = m.length - 1; i >= 0; i--) if (m[i] !== 0) return i + 1;
    return 0;
  }

  get pages(): number {
    return this.x.memory.buffer.byteLength / 65536;
  }
}
