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

  it("fits the terminal: never more lines than rows nor wider than columns; the last frame after a stop says 'finished'", async () => {
    for (const [cols, rows] of [[80, 24], [60, 12], [200, 50]] as const) {
      let out = "";
      const stream = Object.assign(
        new Writable({ write(chunk, _enc, cb) { out += String(chunk); cb(); } }),
        { isTTY: true, columns: cols, rows },
      ) as unknown as NodeJS.WriteStream;
      const sim = new Simulation({ devices: 40, uidPrefix: `fit${cols}x${process.pid}`, speed: Infinity, updateIntervalMs: 0 });
      await sim.start();
      const view = new TerminalView(sim, { stream, fps: 50, title: "(embedded broker)  dashboard http://127.0.0.1:8080/" });
      view.start();
      await sim.runFor(120_000);
      await new Promise((r) => setTimeout(r, 60));
      const live = strip(out.slice(out.lastIndexOf("iotbind-tank sim"))).replace(/\n+$/, "").split("\n");
      await sim.stop(); // as a scenario ends: the broker closes before the view stops
      view.stop();
      const frames = strip(out).split("iotbind-tank sim");
      const last = `iotbind-tank sim${frames.at(-1)}`.split("\n").filter((l) => l !== "");
      for (const frame of [live, last]) {
        expect(frame.length, `${cols}x${rows}`).toBeLessThanOrEqual(rows - 1);
        for (const line of frame) expect([...line].length, line).toBeLessThan(cols);
      }
      expect(live.join("\n")).toMatch(/more devices/);
      expect(live.join("\n")).toMatch(/Ctrl-C to stop/);
      expect(last[0]).toMatch(/finished/);
      expect(last.join("\n")).not.toMatch(/Ctrl-C|broker down/);
    }
  }, 60_000);

  it("formats virtual time and level bars", () => {
    expect(formatVirtualTime(0)).toBe("00:00:00");
    expect(formatVirtualTime(90_061_000)).toBe("1d 01:01:01");
    expect(strip(levelBar(50, 10))).toBe("[█████░░░░░]");
    expect(strip(levelBar(null, 4))).toBe("[????]");
  });
});
