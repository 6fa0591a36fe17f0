/**
 * Fixtures of the native OTA tests (test/native/ota-native.test.ts,
 * rv32-ota.test.ts): failing modules made from the release module with wabt,
 * and the operator's CLI run as a child process.
 */
import { execFile, execFileSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";

export const RELEASE = "build/firmware.wasm";

/**
 * The release module with exported functions' bodies changed (wasm2wat, edit,
 * wat2wasm into `dir`): `fn(exp)` matches the header (and locals line) of
 * export `exp`'s function, so `$1` + new instructions prepends to its body.
 * Throws when the edit changed nothing.
 */
export function variant(dir: string, name: string, edit: (wat: string, fn: (exp: string) => RegExp) => string): Buffer {
  const wat = execFileSync("wasm2wat", [RELEASE], { encoding: "utf8", maxBuffer: 64 << 20 });
  const fn = (exp: string) => {
    const m = new RegExp(`\\(export "${exp}" \\(func (\\d+)\\)\\)`).exec(wat);
    if (!m) throw new Error(`export ${exp} not found`);
    // the function header and its locals line, if any
    return new RegExp(`(  \\(func \\(;${m[1]};\\) \\(type \\d+\\)[^\\n]*\\n(?:    \\(local [^\\n]*\\n)?)`);
  };
  const edited = edit(wat, fn);
  if (edited === wat) throw new Error(`variant ${name}: the edit changed nothing`);
  writeFileSync(join(dir, `${name}.wat`), edited);
  execFileSync("wat2wasm", [join(dir, `${name}.wat`), "-o", join(dir, `${name}.wasm`)]);
  return readFileSync(join(dir, `${name}.wasm`));
}

/** fw_version() = major.minor.patch */
export const withVersion = (wat: string, fn: (e: string) => RegExp, v: [number, number, number]): string =>
  wat.replace(fn("fw_version"), `$1    i32.const ${(v[0] << 16) | (v[1] << 8) | v[2]}\n    return\n`);

/** `iotbind-tank ota ARGS` (the built CLI); stdout, stderr and the exit code. */
export async function otaCli(...a: string[]): Promise<{ code: number; out: string; err: string }> {
  try {
    const r = await promisify(execFile)(process.execPath, ["dist/sim/bin.js", "ota", ...a], { encoding: "utf8" });
    return { code: 0, out: r.stdout, err: r.stderr };
  } catch (e) {
    const x = e as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof x.code === "number" ? x.code : -1, out: x.stdout ?? "", err: x.stderr ?? "" };
  }
}

/** A copy of `b` with bit `bit` (0..7) of byte `at` flipped. */
export function flipBit(b: Uint8Array, at: number, bit: number): Buffer {
  const out = Buffer.from(b);
  out[at] = out[at]! ^ (1 << bit);
  return out;
}
