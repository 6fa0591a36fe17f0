/**
 * Live terminal view of a Simulation (log-update + chalk): one row per device
 * with a level bar, the true level, temperature, pump, MQTT state and the
 * last message, plus the latest events. Redraws at most `fps` times a second.
 */
import { createLogUpdate } from "log-update";
import chalk from "chalk";
import type { DeviceSnapshot, Simulation } from "../simulation.js";

export interface TerminalViewOptions {
  /** Redraws per second (default 8). */
  fps?: number;
  /** At most this many rows of devices (default 20); fewer when the terminal is shorter. The rest are summarised. */
  maxRows?: number;
  /** Extra header text (broker, scenario). */
  title?: string;
  stream?: NodeJS.WriteStream;
}

export function formatVirtualTime(ms: number): string {
  const s = Math.floor(ms / 1000);
  const d = Math.floor(s / 86400);
  const hh = String(Math.floor((s % 86400) / 3600)).padStart(2, "0");
  const mm = String(Math.floor((s % 3600) / 60)).padStart(2, "0");
  const ss = String(s % 60).padStart(2, "0");
  return `${d > 0 ? `${d}d ` : ""}${hh}:${mm}:${ss}`;
}

export function levelBar(pct: number | null, width = 24): string {
  if (pct === null) return chalk.gray(`[${"?".repeat(width)}]`);
  const full = Math.max(0, Math.min(width, Math.round((pct / 100) * width)));
  const colour = pct < 20 ? chalk.red : pct > 95 ? chalk.yellow : chalk.cyan;
  return `[${colour("█".repeat(full))}${chalk.gray("░".repeat(width - full))}]`;
}

function ago(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 120) return `${s}s`;
  if (s < 7200) return `${Math.round(s / 60)}m`;
  return `${Math.round(s / 3600)}h`;
}

function shortMessage(payload: string): string {
  try {
    const m = JSON.parse(payload) as Record<string, unknown>;
    const parts: string[] = [];
    if (m.cmd !== undefined) parts.push(`cmd ${String(m.cmd)}`);
    if (m.level !== undefined) parts.push(`level ${String(m.level)}`);
    if (m.temperature !== undefined && m.key !== undefined) parts.push(`${String(m.temperature)}°C`);
    return parts.join(" ") || payload.slice(0, 30);
  } catch {
    return payload.slice(0, 30);
  }
}

export class TerminalView {
  private readonly sim: Simulation;
  private readonly log: ReturnType<typeof createLogUpdate>;
  private readonly o: Required<Omit<TerminalViewOptions, "stream" | "title">> & { title: string };
  private readonly stream: NodeJS.WriteStream;
  private readonly events: string[] = [];
  private timer: NodeJS.Timeout | null = null;
  /** Set when the simulation stopped: the last frame says so instead of showing a closed broker as "down". */
  private finishedAtMs: number | null = null;
  private readonly onStopped = (): void => {
    if (this.finishedAtMs !== null) return;
    this.finishedAtMs = this.sim.now();
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.render(); // the closed broker is not "down": the frame says "finished" instead
  };
  private readonly onRelay;
  private readonly onConn;
  private readonly onBroker;
  private readonly onPlatform;
  private readonly onLog;

  constructor(sim: Simulation, o: TerminalViewOptions = {}) {
    this.sim = sim;
    this.stream = o.stream ?? process.stdout;
    this.log = createLogUpdate(this.stream, { showCursor: false });
    this.o = { fps: o.fps ?? 8, maxRows: o.maxRows ?? 20, title: o.title ?? "" };
    const at = (ms: number): string => chalk.gray(formatVirtualTime(ms));
    this.onRelay = (e: { uid: string; on: boolean; atMs: number; trueLevelPct: number }): void =>
      this.push(`${at(e.atMs)} ${e.uid} pump ${e.on ? chalk.green("ON") : chalk.red("OFF")} at ${e.trueLevelPct.toFixed(1)} %`);
    this.onConn = (e: { uid: string; state: string; atMs: number; reason?: string }): void => {
      if (e.state === "CONNECTED") this.push(`${at(e.atMs)} ${e.uid} mqtt ${chalk.green("connected")}`);
      if (e.state === "BACKING_OFF") this.push(`${at(e.atMs)} ${e.uid} mqtt ${chalk.yellow("disconnected")}${e.reason ? `: ${e.reason}` : ""}`);
    };
    this.onBroker = (e: { state: string; atMs: number }): void => this.push(`${at(e.atMs)} broker ${e.state === "up" ? chalk.green("up") : chalk.red("down")}`);
    this.onPlatform = (e: { kind: string; uid: string | null; atMs: number; cmd?: string; source?: string }): void => {
      if (e.kind === "switch") this.push(`${at(e.atMs)} platform: ${e.uid} switch ${e.cmd} (${e.source === "app" ? "app" : "device"})`);
    };
    this.onLog = (e: { uid: string; level: string; text: string; atMs: number }): void => {
      if (e.level === "warn" || e.level === "error" || e.level === "busy") this.push(`${at(e.atMs)} ${e.uid} ${chalk.yellow(e.level)} ${e.text}`);
    };
  }

  start(): void {
    this.sim.on("relay", this.onRelay);
    this.sim.on("conn", this.onConn);
    this.sim.on("broker", this.onBroker);
    this.sim.on("platform", this.onPlatform);
    this.sim.on("log", this.onLog);
    this.sim.on("stopped", this.onStopped);
    this.timer = setInterval(() => this.render(), Math.round(1000 / this.o.fps));
    this.render();
  }

  /** Draws the last frame (without the Ctrl-C hint) and leaves it on screen. */
  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.finishedAtMs ??= this.sim.now();
    this.render();
    this.log.done();
    this.sim.off("stopped", this.onStopped);
    this.sim.off("relay", this.onRelay);
    this.sim.off("conn", this.onConn);
    this.sim.off("broker", this.onBroker);
    this.sim.off("platform", this.onPlatform);
    this.sim.off("log", this.onLog);
  }

  private push(line: string): void {
    this.events.push(line);
    if (this.events.length > 6) this.events.shift();
  }

  /** One device's row, laid out for `cols` columns: the level bar narrows and the less important fields go first. */
  private row(s: DeviceSnapshot, uidWidth: number, cols: number): string {
    const bar = cols >= 120 ? 24 : cols >= 90 ? 12 : 6;
    const level = s.levelPct === null ? chalk.gray("   ? %") : `${s.levelPct.toFixed(1).padStart(5)} %`;
    const truth = chalk.gray(`(true ${s.trueLevelPct.toFixed(1).padStart(5)})`);
    const temp = s.temperatureC === null ? "   -  " : `${s.temperatureC.toFixed(1).padStart(5)}°C`;
    const pump = s.relayOn ? chalk.bgGreen.black(" ON  ") : chalk.gray(" off ");
    const mqtt = s.online ? chalk.green("online ") : chalk.yellow(s.connState.toLowerCase().slice(0, 10).padEnd(7));
    const up = s.lastUplink;
    const down = s.lastDownlink;
    let last = "";
    if (up && (!down || up.atMs >= down.atMs)) last = `↑ ${shortMessage(up.payload)} ${chalk.gray(ago(s.timeMs - up.atMs))}`;
    else if (down) last = `↓ ${shortMessage(down.payload)} ${chalk.gray(ago(s.timeMs - down.atMs))}`;
    const fields = [s.uid.padEnd(uidWidth), levelBar(s.levelPct, bar), level];
    if (cols >= 100) fields.push(truth);
    fields.push(temp, pump, mqtt);
    if (cols >= 100) fields.push(last);
    return fields.join(" ");
  }

  /** The column header matching row(). */
  private heading(uidWidth: number, cols: number): string {
    const bar = cols >= 120 ? 24 : cols >= 90 ? 12 : 6;
    const parts = ["device".padEnd(uidWidth), "level".padEnd(bar + 2 + 8)];
    if (cols >= 100) parts.push("(simulated)".padEnd(12));
    parts.push("temp".padEnd(7), "pump ", "mqtt   ");
    if (cols >= 100) parts.push("last message");
    return parts.join(" ");
  }

  private render(): void {
    const snaps = this.sim.snapshots();
    const speed = this.sim.speed;
    const cols = (this.stream.columns ?? 0) >= 40 ? this.stream.columns : 120;
    const termRows = (this.stream.rows ?? 0) >= 8 ? this.stream.rows : 40;
    const finished = this.finishedAtMs !== null;
    const header: string[] = [];
    const status = finished
      ? chalk.bold("finished")
      : `speed ${Number.isFinite(speed) ? `${speed}×` : "max"}  broker ${this.sim.brokerUp ? chalk.green(this.sim.brokerUrl) : chalk.red("down")}  platform ${this.sim.platform ? "on" : "off"}`;
    header.push(`${chalk.bold("iotbind-tank sim")}  ${chalk.cyan(formatVirtualTime(finished ? this.finishedAtMs! : this.sim.now()))}  ${status}`);
    if (this.o.title) header.push(chalk.gray(this.o.title.trim()));
    // Height: header, column heading, device rows, the "more" line, a blank, events, the footer; the cursor's line.
    const events = this.events.slice(-Math.max(0, Math.min(this.events.length, termRows - header.length - 6)));
    const room = termRows - header.length - 1 - 1 - 1 - events.length - (finished ? 0 : 1) - 1;
    const maxRows = Math.max(1, Math.min(this.o.maxRows, snaps.length > room ? room : snaps.length));
    const shown = snaps.slice(0, maxRows);
    const uidWidth = Math.max(10, ...shown.map((s) => s.uid.length));
    const lines: string[] = [...header];
    lines.push(chalk.gray(this.heading(uidWidth, cols)));
    for (const s of shown) lines.push(this.row(s, uidWidth, cols));
    if (snaps.length > shown.length) {
      const online = snaps.filter((s) => s.online).length;
      const pumping = snaps.filter((s) => s.relayOn).length;
      lines.push(chalk.gray(`… ${snaps.length - shown.length} more devices (${online}/${snaps.length} online, ${pumping} pumping)`));
    }
    lines.push("");
    for (const e of events) lines.push(`  ${e}`);
    if (!finished) lines.push(chalk.gray("Ctrl-C to stop"));
    this.log(lines.map((l) => truncate(l, cols)).join("\n"));
  }
}

/** Cuts a line with ANSI colours to `cols` visible characters. */
function truncate(line: string, cols: number): string {
  let visible = 0;
  let out = "";
  for (let i = 0; i < line.length; i++) {
    if (line[i] === "\u001b") {
      const m = /^\u001b\[[0-9;]*m/.exec(line.slice(i));
      if (m) {
        out += m[0];
        i += m[0].length - 1;
        continue;
      }
    }
    if (visible >= cols - 1) break;
    out += line[i];
    visible++;
  }
  return `${out}\u001b[0m`;
}
