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

export type RuntimeName = "wasm2c" | "wamr-classic" | "wamr-fast" | "wasm3";
export const RUNTIME_NAMES: RuntimeName[] = ["wasm2c", "wamr-classic", "wamr-fast", "wasm3"];

/**
 * `driver --mem`, after the first instance took its config: the C heap the
 * runtime holds (heap_live, counted by the driver's malloc wrappers; heap_peak
 * its high-water mark since the first rt_open; heap_in_use glibc's mallinfo2,
 * for reference only: it also counts freed blocks glibc's cache keeps);
 * WAMR: the pool's figures, in use with the instance open (what rt_open
 * really took), its high-water mark, and per step.
 */
export interface MemReport {
  heap_live?: number;
  heap_peak?: number;
  heap_in_use: number;
  linear_memory_size: number;
  wasm_bytes: number;
  wasm_stack: number;
  pool_in_use?: number;
  pool_peak?: number;
  pool_at_init?: number;
  binary_freeable?: boolean;
  module_copy?: number;
  module_loaded?: number;
  instance?: number;
  exec_env?: number;
  pool_total?: number;
  linear_memory?: number;
}

/** `driver --paint`: bytes of a painted thread stack written (peak), by an empty thread (baseline), and the difference. */
export interface StackReport { peak: number; baseline: number; used: number }

export interface RuntimeBench {
  runtime: RuntimeName;
  /** The driver's functional check passed (64-bit build). */
  ok: boolean;
  driver: Record<string, unknown>;
  /** Instructions per operation, 64-bit build (callgrind). */
  sections: NativeSection[];
  /** Factor to wasm2c per operation. */
  factor: Record<string, number>;
  memory: { m64?: MemReport; m32?: MemReport };
  /** Smallest wasm stack (bytes, 16-byte steps) with which the whole driver scenario completes; runtimes with a wasm stack only. */
  minWasmStack: { m64?: number; m32?: number };
  /** Native (C) stack the driver scenario used, with the adapters' default wasm stack. */
  nativeStack: { m64?: StackReport; m32?: StackReport };
  /** The whole driver scenario also completes with half the adapters' default wasm stack (RT_WASM_STACK_BYTES, boards/host/host.h): the default has a 2x margin. Runtimes with a wasm stack only. */
  stackMargin2x: { m64?: boolean; m32?: boolean };
  error?: string;
}

/** Resident RAM with the instance open: WAMR's pool use of rt_open plus its linear memory (outside the pool); others: the C heap the runtime holds. */
export function residentRam(m: MemReport | undefined): number | undefined {
  if (!m) return undefined;
  if (m.pool_in_use !== undefined) return m.pool_in_use + m.linear_memory_size;
  return m.heap_live ?? m.heap_in_use;
}

/** A runtime build option measured with the same driver and adapter but not used by the hosts (docs/RUNTIMES.md, "RAM"). */
export interface OptionBench {
  name: string;
  what: string;
  /** The runtime it is a variant of. */
  base: RuntimeName;
  /** --mem at 32 bit. */
  memory32?: MemReport;
  /** Instructions per operation, 64-bit build (callgrind). */
  sections: NativeSection[];
  /** Factor to the base runtime's instructions per operation. */
  factorToBase: Record<string, number>;
  error?: string;
}

export interface NativeResult {
  ok: boolean;
  /** wasm2c's driver output and sections (the first table; kept as before). */
  driver: Record<string, unknown>;
  sections: NativeSection[];
  valgrind: string;
  cflags: string;
  /** Every runtime, wasm2c included. */
  runtimes: RuntimeBench[];
  /** Options measured, not used (full bench only). */
  options?: OptionBench[];
  /** Where the runtimes' sources came from (build/runtimes/sources.mk). */
  sources: { wamr: string; wasm3: string };
}

const WABT_RT = "/usr/share/wabt/wasm2c";
const ORDER = ["idle_tick", "reading_cycle", "downlink", "config_parse"];
const DEFS = ["-DWASM_RT_MEMCHECK_SIGNAL_HANDLER=0"];
/** The driver counts the runtimes' C heap by wrapping the allocator (bench/native/driver.c). */
const WRAP_MALLOC = ["-Wl,--wrap=malloc,--wrap=calloc,--wrap=realloc,--wrap=free"];
const CFLAGS = ["-O2", ...DEFS];

const WHAT: Record<string, string> = {
  idle_tick: "one `tick` while connected with nothing due (socket polled, timers checked)",
  reading_cycle: "one reading: 5 pings (one per tick, 60 ms apart), median, compensation, level, JSON encode, QoS 1 PUBLISH, PUBACK",
  downlink: "one platform state message (QoS 1 PUBLISH, 145-byte JSON) arriving: MQTT reassembly, JSON parse, pump rules, relay, PUBACK",
  config_parse: "`init(len)`: check the binary config (CONFIG_SIZE; the host encoded it from JSON beforehand), set up pins, start",
};

/** Installs valgrind from Debian when it is missing (the bench needs it). */
export function ensureValgrind(log: (s: string) => void): boolean {
  if (has("valgrind")) return true;
  log("valgrind missing: apt-get install -y valgrind");
  const r = sh("sh", ["-c", "(apt-get install -y valgrind || (apt-get update && apt-get install -y valgrind)) >/dev/null 2>&1"], { timeoutMs: 300_000 });
  return r.status === 0 && has("valgrind");
}

/** boards/host files the driver links as they are: the config encoder, and the OTA of a board without OTA. */
const CONFIG_C = ["config_encode", "json_member", "ota_none"];

function build(wasm: string, dir: string): string {
  mkdirSync(dir, { recursive: true });
  const host = packagePath("boards", "host");
  mustSh("wasm2c", [wasm, "-o", join(dir, "firmware.c"), "-n", "firmware"]);
  const inc = ["-I", host, "-isystem", dir, "-isystem", WABT_RT];
  mustSh("gcc", [...CFLAGS, "-w", "-isystem", WABT_RT, "-c", join(dir, "firmware.c"), "-o", join(dir, "firmware.o")]);
  mustSh("gcc", [...CFLAGS, "-w", "-c", join(WABT_RT, "wasm-rt-impl.c"), "-o", join(dir, "wasm-rt-impl.o")]);
  const strict = ["-std=c99", "-Wall", "-Wextra", "-Werror", "-D_GNU_SOURCE", ...CFLAGS, ...inc];
  mustSh("gcc", [...strict, "-c", join(host, "runtime_wasm2c.c"), "-o", join(dir, "runtime_wasm2c.o")]);
  mustSh("gcc", [...strict, "-c", packagePath("bench", "native", "driver.c"), "-o", join(dir, "driver.o")]);
  for (const c of CONFIG_C) mustSh("gcc", [...strict, "-c", join(host, `${c}.c`), "-o", join(dir, `${c}.o`)]);
  const exe = join(dir, "driver");
  mustSh("gcc", ["-o", exe, ...["driver.o", "runtime_wasm2c.o", "firmware.o", "wasm-rt-impl.o", ...CONFIG_C.map((c) => `${c}.o`)].map((f) => join(dir, f)), ...WRAP_MALLOC, "-lm", "-lpthread"]);
  return exe;
}

/** WAMR_ROOT and WASM3_SRC from build/runtimes/sources.mk (written by `make -C boards`). */
function runtimeSources(): { wamr: string; wasm3: string } {
  const text = readFileSync(packagePath("build", "runtimes", "sources.mk"), "utf8");
  const get = (k: string): string => {
    const m = new RegExp(`^${k} := (.+)$`, "m").exec(text);
    if (!m) throw new Error(`${k} missing in build/runtimes/sources.mk`);
    return m[1]!.trim();
  };
  return { wamr: get("WAMR_ROOT"), wasm3: get("WASM3_SRC") };
}

/** A variable of boards/Makefile (and the runtimes.mk it includes). */
function makeVar(name: string): string {
  return mustSh("make", ["-s", "-C", packagePath("boards"), "--eval", `print-%: ; @echo $($*)`, `print-${name}`]).trim();
}

/** The driver linked with a real runtime's adapter and library, 64- or 32-bit (-m32, as on ESP32). */
function buildRuntime(rt: Exclude<RuntimeName, "wasm2c">, bits: 64 | 32, dir: string, libName: string = rt): string {
  mkdirSync(dir, { recursive: true });
  const src = runtimeSources();
  const host = packagePath("boards", "host");
  const m = bits === 32 ? ["-m32"] : [];
  const isWamr = rt !== "wasm3";
  const inc = isWamr ? ["-isystem", join(src.wamr, "core", "iwasm", "include")] : ["-isystem", src.wasm3];
  // wasm3's adapter is compiled with the library's own configuration (boards/Makefile: it reads wasm3's structs)
  const defs = isWamr ? ["-DBENCH_WAMR"] : ["-DBENCH_WASM3", ...makeVar("WASM3_DEFS").split(/\s+/).filter(Boolean)];
  const strict = ["-std=c99", "-Wall", "-Wextra", "-Werror", "-D_GNU_SOURCE", "-O2", ...m, "-I", host, ...inc, ...defs];
  const adapter = isWamr ? "runtime_wamr" : "runtime_wasm3";
  mustSh("gcc", [...strict, "-c", join(host, `${adapter}.c`), "-o", join(dir, `${adapter}.o`)]);
  mustSh("gcc", [...strict, "-c", packagePath("bench", "native", "driver.c"), "-o", join(dir, "driver.o")]);
  for (const c of CONFIG_C) mustSh("gcc", [...strict, "-c", join(host, `${c}.c`), "-o", join(dir, `${c}.o`)]);
  const lib = isWamr ? packagePath("build", "runtimes", `${libName}-${bits}`, "libvmlib.a") : packagePath("build", "runtimes", `wasm3-${bits}`, "libm3.a");
  const exe = join(dir, "driver");
  mustSh("gcc", [...m, "-o", exe, join(dir, "driver.o"), join(dir, `${adapter}.o`), ...CONFIG_C.map((c) => join(dir, `${c}.o`)), lib, ...WRAP_MALLOC, "-lm", "-lpthread"]);
  return exe;
}

interface Part { name: string; total: number; file: string }

function callgrind(exe: string, dir: string, args: string[] = []): Part[] {
  for (const f of readdirSync(dir)) if (f.startsWith("cg.out")) rmSync(join(dir, f));
  const r = sh("valgrind", ["--tool=callgrind", "--collect-atstart=no", `--callgrind-out-file=${join(dir, "cg.out")}`, exe, ...args], { timeoutMs: 600_000 });
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

function lastJson(stdout: string, key: string): Record<string, unknown> | undefined {
  for (const line of stdout.trim().split("\n").reverse()) {
    try {
      const o = JSON.parse(line) as Record<string, unknown>;
      if (key in o) return o;
    } catch { /* not JSON */ }
  }
  return undefined;
}

function sectionsOf(parts: Part[], driver: Record<string, unknown>, top: Map<string, Array<{ fn: string; pct: number }>>): NativeSection[] {
  const secs = (driver.sections ?? {}) as Record<string, { reps?: number; ticks?: number }>;
  return ORDER.flatMap((name) => {
    const p = parts.find((x) => x.name === name);
    if (!p) return [];
    const reps = secs[name]?.reps ?? 1;
    const ticks = name === "reading_cycle" ? (secs[name]?.ticks ?? reps) / reps : name === "config_parse" ? 0 : 1;
    const size = `${String(driver.config_bytes ?? "?")} bytes, ${String(driver.config_members ?? "?")} members`;
    return [{ name, what: (WHAT[name] ?? name).replace("CONFIG_SIZE", size), reps, instructions: round(p.total / reps, 0), ticks, top: top.get(name) ?? [] }];
  });
}

/** Smallest wasm stack (16-byte steps, between lo and hi) with which the driver completes; undefined if even hi fails. */
function minWasmStack(exe: string, args: string[], lo = 64, hi = 32768): number | undefined {
  const works = (n: number): boolean => sh(exe, [...args, "--wasm-stack", String(n)], { timeoutMs: 60_000 }).status === 0;
  if (!works(hi)) return undefined;
  while (hi - lo > 16) {
    const mid = Math.floor((lo + hi) / 32) * 16;
    if (works(mid)) hi = mid; else lo = mid;
  }
  return hi;
}

/**
 * o.quick (the bench's smoke mode): 64-bit builds only and no smallest-stack
 * search; instructions, memory and painted stack of every runtime still.
 */
export function measureNative(log: (s: string) => void, o: { attribution?: boolean; runtimes?: RuntimeName[]; quick?: boolean } = {}): NativeResult {
  if (!has("wasm2c") || !has("gcc")) throw new Error("wasm2c and gcc are needed (apt-get install -y wabt gcc)");
  if (!ensureValgrind(log)) throw new Error("valgrind is missing and could not be installed");
  const base = packagePath("build", "bench", "native");
  const wasm = packagePath("build", "firmware.wasm");
  const wanted = o.runtimes ?? RUNTIME_NAMES;
  // the runtime libraries, 64- and 32-bit (registry-fetched sources, boards/runtimes/)
  mustSh("make", ["-s", "-j2", "-C", packagePath("boards"), "runtimes", ...(o.quick ? [] : ["libs32"])], { timeoutMs: 900_000 });
  const runtimes: RuntimeBench[] = [];
  let wasm2c: RuntimeBench | undefined;
  for (const rt of wanted) {
    log(`native: ${rt}`);
    const rb: RuntimeBench = { runtime: rt, ok: false, driver: {}, sections: [], factor: {}, memory: {}, minWasmStack: {}, nativeStack: {}, stackMargin2x: {} };
    runtimes.push(rb);
    try {
      const args = rt === "wasm2c" ? [] : ["--wasm", wasm];
      const builds: Array<[64 | 32, string]> = rt === "wasm2c"
        ? [[64, build(wasm, join(base, "release"))]]
        : [[64, buildRuntime(rt, 64, join(base, `${rt}-64`))], ...(o.quick ? [] : [[32, buildRuntime(rt, 32, join(base, `${rt}-32`))] as [32, string]])];
      for (const [bits, exe] of builds) {
        const key = bits === 64 ? "m64" : "m32";
        const plain = sh(exe, [...args, "--mem"], { timeoutMs: 120_000 });
        const mem = lastJson(plain.stdout, "mem");
        if (mem) rb.memory[key] = mem.mem as MemReport;
        const stack = rb.memory[key]?.wasm_stack;
        if (rt !== "wasm2c" && stack) rb.stackMargin2x[key] = sh(exe, [...args, "--wasm-stack", String(Math.floor(stack / 32) * 16)], { timeoutMs: 120_000 }).status === 0;
        if (bits === 64) {
          rb.driver = lastJson(plain.stdout, "ok") ?? { ok: false, output: plain.stdout.slice(0, 500) };
          rb.ok = plain.status === 0 && rb.driver.ok === true;
          if (plain.status !== 0) log(`native ${rt}: driver functional check failed (${plain.status}): ${plain.stderr.slice(0, 500)}`);
        }
        const painted = sh(exe, [...args, "--paint"], { timeoutMs: 120_000 });
        const st = lastJson(painted.stdout, "stack");
        if (st && painted.status === 0) rb.nativeStack[key] = st.stack as StackReport;
        if (rt !== "wasm2c" && !o.quick) rb.minWasmStack[key] = minWasmStack(exe, args);
        if (bits === 64) {
          const dir = rt === "wasm2c" ? join(base, "release") : join(base, `${rt}-64`);
          rb.sections = sectionsOf(callgrind(exe, dir, args), rb.driver, new Map());
        }
      }
    } catch (e) {
      rb.error = (e as Error).message.slice(0, 1000);
      log(`native ${rt} failed: ${rb.error}`);
    }
    if (rt === "wasm2c") wasm2c = rb;
  }
  // Attribution (wasm2c only): the names build, one callgrind run per section (one profile at exit: reliable per-function costs).
  if (wasm2c && o.attribution !== false) try {
    const dir = join(base, "names");
    const namesExe = build(packagePath("build", "bench", "firmware.names.wasm"), dir);
    for (const s of wasm2c.sections) {
      const file = join(dir, `cg.section.${s.name}`);
      const r = sh("valgrind", ["--tool=callgrind", "--collect-atstart=no", `--callgrind-out-file=${file}`, namesExe, "--section", s.name], { timeoutMs: 300_000 });
      if (r.status === 0) s.top = topFunctions(file);
    }
  } catch (e) {
    log(`names build for attribution failed: ${(e as Error).message.slice(0, 300)}`);
  }
  for (const rb of runtimes) {
    for (const s of rb.sections) {
      const ref = wasm2c?.sections.find((x) => x.name === s.name);
      if (ref && ref.instructions > 0) rb.factor[s.name] = round(s.instructions / ref.instructions, 1);
    }
  }
  const options: OptionBench[] = [];
  if (!o.quick && wanted.includes("wamr-fast")) {
    const ob: OptionBench = {
      name: "wamr-fast-nolabels", base: "wamr-fast", sections: [], factorToBase: {},
      what: "WAMR fast interpreter built with WASM_ENABLE_LABELS_AS_VALUES=0: 2-byte opcodes in the compiled code instead of 4-byte handler addresses, dispatched by a switch",
    };
    options.push(ob);
    try {
      log("native: option wamr-fast-nolabels");
      mustSh("make", ["-s", "-j2", "-C", packagePath("boards"), "libs-options"], { timeoutMs: 900_000 });
      const exe32 = buildRuntime("wamr-fast", 32, join(base, "wamr-fast-nolabels-32"), "wamr-fast-nolabels");
      ob.memory32 = lastJson(sh(exe32, ["--wasm", wasm, "--mem"], { timeoutMs: 120_000 }).stdout, "mem")?.mem as MemReport | undefined;
      const dir64 = join(base, "wamr-fast-nolabels-64");
      const exe64 = buildRuntime("wamr-fast", 64, dir64, "wamr-fast-nolabels");
      const check = sh(exe64, ["--wasm", wasm], { timeoutMs: 120_000 });
      const drv = lastJson(check.stdout, "ok") ?? {};
      if (check.status !== 0 || drv.ok !== true) throw new Error(`driver functional check failed (${check.status})`);
      ob.sections = sectionsOf(callgrind(exe64, dir64, ["--wasm", wasm]), drv, new Map());
      const baseRb = runtimes.find((x) => x.runtime === ob.base);
      for (const sct of ob.sections) {
        const ref = baseRb?.sections.find((x) => x.name === sct.name);
        if (ref && ref.instructions > 0) ob.factorToBase[sct.name] = round(sct.instructions / ref.instructions, 2);
      }
    } catch (e) {
      ob.error = (e as Error).message.slice(0, 1000);
      log(`native option ${ob.name} failed: ${ob.error}`);
    }
  }
  return {
    ok: runtimes.length === wanted.length && runtimes.every((x) => x.ok && x.sections.length === ORDER.length),
    driver: wasm2c?.driver ?? {},
    sections: wasm2c?.sections ?? [],
    valgrind: mustSh("valgrind", ["--version"]).trim(),
    cflags: `gcc ${CFLAGS.join(" ")}`,
    runtimes,
    ...(options.length ? { options } : {}),
    sources: runtimeSources(),
  };
}
