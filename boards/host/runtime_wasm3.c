/*
 * runtime_wasm3.c - the rt_* adapter for wasm3 0.5.0 (the interpreter), built
 * with the settings of wasm3's esp32-idf example (boards/runtimes/).
 *
 * - The `hal` natives are raw wasm3 functions linked by name with a wasm3
 *   signature derived from the WAMR string of IOTBIND_HAL_IMPORTS (every
 *   `i`, `*`, `~` is an i32): one list of imports for every adapter. wasm3
 *   refuses a link whose signature differs from the module's import type.
 * - Every pointer+length pair (`*~` in that string) is checked against the
 *   module's memory before the platform sees it; a pair that leaves it traps
 *   with wasm3's out-of-bounds trap, as WAMR's `*~` check does.
 * - After linking, every imported function must be linked: otherwise the
 *   module is refused, naming the import (wasm3 would only trap when the
 *   firmware first calls it).
 * - wasm3 compiles a function when it is first called; here every function is
 *   compiled in rt_open (m3_CompileModule), so a function wasm3 cannot compile (e.g. nesting
 *   beyond its stack-height limit) refuses the module at load instead of
 *   trapping in the field at first use.
 * - A trap (a non-NULL M3Result) is reported with wasm3's text; host.c then
 *   drives the relay off and calls rt_open again, which builds a fresh wasm3
 *   runtime (new stack, new linear memory) from the same bytes.
 * - wasm3 keeps pointers into the module bytes: the caller's bytes must stay
 *   valid while the module runs (they do: main keeps them for its lifetime;
 *   on an MCU they stay in flash).
 * - Linear memory: wasm3 allocates the module's whole initial memory (64 KiB)
 *   unless the runtime's `memoryLimit` caps it (the setting wasm3's Arduino
 *   examples use on MCUs). The module exports `__heap_base`, the end of all
 *   the memory it uses (docs/ABI.md, Memory map; it has no memory.grow), so
 *   the memory is capped there, as WAMR shrinks it: accesses above trap
 *   with wasm3's out-of-bounds trap. A module without that export gets its
 *   whole initial memory.
 *
 * The wasm stack is RT_WASM_STACK_BYTES (host.h), as the WAMR adapter's.
 */
#include "host.h"

#include <stdio.h>
#include <string.h>

#include "wasm3.h"
#include "m3_env.h" /* M3Module's function list: to name an import left unlinked */

static uint32_t wasm_stack_bytes = RT_WASM_STACK_BYTES;
void rt_set_wasm_stack(uint32_t bytes) { wasm_stack_bytes = bytes; }

/* ---------------------------------------------------------------- natives */

/* A pointer+length pair of the module: NULL unless [off, off+len) lies in memory. */
static uint8_t *span(IM3Runtime rt, void *mem, uint32_t off, uint32_t len) {
  if ((uint64_t)off + (uint64_t)len > (uint64_t)m3_GetMemorySize(rt)) return NULL;
  return (uint8_t *)mem + off;
}

#define ARG_I32(name) m3ApiGetArg(int32_t, name)
#define ARG_SPAN(p, n)                                                   \
  m3ApiGetArg(uint32_t, p##_off);                                        \
  m3ApiGetArg(uint32_t, n);                                              \
  uint8_t *p = span(runtime, _mem, p##_off, n);                                  \
  if (!p) m3ApiTrap(m3Err_trapOutOfBoundsMemoryAccess)

/* m3ApiRawFunction fixes every native's parameters (runtime, _ctx, _sp,
 * _mem); most wrappers need only some of them. */
#if defined(__GNUC__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wunused-parameter"
#endif
static m3ApiRawFunction(w_millis) {
  m3ApiReturnType(int32_t);
  m3ApiReturn((int32_t)hal_millis());
}
static m3ApiRawFunction(w_gpio_mode) {
  m3ApiReturnType(int32_t);
  ARG_I32(pin);
  ARG_I32(mode);
  m3ApiReturn(hal_gpio_mode(pin, mode));
}
static m3ApiRawFunction(w_gpio_write) {
  m3ApiReturnType(int32_t);
  ARG_I32(pin);
  ARG_I32(level);
  m3ApiReturn(hal_gpio_write(pin, level));
}
static m3ApiRawFunction(w_gpio_read) {
  m3ApiReturnType(int32_t);
  ARG_I32(pin);
  m3ApiReturn(hal_gpio_read(pin));
}
static m3ApiRawFunction(w_pulse_in) {
  m3ApiReturnType(int32_t);
  ARG_I32(pin);
  ARG_I32(level);
  ARG_I32(timeout_us);
  m3ApiReturn(hal_pulse_in(pin, level, (uint32_t)timeout_us));
}
static m3ApiRawFunction(w_delay_us) {
  ARG_I32(us);
  hal_delay_us((uint32_t)us);
  m3ApiSuccess();
}
static m3ApiRawFunction(w_adc_read) {
  m3ApiReturnType(int32_t);
  ARG_I32(channel);
  m3ApiReturn(hal_adc_read(channel));
}
static m3ApiRawFunction(w_uart_open) {
  m3ApiReturnType(int32_t);
  ARG_I32(port);
  ARG_I32(baud);
  m3ApiReturn(hal_uart_open(port, baud));
}
static m3ApiRawFunction(w_uart_read) {
  m3ApiReturnType(int32_t);
  ARG_I32(port);
  ARG_SPAN(buf, cap);
  m3ApiReturn(hal_uart_read(port, buf, (int32_t)cap));
}
static m3ApiRawFunction(w_uart_write) {
  m3ApiReturnType(int32_t);
  ARG_I32(port);
  ARG_SPAN(ptr, len);
  m3ApiReturn(hal_uart_write(port, ptr, (int32_t)len));
}
static m3ApiRawFunction(w_sock_connect) {
  m3ApiReturnType(int32_t);
  ARG_SPAN(host, host_len);
  ARG_I32(port);
  m3ApiReturn(hal_sock_connect(host, (int32_t)host_len, port));
}
static m3ApiRawFunction(w_sock_status) {
  m3ApiReturnType(int32_t);
  ARG_I32(h);
  m3ApiReturn(hal_sock_status(h));
}
static m3ApiRawFunction(w_sock_send) {
  m3ApiReturnType(int32_t);
  ARG_I32(h);
  ARG_SPAN(ptr, len);
  m3ApiReturn(hal_sock_send(h, ptr, (int32_t)len));
}
static m3ApiRawFunction(w_sock_recv) {
  m3ApiReturnType(int32_t);
  ARG_I32(h);
  ARG_SPAN(buf, cap);
  m3ApiReturn(hal_sock_recv(h, buf, (int32_t)cap));
}
static m3ApiRawFunction(w_sock_close) {
  ARG_I32(h);
  hal_sock_close(h);
  m3ApiSuccess();
}
static m3ApiRawFunction(w_kv_get) {
  m3ApiReturnType(int32_t);
  ARG_SPAN(key, key_len);
  ARG_SPAN(buf, cap);
  m3ApiReturn(hal_kv_get(key, (int32_t)key_len, buf, (int32_t)cap));
}
static m3ApiRawFunction(w_kv_set) {
  m3ApiReturnType(int32_t);
  ARG_SPAN(key, key_len);
  ARG_SPAN(val, val_len);
  m3ApiReturn(hal_kv_set(key, (int32_t)key_len, val, (int32_t)val_len));
}
static m3ApiRawFunction(w_log) {
  ARG_I32(level);
  ARG_SPAN(ptr, len);
  hal_log(level, ptr, (int32_t)len);
  m3ApiSuccess();
}
static m3ApiRawFunction(w_panic) {
  ARG_SPAN(ptr, len);
  ARG_I32(line);
  ARG_I32(column);
  hal_panic(ptr, (int32_t)len, line, column);
  m3ApiSuccess();
}
static m3ApiRawFunction(w_random_u32) {
  m3ApiReturnType(int32_t);
  m3ApiReturn((int32_t)hal_random_u32());
}
static m3ApiRawFunction(w_hw_id) {
  m3ApiReturnType(int32_t);
  ARG_SPAN(buf, cap);
  m3ApiReturn(hal_hw_id(buf, (int32_t)cap));
}
/* OTA: ota.c (or ota_none.c: UNSUPPORTED from ota_begin). */
static m3ApiRawFunction(w_ota_begin) {
  m3ApiReturnType(int32_t);
  ARG_I32(size);
  m3ApiReturn(hal_ota_begin((uint32_t)size));
}
static m3ApiRawFunction(w_ota_write) {
  m3ApiReturnType(int32_t);
  ARG_I32(offset);
  ARG_SPAN(ptr, len);
  m3ApiReturn(hal_ota_write((uint32_t)offset, ptr, (int32_t)len));
}
static m3ApiRawFunction(w_ota_finish) {
  m3ApiReturnType(int32_t);
  m3ApiReturn(hal_ota_finish());
}
static m3ApiRawFunction(w_ota_abort) {
  hal_ota_abort();
  m3ApiSuccess();
}
static m3ApiRawFunction(w_ota_activate) {
  hal_ota_activate();
  m3ApiSuccess();
}

#if defined(__GNUC__)
#pragma GCC diagnostic pop
#endif

struct native {
  const char *name;
  const char *wamr_sig; /* "(i*~)i": the one list of signatures (iotbind_hal.h) */
  M3RawCall fn;
};
#define NATIVE_(name, sig) {#name, sig, w_##name},
static const struct native natives[] = {IOTBIND_HAL_IMPORTS(NATIVE_)};
#undef NATIVE_
#define NATIVE_COUNT (sizeof natives / sizeof natives[0])

/* "(i*~)i" -> "i(iii)", "(i)" -> "v(i)": every i, * and ~ is an i32. false if it does not fit. */
static bool wasm3_sig(const char *wamr, char *out, size_t cap) {
  const char *close = strchr(wamr, ')');
  if (wamr[0] != '(' || !close || cap < 4) return false;
  size_t n = 0;
  out[n++] = close[1] ? close[1] : 'v';
  out[n++] = '(';
  for (const char *p = wamr + 1; p < close; p++) {
    if (n + 2 >= cap) return false;
    out[n++] = 'i';
  }
  out[n++] = ')';
  out[n] = '\0';
  return true;
}

/* ---------------------------------------------------------------- runtime */

#define EXPORT_NAME_(name, ret, params) #name,
static const char *const export_names[IOTBIND_EXPORT_COUNT] = {IOTBIND_EXPORTS(EXPORT_NAME_)};
#undef EXPORT_NAME_

static IM3Environment env;
static IM3Runtime runtime;
static IM3Function funcs[IOTBIND_EXPORT_COUNT];
static char trap_msg[128];

static const char *text(M3Result r) { return r ? r : "unknown error"; }

/* The value of the module's exported immutable i32 global `name` from its
 * constant initializer (`i32.const N end`), or 0 when there is none. wasm3
 * sets globals only when it loads the module; this is needed before. */
static uint32_t exported_i32_const(IM3Module module, const char *name) {
  IM3Global g = m3_FindGlobal(module, name);
  if (!g || g->imported || g->isMutable || g->type != c_m3Type_i32 || !g->initExpr || g->initExprSize < 3 ||
      g->initExpr[0] != 0x41)
    return 0;
  int64_t v = 0;
  unsigned shift = 0;
  for (uint32_t i = 1; i < g->initExprSize && shift < 35; i++, shift += 7) {
    uint8_t b = g->initExpr[i];
    v |= (int64_t)(b & 0x7f) << shift;
    if (!(b & 0x80)) {
      if (shift + 7 < 64 && (b & 0x40)) v |= -((int64_t)1 << (shift + 7)); /* sign */
      return v > 0 && v <= (int64_t)UINT32_MAX && i + 1 < g->initExprSize && g->initExpr[i + 1] == 0x0b
                 ? (uint32_t)v
                 : 0;
    }
  }
  return 0;
}

int rt_open(const uint8_t *wasm, uint32_t len, char *err, size_t err_cap) {
  M3Result r;
  IM3Module module = NULL;
  rt_close();
  if (!wasm || len == 0) {
    snprintf(err, err_cap, "no module: the module is empty (0 bytes)");
    return -1;
  }
  if (!env && !(env = m3_NewEnvironment())) {
    snprintf(err, err_cap, "cannot create the wasm3 environment");
    return -1;
  }
  runtime = m3_NewRuntime(env, wasm_stack_bytes, NULL);
  if (!runtime) {
    snprintf(err, err_cap, "out of memory for a wasm3 runtime");
    return -1;
  }
  if ((r = m3_ParseModule(env, &module, wasm, len)) != m3Err_none) {
    snprintf(err, err_cap, "load: %s", text(r));
    rt_close();
    return -1;
  }
  runtime->memoryLimit = exported_i32_const(module, "__heap_base"); /* 0: no cap */
  if ((r = m3_LoadModule(runtime, module)) != m3Err_none) {
    snprintf(err, err_cap, "load: %s", text(r));
    m3_FreeModule(module);
    rt_close();
    return -1;
  }
  /* the module now belongs to the runtime */
  for (size_t i = 0; i < NATIVE_COUNT; i++) {
    char sig[32];
    if (!wasm3_sig(natives[i].wamr_sig, sig, sizeof sig)) {
      snprintf(err, err_cap, "bad signature string for hal.%s", natives[i].name);
      rt_close();
      return -1;
    }
    r = m3_LinkRawFunction(module, IOTBIND_IMPORT_MODULE, natives[i].name, sig, natives[i].fn);
    if (r != m3Err_none && r != m3Err_functionLookupFailed) { /* not imported at all: fine */
      snprintf(err, err_cap, "import %s.%s is not a hal function of ABI %d (%s)", IOTBIND_IMPORT_MODULE,
               natives[i].name, IOTBIND_ABI_VERSION, text(r));
      rt_close();
      return -1;
    }
  }
  for (uint32_t i = 0; i < module->numFunctions; i++) {
    IM3Function f = &module->functions[i];
    if (f->import.moduleUtf8 && !f->compiled) { /* an import nothing above linked */
      snprintf(err, err_cap, "import %s.%s is not a hal function of ABI %d", f->import.moduleUtf8,
               f->import.fieldUtf8 ? f->import.fieldUtf8 : "?", IOTBIND_ABI_VERSION);
      rt_close();
      return -1;
    }
  }
  if ((r = m3_CompileModule(module)) != m3Err_none) {
    M3ErrorInfo info;
    m3_GetErrorInfo(runtime, &info);
    snprintf(err, err_cap, "load: %s%s%s", text(r), info.function ? " in " : "",
             info.function && m3_GetFunctionName(info.function) ? m3_GetFunctionName(info.function) : "");
    rt_close();
    return -1;
  }
  for (int id = 0; id < IOTBIND_EXPORT_COUNT; id++) {
    if (m3_FindFunction(&funcs[id], runtime, export_names[id]) != m3Err_none || !funcs[id]) {
      snprintf(err, err_cap, "export %s is missing", export_names[id]);
      rt_close();
      return -1;
    }
    uint32_t rets = m3_GetRetCount(funcs[id]);
    if (m3_GetArgCount(funcs[id]) > 1 || rets > 1 || (rets == 1 && m3_GetRetType(funcs[id], 0) != c_m3Type_i32)) {
      snprintf(err, err_cap, "export %s has the wrong signature", export_names[id]);
      rt_close();
      return -1;
    }
  }
  return 0;
}

void rt_close(void) {
  if (runtime) m3_FreeRuntime(runtime); /* frees the module loaded into it */
  runtime = NULL;
  memset(funcs, 0, sizeof funcs);
}

bool rt_call(enum iotbind_export_id id, uint32_t arg, uint32_t *result) {
  *result = 0;
  if (!runtime || id >= IOTBIND_EXPORT_COUNT || !funcs[id]) {
    snprintf(trap_msg, sizeof trap_msg, "no instance");
    return false;
  }
  IM3Function f = funcs[id];
  const void *args[1] = {&arg};
  M3Result r = m3_Call(f, m3_GetArgCount(f), args);
  if (r == m3Err_none && m3_GetRetCount(f) == 1) {
    const void *rets[1] = {result};
    r = m3_GetResults(f, 1, rets);
  }
  if (r != m3Err_none) {
    snprintf(trap_msg, sizeof trap_msg, "%s", r);
    return false;
  }
  return true;
}

const char *rt_trap_message(void) { return trap_msg; }

uint8_t *rt_memory(uint32_t *size) {
  *size = 0;
  if (!runtime) return NULL;
  return m3_GetMemory(runtime, size, 0);
}
