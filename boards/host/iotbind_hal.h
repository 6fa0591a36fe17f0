/*
 * iotbind_hal.h - the C face of docs/ABI.md (raw ABI version 2).
 *
 * One header for every C host of build/firmware.wasm:
 *   - every `hal` import as a prototype `hal_<import name>` that the platform
 *     implements (boards/platform/<name>/), in the ABI's wire types: int32_t for
 *     `i32`, uint32_t for `u32`, and a pointer+length pair for `ptr, len`
 *     (`const uint8_t *` when the host only reads the bytes, `uint8_t *` plus a
 *     capacity when it writes them). The runtime adapters (runtime_wasm2c.c,
 *     runtime_wamr.c) bounds-check the pair against the module's memory before
 *     a platform function ever sees it, so a platform never validates pointers.
 *   - the WAMR signature string of every import (IOTBIND_HAL_IMPORTS);
 *   - every function export with its C signature (IOTBIND_EXPORTS);
 *   - the status, state, reason, quality and counter numbers of ABI.md.
 *
 * test/native/abi-drift.test.ts parses this file and docs/ABI.md and fails when
 * they list different functions, signatures or numbers: keep one declaration
 * per line in the forms used below.
 *
 * Buffers passed to an import are owned by the firmware and valid only during
 * the call: a platform copies what it needs and never keeps the pointer.
 */
#ifndef IOTBIND_HAL_H
#define IOTBIND_HAL_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define IOTBIND_ABI_VERSION 2
/* First byte of a binary config (docs/CONFIG.md "Binary config"): what init takes. */
#define IOTBIND_CONFIG_FORMAT_BYTE 0xC2
#define IOTBIND_IMPORT_MODULE "hal"

/* ------------------------------------------------------------ imports (hal) */

uint32_t hal_millis(void);
int32_t hal_gpio_mode(int32_t pin, int32_t mode);
int32_t hal_gpio_write(int32_t pin, int32_t level);
int32_t hal_gpio_read(int32_t pin);
int32_t hal_pulse_in(int32_t pin, int32_t level, uint32_t timeout_us);
void hal_delay_us(uint32_t us);
int32_t hal_adc_read(int32_t channel);
int32_t hal_uart_open(int32_t port, int32_t baud);
int32_t hal_uart_read(int32_t port, uint8_t *buf, int32_t cap);
int32_t hal_uart_write(int32_t port, const uint8_t *ptr, int32_t len);
int32_t hal_sock_connect(const uint8_t *host, int32_t host_len, int32_t port);
int32_t hal_sock_status(int32_t h);
int32_t hal_sock_send(int32_t h, const uint8_t *ptr, int32_t len);
int32_t hal_sock_recv(int32_t h, uint8_t *buf, int32_t cap);
void hal_sock_close(int32_t h);
int32_t hal_kv_get(const uint8_t *key, int32_t key_len, uint8_t *buf, int32_t cap);
int32_t hal_kv_set(const uint8_t *key, int32_t key_len, const uint8_t *val, int32_t val_len);
void hal_log(int32_t level, const uint8_t *ptr, int32_t len);
void hal_panic(const uint8_t *ptr, int32_t len, int32_t line, int32_t column);
uint32_t hal_random_u32(void);
int32_t hal_hw_id(uint8_t *buf, int32_t cap);
/* OTA (ABI v2, docs/OTA.md): results are enum iotbind_ota_status. Implemented
 * by ota.c (posix WAMR/wasm3 hosts, ESP32; docs/OTA.md, "C hosts"); ota_none.c
 * (RV32) and runtime_wasm2c.c answer IOTBIND_OTA_UNSUPPORTED from ota_begin. */
int32_t hal_ota_begin(uint32_t size);
int32_t hal_ota_write(uint32_t offset, const uint8_t *ptr, int32_t len);
int32_t hal_ota_finish(void);
void hal_ota_abort(void);
void hal_ota_activate(void);

/* gpio_mode modes */
enum iotbind_gpio_mode {
  IOTBIND_GPIO_INPUT = 0,
  IOTBIND_GPIO_OUTPUT = 1,
  IOTBIND_GPIO_INPUT_PULLUP = 2,
  IOTBIND_GPIO_INPUT_PULLDOWN = 3
};

/* log levels */
enum iotbind_log_level {
  IOTBIND_LOG_ERROR = 0,
  IOTBIND_LOG_WARN = 1,
  IOTBIND_LOG_INFO = 2,
  IOTBIND_LOG_DEBUG = 3
};

/* Every import with its WAMR signature string (`*~` = pointer + length).
 * X(name, wamr_signature) */
#define IOTBIND_HAL_IMPORTS(X) \
  X(millis, "()i") \
  X(gpio_mode, "(ii)i") \
  X(gpio_write, "(ii)i") \
  X(gpio_read, "(i)i") \
  X(pulse_in, "(iii)i") \
  X(delay_us, "(i)") \
  X(adc_read, "(i)i") \
  X(uart_open, "(ii)i") \
  X(uart_read, "(i*~)i") \
  X(uart_write, "(i*~)i") \
  X(sock_connect, "(*~i)i") \
  X(sock_status, "(i)i") \
  X(sock_send, "(i*~)i") \
  X(sock_recv, "(i*~)i") \
  X(sock_close, "(i)") \
  X(kv_get, "(*~*~)i") \
  X(kv_set, "(*~*~)i") \
  X(log, "(i*~)") \
  X(panic, "(*~ii)") \
  X(random_u32, "()i") \
  X(hw_id, "(*~)i") \
  X(ota_begin, "(i)i") \
  X(ota_write, "(i*~)i") \
  X(ota_finish, "()i") \
  X(ota_abort, "()") \
  X(ota_activate, "()")

/* ------------------------------------------------------------------ exports */

/* Every function export: X(name, C result type, C parameter list).
 * (`memory` is the only other export: 1 page, max 1.) */
#define IOTBIND_EXPORTS(X) \
  X(abi_version, int32_t, (void)) \
  X(config_ptr, int32_t, (void)) \
  X(config_cap, int32_t, (void)) \
  X(init, int32_t, (int32_t len)) \
  X(error_ptr, int32_t, (void)) \
  X(error_len, int32_t, (void)) \
  X(tick, uint32_t, (uint32_t now_ms)) \
  X(shutdown, void, (uint32_t now_ms)) \
  X(level_permille, int32_t, (void)) \
  X(distance_mm, int32_t, (void)) \
  X(temperature_decic, int32_t, (void)) \
  X(volume_ml, int32_t, (void)) \
  X(reading_quality, int32_t, (void)) \
  X(relay_state, int32_t, (void)) \
  X(conn_state, int32_t, (void)) \
  X(pump_last_refusal, int32_t, (void)) \
  X(counter, uint32_t, (int32_t id)) \
  X(last_disconnect, int32_t, (void)) \
  X(fw_version, uint32_t, (void))

#define IOTBIND_EXPORT_MEMORY "memory"

/* Export ids, in the order above: IOTBIND_EXPORT_abi_version, ... */
#define IOTBIND_EXPORT_ID_(name, ret, params) IOTBIND_EXPORT_##name,
enum iotbind_export_id { IOTBIND_EXPORTS(IOTBIND_EXPORT_ID_) IOTBIND_EXPORT_COUNT };
#undef IOTBIND_EXPORT_ID_

/* ------------------------------------------------------ numbers of ABI.md */

/* init status codes */
enum iotbind_init_status {
  IOTBIND_INIT_OK = 0,
  IOTBIND_INIT_CONFIG_TOO_LONG = -1,
  IOTBIND_INIT_CONFIG_JSON = -2,
  IOTBIND_INIT_CONFIG_INVALID = -3,
  IOTBIND_INIT_ALREADY_CALLED = -4,
  IOTBIND_INIT_HAL_FAILED = -5
};

/* conn_state */
enum iotbind_conn_state {
  IOTBIND_CONN_IDLE = 0,
  IOTBIND_CONN_SOCKET_CONNECTING = 1,
  IOTBIND_CONN_AWAITING_CONNACK = 2,
  IOTBIND_CONN_SUBSCRIBING = 3,
  IOTBIND_CONN_CONNECTED = 4,
  IOTBIND_CONN_BACKING_OFF = 5,
  IOTBIND_CONN_STOPPED = 6
};

/* last_disconnect */
enum iotbind_disconnect_reason {
  IOTBIND_DISCONNECT_NONE = 0,
  IOTBIND_DISCONNECT_SOCKET_FAILED = 1,
  IOTBIND_DISCONNECT_SOCKET_CLOSED = 2,
  IOTBIND_DISCONNECT_CONNECT_TIMEOUT = 3,
  IOTBIND_DISCONNECT_CONNACK_PROTOCOL = 4,
  IOTBIND_DISCONNECT_CONNACK_IDENTIFIER = 5,
  IOTBIND_DISCONNECT_CONNACK_UNAVAILABLE = 6,
  IOTBIND_DISCONNECT_CONNACK_BAD_CREDENTIALS = 7,
  IOTBIND_DISCONNECT_CONNACK_NOT_AUTHORISED = 8,
  IOTBIND_DISCONNECT_PROTOCOL_VIOLATION = 9,
  IOTBIND_DISCONNECT_KEEPALIVE_TIMEOUT = 10,
  IOTBIND_DISCONNECT_SUBSCRIBE_REFUSED = 11,
  IOTBIND_DISCONNECT_SEND_FAILED = 12,
  IOTBIND_DISCONNECT_HOST_VIOLATION = 13,
  IOTBIND_DISCONNECT_SHUTDOWN = 14,
  IOTBIND_DISCONNECT_TLS_UNTRUSTED = 15,
  IOTBIND_DISCONNECT_TLS_NAME_MISMATCH = 16,
  IOTBIND_DISCONNECT_TLS_HANDSHAKE_TIMEOUT = 17,
  IOTBIND_DISCONNECT_TLS_HANDSHAKE_FAILED = 18,
  IOTBIND_DISCONNECT_PUBACK_TIMEOUT = 19
};

/* sock_connect: port | IOTBIND_SOCK_TLS asks the host to terminate TLS */
#define IOTBIND_SOCK_TLS 0x10000

/* sock_status */
enum iotbind_sock_status {
  IOTBIND_SOCK_CONNECTING = 0,
  IOTBIND_SOCK_CONNECTED = 1,
  IOTBIND_SOCK_HANDSHAKING = 2,
  IOTBIND_SOCK_ERR = -1,
  IOTBIND_SOCK_CLOSED = -2,
  IOTBIND_SOCK_TLS_UNTRUSTED = -3,
  IOTBIND_SOCK_TLS_NAME_MISMATCH = -4,
  IOTBIND_SOCK_TLS_FAILED = -5
};

/* reading_quality */
enum iotbind_quality {
  IOTBIND_QUALITY_NONE = 0,
  IOTBIND_QUALITY_OK = 1,
  IOTBIND_QUALITY_NO_ECHO = 2,
  IOTBIND_QUALITY_OUT_OF_RANGE = 3,
  IOTBIND_QUALITY_BLIND_ZONE = 4,
  IOTBIND_QUALITY_BAD_FRAME = 5,
  IOTBIND_QUALITY_ADC_RAIL = 6,
  IOTBIND_QUALITY_STALE = 7,
  IOTBIND_QUALITY_SPIKE = 8
};

/* pump_last_refusal */
enum iotbind_refusal {
  IOTBIND_REFUSAL_NONE = 0,
  IOTBIND_REFUSAL_MIN_OFF_TIME = 1,
  IOTBIND_REFUSAL_MIN_ON_TIME = 2,
  IOTBIND_REFUSAL_LOCKOUT = 3,
  IOTBIND_REFUSAL_HIGH_LEVEL = 4,
  IOTBIND_REFUSAL_LOW_LEVEL = 5,
  IOTBIND_REFUSAL_LEVEL_UNKNOWN = 6,
  IOTBIND_REFUSAL_DISABLED = 7
};

/* ota_* results (docs/OTA.md) */
enum iotbind_ota_status {
  IOTBIND_OTA_OK = 0,
  IOTBIND_OTA_UNSUPPORTED = -1,
  IOTBIND_OTA_TOO_LARGE = -2,
  IOTBIND_OTA_BAD_SIGNATURE = -3,
  IOTBIND_OTA_TRUNCATED = -4,
  IOTBIND_OTA_NOT_WASM = -5,
  IOTBIND_OTA_STORAGE = -6,
  IOTBIND_OTA_NOT_STARTED = -7
};

/* counter(id); the *_BASE ids are followed by one counter per reason/quality */
enum iotbind_counter {
  IOTBIND_COUNTER_MQTT_CONNECTS = 0,
  IOTBIND_COUNTER_MQTT_CONNECT_ATTEMPTS = 1,
  IOTBIND_COUNTER_MQTT_PACKETS_IN = 2,
  IOTBIND_COUNTER_MQTT_PACKETS_OUT = 3,
  IOTBIND_COUNTER_MQTT_PROTOCOL_ERRORS = 4,
  IOTBIND_COUNTER_MQTT_OVERSIZE_SKIPPED = 5,
  IOTBIND_COUNTER_MQTT_KEEPALIVE_TIMEOUTS = 6,
  IOTBIND_COUNTER_MQTT_PUBLISHES_DROPPED = 7,
  IOTBIND_COUNTER_MQTT_RETRANSMISSIONS = 8,
  IOTBIND_COUNTER_SOCKET_ERRORS = 9,
  IOTBIND_COUNTER_MQTT_UNDELIVERABLE_DROPPED = 10,
  IOTBIND_COUNTER_MQTT_SUPERSEDED_DROPPED = 11,
  IOTBIND_COUNTER_MQTT_PUBACK_TIMEOUTS = 12,
  IOTBIND_COUNTER_DISCONNECTS_BASE = 16,
  IOTBIND_COUNTER_DOWNLINK_ACCEPTED = 32,
  IOTBIND_COUNTER_DOWNLINK_OTHER_UID = 33,
  IOTBIND_COUNTER_DOWNLINK_HAS_KEY = 34,
  IOTBIND_COUNTER_DOWNLINK_MALFORMED = 35,
  IOTBIND_COUNTER_DOWNLINK_OVERSIZE = 36,
  IOTBIND_COUNTER_DOWNLINK_BAD_CMD = 37,
  IOTBIND_COUNTER_DOWNLINK_NO_UID = 38,
  IOTBIND_COUNTER_DOWNLINK_STALE_ECHO = 39,
  IOTBIND_COUNTER_UPLINK_PUBLISHED = 40,
  IOTBIND_COUNTER_UPLINK_REFUSED = 41,
  IOTBIND_COUNTER_OTHER_TOPIC = 42,
  IOTBIND_COUNTER_DOWNLINK_RETAINED_ON = 43,
  IOTBIND_COUNTER_OTA_STATUS_ACKED = 44,
  IOTBIND_COUNTER_OTA_OFFERS = 45,
  IOTBIND_COUNTER_OTA_IGNORED = 46,
  IOTBIND_COUNTER_OTA_REFUSED = 47,
  IOTBIND_COUNTER_READINGS_BASE = 48,
  IOTBIND_COUNTER_PUMP_REFUSED_BASE = 64,
  IOTBIND_COUNTER_PUMP_SWITCHES = 80,
  IOTBIND_COUNTER_HAL_ERRORS = 81,
  IOTBIND_COUNTER_CLOCK_BACK = 82,
  IOTBIND_COUNTER_CLOCK_JUMP = 83,
  IOTBIND_COUNTER_OTA_SUBSCRIBE_REFUSED = 84,
  IOTBIND_COUNTER_DISCONNECTS_EXT_BASE = 88
};

#ifdef __cplusplus
}
#endif

#endif /* IOTBIND_HAL_H */
