/* esp32_platform.h - set-up of the ESP-IDF platform, called by boards/esp32/main/main.c. */
#ifndef IOTBIND_ESP32_PLATFORM_H
#define IOTBIND_ESP32_PLATFORM_H

#include <stddef.h>

/* Takes what the drivers need from the firmware config (ADC bits and
 * reference per channel) and the board's UART pins (-1 = the port's default
 * pins). Call before host_run. */
void esp32_platform_configure(const char *fw_config, size_t len, int uart_tx_pin, int uart_rx_pin);

/* Starts the Wi-Fi station; it reconnects by itself. The firmware's MQTT
 * client simply backs off until the network is up. */
void esp32_wifi_start(const char *ssid, const char *password);

#endif
