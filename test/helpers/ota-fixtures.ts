/**
 * Fixtures of the native OTA tests (test/native/ota-native.test.ts,
 * rv32-ota.test.ts): failing modules made from the release module with wabt,
 * keys, the operator's CLI run as a child process, and the files' cleanup.
 */
import { execFile, execFileSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, afterEach } from "vitest";
import type { BrokerInfo } from "../harness/mosquitto.js";
import type { NativeHost } from "./native-host.js";
import { connectSender, type OtaDevice } from "./ota-wire.js";

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

/**
 * Two ECDSA P-256 key pairs made with openssl in `dir`: ota-private.pem and
 * ota-public.pem (the device's key), other-private.pem (a key the device does
 * not trust). Returns the two private keys' PEM texts.
 */
export function otaKeys(dir: string): { key: string; otherKey: string } {
  const ossl = (...a: string[]) => execFileSync("openssl", a, { cwd: dir, stdio: ["ignore", "pipe", "pipe"] });
  ossl("ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", "ota-private.pem");
  ossl("ec", "-in", "ota-private.pem", "-pubout", "-out", "ota-public.pem");
  ossl("ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", "other-private.pem");
  return { key: readFileSync(join(dir, "ota-private.pem"), "utf8"), otherKey: readFileSync(join(dir, "other-private.pem"), "utf8") };
}

/** A copy of `b` with bit `bit` (0..7) of byte `at` flipped. */
export function flipBit(b: Uint8Array, at: number, bit: number): Buffer {
  const out = Buffer.from(b);
  out[at] = out[at]! ^ (1 << bit);
  return out;
}

/**
 * A native OTA test file's hosts and senders: push every started host to
 * `hosts` (each is stopped after its test); `sender(uid)` connects a listening
 * OtaDevice for device `uid` (its client ends after the file).
 */
export function otaSession(broker: BrokerInfo): { hosts: NativeHost[]; sender(uid: string): Promise<OtaDevice> } {
  const hosts: NativeHost[] = [];
  const senders: OtaDevice[] = [];
  afterEach(async () => {
    await Promise.all(hosts.splice(0).map((h) => h.stop()));
  });
  afterAll(async () => {
    await Promise.all(senders.map((d) => d.client.endAsync()));
  });
  const sender = async (uid: string): Promise<OtaDevice> => {
    const d = await connectSender(broker, uid);
    senders.push(d);
    return d;
  };
  return { hosts, sender };
}
