/**
 * The bare-metal RV32 image (boards/rv32-qemu) measured in QEMU: image sizes
 * (riscv64-unknown-elf-size), RAM (static .data + .bss without the pool,
 * WAMR pool high-water, C stack high-water by painting), and instructions on
 * the RV32 core: QEMU with `-icount shift=0`, where minstret counts retired
 * instructions exactly (this Debian QEMU ships no TCG plugins). The image
 * reports the figures itself (CH_EVENT "STATS …", boards/rv32-qemu/main.c):
 * per window between two sleeps (= one tick and the host loop around it),
 * minus the instructions busy-waited in delay_us / pulse_in (the simulated
 * echo time, which a real MCU spends waiting too).
 *   idle tick     median window with no ping, no send and no received data
 *   reading cycle all other windows from one reading's first ping to the
 *                 next reading's (5 pings, the PUBLISH, the PUBACK …)
 *   boot          the first window: load + instantiate + config parse + init + first tick
 * Both interpreters are measured in the same 160 KiB image layout, with OTA
 * on (a flash file provisioned with a key made here): 10 s into the run (not
 * with --smoke) the release module, signed, is pushed to the device (offer -> staged -> the new
 * instance's first status, `otaMs`), so the pool and stack high-water marks
 * include the signature check and the switch (docs/OTA.md, "RV32 image").
 */
import { execFileSync } from "node:child_process";
import { generateKeyPairSync } from "node:crypto";
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { packagePath } from "../sim/paths.js";
import { prepareFlash } from "../sim/tools/uart-bridge.js";
import { NativeHost } from "../test/helpers/native-host.js";
import { buildRv32 } from "../test/helpers/rv32-build.js";
import { connectSender, signImage } from "../test/helpers/ota-wire.js";
import type { BrokerInfo } from "../test/harness/mosquitto.js";

export interface Rv32Image {
  runtime: string;
  ramKiB: number;
  text: number;
  data: number;
  bss: number;
  poolBytes: number;
  stackBytes: number;
  /** .data + .bss without the pool and the stack */
  staticBytes: number;
  stats: Record<string, number>;
  /** OTA push of the signed release module: offer -> the new instance's first status, ms; undefined when it failed */
  otaMs?: number;
  fits: boolean;
  error?: string;
}
export interface Rv32Result {
  qemu: string;
  gcc: string;
  seconds: number;
  images: Rv32Image[];
}

const ELF = (out: string, rt: string) => join(out, `iotbind-tank-rv32-wamr-${rt}.elf`);

function sizes(elf: string): { text: number; data: number; bss: number } {
  const line = execFileSync("riscv64-unknown-elf-size", [elf], { encoding: "utf8" }).trim().split("\n")[1]!.trim().split(/\s+/);
  return { text: Number(line[0]), data: Number(line[1]), bss: Number(line[2]) };
}

function makeVar(name: string): number {
  const out = execFileSync("make", ["-s", "-C", packagePath("boards"), "--eval", `print-%: ; @echo $($*)`, `print-${name}`], { encoding: "utf8" });
  return Number(out.trim());
}

async function runImage(elf: string, broker: BrokerInfo, seconds: number, ota: boolean, log: (s: string) => void): Promise<{ stats: Record<string, number>; otaMs?: number; error?: string }> {
  const cfg = packagePath("build", "rv32", "bench-config.json");
  const flash = packagePath("build", "rv32", "bench-flash.bin");
  const uid = `rv32-bench-${process.pid}`;
  const keys = generateKeyPairSync("ec", { namedCurve: "prime256v1" });
  rmSync(flash, { force: true });
  prepareFlash(flash, { publicKey: keys.publicKey.export({ type: "spki", format: "pem" }).toString(), confirmS: 60 });
  const image = signImage(readFileSync(packagePath("build", "firmware.wasm")), keys.privateKey.export({ type: "pkcs8", format: "pem" }).toString());
  const dev = await connectSender(broker, uid, `rv32-bench-sender-${process.pid}`);
  writeFileSync(cfg, JSON.stringify({
    uid, key: "bench", client_id: uid, broker_host: broker.host, broker_port: broker.port, broker_user: broker.user, broker_password: broker.password,
    uplink_topic: `iotbind/tank/${uid}`, downlink_topic: `iotbind/tank/${uid}/state`,
    sensor: "hc-sr04", trig_pin: 5, echo_pin: 18, relay_pin: 23, empty_distance_mm: 1200, full_distance_mm: 200,
    temperature: "ntc", ntc_channel: 6, pump_mode: "fill", reading_interval_ms: 5000, min_interval_s: 0,
  }));
  const h = new NativeHost("node", [packagePath("dist", "sim", "tools", "uart-bridge.js"), "--config", cfg, "--image", elf, "--icount", "--flash", flash], { stdin: true });
  const statsLines = () => h.stdout.filter((l) => l.startsWith("STATS "));
  try {
    const t0 = Date.now();
    let level = 67;
    // Change the level now and then so readings publish.
    const wiggle = setInterval(() => { level = level === 67 ? 60 : 67; h.send(`level=${level}`); }, 4000);
    let otaMs: number | undefined;
    if (ota) try {
      await dev.waitStatus(0, (s) => s.ota === "idle", "the first status", 30000);
      await new Promise((r) => setTimeout(r, 10000)); // a few idle ticks first
      const from = dev.statuses.length;
      const t = Date.now();
      await dev.offer(image);
      await dev.waitStatus(from, (s) => s.ota === "staged", "staged", 60000);
      const staged = dev.statuses.length;
      await dev.waitStatus(staged, (s) => s.ota === "idle", "the new instance's status", 60000);
      otaMs = Date.now() - t;
      await h.until(() => h.stderr.some((l) => /ota: slot B .* confirmed/.test(l)), "confirmed", 60000);
    } catch (e) {
      log(`rv32 ${elf}: OTA push failed: ${(e as Error).message.split("\n")[0]}`);
    }
    const pushedAt = statsLines().length;
    // the last STATS line after the push: its high-water marks include the verify and the switch
    await h.until(() => h.proc.exitCode !== null || (Date.now() - t0 > seconds * 1000 && statsLines().length >= Math.max(2, pushedAt + 1)), "STATS", (seconds + 90) * 1000).finally(() => clearInterval(wiggle));
    const line = statsLines().at(-1) ?? "";
    const stats = Object.fromEntries(line.split(" ").slice(1).map((kv) => kv.split("=")).map(([k, v]) => [k!, Number(v)]));
    const err = h.stderr.find((l) => /cannot instantiate|FAULT|rollback/.test(l));
    log(`rv32 ${elf}: ${line}; OTA ${otaMs ?? "failed"} ms`);
    return { stats, ...(otaMs !== undefined ? { otaMs } : {}), ...(err ? { error: err.replace(/^\[[ .\d]+\] /, "") } : {}) };
  } finally {
    await h.stop();
    await dev.client.endAsync();
  }
}

/** `ota`: push one signed update during each run (off in --smoke, which only checks that the bench runs; test/native/rv32-ota.test.ts tests OTA). */
export async function measureRv32(broker: BrokerInfo, log: (s: string) => void, o: { seconds: number; ota: boolean }): Promise<Rv32Result> {
  buildRv32();
  const ram = makeVar("RV32_RAM_KIB");
  const stack = makeVar("RV32_STACK_KIB") * 1024;
  const images: Rv32Image[] = [];
  const variants: Array<[string, string, number, number]> = [
    ["classic", packagePath("build", "rv32"), ram, makeVar("RV32_POOL_classic")],
    ["fast", packagePath("build", "rv32"), ram, makeVar("RV32_POOL_fast")],
  ];
  for (const [rt, dir, kib, pool] of variants) {
    const elf = ELF(dir, rt);
    const s = sizes(elf);
    const run = await runImage(elf, broker, o.seconds, o.ota, log);
    images.push({
      runtime: `wamr-${rt}`, ramKiB: kib, ...s, poolBytes: pool, stackBytes: stack,
      staticBytes: s.data + s.bss - pool - stack, stats: run.stats, ...(run.otaMs !== undefined ? { otaMs: run.otaMs } : {}),
      fits: !run.error && (!o.ota || run.otaMs !== undefined),
      ...(run.error ? { error: run.error } : o.ota && run.otaMs === undefined ? { error: "the OTA push failed" } : {}),
    });
  }
  return {
    qemu: execFileSync("qemu-system-riscv32", ["--version"], { encoding: "utf8" }).split("\n")[0]!,
    gcc: execFileSync("riscv64-unknown-elf-gcc", ["--version"], { encoding: "utf8" }).split("\n")[0]!,
    seconds: o.seconds,
    images,
  };
}
