/**
 * Worker threads for `Simulation({ workers: W })`: the devices of this
 * process are cut into W contiguous ranges, each run by a `Simulation` in
 * its own worker thread (sim/worker-entry.ts) with the one compiled
 * `WebAssembly.Module` (posted, not recompiled), its own scheduler paced
 * against real time at the same speed, and its own broker connections. The
 * platform emulator stays on the main thread. Workers post their events in
 * batches (every `BATCH_MS` real ms); the main Simulation re-emits them with
 * the same shapes, keeps the latest snapshot of every device, and sums the
 * workers' counters for `summary()`.
 *
 * Virtual time: each worker has its own clock. They start together and are
 * paced by the same real time, so at a finite speed they agree to within a
 * few ms of pacing lag; `now()` on the main thread is the latest time a
 * worker reported. An infinite speed is refused (each worker would race
 * ahead on its own).
 */
import { Worker } from "node:worker_threads";
import { packagePath } from "./paths.js";
import type { DeviceCounts, DeviceSnapshot, SimulationEvents, SimulationOptions } from "./simulation.js";

export const BATCH_MS = 50;

/** What the main thread tells a worker. */
export type ToWorker =
  | { cmd: "run" }
  | { cmd: "runUntil"; t: number; id: number }
  | { cmd: "pause"; id: number }
  | { cmd: "stop"; id: number }
  | { cmd: "counts"; id: number }
  | { cmd: "track" }
  | { cmd: "press"; uid: string; holdMs: number }
  | { cmd: "speed"; v: number };

/** One forwarded event: [name, args] as emitted by the worker's Simulation (relay events carry the worker's wall time). */
export type Forwarded = { name: keyof SimulationEvents; arg: unknown; wall?: number };

/** What a worker tells the main thread. */
export type FromWorker =
  | { type: "started"; snapshots: DeviceSnapshot[]; devices: WorkerDevice[]; now: number }
  | { type: "events"; events: Forwarded[]; now: number }
  | { type: "done"; id: number; now: number; error?: string }
  | { type: "counts"; id: number; counts: DeviceCounts }
  | { type: "fatal"; error: string };

/** What the platform emulator on the main thread needs to know about a worker's device. */
export interface WorkerDevice {
  uid: string;
  key: string;
  name: string;
  downlinkTopic: string;
}

/** workerData of a worker. */
export interface WorkerInit {
  options: SimulationOptions;
  range: { from: number; to: number };
  staggerMs: number;
  module: WebAssembly.Module;
  track: boolean;
}

interface Member {
  worker: Worker;
  now: number;
}

export class WorkerPool {
  private readonly members: Member[] = [];
  private readonly waiters = new Map<number, (m: FromWorker) => void>();
  private nextId = 1;
  readonly snapshots = new Map<string, DeviceSnapshot>();
  /** Every worker's devices, in order. */
  readonly devices: WorkerDevice[] = [];
  size = 0;

  private constructor(private readonly onEvent: (f: Forwarded) => void) {}

  /** Starts `count` workers over the device range and resolves when every worker's devices are initialised. */
  static async start(o: {
    count: number;
    options: SimulationOptions;
    range: { from: number; to: number };
    staggerMs: number;
    module: WebAssembly.Module;
    track: boolean;
    onEvent: (f: Forwarded) => void;
  }): Promise<WorkerPool> {
    const pool = new WorkerPool(o.onEvent);
    const len = o.range.to - o.range.from;
    const script = packagePath("dist", "sim", "worker-entry.js");
    // What a worker cannot receive (functions) stays here.
    const { brokerControl: _bc, firmware: _fw, workers: _w, shard: _s, ...plain } = o.options;
    const started: Array<Promise<void>> = [];
    for (let j = 0; j < o.count; j++) {
      const range = { from: o.range.from + Math.floor((j * len) / o.count), to: o.range.from + Math.floor(((j + 1) * len) / o.count) };
      const init: WorkerInit = { options: plain, range, staggerMs: o.staggerMs, module: o.module, track: o.track };
      const worker = new Worker(script, { workerData: init });
      const m: Member = { worker, now: 0 };
      pool.members.push(m);
      started.push(new Promise<void>((resolve, reject) => {
        worker.on("error", reject);
        worker.on("exit", (code) => reject(new Error(`simulation worker exited (${code}) before it started`)));
        worker.on("message", (msg: FromWorker) => {
          if (msg.type === "started") {
            worker.removeAllListeners("exit");
            worker.removeAllListeners("error");
            worker.on("error", (e) => o.onEvent({ name: "error", arg: e }));
            for (const s of msg.snapshots) pool.snapshots.set(s.uid, s);
            pool.devices.push(...msg.devices);
            pool.size += msg.snapshots.length;
            m.now = msg.now;
            resolve();
            return;
          }
          if (msg.type === "fatal") return reject(new Error(msg.error));
          pool.receive(m, msg);
        });
      }));
    }
    try {
      await Promise.all(started);
    } catch (e) {
      await Promise.all(pool.members.map((x) => x.worker.terminate()));
      throw e;
    }
    return pool;
  }

  /** The latest virtual time a worker reported. */
  get now(): number {
    let t = 0;
    for (const m of this.members) if (m.now > t) t = m.now;
    return t;
  }

  relayOf(uid: string): boolean | null {
    return this.snapshots.get(uid)?.relayOn ?? null;
  }

  run(): void {
    for (const m of this.members) m.worker.postMessage({ cmd: "run" } satisfies ToWorker);
  }

  runUntil(t: number): Promise<void> {
    return this.all((id) => ({ cmd: "runUntil", t, id }));
  }

  pause(): Promise<void> {
    return this.all((id) => ({ cmd: "pause", id }));
  }

  track(): void {
    for (const m of this.members) m.worker.postMessage({ cmd: "track" } satisfies ToWorker);
  }

  press(uid: string, holdMs: number): void {
    for (const m of this.members) m.worker.postMessage({ cmd: "press", uid, holdMs } satisfies ToWorker);
  }

  setSpeed(v: number): void {
    for (const m of this.members) m.worker.postMessage({ cmd: "speed", v } satisfies ToWorker);
  }

  async counts(): Promise<DeviceCounts> {
    const { addCounts, emptyCounts } = await import("./simulation.js");
    const all = await Promise.all(this.members.map((m) => this.ask(m, (id) => ({ cmd: "counts", id }))));
    return all.reduce((a, r) => (r.type === "counts" ? addCounts(a, r.counts) : a), emptyCounts());
  }

  /** Stops every worker's Simulation (devices send DISCONNECT) and ends the threads. */
  async stop(): Promise<void> {
    await Promise.race([this.all((id) => ({ cmd: "stop", id })), new Promise((r) => setTimeout(r, 10_000))]);
    await Promise.all(this.members.map((m) => m.worker.terminate()));
  }

  private async all(make: (id: number) => ToWorker): Promise<void> {
    const res = await Promise.all(this.members.map((m) => this.ask(m, make)));
    const failed = res.find((r) => r.type === "done" && r.error);
    if (failed && failed.type === "done") throw new Error(failed.error);
  }

  private ask(m: Member, make: (id: number) => ToWorker): Promise<FromWorker> {
    const id = this.nextId++;
    return new Promise((resolve) => {
      this.waiters.set(id, resolve);
      m.worker.postMessage(make(id));
    });
  }

  private receive(m: Member, msg: FromWorker): void {
    if (msg.type === "events") {
      m.now = msg.now;
      for (const f of msg.events) {
        if (f.name === "device-update") {
          const s = f.arg as DeviceSnapshot;
          this.snapshots.set(s.uid, s);
        }
        this.onEvent(f);
      }
      return;
    }
    if (msg.type === "done" || msg.type === "counts") {
      if (msg.type === "done") m.now = msg.now;
      const w = this.waiters.get(msg.id);
      this.waiters.delete(msg.id);
      w?.(msg);
    }
  }
}
