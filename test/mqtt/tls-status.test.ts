/**
 * The firmware's side of the TLS contract (docs/ABI.md "TLS"), against a
 * scripted hal: `broker_tls` sets the SOCK_TLS port flag and nothing else;
 * every `sock_status` a host may return while connecting maps to one named,
 * counted reason; status 2 (handshaking) times out as TLS_HANDSHAKE_TIMEOUT;
 * and, over random status sequences, no byte is ever sent before status 1,
 * every attempt ends in exactly one counted reason, and the client never traps.
 */
import { describe, expect, test } from "vitest";
import { C, MqttClient, R, S } from "../helpers/scripted-hal.js";

const SOCK_TLS = 0x10000;
/** Counter id of a disconnect reason (docs/ABI.md): 16 + r, or 88 + (r − 16) from 16 on. */
const counterOf = (r: number): number => (r < 16 ? C.DISCONNECT_BASE + r : 88 + (r - 16));

/** The reason the contract assigns to a terminal sock_status while connecting. */
function expectedReason(st: number): number {
  if (st === -3) return R.TLS_UNTRUSTED;
  if (st === -4) return R.TLS_NAME_MISMATCH;
  if (st === -5) return R.TLS_HANDSHAKE_FAILED;
  return R.SOCKET_FAILED;
}

describe("TLS contract in the MQTT client", () => {
  test("broker_tls sets the SOCK_TLS flag on the port, for every port; without it the port is unchanged", async () => {
    for (const port of [1, 1883, 8883, 0x7fff, 0xffff]) {
      for (const tls of [false, true]) {
        const c = await MqttClient.create({ port, tls, downlink: "" });
        c.hal.status = 0;
        c.start();
        c.tick();
        expect(c.hal.connects.at(-1)!.port).toBe(tls ? port | SOCK_TLS : port);
      }
    }
  });

  const terminal = [-1, -2, -3, -4, -5, -6, -100, -0x80000000];
  for (const st of terminal) {
    test(`sock_status ${st} while connecting: reason ${expectedReason(st)}, counted once, socket error counted, backoff`, async () => {
      const c = await MqttClient.create({ tls: true, downlink: "", backoffBase: 500, backoffCap: 500 });
      c.hal.status = 2; // handshaking first
      c.start();
      c.advance(10);
      expect(c.state).toBe(S.SOCKET_CONNECTING);
      c.hal.status = st;
      c.advance(10);
      expect(c.state).toBe(S.BACKING_OFF);
      expect(c.lastDisconnect).toBe(expectedReason(st));
      expect(c.counter(counterOf(expectedReason(st)))).toBe(1);
      expect(c.counter(C.SOCKET_ERRORS)).toBe(1);
      expect(c.hal.sent).toEqual([]);
      // Retried after the backoff, with the flag again.
      c.hal.status = 0;
      c.advance(499);
      expect(c.hal.connects.length).toBe(1);
      c.advance(1);
      expect(c.hal.connects.length).toBe(2);
      expect(c.hal.connects[1]!.port & SOCK_TLS).toBe(SOCK_TLS);
    });
  }

  test("status 2 until the connect timeout: TLS_HANDSHAKE_TIMEOUT; status 0 until then: CONNECT_TIMEOUT", async () => {
    for (const [st, reason] of [[2, R.TLS_HANDSHAKE_TIMEOUT], [0, R.CONNECT_TIMEOUT]] as const) {
      const c = await MqttClient.create({ tls: true, downlink: "", connectTimeout: 3000 });
      c.hal.status = 0;
      c.start();
      c.advance(1000);
      c.hal.status = st;
      c.advance(1999);
      expect(c.state).toBe(S.SOCKET_CONNECTING);
      c.advance(1);
      expect(c.state).toBe(S.BACKING_OFF);
      expect(c.lastDisconnect).toBe(reason);
      expect(c.counter(counterOf(reason))).toBe(1);
      expect(c.hal.sent).toEqual([]);
    }
  });

  test("random status sequences (200 runs): nothing sent before status 1, one counted reason per finished attempt, no trap", async () => {
    let seed = 12345;
    const rnd = (n: number): number => { seed = (Math.imul(seed, 1103515245) + 12345) >>> 0; return (seed >>> 8) % n; };
    const statuses = [0, 0, 2, 2, 2, -1, -2, -3, -4, -5, -7, 1];
    for (let run = 0; run < 200; run++) {
      const c = await MqttClient.create({ tls: rnd(2) === 1, downlink: "", connectTimeout: 1000, backoffBase: 100, backoffCap: 400 });
      c.hal.status = 0;
      c.start();
      let connectedOnce = false;
      for (let step = 0; step < 60 && !connectedOnce; step++) {
        const st = statuses[rnd(statuses.length)]!;
        c.hal.status = st;
        const sentBefore = c.hal.sent.length;
        c.advance(50 + rnd(300));
        if (st === 1 && c.hal.sent.length > sentBefore) {
          connectedOnce = true; // CONNECT went out on status 1 (the attempt goes on to CONNACK, not scripted here)
          // ... unless status 1 came after the connect deadline: the same tick then ends the attempt as CONNECT_TIMEOUT.
          if (c.state !== S.AWAITING_CONNACK) expect([c.state, c.lastDisconnect], `run ${run} step ${step}`).toEqual([S.BACKING_OFF, R.CONNECT_TIMEOUT]);
        } else expect(c.hal.sent.length, `run ${run} step ${step}: bytes sent with status ${st}`).toBe(sentBefore);
      }
      expect(c.hal.panics).toEqual([]);
      const attempts = c.counter(C.ATTEMPTS);
      const reasons = [R.SOCKET_FAILED, R.CONNECT_TIMEOUT, R.TLS_UNTRUSTED, R.TLS_NAME_MISMATCH, R.TLS_HANDSHAKE_TIMEOUT, R.TLS_HANDSHAKE_FAILED]
        .reduce((s, r) => s + c.counter(counterOf(r)), 0);
      // Every attempt but the current one (connecting, connected or backing off after it) ended with exactly one reason.
      const open = c.state === S.BACKING_OFF ? 0 : 1;
      expect(reasons, `run ${run}`).toBe(attempts - open);
    }
  });
});
