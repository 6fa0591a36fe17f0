/**
 * Compiles the test-only MQTT module (test/as/mqtt-entry.ts) in memory with
 * the release flags of asconfig.json (MVP only, one page, stub runtime), with
 * assembly/app/inbox.ts replaced by test/as/inbox-sink.ts so the MQTT tests
 * depend on nothing of the firmware but the client, config, util and
 * counters. Cached in memory per worker and on disk in build/test/ (keyed by
 * a hash of every AssemblyScript source and the flags).
 */
import asc from "assemblyscript/asc";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { MVP_FLAGS } from "./asc-flags.js";

const ROOT = resolve(import.meta.dirname, "../..");

export { MVP_FLAGS };

const cache = new Map<string, Promise<Uint8Array<ArrayBuffer>>>();

/** Compiles an AssemblyScript entry (path relative to the repo root) with inbox swapped; resolves to the .wasm bytes. */
export function compileTestModule(entry = "test/as/mqtt-entry.ts", extra: string[] = []): Promise<Uint8Array<ArrayBuffer>> {
  const key = entry + " " + extra.join(" ");
  let p = cache.get(key);
  if (!p) {
    p = compile(entry, extra);
    cache.set(key, p);
  }
  return p;
}

/** Hash of every AssemblyScript source, the entry, the sink and the flags: the on-disk cache key. */
function sourceHash(entry: string, extra: string[]): string {
  const h = createHash("sha256");
  h.update([entry, ...MVP_FLAGS, ...extra, "asc", asc.version].join("\0"));
  const walk = (dir: string): void => {
    for (const name of readdirSync(dir).sort()) {
      const full = join(dir, name);
      if (statSync(full).isDirectory()) walk(full);
      else if (name.endsWith(".ts")) h.update(full).update(readFileSync(full));
    }
  };
  h.update(readFileSync(resolve(ROOT, "transform/ascii.mjs")));
  walk(resolve(ROOT, "assembly"));
  walk(resolve(ROOT, "test/as"));
  return h.digest("hex").slice(0, 16);
}

/** Compiles, or reuses build/test/<name>-<hash>.wasm when the sources did not change (parallel test files share it). */
async function compile(entry: string, extra: string[]): Promise<Uint8Array<ArrayBuffer>> {
  const dir = resolve(ROOT, "build/test");
  const prefix = [entry, ...extra].join(" ").replace(/[^a-z0-9]+/gi, "_");
  const file = join(dir, `${prefix}-${sourceHash(entry, extra)}.wasm`);
  if (existsSync(file)) {
    try {
      return new Uint8Array(readFileSync(file));
    } catch {
      // removed by a concurrent worker that saw newer sources: compile
    }
  }
  const wasm = await compileNow(entry, extra);
  mkdirSync(dir, { recursive: true });
  for (const old of readdirSync(dir)) {
    if (old.startsWith(`${prefix}-`) && old.endsWith(".wasm") && join(dir, old) !== file) rmSync(join(dir, old), { force: true });
  }
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, wasm);
  renameSync(tmp, file); // atomic: a reader never sees half a module
  return wasm;
}

async function compileNow(entry: string, extra: string[]): Promise<Uint8Array<ArrayBuffer>> {
  let wasm: Uint8Array<ArrayBuffer> | null = null;
  let errText = "";
  const inbox = resolve(ROOT, "assembly/app/inbox.ts");
  const sink = readFileSync(resolve(ROOT, "test/as/inbox-sink.ts"), "utf8");
  const { error } = await asc.main(
    [entry, "--baseDir", ROOT, "--outFile", "out.wasm", "--config", "test/as/asconfig.json", ...MVP_FLAGS, ...extra],
    {
      readFile: (filename: string, baseDir: string) => {
        const full = resolve(baseDir, filename);
        if (full === inbox) return sink;
        try {
          return readFileSync(full, "utf8");
        } catch {
          return null;
        }
      },
      writeFile: (name: string, contents: Uint8Array | string) => {
        if (name.endsWith(".wasm") && typeof contents !== "string") wasm = new Uint8Array(contents);
      },
      listFiles: () => [],
      stdout: { write: (s: string | Uint8Array) => { void s; return true; } } as never,
      stderr: { write: (s: string | Uint8Array) => { errText += String(s); return true; } } as never,
    },
  );
  if (error || !wasm) throw new Error(`asc failed for ${entry}: ${error?.message ?? "no output"}\n${errText}`);
  return wasm;
}

export { ROOT, join };
