/**
 * `npm run fuzz -- [--count N] [--seed S] [--target mqtt|json|config|all] [--firmware path] [--json]`
 *
 * Runs the fuzzers of docs/RELIABILITY.md with any budget (N inputs per
 * target; default 100000 each) and saves every failure as a replayable case
 * under fuzz-corpus/failures/ (replayed by test/fuzz/corpus.test.ts).
 * Exit status 1 when anything failed.
 */
import { FUZZERS, runFuzzer, type FuzzCase, type FuzzerName, type FuzzStats } from "./fuzz/fuzzers.js";
import { loadFirmwareSync } from "./fuzz/rig.js";
import { saveFailure } from "./fuzz/corpus.js";

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

function main(): void {
  const count = Number(arg("count") ?? 100000);
  const seed = Number(arg("seed") ?? Date.now() % 0x7fffffff) >>> 0;
  const target = arg("target") ?? "all";
  const targets: FuzzerName[] = target === "all" ? [...FUZZERS] : (target.split(",") as FuzzerName[]);
  for (const t of targets) if (!FUZZERS.includes(t)) throw new Error(`unknown target ${t}`);
  const fw = loadFirmwareSync(arg("firmware"));
  const all: FuzzStats[] = [];
  console.log(`fuzz: seed ${seed}, ${count} inputs per target, targets ${targets.join(", ")}, firmware ${fw.path}`);
  for (const t of targets) {
    const stats = runFuzzer(t, seed, count, {
      firmware: fw,
      maxFailures: 100,
      progressEvery: Math.max(1000, Math.floor(count / 10)),
      onProgress: (s) => console.log(`  ${t}: ${s.inputs} inputs, ${s.failures.length} failures, ${(s.ms / 1000).toFixed(1)} s`),
      onFailure: (c) => console.log(`  FAIL ${saveFailure(c)}: ${c.problem}`),
    });
    all.push(stats);
    const { failures, ...rest } = stats;
    console.log(`${t}: ${JSON.stringify({ ...rest, failures: failures.length })}`);
  }
  const total = all.reduce((a, s) => a + s.inputs, 0);
  const fails = all.reduce((a, s) => a + s.failures.length, 0);
  const traps = all.reduce((a, s) => a + s.traps, 0);
  const mem = Math.max(...all.map((s) => s.memoryBytes));
  const summary = { seed, inputs: total, failures: fails, traps, memoryProblems: all.reduce((a, s) => a + s.memoryProblems, 0), maxMemoryBytes: mem, seconds: +(all.reduce((a, s) => a + s.ms, 0) / 1000).toFixed(1) };
  console.log(`total: ${JSON.stringify(summary)}`);
  if (process.argv.includes("--json")) console.log(JSON.stringify(all.map(({ failures, ...s }) => ({ ...s, failures: failures.length }))));
  process.exitCode = fails > 0 ? 1 : 0;
}

main();
