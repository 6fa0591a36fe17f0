/*
 * hal_rv32.c - the `hal` imports of the bare-metal RV32 image, except the
 * sockets (sockets_uart.c) and log/panic (boards/host/host.c).
 *
 * - Clock: the CLINT's 64-bit mtime (10 MHz) in ms, wrapping at 2^32 as the
 *   ABI says; delay_us busy-waits on it.
 * - GPIO/ADC/UART sensor: the posix host's simulated tank
 *   (boards/platform/posix/sim_tank.c, compiled in unchanged), so the tank,
 *   the HC-SR04 echo timing and the NTC are one model for every C host.
 *   pulse_in busy-waits the simulated burst + echo time, as the real sensor
 *   makes the CPU wait. The bridge changes the level over the link
 *   (CH_SIM "level=PCT"); relay changes go to the bridge as CH_EVENT
 *   "RELAY on"/"RELAY off" lines.
 * - Key-value storage: RAM (lost on reset; the firmware keeps nothing that
 *   must survive one), except the host's `ota.rollback` while OTA is on: that
 *   one is kept in flash (ota_rv32.c), so a rollback reason survives a reset.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "host.h"
#include "kv_table.h"
#include "ota.h"
#include "rv32.h"
#include "sim_tank.h"

#define PINS 64
#define ADC_CHANNELS 32
#define UART_PORTS 4
#define HC_SR04_BURST_US 450

static struct { int8_t mode, level; } pins[PINS];
static int relay_shown = -1;
static bool trig_high, triggered;
bool rv32_force_trap;

/* sim_tank.c re-reads a sim file when sim.file is set; this board has no
 * files (sim.file stays NULL) and stat() says so. */
int stat(const char *path, struct stat *st) {
  (void)path;
  (void)st;
  return -1;
}

void board_sim_frame(const uint8_t *p, size_t n) {
  char text[32];
  if (n >= sizeof text) return;
  memcpy(text, p, n);
  text[n] = 0;
  if (strncmp(text, "level=", 6) == 0) sim.level_pct = atof(text + 6);
  else if (strncmp(text, "temperature=", 12) == 0) sim.temperature_c = atof(text + 12);
  else if (strcmp(text, "echo=0") == 0) sim.no_echo = true;
  else if (strcmp(text, "echo=1") == 0) sim.no_echo = false;
  else if (strcmp(text, "trap") == 0) rv32_force_trap = true; /* see main.c */
}

uint32_t hal_millis(void) { return (uint32_t)(rv32_mtime() / (RV32_MTIME_HZ / 1000u)); }

static void busy_us(uint32_t us) {
  uint64_t i0 = rv32_instret();
  uint64_t end = rv32_mtime() + (uint64_t)us * (RV32_MTIME_HZ / 1000000u);
  while (rv32_mtime() < end) {
  }
  rv32_wait_insns += rv32_instret() - i0;
}

void hal_delay_us(uint32_t us) { busy_us(us); }

uint32_t hal_random_u32(void) {
  static uint32_t x;
  if (x == 0) x = (uint32_t)rv32_mtime() | 1u;
  x ^= x << 13;
  x ^= x >> 17;
  x ^= x << 5;
  return x;
}

int32_t hal_hw_id(uint8_t *buf, int32_t cap) {
  static const char id[] = "qemu-rv32";
  int32_t n = (int32_t)sizeof id - 1 < cap ? (int32_t)sizeof id - 1 : cap;
  memcpy(buf, id, (size_t)n);
  return n;
}

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
      const char *t = on ? "RELAY on" : "RELAY off";
      modem_send(CH_EVENT, t, strlen(t), NULL, 0);
    }
  }
  if (pin == sim.trig_pin) {
    if (level) trig_high = true;
    else if (trig_high) {
      trig_high = false;
      triggered = true;
    }
  }
  return 0;
}

int32_t hal_gpio_read(int32_t pin) {
  if (!pin_ok(pin)) return -1;
  if (pin == sim.button_pin) return sim.button_pressed == sim.button_active_low ? 0 : 1;
  if (pin == sim.echo_pin) return 0;
  if (pins[pin].mode == IOTBIND_GPIO_OUTPUT) return pins[pin].level;
  return pins[pin].mode == IOTBIND_GPIO_INPUT_PULLUP ? 1 : 0;
}

int32_t hal_pulse_in(int32_t pin, int32_t level, uint32_t timeout_us) {
  if (!pin_ok(pin)) return -1;
  rv32_window_pinged = true;
  bool pinged = triggered;
  triggered = false;
  if (pin == sim.echo_pin && level == 1 && pinged && !sim.no_echo) {
    uint32_t echo = sim_echo_us();
    if ((uint64_t)HC_SR04_BURST_US + echo <= timeout_us) {
      busy_us(HC_SR04_BURST_US + echo);
      return (int32_t)echo;
    }
  }
  busy_us(timeout_us < 100000u ? timeout_us : 100000u);
  return 0;
}

int32_t hal_adc_read(int32_t channel) {
  if (channel < 0 || channel >= ADC_CHANNELS) return -1;
  if (channel == sim.ntc_channel) return sim_ntc_counts();
  if (channel == sim.adc_channel) return sim_analog_counts();
  return 1 << 11;
}

/* The UART distance sensors are not simulated on this board (its one UART
 * is the modem): ports open, read nothing. */
int32_t hal_uart_open(int32_t port, int32_t baud) { return port < 0 || port >= UART_PORTS || baud <= 0 ? -1 : 0; }
int32_t hal_uart_read(int32_t port, uint8_t *buf, int32_t cap) {
  (void)buf;
  (void)cap;
  return port < 0 || port >= UART_PORTS ? -1 : 0;
}
int32_t hal_uart_write(int32_t port, const uint8_t *ptr, int32_t len) {
  (void)ptr;
  return port < 0 || port >= UART_PORTS ? -1 : len;
}

#define KV_SLOTS 8 /* in RAM only: lost at reset (the image has no flash file system) */
static struct kv_entry kv_slots[KV_SLOTS];
static struct kv_table kv = {kv_slots, KV_SLOTS, 0};

static bool in_flash(const uint8_t *key, int32_t key_len) {
  return ota_enabled() && key_len == (int32_t)(sizeof OTA_ROLLBACK_KEY - 1) &&
         memcmp(key, OTA_ROLLBACK_KEY, sizeof OTA_ROLLBACK_KEY - 1) == 0;
}

int32_t hal_kv_get(const uint8_t *key, int32_t key_len, uint8_t *buf, int32_t cap) {
  if (in_flash(key, key_len)) return rv32_flash_kv_get(buf, cap);
  return kv_table_get(&kv, key, key_len, buf, cap);
}

int32_t hal_kv_set(const uint8_t *key, int32_t key_len, const uint8_t *val, int32_t val_len) {
  if (in_flash(key, key_len)) return rv32_flash_kv_set(val, val_len);
  return kv_table_set(&kv, key, key_len, val, val_len);
}
