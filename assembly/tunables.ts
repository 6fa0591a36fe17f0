// Build-time tunables of the firmware: one place, each with its unit and the
// reason for its value (like coreMQTT's config-defaults header). Runtime
// settings come from the device config (config.ts); these are fixed when the
// module is built. Changing a buffer size changes the static memory map
// (docs/ABI.md, Memory map) and the module's RAM.

// ---------------------------------------------------------------- MQTT buffers
/** Receive buffer, bytes: the largest inbound packet delivered whole; larger PUBLISHes are skipped (counted, counter 12). Holds a 768-byte downlink with its topic. */
export const RX_CAP: i32 = 1024;
/** Transmit queue, bytes: whole serialized packets awaiting sock_send; the largest QoS 0 PUBLISH and the CONNECT (<= 398 bytes) fit. */
export const TX_CAP: i32 = 512;
/** QoS 1 store slots: the upper bound of mqtt_inflight. */
export const INFLIGHT_SLOTS: i32 = 8;
/** Bytes per stored QoS 1 PUBLISH packet: a full reading with the longest uid, key and topic is ~335. */
export const SLOT_CAP: i32 = 384;

// ---------------------------------------------------------------- scheduling
/**
 * Wait `tick` returns when no state machine has a deadline (client stopped,
 * nothing configured that needs polling), ms: one day. Well below 2^31 ms,
 * so every deadline comparison of util/time.ts stays valid, and below the
 * clock's MAX_STEP_MS.
 */
export const NO_DEADLINE_MS: u32 = 86400000;
/** Tick period while a UART sensor is configured, ms: the sensor streams frames whether asked or not, and the host's receive buffer must be drained before it overflows (a 4-byte frame every ~100 ms). */
export const UART_POLL_MS: u32 = 50;
