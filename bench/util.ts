/** Small helpers shared by the bench sections. */
import { spawnSync } from "node:child_process";
import { cpus, totalmem, release, platform } from "node:os";
import { readFileSync } from "node:fs";
import { packagePath } from "../sim/paths.js";

export interface RunResult {
  status: number;
  stdout: string;
  stderr: string;
}

export function sh(cmd: string, args: string[], opts: { cwd?: string; timeoutMs?: number; input?: string } = {}): RunResult {
  const r = spawnSync(cmd, args, {
    encoding: "utf8",
    maxBuffer: 256 * 1024 * 1024,
    cwd: opts.cwd ?? packagePath(),
    timeout: opts.timeoutMs ?? 300_000,
    input: opts.input,
  });
  return { status: r.status ?? (r.error ? 127 : 1), stdout: r.stdout ?? "", stderr: (r.stderr ?? "") + (r.error ? String(r.error) : "") };
}

export function mustSh(cmd: string, args: string[], opts: { cwd?: string; timeoutMs?: number } = {}): string {
  const r = sh(cmd, args, opts);
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(" ")} failed (${r.status}): ${r.stderr.slice(0, 2000)}`);
  return r.stdout;
}

export function has(cmd: string): boolean {
  return sh("sh", ["-c", `command -v ${cmd}`]).status === 0;
}

/** Version line of a tool, or "missing". */
export function versionOf(cmd: string, args = ["--version"]): string {
  if (!has(cmd)) return "missing";
  const r = sh(cmd, args);
  return (r.stdout || r.stderr).split("\n").find((l) => l.trim())?.trim() ?? "?";
}

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i]!;
}

export function round(x: number, digits = 2): number {
  if (!Number.isFinite(x)) return x;
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

export interface Machine {
  date: string;
  cpu: string;
  cores: number;
  memGiB: number;
  os: string;
  node: string;
  versions: Record<string, string>;
}

function pkgVersion(name: string): string {
  try {
    return (JSON.parse(readFileSync(packagePath("node_modules", name, "package.json"), "utf8")) as { version: string }).version;
  } catch {
    return "?";
  }
}

export function machine(): Machine {
  const c = cpus();
  return {
    date: new Date().toISOString(),
    cpu: c[0]?.model ?? "?",
    cores: c.length,
    memGiB: round(totalmem() / 2 ** 30, 1),
    os: `${platform()} ${release()}`,
    node: process.version,
    versions: {
      assemblyscript: pkgVersion("assemblyscript"),
      typescript: pkgVersion("typescript"),
      mqtt: pkgVersion("mqtt"),
      mosquitto: (() => {
        const r = sh("sh", ["-c", "mosquitto -h 2>&1 | head -1"]);
        return r.stdout.trim() || "missing";
      })(),
      wabt: versionOf("wasm2c", ["--version"]),
      gcc: versionOf("gcc"),
      valgrind: versionOf("valgrind"),
    },
  };
}

/** A markdown table. */
export function table(head: string[], rows: Array<Array<string | number>>): string {
  const fmt = (v: string | number): string => (typeof v === "number" ? (Number.isInteger(v) ? v.toLocaleString("en-US") : String(v)) : v);
  return [
    `| ${head.join(" | ")} |`,
    `| ${head.map((_, i) => (i > 0 && rows.length > 0 && rows.every((r) => typeof r[i] === "number") ? "---:" : "---")).join(" | ")} |`,
    ...rows.map((r) => `| ${r.map(fmt).join(" | ")} |`),
  ].join("\n");
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
