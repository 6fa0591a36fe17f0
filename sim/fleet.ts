/**
 * A fleet: N simulated devices, each its own instance of ONE compiled
 * `WebAssembly.Module`, on one Simulation; reports the memory per device
 * (wasm linear memory per instance, and the process RSS / JS heap / external
 * memory growth divided by N).
 *
 *   const report = await runFleet({ devices: 100, broker: { url, user, password } });
 *   console.log(formatFleetReport(report));
 *
 * Or: `node dist/sim/fleet.js 100 [mqtt://host:port user password]`, or with
 * `mqtts://host:8883 user password ca.pem` over TLS.
 */
import { isMain } from "./main.js";
import { performance } from "node:perf_hooks";
import { readFileSync } from "node:fs";
import { Simulation, type BrokerOption, type SimDeviceSpec } from "./simulation.js";
import { loadFirmware } from "./host/device.js";

export interface FleetOptions {
  devices: number;
  broker?: BrokerOption;
  /** Platform emulator (default true). */
  platform?: boolean;
  /** Virtual ms per real ms (default Infinity). */
  speed?: number;
  /** Stop when every device is connected and has published a reading, or after this much virtual time (default 120 s). */
  maxVirtualS?: number;
  /** Real-time limit (default 60 s). */
  timeoutRealMs?: number;
  /** Applied to every device. */
  defaults?: SimDeviceSpec;
  seed?: string;
  /** uids are `<uidPrefix>-001`... (default "fleet"). */
  uidPrefix?: string;
  /** Longest real time virtual time waits for one network reply (default 1000 ms: a broker busy with N connects is slow). */
  ioWaitRealMs?: number;
  /** Device i boots at i × staggerMs of virtual time (default 0: all at once, which keeps the network waits overlapping). */
  staggerMs?: number;
}

export interface MemorySample {
  rss: number;
  heapUsed: number;
  external: number;
  arrayBuffers: number;
}

export interface FleetReport {
  devices: number;
  connected: number;
  /** Devices that published at least one reading (a message with "level"). */
  published: number;
  /** Readings the platform emulator accepted (null without it). */
  platformReadings: number | null;
  virtualS: number;
  realMs: number;
  /** Start-up (instantiate + init of every device), real ms. */
  startRealMs: number;
  /** Wasm linear memory of one instance, bytes (every instance has its own). */
  wasmBytesPerDevice: number;
  /** Memory growth from before the devices to the end, divided by N, bytes. */
  perDevice: MemorySample;
  before: MemorySample;
  after: MemorySample;
  traps: number;
}

function mem(): MemorySample {
  const m = process.memoryUsage();
  return { rss: m.rss, heapUsed: m.heapUsed, external: m.external, arrayBuffers: m.arrayBuffers };
}

function gc(): void {
  (globalThis as { gc?: () => void }).gc?.();
}

export async function runFleet(o: FleetOptions): Promise<FleetReport> {
  const n = o.devices;
  const module = await loadFirmware();
  // The baseline is taken before the simulation starts, so the fixed part (embedded broker, platform
  // emulator) is included in the per-device figures: an upper bound, small next to N devices.
  gc();
  const before = mem();
  const t0 = performance.now();
  const sim = new Simulation({
    devices: n,
    broker: o.broker,
    platform: o.platform ?? true,
    speed: o.speed ?? Infinity,
    seed: o.seed ?? "fleet",
    firmware: module,
    defaults: o.defaults,
    uidPrefix: o.uidPrefix ?? "fleet",
    ioWaitRealMs: o.ioWaitRealMs ?? 1000,
    staggerMs: o.staggerMs ?? 0,
    updateIntervalMs: 0,
  });
  const publishedBy = new Set<string>();
  let traps = 0;
  sim.on("publish", (e) => {
    if (e.payload.includes('"level"')) publishedBy.add(e.uid);
  });
  sim.on("trap", () => traps++);
  let report: FleetReport | null = null;
  try {
    await sim.start();
    const startRealMs = performance.now() - t0;
    const maxVirtualMs = (o.maxVirtualS ?? 120) * 1000;
    const deadline = performance.now() + (o.timeoutRealMs ?? 60_000);
    const allDone = (): boolean => publishedBy.size === n && sim.devices.every((d) => d.device.connState === 4);
    // Check every virtual second; stop early when everyone is up and has published.
    const check = sim.scheduler.every(1000, () => {
      if (allDone() || performance.now() > deadline) void sim.scheduler.stop();
    });
    await sim.runUntil(maxVirtualMs);
    sim.scheduler.cancel(check);
    gc();
    const after = mem();
    const per = (k: keyof MemorySample): number => Math.round((after[k] - before[k]) / n);
    report = {
      devices: n,
      connected: sim.devices.filter((d) => d.device.connState === 4).length,
      published: publishedBy.size,
      platformReadings: sim.platform ? sim.platform.counters.accepted : null,
      virtualS: sim.now() / 1000,
      realMs: Math.round(performance.now() - t0),
      startRealMs: Math.round(startRealMs),
      wasmBytesPerDevice: sim.devices[0]?.device.memory.buffer.byteLength ?? 0,
      perDevice: { rss: per("rss"), heapUsed: per("heapUsed"), external: per("external"), arrayBuffers: per("arrayBuffers") },
      before,
      after,
      traps,
    };
  } finally {
    await sim.stop();
  }
  return report;
}

const kib = (b: number): string => `${(b / 1024).toFixed(1)} KiB`;

export function formatFleetReport(r: FleetReport): string {
  return [
    `fleet of ${r.devices} devices (one compiled module, ${r.devices} instances): ${r.connected} connected, ${r.published} published a reading` +
      `${r.platformReadings === null ? "" : `, ${r.platformReadings} messages accepted by the platform`}, ${r.traps} traps`,
    `  ${r.virtualS.toFixed(1)} virtual s in ${r.realMs} real ms (start-up of all devices ${r.startRealMs} ms)`,
    `  memory per device: wasm linear memory ${kib(r.wasmBytesPerDevice)}; process growth / N: RSS ${kib(r.perDevice.rss)}, JS heap ${kib(r.perDevice.heapUsed)}, external ${kib(r.perDevice.external)} (array buffers ${kib(r.perDevice.arrayBuffers)})`,
    `  process total: RSS ${(r.after.rss / 1048576).toFixed(1)} MiB (before ${(r.before.rss / 1048576).toFixed(1)} MiB)`,
  ].join("\n");
}

if (isMain(import.meta.url)) {
  // node build/sim/fleet.js N [mqtt[s]://host:port [user password [ca.pem]]]
  const [n = "100", url, user, password, caFile] = process.argv.slice(2);
  const broker: BrokerOption = url ? { url, user, password, ...(caFile ? { ca: readFileSync(caFile) } : {}) } : { embedded: true };
  runFleet({ devices: Number(n), broker }).then(
    (r) => process.stdout.write(`${formatFleetReport(r)}\n`),
    (e: unknown) => {
      process.stderr.write(`${(e as Error).stack ?? String(e)}\n`);
      process.exit(1);
    },
  );
}
