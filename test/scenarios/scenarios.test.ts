/**
 * Every built-in scenario against the real mosquitto, in virtual time: each
 * must meet its own expectations and leave a CSV and an SVG plot in
 * test-artifacts/scenarios/<name>/. The broker outage kills and restarts a
 * mosquitto of its own.
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, inject, it } from "vitest";
import { BUILTIN_SCENARIOS } from "../../sim/scenarios/builtin.js";
import { formatResult, loadScenario, runScenario, type ScenarioResult } from "../../sim/scenarios/runner.js";
import { PACKAGE_ROOT } from "../../sim/paths.js";
import { Mosquitto } from "../harness/mosquitto.js";
import type { Scenario } from "../../sim/scenarios/types.js";

const broker = inject("broker");
const own: Mosquitto[] = [];
afterAll(async () => {
  for (const m of own) await m.stop();
});

function assertArtifacts(res: ScenarioResult): void {
  expect(res.artifacts).not.toBeNull();
  const a = res.artifacts!;
  const csv = readFileSync(a.csv, "utf8").trim().split("\n");
  expect(csv[0]).toBe("time_s,true_level_pct,level_pct,relay,online,quality,temperature_c,air_c");
  expect(csv.length).toBeGreaterThan(50);
  const svg = readFileSync(a.svg, "utf8");
  expect(svg.startsWith("<svg")).toBe(true);
  expect(svg).toContain("<path");
  expect(svg.trim().endsWith("</svg>")).toBe(true);
  expect(existsSync(a.eventsCsv)).toBe(true);
  expect(JSON.parse(readFileSync(a.json, "utf8")).name).toBe(res.name);
}

async function run(s: Scenario): Promise<ScenarioResult> {
  const uid = `sc-${s.name}-${process.pid}`;
  if (s.events?.some((e) => e.do === "broker-stop")) {
    const m = await Mosquitto.start();
    own.push(m);
    return runScenario(s, {
      uid,
      broker: { url: `mqtt://${m.info.host}:${m.info.port}`, user: m.info.user, password: m.info.password },
      brokerControl: { stop: () => m.kill(), start: () => m.restart() },
    });
  }
  return runScenario(s, { uid, broker: { url: `mqtt://${broker.host}:${broker.port}`, user: broker.user, password: broker.password } });
}

describe("scenarios against real mosquitto (virtual time)", () => {
  for (const s of BUILTIN_SCENARIOS) {
    it(`${s.name}: ${s.description}`, async () => {
      const res = await run(s);
      console.log(formatResult(res));
      assertArtifacts(res);
      expect(res.stats.traps).toBe(0);
      for (const c of res.checks) expect.soft(c.passed, `${c.expectation.kind}: ${c.detail}`).toBe(true);
      expect(res.passed, formatResult(res)).toBe(true);
    }, 90_000);
  }

  it("runs a scenario from a JSON file (sim/scenarios/leak.json)", async () => {
    const s = await loadScenario(join(PACKAGE_ROOT, "sim", "scenarios", "leak.json"));
    expect(s.name).toBe("leak");
    const res = await run(s);
    console.log(formatResult(res));
    assertArtifacts(res);
    expect(res.passed, formatResult(res)).toBe(true);
  }, 60_000);

  it("a failing expectation is reported as failed (the runner can fail)", async () => {
    const s: Scenario = {
      name: "impossible",
      description: "expects a relay switch that never comes",
      durationS: 120,
      device: { tank: { initialLevelPct: 60, consumptionLph: 0 }, config: { auto: false } },
      expect: [{ kind: "relay-changes", min: 1 }, { kind: "true-level-within", min: 0, max: 50 }, { kind: "no-traps" }],
    };
    const res = await runScenario(s, { uid: `sc-impossible-${process.pid}`, outDir: null, broker: { url: `mqtt://${broker.host}:${broker.port}`, user: broker.user, password: broker.password } });
    expect(res.passed).toBe(false);
    expect(res.checks.map((c) => c.passed)).toEqual([false, false, true]);
    expect(res.artifacts).toBeNull();
  }, 60_000);
});
