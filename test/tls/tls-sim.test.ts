/**
 * The simulator over TLS: a fleet (Simulation + platform emulator, mqtt.js)
 * against mosquitto's TLS listener with `mqtts://` and a private CA, and the
 * CLI's `--broker mqtts://… --ca FILE` end to end, plus its refusals.
 */
import { spawn } from "node:child_process";
import { existsSync, readFileSync, writeFileSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, inject, it } from "vitest";
import { runFleet } from "../../sim/fleet.js";
import { parseCli } from "../../sim/cli.js";
import { PACKAGE_ROOT } from "../../sim/paths.js";

const broker = inject("broker");
const tls = broker.tls!;
const CLI = join(PACKAGE_ROOT, "dist", "sim", "cli.js");

describe("simulator over TLS", () => {
  it("a fleet of 20 devices and the platform emulator all work through mqtts:// with a private CA", async () => {
    const r = await runFleet({
      devices: 20,
      broker: { url: `mqtts://localhost:${tls.port}`, user: broker.user, password: broker.password, ca: readFileSync(tls.caFile) },
      uidPrefix: `tlsfleet${process.pid}`,
      maxVirtualS: 300,
      timeoutRealMs: 60_000,
    });
    expect(r.connected).toBe(20);
    expect(r.published).toBe(20);
    expect(r.platformReadings).toBeGreaterThanOrEqual(20);
    expect(r.traps).toBe(0);
  }, 90_000);

  it("the fleet refuses a broker whose certificate it cannot verify (no --ca): the platform emulator's mqtt.js fails with the reason", async () => {
    await expect(runFleet({
      devices: 1,
      broker: { url: `mqtts://localhost:${tls.port}`, user: broker.user, password: broker.password },
      uidPrefix: `tlsfleetbad${process.pid}`,
      maxVirtualS: 30,
      timeoutRealMs: 20_000,
    })).rejects.toThrow(/certificate|issuer/i);
  }, 30_000);

  it("CLI: --broker mqtts://… --ca FILE runs devices over TLS; --ca is refused without mqtts:// or without a PEM", async () => {
    expect(existsSync(CLI), "dist/sim/cli.js (npm run build:ts)").toBe(true);
    const ok = parseCli(["sim", "--broker", `mqtts://localhost:${tls.port}`, "--ca", tls.caFile])!;
    expect(ok.ca?.toString()).toContain("BEGIN CERTIFICATE");
    expect(() => parseCli(["sim", "--broker", `mqtt://localhost:${broker.port}`, "--ca", tls.caFile])).toThrow(/^--ca: needs --broker mqtts:\/\//);
    expect(() => parseCli(["sim", "--broker", `mqtts://localhost:${tls.port}`, "--ca", "/nonexistent/ca.pem"])).toThrow(/^--ca: cannot read \/nonexistent\/ca.pem: ENOENT$/);
    const notPem = join(mkdtempSync(join(tmpdir(), "iotbind-ca-")), "x.pem");
    writeFileSync(notPem, "hello");
    expect(() => parseCli(["sim", "--broker", `mqtts://localhost:${tls.port}`, "--ca", notPem])).toThrow(/holds no PEM certificate/);

    const child = spawn(process.execPath, [CLI, "sim", "--devices", "2", "--speed", "60", "--json", "--no-web", "--prefix", `clitls${process.pid}`,
      "--broker", `mqtts://localhost:${tls.port}`, "--ca", tls.caFile, "--user", broker.user, "--password", broker.password],
    { cwd: PACKAGE_ROOT, stdio: ["ignore", "pipe", "pipe"] });
    const publishers = new Set<string>();
    let buf = "";
    let stderr = "";
    let signalled = false;
    child.stderr.on("data", (d: Buffer) => { stderr += d.toString(); });
    const code = await new Promise<number | null>((resolve) => {
      const timer = setTimeout(() => child.kill("SIGKILL"), 30_000);
      child.stdout.on("data", (d: Buffer) => {
        buf += d.toString();
        let i: number;
        while ((i = buf.indexOf("\n")) >= 0) {
          const e = JSON.parse(buf.slice(0, i)) as Record<string, unknown>;
          buf = buf.slice(i + 1);
          if (e.event === "publish" && /"level":/.test(String(e.payload))) publishers.add(String(e.uid));
          if (publishers.size === 2 && !signalled) { signalled = true; child.kill("SIGINT"); }
        }
      });
      child.on("exit", (c) => { clearTimeout(timer); resolve(c); });
    });
    expect(stderr).toBe("");
    expect(publishers.size).toBe(2);
    expect(code).toBe(0);
  }, 60_000);
});
