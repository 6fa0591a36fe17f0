/**
 * The native host's command line (boards/platform/posix/main.c), as a careless
 * user meets it (issue 16): --help exits 0; every usage error is one line on
 * stderr naming the option (and the bad value), exit 1; a config the firmware
 * refuses is reported once (the firmware's words), with the file name, and for
 * a JSON syntax error the line and column, exit 2.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const HOST = "build/native/iotbind-tank-host";
const EXAMPLE = "boards/posix/example-config.json";
const dir = mkdtempSync(join(tmpdir(), "iotbind-host-cli-"));

beforeAll(() => {
  execFileSync("npm", ["run", "build:native", "--silent"], { stdio: "inherit" });
}, 180_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function host(args: string[]) {
  const r = spawnSync(HOST, args, { encoding: "utf8", timeout: 10_000 });
  const lines = r.stderr.split("\n").filter((l) => l.trim() !== "");
  return { code: r.status, signal: r.signal, stdout: r.stdout, stderr: r.stderr, lines };
}

describe("iotbind-tank-host command line", () => {
  it("--help and -h print the usage on stdout and exit 0 (no printf escapes left)", () => {
    for (const flag of ["--help", "-h"]) {
      const r = host([flag]);
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(/^usage: iotbind-tank-host \[options\] config\.json/);
      expect(r.stdout).toContain("in % (");
      expect(r.stdout).not.toContain("%%");
      expect(r.stderr).toBe("");
    }
  });

  it("every usage error is one line naming the option and value, exit 1", () => {
    const cases: [string[], RegExp][] = [
      [["--bogus", EXAMPLE], /unknown option --bogus/],
      [["-x", EXAMPLE], /unknown option -x/],
      [["--levels", "5", EXAMPLE], /unknown option --levels/],
      [["--level", "abc", EXAMPLE], /--level must be a number from 0 to 100, got abc/],
      [["--level", "", EXAMPLE], /--level must be a number from 0 to 100, got /],
      [["--level", "101", EXAMPLE], /--level must be a number from 0 to 100, got 101/],
      [["--level", "-1", EXAMPLE], /--level must be a number from 0 to 100, got -1/],
      [["--level", "5x", EXAMPLE], /--level must be a number from 0 to 100, got 5x/],
      [["--temperature", "warm", EXAMPLE], /--temperature must be a number .* got warm/],
      [["--max-restarts", "-2", EXAMPLE], /--max-restarts must be a whole number >= 0, got -2/],
      [["--max-restarts", "1.5", EXAMPLE], /--max-restarts must be a whole number/],
      [["--millis-offset", "x", EXAMPLE], /--millis-offset must be a whole number/],
      [[EXAMPLE, "--level"], /--level needs a value/],
      [[], /no config file given/],
      [[EXAMPLE, EXAMPLE], /more than one config file given/],
      [[join(dir, "missing.json")], /cannot open the config .*missing\.json: No such file or directory/],
    ];
    for (const [args, message] of cases) {
      const r = host(args);
      expect(r.code, `${args.join(" ")}: ${r.stderr}`).toBe(1);
      expect(r.lines, args.join(" ")).toHaveLength(1);
      expect(r.lines[0]).toMatch(/^iotbind-tank-host: /);
      expect(r.lines[0]).toMatch(message);
      expect(r.stdout).not.toMatch(/usage:/); // not the whole help
    }
  });

  it("a config with a JSON syntax error names the file, line and column at or after the mistake (every deletion and insertion)", () => {
    const text = readFileSync(EXAMPLE, "utf8");
    const file = join(dir, "broken.json");
    let checked = 0;
    const mutants: { t: string; at: number }[] = [];
    for (let k = 0; k < text.length; k += 7) mutants.push({ t: text.slice(0, k) + text.slice(k + 1), at: k });
    for (let k = 3; k < text.length; k += 11) for (const ch of [",", "}", "x", '"']) mutants.push({ t: text.slice(0, k) + ch + text.slice(k), at: k });
    for (const m of mutants) {
      try {
        JSON.parse(m.t);
        continue; // still JSON (e.g. a deleted space): not a syntax case
      } catch {
        // a syntax error: the host must say where
      }
      writeFileSync(file, m.t);
      const r = host([file]);
      expect(r.code, r.stderr).toBe(2);
      expect(r.lines, r.stderr).toHaveLength(1);
      const w = /init refused the config: -2 CONFIG_JSON: .* \(in (.+) at line (\d+), column (\d+): [^)]+\)$/.exec(r.lines[0]!);
      expect(w, r.lines[0]).not.toBeNull();
      expect(w![1]).toBe(file);
      // the text before the mistake is a valid JSON prefix, so the error cannot be reported before it
      const lines = m.t.split("\n");
      const line = Number(w![2]);
      const col = Number(w![3]);
      expect(line).toBeLessThanOrEqual(lines.length);
      const offset = lines.slice(0, line - 1).reduce((a, l) => a + l.length + 1, 0) + col - 1;
      expect(offset, `${r.lines[0]} for a mistake at offset ${m.at}`).toBeGreaterThanOrEqual(m.at);
      checked++;
    }
    expect(checked).toBeGreaterThan(80);
  });

  it("a config the firmware refuses is reported once, with the file's name, exit 2", () => {
    const base = JSON.parse(readFileSync(EXAMPLE, "utf8")) as Record<string, unknown>;
    const cases: [Record<string, unknown>, RegExp][] = [
      [{ ...base, uidd: "x" }, /member "uidd"/],
      [{ ...base, relay_pin: "twenty" }, /relay_pin/],
      [Object.fromEntries(Object.entries(base).filter(([k]) => k !== "uid")), /uid.*required|required.*uid/],
    ];
    for (const [cfg, what] of cases) {
      const file = join(dir, "refused.json");
      writeFileSync(file, JSON.stringify(cfg, null, 2));
      const r = host([file]);
      expect(r.code, r.stderr).toBe(2);
      expect(r.lines, r.stderr).toHaveLength(1);
      expect(r.lines[0]).toMatch(what);
      expect(r.lines[0]).toContain(file);
    }
  });
});
