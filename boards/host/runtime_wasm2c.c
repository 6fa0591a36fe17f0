/*
 * runtime_wasm2c.c - the rt_* adapter for a module translated to C by wasm2c
 * (Debian wabt 1.0.32):
 *
 *   wasm2c build/firmware.wasm -o build/native/firmware.c -n firmware
 *
 * The generated code calls one C function per import, Z_halZ_<name>, with the
 * import instance (struct Z_hal_instance_t, defined here) first and every
 * value as u32. Each one bounds-checks its pointer+length pairs against the
 * module's memory -- a pair that leaves memory traps, as WAMR's `*~` check
 * does -- and calls the platform's hal_<name> from iotbind_hal.h.
 *
 * Build with WASM_RT_MEMCHECK_SIGNAL_HANDLER=0 (explicit bounds checks, as on
 * an MCU) for this file, the generated file and wasm-rt-impl.c alike.
 */
#include "host.h"

#include <stdio.h>
#include <string.h>

#include "firmware.h"
#include "wasm-rt-impl.h"

struct Z_hal_instance_t {
  Z_firmware_instance_t *fw;
};

static Z_firmware_instance_t fw;
static struct Z_hal_instance_t hal = {&fw};
static bool open_;
static char trap_msg[64];

/* Module memory at [ptr, ptr+len), or a trap when it leaves memory. */
static uint8_t *span(struct Z_hal_instance_t *h, u32 ptr, u32 len) {
  wasm_rt_memory_t *m = &h->fw->w2c_memory;
  if (ptr > m->size || len > m->size - ptr) wasm_rt_trap(WASM_RT_TRAP_OOB);
  return m->data + ptr;
}

/* ------------------------------------------------------------------ imports */

u32 Z_halZ_millis(struct Z_hal_instance_t *h) {
  (void)h;
  return hal_millis();
}
u32 Z_halZ_gpio_mode(struct Z_hal_instance_t *h, u32 pin, u32 mode) {
  (void)h;
  return (u32)hal_gpio_mode((int32_t)pin, (int32_t)mode);
}
u32 Z_halZ_gpio_write(struct Z_hal_instance_t *h, u32 pin, u32 level) {
  (void)h;
  return (u32)hal_gpio_write((int32_t)pin, (int32_t)level);
}
u32 Z_halZ_gpio_read(struct Z_hal_instance_t *h, u32 pin) {
  (void)h;
  return (u32)hal_gpio_read((int32_t)pin);
}
u32 Z_halZ_pulse_in(struct Z_hal_instance_t *h, u32 pin, u32 level, u32 timeout_us) {
  (void)h;
  return (u32)hal_pulse_in((int32_t)pin, (int32_t)level, timeout_us);
}
void Z_halZ_delay_us(struct Z_hal_instance_t *h, u32 us) {
  (void)h;
  hal_delay_us(us);
}
u32 Z_halZ_adc_read(struct Z_hal_instance_t *h, u32 channel) {
  (void)h;
  return (u32)hal_adc_read((int32_t)channel);
}
u32 Z_halZ_uart_open(struct Z_hal_instance_t *h, u32 port, u32 baud) {
  (void)h;
  return (u32)hal_uart_open((int32_t)port, (int32_t)baud);
}
u32 Z_halZ_uart_read(struct Z_hal_instance_t *h, u32 port, u32 buf, u32 cap) {
  return (u32)hal_uart_read((int32_t)port, span(h, buf, cap), (int32_t)cap);
}
u32 Z_halZ_uart_write(struct Z_hal_instance_t *h, u32 port, u32 ptr, u32 len) {
  return (u32)hal_uart_write((int32_t)port, span(h, ptr, len), (int32_t)len);
}
u32 Z_halZ_sock_connect(struct Z_hal_instance_t *h, u32 host, u32 host_len, u32 port) {
  return (u32)hal_sock_connect(span(h, host, host_len), (int32_t)host_len, (int32_t)port);
}
u32 Z_halZ_sock_status(struct Z_hal_instance_t *h, u32 sock) {
  (void)h;
  return (u32)hal_sock_status((int32_t)sock);
}
u32 Z_halZ_sock_send(struct Z_hal_instance_t *h, u32 sock, u32 ptr, u32 len) {
  return (u32)hal_sock_send((int32_t)sock, span(h, ptr, len), (int32_t)len);
}
u32 Z_halZ_sock_recv(struct Z_hal_instance_t *h, u32 sock, u32 buf, u32 cap) {
  return (u32)hal_sock_recv((int32_t)sock, span(h, buf, cap), (int32_t)cap);
}
void Z_halZ_sock_close(struct Z_hal_instance_t *h, u32 sock) {
  (void)h;
  hal_sock_close((int32_t)sock);
}
u32 Z_halZ_kv_get(struct Z_hal_instance_t *h, u32 key, u32 key_len, u32 buf, u32 cap) {
  const uint8_t *k = span(h, key, key_len);
  return (u32)hal_kv_get(k, (int32_t)key_len, span(h, buf, cap), (int32_t)cap);
}
u32 Z_halZ_kv_set(struct Z_hal_instance_t *h, u32 key, u32 key_len, u32 val, u32 val_len) {
  const uint8_t *k = span(h, key, key_len);
  return (u32)hal_kv_set(k, (int32_t)key_len, span(h, val, val_len), (int32_t)val_len);
}
void Z_halZ_log(struct Z_hal_instance_t *h, u32 level, u32 ptr, u32 len) {
  hal_log((int32_t)level, span(h, ptr, len), (int32_t)len);
}
void Z_halZ_panic(struct Z_hal_instance_t *h, u32 ptr, u32 len, u32 line, u32 column) {
  hal_panic(span(h, ptr, len), (int32_t)len, (int32_t)line, (int32_t)column);
}
u32 Z_halZ_random_u32(struct Z_hal_instance_t *h) {
  (void)h;
  return hal_random_u32();
}
u32 Z_halZ_hw_id(struct Z_hal_instance_t *h, u32 buf, u32 cap) {
  return (u32)hal_hw_id(span(h, buf, cap), (int32_t)cap);
}
/* OTA: a wasm2c build links one module at compile time; it has no OTA (docs/OTA.md: UNSUPPORTED). */
u32 Z_halZ_ota_begin(struct Z_hal_instance_t *h, u32 size) {
  (void)h;
  (void)size;
  return (u32)IOTBIND_OTA_UNSUPPORTED;
}
u32 Z_halZ_ota_write(struct Z_hal_instance_t *h, u32 offset, u32 ptr, u32 len) {
  (void)h;
  (void)offset;
  (void)ptr;
  (void)len;
  return (u32)IOTBIND_OTA_UNSUPPORTED;
}
u32 Z_halZ_ota_finish(struct Z_hal_instance_t *h) {
  (void)h;
  return (u32)IOTBIND_OTA_UNSUPPORTED;
}
void Z_halZ_ota_abort(struct Z_hal_instance_t *h) { (void)h; }
void Z_halZ_ota_activate(struct Z_hal_instance_t *h) { (void)h; }

/* ------------------------------------------------------------------ runtime */

int rt_open(const uint8_t *wasm, uint32_t len, char *err, size_t err_cap) {
  static bool initialized;
  (void)wasm;
  (void)len;
  if (!initialized) {
    wasm_rt_init();
    Z_firmware_init_module();
    initialized = true;
  }
  rt_close();
  /* The start function (static initialisers) runs inside instantiate. */
  int trap = wasm_rt_impl_try();
  if (trap != 0) {
    snprintf(err, err_cap, "trap while instantiating: %s", wasm_rt_strerror((wasm_rt_trap_t)trap));
    return -1;
  }
  Z_firmware_instantiate(&fw, &hal);
  open_ = true;
  return 0;
}

void rt_close(void) {
  if (!open_) return;
  Z_firmware_free(&fw);
  open_ = false;
}

bool rt_call(enum iotbind_export_id id, uint32_t arg, uint32_t *result) {
  *result = 0;
  int trap = wasm_rt_impl_try();
  if (trap != 0) {
    snprintf(trap_msg, sizeof trap_msg, "%s", wasm_rt_strerror((wasm_rt_trap_t)trap));
    return false;
  }
  switch (id) {
    case IOTBIND_EXPORT_abi_version: *result = Z_firmwareZ_abi_version(&fw); break;
    case IOTBIND_EXPORT_config_ptr: *result = Z_firmwareZ_config_ptr(&fw); break;
    case IOTBIND_EXPORT_config_cap: *result = Z_firmwareZ_config_cap(&fw); break;
    case IOTBIND_EXPORT_init: *result = Z_firmwareZ_init(&fw, arg); break;
    case IOTBIND_EXPORT_error_ptr: *result = Z_firmwareZ_error_ptr(&fw); break;
    case IOTBIND_EXPORT_error_len: *result = Z_firmwareZ_error_len(&fw); break;
    case IOTBIND_EXPORT_tick: *result = Z_firmwareZ_tick(&fw, arg); break;
    case IOTBIND_EXPORT_shutdown: Z_firmwareZ_shutdown(&fw, arg); break;
    case IOTBIND_EXPORT_level_permille: *result = Z_firmwareZ_level_permille(&fw); break;
    case IOTBIND_EXPORT_distance_mm: *result = Z_firmwareZ_distance_mm(&fw); break;
    case IOTBIND_EXPORT_temperature_decic: *result = Z_firmwareZ_temperature_decic(&fw); break;
    case IOTBIND_EXPORT_volume_ml: *result = Z_firmwareZ_volume_ml(&fw); break;
    case IOTBIND_EXPORT_reading_quality: *result = Z_firmwareZ_reading_quality(&fw); break;
    case IOTBIND_EXPORT_relay_state: *result = Z_firmwareZ_relay_state(&fw); break;
    case IOTBIND_EXPORT_conn_state: *result = Z_firmwareZ_conn_state(&fw); break;
    case IOTBIND_EXPORT_pump_last_refusal: *result = Z_firmwareZ_pump_last_refusal(&fw); break;
    case IOTBIND_EXPORT_counter: *result = Z_firmwareZ_counter(&fw, arg); break;
    case IOTBIND_EXPORT_last_disconnect: *result = Z_firmwareZ_last_disconnect(&fw); break;
    case IOTBIND_EXPORT_fw_version: *result = Z_firmwareZ_fw_version(&fw); break;
    case IOTBIND_EXPORT_COUNT: break;
  }
  return true;
}

const char *rt_trap_message(void) { return trap_msg; }

uint8_t *rt_memory(uint32_t *size) {
  if (!open_) {
    *size = 0;
    return NULL;
  }
  wasm_rt_memory_t *m = Z_firmwareZ_memory(&fw);
  *size = m->size;
  return m->data;
}
