// Where the MQTT client delivers inbound application messages.
import { handleDownlink } from "../iotbind/downlink";

/**
 * Called by the MQTT client for every complete inbound PUBLISH. `topic` and
 * `payload` point into the client's receive buffer and are valid only during
 * the call.
 */
export function onMqttMessage(topic: usize, topicLen: i32, payload: usize, payloadLen: i32, nowMs: u32): void {
  handleDownlink(topic, topicLen, payload, payloadLen, nowMs);
}

/** Called by the MQTT client when a PUBLISH was too large for the receive buffer and skipped. */
export function onMqttOversize(nowMs: u32): void {}
