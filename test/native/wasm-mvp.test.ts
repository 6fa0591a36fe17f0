/**
 * The release module must load in every embedder of the design: WAMR and
 * wasm3 on ESP32 and wasm2c (../shared/FACTS.md). So it validates with every
 * post-MVP feature switched off, and it imports nothing but module `hal`.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { describe, expect, it } from "vitest";

const WASM = "build/firmware.wasm";
const MVP_ONLY = [
  "--disable-bulk-memory",
  "--disable-sign-extension",
  "--disable-saturating-float-to-int",
  "--disable-mutable-globals",
  "--disable-simd",
  "--disable-reference-types",
  "--disable-multi-value",
];

describe("release firmware.wasm", () => {
  it("exists (npm run build:wasm)", () => {
    expect(existsSync(WASM)).toBe(true);
  });

  it("validates as WebAssembly MVP with every post-MVP feature disabled", () => {
    const r = spawnSync("wasm-validate", [...MVP_ONLY, WASM], { encoding: "utf8" });
    expect(r.error).toBeUndefined();
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
  });

  it("is refused by the same check when it uses a post-MVP feature", () => {
    // a module with one sign-extension instruction: proves the flags bite
    const wat = "(module (func (param i32) (result i32) local.get 0 i32.extend8_s))";
    const dir = execFileSync("mktemp", ["-d"], { encoding: "utf8" }).trim();
    execFileSync("sh", ["-c", `printf '%s' "$1" > ${dir}/x.wat && wat2wasm ${dir}/x.wat -o ${dir}/x.wasm`, "sh", wat]);
    const r = spawnSync("wasm-validate", [...MVP_ONLY, `${dir}/x.wasm`], { encoding: "utf8" });
    expect(r.status).not.toBe(0);
  });

  it("imports only from module hal", () => {
    const out = execFileSync("wasm-objdump", ["-x", "-j", "Import", WASM], { encoding: "utf8" });
    const modules = [...out.matchAll(/<- ([^.\s]+)\.\S+/g)].map((m) => m[1]);
    expect(modules.length).toBeGreaterThan(0);
    expect(new Set(modules)).toEqual(new Set(["hal"]));
  });
});
