#!/usr/bin/env node
// The figures of README.md, docs/ and boards/ come from bench/results.json:
// each carries its source as a hidden tag, `29,028<!--bench:footprint.wasmBytes-->`
// (optionally scaled: `5.3<!--bench:footprint.components.mqtt/1000-->`).
// test/docs checks them; `node scripts/bench-figures.mjs --write` rewrites every
// tagged figure from the current results.json (same decimals, same separators).
import { readFileSync, readdirSync, statSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

/** A tag; group 1 the path, group 2 the divisor. */
export const TAG = /<!--bench:([^\s>]*?)(?:\/(\d+))?-->/g;

/** The value at `path` ("a.b[key=value].c") in `root`, or an error text. */
export function lookup(root, path) {
  let cur = root;
  for (const seg of path.split(".")) {
    const m = /^([\w-]+)(?:\[(\w+)=([\w.-]+)\])?$/.exec(seg);
    if (!m) return `bad path segment "${seg}"`;
    cur = cur?.[m[1]];
    if (m[2] !== undefined) {
      if (!Array.isArray(cur)) return `"${m[1]}" is not a list`;
      cur = cur.find((x) => String(x?.[m[2]]) === m[3]);
    }
    if (cur === undefined) return `no "${seg}"`;
  }
  return typeof cur === "number" ? cur : `not a number (${JSON.stringify(cur)})`;
}

/** `text` with every tagged figure replaced by its current value; `problems` lists tags that cannot be resolved. */
export function rewriteFigures(text, root) {
  const problems = [];
  const out = text.replace(/(\d[\d,]*(?:\.\d+)?)(<!--bench:([^\s>]*?)(?:\/(\d+))?-->)/g, (all, shown, tag, path, div) => {
    const value = lookup(root, path);
    if (typeof value === "string") { problems.push(`${path}: ${value}`); return all; }
    const decimals = shown.split(".")[1]?.length ?? 0;
    const v = value / Number(div ?? 1);
    const s = shown.includes(",") || (Math.abs(v) >= 10_000 && !/^\d{4}$/.test(shown))
      ? v.toLocaleString("en-US", { minimumFractionDigits: decimals, maximumFractionDigits: decimals })
      : v.toFixed(decimals);
    return s + tag;
  });
  return { text: out, problems };
}

/** The documents whose figures are tagged. */
export function markdownFiles(root) {
  const out = [join(root, "README.md")];
  const walk = (dir) => {
    for (const e of readdirSync(dir)) {
      const p = join(dir, e);
      if (statSync(p).isDirectory()) walk(p);
      else if (e.endsWith(".md")) out.push(p);
    }
  };
  walk(join(root, "docs"));
  walk(join(root, "boards"));
  return out;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const root = resolve(fileURLToPath(import.meta.url), "..", "..");
  if (!process.argv.includes("--write")) {
    process.stderr.write("bench-figures: usage: bench-figures.mjs --write (rewrites tagged figures from bench/results.json)\n");
    process.exit(2);
  }
  const results = JSON.parse(readFileSync(join(root, "bench", "results.json"), "utf8"));
  let changed = 0, failed = 0;
  for (const f of markdownFiles(root)) {
    const before = readFileSync(f, "utf8");
    const { text, problems } = rewriteFigures(before, results);
    for (const p of problems) process.stderr.write(`bench-figures: ${f}: ${p}\n`);
    failed += problems.length;
    if (text !== before) { writeFileSync(f, text); changed++; }
  }
  process.stdout.write(`bench-figures: ${changed} file(s) rewritten${failed ? `, ${failed} tag(s) unresolved` : ""}\n`);
  process.exit(failed ? 1 : 0);
}
