/**
 * Soak: the firmware for a simulated week (or any length) at accelerated
 * virtual time against the scripted MQTT peer, with household traffic (a
 * draining tank, platform commands, readings, pings), faults (peer closes,
 * half-open black holes, broker down, garbage bytes, 1-byte reads, send
 * errors) and the u32 millisecond clock wrapping (the clock starts just
 * before 2^32). Checked all along: no trap, memory constant (one page,
 * nothing above the statics, read-only data intact), reconnect within the
 * bound after each fault, readings keep flowing, commands obeyed or refused
 * for a named reason.
 */
import { Rng } from "./rng.js";
import { FirmwareRig, Problem, loadFirmwareSync, type Firmware } from "./rig.js";
import { publish, concat } from "./mqtt-bytes.js";
import { SimHardware } from "../../world/hardware.js";
import { VirtualClock } from "../../clock.js";

export interface SoakOptions {
  days: number;
  seed?: number;
  firmware?: Firmware;
  /** Virtual clock start (default: 2^32 - 1 h, so the firmware's clock wraps in the first hour). */
  clockStart?: number;
  /** Mean virtual minutes between faults (default 90). */
  faultEveryMin?: number;
  onProgress?: (s: SoakStats) => void;
}

export interface SoakStats {
  virtualMs: number;
  ticks: number;
  wraps: number;
  faults: Record<string, number>;
  reconnects: number;
  maxReconnectMs: number;
  maxHalfOpenDetectMs: number;
  uplinks: number;
  readings: number;
  maxReadingGapMs: number;
  commands: number;
  commandsObeyed: number;
  commandsRefused: number;
  relaySwitches: number;
  memoryChecks: number;
  memoryBytes: number;
  traps: number;
  realMs: number;
}

const UID = "tank-soak-01";
const DOWNLINK = "devices/tank-soak-01/state";
const KEEPALIVE_S = 60;
const PING_TIMEOUT_MS = 5000;
const BACKOFF_CAP_MS = 30000;

export const SOAK_CONFIG: Record<string, unknown> = {
  uid: UID, key: "key-soak-01", broker_host: "broker.soak", broker_port: 8883,
  uplink_topic: "iotbind/tank/tank-soak-01", downlink_topic: DOWNLINK,
  sensor: "hc-sr04", trig_pin: 5, echo_pin: 18, relay_pin: 26,
  temperature: "fixed", temperature_c: 18, empty_distance_mm: 1100, full_distance_mm: 100,
  reading_interval_ms: 10000, heartbeat_s: 600, min_interval_s: 30, ping_interval_s: 300, deadband_pct: 1,
  mqtt_keepalive_s: KEEPALIVE_S, mqtt_ping_timeout_ms: PING_TIMEOUT_MS,
  mqtt_backoff_base_ms: 1000, mqtt_backoff_cap_ms: BACKOFF_CAP_MS, mqtt_stable_ms: 60000, mqtt_connect_timeout_ms: 10000,
  min_on_s: 30, min_off_s: 30, max_run_s: 3600, lockout_s: 600, pump_mode: "fill", high_cutoff_pct: 95,
};

const STATE = (cmd: string): string =>
  `{"uid":"${UID}","name":"Tank","type":"Water Level","cmd":"${cmd}","level":"50","level_unit":"%","temperature":"18","temperature_unit":"C"}`;

/** Pump requests refused so far, all reasons (counters 64 + r). */
function refusals(rig: FirmwareRig): number {
  let n = 0;
  for (let r = 0; r < 16; r++) n += rig.counter(64 + r);
  return n;
}

type Fault = "peer-close" | "half-open" | "broker-down" | "garbage" | "slow-recv" | "send-error";

export function runSoak(o: SoakOptions): SoakStats {
  const fw = o.firmware ?? loadFirmwareSync();
  const rng = new Rng(o.seed ?? 1);
  const clock = new VirtualClock(o.clockStart ?? 2 ** 32 - 3_600_000);
  const hw = new SimHardware({
    board: SOAK_CONFIG, clock,
    tank: { shape: "vertical_cylinder", diameterMm: 1000, heightMm: 1000, sensorHeightMm: 1100, initialLevelPct: 60, pumpFlowLpm: 20, consumptionLph: 15 },
    air: 18, seed: o.seed ?? 1,
    sensorOptions: { jitterUs: 20, missingProbability: 0.02, spuriousProbability: 0.005 },
  });
  const rig = new FirmwareRig({ firmware: fw, config: SOAK_CONFIG, clock, hardware: hw, seed: o.seed ?? 1 });
  rig.keepLogs = true;
  if (rig.initStatus !== 0) throw new Error(`soak config refused: ${rig.initError}`);
  const link = rig.link;
  const s: SoakStats = {
    virtualMs: 0, ticks: 0, wraps: 0, faults: {}, reconnects: 0, maxReconnectMs: 0, maxHalfOpenDetectMs: 0, uplinks: 0, readings: 0,
    maxReadingGapMs: 0, commands: 0, commandsObeyed: 0, commandsRefused: 0, relaySwitches: 0, memoryChecks: 0, memoryBytes: 0, traps: 0, realMs: 0,
  };
  const t0 = performance.now();
  const start = clock.now();
  const end = start + o.days * 86_400_000;
  const faultGap = (o.faultEveryMin ?? 90) * 60_000;
  let nextFault = start + rng.int(10, 30) * 60_000;
  let faultEnd = -1;
  let fault: Fault | null = null;
  let faultStartedAt = 0;
  let downSince = -1; // when the connection was lost (virtual ms)
  let nextCommand = start + 5 * 60_000;
  let pendingCommand: { on: boolean; at: number; refusals: number } | null = null;
  let nextMemCheck = start;
  let lastReadingAt = start;
  let lastFw = rig.nowMs();
  let relay = rig.relay;
  let lastUplinks = 0;
  let progressAt = start;
  try {
    while (clock.now() < end) {
      const wait = rig.tick();
      s.ticks++;
      const now = clock.now();
      const fwNow = rig.nowMs();
      if (fwNow < lastFw) s.wraps++;
      lastFw = fwNow;
      if (rig.relay !== relay) { relay = rig.relay; s.relaySwitches++; }

      // readings at the peer
      for (let i = lastUplinks; i < link.uplinks.length; i++) {
        s.uplinks++;
        if (link.uplinks[i]!.payload.includes("\"level\"")) {
          s.readings++;
          if (fault === null && downSince < 0) s.maxReadingGapMs = Math.max(s.maxReadingGapMs, now - lastReadingAt);
          lastReadingAt = now;
        }
      }
      lastUplinks = link.uplinks.length;
      if (link.uplinks.length > 10000) { link.uplinks.splice(0, link.uplinks.length); lastUplinks = 0; }

      // connection bookkeeping
      const up = rig.state === 4 && link.open && !link.peerClosed;
      if (!up && downSince < 0) {
        downSince = now;
        if (fault === "half-open") {
          // detected: the dead link is gone, new connections work
          s.maxHalfOpenDetectMs = Math.max(s.maxHalfOpenDetectMs, now - faultStartedAt);
          link.blackHole = false;
          fault = null;
          faultEnd = now;
        }
      }
      if (up && downSince >= 0) {
        s.reconnects++;
        s.maxReconnectMs = Math.max(s.maxReconnectMs, now - Math.max(downSince, faultEnd));
        downSince = -1;
        lastReadingAt = now; // the gap check restarts with the session
      }
      if (downSince >= 0 && fault === null && now - Math.max(downSince, faultEnd) > BACKOFF_CAP_MS + 15_000) {
        throw new Problem("reconnect", `not CONNECTED ${Math.round(now - Math.max(downSince, faultEnd))} ms after the link was usable (state ${rig.state}, reason ${rig.x.last_disconnect()})`);
      }
      if (fault === "half-open" && now - faultStartedAt > KEEPALIVE_S * 1500) {
        throw new Problem("liveness", `half-open link not detected ${Math.round(now - faultStartedAt)} ms after it went dark (keep-alive ${KEEPALIVE_S} s, bound 1.5x)`);
      }
      if (fault === null && downSince < 0 && now - lastReadingAt > 600_000 + 60_000) {
        throw new Problem("liveness", `no reading for ${Math.round((now - lastReadingAt) / 1000)} s while connected (heartbeat 600 s)`);
      }

      // platform commands, only on a healthy link
      if (pendingCommand && now - pendingCommand.at >= 3000) {
        if (rig.relay === pendingCommand.on) s.commandsObeyed++;
        else if (refusals(rig) > pendingCommand.refusals) s.commandsRefused++;
        else throw new Problem("relay", `"${pendingCommand.on ? "on" : "off"}" neither obeyed nor refused within 3 s (relay ${rig.relay})`);
        pendingCommand = null;
      }
      if (now >= nextCommand && up && fault === null && !pendingCommand) {
        const on = rng.chance(0.5);
        link.push(publish(DOWNLINK, STATE(on ? "on" : "off"), rng.int(0, 1), rng.int(1, 65535)));
        pendingCommand = { on, at: now, refusals: refusals(rig) };
        s.commands++;
        nextCommand = now + rng.int(10, 120) * 60_000;
      }

      // faults
      if (fault === null && now >= nextFault && up && !pendingCommand) {
        fault = rng.pick(["peer-close", "half-open", "broker-down", "garbage", "slow-recv", "send-error"] as const);
        s.faults[fault] = (s.faults[fault] ?? 0) + 1;
        faultStartedAt = now;
        faultEnd = now + rng.int(1, 20) * 60_000; // broker down / slow reads last 1..20 min
        switch (fault) {
          case "peer-close": link.closeByPeer(); faultEnd = now; break;
          case "half-open": link.blackHole = true; faultEnd = Infinity; break;
          case "broker-down": link.refuse = true; link.closeByPeer(); break;
          case "garbage": link.push(concat([rng.bytes(rng.int(1, 200)), new Uint8Array([0xf0, 0x00])])); faultEnd = now; break;
          case "slow-recv": link.recvMax = 1; break;
          case "send-error": link.sendFails = true; faultEnd = now + 1000; break;
        }
        nextFault = now + rng.int(Math.floor(faultGap / 2), Math.floor(faultGap * 1.5));
      }
      if (fault !== null && fault !== "half-open" && now >= faultEnd) {
        link.refuse = false;
        link.recvMax = Infinity;
        link.sendFails = false;
        fault = null;
      }

      if (now >= nextMemCheck) {
        rig.checkMemory();
        s.memoryChecks++;
        s.memoryBytes = Math.max(s.memoryBytes, rig.memory.buffer.byteLength);
        nextMemCheck = now + 60_000;
      }
      if (o.onProgress && now - progressAt >= 86_400_000) { progressAt = now; s.virtualMs = now - start; s.realMs = performance.now() - t0; o.onProgress(s); }
      clock.advance(Math.max(1, Math.min(wait, 1000)));
    }
    rig.checkMemory();
  } catch (e) {
    if (e instanceof Problem && e.kind === "trap") s.traps++;
    if (e instanceof Problem) {
      e.message += ` at virtual ${((clock.now() - start) / 3_600_000).toFixed(2)} h; last logs:\n${rig.lastLogs.slice(-10).join("\n")}`;
    }
    throw e;
  }
  s.virtualMs = clock.now() - start;
  s.realMs = performance.now() - t0;
  return s;
}
