/** Packet builders and session helpers for the MQTT client tests. */
import { MqttClient, S, hex, type ClientConfig } from "./scripted-hal.js";

const enc = new TextEncoder();

export function remLen(n: number): number[] {
  const out: number[] = [];
  do {
    let b = n & 0x7f;
    n = Math.floor(n / 128);
    if (n > 0) b |= 0x80;
    out.push(b);
  } while (n > 0);
  return out;
}

export function str(s: string | Uint8Array): number[] {
  const b = typeof s === "string" ? enc.encode(s) : s;
  return [b.length >> 8, b.length & 0xff, ...b];
}

/** A server-to-client PUBLISH. */
export function publishPacket(topic: string | Uint8Array, payload: string | Uint8Array, qos = 0, id = 0, opts: { dup?: boolean; retain?: boolean } = {}): Uint8Array {
  const p = typeof payload === "string" ? enc.encode(payload) : payload;
  const body = [...str(topic), ...(qos > 0 ? [id >> 8, id & 0xff] : []), ...p];
  const b0 = 0x30 | (qos << 1) | (opts.dup ? 8 : 0) | (opts.retain ? 1 : 0);
  return Uint8Array.from([b0, ...remLen(body.length), ...body]);
}

export const CONNACK_OK = "20 02 00 00";
export const DOWNLINK = "tank/dl";

export function suback(id: number, code = 1): Uint8Array {
  return Uint8Array.from([0x90, 3, id >> 8, id & 0xff, code]);
}
export function puback(id: number): Uint8Array {
  return Uint8Array.from([0x40, 2, id >> 8, id & 0xff]);
}

/** A client configured with the downlink topic and driven to AWAITING_CONNACK (CONNECT taken). */
export async function awaitingConnack(config: ClientConfig = {}): Promise<MqttClient> {
  const c = await MqttClient.create({ downlink: DOWNLINK, ...config });
  c.hal.now = 1000;
  c.start();
  c.tick();
  if (c.state !== S.AWAITING_CONNACK) throw new Error(`state ${c.state}`);
  c.hal.take();
  return c;
}

/** A client with a full session (CONNACK + SUBACK for id 1); all sent bytes taken. */
export async function connected(config: ClientConfig = {}): Promise<MqttClient> {
  const c = await awaitingConnack(config);
  c.hal.push(CONNACK_OK);
  c.tick();
  const withSub = (config.downlink ?? DOWNLINK) !== "";
  if (withSub) {
    c.hal.push(suback(1));
    c.tick();
  }
  if (c.state !== S.CONNECTED) throw new Error(`state ${c.state}, reason ${c.lastDisconnect}`);
  c.hal.take();
  return c;
}

export { hex };
