/**
 * The npm package as a user gets it. A copy of the working tree without
 * build output (what a fresh clone has) is packed with `npm pack`, whose
 * `prepack` must build dist/ and build/firmware.wasm; the tarball's contents
 * are checked; it is installed into a fresh ESM project without touching the
 * registry (`npm ci --offline` from a lockfile derived from this repo's, so
 * only the package's runtime dependencies come along, from the npm cache that
 * `npm ci` filled); the README's embedding examples, extracted from README.md
 * itself, are compiled there with `tsc --strict`, `module: nodenext`, and run
 * against the real mosquitto, with and without a reachable broker.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { createHash } from "node:crypto";
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterAll, beforeAll, describe, expect, inject, it } from "vitest";
import mqtt from "mqtt";
import { PACKAGE_ROOT } from "../../sim/paths.js";
import { freePort } from "../harness/mosquitto.js";

const broker = inject("broker");
const TSC = join(PACKAGE_ROOT, "node_modules", "typescript", "bin", "tsc");

let work = "";
let tarball = "";
let entries: string[] = [];
let project = "";

function run(cmd: string, args: string[], cwd: string, timeoutMs = 240_000): string {
  const r = spawnSync(cmd, args, { cwd, encoding: "utf8", timeout: timeoutMs, env: { ...process.env, npm_config_update_notifier: "false" } });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(" ")} (in ${cwd}) exited ${r.status ?? r.signal}:\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

/** The ```ts <file> blocks of README.md: file name and source. */
export function readmeExamples(markdown: string): { file: string; source: string }[] {
  const out: { file: string; source: string }[] = [];
  const re = /^```(ts|typescript)([^\n]*)\n([\s\S]*?)^```$/gm;
  for (let m = re.exec(markdown); m; m = re.exec(markdown)) {
    const file = m[2]!.trim();
    out.push({ file, source: m[3]! });
  }
  return out;
}

/** A child process whose output can be awaited line by line. */
class Program {
  readonly proc: ChildProcess;
  out = "";
  err = "";
  readonly exited: Promise<number | null>;

  constructor(script: string, cwd: string, env: Record<string, string>) {
    this.proc = spawn(process.execPath, [script], { cwd, env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
    this.proc.stdout!.on("data", (d: Buffer) => { this.out += d.toString(); });
    this.proc.stderr!.on("data", (d: Buffer) => { this.err += d.toString(); });
    this.exited = new Promise((resolve) => this.proc.once("exit", (code) => resolve(code)));
  }

  async waitFor(re: RegExp, timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!re.test(this.out)) {
      if (this.proc.exitCode !== null) throw new Error(`exited ${this.proc.exitCode} before printing ${re}:\n${this.out}\n${this.err}`);
      if (Date.now() > deadline) throw new Error(`no ${re} within ${timeoutMs} ms:\n${this.out}\n${this.err}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  /** Ctrl-C, then the exit code (fails after `timeoutMs`). */
  async interrupt(timeoutMs = 5000): Promise<number | null> {
    this.proc.kill("SIGINT");
    return this.exitWithin(timeoutMs);
  }

  async exitWithin(timeoutMs: number): Promise<number | null> {
    const timer = new Promise<"timeout">((r) => setTimeout(() => r("timeout"), timeoutMs).unref());
    const code = await Promise.race([this.exited, timer]);
    if (code === "timeout") {
      this.proc.kill("SIGKILL");
      throw new Error(`did not exit within ${timeoutMs} ms:\n${this.out}\n${this.err}`);
    }
    return code;
  }
}

beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), "iotbind-pack-"));
  // A fresh clone: the tracked and untracked-but-not-ignored files, no dist/ or build/.
  const src = join(work, "src");
  const files = run("git", ["ls-files", "-z", "--cached", "--others", "--exclude-standard"], PACKAGE_ROOT).split("\0").filter(Boolean);
  for (const f of files) {
    if (!existsSync(join(PACKAGE_ROOT, f))) continue; // deleted in the working tree
    mkdirSync(dirname(join(src, f)), { recursive: true });
    cpSync(join(PACKAGE_ROOT, f), join(src, f));
  }
  expect(existsSync(join(src, "dist")) || existsSync(join(src, "build")), "the copy has no build output").toBe(false);
  symlinkSync(join(PACKAGE_ROOT, "node_modules"), join(src, "node_modules"), "dir");
  run("npm", ["pack", "--silent", "--pack-destination", work], src);
  const tgz = readdirSync(work).filter((f) => f.endsWith(".tgz"));
  expect(tgz).toHaveLength(1);
  tarball = join(work, tgz[0]!);
  entries = run("tar", ["-tzf", tarball], work).split("\n").filter(Boolean).map((p) => p.replace(/^package\//, ""));

  // The user's project: ESM, the tarball as its only dependency.
  project = join(work, "app");
  mkdirSync(project);
  const pkg = JSON.parse(run("tar", ["-xOzf", tarball, "package/package.json"], work)) as Record<string, unknown>;
  const rel = `file:../${tgz[0]}`;
  writeFileSync(join(project, "package.json"), JSON.stringify({ name: "app", private: true, type: "module", dependencies: { "iotbind-tank": rel } }, null, 2));
  // The lockfile: the package, and the production part of this repo's lock (the same dependencies, already in the npm cache).
  const lock = JSON.parse(readFileSync(join(PACKAGE_ROOT, "package-lock.json"), "utf8")) as { packages: Record<string, { dev?: boolean; devOptional?: boolean }> };
  const packages: Record<string, unknown> = {
    "": { name: "app", dependencies: { "iotbind-tank": rel } },
    "node_modules/iotbind-tank": {
      version: pkg.version, resolved: rel, license: pkg.license,
      integrity: `sha512-${createHash("sha512").update(readFileSync(tarball)).digest("base64")}`,
      dependencies: pkg.dependencies, peerDependencies: pkg.peerDependencies, peerDependenciesMeta: pkg.peerDependenciesMeta,
      bin: pkg.bin, engines: pkg.engines,
    },
  };
  for (const [path, entry] of Object.entries(lock.packages)) if (path && !entry.dev && !entry.devOptional) packages[path] = entry;
  writeFileSync(join(project, "package-lock.json"), JSON.stringify({ name: "app", lockfileVersion: 3, requires: true, packages }, null, 2));
  run("npm", ["ci", "--offline", "--ignore-scripts", "--no-audit", "--no-fund"], project);
  writeFileSync(join(project, "tsconfig.json"), JSON.stringify({
    compilerOptions: {
      target: "ES2022", module: "nodenext", moduleResolution: "nodenext", strict: true, outDir: "out",
      typeRoots: [join(PACKAGE_ROOT, "node_modules", "@types")], types: ["node"],
    },
    include: ["*.ts"],
  }, null, 2));
}, 300_000);

afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

describe("npm pack on a fresh clone", () => {
  it("builds and ships the library, its types, the firmware, the dashboard, the docs and the licence", () => {
    for (const f of [
      "package.json", "README.md", "LICENSE", "build/firmware.wasm", "dist/sim/index.js", "dist/sim/index.d.ts",
      "dist/sim/device-config.d.ts", "dist/sim/bin.js", "dist/sim/cli.js", "dist/dashboard/index.html", "dist/dashboard/app.js",
      "docs/PROTOCOL.md", "docs/CONFIG.md", "bench/RESULTS.md", "boards/host/iotbind_hal.h",
    ]) expect(entries, f).toContain(f);
    const wasm = readFileSync(join(PACKAGE_ROOT, "build", "firmware.wasm"));
    expect(run("tar", ["-xOzf", tarball, "package/build/firmware.wasm"], work).length).toBeGreaterThan(0);
    expect(wasm.length).toBeGreaterThan(0);
  });

  it("ships no source maps, benches, tests, dev tools or sources", () => {
    const unwanted = entries.filter((p) =>
      /\.map$/.test(p) || /^dist\/(bench|test)\//.test(p) || /^dist\/sim\/tools\//.test(p) ||
      /^(test|assembly|sim|web|transform|scripts|fuzz-corpus)\//.test(p) || (/\.ts$/.test(p) && !/\.d\.ts$/.test(p)));
    expect(unwanted).toEqual([]);
  });

  it("every file a shipped document links to is shipped", () => {
    const missing: string[] = [];
    for (const md of entries.filter((p) => p.endsWith(".md"))) {
      const text = run("tar", ["-xOzf", tarball, `package/${md}`], work);
      for (const m of text.matchAll(/\]\(([^)#\s]+)(#[^)]*)?\)/g)) {
        const target = m[1]!;
        if (/^[a-z]+:/.test(target)) continue;
        const path = join(dirname(md), target).replace(/\/$/, "");
        if (!entries.some((e) => e === path || e.startsWith(`${path}/`))) missing.push(`${md} -> ${target}`);
      }
    }
    expect(missing).toEqual([]);
  });
});

describe("the installed package", () => {
  it("installs only the library's dependencies, not the CLI's", () => {
    const installed = readdirSync(join(project, "node_modules"));
    expect(installed).toContain("iotbind-tank");
    expect(installed).toContain("mqtt-packet");
    for (const peer of ["aedes", "chalk", "log-update"]) expect(installed, peer).not.toContain(peer);
  });

  it("exports the API from the package name, the firmware as iotbind-tank/firmware.wasm, and no deep paths", () => {
    const probe = join(project, "probe.mjs");
    writeFileSync(probe, `
      import * as api from "iotbind-tank";
      import { readFileSync } from "node:fs";
      import { fileURLToPath } from "node:url";
      const wasm = fileURLToPath(import.meta.resolve("iotbind-tank/firmware.wasm"));
      const bytes = await api.firmwareBytes();
      let deep = "resolved";
      try { import.meta.resolve("iotbind-tank/dist/sim/host/device.js"); } catch (e) { deep = e.code; }
      console.log(JSON.stringify({
        names: Object.keys(api).sort(),
        sameFile: wasm === api.firmwarePath(),
        sameBytes: Buffer.compare(readFileSync(wasm), Buffer.from(bytes)) === 0,
        module: WebAssembly.validate(bytes),
        deep,
      }));
    `);
    const r = JSON.parse(run(process.execPath, [probe], project)) as { names: string[]; sameFile: boolean; sameBytes: boolean; module: boolean; deep: string };
    for (const name of ["Device", "InitError", "Simulation", "SimHardware", "RealClock", "VirtualClock", "ScaledClock", "firmwarePath", "firmwareBytes", "loadFirmware", "CONFIG_MEMBERS"]) {
      expect(r.names, name).toContain(name);
    }
    expect(r.sameFile).toBe(true);
    expect(r.sameBytes).toBe(true);
    expect(r.module).toBe(true);
    expect(r.deep).toBe("ERR_PACKAGE_PATH_NOT_EXPORTED");
  });

  it("a Simulation without a broker URL says it needs aedes for the embedded broker, and how to get it", () => {
    const probe = join(project, "embedded.mjs");
    writeFileSync(probe, `
      import { Simulation, MissingPeerError } from "iotbind-tank";
      const sim = new Simulation({ devices: 1 });
      try { await sim.start(); console.log("started"); await sim.stop(); }
      catch (e) { console.log(e instanceof MissingPeerError, e.message); await sim.stop().catch(() => {}); }
    `);
    const out = run(process.execPath, [probe], project, 30_000).trim();
    expect(out).toBe('true the embedded MQTT broker needs the optional dependency "aedes": run `npm install aedes`, or use an external broker (broker: { url })');
  });

  it("the iotbind-tank command names the missing optional dependencies in one line and exits 1", () => {
    const r = spawnSync(process.execPath, [join(project, "node_modules", "iotbind-tank", "dist", "sim", "bin.js"), "sim"], { cwd: project, encoding: "utf8", timeout: 30_000 });
    expect(r.status).toBe(1);
    const lines = r.stderr.trim().split("\n");
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/needs aedes, chalk, log-update.*npm install aedes chalk log-update/);
    expect(r.stderr).not.toMatch(/^\s+at /m);
  });
});

describe("the README's embedding examples, verbatim", () => {
  const examples = readmeExamples(readFileSync(join(PACKAGE_ROOT, "README.md"), "utf8"));

  it("every TypeScript block of the README is a named, compiled example, and they compile with tsc --strict (nodenext)", () => {
    expect(examples.map((e) => e.file)).toEqual(["device.ts", "simulation.ts"]);
    for (const e of examples) writeFileSync(join(project, e.file), e.source);
    run(process.execPath, [TSC, "-p", "tsconfig.json"], project, 120_000);
    for (const e of examples) expect(existsSync(join(project, "out", e.file.replace(/\.ts$/, ".js")))).toBe(true);
  });

  it("one device: connects, publishes a reading that reaches the broker, stops cleanly on Ctrl-C", async () => {
    const sub = await mqtt.connectAsync({ host: broker.host, port: broker.port, username: broker.user, password: broker.password });
    const readings: Array<Record<string, unknown>> = [];
    sub.on("message", (_t, p) => { const m = JSON.parse(p.toString()) as Record<string, unknown>; if ("level" in m) readings.push(m); });
    await sub.subscribeAsync("iotbind/tank/UniqueID", { qos: 1 });
    const prog = new Program("out/device.js", project, { MQTT_HOST: broker.host, MQTT_PORT: String(broker.port) });
    try {
      await prog.waitFor(/^mqtt: CONNECTED/m, 15_000);
      await prog.waitFor(/^sent iotbind\/tank\/UniqueID \{"uid":"UniqueID","key":"Device API secret key","level":"\d+"/m, 15_000);
      const deadline = Date.now() + 5000;
      while (readings.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      expect(readings[0]).toMatchObject({ uid: "UniqueID", key: "Device API secret key" });
      expect(Number(readings[0]!.level)).toBeGreaterThan(50);   // the example's tank starts at 60 %
      expect(Number(readings[0]!.level)).toBeLessThan(70);
      expect(await prog.interrupt()).toBe(0);
      expect(prog.out).toMatch(/^mqtt: STOPPED/m);
      expect(prog.out).toMatch(/^stopped$/m);
      expect(prog.err).toBe("");
    } finally {
      prog.proc.kill("SIGKILL");
      await sub.endAsync();
    }
  });

  it("one device without a broker: says so (not silent), keeps retrying, stops on Ctrl-C", async () => {
    const port = await freePort(); // nobody listens there
    const prog = new Program("out/device.js", project, { MQTT_HOST: "127.0.0.1", MQTT_PORT: String(port) });
    try {
      await prog.waitFor(/^mqtt: BACKING_OFF \(SOCKET_FAILED\)/m, 10_000);
      await prog.waitFor(/^warn: .*retry/m, 10_000);
      expect(await prog.interrupt()).toBe(0);
      expect(prog.out).toMatch(/^stopped$/m);
      expect(prog.out).not.toMatch(/CONNECTED/);
    } finally {
      prog.proc.kill("SIGKILL");
    }
  });

  it("one device with a wrong password: says the broker refused it", async () => {
    const prog = new Program("out/device.js", project, { MQTT_HOST: broker.host, MQTT_PORT: String(broker.port), MQTT_PASSWORD: "wrong" });
    try {
      await prog.waitFor(/^mqtt: BACKING_OFF \(CONNACK_NOT_AUTHORISED\)/m, 10_000);
      expect(await prog.interrupt()).toBe(0);
    } finally {
      prog.proc.kill("SIGKILL");
    }
  });

  it("a simulation: pumps cycle, the app's switch reaches the relay once virtual time runs, it ends by itself", async () => {
    const prog = new Program("out/simulation.js", project, { MQTT_URL: `mqtt://${broker.host}:${broker.port}` });
    try {
      expect(await prog.exitWithin(90_000)).toBe(0);
      expect(prog.out).toMatch(/^tank-001 pump on at \d+\.\d %$/m);
      expect(prog.out).toMatch(/^tank-002 pump off at \d+\.\d %$/m);
      expect(prog.out).toMatch(/^relay off -> on, app shows on$/m);
      expect(prog.err).toBe("");
    } finally {
      prog.proc.kill("SIGKILL");
    }
  });
});
