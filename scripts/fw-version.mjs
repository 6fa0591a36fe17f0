#!/usr/bin/env node
// Prints `FW_VERSION=<n>` for asc's --use, n = major << 16 | minor << 8 | patch
// of package.json "version" (the one place the version is written), or of the
// version given as the first argument (tests build other versions).
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { fileURLToPath } from "node:url";

const root = resolve(fileURLToPath(import.meta.url), "..", "..");
const v = process.argv[2] ?? JSON.parse(readFileSync(resolve(root, "package.json"), "utf8")).version;
const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})(?:[-+].*)?$/.exec(String(v));
if (!m || m.slice(1, 4).some((p) => Number(p) > 255)) {
  process.stderr.write(`fw-version: "${v}" is not major.minor.patch with parts 0..255\n`);
  process.exit(1);
}
process.stdout.write(`FW_VERSION=${(Number(m[1]) << 16) | (Number(m[2]) << 8) | Number(m[3])}\n`);
