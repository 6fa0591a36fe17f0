/**
 * The C hosts' own helpers, each with a C unit test built with the hosts'
 * strict flags and run: boards/host/json_member.c (how the hosts read their
 * own config members: relay pin, simulator geometry, the ESP32 device
 * config's Wi-Fi and "firmware" object) and boards/host/kv_table.c (the
 * posix and RV32 hosts' hal_kv_get / hal_kv_set).
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect, it } from "vitest";

const UNITS = [
  { unit: "json_member.c", what: "finds top-level members, skips nested ones, survives malformed input; its strict walker says where a syntax error is and visits every member in order" },
  { unit: "kv_table.c", what: "keeps hal_kv_get/hal_kv_set's contract: key and value limits, truncation, overwrite, a full table" },
];

it.each(UNITS)("$unit $what", ({ unit }) => {
  const name = unit.replace(/\.c$/, "");
  const bin = join(mkdtempSync(join(tmpdir(), "iotbind-cunit-")), `${name}_test`);
  execFileSync("cc", ["-std=c99", "-Wall", "-Wextra", "-Werror", "-Iboards/host", "-o", bin,
    `test/native/${name}_test.c`, `boards/host/${unit}`]);
  expect(execFileSync(bin, { encoding: "utf8" }).trim()).toBe("0 failures");
});
