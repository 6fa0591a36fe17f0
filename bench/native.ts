/**
 * Instruction counts under the native wasm2c host (callgrind): builds
 * bench/native/driver.c with the wasm2c translation of the release module
 * and the posix host's runtime adapter (boards/host/runtime_wasm2c.c), runs
 * it once plainly (functional check) and once under
 * `valgrind --tool=callgrind --collect-atstart=no`; the driver dumps one
 * profile part per section. The same driver built from the names build of
 * the same sources gives the top functions per section (attribution only;
 * the counts reported are the release module's).
 */
import { mkdirSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { packagePath } from "../sim/paths.js";
import { has, mustSh, sh, round } from "./util.js";

export interface NativeSection {
  name: string;
  what: string;
  reps: number;
  /** Instructions per repetition (release module, wasm2c + gcc -O2, explicit bounds checks). */
  instructions: number;
  /** Firmware ticks per repetition. */
  ticks: number;
  /** Top functions (names build), share of the section's instructions. */
  top: Array<{ fn: string; pct: number }>;
}

export interface NativeResult {
  ok: boolean;
  driver: Record<string, unknown>;
  sections: NativeSection[];
  valgrind: string;
  cflags: string;
}

const WABT_RT = "/usr/share/wabt/wasm2c";
const ORDER = ["idle_tick", "reading_cycle", "downlink", "config_parse"];
const DEFS = ["-DWASM_RT_MEMCHECK_SIGNAL_HANDLER=0"];
const CFLAGS = ["-O2", ...DEFS];

const WHAT: Record<string, string> = {
  idle_tick: "one `tick` while connected with nothing due (socket polled, timers checked)",
  reading_cycle: "one reading: 5 pings (one per tick, 60 ms apart), median, compensation, level, JSON encode, QoS 1 PUBLISH, PUBACK",
  downlink: "one platform state message (QoS 1 PUBLISH, 145-byte JSON) arriving: MQTT reassembly, JSON parse, pump rules, relay, PUBACK",
  config_parse: "`init(len)`: parse and validate the config JSON (CONFIG_SIZE), set up pins, start",
};

/** Installs valgrind from Debian when it is missing (the bench needs it). */
export function ensureValgrind(log: (s: string) => void): boolean {
  if (has("valgrind")) return true;
  log("valgrind missing: apt-get install -y valgrind");
  const r = sh("sh", ["-c", "(apt-get install -y valgrind || (apt-get update && apt-get install -y valgrind)) >/dev/null 2>&1"], { timeoutMs: 300_000 });
  return r.status === 0 && has("valgrind");
}

function build(wasm: string, dir: string): string {
  mkdirSync(dir, { recursive: true });
  const host = packagePath("boards", "host");
  mustSh("wasm2c", [wasm, "-o", join(dir, "firmware.c"), "-n", "firmware"]);
  const inc = ["-I", host, "-isystem", dir, "-isystem", WABT_RT];
  mustSh("gcc", [...CFLAGS, "-w", "-isystem", WABT_RT, "-c", join(dir, "firmware.c"), "-o", join(dir, "firmware.o")]);
  mustSh("gcc", [...CFLAGS, "-w", "-c", join(WABT_RT, "wasm-rt-impl.c"), "-o", join(dir, "wasm-rt-impl.o")]);
  const strict = ["-std=c99", "-Wall", "-Wextra", "-Werror", "-D_POSIX_C_SOURCE=200809L", ...CFLAGS, ...inc];
  mustSh("gcc", [...strict, "-c", join(host, "runtime_wasm2c.c"), "-o", join(dir, "runtime_wasm2c.o")]);
  mustSh("gcc", [...strict, "-c", packagePath("bench", "native", "driver.c"), "-o", join(dir, "driver.o")]);
  const exe = join(dir, "driver");
  mustSh("gcc", ["-o", exe, ...["driver.o", "runtime_wasm2c.o", "firmware.o", "wasm-rt-impl.o"].map((f) => join(dir, f)), "-lm"]);
  return exe;
}

interface Part { name: string; total: number; file: string }

function callgrind(exe: string, dir: string): Part[] {
  for (const f of readdirSync(dir)) if (f.startsWith("cg.out")) rmSync(join(dir, f));
  const r = sh("valgrind", ["--tool=callgrind", "--collect-atstart=no", `--callgrind-out-file=${join(dir, "cg.out")}`, exe], { timeoutMs: 300_000 });
  if (r.status !== 0) throw new Error(`callgrind run failed (${r.status}): ${r.stderr.slice(-2000)}`);
  const parts: Part[] = [];
  for (const f of readdirSync(dir)) {
    if (!/^cg\.out\.\d+$/.test(f)) continue;
    const text = readFileSync(join(dir, f), "utf8");
    const name = /^desc: Trigger: Client Request: (\S+)/m.exec(text)?.[1];
    const total = /^totals: (\d+)/m.exec(text)?.[1] ?? /^summary: (\d+)/m.exec(text)?.[1];
    if (name && total) parts.push({ name, total: Number(total), file: join(dir, f) });
  }
  return parts;
}

function topFunctions(file: string, n = 4): Array<{ fn: string; pct: number }> {
  const r = sh("callgrind_annotate", [file]);
  const out: Array<{ fn: string; pct: number }> = [];
  for (const line of r.stdout.split("\n")) {
    const m = /^\s*[\d,]+ \(\s*([\d.]+)%\)\s+\?\?\?:w2c_(\S+)/.exec(line) ?? /^\s*[\d,]+ \(\s*([\d.]+)%\)\s+\S+:(\S+)/.exec(line);
    if (!m || /PROGRAM TOTALS/.test(line)) continue;
    out.push({ fn: m[2]!.replace(/ \[.*$/, ""), pct: Number(m[1]) });
    if (out.length >= n) break;
  }
  return out;
}

export function measureNative(log: (s: string) => void, o: { attribution?: boolean } = {}): NativeResult {
  if (!has("wasm2c") || !has("gcc")) throw new Error("wasm2c and gcc are needed (apt-get install -y wabt gcc)");
  if (!ensureValgrind(log)) throw new Error("valgrind is missing and could not be installed");
  const base = packagePath("build", "bench", "native");
  const exe = build(packagePath("build", "firmware.wasm"), join(base, "release"));
  const plain = sh(exe, []);
  let driver: Record<string, unknown> = {};
  try {
    driver = JSON.parse(plain.stdout.trim().split("\n").pop() ?? "{}") as Record<string, unknown>;
  } catch {
    driver = { ok: false, output: plain.stdout.slice(0, 500) };
  }
  if (plain.status !== 0) log(`native driver functional check failed (${plain.status}): ${plain.stderr.slice(0, 500)} ${plain.stdout.slice(0, 500)}`);
  const parts = callgrind(exe, join(base, "release"));
  // Attribution: the names build, one callgrind run per section (one profile at exit: reliable per-function costs).
  const top = new Map<string, Array<{ fn: string; pct: number }>>();
  if (o.attribution !== false) try {
    const dir = join(base, "names");
    const namesExe = build(packagePath("build", "bench", "firmware.names.wasm"), dir);
    for (const name of ORDER) {
      const file = join(dir, `cg.section.${name}`);
      const r = sh("valgrind", ["--tool=callgrind", "--collect-atstart=no", `--callgrind-out-file=${file}`, namesExe, "--section", name], { timeoutMs: 300_000 });
      if (r.status === 0) top.set(name, topFunctions(file));
    }
  } catch (e) {
    log(`names build for attribution failed: ${(e as Error).message.slice(0, 300)}`);
  }
  const secs = (driver.sections ?? {}) as Record<string, { reps?: number; ticks?: number }>;
  const sections: NativeSection[] = ORDER.flatMap((name) => {
    const p = parts.find((x) => x.name === name);
    if (!p) return [];
    const reps = secs[name]?.reps ?? 1;
    const ticks = name === "reading_cycle" ? (secs[name]?.ticks ?? reps) / reps : name === "config_parse" ? 0 : 1;
    const size = `${String(driver.config_bytes ?? "?")} bytes, ${String(driver.config_members ?? "?")} members`;
    return [{ name, what: (WHAT[name] ?? name).replace("CONFIG_SIZE", size), reps, instructions: round(p.total / reps, 0), ticks, top: top.get(name) ?? [] }];
  });
  return {
    ok: plain.status === 0 && driver.ok === true && sections.length === ORDER.length,
    driver,
    sections,
    valgrind: mustSh("valgrind", ["--version"]).trim(),
    cflags: `gcc ${CFLAGS.join(" ")}`,
  };
}
