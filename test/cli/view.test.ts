/** The live terminal view renders a frame per device (level bar, level, temperature, pump, MQTT, last message). */
import { Writable } from "node:stream";
import { describe, expect, inject, it } from "vitest";
import { Simulation } from "../../sim/simulation.js";
import { TerminalView, formatVirtualTime, levelBar } from "../../sim/view/terminal.js";

const broker = inject("broker");
const strip = (s: string): string => s.replace(/\u001b\[[0-9;?]*[a-zA-Z]/g, "");

describe("TerminalView", () => {
  it("draws every device with its level bar, pump and MQTT state", async () => {
    let out = "";
    const stream = Object.assign(
      new Writable({ write(chunk, _enc, cb) { out += String(chunk); cb(); } }),
      { isTTY: true, columns: 160, rows: 40 },
    ) as unknown as NodeJS.WriteStream;
    const sim = new Simulation({
      devices: 2,
      broker: { url: `mqtt://${broker.host}:${broker.port}`, user: broker.user, password: broker.password },
      uidPrefix: `view${process.pid}`,
      speed: Infinity,
    });
    await sim.start();
    const view = new TerminalView(sim, { stream, fps: 50 });
    view.start();
    await sim.runFor(400_000); // past the first auto start at 30 %
    await new Promise((r) => setTimeout(r, 60));
    view.stop();
    await sim.stop();
    const frame = strip(out.slice(out.lastIndexOf("iotbind-tank sim")));
    expect(frame).toContain(`view${process.pid}-001`);
    expect(frame).toContain(`view${process.pid}-002`);
    expect(frame).toMatch(/\[█+░*\]\s+\d+\.\d %/);
    expect(frame).toMatch(/°C/);
    expect(frame).toMatch(/online/);
    expect(frame).toMatch(/[↑↓] (cmd \w+ )?level \d+/);
    expect(strip(out)).toMatch(/pump ON at/);
  });

  it("formats virtual time and level bars", () => {
    expect(formatVirtualTime(0)).toBe("00:00:00");
    expect(formatVirtualTime(90_061_000)).toBe("1d 01:01:01");
    expect(strip(levelBar(50, 10))).toBe("[█████░░░░░]");
    expect(strip(levelBar(null, 4))).toBe("[????]");
  });
});
