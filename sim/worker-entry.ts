/**
 * One worker thread of `Simulation({ workers })` (see sim/workers.ts): runs
 * its range of the fleet in a `Simulation` without the platform emulator and
 * posts the events to the main thread in batches.
 */
import { parentPort, workerData } from "node:worker_threads";
import { Simulation, deviceCounts, addCounts, emptyCounts, wallMs } from "./simulation.js";
import type { Forwarded, FromWorker, ToWorker, WorkerInit } from "./workers.js";
import { BATCH_MS } from "./workers.js";

async function main(): Promise<void> {
  const port = parentPort!;
  const init = workerData as WorkerInit;
  const sim = new Simulation({ ...init.options, firmware: init.module, platform: false, workers: 0, range: init.range, staggerMs: init.staggerMs });
  let batch: Forwarded[] = [];
  const post = (m: FromWorker): void => port.postMessage(m);
  const flush = (): void => {
    if (batch.length === 0) return;
    const events = batch;
    batch = [];
    post({ type: "events", events, now: sim.now() });
  };
  const timer = setInterval(flush, BATCH_MS);
  const forward = (name: Forwarded["name"]) => (arg: unknown): void => { batch.push({ name, arg }); };
  sim.on("relay", (e) => { batch.push({ name: "relay", arg: e, wall: wallMs() }); });
  for (const name of ["conn", "log", "trap", "broker"] as const) sim.on(name, forward(name));
  sim.on("error", (e) => batch.push({ name: "error", arg: { message: e.message } }));
  let tracking = false;
  const track = (): void => {
    if (tracking) return;
    tracking = true;
    sim.on("publish", forward("publish"));
    sim.on("device-update", forward("device-update"));
  };
  if (init.track) track();
  await sim.start();
  const devices = sim.devices.map((d) => ({ uid: d.uid, key: d.key, name: d.name, downlinkTopic: String(d.config.downlink_topic) }));
  post({ type: "started", snapshots: sim.snapshots(), devices, now: sim.now() });
  const done = (id: number, error?: unknown): void => {
    flush();
    post({ type: "done", id, now: sim.now(), ...(error ? { error: (error as Error).message } : {}) });
  };
  port.on("message", (m: ToWorker) => {
    switch (m.cmd) {
      case "run": void sim.run().catch((e: unknown) => batch.push({ name: "error", arg: { message: (e as Error).message } })); break;
      case "runUntil": sim.runUntil(m.t).then(() => done(m.id), (e: unknown) => done(m.id, e)); break;
      case "pause": sim.pause().then(() => done(m.id), (e: unknown) => done(m.id, e)); break;
      case "track": track(); break;
      case "press": if (sim.devices.some((d) => d.uid === m.uid)) sim.pressButton(m.uid); break;
      case "speed": sim.speed = m.v; break;
      case "counts":
        post({ type: "counts", id: m.id, counts: sim.devices.reduce((a, d) => addCounts(a, deviceCounts(d.device)), emptyCounts()) });
        break;
      case "stop":
        clearInterval(timer);
        sim.stop().then(() => done(m.id), (e: unknown) => done(m.id, e));
        break;
    }
  });
}

main().catch((e: unknown) => parentPort?.postMessage({ type: "fatal", error: (e as Error).message } satisfies FromWorker));
