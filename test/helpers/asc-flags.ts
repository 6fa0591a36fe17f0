/**
 * The compiler flags of the release firmware, read from asconfig.json, for
 * tests that compile their own AssemblyScript entries: one source of truth,
 * so a test module is built exactly like build/firmware.wasm.
 */
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { packagePath } from "../../sim/paths.js";

interface AsConfig {
  options: { runtime: string; initialMemory: number; maximumMemory: number; disable: string[]; use: string[] };
  targets: { release: { optimizeLevel: number; shrinkLevel: number; converge?: boolean; noAssert?: boolean } };
}

/** The compile-time UTF-8 literal transform (asconfig.json cannot name a local transform: asc resolves it as a package). */
export const ASCII_TRANSFORM = resolve(packagePath(), "transform", "ascii.mjs");

const cfg = JSON.parse(readFileSync(packagePath("asconfig.json"), "utf8")) as AsConfig;
const o = cfg.options;
const r = cfg.targets.release;

export const MVP_FLAGS: string[] = [
  "--runtime", o.runtime,
  "--initialMemory", String(o.initialMemory),
  "--maximumMemory", String(o.maximumMemory),
  ...o.disable.flatMap((f) => ["--disable", f]),
  ...o.use.flatMap((u) => ["--use", u]),
  "--transform", ASCII_TRANSFORM,
  "--optimizeLevel", String(r.optimizeLevel),
  "--shrinkLevel", String(r.shrinkLevel),
  ...(r.converge ? ["--converge"] : []),
  ...(r.noAssert ? ["--noAssert"] : []),
];
