// Error and traffic counters, read by the host with `counter(id)` (docs/ABI.md
// lists every id). Saturating u32s in a static table; no allocation.

export const COUNTER_SLOTS: i32 = 96;
const table: usize = memory.data(COUNTER_SLOTS * 4);

export const C_MQTT_CONNECTS: i32 = 0;
export const C_MQTT_CONNECT_ATTEMPTS: i32 = 1;
export const C_MQTT_PACKETS_IN: i32 = 2;
export const C_MQTT_PACKETS_OUT: i32 = 3;
export const C_MQTT_PROTOCOL_ERRORS: i32 = 4;
export const C_MQTT_OVERSIZE_SKIPS: i32 = 5;
export const C_MQTT_KEEPALIVE_TIMEOUTS: i32 = 6;
export const C_MQTT_PUBLISH_DROPPED: i32 = 7;
export const C_MQTT_RETRANSMISSIONS: i32 = 8;
export const C_SOCKET_ERRORS: i32 = 9;
export const C_MQTT_UNDELIVERABLE: i32 = 10;   // QoS 1 message dropped after ending UNDELIVERABLE_STRIKES connections in a row
export const C_MQTT_SUPERSEDED: i32 = 11;      // stored QoS 1 message dropped unsent: a newer one carries all it carried
export const C_MQTT_PUBACK_TIMEOUTS: i32 = 12; // connection closed: a PUBACK did not come within mqtt_puback_timeout_ms
export const C_DISCONNECT_BASE: i32 = 16;   // + disconnect reason 0..15
export const C_DISCONNECT_EXT: i32 = 88;    // + (disconnect reason - 16), reasons 16..23; see disconnectCounter
export const C_DOWNLINK_ACCEPTED: i32 = 32;
export const C_DOWNLINK_OTHER_UID: i32 = 33;
export const C_DOWNLINK_HAS_KEY: i32 = 34;
export const C_DOWNLINK_MALFORMED: i32 = 35;
export const C_DOWNLINK_OVERSIZE: i32 = 36;
export const C_DOWNLINK_BAD_VALUE: i32 = 37;
export const C_DOWNLINK_NO_UID: i32 = 38;
export const C_DOWNLINK_STALE_ECHO: i32 = 39;
export const C_UPLINK_SENT: i32 = 40;
export const C_UPLINK_REFUSED: i32 = 41;
export const C_OTHER_TOPIC: i32 = 42;
export const C_DOWNLINK_RETAINED_ON: i32 = 43; // a retained "on" on the downlink topic, ignored
export const C_OTA_STATUS_ACKED: i32 = 44;  // PUBACKs of the OTA status message (the host's confirm signal)
export const C_OTA_OFFERS: i32 = 45;        // OTA transfers started (offer accepted, ota_begin 0)
export const C_OTA_IGNORED: i32 = 46;       // OTA messages ignored: retained offer, chunk of another id/offset, short chunk
export const C_OTA_REFUSED: i32 = 47;       // OTA transfers refused (host status or BUSY/BAD_OFFER/BAD_CHUNK/STALLED)
export const C_QUALITY_BASE: i32 = 48;      // + reading quality 0..15
export const C_PUMP_REFUSAL_BASE: i32 = 64; // + refusal reason 0..15
export const C_PUMP_SWITCHES: i32 = 80;
export const C_HAL_ERRORS: i32 = 81;
export const C_CLOCK_BACK: i32 = 82;    // host `now` stepped back: counted as zero elapsed (app/clock.ts)
export const C_CLOCK_JUMP: i32 = 83;    // host `now` jumped further than MAX_STEP_MS: clamped

export const C_OTA_SUB_REFUSED: i32 = 84;   // the broker refused the OTA subscription (SUBACK 0x80): running without OTA

/** Counter id of disconnect reason `r` (0..23): 16 + r below 16, 88 + (r - 16) from 16 on. */
export function disconnectCounter(r: i32): i32 {
  return r < 16 ? C_DISCONNECT_BASE + r : C_DISCONNECT_EXT + (r - 16);
}

/** Adds one to counter `id` (ignored when out of range); saturates at 2^32-1. */
export function count(id: i32): void {
  if (<u32>id >= <u32>COUNTER_SLOTS) return; // (also id < 0)
  const p = table + <usize>(id << 2);
  const v = load<u32>(p);
  if (v != 0xFFFFFFFF) store<u32>(p, v + 1);
}

/** True when a hal call's result `rc` is a failure (< 0), counted in C_HAL_ERRORS (one call at each cold site). */
export function halFailed(rc: i32): bool {
  if (rc >= 0) return false;
  count(C_HAL_ERRORS);
  return true;
}

export function counterValue(id: i32): u32 {
  if (<u32>id >= <u32>COUNTER_SLOTS) return 0; // (also id < 0)
  return load<u32>(table + <usize>(id << 2));
}
