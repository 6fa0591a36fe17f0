/**
 * The bare-metal RV32 image (boards/rv32-qemu: rv32imc/ilp32, WAMR 2.4.3
 * classic interpreter, 160 KiB of RAM for data + bss + WAMR pool + stack, the
 * release firmware.wasm embedded) booted in qemu-system-riscv32 -machine virt,
 * its UART connected to the Node bridge (sim/tools/uart-bridge.ts), which
 * opens the real TCP connection to a mosquitto of the test harness; mqtt.js
 * plays the platform. One boot runs the steps in order: readings that follow
 * the simulated level, a random on/off sequence obeyed in order, a broker
 * SIGKILL + restart survived, and a forced trap (the bridge's "trap") that
 * ends with the relay off and the module running again. Both interpreters,
 * classic and fast, run the whole scenario in the same 160 KiB (the fast one
 * fits since runtime_wamr.c frees its module copy after loading and the wasm
 * stack is 4 KiB on 32-bit targets: docs/RUNTIMES.md, "RAM").
 * The frame codec of docs/UART-MODEM.md is fuzzed on its own below.
 * Nothing is skipped: a missing toolchain or QEMU fails the suite.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { connectAsync, type MqttClient } from "mqtt";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Mosquitto } from "../harness/mosquitto.js";
import { NativeHost } from "../helpers/native-host.js";
import { buildRv32 } from "../helpers/rv32-build.js";
import { encodeFrame, FrameDecoder, MAX_PAYLOAD } from "../../sim/tools/uart-bridge.js";

const IMAGES = { classic: "build/rv32/iotbind-tank-rv32-wamr-classic.elf", fast: "build/rv32/iotbind-tank-rv32-wamr-fast.elf" };
const WASM = "build/firmware.wasm";
const BRIDGE = "dist/sim/tools/uart-bridge.js";
const RAM = 160 * 1024;
const dir = mkdtempSync(join(tmpdir(), "iotbind-rv32-"));
const run = Math.random().toString(36).slice(2, 8);

function need(cmd: string, args: string[], what: string): void {
  try {
    execFileSync(cmd, args, { stdio: "ignore" });
  } catch {
    throw new Error(`${cmd} is missing: ${what} (Debian: ${what}; .ci/run installs it)`);
  }
}

beforeAll(() => {
  need("qemu-system-riscv32", ["--version"], "qemu-system-misc");
  need("riscv64-unknown-elf-gcc", ["--version"], "gcc-riscv64-unknown-elf picolibc-riscv64-unknown-elf");
  buildRv32(); // one build at a time: the other rv32 test file builds too
}, 240000);

/** STATS key=value pairs of the last STATS line. */
function stats(h: NativeHost): Record<string, number> {
  const line = h.stdout.filter((l) => l.startsWith("STATS ")).at(-1) ?? "";
  return Object.fromEntries(line.split(" ").slice(1).map((kv) => kv.split("=")).map(([k, v]) => [k!, Number(v)]));
}

describe.each(["classic", "fast"] as const)("rv32 QEMU image, WAMR %s, 160 KiB RAM, UART modem to mosquitto", (rt) => {
  let broker: Mosquitto;
  let platform: MqttClient | null = null;
  let dev: NativeHost;
  const uid = `rv32-${rt}-${run}`;
  const up = `iotbind/tank/${uid}`;
  const down = `iotbind/tank/${uid}/state`;
  const got: { at: number; msg: Record<string, unknown> }[] = [];
  const readings = (since = 0) => got.filter((g) => g.at >= since && "level" in g.msg);
  const relay = () => dev.stdout.filter((l) => l.startsWith("RELAY "));
  const listen = async (): Promise<MqttClient> => {
    const c = await connectAsync(`mqtt://${broker.info.host}:${broker.info.port}`, { username: broker.info.user, password: broker.info.password });
    c.on("message", (topic, payload) => {
      if (topic === up) got.push({ at: Date.now(), msg: JSON.parse(payload.toString()) as Record<string, unknown> });
    });
    await c.subscribeAsync(up, { qos: 1 });
    return c;
  };
  const command = async (cmd: string) => {
    await platform!.publishAsync(down, JSON.stringify({ uid, cmd }), { qos: 1 });
  };

  beforeAll(async () => {
    broker = await Mosquitto.start();
    platform = await listen();
    const cfg = join(dir, `rv32-${rt}.json`);
    writeFileSync(cfg, JSON.stringify({
      uid, key: `k-${run}`, broker_host: broker.info.host, broker_port: broker.info.port,
      broker_user: broker.info.user, broker_password: broker.info.password, uplink_topic: up, downlink_topic: down,
      sensor: "hc-sr04", trig_pin: 5, echo_pin: 18, relay_pin: 23, empty_distance_mm: 1200, full_distance_mm: 200,
      temperature: "ntc", ntc_channel: 6, pump_mode: "fill", min_on_s: 0, min_off_s: 0,
      reading_interval_ms: 500, min_interval_s: 0, mqtt_backoff_base_ms: 200, mqtt_backoff_cap_ms: 1000,
    }));
    dev = new NativeHost("node", [BRIDGE, "--config", cfg, "--image", IMAGES[rt]], { stdin: true });
  }, 30000);

  afterAll(async () => {
    await dev?.stop();
    await platform?.endAsync(true);
    await broker?.stop();
  });

  it("boots, takes its config over the link and publishes readings that follow the simulated level", async () => {
    await dev.until(() => dev.stdout.some((l) => l.startsWith(`BOOT wamr-${rt}`)), "the BOOT line", 10000);
    expect(dev.stdout.find((l) => l.startsWith("BOOT"))).toMatch(new RegExp(`ram=${RAM}\\b`));
    await dev.until(() => readings().length > 0, "a first reading", 20000);
    expect(readings()[0]!.msg).toMatchObject({ uid, level: "67", temperature: "20.0" });
    const since = Date.now();
    dev.send("level=40");
    await dev.until(() => readings(since).some((g) => g.msg.level === "40"), "a reading of the new level 40", 20000);
    // Line noise and a frame with a wrong checksum: the device drops them and keeps its link.
    const noisy = Date.now();
    for (let i = 0; i < 5; i++) dev.send("!corrupt level=1");
    await new Promise((r) => setTimeout(r, 2000)); // four reading intervals: level 1 would have been published
    dev.send("level=55");
    await dev.until(() => readings(noisy).some((g) => g.msg.level === "55"), "a reading of level 55 after the noise", 20000);
    expect(readings(noisy).map((g) => g.msg.level)).not.toContain("1");
  }, 60000);

  it("obeys a random on/off sequence from the platform, in order", async () => {
    const seq = fc.sample(fc.constantFrom("on", "off"), { numRuns: 6, seed: 0x5eed ^ run.length });
    let expected = relay().at(-1) ?? "RELAY off";
    for (const cmd of seq) {
      const n = relay().length;
      await command(cmd);
      const want = `RELAY ${cmd}`;
      if (want !== expected) await dev.until(() => relay().length > n, `${want}`, 10000);
      else await new Promise((r) => setTimeout(r, 300));
      expect(relay().at(-1) ?? "RELAY off").toBe(want);
      expected = want;
    }
    for (const line of dev.stdout) expect(line).toMatch(/^(RELAY (on|off)|BOOT .*|STATS .*)$/);
  }, 60000);

  it("survives a broker SIGKILL: reconnects through the bridge, publishes and obeys again", async () => {
    await platform!.endAsync(true);
    await broker.kill();
    await new Promise((r) => setTimeout(r, 800));
    await broker.restart();
    const back = Date.now();
    platform = await listen();
    await dev.until(() => readings(back).length > 0, "a reading after the broker came back", 20000);
    await command("off");
    const n = relay().length;
    await command("on");
    await dev.until(() => relay().length > n && relay().at(-1) === "RELAY on", "RELAY on after the restart", 10000);
    expect(dev.stderr.join("\n")).not.toMatch(/trapped|FAULT/);
  }, 60000);

  it("after a forced trap drives the relay off, restarts the module and runs again", async () => {
    expect(relay().at(-1)).toBe("RELAY on");
    const n = relay().length;
    dev.send("trap");
    await dev.until(() => relay().length > n, "RELAY off after the trap", 10000);
    expect(relay().slice(n)).toEqual(["RELAY off"]);
    const trapped = /firmware trapped: .*forced trap \(bridge\); relay off, restarting/;
    await dev.until(() => trapped.test(dev.stderr.join("\n")), "the trap in the log", 5000);
    const after = Date.now();
    await dev.until(() => readings(after).length > 0, "a reading from the restarted module", 20000);
    const m = relay().length;
    await command("on");
    await dev.until(() => relay().length > m, "RELAY on from the restarted module", 10000);
    expect(dev.proc.exitCode).toBeNull();
  }, 60000);

  it("stays within its RAM: WAMR pool high-water below the pool, C stack below its 8 KiB, all in 160 KiB", async () => {
    const before = dev.stdout.filter((l) => l.startsWith("STATS ")).length;
    await dev.until(() => dev.stdout.filter((l) => l.startsWith("STATS ")).length > before, "a STATS line", 15000);
    const s = stats(dev);
    expect(s.ram).toBe(RAM);
    expect(s.pool_high).toBeGreaterThan(statSync(WASM).size); // the pool really holds the module (its copy or its compiled form) and its memory
    expect(s.pool_high).toBeLessThanOrEqual(s.pool_total!);
    expect(s.stack_high).toBeGreaterThan(0);
    expect(s.stack_high).toBeLessThan(s.stack_size!);
    expect(s.static! + s.stack_size!).toBeLessThanOrEqual(RAM);
  }, 30000);
});

describe("UART modem frames (docs/UART-MODEM.md)", () => {
  it("drops a frame with any single-bit error after the sync, and still decodes the frame behind it", () => {
    fc.assert(fc.property(
      fc.integer({ min: 0, max: 255 }), fc.uint8Array({ maxLength: 40 }), fc.integer({ min: 0, max: 255 }), fc.uint8Array({ maxLength: 40 }),
      (ch, payload, ch2, payload2) => {
        const bad = encodeFrame(ch, payload);
        const next = encodeFrame(ch2, payload2);
        for (let bit = 16; bit < bad.length * 8; bit++) { // every bit of len, channel, head, payload and check
          const b = Buffer.from(bad);
          b[bit >> 3] = b[bit >> 3]! ^ (1 << (bit & 7));
          const seen: string[] = [];
          const dec = new FrameDecoder((c, p) => seen.push(`${c}:${p.toString("hex")}`));
          dec.push(Buffer.concat([b, next]));
          expect(seen).toEqual([`${ch2}:${Buffer.from(payload2).toString("hex")}`]);
        }
      }), { numRuns: 60 });
  });

  it("decodes every intact frame, in order, whatever the chunking and the garbage or corrupted frames between them", () => {
    const frame = fc.record({ ch: fc.integer({ min: 0, max: 255 }), payload: fc.uint8Array({ maxLength: MAX_PAYLOAD }) });
    const item = fc.record({ f: frame, noise: fc.uint8Array({ maxLength: 12 }), corrupt: fc.option(fc.nat(), { freq: 4 }) });
    fc.assert(fc.property(fc.array(item, { maxLength: 12 }), fc.array(fc.integer({ min: 1, max: 64 }), { minLength: 1 }), (items, cuts) => {
      const parts: Buffer[] = [];
      const intact: { ch: number; payload: string }[] = [];
      for (const { f, noise, corrupt } of items) {
        const bytes = encodeFrame(f.ch, f.payload);
        if (corrupt !== null) {
          const i = 2 + (corrupt % (bytes.length - 2)); // never the sync bytes: the frame itself must be caught
          bytes[i] = bytes[i]! ^ 0x01;
        } else intact.push({ ch: f.ch, payload: Buffer.from(f.payload).toString("hex") });
        parts.push(Buffer.from(noise.filter((b) => b !== 0xa5)), bytes);
      }
      const all = Buffer.concat(parts);
      const seen: { ch: number; payload: string }[] = [];
      const dec = new FrameDecoder((ch, p) => seen.push({ ch, payload: p.toString("hex") }));
      for (let at = 0, k = 0; at < all.length; k++) {
        const n = cuts[k % cuts.length]!;
        dec.push(all.subarray(at, at + n));
        at += n;
      }
      // A corrupted frame may hide the frame that follows it only if its bytes
      // contained a fake sync; the decoder never invents or reorders frames.
      let j = 0;
      for (const s of seen) {
        while (j < intact.length && (intact[j]!.ch !== s.ch || intact[j]!.payload !== s.payload)) j++;
        expect(j).toBeLessThan(intact.length);
        j++;
      }
      if (items.every((i) => i.corrupt === null)) expect(seen).toEqual(intact);
    }), { numRuns: 200 });
  });
});
