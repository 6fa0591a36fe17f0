/**
 * `npm run bench`: footprint, instruction counts, fleet scale, accuracy and
 * latency of the release firmware; writes bench/RESULTS.md and
 * bench/results.json.
 *
 *   node dist/bench/run.js [--smoke] [--out DIR] [--only footprint,native,fleet,accuracy,latency] [--budget SECONDS]
 *                          [--fleet-sizes 2000,10000] [--fleet-kinds plain,iotbind,iotbind-sim,iotbind-workers] [--fleet-repeats R]
 *
 * results.json is merged, not replaced: sections not run keep their figures,
 * and `headline` keys of other sections stay (the fleet adds
 * fleetSimulationDevicesAt90, fleetCpuPerMsgVsMqttjs, fleetStartSecondsAt10k,
 * fleetWorkersDevicesAt90).
 *
 * --smoke: a tiny budget (N = 10 devices, short runs), written to
 * build/bench-smoke/ unless --out says otherwise; test/bench/bench.test.ts
 * runs it so the bench cannot rot. Timings on a shared machine are noisy:
 * only ratios measured in the same run and instruction counts are reported
 * as results.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { performance } from "node:perf_hooks";
import { packagePath } from "../sim/paths.js";
import { loadFirmware } from "../sim/host/device.js";
import { Mosquitto } from "../test/harness/mosquitto.js";
import { measureFootprint, type Footprint, type MemoryFootprint } from "./footprint.js";
import { measureMemory } from "./memory-run.js";
import { measureNative, residentRam, type NativeResult, type RuntimeBench } from "./native.js";
import { analyzeModule } from "../test/helpers/wasm-nesting.js";
import { measureFleet, type FleetResult } from "./fleet.js";
import type { FleetKind } from "./fleet-worker.js";
import { measureAccuracy, type AccuracyResult } from "./accuracy.js";
import { measureTickLatency, measureMsLatency, type TickLatency, type MsLatency } from "./latency.js";
import { measureTls, type TlsResult } from "./tls.js";
import { measureRv32, type Rv32Result } from "./rv32.js";
import { measureOta, type OtaBench } from "./ota.js";
import { machine, round, table, type Machine } from "./util.js";

const SECTIONS = ["footprint", "native", "fleet", "accuracy", "latency", "tls", "rv32", "ota"] as const;
type Section = (typeof SECTIONS)[number];

export interface BenchResults {
  mode: "full" | "smoke";
  machine: Machine;
  durationS: number;
  footprint?: Footprint & { memory: MemoryFootprint; targets: { maxBytes: number; pages: number } };
  native?: NativeResult;
  fleet?: FleetResult;
  accuracy?: AccuracyResult;
  latency?: { ticks: TickLatency; ms: MsLatency | null };
  rv32?: Rv32Result;
  tls?: TlsResult;
  ota?: OtaBench;
  /** Later `--only` runs merged into this file: which sections, when, how long. */
  updates?: Array<{ sections: string[]; date: string; durationS: number }>;
  errors: Array<{ section: string; error: string }>;
  /** The figures the README and the closing notes quote (see headlineKeys); null: measured, goal not reached by any point. */
  headline?: Record<string, number | null>;
}

function args(): { smoke: boolean; out: string; only: Set<Section>; budgetS: number; fleetSizes: number[] | null; fleetKinds: FleetKind[] | null; fleetRepeats: number } {
  const a = process.argv.slice(2);
  const smoke = a.includes("--smoke");
  const get = (k: string): string | undefined => {
    const i = a.indexOf(k);
    return i >= 0 ? a[i + 1] : undefined;
  };
  const only = get("--only");
  return {
    smoke,
    out: resolve(get("--out") ?? (smoke ? packagePath("build", "bench-smoke") : packagePath("bench"))),
    only: new Set((only ? only.split(",") : SECTIONS) as Section[]),
    budgetS: Number(get("--budget") ?? (smoke ? 40 : 480)),
    // --fleet-sizes 2000,10000: exactly these N (no growing); --fleet-kinds plain,iotbind-sim,iotbind-workers
    fleetSizes: get("--fleet-sizes")?.split(",").map(Number) ?? null,
    fleetKinds: (get("--fleet-kinds")?.split(",") as FleetKind[] | undefined) ?? null,
    // --fleet-repeats R: run each kind R times per N, keep the best rate (default 1)
    fleetRepeats: Number(get("--fleet-repeats") ?? 1),
  };
}

const log = (s: string): void => { process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${s}\n`); };

async function main(): Promise<void> {
  const o = args();
  const t0 = performance.now();
  const r: BenchResults = { mode: o.smoke ? "smoke" : "full", machine: machine(), durationS: 0, errors: [] };
  let merged: BenchResults | null = null;
  // --only: the sections not run keep their figures from the results.json already in --out (merged, not overwritten).
  const previous = join(o.out, "results.json");
  if (o.only.size < SECTIONS.length && existsSync(previous)) {
    const old = JSON.parse(readFileSync(previous, "utf8")) as BenchResults;
    if (old.mode === r.mode) {
      for (const k of SECTIONS) if (!o.only.has(k) && old[k] !== undefined) (r as unknown as Record<string, unknown>)[k] = old[k];
      r.errors = old.errors.filter((e) => !o.only.has(e.section as Section));
      merged = old;
    }
  }
  const module = await loadFirmware();
  const step = async (name: Section, fn: () => Promise<void> | void): Promise<void> => {
    if (!o.only.has(name)) return;
    const s = performance.now();
    log(`${name} ...`);
    try {
      await fn();
    } catch (e) {
      const msg = (e as Error).stack ?? String(e);
      log(`${name} FAILED: ${msg}`);
      r.errors.push({ section: name, error: msg.slice(0, 2000) });
    }
    log(`${name} done in ${round((performance.now() - s) / 1000, 1)} s`);
  };

  await step("footprint", () => {
    const f = measureFootprint({ quick: o.smoke });
    const memory = measureMemory(module, o.smoke ? 1 : 24);
    r.footprint = { ...f, memory, targets: { maxBytes: 16 * 1024, pages: 1 } };
  });
  await step("native", () => { r.native = measureNative(log, { attribution: !o.smoke, quick: o.smoke }); });
  await step("accuracy", () => {
    r.accuracy = measureAccuracy(module, o.smoke ? { hours: 0.25, steps: 2, otherSeeds: 1 } : { hours: 8, steps: 20, otherSeeds: 4 });
  });

  let broker: Mosquitto | null = null;
  try {
    if (o.only.has("fleet") || o.only.has("latency") || o.only.has("rv32") || o.only.has("ota")) broker = await Mosquitto.start();
    await step("latency", async () => {
      const ticks = measureTickLatency(module, o.smoke ? 3 : 20);
      const ms = broker ? await measureMsLatency(broker.info, o.smoke ? 5 : 200) : null;
      r.latency = { ticks, ms };
    });
    await step("ota", async () => { r.ota = await measureOta(broker!.info, o.smoke ? 1 : 5); });
    await step("rv32", async () => { r.rv32 = await measureRv32(broker!.info, log, { seconds: o.smoke ? 12 : 40, ota: !o.smoke }); });
    await step("fleet", async () => {
      const used = (performance.now() - t0) / 1000;
      const pid = (broker as unknown as { proc: { pid?: number } | null }).proc?.pid;
      r.fleet = await measureFleet({ ...broker!.info, pid }, o.smoke
        ? { sizes: [10], growUntilBudget: false, budgetS: 30, warmupS: 1, measureS: 2, simulation: true, log }
        : { sizes: o.fleetSizes ?? [100, 1000], growUntilBudget: o.fleetSizes === null, budgetS: Math.max(120, o.budgetS - used - 20), warmupS: 3, measureS: 10, simulation: true, log, repeats: o.fleetRepeats, ...(o.fleetKinds ? { kinds: o.fleetKinds } : {}) });
    });
  } finally {
    await broker?.stop();
  }
  await step("tls", async () => { r.tls = await measureTls({ smoke: o.smoke, log }); });

  // Keys of sections this bench does not compute itself (e.g. an --only run of another section) stay.
  r.headline = { ...(merged?.headline ?? {}), ...headlineKeys(r) };
  r.durationS = round((performance.now() - t0) / 1000, 1);
  if (merged) {
    // The file stays the full run's; this run is recorded as an update of some sections.
    const update = { sections: [...o.only], date: r.machine.date, durationS: r.durationS };
    r.machine = merged.machine;
    r.durationS = merged.durationS;
    r.updates = [...(merged.updates ?? []), update];
  }
  mkdirSync(o.out, { recursive: true });
  writeFileSync(join(o.out, "results.json"), JSON.stringify(r, null, 2) + "\n");
  writeFileSync(join(o.out, "RESULTS.md"), render(r));
  log(`wrote ${join(o.out, "RESULTS.md")} and results.json in ${round((performance.now() - t0) / 1000, 1)} s${r.errors.length ? `; ${r.errors.length} section(s) failed` : ""}`);
  process.exitCode = r.errors.length ? 1 : 0;
}

// ------------------------------------------------------------------ report

const rtOf = (r: BenchResults, name: string): RuntimeBench | undefined => r.native?.runtimes?.find((x) => x.runtime === name);
const instrOf = (rb: RuntimeBench | undefined, section: string): number | undefined => rb?.sections.find((s) => s.name === section)?.instructions;
/**
 * Resident RAM with the instance open. WAMR: what rt_open took from the pool
 * (loaded module, the module copy where the interpreter keeps it, instance,
 * exec env with its wasm stack) plus the linear memory WAMR maps outside the
 * pool. wasm3 and wasm2c: the C heap the runtime holds (linear memory
 * included), counted by the driver's allocator wrappers.
 */
function ramOf(rb: RuntimeBench | undefined, key: "m32" | "m64"): number | undefined {
  return residentRam(rb?.memory[key]);
}
/** High-water mark while loading and running. WAMR: of the pool alone (the linear memory comes on top once instantiated); wasm3: of the C heap. */
function ramPeakOf(rb: RuntimeBench | undefined, key: "m32" | "m64"): number | undefined {
  const m = rb?.memory[key];
  return m?.pool_peak ?? m?.heap_peak;
}

/** results.json `headline`: stable keys for the README and the issues' closing notes. */
export function headlineKeys(r: BenchResults): Record<string, number | null> {
  const h: Record<string, number | null> = r.fleet ? fleetHeadline(r.fleet) : {};
  const put = (k: string, v: number | undefined): void => { if (v !== undefined && Number.isFinite(v)) h[k] = v; };
  put("wasmBytes", r.footprint?.wasmBytes);
  put("otaUpdateOneDeviceMs", r.ota?.updateMsP50);
  put("otaCodeBytes", r.footprint?.components.ota);
  put("accuracyRmsPctOfSpan", r.accuracy?.methods.find((m) => m.method === "A")?.rmsPctSpan);
  try {
    put("maxControlNesting", Math.max(...analyzeModule(readFileSync(packagePath("build", "firmware.wasm"))).map((f) => f.maxNesting)));
  } catch { /* no module: no key */ }
  const names: Array<[string, string]> = [["wasm2c", "Wasm2c"], ["wamr-classic", "WamrClassic"], ["wamr-fast", "WamrFast"], ["wasm3", "Wasm3"]];
  const ops: Array<[string, string]> = [["idle_tick", "IdleTick"], ["reading_cycle", "ReadingCycle"], ["downlink", "Downlink"], ["config_parse", "ConfigParse"]];
  for (const [rt, key] of names) {
    const rb = rtOf(r, rt);
    for (const [op, opKey] of ops) put(`instr${opKey}${key}`, instrOf(rb, op));
    if (rt === "wasm2c") continue;
    const sep = rt === "wasm3" ? "_" : "";
    put(`ram${key}${sep}32Bytes`, ramOf(rb, "m32"));
    put(`ram${key}${sep}64Bytes`, ramOf(rb, "m64"));
    put(`ramPeak${key}${sep}32Bytes`, ramPeakOf(rb, "m32"));
    put(`minWasmStack${key}${sep}32Bytes`, rb?.minWasmStack.m32);
    put(`nativeStack${key}${sep}32Bytes`, rb?.nativeStack.m32?.used);
  }
  for (const ob of r.native?.options ?? []) {
    if (ob.name !== "wamr-fast-nolabels" || ob.error) continue;
    put("ramWamrFastNoLabels32Bytes", residentRam(ob.memory32));
    for (const [op, opKey] of ops) put(`instr${opKey}WamrFastNoLabels`, ob.sections.find((x) => x.name === op)?.instructions);
  }
  for (const im of r.rv32?.images ?? []) {
    if (im.ramKiB !== 160) continue;
    const key = im.runtime === "wamr-classic" ? "WamrClassic" : "WamrFast";
    put(`rv32Fits${key}`, im.fits ? 1 : 0);
    if (!im.fits) continue;
    put(`rv32Text${key}Bytes`, im.text);
    put(`rv32PeakRam${key}Bytes`, im.staticBytes + (im.stats.pool_high ?? NaN) + (im.stats.stack_high ?? NaN));
    put(`rv32PoolHigh${key}Bytes`, im.stats.pool_high);
    put(`rv32StackHigh${key}Bytes`, im.stats.stack_high);
    put(`rv32InstrIdleTick${key}`, im.stats.idle_tick);
    put(`rv32InstrReadingCycle${key}`, im.stats.reading_cycle);
    put(`rv32OtaMs${key}`, im.otaMs);
    put(`rv32OtaKeyArena${key}Bytes`, im.stats.ota_heap_high);
  }
  return h;
}

export function rv32Section(r: BenchResults): string[] {
  const v = r.rv32;
  if (!v) return [];
  const out: string[] = ["## RV32 MCU-class core in QEMU (boards/rv32-qemu)", ""];
  out.push(`The bare-metal image of \`boards/rv32-qemu/\` (rv32imc, ilp32, ${v.gcc}, picolibc, -Os; WAMR 2.4.3 on its own platform layer; the release firmware.wasm embedded) booted in \`qemu-system-riscv32 -machine virt -icount shift=0\` (${v.qemu}) for ${v.seconds} s against mosquitto through the UART bridge. RAM: everything but the code lives in the \`ram\` region of the linker script (160 KiB, as an ESP32-C3 application gets with Wi-Fi up): .data + .bss (WAMR pool inside) + an 8 KiB C stack; more does not link. Peak RAM = static (.data + .bss without the pool) + WAMR pool high-water (loaded module, the module copy under the classic interpreter, instance, 4 KiB wasm stack, the linear memory below \`__heap_base\`: all in the pool; the high-water mark includes the copy while the fast interpreter loads) + C stack high-water (painted). Instructions: minstret under -icount (exact retired-instruction counts), per window between two sleeps, minus busy-waiting in delay_us/pulse_in; idle tick = median window with no ping, send or received data; reading cycle = the other windows of one reading period (5 pings, PUBLISH, PUBACK); boot = load + instantiate + config parse + init + first tick. x86-64 callgrind figures of the same runtime (bench driver above) for comparison.`, "");
  const x86 = r.headline ?? {};
  const rows = v.images.map((im) => {
    const key = im.runtime === "wamr-classic" ? "WamrClassic" : "WamrFast";
    const st = im.stats;
    const peak = im.staticBytes + (st.pool_high ?? 0) + (st.stack_high ?? 0);
    const cmp = (rv: number | undefined, k: string): string => rv === undefined || !im.fits ? "—" : `${num(rv)} (x86 ${num(x86[k] ?? undefined)})`;
    return [
      `${im.runtime}, ${im.ramKiB} KiB`, im.fits ? "yes" : `**no**: ${im.error ?? "?"}`,
      `${num(im.text)} / ${num(im.data)} / ${num(im.bss)}`,
      `${num(im.staticBytes)} + pool ${num(st.pool_high)} of ${num(im.poolBytes)} + stack ${num(st.stack_high)} of ${num(im.stackBytes)} = **${num(peak)}**`,
      cmp(st.idle_tick, `instrIdleTick${key}`), cmp(st.reading_cycle, `instrReadingCycle${key}`), cmp(st.boot, `instrConfigParse${key}`),
    ];
  });
  out.push(table(["image", "runs", "text / data / bss (B)", "peak RAM (B)", "instr. idle tick", "instr. reading cycle", "instr. boot (x86: config parse)"], rows), "");
  out.push(`OTA is on in these runs (docs/OTA.md, "RV32 image"): the image's flash file is provisioned with a key, and 10 s in, the release module, signed, is pushed to it (offer → the new instance's first status: ${v.images.map((im) => `${im.runtime} ${im.otaMs === undefined ? "failed" : `${num(im.otaMs)} ms`}`).join(", ")}; under -icount, so slower than without). The peaks above include the signature check (mbed TLS's bignums come from the WAMR pool; the parsed key lives in a static arena of which ${v.images.map((im) => num(im.stats.ota_heap_high)).join(" / ")} B are used) and the switch to the new module.`, "");
  out.push("text includes the embedded firmware.wasm (29 KB, read-only); bss includes the WAMR pool and the 8 KiB stack region. The 256 KiB fast build only says how much the fast interpreter would need; it is not a target.", "");
  return out;
}

function runtimeSection(n: NativeResult): string[] {
  const out: string[] = [];
  const rts = n.runtimes ?? [];
  if (!rts.length) return out;
  out.push("## Runtimes: wasm2c, WAMR classic, WAMR fast, wasm3 (same driver, same module)", "");
  out.push(`The driver above linked with each runtime adapter of \`boards/host/\` and the real runtime library: WAMR ${"2.4.3"} (crate wamrx-sys 0.3.0, \`${n.sources?.wamr ?? "?"}\`) built as WAMR's ESP-IDF port configures it (interpreter only, bulk memory on, SIMD and reference types off, no AOT/JIT/WASI/libc-builtin, software bounds checks, labels-as-values dispatch as GCC builds it), classic and fast interpreter; wasm3 0.5.0 (pywasm3 0.5.0's source distribution, \`${n.sources?.wasm3 ?? "?"}\`) with the flags of its esp32-idf example (\`-O3 -DESP32 -Dd_m3MaxFunctionStackHeight=256\`). Instructions: x86-64 build, callgrind, per operation; the factor is to wasm2c + gcc -O2 in the same run. RAM at 32 bit (\`-m32\`, pointer size as on ESP32; WAMR also built with \`WASM_CPU_SUPPORTS_UNALIGNED_ADDR_ACCESS=0\` as for Xtensa and RISC-V, which pads the fast interpreter's code as there) and 64 bit, with the instance open after \`init\`, loaded as the adapters load it (docs/RUNTIMES.md, "RAM"): wasm stack \`RT_WASM_STACK_BYTES\` (4 KiB at 32 bit, 8 KiB at 64 bit), app heap 0. WAMR with a pool allocator (\`wasm_runtime_get_mem_alloc_info\`): what \`rt_open\` took from the pool (loaded module; the module copy only under the classic interpreter, which runs the bytecode in place: the fast interpreter is loaded with \`wasm_binary_freeable\` and the copy freed; instance; exec env) plus the linear memory (the memory below \`__heap_base\`) that WAMR maps outside the pool. wasm3 and wasm2c: the C heap the runtime holds (linear memory included; wasm3's capped at \`__heap_base\` with \`memoryLimit\`, every function compiled at load), counted by the driver's wrappers of malloc/calloc/realloc/free (block sizes as glibc reserved them); the module bytes stay with the caller (flash on an MCU). Peak: WAMR's pool high-water (the linear memory comes on top after loading), wasm3's heap high-water. Smallest wasm stack: the smallest (16-byte steps) with which the whole driver scenario (config parse, readings, downlinks) completes. Native stack: the driver run on a painted thread stack, bytes written minus an empty thread's (glibc's thread descriptor).`, "");
  const op = (rb: RuntimeBench, name: string): string => {
    const v = instrOf(rb, name);
    if (v === undefined) return "—";
    return rb.runtime === "wasm2c" ? num(v) : `${num(v)} (${rb.factor[name] ?? "?"}×)`;
  };
  const b = (x: number | undefined): string => (x === undefined ? "—" : `${num(x)} B`);
  out.push(table(["runtime", "idle tick", "reading cycle", "downlink", "config parse", "RAM, 32-bit", "peak, 32-bit", "RAM, 64-bit", "min wasm stack 32 / 64-bit", "native stack 32 / 64-bit"],
    rts.map((rb) => [
      `${rb.runtime}${rb.ok ? "" : " (**check failed**)"}`,
      op(rb, "idle_tick"), op(rb, "reading_cycle"), op(rb, "downlink"), op(rb, "config_parse"),
      b(ramOf(rb, "m32")), b(ramPeakOf(rb, "m32")), b(ramOf(rb, "m64")),
      rb.runtime === "wasm2c" ? "C stack" : `${b(rb.minWasmStack.m32)} / ${b(rb.minWasmStack.m64)}`,
      `${b(rb.nativeStack.m32?.used)} / ${b(rb.nativeStack.m64?.used)}`,
    ])), "");
  const wamr = rts.filter((x) => x.memory.m32?.pool_total !== undefined);
  if (wamr.length) {
    out.push("WAMR's pool, step by step (bytes; 32-bit / 64-bit):", "");
    const pair = (rb: RuntimeBench, k: "module_copy" | "module_loaded" | "instance" | "exec_env" | "pool_total" | "linear_memory"): string =>
      `${num(rb.memory.m32?.[k])} / ${num(rb.memory.m64?.[k])}`;
    out.push(table(["runtime", "module copy (kept)", "loaded module", "instance", "exec env (with the wasm stack)", "pool total", "linear memory (outside the pool)"],
      wamr.map((rb) => [rb.runtime, pair(rb, "module_copy"), pair(rb, "module_loaded"), pair(rb, "instance"), pair(rb, "exec_env"), pair(rb, "pool_total"), pair(rb, "linear_memory")])), "");
  }
  const opts = n.options ?? [];
  if (opts.length) {
    out.push("Options measured, not used by the hosts (docs/RUNTIMES.md, \"RAM\"): RAM at 32 bit against the runtime they vary; instructions (x86-64) with the factor to that runtime's:", "");
    out.push(table(["option", "RAM, 32-bit", "idle tick", "reading cycle", "downlink", "config parse"], opts.map((ob) => {
      const ram = residentRam(ob.memory32), baseRam = ramOf(rts.find((x) => x.runtime === ob.base), "m32");
      const cell = (op: string): string => { const v = ob.sections.find((x) => x.name === op)?.instructions; return v === undefined ? "—" : `${num(v)} (${ob.factorToBase[op] ?? "?"}×)`; };
      return [`${ob.name}: ${ob.what}${ob.error ? ` (**failed**: ${ob.error.split("\n")[0]})` : ""}`,
        ram === undefined ? "—" : `${num(ram)} B${baseRam !== undefined ? ` (${ram - baseRam >= 0 ? "+" : "−"}${num(Math.abs(ram - baseRam))} B)` : ""}`,
        cell("idle_tick"), cell("reading_cycle"), cell("downlink"), cell("config_parse")];
    })), "");
  }
  for (const rb of rts) if (rb.error) out.push(`- ${rb.runtime}: **failed**: \`${rb.error.split("\n")[0]}\``);
  out.push("");
  return out;
}

/**
 * The fleet's headline keys (issue 18): the largest N the Simulation runner
 * held at >= 90 % of the requested rate in one process and with worker
 * threads, its CPU per device-message over plain mqtt.js at that N, and the
 * start-up (all connected) at N = 10,000 (null when not run).
 */
export function fleetHeadline(f: FleetResult): Record<string, number | null> {
  const held = (k: "sim" | "workers"): FleetResult["rows"][number] | undefined =>
    [...f.rows].reverse().find((x) => x.derived[k] && x.derived[k]!.ratePct >= 90 && x[k]!.connected >= x.n * 0.99);
  const sim = held("sim");
  const workers = held("workers");
  const at10k = f.rows.find((x) => x.n === 10_000)?.sim;
  return {
    fleetSimulationDevicesAt90: sim ? sim.n : 0,
    fleetCpuPerMsgVsMqttjs: sim && sim.derived.plain.ratePct >= 90 ? (sim.derived.simCpuRatio ?? null) : null,
    fleetStartSecondsAt10k: at10k && !at10k.error ? at10k.startS : null,
    fleetWorkersDevicesAt90: workers ? workers.n : 0,
  };
}

const kib = (b: number): string => `${round(b / 1024, 1)} KiB`;
const num = (x: number | undefined, d = 0): string => (x === undefined || !Number.isFinite(x) ? "—" : round(x, d).toLocaleString("en-US"));

export function headline(r: BenchResults): string {
  const rows: string[][] = [];
  const f = r.footprint;
  if (f) {
    rows.push(["firmware.wasm (release)", `${num(f.wasmBytes)} B (${kib(f.wasmBytes)})`, "≤ 16 KiB", f.wasmBytes <= f.targets.maxBytes ? "met" : "**missed**"]);
    const m = f.memory;
    const grew = m.pagesAfterRun !== m.pagesAtStart;
    rows.push(["linear memory", `${m.pagesAtStart} page at start, ${m.pagesAfterRun} after ${m.run.virtualHours} h; memory.grow ops: ${m.memoryGrowOps}`, "1 page, no growth", !grew && m.pagesAtStart === 1 && m.memoryGrowOps === 0 ? "met" : "**missed**"]);
    rows.push(["allocator", m.allocatorFunctions.length ? `${m.allocatorFunctions.length} functions` : `none; highest written byte ${num(m.highWaterAfterInit)} after init, ${num(m.highWaterAfterRun)} after run`, "no allocator, top does not move", m.allocatorFunctions.length === 0 && m.highWaterAfterRun <= m.staticEnd ? "met" : "check"]);
  }
  for (const s of r.native?.sections ?? []) rows.push([`instructions: ${s.name.replace("_", " ")}`, num(s.instructions), "wasm2c + gcc -O2, callgrind", ""]);
  for (const rb of (r.native?.runtimes ?? []).filter((x) => x.runtime !== "wasm2c")) {
    rows.push([`instructions under ${rb.runtime}: idle tick / reading cycle / downlink / config parse`,
      rb.sections.map((s) => `${num(s.instructions)} (${rb.factor[s.name] ?? "?"}×)`).join(" / ") || "—", "callgrind, x86-64; × = factor to wasm2c", rb.ok ? "" : "**check failed**"]);
  }
  // issue 15's RAM goals (32 bit, as on ESP32; docs/RUNTIMES.md, "RAM")
  for (const [name, label, goalKiB] of [["wamr-fast", "WAMR fast: pool + linear memory", 96], ["wamr-classic", "WAMR classic: pool + linear memory", 64], ["wasm3", "wasm3: C heap, linear memory included", 128]] as const) {
    const v = ramOf(rtOf(r, name), "m32");
    if (v !== undefined) rows.push([`RAM at 32 bit, ${label}`, `${num(v)} B (${kib(v)})`, `≤ ${goalKiB} KiB`, v <= goalKiB * 1024 ? "met" : "**missed**"]);
  }
  const nest = headlineKeys(r).maxControlNesting;
  if (nest !== undefined && nest !== null) rows.push(["deepest control nesting of a function", String(nest), "≤ 32 (wasm3 HEAD on ESP32)", nest <= 32 ? "met" : "**missed**"]);
  const fl = r.fleet?.rows ?? [];
  const at = fl.find((x) => x.n === 1000) ?? fl[fl.length - 1];
  if (at) {
    const sim = at.derived.sim;
    rows.push([`fleet N=${at.n}: CPU per device-message`, `iotbind ${num(at.derived.iotbind?.cpuUsPerMsg, 1)} µs (Device each)${sim ? `, ${num(sim.cpuUsPerMsg, 1)} µs (Simulation)` : ""} vs plain mqtt.js ${num(at.derived.plain.cpuUsPerMsg, 1)} µs`, "ratio to plain, same run", `${num(at.derived.cpuRatio, 2)}×${sim ? ` / ${num(at.derived.simCpuRatio, 2)}×` : ""}`]);
    rows.push([`fleet N=${at.n}: RSS per device`, `iotbind ${num(at.derived.iotbind?.rssKiBPerDevice, 1)} KiB (Device each)${sim ? `, ${num(sim.rssKiBPerDevice, 1)} KiB (Simulation)` : ""} vs plain ${num(at.derived.plain.rssKiBPerDevice, 1)} KiB`, "ratio to plain, same run", `${num(at.derived.rssRatio, 2)}×${sim ? ` / ${num(at.derived.simRssRatio, 2)}×` : ""}`]);
    const big = fl[fl.length - 1]!;
    const kept = [...fl].reverse().find((x) => x.derived.iotbind && x.derived.iotbind.ratePct >= 90 && x.derived.plain.ratePct >= 90);
    rows.push(["fleet: largest N that kept the requested rate (≥ 90 %)", `${kept ? num(kept.n) : "none"} (largest tried: ${num(big.n)}, at ${big.derived.iotbind?.ratePct ?? "—"} % iotbind / ${big.derived.plain.ratePct} % plain)`, "1 uplink + 1 downlink per device per second, in the time budget", ""]);
    const simRows = fl.filter((x) => x.derived.sim);
    if (simRows.length) {
      const last = simRows[simRows.length - 1]!;
      rows.push(["fleet: the Simulation runner's achieved rate", simRows.map((x) => `N=${num(x.n)}: ${x.derived.sim!.ratePct} %`).join(", "), "of the requested rate", last.derived.sim!.ratePct >= 90 ? "" : "**falls behind**"]);
    }
    const wRows = fl.filter((x) => x.derived.workers);
    if (wRows.length) rows.push(["fleet: Simulation with 2 worker threads, achieved rate", wRows.map((x) => `N=${num(x.n)}: ${x.derived.workers!.ratePct} % (${num(x.derived.workersCpuRatio, 2)}× plain CPU/msg)`).join(", "), "of the requested rate", ""]);
  }
  const hl = r.headline ?? {};
  const goal = (k: string, label: string, target: string, ok: (v: number) => boolean): void => {
    if (!(k in hl)) return;
    const v = hl[k];
    rows.push([label, v === null ? "not measured" : num(Number(v), 2), target, typeof v === "number" ? (ok(v) ? "met" : "**missed**") : ""]);
  };
  goal("fleetSimulationDevicesAt90", "fleet: devices the Simulation holds at ≥ 90 % of the rate, 10×, one process", "≥ 10,000", (v) => v >= 10_000);
  goal("fleetCpuPerMsgVsMqttjs", "fleet: Simulation CPU per device-message / plain mqtt.js (at that N)", "≤ 1.0×", (v) => v <= 1);
  goal("fleetStartSecondsAt10k", "fleet: Simulation start-up, all 10,000 connected, s", "≤ 10 s", (v) => v <= 10);
  goal("fleetWorkersDevicesAt90", "fleet: devices held at ≥ 90 % with 2 worker threads", "≥ 2× the one-process figure", (v) => v >= 2 * Number(hl.fleetSimulationDevicesAt90 ?? Infinity));
  for (const m of r.accuracy?.methods ?? []) rows.push([`accuracy ${m.method}: ${m.description}`, `RMS ${m.rmsPctSpan} %, worst ${m.worstPctSpan} % of span; response ${m.responseMeanS} s (worst ${m.responseWorstS} s)`, "", ""]);
  const l = r.latency;
  if (l) {
    rows.push(["latency: extra ticks from the bytes of \"on\" to the relay", `${l.ticks.extraTicksMax} (split packets: ${l.ticks.splitExtraTicksMax})`, "0", l.ticks.extraTicksMax === 0 && l.ticks.splitExtraTicksMax === 0 ? "met" : "**missed**"]);
    if (l.ms) rows.push(["latency: platform publish → relay (mosquitto, Node host)", `p50 ${l.ms.p50} ms, p99 ${l.ms.p99} ms (${l.ms.samples} samples)`, "", ""]);
  }
  const t = r.tls;
  if (t) {
    rows.push([`TLS handshake, Node host (${t.node.tlsVersion}, P-256, loopback mosquitto)`, `p50 ${t.node.handshakeMs.p50} ms, p90 ${t.node.handshakeMs.p90} ms (${t.node.handshakeMs.samples} samples)`, "TCP up → TLS up", ""]);
    if (t.posix) rows.push([`TLS handshake, posix host (mbed TLS, ${t.posix.tlsVersion})`, `p50 ${t.posix.handshakeMs.p50} ms (${t.posix.handshakeMs.samples} runs)`, "TCP up → TLS up", ""]);
    rows.push(["TLS extra bytes on the wire (Node host)", `handshake ${num(t.node.handshakeBytes.written)} B out + ${num(t.node.handshakeBytes.read)} B in; +${t.node.extraBytesPerPublish} B per MQTT packet (a ${t.node.publishBytes} B reading)`, "vs the same session in clear", ""]);
    rows.push(["TLS memory per connection", `Node +${t.node.perConnection.extraKiB} KiB RSS${t.posix ? `; posix heap ${kib(t.posix.heapBytesPerConnection)} (mbed TLS)` : ""}; ESP32 ≈ ${kib(t.esp32Estimate.heapBytesPerConnection)} (estimate from documented mbed TLS defaults, not measured)`, "", ""]);
    if (t.posix) rows.push(["TLS code in the posix host", `${num(t.posix.codeBytes.total)} B (mbed TLS static ${num(t.posix.codeBytes.mbedtlsStatic)} B + glue ${num(t.posix.codeBytes.glue)} B)`, "text + rodata + data", ""]);
  }
  return table(["measure", "result", "target / basis", "verdict"], rows);
}

export function render(r: BenchResults): string {
  const m = r.machine;
  const out: string[] = [];
  out.push(`# iotbind-tank benchmarks${r.mode === "smoke" ? " (smoke run: tiny budget, not results)" : ""}`, "");
  out.push(`Written by \`npm run bench\` (\`bench/run.ts\`) on ${m.date.slice(0, 10)} at ${m.date.slice(11, 16)} UTC in ${r.durationS} s. Raw figures: \`results.json\`.`, "");
  for (const u of r.updates ?? []) out.push(`Section${u.sections.length > 1 ? "s" : ""} ${u.sections.join(", ")} re-measured on the same machine on ${u.date.slice(0, 10)} at ${u.date.slice(11, 16)} UTC (\`--only ${u.sections.join(",")}\`, ${u.durationS} s) and merged.`, "");
  out.push(table(["machine", "value"], [
    ["CPU", `${m.cpu} (${m.cores} cores)`], ["memory", `${m.memGiB} GiB`], ["OS", m.os], ["node", m.node],
    ...Object.entries(m.versions).map(([k, v]) => [k, v]),
  ]), "");
  out.push("Timings on this shared machine are noisy: CPU costs are given as instruction counts (callgrind, deterministic) or as ratios of two measurements taken in the same run.", "");
  if (r.errors.length) {
    out.push("## Sections that failed", "");
    for (const e of r.errors) out.push(`- **${e.section}**: \`${e.error.split("\n")[0]}\``);
    out.push("");
  }
  out.push("## Headline", "", headline(r), "");
  if (r.ota) {
    out.push("## OTA (docs/OTA.md)", "");
    out.push(`Time to update one device (Node host, in-memory slots, local mosquitto; from the offer to the new instance's status at the sender, ${num(r.ota.imageBytes)}-byte signed image in 512-byte chunks): **${r.ota.updateMsP50} ms** median of ${r.ota.samples}, max ${r.ota.updateMsMax} ms. Code bytes of \`assembly/ota\` (names build): ${num(r.footprint?.components.ota ?? NaN)} B.`, "");
  }

  const f = r.footprint;
  if (f) {
    out.push("## Footprint", "");
    out.push(`Release \`build/firmware.wasm\`: **${num(f.wasmBytes)} bytes** (${kib(f.wasmBytes)}; target ≤ 16 KiB: ${f.wasmBytes <= 16384 ? "met" : `missed by ${num(f.wasmBytes - 16384)} bytes`}). ${f.functions} functions. Code bytes per component come from a build of the same sources with a name section (\`build/bench/firmware.names.wasm\`, asc's output before the release post-build's \`wasm-opt\` pass, which inlines across components); function bodies only.`, "");
    const comps = Object.entries(f.components).sort((a, b) => b[1] - a[1]);
    const code = comps.reduce((s, [, v]) => s + v, 0);
    out.push(table(["component", "code bytes", "share"], [...comps.map(([k, v]) => [k, v, `${round((v / code) * 100, 1)} %`]), ["**all code**", code, "100 %"]]), "");
    out.push(table(["section", "bytes"], Object.entries(f.sections).map(([k, v]) => [k, v])), "");
    const mm = f.memory;
    const strings = mm.stringLiterals > 0
      ? `${num(mm.stringLiteralBytes)} B of it in ${mm.stringLiterals} AssemblyScript string literals stored as UTF-16 with a header (ASCII text as UTF-8 bytes via \`memory.data\` would take about half)`
      : "no AssemblyScript (UTF-16) string literals left";
    out.push(`Where the bytes are, for the 16 KiB target: function bodies ${num(code)} B; the Data section ${num(f.sections.Data ?? 0)} B: ${num(f.staticDataBytes)} B of payload in ${mm.dataSegments} segments (${num((f.sections.Data ?? 0) - f.staticDataBytes)} B of segment headers), ${strings}; the Global section ${num(f.sections.Global ?? 0)} B for ${mm.globals} globals.`, "");
    out.push(table(["memory", "value"], [
      ["declared limits", `initial ${mm.initialPages} page, max ${mm.maximumPages ?? "none"}`],
      ["`memory.grow` instructions in the code", mm.memoryGrowOps],
      ["allocator / GC functions (names build)", mm.allocatorFunctions.length ? mm.allocatorFunctions.join(", ") : "none (no `~lib/rt`, `__new`, `__alloc`)"],
      ["static data (data segment payload)", `${num(f.staticDataBytes)} B`],
      ["static region end (`__heap_base`)", `${num(mm.staticEnd)} B of 65,536`],
      ["data segments / of which AssemblyScript string literals (UTF-16)", `${num(mm.dataSegments)} / ${num(mm.stringLiterals)} holding ${num(mm.stringLiteralBytes)} B`],
      ["pages: fresh instance / after init / after the run", `${mm.pagesAtStart} / ${mm.pagesAfterInit} / ${mm.pagesAfterRun}`],
      ["highest written byte + 1: after init / after the run (the \"allocator top\": there is none, so this is the high-water mark)", `${num(mm.highWaterAfterInit)} / ${num(mm.highWaterAfterRun)}`],
      ["the long run", `${mm.run.virtualHours} h virtual, demo tank (pump, draw, auto), noisy sensor, fake broker, "on"/"off" every 10 min: ${num(mm.run.ticks)} ticks, ${num(mm.run.readings)} readings, ${num(mm.run.publishes)} publishes, ${mm.run.downlinks} downlinks, ${mm.run.relaySwitches} relay switches, ${mm.run.traps} traps`],
    ]), "");
  }

  const n = r.native;
  if (n) {
    out.push("## Instruction counts (native wasm2c host, callgrind)", "");
    out.push(`\`bench/native/driver.c\` links the wasm2c translation of the release module with \`boards/host/runtime_wasm2c.c\` (bounds-checked imports) and a scripted board and broker in C; \`${n.cflags}\` (explicit bounds checks, as on an MCU). ${n.valgrind}, \`--collect-atstart=no\` with \`CALLGRIND_TOGGLE_COLLECT\` around the calls; instructions include the host's hal functions called meanwhile. Counts are per repetition, averaged over the repetitions (callgrind is deterministic: repeated runs agree to a few instructions). The top functions come from a second build of the same sources with a name section, one callgrind run per operation. Functional check of the driver: ${n.ok ? "passed" : "**failed**"}.`, "");
    out.push(table(["operation", "instructions", "reps", "ticks", "what", "top functions (names build)"], n.sections.map((s) => [
      s.name, s.instructions, s.reps, s.ticks, s.what, s.top.map((t) => `${t.fn.replace(/^assembly_/, "")} ${t.pct} %`).join(", "),
    ])), "");
    const f = (name: string): string => {
      const rb = n.runtimes?.find((x) => x.runtime === name);
      const v = rb ? Object.values(rb.factor) : [];
      return v.length ? `${Math.min(...v)}–${Math.max(...v)}×` : "not measured";
    };
    out.push(`Measured on the same module and driver (next section): WAMR's fast interpreter costs ${f("wamr-fast")} the wasm2c instruction count, the classic interpreter ${f("wamr-classic")}, wasm3 ${f("wasm3")}.`, "");
    out.push(...runtimeSection(n));
  }
  out.push(...rv32Section(r));

  const fl = r.fleet;
  if (fl) {
    out.push("## Fleet scale (one Node process each, same mosquitto)", "");
    out.push(`**iotbind (Device each)**: N \`Device\`s (release firmware, one instance each from one compiled module, \`SimHardware\` with an HC-SR04 tank, \`Device.run()\` timers on one \`ScaledClock\` at ${fl.config.speed}×, so the firmware's 10 s heartbeat is one uplink per ${fl.config.periodS} s real; one reading of 5 pings per uplink, \`reading_interval_ms\` 10000; between events the firmware ticks at least every 1 s virtual). **iotbind (Simulation)**: the same devices driven by the product's fleet runner \`Simulation\` (one \`VirtualClock\`, the \`Scheduler\`, speed ${fl.config.speed}, external broker, no platform emulator, boots staggered over one heartbeat by default). **iotbind (Simulation, 2 worker threads)**: the same with \`workers: 2\` (devices in two worker threads of the one process, counts from \`summary()\`; CPU is the whole process). **plain**: N TypeScript devices with one mqtt.js client each, a \`Tank\` model and a ${fl.config.periodS} s timer publishing the same reading JSON at QoS 1. Both subscribe to their state topic; the bench process echoes a state message (QoS 1) for every uplink as the platform does. A device-message is one uplink or one downlink. Each kind runs in a fresh child process${(fl.config.repeats ?? 1) > 1 ? ` ${fl.config.repeats} times per N, the run with the highest message rate kept (other load on the shared machine only lowers a rate)` : ""}: ${fl.config.warmupS} s warm-up after all connected, ${fl.config.measureS} s measured; CPU = user + system of that process; RSS per device = (RSS after GC at the end − RSS of the same process before any device) / N. Stopped: ${fl.stoppedBecause}.`, "");
    const label = { iotbind: "iotbind (Device each)", sim: "iotbind (Simulation)", workers: "iotbind (Simulation, 2 worker threads)", plain: "plain mqtt.js" } as const;
    out.push(table(["N", "kind", "connected", "msgs/s", "% of requested rate", "CPU % of a core", "CPU µs / device-message", "RSS MiB (base)", "RSS KiB / device", "start s (99 %)", "broker µs / msg", "echo µs / msg"],
      fl.rows.flatMap((row) => (["iotbind", "sim", "workers", "plain"] as const).flatMap((k) => {
        const s = row[k];
        const d = row.derived[k];
        if (!s || !d) return [];
        return [[row.n, label[k], `${s.connected}${s.error ? ` (${s.error.slice(0, 60)})` : ""}`, d.msgPerS, d.ratePct, d.cpuPctOfCore, d.cpuUsPerMsg, `${s.rssMiB} (${s.rssBaselineMiB})`, d.rssKiBPerDevice, `${s.startS}${s.start99S === undefined ? "" : ` (${s.start99S})`}`, d.brokerUsPerMsg, d.echoUsPerMsg]];
      }))), "");
    out.push("A row below 90 % of the requested rate means the machine (2 cores shared by the fleet process, mosquitto and the echo) no longer kept up: its per-message figures are not comparable. \"broker\" is mosquitto's CPU time in the window (from /proc), \"echo\" this bench process's (the platform echo), per device-message.", "");
    const simRows = fl.rows.filter((x) => x.sim?.scheduler);
    if (simRows.length) {
      out.push("The Simulation runner's scheduler over the window (speed requested: " + fl.config.speed + "; at a finite speed it does not hold virtual time for network replies, and catches up after bursts):", "");
      out.push(table(["N", "effective speed", "real ms held for replies", "ticks", "yields"], simRows.map((x) => {
        const st = x.sim!.scheduler!;
        return [x.n, st.effectiveSpeed, st.heldRealMs, st.ticks, st.yields];
      })), "");
    }
    out.push("Ratios (same run, same broker):", "");
    out.push(table(["N", "CPU per device-message, iotbind (Device) / plain", "RSS per device, iotbind (Device) / plain", "CPU, iotbind (Simulation) / plain", "RSS, iotbind (Simulation) / plain"],
      fl.rows.map((row) => [row.n, row.derived.cpuRatio === undefined ? "—" : `${row.derived.cpuRatio}×`, row.derived.rssRatio === undefined ? "—" : `${row.derived.rssRatio}×`, row.derived.simCpuRatio === undefined ? "—" : `${row.derived.simCpuRatio}×`, row.derived.simRssRatio === undefined ? "—" : `${row.derived.simRssRatio}×`])), "");
  }

  const a = r.accuracy;
  if (a) {
    out.push("## Accuracy (same seeded world, release firmware, only the config differs)", "");
    const c = a.conditions;
    out.push(`HC-SR04 in \`SimHardware\`: echo jitter ${c.jitterUs} µs, ${Number(c.spuriousEchoes) * 100} % spurious early echoes, ${Number(c.missingEchoes) * 100} % missing echoes; air ${(c.airC as number[]).join("–")} °C (period ${c.airPeriodH} h) read by an NTC (noise ${c.ntcNoiseCounts} counts); the surface moves through the span (period ${c.levelPeriodH} h); span ${c.spanMm} mm; a reading every ${c.readingIntervalMs} ms; ${c.hours} h, seed ${c.seed}. Response: ${c.responseSteps} steps 30 % ↔ 70 % at 61.7 s intervals (unrelated to the reading schedule); time to the first reading within ${c.responseBandPctSpan} % of span of the new level.`, "");
    out.push(table(["method", "RMS error, % of span", "worst, % of span", "readings", "unknown", "RMS with other seeds (min–max)", "response mean s", "response worst s", "steps not reached in 60 s"],
      a.methods.map((m) => [`${m.method}: ${m.description}`, m.rmsPctSpan, m.worstPctSpan, m.readings, m.unknown, `${m.otherSeeds.rmsMin}–${m.otherSeeds.rmsMax} (${m.otherSeeds.seeds} seeds)`, m.responseMeanS, m.responseWorstS, m.stepsNotReached])), "");
  }

  const l = r.latency;
  if (l) {
    out.push("## Latency: platform \"on\"/\"off\" → relay pin", "");
    out.push(table(["measure", "result"], [
      ["extra ticks after the tick in which the whole message is available (max / mean over trials)", `${l.ticks.extraTicksMax} / ${l.ticks.extraTicksMean} (${l.ticks.trials} trials, ${l.ticks.applied} applied of ${l.ticks.trials * 2})`],
      ["same, message split in two chunks one tick apart (max)", `${l.ticks.splitExtraTicksMax} (${l.ticks.splitTrials} trials)`],
      ...(l.ms ? [
        ["ms from the platform emulator's `setSwitch` (its MQTT publish) to the relay event, Node host on mosquitto", `p50 ${l.ms.p50}, p99 ${l.ms.p99}, max ${l.ms.max}, mean ${l.ms.mean} (${l.ms.samples} samples, ${l.ms.missed} missed)`],
      ] : []),
    ]), "");
  }
  const t = r.tls;
  if (t) {
    out.push("## TLS (host-terminated; mosquitto TLS listener with a throw-away P-256 PKI, loopback)", "");
    out.push(table(["measure", "Node host (node:tls)", "posix host (mbed TLS from Debian)", "ESP32 (ESTIMATE)"], [
      ["protocol", t.node.tlsVersion, t.posix?.tlsVersion ?? "—", "TLS 1.2 (ESP-IDF mbed TLS)"],
      ["handshake, TCP up → TLS up", `p50 ${t.node.handshakeMs.p50} ms, p90 ${t.node.handshakeMs.p90} ms (${t.node.handshakeMs.samples} samples; TCP connect p50 ${t.node.tcpConnectMs.p50} ms)`, t.posix ? `p50 ${t.posix.handshakeMs.p50} ms (${t.posix.handshakeMs.samples} runs, as the host logs it)` : "—", "not measured"],
      ["handshake bytes", `${num(t.node.handshakeBytes.written)} B out, ${num(t.node.handshakeBytes.read)} B in`, "—", "—"],
      ["extra bytes per MQTT packet (client → broker)", `+${t.node.extraBytesPerPublish} B (${t.node.publishes} PUBLISHes of ${t.node.publishBytes} B + CONNECT + DISCONNECT, vs clear)`, "—", "—"],
      ["memory per open connection", `+${t.node.perConnection.extraKiB} KiB RSS (TLS ${t.node.perConnection.tlsKiB} KiB vs clear ${t.node.perConnection.plainKiB} KiB, ${t.node.connections} connections)`, t.posix ? `${num(t.posix.heapBytesPerConnection)} B of heap after the handshake` : "—", `≈ ${num(t.esp32Estimate.heapBytesPerConnection)} B`],
      ["code", "—", t.posix ? `${num(t.posix.codeBytes.total)} B: mbed TLS linked statically ${num(t.posix.codeBytes.mbedtlsStatic)} B + sockets_tls_mbedtls.o ${num(t.posix.codeBytes.glue)} B` : "—", "—"],
    ]), "");
    out.push(`ESP32 column: ${t.esp32Estimate.basis}.`, "");
  }
  return out.join("\n");
}

// Run when executed directly.
if (process.argv[1] && resolve(process.argv[1]) === resolve(packagePath("dist", "bench", "run.js"))) {
  void main().catch((e) => { log(String((e as Error).stack ?? e)); process.exitCode = 2; });
}
export { SECTIONS };
