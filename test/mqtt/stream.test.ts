/**
 * Stream robustness of the MQTT client: every inbound packet type split at
 * every byte offset and in seeded random chunks, the host socket returning 0
 * or an error at every call index, partial sends, a recv that returns more
 * than asked, back-pressure, and the outcome always identical to one-shot
 * delivery (or a named close followed by a clean reconnect).
 */
import { describe, test, expect } from "vitest";
import { MqttClient, S, R, C, toHex } from "../helpers/scripted-hal.js";
import { publishPacket, suback, puback, CONNACK_OK, DOWNLINK, hex } from "../helpers/mqtt-session.js";

const cat = (...parts: (Uint8Array | string)[]): Uint8Array =>
  Uint8Array.from(parts.flatMap((p) => Array.from(typeof p === "string" ? hex(p) : p)));

/** mulberry32: small seeded PRNG for chunk sizes. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const big = new Uint8Array(1500).fill(0x41); // larger than RX_CAP (1024)
const longTopic = "t/" + "x".repeat(1100);    // topic alone larger than RX_CAP

// Phase A: the session comes up. The client published one QoS 1 message
// before connecting (id 1), so the downlink SUBSCRIBE gets id 2.
const PHASE_A = cat(CONNACK_OK, suback(2));
// Phase B, after the app asked to unsubscribe "x" (id 3): every packet type a
// client receives, including two oversize PUBLISHes (QoS 1 and QoS 0).
const PHASE_B = cat(
  publishPacket(DOWNLINK, '{"cmd":"on"}', 1, 0x0102),
  publishPacket(DOWNLINK, "q0", 0, 0, { retain: true }),
  puback(1),
  "b0 02 00 03",
  "d0 00",
  publishPacket(DOWNLINK, big, 1, 0x0a0b),
  publishPacket(longTopic, "y", 1, 0x0c0d),
  publishPacket(DOWNLINK, big, 0),
  publishPacket(DOWNLINK, "after", 1, 0x7fff),
);

interface Outcome {
  sent: string;
  messages: string[];
  oversizes: number;
  state: number;
  sessionId: number;
  inflight: number;
  request: number;
  counters: number[];
}

function outcome(c: MqttClient): Outcome {
  return {
    sent: toHex(c.hal.take()),
    messages: c.hal.messages.map((m) => `${m.topic}=${new TextDecoder().decode(m.payload)}`),
    oversizes: c.hal.oversizes.length,
    state: c.state,
    sessionId: c.sessionId,
    inflight: c.x.inflight(),
    request: c.x.request_result(),
    counters: [C.CONNECTS, C.PACKETS_IN, C.PACKETS_OUT, C.PROTOCOL_ERRORS, C.OVERSIZE, C.RETRANSMISSIONS].map((id) => c.counter(id)),
  };
}

/** Runs the scenario, feeding each phase through `feedA`/`feedB` (which push bytes and tick). */
async function scenario(feed: (c: MqttClient, bytes: Uint8Array) => void, setup?: (c: MqttClient) => void): Promise<Outcome> {
  const c = await MqttClient.create({ downlink: DOWNLINK });
  setup?.(c);
  c.hal.now = 5000;
  c.start();
  expect(c.publish("tank/up", "r1", 1)).toBe(0);
  c.tick();
  feed(c, PHASE_A);
  for (let i = 0; i < 3; i++) c.tick();
  expect(c.state).toBe(S.CONNECTED);
  expect(c.unsubscribe("x")).toBe(-1);
  feed(c, PHASE_B);
  for (let i = 0; i < 20000 && c.hal.inbound.length > 0; i++) c.tick();
  c.tick();
  return outcome(c);
}

const whole = (c: MqttClient, b: Uint8Array): void => { c.hal.push(b); c.tick(); };

let reference: Outcome;

describe("MQTT stream reassembly", () => {
  test("reference run: one-shot delivery", async () => {
    reference = await scenario(whole);
    expect(reference.state).toBe(S.CONNECTED);
    expect(reference.messages).toEqual([`${DOWNLINK}={"cmd":"on"}`, `${DOWNLINK}=q0`, `${DOWNLINK}=after`]);
    expect(reference.oversizes).toBe(3);
    expect(reference.inflight).toBe(0);
    expect(reference.request).toBe(0);
    // PUBACKs in arrival order, the skipped QoS 1 ones included.
    expect(reference.sent).toContain(toHex(cat("40 02 01 02 40 02 0a 0b 40 02 0c 0d 40 02 7f ff")));
    expect(reference.counters[3]).toBe(0);
    expect(reference.counters[4]).toBe(3);
  });

  test("every packet split at every byte offset (both phases)", async () => {
    for (const phase of ["A", "B"] as const) {
      const bytes = phase === "A" ? PHASE_A : PHASE_B;
      for (let k = 1; k < bytes.length; k++) {
        const split = (c: MqttClient, b: Uint8Array): void => {
          if (b !== bytes) return whole(c, b);
          c.hal.push(b.subarray(0, k));
          c.tick();
          c.hal.push(b.subarray(k));
          c.tick();
        };
        const o = await scenario(split);
        if (JSON.stringify(o) !== JSON.stringify(reference)) {
          expect({ phase, k, ...o }).toEqual({ phase, k, ...reference });
        }
      }
    }
  });

  test("one byte per recv call", async () => {
    const o = await scenario((c, b) => {
      c.hal.push(b);
      for (let i = 0; i < b.length; i++) c.tick();
    }, (c) => { c.hal.recvChunk = 1; });
    expect(o).toEqual(reference);
  });

  test("random-sized chunks (seeded, 300 runs)", async () => {
    for (let seed = 1; seed <= 300; seed++) {
      const r = rng(seed);
      const max = 1 + Math.floor(r() * 200);
      const o = await scenario((c, b) => {
        let off = 0;
        while (off < b.length) {
          const n = 1 + Math.floor(r() * max);
          c.hal.push(b.subarray(off, off + n));
          off += n;
          if (r() < 0.7) c.tick();
        }
        c.tick();
      }, (c) => { c.hal.recvChunk = 1 + Math.floor(r() * 300); });
      if (JSON.stringify(o) !== JSON.stringify(reference)) expect({ seed, ...o }).toEqual({ seed, ...reference });
    }
  });

  test("sock_recv returning 0 at every call index changes nothing", async () => {
    const count = await (async () => {
      let n = 0;
      await scenario((c, b) => { c.hal.push(b); for (let i = 0; i < 40; i++) c.tick(); n = c.hal.recvCalls; }, (c) => { c.hal.recvChunk = 16; });
      return n;
    })();
    expect(count).toBeGreaterThan(100);
    for (let i = 0; i < count; i++) {
      const o = await scenario((c, b) => { c.hal.push(b); for (let j = 0; j < 40; j++) c.tick(); }, (c) => {
        c.hal.recvChunk = 16;
        c.hal.recvScript.set(i, "zero");
      });
      if (JSON.stringify(o) !== JSON.stringify({ ...reference })) expect({ i, ...o }).toEqual({ i, ...reference });
    }
  });

  test("sock_recv failing at every call index: SOCKET_CLOSED, backoff, clean reconnect", async () => {
    for (let i = 0; i < 120; i++) {
      const c = await MqttClient.create({ downlink: DOWNLINK, backoffBase: 100, backoffCap: 100 });
      c.hal.recvChunk = 16;
      c.hal.recvScript.set(i, "error");
      c.hal.now = 5000;
      c.start();
      c.publish("tank/up", "r1", 1);
      c.tick();
      c.hal.push(PHASE_A);
      for (let j = 0; j < 3; j++) c.tick();
      if (c.state === S.CONNECTED) {
        c.unsubscribe("x");
        c.hal.push(PHASE_B);
        for (let j = 0; j < 40; j++) c.tick();
      }
      if (i < c.hal.recvCalls) {
        expect(c.state, `call ${i}`).toBe(S.BACKING_OFF);
        expect(c.lastDisconnect).toBe(R.SOCKET_CLOSED);
        expect(c.counter(C.SOCKET_ERRORS)).toBe(1);
        // Recovery on a fresh connection.
        c.hal.inbound = [];
        c.advance(100);
        c.tick();
        expect(c.state).toBe(S.AWAITING_CONNACK);
        c.hal.take();
        c.hal.push(CONNACK_OK);
        c.tick();
        const out = c.hal.take();
        const subId = (out[2]! << 8) | out[3]!;
        c.hal.push(suback(subId));
        c.tick();
        expect(c.state, `call ${i}: ${c.lastDisconnect} ${toHex(out)}`).toBe(S.CONNECTED);
        expect(c.sessionId).toBe(c.counter(C.CONNECTS));
      }
    }
  });

  test("sock_send accepting 0 bytes at every call index changes nothing", async () => {
    let calls = 0;
    await scenario((c, b) => { c.hal.push(b); for (let j = 0; j < 10; j++) c.tick(); calls = c.hal.sendCalls; });
    for (let i = 0; i < calls + 2; i++) {
      const o = await scenario((c, b) => { c.hal.push(b); for (let j = 0; j < 10; j++) c.tick(); }, (c) => c.hal.sendScript.set(i, 0));
      if (JSON.stringify(o) !== JSON.stringify(reference)) expect({ i, ...o }).toEqual({ i, ...reference });
    }
  });

  test("partial sends (1..7 bytes per call) keep the byte stream intact", async () => {
    for (const accept of [1, 2, 3, 7]) {
      const o = await scenario((c, b) => { c.hal.push(b); for (let j = 0; j < 400; j++) c.tick(); }, (c) => { c.hal.sendAccept = accept; });
      expect(o.sent, `accept ${accept}`).toBe(reference.sent);
    }
  });

  test("sock_send failing at every call index: SEND_FAILED and backoff", async () => {
    for (let i = 0; i < 12; i++) {
      const c = await MqttClient.create({ downlink: DOWNLINK });
      c.hal.sendScript.set(i, "error");
      c.hal.now = 5000;
      c.start();
      c.publish("tank/up", "r1", 1);
      c.tick();
      c.hal.push(PHASE_A);
      for (let j = 0; j < 3; j++) c.tick();
      if (c.state === S.CONNECTED) {
        c.unsubscribe("x");
        c.hal.push(PHASE_B);
        for (let j = 0; j < 10; j++) c.tick();
      }
      if (i < c.hal.sendCalls) {
        expect(c.state, `call ${i}`).toBe(S.BACKING_OFF);
        expect(c.lastDisconnect).toBe(R.SEND_FAILED);
      }
    }
  });

  test("sock_send claiming more than it was given is a HOST_VIOLATION", async () => {
    const c = await MqttClient.create({});
    c.hal.sendScript.set(0, "toomany");
    c.start();
    c.tick();
    expect(c.state).toBe(S.BACKING_OFF);
    expect(c.lastDisconnect).toBe(R.HOST_VIOLATION);
  });

  test("sock_recv returning more than asked at every call index is a HOST_VIOLATION", async () => {
    for (let i = 0; i < 60; i++) {
      const c = await MqttClient.create({ downlink: DOWNLINK });
      c.hal.recvChunk = 16;
      c.hal.recvScript.set(i, "toomany");
      c.start();
      c.tick();
      c.hal.push(PHASE_A);
      for (let j = 0; j < 3; j++) c.tick();
      if (c.state === S.CONNECTED) {
        c.unsubscribe("x");
        c.hal.push(PHASE_B);
        for (let j = 0; j < 10; j++) c.tick();
      }
      if (i < c.hal.recvCalls) {
        expect(c.state, `call ${i}`).toBe(S.BACKING_OFF);
        expect(c.lastDisconnect).toBe(R.HOST_VIOLATION);
      }
    }
  });

  test("back-pressure: a stalled socket holds inbound QoS 1 packets until their PUBACK fits, none lost", async () => {
    const c = await MqttClient.create({ downlink: "" });
    c.start();
    c.tick();
    c.hal.push(CONNACK_OK);
    c.tick();
    c.hal.take();
    c.hal.sendAccept = 0;
    const n = 300; // 300 PUBACKs = 1200 bytes, more than TX_CAP
    const stream: number[] = [];
    for (let i = 1; i <= n; i++) stream.push(...publishPacket("d", String(i), 1, i));
    c.hal.push(Uint8Array.from(stream));
    for (let j = 0; j < 50; j++) c.advance(1);
    expect(c.state).toBe(S.CONNECTED);
    expect(c.hal.messages.length).toBeLessThan(n);
    c.hal.sendAccept = Infinity;
    for (let j = 0; j < 200 && c.hal.messages.length < n; j++) c.advance(1);
    c.tick();
    const sent = c.hal.take();
    expect(sent.length).toBe(4 * n);
    for (let i = 1; i <= n; i++) expect((sent[4 * i - 2]! << 8) | sent[4 * i - 1]!).toBe(i);
    expect(c.hal.messages.map((m) => new TextDecoder().decode(m.payload))).toEqual(Array.from({ length: n }, (_, i) => String(i + 1)));
  });

  test("an oversize PUBLISH whose bytes trickle in is skipped without blocking, then the next one is delivered", async () => {
    const c = await MqttClient.create({ downlink: "" });
    c.start();
    c.tick();
    c.hal.push(CONNACK_OK);
    c.tick();
    c.hal.take();
    const pkt = publishPacket("d", new Uint8Array(100000).fill(7), 1, 42);
    for (let off = 0; off < pkt.length; off += 999) {
      c.hal.push(pkt.subarray(off, off + 999));
      c.advance(1);
      expect(c.state).toBe(S.CONNECTED);
    }
    expect(toHex(c.hal.take())).toBe("40 02 00 2a");
    c.hal.push(publishPacket("d", "ok", 0));
    c.tick();
    expect(c.hal.messages.map((m) => m.topic)).toEqual(["d"]);
    expect(c.counter(C.OVERSIZE)).toBe(1);
  });

  test("fuzz: random bytes after a valid CONNACK, random chunks (seeded, 3000 runs) never trap and close only with PROTOCOL_VIOLATION", async () => {
    for (let seed = 1; seed <= 3000; seed++) {
      const r = rng(seed * 7919);
      const c = await MqttClient.create({ downlink: "" });
      c.start();
      c.tick();
      c.hal.push(CONNACK_OK);
      c.tick();
      expect(c.state).toBe(S.CONNECTED);
      const n = 1 + Math.floor(r() * 400);
      const bytes = Uint8Array.from({ length: n }, () => Math.floor(r() * 256));
      c.hal.recvChunk = 1 + Math.floor(r() * 64);
      c.hal.push(bytes);
      for (let i = 0; i < 100; i++) c.advance(Math.floor(r() * 50));
      expect(c.hal.panics).toEqual([]);
      expect([S.CONNECTED, S.BACKING_OFF, S.SOCKET_CONNECTING, S.AWAITING_CONNACK]).toContain(c.state);
      if (c.lastDisconnect !== R.NONE) expect([R.PROTOCOL_VIOLATION, R.CONNECT_TIMEOUT, R.KEEPALIVE_TIMEOUT]).toContain(c.lastDisconnect);
    }
  });

  test("fuzz: one to four byte mutations of a valid stream (seeded, 3000 runs) never trap", async () => {
    for (let seed = 1; seed <= 3000; seed++) {
      const r = rng(seed * 104729);
      const bytes = PHASE_B.slice();
      const k = 1 + Math.floor(r() * 4);
      for (let i = 0; i < k; i++) bytes[Math.floor(r() * bytes.length)] = Math.floor(r() * 256);
      const c = await MqttClient.create({ downlink: DOWNLINK });
      c.start();
      c.tick();
      c.hal.push(PHASE_A);
      c.tick();
      c.hal.recvChunk = 1 + Math.floor(r() * 700);
      c.hal.push(bytes);
      for (let i = 0; i < 50; i++) c.advance(1);
      expect(c.hal.panics).toEqual([]);
      if (c.lastDisconnect !== R.NONE) expect(c.lastDisconnect).toBe(R.PROTOCOL_VIOLATION);
    }
  });

  test("publish/subscribe with buffers outside linear memory are refused, not trapped on", async () => {
    const c = await MqttClient.create({ downlink: "" });
    c.start();
    c.tick();
    c.hal.push(CONNACK_OK);
    c.tick();
    expect(c.x.publish_raw(65530, 10, 0, 1, 0, 0)).toBe(-4);
    expect(c.x.publish_raw(100, 1, 0xfffffff0, 100, 1, 0)).toBe(-4);
    expect(c.x.publish_raw(100, -1, 0, 1, 0, 0)).toBe(-4);
    expect(c.x.publish_raw(100, 1, 0, -5, 0, 0)).toBe(-4);
    expect(c.state).toBe(S.CONNECTED);
  });
});
