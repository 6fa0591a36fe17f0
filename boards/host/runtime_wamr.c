/*
 * runtime_wamr.c - the rt_* adapter for WAMR (WebAssembly Micro Runtime),
 * WAMR >= 2.2 (wasm_import_t.linked, wasm_memory_inst_t and wasm_memory_get_*
 * appeared there). Built and tested against WAMR 2.4.3's own
 * core/iwasm/include/wasm_export.h and vmlib (classic and fast interpreter).
 *
 * - The `hal` natives are registered with their WAMR signature strings from
 *   IOTBIND_HAL_IMPORTS (iotbind_hal.h): `*~` makes WAMR bounds-check a
 *   pointer+length pair against the module's memory and pass a native
 *   pointer, so the wrappers below call the platform directly.
 * - After loading, every import must be linked: a signature that does not
 *   match leaves an import unlinked, which WAMR would only report as a trap
 *   at the first call; here it refuses the module instead.
 * - The instance gets an RT_WASM_STACK_BYTES wasm stack (host.h) and app
 *   heap 0: the firmware has no allocator, and a non-zero heap would be placed
 *   after its memory for nothing (see ../shared/FACTS.md on AssemblyScript
 *   modules and WAMR heaps). With app heap 0 and the module's exported
 *   `__heap_base`/`__data_end`, WAMR gives the instance only the memory below
 *   `__heap_base` (docs/ABI.md, Memory map).
 * - Loading (docs/RUNTIMES.md, "RAM"): the module is copied into WAMR's heap
 *   and loaded with `wasm_runtime_load_ex`. The fast interpreter compiles
 *   every function into its own code and, loaded with `wasm_binary_freeable`,
 *   copies the few parts it still needs (data segments, names): the copy is
 *   freed right after loading. The classic interpreter runs the bytecode in
 *   place and rewrites some of it while loading, so it keeps the copy (and is
 *   loaded without `wasm_binary_freeable`, which would only clone the data
 *   segments on top). Which one this vmlib is, a probe load of an empty module
 *   says once (`wasm_runtime_is_underlying_binary_freeable`).
 * - A trap (wasm_runtime_call_wasm returning false) is reported with WAMR's
 *   exception text; host.c then drives the relay off and re-instantiates.
 * - An empty module is refused here, with a message, before WAMR sees it.
 * - WAMR's own log is lowered to errors, and on POSIX it goes to stderr
 *   (boards/runtimes/CMakeLists.txt builds vmlib with
 *   BH_VPRINTF=iotbind_wamr_vprintf, defined below): stdout carries only the
 *   host's line protocol (`RELAY on/off`).
 *
 * Tested with WAMR 2.4.3 (cargo-fetched sources, boards/runtimes/) in
 * test/native/host.test.ts and test/fuzz/native-corpus.test.ts.
 */
#include "host.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "wasm_export.h"

#define APP_HEAP_BYTES 0u

static uint32_t wasm_stack_bytes = RT_WASM_STACK_BYTES;

#ifdef IOTBIND_WAMR_POOL_BYTES
/* Bare metal (boards/rv32-qemu): every byte WAMR takes (module copy, loaded
 * module, instance, stacks and, through that platform's os_mmap, the linear
 * memory) comes from this one static pool; wasm_runtime_get_mem_alloc_info
 * reports its high-water mark. */
static uint8_t wamr_pool[IOTBIND_WAMR_POOL_BYTES] __attribute__((aligned(8)));
static bool runtime_init(void) {
  RuntimeInitArgs args;
  memset(&args, 0, sizeof args);
  args.mem_alloc_type = Alloc_With_Pool;
  args.mem_alloc_option.pool.heap_buf = wamr_pool;
  args.mem_alloc_option.pool.heap_size = sizeof wamr_pool;
  return wasm_runtime_full_init(&args);
}
#else
static bool runtime_init(void) { return wasm_runtime_init(); }
#endif
void rt_set_wasm_stack(uint32_t bytes) { wasm_stack_bytes = bytes; }

#if !defined(ESP_PLATFORM) && !defined(IOTBIND_WAMR_POOL_BYTES)
/* WAMR's os_printf/os_vprintf on Linux (BH_VPRINTF): to stderr, never stdout. */
int iotbind_wamr_vprintf(const char *format, va_list ap);
int iotbind_wamr_vprintf(const char *format, va_list ap) { return vfprintf(stderr, format, ap); }
#endif

/* ---------------------------------------------------------------- natives */

static int32_t w_millis(wasm_exec_env_t e) { (void)e; return (int32_t)hal_millis(); }
static int32_t w_gpio_mode(wasm_exec_env_t e, int32_t pin, int32_t mode) { (void)e; return hal_gpio_mode(pin, mode); }
static int32_t w_gpio_write(wasm_exec_env_t e, int32_t pin, int32_t level) { (void)e; return hal_gpio_write(pin, level); }
static int32_t w_gpio_read(wasm_exec_env_t e, int32_t pin) { (void)e; return hal_gpio_read(pin); }
static int32_t w_pulse_in(wasm_exec_env_t e, int32_t pin, int32_t level, int32_t timeout_us) {
  (void)e;
  return hal_pulse_in(pin, level, (uint32_t)timeout_us);
}
static void w_delay_us(wasm_exec_env_t e, int32_t us) { (void)e; hal_delay_us((uint32_t)us); }
static int32_t w_adc_read(wasm_exec_env_t e, int32_t channel) { (void)e; return hal_adc_read(channel); }
static int32_t w_uart_open(wasm_exec_env_t e, int32_t port, int32_t baud) { (void)e; return hal_uart_open(port, baud); }
static int32_t w_uart_read(wasm_exec_env_t e, int32_t port, uint8_t *buf, uint32_t cap) {
  (void)e;
  return hal_uart_read(port, buf, (int32_t)cap);
}
static int32_t w_uart_write(wasm_exec_env_t e, int32_t port, const uint8_t *ptr, uint32_t len) {
  (void)e;
  return hal_uart_write(port, ptr, (int32_t)len);
}
static int32_t w_sock_connect(wasm_exec_env_t e, const uint8_t *host, uint32_t host_len, int32_t port) {
  (void)e;
  return hal_sock_connect(host, (int32_t)host_len, port);
}
static int32_t w_sock_status(wasm_exec_env_t e, int32_t h) { (void)e; return hal_sock_status(h); }
static int32_t w_sock_send(wasm_exec_env_t e, int32_t h, const uint8_t *ptr, uint32_t len) {
  (void)e;
  return hal_sock_send(h, ptr, (int32_t)len);
}
static int32_t w_sock_recv(wasm_exec_env_t e, int32_t h, uint8_t *buf, uint32_t cap) {
  (void)e;
  return hal_sock_recv(h, buf, (int32_t)cap);
}
static void w_sock_close(wasm_exec_env_t e, int32_t h) { (void)e; hal_sock_close(h); }
static int32_t w_kv_get(wasm_exec_env_t e, const uint8_t *key, uint32_t key_len, uint8_t *buf, uint32_t cap) {
  (void)e;
  return hal_kv_get(key, (int32_t)key_len, buf, (int32_t)cap);
}
static int32_t w_kv_set(wasm_exec_env_t e, const uint8_t *key, uint32_t key_len, const uint8_t *val,
                        uint32_t val_len) {
  (void)e;
  return hal_kv_set(key, (int32_t)key_len, val, (int32_t)val_len);
}
static void w_log(wasm_exec_env_t e, int32_t level, const uint8_t *ptr, uint32_t len) {
  (void)e;
  hal_log(level, ptr, (int32_t)len);
}
static void w_panic(wasm_exec_env_t e, const uint8_t *ptr, uint32_t len, int32_t line, int32_t column) {
  (void)e;
  hal_panic(ptr, (int32_t)len, line, column);
}
static int32_t w_random_u32(wasm_exec_env_t e) { (void)e; return (int32_t)hal_random_u32(); }
static int32_t w_hw_id(wasm_exec_env_t e, uint8_t *buf, uint32_t cap) { (void)e; return hal_hw_id(buf, (int32_t)cap); }
/* OTA: ota.c (or ota_none.c: UNSUPPORTED from ota_begin). */
static int32_t w_ota_begin(wasm_exec_env_t e, int32_t size) { (void)e; return hal_ota_begin((uint32_t)size); }
static int32_t w_ota_write(wasm_exec_env_t e, int32_t offset, const uint8_t *ptr, uint32_t len) {
  (void)e;
  return hal_ota_write((uint32_t)offset, ptr, (int32_t)len);
}
static int32_t w_ota_finish(wasm_exec_env_t e) { (void)e; return hal_ota_finish(); }
static void w_ota_abort(wasm_exec_env_t e) { (void)e; hal_ota_abort(); }
static void w_ota_activate(wasm_exec_env_t e) { (void)e; hal_ota_activate(); }

/* WAMR may sort this array in place and keeps it: static, not const. */
#define NATIVE_(name, sig) {#name, (void *)w_##name, sig, NULL},
static NativeSymbol natives[] = {IOTBIND_HAL_IMPORTS(NATIVE_)};
#undef NATIVE_

/* ---------------------------------------------------------------- runtime */

#define EXPORT_NAME_(name, ret, params) #name,
static const char *const export_names[IOTBIND_EXPORT_COUNT] = {IOTBIND_EXPORTS(EXPORT_NAME_)};
#undef EXPORT_NAME_

static bool runtime_ready;
static bool binary_freeable; /* this vmlib's loader lets the module bytes go (fast interpreter) */
static uint8_t *module_copy; /* classic: WAMR rewrites the bytes while loading and runs them */
static const uint8_t *module_from; /* the caller's bytes that module was loaded from */
static wasm_module_t module;
static wasm_module_inst_t inst;
static wasm_exec_env_t exec_env;
static wasm_function_inst_t funcs[IOTBIND_EXPORT_COUNT];
static uint32_t func_argc[IOTBIND_EXPORT_COUNT];
static char trap_msg[128];

static int load(const uint8_t *wasm, uint32_t len, char *err, size_t err_cap) {
  char ebuf[128] = "";
  if (!wasm || len == 0) {
    snprintf(err, err_cap, "no module: the module is empty (0 bytes)");
    return -1;
  }
  module_copy = (uint8_t *)wasm_runtime_malloc(len);
  if (!module_copy) {
    snprintf(err, err_cap, "out of memory for a %lu-byte module", (unsigned long)len);
    return -1;
  }
  memcpy(module_copy, wasm, len);
  LoadArgs args;
  memset(&args, 0, sizeof args);
  args.name = "";
  args.wasm_binary_freeable = binary_freeable;
  module = wasm_runtime_load_ex(module_copy, len, &args, ebuf, sizeof ebuf);
  if (!module) {
    snprintf(err, err_cap, "load: %s", ebuf);
    return -1;
  }
  if (binary_freeable && wasm_runtime_is_underlying_binary_freeable(module)) {
    wasm_runtime_free(module_copy); /* the loaded module no longer points into it */
    module_copy = NULL;
  }
  int32_t n = wasm_runtime_get_import_count(module);
  for (int32_t i = 0; i < n; i++) {
    wasm_import_t imp;
    wasm_runtime_get_import_type(module, i, &imp);
    if (strcmp(imp.module_name, IOTBIND_IMPORT_MODULE) != 0 || imp.kind != WASM_IMPORT_EXPORT_KIND_FUNC ||
        !imp.linked) {
      snprintf(err, err_cap, "import %s.%s is not a hal function of ABI %d", imp.module_name, imp.name,
               IOTBIND_ABI_VERSION);
      return -1;
    }
  }
  return 0;
}

/* Whether this vmlib's loader can let the module bytes go after loading (the
 * fast interpreter can, the classic cannot): asked once, of an empty module. */
bool rt_wamr_binary_freeable(void) {
  static const uint8_t empty[8] = {0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00};
  uint8_t bytes[sizeof empty];
  char ebuf[64];
  LoadArgs args;
  memcpy(bytes, empty, sizeof bytes);
  memset(&args, 0, sizeof args);
  args.name = "";
  args.wasm_binary_freeable = true;
  wasm_module_t m = wasm_runtime_load_ex(bytes, sizeof bytes, &args, ebuf, sizeof ebuf);
  if (!m) return false;
  bool freeable = wasm_runtime_is_underlying_binary_freeable(m);
  wasm_runtime_unload(m);
  return freeable;
}

int rt_open(const uint8_t *wasm, uint32_t len, char *err, size_t err_cap) {
  char ebuf[128] = "";
  rt_close();
  if (!runtime_ready) {
    if (!runtime_init()) {
      snprintf(err, err_cap, "wasm_runtime_init failed");
      return -1;
    }
    wasm_runtime_set_log_level(WASM_LOG_LEVEL_ERROR);
    if (!wasm_runtime_register_natives(IOTBIND_IMPORT_MODULE, natives,
                                       (uint32_t)(sizeof natives / sizeof natives[0]))) {
      snprintf(err, err_cap, "cannot register the hal natives");
      return -1;
    }
    binary_freeable = rt_wamr_binary_freeable();
    runtime_ready = true;
  }
  if (module && module_from != wasm) { /* another module than last time (e.g. a fallback) */
    wasm_runtime_unload(module);
    module = NULL;
  }
  if (!module) {
    if (module_copy) wasm_runtime_free(module_copy);
    module_copy = NULL;
    if (load(wasm, len, err, err_cap) != 0) {
      if (module) wasm_runtime_unload(module);
      module = NULL;
      return -1;
    }
    module_from = wasm;
  }
  inst = wasm_runtime_instantiate(module, wasm_stack_bytes, APP_HEAP_BYTES, ebuf, sizeof ebuf);
  if (!inst) {
    snprintf(err, err_cap, "instantiate: %s", ebuf);
    return -1;
  }
  exec_env = wasm_runtime_create_exec_env(inst, wasm_stack_bytes);
  if (!exec_env) {
    snprintf(err, err_cap, "cannot create the execution environment");
    rt_close();
    return -1;
  }
  for (int id = 0; id < IOTBIND_EXPORT_COUNT; id++) {
    funcs[id] = wasm_runtime_lookup_function(inst, export_names[id]);
    if (!funcs[id]) {
      snprintf(err, err_cap, "export %s is missing", export_names[id]);
      rt_close();
      return -1;
    }
    func_argc[id] = wasm_func_get_param_count(funcs[id], inst);
    if (func_argc[id] > 1 || wasm_func_get_result_count(funcs[id], inst) > 1) {
      snprintf(err, err_cap, "export %s has the wrong signature", export_names[id]);
      rt_close();
      return -1;
    }
  }
  return 0;
}

void rt_close(void) {
  if (exec_env) wasm_runtime_destroy_exec_env(exec_env);
  exec_env = NULL;
  if (inst) wasm_runtime_deinstantiate(inst);
  inst = NULL;
  /* the loaded module is kept for the next instance */
}

bool rt_call(enum iotbind_export_id id, uint32_t arg, uint32_t *result) {
  uint32_t argv[1] = {arg};
  *result = 0;
  if (!inst || id >= IOTBIND_EXPORT_COUNT) {
    snprintf(trap_msg, sizeof trap_msg, "no instance");
    return false;
  }
  if (!wasm_runtime_call_wasm(exec_env, funcs[id], func_argc[id], argv)) {
    const char *ex = wasm_runtime_get_exception(inst);
    snprintf(trap_msg, sizeof trap_msg, "%s", ex ? ex : "unknown exception");
    wasm_runtime_clear_exception(inst);
    return false;
  }
  if (wasm_func_get_result_count(funcs[id], inst) == 1) *result = argv[0];
  return true;
}

const char *rt_trap_message(void) { return trap_msg; }

void rt_raise(const char *msg) {
  if (inst) wasm_runtime_set_exception(inst, msg);
}

uint8_t *rt_memory(uint32_t *size) {
  *size = 0;
  if (!inst) return NULL;
  wasm_memory_inst_t mem = wasm_runtime_get_default_memory(inst);
  if (!mem) return NULL;
  *size = (uint32_t)(wasm_memory_get_cur_page_count(mem) * wasm_memory_get_bytes_per_page(mem));
  return (uint8_t *)wasm_memory_get_base_address(mem);
}
