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

// ---------------------------------------------------------------- MQTT client
/** Connections a stored QoS 1 message may end in a row (the oldest one written to each) before it is dropped as undeliverable (counter 10): a poison message must not block the store forever, one broker hiccup must not drop it. */
export const UNDELIVERABLE_STRIKES: i32 = 3;

// ---------------------------------------------------------------- sensor
/** Good pings kept per reading: >= the config maximum of pings_per_reading (15). */
export const MAX_PINGS: i32 = 16;
/** Bytes per uart_read call, bytes: eight 4-byte frames. */
export const UART_CHUNK: i32 = 32;
/** At most this many uart_read calls per tick (bounded work per tick). */
export const UART_READS_PER_TICK: i32 = 8;
/** Margin on the echo timeout over the slowest round trip at max range (factor). */
export const ECHO_TIMEOUT_FACTOR: f64 = 1.15;
/** Added to the echo timeout for the burst before the echo line rises, µs. */
export const ECHO_TIMEOUT_EXTRA_US: f64 = 1000;
/** Longest echo wait, µs: a tick blocks at most this long in pulse_in (docs/ABI.md "Life cycle"). */
export const ECHO_TIMEOUT_MAX_US: i32 = 200000;

// ---------------------------------------------------------------- iotBind protocol
/** Largest uplink payload, bytes (uid 64 + key 96 with escaping headroom). */
export const UPLINK_CAP: i32 = 448;
/** An uplink refused for now (not connected, QoS 1 window full, transmit queue busy) is retried this much later with fresh values, ms. */
export const RETRY_MS: u32 = 1000;
/** How long an unacknowledged device report keeps contradicting platform states out, ms (the platform echoes within a second or two; never longer, so it is never locked out). */
export const GUARD_MS: u32 = 10000;
/** Largest downlink payload accepted, bytes (the doc's state message is ~150; fits RX_CAP with its topic). */
export const DOWNLINK_MAX_LEN: i32 = 768;
/** Bytes of hw_id read to derive the client id. */
export const HW_CAP: i32 = 64;

// ---------------------------------------------------------------- logging and panic
/** Longest log line, bytes: longer lines are truncated. */
export const LINE_CAP: i32 = 160;
/** Longest panic text handed to hal.panic, bytes. */
export const MSG_CAP: i32 = 128;

// ---------------------------------------------------------------- OTA (docs/OTA.md)
/** Largest image bytes in one data message, after its 8-byte id/offset header: with the topic it fits RX_CAP with room to spare. */
export const OTA_CHUNK_MAX: i32 = 512;
/** A want is sent again when no chunk came for this long, ms: a lost QoS 0 chunk or want costs at most this. */
export const OTA_WANT_RETRY_MS: u32 = 5000;
/** Wants in a row without a chunk before the transfer is dropped (error STALLED): ~50 s of silence means the sender is gone. */
export const OTA_WANT_RETRIES: i32 = 10;
/** After `staged`, ota_activate waits at most this long for the status's PUBACK, ms: the operator should see `staged` before the restart, but a lost PUBACK must not block it. */
export const OTA_ACTIVATE_WAIT_MS: u32 = 2000;
/** Tick period while an OTA message waits for room in the transmit queue or the QoS 1 window, ms. */
export const OTA_DUE_WAIT_MS: u32 = 50;
