/*
 * hal_posix.c - the `hal` imports on POSIX (Linux, macOS): clock_gettime
 * MONOTONIC as the wrapping millisecond clock, key-value storage in a file,
 * and GPIO/ADC/UART backed by the simulated tank of sim_tank.c. Sockets are
 * boards/host/sockets_bsd.c; log and panic are boards/host/host.c.
 *
 * Every change of the relay pin's output is printed on stdout as a line
 * `RELAY on` / `RELAY off` (taking relay_active_high into account).
 */
#include "posix_platform.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "host.h"
#include "kv_table.h"
#include "sim_tank.h"

#define PINS 64
#define ADC_CHANNELS 32
#define UART_PORTS 8
#define HC_SR04_BURST_US 450 /* trigger to echo rising: the 8-cycle 40 kHz burst */

struct posix_options posix_opts = {NULL, NULL, 0, IOTBIND_LOG_INFO, NULL};

static struct {
  int8_t mode;  /* -1 never set */
  int8_t level; /* last written level */
} pins[PINS];
static int relay_shown = -1; /* -1 nothing printed yet, else 0/1 */
static bool trig_high, triggered;

static double start_s = -1;

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void sleep_us(uint64_t us) {
  struct timespec ts;
  ts.tv_sec = (time_t)(us / 1000000u);
  ts.tv_nsec = (long)(us % 1000000u) * 1000L;
  nanosleep(&ts, NULL); /* a signal (SIGTERM) may cut it short: fine */
}

void platform_sleep_ms(uint32_t ms) { sleep_us((uint64_t)ms * 1000u); }

void platform_log_line(int level, const char *source, const char *text, size_t len) {
  static const char tag[] = "EWID";
  if (level > posix_opts.log_level) return;
  if (start_s < 0) start_s = now_s();
  char line[512];
  size_t n = len < sizeof line - 1 ? len : sizeof line - 1;
  for (size_t i = 0; i < n; i++) {
    unsigned char c = (unsigned char)text[i];
    line[i] = (c < 0x20 || c == 0x7f) ? '?' : (char)c;
  }
  line[n] = 0;
  fprintf(stderr, "[%9.3f] %c %s: %s\n", now_s() - start_s, level >= 0 && level <= 3 ? tag[level] : '?',
          source, line);
  fflush(stderr);
}

/* ------------------------------------------------------------------ clock */

uint32_t hal_millis(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  uint64_t ms = (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
  return (uint32_t)(ms + posix_opts.millis_offset); /* wraps after ~49.7 days, as the ABI says */
}

void hal_delay_us(uint32_t us) { sleep_us(us); }

uint32_t hal_random_u32(void) {
  static uint32_t x;
  if (x == 0) {
    FILE *f = fopen("/dev/urandom", "rb");
    if (!f || fread(&x, sizeof x, 1, f) != 1) x = (uint32_t)time(NULL) ^ ((uint32_t)getpid() << 16);
    if (f) fclose(f);
    if (x == 0) x = 0x9e3779b9u;
  }
  x ^= x << 13; /* xorshift32 */
  x ^= x >> 17;
  x ^= x << 5;
  return x;
}

int32_t hal_hw_id(uint8_t *buf, int32_t cap) {
  char id[64] = "";
  if (posix_opts.hw_id) {
    snprintf(id, sizeof id, "%s", posix_opts.hw_id);
  } else {
    FILE *f = fopen("/etc/machine-id", "r");
    if (f) {
      if (!fgets(id, 13, f)) id[0] = 0;
      fclose(f);
    }
  }
  size_t n = strcspn(id, "\r\n");
  if (n > (size_t)cap) n = (size_t)cap;
  memcpy(buf, id, n);
  return (int32_t)n;
}

/* ------------------------------------------------------------------- GPIO */

static bool pin_ok(int32_t pin) { return pin >= 0 && pin < PINS; }

int32_t hal_gpio_mode(int32_t pin, int32_t mode) {
  if (!pin_ok(pin) || mode < IOTBIND_GPIO_INPUT || mode > IOTBIND_GPIO_INPUT_PULLDOWN) return -1;
  pins[pin].mode = (int8_t)mode;
  return 0;
}

int32_t hal_gpio_write(int32_t pin, int32_t level) {
  if (!pin_ok(pin) || (level != 0 && level != 1)) return -1;
  pins[pin].level = (int8_t)level;
  if (pin == sim.relay_pin) {
    int on = (level == 1) == sim.relay_active_high;
    if (on != relay_shown) {
      relay_shown = on;
      printf("RELAY %s\n", on ? "on" : "off");
      fflush(stdout);
    }
  }
  if (pin == sim.trig_pin) {
    if (level) trig_high = true;
    else if (trig_high) {
      trig_high = false;
      triggered = true; /* a complete trigger pulse: the sensor pings */
    }
  }
  return 0;
}

int32_t hal_gpio_read(int32_t pin) {
  if (!pin_ok(pin)) return -1;
  if (pin == sim.button_pin) {
    sim_poll_file();
    return sim.button_pressed == sim.button_active_low ? 0 : 1;
  }
  if (pin == sim.echo_pin) return 0;
  if (pins[pin].mode == IOTBIND_GPIO_OUTPUT) return pins[pin].level;
  return pins[pin].mode == IOTBIND_GPIO_INPUT_PULLUP ? 1 : 0;
}

int32_t hal_pulse_in(int32_t pin, int32_t level, uint32_t timeout_us) {
  if (!pin_ok(pin)) return -1;
  sim_poll_file();
  bool pinged = triggered;
  triggered = false;
  if (pin == sim.echo_pin && level == 1 && pinged && !sim.no_echo) {
    uint32_t echo = sim_echo_us();
    if ((uint64_t)HC_SR04_BURST_US + echo <= timeout_us) {
      sleep_us((uint64_t)HC_SR04_BURST_US + echo);
      host_log(IOTBIND_LOG_DEBUG, "sim: echo %lu us", (unsigned long)echo);
      return (int32_t)echo;
    }
  }
  host_log(IOTBIND_LOG_DEBUG, "sim: pulse_in(%ld, %ld): no echo%s", (long)pin, (long)level,
           pinged ? "" : " (not triggered)");
  sleep_us(timeout_us < 100000u ? timeout_us : 100000u);
  return 0;
}

/* -------------------------------------------------------------------- ADC */

int32_t hal_adc_read(int32_t channel) {
  if (channel < 0 || channel >= ADC_CHANNELS) return -1;
  sim_poll_file();
  if (channel == sim.ntc_channel) return sim_ntc_counts();
  if (channel == sim.adc_channel) return sim_analog_counts();
  return 1 << 11;
}

/* ------------------------------------------------------------------- UART */

static bool uart_is_open[UART_PORTS];
static uint8_t uart_rx[64];
static size_t uart_rx_len;
static uint32_t uart_last_frame;

int32_t hal_uart_open(int32_t port, int32_t baud) {
  if (port < 0 || port >= UART_PORTS || baud <= 0) return -1;
  uart_is_open[port] = true;
  uart_last_frame = hal_millis();
  return 0;
}

/* A02YYUW / JSN-SR04T mode 2 frame every 100 ms: 0xFF, distance mm (big
 * endian), checksum = low byte of the sum of the first three bytes. */
int32_t hal_uart_read(int32_t port, uint8_t *buf, int32_t cap) {
  if (port < 0 || port >= UART_PORTS || !uart_is_open[port]) return -1;
  if (port == sim.uart_port && !sim.no_echo) {
    sim_poll_file();
    uint32_t now = hal_millis();
    while ((uint32_t)(now - uart_last_frame) >= 100u && uart_rx_len + 4 <= sizeof uart_rx) {
      uart_last_frame += 100u;
      double d = sim_measured_distance_mm();
      unsigned mm = d < 0 ? 0u : d > 65535 ? 65535u : (unsigned)(d + 0.5);
      uint8_t f[4] = {0xff, (uint8_t)(mm >> 8), (uint8_t)mm, 0};
      f[3] = (uint8_t)(f[0] + f[1] + f[2]);
      memcpy(uart_rx + uart_rx_len, f, 4);
      uart_rx_len += 4;
    }
  }
  size_t n = uart_rx_len < (size_t)cap ? uart_rx_len : (size_t)cap;
  memcpy(buf, uart_rx, n);
  memmove(uart_rx, uart_rx + n, uart_rx_len - n);
  uart_rx_len -= n;
  return (int32_t)n;
}

int32_t hal_uart_write(int32_t port, const uint8_t *ptr, int32_t len) {
  (void)ptr;
  if (port < 0 || port >= UART_PORTS || !uart_is_open[port]) return -1;
  return len;
}

/* ---------------------------------------------------- key-value in a file */

#define KV_SLOTS 32

static struct kv_entry kv_slots[KV_SLOTS];
static struct kv_table kv = {kv_slots, KV_SLOTS, 0};
static bool kv_loaded = false; /* the file is read at the first use */

/* One "key hexvalue" line per entry ("-" for an empty value); bad lines are skipped. */
static void kv_load(void) {
  kv_loaded = true;
  FILE *f = posix_opts.kv_path ? fopen(posix_opts.kv_path, "r") : NULL;
  if (!f) return;
  char key[KV_TABLE_KEY + 2], hex[2 * KV_TABLE_VAL + 2];
  uint8_t val[KV_TABLE_VAL];
  while (fscanf(f, "%16s %129s", key, hex) == 2) {
    size_t hl = strcmp(hex, "-") == 0 ? 0 : strlen(hex);
    if (hl % 2 || hl / 2 > KV_TABLE_VAL) continue;
    size_t n = 0;
    for (; n < hl / 2; n++) {
      unsigned b;
      if (sscanf(hex + 2 * n, "%2x", &b) != 1) break;
      val[n] = (uint8_t)b;
    }
    if (n == hl / 2) kv_table_set(&kv, (const uint8_t *)key, (int32_t)strlen(key), val, (int32_t)n);
  }
  fclose(f);
}

static int kv_save(void) {
  if (!posix_opts.kv_path) return 0; /* no file: values live as long as the process */
  char tmp[4096];
  snprintf(tmp, sizeof tmp, "%s.tmp", posix_opts.kv_path);
  FILE *f = fopen(tmp, "w");
  if (!f) return -1;
  for (int i = 0; i < kv.count; i++) {
    fprintf(f, "%s ", kv_slots[i].key);
    if (kv_slots[i].len == 0) fputc('-', f);
    for (int32_t j = 0; j < kv_slots[i].len; j++) fprintf(f, "%02x", kv_slots[i].val[j]);
    fputc('\n', f);
  }
  if (fclose(f) != 0 || rename(tmp, posix_opts.kv_path) != 0) return -1;
  return 0;
}

int32_t hal_kv_get(const uint8_t *key, int32_t key_len, uint8_t *buf, int32_t cap) {
  if (!kv_loaded) kv_load();
  return kv_table_get(&kv, key, key_len, buf, cap);
}

int32_t hal_kv_set(const uint8_t *key, int32_t key_len, const uint8_t *val, int32_t val_len) {
  if (!kv_loaded) kv_load();
  int32_t rc = kv_table_set(&kv, key, key_len, val, val_len);
  if (rc != 0) return rc;
  if (kv_save() != 0) {
    host_log(IOTBIND_LOG_WARN, "kv: cannot write %s: %s", posix_opts.kv_path, strerror(errno));
    return -3;
  }
  return 0;
}
