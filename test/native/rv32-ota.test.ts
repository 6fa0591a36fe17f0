/**
 * OTA in the bare-metal RV32 image (boards/rv32-qemu: ota.c + ota_verify.c on
 * mbed TLS 2.28 cross-built from the mbedtls-sys-auto crate, slots in QEMU
 * virt's CFI flash, boards/rv32-qemu/ota_rv32.c), booted in
 * qemu-system-riscv32 behind the UART bridge, against the harness's real
 * mosquitto, with keys made here (openssl) and provisioned into a flash file
 * made here (uart-bridge --flash --ota-public-key):
 *
 * on WAMR classic:
 *   - an image signed by another key and one with a byte flipped after
 *     signing are refused with BAD_SIGNATURE; v1 keeps running and the slot
 *     record in the flash file stays on slot A;
 * on WAMR classic and WAMR fast (each in its 160 KiB):
 *   - a signed module that traps in init is rolled back to v1, which reports
 *     `INIT_TRAPPED 0.3.0` (kv `ota.rollback`, kept in flash);
 *   - a v2 (the release build with version 0.2.0), signed and pushed with the
 *     operator's CLI (`iotbind-tank ota sign`, `ota push`), is staged,
 *     activated, confirmed and reported; the CLI says "updated";
 *   - QEMU stopped and started again on the same flash file boots v2 from
 *     slot B (the record and the slot persisted), rollback note cleared;
 * on WAMR classic:
 *   - QEMU stopped while a module that never connects is on trial: the next
 *     start rolls back to v2, which reports `NOT_CONFIRMED 0.4.0`.
 * The record is read from the flash file itself (both copies, newest valid).
 * Nothing is skipped: a missing QEMU, toolchain or wabt fails the suite.
 */
import { execFileSync } from "node:child_process";
import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, inject, it } from "vitest";
import { NativeHost } from "../helpers/native-host.js";
import { buildRv32 } from "../helpers/rv32-build.js";
import { signImage } from "../helpers/ota-wire.js";
import { flipBit, otaCli, otaKeys, otaSession, variant, withVersion } from "../helpers/ota-fixtures.js";

const broker = inject("broker");
const dir = mkdtempSync(join(tmpdir(), "iotbind-rv32-ota-"));
const run = Math.random().toString(36).slice(2, 8);
const BRIDGE = "dist/sim/tools/uart-bridge.js";
const IMAGES = { classic: "build/rv32/iotbind-tank-rv32-wamr-classic.elf", fast: "build/rv32/iotbind-tank-rv32-wamr-fast.elf" };
const CONFIRM_S = 20;
const BLOCK = 256 * 1024; // pflash_cfi01 erase block of QEMU virt; record copies in blocks 1 and 2

function need(cmd: string, args: string[], what: string): void {
  try {
    execFileSync(cmd, args, { stdio: "ignore" });
  } catch {
    throw new Error(`${cmd} is missing: ${what} (.ci/run installs it)`);
  }
}

let key = "";
type ImageName = "v2" | "wrongKey" | "flipped" | "initTraps" | "silent";
const images = {} as Record<ImageName, Buffer>;

beforeAll(() => {
  need("qemu-system-riscv32", ["--version"], "qemu-system-misc");
  need("riscv64-unknown-elf-gcc", ["--version"], "gcc-riscv64-unknown-elf picolibc-riscv64-unknown-elf");
  need("wasm2wat", ["--version"], "wabt");
  buildRv32(); // one build at a time: the other rv32 test file builds too
  const keys = otaKeys(dir);
  key = keys.key;
  const otherKey = keys.otherKey;

  // v2: the release build (asc + wasm-release.mjs, as build:wasm) with version 0.2.0
  const v2 = join(dir, "v2.wasm");
  execFileSync("npx", ["asc", "assembly/index.ts", "--target", "release", "--transform", "./transform/ascii.mjs",
    "--use", "FW_VERSION=512", "-o", v2], { stdio: ["ignore", "pipe", "pipe"] });
  execFileSync(process.execPath, ["scripts/wasm-release.mjs", v2], { stdio: ["ignore", "pipe", "pipe"] });
  const v2Bytes = readFileSync(v2);
  images.v2 = signImage(v2Bytes, key);
  images.wrongKey = signImage(v2Bytes, otherKey);
  images.flipped = flipBit(images.v2, Math.floor(Math.random() * images.v2.length), Math.floor(Math.random() * 8)); // module or signature
  images.initTraps = signImage(variant(dir, "init-traps", (w, fn) => withVersion(w, fn, [0, 3, 0]).replace(fn("init"), "$1    unreachable\n")), key);
  images.silent = signImage(variant(dir, "silent", (w, fn) => withVersion(w, fn, [0, 4, 0]).replace(fn("tick"), "$1    i32.const 1000\n    return\n")), key);
}, 240000);

interface SlotRecord { active: string; trial: number; previous: string; len: [number, number]; seq: number }
/** The newest valid slot record in the flash file (ota_rv32.c: {seq, ota_record, FNV-1a check} in blocks 1 and 2). */
function record(flash: string): SlotRecord | null {
  const f = readFileSync(flash);
  let best: SlotRecord | null = null;
  for (const b of [1, 2]) {
    const c = f.subarray(b * BLOCK, b * BLOCK + 28);
    let h = 2166136261;
    for (const x of c.subarray(0, 24)) h = Math.imul(h ^ x, 16777619) >>> 0;
    if (h !== c.readUInt32LE(24) || c.readUInt32LE(4) !== 0x3141544f) continue;
    const r = { seq: c.readUInt32LE(0), active: "AB"[c[8]!]!, trial: c[9]!, previous: "AB"[c[10]!]!, len: [c.readUInt32LE(12), c.readUInt32LE(16)] as [number, number] };
    if (!best || ((r.seq - best.seq) | 0) > 0) best = r;
  }
  return best;
}

const { hosts, sender } = otaSession(broker);

describe.each(["classic", "fast"] as const)("OTA in the rv32 QEMU image, WAMR %s, slots in CFI flash", (rt) => {
  const uid = `rv32ota-${rt}-${run}`;
  const flash = join(dir, `flash-${rt}.bin`);
  const cfg = join(dir, `${uid}.json`);
  const start = () => {
    const h = new NativeHost("node", [BRIDGE, "--config", cfg, "--image", IMAGES[rt], "--flash", flash,
      "--ota-public-key", join(dir, "ota-public.pem"), "--ota-confirm-s", String(CONFIRM_S)]);
    hosts.push(h);
    return h;
  };

  it("refuses bad signatures, rolls an init trap back to v1, runs a CLI-pushed v2 and boots it again from flash", async () => {
    writeFileSync(cfg, JSON.stringify({
      uid, key: `k-${run}`, client_id: uid,
      broker_host: broker.host, broker_port: broker.port, broker_user: broker.user, broker_password: broker.password,
      uplink_topic: `iotbind/tank/${uid}`, downlink_topic: `iotbind/tank/${uid}/state`,
      sensor: "hc-sr04", trig_pin: 5, echo_pin: 18, relay_pin: 23, empty_distance_mm: 1200, full_distance_mm: 200,
      pump_mode: "fill", min_on_s: 0, min_off_s: 0, reading_interval_ms: 1000, min_interval_s: 0,
    }));
    const d = await sender(uid);
    let h = start();
    try {
      await d.waitStatus(0, (s) => s.version === "0.1.0" && s.ota === "idle" && s.abi === 2, "v1's first status", 40000);
      expect(h.stderr.some((l) => /ota: on \(flash slots, confirm within 20 s\)/.test(l))).toBe(true);
      expect(record(flash)).toMatchObject({ active: "A", trial: 0, len: [0, 0] });

      if (rt === "classic") {
        for (const [name, image] of [["another key", images.wrongKey], ["a flipped bit", images.flipped]] as const) {
          const from = d.statuses.length;
          await d.offer(image!);
          const s = await d.waitStatus(from, (x) => x.ota === "refused", `${name}: refused`, 60000);
          expect(s.error, name).toBe("BAD_SIGNATURE");
          expect(s.version, name).toBe("0.1.0");
          expect(record(flash), name).toMatchObject({ active: "A", trial: 0, len: [0, 0] });
        }
        expect(h.stderr.some((l) => /on trial/.test(l))).toBe(false);
      }

      // a module that traps in init: back to v1, which says why
      let from = d.statuses.length;
      await d.offer(images.initTraps!);
      let s = await d.waitStatus(from, (x) => x.rollback !== "" && x.version === "0.1.0", "rollback after INIT_TRAPPED", 60000);
      expect(s.rollback).toBe("INIT_TRAPPED 0.3.0");
      expect(record(flash)).toMatchObject({ active: "A", trial: 0 });

      // v2, signed and pushed by the CLI
      const signed = join(dir, `v2-${rt}.signed`);
      copyFileSync(join(dir, "v2.wasm"), join(dir, `v2-${rt}.wasm`));
      const sign = await otaCli("sign", "--key", join(dir, "ota-private.pem"), join(dir, `v2-${rt}.wasm`), "-o", signed);
      expect(sign.code, sign.err).toBe(0);
      expect(readFileSync(signed).subarray(0, -64)).toEqual(images.v2!.subarray(0, -64));
      from = d.statuses.length;
      const pushed = Date.now();
      const push = await otaCli("push", "--broker", `mqtt://${broker.host}:${broker.port}`, "--user", broker.user, "--password", broker.password,
        "--device", uid, signed, "--timeout-s", "90");
      expect(push.code, `${push.out}\n${push.err}`).toBe(0);
      expect(push.out).toMatch(/1 updated, 0 rolled back, 0 failed/);
      await d.waitStatus(from, (x) => x.version === "0.2.0" && x.ota === "idle", "v2 running");
      await h.until(() => h.stderr.some((l) => /ota: slot B \(0\.2\.0\) confirmed/.test(l)), "v2 confirmed", CONFIRM_S * 1000 + 10000);
      console.info(`rv32 ${rt}: ${images.v2!.length}-byte signed image, CLI push start to confirmed v2 in ${Date.now() - pushed} ms`);
      expect(record(flash)).toMatchObject({ active: "B", trial: 0, previous: "A", len: [0, images.v2!.length - 64] });
      // the next STATS line (every 10 s) covers the verify: RAM, pool and stack within their bounds
      const mark = h.stdout.length;
      await h.until(() => h.stdout.slice(mark).some((l) => l.startsWith("STATS ")), "a STATS line after the update", 15000);
      const st = Object.fromEntries(h.stdout.slice(mark).find((l) => l.startsWith("STATS "))!.split(" ").slice(1).map((kv) => kv.split("=")).map(([k, v]) => [k!, Number(v)]));
      expect(st.ram).toBe(160 * 1024);
      expect(st.pool_high).toBeLessThanOrEqual(st.pool_total!);
      expect(st.stack_high).toBeLessThan(st.stack_size!);
      expect(st.ota_heap_high).toBeGreaterThan(0);
      for (const line of h.stdout) expect(line).toMatch(/^(RELAY (on|off)|BOOT .*|STATS .*)$/);

      // QEMU again on the same flash file: v2 from slot B, the rollback note gone
      await h.stop();
      from = d.statuses.length;
      h = start();
      s = await d.waitStatus(from, (x) => x.ota === "idle" && x.version === "0.2.0", "v2 after a restart", 40000);
      expect(s.rollback).toBe("");
      await h.until(() => h.stderr.some((l) => /firmware running/.test(l)), "running");
      expect(h.stderr.some((l) => /on trial|rollback/.test(l))).toBe(false);
      expect(record(flash)).toMatchObject({ active: "B", trial: 0 });

      if (rt === "classic") {
        // QEMU stopped while a module (one that never connects) is on trial: rolled back at the next start
        const mark = h.stderr.length;
        await d.offer(images.silent!);
        await h.until(() => h.stderr.slice(mark).some((l) => /firmware running .*on trial/.test(l)), "the silent module on trial", 60000);
        await h.stop();
        expect(record(flash)).toMatchObject({ active: "A", trial: 1, previous: "B" });
        from = d.statuses.length;
        h = start();
        s = await d.waitStatus(from, (x) => x.rollback === "NOT_CONFIRMED 0.4.0", "rollback at boot", 40000);
        expect(s.version).toBe("0.2.0");
        expect(h.stderr.some((l) => /restarted while slot A was on trial/.test(l))).toBe(true);
        expect(record(flash)).toMatchObject({ active: "B", trial: 0, len: [0, images.v2!.length - 64] });
      }
    } catch (e) {
      throw new Error(`${(e as Error).message}\n--- device log (last 40 lines)\n${h.stderr.slice(-40).join("\n")}`);
    }
  }, 300000);
});
