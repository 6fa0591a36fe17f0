/**
 * The documents tell the truth about the current build:
 * - every measured figure in README.md, docs/ and boards/ carries its source in
 *   bench/results.json as a hidden tag, `29,028<!--bench:footprint.wasmBytes-->`
 *   (optionally scaled: `5.3<!--bench:footprint.components.mqtt/1000-->`), and
 *   the figure equals that value at the decimals shown; the README's
 *   "Measured" table has no untagged figure;
 * - no document points outside the repository (`../shared/...`) and every
 *   relative link resolves.
 */
import { readFileSync, existsSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { describe, expect, it } from "vitest";
import { PACKAGE_ROOT } from "../../sim/paths.js";
import { TAG, lookup, markdownFiles as taggedFiles } from "../../scripts/bench-figures.mjs";

const results = JSON.parse(readFileSync(join(PACKAGE_ROOT, "bench", "results.json"), "utf8")) as unknown;

const markdownFiles = (): string[] => taggedFiles(PACKAGE_ROOT);

/** Every tag of `text` checked against `root`: the problems, as "line N: ...". */
export function checkFigures(text: string, root: unknown): { tags: number; problems: string[] } {
  const problems: string[] = [];
  let tags = 0;
  text.split("\n").forEach((line, i) => {
    for (const m of line.matchAll(TAG)) {
      tags++;
      const before = /(\d[\d,]*(?:\.\d+)?)$/.exec(line.slice(0, m.index));
      const where = `line ${i + 1} (${m[1]})`;
      if (!before) { problems.push(`${where}: the tag does not follow a figure`); continue; }
      const value = lookup(root, m[1]!);
      if (typeof value === "string") { problems.push(`${where}: ${value} in bench/results.json`); continue; }
      const shown = Number(before[1]!.replace(/,/g, ""));
      const decimals = before[1]!.split(".")[1]?.length ?? 0;
      const expected = value / Number(m[2] ?? 1);
      if (Math.abs(shown - expected) > 0.5 * 10 ** -decimals + 1e-9) {
        problems.push(`${where}: the document says ${before[1]}, bench/results.json says ${expected.toFixed(Math.max(decimals, 3))}`);
      }
    }
  });
  return { tags, problems };
}

describe("figures come from the current bench (bench/results.json)", () => {
  const files = markdownFiles();

  it("every tagged figure in README.md, docs/ and boards/ matches its source", () => {
    const problems: string[] = [];
    let tags = 0;
    for (const f of files) {
      const r = checkFigures(readFileSync(f, "utf8"), results);
      tags += r.tags;
      problems.push(...r.problems.map((p) => `${relative(PACKAGE_ROOT, f)} ${p}`));
    }
    expect(problems).toEqual([]);
    expect(tags).toBeGreaterThanOrEqual(30);
  });

  it("the README's Measured table has no figure without a source", () => {
    const readme = readFileSync(join(PACKAGE_ROOT, "README.md"), "utf8");
    const section = readme.slice(readme.indexOf("## Measured"), readme.indexOf("\n## ", readme.indexOf("## Measured") + 1));
    const rows = section.split("\n").filter((l) => l.startsWith("| ") && !l.startsWith("| what") && !l.startsWith("| ---"));
    expect(rows.length).toBeGreaterThanOrEqual(6);
    const untagged: string[] = [];
    for (const row of rows) {
      const figure = row.split(" | ")[1] ?? "";
      for (const m of figure.replace(TAG, "§").matchAll(/(?<![\w.])(\d[\d,]*(?:\.\d+)?)(§)?/g)) {
        // "N = 1,000" style labels and figures inside code spans are not measurements.
        const pre = figure.replace(TAG, "§").slice(0, m.index);
        if (!m[2] && !/N = $/.test(pre) && (pre.split("`").length % 2 === 1)) untagged.push(`${m[1]} in "${figure.slice(0, 60)}"`);
      }
    }
    expect(untagged).toEqual([]);
  });

  it("the check catches a wrong, a stale, an untraceable and an orphan figure", () => {
    const doc = [
      "size 29,028<!--bench:footprint.wasmBytes--> B",                    // right
      "size 29,029<!--bench:footprint.wasmBytes--> B",                    // wrong
      "mqtt 5.6<!--bench:footprint.components.mqtt/1000--> KB",           // stale
      "p50 0.7<!--bench:latency.ms.p50--> ms",                            // right at one decimal
      "idle 1,519<!--bench:native.sections[name=idle_tick].instructions-->",
      "none 3<!--bench:footprint.noSuchFigure-->",                        // untraceable
      "orphan <!--bench:footprint.wasmBytes-->",                          // no figure
    ].join("\n");
    // a fixed source, so that re-running the bench cannot change what is right here
    const source = { footprint: { wasmBytes: 29028, components: { mqtt: 5324 } }, latency: { ms: { p50: 0.67 } }, native: { sections: [{ name: "idle_tick", instructions: 1519 }] } };
    const r = checkFigures(doc, source);
    expect(r.tags).toBe(7);
    expect(r.problems.map((p) => p.split(" ")[1])).toEqual(["2", "3", "6", "7"]);
  });
});

describe("documents stand alone", () => {
  it("no document points outside the repository", () => {
    const outside = markdownFiles().flatMap((f) =>
      readFileSync(f, "utf8").split("\n").flatMap((l, i) => (/\.\.\/shared|FACTS\.md|seed\//.test(l) ? [`${relative(PACKAGE_ROOT, f)}:${i + 1}: ${l.trim()}`] : [])));
    expect(outside).toEqual([]);
  });

  it("every relative link in README.md, docs/ and boards/ resolves", () => {
    const broken: string[] = [];
    for (const f of markdownFiles()) {
      for (const m of readFileSync(f, "utf8").matchAll(/\]\(([^)#\s]+)(#[^)]*)?\)/g)) {
        if (/^[a-z]+:/.test(m[1]!)) continue;
        if (!existsSync(join(dirname(f), m[1]!))) broken.push(`${relative(PACKAGE_ROOT, f)} -> ${m[1]}`);
      }
    }
    expect(broken).toEqual([]);
  });
});
