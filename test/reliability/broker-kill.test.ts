/**
 * The broker killed with SIGKILL and restarted, 20 times in one run
 * (BROKER_KILLS=n for a longer run; own mosquitto; the device reaches it
 * through a FaultProxy so the test can hold the device off until the
 * platform has subscribed again). Each round: reconnect within the backoff
 * bound once the broker is reachable, the relay state intact across the
 * outage (no relay change without a command), resubscribed (the next
 * downlink acts), the latest reading at the platform within 2 s of the
 * reconnect, and over the whole run every relay change exactly once, in
 * command order.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Mosquitto } from "../harness/mosquitto.js";
import { waitFor } from "../helpers/device-fixture.js";
import { PlatformClient } from "../helpers/platform-client.js";
import { ConnState, Counter } from "../../sim/host/abi.js";
import { BACKOFF_CAP_MS, command, readingsSince, sleep, startRig, type Rig } from "./helpers.js";

const KILLS = Math.max(20, Number(process.env.BROKER_KILLS ?? 0) || 0);
let broker: Mosquitto;

beforeAll(async () => { broker = await Mosquitto.start(); });
afterAll(async () => { await broker?.stop(); });

describe("broker killed with SIGKILL and restarted", () => {
  it(`survives ${KILLS} kills in one run: reconnects within the backoff bound, relay state intact, latest reading within 2 s, resubscribes, no duplicate or lost relay change`, async () => {
    const t0 = Date.now();
    const r: Rig = await startRig(broker.info);
    try {
      await waitFor(() => r.dut.device.levelPct !== null, 5000, "a reading");
      const commands: boolean[] = [];
      let survived = 0;
      const reconnects: number[] = [];
      const readingDelays: number[] = [];
      for (let k = 0; k < KILLS; k++) {
        const cmd = k % 2 === 0 ? "on" : "off";
        await command(r, cmd);
        commands.push(cmd === "on");
        const relayBefore = r.dut.device.relayOn;
        const eventsBefore = r.relayEvents.length;
        // Crash the broker; keep the device away until it is back and the platform listens again.
        r.proxy.refuse = true;
        await broker.kill();
        await waitFor(() => r.dut.device.connState !== ConnState.CONNECTED, 5000, "the device notices the dead broker");
        await sleep(300 + 150 * (k % 5)); // a few failed attempts: the backoff grows towards its cap
        await broker.restart();
        await r.platform.close().catch(() => {});
        r.platform = await PlatformClient.connect(broker.info, [r.dut.fx.uplink]);
        const reachableAt = Date.now();
        r.proxy.refuse = false;
        await waitFor(() => r.dut.device.connState === ConnState.CONNECTED && r.connectedAt() >= reachableAt, BACKOFF_CAP_MS + 5000, `CONNECTED after kill ${k + 1}`);
        const took = r.connectedAt() - reachableAt;
        reconnects.push(took);
        expect(took).toBeLessThanOrEqual(BACKOFF_CAP_MS + 1000);
        const up = r.connectedAt();
        await waitFor(() => readingsSince(r, up).length > 0, 2500, "the latest reading after the reconnect");
        const first = readingsSince(r, up)[0]!;
        readingDelays.push(first.at - up);
        expect(first.at - up).toBeLessThanOrEqual(2000);
        expect(Math.abs(first.level - r.dut.device.levelPct!)).toBeLessThanOrEqual(1);
        // The relay state is intact across the outage and the reconnect.
        expect(r.dut.device.relayOn).toBe(relayBefore);
        expect(r.dut.device.relayOn).toBe(cmd === "on");
        expect(r.relayEvents.length).toBe(eventsBefore);
        survived++;
      }
      // Resubscribed after the last restart: one more command acts.
      const last = KILLS % 2 === 0 ? "on" : "off";
      await command(r, last);
      commands.push(last === "on");
      await sleep(500);
      expect(r.relayEvents.map((e) => e.on)).toEqual(commands);
      expect(r.dut.device.counter(Counter.MQTT_CONNECTS)).toBe(KILLS + 1);
      expect(r.traps).toBe(0);
      console.log(`broker kills survived: ${survived} in ${Date.now() - t0} ms; reconnect after the broker was reachable: ${reconnects.join(", ")} ms; first reading after reconnect: ${readingDelays.join(", ")} ms`);
      expect(survived).toBe(KILLS);
    } finally {
      await r.close();
    }
  }, 30_000 + KILLS * 4_000);
});
