/**
 * boards/host/kv_table.c is the posix and RV32 hosts' key-value store behind
 * hal_kv_get / hal_kv_set. Its C unit test is built with the host's strict
 * flags and run.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect, it } from "vitest";

it("kv_table.c keeps hal_kv_get/hal_kv_set's contract: key and value limits, truncation, overwrite, a full table", () => {
  const bin = join(mkdtempSync(join(tmpdir(), "iotbind-kv-")), "kv_table_test");
  execFileSync("cc", ["-std=c99", "-Wall", "-Wextra", "-Werror", "-Iboards/host", "-o", bin,
    "test/native/kv_table_test.c", "boards/host/kv_table.c"]);
  const out = execFileSync(bin, { encoding: "utf8" });
  expect(out.trim()).toBe("0 failures");
});
