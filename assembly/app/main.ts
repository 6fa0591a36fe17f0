// The device: init from config, then one tick drives every state machine.
// Order inside a tick: network first (so a delivered "on" acts in the same
// tick), then the sensor, the pump rules, and the publish policy.
import * as cfg from "../config";
import { halMillis, LOG_ERROR, LOG_INFO } from "../hal";
import {
  parseConfig, errorPtr, errorLen, setError,
  INIT_OK, INIT_CONFIG_TOO_LONG, INIT_ALREADY_CALLED, INIT_HAL_FAILED,
} from "./config_parse";
import { logBegin, logStr, logBytes, logEnd } from "./log";
import { mqttStart, mqttTick, mqttStop, mqttCalls } from "../mqtt/client";
import { deriveClientId } from "../iotbind/clientid";
import { reportInit, reportTick } from "../iotbind/report";
import { sensorInit, sensorTick } from "../sensor/sensor";
import { pumpInit, pumpTick, pumpForceOff } from "../pump/pump";
import { minU } from "../util/time";
import { clockStart, clockSample } from "./clock";
import { ascii } from "../util/ascii";
import { otaInit, otaTick } from "../ota/ota";

export const CONFIG_CAP: i32 = 2048;
export const configBuf: usize = memory.data(CONFIG_CAP);

export const enum RunState { FRESH = 0, RUNNING = 1, FAILED = 2, STOPPED = 3 }
let runState: RunState = RunState.FRESH;

/** Longest sleep the firmware ever asks for, ms. */
const MAX_SLEEP_MS: u32 = 1000;

export function deviceInit(len: i32): i32 {
  if (runState != RunState.FRESH) return INIT_ALREADY_CALLED;
  runState = RunState.FAILED;
  if (len < 1 || len > CONFIG_CAP) {
    setError(ascii("config: length must be 1.."), ascii("2048 bytes (config_cap)"));
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
  if (pumpInit(now) < 0) {
    setError(ascii("hal: "), ascii("relay or button GPIO setup failed"));
    pumpForceOff();
    logInitError();
    return INIT_HAL_FAILED;
  }
  if (sensorInit(now) < 0) {
    setError(ascii("hal: "), ascii("sensor GPIO/UART/ADC setup failed"));
    pumpForceOff();
    logInitError();
    return INIT_HAL_FAILED;
  }
  reportInit(now);
  otaInit();
  mqttStart(now);
  runState = RunState.RUNNING;
  logBegin();
  logStr(ascii("iotbind-tank started, client id "));
  logBytes(cfg.clientIdBuf, cfg.clientIdLen);
  logEnd(LOG_INFO);
  return INIT_OK;
}

function logInitError(): void {
  logBegin();
  logBytes(errorPtr(), errorLen());
  logEnd(LOG_ERROR);
}

export function deviceTick(hostNow: u32): u32 {
  if (runState != RunState.RUNNING) return MAX_SLEEP_MS;
  const nowMs = clockSample(hostNow);
  const calls = mqttCalls();
  let wait = mqttTick(nowMs);
  wait = minU(wait, sensorTick(nowMs));
  wait = minU(wait, pumpTick(nowMs));
  wait = minU(wait, reportTick(nowMs));
  wait = minU(wait, otaTick(nowMs));
  // Anything queued since (a reading, a state report, a superseded message)
  // goes out now rather than next tick; with no new call into the client, a
  // second pass at the same time would only repeat the first: skipped.
  if (mqttCalls() != calls) wait = minU(wait, mqttTick(nowMs));
  return minU(wait, MAX_SLEEP_MS);
}

export function deviceShutdown(hostNow: u32): void {
  if (runState == RunState.RUNNING) mqttStop(clockSample(hostNow));
  pumpForceOff(); // a no-op unless pumpInit set the relay pin up (never after a refused config)
  runState = RunState.STOPPED;
}
