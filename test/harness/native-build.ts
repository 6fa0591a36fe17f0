/**
 * Builds every native host once per test run (vitest global setup), so that
 * test files running in parallel never build into the same directories:
 * `make -C boards` = `npm run build:native` (wasm2c host; WAMR classic, WAMR
 * fast and wasm3 hosts from registry-fetched sources, boards/runtimes/). A
 * no-op when nothing changed. Needs build/firmware.wasm (npm run build:wasm).
 */
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { packagePath } from "../../sim/paths.js";

export function buildNativeHosts(): void {
  if (!existsSync(packagePath("build", "firmware.wasm"))) throw new Error("build/firmware.wasm is missing: run `npm run build:wasm` first");
  execFileSync("make", ["-s", "-j2", "-C", packagePath("boards")], { stdio: ["ignore", "inherit", "inherit"] });
}
