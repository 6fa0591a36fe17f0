/**
 * Link recovery of the MQTT client against a scripted broker
 * (test/helpers/scripted-broker.ts): the client is never stuck.
 *
 * - An undeliverable QoS 1 message (the broker drops the link whenever it
 *   arrives) ends at most UNDELIVERABLE_STRIKES = 3 connections, is then
 *   dropped and counted, and everything else (uplinks and downlinks) flows.
 * - A stored message superseded by a newer one carrying all its facts is
 *   never sent again; every stored message ends acknowledged, superseded or
 *   undeliverable (counted), never silently.
 * - A lost PUBACK on a link kept alive by PINGRESP: DISCONNECT and reconnect
 *   after the PUBACK timeout, and the message is resent.
 * - A refused SUBACK: DISCONNECT before the close (no will), then backoff.
 * - A keep-alive refused as mosquitto >= 2.0.12 refuses it (CONNACK 2, with
 *   or without session present): a named reason, a log line that says what
 *   to change, backoff.
 * Each is a property over random parameters, not one example.
 */
import { describe, expect, test } from "vitest";
import fc from "fast-check";
import { MqttClient, S, R, C, type ClientConfig } from "../helpers/scripted-hal.js";
import { ScriptedBroker, run, type BrokerRules } from "../helpers/scripted-broker.js";

const DL = "tank/dl";

async function rig(config: ClientConfig = {}, rules: BrokerRules = {}): Promise<{ c: MqttClient; b: ScriptedBroker }> {
  const c = await MqttClient.create({ downlink: DL, backoffBase: 100, backoffCap: 400, keepAliveS: 60, ...config });
  const b = new ScriptedBroker(c, rules);
  c.hal.now = 1000;
  c.start();
  c.tick();
  b.step();
  run(c, b, 2000, 10, () => c.state === S.CONNECTED);
  if (c.state !== S.CONNECTED) throw new Error(`not connected: state ${c.state}, reason ${c.lastDisconnect}`);
  return { c, b };
}

describe("an undeliverable QoS 1 message does not block the device", () => {
  test("the broker drops the link whenever one message arrives: it ends exactly 3 connections, is dropped and counted; the others and downlinks get through", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 0, max: 3 }), fc.integer({ min: 0, max: 3 }), fc.integer({ min: 1, max: 40 }), fc.boolean(),
        async (before, after, recvChunk, latestMasks) => {
          const { c, b } = await rig({ inflight: 8 }, { closeOnPublish: (p) => p.payload === "poison" });
          c.hal.recvChunk = recvChunk;
          const names = [...Array.from({ length: before }, (_, i) => `a${i}`), "poison", ...Array.from({ length: after }, (_, i) => `z${i}`)];
          // Distinct masks (or none): no message supersedes another here.
          names.forEach((n, i) => expect(c.publishLatest("tank/up", n, 1, latestMasks ? 1 << i : 0)).toBe(0));
          b.step();
          run(c, b, 10_000, 10, () => c.x.inflight() === 0 && c.state === S.CONNECTED);
          expect(b.received("poison").length).toBe(3);
          expect(b.closedOnPublish.length).toBe(3);
          expect(c.counter(C.UNDELIVERABLE)).toBe(1);
          expect(c.counter(C.SUPERSEDED)).toBe(0);
          for (const n of names.filter((x) => x !== "poison")) expect(b.received(n).length, n).toBeGreaterThan(0);
          expect(c.x.inflight()).toBe(0);
          // The link is healthy again: a downlink is delivered and new uplinks are acknowledged.
          const linksBefore = b.conns;
          b.deliver(DL, "on", 1, 7);
          expect(c.publish("tank/up", "after", 1)).toBe(0);
          run(c, b, 30_000, 100);
          expect(c.hal.messages.map((m) => new TextDecoder().decode(m.payload))).toContain("on");
          expect(b.received("after").length).toBe(1);
          expect(b.conns).toBe(linksBefore);
          expect(c.state).toBe(S.CONNECTED);
        },
      ),
      { numRuns: 40 },
    );
  });

  test("a message that ended fewer than 3 connections is still delivered once the broker takes it (transient faults drop nothing)", async () => {
    for (const closes of [1, 2]) {
      let left = closes;
      const { c, b } = await rig({}, { closeOnPublish: (p) => p.payload === "m" && left-- > 0 });
      expect(c.publish("tank/up", "m", 1)).toBe(0);
      run(c, b, 10_000, 10, () => c.x.inflight() === 0 && c.state === S.CONNECTED);
      expect(b.received("m").length).toBe(closes + 1);
      expect(b.received("m").at(-1)!.dup).toBe(true);
      expect(c.counter(C.UNDELIVERABLE)).toBe(0);
    }
  });

  test("a connection ending before the message was fully written to the socket is no strike against it", async () => {
    const { c, b } = await rig({}, {});
    c.hal.sendAccept = 5; // the socket takes 5 bytes per call: the message is still partly queued when the link drops
    expect(c.publish("tank/up", "m".repeat(60), 1)).toBe(0);
    for (let k = 0; k < 6; k++) {
      b.close();
      run(c, b, 3000, 10, () => c.state === S.CONNECTED);
      c.tick();
      b.step();
    }
    c.hal.sendAccept = Infinity;
    run(c, b, 5000, 10, () => c.x.inflight() === 0);
    expect(c.counter(C.UNDELIVERABLE)).toBe(0);
    expect(b.received("m".repeat(60)).length).toBeGreaterThan(0);
  });
});

describe("superseded messages are never resent", () => {
  // Random operations on a connected client; each publish has a unique payload and a random mask.
  const op = fc.oneof(
    fc.record({ k: fc.constant("pub" as const), mask: fc.constantFrom(0, 1, 2, 3), qos: fc.constantFrom(1, 1, 1, 0) }),
    fc.record({ k: fc.constant("cut" as const) }),
    fc.record({ k: fc.constant("ack" as const), on: fc.boolean() }),
    fc.record({ k: fc.constant("stall" as const), on: fc.boolean() }),
    fc.record({ k: fc.constant("wait" as const), ms: fc.integer({ min: 10, max: 800 }) }),
  );

  test("after a newer stored message carries all of an older one's facts, the older one never reaches the broker on a later connection; every message ends acknowledged, superseded or undeliverable", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(op, { minLength: 5, maxLength: 40 }), async (ops) => {
        const acking = { on: true };
        const acked = new Set<string>();
        const ack = (p: { payload: string }): boolean => {
          if (acking.on) acked.add(p.payload);
          return acking.on;
        };
        const { c, b } = await rig({ inflight: 8, pubackTimeout: 3_600_000 }, { ack });
        const stored: { payload: string; mask: number; conn: number }[] = [];
        const supersededAt = new Map<string, number>(); // payload -> connection number when superseded
        let n = 0;
        for (const o of ops) {
          if (o.k === "pub") {
            const payload = `m${n++}`;
            const rc = c.publishLatest("tank/up", payload, o.qos, o.mask);
            if (rc === 0 && o.qos === 1) {
              for (const s of stored) {
                if (s.mask !== 0 && (s.mask & ~o.mask) === 0 && !supersededAt.has(s.payload)) supersededAt.set(s.payload, b.conns);
              }
              stored.push({ payload, mask: o.mask, conn: b.conns });
            }
          } else if (o.k === "cut") {
            b.close();
          } else if (o.k === "ack") {
            acking.on = o.on;
          } else if (o.k === "stall") {
            c.hal.sendAccept = o.on ? 0 : Infinity;
          } else {
            run(c, b, o.ms, 10);
          }
          b.step();
        }
        c.hal.sendAccept = Infinity;
        acking.on = true;
        b.close(); // what was received unacknowledged is resent on the next connection
        run(c, b, 20_000, 10, () => c.x.inflight() === 0 && c.state === S.CONNECTED);
        expect(c.x.inflight()).toBe(0);
        for (const [payload, conn] of supersededAt) {
          const later = b.received(payload).filter((p) => p.conn > conn);
          expect(later, `${payload} superseded on connection ${conn}`).toEqual([]);
        }
        // Conservation: each stored message was acknowledged (the broker acks what it receives, and
        // its PUBACKs always reach the client here), or dropped and counted.
        const delivered = stored.filter((s) => acked.has(s.payload)).length;
        expect(delivered + c.counter(C.SUPERSEDED) + c.counter(C.UNDELIVERABLE)).toBe(stored.length);
      }),
      { numRuns: 150 },
    );
  });

  test("example: a reading superseded while the link is down is not resent; the newer one is", async () => {
    const { c, b } = await rig({});
    expect(c.publishLatest("tank/up", "old", 1, 1)).toBe(0);
    c.hal.sendAccept = 0; // nothing leaves: the old reading waits in the queue
    b.close();
    run(c, b, 50);
    expect(c.state).toBe(S.BACKING_OFF);
    expect(c.publishLatest("tank/up", "new", 1, 1)).toBe(0);
    expect(c.counter(C.SUPERSEDED)).toBe(1);
    c.hal.sendAccept = Infinity;
    run(c, b, 5000, 10, () => c.x.inflight() === 0 && c.state === S.CONNECTED);
    expect(b.received("old").length).toBe(0);
    expect(b.received("new").length).toBe(1);
  });
});

describe("PUBACK timeout", () => {
  test("a broker that answers PINGREQ but loses PUBACKs: DISCONNECT and reconnect once the oldest message waited the timeout, then it is resent", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 120 }), fc.option(fc.integer({ min: 1000, max: 300_000 }), { nil: undefined }), fc.integer({ min: 0, max: 5000 }),
        async (keepAliveS, pubackTimeout, delay) => {
          const rules: BrokerRules = { ack: () => false };
          const { c, b } = await rig({ keepAliveS, pubackTimeout: pubackTimeout ?? 0, pingTimeout: 5000, stableMs: 1000 }, rules);
          const timeout = pubackTimeout ?? keepAliveS * 2000;
          run(c, b, delay, 50);
          const t0 = c.hal.now;
          expect(c.publish("tank/up", "m1", 1)).toBe(0);
          b.step();
          const conn = b.conns;
          const step = 50;
          let closedAt = -1;
          for (let t = 0; t <= timeout + 2 * step; t += step) {
            c.advance(step);
            b.step();
            if (c.state !== S.CONNECTED) { closedAt = (c.hal.now - t0) >>> 0; break; }
          }
          expect(c.lastDisconnect).toBe(R.PUBACK_TIMEOUT);
          expect(closedAt).toBeGreaterThanOrEqual(timeout);
          expect(closedAt).toBeLessThanOrEqual(timeout + step);
          expect(b.disconnects).toContain(conn); // DISCONNECT before the close
          expect(c.counter(C.PUBACK_TIMEOUTS)).toBe(1);
          if (timeout > keepAliveS * 1000 + step) expect(b.pings).toBeGreaterThan(0); // the link was kept alive meanwhile
          // The broker acknowledges again: the resend (DUP) is acknowledged and the window is free.
          rules.ack = () => true;
          run(c, b, 5000, 10, () => c.x.inflight() === 0 && c.state === S.CONNECTED);
          expect(b.received("m1").at(-1)!.dup).toBe(true);
          expect(c.x.inflight()).toBe(0);
        },
      ),
      { numRuns: 40 },
    );
  });

  test("a PUBACK in time keeps the connection; the timeout is measured per message, from the oldest unacknowledged one", async () => {
    const acked = new Set<string>();
    const { c, b } = await rig({ keepAliveS: 10, pubackTimeout: 5000 }, { ack: (p) => acked.has(p.payload) });
    acked.add("a");
    c.publish("tank/up", "a", 1);
    run(c, b, 4000, 100);
    c.publish("tank/up", "b", 1); // never acknowledged
    run(c, b, 4900, 100);
    expect(c.state).toBe(S.CONNECTED); // "a" was acked; "b" is 4.9 s old
    run(c, b, 200, 100);
    expect(c.lastDisconnect).toBe(R.PUBACK_TIMEOUT);
  });

  test("default: twice the keep-alive, 120 s when keep-alive is off", async () => {
    for (const [ka, expected] of [[30, 60_000], [0, 120_000]] as const) {
      const { c, b } = await rig({ keepAliveS: ka }, { ack: () => false });
      c.publish("tank/up", "x", 1);
      run(c, b, expected - 100, 100);
      expect(c.state, `keep-alive ${ka}`).toBe(S.CONNECTED);
      run(c, b, 200, 100);
      expect(c.lastDisconnect, `keep-alive ${ka}`).toBe(R.PUBACK_TIMEOUT);
    }
  });
});

describe("refused SUBACK", () => {
  test("every refusal ends with DISCONNECT before the close (the broker discards the will), and the retries back off", async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 100, max: 2000 }), fc.integer({ min: 1, max: 30 }), async (base, capMul) => {
        const c = await MqttClient.create({ downlink: DL, backoffBase: base, backoffCap: base * capMul, willTopic: "tank/will", willPayload: "offline" });
        const b = new ScriptedBroker(c, { subackCode: () => 0x80 });
        c.hal.now = 1000;
        c.start();
        c.tick();
        b.step();
        run(c, b, 60_000, 10);
        expect(b.conns).toBeGreaterThan(1);
        // Every connection that got its SUBACK refusal ended with DISCONNECT.
        const ended = b.conns - (c.state === S.BACKING_OFF ? 0 : 1);
        expect(b.disconnects.length).toBe(ended);
        expect(new Set(b.disconnects).size).toBe(ended);
        expect(c.lastDisconnect === R.SUBSCRIBE_REFUSED || c.state !== S.BACKING_OFF).toBe(true);
        expect(c.counter(C.DISCONNECT_BASE + R.SUBSCRIBE_REFUSED)).toBe(ended);
        // Backoff: attempts never closer than the base, and never more than 60 s / base of them.
        const at = c.hal.connects.map((x) => x.at);
        for (let i = 1; i < at.length; i++) expect(at[i]! - at[i - 1]!).toBeGreaterThanOrEqual(base);
        expect(at.length).toBeLessThanOrEqual(Math.ceil(60_000 / base) + 1);
      }),
      { numRuns: 30 },
    );
  });
});

describe("keep-alive refused as mosquitto >= 2.0.12 refuses it", () => {
  // mosquitto 2.0.12+ (handle_connect.c): a 3.1.1 CONNECT whose keep-alive exceeds max_keepalive, or is 0 while
  // max_keepalive is set, gets CONNACK "identifier rejected" (2) with the session-present flag it would have sent,
  // and the connection is closed.
  const strict = (max: number, sessionPresent: boolean): BrokerRules => ({
    connack: (ci) => (ci.keepAlive > max || ci.keepAlive === 0 ? [sessionPresent ? 1 : 0, 2] : [0, 0]),
  });

  test("refused: named reason CONNACK_IDENTIFIER, a log line naming mqtt_keepalive_s and max_keepalive, backoff; accepted when within the limit", async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 0, max: 3600 }), fc.integer({ min: 1, max: 3600 }), fc.boolean(), async (ka, max, sp) => {
        const c = await MqttClient.create({ downlink: DL, keepAliveS: ka, cleanSession: !sp, backoffBase: 500, backoffCap: 8000 });
        const b = new ScriptedBroker(c, strict(max, sp));
        c.hal.now = 1000;
        c.start();
        c.tick();
        b.step();
        run(c, b, 30_000, 10);
        if (ka === 0 || ka > max) {
          expect(c.state).not.toBe(S.CONNECTED);
          expect(c.lastDisconnect).toBe(R.CONNACK_IDENTIFIER);
          expect(c.counter(C.PROTOCOL_ERRORS)).toBe(0);
          const hint = c.hal.logs.filter((l) => l.text.includes("max_keepalive"));
          expect(hint.length).toBe(b.conns);
          expect(hint[0]!.text).toContain(`mqtt_keepalive_s ${ka} `);
          const at = c.hal.connects.map((x) => x.at);
          for (let i = 1; i < at.length; i++) expect(at[i]! - at[i - 1]!).toBeGreaterThanOrEqual(500);
          expect(at.length).toBeLessThanOrEqual(30_000 / 500 + 1);
          expect(at.length).toBeGreaterThan(2);
        } else {
          expect(c.state).toBe(S.CONNECTED);
          expect(b.conns).toBe(1);
        }
      }),
      { numRuns: 60 },
    );
  });
});
