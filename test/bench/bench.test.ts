/**
 * The bench cannot rot: `node dist/bench/run.js --smoke` (every section with
 * a tiny budget: N = 10 devices, 1 h of virtual time, a few samples) must
 * finish, write RESULTS.md and results.json, and every figure must be sane.
 * It asserts that the bench works, not that the firmware meets its targets.
 */
import { test, expect } from "vitest";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import type { BenchResults } from "../../bench/run.js";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const finite = (x: unknown): boolean => typeof x === "number" && Number.isFinite(x);

test("npm run bench --smoke writes RESULTS.md and results.json with sane values", () => {
  const out = mkdtempSync(join(tmpdir(), "iotbind-bench-"));
  try {
    const t0 = Date.now();
    const r = spawnSync(process.execPath, [join(ROOT, "dist", "bench", "run.js"), "--smoke", "--out", out], { cwd: ROOT, encoding: "utf8", timeout: 110_000 });
    const took = (Date.now() - t0) / 1000;
    expect(r.status, `bench failed:\n${r.stderr}`).toBe(0);
    expect(took).toBeLessThan(100);
    const res = JSON.parse(readFileSync(join(out, "results.json"), "utf8")) as BenchResults;
    const md = readFileSync(join(out, "RESULTS.md"), "utf8");
    expect(res.mode).toBe("smoke");
    expect(res.errors).toEqual([]);
    for (const h of ["## Headline", "## Footprint", "## Instruction counts", "## Fleet scale", "## Accuracy", "## Latency", "## TLS"]) expect(md).toContain(h);
    expect(md).toContain(res.machine.node);

    const f = res.footprint!;
    expect(f.wasmBytes).toBeGreaterThan(1000);
    expect(Object.values(f.components).reduce((a, b) => a + b, 0)).toBeGreaterThan(1000);
    expect(f.memory.pagesAtStart).toBeGreaterThanOrEqual(1);
    expect(f.memory.pagesAfterRun).toBeGreaterThanOrEqual(f.memory.pagesAtStart);
    expect(f.memory.highWaterAfterRun).toBeGreaterThan(0);
    expect(f.memory.run.ticks).toBeGreaterThan(100);
    expect(f.memory.run.readings).toBeGreaterThan(10);

    const n = res.native!;
    expect(n.ok).toBe(true);
    expect(n.sections.map((s) => s.name).sort()).toEqual(["config_parse", "downlink", "idle_tick", "reading_cycle"]);
    for (const s of n.sections) expect(s.instructions).toBeGreaterThan(100);
    // every runtime ran the same driver: instructions per operation, more than wasm2c's for the interpreters
    expect(n.runtimes.map((x) => x.runtime)).toEqual(["wasm2c", "wamr-classic", "wamr-fast", "wasm3"]);
    for (const rb of n.runtimes) {
      expect(rb.error, rb.runtime).toBeUndefined();
      expect(rb.ok, rb.runtime).toBe(true);
      expect(rb.sections.map((s) => s.name).sort()).toEqual(["config_parse", "downlink", "idle_tick", "reading_cycle"]);
      if (rb.runtime !== "wasm2c") for (const [op, x] of Object.entries(rb.factor)) expect(x, `${rb.runtime} ${op}`).toBeGreaterThan(1);
      expect(rb.nativeStack.m64!.used).toBeGreaterThan(1000);
      // WAMR sizes the instance's memory to the exported __heap_base (docs/ABI.md, Memory map); the others keep the page
      expect(rb.memory.m64!.linear_memory_size).toBe(rb.runtime.startsWith("wamr") ? f.memory.staticEnd : 65536);
    }
    const wamr = n.runtimes.find((x) => x.runtime === "wamr-fast")!.memory.m64!;
    expect(wamr.pool_total).toBe(wamr.module_copy! + wamr.module_loaded! + wamr.instance! + wamr.exec_env!);
    expect(wamr.module_copy).toBeGreaterThanOrEqual(f.wasmBytes);
    for (const k of ["wasmBytes", "maxControlNesting", "instrIdleTickWamrFast", "instrReadingCycleWamrFast", "instrConfigParseWamrFast"]) expect(finite(res.headline?.[k]), k).toBe(true);
    // OTA (docs/OTA.md): one real update through mosquitto, and the receiver's code bytes
    expect(md).toContain("## OTA");
    expect(res.ota!.samples).toBe(1);
    expect(res.ota!.updateMsP50).toBeGreaterThan(0);
    expect(res.ota!.imageBytes).toBe(f.wasmBytes + 64);
    expect(res.headline?.otaCodeBytes).toBeGreaterThan(500);
    expect(md).toContain("## Runtimes");

    const fl = res.fleet!;
    expect(fl.rows.length).toBeGreaterThanOrEqual(1);
    for (const row of fl.rows) {
      for (const k of ["iotbind", "sim", "workers", "plain"] as const) {
        const s = row[k]!;
        const d = row.derived[k]!;
        expect(s.error).toBeUndefined();
        expect(s.connected).toBe(row.n);
        expect(s.uplinks).toBeGreaterThan(0);
        expect(s.downlinks).toBeGreaterThan(0);
        expect(finite(d.cpuUsPerMsg) && d.cpuUsPerMsg > 0).toBe(true);
        expect(finite(d.rssKiBPerDevice)).toBe(true);
      }
      expect(row.derived.cpuRatio).toBeGreaterThan(0);
    }
    for (const k of ["fleetSimulationDevicesAt90", "fleetCpuPerMsgVsMqttjs", "fleetStartSecondsAt10k", "fleetWorkersDevicesAt90"]) expect(res.headline).toHaveProperty(k);
    expect(res.headline!.fleetSimulationDevicesAt90).toBe(10);

    const a = res.accuracy!;
    expect(a.methods.map((m) => m.method)).toEqual(["A", "B", "C"]);
    for (const m of a.methods) {
      expect(m.readings).toBeGreaterThan(100);
      expect(finite(m.rmsPctSpan) && m.rmsPctSpan >= 0).toBe(true);
      expect(m.worstPctSpan).toBeGreaterThanOrEqual(m.rmsPctSpan);
      expect(finite(m.responseMeanS)).toBe(true);
    }

    const l = res.latency!;
    expect(l.ticks.applied).toBeGreaterThan(0);
    expect(finite(l.ticks.extraTicksMax)).toBe(true);
    expect(l.ms!.samples).toBeGreaterThan(0);
    expect(l.ms!.p50).toBeGreaterThan(0);
    expect(l.ms!.p99).toBeGreaterThanOrEqual(l.ms!.p50);

    const t = res.tls!;
    expect(t.node.tlsVersion).toMatch(/^TLSv1\.[23]$/);
    expect(t.node.handshakeMs.samples).toBeGreaterThan(0);
    expect(t.node.handshakeMs.p90).toBeGreaterThanOrEqual(t.node.handshakeMs.p50);
    expect(t.node.handshakeBytes.written).toBeGreaterThan(100); // a ClientHello at least
    expect(t.node.handshakeBytes.read).toBeGreaterThan(300);    // ServerHello + certificate
    expect(t.node.extraBytesPerPublish).toBeGreaterThan(0);     // records cost something
    const px = t.posix!; // the smoke run's native section builds the host
    expect(px.tlsVersion).toMatch(/^TLSv1\.[23]$/);
    expect(px.heapBytesPerConnection).toBeGreaterThan(16384);   // at least one record buffer
    expect(px.codeBytes.mbedtlsStatic).toBeGreaterThan(50_000);
    expect(t.esp32Estimate.heapBytesPerConnection).toBe(px.heapBytesPerConnection - 12288);
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}, 120_000);
