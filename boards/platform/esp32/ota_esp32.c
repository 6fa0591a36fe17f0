/*
 * ota_esp32.c - OTA slot storage on ESP32 (ota.h), NOT COMPILED here except
 * against test-stubs/ (make -C boards check-esp32):
 *   - slots: the data partitions `wasm_a` and `wasm_b` of ../../esp32/partitions.csv,
 *     through esp_partition_erase_range / _write / _read. A slot holds the
 *     image as received (module + 64-byte signature), from offset 0; the
 *     module's length is in the record. `wasm_a` is also where
 *     tools/pack_wasm.py writes a module over USB (with its "IBW1" header):
 *     while the record says slot A holds no OTA module (len 0), main.c runs
 *     that one, else the embedded firmware.wasm.
 *   - the record: one NVS blob, namespace "iotbind_ota", key "record";
 *     nvs_commit makes it durable before a switch.
 */
#include <string.h>

#include "esp_partition.h"
#include "host.h"
#include "nvs.h"
#include "ota.h"

static const char *const LABELS[2] = {"wasm_a", "wasm_b"};

static const esp_partition_t *slot_part(int slot) {
  static const esp_partition_t *parts[2];
  slot &= 1;
  if (!parts[slot]) parts[slot] = esp_partition_find_first(ESP_PARTITION_TYPE_DATA, ESP_PARTITION_SUBTYPE_ANY, LABELS[slot]);
  return parts[slot];
}

uint32_t ota_store_capacity(void) {
  const esp_partition_t *a = slot_part(0), *b = slot_part(1);
  if (!a || !b) return 0; /* no slots: ota_begin answers TOO_LARGE for any size */
  return a->size < b->size ? a->size : b->size;
}

int ota_store_erase(int slot, uint32_t size) {
  const esp_partition_t *p = slot_part(slot);
  if (!p || size > p->size) return -1;
  uint32_t sector = p->erase_size ? p->erase_size : 4096u;
  uint32_t span = (size + sector - 1u) / sector * sector;
  esp_err_t e = esp_partition_erase_range(p, 0, span);
  if (e != ESP_OK) host_log(IOTBIND_LOG_ERROR, "ota: erase %s: %s", LABELS[slot & 1], esp_err_to_name(e));
  return e == ESP_OK ? 0 : -1;
}

int ota_store_write(int slot, uint32_t offset, const uint8_t *p, uint32_t n) {
  const esp_partition_t *part = slot_part(slot);
  if (!part) return -1;
  esp_err_t e = esp_partition_write(part, offset, p, n);
  if (e != ESP_OK) host_log(IOTBIND_LOG_ERROR, "ota: write %s: %s", LABELS[slot & 1], esp_err_to_name(e));
  return e == ESP_OK ? 0 : -1;
}

int ota_store_read(int slot, uint32_t offset, uint8_t *p, uint32_t n) {
  const esp_partition_t *part = slot_part(slot);
  return part && esp_partition_read(part, offset, p, n) == ESP_OK ? 0 : -1;
}

int ota_store_load(struct ota_record *r) {
  nvs_handle_t h;
  size_t n = sizeof *r;
  if (nvs_open("iotbind_ota", NVS_READONLY, &h) != ESP_OK) return -1;
  esp_err_t e = nvs_get_blob(h, "record", r, &n);
  nvs_close(h);
  return e == ESP_OK && n == sizeof *r ? 0 : -1;
}

int ota_store_save(const struct ota_record *r) {
  nvs_handle_t h;
  if (nvs_open("iotbind_ota", NVS_READWRITE, &h) != ESP_OK) return -1;
  esp_err_t e = nvs_set_blob(h, "record", r, sizeof *r);
  if (e == ESP_OK) e = nvs_commit(h);
  nvs_close(h);
  if (e != ESP_OK) host_log(IOTBIND_LOG_ERROR, "ota: cannot save the record in NVS: %s", esp_err_to_name(e));
  return e == ESP_OK ? 0 : -1;
}
