/**
 * Fleet scale, side by side against the same mosquitto: N iotbind-tank
 * devices in one Node process versus N plain mqtt.js devices (see
 * fleet-worker.ts), each measurement in its own child process. This process
 * plays the platform: it echoes a state message to devices/<uid>/state for
 * every uplink, as iotBind does after each update.
 */
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { performance } from "node:perf_hooks";
import mqtt from "mqtt";
import { packagePath } from "../sim/paths.js";
import type { FleetJob, FleetKind, FleetSample } from "./fleet-worker.js";
import { round } from "./util.js";

export interface FleetRow {
  n: number;
  iotbind?: FleetSample;
  plain: FleetSample;
  /** The same firmware devices driven by the Simulation runner (when run). */
  sim?: FleetSample;
  /** The Simulation runner with two worker threads (when run). */
  workers?: FleetSample;
  /** Per kind: messages per second, CPU µs per device-message, RSS KiB per device. */
  derived: {
    iotbind?: Derived;
    plain: Derived;
    sim?: Derived;
    workers?: Derived;
    /** iotbind / plain. */
    cpuRatio?: number;
    rssRatio?: number;
    workersCpuRatio?: number;
    /** Simulation runner / plain. */
    simCpuRatio?: number;
    simRssRatio?: number;
  };
}

export interface Derived {
  msgPerS: number;
  /** Achieved message rate in % of the requested one (N uplinks + N downlinks per period). */
  ratePct: number;
  /** CPU of the broker (mosquitto) and of this process (the platform echo) during the window, µs per device-message. */
  brokerUsPerMsg: number;
  echoUsPerMsg: number;
  cpuUsPerMsg: number;
  cpuPctOfCore: number;
  rssKiBPerDevice: number;
}

export interface FleetResult {
  config: { periodS: number; speed: number; warmupS: number; measureS: number; budgetS: number; /** Each kind ran this many times per N; the run with the highest rate is kept. */ repeats?: number };
  rows: FleetRow[];
  stoppedBecause: string;
}

/** CPU time (user + system) of a process so far, ms, from /proc (Linux); NaN when unknown. */
function procCpuMs(pid: number | undefined): number {
  if (!pid) return NaN;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return ((Number(f[11]) + Number(f[12])) * 1000) / 100; // utime, stime in clock ticks (USER_HZ 100)
  } catch {
    return NaN;
  }
}

interface WindowCpu { brokerMs: number; echoMs: number }

function derive(s: FleetSample & { window?: WindowCpu }, periodS: number): Derived {
  const msgs = s.uplinks + s.downlinks;
  return {
    msgPerS: round(msgs / s.measureS, 1),
    ratePct: round((msgs / s.measureS / ((2 * s.n) / periodS)) * 100, 0),
    brokerUsPerMsg: msgs > 0 && s.window ? round((s.window.brokerMs * 1000) / msgs, 1) : NaN,
    echoUsPerMsg: msgs > 0 && s.window ? round((s.window.echoMs * 1000) / msgs, 1) : NaN,
    cpuUsPerMsg: msgs > 0 ? round((s.cpuMs * 1000) / msgs, 1) : NaN,
    cpuPctOfCore: round((s.cpuMs / (s.measureS * 1000)) * 100, 1),
    rssKiBPerDevice: round(((s.rssMiB - s.rssBaselineMiB) * 1024) / s.n, 1),
  };
}

function runWorker(job: FleetJob, timeoutMs: number, brokerPid?: number): Promise<FleetSample & { window?: WindowCpu }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ["--expose-gc", packagePath("dist", "bench", "fleet-worker.js"), JSON.stringify(job)], { stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    let err = "";
    let b0 = NaN;
    let e0 = 0;
    let window: WindowCpu | undefined;
    child.stdout.on("data", (d: Buffer) => {
      const text = d.toString();
      if (text.includes("window-start")) { b0 = procCpuMs(brokerPid); const u = process.cpuUsage(); e0 = (u.user + u.system) / 1000; }
      if (text.includes("window-end")) { const u = process.cpuUsage(); window = { brokerMs: procCpuMs(brokerPid) - b0, echoMs: (u.user + u.system) / 1000 - e0 }; }
      out += text;
    });
    child.stderr.on("data", (d: Buffer) => { err += d.toString(); });
    const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
    child.on("exit", (code) => {
      clearTimeout(timer);
      const line = out.trim().split("\n").filter((l) => l.startsWith("{")).pop();
      if (line) {
        resolve({ ...(JSON.parse(line) as FleetSample), window });
        return;
      }
      resolve({
        kind: job.kind, n: job.n, connected: 0, uplinks: 0, downlinks: 0, measureS: job.measureS, cpuMs: 0,
        rssBaselineMiB: 0, rssMiB: 0, heapUsedMiB: 0, startS: 0, error: `worker exited ${code}: ${err.slice(-500)}`,
      });
    });
  });
}

/** The platform's echo: a state message for every uplink. */
async function startEcho(broker: FleetJob["broker"]): Promise<{ echoed: () => number; close: () => Promise<void> }> {
  const client = await mqtt.connectAsync(`mqtt://${broker.host}:${broker.port}`, { username: broker.user, password: broker.password, clientId: `bench-echo-${process.pid}`, reconnectPeriod: 1000 });
  let n = 0;
  await client.subscribeAsync("iotbind/tank/+", { qos: 1 });
  client.on("message", (topic, payload) => {
    const uid = topic.slice("iotbind/tank/".length);
    let level = "0";
    try {
      const m = JSON.parse(payload.toString("utf8")) as { level?: unknown };
      if (typeof m.level === "string") level = m.level;
    } catch {
      return;
    }
    n++;
    client.publish(`devices/${uid}/state`, JSON.stringify({ uid, name: uid, type: "Water Level", cmd: "off", level, level_unit: "%", temperature: "20", temperature_unit: "C" }), { qos: 1 });
  });
  return { echoed: () => n, close: () => client.endAsync() };
}

export async function measureFleet(
  broker: FleetJob["broker"] & { pid?: number },
  o: { sizes: number[]; growUntilBudget: boolean; budgetS: number; warmupS: number; measureS: number; simulation: boolean; log: (s: string) => void; kinds?: FleetKind[]; repeats?: number },
  // (the Simulation kind is dropped for larger N once it achieves less than half the requested rate)
): Promise<FleetResult> {
  const speed = 10;
  const periodS = 10 / speed; // the firmware's heartbeat_s (10 s) at speed 10
  const echo = await startEcho(broker);
  const rows: FleetRow[] = [];
  const t0 = performance.now();
  let simDropped = false;
  let simNote = "";
  let stoppedBecause = "sizes done";
  try {
    const sizes = [...o.sizes];
    for (let i = 0; i < sizes.length; i++) {
      const n = sizes[i]!;
      const started = performance.now();
      const samples: Partial<Record<FleetKind, FleetSample>> = {};
      const all: FleetKind[] = o.kinds ?? ["plain", "iotbind", ...(o.simulation ? (["iotbind-sim", "iotbind-workers"] as const) : [])];
      const kinds = all.filter((k) => !(simDropped && (k === "iotbind-sim" || k === "iotbind-workers")));
      for (const kind of kinds) {
        const job: FleetJob = {
          kind, n, broker: { host: broker.host, port: broker.port, user: broker.user, password: broker.password }, periodS, speed, startRate: 1000, warmupS: o.warmupS, measureS: o.measureS,
          connectTimeoutS: Math.max(10, n / 200), prefix: `b${process.pid % 10000}${kind === "iotbind-sim" ? "s" : kind === "iotbind-workers" ? "w" : kind[0]}${n}`,
        };
        // Best of `repeats` runs (the highest message rate): other load on a shared machine only lowers a rate.
        for (let rep = 0; rep < (o.repeats ?? 1); rep++) {
          // A repeat gets other uids of the same length (plain mqtt.js client ids are cut at 23 characters).
          const s = await runWorker({ ...job, prefix: job.prefix.replace(/^b\d+/, `b${(process.pid + rep) % 10000}`) }, (job.connectTimeoutS + o.warmupS + o.measureS + n / 100 + 60) * 1000, broker.pid);
          o.log(`fleet ${kind} N=${n}${rep > 0 ? ` (run ${rep + 1})` : ""}: ${s.error ?? `${s.connected}/${n} connected, ${s.uplinks}+${s.downlinks} msgs in ${s.measureS}s, cpu ${s.cpuMs} ms, rss ${s.rssMiB} MiB (base ${s.rssBaselineMiB})`}`);
          const prev = samples[kind];
          const rate = (x: FleetSample): number => (x.error ? -1 : (x.uplinks + x.downlinks) / x.measureS);
          if (!prev || rate(s) > rate(prev)) samples[kind] = s;
        }
      }
      const a = samples.iotbind;
      const b = samples.plain!;
      const da = a ? derive(a, periodS) : undefined;
      const db = derive(b, periodS);
      const row: FleetRow = { n, plain: b, derived: { plain: db } };
      if (a && da) {
        row.iotbind = a;
        row.derived.iotbind = da;
        row.derived.cpuRatio = round(da.cpuUsPerMsg / db.cpuUsPerMsg, 2);
        row.derived.rssRatio = round(da.rssKiBPerDevice / db.rssKiBPerDevice, 2);
      }
      const w = samples["iotbind-workers"];
      if (w) {
        const dw = derive(w, periodS);
        row.workers = w;
        row.derived.workers = dw;
        row.derived.workersCpuRatio = round(dw.cpuUsPerMsg / db.cpuUsPerMsg, 2);
      }
      const c = samples["iotbind-sim"];
      if (c) {
        const dc = derive(c, periodS);
        if (dc.ratePct < 50 && !simDropped && !o.kinds) {
          simDropped = true;
          simNote = `the Simulation runner reached ${dc.ratePct} % of the requested message rate at N=${n}: not run at larger N`;
        }
        row.sim = c;
        row.derived.sim = dc;
        row.derived.simCpuRatio = round(dc.cpuUsPerMsg / db.cpuUsPerMsg, 2);
        row.derived.simRssRatio = round(dc.rssKiBPerDevice / db.rssKiBPerDevice, 2);
      }
      rows.push(row);
      const took = (performance.now() - started) / 1000;
      const elapsed = (performance.now() - t0) / 1000;
      // Larger N only while both the Device fleet and the plain fleet kept up (connections and >= 90 % of the requested rate).
      const healthy = [a ?? b, b].every((x) => !x.error && x.connected >= n * 0.99) && (da?.ratePct ?? 100) >= 90 && db.ratePct >= 90;
      if (i === sizes.length - 1 && o.growUntilBudget) {
        if (!healthy) { stoppedBecause = `at N=${n} the machine no longer kept up (connections, errors, or < 90 % of the requested message rate)`; break; }
        // the next size doubles; its start-up grows with N: assume ~2.5x the time
        if (elapsed + took * 2.5 > o.budgetS) { stoppedBecause = `the time budget (${Math.round(o.budgetS)} s) would be exceeded by N=${n * 2}`; break; }
        sizes.push(n * 2);
      }
    }
  } finally {
    await echo.close();
  }
  return { config: { periodS, speed, warmupS: o.warmupS, measureS: o.measureS, budgetS: Math.round(o.budgetS), repeats: o.repeats ?? 1 }, rows, stoppedBecause: simNote ? `${stoppedBecause}; ${simNote}` : stoppedBecause };
}
