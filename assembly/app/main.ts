// The device: init from config, then one tick drives every state machine.
// Order inside a tick: the sensor (it depends on nothing else), then the
// network (a delivered "on" acts in the same tick), the pump rules (on the
// level and commands just taken in), and the publish policy.
//
// Deadlines: every module's tick returns the time until it next needs a
// tick (its contract: nothing it owns falls due, and nothing it polls needs
// looking at, before then). The tick returns the earliest of them, and a
// tick that comes before that time (a host waking early, a host that does
// not sleep) is an idle tick: it takes one look at the socket (mqttPoll) and,
// when nothing arrived, returns the time left. Nothing changes state between
// ticks but the network and the polled hardware, so skipping a module until
// its deadline, unless something it depends on changed, is what a host
// sleeping that long would get.
import { cfg, clientIdBuf } from "../config";
import { halMillis, LOG_ERROR, LOG_INFO } from "../hal";
import {
  parseConfig, errorPtr, errorLen, setError,
  INIT_OK, INIT_CONFIG_TOO_LONG, INIT_ALREADY_CALLED, INIT_HAL_FAILED,
} from "./config_parse";
import { CONFIG_MAX_BYTES } from "./config_table";
import { logBegin, logStr, logBytes, logEnd } from "./log";
import { mqttStart, mqttTick, mqttStop, mqttCalls, mqttEvents, mqttPoll } from "../mqtt/client";
import { deriveClientId } from "../iotbind/clientid";
import { reportInit, reportTick } from "../iotbind/report";
import { sensorInit, sensorTick, readingSeq } from "../sensor/sensor";
import { pumpInit, pumpTick, pumpForceOff } from "../pump/pump";
import { minU, reached, untilInline, sooner } from "../util/time";
import { NO_DEADLINE_MS } from "../tunables";
import { clockStart, clockSample } from "./clock";
import { ascii, Ascii } from "../util/ascii";
import { otaInit, otaTick } from "../ota/ota";

/** The binary config's buffer: as large as the largest valid config (generated from the schema). */
export const CONFIG_CAP: i32 = CONFIG_MAX_BYTES;
export const configBuf: usize = memory.data(CONFIG_CAP);

export const enum RunState { FRESH = 0, RUNNING = 1, FAILED = 2, STOPPED = 3 }
let runState: RunState = RunState.FRESH;

/** Firmware time of the earliest deadline: the sensor's, that of the client, pump rules and publish policy (restAt), and the client's own. */
let dueAt: u32 = 0;
let sensorAt: u32 = 0;
let restAt: u32 = 0;
let clientAt: u32 = 0;

export function deviceInit(len: i32): i32 {
  if (runState != RunState.FRESH) return INIT_ALREADY_CALLED;
  runState = RunState.FAILED;
  if (<u32>(len - 1) >= <u32>CONFIG_CAP) {
    setError(ascii("config: "), ascii("length must be 1..config_cap() bytes"));
    logInitError();
    return INIT_CONFIG_TOO_LONG;
  }
  // Nothing touches the hardware until the whole config is valid: a refused
  // config makes no GPIO/UART/ADC call at all (the host, which knows its
  // board, holds the relay at its off level). Only `log` is called.
  const rc = parseConfig(configBuf, len);
  if (rc != INIT_OK) {
    logInitError();
    return rc;
  }
  const now = clockStart(halMillis());
  if (cfg.clientIdLen == 0) deriveClientId();
  let halError: Ascii = 0; // the pump first: a failed pump setup leaves the sensor untouched
  if (pumpInit(now) < 0) halError = ascii("relay or button GPIO setup failed");
  else if (sensorInit(now) < 0) halError = ascii("sensor GPIO/UART/ADC setup failed");
  if (halError != 0) {
    setError(ascii("hal: "), halError);
    pumpForceOff();
    logInitError();
    return INIT_HAL_FAILED;
  }
  reportInit(now);
  otaInit();
  mqttStart(now);
  dueAt = now;
  sensorAt = now;
  restAt = now;
  clientAt = now;
  runState = RunState.RUNNING;
  logBegin();
  logStr(ascii("iotbind-tank started, client id "));
  logBytes(clientIdBuf, cfg.clientIdLen);
  logEnd(LOG_INFO);
  return INIT_OK;
}

function logInitError(): void {
  logBegin();
  logBytes(errorPtr(), errorLen());
  logEnd(LOG_ERROR);
}

export function deviceTick(hostNow: u32): u32 {
  if (runState != RunState.RUNNING) return NO_DEADLINE_MS;
  const now = clockSample(hostNow);
  const data = mqttPoll(now);
  // An idle tick (nothing due and nothing arrived) only returns the time left.
  if (data || reached(now, dueAt)) {
    // The sensor runs on its own deadline (a tick that only pings runs
    // nothing else); it depends on no other module. The client, the pump rules
    // and the publish policy run together when one of them is due, bytes
    // arrived, or the sensor changed the level (a reading, or the level going
    // stale).
    const seq = readingSeq();
    if (reached(now, sensorAt)) sensorAt = now + sensorTick(now);
    if (data || readingSeq() != seq || reached(now, restAt)) {
      const calls = mqttCalls();
      // The client runs first only when bytes arrived or its own deadline
      // came (mqttTick's contract: before that, a pass would do nothing); a
      // new reading alone does not need it before the publish policy.
      if (data || reached(now, clientAt)) clientAt = now + mqttTick(now);
      let wait = pumpTick(now);
      wait = minU(wait, reportTick(now));
      wait = minU(wait, otaTick(now));
      // Anything queued since (a reading, a state report, a superseded
      // message) goes out now rather than next tick; with no new call into
      // the client, a second pass at the same time would only repeat the
      // first: skipped. A change the pump rules or the publish policy react to
      // in that pass (a delivery, a session up) makes them due at once.
      if (mqttCalls() != calls) {
        const events = mqttEvents();
        clientAt = now + mqttTick(now);
        if (mqttEvents() != events) wait = 0;
      }
      restAt = now + sooner(wait, now, clientAt);
    }
    dueAt = reached(sensorAt, restAt) ? restAt : sensorAt; // the earlier of the two
  }
  return untilInline(now, dueAt);
}

export function deviceShutdown(hostNow: u32): void {
  if (runState == RunState.RUNNING) mqttStop(clockSample(hostNow));
  pumpForceOff(); // a no-op unless pumpInit set the relay pin up (never after a refused config)
  runState = RunState.STOPPED;
}
