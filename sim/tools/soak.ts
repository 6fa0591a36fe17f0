/**
 * `npm run soak -- [--days D] [--seed S] [--firmware path]`: the soak of
 * docs/RELIABILITY.md for D simulated days (default 28). Exit status 1 on
 * any broken invariant.
 */
import { runSoak } from "./fuzz/soak.js";
import { loadFirmwareSync } from "./fuzz/rig.js";

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

const days = Number(arg("days") ?? 28);
const seed = Number(arg("seed") ?? Date.now() % 0x7fffffff) >>> 0;
console.log(`soak: ${days} simulated days, seed ${seed}`);
try {
  const s = runSoak({
    days, seed, firmware: loadFirmwareSync(arg("firmware")),
    onProgress: (p) => console.log(`  day ${(p.virtualMs / 86_400_000).toFixed(0)}: ${p.ticks} ticks, ${p.reconnects} reconnects, ${p.readings} readings, ${(p.realMs / 1000).toFixed(1)} s`),
  });
  console.log(`soak: ${JSON.stringify(s)}`);
} catch (e) {
  console.error(`soak FAILED (seed ${seed}): ${(e as Error).message}`);
  process.exitCode = 1;
}
