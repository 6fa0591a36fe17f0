/**
 * Builds the RV32 images (`make -C boards rv32`) for the test files that boot
 * them (test/native/rv32-qemu.test.ts, rv32-ota.test.ts), one build at a
 * time: vitest runs those files in parallel, and two makes writing the same
 * build/rv32 outputs at once would corrupt them. The lock is a directory
 * (mkdir is atomic); one older than 10 minutes is a killed run's and is taken over.
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, rmSync, statSync } from "node:fs";
import { packagePath } from "../../sim/paths.js";

const STALE_MS = 10 * 60 * 1000;

export function buildRv32(): void {
  mkdirSync(packagePath("build"), { recursive: true });
  const lock = packagePath("build", "rv32-build.lock");
  const t0 = Date.now();
  for (;;) {
    try {
      mkdirSync(lock);
      break;
    } catch {
      let age = 0;
      try { age = Date.now() - statSync(lock).mtimeMs; } catch { continue; /* just released */ }
      if (age > STALE_MS) rmSync(lock, { recursive: true, force: true });
      else if (Date.now() - t0 > STALE_MS) throw new Error(`${lock} held for 10 minutes: another rv32 build hangs`);
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 200);
    }
  }
  try {
    execFileSync("make", ["-s", "-C", packagePath("boards"), "rv32"], { stdio: ["ignore", "ignore", "inherit"] });
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}
