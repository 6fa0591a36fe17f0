// Downlink (platform -> device) rules of PROTOCOL.md. Every message ends in
// exactly one counter (ids 32..39 or 43, docs/ABI.md) and one log line:
//   36 oversize (> DOWNLINK_MAX_LEN, or the MQTT client skipped it)
//   35 malformed JSON (jsonOpen status and byte offset logged)
//   38 no `uid` member
//   37 wrong type: uid not a string/number; cmd not "on"/"off"; level or
//      temperature not a string/number
//   33 `uid` is not the device's own (compared as decoded UTF-8; a numeric
//      uid by its literal text)
//   34 has a `key` member: a request addressed to the platform, not a state
//   43 retained "on": a retained message never turns the pump on (below)
//   39 stale echo: a `cmd` contradicting a device state not yet acknowledged
//      (see sync.ts)
//   32 accepted: cmd applied (or already so, or refused by a pump rule and the
//      real state reported back), or a valid state without `cmd`
// Retained messages: the platform never publishes retained, so a retained
// message on the downlink topic was left there by someone else, at any time in
// the past. A retained "on" is ignored (counter 43, nothing reported); a
// retained "off" (or a state without `cmd`) is handled like any other message.
// A platform "on" that arrives before the first reading is held by the pump
// (PUMP_HELD, pump.ts) and not reported.
// Members may come in any order; duplicates: the last one counts (as JSON.parse).
// level/temperature in a downlink are only type-checked: the device measures them.
import { cfg } from "../config";
import {
  jsonOpen, jsonNext, jsonKeyIs, jsonType, JsonType, jsonStrPtr, jsonStrLen, jsonStrTruncated,
  jsonRawPtr, jsonRawLen, jsonErrorOffset,
} from "../json/scan";
import { bytesEq, bytesEqAscii } from "../util/bytes";
import { pumpRequest, relayIsOn, pumpPlatformPending, PumpSource, PUMP_HELD } from "../pump/pump";
import { mqttLastRetained } from "../mqtt/client";
import {
  count, C_DOWNLINK_ACCEPTED, C_DOWNLINK_OTHER_UID, C_DOWNLINK_HAS_KEY, C_DOWNLINK_MALFORMED,
  C_DOWNLINK_OVERSIZE, C_DOWNLINK_BAD_VALUE, C_DOWNLINK_NO_UID, C_DOWNLINK_STALE_ECHO, C_DOWNLINK_RETAINED_ON,
} from "../app/counters";
import { logBegin, logStr, logInt, logEnd } from "../app/log";
import { LOG_INFO, LOG_WARN } from "../hal";
import {
  syncLocalChanges, syncGuarded, syncAcknowledged, syncDeviceState, syncPlatformApplied,
} from "./sync";
import { ascii, Ascii } from "../util/ascii";
import { DOWNLINK_MAX_LEN } from "../tunables";
export { DOWNLINK_MAX_LEN };

const enum Cmd { NONE = 0, ON = 1, OFF = 2, BAD = 3 }

const enum Uid { ABSENT = 0, MINE = 1, OTHER = 2, BAD = 3 }

function reject(counter: i32, why: Ascii): void {
  count(counter);
  logBegin();
  logStr(ascii("downlink ignored: "));
  logStr(why);
  logEnd(LOG_INFO);
}

/** The MQTT client skipped a PUBLISH too large for its receive buffer (app/inbox.ts onMqttOversize). */
export function downlinkOversize(nowMs: u32): void {
  reject(C_DOWNLINK_OVERSIZE, ascii("oversize"));
}

/** One inbound PUBLISH on the downlink topic; applies PROTOCOL.md's downlink rules. */
export function handleDownlink(topic: usize, topicLen: i32, payload: usize, payloadLen: i32, nowMs: u32): void {
  syncLocalChanges(nowMs); // a local change made in this very tick must already guard against stale echoes
  if (payloadLen > DOWNLINK_MAX_LEN) { reject(C_DOWNLINK_OVERSIZE, ascii("oversize")); return; }
  const rc = jsonOpen(payload, payloadLen);
  if (rc != 0) {
    count(C_DOWNLINK_MALFORMED);
    logBegin();
    logStr(ascii("downlink: bad JSON "));
    logInt(rc);
    logStr(ascii(" @"));
    logInt(jsonErrorOffset());
    logEnd(LOG_WARN);
    return;
  }
  let uid = Uid.ABSENT;
  let cmd = Cmd.NONE;
  let hasKey = false;
  let badValue = false;
  while (jsonNext() == 1) {
    const t = jsonType();
    if (jsonKeyIs(ascii("uid"))) {
      if (t == JsonType.STRING) {
        uid = !jsonStrTruncated() && bytesEq(jsonStrPtr(), jsonStrLen(), cfg.uidBuf, cfg.uidLen) ? Uid.MINE : Uid.OTHER;
      } else if (t == JsonType.NUMBER) {
        uid = bytesEq(jsonRawPtr(), jsonRawLen(), cfg.uidBuf, cfg.uidLen) ? Uid.MINE : Uid.OTHER;
      } else uid = Uid.BAD;
    } else if (jsonKeyIs(ascii("key"))) {
      hasKey = true;
    } else if (jsonKeyIs(ascii("cmd"))) {
      cmd = Cmd.BAD;
      if (t == JsonType.STRING) {
        if (bytesEqAscii(jsonStrPtr(), jsonStrLen(), ascii("on"))) cmd = Cmd.ON;
        else if (bytesEqAscii(jsonStrPtr(), jsonStrLen(), ascii("off"))) cmd = Cmd.OFF;
      }
    } else if (jsonKeyIs(ascii("level")) || jsonKeyIs(ascii("temperature"))) {
      if (t != JsonType.STRING && t != JsonType.NUMBER) badValue = true;
    }
  }
  if (uid == Uid.ABSENT) { reject(C_DOWNLINK_NO_UID, ascii("no uid")); return; }
  if (uid == Uid.BAD) { reject(C_DOWNLINK_BAD_VALUE, ascii("uid type")); return; }
  if (uid == Uid.OTHER) { reject(C_DOWNLINK_OTHER_UID, ascii("other uid")); return; }
  if (hasKey) { reject(C_DOWNLINK_HAS_KEY, ascii("has key")); return; }
  if (cmd == Cmd.BAD) { reject(C_DOWNLINK_BAD_VALUE, ascii("cmd")); return; }
  if (badValue) { reject(C_DOWNLINK_BAD_VALUE, ascii("value type")); return; }
  if (cmd == Cmd.NONE) {
    count(C_DOWNLINK_ACCEPTED);
    return;
  }
  if (cmd == Cmd.ON && mqttLastRetained()) { reject(C_DOWNLINK_RETAINED_ON, ascii("retained on")); return; }
  const want = cmd == Cmd.ON;
  const isOn = relayIsOn();
  if (syncGuarded(nowMs)) {
    if (want != isOn) { reject(C_DOWNLINK_STALE_ECHO, ascii("stale echo")); return; }
    syncAcknowledged();
    count(C_DOWNLINK_ACCEPTED);
    logBegin();
    logStr(ascii("downlink: state acked"));
    logEnd(LOG_INFO);
    return;
  }
  count(C_DOWNLINK_ACCEPTED);
  if (want == isOn) {
    // No relay change, but the pump must still see the command: it cancels a pending
    // power-on "follow"/"last" and takes control from auto mode (docs/SENSING.md).
    pumpRequest(want, PumpSource.PLATFORM, nowMs);
    return;
  }
  const r = pumpRequest(want, PumpSource.PLATFORM, nowMs);
  syncPlatformApplied();
  logBegin();
  logStr(ascii("downlink: "));
  logStr(want ? ascii("on") : ascii("off")); // (the uplink's literals)
  if (r == PUMP_HELD) {
    // Before the first reading: the pump holds it; the platform already holds "on".
    logStr(ascii(" held"));
    logEnd(LOG_INFO);
    return;
  }
  if (r != 0) {
    logStr(ascii(" refused "));
    logInt(r);
    if (pumpPlatformPending()) {
      // power_on "follow": the pump applies this first "on" as soon as its rules allow; the
      // platform already holds "on", so nothing is reported.
      logStr(ascii(" pending"));
      logEnd(LOG_INFO);
      return;
    }
    // Refused by a pump rule: the relay keeps its state; report the truth back (kind 3).
    syncDeviceState(nowMs);
    logEnd(LOG_WARN);
    return;
  }
  logEnd(LOG_INFO);
}
