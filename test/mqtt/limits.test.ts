/**
 * Boundaries of the MQTT client: remaining-length encoding limits, packets
 * exactly at and one byte over the receive buffer, outgoing packets exactly
 * at and over the transmit buffer and the QoS 1 slot, and a property test
 * (fast-check) that any PUBLISH the client can send is delivered unchanged
 * when it comes back through the receive path.
 */
import { describe, test, expect } from "vitest";
import fc from "fast-check";
import { MqttClient, S, C, toHex } from "../helpers/scripted-hal.js";
import { connected, publishPacket, remLen } from "../helpers/mqtt-session.js";

const RX_CAP = 1024;
const TX_CAP = 512;
const SLOT_CAP = 384;

describe("remaining length", () => {
  test("sizes at every boundary: 1..4 bytes, out of range above 268,435,455", async () => {
    const c = await MqttClient.create({});
    const cases: [number, number][] = [[0, 1], [127, 1], [128, 2], [16383, 2], [16384, 3], [2097151, 3], [2097152, 4], [268435455, 4], [268435456, -1], [-1, -1]];
    for (const [n, size] of cases) expect(c.x.rl_size(n), String(n)).toBe(size);
    expect(c.x.rl_max()).toBe(268435455);
  });

  test("decode: every boundary value, need-more for every truncation, malformed 5th byte", async () => {
    const c = await MqttClient.create({});
    for (const n of [0, 1, 127, 128, 129, 16383, 16384, 2097151, 2097152, 268435454, 268435455]) {
      const enc = remLen(n);
      c.setScratch(enc);
      expect(c.x.rl_decode(enc.length)).toBe(n);
      expect(c.x.rl_bytes()).toBe(enc.length);
      for (let k = 0; k < enc.length; k++) expect(c.x.rl_decode(k)).toBe(-1);
    }
    c.setScratch([0xff, 0xff, 0xff, 0xff, 0x01]);
    expect(c.x.rl_decode(5)).toBe(-2);
    expect(c.x.rl_decode(4)).toBe(-2);
    c.setScratch([0x80, 0x80, 0x80, 0x80]);
    expect(c.x.rl_decode(4)).toBe(-2);
    c.setScratch([0x80, 0x00]); // non-minimal zero: accepted by 3.1.1
    expect(c.x.rl_decode(2)).toBe(0);
  });

  test("the encoder switches from 1 to 2 length bytes between remaining length 127 and 128", async () => {
    const c = await connected();
    c.publish("t", new Uint8Array(127 - 3), 0);
    expect(toHex(c.hal.take().subarray(0, 2))).toBe("30 7f");
    c.publish("t", new Uint8Array(128 - 3), 0);
    expect(toHex(c.hal.take().subarray(0, 3))).toBe("30 80 01");
  });
});

describe("buffer boundaries", () => {
  test("an inbound packet of exactly RX_CAP bytes is delivered; one byte more is skipped", async () => {
    const c = await connected();
    // 1 + 2 (length) + 2 + 7 ("tank/dl") + payload = RX_CAP
    const fit = publishPacket("tank/dl", new Uint8Array(RX_CAP - 12).fill(0x61), 0);
    expect(fit.length).toBe(RX_CAP);
    c.hal.push(fit);
    c.tick();
    expect(c.hal.messages.length).toBe(1);
    expect(c.hal.messages[0]!.payload.length).toBe(RX_CAP - 12);
    const over = publishPacket("tank/dl", new Uint8Array(RX_CAP - 11).fill(0x62), 1, 5);
    c.hal.push(over);
    c.hal.push(publishPacket("tank/dl", "next", 0));
    c.tick();
    expect(c.hal.messages.length).toBe(2);
    expect(new TextDecoder().decode(c.hal.messages[1]!.payload)).toBe("next");
    expect(c.counter(C.OVERSIZE)).toBe(1);
    expect(toHex(c.hal.take())).toBe("40 02 00 05");
    expect(c.state).toBe(S.CONNECTED);
  });

  test("outgoing QoS 0 up to TX_CAP and QoS 1 up to SLOT_CAP bytes; one more is TOO_BIG", async () => {
    const c = await connected();
    // QoS 0, topic "u": 1 + 2 (length) + 2 + 1 + payload
    expect(c.publish("u", new Uint8Array(TX_CAP - 6), 0)).toBe(0);
    expect(c.hal.take().length).toBe(TX_CAP);
    expect(c.publish("u", new Uint8Array(TX_CAP - 5), 0)).toBe(-2);
    // QoS 1: + 2 bytes of packet id
    expect(c.publish("u", new Uint8Array(SLOT_CAP - 8), 1)).toBe(0);
    expect(c.hal.take().length).toBe(SLOT_CAP);
    expect(c.publish("u", new Uint8Array(SLOT_CAP - 7), 1)).toBe(-2);
  });
});

/** Packet id of the QoS 1 PUBLISH at the start of `b`. */
function publishId(b: Uint8Array): number {
  let o = 1;
  while (b[o]! & 0x80) o++;
  o++;
  const tl = (b[o]! << 8) | b[o + 1]!;
  o += 2 + tl;
  return (b[o]! << 8) | b[o + 1]!;
}

describe("round trip (fast-check)", () => {
  test("any valid topic and payload the client accepts to send is delivered unchanged when received", async () => {
    const c = await connected({ downlink: "" });
    const enc = new TextEncoder();
    const topicArb = fc.string({ unit: "grapheme", minLength: 1, maxLength: 40 })
      .filter((t) => !t.includes("+") && !t.includes("#") && !t.includes("\u0000") && t.length > 0);
    fc.assert(
      fc.property(topicArb, fc.uint8Array({ maxLength: 300 }), fc.integer({ min: 0, max: 1 }), fc.integer({ min: 1, max: 65535 }), (topic, payload, qos, id) => {
        const before = c.hal.messages.length;
        const rc = c.publish(topic, payload, qos);
        const sent = c.hal.take();
        if (rc !== 0) { expect(rc).toBe(-2); return; } // too big for the buffer: nothing to compare
        expect(sent[0]).toBe(qos === 1 ? 0x32 : 0x30);
        if (qos === 1) { const pid = publishId(sent); c.hal.push(Uint8Array.from([0x40, 2, pid >> 8, pid & 0xff])); }
        // Echo it back as the broker would deliver it (QoS as sent, id chosen by the broker).
        c.hal.push(publishPacket(enc.encode(topic), payload, qos, id));
        c.tick();
        c.hal.take();
        expect(c.x.inflight()).toBe(0);
        expect(c.state).toBe(S.CONNECTED);
        expect(c.hal.messages.length).toBe(before + 1);
        const m = c.hal.messages.at(-1)!;
        expect(toHex(m.topicBytes)).toBe(toHex(enc.encode(topic)));
        expect(toHex(m.payload)).toBe(toHex(payload));
      }),
      { numRuns: 500, seed: 20261124 },
    );
    expect(c.counter(C.PROTOCOL_ERRORS)).toBe(0);
  });
});
