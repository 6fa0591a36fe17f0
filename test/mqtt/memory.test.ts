/**
 * Memory discipline of the MQTT client: 100,000 packets through it leave
 * the memory at one page, never touch the upper half of the page (nothing
 * is allocated above the static data), and the module contains no
 * memory.grow, imports only `hal` (+ the test module's `test`) and is MVP.
 */
import { describe, test, expect } from "vitest";
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { MqttClient, S, C } from "../helpers/scripted-hal.js";
import { connected, publishPacket, puback, suback, CONNACK_OK } from "../helpers/mqtt-session.js";
import { compileTestModule } from "../helpers/mqtt-module.js";

function wat(bytes: Uint8Array): string {
  const dir = mkdtempSync(join(tmpdir(), "mqtt-wat-"));
  const f = join(dir, "m.wasm");
  writeFileSync(f, bytes);
  return execFileSync("wasm2wat", [f], { encoding: "utf8", maxBuffer: 64 << 20 });
}

describe("MQTT client memory", () => {
  test("100,000 packets: one page, upper half untouched, counters consistent", async () => {
    const c = await connected({ inflight: 8, keepAliveS: 30, backoffBase: 100, backoffCap: 100 });
    const mem = c.x.memory;
    const upper = () => new Uint8Array(mem.buffer, 32768, 32768).some((b) => b !== 0);
    expect(mem.buffer.byteLength).toBe(65536);
    expect(upper()).toBe(false);
    const inPkt = publishPacket("tank/dl", '{"uid":"u1","cmd":"on"}', 1, 1);
    let packets = 0;
    let nextId = 2;
    let iterations = 0;
    for (let i = 0; packets < 100000; i++) {
      iterations++;
      // Inbound QoS 1 (ids vary), our answer PUBACK.
      inPkt[inPkt.length - 23 - 2] = (i >> 8) & 0xff;
      inPkt[inPkt.length - 23 - 1] = (i & 0xff) || 1;
      c.hal.push(inPkt);
      // Outbound QoS 1 and the broker's PUBACK.
      const payload = `{"level":"${i % 100}"}`;
      expect(c.publish("tank/up", payload, 1)).toBe(0);
      const out = c.hal.take();
      const pub = out.subarray(out.length - (2 + 2 + 7 + 2 + payload.length));
      expect(pub[0]).toBe(0x32);
      nextId = (pub[2 + 2 + 7]! << 8) | pub[2 + 2 + 7 + 1]!;
      c.hal.push(puback(nextId));
      c.advance(7);
      packets += 4;
      if (i % 5000 === 4999) {
        // A reconnect now and then.
        c.hal.peerClosed = true;
        c.tick();
        c.advance(100);
        c.hal.take(); // CONNECT
        c.hal.push(CONNACK_OK);
        c.tick();
        const sub = c.hal.take();
        c.hal.push(suback((sub[2]! << 8) | sub[3]!));
        c.tick();
        expect(c.state, `reason ${c.lastDisconnect} ${c.hal.logs.slice(-3).map((l) => l.text)}`).toBe(S.CONNECTED);
        packets += 4;
      }
      if (i % 1000 === 0) expect(mem.buffer.byteLength).toBe(65536);
    }
    c.tick();
    expect(mem.buffer.byteLength).toBe(65536);
    expect(upper()).toBe(false);
    expect(c.x.inflight()).toBe(0);
    expect(c.counter(C.PROTOCOL_ERRORS)).toBe(0);
    expect(c.counter(C.PACKETS_IN)).toBeGreaterThanOrEqual(50000);
    expect(c.hal.panics).toEqual([]);
    expect(c.hal.messages.length).toBe(iterations);
    expect(packets).toBeGreaterThanOrEqual(100000);
  });

  test("the MQTT test module has no memory.grow, one fixed page, MVP features only", async () => {
    const bytes = await compileTestModule();
    const text = wat(bytes);
    expect(text).not.toContain("memory.grow");
    expect(text).toMatch(/\(memory \(;0;\) 1 1\)/);
    expect(text).not.toMatch(/memory\.(copy|fill)|i32\.extend8_s|trunc_sat|v128/);
    const mod = await WebAssembly.compile(bytes);
    const modules = new Set(WebAssembly.Module.imports(mod).map((i) => i.module));
    expect([...modules].sort()).toEqual(["hal", "test"]);
  });

  test("the firmware build (when present) has no memory.grow", () => {
    const f = resolve(import.meta.dirname, "../../build/firmware.wasm");
    if (!existsSync(f)) return;
    const text = execFileSync("wasm2wat", [f], { encoding: "utf8", maxBuffer: 64 << 20 });
    expect(text).not.toContain("memory.grow");
  });

  test("a fresh client instance starts idle and has no deadline", async () => {
    const c = await MqttClient.create({});
    expect(c.state).toBe(S.IDLE);
    expect(c.tick()).toBe(86_400_000); // assembly/tunables.ts NO_DEADLINE_MS
  });
});
