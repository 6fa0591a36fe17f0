#!/usr/bin/env node
// Post-build of the release module (part of `npm run build:wasm`):
//  1. Binaryen's `wasm-opt -Oz --converge` (MVP features only) on asc's output:
//     −~250 B that asc's own optimiser levels do not reach (not --const-hoisting:
//     −230 B more, but +50 % instructions per tick under WAMR's classic
//     interpreter; docs/RUNTIMES.md);
//  2. scripts/wasm-merge-data.mjs: the ~160 per-literal data segments become a
//     few (−~1.1 KB of segment headers), same memory image;
//  3. `__heap_base` rounded up to 16 (alignHeapBase: else WAMR does not shrink
//     the instance's memory to it).
// Usage: wasm-release.mjs <module.wasm> [--keep-names]
// (--keep-names: keep the name section, for the bench's attribution build.)
// wasm-opt comes from the `binaryen` package assemblyscript depends on.
import { spawnSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { alignHeapBase, mergeDataSegments } from "./wasm-merge-data.mjs";

const root = resolve(fileURLToPath(import.meta.url), "..", "..");
const [file, ...rest] = process.argv.slice(2);
if (!file) {
  process.stderr.write("wasm-release: usage: wasm-release.mjs <module.wasm> [--keep-names]\n");
  process.exit(1);
}
const wasmOpt = resolve(root, "node_modules", "binaryen", "bin", "wasm-opt");
const args = [wasmOpt, file, "--mvp-features", "-Oz", "--converge", "-o", file];
if (rest.includes("--keep-names")) args.push("-g");
const r = spawnSync(process.execPath, args, { stdio: ["ignore", "ignore", "pipe"], encoding: "utf8" });
if (r.status !== 0) {
  process.stderr.write(`wasm-release: wasm-opt failed: ${(r.stderr || String(r.error)).trim().split("\n")[0]}\n`);
  process.exit(1);
}
try {
  writeFileSync(file, alignHeapBase(mergeDataSegments(readFileSync(file))));
} catch (e) {
  process.stderr.write(`${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
}
