/**
 * Code size of the MQTT part: the test module (client + codec with every
 * export used) compiled with the release flags plus a name section; the
 * bodies of functions from assembly/mqtt/ are summed (functions inlined into
 * them are counted with them). The reference is coreMQTT's 7.0 KB.
 */
import { test, expect } from "vitest";
import { execFileSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { compileTestModule } from "../helpers/mqtt-module.js";

export function mqttCodeBytes(wasm: Uint8Array): { mqtt: number; total: number; functions: [number, string][] } {
  const dir = mkdtempSync(join(tmpdir(), "mqtt-size-"));
  const f = join(dir, "m.wasm");
  writeFileSync(f, wasm);
  const dump = execFileSync("wasm-objdump", ["-x", f], { encoding: "utf8", maxBuffer: 64 << 20 });
  let mqtt = 0;
  let total = 0;
  const functions: [number, string][] = [];
  for (const line of dump.split("\n")) {
    const m = /^ - func\[\d+\] size=(\d+) <([^>]+)>/.exec(line);
    if (!m) continue;
    const size = Number(m[1]);
    total += size;
    if (m[2]!.startsWith("assembly/mqtt/")) {
      mqtt += size;
      functions.push([size, m[2]!]);
    }
  }
  return { mqtt, total, functions: functions.sort((a, b) => b[0] - a[0]) };
}

test("the MQTT client's code stays under coreMQTT's 7.0 KB", async () => {
  const wasm = await compileTestModule("test/as/mqtt-entry.ts", ["--debug"]);
  const { mqtt } = mqttCodeBytes(wasm);
  console.log(`MQTT code: ${mqtt} bytes`);
  expect(mqtt).toBeGreaterThan(2000);
  expect(mqtt).toBeLessThan(7168);
});
