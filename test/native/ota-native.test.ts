/**
 * OTA on the posix C hosts (boards/host/ota.c, ota_verify.c,
 * platform/posix/ota_posix.c), against the harness's real mosquitto, with the
 * release firmware and images signed here with keys made here (openssl):
 *
 * on WAMR classic, WAMR fast and wasm3 (the hosts that load their module at run time):
 *   - an image signed by another key, a truncated one and one flipped after
 *     signing are each refused with their reason, and v1 keeps running;
 *   - a v2 (the firmware rebuilt with version 0.2.0), signed and pushed with
 *     the operator's CLI (`iotbind-tank ota sign`, `ota push`), is staged,
 *     activated, confirmed, reported as the running version, and the CLI's
 *     summary says "updated";
 *   - the relay, switched on by the platform, is off across the switch;
 *   - signed modules that trap in init (INIT_TRAPPED), report ABI 1
 *     (INSTANTIATE_FAILED), refuse the config (INIT_REFUSED), trap in tick
 *     (TRAPPED) or never connect (NOT_CONFIRMED after --ota-confirm-s) are
 *     rolled back to v2, which reports the reason, and a host killed while a
 *     module is on trial rolls back at boot;
 *   - the slot state file says where the host is after each step.
 * on wasm2c (module compiled in): ota_begin answers UNSUPPORTED, reported by
 * the firmware; --ota-public-key is refused at start.
 *
 * v2 is a rebuild (asc --use FW_VERSION=512, as build:wasm does with
 * package.json's version). The failing modules are the release module edited
 * with wabt (wasm2wat, one function changed, wat2wasm): fw_version() 0.3.0 …
 * 0.8.0 (the host names it in the rollback reason), `unreachable` first in
 * init or tick, abi_version() 1, init returning -3, or a tick that returns at
 * once (never connects).
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, inject, it } from "vitest";
import { NativeHost } from "../helpers/native-host.js";
import { signImage } from "../helpers/ota-wire.js";
import { flipBit, otaCli, otaKeys, otaSession, RELEASE, variant as variantIn, withVersion } from "../helpers/ota-fixtures.js";
import { RUNTIMES } from "../helpers/runtimes.js";

const broker = inject("broker");
const dir = mkdtempSync(join(tmpdir(), "iotbind-ota-native-"));
const run = Math.random().toString(36).slice(2, 8);
const CONFIRM_S = 5;
const variant = (name: string, edit: Parameters<typeof variantIn>[2]) => variantIn(dir, name, edit);

let key = "";
let otherKey = "";
type ImageName = "v2" | "wrongKey" | "truncated" | "flipped" | "abiV1" | "initRefuses" | "initTraps" | "silent" | "silentKilled" | "tickTraps";
const images = {} as Record<ImageName, Buffer>;

beforeAll(() => {
  ({ key, otherKey } = otaKeys(dir));

  execFileSync("npx", ["asc", "assembly/index.ts", "--target", "release", "--transform", "./transform/ascii.mjs",
    "--use", "FW_VERSION=512", "-o", join(dir, "v2.wasm")], { stdio: ["ignore", "pipe", "pipe"] });
  const v2 = readFileSync(join(dir, "v2.wasm"));
  const traps = variant("init-traps", (w, fn) => withVersion(w, fn, [0, 3, 0]).replace(fn("init"), "$1    unreachable\n"));
  const silent = (v: [number, number, number]) =>
    variant(`silent-${v.join(".")}`, (w, fn) => withVersion(w, fn, v).replace(fn("tick"), "$1    i32.const 1000\n    return\n"));
  images.v2 = signImage(v2, key);
  images.wrongKey = signImage(v2, otherKey);
  images.truncated = images.v2.subarray(0, images.v2.length - 100);
  images.flipped = flipBit(images.v2, Math.floor(Math.random() * v2.length), Math.floor(Math.random() * 8));
  images.initTraps = signImage(traps, key);
  images.silent = signImage(silent([0, 4, 0]), key);
  images.abiV1 = signImage(variant("abi-v1", (w, fn) => withVersion(w, fn, [0, 6, 0]).replace(fn("abi_version"), "$1    i32.const 1\n    return\n")), key);
  images.initRefuses = signImage(variant("init-refuses", (w, fn) => withVersion(w, fn, [0, 7, 0]).replace(fn("init"), "$1    i32.const -3\n    return\n")), key);
  images.tickTraps = signImage(variant("tick-traps", (w, fn) => withVersion(w, fn, [0, 8, 0]).replace(fn("tick"), "$1    unreachable\n")), key);
  images.silentKilled = signImage(silent([0, 5, 0]), key);
}, 120000);

function config(uid: string): string {
  const path = join(dir, `${uid}.json`);
  writeFileSync(path, JSON.stringify({
    uid, key: `k-${run}`, client_id: uid,
    broker_host: broker.host, broker_port: broker.port, broker_user: broker.user, broker_password: broker.password,
    uplink_topic: `iotbind/tank/${uid}`, downlink_topic: `iotbind/tank/${uid}/state`,
    sensor: "hc-sr04", trig_pin: 5, echo_pin: 18, relay_pin: 23, empty_distance_mm: 1200, full_distance_mm: 200,
    pump_mode: "fill", min_on_s: 0, min_off_s: 0, reading_interval_ms: 1000, min_interval_s: 0,
  }));
  return path;
}

const { hosts, sender: device } = otaSession(broker);

const state = (otaDir: string) => readFileSync(join(otaDir, "state"), "utf8").trim();
const stderrHas = (h: NativeHost, re: RegExp) => h.stderr.some((l) => re.test(l));

const cli = otaCli;
const brokerArgs = () => ["--broker", `mqtt://${broker.host}:${broker.port}`, "--user", broker.user, "--password", broker.password];

const LOADERS = RUNTIMES.filter((r) => r.loads);

describe.each(LOADERS)("OTA on the posix $name host", (rt) => {
  const uid = `ota-${run}-${rt.name.replace(/[^a-z0-9]/g, "")}`;
  const otaDir = mkdtempSync(join(dir, `slots-${rt.name}-`));
  const args = ["--wasm", RELEASE, "--ota-dir", otaDir, "--ota-public-key", join(dir, "ota-public.pem"),
    "--ota-confirm-s", String(CONFIRM_S), "--kv", join(otaDir, "kv.txt"), "--level", "40"];
  const start = () => {
    const h = new NativeHost(rt.bin, [...args, config(uid)]);
    hosts.push(h);
    return h;
  };

  it("refuses bad images by name, runs a CLI-pushed v2 (relay off across the switch), rolls back each kind of failed trial and a host killed on trial", async () => {
    const d = await device(uid);
    let h = start();
    try {
    await d.waitStatus(0, (s) => s.version === "0.1.0" && s.ota === "idle" && s.abi === 2, "v1's first status");

    for (const [name, image, reasons] of [
      ["wrong key", images.wrongKey, ["BAD_SIGNATURE"]],
      ["truncated", images.truncated, ["BAD_SIGNATURE", "TRUNCATED"]],
      ["flipped", images.flipped, ["BAD_SIGNATURE"]],
    ] as const) {
      const from = d.statuses.length;
      await d.offer(image);
      const s = await d.waitStatus(from, (x) => x.ota === "refused", `${name}: refused`);
      expect(reasons, name).toContain(s.error);
      expect(s.version, name).toBe("0.1.0");
    }
    expect(stderrHas(h, /on trial/)).toBe(false);
    expect(state(otaDir)).toMatch(/^active=A trial=0 /);

    // the pump on (platform downlink), then v2, signed and pushed by the CLI:
    // staged, switched to with the relay off, confirmed, reported
    await d.client.publishAsync(`iotbind/tank/${uid}/state`, JSON.stringify({ uid, name: "Tank", type: "Water Level", cmd: "on",
      level: "40", level_unit: "%", temperature: "20.0", temperature_unit: "C" }), { qos: 1 });
    await h.until(() => h.relayLines().at(-1) === "RELAY on", "RELAY on");
    const relayMark = h.relayLines().length;
    let from = d.statuses.length;
    const signed = join(dir, `v2-${rt.name}.signed`);
    const sign = await cli("sign", "--key", join(dir, "ota-private.pem"), join(dir, "v2.wasm"), "-o", signed);
    expect(sign.code, sign.err).toBe(0);
    const pushed = Date.now();
    const push = await cli("push", ...brokerArgs(), "--device", uid, signed, "--timeout-s", "60");
    expect(push.code, `${push.out}\n${push.err}`).toBe(0);
    expect(push.out).toMatch(/1 updated, 0 rolled back, 0 failed/);
    await d.waitStatus(from, (s) => s.version === "0.2.0" && s.ota === "idle", "v2 running");
    await h.until(() => stderrHas(h, /ota: slot B \(0\.2\.0\) confirmed/), "v2 confirmed", CONFIRM_S * 1000 + 5000);
    console.info(`${rt.name}: ${images.v2.length}-byte signed image, CLI push start to confirmed v2 in ${Date.now() - pushed} ms`);
    expect(h.relayLines().slice(relayMark)[0], "the relay is off across the switch").toBe("RELAY off");
    expect(state(otaDir)).toMatch(/^active=B trial=0 previous=A len_a=0 len_b=\d+ version=512$/);

    // a module that traps in init, pushed by the CLI: back to v2, which reports why
    from = d.statuses.length;
    writeFileSync(join(dir, `traps-${rt.name}.signed`), images.initTraps);
    const back = await cli("push", ...brokerArgs(), "--device", uid, join(dir, `traps-${rt.name}.signed`), "--timeout-s", "60");
    expect(back.code).not.toBe(0);
    expect(back.out).toMatch(/rolled-back +INIT_TRAPPED 0\.3\.0/);
    let s = await d.waitStatus(from, (x) => x.rollback !== "" && x.version === "0.2.0", "rollback after INIT_TRAPPED");
    expect(s.rollback).toBe("INIT_TRAPPED 0.3.0");
    expect(state(otaDir)).toMatch(/^active=B trial=0 /);

    // every other way a trial fails, each rolled back to v2 with its reason
    for (const [image, reason] of [
      [images.abiV1, "INSTANTIATE_FAILED 0.6.0"],
      [images.initRefuses, "INIT_REFUSED 0.7.0"],
      [images.tickTraps, "TRAPPED 0.8.0"],
    ] as const) {
      from = d.statuses.length;
      await d.offer(image);
      s = await d.waitStatus(from, (x) => x.rollback === reason, `rollback ${reason}`);
      expect(s.version, reason).toBe("0.2.0");
      expect(state(otaDir), reason).toMatch(/^active=B trial=0 /);
    }

    // a module that never connects: rolled back after the confirm bound
    from = d.statuses.length;
    const t0 = Date.now();
    await d.offer(images.silent);
    s = await d.waitStatus(from, (x) => x.rollback === "NOT_CONFIRMED 0.4.0", "rollback after NOT_CONFIRMED", 30000);
    expect(s.version).toBe("0.2.0");
    expect(Date.now() - t0).toBeGreaterThanOrEqual(CONFIRM_S * 1000);

    // killed while on trial: rollback at the next boot
    const mark = h.stderr.length;
    await d.offer(images.silentKilled);
    await h.until(() => h.stderr.slice(mark).some((l) => /firmware running .*on trial/.test(l)), "the silent module running on trial", 20000);
    h.proc.kill("SIGKILL");
    await h.exited;
    expect(state(otaDir)).toMatch(/^active=A trial=1 previous=B /);
    from = d.statuses.length;
    h = start();
    s = await d.waitStatus(from, (x) => x.rollback === "NOT_CONFIRMED 0.5.0", "rollback at boot");
    expect(s.version).toBe("0.2.0");
    expect(stderrHas(h, /restarted while slot A was on trial/)).toBe(true);
    expect(state(otaDir)).toMatch(/^active=B trial=0 /);
    for (const line of h.stdout) expect(line).toMatch(/^RELAY (on|off)$/);
    } catch (e) {
      throw new Error(`${(e as Error).message}\n--- host stderr (last 40 lines)\n${h.stderr.slice(-40).join("\n")}`);
    }
  }, 180000);
});

describe("OTA on the posix wasm2c host (module compiled in)", () => {
  const rt = RUNTIMES.find((r) => r.name === "wasm2c")!;
  it("answers UNSUPPORTED, which the firmware reports, and refuses --ota-public-key at start", async () => {
    const bad = new NativeHost(rt.bin, ["--ota-dir", dir, "--ota-public-key", join(dir, "ota-public.pem"), config("x")]);
    expect(await bad.exited).toBe(1);
    expect(bad.stderr.join("\n")).toMatch(/has no OTA/);

    const uid = `ota-${run}-wasm2c`;
    const d = await device(uid);
    const h = new NativeHost(rt.bin, [config(uid)]);
    hosts.push(h);
    try {
      await d.waitStatus(0, (s) => s.version === "0.1.0", "first status");
      const from = d.statuses.length;
      await d.offer(images.v2);
      const s = await d.waitStatus(from, (x) => x.ota === "refused", "refused");
      expect(s.error).toBe("UNSUPPORTED");
      expect(s.version).toBe("0.1.0");
    } catch (e) {
      throw new Error(`${(e as Error).message}\n--- host stderr (last 40 lines)\n${h.stderr.slice(-40).join("\n")}`);
    }
  }, 60000);
});
