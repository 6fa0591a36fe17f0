/**
 * `npm start` builds only what is stale (scripts/build-if-stale.mjs): with
 * nothing changed it starts at once and prints nothing (no compiler chatter
 * such as "Last converge was suboptimal.").
 */
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { PACKAGE_ROOT } from "../../sim/paths.js";

const SCRIPT = join(PACKAGE_ROOT, "scripts", "build-if-stale.mjs");

describe("npm start", () => {
  it("uses the stale-only build, which does nothing and says nothing when nothing changed", () => {
    const pkg = JSON.parse(readFileSync(join(PACKAGE_ROOT, "package.json"), "utf8")) as { scripts: Record<string, string> };
    expect(pkg.scripts.start).toMatch(/^node scripts\/build-if-stale\.mjs && node dist\/sim\/cli\.js sim/);
    spawnSync(process.execPath, [SCRIPT], { cwd: PACKAGE_ROOT, encoding: "utf8" }); // brings a stale tree up to date
    const t0 = Date.now();
    const r = spawnSync(process.execPath, [SCRIPT], { cwd: PACKAGE_ROOT, encoding: "utf8" });
    expect(r.status).toBe(0);
    expect(r.stdout + r.stderr).toBe("");
    expect(Date.now() - t0).toBeLessThan(3000);
  }, 180_000);
});
