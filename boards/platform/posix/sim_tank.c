/*
 * sim_tank.c - see sim_tank.h.
 *
 * Sim file format (optional, --sim-file): one `key=value` per line, re-read
 * whenever the file's modification time or size changes:
 *   level=67          tank level in % between empty_distance_mm and full_distance_mm
 *   temperature=20    air temperature in degrees C
 *   button=1          button held down (0 = released)
 *   echo=0            the sensor gets no echo (1 = normal)
 */
#include "sim_tank.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "host.h"

struct sim_tank sim;

static long num(const char *c, size_t n, const char *name, long dflt) {
  long v;
  return json_member_int(c, n, name, &v) ? v : dflt;
}

void sim_configure(const char *c, size_t n) {
  sim.trig_pin = num(c, n, "trig_pin", -1);
  sim.echo_pin = num(c, n, "echo_pin", -1);
  sim.relay_pin = num(c, n, "relay_pin", -1);
  sim.button_pin = num(c, n, "button_pin", -1);
  sim.uart_port = num(c, n, "uart_port", -1);
  sim.adc_channel = num(c, n, "adc_channel", -1);
  sim.ntc_channel = num(c, n, "ntc_channel", -1);
  sim.relay_active_high = true;
  json_member_bool(c, n, "relay_active_high", &sim.relay_active_high);
  sim.button_active_low = true;
  json_member_bool(c, n, "button_active_low", &sim.button_active_low);
  sim.empty_distance_mm = num(c, n, "empty_distance_mm", 1200);
  sim.full_distance_mm = num(c, n, "full_distance_mm", 200);
  sim.distance_offset_mm = num(c, n, "distance_offset_mm", 0);
  sim.adc_bits = num(c, n, "adc_bits", 12);
  sim.adc_ref_mv = num(c, n, "adc_ref_mv", 3300);
  sim.analog_mm_per_v = num(c, n, "analog_mm_per_v", 1000);
  sim.ntc_r0_ohm = num(c, n, "ntc_r0_ohm", 10000);
  sim.ntc_t0_c = num(c, n, "ntc_t0_c", 25);
  sim.ntc_beta = num(c, n, "ntc_beta", 3950);
  sim.ntc_series_ohm = num(c, n, "ntc_series_ohm", 10000);
  sim.ntc_bits = num(c, n, "ntc_bits", 12);
  /* air temperature: --temperature, else the config's fixed temperature, else 20 C */
  if (isnan(sim.temperature_c)) {
    sim.temperature_c = 20.0;
    json_member_num(c, n, "temperature_c", &sim.temperature_c);
  }
}

void sim_poll_file(void) {
  static struct timespec seen;
  static off_t seen_size = -1;
  struct stat st;
  if (!sim.file || stat(sim.file, &st) != 0) return;
#ifdef __APPLE__
  struct timespec m = st.st_mtimespec;
#else
  struct timespec m = st.st_mtim; /* nanoseconds: two writes in one second both count */
#endif
  if (m.tv_sec == seen.tv_sec && m.tv_nsec == seen.tv_nsec && st.st_size == seen_size) return;
  seen = m;
  seen_size = st.st_size;
  FILE *f = fopen(sim.file, "r");
  if (!f) return;
  char line[128];
  while (fgets(line, sizeof line, f)) {
    char *eq = strchr(line, '=');
    if (!eq) continue;
    *eq = 0;
    double v = strtod(eq + 1, NULL);
    if (strcmp(line, "level") == 0) sim.level_pct = v;
    else if (strcmp(line, "temperature") == 0) sim.temperature_c = v;
    else if (strcmp(line, "button") == 0) sim.button_pressed = v != 0;
    else if (strcmp(line, "echo") == 0) sim.no_echo = v == 0;
  }
  fclose(f);
  host_log(IOTBIND_LOG_INFO, "sim: level %.1f %%, %.1f C, button %s, echo %s", sim.level_pct,
           sim.temperature_c, sim.button_pressed ? "down" : "up", sim.no_echo ? "none" : "ok");
}

double sim_measured_distance_mm(void) {
  double span = (double)(sim.empty_distance_mm - sim.full_distance_mm);
  double surface = (double)sim.empty_distance_mm - sim.level_pct / 100.0 * span;
  /* the firmware adds distance_offset_mm to what it measures */
  return surface - (double)sim.distance_offset_mm;
}

uint32_t sim_echo_us(void) {
  double c_mm_per_us = (331.3 + 0.606 * sim.temperature_c) / 1000.0;
  double d = sim_measured_distance_mm();
  return d <= 0 ? 1 : (uint32_t)lround(2.0 * d / c_mm_per_us);
}

int32_t sim_ntc_counts(void) {
  double t = sim.temperature_c + 273.15, t0 = (double)sim.ntc_t0_c + 273.15;
  double r = (double)sim.ntc_r0_ohm * exp((double)sim.ntc_beta * (1.0 / t - 1.0 / t0));
  double full = (double)((1L << sim.ntc_bits) - 1);
  return (int32_t)lround(full * r / (r + (double)sim.ntc_series_ohm));
}

int32_t sim_analog_counts(void) {
  double mv = sim_measured_distance_mm() * 1000.0 / (double)sim.analog_mm_per_v;
  double full = (double)((1L << sim.adc_bits) - 1);
  double counts = mv / (double)sim.adc_ref_mv * full;
  if (counts < 0) counts = 0;
  if (counts > full) counts = full;
  return (int32_t)lround(counts);
}
