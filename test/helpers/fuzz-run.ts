/**
 * Runs one fuzzer with the CI budget from vitest and turns failures into a
 * readable assertion (each is also saved under fuzz-corpus/failures/ for
 * test/fuzz/corpus.test.ts to replay). FUZZ_SEED / FUZZ_SCALE override the
 * seed and scale the budget.
 */
import { expect } from "vitest";
import { runFuzzer, type FuzzerName, type FuzzStats } from "../../sim/tools/fuzz/fuzzers.js";
import { saveFailure } from "../../sim/tools/fuzz/corpus.js";
import { PAGE } from "../../sim/tools/fuzz/rig.js";

export const CI_SEED = Number(process.env.FUZZ_SEED ?? 20261124) >>> 0;
export const SCALE = Number(process.env.FUZZ_SCALE ?? 1);

export function fuzzCi(name: FuzzerName, count: number): FuzzStats {
  const saved: string[] = [];
  const stats = runFuzzer(name, CI_SEED, Math.round(count * SCALE), {
    maxFailures: 10,
    onFailure: (c) => saved.push(`${saveFailure(c)}: ${c.problem}`),
  });
  expect(saved, `failures (saved as replayable cases):\n${saved.join("\n")}`).toEqual([]);
  expect(stats.inputs).toBe(Math.round(count * SCALE));
  expect(stats.traps).toBe(0);
  expect(stats.memoryProblems).toBe(0);
  expect(stats.memoryBytes).toBe(PAGE);
  return stats;
}
