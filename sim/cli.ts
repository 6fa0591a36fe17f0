#!/usr/bin/env node
/**
 * iotbind-tank CLI. `iotbind-tank sim` runs simulated tank devices (the real
 * firmware.wasm) in virtual time against an embedded aedes broker with the
 * iotBind platform emulator, or against `--broker mqtt://host:port`; with
 * `--scenario` it runs a scenario and checks its expectations.
 */
import { isMain } from "./main.js";
import { parseArgs } from "node:util";
import { writeFileSync } from "node:fs";
import { Simulation, parseShard, type BrokerOption } from "./simulation.js";
import { TerminalView, formatVirtualTime } from "./view/terminal.js";
import { attachLines, lineWriter } from "./view/lines.js";
import { formatResult, loadScenario, runScenario } from "./scenarios/runner.js";
import { BUILTIN_SCENARIOS } from "./scenarios/builtin.js";
import { DEFAULT_DASHBOARD_PORT, startDashboard } from "./web/server.js";

const HELP = `iotbind-tank sim [options]

Runs simulated water-tank sensors: the real firmware.wasm, a simulated tank
and ultrasonic sensor, MQTT to a broker, and the iotBind platform emulator,
in virtual time (hours of a tank's life in seconds).

  --devices N        number of devices (default 1)
  --scenario S       run a scenario and check its expectations: a built-in name
                     (${BUILTIN_SCENARIOS.map((s) => s.name).join(", ")})
                     or a JSON file; writes CSV + SVG to --out
  --out DIR          scenario artifacts directory (default test-artifacts/scenarios)
  --speed X          virtual seconds per real second, or "max" (default 60;
                     scenarios default to "max")
  --duration D       stop after D of virtual time: 90, 90s, 10m, 2h, 1d
                     (default: until Ctrl-C)
  --seed S           random seed (default 1)
  --prefix P         device uids are P-001, P-002, ... (default tank)
  --broker URL       use this broker (mqtt://host:port) instead of the embedded one
  --user U           broker user name
  --password P       broker password
  --no-platform      do not run the platform emulator (e.g. against a real MQTT.one account)
  --shard K/N        run only slice K of N of the fleet (same uids and worlds as
                     the whole fleet): start K = 1..N on N machines, one broker
  --workers W        run the devices in W worker threads (needs a finite --speed)
  --summary FILE     write a machine-readable run summary (JSON) at the end
  --json             machine-readable events, one JSON object per line
  --no-web           do not start the web dashboard
  --debug            include the firmware's debug log lines
  -h, --help         this help
`;

export interface CliOptions {
  devices: number;
  scenario: string | null;
  out: string;
  speed: number | null;
  durationS: number | null;
  seed: string | null;
  prefix: string;
  broker: string | null;
  user: string | undefined;
  password: string | undefined;
  platform: boolean;
  json: boolean;
  web: boolean;
  debug: boolean;
  shard: string | null;
  workers: number;
  summary: string | null;
}

/** "90", "90s", "10m", "2h", "1d" → seconds. */
export function parseDuration(v: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*(ms|s|m|min|h|d)?$/.exec(v.trim());
  if (!m) throw new Error(`--duration: expected a number with an optional unit (s, m, h, d), got "${v}"`);
  const n = Number(m[1]);
  const unit = m[2] ?? "s";
  const mult = unit === "ms" ? 0.001 : unit === "s" ? 1 : unit === "m" || unit === "min" ? 60 : unit === "h" ? 3600 : 86400;
  return n * mult;
}

export function parseCli(argv: string[]): CliOptions | null {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      devices: { type: "string" },
      scenario: { type: "string" },
      out: { type: "string" },
      speed: { type: "string" },
      duration: { type: "string" },
      seed: { type: "string" },
      prefix: { type: "string" },
      broker: { type: "string" },
      user: { type: "string" },
      password: { type: "string" },
      "no-platform": { type: "boolean" },
      "no-web": { type: "boolean" },
      json: { type: "boolean" },
      debug: { type: "boolean" },
      shard: { type: "string" },
      workers: { type: "string" },
      summary: { type: "string" },
      help: { type: "boolean", short: "h" },
    },
  });
  if (values.help) return null;
  if (positionals[0] !== undefined && positionals[0] !== "sim") throw new Error(`unknown command "${positionals[0]}"`);
  let speed: number | null = null;
  if (values.speed !== undefined) {
    speed = values.speed === "max" ? Infinity : Number(values.speed);
    if (!(speed > 0)) throw new Error(`--speed must be a number > 0 or "max", got "${values.speed}"`);
  }
  let devices = 1;
  if (values.devices !== undefined) {
    devices = Number(values.devices);
    if (!Number.isInteger(devices) || devices < 1) throw new Error(`--devices must be an integer >= 1, got "${values.devices}"`);
  }
  if (values.shard !== undefined) parseShard(values.shard);
  let workers = 0;
  if (values.workers !== undefined) {
    workers = Number(values.workers);
    if (!Number.isInteger(workers) || workers < 0) throw new Error(`--workers must be an integer >= 0, got "${values.workers}"`);
    if (workers > 0 && speed === Infinity) throw new Error("--workers needs a finite --speed");
  }
  return {
    shard: values.shard ?? null,
    workers,
    summary: values.summary ?? null,
    devices,
    scenario: values.scenario ?? null,
    out: values.out ?? "test-artifacts/scenarios",
    speed,
    durationS: values.duration === undefined ? null : parseDuration(values.duration),
    seed: values.seed ?? null,
    prefix: values.prefix ?? "tank",
    broker: values.broker ?? null,
    user: values.user,
    password: values.password,
    platform: !values["no-platform"],
    json: values.json ?? false,
    web: !values["no-web"],
    debug: values.debug ?? false,
  };
}

function brokerOption(o: CliOptions): BrokerOption {
  return o.broker ? { url: o.broker, user: o.user, password: o.password } : { embedded: true };
}

export async function main(argv = process.argv.slice(2)): Promise<number> {
  let o: CliOptions | null;
  try {
    o = parseCli(argv);
  } catch (e) {
    process.stderr.write(`${(e as Error).message}\n\n${HELP}`);
    return 2;
  }
  if (!o) {
    process.stdout.write(HELP);
    return 0;
  }
  const live = process.stdout.isTTY === true && !o.json;
  const out = lineWriter(o.json);
  return o.scenario ? runScenarioCli(o, live, out) : runSim(o, live, out);
}

async function runScenarioCli(o: CliOptions, live: boolean, out: ReturnType<typeof lineWriter>): Promise<number> {
  const scenario = await loadScenario(o.scenario!);
  let view: TerminalView | null = null;
  out({ event: "scenario", name: scenario.name, state: "start", duration_s: scenario.durationS }, `scenario ${scenario.name}: ${scenario.description}`);
  const abort = new AbortController();
  const onSignal = (): void => abort.abort();
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);
  const res = await runScenario(scenario, {
    signal: abort.signal,
    broker: o.broker ? brokerOption(o) : undefined,
    speed: o.speed ?? undefined,
    seed: o.seed ?? undefined,
    uid: o.prefix === "tank" ? undefined : `${o.prefix}-001`,
    outDir: o.out,
    onSimulation: (sim) => {
      if (live) {
        view = new TerminalView(sim, { title: `scenario ${scenario.name}` });
        view.start();
      } else {
        attachLines(sim, out, { debug: o.debug });
      }
    },
  });
  process.off("SIGINT", onSignal);
  process.off("SIGTERM", onSignal);
  (view as TerminalView | null)?.stop();
  out({ event: "scenario", name: res.name, state: "done", passed: res.passed, aborted: res.aborted, checks: res.checks, artifacts: res.artifacts, real_ms: res.realMs }, formatResult(res));
  return res.passed ? 0 : 1;
}

async function runSim(o: CliOptions, live: boolean, out: ReturnType<typeof lineWriter>): Promise<number> {
  const sim = new Simulation({
    devices: o.devices,
    broker: brokerOption(o),
    platform: o.platform,
    speed: o.speed ?? 60,
    seed: o.seed ?? "1",
    uidPrefix: o.prefix,
    ...(o.shard ? { shard: o.shard } : {}),
    workers: o.workers,
    // Periodic device-update snapshots feed the web dashboard; the terminal view polls by itself.
    updateIntervalMs: o.web ? 200 : 0,
  });
  let view: TerminalView | null = null;
  let detach: (() => void) | null = null;
  if (!live) detach = attachLines(sim, out, { debug: o.debug });
  sim.on("error", (e) => process.stderr.write(`iotbind-tank: ${e.message}\n`));
  await sim.start();
  const dash = o.web ? await startDashboard(sim, { port: Number(process.env.IOTBIND_WEB_PORT ?? DEFAULT_DASHBOARD_PORT), host: process.env.IOTBIND_WEB_HOST, fallbackToFreePort: true }) : null;
  if (dash) out({ event: "web", url: dash.url }, `web dashboard: ${dash.url}`);
  if (live) {
    view = new TerminalView(sim, { title: `${o.broker ? "" : "(embedded broker)"}${dash ? `  dashboard ${dash.url}` : ""}` });
    view.start();
  }

  let stopping: Promise<void> | null = null;
  const stop = (reason: string): Promise<void> => {
    stopping ??= (async () => {
      const snaps = sim.snapshots();
      const summary = o.summary ? await sim.summary() : null;
      view?.stop();
      await dash?.close();
      await sim.stop();
      if (summary && o.summary) writeFileSync(o.summary, JSON.stringify({ ...summary, reason }, null, 2) + "\n");
      for (const s of snaps) {
        out(
          { event: "summary", time_s: s.timeMs / 1000, uid: s.uid, level_pct: s.levelPct, true_level_pct: Math.round(s.trueLevelPct * 10) / 10, relay: s.relayOn, conn: s.connState, publishes: s.publishes, relay_switches: s.relaySwitches },
          `${s.uid}: level ${s.levelPct ?? "?"} % (true ${s.trueLevelPct.toFixed(1)} %), relay ${s.relayOn ? "on" : "off"}, ${s.publishes} publishes, ${s.relaySwitches} relay switches`,
        );
      }
      out({ event: "stopped", reason, time_s: sim.now() / 1000 }, `stopped at ${formatVirtualTime(sim.now())} (${reason}): MQTT DISCONNECT sent, broker closed`);
      detach?.();
    })();
    return stopping;
  };
  const onSignal = (sig: string) => () => {
    void stop(sig).then(() => process.exit(0));
  };
  process.once("SIGINT", onSignal("SIGINT"));
  process.once("SIGTERM", onSignal("SIGTERM"));

  try {
    if (o.durationS !== null) {
      await sim.runUntil(o.durationS * 1000);
      await stop("duration reached");
    } else {
      await sim.run();
      await stopping;
    }
  } catch (e) {
    await stop("error");
    throw e;
  }
  return 0;
}

if (isMain(import.meta.url)) {
  main().then(
    (code) => {
      process.exitCode = code;
    },
    (e: unknown) => {
      process.stderr.write(`iotbind-tank: ${(e as Error).stack ?? String(e)}\n`);
      process.exit(1);
    },
  );
}
