/**
 * Runs a scenario (types.ts) on a Simulation in virtual time, records the
 * tank, checks the expectations and writes `<outDir>/<name>/recording.csv`,
 * `events.csv`, `plot.svg` and `result.json`.
 *
 *   const result = await runScenario(builtinScenario("day-refill")!, { broker: { url, user, password } });
 *   result.passed; result.checks; result.artifacts;
 */
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { performance } from "node:perf_hooks";
import { Simulation, type BrokerOption, type SimulationOptions } from "../simulation.js";
import { QUALITY_NAMES } from "../host/abi.js";
import { toCsv } from "../report/csv.js";
import { plotSvg, type PlotSample } from "../report/svg.js";
import { BUILTIN_SCENARIOS, builtinScenario } from "./builtin.js";
import { ScenarioError, suggest, validateScenario } from "./schema.js";
import type { Expectation, Scenario, ScenarioEvent } from "./types.js";

export interface RunScenarioOptions {
  broker?: BrokerOption;
  /** For an external broker: stop/start it (broker-outage). */
  brokerControl?: SimulationOptions["brokerControl"];
  /** Artifacts go to `<outDir>/<name>/` (default test-artifacts/scenarios); null = none. */
  outDir?: string | null;
  /** Overrides the scenario's speed. */
  speed?: number;
  seed?: string | number;
  /** The device's uid (default the scenario's, or "tank-001"); use a unique one on a shared broker. */
  uid?: string;
  firmware?: WebAssembly.Module;
  /** Called with the simulation before it starts ticking (attach listeners, views). */
  onSimulation?: (sim: Simulation) => void;
  /** Aborting ends the run early (Ctrl-C): the devices still disconnect cleanly; `aborted` is set in the result. */
  signal?: AbortSignal;
  /** Real seconds of virtual time standing still after which the run fails with a ScenarioError (default STALL_S). */
  stallS?: number;
}

/** Real seconds without any virtual progress after which a scenario fails as stuck. */
export const STALL_S = 30;

export interface CheckResult {
  expectation: Expectation;
  passed: boolean;
  detail: string;
}

export interface ScenarioResult {
  name: string;
  passed: boolean;
  checks: CheckResult[];
  /** Real ms the run took. */
  realMs: number;
  /** The run was cut short by `signal` (the expectations then describe a partial run). */
  aborted: boolean;
  virtualS: number;
  artifacts: { dir: string; csv: string; eventsCsv: string; svg: string; json: string } | null;
  stats: { publishes: number; platformReadings: number; relayChanges: number; traps: number; ticks: number };
}

interface Sample extends PlotSample {
  online: boolean;
  quality: string;
  temperature: number | null;
  air: number;
}

interface LogEvent {
  t: number;
  kind: string;
  detail: string;
}

/**
 * Loads a scenario: a built-in name, or a JSON file path, validated against
 * the scenario schema (schema.ts). Every problem is a ScenarioError with one
 * line naming the file and what to change.
 */
export async function loadScenario(nameOrPath: string): Promise<Scenario> {
  const b = builtinScenario(nameOrPath);
  if (b) return b;
  let text: string;
  try {
    text = await readFile(resolve(nameOrPath), "utf8");
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const names = BUILTIN_SCENARIOS.map((x) => x.name);
    if (code === "ENOENT" || code === "ENOTDIR") {
      const near = suggest(nameOrPath, names);
      throw new ScenarioError(`no scenario "${nameOrPath}": no such file, and the built-in ones are ${names.join(", ")}${near.startsWith("; did") ? near : ""}`);
    }
    throw new ScenarioError(`cannot read scenario file ${nameOrPath}: ${code === "EISDIR" ? "it is a directory" : code === "EACCES" ? "permission denied" : (e as Error).message}`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw new ScenarioError(`${nameOrPath}: ${jsonErrorWhere(text, (e as Error).message)}`);
  }
  return validateScenario(value, nameOrPath);
}

/** "JSON syntax error at line L, column C: <what>" from JSON.parse's message (positions are 0-based offsets). */
export function jsonErrorWhere(text: string, message: string): string {
  const what = message.replace(/\s*in JSON at position \d+.*$/s, "").replace(/\s*\(line \d+ column \d+\)$/, "").replace(/^JSON\.parse: /, "");
  const m = /at position (\d+)/.exec(message);
  let pos = m ? Number(m[1]) : NaN;
  if (!m && /Unexpected end of JSON input/.test(message)) pos = text.length;
  if (!Number.isFinite(pos)) return `JSON syntax error: ${what}`;
  const before = text.slice(0, pos);
  const line = before.split("\n").length;
  const col = pos - before.lastIndexOf("\n");
  return `JSON syntax error at line ${line}, column ${col}: ${what}`;
}

export async function runScenario(s: Scenario, o: RunScenarioOptions = {}): Promise<ScenarioResult> {
  const speed = o.speed ?? (s.speed === "max" || s.speed === undefined ? Infinity : s.speed);
  const seed = o.seed ?? s.seed ?? 1;
  const sim = new Simulation({
    // The world's seed does not depend on the uid, so a run repeats whatever uid a test gives the device.
    devices: [{ seed: `${seed}/${s.name}`, ...s.device, ...(o.uid !== undefined ? { uid: o.uid } : {}) }],
    broker: o.broker,
    brokerControl: o.brokerControl,
    platform: s.platform ?? true,
    speed,
    seed,
    firmware: o.firmware,
    updateIntervalMs: 0,
  });
  const samples: Sample[] = [];
  const log: LogEvent[] = [];
  const relayEvents: Array<{ t: number; on: boolean; level: number }> = [];
  const publishedLevels: Array<{ t: number; raw: unknown; trueLevel: number }> = [];
  const readings: Array<{ t: number; level: string | null }> = [];
  const brokerStarts: number[] = [];
  const outages: Array<[number, number]> = [];
  const switches: Array<{ t: number; on: boolean }> = [];
  let traps = 0;
  const realStart = performance.now();

  await sim.start();
  o.onSimulation?.(sim);
  const dev = sim.devices[0]!;
  const hw = dev.hardware;
  const sec = (): number => sim.now() / 1000;
  /** `inHal`: called from inside a firmware tick (a hal import): do not call back into the wasm instance. */
  const sample = (inHal = false): void => {
    const t = hw.truth();
    const prev = samples[samples.length - 1];
    samples.push({
      t: sec(),
      trueLevel: t.levelPct,
      level: inHal ? (prev?.level ?? null) : dev.device.levelPct,
      relay: t.relayOn,
      online: inHal ? (prev?.online ?? false) : dev.device.connState === 4,
      quality: inHal ? (prev?.quality ?? "NONE") : (QUALITY_NAMES[dev.device.readingQuality] ?? "?"),
      temperature: inHal ? (prev?.temperature ?? null) : dev.device.temperatureC,
      air: t.airC,
    });
  };

  const relayOnPeaks: Array<{ t: number; level: number }> = [];
  const tankStartMs = hw.tank.elapsedMs;
  hw.tank.onPiece = (ms, level, on) => {
    if (!on) return;
    const peak = relayOnPeaks[0];
    if (peak === undefined || level > peak.level) relayOnPeaks[0] = { t: (ms - tankStartMs) / 1000, level };
  };
  hw.on("relay", (on) => {
    const level = hw.tank.levelPct;
    relayEvents.push({ t: sec(), on, level });
    sample(true); // the plot shows the exact switching time
    log.push({ t: sec(), kind: "relay", detail: `${on ? "on" : "off"} at true level ${level.toFixed(1)} %` });
  });
  sim.on("publish", (e) => {
    let raw: unknown;
    try {
      raw = (JSON.parse(e.payload) as Record<string, unknown>).level;
    } catch {
      raw = "(malformed JSON)";
    }
    if (raw !== undefined) publishedLevels.push({ t: e.atMs / 1000, raw, trueLevel: hw.tank.levelPct });
    log.push({ t: e.atMs / 1000, kind: "publish", detail: e.payload });
  });
  sim.on("platform", (e) => {
    if (e.kind === "reading") readings.push({ t: e.atMs / 1000, level: e.level });
    if (e.kind === "state") log.push({ t: e.atMs / 1000, kind: "platform-state", detail: e.payload });
    if (e.kind === "switch") log.push({ t: e.atMs / 1000, kind: "platform-switch", detail: `${e.cmd} (${e.source})` });
    if (e.kind === "rejected") log.push({ t: e.atMs / 1000, kind: "platform-rejected", detail: `${e.reason}: ${e.payload}` });
  });
  sim.on("conn", (e) => log.push({ t: e.atMs / 1000, kind: "conn", detail: e.state }));
  sim.on("trap", (e) => { traps++; log.push({ t: e.atMs / 1000, kind: "trap", detail: e.error }); });
  const busyLoops: number[] = [];
  sim.on("log", (e) => {
    if (e.level === "busy") busyLoops.push(e.atMs / 1000);
    if (e.level !== "debug") log.push({ t: e.atMs / 1000, kind: `log-${e.level}`, detail: e.text });
  });
  sim.on("broker", (e) => {
    log.push({ t: e.atMs / 1000, kind: "broker", detail: e.state });
    if (e.state === "down") outages.push([e.atMs / 1000, s.durationS]);
    else if (outages.length > 0) outages[outages.length - 1]![1] = e.atMs / 1000;
  });

  for (const ev of s.events ?? []) {
    sim.scheduler.at(ev.atS * 1000, async () => {
      log.push({ t: sec(), kind: "event", detail: `${ev.do}${ev.note ? ` (${ev.note})` : ""}` });
      await act(sim, dev.uid, ev, { brokerStarts, switches });
    });
  }
  const sampleMs = Math.max(1, s.sampleS ?? Math.max(1, s.durationS / 1500)) * 1000;
  sample();
  sim.scheduler.every(sampleMs, () => sample());

  let runError: unknown = null;
  const onAbort = (): void => void sim.scheduler.stop();
  o.signal?.addEventListener("abort", onAbort, { once: true });
  // A run whose virtual time stands still (waiting for ever on the network, a deadline that is never due)
  // fails with a message instead of spinning until killed.
  let lastNow = -1;
  let stillS = 0;
  let stalled: ScenarioError | null = null;
  let onStall: () => void = () => {};
  const stall = new Promise<void>((r) => (onStall = r));
  const watchdog = setInterval(() => {
    const now = sim.now();
    stillS = now === lastNow ? stillS + 1 : 0;
    lastNow = now;
    if (stillS >= (o.stallS ?? STALL_S) && stalled === null) {
      stalled = new ScenarioError(`scenario ${s.name} made no progress: virtual time stood still at ${(now / 1000).toFixed(1)} s for ${stillS} s of real time`);
      onStall();
    }
  }, 1000);
  watchdog.unref();
  try {
    if (!o.signal?.aborted) await Promise.race([sim.runUntil(s.durationS * 1000), stall]);
  } catch (e) {
    runError = e;
  }
  clearInterval(watchdog);
  if (stalled) {
    // whatever holds virtual time may hold the shutdown too: stop in the background, report now
    o.signal?.removeEventListener("abort", onAbort);
    void sim.stop().catch(() => {});
    throw stalled;
  }
  o.signal?.removeEventListener("abort", onAbort);
  sample();
  const platformRec = sim.platform?.device(dev.uid) ?? null;
  const end = { relay: hw.relayOn, online: dev.device.connState === 4, platformCmd: platformRec?.cmd ?? null };
  const ticks = sim.scheduler.stats.ticks;
  const endMs = sim.now();
  const publishes = dev.publishes;
  await sim.stop();
  if (runError) throw runError;

  const ctx: CheckContext = { s, samples, relayEvents, relayOnPeaks, publishedLevels, readings, brokerStarts, switches, traps, busyLoops, publishes, end };
  const checks = s.expect.map((e) => check(e, ctx));
  const result: ScenarioResult = {
    name: s.name,
    passed: checks.every((c) => c.passed) && !o.signal?.aborted,
    checks,
    aborted: o.signal?.aborted ?? false,
    realMs: Math.round(performance.now() - realStart),
    virtualS: Math.round(endMs) / 1000,
    artifacts: null,
    stats: { publishes, platformReadings: readings.length, relayChanges: relayEvents.length, traps, ticks },
  };

  const outDir = o.outDir === undefined ? "test-artifacts/scenarios" : o.outDir;
  if (outDir !== null) {
    const dir = resolve(outDir, s.name);
    await mkdir(dir, { recursive: true });
    const csv = join(dir, "recording.csv");
    const eventsCsv = join(dir, "events.csv");
    const svg = join(dir, "plot.svg");
    const json = join(dir, "result.json");
    await writeFile(csv, toCsv(
      ["time_s", "true_level_pct", "level_pct", "relay", "online", "quality", "temperature_c", "air_c"],
      samples.map((x) => ({ time_s: x.t, true_level_pct: x.trueLevel, level_pct: x.level, relay: x.relay, online: x.online, quality: x.quality, temperature_c: x.temperature, air_c: x.air })),
    ));
    await writeFile(eventsCsv, toCsv(["time_s", "kind", "detail"], log.map((e) => ({ time_s: e.t, kind: e.kind, detail: e.detail }))));
    await writeFile(svg, plotSvg(samples, {
      title: `${s.name}: ${result.passed ? "PASS" : "FAIL"}`,
      outages,
      refLines: s.plotLines,
      markers: switches.map((w) => ({ t: w.t, label: `app: ${w.on ? "on" : "off"}` })),
    }));
    result.artifacts = { dir, csv, eventsCsv, svg, json };
    await writeFile(json, `${JSON.stringify(result, null, 2)}\n`);
  }
  return result;
}

async function act(sim: Simulation, uid: string, ev: ScenarioEvent, rec: { brokerStarts: number[]; switches: Array<{ t: number; on: boolean }> }): Promise<void> {
  const d = sim.device(uid);
  switch (ev.do) {
    case "broker-stop":
      return sim.stopBroker();
    case "broker-start":
      await sim.startBroker();
      rec.brokerStarts.push(sim.now() / 1000);
      return;
    case "set-switch":
      rec.switches.push({ t: sim.now() / 1000, on: ev.on });
      return sim.setSwitch(uid, ev.on);
    case "press-button":
      return sim.pressButton(uid);
    case "sensor":
      d.hardware.truth(); // bring the world up to now under the old behaviour
      Object.assign(d.hardware.sensor, ev.set);
      return;
    case "set-level":
      d.hardware.truth();
      d.hardware.tank.levelPct = ev.pct;
      return;
    case "consumption":
      d.hardware.truth();
      d.hardware.tank.setConsumption(ev.lph);
      return;
    case "pump-flow":
      d.hardware.truth();
      d.hardware.tank.pumpFlowLpm = ev.lpm;
      return;
  }
}

interface CheckContext {
  s: Scenario;
  samples: Sample[];
  relayEvents: Array<{ t: number; on: boolean; level: number }>;
  /** The highest true level reached while the relay was on (every constant-rate piece of every world step), if it ever was. */
  relayOnPeaks: Array<{ t: number; level: number }>;
  publishedLevels: Array<{ t: number; raw: unknown; trueLevel: number }>;
  readings: Array<{ t: number; level: string | null }>;
  brokerStarts: number[];
  switches: Array<{ t: number; on: boolean }>;
  traps: number;
  busyLoops: number[];
  publishes: number;
  end: { relay: boolean; online: boolean; platformCmd: "on" | "off" | null };
}

const pct = (n: number): string => `${n.toFixed(1)} %`;

function check(e: Expectation, c: CheckContext): CheckResult {
  const r = (passed: boolean, detail: string): CheckResult => ({ expectation: e, passed, detail });
  switch (e.kind) {
    case "true-level-within": {
      const xs = c.samples.filter((x) => x.t >= (e.fromS ?? 0)).map((x) => x.trueLevel);
      const lo = Math.min(...xs);
      const hi = Math.max(...xs);
      return r(lo >= e.min && hi <= e.max, `true level ranged ${pct(lo)} .. ${pct(hi)} (allowed ${e.min} .. ${e.max} %)`);
    }
    case "relay-never-on-above": {
      // Every moment the relay was on: each switch (an "off" event carries the level the pump ran up to
      // until that instant), every world step while on (relayOnPeaks) and every sample.
      const onLevels: Array<{ t: number; level: number }> = [
        ...c.relayEvents.map((x) => ({ t: x.t, level: x.level })),
        ...c.relayOnPeaks,
        ...c.samples.filter((x) => x.relay).map((x) => ({ t: x.t, level: x.trueLevel })),
      ];
      const worst = onLevels.reduce<{ t: number; level: number } | null>((w, x) => (w === null || x.level > w.level ? x : w), null);
      const bad = worst !== null && worst.level > e.pct;
      return r(!bad, worst === null ? `the relay was never on (limit ${e.pct} %)` : `${bad ? "relay on at" : "highest true level with the relay on:"} ${pct(worst.level)} (t=${worst.t.toFixed(0)} s, limit ${e.pct} %)`);
    }
    case "relay-changes": {
      const n = c.relayEvents.length;
      const ok = n >= (e.min ?? 0) && n <= (e.max ?? Infinity);
      return r(ok, `${n} relay switches (allowed ${e.min ?? 0} .. ${e.max ?? "∞"}): ${c.relayEvents.map((x) => `${x.on ? "on" : "off"}@${x.t.toFixed(0)}s/${pct(x.level)}`).join(", ")}`);
    }
    case "published-levels-valid": {
      let worst = 0;
      for (const p of c.publishedLevels) {
        const v = typeof p.raw === "string" ? (p.raw.trim() === "" ? NaN : Number(p.raw)) : typeof p.raw === "number" ? p.raw : NaN;
        if (!Number.isFinite(v) || v < 0 || v > 100) return r(false, `published level ${JSON.stringify(p.raw)} at t=${p.t.toFixed(1)} s is not a level`);
        const err = Math.abs(v - p.trueLevel);
        if (err > e.maxErrorPct) return r(false, `published level ${JSON.stringify(p.raw)} at t=${p.t.toFixed(1)} s, true level ${pct(p.trueLevel)}`);
        worst = Math.max(worst, err);
      }
      return r(c.publishedLevels.length > 0, `${c.publishedLevels.length} levels published, worst error ${worst.toFixed(2)} % (limit ${e.maxErrorPct} %)`);
    }
    case "reading-after-reconnect": {
      if (c.brokerStarts.length === 0) return r(false, "no broker-start happened");
      const parts: string[] = [];
      let ok = true;
      for (const t of c.brokerStarts) {
        const first = c.readings.find((x) => x.t >= t && x.level !== null);
        const dt = first ? first.t - t : Infinity;
        if (!(dt <= e.withinS)) ok = false;
        parts.push(first ? `reading ${first.level} % ${dt.toFixed(1)} s after the restart at ${t.toFixed(0)} s` : `no reading after the restart at ${t.toFixed(0)} s`);
      }
      return r(ok, `${parts.join("; ")} (limit ${e.withinS} s)`);
    }
    case "reading-after": {
      const first = c.readings.find((x) => x.t >= e.atS && x.level !== null);
      const dt = first ? first.t - e.atS : Infinity;
      return r(dt <= e.withinS, first ? `first reading (${first.level} %) ${dt.toFixed(1)} s after ${e.atS} s (limit ${e.withinS} s)` : `no reading after ${e.atS} s`);
    }
    case "relay-follows-switch": {
      if (c.switches.length === 0) return r(false, "no set-switch happened");
      const parts: string[] = [];
      let ok = true;
      c.switches.forEach((w, i) => {
        const until = Math.min(c.switches[i + 1]?.t ?? Infinity, w.t + (e.holdS ?? Infinity), c.s.durationS);
        const stateAt = (t: number): boolean => {
          let on = false;
          for (const x of c.relayEvents) if (x.t <= t) on = x.on;
          return on;
        };
        const reached = stateAt(w.t) === w.on ? w.t : c.relayEvents.find((x) => x.t >= w.t && x.on === w.on)?.t;
        const dt = reached === undefined ? Infinity : reached - w.t;
        const flipped = reached !== undefined && c.relayEvents.some((x) => x.t > reached && x.t < until && x.on !== w.on);
        if (!(dt <= e.withinS) || flipped) ok = false;
        parts.push(`${w.on ? "on" : "off"}@${w.t.toFixed(0)}s → ${reached === undefined ? "never" : `${dt.toFixed(2)} s`}${flipped ? " (then flipped back)" : ""}`);
      });
      return r(ok, `${parts.join("; ")} (limit ${e.withinS} s)`);
    }
    case "platform-agrees-at-end": {
      const relay = c.end.relay ? "on" : "off";
      return r(c.end.platformCmd === relay, `relay ${relay}, platform says ${c.end.platformCmd ?? "(no platform)"}`);
    }
    case "min-publishes": {
      const ok = c.publishes >= e.count && c.readings.length >= (e.readings ?? 0);
      return r(ok, `${c.publishes} publishes (min ${e.count}), ${c.readings.length} readings on the platform (min ${e.readings ?? 0})`);
    }
    case "no-traps":
      return r(c.traps === 0, `${c.traps} traps`);
    case "no-busy-loop":
      return r(c.busyLoops.length === 0, c.busyLoops.length === 0 ? "no busy loop" : `the firmware's tick kept returning 0 ms without progress from t=${c.busyLoops.map((t) => t.toFixed(1)).join(", ")} s`);
    case "online-at-end":
      return r(c.end.online, c.end.online ? "connected at the end" : "not connected at the end");
  }
}

/** One line per check, for logs and test output. */
export function formatResult(res: ScenarioResult): string {
  const lines = [`${res.passed ? "PASS" : "FAIL"} ${res.name}${res.aborted ? " (aborted)" : ""}: ${res.virtualS} virtual s in ${res.realMs} real ms, ${res.stats.publishes} publishes, ${res.stats.relayChanges} relay switches`];
  for (const c of res.checks) lines.push(`  ${c.passed ? "ok  " : "FAIL"} ${c.expectation.kind}: ${c.detail}`);
  if (res.artifacts) lines.push(`  artifacts: ${res.artifacts.dir}`);
  return lines.join("\n");
}
