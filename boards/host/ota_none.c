/*
 * ota_none.c - OTA for a host that cannot replace its module: ota_begin
 * answers IOTBIND_OTA_UNSUPPORTED (-1), so the firmware never calls the
 * other four; the host side is inert. Linked instead of ota.c + ota_verify.c
 * + platform storage by:
 *   - the wasm2c build (boards/Makefile `wasm2c`): its module is compiled
 *     into the host, there is nothing to load at run time;
 *   - the bench's scripted board (bench/native/driver.c).
 */
#include "ota.h"

#include <stdio.h>

int32_t hal_ota_begin(uint32_t size) {
  (void)size;
  return IOTBIND_OTA_UNSUPPORTED;
}
int32_t hal_ota_write(uint32_t offset, const uint8_t *ptr, int32_t len) {
  (void)offset;
  (void)ptr;
  (void)len;
  return IOTBIND_OTA_NOT_STARTED;
}
int32_t hal_ota_finish(void) { return IOTBIND_OTA_NOT_STARTED; }
void hal_ota_abort(void) {}
void hal_ota_activate(void) {}

int ota_configure(const char *pem, size_t pem_len, uint32_t confirm_s, char *err, size_t err_cap) {
  (void)pem;
  (void)pem_len;
  (void)confirm_s;
  snprintf(err, err_cap, "this build has no OTA (the module is compiled or linked in)");
  return IOTBIND_OTA_UNSUPPORTED;
}
bool ota_enabled(void) { return false; }
uint32_t ota_confirm_ms(void) { return OTA_CONFIRM_S_DEFAULT * 1000u; }
void ota_boot(void) {}
uint8_t *ota_active_module(uint32_t *len) {
  *len = 0;
  return NULL;
}
void ota_module_free(uint8_t *module) { (void)module; /* ota_active_module never gives one */ }
bool ota_take_activation(void) { return false; }
int ota_trial_start(void) { return IOTBIND_OTA_UNSUPPORTED; }
bool ota_in_trial(void) { return false; }
void ota_trial_version(uint32_t version) { (void)version; }
void ota_trial_confirm(void) {}
void ota_trial_rollback(const char *reason) { (void)reason; }
void ota_version_text(uint32_t v, char *out, size_t cap) { snprintf(out, cap, "%lu", (unsigned long)v); }
void ota_reset_for_test(void) {}
