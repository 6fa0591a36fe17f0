/**
 * Fault injection against real mosquitto through a loopback TCP proxy owned
 * by the test (test/helpers/proxy.ts): connection cut mid-packet (both
 * directions), a half-open link (black hole: nothing forwarded, sockets kept
 * open), and a link that moves one byte per write. After each fault: the
 * device reconnects within its backoff bound, is subscribed again (a
 * downlink acts), every relay change happens exactly once, and the platform
 * has the latest reading within 2 s of the reconnect.
 */
import { afterEach, describe, expect, inject, it } from "vitest";
import { waitFor } from "../helpers/device-fixture.js";
import { ConnState, Counter, DISCONNECT_NAMES } from "../../sim/host/abi.js";
import { BACKOFF_CAP_MS, KEEPALIVE_S, command, readingsSince, sleep, startRig, type Rig } from "./helpers.js";

const broker = inject("broker");
const rigs: Rig[] = [];
afterEach(async () => {
  while (rigs.length) await rigs.pop()!.close();
});

async function rig(over: Record<string, string | number | boolean> = {}, proxy: { slowGapMs?: number; mode?: "forward" | "slow" } = {}): Promise<Rig> {
  const r = await startRig(broker, over, proxy);
  rigs.push(r);
  return r;
}

/** After a fault: CONNECTED on a new link within the bound, latest reading within 2 s, downlink acts. */
async function expectRecovered(r: Rig, faultAt: number, boundMs: number): Promise<{ reconnectMs: number }> {
  const linksBefore = r.proxy.accepted;
  await waitFor(() => r.dut.device.connState === ConnState.CONNECTED && r.connectedAt() > faultAt, boundMs + 3000, "CONNECTED again");
  const reconnectMs = r.connectedAt() - faultAt;
  expect(reconnectMs).toBeLessThanOrEqual(boundMs);
  expect(r.proxy.accepted).toBeGreaterThanOrEqual(linksBefore);
  const up = r.connectedAt();
  await waitFor(() => readingsSince(r, up).length > 0, 2500, "a reading after the reconnect");
  const first = readingsSince(r, up)[0]!;
  expect(first.at - up).toBeLessThanOrEqual(2000);
  expect(Math.abs(first.level - r.dut.device.levelPct!)).toBeLessThanOrEqual(1);
  return { reconnectMs };
}

describe("fault injection through a TCP proxy, real mosquitto", () => {
  it("connection cut in the middle of a downlink PUBLISH: nothing applied, reconnect, resubscribed, exactly one relay change", async () => {
    const r = await rig();
    await waitFor(() => r.dut.device.levelPct !== null, 5000, "a reading");
    await sleep(300);
    const link = r.proxy.current!;
    const downBefore = link.bytes("down");
    link.cutAfter("down", 30); // a state message is ~170 bytes: the cut lands inside it
    const faultAt = Date.now();
    await r.platform.publish(r.dut.fx.downlink, JSON.stringify({ uid: r.dut.fx.uid, name: "Tank", type: "Water Level", cmd: "on", level: "42", level_unit: "%", temperature: "20", temperature_unit: "C" }));
    await waitFor(() => link.closed, 3000, "the cut");
    expect(link.bytes("down")).toBeLessThanOrEqual(downBefore + 30);
    await expectRecovered(r, faultAt, BACKOFF_CAP_MS + 1000);
    expect(r.relayEvents).toEqual([]); // the partial "on" was never applied
    expect(r.dut.device.lastDisconnect === 2 || r.dut.device.counter(Counter.DISCONNECT_BASE + 2) > 0).toBe(true);
    await command(r, "on");
    await sleep(500);
    expect(r.relayEvents.map((e) => e.on)).toEqual([true]);
    expect(r.traps).toBe(0);
  });

  it("connection cut in the middle of an uplink PUBLISH: after the reconnect the platform gets the latest reading", async () => {
    const r = await rig();
    await waitFor(() => r.dut.device.levelPct !== null, 5000, "a reading");
    await sleep(300);
    const link = r.proxy.current!;
    link.cutAfter("up", 12); // the next uplink (the reading of the new level, ~80 bytes) is cut after 12 bytes
    const faultAt = Date.now();
    r.dut.hw.tank.levelPct = 55; // below the spike limit, above the deadband
    await waitFor(() => link.closed, 5000, "the cut");
    await expectRecovered(r, faultAt, BACKOFF_CAP_MS + 1000);
    const after = readingsSince(r, r.connectedAt());
    expect(Math.abs(after[0]!.level - 55)).toBeLessThanOrEqual(1);
    expect(r.relayEvents).toEqual([]);
    expect(r.traps).toBe(0);
  });

  it("half-open link (black hole): detected within 1.5x the keep-alive, then recovered", async () => {
    const r = await rig();
    await waitFor(() => r.dut.device.levelPct !== null, 5000, "a reading");
    await sleep(500);
    const before = r.dut.device.counter(Counter.MQTT_KEEPALIVE_TIMEOUTS);
    r.proxy.setMode("blackhole", true); // only the current link; new links forward
    const faultAt = Date.now();
    await waitFor(() => r.dut.device.connState !== ConnState.CONNECTED, KEEPALIVE_S * 1500 + 2000, "half-open detection");
    const detectMs = Date.now() - faultAt;
    console.log(`half-open link detected after ${detectMs} ms (keep-alive ${KEEPALIVE_S * 1000} ms, bound ${KEEPALIVE_S * 1500} ms)`);
    expect(detectMs).toBeLessThanOrEqual(KEEPALIVE_S * 1500);
    expect(DISCONNECT_NAMES[r.dut.device.lastDisconnect]).toBe("KEEPALIVE_TIMEOUT");
    expect(r.dut.device.counter(Counter.MQTT_KEEPALIVE_TIMEOUTS)).toBe(before + 1);
    await expectRecovered(r, faultAt, KEEPALIVE_S * 1500 + BACKOFF_CAP_MS + 1000);
    await command(r, "on");
    await command(r, "off");
    expect(r.relayEvents.map((e) => e.on)).toEqual([true, false]);
    expect(r.traps).toBe(0);
  });

  it("a stalled link (nothing forwarded for less than the keep-alive, then everything): no reconnect, the command acts once", async () => {
    const r = await rig();
    await waitFor(() => r.dut.device.levelPct !== null, 5000, "a reading");
    await sleep(300);
    const connects = r.dut.device.counter(Counter.MQTT_CONNECTS);
    r.proxy.setMode("stall", true);
    await r.platform.publish(r.dut.fx.downlink, JSON.stringify({ uid: r.dut.fx.uid, cmd: "on" }));
    await sleep(1200);
    expect(r.relayEvents).toEqual([]); // held in the proxy
    r.proxy.setMode("forward");
    await waitFor(() => r.dut.device.relayOn, 3000, "relay on after the stall");
    await sleep(300);
    expect(r.relayEvents.map((e) => e.on)).toEqual([true]);
    expect(r.dut.device.counter(Counter.MQTT_CONNECTS)).toBe(connects);
    expect(r.dut.device.connState).toBe(ConnState.CONNECTED);
    expect(r.traps).toBe(0);
  });

  it("a link that moves one byte per write: connects, subscribes, publishes and obeys, with no disconnect", async () => {
    const r = await rig({}, { mode: "slow", slowGapMs: 1 });
    await waitFor(() => readingsSince(r, 0).length > 0, 8000, "a reading over the 1-byte link");
    await command(r, "on", 8000);
    await command(r, "off", 8000);
    await sleep(300);
    expect(r.relayEvents.map((e) => e.on)).toEqual([true, false]);
    expect(r.dut.device.counter(Counter.MQTT_CONNECTS)).toBe(1);
    expect(r.dut.device.counter(Counter.MQTT_PROTOCOL_ERRORS)).toBe(0);
    expect(r.proxy.current!.bytes("up")).toBeGreaterThan(100);
    expect(r.traps).toBe(0);
  });
});
