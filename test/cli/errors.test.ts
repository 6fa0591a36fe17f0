/**
 * The CLI under a careless user (issue 16): every mistake and every broker
 * failure ends with ONE line on stderr naming what was wrong and what to do, a
 * non-zero exit status, and no stack trace. Usage errors exit 2 without the
 * whole help; runtime errors exit 1.
 */
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, inject, it } from "vitest";
import { PACKAGE_ROOT } from "../../sim/paths.js";
import { BUILTIN_SCENARIOS } from "../../sim/scenarios/builtin.js";
import { freePort } from "../harness/mosquitto.js";

const CLI = join(PACKAGE_ROOT, "dist", "sim", "cli.js");
const broker = inject("broker");
const dir = mkdtempSync(join(tmpdir(), "iotbind-cli-errors-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Run { code: number | null; stdout: string; stderr: string; ms: number }

function run(args: string[], timeoutMs = 30_000): Promise<Run> {
  return new Promise((resolve, reject) => {
    const t0 = Date.now();
    const child = spawn(process.execPath, [CLI, ...args], { cwd: dir, stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, IOTBIND_DEBUG: "" } });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => { child.kill("SIGKILL"); reject(new Error(`CLI ${args.join(" ")} did not exit within ${timeoutMs} ms; stderr: ${stderr}`)); }, timeoutMs);
    child.on("exit", (code) => { clearTimeout(timer); resolve({ code, stdout, stderr, ms: Date.now() - t0 }); });
  });
}

/** The contract for every error: exit status, exactly one stderr line matching `message`, no stack trace anywhere. */
function expectOneLineError(r: Run, code: number, message: RegExp): void {
  const lines = r.stderr.split("\n").filter((l) => l.trim() !== "");
  expect(lines, r.stderr).toHaveLength(1);
  expect(lines[0]).toMatch(/^iotbind-tank: /);
  expect(lines[0], `${r.stderr}\n--- stdout tail:\n${r.stdout.slice(-800)}`).toMatch(message);
  expect(r.code, r.stderr).toBe(code);
  for (const out of [r.stderr, r.stdout]) {
    expect(out).not.toMatch(/^\s+at /m);
    expect(out).not.toMatch(/\b(TypeError|RangeError|SyntaxError|ReferenceError)\b/);
    expect(out).not.toMatch(/node:internal|file:\/\//);
  }
  expect(r.stdout).not.toMatch(/--keep-trying\s+keep retrying/); // the help is not dumped
}

const scenarioFile = (name: string, body: unknown): string => {
  const f = join(dir, name);
  writeFileSync(f, typeof body === "string" ? body : JSON.stringify(body, null, 2));
  return f;
};
const good = () => ({
  name: "t",
  durationS: 600,
  device: { tank: { initialLevelPct: 50 } },
  events: [{ atS: 10, do: "consumption", lph: 100 }],
  expect: [{ kind: "no-traps" }],
});

describe("CLI usage errors: one line, exit 2, no help dump", () => {
  const cases: [string[], RegExp][] = [
    [["sim", "--devices", "-1"], /--devices must be a whole number from 1 to \d+, got "-1"/],
    [["sim", "--devices", "x"], /--devices must be a whole number .* got "x"/],
    [["sim", "--devices", "0"], /--devices must be a whole number/],
    [["sim", "--devices", "2.5"], /--devices must be a whole number/],
    [["sim", "--speed", "-5"], /--speed must be a number > 0 or "max", got "-5"/],
    [["sim", "--speed", "0"], /--speed must be a number > 0/],
    [["sim", "--speed", "maxx"], /--speed must be a number > 0 or "max", got "maxx"/],
    [["sim", "--duration", "soon"], /--duration: expected a number/],
    [["sim", "--duration", "-3"], /--duration/],
    [["sim", "--duration"], /--duration needs a value/],
    [["sim", "--bogus"], /unknown option --bogus/],
    [["sim", "--devic", "3"], /unknown option --devic; did you mean "--devices"\?/],
    [["sim", "--json=yes"], /--json takes no value/],
    [["frobnicate"], /unknown command "frobnicate"/],
    [["sim", "--broker", "not a url"], /--broker must be a URL like mqtt:\/\/host:1883/],
    [["sim", "--broker", "http://x:1"], /expected mqtt:\/\/ \(plain TCP\) or mqtts:\/\/ \(TLS\)/],
    [["sim", "--broker-port", "70000"], /--broker-port must be a whole number from 0 to 65535/],
    [["sim", "--password", "p"], /--password needs --user/],
    [["sim", "--scenario", "day-refill", "--devices", "3"], /--devices cannot be used with --scenario/],
    [["sim", "--scenario", "day-refill", "--duration", "1h"], /--duration cannot be used with --scenario/],
    [["sim", "--scenario", "day-refill", "--no-platform"], /--no-platform cannot be used with --scenario/],
  ];
  for (const [args, message] of cases) {
    it(args.join(" "), async () => {
      const r = await run(args);
      expectOneLineError(r, 2, message);
      expect(r.stderr).toMatch(/see iotbind-tank sim --help/);
    });
  }

  it("--help prints the help and exits 0", async () => {
    const r = await run(["sim", "--help"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/--keep-trying/);
    expect(r.stderr).toBe("");
  });
});

describe("CLI against brokers that cannot be used: one line, exit 1", () => {
  it("an unreachable broker (with the platform emulator): named, no 'broker up' first", async () => {
    const port = await freePort();
    const r = await run(["sim", "--broker", `mqtt://127.0.0.1:${port}`, "--no-web", "--duration", "10m"]);
    expectOneLineError(r, 1, new RegExp(`cannot reach the broker at mqtt://127\\.0\\.0\\.1:${port} \\(connection refused\\): start it, or check --broker`));
    expect(r.stdout).not.toMatch(/broker up/);
  });

  it("an unreachable broker (--no-platform): gives up after a bounded number of tries; never claims a DISCONNECT was sent", async () => {
    const port = await freePort();
    const r = await run(["sim", "--broker", `mqtt://127.0.0.1:${port}`, "--no-platform", "--no-web"]);
    expectOneLineError(r, 1, new RegExp(`cannot reach the broker at mqtt://127\\.0\\.0\\.1:${port} \\(tried 3 times\\).*--keep-trying`));
    expect(r.stdout).not.toMatch(/DISCONNECT sent/);
    expect(r.stdout).toMatch(/never connected/);
    // disconnect reasons are words, not bare numbers
    expect(r.stdout).toMatch(/reason 1 \(could not reach the broker/);
    expect(r.stdout).toMatch(/mqtt BACKING_OFF \(could not reach the broker/);
    expect(r.stdout).not.toMatch(/reason \d+,/);
  });

  it("a wrong password (with the platform emulator)", async () => {
    const r = await run(["sim", "--broker", `mqtt://${broker.host}:${broker.port}`, "--user", broker.user, "--password", "wrong", "--no-web", "--duration", "10m"]);
    expectOneLineError(r, 1, /the broker at mqtt:\/\/\S+ refused the user name or password( \(not authorised\))?: check --user and --password/);
  });

  it("a wrong password (--no-platform): the device's refusals are counted, then the CLI gives up", async () => {
    const r = await run(["sim", "--broker", `mqtt://${broker.host}:${broker.port}`, "--user", broker.user, "--password", "wrong", "--no-platform", "--no-web", "--prefix", `pw${process.pid}`]);
    expectOneLineError(r, 1, /refused pw\d+-001's connection 3 times: the broker (refused the user name or password|says this user is not authorised); check --user and --password, or pass --keep-trying/);
    expect(r.stdout).toMatch(/reason [78] \(the broker (refused the user name or password|says this user is not authorised)\)/);
    expect(r.stdout).not.toMatch(/DISCONNECT sent/);
  });

  it("--keep-trying keeps retrying a refusing broker until told to stop (here: --duration), exit 0", async () => {
    const r = await run(["sim", "--broker", `mqtt://${broker.host}:${broker.port}`, "--user", broker.user, "--password", "wrong", "--no-platform", "--no-web", "--keep-trying", "--duration", "5m", "--speed", "max", "--prefix", `kt${process.pid}`]);
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect((r.stdout.match(/reason [78] \(the broker (refused the user name or password|says this user is not authorised)\)/g) ?? []).length).toBeGreaterThan(3);
    expect(r.stdout).toMatch(/never connected/);
  });

  it("the embedded broker's port can be chosen; a taken port is one line", async () => {
    const port = await freePort();
    const r = await run(["sim", "--broker-port", String(port), "--no-web", "--duration", "2m", "--speed", "max", "--json"]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(`"url":"mqtt://127.0.0.1:${port}"`);
    const busy = await run(["sim", "--broker-port", String(broker.port), "--no-web", "--duration", "2m"]);
    expectOneLineError(busy, 1, new RegExp(`port ${broker.port} is already in use: choose another --broker-port`));
  });
});

describe("CLI scenario errors: one line naming the file, the path and the nearest name", () => {
  it("an unknown scenario lists the built-in names (and suggests the nearest)", async () => {
    const r = await run(["sim", "--scenario", "nope"]);
    expectOneLineError(r, 1, /no scenario "nope"/);
    for (const s of BUILTIN_SCENARIOS) expect(r.stderr).toContain(s.name);
    const r2 = await run(["sim", "--scenario", "day-refil"]);
    expectOneLineError(r2, 1, /did you mean "day-refill"\?/);
  });

  const cases: [string, unknown, RegExp][] = [
    ["syntax.json", '{\n  "name": "t",\n  "durationS": 60,,\n  "expect": []\n}', /syntax\.json: JSON syntax error at line 3, column 19: /],
    ["truncated.json", '{ "name": "t", "durationS": 6', /truncated\.json: JSON syntax error at line 1, column \d+/],
    ["speed.json", { ...good(), speed: "maxx" }, /speed\.json: \$\.speed: expected a number > 0 \(virtual ms per real ms\) or "max", got string "maxx"/],
    ["action.json", { ...good(), events: [{ atS: 5, do: "consumpton", lph: 100 }] }, /action\.json: \$\.events\[0\]\.do: unknown value "consumpton"; did you mean "consumption"\?/],
    ["member.json", { ...good(), device: { tank: { initalLevelPct: 20 } } }, /member\.json: \$\.device\.tank: unknown member "initalLevelPct"; did you mean "initialLevelPct"\?/],
    ["at.json", { ...good(), events: [{ at: 5, do: "set-level", pct: 10 }] }, /at\.json: \$\.events\[0\]: unknown member "at"; did you mean "atS"\?/],
    ["kind.json", { ...good(), expect: [{ kind: "relay-never-on-abov", pct: 90 }] }, /kind\.json: \$\.expect\[0\]\.kind: unknown value "relay-never-on-abov"; did you mean "relay-never-on-above"\?/],
    ["nokind.json", { ...good(), expect: [{ knd: "no-traps" }] }, /nokind\.json: \$\.expect\[0\]: missing "kind"/],
    ["range.json", { ...good(), device: { tank: { initialLevelPct: 150 } } }, /range\.json: \$\.device\.tank\.initialLevelPct: expected a number >= 0 and <= 100, got number 150/],
    ["late.json", { ...good(), events: [{ atS: 601, do: "broker-stop" }] }, /late\.json: \$\.events\[0\]\.atS: 601 s is after the end/],
    ["type.json", [], /type\.json: \$: expected an object, got an array/],
  ];
  for (const [name, body, message] of cases) {
    it(name, async () => {
      const r = await run(["sim", "--scenario", scenarioFile(name, body)], 15_000);
      expectOneLineError(r, 1, message);
      expect(r.ms).toBeLessThan(10_000); // no spinning
    });
  }
});
