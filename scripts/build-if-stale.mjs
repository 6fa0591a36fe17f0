#!/usr/bin/env node
// `npm start`'s build step: runs each of build:wasm, build:ts and build:web only
// when one of its inputs is newer than its output (or the output is missing),
// so a second `npm start` with nothing changed starts at once. The compiler's
// progress chatter ("Last converge was suboptimal." from Binaryen's optimiser)
// is not shown; real errors are, and stop the start with the compiler's exit status.
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync, statSync } from "node:fs";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const root = resolve(fileURLToPath(import.meta.url), "..", "..");

/** Newest mtime of the files under each path (a file or a directory, recursively). */
function newest(paths) {
  let t = 0;
  const visit = (p) => {
    if (!existsSync(p)) return;
    const st = statSync(p);
    if (st.isDirectory()) {
      for (const e of readdirSync(p)) if (e !== "node_modules") visit(join(p, e));
    } else {
      t = Math.max(t, st.mtimeMs);
    }
  };
  for (const p of paths) visit(resolve(root, p));
  return t;
}

/** Oldest mtime of the outputs; 0 when one is missing. */
function oldest(paths) {
  let t = Infinity;
  for (const p of paths) {
    const f = resolve(root, p);
    if (!existsSync(f)) return 0;
    t = Math.min(t, statSync(f).mtimeMs);
  }
  return t;
}

const STEPS = [
  { script: "build:wasm", inputs: ["assembly", "config", "scripts/config-gen.mjs", "transform", "asconfig.json", "package-lock.json"], outputs: ["build/firmware.wasm", "build/firmware.debug.wasm"] },
  { script: "build:ts", inputs: ["sim", "bench", "tsconfig.json", "package-lock.json"], outputs: ["dist/sim/cli.js"] },
  { script: "build:web", inputs: ["web", "sim/web/protocol.ts", "package-lock.json"], outputs: ["dist/dashboard/index.html", "dist/dashboard/app.js"] },
];

/** Lines of compiler output a user does not need to see. */
const CHATTER = /^(Last converge was suboptimal\.|dashboard built into .*|\s*|> .*)$/;

for (const step of STEPS) {
  if (newest(step.inputs) <= oldest(step.outputs)) continue;
  process.stderr.write(`building (${step.script}) ...\n`);
  const r = spawnSync(process.platform === "win32" ? "npm.cmd" : "npm", ["run", "--silent", step.script], { cwd: root, encoding: "utf8" });
  const shown = `${r.stdout ?? ""}${r.stderr ?? ""}`.split("\n").filter((l) => !CHATTER.test(l));
  if (shown.length > 0) process.stderr.write(`${shown.join("\n")}\n`);
  if (r.status !== 0) {
    process.stderr.write(`iotbind-tank: ${step.script} failed (exit ${r.status ?? r.signal}); fix the error above and run npm start again\n`);
    process.exit(1);
  }
}
