/*
 * rv32.h - the bare-metal RV32 image (QEMU `virt`): machine registers, clock,
 * UART modem and the board's glue. Everything here is single-threaded; no
 * interrupt handler runs (interrupts only wake WFI; the UART is polled).
 */
#ifndef IOTBIND_RV32_H
#define IOTBIND_RV32_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define RV32_MTIME_HZ 10000000u /* QEMU virt: CLINT timebase 10 MHz */

/* End of .bss = start of the unused gap (picolibc.ld's "heap", which nothing
 * allocates from) and bottom of the C stack: picolibc.ld symbols. */
extern char __heap_start[], __heap_end[], __stack[];
#define __stack_bottom (__heap_end[0])

uint64_t rv32_mtime(void);
uint64_t rv32_instret(void);
/* Sleeps in WFI until `deadline` (mtime) or until the UART has a byte. */
void rv32_wfi_until(uint64_t deadline);

/* ---- UART modem (modem.c, docs/UART-MODEM.md) */
enum modem_channel {
  CH_LOG = 0x01,      /* device -> bridge: [level] "source: text" */
  CH_EVENT = 0x02,    /* device -> bridge: one text line (RELAY on/off, BOOT, STATS) */
  CH_CONFIG = 0x03,   /* device -> bridge: empty = request; bridge -> device: [last][offset u16] JSON piece */
  CH_SIM = 0x04,      /* bridge -> device: "level=PCT", "trap" */
  CH_SOCK_CTL = 0x10, /* | handle: connect/close, opened/failed */
  CH_SOCK_DATA = 0x20 /* | handle: [generation] bytes */
};
#define MODEM_MAX_PAYLOAD 512u

void modem_init(void);
/* One frame: payload = a then b (either may be empty). */
void modem_send(uint8_t ch, const void *a, size_t alen, const void *b, size_t blen);
/* Reads what the UART has and handles complete frames. */
void modem_poll(void);
/* Counts socket events (data, opened, failed) handled so far. */
uint32_t modem_sock_events(void);
void rv32_log_text(int level, const char *source, const char *text, size_t len);

/* ---- handlers of the bridge's frames */
void board_config_frame(const uint8_t *p, size_t n); /* main.c */
void board_sim_frame(const uint8_t *p, size_t n);    /* hal_rv32.c */
void sockets_ctl_frame(int h, const uint8_t *p, size_t n); /* sockets_uart.c */
/* false: no room now, hand it again later */
bool sockets_data_frame(int h, const uint8_t *p, size_t n);

/* ---- OTA storage on QEMU virt's pflash1 (ota_rv32.c, docs/OTA.md "RV32 image") */
/* kv `ota.rollback`, kept in flash: < 0 absent / -2 no room (kv_get's codes), else its length */
int32_t rv32_flash_kv_get(uint8_t *buf, int32_t cap);
int32_t rv32_flash_kv_set(const uint8_t *val, int32_t len);
/* The provisioning JSON at the flash's start (*len = 0: blank flash, no OTA). */
const char *rv32_flash_provisioning(size_t *len);
/* High-water mark of mbed TLS's static arena (ota_rv32.c) in bytes. */
uint32_t rv32_mbedtls_heap_high(void);
/* From now on mbed TLS allocates from WAMR's pool (called once the key is parsed). */
void rv32_mbedtls_use_pool(void);

/* ---- measurement (main.c): instructions spent busy-waiting, excluded from work figures */
extern uint64_t rv32_wait_insns;
extern bool rv32_window_pinged, rv32_window_sent;

#endif
