/**
 * `iotbind-tank config encode` (provisioning, docs/CONFIG.md): writes exactly
 * the Node host's encoding, which the firmware accepts; every mistake is one
 * stderr line naming the file and the member, a non-zero exit, no stack trace.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { PACKAGE_ROOT } from "../../sim/paths.js";
import { encodeConfig } from "../../sim/config-binary.js";
import { bootBare } from "../helpers/bare-firmware.js";

const BIN = join(PACKAGE_ROOT, "dist", "sim", "bin.js");
const dir = mkdtempSync(join(tmpdir(), "iotbind-cfg-cli-"));
const run = (args: string[]) => spawnSync(process.execPath, [BIN, "config", ...args], { cwd: dir, encoding: "buffer", env: { ...process.env, IOTBIND_DEBUG: "" } });
const VALID = {
  uid: "u1", key: "k1", broker_host: "127.0.0.1", uplink_topic: "iotbind/tank/u1", downlink_topic: "dev/u1",
  trig_pin: 5, echo_pin: 18, relay_pin: 26, empty_distance_mm: 1100, full_distance_mm: 100, deadband_pct: 2.5, sensor: "jsn-sr04t", blind_mm: 50,
};

describe("iotbind-tank config encode", () => {
  it("writes the Node host's bytes (file or stdout), which the firmware accepts; a binary input is copied", () => {
    writeFileSync(join(dir, "c.json"), JSON.stringify(VALID, null, 2) + "\n");
    const r = run(["encode", "c.json", "-o", "c.bin"]);
    expect(r.status, r.stderr.toString()).toBe(0);
    const bin = readFileSync(join(dir, "c.bin"));
    expect([...bin]).toEqual([...encodeConfig(VALID)]);
    expect(bootBare(new Uint8Array(bin), 1000, true).status).toBe(0);
    const out = run(["encode", "c.json"]);
    expect([...out.stdout]).toEqual([...bin]);
    expect(run(["encode", "c.bin", "-o", "again.bin"]).status).toBe(0);
    expect([...readFileSync(join(dir, "again.bin"))]).toEqual([...bin]);
  });

  it("every mistake: one line naming the file and the member, exit 1 (config) or 2 (usage), no stack trace", () => {
    const cases: Array<[string, unknown, RegExp]> = [
      ["unknown.json", { ...VALID, broker_prot: 1 }, /unknown\.json: config: member "broker_prot": is not a known member/],
      ["type.json", { ...VALID, broker_port: "1883" }, /type\.json: config: member "broker_port": must be a number/],
      ["word.json", { ...VALID, sensor: "hc-sr05" }, /word\.json: config: member "sensor": must be one of: hc-sr04/],
      ["long.json", { ...VALID, uid: "x".repeat(65) }, /long\.json: config: member "uid": is too long \(at most 64 bytes\)/],
    ];
    for (const [file, cfg, re] of cases) {
      writeFileSync(join(dir, file), JSON.stringify(cfg));
      const r = run(["encode", file, "-o", "x.bin"]);
      const lines = r.stderr.toString().split("\n").filter((l) => l !== "");
      expect(r.status, file).toBe(1);
      expect(lines, file).toHaveLength(1);
      expect(lines[0]).toMatch(/^iotbind-tank config: /);
      expect(lines[0]).toMatch(re);
    }
    writeFileSync(join(dir, "dup.json"), '{"uid":"a","uid":"b"}');
    expect(run(["encode", "dup.json"]).stderr.toString()).toMatch(/^iotbind-tank config: dup\.json: config: member "uid": is given more than once\n$/);
    writeFileSync(join(dir, "syntax.json"), '{"uid":"a",}');
    expect(run(["encode", "syntax.json"]).stderr.toString()).toMatch(/^iotbind-tank config: syntax\.json: config: not a well-formed JSON object \(.+\)\n$/);
    expect(run(["encode", "missing.json"]).stderr.toString()).toMatch(/^iotbind-tank config: cannot read missing\.json: ENOENT\n$/);
    for (const args of [["decode", "c.json"], ["encode"], ["encode", "a", "b"], ["encode", "c.json", "--bogus"]]) {
      const r = run(args);
      expect(r.status, args.join(" ")).toBe(2);
      expect(r.stderr.toString().split("\n").filter((l) => l !== ""), args.join(" ")).toHaveLength(1);
      expect(r.stderr.toString()).not.toMatch(/\n\s+at /);
    }
    expect(run(["--help"]).stdout.toString()).toMatch(/usage: iotbind-tank config encode/);
  });
});
