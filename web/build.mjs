// Bundles the dashboard page (web/src) with esbuild into dist/dashboard:
// index.html, app.js, app.css (preact, uPlot and its CSS included; no CDN).
// `node web/build.mjs` (npm run build:web), or import { buildDashboard }.
import { build } from "esbuild";
import { copyFile, mkdir, rm } from "node:fs/promises";
import { dirname, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
export const OUT_DIR = resolve(here, "..", "dist", "dashboard");

/** Builds the page into `outDir` (default dist/dashboard). */
export async function buildDashboard({ outDir = OUT_DIR, minify = true } = {}) {
  await rm(outDir, { recursive: true, force: true });
  await mkdir(outDir, { recursive: true });
  await build({
    entryPoints: { app: resolve(here, "src", "main.tsx") },
    bundle: true,
    outdir: outDir,
    format: "esm",
    target: ["es2022"],
    platform: "browser",
    jsx: "automatic",
    jsxImportSource: "preact",
    minify,
    sourcemap: true,
    legalComments: "linked",
    logLevel: "warning",
  });
  await copyFile(resolve(here, "index.html"), resolve(outDir, "index.html"));
  return outDir;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const out = await buildDashboard();
  console.log(`dashboard built into ${out}`);
}
