/** ABI v2 as seen from TypeScript (docs/ABI.md is the reference). */
export const ABI_VERSION = 2;

export interface FirmwareExports {
  memory: WebAssembly.Memory;
  abi_version(): number;
  config_ptr(): number;
  config_cap(): number;
  init(len: number): number;
  error_ptr(): number;
  error_len(): number;
  tick(nowMs: number): number;
  shutdown(nowMs: number): void;
  level_permille(): number;
  distance_mm(): number;
  temperature_decic(): number;
  volume_ml(): number;
  reading_quality(): number;
  relay_state(): number;
  conn_state(): number;
  pump_last_refusal(): number;
  counter(id: number): number;
  last_disconnect(): number;
  /** major << 16 | minor << 8 | patch (ABI v2). */
  fw_version(): number;
}

/**
 * Hands a binary config to the firmware before `init`: copies it into the
 * config buffer (at most config_cap() bytes) and returns the length to pass to
 * `init`, the whole length (init refuses one over config_cap() as too long).
 */
export function writeConfig(x: FirmwareExports, bytes: Uint8Array): number {
  const n = Math.min(bytes.length, x.config_cap());
  new Uint8Array(x.memory.buffer, x.config_ptr(), n).set(bytes.subarray(0, n));
  return bytes.length;
}

/** The firmware's error text (error_ptr/error_len, as it wrote it: members by index), "" when none. */
export function errorText(x: FirmwareExports): string {
  const n = x.error_len();
  return n > 0 ? new TextDecoder().decode(new Uint8Array(x.memory.buffer, x.error_ptr(), n)) : "";
}

export const INIT_STATUS_NAMES = ["OK", "CONFIG_TOO_LONG", "CONFIG_JSON", "CONFIG_INVALID", "ALREADY_CALLED", "HAL_FAILED"] as const;

export const ConnState = { IDLE: 0, SOCKET_CONNECTING: 1, AWAITING_CONNACK: 2, SUBSCRIBING: 3, CONNECTED: 4, BACKING_OFF: 5, STOPPED: 6 } as const;
export const CONN_STATE_NAMES = ["IDLE", "SOCKET_CONNECTING", "AWAITING_CONNACK", "SUBSCRIBING", "CONNECTED", "BACKING_OFF", "STOPPED"] as const;

export const DISCONNECT_NAMES = [
  "NONE", "SOCKET_FAILED", "SOCKET_CLOSED", "CONNECT_TIMEOUT", "CONNACK_PROTOCOL", "CONNACK_IDENTIFIER", "CONNACK_UNAVAILABLE",
  "CONNACK_BAD_CREDENTIALS", "CONNACK_NOT_AUTHORISED", "PROTOCOL_VIOLATION", "KEEPALIVE_TIMEOUT", "SUBSCRIBE_REFUSED",
  "SEND_FAILED", "HOST_VIOLATION", "SHUTDOWN", "TLS_UNTRUSTED", "TLS_NAME_MISMATCH", "TLS_HANDSHAKE_TIMEOUT",
  "TLS_HANDSHAKE_FAILED", "PUBACK_TIMEOUT",
] as const;

/** Counter id of disconnect reason `r` (docs/ABI.md): 16 + r for r < 16, 88 + (r - 16) for r = 16 … 23. */
export function disconnectCounter(r: number): number {
  return r < 16 ? Counter.DISCONNECT_BASE + r : Counter.DISCONNECT_EXT + (r - 16);
}

export const QUALITY_NAMES = ["NONE", "OK", "NO_ECHO", "OUT_OF_RANGE", "BLIND_ZONE", "BAD_FRAME", "ADC_RAIL", "STALE", "SPIKE"] as const;

export const REFUSAL_NAMES = ["NONE", "MIN_OFF_TIME", "MIN_ON_TIME", "LOCKOUT", "HIGH_LEVEL", "LOW_LEVEL", "LEVEL_UNKNOWN", "DISABLED"] as const;

/** Counter ids of docs/ABI.md. */
export const Counter = {
  MQTT_CONNECTS: 0, MQTT_CONNECT_ATTEMPTS: 1, MQTT_PACKETS_IN: 2, MQTT_PACKETS_OUT: 3, MQTT_PROTOCOL_ERRORS: 4,
  MQTT_OVERSIZE_SKIPS: 5, MQTT_KEEPALIVE_TIMEOUTS: 6, MQTT_PUBLISH_DROPPED: 7, MQTT_RETRANSMISSIONS: 8, SOCKET_ERRORS: 9,
  MQTT_UNDELIVERABLE: 10, MQTT_SUPERSEDED: 11, MQTT_PUBACK_TIMEOUTS: 12,
  DISCONNECT_BASE: 16, DISCONNECT_EXT: 88,
  DOWNLINK_ACCEPTED: 32, DOWNLINK_OTHER_UID: 33, DOWNLINK_HAS_KEY: 34, DOWNLINK_MALFORMED: 35, DOWNLINK_OVERSIZE: 36,
  DOWNLINK_BAD_VALUE: 37, DOWNLINK_NO_UID: 38, DOWNLINK_STALE_ECHO: 39, UPLINK_SENT: 40, UPLINK_REFUSED: 41, OTHER_TOPIC: 42,
  DOWNLINK_RETAINED_ON: 43,
  QUALITY_BASE: 48, PUMP_REFUSAL_BASE: 64, PUMP_SWITCHES: 80, HAL_ERRORS: 81,
  CLOCK_BACK: 82, CLOCK_JUMP: 83,
  OTA_STATUS_ACKED: 44, OTA_OFFERS: 45, OTA_IGNORED: 46, OTA_REFUSED: 47, OTA_SUBSCRIBE_REFUSED: 84,
} as const;

/**
 * OTA status codes of the hal ota_* imports (docs/OTA.md): name i is code -i.
 * The firmware's own refusals (BUSY, BAD_OFFER, BAD_CHUNK, STALLED) follow as -8 … -11
 * in its status message only.
 */
export const OTA_STATUS_NAMES = ["OK", "UNSUPPORTED", "TOO_LARGE", "BAD_SIGNATURE", "TRUNCATED", "NOT_WASM", "STORAGE", "NOT_STARTED"] as const;
export type OtaStatusName = (typeof OTA_STATUS_NAMES)[number];
export const OtaStatus = {
  OK: 0, UNSUPPORTED: -1, TOO_LARGE: -2, BAD_SIGNATURE: -3, TRUNCATED: -4, NOT_WASM: -5, STORAGE: -6, NOT_STARTED: -7,
} as const satisfies Record<OtaStatusName, number>;

/** "1.2.3" of a fw_version() value. */
export function versionString(v: number): string {
  return `${(v >>> 16) & 255}.${(v >>> 8) & 255}.${v & 255}`;
}
