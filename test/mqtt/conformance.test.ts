/**
 * MQTT 3.1.1 conformance table for the firmware's client: one case per
 * normative point of the checklist in ../shared/FACTS.md and the spec items
 * a client must honour, named with the OASIS spec id. Bytes go in as hex
 * through the scripted socket; each case asserts the exact bytes the client
 * sends back, or that it closes with the named ABI disconnect reason.
 */
import { describe, test, expect } from "vitest";
import { MqttClient, S, R, C, hex, toHex, type ClientConfig } from "../helpers/scripted-hal.js";
import { awaitingConnack, connected, publishPacket, suback, puback, CONNACK_OK, DOWNLINK, str, remLen } from "../helpers/mqtt-session.js";

const h = (s: string): string => toHex(hex(s));

interface HexCase {
  id: string;
  title: string;
  /** Where the inbound bytes arrive: right after CONNECT, or in a full session. */
  phase: "connack" | "connected";
  config?: ClientConfig;
  inbound: string | Uint8Array;
  /** Exact bytes the client must send in response. */
  sent?: string;
  /** Disconnect reason the client must close with. */
  reason?: number;
  then?: (c: MqttClient) => void;
}

interface RunCase {
  id: string;
  title: string;
  run: () => Promise<void>;
}

type Case = HexCase | RunCase;

function expectClosed(c: MqttClient, reason: number): void {
  expect(c.state).toBe(S.BACKING_OFF);
  expect(c.lastDisconnect).toBe(reason);
  expect(c.hal.handle).toBe(-1); // socket closed
  expect(c.counter(C.DISCONNECT_BASE + reason)).toBeGreaterThanOrEqual(1);
}

async function runHex(k: HexCase): Promise<void> {
  const c = k.phase === "connack" ? await awaitingConnack(k.config) : await connected(k.config);
  const before = c.counter(C.PROTOCOL_ERRORS);
  c.hal.push(typeof k.inbound === "string" ? hex(k.inbound) : k.inbound);
  c.tick();
  const sent = toHex(c.hal.take());
  if (k.reason !== undefined) {
    expectClosed(c, k.reason);
    if (k.reason === R.PROTOCOL_VIOLATION) expect(c.counter(C.PROTOCOL_ERRORS)).toBe(before + 1);
    // Nothing is sent after deciding to close (no response to a bad packet).
    expect(sent).toBe(k.sent !== undefined ? h(k.sent) : "");
  } else {
    expect(c.state).not.toBe(S.BACKING_OFF);
    if (k.sent !== undefined) expect(sent).toBe(h(k.sent));
  }
  k.then?.(c);
}

/** CONNECT bytes the client sends for `config` (taken right after the socket connects). */
async function connectBytes(config: ClientConfig): Promise<Uint8Array> {
  const c = await MqttClient.create(config);
  c.start();
  c.tick();
  return c.hal.take();
}

const PV = R.PROTOCOL_VIOLATION;

const cases: Case[] = [
  // ------------------------------------------------------------- CONNECT
  {
    id: "[MQTT-3.1.0-1]", title: "the first packet sent on a connection is CONNECT",
    run: async () => {
      const b = await connectBytes({});
      expect(b[0]).toBe(0x10);
      expect(toHex(b)).toBe(h("10 1d 00 04 4d 51 54 54 04 02 00 3c 00 11") + " " + toHex(new TextEncoder().encode("iotbind-abc123def")));
    },
  },
  {
    id: "[MQTT-3.1.2-1]", title: "protocol name is the UTF-8 string \"MQTT\"",
    run: async () => { expect(toHex((await connectBytes({})).subarray(2, 8))).toBe(h("00 04 4d 51 54 54")); },
  },
  {
    id: "[MQTT-3.1.2-2]", title: "protocol level is 4 (3.1.1)",
    run: async () => { expect((await connectBytes({}))[8]).toBe(4); },
  },
  {
    id: "[MQTT-3.1.2-3]", title: "reserved connect flag bit 0 is zero (all options on)",
    run: async () => {
      const b = await connectBytes({ user: "u", password: "p", willTopic: "w", willPayload: "x", willQos: 1, willRetain: true });
      expect(b[9]! & 1).toBe(0);
      expect(b[9]).toBe(0x80 | 0x40 | 0x20 | 0x08 | 0x04 | 0x02);
    },
  },
  {
    id: "[MQTT-3.1.2-6]", title: "clean session flag set when configured, cleared otherwise",
    run: async () => {
      expect((await connectBytes({ cleanSession: true }))[9]! & 2).toBe(2);
      expect((await connectBytes({ cleanSession: false }))[9]! & 2).toBe(0);
    },
  },
  {
    id: "[MQTT-3.1.2-9]", title: "will flag: will topic and will message follow the client id",
    run: async () => {
      const b = await connectBytes({ clientId: "c1", willTopic: "tank/lwt", willPayload: "gone", willQos: 1 });
      const body = [0, 4, 0x4d, 0x51, 0x54, 0x54, 4, 0x0e, 0, 60, ...str("c1"), ...str("tank/lwt"), ...str("gone")];
      expect(toHex(b)).toBe(toHex([0x10, ...remLen(body.length), ...body]));
    },
  },
  {
    id: "[MQTT-3.1.2-14]", title: "will QoS 1 is encoded in bits 4-3 (never 3)",
    run: async () => {
      expect((await connectBytes({ willTopic: "w", willPayload: "", willQos: 1 }))[9]! & 0x18).toBe(0x08);
      expect((await connectBytes({ willTopic: "w", willPayload: "", willQos: 0 }))[9]! & 0x18).toBe(0);
    },
  },
  {
    id: "[MQTT-3.1.2-11]", title: "no will: will QoS [MQTT-3.1.2-13] and will retain [MQTT-3.1.2-15] bits are 0, no will fields",
    run: async () => {
      const b = await connectBytes({ willTopic: "", willQos: 1, willRetain: true });
      expect(b[9]! & 0x3c).toBe(0);
    },
  },
  {
    id: "[MQTT-3.1.2.7] will retain", title: "will retain set when configured (flag 0x20)",
    run: async () => { expect((await connectBytes({ willTopic: "w", willPayload: "", willRetain: true }))[9]! & 0x20).toBe(0x20); },
  },
  {
    id: "[MQTT-3.1.2-19]", title: "user name flag 1: user name present in the payload",
    run: async () => {
      const b = await connectBytes({ clientId: "c1", user: "tank" });
      expect(b[9]).toBe(0x82);
      expect(toHex(b.subarray(12))).toBe(toHex([...str("c1"), ...str("tank")]));
    },
  },
  {
    id: "[MQTT-3.1.2-18]", title: "user name flag 0: no user name, no password",
    run: async () => {
      const b = await connectBytes({ clientId: "c1", user: "" });
      expect(b[9]).toBe(0x02);
      expect(b.length).toBe(12 + 4);
    },
  },
  {
    id: "[MQTT-3.1.2-21]", title: "password flag 1: password follows the user name",
    run: async () => {
      const b = await connectBytes({ clientId: "c1", user: "tank", password: "s3cret" });
      expect(b[9]).toBe(0xc2);
      expect(toHex(b.subarray(12))).toBe(toHex([...str("c1"), ...str("tank"), ...str("s3cret")]));
    },
  },
  {
    id: "[MQTT-3.1.2-22]", title: "user name flag 0 means password flag 0 (password configured alone is not sent)",
    run: async () => {
      const b = await connectBytes({ clientId: "c1", user: "", password: "s3cret" });
      expect(b[9]! & 0xc0).toBe(0);
      expect(b.length).toBe(16);
    },
  },
  {
    id: "[MQTT-3.1.2.10] field", title: "keep alive is a 16-bit big-endian number of seconds",
    run: async () => {
      const b = await connectBytes({ keepAliveS: 3600 });
      expect((b[10]! << 8) | b[11]!).toBe(3600);
    },
  },
  {
    id: "[MQTT-3.1.3-1]", title: "payload order: client id, will topic, will message, user name, password",
    run: async () => {
      const b = await connectBytes({ clientId: "id", willTopic: "wt", willPayload: "wm", user: "un", password: "pw" });
      expect(toHex(b.subarray(12))).toBe(toHex([...str("id"), ...str("wt"), ...str("wm"), ...str("un"), ...str("pw")]));
    },
  },
  {
    id: "[MQTT-3.1.3-5]", title: "client id of 1..23 [0-9a-zA-Z] characters is sent as given",
    run: async () => {
      const b = await connectBytes({ clientId: "iotbind0123456789abcXYZ" });
      expect(toHex(b.subarray(12))).toBe(toHex(str("iotbind0123456789abcXYZ")));
    },
  },
  // ------------------------------------------------------------- CONNACK
  { id: "[MQTT-3.2.0-1]", title: "a packet other than CONNACK first from the server is a violation", phase: "connack", inbound: publishPacket("a", "x"), reason: PV },
  { id: "[MQTT-3.2.0-1]b", title: "PINGRESP before CONNACK is a violation", phase: "connack", inbound: "d0 00", reason: PV },
  { id: "[MQTT-2.2.2-2] CONNACK", title: "CONNACK fixed-header flags 0001 are a violation", phase: "connack", inbound: "21 02 00 00", reason: PV },
  { id: "[MQTT-3.2.2-1]", title: "session present = 1 after a clean-session CONNECT is a violation", phase: "connack", inbound: "20 02 01 00", reason: PV },
  { id: "[MQTT-3.2.2-1]b", title: "session present = 1 is accepted when clean session is 0", phase: "connack", config: { cleanSession: false }, inbound: "20 02 01 00", sent: "82 0c 00 01 00 07 74 61 6e 6b 2f 64 6c 01" },
  // A server must not set session present with a refusal, but mosquitto >= 2.0.12 does on its keep-alive refusal
  // to a client with a stored session: the refusal is what the user needs, so it is reported as such.
  { id: "[MQTT-3.2.2-4]", title: "non-zero return code with session present = 1 is still reported as the named refusal", phase: "connack", inbound: "20 02 01 05", reason: R.CONNACK_NOT_AUTHORISED },
  { id: "[MQTT-3.2.2-4] rc=2", title: "CONNACK 2 with session present = 1 (mosquitto >= 2.0.12 keep-alive refusal) closes with CONNACK_IDENTIFIER", phase: "connack", inbound: "20 02 01 02", reason: R.CONNACK_IDENTIFIER },
  { id: "[MQTT-3.2.2-5] rc=1", title: "CONNACK 1 closes with CONNACK_PROTOCOL", phase: "connack", inbound: "20 02 00 01", reason: R.CONNACK_PROTOCOL },
  { id: "[MQTT-3.2.2-5] rc=2", title: "CONNACK 2 closes with CONNACK_IDENTIFIER", phase: "connack", inbound: "20 02 00 02", reason: R.CONNACK_IDENTIFIER },
  { id: "[MQTT-3.2.2-5] rc=3", title: "CONNACK 3 closes with CONNACK_UNAVAILABLE", phase: "connack", inbound: "20 02 00 03", reason: R.CONNACK_UNAVAILABLE },
  { id: "[MQTT-3.2.2-5] rc=4", title: "CONNACK 4 closes with CONNACK_BAD_CREDENTIALS", phase: "connack", inbound: "20 02 00 04", reason: R.CONNACK_BAD_CREDENTIALS },
  { id: "[MQTT-3.2.2-5] rc=5", title: "CONNACK 5 closes with CONNACK_NOT_AUTHORISED", phase: "connack", inbound: "20 02 00 05", reason: R.CONNACK_NOT_AUTHORISED },
  { id: "[MQTT-3.2.2.3] rc=6", title: "CONNACK return code 6 (reserved) is a violation", phase: "connack", inbound: "20 02 00 06", reason: PV },
  { id: "[MQTT-3.2.2.3] rc=255", title: "CONNACK return code 255 is a violation", phase: "connack", inbound: "20 02 00 ff", reason: PV },
  { id: "[MQTT-3.2.2] flags", title: "CONNACK acknowledge flags bits 7-1 are reserved: 0x02 is a violation", phase: "connack", inbound: "20 02 02 00", reason: PV },
  { id: "[MQTT-3.2.1] CONNACK length", title: "CONNACK with remaining length 3 is malformed", phase: "connack", inbound: "20 03 00 00 00", reason: PV },
  { id: "[MQTT-4.8.0-1] second CONNACK", title: "a second CONNACK on the same connection is a violation", phase: "connected", inbound: CONNACK_OK, reason: PV },
  { id: "[MQTT-3.2.2-5] ok", title: "CONNACK 0: SUBSCRIBE to the downlink topic follows at once", phase: "connack", inbound: CONNACK_OK, sent: "82 0c 00 01 00 07 74 61 6e 6b 2f 64 6c 01", then: (c) => expect(c.state).toBe(S.SUBSCRIBING) },
  // ------------------------------------------------------------- fixed header
  { id: "[MQTT-2.2.3] 5 bytes", title: "remaining length with a 5th byte is malformed", phase: "connected", inbound: "30 ff ff ff ff 01", reason: PV },
  { id: "[MQTT-2.2.3] max", title: "remaining length 268,435,455 (ff ff ff 7f) is legal: the PUBLISH is skipped, not refused", phase: "connected", inbound: "30 ff ff ff 7f 00 01 61", then: (c) => { expect(c.state).toBe(S.CONNECTED); expect(c.counter(C.OVERSIZE)).toBe(1); } },
  { id: "[MQTT-2.2.1] type 0", title: "reserved packet type 0 is a violation", phase: "connected", inbound: "00 00", reason: PV },
  { id: "[MQTT-2.2.1] type 15", title: "reserved packet type 15 is a violation", phase: "connected", inbound: "f0 00", reason: PV },
  { id: "[MQTT-4.8.0-1] CONNECT", title: "CONNECT from the server is a violation", phase: "connected", inbound: "10 0c 00 04 4d 51 54 54 04 02 00 3c 00 00", reason: PV },
  { id: "[MQTT-4.8.0-1] SUBSCRIBE", title: "SUBSCRIBE from the server is a violation", phase: "connected", inbound: "82 06 00 05 00 01 61 00", reason: PV },
  { id: "[MQTT-4.8.0-1] UNSUBSCRIBE", title: "UNSUBSCRIBE from the server is a violation", phase: "connected", inbound: "a2 05 00 05 00 01 61", reason: PV },
  { id: "[MQTT-4.8.0-1] PINGREQ", title: "PINGREQ from the server is a violation", phase: "connected", inbound: "c0 00", reason: PV },
  { id: "[MQTT-4.8.0-1] DISCONNECT", title: "DISCONNECT from the server is a violation", phase: "connected", inbound: "e0 00", reason: PV },
  { id: "[MQTT-4.8.0-1] PUBREC", title: "PUBREC (QoS 2 flow, never used) is a violation", phase: "connected", inbound: "50 02 00 01", reason: PV },
  { id: "[MQTT-4.8.0-1] PUBREL", title: "PUBREL is a violation", phase: "connected", inbound: "62 02 00 01", reason: PV },
  { id: "[MQTT-4.8.0-1] PUBCOMP", title: "PUBCOMP is a violation", phase: "connected", inbound: "70 02 00 01", reason: PV },
  { id: "[MQTT-2.2.2-2] PUBACK", title: "PUBACK flags 0001 are a violation", phase: "connected", inbound: "41 02 00 01", reason: PV },
  { id: "[MQTT-2.2.2-2] SUBACK", title: "SUBACK flags 0010 are a violation", phase: "connected", inbound: "92 03 00 02 01", reason: PV },
  { id: "[MQTT-2.2.2-2] UNSUBACK", title: "UNSUBACK flags 1000 are a violation", phase: "connected", inbound: "b8 02 00 02", reason: PV },
  { id: "[MQTT-2.2.2-2] PINGRESP", title: "PINGRESP flags 0001 are a violation", phase: "connected", inbound: "d1 00", reason: PV },
  { id: "[MQTT-3.4.1] length", title: "PUBACK with remaining length 3 is malformed", phase: "connected", inbound: "40 03 00 01 00", reason: PV },
  { id: "[MQTT-3.13.1] length", title: "PINGRESP with remaining length 1 is malformed", phase: "connected", inbound: "d0 01 00", reason: PV },
  // ------------------------------------------------------------- PUBLISH in
  { id: "[MQTT-3.3.1-4]", title: "PUBLISH with QoS 3 is a violation", phase: "connected", inbound: "36 05 00 01 61 00 01", reason: PV },
  { id: "[MQTT-3.3.1-2]", title: "PUBLISH QoS 0 with DUP=1 is a violation", phase: "connected", inbound: "38 03 00 01 61", reason: PV },
  { id: "[MQTT-3.8.4-6]", title: "PUBLISH at QoS 2 (above the granted QoS 1) is a violation", phase: "connected", inbound: "34 05 00 01 61 00 01", reason: PV },
  { id: "[MQTT-2.3.1-1] in", title: "PUBLISH QoS 1 with packet id 0 is a violation", phase: "connected", inbound: "32 05 00 01 61 00 00", reason: PV },
  { id: "[MQTT-3.3.2-2] +", title: "topic name with '+' is a violation", phase: "connected", inbound: publishPacket("a/+/b", "x"), reason: PV },
  { id: "[MQTT-3.3.2-2] #", title: "topic name with '#' is a violation", phase: "connected", inbound: publishPacket("a/#", "x"), reason: PV },
  { id: "[MQTT-1.5.3-2]", title: "topic name with U+0000 is a violation", phase: "connected", inbound: publishPacket(Uint8Array.from([0x61, 0, 0x62]), "x"), reason: PV },
  { id: "[MQTT-1.5.3-1] overlong", title: "overlong UTF-8 (c0 af) in the topic is a violation", phase: "connected", inbound: publishPacket(Uint8Array.from([0x61, 0xc0, 0xaf]), "x"), reason: PV },
  { id: "[MQTT-1.5.3-1] surrogate", title: "UTF-8 encoded surrogate (ed a0 80) in the topic is a violation", phase: "connected", inbound: publishPacket(Uint8Array.from([0xed, 0xa0, 0x80]), "x"), reason: PV },
  { id: "[MQTT-1.5.3-1] truncated", title: "truncated UTF-8 sequence at the end of the topic is a violation", phase: "connected", inbound: publishPacket(Uint8Array.from([0x61, 0xe2, 0x82]), "x"), reason: PV },
  { id: "[MQTT-1.5.3-1] ff", title: "byte 0xff in the topic is a violation", phase: "connected", inbound: publishPacket(Uint8Array.from([0xff]), "x"), reason: PV },
  { id: "[MQTT-4.7.3-1]", title: "zero-length topic name is a violation", phase: "connected", inbound: "30 03 00 00 78", reason: PV },
  { id: "[MQTT-3.3.2] overrun", title: "topic length beyond the remaining length is malformed", phase: "connected", inbound: "30 04 00 05 61 62", reason: PV },
  { id: "[MQTT-3.3.2] no id", title: "QoS 1 PUBLISH whose packet id does not fit is malformed", phase: "connected", inbound: "32 05 00 03 61 62 63", reason: PV },
  {
    id: "[MQTT-1.5.3-1] valid", title: "well-formed multi-byte UTF-8 topic (é, €, 😀) is accepted and delivered", phase: "connected",
    inbound: publishPacket("t/é€😀", "{}"), sent: "",
    then: (c) => expect(c.hal.messages.map((m) => m.topic)).toEqual(["t/é€😀"]),
  },
  {
    id: "[MQTT-3.3.4-1]", title: "QoS 1 PUBLISH in is answered with PUBACK carrying its packet id", phase: "connected",
    inbound: publishPacket(DOWNLINK, "on", 1, 0x1234), sent: "40 02 12 34",
    then: (c) => expect(new TextDecoder().decode(c.hal.messages[0]!.payload)).toBe("on"),
  },
  {
    id: "[MQTT-2.3.1-6]", title: "the PUBACK carries the same packet id as the PUBLISH, also 65535", phase: "connected",
    inbound: publishPacket(DOWNLINK, "x", 1, 0xffff), sent: "40 02 ff ff",
  },
  {
    id: "[MQTT-1.5.3-3]", title: "a U+FEFF (ef bb bf) in the topic is kept, not stripped", phase: "connected",
    inbound: publishPacket(Uint8Array.from([0xef, 0xbb, 0xbf, 0x61]), "x"), sent: "",
    then: (c) => expect(toHex(c.hal.messages[0]!.topicBytes)).toBe("ef bb bf 61"),
  },
  {
    id: "[MQTT-3.3.4-1] QoS 0", title: "QoS 0 PUBLISH in is delivered and not answered", phase: "connected",
    inbound: publishPacket(DOWNLINK, "x", 0), sent: "", then: (c) => expect(c.hal.messages.length).toBe(1),
  },
  {
    id: "[MQTT-4.6.0-2]", title: "PUBACKs go out in the order the QoS 1 PUBLISHes arrived", phase: "connected",
    inbound: Uint8Array.from([...publishPacket("a", "1", 1, 7), ...publishPacket("a", "2", 0), ...publishPacket("a", "3", 1, 3), ...publishPacket("a", "4", 1, 300)]),
    sent: "40 02 00 07 40 02 00 03 40 02 01 2c",
    then: (c) => expect(c.hal.messages.map((m) => new TextDecoder().decode(m.payload))).toEqual(["1", "2", "3", "4"]),
  },
  {
    id: "[MQTT-3.3.1-1] in", title: "a QoS 1 PUBLISH with DUP=1 is accepted and acknowledged", phase: "connected",
    inbound: publishPacket("a", "x", 1, 9, { dup: true }), sent: "40 02 00 09",
  },
  {
    id: "[MQTT-3.3.1-8]", title: "a retained PUBLISH is delivered with its retain flag visible to the app", phase: "connected",
    inbound: publishPacket("a", "x", 0, 0, { retain: true }), sent: "", then: (c) => expect(c.x.last_retained()).toBe(1),
  },
  { id: "[MQTT-3.3.2-1] empty payload", title: "PUBLISH with an empty payload is legal", phase: "connected", inbound: "30 03 00 01 61", sent: "", then: (c) => expect(c.hal.messages[0]!.payload.length).toBe(0) },
  // ------------------------------------------------------------- SUBSCRIBE / SUBACK
  {
    id: "[MQTT-3.8.1-1]", title: "SUBSCRIBE fixed header is 0x82; packet id non-zero; requested QoS 1 with reserved bits 0 [MQTT-3.8.3-4]",
    phase: "connack", inbound: CONNACK_OK, sent: "82 0c 00 01 00 07 74 61 6e 6b 2f 64 6c 01",
  },
  { id: "[MQTT-3.8.4-1]", title: "SUBACK with the SUBSCRIBE's id completes the session", phase: "connected", inbound: "", then: (c) => { expect(c.state).toBe(S.CONNECTED); expect(c.sessionId).toBe(1); } },
  {
    id: "[MQTT-3.9.3-2] 0x80", title: "SUBACK 0x80 for the downlink topic: DISCONNECT, then closes with SUBSCRIBE_REFUSED [MQTT-3.14.4-1]",
    run: async () => {
      const c = await awaitingConnack();
      c.hal.push(CONNACK_OK);
      c.tick();
      c.hal.take();
      c.hal.push(suback(1, 0x80));
      c.tick();
      expect(toHex(c.hal.take())).toBe("e0 00"); // the broker discards the will [MQTT-3.1.2-10]
      expectClosed(c, R.SUBSCRIBE_REFUSED);
      expect(c.sessionId).toBe(0);
    },
  },
  {
    id: "[MQTT-3.9.3-2] rc=3", title: "SUBACK return code 3 (reserved) is a violation",
    run: async () => {
      const c = await awaitingConnack();
      c.hal.push(CONNACK_OK + " 90 03 00 01 03");
      c.tick();
      expectClosed(c, PV);
    },
  },
  {
    id: "[MQTT-3.9.3-2] rc=2", title: "SUBACK granting QoS 2 when QoS 1 was requested is a violation",
    run: async () => {
      const c = await awaitingConnack();
      c.hal.push(CONNACK_OK + " 90 03 00 01 02");
      c.tick();
      expectClosed(c, PV);
    },
  },
  {
    id: "[MQTT-3.9.3-2] rc=0", title: "SUBACK granting QoS 0 is accepted",
    run: async () => {
      const c = await awaitingConnack();
      c.hal.push(CONNACK_OK + " 90 03 00 01 00");
      c.tick();
      expect(c.state).toBe(S.CONNECTED);
    },
  },
  {
    id: "[MQTT-3.8.4-2]", title: "SUBACK whose packet id matches no SUBSCRIBE is a violation",
    run: async () => {
      const c = await awaitingConnack();
      c.hal.push(CONNACK_OK + " 90 03 00 02 01");
      c.tick();
      expectClosed(c, PV);
    },
  },
  { id: "[MQTT-3.9.3-1]", title: "SUBACK with two return codes for one filter is malformed", phase: "connected", inbound: "90 04 00 01 01 01", reason: PV },
  {
    id: "[MQTT-3.8.4-1] app", title: "an app SUBSCRIBE uses a fresh id; its SUBACK code is reported",
    run: async () => {
      const c = await connected();
      expect(c.subscribe("x/#", 1)).toBe(-1);
      expect(toHex(c.hal.take())).toBe(h("82 08 00 02 00 03 78 2f 23 01"));
      c.hal.push("90 03 00 02 80");
      c.tick();
      expect(c.x.request_result()).toBe(0x80);
      expect(c.state).toBe(S.CONNECTED);
    },
  },
  // ------------------------------------------------------------- UNSUBSCRIBE
  {
    id: "[MQTT-3.10.1-1]", title: "UNSUBSCRIBE fixed header is 0xa2; UNSUBACK with its id [MQTT-3.10.4-4] completes it",
    run: async () => {
      const c = await connected();
      expect(c.unsubscribe("x/y")).toBe(-1);
      expect(toHex(c.hal.take())).toBe(h("a2 07 00 02 00 03 78 2f 79"));
      c.hal.push("b0 02 00 02");
      c.tick();
      expect(c.x.request_result()).toBe(0);
      expect(c.state).toBe(S.CONNECTED);
    },
  },
  { id: "[MQTT-3.10.4-4] unknown id", title: "UNSUBACK for no pending UNSUBSCRIBE is a violation", phase: "connected", inbound: "b0 02 00 05", reason: PV },
  // ------------------------------------------------------------- PUBLISH out
  {
    id: "[MQTT-2.3.1-5]", title: "QoS 0 PUBLISH carries no packet id; DUP 0 [MQTT-3.3.1-2]",
    run: async () => {
      const c = await connected();
      expect(c.publish("up", "hi", 0)).toBe(0);
      expect(toHex(c.hal.take())).toBe(h("30 06 00 02 75 70 68 69"));
    },
  },
  {
    id: "[MQTT-2.3.1-1] out", title: "QoS 1 PUBLISH carries a non-zero packet id, DUP 0 on first delivery [MQTT-3.3.1-1]",
    run: async () => {
      const c = await connected();
      expect(c.publish("up", "hi", 1)).toBe(0);
      expect(toHex(c.hal.take())).toBe(h("32 08 00 02 75 70 00 02 68 69"));
    },
  },
  {
    id: "[MQTT-2.3.1-2]", title: "packet ids of messages in flight are distinct, non-zero, reused only after their PUBACK",
    run: async () => {
      const c = await connected({ inflight: 8 });
      for (let i = 0; i < 8; i++) expect(c.publish("u", String(i), 1)).toBe(0);
      const sent = c.hal.take();
      const ids: number[] = [];
      for (let o = 0; o < sent.length; o += 8) ids.push((sent[o + 5]! << 8) | sent[o + 6]!);
      expect(new Set(ids).size).toBe(8);
      expect(ids.includes(0)).toBe(false);
      c.hal.push(puback(ids[3]!));
      c.tick();
      expect(c.publish("u", "n", 1)).toBe(0);
      const id = (() => { const b = c.hal.take(); return (b[5]! << 8) | b[6]!; })();
      expect(ids.filter((x) => x !== ids[3]).includes(id)).toBe(false);
    },
  },
  {
    id: "[MQTT-4.3.2-1]", title: "a QoS 1 message is kept until its PUBACK, then released",
    run: async () => {
      const c = await connected();
      c.publish("u", "x", 1);
      expect(c.x.inflight()).toBe(1);
      c.hal.push(puback(99)); // not ours: ignored
      c.tick();
      expect(c.x.inflight()).toBe(1);
      c.hal.push(puback(2));
      c.tick();
      expect(c.x.inflight()).toBe(0);
      expect(c.state).toBe(S.CONNECTED);
    },
  },
  { id: "[MQTT-2.3.1-1] PUBACK", title: "PUBACK with packet id 0 is a violation", phase: "connected", inbound: "40 02 00 00", reason: PV },
  {
    id: "[MQTT-4.4.0-1]", title: "after reconnect unacknowledged QoS 1 messages are resent with DUP=1 [MQTT-3.3.1-1], same ids [MQTT-2.3.1-3], in order [MQTT-4.6.0-1]",
    run: async () => {
      const c = await connected({ backoffBase: 100, backoffCap: 100 });
      c.publish("u", "a", 1);
      c.publish("u", "b", 1);
      expect(toHex(c.hal.take())).toBe(h("32 06 00 01 75 00 02 61 32 06 00 01 75 00 03 62"));
      c.hal.peerClosed = true;
      c.tick();
      expect(c.state).toBe(S.BACKING_OFF);
      expect(c.lastDisconnect).toBe(R.SOCKET_CLOSED);
      c.advance(100);
      c.tick();
      expect(c.state).toBe(S.AWAITING_CONNACK);
      c.hal.take();
      c.hal.push(CONNACK_OK);
      c.tick();
      expect(toHex(c.hal.take())).toBe(h("82 0c 00 04 00 07 74 61 6e 6b 2f 64 6c 01 3a 06 00 01 75 00 02 61 3a 06 00 01 75 00 03 62"));
      expect(c.counter(C.RETRANSMISSIONS)).toBe(2);
    },
  },
  {
    id: "[MQTT-3.3.2-2] out", title: "the client refuses to publish to a topic with wildcards, NUL or bad UTF-8",
    run: async () => {
      const c = await connected();
      expect(c.publish("a/+", "x", 0)).toBe(-4);
      expect(c.publish("a/#", "x", 1)).toBe(-4);
      expect(c.publish(Uint8Array.from([0x61, 0]), "x", 0)).toBe(-4);
      expect(c.publish(Uint8Array.from([0xed, 0xa0, 0x80]), "x", 0)).toBe(-4);
      expect(c.publish("", "x", 0)).toBe(-4);
      expect(c.publish("a", "x", 2)).toBe(-4); // QoS 2 is never requested
      expect(c.hal.take().length).toBe(0);
    },
  },
  {
    id: "[MQTT-3.3.1.3] retain out", title: "retain flag set on request",
    run: async () => {
      const c = await connected();
      c.publish("u", "", 0, true);
      expect(toHex(c.hal.take())).toBe(h("31 03 00 01 75"));
    },
  },
  // ------------------------------------------------------------- keep-alive
  {
    id: "[MQTT-3.1.2-23]", title: "PINGREQ (c0 00) when nothing was sent for the keep-alive period",
    run: async () => {
      const c = await connected({ keepAliveS: 10 });
      c.advance(9999);
      expect(c.hal.take().length).toBe(0);
      c.advance(1);
      expect(toHex(c.hal.take())).toBe(h("c0 00"));
      c.hal.push("d0 00");
      c.advance(4999);
      expect(c.state).toBe(S.CONNECTED);
    },
  },
  {
    id: "[MQTT-3.1.2.10] ping timeout", title: "no PINGRESP within the ping timeout closes with KEEPALIVE_TIMEOUT",
    run: async () => {
      const c = await connected({ keepAliveS: 10, pingTimeout: 5000 });
      c.advance(10000);
      expect(toHex(c.hal.take())).toBe(h("c0 00"));
      c.advance(4999);
      expect(c.state).toBe(S.CONNECTED);
      c.advance(1);
      expectClosed(c, R.KEEPALIVE_TIMEOUT);
      expect(c.counter(C.KEEPALIVE_TIMEOUTS)).toBe(1);
    },
  },
  {
    id: "[MQTT-3.1.2.10] zero", title: "keep-alive 0 turns pings off",
    run: async () => {
      const c = await connected({ keepAliveS: 0 });
      for (let i = 0; i < 20; i++) c.advance(60000);
      expect(c.hal.take().length).toBe(0);
      expect(c.state).toBe(S.CONNECTED);
    },
  },
  // ------------------------------------------------------------- DISCONNECT
  {
    id: "[MQTT-3.14.4-1]", title: "shutdown sends DISCONNECT (e0 00), closes the socket and sends nothing more [MQTT-3.14.4-2]",
    run: async () => {
      const c = await connected();
      c.stop();
      expect(toHex(c.hal.take())).toBe(h("e0 00"));
      expect(c.hal.handle).toBe(-1);
      expect(c.state).toBe(S.STOPPED);
      expect(c.lastDisconnect).toBe(R.SHUTDOWN);
      c.hal.push(publishPacket("a", "x", 1, 1));
      for (let i = 0; i < 5; i++) c.advance(100000);
      expect(c.publish("u", "x", 0)).toBe(-1);
      expect(c.hal.take().length).toBe(0);
      expect(c.hal.connects.length).toBe(1);
    },
  },
  // ------------------------------------------------------------- host
  {
    id: "[ABI sock_recv]", title: "a host recv that returns more bytes than asked closes with HOST_VIOLATION",
    run: async () => {
      const c = await connected();
      c.hal.recvScript.set(c.hal.recvCalls, "toomany");
      c.tick();
      expectClosed(c, R.HOST_VIOLATION);
    },
  },
];

describe("MQTT 3.1.1 conformance table", () => {
  test("has at least 40 cases with unique names", () => {
    expect(cases.length).toBeGreaterThanOrEqual(40);
    expect(new Set(cases.map((k) => k.id)).size).toBe(cases.length);
  });
  for (const k of cases) {
    test(`${k.id} ${k.title}`, async () => {
      if ("run" in k) await k.run();
      else await runHex(k);
    });
  }
});

export const CONFORMANCE_CASES = cases.length;
