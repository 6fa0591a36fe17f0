/** The virtual-time scheduler on its own (no firmware, no network). */
import { describe, expect, it } from "vitest";
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
