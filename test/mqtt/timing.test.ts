/**
 * Time-driven behaviour of the MQTT client: keep-alive across a u32 clock
 * wrap, ping timeout, connect timeouts, exponential backoff with jitter and
 * its reset, refusals that back off instead of spinning, and the QoS 1
 * window and queue.
 */
import { describe, test, expect } from "vitest";
import { MqttClient, S, R, C, toHex } from "../helpers/scripted-hal.js";
import { awaitingConnack, connected, publishPacket, suback, puback, CONNACK_OK, hex } from "../helpers/mqtt-session.js";

describe("keep-alive", () => {
  test("PINGREQ exactly one keep-alive period after the last send, with the u32 clock wrapping inside the interval", async () => {
    const c = await MqttClient.create({ downlink: "", keepAliveS: 10 });
    c.hal.now = 0xffffffff - 4000; // wraps 4 s into the interval
    c.start();
    c.tick();
    c.hal.push(CONNACK_OK);
    c.tick();
    expect(c.state).toBe(S.CONNECTED);
    c.hal.take();
    const t0 = c.hal.now;
    for (let ms = 0; ms < 9999; ms += 500) {
      c.hal.now = (t0 + ms) >>> 0;
      c.tick();
    }
    c.hal.now = (t0 + 9999) >>> 0;
    c.tick();
    expect(c.hal.take().length).toBe(0);
    expect(c.hal.now).toBeLessThan(t0); // the clock did wrap
    c.hal.now = (t0 + 10000) >>> 0;
    c.tick();
    expect(toHex(c.hal.take())).toBe("c0 00");
    // PINGRESP in time keeps the session; the next ping comes 10 s later.
    c.hal.push("d0 00");
    c.advance(100);
    expect(c.state).toBe(S.CONNECTED);
    c.hal.now = (t0 + 19999) >>> 0;
    c.tick();
    expect(c.hal.take().length).toBe(0);
    c.hal.now = (t0 + 20000) >>> 0;
    c.tick();
    expect(toHex(c.hal.take())).toBe("c0 00");
  });

  test("ping timeout measured across the wrap closes with KEEPALIVE_TIMEOUT", async () => {
    const c = await MqttClient.create({ downlink: "", keepAliveS: 5, pingTimeout: 3000 });
    c.hal.now = 0xffffffff - 6000;
    c.start();
    c.tick();
    c.hal.push(CONNACK_OK);
    c.tick();
    c.advance(5000);
    expect(toHex(c.hal.take()).endsWith("c0 00")).toBe(true);
    c.advance(2999);
    expect(c.state).toBe(S.CONNECTED);
    c.advance(1);
    expect(c.state).toBe(S.BACKING_OFF);
    expect(c.lastDisconnect).toBe(R.KEEPALIVE_TIMEOUT);
  });

  test("inbound traffic does not delay the PINGREQ owed for nothing sent", async () => {
    const c = await connected({ keepAliveS: 10 });
    for (let i = 1; i <= 9; i++) {
      c.hal.push(publishPacket("tank/dl", String(i), 0));
      c.advance(1000);
    }
    c.advance(999);
    expect(c.hal.take().length).toBe(0);
    c.advance(1);
    expect(toHex(c.hal.take())).toBe("c0 00");
  });

  test("a PINGREQ also goes out when nothing was received for the keep-alive period (dead-link detection)", async () => {
    const c = await connected({ keepAliveS: 10 });
    for (let i = 0; i < 10; i++) {
      c.advance(1000);
      c.publish("u", String(i), 0);
    }
    const sent = toHex(c.hal.take());
    expect(sent).toContain("30 04 00 01 75 38 c0 00"); // at 10 s without a received packet
  });

  test("a socket that stops taking bytes is closed after keep-alive + ping timeout (KEEPALIVE_TIMEOUT)", async () => {
    const c = await connected({ keepAliveS: 10, pingTimeout: 5000 });
    c.hal.sendAccept = 0;
    for (let i = 0; i < 20; i++) c.publish("u", new Uint8Array(100), 0); // fills the transmit queue
    c.advance(10000);
    expect(c.state).toBe(S.CONNECTED);
    c.advance(4999);
    expect(c.state).toBe(S.CONNECTED);
    c.advance(1);
    expect(c.lastDisconnect).toBe(R.KEEPALIVE_TIMEOUT);
  });

  test("a PINGREQ that could not be queued goes out as soon as the queue drains", async () => {
    const c = await connected({ keepAliveS: 10 });
    c.hal.sendAccept = 0;
    for (let i = 0; i < 20; i++) c.publish("u", new Uint8Array(100), 0);
    c.advance(10000);
    c.hal.sendAccept = Infinity;
    c.advance(10);
    const sent = toHex(c.hal.take());
    expect(sent.endsWith("c0 00")).toBe(true);
    c.hal.push("d0 00");
    c.advance(4990);
    c.advance(100);
    expect(c.state).toBe(S.CONNECTED);
  });

  test("tick's wait points at the next deadline (no 1 s cap); an idle client has none", async () => {
    const c = await connected({ keepAliveS: 2 });
    const w = c.advance(1500);
    expect(w).toBeLessThanOrEqual(500);
    expect(w).toBeGreaterThan(0);
    const c3 = await connected({ keepAliveS: 60 });
    const w3 = c3.advance(10_000);
    expect(w3).toBeLessThanOrEqual(50_000);  // the keep-alive deadline at the latest
    expect(w3).toBeGreaterThan(1000);        // a real deadline, not a forced wake-up
    const c2 = await MqttClient.create({});
    expect(c2.tick()).toBe(86_400_000);      // assembly/tunables.ts NO_DEADLINE_MS
  });
});

describe("connect timeouts", () => {
  test("socket never connects: CONNECT_TIMEOUT after connect_timeout", async () => {
    const c = await MqttClient.create({ connectTimeout: 3000 });
    c.hal.status = 0;
    c.start();
    c.advance(2999);
    expect(c.state).toBe(S.SOCKET_CONNECTING);
    c.advance(1);
    expect(c.state).toBe(S.BACKING_OFF);
    expect(c.lastDisconnect).toBe(R.CONNECT_TIMEOUT);
  });

  test("no CONNACK: CONNECT_TIMEOUT", async () => {
    const c = await awaitingConnack({ connectTimeout: 3000 });
    c.advance(2999);
    expect(c.state).toBe(S.AWAITING_CONNACK);
    c.advance(1);
    expect(c.lastDisconnect).toBe(R.CONNECT_TIMEOUT);
  });

  test("no SUBACK: CONNECT_TIMEOUT (the budget covers socket, CONNACK and SUBACK)", async () => {
    const c = await awaitingConnack({ connectTimeout: 3000 });
    c.hal.push(CONNACK_OK);
    c.advance(2000);
    expect(c.state).toBe(S.SUBSCRIBING);
    c.advance(1000);
    expect(c.lastDisconnect).toBe(R.CONNECT_TIMEOUT);
  });

  test("sock_connect failing at once and sock_status < 0 are SOCKET_FAILED", async () => {
    const c = await MqttClient.create({});
    c.hal.connectResult = -1;
    c.start();
    expect(c.state).toBe(S.BACKING_OFF);
    expect(c.lastDisconnect).toBe(R.SOCKET_FAILED);
    const d = await MqttClient.create({});
    d.hal.status = -1;
    d.start();
    d.tick();
    expect(d.lastDisconnect).toBe(R.SOCKET_FAILED);
    expect(d.counter(C.SOCKET_ERRORS)).toBe(1);
  });
});

describe("backoff", () => {
  test("delay is uniform in [base, min(cap, base*2^(n+1))], driven by random_u32", async () => {
    const c = await MqttClient.create({ backoffBase: 1000, backoffCap: 60000 });
    for (const r of [0, 1, 0x7fffffff, 0xffffffff, 12345]) {
      c.hal.randomValues = [r];
      for (let n = 0; n < 12; n++) {
        const ceil = Math.min(60000, 1000 * 2 ** (n + 1));
        const d = c.x.backoff_delay(n) >>> 0;
        expect(d).toBe(1000 + (r >>> 0) % (ceil - 1000 + 1));
      }
    }
    c.hal.randomValues = [];
    const seen = new Set<number>();
    for (let i = 0; i < 50; i++) seen.add(c.x.backoff_delay(3) >>> 0);
    expect(seen.size).toBeGreaterThan(10); // jitter
    for (const d of seen) { expect(d).toBeGreaterThanOrEqual(1000); expect(d).toBeLessThanOrEqual(16000); }
  });

  test("bad credentials (CONNACK 4) and not authorised (5) back off exponentially, never spin", async () => {
    for (const rc of [4, 5]) {
      const c = await MqttClient.create({ backoffBase: 1000, backoffCap: 60000 });
      // random_u32 values that make each delay the longest of its window.
      c.hal.randomValues = [1000, 3000, 7000, 15000, 31000, ...Array(20).fill(59000)];
      c.start();
      const attemptsAt: number[] = [];
      let last = -1;
      for (let t = 0; t < 600000; t += 50) {
        c.hal.now = t;
        c.tick();
        if (c.state === S.AWAITING_CONNACK && c.hal.connects.length !== last) {
          last = c.hal.connects.length;
          attemptsAt.push(t);
          c.hal.push(`20 02 00 0${rc}`);
        }
      }
      expect(c.lastDisconnect).toBe(rc === 4 ? R.CONNACK_BAD_CREDENTIALS : R.CONNACK_NOT_AUTHORISED);
      expect(c.counter(C.DISCONNECT_BASE + c.lastDisconnect)).toBe(c.counter(C.ATTEMPTS));
      const gaps = attemptsAt.slice(1).map((t, i) => t - attemptsAt[i]!);
      // 2, 4, 8, 16, 32 s, then capped at 60 s: 14 attempts in 10 minutes.
      const want = [2000, 4000, 8000, 16000, 32000, ...Array(20).fill(60000)];
      gaps.forEach((g, i) => { expect(g).toBeGreaterThanOrEqual(want[i]!); expect(g).toBeLessThanOrEqual(want[i]! + 50); });
      expect(c.counter(C.ATTEMPTS)).toBe(14);
      expect(c.hal.logs.some((l) => l.text.includes(`reason ${rc === 4 ? 7 : 8}`))).toBe(true);
    }
  });

  test("the backoff resets after a connection stayed up for mqtt_stable_ms", async () => {
    const c = await MqttClient.create({ downlink: "", backoffBase: 1000, backoffCap: 60000, stableMs: 30000 });
    c.hal.randomValues = [1000, 3000, 7000, 1000];
    c.start();
    c.tick();
    // Three quick failures grow the window.
    for (let i = 0; i < 3; i++) {
      c.hal.push("20 02 00 03");
      c.tick();
      expect(c.state).toBe(S.BACKING_OFF);
      for (let k = 0; k < 200 && c.state !== S.AWAITING_CONNACK; k++) c.advance(500);
    }
    // Now a session that stays up 30 s, then drops: the next delay is base..2*base again.
    c.hal.push(CONNACK_OK);
    c.tick();
    expect(c.state).toBe(S.CONNECTED);
    for (let k = 0; k < 60; k++) c.advance(500);
    c.hal.peerClosed = true;
    c.tick();
    expect(c.state).toBe(S.BACKING_OFF);
    const t = c.hal.now;
    for (let k = 0; k < 100 && c.state === S.BACKING_OFF; k++) c.advance(100);
    expect(c.hal.now - t).toBe(2000);
  });

  test("a connection that drops before it is stable keeps growing the backoff", async () => {
    const c = await MqttClient.create({ downlink: "", stableMs: 60000 });
    c.hal.randomValues = [1000, 3000, 7000];
    c.start();
    c.tick();
    const gaps: number[] = [];
    for (let i = 0; i < 3; i++) {
      c.hal.push(CONNACK_OK);
      c.tick();
      expect(c.state).toBe(S.CONNECTED);
      c.hal.peerClosed = true;
      c.tick();
      const t = c.hal.now;
      for (let k = 0; k < 1000 && c.state === S.BACKING_OFF; k++) c.advance(100);
      gaps.push(c.hal.now - t);
      c.tick();
    }
    expect(gaps).toEqual([2000, 4000, 8000]);
  });
});

describe("QoS 1 window and queue", () => {
  test("inflight window: the 5th unacknowledged message is refused (WINDOW_FULL) and counted", async () => {
    const c = await connected({ inflight: 4 });
    for (let i = 0; i < 4; i++) expect(c.publish("u", String(i), 1)).toBe(0);
    expect(c.publish("u", "4", 1)).toBe(-3);
    expect(c.counter(C.DROPPED)).toBe(1);
    c.hal.push(puback(2));
    c.tick();
    expect(c.publish("u", "4", 1)).toBe(0);
  });

  test("QoS 1 published while backing off is stored and sent after CONNACK, without DUP", async () => {
    const c = await connected({ backoffBase: 100, backoffCap: 100 });
    c.hal.peerClosed = true;
    c.tick();
    expect(c.state).toBe(S.BACKING_OFF);
    expect(c.publish("u", "x", 1)).toBe(0);
    expect(c.publish("u", "y", 0)).toBe(-1); // QoS 0 needs a session
    c.advance(100);
    c.hal.take();
    c.hal.push(CONNACK_OK);
    c.tick();
    const sent = toHex(c.hal.take());
    expect(sent).toContain("32 06 00 01 75 00 02 78");
    expect(c.counter(C.RETRANSMISSIONS)).toBe(0);
  });

  test("a message resent with DUP and acknowledged is released; a duplicate PUBACK is ignored", async () => {
    const c = await connected({ backoffBase: 100, backoffCap: 100 });
    c.publish("u", "x", 1);
    c.hal.take();
    c.hal.peerClosed = true;
    c.tick();
    c.advance(100);
    c.hal.push(CONNACK_OK);
    c.tick();
    expect(toHex(c.hal.take())).toContain("3a 06 00 01 75 00 02 78");
    c.hal.push(suback(3));
    c.hal.push(puback(2));
    c.hal.push(puback(2));
    c.tick();
    expect(c.state).toBe(S.CONNECTED);
    expect(c.x.inflight()).toBe(0);
    expect(c.sessionId).toBe(2);
  });

  test("too big for a slot / the transmit buffer: TOO_BIG; QoS 0 with a full queue: BUSY", async () => {
    const c = await connected();
    expect(c.publish("u", new Uint8Array(400), 1)).toBe(-2);
    expect(c.publish("u", new Uint8Array(600), 0)).toBe(-2);
    c.hal.sendAccept = 0;
    let busy = 0;
    for (let i = 0; i < 10; i++) if (c.publish("u", new Uint8Array(100), 0) === -5) busy++;
    expect(busy).toBeGreaterThan(0);
    c.hal.sendAccept = Infinity;
    c.tick();
    expect(c.publish("u", new Uint8Array(100), 0)).toBe(0);
  });

  test("stop discards the queue, sends DISCONNECT after any partly sent packet, and a restart connects afresh", async () => {
    const c = await connected();
    c.hal.sendAccept = 3;
    c.publish("u", "abcdef", 0);
    c.hal.sendAccept = Infinity;
    c.stop();
    const sent = toHex(c.hal.take());
    expect(sent).toBe("30 09 00 01 75 61 62 63 64 65 66 e0 00");
    expect(c.state).toBe(S.STOPPED);
    c.start();
    c.tick();
    expect(c.state).toBe(S.AWAITING_CONNACK);
    expect(c.hal.connects.length).toBe(2);
  });

  test("messages delivered during SUBSCRIBING (before SUBACK) are accepted", async () => {
    const c = await awaitingConnack();
    c.hal.push(CONNACK_OK);
    c.hal.push(publishPacket("tank/dl", "early", 1, 77));
    c.hal.push(suback(1));
    c.tick();
    expect(c.state).toBe(S.CONNECTED);
    expect(toHex(c.hal.take())).toContain("40 02 00 4d");
    expect(c.hal.messages.length).toBe(1);
  });

  test("session id counts full sessions only", async () => {
    const c = await connected({ backoffBase: 100, backoffCap: 100 });
    expect(c.sessionId).toBe(1);
    c.hal.peerClosed = true;
    c.tick();
    c.advance(100);
    c.hal.push(hex(CONNACK_OK));
    c.tick();
    expect(c.sessionId).toBe(1);
    c.hal.push(suback(2));
    c.tick();
    expect(c.sessionId).toBe(2);
  });
});
