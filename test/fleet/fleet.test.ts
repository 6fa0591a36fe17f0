/** A fleet of 100 devices (one compiled module, 100 instances) against the real mosquitto. */
import { describe, expect, inject, it } from "vitest";
import { formatFleetReport, runFleet } from "../../sim/fleet.js";

const broker = inject("broker");

describe("fleet", () => {
  it("100 devices all connect to mosquitto and publish a reading; memory per device is reported", async () => {
    const r = await runFleet({
      devices: 100,
      broker: { url: `mqtt://${broker.host}:${broker.port}`, user: broker.user, password: broker.password },
      uidPrefix: `fleet${process.pid}`,
      maxVirtualS: 300,
      timeoutRealMs: 60_000,
    });
    console.log(formatFleetReport(r));
    expect(r.connected).toBe(100);
    expect(r.published).toBe(100);
    expect(r.platformReadings).toBeGreaterThanOrEqual(100);
    expect(r.traps).toBe(0);
    expect(r.wasmBytesPerDevice).toBe(65536);
    expect(r.perDevice.rss).toBeGreaterThan(0);
    expect(r.perDevice.rss).toBeLessThan(4 * 1024 * 1024);
  }, 90_000);
});
