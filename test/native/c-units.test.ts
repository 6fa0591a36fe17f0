/**
 * The C hosts' own helpers, each with a C unit test built with the hosts'
 * strict flags and run: boards/host/json_member.c (how the hosts read their
 * own config members: relay pin, simulator geometry, the ESP32 device
 * config's Wi-Fi and "firmware" object), boards/host/kv_table.c (the
 * posix and RV32 hosts' hal_kv_get / hal_kv_set), and boards/host/ota.c +
 * ota_verify.c (OTA: the mbed TLS signature check against keys and
 * signatures made here by openssl and node:crypto, the transfer rules, the
 * slot record's trial / confirm / rollback).
 */
import { execFileSync, spawnSync } from "node:child_process";
import { createPrivateKey, randomBytes, sign } from "node:crypto";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect, it } from "vitest";
import { flipBit } from "../helpers/ota-fixtures.js";

const STRICT = ["-std=c99", "-Wall", "-Wextra", "-Werror", "-Iboards/host"];
const UNITS = [
  { unit: "json_member.c", what: "finds top-level members, skips nested ones, survives malformed input; its strict walker says where a syntax error is and visits every member in order" },
  { unit: "kv_table.c", what: "keeps hal_kv_get/hal_kv_set's contract: key and value limits, truncation, overwrite, a full table" },
];

it.each(UNITS)("$unit $what", ({ unit }) => {
  const name = unit.replace(/\.c$/, "");
  const bin = join(mkdtempSync(join(tmpdir(), "iotbind-cunit-")), `${name}_test`);
  execFileSync("cc", [...STRICT, "-o", bin, `test/native/${name}_test.c`, `boards/host/${unit}`]);
  expect(execFileSync(bin, { encoding: "utf8" }).trim()).toBe("0 failures");
});

/** An ECDSA P-256 / SHA-256 signature, raw r || s (docs/OTA.md), by node:crypto. */
function sig(module: Buffer, keyPem: string): Buffer {
  return sign("sha256", module, { key: createPrivateKey(keyPem), dsaEncoding: "ieee-p1363" });
}

/** A module-shaped byte string: the WebAssembly 1 header, then random bytes. */
function wasmish(len: number): Buffer {
  const b = randomBytes(len);
  Buffer.from([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0]).copy(b);
  return b;
}

it("ota.c + ota_verify.c verify ECDSA P-256 images by openssl/node keys and keep the slot rules", () => {
  const dir = mkdtempSync(join(tmpdir(), "iotbind-cunit-ota-"));
  const ossl = (...a: string[]) => execFileSync("openssl", a, { cwd: dir, stdio: ["ignore", "pipe", "pipe"] });
  // keys as docs/OTA.md tells an operator to make them
  ossl("ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", "ota-private.pem");
  ossl("ec", "-in", "ota-private.pem", "-pubout", "-out", "ota-public.pem");
  ossl("ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", "other-private.pem");
  ossl("ecparam", "-name", "secp384r1", "-genkey", "-noout", "-out", "p384-private.pem");
  ossl("ec", "-in", "p384-private.pem", "-pubout", "-out", "p384-public.pem");
  const key = execFileSync("cat", [join(dir, "ota-private.pem")], { encoding: "utf8" });
  const other = execFileSync("cat", [join(dir, "other-private.pem")], { encoding: "utf8" });

  const lines: string[] = [];
  const add = (code: number, image: Buffer) => lines.push(`${code} ${image.toString("hex")}`);
  const rnd = (n: number) => Math.floor(Math.random() * n);
  for (let i = 0; i < 24; i++) {
    const m = wasmish(8 + rnd(i < 4 ? 16 : 6000));
    const s = sig(m, key);
    add(0, Buffer.concat([m, s])); // signed by the key: accepted (r or s with the top bit set in about half)
    add(-3, Buffer.concat([flipBit(m, rnd(m.length), rnd(8)), s])); // a module bit flipped after signing
    add(-3, Buffer.concat([m, flipBit(s, rnd(64), rnd(8))])); // a signature bit flipped
    add(-3, Buffer.concat([m, sig(m, other)])); // another key
    const notWasm = flipBit(m, rnd(8), 7);
    add(-5, Buffer.concat([notWasm, sig(notWasm, key)])); // signed, but not a wasm header
  }
  const tiny = Buffer.from([0, 0x61, 0x73]);
  add(-5, Buffer.concat([tiny, sig(tiny, key)])); // signed, too short to be a module
  const m = wasmish(100);
  add(-3, Buffer.concat([m, Buffer.alloc(64)])); // r = s = 0
  add(-3, Buffer.concat([m, Buffer.alloc(64, 0xff)])); // r, s >= n
  add(-3, Buffer.concat([m.subarray(0, 99), sig(m, key)])); // the module cut by one byte
  writeFileSync(join(dir, "vectors.txt"), lines.join("\n") + "\n");

  const bin = join(dir, "ota_test");
  execFileSync("cc", [...STRICT, "-o", bin, "test/native/ota_test.c", "boards/host/ota.c", "boards/host/ota_verify.c",
    "-lmbedtls", "-lmbedx509", "-lmbedcrypto"]);
  const run = spawnSync(bin, [join(dir, "ota-public.pem"), join(dir, "p384-public.pem"), join(dir, "vectors.txt")],
    { encoding: "utf8" });
  expect(run.stdout.trim()).toBe("0 failures");
  expect(run.status).toBe(0);
});
