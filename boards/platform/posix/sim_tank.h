/*
 * sim_tank.h - the small simulated tank behind the posix platform's GPIO, ADC
 * and UART: an HC-SR04 (or a UART or analog sensor) above water whose level
 * the simulator knows, an NTC in the air, a push button and the pump relay.
 * Pins, channels and tank geometry are read from the firmware config (the same
 * member names as assembly/config.ts), so the firmware sees a consistent tank.
 */
#ifndef IOTBIND_SIM_TANK_H
#define IOTBIND_SIM_TANK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct sim_tank {
  /* from the firmware config */
  long trig_pin, echo_pin, relay_pin, button_pin, uart_port, adc_channel, ntc_channel;
  bool relay_active_high, button_active_low;
  long empty_distance_mm, full_distance_mm, distance_offset_mm;
  long adc_bits, adc_ref_mv, analog_mm_per_v;
  long ntc_r0_ohm, ntc_t0_c, ntc_beta, ntc_series_ohm, ntc_bits;
  /* the world, changed by --level/--temperature or the sim file */
  double level_pct;      /* 0 = surface at empty_distance_mm, 100 = at full_distance_mm */
  double temperature_c;  /* air temperature: speed of sound and NTC */
  bool button_pressed;
  bool no_echo;          /* sensor sees nothing (pulse_in times out) */
  const char *file;      /* optional "key=value" lines, re-read when it changes */
};

extern struct sim_tank sim;

/* Defaults, then pins and geometry from the config JSON. */
void sim_configure(const char *config, size_t len);
/* Re-reads sim.file when its modification time changed. */
void sim_poll_file(void);
/* Distance from the sensor to the surface as the sensor measures it (mm). */
double sim_measured_distance_mm(void);
/* Round-trip echo time for that distance at the air temperature (µs). */
uint32_t sim_echo_us(void);
/* Raw ADC counts of the NTC divider / of an analog distance sensor. */
int32_t sim_ntc_counts(void);
int32_t sim_analog_counts(void);

#endif
