/**
 * A release-firmware rig (sim/tools/fuzz/rig.ts: virtual clock, simulated
 * tank and HC-SR04, scripted MQTT peer) for the pump-safety tests of issue 13.
 */
import { FakeLink, FirmwareRig, loadFirmwareSync } from "../../sim/tools/fuzz/rig.js";
import { DOWNLINK, FUZZ_CONFIG, FUZZ_UID } from "../../sim/tools/fuzz/fuzzers.js";
import { publish } from "../../sim/tools/fuzz/mqtt-bytes.js";
import { Counter } from "../../sim/host/abi.js";

export { DOWNLINK, FUZZ_UID };
export const S = { AWAITING_CONNACK: 2, CONNECTED: 4, BACKING_OFF: 5 } as const;
export const C = {
  ACCEPTED: 32, STALE_ECHO: 39, RETAINED_ON: 43, DROPPED: 7,
  QUALITY_BASE: Counter.QUALITY_BASE, REFUSAL_BASE: Counter.PUMP_REFUSAL_BASE,
  CLOCK_BACK: 82, CLOCK_JUMP: 83,
} as const;
export const R = { MIN_ON_TIME: 2, LOCKOUT: 3, HIGH_LEVEL: 4, LEVEL_UNKNOWN: 6 } as const;

export function makeRig(over: Record<string, unknown> = {}, seed = 1, link?: FakeLink): FirmwareRig {
  const rig = new FirmwareRig({ firmware: loadFirmwareSync(), config: { ...FUZZ_CONFIG, ...over }, seed, link });
  rig.keepLogs = true;
  if (rig.initStatus !== 0) throw new Error(`config refused: ${rig.initError}`);
  return rig;
}

/** Connected, with a first reading (level known). */
export function connectedRig(over: Record<string, unknown> = {}, seed = 1): FirmwareRig {
  const rig = makeRig(over, seed);
  if (!rig.runUntil(() => rig.state === S.CONNECTED, 5000, 20)) throw new Error(`not connected (state ${rig.state})`);
  if (!rig.runUntil(() => rig.x.level_permille() >= 0, 30000)) throw new Error("no first reading");
  return rig;
}

/** A platform state message on the downlink topic (QoS 0; `retain` sets the RETAIN flag). */
export function sendCmd(rig: FirmwareRig, cmd: "on" | "off", retain = false, qos = 0, id = 1): void {
  rig.link.push(publish(DOWNLINK, `{"uid":"${FUZZ_UID}","level":"40","temperature":"20","cmd":"${cmd}"}`, qos, id, retain ? 1 : 0));
  rig.tick();
}

/** Readings taken so far (all qualities). */
export function readings(rig: FirmwareRig): number {
  let n = 0;
  for (let q = 0; q < 16; q++) n += rig.counter(C.QUALITY_BASE + q);
  return n;
}

/** Advances `ms` of physical time in `step` ms ticks. */
export function run(rig: FirmwareRig, ms: number, step = 100): void {
  for (let t = 0; t < ms; t += step) rig.advance(Math.min(step, ms - t));
}

/** Advances in `step` ms ticks until `cond` (checked before each step) or `limit` ms; returns ms taken, or -1. */
export function timeUntil(rig: FirmwareRig, cond: () => boolean, limit: number, step = 100): number {
  for (let t = 0; t <= limit; t += step) {
    if (cond()) return t;
    rig.advance(step);
  }
  return -1;
}

/** Relay states the device reported (uplink kinds 2/3: "cmd":"on"/"off"), in order. */
export function reportedStates(rig: FirmwareRig): string[] {
  return rig.link.uplinks
    .map((u) => /"cmd"\s*:\s*"(on|off)"/.exec(u.payload)?.[1])
    .filter((s): s is string => s !== undefined);
}
