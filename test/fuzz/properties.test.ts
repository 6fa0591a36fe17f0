/**
 * Property tests (fast-check) of the MQTT remaining length, through the
 * MQTT client's scripted socket (test/helpers/scripted-hal.ts): what
 * mqtt-packet (an independent encoder) writes, the client decodes, for every
 * length class (1-, 2- and 3-byte remaining lengths, both sides of the
 * receive buffer's size, any chunking); what the client writes, mqtt-packet
 * decodes. The JSON scanner's differential test against JSON.parse lives in
 * test/json/scan.test.ts and the pump rules' properties in
 * test/pump/property.test.ts; they are not repeated here.
 */
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import mqttPacket from "mqtt-packet";
import { connected, DOWNLINK } from "../helpers/mqtt-session.js";
import { C, S } from "../helpers/scripted-hal.js";
import { readFileSync } from "node:fs";
import { packagePath } from "../../sim/paths.js";

// Buffer sizes as the firmware declares them (assembly/tunables.ts), not copied here.
const TUNABLES_TS = readFileSync(packagePath("assembly", "tunables.ts"), "utf8");
function cap(name: string): number {
  const m = new RegExp(`export const ${name}: i32 = (\\d+)`).exec(TUNABLES_TS);
  if (!m) throw new Error(`${name} not found in assembly/tunables.ts`);
  return Number(m[1]);
}
const RX_CAP = cap("RX_CAP");
const TX_CAP = cap("TX_CAP");
const SLOT_CAP = cap("SLOT_CAP");

function encodePublish(topic: string, payload: Uint8Array, qos: 0 | 1, id: number): Uint8Array {
  return new Uint8Array(mqttPacket.generate({ cmd: "publish", topic, payload: Buffer.from(payload), qos, messageId: qos ? id : undefined, dup: false, retain: false }));
}

function remLenBytes(pkt: Uint8Array): number {
  let i = 1;
  while (pkt[i]! & 0x80) i++;
  return i;
}

/** Payload sizes weighted to the length-class boundaries. */
const payloadSize = fc.oneof(
  fc.integer({ min: 0, max: 140 }),
  fc.constantFrom(117, 118, 119, 120, 121, 122, 123, 124, 125, 126, 127, 128, 129, 1000, 1011, 1012, 1013, 1014, 1015, 1016, 1017, 1018, 1019, 1020),
  fc.integer({ min: 900, max: 1100 }),
  fc.integer({ min: 16_370, max: 16_400 }), // 2 -> 3 length bytes
  fc.integer({ min: 1100, max: 40_000 }),
);

describe("MQTT remaining length (property)", () => {
  it("the client decodes what mqtt-packet encodes: delivered exactly, or skipped as oversize, and the stream stays framed", async () => {
    const c = await connected();
    let delivered = 0;
    let skipped = 0;
    await fc.assert(fc.asyncProperty(
      payloadSize, fc.constantFrom<0 | 1>(0, 1), fc.integer({ min: 1, max: 65535 }), fc.integer({ min: 1, max: 4096 }), fc.integer({ min: 0, max: 255 }),
      async (size, qos, id, chunk, fill) => {
        const payload = new Uint8Array(size).fill(fill);
        const pkt = encodePublish(DOWNLINK, payload, qos, id);
        const hdr = 1 + remLenBytes(pkt);
        const msgs = c.hal.messages.length;
        const over = c.hal.oversizes.length;
        c.hal.recvChunk = size > 2000 ? Math.max(chunk, 512) : chunk;
        c.hal.push(pkt);
        // A marker PUBLISH right behind it proves the framing survived.
        c.hal.push(encodePublish(DOWNLINK, new TextEncoder().encode("marker"), 0, 0));
        for (let k = 0; k < 20_000 && c.hal.inbound.length > 0; k++) c.advance(1);
        c.advance(1);
        expect(c.state).toBe(S.CONNECTED);
        const fits = pkt.length - hdr <= RX_CAP - hdr;
        if (fits) {
          expect(c.hal.messages.length).toBe(msgs + 2);
          expect(Buffer.from(c.hal.messages[msgs]!.payload).equals(Buffer.from(payload))).toBe(true);
          delivered++;
        } else {
          expect(c.hal.oversizes.length).toBe(over + 1);
          expect(c.hal.messages.length).toBe(msgs + 1);
          skipped++;
        }
        expect(new TextDecoder().decode(c.hal.messages[c.hal.messages.length - 1]!.payload)).toBe("marker");
        if (qos === 1) {
          // acknowledged in both cases, with the packet id that was decoded after the length
          const sent = c.hal.take();
          expect(Buffer.from(sent).includes(Buffer.from([0x40, 0x02, id >> 8, id & 0xff]))).toBe(true);
        } else c.hal.take();
      },
    ), { numRuns: 300, seed: 8 });
    expect(c.counter(C.PROTOCOL_ERRORS)).toBe(0);
    expect(delivered).toBeGreaterThan(50);
    expect(skipped).toBeGreaterThan(30);
  }, 60_000);

  it("mqtt-packet decodes what the client encodes (1- and 2-byte lengths, QoS 0 and 1)", async () => {
    const c = await connected();
    await fc.assert(fc.asyncProperty(
      fc.integer({ min: 1, max: 60 }), fc.integer({ min: 0, max: TX_CAP - 70 }), fc.constantFrom(0, 1),
      async (topicLen, size, qos) => {
        const topic = "t/" + "x".repeat(topicLen);
        const payload = new Uint8Array(size).map((_, i) => (i * 7 + size) & 0xff);
        c.hal.take(); // nothing left over from an earlier run
        const rc = c.publish(topic, payload, qos);
        const rem = 2 + topic.length + (qos ? 2 : 0) + size;
        const packetSize = 1 + (rem < 128 ? 1 : 2) + rem;
        if (packetSize > (qos === 1 ? SLOT_CAP : TX_CAP)) { expect(rc).toBeLessThan(0); return; }

        expect(rc).toBe(0);
        c.advance(1);
        const bytes = c.hal.take();
        const got: mqttPacket.IPublishPacket[] = [];
        const parser = mqttPacket.parser({ protocolVersion: 4 });
        let error: Error | null = null;
        parser.on("packet", (p) => { if (p.cmd === "publish") got.push(p); });
        parser.on("error", (e) => { error = e; });
        parser.parse(Buffer.from(bytes));
        expect(error).toBeNull();
        expect(got.length).toBe(1);
        expect(got[0]!.topic).toBe(topic);
        expect(Buffer.from(got[0]!.payload as Buffer).equals(Buffer.from(payload))).toBe(true);
        expect(got[0]!.qos).toBe(qos);
        // minimal length encoding: as many bytes as the value needs
        const rl = bytes.length - 1 - remLenBytes(bytes);
        expect(remLenBytes(bytes)).toBe(rl < 128 ? 1 : rl < 16384 ? 2 : 3);
        if (qos === 1) { c.hal.push(Uint8Array.from([0x40, 2, got[0]!.messageId! >> 8, got[0]!.messageId! & 0xff])); c.advance(1); c.hal.take(); }
      },
    ), { numRuns: 300, seed: 9 });
    expect(c.state).toBe(S.CONNECTED);
  }, 60_000);
});
