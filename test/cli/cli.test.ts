/**
 * `npm start` smoke test: the built CLI (dist/sim/cli.js) with the embedded
 * broker, in virtual time, as machine-readable JSON lines; and a clean
 * Ctrl-C (SIGINT) against a real mosquitto, whose log must show each
 * device's MQTT DISCONNECT (mosquitto logs "Client … disconnected." only for
 * a DISCONNECT packet, "closed its connection" otherwise).
 */
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { parseCli, parseDuration } from "../../sim/cli.js";
import { PACKAGE_ROOT } from "../../sim/paths.js";
import { Mosquitto } from "../harness/mosquitto.js";

const CLI = join(PACKAGE_ROOT, "dist", "sim", "cli.js");
const SOURCES = ["cli.ts", "simulation.ts", "scheduler.ts", "view/terminal.ts", "view/lines.ts", "scenarios/runner.ts", "host/device.ts"].map((f) => join(PACKAGE_ROOT, "sim", f));

beforeAll(() => {
  // `npm test` builds first; when run alone, rebuild a missing or stale dist.
  const built = existsSync(CLI) ? statSync(CLI).mtimeMs : 0;
  if (SOURCES.some((f) => statSync(f).mtimeMs > built)) {
    spawnSync(process.execPath, [join(PACKAGE_ROOT, "node_modules", "typescript", "bin", "tsc"), "-p", join(PACKAGE_ROOT, "tsconfig.json")], { stdio: "ignore" });
  }
  expect(existsSync(CLI), "dist/sim/cli.js (npm run build:ts)").toBe(true);
}, 120_000);

interface Run {
  code: number | null;
  signal: NodeJS.Signals | null;
  events: Array<Record<string, unknown>>;
  stderr: string;
}

function runCli(args: string[], o: { onLine?: (e: Record<string, unknown>, kill: (s: NodeJS.Signals) => void) => void; timeoutMs?: number } = {}): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { cwd: PACKAGE_ROOT, stdio: ["ignore", "pipe", "pipe"] });
    const events: Array<Record<string, unknown>> = [];
    let buf = "";
    let stderr = "";
    const timer = setTimeout(() => { child.kill("SIGKILL"); reject(new Error(`CLI did not exit within ${o.timeoutMs ?? 30000} ms; stderr: ${stderr}`)); }, o.timeoutMs ?? 30_000);
    child.stdout.on("data", (d: Buffer) => {
      buf += d.toString();
      let i: number;
      while ((i = buf.indexOf("\n")) >= 0) {
        const line = buf.slice(0, i);
        buf = buf.slice(i + 1);
        if (!line.trim()) continue;
        const e = JSON.parse(line) as Record<string, unknown>; // every line must be JSON
        events.push(e);
        o.onLine?.(e, (s) => child.kill(s));
      }
    });
    child.stderr.on("data", (d: Buffer) => { stderr += d.toString(); });
    child.on("exit", (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, events, stderr });
    });
  });
}

describe("iotbind-tank sim (built CLI)", () => {
  it("shows a simulated tank being filled and drained: publishes, relay changes, clean exit", async () => {
    const r = await runCli(["sim", "--duration", "1h", "--speed", "max", "--json", "--no-web", "--prefix", `smoke${process.pid}`]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    const kinds = (k: string) => r.events.filter((e) => e.event === k);
    expect(kinds("broker")[0]).toMatchObject({ state: "up" });
    expect(kinds("conn").some((e) => e.state === "CONNECTED")).toBe(true);
    const publishes = kinds("publish");
    expect(publishes.length).toBeGreaterThan(10);
    expect(publishes.some((e) => String(e.topic).startsWith("iotbind/tank/") && /"level":/.test(String(e.payload)))).toBe(true);
    const relay = kinds("relay");
    expect(relay.some((e) => e.on === true)).toBe(true);
    expect(relay.some((e) => e.on === false)).toBe(true);
    expect(kinds("platform").some((e) => e.kind === "reading")).toBe(true);
    expect(kinds("summary")).toHaveLength(1);
    // the summary agrees with the last relay event printed (the device's final state, after shutdown)
    expect(kinds("summary")[0]!.relay).toBe(relay[relay.length - 1]!.on);
    const stopIdx = r.events.findIndex((e) => e.event === "summary");
    expect(r.events.slice(stopIdx).some((e) => e.event === "relay")).toBe(false);
    expect(r.events[r.events.length - 1]).toMatchObject({ event: "stopped", reason: "duration reached" });
    expect(kinds("trap")).toHaveLength(0);
  }, 60_000);

  it("stops cleanly on Ctrl-C: every device sends MQTT DISCONNECT to mosquitto, exit code 0", async () => {
    const m = await Mosquitto.start(); // its own broker, so its log holds only this run's clients
    try {
      let signalled = false;
      const published = new Set<string>();
      const r = await runCli(
        ["sim", "--devices", "2", "--speed", "60", "--json", "--no-web", "--broker", `mqtt://${m.info.host}:${m.info.port}`, "--user", m.info.user, "--password", m.info.password],
        {
          onLine: (e, kill) => {
            // boots are staggered (the second device starts 30 s virtual later): wait for a reading from both
            if (e.event === "publish" && /"level":/.test(String(e.payload))) published.add(String(e.uid));
            if (!signalled && published.size === 2) {
              signalled = true;
              kill("SIGINT");
            }
          },
        },
      );
      expect(signalled).toBe(true);
      expect(r.code).toBe(0);
      expect(r.events[r.events.length - 1]).toMatchObject({ event: "stopped", reason: "SIGINT" });
      await new Promise((res) => setTimeout(res, 300));
      const log = m.log();
      // Device client ids are "iotbind-" + 9 characters; the platform emulator's is "iotbind-platform-…".
      const devices = [...new Set([...log.matchAll(/New client connected from \S+ as (iotbind-[0-9a-z]{9}) /g)].map((x) => x[1]!))];
      expect(devices).toHaveLength(2);
      for (const id of devices) {
        expect(log, `${id} sent DISCONNECT`).toContain(`Client ${id} disconnected.`);
        expect(log, log).not.toContain(`Client ${id} closed its connection`);
      }
    } finally {
      await m.stop();
    }
  }, 60_000);

  it("--shard K/N --workers W --summary FILE: the shards of a fleet run disjoint slices and write machine-readable summaries", async () => {
    const m = await Mosquitto.start();
    const dir = mkdtempSync(join(tmpdir(), "iotbind-cli-shard-"));
    try {
      const prefix = `cs${process.pid}`;
      const runs = await Promise.all([1, 2].map((k) => runCli([
        "sim", "--devices", "5", "--shard", `${k}/2`, "--speed", "60", "--duration", "90s", "--json", "--no-web", "--no-platform", "--prefix", prefix,
        ...(k === 2 ? ["--workers", "2"] : []),
        "--summary", join(dir, `s${k}.json`), "--broker", `mqtt://${m.info.host}:${m.info.port}`, "--user", m.info.user, "--password", m.info.password,
      ], { timeoutMs: 60_000 })));
      const uids: string[] = [];
      for (const [i, r] of runs.entries()) {
        expect(r.code, r.stderr).toBe(0);
        const sum = JSON.parse(readFileSync(join(dir, `s${i + 1}.json`), "utf8")) as { devices: number; shard: { k: number; n: number }; workers: number; messages: { uplinks: number }; disconnects: Record<string, number>; reason: string };
        expect(sum.shard).toEqual({ k: i + 1, n: 2 });
        expect(sum.devices).toBe(i === 0 ? 2 : 3);
        expect(sum.workers).toBe(i === 0 ? 0 : 2);
        expect(sum.messages.uplinks).toBeGreaterThanOrEqual(sum.devices); // boots are staggered over 60 s: all have booted by 90 s
        expect(sum.reason).toBe("duration reached");
        uids.push(...r.events.filter((e) => e.event === "summary" && typeof e.uid === "string").map((e) => String(e.uid)));
      }
      expect(uids.sort()).toEqual([1, 2, 3, 4, 5].map((i) => `${prefix}-00${i}`));
    } finally {
      rmSync(dir, { recursive: true, force: true });
      await m.stop();
    }
  }, 90_000);

  it("runs a built-in scenario and exits 0 when its expectations are met", async () => {
    const r = await runCli(["sim", "--scenario", "platform-switch", "--json", "--no-web", "--out", "test-artifacts/cli-scenarios", "--prefix", `clisc${process.pid}`], { timeoutMs: 60_000 });
    expect(r.code).toBe(0);
    const done = r.events.find((e) => e.event === "scenario" && e.state === "done");
    expect(done).toMatchObject({ name: "platform-switch", passed: true });
    expect(existsSync(join(PACKAGE_ROOT, "test-artifacts/cli-scenarios/platform-switch/plot.svg"))).toBe(true);
  }, 60_000);

  it("parses its options", () => {
    expect(parseDuration("90")).toBe(90);
    expect(parseDuration("10m")).toBe(600);
    expect(parseDuration("2h")).toBe(7200);
    expect(parseDuration("1d")).toBe(86400);
    expect(() => parseDuration("soon")).toThrow();
    const o = parseCli(["sim", "--devices", "5", "--speed", "max", "--no-platform", "--no-web", "--json", "--seed", "7"])!;
    expect(o).toMatchObject({ devices: 5, speed: Infinity, platform: false, web: false, json: true, seed: "7" });
    expect(parseCli(["--help"])).toBeNull();
    expect(() => parseCli(["sim", "--devices", "0"])).toThrow();
    expect(() => parseCli(["sim", "--speed", "-1"])).toThrow();
    expect(() => parseCli(["frobnicate"])).toThrow();
    expect(parseCli(["sim", "--broker-port", "1884", "--keep-trying"])).toMatchObject({ brokerPort: 1884, keepTrying: true });
    expect(parseCli(["sim"])!.out).not.toMatch(/test-artifacts/);
  });
});
