/** Shared setup of the fault-injection tests: a device routed through a FaultProxy, a platform client, event logs. */
import { startDevice, waitFor, type DeviceUnderTest } from "../helpers/device-fixture.js";
import { PlatformClient } from "../helpers/platform-client.js";
import { FaultProxy } from "../helpers/proxy.js";
import type { BrokerInfo } from "../harness/mosquitto.js";
import { ConnState } from "../../sim/host/abi.js";

/** Short timings so the faults play out in seconds. Half-open detection takes at most keep-alive + ping timeout = 2.5 s: inside 1.5x keep-alive (3 s) with room for timer lag under load. */
export const KEEPALIVE_S = 2;
export const PING_TIMEOUT_MS = 500;
export const BACKOFF_BASE_MS = 200;
export const BACKOFF_CAP_MS = 1000;

export const FAST = {
  mqtt_keepalive_s: KEEPALIVE_S,
  mqtt_ping_timeout_ms: PING_TIMEOUT_MS,
  mqtt_backoff_base_ms: BACKOFF_BASE_MS,
  mqtt_backoff_cap_ms: BACKOFF_CAP_MS,
  mqtt_connect_timeout_ms: 3000,
  mqtt_stable_ms: 60000,
  reading_interval_ms: 300,
  min_interval_s: 0,
};

export interface Rig {
  dut: DeviceUnderTest;
  proxy: FaultProxy;
  platform: PlatformClient;
  relayEvents: { on: boolean; at: number }[];
  connEvents: { state: number; at: number }[];
  traps: number;
  /** Time (ms) of the last transition into CONNECTED. */
  connectedAt(): number;
  close(): Promise<void>;
}

export function stateMessage(uid: string, cmd: "on" | "off"): string {
  return JSON.stringify({ uid, name: "Tank", type: "Water Level", cmd, level: "42", level_unit: "%", temperature: "20", temperature_unit: "C" });
}

export async function startRig(broker: BrokerInfo, over: Record<string, string | number | boolean> = {}, proxyOpts: { slowGapMs?: number; mode?: "forward" | "slow" } = {}): Promise<Rig> {
  const proxy = await FaultProxy.start({ host: broker.host, port: broker.port }, proxyOpts);
  if (proxyOpts.mode) proxy.mode = proxyOpts.mode;
  const dut = await startDevice(broker, { ...FAST, ...over }, { run: false, device: { connectOverride: proxy.override } });
  const platform = await PlatformClient.connect(broker, [dut.fx.uplink]);
  const rig: Rig = {
    dut, proxy, platform, relayEvents: [], connEvents: [], traps: 0,
    connectedAt: () => [...rig.connEvents].reverse().find((e) => e.state === ConnState.CONNECTED)?.at ?? -1,
    close: async () => {
      await dut.device.stop();
      await rig.platform.close().catch(() => {});
      await proxy.close();
    },
  };
  dut.device.on("relay", (on) => rig.relayEvents.push({ on, at: Date.now() }));
  dut.device.on("conn", (state) => rig.connEvents.push({ state, at: Date.now() }));
  dut.device.on("trap", () => rig.traps++);
  dut.device.run();
  await waitFor(() => dut.device.connState === ConnState.CONNECTED, 10000, "first CONNECTED");
  return rig;
}

/** Readings (uplinks with a level) the platform got at or after `since`. */
export function readingsSince(rig: Rig, since: number): { level: number; at: number }[] {
  return rig.platform.on(rig.dut.fx.uplink)
    .filter((m) => m.at >= since && typeof (m.json as Record<string, unknown> | undefined)?.level !== "undefined")
    .map((m) => ({ level: Number((m.json as Record<string, unknown>).level), at: m.at }));
}

/** Sends a state with `cmd` and waits for the relay to follow; returns the ms it took. */
export async function command(rig: Rig, cmd: "on" | "off", timeoutMs = 3000): Promise<number> {
  const t0 = Date.now();
  await rig.platform.publish(rig.dut.fx.downlink, stateMessage(rig.dut.fx.uid, cmd));
  await waitFor(() => rig.dut.device.relayOn === (cmd === "on"), timeoutMs, `relay ${cmd} after a downlink`);
  return Date.now() - t0;
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
