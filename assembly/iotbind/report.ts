// Uplink publish policy (PROTOCOL.md, config.ts "reporting"):
// - nothing is published unless the MQTT session is CONNECTED; nothing is
//   queued while offline, so after a reconnect only the latest values go out;
//   a reading stored unacknowledged is superseded (never resent) as soon as a
//   newer valid reading exists (mqttSupersede; docs/MQTT.md "Never stuck");
// - on every new session (mqttSessionId() changed): an open device state
//   (sync.ts) is reported (kind 2 when a reading goes with it, else kind 3),
//   otherwise a `get` (kind 4) so the relay follows the platform; then the
//   latest reading at once;
// - a reading (kind 1) when the level moved by >= deadband (deadband 0: every
//   new reading) and min_interval has passed since the last reading, or when
//   heartbeat has passed; only readings of quality OK with a level in 0..100 %;
// - a state report (kind 3) after every device-side relay change and every
//   refused platform command (sync.ts);
// - a ping (kind 5) when nothing was published for ping_interval.
// The boot state of the relay (power_on) is the pump module's business; the
// first session sends `get` like every other one.
// At most one publish per tick; a publish refused for now (window full, not
// connected) is retried RETRY_MS later with fresh values; one that can never
// be sent (too big for an MQTT packet) is dropped and counted (41).
import { cfg } from "../config";
import { mqttState, mqttSessionId, mqttSupersede, MqttState } from "../mqtt/client";
import { levelPermille, temperatureDeciC, readingQuality, readingSeq } from "../sensor/sensor";
import { relayIsOn } from "../pump/pump";
import { elapsed, until, sooner } from "../util/time";
import { sendUplink, UplinkKind, UPLINK_RETRY } from "./uplink";
import { syncInit, syncLocalChanges, syncReportDue, syncReportSent, syncOnSession } from "./sync";
import { NO_DEADLINE_MS, RETRY_MS } from "../tunables";

const QUALITY_OK: i32 = 1;
/** Nothing to publish until a module changes something (in the same tick): no deadline of its own. */
const IDLE_WAIT_MS: u32 = NO_DEADLINE_MS;

let lastSession: u32 = 0;
let getDue: bool = false;
let readingForced: bool = false;
let lastPubLevel: i32 = -1;     // level (0.1 %) of the last published reading, -1 none
let lastPubSeq: u32 = 0;
let lastReadingAt: u32 = 0;     // when the last reading was published
let lastSentAt: u32 = 0;        // when anything was last published
let failedAt: u32 = 0;
let failed: bool = false;

/** Called once after a successful init. */
export function reportInit(nowMs: u32): void {
  syncInit();
  lastSession = mqttSessionId();
  getDue = false;
  readingForced = false;
  lastPubLevel = -1;
  lastSentAt = nowMs;
  lastReadingAt = nowMs;
  failed = false;
}

function validLevel(): i32 {
  if (readingQuality() != QUALITY_OK) return -1;
  const l = levelPermille();
  return <u32>l <= 1000 ? l : -1;
}

function readingDue(nowMs: u32, level: i32): bool {
  if (level < 0) return false;
  if (readingForced || lastPubLevel < 0) return true;
  const since = elapsed(nowMs, lastReadingAt);
  if (since >= cfg.heartbeatMs) return true;
  if (since < cfg.minIntervalMs) return false;
  if (cfg.deadbandPermille <= 0) return readingSeq() != lastPubSeq;
  const d = level - lastPubLevel;
  return (d < 0 ? -d : d) >= cfg.deadbandPermille;
}

function published(nowMs: u32): void {
  lastSentAt = nowMs;
  failed = false;
}

function readingPublished(nowMs: u32, level: i32): void {
  lastPubLevel = level;
  lastPubSeq = readingSeq();
  lastReadingAt = nowMs;
  readingForced = false;
}

/** Publish policy (readings, pings, get after connect, state reports); returns ms until it next needs a tick. */
export function reportTick(nowMs: u32): u32 {
  syncLocalChanges(nowMs);
  if (mqttState() != MqttState.CONNECTED) {
    // A reading newer than the last one published exists: the next session publishes it first
    // (readingForced), so a stored older reading is superseded now and not resent after CONNACK.
    if (validLevel() >= 0 && readingSeq() != lastPubSeq) mqttSupersede(1);
    return IDLE_WAIT_MS;
  }
  const sid = mqttSessionId();
  if (sid != lastSession) {
    lastSession = sid;
    getDue = !syncOnSession(nowMs);
    readingForced = true;
    failed = false;
  }
  if (failed && elapsed(nowMs, failedAt) < RETRY_MS) return until(nowMs, failedAt + RETRY_MS);
  const level = validLevel();
  const temp = temperatureDeciC();
  // The uplink due, if any (0: none).
  let kind: i32 = 0;
  if (syncReportDue()) kind = readingDue(nowMs, level) ? UplinkKind.READING_STATE : UplinkKind.STATE;
  else if (getDue) kind = UplinkKind.GET;
  else if (readingDue(nowMs, level)) kind = UplinkKind.READING;
  else if (elapsed(nowMs, lastSentAt) >= cfg.pingIntervalMs) kind = UplinkKind.PING;
  if (kind != 0) {
    // (each kind reads only its own fields: the relay state for 2 and 3, level and temperature for 1 and 2)
    if (sendUplink(<UplinkKind>kind, relayIsOn(), level, temp, nowMs) == UPLINK_RETRY) {
      failed = true;
      failedAt = nowMs;
      return RETRY_MS;
    }
    // Sent, or dropped (UPLINK_DROP: never sendable, handled like a success so that it is not
    // retried every tick; the next occasion tries again).
    if (kind <= UplinkKind.READING_STATE) readingPublished(nowMs, level);
    if (kind == UplinkKind.READING_STATE || kind == UplinkKind.STATE) syncReportSent();
    if (kind == UplinkKind.GET) getDue = false;
    published(nowMs);
    // More may be due (e.g. the reading after a get): come back at once.
    return getDue || syncReportDue() || readingForced ? 0 : IDLE_WAIT_MS;
  }
  // Nothing due now. The heartbeat deadline only counts while a valid level exists: with a
  // faulted sensor it may have passed long ago, and 0 here would spin the host's loop.
  let wait = sooner(IDLE_WAIT_MS, nowMs, lastSentAt + cfg.pingIntervalMs);
  if (level >= 0 && lastPubLevel >= 0) {
    wait = sooner(wait, nowMs, lastReadingAt + cfg.heartbeatMs);
    // A change held back by min_interval_s goes out when it ends.
    if (elapsed(nowMs, lastReadingAt) < cfg.minIntervalMs) wait = sooner(wait, nowMs, lastReadingAt + cfg.minIntervalMs);
  }
  return wait > 0 ? wait : 1;
}
