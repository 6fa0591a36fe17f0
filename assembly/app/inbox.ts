// Where the MQTT client delivers inbound application messages.
import { handleDownlink, downlinkOversize } from "../iotbind/downlink";
import { cfg } from "../config";
import { bytesEq } from "../util/bytes";
import { logLine } from "./log";
import { count, C_OTHER_TOPIC } from "./counters";
import { LOG_INFO } from "../hal";
import { ascii } from "../util/ascii";
import { otaMessage, otaPuback } from "../ota/ota";

/**
 * Called by the MQTT client for every complete inbound PUBLISH. `topic` and
 * `payload` point into the client's receive buffer and are valid only during
 * the call.
 */
export function onMqttMessage(topic: usize, topicLen: i32, payload: usize, payloadLen: i32, nowMs: u32): void {
  // Only the downlink topic carries platform states (the filter has no
  // wildcards: config_parse refuses + and #). Anything else a broker delivers
  // (e.g. a subscription left in a persistent session) is not a command.
  if (otaMessage(topic, topicLen, payload, payloadLen, nowMs)) return; // <base>/ota/* (docs/OTA.md)
  if (!bytesEq(topic, topicLen, cfg.downlinkBuf, cfg.downlinkLen)) {
    count(C_OTHER_TOPIC);
    logLine(LOG_INFO, ascii("mqtt: ignored a PUBLISH on another topic"));
    return;
  }
  handleDownlink(topic, topicLen, payload, payloadLen, nowMs);
}

/** Called by the MQTT client when a PUBLISH was too large for the receive buffer and skipped. */
export function onMqttOversize(nowMs: u32): void {
  downlinkOversize(nowMs);
}

/** Called by the MQTT client when the PUBACK of a stored QoS 1 message with packet id `id` arrived. */
export function onMqttPuback(id: i32): void {
  otaPuback(id);
}
