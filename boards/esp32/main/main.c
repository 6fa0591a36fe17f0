/*
 * main.c - iotbind-tank on ESP32: WAMR runs build/firmware.wasm against the
 * ESP-IDF platform (boards/platform/esp32) through the shared host code.
 *
 * NOT COMPILED on the development machines (ESP-IDF cannot be installed
 * there); boards/README.md says how each part was checked.
 *
 * Boot:
 *  1. NVS; the device config: NVS namespace "iotbind_cfg" key "device_json"
 *     when present, else main/device.json embedded at build time. It holds the
 *     Wi-Fi credentials, the board's UART pins, optionally "broker_ca" (the
 *     PEM of the CA to trust for "broker_tls"; default: the ESP x509
 *     certificate bundle) and, under "firmware", the firmware config of
 *     docs/CONFIG.md (JSON), which host_run encodes to the binary config.
 *     A binary config provisioned into NVS key "firmware_bin" (a blob made
 *     by `iotbind-tank config encode config.json -o config.bin`) takes its
 *     place: no JSON for the firmware is parsed on the device then.
 *  2. Wi-Fi station (reconnects by itself).
 *  3. OTA (docs/OTA.md, "C hosts") when the device config has "ota_public_key"
 *     (the PEM text of the P-256 key that signs updates) and optionally
 *     "ota_confirm_s" (default 120): slots in the `wasm_a`/`wasm_b`
 *     partitions, the record in NVS "iotbind_ota" (platform/esp32/ota_esp32.c).
 *     host_run runs the active OTA slot's module when there is one.
 *  4. Otherwise the module: the `wasm_a` partition when it holds a valid image
 *     written by tools/pack_wasm.py, else the firmware.wasm embedded in the
 *     app. A partition module that WAMR refuses falls back to the embedded one.
 *  5. host_run in a pthread with a 16 KiB stack (HOST_STACK_BYTES): init,
 *     the tick loop, relay off + restart on a trap.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "esp32_platform.h"
#include "esp_partition.h"
#include "freertos/FreeRTOS.h"
#include "freertos/task.h"
#include "host.h"
#include "nvs.h"
#include "ota.h"
#include "sockets_tls.h"
#include "nvs_flash.h"

extern const uint8_t embedded_wasm_start[] asm("_binary_firmware_wasm_start");
extern const uint8_t embedded_wasm_end[] asm("_binary_firmware_wasm_end");
extern const char embedded_device_json[] asm("_binary_device_json_start"); /* NUL-terminated */

/* tools/pack_wasm.py: "IBW1", u32 length, u32 CRC-32 (zlib's), then the module. */
#define IMAGE_MAGIC "IBW1"
#define IMAGE_HEADER 12

static volatile int stop; /* never set: the device runs until reset */

/* The host thread's stack. Measured (npm run bench, bench/RESULTS.md
 * "Runtimes"): the bench driver's whole scenario (load, config parse,
 * readings, downlinks, traps excluded) on a painted stack uses 3.5 KB with
 * WAMR's fast interpreter and 3.2 KB with the classic one at 32 bit (x86,
 * the wasm stack is WAMR's, in its own heap, not here). 16 KiB is
 * ~4x that: room for what the driver does not include (host.c's log
 * formatting, lwIP's select/recv, ESP-IDF's logging) and for Xtensa's
 * windowed-register frames, which are larger than x86's. (wasm3: 4.5 KB.) */
#define HOST_STACK_BYTES (16 * 1024)

static uint32_t crc32(const uint8_t *p, size_t n) {
  uint32_t c = 0xffffffffu;
  while (n--) {
    c ^= *p++;
    for (int k = 0; k < 8; k++) c = (c >> 1) ^ (0xedb88320u & (0u - (c & 1u)));
  }
  return ~c;
}

static uint32_t le32(const uint8_t *b) {
  return (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
}

/* The module written over USB to the `wasm_a` partition, or NULL. */
static uint8_t *partition_module(uint32_t *len) {
  const esp_partition_t *part =
      esp_partition_find_first(ESP_PARTITION_TYPE_DATA, ESP_PARTITION_SUBTYPE_ANY, "wasm_a");
  uint8_t head[IMAGE_HEADER];
  if (!part || esp_partition_read(part, 0, head, sizeof head) != ESP_OK) return NULL;
  if (memcmp(head, IMAGE_MAGIC, 4) != 0) return NULL; /* erased, never written, or an OTA image (ota_esp32.c) */
  uint32_t n = le32(head + 4);
  if (n < 8 || n > part->size - IMAGE_HEADER) {
    host_log(IOTBIND_LOG_WARN, "wasm partition: bad length %lu", (unsigned long)n);
    return NULL;
  }
  uint8_t *buf = malloc(n);
  if (!buf) return NULL;
  if (esp_partition_read(part, IMAGE_HEADER, buf, n) != ESP_OK || crc32(buf, n) != le32(head + 8) ||
      memcmp(buf, "\0asm", 4) != 0) {
    host_log(IOTBIND_LOG_WARN, "wasm partition: image does not check out, using the embedded module");
    free(buf);
    return NULL;
  }
  *len = n;
  return buf;
}

/* The device config: NVS first, else the embedded device.json. */
static const char *device_config(void) {
  nvs_handle_t h;
  size_t n = 0;
  if (nvs_open("iotbind_cfg", NVS_READONLY, &h) == ESP_OK) {
    char *buf = NULL;
    if (nvs_get_str(h, "device_json", NULL, &n) == ESP_OK && (buf = malloc(n)) &&
        nvs_get_str(h, "device_json", buf, &n) == ESP_OK) {
      nvs_close(h);
      host_log(IOTBIND_LOG_INFO, "config: from NVS");
      return buf;
    }
    free(buf);
    nvs_close(h);
  }
  host_log(IOTBIND_LOG_INFO, "config: embedded device.json");
  return embedded_device_json;
}

/* The binary firmware config from NVS key "firmware_bin", or NULL. */
static char *firmware_bin(size_t *len) {
  nvs_handle_t h;
  size_t n = 0;
  char *buf = NULL;
  if (nvs_open("iotbind_cfg", NVS_READONLY, &h) != ESP_OK) return NULL;
  if (nvs_get_blob(h, "firmware_bin", NULL, &n) == ESP_OK && n > 0 && (buf = malloc(n)) &&
      nvs_get_blob(h, "firmware_bin", buf, &n) == ESP_OK && (uint8_t)buf[0] == IOTBIND_CONFIG_FORMAT_BYTE) {
    nvs_close(h);
    *len = n;
    return buf;
  }
  free(buf);
  nvs_close(h);
  return NULL;
}

static void *host_main(void *arg) {
  (void)arg;
  const char *dev = device_config();
  size_t dev_len = strlen(dev);
  const char *fw;
  size_t fw_len;
  char ssid[33] = "", pass[65] = "";
  long tx = -1, rx = -1;
  size_t bin_len = 0;
  char *bin = firmware_bin(&bin_len);
  if (bin) {
    host_log(IOTBIND_LOG_INFO, "config: binary firmware config from NVS (%lu bytes)", (unsigned long)bin_len);
    fw = bin;
    fw_len = bin_len;
  } else if (!json_member(dev, dev_len, "firmware", &fw, &fw_len)) {
    host_log(IOTBIND_LOG_ERROR, "config: no \"firmware\" object in the device config");
    return NULL;
  }
  json_member_str(dev, dev_len, "wifi_ssid", ssid, sizeof ssid);
  json_member_str(dev, dev_len, "wifi_password", pass, sizeof pass);
  json_member_int(dev, dev_len, "uart_tx_pin", &tx);
  json_member_int(dev, dev_len, "uart_rx_pin", &rx);
  esp32_platform_configure(fw, fw_len, (int)tx, (int)rx);
  const char *ca;
  size_t ca_len;
  if (json_member(dev, dev_len, "broker_ca", &ca, &ca_len)) {
    /* A PEM in JSON is a few KiB at most; kept for the program's life (mbed TLS parses it once). */
    char *pem = malloc(ca_len + 1);
    if (pem && json_member_str(dev, dev_len, "broker_ca", pem, ca_len + 1)) sockets_tls_configure(NULL, pem);
    else host_log(IOTBIND_LOG_ERROR, "config: broker_ca unreadable; TLS connections will use the certificate bundle");
  }
  const char *okey;
  size_t okey_len;
  if (json_member(dev, dev_len, "ota_public_key", &okey, &okey_len)) {
    char *pem = malloc(okey_len + 1), why[160];
    long confirm_s = OTA_CONFIRM_S_DEFAULT;
    json_member_int(dev, dev_len, "ota_confirm_s", &confirm_s);
    if (!pem || !json_member_str(dev, dev_len, "ota_public_key", pem, okey_len + 1))
      host_log(IOTBIND_LOG_ERROR, "config: ota_public_key unreadable; no OTA");
    else if (ota_configure(pem, strlen(pem), confirm_s > 0 ? (uint32_t)confirm_s : OTA_CONFIRM_S_DEFAULT, why, sizeof why) != 0)
      host_log(IOTBIND_LOG_ERROR, "config: ota_public_key: %s; no OTA", why);
    else host_log(IOTBIND_LOG_INFO, "ota: enabled (slots wasm_a/wasm_b)");
    free(pem); /* ota_verify.c keeps the parsed key */
  }
  if (ssid[0]) esp32_wifi_start(ssid, pass);
  else host_log(IOTBIND_LOG_WARN, "config: no wifi_ssid, no network");

  struct host_params p = {
      .config = fw, .config_len = fw_len, .stop = &stop, .max_restarts = -1};
  uint32_t len = 0;
  uint8_t *newer = partition_module(&len);
  enum host_exit e = HOST_EXIT_MODULE;
  if (newer) {
    host_log(IOTBIND_LOG_INFO, "module: %lu bytes from the wasm partition", (unsigned long)len);
    p.wasm = newer;
    p.wasm_len = len;
    e = host_run(&p);
  }
  if (e == HOST_EXIT_MODULE) {
    p.wasm = embedded_wasm_start;
    p.wasm_len = (uint32_t)(embedded_wasm_end - embedded_wasm_start);
    host_log(IOTBIND_LOG_INFO, "module: %lu bytes embedded", (unsigned long)p.wasm_len);
    e = host_run(&p);
  }
  /* A refused config does not fix itself: stay idle (relay already off) until
   * someone reflashes or rewrites the config and resets the board. */
  host_log(IOTBIND_LOG_ERROR, "host stopped with status %d; idle until reset", (int)e);
  for (;;) vTaskDelay(portMAX_DELAY);
  return NULL;
}

void app_main(void) {
  esp_err_t e = nvs_flash_init();
  if (e == ESP_ERR_NVS_NO_FREE_PAGES || e == ESP_ERR_NVS_NEW_VERSION_FOUND) {
    ESP_ERROR_CHECK(nvs_flash_erase());
    e = nvs_flash_init();
  }
  ESP_ERROR_CHECK(e);

  pthread_attr_t attr;
  pthread_t t;
  pthread_attr_init(&attr);
  pthread_attr_setstacksize(&attr, HOST_STACK_BYTES);
  if (pthread_create(&t, &attr, host_main, NULL) != 0) abort();
  pthread_detach(t);
}
