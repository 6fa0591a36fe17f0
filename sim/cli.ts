#!/usr/bin/env node
/**
 * iotbind-tank CLI. `iotbind-tank sim` runs simulated tank devices (the real
 * firmware.wasm) in virtual time against an embedded aedes broker with the
 * iotBind platform emulator, or against `--broker mqtt://host:port`; with
 * `--scenario` it runs a scenario and checks its expectations.
 */
import { isMain } from "./main.js";
import { parseArgs } from "node:util";
import { readFileSync, writeFileSync } from "node:fs";
import { Simulation, parseShard, type BrokerOption } from "./simulation.js";
import { TerminalView, formatVirtualTime } from "./view/terminal.js";
import { attachLines, lineWriter } from "./view/lines.js";
import { formatResult, loadScenario, runScenario } from "./scenarios/runner.js";
import { ScenarioError, suggest } from "./scenarios/schema.js";
import { disconnectName, disconnectWords, isCredentialsRefusal } from "./host/reasons.js";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { BUILTIN_SCENARIOS } from "./scenarios/builtin.js";
import { DEFAULT_DASHBOARD_PORT, startDashboard } from "./web/server.js";
import { otaMain } from "./ota-cli.js";

/** Tries before the CLI gives up on a broker that is unreachable or refuses the credentials. */
export const GIVE_UP_AFTER = 3;
/** Where scenario artifacts go by default: a per-user temporary directory, not the current one. */
export const DEFAULT_OUT_DIR = join(tmpdir(), "iotbind-tank", "scenarios");

const HELP = `iotbind-tank sim [options]

Runs simulated water-tank sensors: the real firmware.wasm, a simulated tank
and ultrasonic sensor, MQTT to a broker, and the iotBind platform emulator,
in virtual time (hours of a tank's life in seconds).

  --devices N        number of devices (default 1)
  --scenario S       run a scenario and check its expectations: a built-in name
                     (${BUILTIN_SCENARIOS.map((s) => s.name).join(", ")})
                     or a JSON file; writes CSV + SVG to --out. The scenario
                     sets its own device, duration and platform, so --devices,
                     --duration and --no-platform are refused with it
  --out DIR          scenario artifacts directory
                     (default ${DEFAULT_OUT_DIR})
  --speed X          virtual seconds per real second, or "max" (default 60;
                     scenarios default to "max")
  --duration D       stop after D of virtual time: 90, 90s, 10m, 2h, 1d
                     (default: until Ctrl-C)
  --seed S           random seed (default 1)
  --prefix P         device uids are P-001, P-002, ... (default tank)
  --broker URL       use this broker (mqtt://host:port, or mqtts://host:8883 for
                     TLS: certificate and host name verified) instead of the embedded one
  --ca FILE          PEM CA certificate(s) to trust for an mqtts:// broker
                     (default: Node's trusted roots)
  --broker-port N    port of the embedded broker (default: any free port)
  --user U           broker user name (with the embedded broker: required of every client)
  --password P       broker password
  --keep-trying      keep retrying a broker that is unreachable or refuses the
                     credentials (default: give up with exit code 1 after
                     ${GIVE_UP_AFTER} tries)
  --no-platform      do not run the platform emulator (e.g. against a real MQTT.one account)
  --shard K/N        run only slice K of N of the fleet (same uids and worlds as
                     the whole fleet): start K = 1..N on N machines, one broker
  --workers W        run the devices in W worker threads (needs a finite --speed)
  --summary FILE     write a machine-readable run summary (JSON) at the end
  --json             machine-readable events, one JSON object per line
  --no-web           do not start the web dashboard
  --debug            include the firmware's debug log lines
  -h, --help         this help

Exit status: 0 done (scenario passed), 1 error or scenario failed, 2 usage error.

iotbind-tank ota keygen | sign | push   signed over-the-air updates (iotbind-tank ota --help)
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
  /** PEM read from --ca (TLS brokers only). */
  ca: Buffer | undefined;
  brokerPort: number | null;
  user: string | undefined;
  password: string | undefined;
  keepTrying: boolean;
  platform: boolean;
  json: boolean;
  web: boolean;
  debug: boolean;
  shard: string | null;
  workers: number;
  summary: string | null;
}

/** A mistake in the command line: printed as one line with a pointer to --help, exit status 2. */
export class UsageError extends Error {}

/** "90", "90s", "10m", "2h", "1d" → seconds. */
export function parseDuration(v: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*(ms|s|m|min|h|d)?$/.exec(v.trim());
  if (!m) throw new UsageError(`--duration: expected a number with an optional unit (s, m, h, d), got "${v}"`);
  const n = Number(m[1]);
  const unit = m[2] ?? "s";
  const mult = unit === "ms" ? 0.001 : unit === "s" ? 1 : unit === "m" || unit === "min" ? 60 : unit === "h" ? 3600 : 86400;
  const s = n * mult;
  if (!(s > 0)) throw new UsageError(`--duration must be more than 0, got "${v}"`);
  return s;
}

const OPTIONS = {
  devices: { type: "string" },
  scenario: { type: "string" },
  out: { type: "string" },
  speed: { type: "string" },
  duration: { type: "string" },
  seed: { type: "string" },
  prefix: { type: "string" },
  broker: { type: "string" },
  ca: { type: "string" },
  "broker-port": { type: "string" },
  user: { type: "string" },
  password: { type: "string" },
  "keep-trying": { type: "boolean" },
  shard: { type: "string" },
  workers: { type: "string" },
  summary: { type: "string" },
  "no-platform": { type: "boolean" },
  "no-web": { type: "boolean" },
  json: { type: "boolean" },
  debug: { type: "boolean" },
  help: { type: "boolean", short: "h" },
} as const;

/** `--devices -1` → `--devices=-1`, so a negative number reaches validation instead of parseArgs' "ambiguous". */
function joinNegativeValues(argv: string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const name = a.startsWith("--") && !a.includes("=") ? a.slice(2) : null;
    const next = argv[i + 1];
    if (name && (OPTIONS as Record<string, { type: string }>)[name]?.type === "string" && next !== undefined && /^-[\d.]/.test(next)) {
      out.push(`${a}=${next}`);
      i++;
    } else {
      out.push(a);
    }
  }
  return out;
}

/** parseArgs' errors as one short line naming the option. */
function usageFromParseError(e: NodeJS.ErrnoException): UsageError {
  const msg = e.message;
  if (e.code === "ERR_PARSE_ARGS_UNKNOWN_OPTION") {
    const opt = /'([^']+)'/.exec(msg)?.[1] ?? "?";
    const names = Object.keys(OPTIONS).map((k) => `--${k}`);
    return new UsageError(`unknown option ${opt}${suggest(opt, names).startsWith("; did") ? suggest(opt, names) : ""}`);
  }
  if (e.code === "ERR_PARSE_ARGS_INVALID_OPTION_VALUE") {
    const opt = /'(-[^' ]+)/.exec(msg)?.[1] ?? "option";
    if (/argument missing/.test(msg)) return new UsageError(`${opt} needs a value`);
    return new UsageError(`${opt} takes no value`);
  }
  if (e.code === "ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL") return new UsageError(`unexpected argument ${/'([^']+)'/.exec(msg)?.[1] ?? ""}`.trim());
  return new UsageError(msg.split("\n")[0]!);
}

function positiveInt(name: string, v: string, min: number, max: number): number {
  const n = Number(v);
  if (v.trim() === "" || !Number.isInteger(n) || n < min || n > max) throw new UsageError(`--${name} must be a whole number from ${min} to ${max}, got "${v}"`);
  return n;
}

export function parseCli(argv: string[]): CliOptions | null {
  let parsed;
  try {
    parsed = parseArgs({ args: joinNegativeValues(argv), allowPositionals: true, strict: true, options: OPTIONS });
  } catch (e) {
    throw usageFromParseError(e as NodeJS.ErrnoException);
  }
  const { values, positionals } = parsed;
  if (values.help) return null;
  if (positionals[0] !== undefined && positionals[0] !== "sim") throw new UsageError(`unknown command "${positionals[0]}" (the commands are "sim" and "ota")`);
  if (positionals.length > 1) throw new UsageError(`unexpected argument "${positionals[1]}"`);
  let speed: number | null = null;
  if (values.speed !== undefined) {
    speed = values.speed === "max" ? Infinity : values.speed.trim() === "" ? NaN : Number(values.speed);
    if (!(speed > 0)) throw new UsageError(`--speed must be a number > 0 or "max", got "${values.speed}"`);
  }
  const devices = values.devices === undefined ? 1 : positiveInt("devices", values.devices, 1, 100_000);
  const brokerPort = values["broker-port"] === undefined ? null : positiveInt("broker-port", values["broker-port"], 0, 65535);
  if (values.broker !== undefined) {
    let url: URL;
    try {
      url = new URL(values.broker);
    } catch {
      throw new UsageError(`--broker must be a URL like mqtt://host:1883, got "${values.broker}"`);
    }
    if (url.protocol !== "mqtt:" && url.protocol !== "tcp:" && url.protocol !== "mqtts:") throw new UsageError(`--broker: expected mqtt:// (plain TCP) or mqtts:// (TLS), got "${url.protocol}//"`);
    if (brokerPort !== null) throw new UsageError("--broker-port is for the embedded broker; with --broker put the port in the URL");
  }
  if (values.password !== undefined && values.user === undefined) throw new UsageError("--password needs --user");
  if (values.scenario !== undefined) {
    for (const [opt, given] of [["--devices", values.devices], ["--duration", values.duration], ["--no-platform", values["no-platform"]]] as const) {
      if (given !== undefined) throw new UsageError(`${opt} cannot be used with --scenario: the scenario sets it (edit the scenario file instead)`);
    }
  }
  if (values.shard !== undefined) {
    try {
      parseShard(values.shard);
    } catch (e) {
      throw new UsageError(`--${(e as Error).message}`);
    }
  }
  const workers = values.workers === undefined ? 0 : positiveInt("workers", values.workers, 0, 64);
  if (workers > 0 && speed === Infinity) throw new UsageError("--workers needs a finite --speed (worker threads run in real time)");
  return {
    shard: values.shard ?? null,
    workers,
    summary: values.summary ?? null,
    devices,
    scenario: values.scenario ?? null,
    out: values.out ?? DEFAULT_OUT_DIR,
    speed,
    durationS: values.duration === undefined ? null : parseDuration(values.duration),
    seed: values.seed ?? null,
    prefix: values.prefix ?? "tank",
    broker: values.broker ?? null,
    ca: values.ca === undefined ? undefined : readCa(values.ca, values.broker),
    brokerPort,
    user: values.user,
    password: values.password,
    keepTrying: values["keep-trying"] ?? false,
    platform: !values["no-platform"],
    json: values.json ?? false,
    web: !values["no-web"],
    debug: values.debug ?? false,
  };
}

/** --ca FILE: only with an mqtts:// broker; the file must hold a PEM certificate. */
function readCa(file: string, broker: string | undefined): Buffer {
  if (!broker?.startsWith("mqtts://")) throw new UsageError("--ca: needs --broker mqtts://host:port (a TLS broker)");
  let pem: Buffer;
  try {
    pem = readFileSync(file);
  } catch (e) {
    throw new UsageError(`--ca: cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  if (!pem.includes("-----BEGIN CERTIFICATE-----")) throw new UsageError(`--ca: ${file} holds no PEM certificate`);
  return pem;
}

function brokerOption(o: CliOptions): BrokerOption {
  return o.broker ? { url: o.broker, user: o.user, password: o.password, ...(o.ca ? { ca: o.ca } : {}) } : { embedded: true, port: o.brokerPort ?? 0, user: o.user, password: o.password };
}

/** A runtime failure the CLI explains in one line (exit status 1). */
export class CliError extends Error {}

const NET_WORDS: Record<string, string> = {
  ECONNREFUSED: "connection refused",
  ENOTFOUND: "no such host",
  EAI_AGAIN: "the host name could not be resolved",
  EHOSTUNREACH: "no route to the host",
  ENETUNREACH: "the network is unreachable",
  ETIMEDOUT: "it did not answer",
  ECONNRESET: "the connection was reset",
};

/** Any error as one line saying what went wrong and what to do (no stack trace). */
export function describeError(e: unknown, o: { broker?: string | null; brokerPort?: number | null } = {}): string {
  if (e instanceof UsageError || e instanceof CliError || e instanceof ScenarioError) return e.message;
  const err = e as NodeJS.ErrnoException & { address?: string; port?: number };
  const where = o.broker ?? "the broker";
  const code: string | number | undefined = (err as { code?: string | number } | null)?.code;
  if (typeof code === "string" && NET_WORDS[code] && err.syscall !== "listen") {
    return `cannot reach the broker at ${where} (${NET_WORDS[code]}): start it, or check --broker`;
  }
  if (code === "EADDRINUSE") {
    return `port ${err.port ?? o.brokerPort ?? "?"} is already in use: choose another ${o.brokerPort ? "--broker-port" : "port"} or stop the program using it`;
  }
  // mqtt.js CONNACK refusals (v3.1.1 return codes 4/5; v5 reason codes 134/135)
  const msg = String(err?.message ?? e);
  if (code === 4 || code === 134 || /bad user ?name or password/i.test(msg)) return `the broker at ${where} refused the user name or password: check --user and --password`;
  if (code === 5 || code === 135 || /not authori[sz]ed/i.test(msg)) return `the broker at ${where} refused the user name or password (not authorised): check --user and --password, and the broker's access rules`;
  if (/firmware\.wasm/.test(msg) && code === "ENOENT") return `the firmware is not built (${err.path ?? "build/firmware.wasm"} is missing): run npm run build`;
  return msg.split("\n")[0]!.replace(/^Error: /, "");
}

export async function main(argv = process.argv.slice(2)): Promise<number> {
  if (argv[0] === "ota") return otaMain(argv.slice(1)); // sim/ota-cli.ts (docs/OTA.md)
  let o: CliOptions | null;
  try {
    o = parseCli(argv);
  } catch (e) {
    process.stderr.write(`iotbind-tank: ${describeError(e)} (see iotbind-tank sim --help)\n`);
    return 2;
  }
  if (!o) {
    process.stdout.write(HELP);
    return 0;
  }
  const live = process.stdout.isTTY === true && !o.json;
  const out = lineWriter(o.json);
  try {
    return await (o.scenario ? runScenarioCli(o, live, out) : runSim(o, live, out));
  } catch (e) {
    process.stderr.write(`iotbind-tank: ${describeError(e, o)}\n`);
    if (process.env.IOTBIND_DEBUG) process.stderr.write(`${(e as Error).stack ?? ""}\n`);
    return 1;
  }
}

/**
 * Gives up on a broker that cannot be reached or refuses the credentials:
 * after GIVE_UP_AFTER such disconnects of one device in a row without ever
 * connecting (credentials: in a row, connected before or not), calls `fail`.
 */
function watchBrokerRefusals(sim: Simulation, url: string, fail: (message: string) => void): void {
  const counts = new Map<string, { refused: number; unreachable: number; connected: boolean }>();
  sim.on("conn", (e) => {
    const c = counts.get(e.uid) ?? { refused: 0, unreachable: 0, connected: false };
    counts.set(e.uid, c);
    if (e.state === "CONNECTED") {
      c.connected = true;
      c.refused = 0;
      c.unreachable = 0;
      return;
    }
    if (e.reasonCode === undefined) return;
    if (isCredentialsRefusal(e.reasonCode)) {
      if (++c.refused >= GIVE_UP_AFTER) fail(`the broker at ${url} refused ${e.uid}'s connection ${GIVE_UP_AFTER} times: ${disconnectWords(e.reasonCode)}; check --user and --password, or pass --keep-trying`);
    } else if (disconnectName(e.reasonCode) === "SOCKET_FAILED" && !c.connected) {
      if (++c.unreachable >= GIVE_UP_AFTER) fail(`cannot reach the broker at ${url} (tried ${GIVE_UP_AFTER} times): start it, or check --broker; --keep-trying retries for ever`);
    }
  });
}

async function runScenarioCli(o: CliOptions, live: boolean, out: ReturnType<typeof lineWriter>): Promise<number> {
  const scenario = await loadScenario(o.scenario!);
  let view: TerminalView | null = null;
  out({ event: "scenario", name: scenario.name, state: "start", duration_s: scenario.durationS }, `scenario ${scenario.name}: ${scenario.description}`);
  const abort = new AbortController();
  let failure: string | null = null;
  const onSignal = (): void => abort.abort();
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);
  let res;
  try {
    res = await runScenario(scenario, {
      signal: abort.signal,
      broker: brokerOption(o),
      speed: o.speed ?? undefined,
      seed: o.seed ?? undefined,
      uid: o.prefix === "tank" ? undefined : `${o.prefix}-001`,
      outDir: o.out,
      onSimulation: (sim) => {
        if (!o.keepTrying) {
          watchBrokerRefusals(sim, o.broker ?? sim.brokerUrl, (m) => {
            failure ??= m;
            abort.abort();
          });
        }
        if (live) {
          view = new TerminalView(sim, { title: `scenario ${scenario.name}` });
          view.start();
        } else {
          attachLines(sim, out, { debug: o.debug });
        }
      },
    });
  } finally {
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
    (view as TerminalView | null)?.stop();
  }
  if (failure) throw new CliError(failure);
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
  let failure: string | null = null;
  sim.on("error", (e) => process.stderr.write(`iotbind-tank: ${describeError(e, o)}\n`));
  if (!o.keepTrying) watchBrokerRefusals(sim, o.broker ?? "the embedded broker", (m) => {
    failure ??= m;
    void stop("gave up on the broker");
  });
  let everConnected = false;
  sim.on("conn", (e) => { if (e.state === "CONNECTED") everConnected = true; });
  try {
    await sim.start();
  } catch (e) {
    detach?.();
    await sim.stop().catch(() => {});
    throw e;
  }
  const dash = o.web ? await startDashboard(sim, { port: Number(process.env.IOTBIND_WEB_PORT ?? DEFAULT_DASHBOARD_PORT), host: process.env.IOTBIND_WEB_HOST, allowedOrigins: process.env.IOTBIND_WEB_ALLOWED_ORIGINS?.split(",").map((x) => x.trim()).filter(Boolean), fallbackToFreePort: true }) : null;
  if (dash) out({ event: "web", url: dash.url }, `web dashboard: ${dash.url}`);
  if (live) {
    view = new TerminalView(sim, { title: `${o.broker ? "" : "(embedded broker)"}${dash ? `  dashboard ${dash.url}` : ""}` });
    view.start();
  }

  let stopping: Promise<void> | null = null;
  const stop = (reason: string): Promise<void> => {
    stopping ??= (async () => {
      const summary = o.summary ? await sim.summary() : null;
      view?.stop();
      await dash?.close();
      await sim.stop();
      if (summary && o.summary) writeFileSync(o.summary, JSON.stringify({ ...summary, reason }, null, 2) + "\n");
      // After stop(): the summary is the devices' final state, so it agrees with the last events printed.
      for (const s of sim.snapshots()) {
        out(
          { event: "summary", time_s: s.timeMs / 1000, uid: s.uid, level_pct: s.levelPct, true_level_pct: Math.round(s.trueLevelPct * 10) / 10, relay: s.relayOn, conn: s.connState, publishes: s.publishes, relay_switches: s.relaySwitches },
          `${s.uid}: level ${s.levelPct ?? "?"} % (simulated ${s.trueLevelPct.toFixed(1)} %), relay ${s.relayOn ? "on" : "off"}, ${s.publishes} publishes, ${s.relaySwitches} relay switches`,
        );
      }
      const ended = everConnected
        ? `MQTT DISCONNECT sent${o.broker ? "" : ", embedded broker closed"}`
        : `never connected to ${o.broker ?? "the broker"}`;
      out({ event: "stopped", reason, time_s: sim.now() / 1000, connected: everConnected }, `stopped at ${formatVirtualTime(sim.now())} (${reason}): ${ended}`);
      detach?.();
    })();
    return stopping;
  };
  const onSignal = (sig: string) => () => {
    void stop(sig).then(() => process.exit(failure ? 1 : 0));
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
  if (failure) throw new CliError(failure);
  return 0;
}

if (isMain(import.meta.url)) {
  main().then(
    (code) => {
      process.exitCode = code;
      // Everything is closed on the normal paths; after a failed start a half-open handle (a broker that
      // never listened) must not keep the process alive with the error already printed.
      setTimeout(() => process.exit(code), 500).unref();
    },
    (e: unknown) => {
      // main() handles its own errors; this is the last resort, still one line
      process.stderr.write(`iotbind-tank: ${describeError(e)}\n`);
      process.exit(1);
    },
  );
}
