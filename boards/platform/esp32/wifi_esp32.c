/*
 * wifi_esp32.c - Wi-Fi station from the device config (ESP-IDF esp_wifi).
 * NOT COMPILED on the development machines (no ESP-IDF there): written
 * against the ESP-IDF 5.x documented API.
 */
#include <string.h>

#include "esp32_platform.h"
#include "esp_event.h"
#include "esp_netif.h"
#include "esp_wifi.h"
#include "host.h"

static void on_event(void *arg, esp_event_base_t base, int32_t id, void *data) {
  (void)arg;
  if (base == WIFI_EVENT && id == WIFI_EVENT_STA_START) {
    esp_wifi_connect();
  } else if (base == WIFI_EVENT && id == WIFI_EVENT_STA_DISCONNECTED) {
    host_log(IOTBIND_LOG_WARN, "wifi: disconnected, reconnecting");
    esp_wifi_connect();
  } else if (base == IP_EVENT && id == IP_EVENT_STA_GOT_IP) {
    const ip_event_got_ip_t *e = (const ip_event_got_ip_t *)data;
    host_log(IOTBIND_LOG_INFO, "wifi: got address " IPSTR, IP2STR(&e->ip_info.ip));
  }
}

void esp32_wifi_start(const char *ssid, const char *password) {
  ESP_ERROR_CHECK(esp_netif_init());
  ESP_ERROR_CHECK(esp_event_loop_create_default());
  esp_netif_create_default_wifi_sta();
  wifi_init_config_t init = WIFI_INIT_CONFIG_DEFAULT();
  ESP_ERROR_CHECK(esp_wifi_init(&init));
  ESP_ERROR_CHECK(esp_event_handler_instance_register(WIFI_EVENT, ESP_EVENT_ANY_ID, on_event, NULL, NULL));
  ESP_ERROR_CHECK(esp_event_handler_instance_register(IP_EVENT, IP_EVENT_STA_GOT_IP, on_event, NULL, NULL));

  wifi_config_t wc;
  memset(&wc, 0, sizeof wc);
  /* 32 and 64 bytes; need not be NUL-terminated when full */
  size_t n = strlen(ssid), m = strlen(password);
  memcpy(wc.sta.ssid, ssid, n < sizeof wc.sta.ssid ? n : sizeof wc.sta.ssid);
  memcpy(wc.sta.password, password, m < sizeof wc.sta.password ? m : sizeof wc.sta.password);
  wc.sta.threshold.authmode = password[0] ? WIFI_AUTH_WPA2_PSK : WIFI_AUTH_OPEN;
  ESP_ERROR_CHECK(esp_wifi_set_mode(WIFI_MODE_STA));
  ESP_ERROR_CHECK(esp_wifi_set_config(WIFI_IF_STA, &wc));
  ESP_ERROR_CHECK(esp_wifi_start());
  host_log(IOTBIND_LOG_INFO, "wifi: joining \"%s\"", ssid);
}
