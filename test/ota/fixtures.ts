/**
 * Images for the OTA tests: the real firmware rebuilt with another version
 * (asc --use FW_VERSION, as npm run build:wasm does with package.json's), and
 * two stand-in modules of ABI v2 (wat2wasm) that fail a trial: one traps in
 * init, one inits but never connects. Built once per process, cached under
 * build/test-ota/.
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { generateKeyPairSync } from "node:crypto";
import { resolve } from "node:path";
import { MVP_FLAGS } from "../helpers/asc-flags.js";
import { packagePath } from "../../sim/paths.js";

const OUT = packagePath("build", "test-ota");

/** Version number of asc --use FW_VERSION for "1.2.3". */
export function versionNumber(v: string): number {
  const [a, b, c] = v.split(".").map(Number) as [number, number, number];
  return (a << 16) | (b << 8) | c;
}

/** build/firmware.wasm's sources compiled as version `v` (same flags as the release, without converge). */
export function firmwareAs(v: string): Uint8Array {
  mkdirSync(OUT, { recursive: true });
  const file = resolve(OUT, `firmware-${v}.wasm`);
  const release = packagePath("build", "firmware.wasm");
  // Rebuilt when the release build is newer (the sources changed).
  const stale = !existsSync(file) || statSync(file).mtimeMs < statSync(release).mtimeMs;
  if (stale) {
    const flags = MVP_FLAGS.filter((f) => f !== "--converge");
    execFileSync(process.execPath, [packagePath("node_modules", "assemblyscript", "bin", "asc.js"), "assembly/index.ts", ...flags,
      "--use", `FW_VERSION=${versionNumber(v)}`, "-o", file], { cwd: packagePath(), stdio: ["ignore", "ignore", "inherit"] });
  }
  return new Uint8Array(readFileSync(file));
}


const IMPORTS = `
  (import "hal" "millis" (func $millis (result i32)))
  (import "hal" "gpio_write" (func $gpio_write (param i32 i32) (result i32)))`;

const EXPORTS = (init: string, version: number) => `
  (memory (export "memory") 1 1)
  (func (export "abi_version") (result i32) i32.const 2)
  (func (export "fw_version") (result i32) i32.const ${version})
  (func (export "config_ptr") (result i32) i32.const 1024)
  (func (export "config_cap") (result i32) i32.const 2048)
  (func (export "init") (param i32) (result i32) ${init})
  (func (export "error_ptr") (result i32) i32.const 16)
  (func (export "error_len") (result i32) i32.const 0)
  (func (export "tick") (param i32) (result i32) i32.const 1000)
  (func (export "shutdown") (param i32))
  (func (export "level_permille") (result i32) i32.const -1)
  (func (export "distance_mm") (result i32) i32.const -1)
  (func (export "temperature_decic") (result i32) i32.const -32768)
  (func (export "volume_ml") (result i32) i32.const -1)
  (func (export "reading_quality") (result i32) i32.const 0)
  (func (export "relay_state") (result i32) i32.const 0)
  (func (export "conn_state") (result i32) i32.const 0)
  (func (export "pump_last_refusal") (result i32) i32.const 0)
  (func (export "counter") (param i32) (result i32) i32.const 0)
  (func (export "last_disconnect") (result i32) i32.const 0)`;

function wat(name: string, text: string): Uint8Array {
  mkdirSync(OUT, { recursive: true });
  const src = resolve(OUT, `${name}.wat`);
  const dst = resolve(OUT, `${name}.wasm`);
  writeFileSync(src, text);
  execFileSync("wat2wasm", [src, "-o", dst]);
  return new Uint8Array(readFileSync(dst));
}

/** ABI v2, version `v`: init executes `unreachable`. */
export function trapsInInit(v: string): Uint8Array {
  return wat(`trap-init-${v}`, `(module ${IMPORTS} ${EXPORTS("unreachable", versionNumber(v))})`);
}

/** ABI v2, version `v`: init returns 0, the module never opens a socket (conn_state stays IDLE). */
export function neverConnects(v: string): Uint8Array {
  return wat(`no-connect-${v}`, `(module ${IMPORTS} ${EXPORTS("i32.const 0", versionNumber(v))})`);
}

/** A fresh ECDSA P-256 key pair as PEM. */
export function keyPair(): { privatePem: string; publicPem: string } {
  const { privateKey, publicKey } = generateKeyPairSync("ec", { namedCurve: "prime256v1" });
  return {
    privatePem: privateKey.export({ type: "pkcs8", format: "pem" }).toString(),
    publicPem: publicKey.export({ type: "spki", format: "pem" }).toString(),
  };
}
