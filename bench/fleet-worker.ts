/**
 * One fleet measurement in a fresh process (so its RSS is its own):
 *
 *   node --expose-gc dist/bench/fleet-worker.js '<json FleetJob>'
 *
 * kind "iotbind": N Device instances (the release firmware.wasm, compiled
 *   once, one instance each) with SimHardware on one ScaledClock, each with
 *   its own socket to the broker (Device.run(): it sleeps what `tick` asks).
 * kind "iotbind-sim": the same devices driven by the product's fleet runner,
 *   `Simulation` (sim/simulation.ts: one VirtualClock, the Scheduler, speed
 *   10, external broker, no platform emulator in the process).
 * kind "iotbind-workers": the same Simulation with `workers: 2` (devices in
 *   two worker threads, events on the main thread); counts from `summary()`.
 * kind "plain": N small TypeScript devices the way a user would write a
 *   simulator: one mqtt.js client each, a Tank model, a timer that publishes
 *   the same reading JSON (QoS 1) every period, a handler for the platform's
 *   state messages that switches a relay flag.
 *
 * Both publish on iotbind/tank/<uid> and subscribe to devices/<uid>/state;
 * the parent echoes a state message for every uplink (as the platform does).
 * Prints one JSON line (FleetSample) on stdout.
 */
import { performance } from "node:perf_hooks";
import mqtt from "mqtt";
import { ScaledClock } from "../sim/clock.js";
import { Device, loadFirmware, type DeviceConfig } from "../sim/host/device.js";
import { SimHardware } from "../sim/world/hardware.js";
import { Tank, type TankOptions } from "../sim/world/tank.js";
import { ConnState } from "../sim/host/abi.js";
import { Simulation } from "../sim/simulation.js";

export type FleetKind = "iotbind" | "iotbind-sim" | "iotbind-workers" | "plain";

export interface FleetJob {
  kind: FleetKind;
  n: number;
  broker: { host: string; port: number; user: string; password: string };
  /** Real seconds between two uplinks of one device (the firmware's heartbeat_s / speed). */
  periodS: number;
  /** Virtual ms per real ms for the firmware (its heartbeat is 10 s virtual). */
  speed: number;
  /** Devices started per real second (connect storm control). */
  startRate: number;
  warmupS: number;
  measureS: number;
  /** Give up waiting for connections after this many real seconds. */
  connectTimeoutS: number;
  prefix: string;
}

export interface FleetSample {
  kind: FleetKind;
  n: number;
  connected: number;
  /** Messages in the measured window: uplinks sent + downlinks received. */
  uplinks: number;
  downlinks: number;
  measureS: number;
  cpuMs: number;
  rssBaselineMiB: number;
  rssMiB: number;
  heapUsedMiB: number;
  startS: number;
  /** Real seconds until 99 % of the devices were connected. */
  start99S?: number;
  /** iotbind-sim: the scheduler over the window (effective speed = virtual ms / real ms; real ms the clock was held for network replies). */
  scheduler?: { effectiveSpeed: number; heldRealMs: number; ticks: number; yields: number };
  error?: string;
}

const TANK: TankOptions = { shape: "vertical_cylinder", diameterMm: 800, heightMm: 1000, sensorHeightMm: 1100, initialLevelPct: 40, pumpFlowLpm: 40, pumpMode: "fill", consumptionLph: 0 };

/** The firmware config members that set the message rate (one reading and one uplink per 10 s virtual). */
const FLEET_CONFIG: Partial<DeviceConfig> = {
  heartbeat_s: 10, deadband_pct: 100, min_interval_s: 5, ping_interval_s: 3600, reading_interval_ms: 10000,
  mqtt_keepalive_s: 600, mqtt_connect_timeout_ms: 120000, mqtt_backoff_base_ms: 5000, mqtt_backoff_cap_ms: 60000,
};

interface Member {
  connected(): boolean;
  uplinks(): number;
  downlinks(): number;
  stop(): Promise<void>;
}

const mib = (b: number): number => Math.round((b / 2 ** 20) * 100) / 100;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
function gc(): void {
  const g = (globalThis as { gc?: () => void }).gc;
  if (g) { g(); g(); }
}

async function iotbindMember(i: number, job: FleetJob, module: WebAssembly.Module, clock: ScaledClock): Promise<Member> {
  const uid = `${job.prefix}-${i}`;
  const tank = new Tank(TANK);
  const config: DeviceConfig = {
    uid, key: `key-${uid}`,
    broker_host: job.broker.host, broker_port: job.broker.port, broker_user: job.broker.user, broker_password: job.broker.password,
    uplink_topic: `iotbind/tank/${uid}`, downlink_topic: `devices/${uid}/state`,
    sensor: "hc-sr04", trig_pin: 5, echo_pin: 18, relay_pin: 26, temperature: "fixed", temperature_c: 20,
    ...tank.firmwareConfig(),
    ...FLEET_CONFIG,
  };
  const hw = new SimHardware({ board: config, clock, tank, air: 20, seed: uid });
  const device = await Device.create({ config, hardware: hw, module, clock });
  device.run();
  const down = (): number => { let s = 0; for (let id = 32; id <= 39; id++) s += device.counter(id); return s; };
  return {
    connected: () => device.connState === ConnState.CONNECTED,
    uplinks: () => device.counter(40),
    downlinks: down,
    stop: () => device.stop(),
  };
}

function plainMember(i: number, job: FleetJob): Member {
  const uid = `${job.prefix}-${i}`;
  const key = `key-${uid}`;
  const tank = new Tank(TANK);
  const up = `iotbind/tank/${uid}`;
  const downTopic = `devices/${uid}/state`;
  let relay = false;
  let uplinks = 0;
  let downlinks = 0;
  let last = performance.now();
  const client = mqtt.connect(`mqtt://${job.broker.host}:${job.broker.port}`, {
    clientId: `plain-${uid}`.slice(0, 23), username: job.broker.user, password: job.broker.password,
    keepalive: 60, clean: true, reconnectPeriod: 5000, connectTimeout: 120_000,
  });
  client.on("error", () => {});
  client.on("connect", () => {
    client.subscribe(downTopic, { qos: 1 });
    client.publish(up, JSON.stringify({ uid, key, cmd: "get" }), { qos: 1 });
  });
  client.on("message", (_t, payload) => {
    downlinks++;
    try {
      const m = JSON.parse(payload.toString("utf8")) as { uid?: unknown; key?: unknown; cmd?: unknown };
      if (m.uid === uid && m.key === undefined && (m.cmd === "on" || m.cmd === "off")) relay = m.cmd === "on";
    } catch {
      // a malformed state message: ignored
    }
  });
  const timer = setInterval(() => {
    const now = performance.now();
    tank.step((now - last) * job.speed, relay);
    last = now;
    if (!client.connected) return;
    const level = String(Math.round(tank.levelPct));
    client.publish(up, JSON.stringify({ uid, key, level, temperature: "20.0" }), { qos: 1 });
    uplinks++;
  }, job.periodS * 1000);
  return {
    connected: () => client.connected,
    uplinks: () => uplinks,
    downlinks: () => downlinks,
    stop: async () => {
      clearInterval(timer);
      await client.endAsync();
    },
  };
}

/** The whole fleet in one Simulation; one Member per device (with workers: one Member for the whole fleet, from summary()). */
async function simulationMembers(job: FleetJob, module: WebAssembly.Module): Promise<{ members: Member[]; stop: () => Promise<void>; sim: Simulation; poll?: () => Promise<void> }> {
  const sim = new Simulation({
    workers: job.kind === "iotbind-workers" ? 2 : 0,
    devices: Array.from({ length: job.n }, (_, i) => ({ uid: `${job.prefix}-${i}`, tank: { ...TANK }, air: 20, config: { downlink_topic: `devices/${job.prefix}-${i}/state` } })),
    defaults: { config: { temperature: "fixed", temperature_c: 20, auto: false, button_pin: -1, ...FLEET_CONFIG } },
    broker: { url: `mqtt://${job.broker.host}:${job.broker.port}`, user: job.broker.user, password: job.broker.password },
    platform: false,
    speed: job.speed,
    firmware: module,
    updateIntervalMs: 0,
  });
  sim.on("error", () => {});
  await sim.start();
  void sim.run().catch(() => {});
  if (job.kind === "iotbind-workers") {
    // The devices live in the workers: one member that stands for N, refreshed from summary() by poll().
    let last = { connected: 0, uplinks: 0, downlinks: 0 };
    const poll = async (): Promise<void> => {
      const s = await sim.summary();
      last = { connected: s.connected, uplinks: s.messages.uplinks, downlinks: s.messages.downlinks };
    };
    const fleet: Member & { n: number } = { n: job.n, connected: () => last.connected >= job.n, uplinks: () => last.uplinks, downlinks: () => last.downlinks, stop: async () => {} };
    (fleet as unknown as { connectedCount: () => number }).connectedCount = () => last.connected;
    return { members: [fleet], stop: () => sim.stop(), sim, poll };
  }
  const members = sim.devices.map((d): Member => ({
    connected: () => d.device.connState === ConnState.CONNECTED,
    uplinks: () => d.device.counter(40),
    downlinks: () => { let s = 0; for (let id = 32; id <= 39; id++) s += d.device.counter(id); return s; },
    stop: async () => {},
  }));
  return { members, stop: () => sim.stop(), sim };
}

async function main(): Promise<void> {
  const job = JSON.parse(process.argv[2] ?? "{}") as FleetJob;
  const module = job.kind === "plain" ? null : await loadFirmware();
  let stopAll: (() => Promise<void>) | null = null;
  let sim: Simulation | null = null;
  let poll: () => Promise<void> = async () => {};
  const clock = new ScaledClock(0, job.speed);
  // Warm the code paths of one device outside the fleet? No: the baseline is this process with its code loaded, no device.
  gc();
  await sleep(50);
  const rssBaseline = process.memoryUsage().rss;
  const members: Member[] = [];
  const t0 = performance.now();
  const sample: FleetSample = {
    kind: job.kind, n: job.n, connected: 0, uplinks: 0, downlinks: 0, measureS: job.measureS, cpuMs: 0,
    rssBaselineMiB: mib(rssBaseline), rssMiB: 0, heapUsedMiB: 0, startS: 0,
  };
  try {
    const batch = Math.max(1, Math.round(job.startRate / 20));
    const simKind = job.kind === "iotbind-sim" || job.kind === "iotbind-workers";
    if (simKind) {
      const r = await simulationMembers(job, module!);
      members.push(...r.members);
      stopAll = r.stop;
      sim = r.sim;
      if (r.poll) poll = r.poll;
    }
    for (let i = 0; !simKind && i < job.n; i += batch) {
      const k = Math.min(batch, job.n - i);
      const made = await Promise.all(Array.from({ length: k }, (_, j) =>
        job.kind === "iotbind" ? iotbindMember(i + j, job, module!, clock) : Promise.resolve(plainMember(i + j, job))));
      members.push(...made);
      await sleep(50);
    }
    const deadline = performance.now() + job.connectTimeoutS * 1000;
    const connectedCount = (): number => members.reduce((s, m) => s + ((m as unknown as { connectedCount?: () => number }).connectedCount?.() ?? (m.connected() ? 1 : 0)), 0);
    for (;;) {
      await poll();
      const c = connectedCount();
      if (sample.start99S === undefined && c >= job.n * 0.99) sample.start99S = Math.round((performance.now() - t0) / 100) / 10;
      if (c >= job.n || performance.now() >= deadline) break;
      await sleep(100);
    }
    sample.startS = Math.round((performance.now() - t0) / 100) / 10;
    await sleep(job.warmupS * 1000);
    await poll();
    const up0 = members.reduce((s, m) => s + m.uplinks(), 0);
    const dn0 = members.reduce((s, m) => s + m.downlinks(), 0);
    process.stdout.write("window-start\n"); // the parent samples the broker's CPU time now and at window-end
    const c0 = process.cpuUsage();
    const w0 = performance.now();
    const v0 = sim ? { now: sim.now(), ...sim.scheduler.stats } : null;
    await sleep(job.measureS * 1000);
    const c1 = process.cpuUsage(c0);
    const w1 = performance.now();
    await poll();
    if (sim && v0) {
      const st = sim.scheduler.stats;
      sample.scheduler = {
        effectiveSpeed: Math.round(((sim.now() - v0.now) / (w1 - w0)) * 100) / 100,
        heldRealMs: Math.round(st.heldRealMs - v0.heldRealMs),
        ticks: st.ticks - v0.ticks,
        yields: st.yields - v0.yields,
      };
    }
    process.stdout.write("window-end\n");
    sample.uplinks = members.reduce((s, m) => s + m.uplinks(), 0) - up0;
    sample.downlinks = members.reduce((s, m) => s + m.downlinks(), 0) - dn0;
    sample.cpuMs = Math.round((c1.user + c1.system) / 100) / 10;
    sample.measureS = Math.round((w1 - w0) / 100) / 10;
    sample.connected = connectedCount();
    gc();
    const mu = process.memoryUsage();
    sample.rssMiB = mib(mu.rss);
    sample.heapUsedMiB = mib(mu.heapUsed);
  } catch (e) {
    sample.error = (e as Error).message;
  }
  process.stdout.write(JSON.stringify(sample) + "\n");
  await Promise.race([Promise.allSettled([...members.map((m) => m.stop()), stopAll?.()]), sleep(5000)]);
  process.exit(0);
}

void main();
