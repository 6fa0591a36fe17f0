/** The virtual-time scheduler on its own (no firmware, no network). */
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { VirtualClock } from "../../sim/clock.js";
import { Scheduler, TaskClock, mqttExpectsReply } from "../../sim/scheduler.js";

describe("Scheduler", () => {
  it("always runs the earliest task (ties in the order added), at the time its last tick asked for", async () => {
    const clock = new VirtualClock(1000);
    const s = new Scheduler(clock);
    const runs: Array<[string, number]> = [];
    s.add({ tick: () => { runs.push(["a", clock.now()]); return 300; } });
    s.add({ tick: () => { runs.push(["b", clock.now()]); return 500; } }, 1100);
    await s.runUntil(2000);
    expect(runs).toEqual([["a", 1000], ["b", 1100], ["a", 1300], ["a", 1600], ["b", 1600], ["a", 1900]]);
    expect(clock.now()).toBe(2000);
  });

  it("runs timers at their virtual time and holds the clock while an async action runs", async () => {
    const clock = new VirtualClock(0);
    const s = new Scheduler(clock);
    const seen: number[] = [];
    s.add({ tick: () => 100 });
    s.at(450, async () => {
      seen.push(clock.now());
      await new Promise((r) => setTimeout(r, 30));
      seen.push(clock.now());
    });
    s.every(250, () => { seen.push(-clock.now()); });
    await s.runUntil(1000);
    expect(seen).toEqual([-250, 450, 450, -500, -750]);
  });

  it("caps the speed (virtual ms per real ms)", async () => {
    const clock = new VirtualClock(0);
    const s = new Scheduler(clock, { speed: 10 });
    s.add({ tick: () => 50 });
    const t0 = performance.now();
    await s.runUntil(2000);
    const real = performance.now() - t0;
    expect(real).toBeGreaterThanOrEqual(180);
    expect(real).toBeLessThan(1500);
  });

  it("does not advance virtual time while a task waits for the network (bounded)", async () => {
    const clock = new VirtualClock(0);
    const s = new Scheduler(clock, { ioWaitRealMs: 60 });
    let waiting = true;
    s.add({ tick: () => 1000, waitingForIo: () => waiting });
    const t0 = performance.now();
    setTimeout(() => { waiting = false; }, 40);
    await s.runUntil(5000);
    expect(performance.now() - t0).toBeGreaterThanOrEqual(35);
    // a wait that never ends is released after ioWaitRealMs
    waiting = true;
    const t1 = performance.now();
    await s.runUntil(10_000);
    const held = performance.now() - t1;
    expect(held).toBeGreaterThanOrEqual(55);
    expect(held).toBeLessThan(1000);
  });

  it("at a finite speed a network wait does not hold the clock (ioHold unpaced); with ioHold always it does", async () => {
    for (const ioHold of ["unpaced", "always"] as const) {
      const clock = new VirtualClock(0);
      const s = new Scheduler(clock, { speed: 20, ioWaitRealMs: 150, ioHold });
      s.add({ tick: () => 100, waitingForIo: () => true });
      const t0 = performance.now();
      await s.runUntil(1000); // 50 ms real at speed 20
      const real = performance.now() - t0;
      if (ioHold === "unpaced") expect(real).toBeLessThan(140);
      else expect(real).toBeGreaterThanOrEqual(140);
      expect(s.stats.heldRealMs > 0).toBe(ioHold === "always");
    }
  });

  it("catches up after a burst instead of dropping the lag (the virtual rate over a run stays the requested one)", async () => {
    const clock = new VirtualClock(0);
    const s = new Scheduler(clock, { speed: 10 });
    // every 2000 virtual ms one tick burns 150 ms of real time: 150 ms behind the pace each time
    const busy = (ms: number): void => { const end = performance.now() + ms; while (performance.now() < end) { /* burn */ } };
    s.add({ tick: () => { busy(150); return 2000; } });
    s.add({ tick: () => 10 });
    const t0 = performance.now();
    await s.runUntil(6000);
    const real = performance.now() - t0;
    // 6000 virtual ms at speed 10 = 600 ms real; the bursts (3 × 150 ms) are absorbed, not added (dropping each lag: ~1050 ms)
    expect(real).toBeGreaterThanOrEqual(590);
    expect(real).toBeLessThan(820);
    expect(s.stats.lagResets).toBe(0);
    expect(s.stats.maxLagRealMs).toBeGreaterThan(0);
  });

  it("tasks and timers run in (time, timers first, order) order under any mix of add/wake/remove/at/every/cancel", async () => {
    await fc.assert(fc.asyncProperty(
      fc.array(fc.record({ op: fc.constantFrom("task", "timer", "every", "cancel", "remove"), at: fc.integer({ min: 0, max: 500 }), step: fc.integer({ min: 1, max: 120 }), pick: fc.nat() }), { minLength: 1, maxLength: 40 }),
      async (ops) => {
        const clock = new VirtualClock(0);
        const s = new Scheduler(clock);
        const seen: Array<[number, string]> = [];
        const expected: Array<[number, string, number]> = [];
        const taskIds: number[] = [];
        const timerIds: number[] = [];
        const live = new Map<string, { at: number; every: number; kind: 0 | 1; order: number; label: string; cancelled: boolean }>();
        let order = 0;
        for (const [i, o] of ops.entries()) {
          const label = `${o.op}${i}`;
          if (o.op === "task") {
            const id = s.add({ tick: () => { seen.push([clock.now(), label]); return o.step; } }, o.at);
            taskIds.push(id);
            live.set(label, { at: o.at, every: o.step, kind: 1, order: id, label, cancelled: false });
            (live.get(label) as { id?: number }).id = id;
          } else if (o.op === "timer" || o.op === "every") {
            const fn = (): void => { seen.push([clock.now(), label]); };
            const id = o.op === "timer" ? s.at(o.at, fn) : s.every(o.step, fn, o.at);
            timerIds.push(id);
            live.set(label, { at: o.at, every: o.op === "every" ? o.step : 0, kind: 0, order: order++, label, cancelled: false });
            (live.get(label) as { id?: number }).id = id;
          } else {
            const pool = o.op === "cancel" ? timerIds : taskIds;
            if (pool.length === 0) continue;
            const id = pool[o.pick % pool.length]!;
            if (o.op === "cancel") s.cancel(id); else s.remove(id);
            for (const e of live.values()) if ((e as { id?: number }).id === id) e.cancelled = true;
          }
        }
        await s.runUntil(600);
        // reference: repeatedly take the earliest (at, kind, order) entry below 600
        const q = [...live.values()].filter((e) => !e.cancelled);
        for (;;) {
          q.sort((a, b) => a.at - b.at || a.kind - b.kind || a.order - b.order);
          const e = q[0];
          if (!e || e.at >= 600) break;
          expected.push([e.at, e.label, 0]);
          if (e.kind === 1 || e.every > 0) { e.at += e.every; if (e.kind === 0) e.order = order++; } else q.shift();
        }
        expect(seen).toEqual(expected.map(([at, l]) => [at, l]));
      },
    ), { numRuns: 60 });
  });

  it("wake() runs a sleeping task at once", async () => {
    const clock = new VirtualClock(0);
    const s = new Scheduler(clock, { speed: 1 });
    const ticks: number[] = [];
    const id = s.add({ tick: () => { ticks.push(clock.now()); return 60_000; } });
    const p = s.run();
    await new Promise((r) => setTimeout(r, 30));
    s.wake(id);
    await new Promise((r) => setTimeout(r, 30));
    await s.stop();
    await p;
    expect(ticks.length).toBe(2);
    expect(ticks[1]!).toBeLessThan(200);
  });

  it("steps a task on that keeps asking for 0 ms (busy-loop guard)", async () => {
    const clock = new VirtualClock(0);
    const s = new Scheduler(clock, { busyTicks: 100, busyStepMs: 1 });
    let busy = 0;
    s.onBusyLoop = () => busy++;
    s.add({ tick: () => 0 });
    await s.runUntil(50);
    expect(clock.now()).toBe(50);
    expect(busy).toBe(1);
    expect(s.stats.busyLoops).toBe(1);
  });
});

describe("TaskClock", () => {
  it("time a device blocks moves only its own clock; the scheduler continues from it", async () => {
    const shared = new VirtualClock(0);
    const s = new Scheduler(shared);
    const a = new TaskClock(shared);
    const b = new TaskClock(shared);
    const seenA: number[] = [];
    const seenB: number[] = [];
    // a blocks 30 ms in every tick (like pulseIn), then sleeps 100 ms
    s.add({ tick: () => { seenA.push(a.now()); a.advance(30); return 100; }, now: () => a.now() });
    s.add({ tick: () => { seenB.push(b.now()); return 50; }, now: () => b.now() });
    await s.runUntil(300);
    expect(seenB).toEqual([0, 50, 100, 150, 200, 250]); // never shifted by a's blocking
    expect(seenA).toEqual([0, 130, 260]); // its own blocking delays only itself
    expect(b.now()).toBe(300);
  });
});

describe("mqttExpectsReply", () => {
  it("knows which client packets the server answers", () => {
    expect(mqttExpectsReply(Uint8Array.of(0x10, 0x00))).toBe(true); // CONNECT
    expect(mqttExpectsReply(Uint8Array.of(0x30, 0x02, 0x00, 0x00))).toBe(false); // PUBLISH QoS 0
    expect(mqttExpectsReply(Uint8Array.of(0x32, 0x02, 0x00, 0x00))).toBe(true); // PUBLISH QoS 1
    expect(mqttExpectsReply(Uint8Array.of(0x40, 0x02, 0x00, 0x01))).toBe(false); // PUBACK
    expect(mqttExpectsReply(Uint8Array.of(0xc0, 0x00))).toBe(true); // PINGREQ
    expect(mqttExpectsReply(Uint8Array.of(0xe0, 0x00))).toBe(false); // DISCONNECT
    expect(mqttExpectsReply(Uint8Array.of(0x40, 0x02, 0x00, 0x01, 0xc0, 0x00))).toBe(true); // PUBACK + PINGREQ
  });
});
