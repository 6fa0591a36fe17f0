/**
 * `DeviceConfig` (sim/device-config.ts) is generated from config/schema.json
 * (scripts/config-gen.mjs), as are docs/CONFIG.md's member tables. Here:
 * the committed file is what the generator makes of the schema, and, through
 * the TypeScript compiler, that for EVERY documented member a value of the
 * documented type compiles and a value of another type does not, that every
 * documented enum word is accepted and other words are not, that required
 * members are required and unknown (misspelt) members are refused.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import ts from "typescript";
import { describe, expect, it } from "vitest";
import { generate, loadSchema, docDefault, docRange, docType, OUTPUTS } from "../../scripts/config-gen.mjs";
import { CONFIG_MEMBERS } from "../../sim/device-config.js";
import { packagePath } from "../../sim/paths.js";

interface Row { member: string; type: string; range: string; default: string }
const schema = loadSchema();
const rows: Row[] = schema.members.map((m) => ({ member: m.name, type: docType(m), range: docRange(schema, m), default: docDefault(m) }));
const CONFIG_TYPE_FILE = packagePath(OUTPUTS.ts);

/** The TypeScript type a member's documented type and range stand for. */
function typeOf(r: Row): string {
  if (/^(integer|number)\b/.test(r.type)) return "number";
  if (r.type === "boolean") return "boolean";
  if (/ bytes$/.test(r.range)) return "string";
  return r.range.split(", ").map((w) => JSON.stringify(w)).join(" | ");
}

/** Compiles `body` against sim/device-config.ts; returns the diagnostics as "line: text". */
function compile(body: string): string[] {
  const dir = mkdtempSync(join(tmpdir(), "iotbind-cfgtype-"));
  try {
    const file = join(dir, "check.ts");
    const typeFile = CONFIG_TYPE_FILE.replace(/\.ts$/, ".js");
    writeFileSync(file, `import type { DeviceConfig } from ${JSON.stringify(typeFile)};\n${body}\n`);
    const program = ts.createProgram([file], {
      strict: true, noEmit: true, target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.NodeNext,
      moduleResolution: ts.ModuleResolutionKind.NodeNext, types: [], skipLibCheck: true,
    });
    return ts.getPreEmitDiagnostics(program).map((d) => {
      const line = d.file && d.start !== undefined ? d.file.getLineAndCharacterOfPosition(d.start).line + 1 : 0;
      return `${line}: ${ts.flattenDiagnosticMessageText(d.messageText, "\n")}`;
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const BASE = "uid: \"u\", key: \"k\", broker_host: \"h\", uplink_topic: \"iotbind/tank/u\", downlink_topic: \"d\", empty_distance_mm: 1100, full_distance_mm: 100";

/** The base config without `member`, as object literal members. */
function baseWithout(member: string): string {
  return BASE.split(", ").filter((m) => !m.startsWith(`${member}:`)).join(", ");
}

/** A value of the row's type, and one of a wrong type. */
function values(r: Row): { good: string[]; bad: string[] } {
  const t = typeOf(r);
  if (t === "number") return { good: ["1"], bad: ['"1"', "true"] };
  if (t === "boolean") return { good: ["true", "false"], bad: ['"true"', "1"] };
  if (t === "string") return { good: ['"x"'], bad: ["1", "false"] };
  return { good: t.split(" | "), bad: ['"not-a-documented-word"', "1"] };
}

function checks(): string {
  const lines: string[] = [];
  let i = 0;
  for (const r of rows) {
    const { good, bad } = values(r);
    const base = baseWithout(r.member);
    for (const v of good) lines.push(`const ok${i++}: DeviceConfig = { ${base}, ${r.member}: ${v} };`);
    for (const v of bad) lines.push("// @ts-expect-error", `const bad${i++}: DeviceConfig = { ${base}, ${r.member}: ${v} };`);
    if (r.default === "required") {
      lines.push("// @ts-expect-error", `const missing${i++}: DeviceConfig = { ${base} };`);
    } else {
      lines.push(`const omitted${i++}: DeviceConfig = { ${BASE} };`);
    }
    // A misspelling of the member is not a member.
    lines.push("// @ts-expect-error", `const typo${i++}: DeviceConfig = { ${BASE}, ${r.member}_x: ${good[0]} };`);
  }
  return lines.join("\n");
}

describe("DeviceConfig, generated from config/schema.json", () => {
  it("sim/device-config.ts is what scripts/config-gen.mjs makes of the schema (run npm run build)", () => {
    expect(readFileSync(CONFIG_TYPE_FILE, "utf8")).toBe(generate()[OUTPUTS.ts]);
  });

  it("lists every member once, in index order", () => {
    expect(rows.length).toBeGreaterThanOrEqual(83);
    expect([...CONFIG_MEMBERS]).toEqual(rows.map((r) => r.member));
  });

  it("types every member as documented: right types compile; wrong types, other enum words, typos and missing required members do not", () => {
    expect(compile(checks())).toEqual([]);
  });

  it("the type check can fail: the same wrong values without @ts-expect-error are errors", () => {
    const r = rows.find((x) => x.member === "sensor")!;
    const errors = compile([
      `const a: DeviceConfig = { ${BASE}, sensor: "hc-sr05" };`,
      `const b: DeviceConfig = { ${BASE}, broker_port: "1883" };`,
      `const c: DeviceConfig = { ${BASE}, levle_decimals: 1 };`,
      `const d: DeviceConfig = { uid: "u" };`,
    ].join("\n"));
    expect(typeOf(r)).toContain('"hc-sr04"');
    expect(errors.map((e) => e.split(":")[0])).toEqual(["2", "3", "4", "5"]);
  });

  it("the generator refuses a schema whose indexes are not 0..n-1 in order (append-only), naming the member", () => {
    const text = readFileSync(packagePath("config", "schema.json"), "utf8");
    const s = JSON.parse(text) as { members: Array<{ index: number }> };
    s.members[3]!.index = 4;
    expect(() => loadSchema(JSON.stringify(s))).toThrow(/member 3 "uplink_topic": index 4, expected 3/);
  });
});
