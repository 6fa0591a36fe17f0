/**
 * Footprint of firmware.wasm: bytes per section, and code bytes per
 * component (assembly/<folder>, the AssemblyScript runtime and library),
 * from a release build compiled with a name section.
 */
import { spawnSync } from "node:child_process";
import { readFileSync, mkdirSync } from "node:fs";
import { packagePath } from "../sim/paths.js";
import { heapBase } from "../sim/tools/fuzz/rig.js";

export interface Footprint {
  wasmBytes: number;
  sections: Record<string, number>;
  /** Code bytes (function bodies) per component. */
  components: Record<string, number>;
  dataBytes: number;
  /** Data segments' payload bytes (static data in memory). */
  staticDataBytes: number;
  functions: number;
}

function run(cmd: string, args: string[]): string {
  const r = spawnSync(cmd, args, { encoding: "utf8", maxBuffer: 64 * 1024 * 1024, cwd: packagePath() });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(" ")} failed: ${r.stderr || r.error}`);
  return r.stdout;
}

export function componentOf(fn: string): string {
  if (fn.startsWith("assembly/index")) return "app";
  if (fn === "~start") return "runtime";
  const m = /^assembly\/([a-z]+)\//.exec(fn);
  if (m) return m[1]!;
  if (fn.startsWith("~lib/math")) return "runtime:math";
  if (fn.startsWith("~lib/")) return "runtime";
  return "other";
}

/** Measures build/firmware.wasm, attributing code with a names build of the same sources. */
export function measureFootprint(opts: { quick?: boolean } = {}): Footprint {
  const release = packagePath("build", "firmware.wasm");
  const named = packagePath("build", "bench", "firmware.names.wasm");
  mkdirSync(packagePath("build", "bench"), { recursive: true });
  // quick (the bench's smoke mode): the release optimisation levels without `converge`, about 3x faster, within ~0.1 % of the size.
  // (an unknown --target name applies asconfig.json's common options only, and writes no .wat)
  const target = opts.quick ? ["--target", "bench-quick", "-O2", "--shrinkLevel", "2", "--noAssert", "--debug"] : ["--target", "release", "--debug"];
  run(process.execPath, [packagePath("node_modules", "assemblyscript", "bin", "asc.js"), "assembly/index.ts", ...target, "--transform", packagePath("transform", "ascii.mjs"), "-o", named]);
  // (asc's output, before the release post-build's wasm-opt pass: that pass inlines across
  // components, which would blur the attribution; scripts/wasm-release.mjs)
  const wasmBytes = readFileSync(release).length;
  const sections: Record<string, number> = {};
  for (const line of run("wasm-objdump", ["-h", release]).split("\n")) {
    const m = /^\s*(\w+) start=0x[0-9a-f]+ end=0x[0-9a-f]+ \(size=0x([0-9a-f]+)\)/.exec(line);
    if (m) sections[m[1]!] = parseInt(m[2]!, 16);
  }
  const components: Record<string, number> = {};
  let functions = 0;
  for (const line of run("wasm-objdump", ["-x", "-j", "Code", named]).split("\n")) {
    const m = /size=(\d+) <(.+)>/.exec(line);
    if (!m) continue;
    functions++;
    const c = componentOf(m[2]!);
    components[c] = (components[c] ?? 0) + Number(m[1]);
  }
  let staticDataBytes = 0;
  for (const line of run("wasm-objdump", ["-x", "-j", "Data", release]).split("\n")) {
    const m = /segment\[\d+\].*size=(\d+)/.exec(line);
    if (m) staticDataBytes += Number(m[1]);
  }
  return { wasmBytes, sections, components, dataBytes: sections.Data ?? 0, staticDataBytes, functions };
}

// ------------------------------------------------------------ memory (bench)

export interface MemoryFootprint {
  /** Declared memory limits of the release module (pages). */
  initialPages: number;
  maximumPages: number | null;
  /** memory.grow instructions in the release code (must be 0). */
  memoryGrowOps: number;
  /** Functions of the names build that look like an allocator or GC (AssemblyScript ~lib/rt, __new, __alloc). */
  allocatorFunctions: string[];
  /** End of static data, literals and zero-filled buffers: the module's exported `__heap_base`, bytes. */
  staticEnd: number;
  /** Data segments, and those holding AssemblyScript string literals (UTF-16, 8-byte header in the segment) with their bytes. */
  dataSegments: number;
  stringLiterals: number;
  stringLiteralBytes: number;
  /** Globals of the release module (each costs bytes in the Global section). */
  globals: number;
  pagesAtStart: number;
  pagesAfterInit: number;
  pagesAfterRun: number;
  /** Highest byte ever written + 1 (memory starts zeroed): after init and after the long run. */
  highWaterAfterInit: number;
  highWaterAfterRun: number;
  run: { virtualHours: number; ticks: number; readings: number; publishes: number; downlinks: number; relaySwitches: number; traps: number };
}

/** Declared limits, memory.grow count, allocator functions and the static extent, from the binaries. */
export function inspectMemory(): Pick<MemoryFootprint, "initialPages" | "maximumPages" | "memoryGrowOps" | "allocatorFunctions" | "staticEnd" | "dataSegments" | "stringLiterals" | "stringLiteralBytes" | "globals"> {
  const release = packagePath("build", "firmware.wasm");
  const named = packagePath("build", "bench", "firmware.names.wasm");
  const mem = /memory\[0\] pages: initial=(\d+)(?: max=(\d+))?/.exec(run("wasm-objdump", ["-x", "-j", "Memory", release]));
  const memoryGrowOps = run("wasm-objdump", ["-d", release]).split("\n").filter((l) => /\bmemory\.grow\b/.test(l)).length;
  const allocatorFunctions: string[] = [];
  for (const line of run("wasm-objdump", ["-x", "-j", "Function", named]).split("\n")) {
    const m = /<(.+)>/.exec(line);
    if (m && /~lib\/rt\/|__new|__alloc|__realloc|__renew|__collect|~lib\/rt\b/.test(m[1]!)) allocatorFunctions.push(m[1]!);
  }
  const staticEnd = heapBase(new WebAssembly.Module(readFileSync(release)));
  let dataSegments = 0;
  let stringLiterals = 0;
  let stringLiteralBytes = 0;
  let pendingSize = -1;
  for (const line of run("wasm-objdump", ["-x", "-j", "Data", release]).split("\n")) {
    const m = /segment\[\d+\].*size=(\d+) - init i32=(\d+)/.exec(line);
    if (m) {
      dataSegments++;
      pendingSize = Number(m[1]);
      continue;
    }
    // The first dump line of a segment: an AssemblyScript string object starts with its runtime id 2 (~lib/string/String), UTF-16 after the header.
    const d = /^\s*- [0-9a-f]+: ([0-9a-f ]+?)\s\s/.exec(line);
    if (d && pendingSize >= 0) {
      if (d[1]!.replace(/ /g, "").startsWith("02000000")) {
        stringLiterals++;
        stringLiteralBytes += pendingSize;
      }
      pendingSize = -1;
    }
  }
  return {
    initialPages: mem ? Number(mem[1]) : NaN,
    maximumPages: mem && mem[2] !== undefined ? Number(mem[2]) : null,
    memoryGrowOps,
    allocatorFunctions,
    staticEnd,
    dataSegments,
    stringLiterals,
    stringLiteralBytes,
    globals: Number(/Global\[(\d+)\]/.exec(run("wasm-objdump", ["-x", "-j", "Global", release]))?.[1] ?? NaN),
  };
}
