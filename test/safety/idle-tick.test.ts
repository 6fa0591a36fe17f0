/**
 * Issue 15, "an idle tick that does nothing, and real deadlines": a tick that
 * comes before the deadline the firmware returned, with no socket data,
 * changes nothing and returns exactly the time left.
 *
 * Two rigs, same config and seed. A is a host that sleeps what `tick` asks
 * and wakes early only for socket data. B is the same host plus, in every
 * sleep without socket data, 0..3 extra ticks at random times (a host that
 * wakes for its own reasons). Over a run with readings, platform commands
 * (the pump switching, refusals, state reports) and keep-alive, after every
 * tick of A the two must be indistinguishable: every counter, the relay,
 * the connection state, the level, every uplink the broker saw (payload and
 * time) and every PUBACK; and each extra tick of B must return A's wait minus
 * the time since.
 */
import { describe, expect, it } from "vitest";
import type { FirmwareRig } from "../../sim/tools/fuzz/rig.js";
import { makeRig, sendCmd } from "./helpers.js";
import { Rng } from "../../sim/tools/fuzz/rng.js";

function observe(rig: FirmwareRig): string {
  const counters: number[] = [];
  for (let id = 0; id < 96; id++) counters.push(rig.counter(id));
  return JSON.stringify({
    counters, relay: rig.relay, state: rig.state, level: rig.x.level_permille(), refusal: rig.x.pump_last_refusal(),
    uplinks: rig.link.uplinks.map((u) => [u.topic, u.payload, u.qos, u.dup, u.at]),
    pubacks: [...rig.link.pubacks.entries()],
  });
}


describe("an early tick with nothing due and no socket data changes nothing", () => {
  for (const seed of [1, 2, 3]) {
    it(`seed ${seed}: a host that also ticks at random early times behaves exactly like one that sleeps`, () => {
      const over = { mqtt_keepalive_s: 20, min_off_s: 5, min_on_s: 5, heartbeat_s: 30, reading_interval_ms: 3000 };
      const a = makeRig(over, seed);
      const b = makeRig(over, seed);
      const rng = new Rng(seed * 7919);
      const rnd = (): number => rng.next();
      // A tick's wait counts from the time it sampled at its start (a ping blocks
      // for its echo: the rigs' clocks move during a tick).
      let startA = a.nowMs();
      let wa = a.tick();
      expect(b.tick()).toBe(wa);
      let extra = 0;
      let cmds = 0;
      for (let step = 0; step < 3000; step++) {
        expect(observe(b)).toBe(observe(a));
        // A platform command now and then, to both at the same time (each is processed by a tick).
        if (step % 97 == 50 && a.state === 4) {
          const cmd = cmds++ % 2 === 0 ? "on" : "off";
          sendCmd(a, cmd, false, 1, 100 + cmds);
          sendCmd(b, cmd, false, 1, 100 + cmds);
          expect(observe(b)).toBe(observe(a));
        }
        const sleep = a.link.queued > 0 ? 1 : Math.max(1, wa);
        let elapsed = 0;
        if (b.link.queued === 0 && sleep > 2) {
          const n = Math.floor(rnd() * 4);
          const times = Array.from({ length: n }, () => 1 + Math.floor(rnd() * (sleep - 1))).sort((x, y) => x - y);
          const due = startA + wa;
          for (const t of times) {
            if (t <= elapsed) continue;
            const at = b.nowMs() + (t - elapsed);
            if (due - at <= 0) break; // due by then: not an idle tick
            const w = b.advance(t - elapsed);
            elapsed = t;
            extra++;
            expect(w).toBe(due - at);
          }
        }
        startA = a.nowMs() + sleep;
        wa = a.advance(sleep);
        expect(b.advance(sleep - elapsed)).toBe(wa);
      }
      expect(observe(b)).toBe(observe(a));
      // The run did what it is meant to exercise.
      expect(extra).toBeGreaterThan(1000);
      expect(cmds).toBeGreaterThan(10);
      expect(a.link.uplinks.length).toBeGreaterThan(20);
    });
  }
});
