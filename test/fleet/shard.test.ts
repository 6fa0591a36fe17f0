/**
 * Shards and worker threads of a Simulation (against the real mosquitto):
 * shards are disjoint, cover the fleet and are reproducible (a device has
 * the same uid, name and world in its shard as in the whole fleet); workers
 * deliver the same events, snapshots and summary on the main thread.
 */
import { afterEach, describe, expect, inject, it } from "vitest";
import fc from "fast-check";
import { Simulation, parseShard, shardRange, type ConnEvent, type PublishEvent, type RelayEvent } from "../../sim/simulation.js";
import { parseCli } from "../../sim/cli.js";

const broker = inject("broker");
const url = `mqtt://${broker.host}:${broker.port}`;
const sims: Simulation[] = [];
afterEach(async () => {
  await Promise.all(sims.splice(0).map((s) => s.stop()));
});

function make(o: ConstructorParameters<typeof Simulation>[0]): Simulation {
  const s = new Simulation({ broker: { url, user: broker.user, password: broker.password }, platform: false, speed: Infinity, updateIntervalMs: 0, ...o });
  sims.push(s);
  return s;
}

describe("shards", () => {
  it("shardRange: for any fleet size and shard count the slices are contiguous, disjoint and cover the fleet", () => {
    fc.assert(fc.property(fc.integer({ min: 0, max: 100_000 }), fc.integer({ min: 1, max: 64 }), (total, n) => {
      let next = 0;
      for (let k = 1; k <= n; k++) {
        const r = shardRange(total, parseShard(`${k}/${n}`));
        expect(r.from).toBe(next);
        expect(r.to).toBeGreaterThanOrEqual(r.from);
        expect(r.to - r.from).toBeLessThanOrEqual(Math.ceil(total / n));
        next = r.to;
      }
      expect(next).toBe(total);
    }));
  });

  it("parseShard refuses anything but K/N with 1 <= K <= N (API and CLI)", () => {
    for (const bad of ["0/3", "4/3", "1/0", "a/b", "1", "1/2/3", "-1/2", " "]) {
      expect(() => parseShard(bad)).toThrow(/K\/N/);
      if (!bad.startsWith("-")) expect(() => parseCli(["sim", "--shard", bad])).toThrow(/K\/N/);
    }
    expect(parseShard(" 2 / 5 ")).toEqual({ k: 2, n: 5 });
    expect(parseCli(["sim", "--shard", "2/5", "--workers", "2", "--speed", "10", "--summary", "x.json"])).toMatchObject({ shard: "2/5", workers: 2, summary: "x.json" });
    expect(() => parseCli(["sim", "--workers", "2", "--speed", "max"])).toThrow(/finite/);
  });

  it("the shards of a fleet run exactly its devices, each once, with the same uids, names, worlds and boot times", async () => {
    const total = 7;
    const prefix = `sh${process.pid}`;
    const common = { devices: total, uidPrefix: prefix, seed: "shard-test" };
    const whole = make(common);
    await whole.start();
    const ref = new Map(whole.snapshots().map((s) => [s.uid, s]));
    const refWorld = new Map(whole.devices.map((d) => [d.uid, d.hardware.truth()]));
    await whole.stop();
    for (const n of [1, 2, 3, 7]) {
      const seen: string[] = [];
      for (let k = 1; k <= n; k++) {
        const s = make({ ...common, shard: `${k}/${n}` });
        await s.start();
        for (const d of s.devices) {
          seen.push(d.uid);
          expect(d.name).toBe(ref.get(d.uid)!.name);
          expect(d.hardware.truth()).toEqual(refWorld.get(d.uid));
          expect(d.config).toEqual(whole.devices.find((x) => x.uid === d.uid)!.config);
        }
        await s.runFor(30_000); // and the slice runs
        await s.stop();
      }
      expect(seen.length).toBe(total);
      expect(new Set(seen).size).toBe(total);
      expect(new Set(seen)).toEqual(new Set(ref.keys()));
    }
  }, 60_000);
});

describe("staggered boots", () => {
  it("a device that boots late connects on its first attempt (its init and connect timeout start at its boot time)", async () => {
    for (const speed of [Infinity, 200]) {
      const s = make({ devices: 12, speed, uidPrefix: `st${process.pid}${speed}` }); // default stagger: 60 s / 12 = 5 s, connect timeout 10 s
      await s.start();
      await s.runFor(70_000);
      for (const d of s.devices) {
        expect(d.device.connStateName, d.uid).toBe("CONNECTED");
        expect(d.device.counter(1), `${d.uid} connect attempts`).toBe(1);
      }
      const sum = await s.summary();
      expect(sum.disconnects).toEqual({});
      expect(sum.connected).toBe(12);
      await s.stop();
    }
  }, 60_000);
});

describe("workers", () => {
  it("devices in worker threads: the same events, snapshots and summary on the main thread", async () => {
    const prefix = `wk${process.pid}`;
    const s = new Simulation({
      broker: { url, user: broker.user, password: broker.password },
      devices: 6,
      workers: 2,
      speed: 40,
      uidPrefix: prefix,
      defaults: { tank: { initialLevelPct: 50, consumptionLph: 0 }, config: { heartbeat_s: 10, auto: false, min_on_s: 0, min_off_s: 0 } },
      updateIntervalMs: 50,
    });
    sims.push(s);
    const conns: ConnEvent[] = [];
    const pubs: PublishEvent[] = [];
    const relays: RelayEvent[] = [];
    s.on("conn", (e) => conns.push(e));
    s.on("publish", (e) => pubs.push(e));
    s.on("relay", (e) => relays.push(e));
    await s.start();
    expect(s.devices).toEqual([]); // the Device objects live in the workers
    await s.runFor(25_000);
    const uids = Array.from({ length: 6 }, (_, i) => `${prefix}-${String(i + 1).padStart(3, "0")}`);
    for (const uid of uids) {
      expect(conns.some((e) => e.uid === uid && e.state === "CONNECTED")).toBe(true);
      expect(pubs.some((e) => e.uid === uid && e.topic === `iotbind/tank/${uid}`)).toBe(true);
    }
    expect(s.snapshots().map((x) => x.uid).sort()).toEqual(uids);
    expect(s.now()).toBeGreaterThanOrEqual(25_000);
    await s.setSwitch(uids[4]!, true);
    await s.runFor(5_000);
    expect(relays.some((e) => e.uid === uids[4] && e.on)).toBe(true);
    await new Promise((r) => setTimeout(r, 120));
    expect(s.snapshot(uids[4]!).relayOn).toBe(true);
    const sum = await s.summary();
    expect(sum.devices).toBe(6);
    expect(sum.workers).toBe(2);
    expect(sum.connected).toBe(6);
    expect(sum.messages.uplinks).toBeGreaterThanOrEqual(6);
    expect(sum.messages.downlinks).toBeGreaterThanOrEqual(6);
    expect(sum.latencyMs.platformToRelay.samples).toBe(1);
    expect(sum.latencyMs.platformToRelay.p50).toBeGreaterThan(0);
    expect(sum.traps).toBe(0);
    expect(JSON.parse(JSON.stringify(sum))).toEqual(sum);
  }, 60_000);

  it("refuses an infinite speed with workers", async () => {
    const s = make({ devices: 2, workers: 2, speed: Infinity });
    await expect(s.start()).rejects.toThrow(/finite speed/);
  });
});
