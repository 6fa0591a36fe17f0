/**
 * boards/host/json_member.c is how the C hosts read their own members (relay
 * pin, simulator geometry, the ESP32 device config's Wi-Fi and "firmware"
 * object). Its C unit test is built with the host's strict flags and run.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect, it } from "vitest";

it("json_member.c finds top-level members, skips nested ones and survives malformed input", () => {
  const bin = join(mkdtempSync(join(tmpdir(), "iotbind-json-")), "json_member_test");
  execFileSync("cc", ["-std=c99", "-Wall", "-Wextra", "-Werror", "-Iboards/host", "-o", bin,
    "test/native/json_member_test.c", "boards/host/json_member.c"]);
  const out = execFileSync(bin, { encoding: "utf8" });
  expect(out.trim()).toBe("0 failures");
});
