/**
 * Byte-level MQTT 3.1.1 for the fuzzers' scripted peer: packet builders
 * (written out by hand so they can also build what a real library refuses
 * to: bad flags, QoS 3, 5-byte lengths) and a frame splitter for what the
 * firmware sends.
 */
const enc = new TextEncoder();

export function remLen(n: number): number[] {
  const out: number[] = [];
  do {
    let b = n % 128;
    n = Math.floor(n / 128);
    if (n > 0) b |= 0x80;
    out.push(b);
  } while (n > 0);
  return out;
}

/** Decodes a remaining length at `off`: [value, bytes used], or null when incomplete/malformed. */
export function decodeRemLen(b: Uint8Array, off: number): [number, number] | null {
  let v = 0;
  let mul = 1;
  for (let i = 0; i < 4; i++) {
    if (off + i >= b.length) return null;
    const x = b[off + i]!;
    v += (x & 0x7f) * mul;
    if ((x & 0x80) === 0) return [v, i + 1];
    mul *= 128;
  }
  return null;
}

export function packet(b0: number, body: ArrayLike<number>): Uint8Array {
  const rl = remLen(body.length);
  const out = new Uint8Array(1 + rl.length + body.length);
  out[0] = b0;
  out.set(rl, 1);
  out.set(Array.from(body), 1 + rl.length);
  return out;
}

const u16 = (n: number): number[] => [(n >> 8) & 0xff, n & 0xff];

export const connack = (rc = 0, flags = 0): Uint8Array => packet(0x20, [flags, rc]);
export const suback = (id: number, rc = 1): Uint8Array => packet(0x90, [...u16(id), rc]);
export const puback = (id: number): Uint8Array => packet(0x40, u16(id));
export const unsuback = (id: number): Uint8Array => packet(0xb0, u16(id));
export const pingresp = (): Uint8Array => packet(0xd0, []);

export function publish(topic: string | Uint8Array, payload: string | Uint8Array, qos = 0, id = 1, flags = 0): Uint8Array {
  const t = typeof topic === "string" ? enc.encode(topic) : topic;
  const p = typeof payload === "string" ? enc.encode(payload) : payload;
  const body: number[] = [...u16(t.length), ...t];
  if (qos > 0) body.push(...u16(id));
  const rl = remLen(body.length + p.length);
  const buf = new Uint8Array(1 + rl.length + body.length + p.length);
  buf[0] = (0x30 | (qos << 1) | flags) & 0xff;
  buf.set(rl, 1);
  buf.set(body, 1 + rl.length);
  buf.set(p, 1 + rl.length + body.length);
  return buf;
}

export function concat(parts: Uint8Array[]): Uint8Array {
  let n = 0;
  for (const p of parts) n += p.length;
  const out = new Uint8Array(n);
  let o = 0;
  for (const p of parts) { out.set(p, o); o += p.length; }
  return out;
}

export interface Frame {
  type: number;
  flags: number;
  body: Uint8Array;
}

/** Splits a byte stream into frames; returns the frames and how many bytes they used. */
export function splitFrames(b: Uint8Array): { frames: Frame[]; used: number } {
  const frames: Frame[] = [];
  let off = 0;
  while (off + 2 <= b.length) {
    const rl = decodeRemLen(b, off + 1);
    if (!rl) break;
    const start = off + 1 + rl[1];
    const end = start + rl[0];
    if (end > b.length) break;
    frames.push({ type: b[off]! >> 4, flags: b[off]! & 0x0f, body: b.subarray(start, end) });
    off = end;
  }
  return { frames, used: off };
}

export const T = { CONNECT: 1, CONNACK: 2, PUBLISH: 3, PUBACK: 4, SUBSCRIBE: 8, SUBACK: 9, UNSUBSCRIBE: 10, UNSUBACK: 11, PINGREQ: 12, PINGRESP: 13, DISCONNECT: 14 } as const;

/** Topic, payload, qos and id of a PUBLISH frame's body. */
export function parsePublishFrame(f: Frame): { topic: string; payload: Uint8Array; qos: number; id: number; dup: boolean } | null {
  if (f.type !== T.PUBLISH || f.body.length < 2) return null;
  const tl = (f.body[0]! << 8) | f.body[1]!;
  const qos = (f.flags >> 1) & 3;
  let o = 2 + tl;
  let id = 0;
  if (qos > 0) { id = (f.body[o]! << 8) | f.body[o + 1]!; o += 2; }
  if (o > f.body.length) return null;
  return { topic: new TextDecoder().decode(f.body.subarray(2, 2 + tl)), payload: f.body.subarray(o), qos, id, dup: (f.flags & 8) !== 0 };
}
