/** fuzz-corpus/: saved failures (replayable cases), one JSON file each. */
import { mkdirSync, readdirSync, readFileSync, writeFileSync, existsSync } from "node:fs";
import { join } from "node:path";
import { packagePath } from "../../paths.js";
import type { FuzzCase } from "./fuzzers.js";

export const FAILURES_DIR = packagePath("fuzz-corpus", "failures");

export function saveFailure(c: FuzzCase, dir = FAILURES_DIR): string {
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${c.fuzzer}-${c.seed}-${c.index}.json`);
  writeFileSync(file, JSON.stringify(c, null, 2) + "\n");
  return file;
}

export function loadCases(dir = FAILURES_DIR): { file: string; c: FuzzCase }[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => f.endsWith(".json"))
    .sort()
    .map((f) => ({ file: join(dir, f), c: JSON.parse(readFileSync(join(dir, f), "utf8")) as FuzzCase }));
}
