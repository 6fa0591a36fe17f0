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
  /** Rows of devices shown (default 20); the rest are summarised. */
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
    this.onConn = (e: { uid: string; state: string; atMs: number }): void => {
      if (e.state === "CONNECTED" || e.state === "BACKING_OFF") this.push(`${at(e.atMs)} ${e.uid} mqtt ${e.state === "CONNECTED" ? chalk.green(e.state) : chalk.yellow(e.state)}`);
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
    this.timer = setInterval(() => this.render(), Math.round(1000 / this.o.fps));
    this.render();
  }

  /** Draws the last frame and leaves it on screen. */
  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.render();
    this.log.done();
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

  private row(s: DeviceSnapshot, uidWidth: number): string {
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
    return `${s.uid.padEnd(uidWidth)} ${levelBar(s.levelPct)} ${level} ${truth} ${temp} ${pump} ${mqtt} ${last}`;
  }

  private render(): void {
    const snaps = this.sim.snapshots();
    const speed = this.sim.speed;
    const lines: string[] = [];
    lines.push(
      `${chalk.bold("iotbind-tank sim")}  ${chalk.cyan(formatVirtualTime(this.sim.now()))}  ` +
        `speed ${Number.isFinite(speed) ? `${speed}×` : "max"}  broker ${this.sim.brokerUp ? chalk.green(this.sim.brokerUrl) : chalk.red("down")}` +
        `  platform ${this.sim.platform ? "on" : "off"}${this.o.title ? `  ${this.o.title}` : ""}`,
    );
    const uidWidth = Math.max(10, ...snaps.slice(0, this.o.maxRows).map((s) => s.uid.length));
    lines.push(chalk.gray(`${"device".padEnd(uidWidth)} ${"level".padEnd(26)} ${"".padEnd(7)} ${"".padEnd(12)} ${"temp".padEnd(7)} pump  mqtt    last message`));
    for (const s of snaps.slice(0, this.o.maxRows)) lines.push(this.row(s, uidWidth));
    if (snaps.length > this.o.maxRows) {
      const online = snaps.filter((s) => s.online).length;
      const pumping = snaps.filter((s) => s.relayOn).length;
      lines.push(chalk.gray(`… ${snaps.length - this.o.maxRows} more devices (${online}/${snaps.length} online, ${pumping} pumping)`));
    }
    lines.push("");
    for (const e of this.events) lines.push(`  ${e}`);
    lines.push(chalk.gray("Ctrl-C to stop"));
    const cols = (this.stream.columns ?? 0) >= 40 ? this.stream.columns : 120;
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
