/**
 * A scripted MQTT 3.1.1 broker on the far side of ScriptedHal's fake socket,
 * for link-recovery tests of the client module: it parses what the client
 * sent, answers CONNACK / SUBACK / PUBACK / PINGRESP / UNSUBACK by rule, and
 * can close the connection on any PUBLISH (a broker that refuses a message by
 * dropping the link), swallow PUBACKs while still answering PINGREQ, refuse a
 * subscription, or refuse a keep-alive the way mosquitto >= 2.0.12 does.
 * Call `step()` after every client tick (or use `run`).
 */
import { MqttClient } from "./scripted-hal.js";
import { remLen } from "./mqtt-session.js";

export interface PublishIn {
  /** 1-based connection number it arrived on. */
  conn: number;
  id: number;
  qos: number;
  dup: boolean;
  topic: string;
  payload: string;
}

export interface ConnectIn {
  conn: number;
  keepAlive: number;
  cleanSession: boolean;
  clientId: string;
}

export interface BrokerRules {
  /** CONNACK flags and return code for a CONNECT (default: accepted, no session). Return code != 0 closes after the CONNACK. */
  connack?: (c: ConnectIn) => [flags: number, rc: number];
  /** Closes the connection, without answering, on receiving this PUBLISH (a broker refusing the message). */
  closeOnPublish?: (p: PublishIn) => boolean;
  /** PUBACK this QoS 1 PUBLISH (default: all). */
  ack?: (p: PublishIn) => boolean;
  /** Answer PINGREQ (default true). */
  answerPings?: boolean;
  /** SUBACK return code for a SUBSCRIBE (default: the requested QoS). */
  subackCode?: (conn: number, filter: string) => number;
}

const dec = new TextDecoder();
const enc = new TextEncoder();

export class ScriptedBroker {
  /** Connections the client opened (that reached this broker). */
  conns = 0;
  connects: ConnectIn[] = [];
  publishes: PublishIn[] = [];
  /** Connection numbers on which the client sent DISCONNECT. */
  disconnects: number[] = [];
  /** Connection numbers this broker closed on a PUBLISH. */
  closedOnPublish: number[] = [];
  pings = 0;
  private handle = -1;
  private off = 0;
  private buf: number[] = [];
  private open = false;

  constructor(readonly c: MqttClient, public rules: BrokerRules = {}) {}

  /** Processes what the client sent since the last call and queues the answers. */
  step(): void {
    const hal = this.c.hal;
    this.drain(); // what the client sent before it closed (e.g. DISCONNECT) still arrives
    if (hal.handle !== this.handle) {
      // The client closed the old connection (or opened a new one): nothing of the old one is read any more.
      hal.inbound = [];
      this.handle = hal.handle;
      this.off = 0;
      this.buf = [];
      this.open = hal.handle >= 0;
      if (this.open) this.conns++;
    }
    this.drain();
  }

  private drain(): void {
    if (!this.open || this.handle < 0) return;
    const sent = this.c.hal.sentOn.get(this.handle) ?? [];
    while (this.off < sent.length) this.buf.push(sent[this.off++]!);
    while (this.open) {
      const pkt = this.nextPacket();
      if (!pkt) break;
      this.handle1(pkt.b0, pkt.body);
    }
  }

  /** Closes the current connection from the broker side (the client sees the close after what is queued). */
  close(): void {
    if (!this.open) return;
    this.open = false;
    this.c.hal.peerClosed = true;
  }

  /** Sends a PUBLISH to the client on the current connection. */
  deliver(topic: string, payload: string, qos = 0, id = 0): void {
    if (!this.open) throw new Error("no open connection");
    const t = enc.encode(topic);
    const p = enc.encode(payload);
    const body = [t.length >> 8, t.length & 0xff, ...t, ...(qos ? [id >> 8, id & 0xff] : []), ...p];
    this.c.hal.push([0x30 | (qos << 1), ...remLen(body.length), ...body]);
  }

  get isOpen(): boolean {
    return this.open;
  }

  /** Messages (payloads) received, by payload. */
  received(payload: string): PublishIn[] {
    return this.publishes.filter((p) => p.payload === payload);
  }

  private nextPacket(): { b0: number; body: number[] } | null {
    const b = this.buf;
    if (b.length < 2) return null;
    let len = 0;
    let mul = 1;
    let i = 1;
    for (;;) {
      if (i >= b.length) return null;
      const x = b[i]!;
      len += (x & 0x7f) * mul;
      mul *= 128;
      i++;
      if ((x & 0x80) === 0) break;
      if (i > 4) throw new Error("client sent a malformed remaining length");
    }
    if (b.length < i + len) return null;
    const b0 = b[0]!;
    const body = b.slice(i, i + len);
    this.buf = b.slice(i + len);
    return { b0, body };
  }

  private reply(bytes: number[]): void {
    this.c.hal.push(bytes);
  }

  private handle1(b0: number, body: number[]): void {
    const type = b0 >> 4;
    const conn = this.conns;
    if (type === 1) {
      // CONNECT: protocol name (2 + 4), level, flags, keep-alive, client id.
      const flags = body[7]!;
      const keepAlive = (body[8]! << 8) | body[9]!;
      const idLen = (body[10]! << 8) | body[11]!;
      const c: ConnectIn = { conn, keepAlive, cleanSession: (flags & 2) !== 0, clientId: dec.decode(Uint8Array.from(body.slice(12, 12 + idLen))) };
      this.connects.push(c);
      const [f, rc] = this.rules.connack?.(c) ?? [0, 0];
      this.reply([0x20, 2, f, rc]);
      if (rc !== 0) this.close();
      return;
    }
    if (type === 3) {
      const qos = (b0 >> 1) & 3;
      const tl = (body[0]! << 8) | body[1]!;
      const topic = dec.decode(Uint8Array.from(body.slice(2, 2 + tl)));
      let o = 2 + tl;
      let id = 0;
      if (qos) { id = (body[o]! << 8) | body[o + 1]!; o += 2; }
      const p: PublishIn = { conn, id, qos, dup: (b0 & 8) !== 0, topic, payload: dec.decode(Uint8Array.from(body.slice(o))) };
      if (this.rules.closeOnPublish?.(p)) {
        this.publishes.push(p);
        this.closedOnPublish.push(conn);
        this.close();
        return;
      }
      this.publishes.push(p);
      if (qos === 1 && (this.rules.ack?.(p) ?? true)) this.reply([0x40, 2, id >> 8, id & 0xff]);
      return;
    }
    if (type === 8) {
      const id = (body[0]! << 8) | body[1]!;
      const fl = (body[2]! << 8) | body[3]!;
      const filter = dec.decode(Uint8Array.from(body.slice(4, 4 + fl)));
      const code = this.rules.subackCode?.(conn, filter) ?? body[4 + fl]!;
      this.reply([0x90, 3, id >> 8, id & 0xff, code]);
      return;
    }
    if (type === 10) {
      const id = (body[0]! << 8) | body[1]!;
      this.reply([0xb0, 2, id >> 8, id & 0xff]);
      return;
    }
    if (type === 12) {
      this.pings++;
      if (this.rules.answerPings ?? true) this.reply([0xd0, 0]);
      return;
    }
    if (type === 14) {
      this.disconnects.push(conn);
      this.open = false; // [MQTT-3.14.4-1]: nothing more is read; the client closes
      return;
    }
    if (type === 4) return; // PUBACK for a downlink
    throw new Error(`client sent packet type ${type}`);
  }
}


/** Ticks the client every `stepMs` for `ms` of virtual time, letting the broker answer after every tick. */
export function run(c: MqttClient, broker: ScriptedBroker, ms: number, stepMs = 10, until?: () => boolean): void {
  for (let t = 0; t < ms; t += stepMs) {
    c.advance(stepMs);
    broker.step();
    c.tick();
    broker.step();
    if (until?.()) return;
  }
}
