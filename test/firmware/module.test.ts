/**
 * Properties of the release module itself: MVP-only, one page that cannot
 * grow, no allocator, imports only from `hal`, the exports of ABI v2, and
 * the size goal.
 */
import { readFileSync } from "node:fs";
import { spawnSync } from "node:child_process";
import { describe, expect, it } from "vitest";
import { DEFAULT_FIRMWARE_PATH } from "../../sim/host/device.js";
import { dataSegments } from "../../sim/tools/fuzz/rig.js";

const wasm = readFileSync(DEFAULT_FIRMWARE_PATH);
const module = new WebAssembly.Module(wasm);

const ABI_EXPORTS = [
  "memory", "abi_version", "config_ptr", "config_cap", "init", "error_ptr", "error_len", "tick", "shutdown",
  "level_permille", "distance_mm", "temperature_decic", "volume_ml", "reading_quality", "relay_state", "conn_state",
  "pump_last_refusal", "counter", "last_disconnect", "fw_version", "__heap_base", "__data_end",
];

function disassemble(path: string): string {
  const r = spawnSync("wasm-objdump", ["-d", path], { encoding: "utf8", maxBuffer: 64 * 1024 * 1024 });
  if (r.status !== 0) throw new Error(`wasm-objdump failed: ${r.stderr || r.error}`);
  return r.stdout;
}

describe("firmware.wasm", () => {
  it("exports exactly the ABI v2 functions and memory", () => {
    const names = WebAssembly.Module.exports(module).map((e) => e.name).sort();
    expect(names).toEqual([...ABI_EXPORTS].sort());
  });

  it("imports only from module hal", () => {
    const mods = new Set(WebAssembly.Module.imports(module).map((i) => i.module));
    expect([...mods]).toEqual(["hal"]);
  });

  it("reports package.json's version from fw_version (one fact, compiled in by build:wasm)", () => {
    const version = (JSON.parse(readFileSync("package.json", "utf8")) as { version: string }).version;
    const [maj, min, pat] = version.split(/[.+-]/).map(Number) as [number, number, number];
    const imports: Record<string, Record<string, () => number>> = { hal: {} };
    for (const i of WebAssembly.Module.imports(module)) imports.hal![i.name] = () => 0;
    const x = new WebAssembly.Instance(module, imports).exports as { fw_version(): number; abi_version(): number };
    expect(x.fw_version() >>> 0).toBe((maj << 16) | (min << 8) | pat);
    expect(x.abi_version()).toBe(2);
  });

  it("has one page of memory with a maximum of one page", () => {
    const r = spawnSync("wasm-objdump", ["-x", "-j", "Memory", DEFAULT_FIRMWARE_PATH], { encoding: "utf8" });
    expect(r.stdout).toMatch(/pages: initial=1 max=1/);
  });

  it("contains no memory.grow and no allocator: it cannot allocate", () => {
    const text = disassemble(DEFAULT_FIRMWARE_PATH);
    expect(text).not.toMatch(/memory\.grow/);
    // nor memory.size: with it, WAMR would not shrink the instance's memory to __heap_base
    expect(text).not.toMatch(/memory\.size/);
    const debug = disassemble(DEFAULT_FIRMWARE_PATH.replace("firmware.wasm", "firmware.debug.wasm"));
    expect(debug).not.toMatch(/memory\.grow|memory\.size/);
    expect(debug).not.toMatch(/__alloc|__new|__realloc|__concat/);
  });

  // The goal is 16 KiB (README, bench/RESULTS.md); the release build is 28,785 B today (binary
  // config, ABI v2, OTA receiver). This ceiling (that + ~200 B) catches regressions; lower it
  // whenever the firmware shrinks.
  it("stays within its size ceiling of 28,900 B", () => {
    expect(wasm.length).toBeLessThanOrEqual(28_900);
  });

  it("exports __data_end (the true end of static data) and __heap_base = it rounded up to 16, above every data segment, below the page end", () => {
    const imports: Record<string, Record<string, () => number>> = {};
    for (const i of WebAssembly.Module.imports(module)) (imports[i.module] ??= {})[i.name] = () => 0;
    const ex = new WebAssembly.Instance(module, imports as WebAssembly.Imports).exports;
    const heapBase = Number((ex.__heap_base as WebAssembly.Global).value);
    const dataEnd = Number((ex.__data_end as WebAssembly.Global).value);
    // WAMR shrinks the instance's memory only when align16(__data_end) <= __heap_base (wasm_loader.c)
    expect(heapBase).toBe((dataEnd + 15) & ~15);
    let segEnd = 0;
    for (const s of dataSegments(wasm)) segEnd = Math.max(segEnd, s.offset + s.bytes.length);
    expect(dataEnd).toBeGreaterThanOrEqual(segEnd);
    // every buffer the hosts are handed lies below it
    expect(Number((ex.config_ptr as () => number)()) + Number((ex.config_cap as () => number)())).toBeLessThanOrEqual(heapBase);
    expect(heapBase).toBeLessThan(65536);
  });

  it("keeps string literals as compile-time UTF-8 (no AssemblyScript string headers in static data)", () => {
    // An AssemblyScript string literal is stored as UTF-16 after a header; "uid" would appear as u\0i\0d\0.
    expect(wasm.includes(Buffer.from("u\0i\0d\0", "latin1"))).toBe(false);
    expect(wasm.includes(Buffer.from("must be between"))).toBe(true);
  });

  it("carries no config member names: the host encodes them (ABI v2, docs/CONFIG.md \"Binary config\")", () => {
    for (const name of ["broker_port", "reading_interval_ms", "tank_diameter_mm", "hc-sr04", "vertical_cylinder"]) {
      expect(wasm.includes(Buffer.from(name)), name).toBe(false);
    }
  });
});
