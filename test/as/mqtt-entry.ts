// Test-only entry: the MQTT client alone, with thin wrappers over a scratch
// buffer so the tests can drive it without the rest of the firmware.
import {
  cfg, CLIENT_ID_CAP, HOST_CAP, PASS_CAP, TOPIC_CAP, USER_CAP, WILL_CAP, clientIdBuf,
} from "../../assembly/config";
import {
  mqttStart, mqttTick, mqttPublish, mqttState, mqttSessionId, mqttLastDisconnect, mqttStop,
  mqttSubscribe, mqttUnsubscribe, mqttRequestResult, mqttLastRetained, mqttInflight, backoffDelay,
} from "../../assembly/mqtt/client";
import { counterValue } from "../../assembly/app/counters";
import { remLenSize, decodeRemLen, rlBytes, REM_LEN_MAX } from "../../assembly/mqtt/codec";
import { copyBytes } from "../../assembly/util/bytes";
import { halAbort } from "../../assembly/app/panic";
import "../../assembly/app/config_table"; // its start code stores the config defaults into the table
export { halAbort as _halAbort_unused };

const SCRATCH_CAP: i32 = 4096;
const scratch: usize = memory.data(SCRATCH_CAP);

export function scratch_ptr(): usize { return scratch; }
export function scratch_cap(): i32 { return SCRATCH_CAP; }

// The firmware's config strings point into its config buffer (assembly/config.ts);
// here they point into this entry's own buffers, one per string.
const strStore: usize = memory.data(HOST_CAP + USER_CAP + PASS_CAP + TOPIC_CAP + 2 * WILL_CAP);

/** Copies `len` scratch bytes into config string `which` (0 host, 1 client id, 2 user, 3 password, 4 downlink, 5 will topic, 6 will payload). */
export function cfg_str(which: i32, len: i32): i32 {
  cfg.hostBuf = strStore;
  cfg.userBuf = cfg.hostBuf + <usize>HOST_CAP;
  cfg.passBuf = cfg.userBuf + <usize>USER_CAP;
  cfg.downlinkBuf = cfg.passBuf + <usize>PASS_CAP;
  cfg.willTopicBuf = cfg.downlinkBuf + <usize>TOPIC_CAP;
  cfg.willPayloadBuf = cfg.willTopicBuf + <usize>WILL_CAP;
  if (which == 0) { if (len > HOST_CAP) return -1; copyBytes(cfg.hostBuf, scratch, len); cfg.hostLen = len; return 0; }
  if (which == 1) { if (len > CLIENT_ID_CAP) return -1; copyBytes(clientIdBuf, scratch, len); cfg.clientIdLen = len; return 0; }
  if (which == 2) { if (len > USER_CAP) return -1; copyBytes(cfg.userBuf, scratch, len); cfg.userLen = len; return 0; }
  if (which == 3) { if (len > PASS_CAP) return -1; copyBytes(cfg.passBuf, scratch, len); cfg.passLen = len; cfg.passSet = len >= 0; return 0; }
  if (which == 4) { if (len > TOPIC_CAP) return -1; copyBytes(cfg.downlinkBuf, scratch, len); cfg.downlinkLen = len; return 0; }
  if (which == 5) { if (len > WILL_CAP) return -1; copyBytes(cfg.willTopicBuf, scratch, len); cfg.willTopicLen = len; return 0; }
  if (which == 6) { if (len > WILL_CAP) return -1; copyBytes(cfg.willPayloadBuf, scratch, len); cfg.willPayloadLen = len; return 0; }
  return -1;
}

/** Sets numeric config `which`: 0 port, 1 keep-alive s, 2 clean session, 3 inflight, 4 backoff base, 5 backoff cap, 6 stable ms, 7 connect timeout, 8 ping timeout, 9 will qos, 10 will retain, 11 password set flag, 12 broker_tls, 13 PUBACK timeout ms. */
export function cfg_num(which: i32, v: i32): void {
  if (which == 0) cfg.brokerPort = v;
  else if (which == 1) cfg.keepAliveS = v;
  else if (which == 2) cfg.cleanSession = v != 0;
  else if (which == 3) cfg.inflightMax = v;
  else if (which == 4) cfg.backoffBaseMs = <u32>v;
  else if (which == 5) cfg.backoffCapMs = <u32>v;
  else if (which == 6) cfg.backoffResetMs = <u32>v;
  else if (which == 7) cfg.connectTimeoutMs = <u32>v;
  else if (which == 8) cfg.pingTimeoutMs = <u32>v;
  else if (which == 9) cfg.willQos = v;
  else if (which == 10) cfg.willRetain = v != 0;
  else if (which == 11) cfg.passSet = v != 0;
  else if (which == 12) cfg.brokerTls = v != 0;
  else if (which == 13) cfg.pubackTimeoutMs = <u32>v;
}

export function start(now: u32): void { mqttStart(now); }
export function tick(now: u32): u32 { return mqttTick(now); }
export function stop(now: u32): void { mqttStop(now); }
/** Topic at scratch[0..topicLen), payload at scratch[topicLen..topicLen+payloadLen). */
export function publish(topicLen: i32, payloadLen: i32, qos: i32, retain: i32, now: u32): i32 {
  if (topicLen < 0 || payloadLen < 0 || topicLen + payloadLen > SCRATCH_CAP) return -100;
  return mqttPublish(scratch, topicLen, scratch + <usize>topicLen, payloadLen, qos, retain != 0, now);
}
/** As publish, with the latest-value mask of mqttPublish (supersession). */
export function publish_latest(topicLen: i32, payloadLen: i32, qos: i32, latest: i32, now: u32): i32 {
  if (topicLen < 0 || payloadLen < 0 || topicLen + payloadLen > SCRATCH_CAP) return -100;
  return mqttPublish(scratch, topicLen, scratch + <usize>topicLen, payloadLen, qos, false, now, latest);
}
/** Raw pointers, for bounds tests. */
export function publish_raw(topic: usize, topicLen: i32, payload: usize, payloadLen: i32, qos: i32, now: u32): i32 {
  return mqttPublish(topic, topicLen, payload, payloadLen, qos, false, now);
}
export function subscribe(len: i32, qos: i32, now: u32): i32 { return mqttSubscribe(scratch, len, qos, now); }
export function unsubscribe(len: i32, now: u32): i32 { return mqttUnsubscribe(scratch, len, now); }
export function request_result(): i32 { return mqttRequestResult(); }
export function state(): i32 { return <i32>mqttState(); }
export function session_id(): u32 { return mqttSessionId(); }
export function last_disconnect(): i32 { return mqttLastDisconnect(); }
export function last_retained(): i32 { return mqttLastRetained() ? 1 : 0; }
export function inflight(): i32 { return mqttInflight(); }
export function counter(id: i32): u32 { return counterValue(id); }
export function backoff_delay(n: i32): u32 { return backoffDelay(n); }

/** Codec: bytes needed for remaining length `n` (1..4), -1 out of range. */
export function rl_size(n: i32): i32 { return remLenSize(n); }
/** Codec: decodes a remaining length from `avail` scratch bytes: value, -1 need more, -2 malformed. */
export function rl_decode(avail: i32): i32 { return decodeRemLen(scratch, avail); }
export function rl_bytes(): i32 { return rlBytes; }
export function rl_max(): i32 { return REM_LEN_MAX; }
