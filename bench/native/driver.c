/*
 * bench/native/driver.c - counts the instructions the firmware spends on its
 * typical operations under the native wasm2c host, with callgrind.
 *
 * It links the wasm2c translation of build/firmware.wasm with the posix
 * host's runtime adapter (boards/host/runtime_wasm2c.c: the bounds-checked
 * Z_halZ_* imports and rt_*), and implements the hal_* functions itself as a
 * scripted, in-memory board: a virtual microsecond clock, an HC-SR04 whose
 * echo is computed from a scripted distance, a relay pin, and a socket whose
 * peer is a tiny MQTT server in this file (CONNACK, SUBACK, PUBACK, PINGRESP).
 *
 * Each measured section is wrapped in CALLGRIND_TOGGLE_COLLECT and followed by
 * CALLGRIND_DUMP_STATS_AT("<section>") (which also zeroes the counters); run
 * it with `valgrind --tool=callgrind --collect-atstart=no`. Without valgrind
 * the client requests do nothing, so the same binary is a functional check:
 * it prints one JSON object with what each section did (ticks, repetitions,
 * whether it worked) on stdout, and exits non-zero when a section failed.
 *
 * The same driver is linked with every runtime adapter (bench/native.ts):
 * wasm2c (the module compiled in), runtime_wamr.c (-DBENCH_WAMR, classic or
 * fast vmlib) and runtime_wasm3.c (-DBENCH_WASM3); the latter two load the
 * module given with --wasm.
 *
 *   driver [--verbose] [--section config_parse|reading_cycle|idle_tick|downlink]
 *          [--wasm FILE] [--wasm-stack BYTES] [--native-stack BYTES] [--mem]
 *
 * --wasm-stack: the runtime's wasm stack (WAMR, wasm3); a run that overflows
 *   it traps and exits non-zero (the bench's smallest-stack search).
 * --native-stack: run everything in a thread with this C stack; an overflow
 *   is a crash.
 * --paint: run everything in a thread on a 1 MiB stack painted with 0xA5
 *   and print `{"stack":...}`: the deepest byte written (peak), the same for
 *   a thread that does nothing (baseline: glibc's thread descriptor and TLS
 *   at the top of the stack) and their difference, the stack the host and
 *   the runtime used.
 * --mem: print a memory report line (`{"mem":...}`) after the first instance
 *   has taken its config: the malloc heap live and at its peak (counted by
 *   the wrappers below: bench/native.ts links with --wrap=malloc,calloc,
 *   realloc,free; glibc's own mallinfo2 also counts freed blocks its
 *   per-thread cache holds, and is reported only for reference), and with
 *   WAMR the pool allocator's figures (wasm_runtime_get_mem_alloc_info): in
 *   use with the instance open, its high-water mark, and per step (module
 *   copy, loaded module, instance, exec env) plus the linear memory.
 */
#include <malloc.h>
#include <pthread.h>
#include <stdint.h>
#include <sys/mman.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <valgrind/callgrind.h>

#include "host.h"

#ifdef BENCH_WAMR
#include "wasm_export.h"
#endif

/* ------------------------------------------------------------ the board */

static uint64_t now_us;
static int verbose;
static int relay_level = 0;
static int trig_level = 0;
static int trig_armed = 0;
static uint32_t triggers;
static uint32_t distance_mm = 700;
static uint32_t rng = 0x12345678u;

#define TRIG_PIN 5
#define ECHO_PIN 18
#define RELAY_PIN 26

uint32_t hal_millis(void) { return (uint32_t)(now_us / 1000u); }
int32_t hal_gpio_mode(int32_t pin, int32_t mode) {
  (void)pin;
  (void)mode;
  return 0;
}
int32_t hal_gpio_write(int32_t pin, int32_t level) {
  if (pin == RELAY_PIN) relay_level = level;
  if (pin == TRIG_PIN) {
    if (trig_level == 1 && level == 0) {
      trig_armed = 1;
      triggers++;
    }
    trig_level = level;
  }
  return 0;
}
int32_t hal_gpio_read(int32_t pin) {
  if (pin == RELAY_PIN) return relay_level;
  return 0;
}
int32_t hal_pulse_in(int32_t pin, int32_t level, uint32_t timeout_us) {
  if (pin != ECHO_PIN || level != 1 || !trig_armed) {
    now_us += timeout_us;
    return 0;
  }
  trig_armed = 0;
  /* 20 degC: c = 331.3 + 0.606 * 20 = 343.42 m/s; round trip in us. */
  uint32_t width = (uint32_t)((2000.0 * distance_mm) / 343.42 + 0.5);
  if (450u + width > timeout_us) {
    now_us += timeout_us;
    return 0;
  }
  now_us += 450u + width;
  return (int32_t)width;
}
void hal_delay_us(uint32_t us) { now_us += us; }
int32_t hal_adc_read(int32_t channel) {
  (void)channel;
  return -1;
}
int32_t hal_uart_open(int32_t port, int32_t baud) {
  (void)port;
  (void)baud;
  return -1;
}
int32_t hal_uart_read(int32_t port, uint8_t *buf, int32_t cap) {
  (void)port;
  (void)buf;
  (void)cap;
  return -1;
}
int32_t hal_uart_write(int32_t port, const uint8_t *ptr, int32_t len) {
  (void)port;
  (void)ptr;
  (void)len;
  return -1;
}
int32_t hal_kv_get(const uint8_t *key, int32_t key_len, uint8_t *buf, int32_t cap) {
  (void)key;
  (void)key_len;
  (void)buf;
  (void)cap;
  return -1;
}
int32_t hal_kv_set(const uint8_t *key, int32_t key_len, const uint8_t *val, int32_t val_len) {
  (void)key;
  (void)key_len;
  (void)val;
  (void)val_len;
  return 0;
}
void hal_log(int32_t level, const uint8_t *ptr, int32_t len) {
  if (verbose) fprintf(stderr, "[%llu ms] fw %d: %.*s\n", (unsigned long long)(now_us / 1000u), level, (int)len, (const char *)ptr);
}
void hal_panic(const uint8_t *ptr, int32_t len, int32_t line, int32_t column) {
  fprintf(stderr, "panic: %.*s (%d:%d)\n", (int)len, (const char *)ptr, line, column);
}
uint32_t hal_random_u32(void) {
  rng ^= rng << 13;
  rng ^= rng >> 17;
  rng ^= rng << 5;
  return rng;
}
int32_t hal_hw_id(uint8_t *buf, int32_t cap) {
  static const uint8_t id[6] = {0x24, 0x6f, 0x28, 0x01, 0x02, 0x03};
  int32_t n = cap < 6 ? cap : 6;
  memcpy(buf, id, (size_t)n);
  return n;
}
/* OTA (ABI v2): this scripted board has none; boards/host/ota_none.c is linked
 * (ota_begin answers UNSUPPORTED, docs/OTA.md). */

/* ------------------------------------- the socket and its MQTT server */

static uint8_t inq[8192];   /* bytes for the firmware to receive */
static size_t inq_len;
static uint8_t outq[8192];  /* bytes the firmware sent, not yet parsed */
static size_t out_len;
static int sock_open_;
static uint32_t publishes_seen, pubacks_sent;

static void push(const uint8_t *b, size_t n) {
  if (inq_len + n > sizeof inq) {
    fprintf(stderr, "driver: inbound queue full\n");
    exit(10);
  }
  memcpy(inq + inq_len, b, n);
  inq_len += n;
}

/* Answers every complete packet the firmware sent, like a broker would. */
static void serve(void) {
  size_t i = 0;
  while (i < out_len) {
    size_t j = i + 1;
    uint32_t len = 0, mul = 1;
    for (;;) {
      if (j >= out_len) goto incomplete;
      uint8_t c = outq[j++];
      len += (uint32_t)(c & 127u) * mul;
      mul *= 128u;
      if (!(c & 128u)) break;
    }
    if (j + len > out_len) goto incomplete;
    uint8_t type = outq[i] >> 4;
    const uint8_t *body = outq + j;
    if (type == 1) {
      static const uint8_t connack[] = {0x20, 0x02, 0x00, 0x00};
      push(connack, sizeof connack);
    } else if (type == 8) {
      uint8_t suback[] = {0x90, 0x03, body[0], body[1], 0x01};
      push(suback, sizeof suback);
    } else if (type == 3) {
      publishes_seen++;
      if (((outq[i] >> 1) & 3u) == 1u) {
        uint32_t tl = ((uint32_t)body[0] << 8) | body[1];
        uint8_t puback[] = {0x40, 0x02, body[2 + tl], body[3 + tl]};
        push(puback, sizeof puback);
        pubacks_sent++;
      }
    } else if (type == 12) {
      static const uint8_t pingresp[] = {0xd0, 0x00};
      push(pingresp, sizeof pingresp);
    }
    i = j + len;
  }
incomplete:
  memmove(outq, outq + i, out_len - i);
  out_len -= i;
}

int32_t hal_sock_connect(const uint8_t *host, int32_t host_len, int32_t port) {
  (void)host;
  (void)host_len;
  (void)port;
  sock_open_ = 1;
  inq_len = out_len = 0;
  return 3;
}
int32_t hal_sock_status(int32_t h) { return h == 3 && sock_open_ ? 1 : -1; }
int32_t hal_sock_send(int32_t h, const uint8_t *ptr, int32_t len) {
  if (h != 3 || !sock_open_) return -1;
  if (out_len + (size_t)len > sizeof outq) return 0;
  memcpy(outq + out_len, ptr, (size_t)len);
  out_len += (size_t)len;
  serve();
  return len;
}
int32_t hal_sock_recv(int32_t h, uint8_t *buf, int32_t cap) {
  if (h != 3 || !sock_open_) return -1;
  size_t n = inq_len < (size_t)cap ? inq_len : (size_t)cap;
  if (n == 0) return 0;
  memcpy(buf, inq, n);
  memmove(inq, inq + n, inq_len - n);
  inq_len -= n;
  return (int32_t)n;
}
void hal_sock_close(int32_t h) {
  (void)h;
  sock_open_ = 0;
}

/* host.h's logging, used by the runtime adapter's callers only. */
void host_log(int level, const char *fmt, ...) {
  (void)level;
  (void)fmt;
}

/* ------------------------------------------------------- measurement */

/* With --section NAME only that section is collected and nothing is dumped
 * early (one profile at exit: callgrind's per-function attribution is then
 * reliable); without it every section is collected and dumped as it ends. */
static const char *only_section;
static void collect(const char *section) {
  if (!only_section || strcmp(only_section, section) == 0) CALLGRIND_TOGGLE_COLLECT;
}
static void dump(const char *section) {
  if (!only_section) CALLGRIND_DUMP_STATS_AT(section);
}

/* ----------------------------------------------------------- scenarios */

static const char CONFIG[] =
    "{\"uid\":\"bench-0001\",\"key\":\"bench-secret-key-0001\","
    "\"broker_host\":\"127.0.0.1\",\"broker_port\":1883,\"broker_user\":\"tank\",\"broker_password\":\"s3cret-pass\","
    "\"uplink_topic\":\"iotbind/tank/bench-0001\",\"downlink_topic\":\"devices/bench-0001/state\","
    "\"sensor\":\"hc-sr04\",\"trig_pin\":5,\"echo_pin\":18,\"relay_pin\":26,\"relay_active_high\":true,"
    "\"temperature\":\"fixed\",\"temperature_c\":20,\"empty_distance_mm\":1100,\"full_distance_mm\":100,"
    "\"tank_shape\":\"vertical_cylinder\",\"tank_diameter_mm\":1000,"
    "\"reading_interval_ms\":10000,\"pings_per_reading\":5,\"spike_limit_mm\":0,"
    "\"deadband_pct\":1,\"min_interval_s\":0,\"heartbeat_s\":3600,\"ping_interval_s\":3600,"
    "\"min_on_s\":0,\"min_off_s\":0,\"pump_mode\":\"fill\",\"mqtt_keepalive_s\":60,\"mqtt_qos\":1}";

static uint32_t call(enum iotbind_export_id id, uint32_t arg) {
  uint32_t r = 0;
  if (!rt_call(id, arg, &r)) {
    fprintf(stderr, "driver: trap in export %d: %s\n", (int)id, rt_trap_message());
    exit(11);
  }
  return r;
}
static uint32_t counter(uint32_t id) { return call(IOTBIND_EXPORT_counter, id); }
static uint32_t tick(void) { return call(IOTBIND_EXPORT_tick, hal_millis()); }
/* The host's sleep after a tick that asked for `w` ms: at least 1 ms, and 1 ms when the socket has
 * data for the device (a host wakes early on socket data, docs/ABI.md "Life cycle"). */
static uint32_t next_wait(uint32_t w) { return inq_len > 0 || w == 0 ? 1 : w; }

static uint8_t *wasm_bytes;
static uint32_t wasm_len;

/* The host's side of config, JSON -> binary (boards/host/config_encode.c): done
 * once at start, outside every measured window and the painted stack. */
static uint8_t config_bin[2048];
static long config_bin_len;
static void encode_config(void) {
  char err[200];
  config_bin_len = config_encode(CONFIG, sizeof CONFIG - 1, config_bin, sizeof config_bin, err, sizeof err);
  if (config_bin_len < 0) {
    fprintf(stderr, "driver: cannot encode the config: %s\n", err);
    exit(12);
  }
}

static int fresh_instance(void) {
  char err[128];
  if (rt_open(wasm_bytes, wasm_len, err, sizeof err) != 0) {
    fprintf(stderr, "driver: %s\n", err);
    exit(12);
  }
  uint32_t size = 0;
  uint8_t *mem = rt_memory(&size);
  uint32_t p = call(IOTBIND_EXPORT_config_ptr, 0), cap = call(IOTBIND_EXPORT_config_cap, 0);
  if (config_bin_len > (long)cap || p > size || cap > size - p) {
    fprintf(stderr, "driver: the binary config (%ld bytes) does not fit the config buffer\n", config_bin_len);
    exit(12);
  }
  memcpy(mem + p, config_bin, (size_t)config_bin_len);
  return (int)config_bin_len;
}

/* Members of CONFIG: every key is followed by `":` and no string value contains that. */
static int config_members(void) {
  int n = 0;
  for (const char *p = CONFIG; (p = strstr(p, "\":")) != NULL; p += 2) n++;
  return n;
}

/* Bytes of the binary config the host hands to init. */
static int config_bytes(void) { return (int)config_bin_len; }

static uint32_t sent_len(const char *s) { return (uint32_t)strlen(s); }

/* A QoS 1 PUBLISH from the broker on the downlink topic. */
static void push_downlink(const char *cmd, uint16_t id) {
  static const char topic[] = "devices/bench-0001/state";
  char payload[300];
  int pl = snprintf(payload, sizeof payload,
                    "{\"uid\":\"bench-0001\",\"name\":\"Bench tank\",\"type\":\"Water Level\",\"cmd\":\"%s\","
                    "\"level\":\"40\",\"level_unit\":\"%%\",\"temperature\":\"20\",\"temperature_unit\":\"C\"}",
                    cmd);
  uint32_t tl = sent_len(topic);
  uint32_t rem = 2 + tl + 2 + (uint32_t)pl;
  uint8_t pkt[400];
  size_t k = 0;
  pkt[k++] = 0x32;
  do {
    uint8_t b = rem & 127u;
    rem >>= 7;
    if (rem) b |= 128u;
    pkt[k++] = b;
  } while (rem);
  pkt[k++] = (uint8_t)(tl >> 8);
  pkt[k++] = (uint8_t)tl;
  memcpy(pkt + k, topic, tl);
  k += tl;
  pkt[k++] = (uint8_t)(id >> 8);
  pkt[k++] = (uint8_t)id;
  memcpy(pkt + k, payload, (size_t)pl);
  k += (size_t)pl;
  push(pkt, k);
}

/* ------------------------------------------------------------- memory */

static int mem_report;

static size_t heap_in_use(void) {
  struct mallinfo2 m = mallinfo2();
  return m.uordblks + m.hblkhd;
}

/* Every block the runtimes take from the C heap, as the allocator reserved it
 * (malloc_usable_size): live and peak. Linked with --wrap=malloc,calloc,
 * realloc,free (bench/native.ts); the driver runs one thread at a time. */
void *__real_malloc(size_t n);
void *__real_calloc(size_t n, size_t size);
void *__real_realloc(void *p, size_t n);
void __real_free(void *p);
void *__wrap_malloc(size_t n);
void *__wrap_calloc(size_t n, size_t size);
void *__wrap_realloc(void *p, size_t n);
void __wrap_free(void *p);
static size_t heap_live, heap_peak;
static void *heap_took(void *p) {
  if (p) {
    heap_live += malloc_usable_size(p);
    if (heap_live > heap_peak) heap_peak = heap_live;
  }
  return p;
}
void *__wrap_malloc(size_t n) { return heap_took(__real_malloc(n)); }
void *__wrap_calloc(size_t n, size_t size) { return heap_took(__real_calloc(n, size)); }
void *__wrap_realloc(void *p, size_t n) {
  size_t old = p ? malloc_usable_size(p) : 0;
  void *q = __real_realloc(p, n);
  if (q || n == 0) heap_live -= old; /* moved, resized or freed; on failure p stays */
  return heap_took(q);
}
void __wrap_free(void *p) {
  if (p) heap_live -= malloc_usable_size(p);
  __real_free(p);
}

#ifdef BENCH_WAMR
static uint8_t pool[4u << 20];
static uint32_t pool_used(void) {
  mem_alloc_info_t info;
  if (!wasm_runtime_get_mem_alloc_info(&info)) return 0;
  return info.total_size - info.total_free_size;
}
static uint32_t pool_high(void) {
  mem_alloc_info_t info;
  if (!wasm_runtime_get_mem_alloc_info(&info)) return 0;
  return info.highmark_size;
}
/* The pool's share of each step of what rt_open does (boards/host/
 * runtime_wamr.c, load()), with its own module and the same choices: loaded
 * with wasm_binary_freeable where the loader can let the bytes go (the fast
 * interpreter), whose copy is then freed (module_copy 0). */
static void wamr_breakdown(uint32_t stack, char *out, size_t cap) {
  char e[128];
  LoadArgs args;
  memset(&args, 0, sizeof args);
  args.name = "";
  args.wasm_binary_freeable = rt_wamr_binary_freeable();
  uint32_t u0 = pool_used();
  uint8_t *copy = (uint8_t *)wasm_runtime_malloc(wasm_len);
  memcpy(copy, wasm_bytes, wasm_len);
  uint32_t u1 = pool_used();
  wasm_module_t m = wasm_runtime_load_ex(copy, wasm_len, &args, e, sizeof e);
  if (m && args.wasm_binary_freeable && wasm_runtime_is_underlying_binary_freeable(m)) {
    wasm_runtime_free(copy);
    copy = NULL;
  }
  uint32_t u2 = pool_used();
  wasm_module_inst_t in = m ? wasm_runtime_instantiate(m, stack, 0, e, sizeof e) : NULL;
  uint32_t u3 = pool_used();
  wasm_exec_env_t ee = in ? wasm_runtime_create_exec_env(in, stack) : NULL;
  uint32_t u4 = pool_used();
  uint64_t linear = 0;
  if (in) {
    wasm_memory_inst_t mem = wasm_runtime_get_default_memory(in);
    if (mem) linear = wasm_memory_get_cur_page_count(mem) * (uint64_t)wasm_memory_get_bytes_per_page(mem);
  }
  uint32_t kept = copy ? u1 - u0 : 0;
  snprintf(out, cap,
           "\"binary_freeable\":%s,\"module_copy\":%u,\"module_loaded\":%u,\"instance\":%u,\"exec_env\":%u,"
           "\"pool_total\":%u,\"linear_memory\":%llu",
           copy ? "false" : "true", kept, u2 - u0 - kept, u3 - u2, u4 - u3, u4 - u0, (unsigned long long)linear);
  if (ee) wasm_runtime_destroy_exec_env(ee);
  if (in) wasm_runtime_deinstantiate(in);
  if (m) wasm_runtime_unload(m);
  if (copy) wasm_runtime_free(copy);
}
#endif

static uint32_t wasm_stack = RT_WASM_STACK_BYTES; /* --wasm-stack overrides the adapters' default */

static int run(void);

static void *run_thread(void *rc) {
  *(int *)rc = run();
  return NULL;
}
static void *noop_thread(void *rc) {
  *(int *)rc = 0;
  return NULL;
}

/* Runs fn on a painted 1 MiB stack; returns how many bytes of it were written. */
static size_t painted(void *(*fn)(void *), int *rc) {
  const size_t size = 1u << 20;
  uint8_t *stk = (uint8_t *)mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (stk == MAP_FAILED) exit(13);
  memset(stk, 0xA5, size);
  pthread_attr_t attr;
  pthread_t t;
  pthread_attr_init(&attr);
  if (pthread_attr_setstack(&attr, stk, size) != 0 || pthread_create(&t, &attr, fn, rc) != 0) exit(13);
  pthread_join(t, NULL);
  size_t i = 0;
  while (i < size && stk[i] == 0xA5) i++;
  munmap(stk, size);
  return size - i;
}

int main(int argc, char **argv) {
  encode_config();
  size_t native_stack = 0;
  int paint = 0;
  const char *wasm_path = NULL;
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--verbose") == 0) verbose = 1;
    if (strcmp(argv[i], "--mem") == 0) mem_report = 1;
    if (strcmp(argv[i], "--paint") == 0) paint = 1;
    if (strcmp(argv[i], "--section") == 0 && i + 1 < argc) only_section = argv[++i];
    if (strcmp(argv[i], "--wasm") == 0 && i + 1 < argc) wasm_path = argv[++i];
    if (strcmp(argv[i], "--wasm-stack") == 0 && i + 1 < argc) wasm_stack = (uint32_t)strtoul(argv[++i], NULL, 0);
    if (strcmp(argv[i], "--native-stack") == 0 && i + 1 < argc) native_stack = (size_t)strtoul(argv[++i], NULL, 0);
  }
  if (wasm_path) {
    FILE *f = fopen(wasm_path, "rb");
    if (!f) {
      perror(wasm_path);
      return 1;
    }
    static uint8_t buf[256 * 1024];
    wasm_len = (uint32_t)fread(buf, 1, sizeof buf, f);
    fclose(f);
    wasm_bytes = buf;
  }
#if defined(BENCH_WAMR) || defined(BENCH_WASM3)
  rt_set_wasm_stack(wasm_stack);
#else
  wasm_stack = 0; /* wasm2c: the C stack */
#endif
#ifdef BENCH_WAMR
  /* a pool allocator, as an MCU would give WAMR: its use is exact */
  RuntimeInitArgs init;
  memset(&init, 0, sizeof init);
  init.mem_alloc_type = Alloc_With_Pool;
  init.mem_alloc_option.pool.heap_buf = pool;
  init.mem_alloc_option.pool.heap_size = sizeof pool;
  if (!wasm_runtime_full_init(&init)) {
    fprintf(stderr, "driver: wasm_runtime_full_init failed\n");
    return 12;
  }
#endif
  if (paint) {
    int rc = 1, rc0 = 0;
    size_t base = painted(noop_thread, &rc0);
    size_t peak = painted(run_thread, &rc);
    printf("{\"stack\":{\"peak\":%lu,\"baseline\":%lu,\"used\":%lu}}\n", (unsigned long)peak, (unsigned long)base,
           (unsigned long)(peak - base));
    return rc;
  }
  if (!native_stack) return run();
  pthread_attr_t attr;
  pthread_t t;
  int rc = 1;
  pthread_attr_init(&attr);
  if (pthread_attr_setstacksize(&attr, native_stack) != 0 || pthread_create(&t, &attr, run_thread, &rc) != 0) {
    fprintf(stderr, "driver: cannot start a thread with a %lu-byte stack\n", (unsigned long)native_stack);
    return 13;
  }
  pthread_join(t, NULL);
  return rc;
}

static int run(void) {
  int ok = 1;
  size_t heap0 = heap_in_use(), live0 = heap_live;
  heap_peak = heap_live;
#ifdef BENCH_WAMR
  uint32_t pool0 = pool_used();
#endif
  now_us = 5000000u;

  /* 1. config parse: init(len) of a fresh instance (parse, validate, pin setup). */
  const int CONFIG_REPS = 5;
  int32_t init_rc = 0;
  for (int r = 0; r < CONFIG_REPS; r++) {
    int len = fresh_instance();
    collect("config_parse");
    init_rc = (int32_t)call(IOTBIND_EXPORT_init, (uint32_t)len);
    collect("config_parse");
    if (init_rc != 0) {
      uint32_t size;
      uint8_t *mem = rt_memory(&size);
      fprintf(stderr, "driver: init refused the config (%d): %.*s\n", init_rc, (int)call(IOTBIND_EXPORT_error_len, 0),
              (const char *)mem + call(IOTBIND_EXPORT_error_ptr, 0));
      return 2;
    }
  }
  dump("config_parse");
  if (mem_report) {
    /* the instance of the last repetition is open and has taken its config */
    char extra[500] = "";
    size_t live = heap_live - live0, peak = heap_peak - live0, mallinfo = heap_in_use() - heap0;
#ifdef BENCH_WAMR
    /* pool0: what wasm_runtime_full_init itself took (counted in neither figure) */
    uint32_t pool_open = pool_used() - pool0, pool_peak = pool_high() - pool0;
    char br[360];
    rt_close();
    wamr_breakdown(wasm_stack, br, sizeof br);
    snprintf(extra, sizeof extra, ",\"pool_in_use\":%u,\"pool_peak\":%u,\"pool_at_init\":%u,%s", pool_open, pool_peak,
             pool0, br);
    call(IOTBIND_EXPORT_init, (uint32_t)fresh_instance());
#endif
    uint32_t lin = 0;
    rt_memory(&lin);
    printf("{\"mem\":{\"heap_live\":%lu,\"heap_peak\":%lu,\"heap_in_use\":%lu,\"linear_memory_size\":%u,"
           "\"wasm_bytes\":%u,\"wasm_stack\":%u%s}}\n",
           (unsigned long)live, (unsigned long)peak, (unsigned long)mallinfo, lin, wasm_len, wasm_stack, extra);
  }

  /* Connect and settle: follow the waits until connected, a first reading published and nothing in flight. */
  int settle_ticks = 0;
  for (; settle_ticks < 20000; settle_ticks++) {
    uint32_t w = tick();
    if (call(IOTBIND_EXPORT_conn_state, 0) == IOTBIND_CONN_CONNECTED && counter(40) >= 2 && inq_len == 0 && w > 0) break;
    now_us += (uint64_t)next_wait(w) * 1000u;
  }
  int connected = call(IOTBIND_EXPORT_conn_state, 0) == IOTBIND_CONN_CONNECTED;
  ok &= connected;

  /* 2. reading cycles: from the tick where a reading is due (its first ping) to the tick that handled the
   *    PUBACK of its publish, following the waits the firmware returns (pings are ping_gap_ms apart). */
  const int CYCLE_REPS = 5;
  int cycle_ticks = 0, cycles_done = 0, cycle_triggers = 0;
  for (int r = 0; r < CYCLE_REPS; r++) {
    /* The next reading sees the level move 5 % (> deadband): it is published. */
    distance_mm = (r % 2 == 0) ? 650 : 700;
    /* Idle (uncounted) until a tick asks for less than 1 s: the next tick is the due one. Longer waits
     * are slept but for their last 500 ms (the firmware returns the real deadline). */
    for (int k = 0; k < 200; k++) {
      uint32_t w = tick();
      if (w < 1000) {
        now_us += (uint64_t)w * 1000u;
        break;
      }
      now_us += (uint64_t)(w - 500) * 1000u;
    }
    uint32_t pub0 = counter(40), acked0 = pubacks_sent, trig0 = triggers;
    int guard = 0;
    collect("reading_cycle");
    for (;;) {
      uint32_t w = tick();
      cycle_ticks++;
      if (counter(40) > pub0 && pubacks_sent > acked0 && inq_len == 0) break;
      if (++guard > 200) break;
      now_us += (uint64_t)next_wait(w) * 1000u;
    }
    collect("reading_cycle");
    cycle_triggers += (int)(triggers - trig0);
    if (counter(40) > pub0) cycles_done++;
  }
  dump("reading_cycle");
  ok &= cycles_done == CYCLE_REPS && cycle_triggers == 5 * CYCLE_REPS;

  /* 3. idle ticks: connected, nothing due (1 ms apart, right after a reading: the next is ~10 s away). */
  const int IDLE_REPS = 100;
  for (int k = 0; k < 3; k++) {
    now_us += 1000u;
    tick();
  }
  uint32_t sent_before = publishes_seen, trig_before = triggers;
  collect("idle_tick");
  for (int r = 0; r < IDLE_REPS; r++) {
    now_us += 1000u;
    tick();
  }
  collect("idle_tick");
  dump("idle_tick");
  int idle_quiet = publishes_seen == sent_before && triggers == trig_before;
  ok &= idle_quiet;

  /* 4. downlinks: a QoS 1 state message "on"/"off" arrives; the one tick that receives it (reassembly, parse, act, PUBACK). */
  const int DL_REPS = 10;
  int dl_applied = 0;
  uint32_t acc0 = counter(32);
  for (int r = 0; r < DL_REPS; r++) {
    int want_on = (r % 2 == 0);
    push_downlink(want_on ? "on" : "off", (uint16_t)(100 + r));
    now_us += 1000u;
    collect("downlink");
    tick();
    collect("downlink");
    if ((int)call(IOTBIND_EXPORT_relay_state, 0) == want_on && relay_level == want_on) dl_applied++;
    for (int k = 0; k < 3; k++) {
      now_us += 1000u;
      tick();
    }
  }
  dump("downlink");
  uint32_t accepted = counter(32) - acc0;
  ok &= dl_applied == DL_REPS && accepted == (uint32_t)DL_REPS;

  printf("{\"ok\":%s,\"sections\":{"
         "\"config_parse\":{\"reps\":%d,\"init_rc\":%d},"
         "\"reading_cycle\":{\"reps\":%d,\"done\":%d,\"ticks\":%d,\"pings\":%d},"
         "\"idle_tick\":{\"reps\":%d,\"quiet\":%s},"
         "\"downlink\":{\"reps\":%d,\"applied\":%d,\"accepted\":%u}},"
         "\"connected\":%s,\"settle_ticks\":%d,\"publishes\":%u,\"pings_per_reading\":5,"
         "\"config_bytes\":%d,\"config_members\":%d}\n",
         ok ? "true" : "false", CONFIG_REPS, init_rc, CYCLE_REPS, cycles_done, cycle_ticks, cycle_triggers, IDLE_REPS,
         idle_quiet ? "true" : "false", DL_REPS, dl_applied, accepted, connected ? "true" : "false", settle_ticks,
         publishes_seen, config_bytes(), config_members());
  rt_close();
  return ok ? 0 : 1;
}
