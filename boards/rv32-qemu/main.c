/*
 * main.c - the bare-metal RV32 image (QEMU `virt`, rv32imc/ilp32): boots
 * (picolibc's crt0: data, bss, TLS, stack), asks the bridge for the firmware
 * config over the UART modem, then runs the shared host loop (host_run,
 * boards/host/host.c) with WAMR (boards/host/runtime_wamr.c) on the release
 * firmware.wasm embedded at build time (firmware_wasm.S, .incbin), or the
 * module of the active OTA slot in flash when a key is provisioned there
 * (ota_rv32.c; docs/OTA.md, "RV32 image").
 *
 * Sleeping: sockets_wait/platform_sleep_ms arm the CLINT's mtimecmp at the
 * deadline and WFI; the UART's receive interrupt (PLIC source 10) wakes it
 * early. Global interrupts stay disabled (mstatus.MIE = 0): a pending
 * interrupt that is enabled in mie ends WFI without a handler running.
 *
 * Figures (CH_EVENT "STATS ..." every 10 s; meaningful under -icount, where
 * minstret counts instructions): the instructions of each "window" between
 * two sleeps (= one tick and the host loop around it), minus the time
 * busy-waited in delay_us/pulse_in; idle windows vs. reading cycles; WAMR pool
 * high-water; C stack high-water by painting.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "host.h"
#include "ota.h"
#include "rv32.h"
#include "sim_tank.h"
#include "wasm_export.h"

extern const uint8_t firmware_wasm[];
extern const uint8_t firmware_wasm_end[];
extern char __data_start[], __ram[];

#define CLINT_MTIMECMP ((volatile uint32_t *)0x02004000u)
#define CLINT_MTIME ((volatile uint32_t *)0x0200BFF8u)
#define PLIC_BASE 0x0C000000u
#define PLIC_PRIORITY(irq) ((volatile uint32_t *)(PLIC_BASE + 4u * (irq)))
#define PLIC_ENABLE0 ((volatile uint32_t *)(PLIC_BASE + 0x2000u))
#define PLIC_THRESHOLD0 ((volatile uint32_t *)(PLIC_BASE + 0x200000u))
#define PLIC_CLAIM0 ((volatile uint32_t *)(PLIC_BASE + 0x200004u))
#define UART0_IRQ 10u
#define TEST_FINISHER ((volatile uint32_t *)0x00100000u)
#define MIE_MTIE (1u << 7)
#define MIE_MEIE (1u << 11)
#define PAINT 0xC0DEC0DEu
/* CSR access (Zicsr; picolibc's multilib is selected by plain rv32imc). */
#define CSRR(csr, out) __asm__ volatile(".option push\n.option arch, +zicsr\ncsrr %0, " #csr "\n.option pop" : "=r"(out))
#define CSRW(csr, val) __asm__ volatile(".option push\n.option arch, +zicsr\ncsrw " #csr ", %0\n.option pop" ::"r"(val))

uint64_t rv32_wait_insns;
bool rv32_window_pinged, rv32_window_sent;

uint64_t rv32_mtime(void) {
  uint32_t hi, lo;
  do {
    hi = CLINT_MTIME[1];
    lo = CLINT_MTIME[0];
  } while (hi != CLINT_MTIME[1]);
  return ((uint64_t)hi << 32) | lo;
}

uint64_t rv32_instret(void) {
  uint32_t hi, lo, hi2;
  do {
    CSRR(minstreth, hi);
    CSRR(minstret, lo);
    CSRR(minstreth, hi2);
  } while (hi != hi2);
  return ((uint64_t)hi << 32) | lo;
}

bool modem_rx_blocked(void);

void rv32_wfi_until(uint64_t deadline) {
  CLINT_MTIMECMP[1] = 0xFFFFFFFFu; /* no spurious match while writing */
  CLINT_MTIMECMP[0] = (uint32_t)deadline;
  CLINT_MTIMECMP[1] = (uint32_t)(deadline >> 32);
  /* A frame the firmware has no room for yet: do not wake on more bytes. */
  uint32_t mie = MIE_MTIE | (modem_rx_blocked() ? 0u : MIE_MEIE);
  CSRW(mie, mie);
  if (rv32_mtime() < deadline) __asm__ volatile("wfi");
  uint32_t irq = *PLIC_CLAIM0; /* the UART's interrupt is served by modem_poll */
  if (irq) *PLIC_CLAIM0 = irq;
  CLINT_MTIMECMP[1] = 0xFFFFFFFFu;
}

void _exit(int code);
void _exit(int code) {
  *TEST_FINISHER = code == 0 ? 0x5555u : (((uint32_t)code << 16) | 0x3333u);
  for (;;) __asm__ volatile("wfi");
}

/* A fault of the C code (not a wasm trap: WAMR checks those in software). */
__attribute__((interrupt("machine"), aligned(4))) static void on_fault(void) {
  uint32_t cause, epc, tval;
  CSRR(mcause, cause);
  CSRR(mepc, epc);
  CSRR(mtval, tval);
  char t[80];
  int n = snprintf(t, sizeof t, "FAULT mcause=%lu mepc=0x%08lx mtval=0x%08lx", (unsigned long)cause,
                   (unsigned long)epc, (unsigned long)tval);
  modem_send(CH_EVENT, t, (size_t)n, NULL, 0);
  _exit(3);
}

void platform_log_line(int level, const char *source, const char *text, size_t len) {
  rv32_log_text(level, source, text, len);
}

void platform_sleep_ms(uint32_t ms) {
  uint64_t deadline = rv32_mtime() + (uint64_t)ms * (RV32_MTIME_HZ / 1000u);
  while (rv32_mtime() < deadline) {
    modem_poll();
    rv32_wfi_until(deadline);
  }
}

/* ------------------------------------------------------------- config */

static char config[2048];
static size_t config_len;
static bool config_seen;

/* [last] [offset u16 LE] bytes: the config in pieces, in order (UART-MODEM.md). */
void board_config_frame(const uint8_t *p, size_t n) {
  if (config_seen || n < 3) return;
  size_t at = (size_t)p[1] | ((size_t)p[2] << 8), len = n - 3;
  if (at > sizeof config || len > sizeof config - at) return; /* too long: keeps asking, logs below */
  memcpy(config + at, p + 3, len);
  if (p[0] == 1) {
    config_len = at + len;
    config_seen = true;
  }
}

/* ------------------------------------------------------------------ OTA */

/* OTA is on when the flash's provisioning block holds a key (ota_rv32.c,
 * docs/OTA.md "RV32 image"); one log line says which. */
static void ota_setup(void) {
  size_t len = 0;
  const char *prov = rv32_flash_provisioning(&len);
  const char *v;
  size_t vl;
  if (len == 0 || !json_member(prov, len, "ota_public_key", &v, &vl)) {
    host_log(IOTBIND_LOG_INFO, "ota: no key provisioned in flash: no OTA");
    return;
  }
  char pem[512], err[160];
  long confirm_s = 0;
  if (!json_member_str(prov, len, "ota_public_key", pem, sizeof pem)) {
    host_log(IOTBIND_LOG_ERROR, "ota: the provisioned ota_public_key is unreadable: no OTA");
    return;
  }
  if (json_member(prov, len, "ota_confirm_s", &v, &vl) &&
      (!json_member_int(prov, len, "ota_confirm_s", &confirm_s) || confirm_s < 1 || confirm_s > 86400)) {
    host_log(IOTBIND_LOG_ERROR, "ota: the provisioned ota_confirm_s must be 1 ... 86400: no OTA");
    return;
  }
  int rc = ota_configure(pem, strlen(pem), (uint32_t)confirm_s, err, sizeof err);
  rv32_mbedtls_use_pool();
  if (rc != 0) {
    host_log(IOTBIND_LOG_ERROR, "ota: %s: no OTA", err);
    return;
  }
  host_log(IOTBIND_LOG_INFO, "ota: on (flash slots, confirm within %lu s)", (unsigned long)(ota_confirm_ms() / 1000u));
}

/* --------------------------------------------------------------- figures */

static uint64_t window_start, reading_acc, reading_last, reading_min = UINT64_MAX;
static uint32_t last_ping_ms, readings, windows;
static uint64_t boot_work; /* the first window: load + instantiate + config + init + first tick */
static bool reading_open;
static uint32_t idle_ring[64];
static uint32_t idle_n;

static uint32_t stack_high_water(void) {
  const uint32_t *w = (const uint32_t *)(void *)__heap_end;
  while ((const char *)w < __stack && *w == PAINT) w++;
  return (uint32_t)(__stack - (const char *)w);
}

static int cmp_u32(const void *a, const void *b) {
  uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
  return x < y ? -1 : x > y;
}

static void emit_stats(void) {
  uint32_t idle[64];
  uint32_t n = idle_n < 64 ? idle_n : 64;
  memcpy(idle, idle_ring, sizeof idle);
  qsort(idle, n, sizeof idle[0], cmp_u32);
  mem_alloc_info_t pool;
  memset(&pool, 0, sizeof pool);
  wasm_runtime_get_mem_alloc_info(&pool);
  char t[360];
  int len = snprintf(t, sizeof t,
                     "STATS windows=%lu boot=%lu idle_tick=%lu idle_min=%lu reading_cycle=%lu reading_min=%lu readings=%lu "
                     "pool_total=%lu pool_high=%lu pool_free=%lu stack_high=%lu stack_size=%lu static=%lu ram=%lu ota_heap_high=%lu",
                     (unsigned long)windows, (unsigned long)boot_work, (unsigned long)(n ? idle[n / 2] : 0), (unsigned long)(n ? idle[0] : 0),
                     (unsigned long)reading_last, (unsigned long)(readings ? reading_min : 0),
                     (unsigned long)readings, (unsigned long)pool.total_size, (unsigned long)pool.highmark_size,
                     (unsigned long)pool.total_free_size, (unsigned long)stack_high_water(),
                     (unsigned long)(__stack - __heap_end), (unsigned long)(__heap_start - __ram),
                     (unsigned long)(__stack - __ram), (unsigned long)(ota_enabled() ? rv32_mbedtls_heap_high() : 0u));
  modem_send(CH_EVENT, t, (size_t)len, NULL, 0);
}

/* Called by sockets_wait: the work since the last sleep ends here. */
void rv32_window_end(bool woke_by_data);
void rv32_window_end(bool woke_by_data) {
  static uint32_t stats_at;
  uint64_t now_i = rv32_instret();
  uint64_t work = now_i - window_start - rv32_wait_insns;
  uint32_t now = hal_millis();
  if (windows++ == 0) boot_work = work;
  if (rv32_window_pinged && (uint32_t)(now - last_ping_ms) > 300u) { /* a new reading starts */
    if (reading_open) {
      reading_last = reading_acc;
      if (reading_acc < reading_min) reading_min = reading_acc;
      readings++;
    }
    reading_open = true;
    reading_acc = 0;
  }
  if (rv32_window_pinged) last_ping_ms = now;
  if (rv32_window_pinged || rv32_window_sent || woke_by_data) {
    if (reading_open) reading_acc += work;
  } else if (windows > 4) { /* past boot and the first connect */
    idle_ring[idle_n++ % 64] = (uint32_t)work;
  }
  rv32_window_pinged = rv32_window_sent = false;
  if ((uint32_t)(now - stats_at) >= 10000u) {
    stats_at = now;
    emit_stats();
  }
}
void rv32_window_begin(void);
void rv32_window_begin(void) {
  rv32_wait_insns = 0;
  window_start = rv32_instret();
}

/* ------------------------------------------------------------------ main */

int main(void) {
  /* Paint the C stack below what crt0 and main use now. */
  uint32_t *sp_now = (uint32_t *)__builtin_frame_address(0);
  for (uint32_t *w = (uint32_t *)(void *)__heap_end; w < sp_now - 64; w++) *w = PAINT;

  CSRW(mtvec, (uintptr_t)on_fault);
  CSRW(mstatus, 0u); /* MIE = 0: interrupts only wake WFI */
  *PLIC_PRIORITY(UART0_IRQ) = 1;
  *PLIC_ENABLE0 = 1u << UART0_IRQ;
  *PLIC_THRESHOLD0 = 0;
  modem_init();

  char boot[120];
  int n = snprintf(boot, sizeof boot, "BOOT %s wasm=%lu ram=%lu", IOTBIND_RV32_RUNTIME,
                   (unsigned long)(firmware_wasm_end - firmware_wasm), (unsigned long)(__stack - __ram));
  modem_send(CH_EVENT, boot, (size_t)n, NULL, 0);

  while (!config_seen) {
    modem_send(CH_CONFIG, NULL, 0, NULL, 0);
    platform_sleep_ms(1000);
  }
  sim.level_pct = 67.0;
  sim.temperature_c = 0.0 / 0.0; /* NaN: the config's temperature_c, else 20 C */
  sim_configure(config, config_len);
  ota_setup();
  rv32_window_begin();

  static volatile int stop;
  struct host_params p;
  memset(&p, 0, sizeof p);
  p.wasm = firmware_wasm;
  p.wasm_len = (uint32_t)(firmware_wasm_end - firmware_wasm);
  p.config = config;
  p.config_len = config_len;
  p.stop = &stop;
  p.max_restarts = -1;
  enum host_exit code = host_run(&p);
  n = snprintf(boot, sizeof boot, "EXIT %d", (int)code);
  modem_send(CH_EVENT, boot, (size_t)n, NULL, 0);
  emit_stats();
  _exit((int)code);
}
