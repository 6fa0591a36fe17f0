/*
 * hal_esp32.c - the `hal` imports on ESP32 with ESP-IDF 5.2+ drivers.
 * Sockets are boards/host/sockets_bsd.c (lwIP); log and panic are host.c.
 *
 * NOT COMPILED on the development machines (ESP-IDF cannot be installed
 * there): written against the documented ESP-IDF 5.x APIs and kept small.
 *
 *   millis      esp_timer_get_time() / 1000, wrapping u32
 *   GPIO        gpio_config / gpio_set_level / gpio_get_level; outputs are
 *               INPUT_OUTPUT so that a read returns the driven level
 *   pulse_in    GPIO interrupt on both edges time-stamped with esp_timer;
 *               the task blocks on a semaphore (no busy wait) until the pulse
 *               ends or the timeout passes (1 ms tick: CONFIG_FREERTOS_HZ=1000)
 *   adc_read    adc_oneshot on ADC1 (ADC2 is unusable while Wi-Fi is on),
 *               12 dB attenuation, calibrated to mV by curve or line fitting
 *               when the chip has eFuse data, then scaled to the counts the
 *               firmware expects: adc_bits over adc_ref_mv for the sensor
 *               channel, ntc_bits over the 3.3 V supply for the NTC divider
 *   UART        uart driver, 8N1, non-blocking reads (0 ticks)
 *   kv          NVS namespace "iotbind" (keys <= 15 bytes, as NVS requires)
 *   random_u32  esp_random() (hardware RNG)
 *   hw_id       Wi-Fi station MAC
 */
#include <string.h>

#include "driver/gpio.h"
#include "driver/uart.h"
#include "esp32_platform.h"
#include "esp_adc/adc_cali.h"
#include "esp_adc/adc_cali_scheme.h"
#include "esp_adc/adc_oneshot.h"
#include "esp_log.h"
#include "esp_mac.h"
#include "esp_random.h"
#include "esp_rom_sys.h"
#include "esp_timer.h"
#include "freertos/FreeRTOS.h"
#include "freertos/semphr.h"
#include "freertos/task.h"
#include "host.h"
#include "nvs.h"
#include "soc/soc_caps.h"

static const char *TAG = "iotbind";

#define SUPPLY_MV 3300 /* the NTC divider hangs off 3V3 */
#define ADC_CHANNELS SOC_ADC_MAX_CHANNEL_NUM

/* --------------------------------------------------------------- config */

static long adc_channel = -1, adc_bits = 12, adc_ref_mv = 3300;
static long ntc_channel = -1, ntc_bits = 12;
static int uart_tx = -1, uart_rx = -1;

void esp32_platform_configure(const char *c, size_t n, int uart_tx_pin, int uart_rx_pin) {
  config_member_int(c, n, "adc_channel", &adc_channel);
  config_member_int(c, n, "adc_bits", &adc_bits);
  config_member_int(c, n, "adc_ref_mv", &adc_ref_mv);
  config_member_int(c, n, "ntc_channel", &ntc_channel);
  config_member_int(c, n, "ntc_bits", &ntc_bits);
  uart_tx = uart_tx_pin;
  uart_rx = uart_rx_pin;
}

/* ------------------------------------------------------ log, time, ids */

void platform_log_line(int level, const char *source, const char *text, size_t len) {
  switch (level) {
    case IOTBIND_LOG_ERROR: ESP_LOGE(TAG, "%s: %.*s", source, (int)len, text); break;
    case IOTBIND_LOG_WARN: ESP_LOGW(TAG, "%s: %.*s", source, (int)len, text); break;
    case IOTBIND_LOG_INFO: ESP_LOGI(TAG, "%s: %.*s", source, (int)len, text); break;
    default: ESP_LOGD(TAG, "%s: %.*s", source, (int)len, text); break;
  }
}

void platform_sleep_ms(uint32_t ms) { vTaskDelay(pdMS_TO_TICKS(ms) + (ms ? 1 : 0)); }

uint32_t hal_millis(void) { return (uint32_t)(esp_timer_get_time() / 1000); }

void hal_delay_us(uint32_t us) { esp_rom_delay_us(us); }

uint32_t hal_random_u32(void) { return esp_random(); }

int32_t hal_hw_id(uint8_t *buf, int32_t cap) {
  uint8_t mac[6];
  if (esp_read_mac(mac, ESP_MAC_WIFI_STA) != ESP_OK) return 0;
  int32_t n = cap < 6 ? cap : 6;
  memcpy(buf, mac, (size_t)n);
  return n;
}

/* ----------------------------------------------------------------- GPIO */

static bool pin_ok(int32_t pin) { return pin >= 0 && pin < GPIO_NUM_MAX && GPIO_IS_VALID_GPIO(pin); }

int32_t hal_gpio_mode(int32_t pin, int32_t mode) {
  if (!pin_ok(pin)) return -1;
  gpio_config_t c = {
      .pin_bit_mask = 1ULL << pin,
      .mode = GPIO_MODE_INPUT,
      .pull_up_en = GPIO_PULLUP_DISABLE,
      .pull_down_en = GPIO_PULLDOWN_DISABLE,
      .intr_type = GPIO_INTR_DISABLE,
  };
  switch (mode) {
    case IOTBIND_GPIO_INPUT: break;
    case IOTBIND_GPIO_OUTPUT:
      if (!GPIO_IS_VALID_OUTPUT_GPIO(pin)) return -1; /* e.g. GPIO34..39 on ESP32 */
      c.mode = GPIO_MODE_INPUT_OUTPUT;
      break;
    case IOTBIND_GPIO_INPUT_PULLUP: c.pull_up_en = GPIO_PULLUP_ENABLE; break;
    case IOTBIND_GPIO_INPUT_PULLDOWN: c.pull_down_en = GPIO_PULLDOWN_ENABLE; break;
    default: return -1;
  }
  return gpio_config(&c) == ESP_OK ? 0 : -1;
}

int32_t hal_gpio_write(int32_t pin, int32_t level) {
  if (!pin_ok(pin) || !GPIO_IS_VALID_OUTPUT_GPIO(pin) || (level != 0 && level != 1)) return -1;
  return gpio_set_level((gpio_num_t)pin, (uint32_t)level) == ESP_OK ? 0 : -1;
}

int32_t hal_gpio_read(int32_t pin) {
  if (!pin_ok(pin)) return -1;
  return gpio_get_level((gpio_num_t)pin);
}

/* Echo timing: both edges of the echo pin interrupt; the ISR stamps them. */
static SemaphoreHandle_t pulse_done;
static int echo_pin = -1;
static volatile int want_level;
static volatile int64_t rise_us, fall_us; /* start and end of the pulse at want_level */

static void echo_isr(void *arg) {
  int64_t now = esp_timer_get_time();
  int level = gpio_get_level((gpio_num_t)(intptr_t)arg);
  if (level == want_level) {
    if (rise_us == 0) rise_us = now;
  } else if (rise_us != 0 && fall_us == 0) {
    fall_us = now;
    BaseType_t woken = pdFALSE;
    xSemaphoreGiveFromISR(pulse_done, &woken);
    if (woken) portYIELD_FROM_ISR();
  }
}

static bool echo_arm(int32_t pin) {
  if (echo_pin == pin) return true;
  if (!pulse_done) {
    pulse_done = xSemaphoreCreateBinary();
    if (!pulse_done) return false;
    esp_err_t e = gpio_install_isr_service(0);
    if (e != ESP_OK && e != ESP_ERR_INVALID_STATE) return false; /* INVALID_STATE: already installed */
  }
  if (echo_pin >= 0) gpio_isr_handler_remove((gpio_num_t)echo_pin);
  if (gpio_set_intr_type((gpio_num_t)pin, GPIO_INTR_ANYEDGE) != ESP_OK ||
      gpio_isr_handler_add((gpio_num_t)pin, echo_isr, (void *)(intptr_t)pin) != ESP_OK ||
      gpio_intr_enable((gpio_num_t)pin) != ESP_OK)
    return false;
  echo_pin = pin;
  return true;
}

int32_t hal_pulse_in(int32_t pin, int32_t level, uint32_t timeout_us) {
  if (!pin_ok(pin) || (level != 0 && level != 1) || !echo_arm(pin)) return -1;
  gpio_intr_disable((gpio_num_t)pin);
  xSemaphoreTake(pulse_done, 0); /* drop a stale give */
  want_level = level;
  rise_us = 0;
  fall_us = 0;
  int64_t start = esp_timer_get_time();
  gpio_intr_enable((gpio_num_t)pin);
  TickType_t ticks = pdMS_TO_TICKS((timeout_us + 999u) / 1000u) + 1;
  bool ended = xSemaphoreTake(pulse_done, ticks) == pdTRUE;
  gpio_intr_disable((gpio_num_t)pin);
  if (!ended || fall_us - start > (int64_t)timeout_us) return 0;
  int64_t width = fall_us - rise_us;
  return width > 0 ? (int32_t)width : 0;
}

/* ------------------------------------------------------------------ ADC */

static adc_oneshot_unit_handle_t adc1;
static adc_cali_handle_t cali[ADC_CHANNELS];
static bool chan_ready[ADC_CHANNELS];

static void cali_create(int ch) {
#if ADC_CALI_SCHEME_CURVE_FITTING_SUPPORTED
  adc_cali_curve_fitting_config_t c = {
      .unit_id = ADC_UNIT_1, .chan = (adc_channel_t)ch, .atten = ADC_ATTEN_DB_12, .bitwidth = ADC_BITWIDTH_DEFAULT};
  if (adc_cali_create_scheme_curve_fitting(&c, &cali[ch]) != ESP_OK) cali[ch] = NULL;
#elif ADC_CALI_SCHEME_LINE_FITTING_SUPPORTED
  adc_cali_line_fitting_config_t c = {
      .unit_id = ADC_UNIT_1, .atten = ADC_ATTEN_DB_12, .bitwidth = ADC_BITWIDTH_DEFAULT};
  if (adc_cali_create_scheme_line_fitting(&c, &cali[ch]) != ESP_OK) cali[ch] = NULL;
#else
  cali[ch] = NULL;
#endif
  if (!cali[ch]) host_log(IOTBIND_LOG_WARN, "adc: no calibration data for channel %d, using nominal scale", ch);
}

int32_t hal_adc_read(int32_t channel) {
  if (channel < 0 || channel >= SOC_ADC_CHANNEL_NUM(0)) return -1; /* ADC1 */
  if (!adc1) {
    adc_oneshot_unit_init_cfg_t u = {.unit_id = ADC_UNIT_1};
    if (adc_oneshot_new_unit(&u, &adc1) != ESP_OK) return -1;
  }
  if (!chan_ready[channel]) {
    adc_oneshot_chan_cfg_t c = {.atten = ADC_ATTEN_DB_12, .bitwidth = ADC_BITWIDTH_DEFAULT};
    if (adc_oneshot_config_channel(adc1, (adc_channel_t)channel, &c) != ESP_OK) return -1;
    cali_create(channel);
    chan_ready[channel] = true;
  }
  int raw = 0, mv = 0;
  if (adc_oneshot_read(adc1, (adc_channel_t)channel, &raw) != ESP_OK) return -1;
  if (!cali[channel] || adc_cali_raw_to_voltage(cali[channel], raw, &mv) != ESP_OK)
    mv = raw * 3100 / 4095; /* nominal full scale at 12 dB */
  bool ntc = channel == ntc_channel;
  long bits = ntc ? ntc_bits : adc_bits;
  long ref = ntc ? SUPPLY_MV : adc_ref_mv;
  long full = (1L << bits) - 1;
  long counts = (long)mv * full / ref;
  return (int32_t)(counts < 0 ? 0 : counts > full ? full : counts);
}

/* ----------------------------------------------------------------- UART */

int32_t hal_uart_open(int32_t port, int32_t baud) {
  if (port < 0 || port >= UART_NUM_MAX || baud <= 0) return -1;
#ifdef CONFIG_ESP_CONSOLE_UART_NUM
  if (port == CONFIG_ESP_CONSOLE_UART_NUM) return -1; /* the log console */
#endif
  uart_config_t c = {
      .baud_rate = baud,
      .data_bits = UART_DATA_8_BITS,
      .parity = UART_PARITY_DISABLE,
      .stop_bits = UART_STOP_BITS_1,
      .flow_ctrl = UART_HW_FLOWCTRL_DISABLE,
      .source_clk = UART_SCLK_DEFAULT,
  };
  if (uart_is_driver_installed((uart_port_t)port)) uart_driver_delete((uart_port_t)port);
  if (uart_driver_install((uart_port_t)port, 256, 0, 0, NULL, 0) != ESP_OK) return -1;
  if (uart_param_config((uart_port_t)port, &c) != ESP_OK ||
      uart_set_pin((uart_port_t)port, uart_tx < 0 ? UART_PIN_NO_CHANGE : uart_tx,
                   uart_rx < 0 ? UART_PIN_NO_CHANGE : uart_rx, UART_PIN_NO_CHANGE, UART_PIN_NO_CHANGE) != ESP_OK)
    return -1;
  return 0;
}

int32_t hal_uart_read(int32_t port, uint8_t *buf, int32_t cap) {
  if (port < 0 || port >= UART_NUM_MAX || !uart_is_driver_installed((uart_port_t)port)) return -1;
  if (cap <= 0) return 0;
  int n = uart_read_bytes((uart_port_t)port, buf, (uint32_t)cap, 0);
  return n < 0 ? -1 : n;
}

int32_t hal_uart_write(int32_t port, const uint8_t *ptr, int32_t len) {
  if (port < 0 || port >= UART_NUM_MAX || !uart_is_driver_installed((uart_port_t)port)) return -1;
  int n = uart_write_bytes((uart_port_t)port, (const char *)ptr, (size_t)len);
  return n < 0 ? -1 : n;
}

/* ------------------------------------------------------------------ NVS */

static nvs_handle_t kv;
static bool kv_ready;

static bool kv_key(const uint8_t *key, int32_t key_len, char out[16]) {
  if (key_len < 1 || key_len > 15) return false;
  memcpy(out, key, (size_t)key_len);
  out[key_len] = 0;
  if (!kv_ready) kv_ready = nvs_open("iotbind", NVS_READWRITE, &kv) == ESP_OK;
  return kv_ready;
}

int32_t hal_kv_get(const uint8_t *key, int32_t key_len, uint8_t *buf, int32_t cap) {
  char k[16];
  uint8_t val[64];
  size_t n = sizeof val;
  if (!kv_key(key, key_len, k) || cap < 0) return -2;
  esp_err_t e = nvs_get_blob(kv, k, val, &n);
  if (e == ESP_ERR_NVS_NOT_FOUND) return -1;
  if (e != ESP_OK) return -2;
  if (n > (size_t)cap) n = (size_t)cap;
  memcpy(buf, val, n);
  return (int32_t)n;
}

int32_t hal_kv_set(const uint8_t *key, int32_t key_len, const uint8_t *val, int32_t val_len) {
  char k[16];
  if (!kv_key(key, key_len, k) || val_len < 0 || val_len > 64) return -2;
  if (nvs_set_blob(kv, k, val, (size_t)val_len) != ESP_OK || nvs_commit(kv) != ESP_OK) return -2;
  return 0;
}
