/*
 * fake_wamr.c - TEST CODE, NOT WAMR. An emulation of the part of WAMR's
 * wasm_export.h API that boards/host/runtime_wamr.c uses, so that the WAMR
 * adapter can be run here, where WAMR cannot be installed. The module is
 * executed by its wasm2c translation (build/native/firmware.c); everything
 * the adapter relies on is emulated from WAMR's documented behaviour:
 *
 *  - wasm_runtime_load parses the module's type, import, function and export
 *    sections and links every `hal` import to a registered NativeSymbol only
 *    when the signature string fits the import's type ("i", "*", "~" are one
 *    i32 each; result "i" or none); an import that does not fit stays
 *    unlinked and traps when called, as in WAMR;
 *  - natives get the exec env first; a `*~` pair is bounds-checked against
 *    the memory and arrives as a native pointer plus length; an out-of-bounds
 *    pair sets the exception "out of bounds memory access" and traps;
 *  - wasm_runtime_call_wasm checks the argument count, returns false on a
 *    trap with the exception text, and results come back in argv[0];
 *  - the instantiation arguments (stack size, app heap) are recorded and
 *    printed, so the test can check the 8 KiB / 0 that the ABI asks for.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "firmware.h"
#include "wasm-rt-impl.h"
#include "wasm_export.h"

#define MAX_IMPORTS 32
#define MAX_TYPES 64
#define MAX_FUNCS 256
#define MAX_EXPORTS 32

struct fimport {
  char module[16], name[32];
  int kind, nparams, nresults;
  bool all_i32, linked;
  NativeSymbol *sym;
};
struct fexport {
  char name[32];
  int kind;
  uint32_t index;
};
struct WASMModuleCommon {
  int ntypes, nimports, nfuncs, nexports, nfunc_imports;
  struct { int nparams, nresults; bool all_i32; } types[MAX_TYPES];
  struct fimport imports[MAX_IMPORTS];
  uint32_t func_type[MAX_FUNCS]; /* by function index (imports first) */
  struct fexport exports[MAX_EXPORTS];
};
struct WASMModuleInstanceCommon {
  struct WASMModuleCommon *module;
  char exception[128];
};
struct WASMExecEnv {
  struct WASMModuleInstanceCommon *inst;
};
struct Z_hal_instance_t {
  int unused;
};
/* a function "instance" is a pointer to its export entry */

static NativeSymbol *natives;
static uint32_t n_natives;
static char natives_module[16];
static struct WASMModuleCommon the_module;
static struct WASMModuleInstanceCommon the_inst;
static struct WASMExecEnv the_env;
static Z_firmware_instance_t fw;
static struct Z_hal_instance_t hal;
static bool loaded, instantiated;

/* ------------------------------------------------------------- runtime */

bool wasm_runtime_init(void) {
  wasm_rt_init();
  Z_firmware_init_module();
  return true;
}
void wasm_runtime_destroy(void) { wasm_rt_free(); }
void *wasm_runtime_malloc(unsigned int size) { return malloc(size); }
void wasm_runtime_free(void *ptr) { free(ptr); }

bool wasm_runtime_register_natives(const char *module_name, NativeSymbol *native_symbols, uint32_t n) {
  snprintf(natives_module, sizeof natives_module, "%s", module_name);
  natives = native_symbols;
  n_natives = n;
  return true;
}

/* ------------------------------------------------------- module parsing */

struct reader {
  const uint8_t *p, *end;
  bool bad;
};
static uint32_t leb(struct reader *r) {
  uint32_t v = 0;
  for (int shift = 0; shift < 35; shift += 7) {
    if (r->p >= r->end) { r->bad = true; return 0; }
    uint8_t b = *r->p++;
    v |= (uint32_t)(b & 0x7f) << shift;
    if (!(b & 0x80)) return v;
  }
  r->bad = true;
  return 0;
}
static uint8_t byte(struct reader *r) {
  if (r->p >= r->end) { r->bad = true; return 0; }
  return *r->p++;
}
static void name(struct reader *r, char *out, size_t cap) {
  uint32_t n = leb(r);
  if (r->bad || n >= cap || (size_t)(r->end - r->p) < n) { r->bad = true; return; }
  memcpy(out, r->p, n);
  out[n] = 0;
  r->p += n;
}
static void limits(struct reader *r) {
  uint8_t flags = byte(r);
  leb(r);
  if (flags & 1) leb(r);
}

/* Does a WAMR signature string fit a wasm function type? */
static bool sig_fits(const char *sig, int nparams, int nresults, bool all_i32) {
  if (!sig || sig[0] != '(' || !all_i32) return false;
  const char *c = sig + 1;
  int params = 0;
  for (; *c && *c != ')'; c++) {
    if (*c == 'i' || *c == '*' || *c == '~') params++;
    else return false; /* I, f, F, $, r: not in this ABI */
  }
  if (*c != ')') return false;
  c++;
  int results = *c == 'i' ? 1 : 0;
  if (*c && (*c != 'i' || c[1])) return false;
  return params == nparams && results == nresults;
}

wasm_module_t wasm_runtime_load(uint8_t *buf, uint32_t size, char *error_buf, uint32_t error_buf_size) {
  struct WASMModuleCommon *m = &the_module;
  memset(m, 0, sizeof *m);
  struct reader r = {buf, buf + size, false};
  if (size < 8 || memcmp(buf, "\0asm\1\0\0\0", 8) != 0) {
    snprintf(error_buf, error_buf_size, "WASM module load failed: magic header not detected");
    return NULL;
  }
  r.p += 8;
  while (r.p < r.end && !r.bad) {
    uint8_t id = byte(&r);
    uint32_t len = leb(&r);
    struct reader s = {r.p, r.p + len, false};
    if (len > (uint32_t)(r.end - r.p)) { r.bad = true; break; }
    r.p += len;
    uint32_t n = 0;
    switch (id) {
      case 1: /* types */
        n = leb(&s);
        for (uint32_t i = 0; i < n && i < MAX_TYPES && !s.bad; i++) {
          if (byte(&s) != 0x60) s.bad = true;
          bool ok = true;
          uint32_t np = leb(&s);
          for (uint32_t k = 0; k < np; k++) ok &= byte(&s) == 0x7f;
          uint32_t nr = leb(&s);
          for (uint32_t k = 0; k < nr; k++) ok &= byte(&s) == 0x7f;
          m->types[i].nparams = (int)np;
          m->types[i].nresults = (int)nr;
          m->types[i].all_i32 = ok;
          m->ntypes = (int)i + 1;
        }
        break;
      case 2: /* imports */
        n = leb(&s);
        for (uint32_t i = 0; i < n && i < MAX_IMPORTS && !s.bad; i++) {
          struct fimport *im = &m->imports[i];
          name(&s, im->module, sizeof im->module);
          name(&s, im->name, sizeof im->name);
          im->kind = byte(&s);
          if (im->kind == 0) {
            uint32_t t = leb(&s);
            if (t >= (uint32_t)m->ntypes) { s.bad = true; break; }
            im->nparams = m->types[t].nparams;
            im->nresults = m->types[t].nresults;
            im->all_i32 = m->types[t].all_i32;
            m->func_type[m->nfunc_imports++] = t;
          } else if (im->kind == 1) { byte(&s); limits(&s); }
          else if (im->kind == 2) limits(&s);
          else { byte(&s); byte(&s); }
          m->nimports = (int)i + 1;
        }
        break;
      case 3: /* functions */
        n = leb(&s);
        for (uint32_t i = 0; i < n && !s.bad; i++) {
          uint32_t t = leb(&s);
          if (m->nfunc_imports + (int)i < MAX_FUNCS) m->func_type[m->nfunc_imports + (int)i] = t;
        }
        m->nfuncs = m->nfunc_imports + (int)n;
        break;
      case 7: /* exports */
        n = leb(&s);
        for (uint32_t i = 0; i < n && i < MAX_EXPORTS && !s.bad; i++) {
          name(&s, m->exports[i].name, sizeof m->exports[i].name);
          m->exports[i].kind = byte(&s);
          m->exports[i].index = leb(&s);
          m->nexports = (int)i + 1;
        }
        break;
      default: break;
    }
    if (s.bad) r.bad = true;
  }
  if (r.bad) {
    snprintf(error_buf, error_buf_size, "WASM module load failed: unexpected end");
    return NULL;
  }
  /* link: WAMR resolves each function import against the registered natives */
  for (int i = 0; i < m->nimports; i++) {
    struct fimport *im = &m->imports[i];
    if (im->kind != 0 || strcmp(im->module, natives_module) != 0) continue;
    for (uint32_t k = 0; k < n_natives; k++) {
      if (strcmp(natives[k].symbol, im->name) == 0 &&
          sig_fits(natives[k].signature, im->nparams, im->nresults, im->all_i32)) {
        im->sym = &natives[k];
        im->linked = true;
      }
    }
  }
  loaded = true;
  return m;
}

void wasm_runtime_unload(wasm_module_t module) {
  (void)module;
  loaded = false;
}

int32_t wasm_runtime_get_import_count(const wasm_module_t module) { return module->nimports; }

void wasm_runtime_get_import_type(const wasm_module_t module, int32_t i, wasm_import_t *t) {
  memset(t, 0, sizeof *t);
  t->module_name = module->imports[i].module;
  t->name = module->imports[i].name;
  t->kind = (wasm_import_export_kind_t)module->imports[i].kind;
  t->linked = module->imports[i].linked;
}

/* ------------------------------------------------------------ instances */

wasm_module_inst_t wasm_runtime_instantiate(const wasm_module_t module, uint32_t stack, uint32_t heap,
                                            char *error_buf, uint32_t error_buf_size) {
  if (!loaded || instantiated) {
    snprintf(error_buf, error_buf_size, "emulation: one instance at a time");
    return NULL;
  }
  printf("WAMR instantiate stack=%u heap=%u\n", (unsigned)stack, (unsigned)heap);
  fflush(stdout);
  int trap = wasm_rt_impl_try();
  if (trap) {
    snprintf(error_buf, error_buf_size, "Exception: %s", wasm_rt_strerror((wasm_rt_trap_t)trap));
    return NULL;
  }
  Z_firmware_instantiate(&fw, &hal);
  the_inst.module = module;
  the_inst.exception[0] = 0;
  the_env.inst = &the_inst;
  instantiated = true;
  return &the_inst;
}

void wasm_runtime_deinstantiate(wasm_module_inst_t inst) {
  (void)inst;
  if (instantiated) Z_firmware_free(&fw);
  instantiated = false;
}

wasm_exec_env_t wasm_runtime_create_exec_env(wasm_module_inst_t inst, uint32_t stack_size) {
  (void)stack_size;
  return inst == &the_inst ? &the_env : NULL;
}
void wasm_runtime_destroy_exec_env(wasm_exec_env_t env) { (void)env; }

wasm_function_inst_t wasm_runtime_lookup_function(const wasm_module_inst_t inst, const char *n) {
  for (int i = 0; i < inst->module->nexports; i++)
    if (inst->module->exports[i].kind == 0 && strcmp(inst->module->exports[i].name, n) == 0)
      return &inst->module->exports[i];
  return NULL;
}

static int type_of(const wasm_function_inst_t f, const wasm_module_inst_t inst) {
  const struct fexport *e = (const struct fexport *)f;
  return (int)inst->module->func_type[e->index];
}
uint32_t wasm_func_get_param_count(const wasm_function_inst_t f, const wasm_module_inst_t inst) {
  return (uint32_t)inst->module->types[type_of(f, inst)].nparams;
}
uint32_t wasm_func_get_result_count(const wasm_function_inst_t f, const wasm_module_inst_t inst) {
  return (uint32_t)inst->module->types[type_of(f, inst)].nresults;
}

const char *wasm_runtime_get_exception(wasm_module_inst_t inst) {
  return inst->exception[0] ? inst->exception : NULL;
}
void wasm_runtime_clear_exception(wasm_module_inst_t inst) { inst->exception[0] = 0; }

bool wasm_runtime_call_wasm(wasm_exec_env_t env, wasm_function_inst_t f, uint32_t argc, uint32_t argv[]) {
  struct WASMModuleInstanceCommon *inst = env->inst;
  const struct fexport *e = (const struct fexport *)f;
  if (argc != wasm_func_get_param_count(f, inst)) {
    snprintf(inst->exception, sizeof inst->exception, "Exception: invalid argument count");
    return false;
  }
  int trap = wasm_rt_impl_try();
  if (trap) {
    if (!inst->exception[0])
      snprintf(inst->exception, sizeof inst->exception, "Exception: %s", wasm_rt_strerror((wasm_rt_trap_t)trap));
    return false;
  }
#define CALL0(n) if (strcmp(e->name, #n) == 0) { argv[0] = Z_firmwareZ_##n(&fw); return true; }
#define CALL1(n) if (strcmp(e->name, #n) == 0) { argv[0] = Z_firmwareZ_##n(&fw, argv[0]); return true; }
  CALL0(abi_version) CALL0(config_ptr) CALL0(config_cap) CALL1(init) CALL0(error_ptr) CALL0(error_len)
  CALL1(tick) CALL0(level_permille) CALL0(distance_mm) CALL0(temperature_decic) CALL0(volume_ml)
  CALL0(reading_quality) CALL0(relay_state) CALL0(conn_state) CALL0(pump_last_refusal) CALL1(counter)
  CALL0(last_disconnect)
  if (strcmp(e->name, "shutdown") == 0) { Z_firmwareZ_shutdown(&fw, argv[0]); return true; }
  snprintf(inst->exception, sizeof inst->exception, "Exception: emulation cannot call %s", e->name);
  return false;
}

wasm_memory_inst_t wasm_runtime_get_default_memory(const wasm_module_inst_t inst) {
  return inst == &the_inst && instantiated ? (wasm_memory_inst_t)(void *)&fw : NULL;
}
uint64_t wasm_memory_get_cur_page_count(const wasm_memory_inst_t m) {
  (void)m;
  return fw.w2c_memory.pages;
}
uint64_t wasm_memory_get_bytes_per_page(const wasm_memory_inst_t m) {
  (void)m;
  return 65536;
}
void *wasm_memory_get_base_address(const wasm_memory_inst_t m) {
  (void)m;
  return fw.w2c_memory.data;
}

/* ---------------------------------------------- imports -> natives */

static struct fimport *import_named(const char *n) {
  for (int i = 0; i < the_module.nimports; i++)
    if (strcmp(the_module.imports[i].name, n) == 0) return &the_module.imports[i];
  return NULL;
}

static _Noreturn void fail(wasm_rt_trap_t code, const char *msg) {
  snprintf(the_inst.exception, sizeof the_inst.exception, "Exception: %s", msg);
  wasm_rt_trap(code);
}

/* Calls the native of import `n` with wasm arguments a[0..] as its
 * signature string says: `*~` becomes a checked native pointer + length. */
static uint32_t call_native(const char *n, int na, const uint32_t *a) {
  struct fimport *im = import_named(n);
  if (!im || !im->linked) fail(WASM_RT_TRAP_UNREACHABLE, "failed to call unlinked import function");
  const char *sig = im->sym->signature;
  union { int32_t i; uint32_t u; void *p; } v[8];
  int k = 0;
  for (const char *c = sig + 1; *c != ')'; c++, k++) {
    if (k >= na) fail(WASM_RT_TRAP_UNREACHABLE, "signature longer than the call");
    if (*c == '*' && c[1] == '~') {
      uint32_t ptr = a[k], len = a[k + 1];
      if (ptr > fw.w2c_memory.size || len > fw.w2c_memory.size - ptr) fail(WASM_RT_TRAP_OOB, "out of bounds memory access");
      v[k].p = fw.w2c_memory.data + ptr;
      v[k + 1].u = len;
      k++;
      c++;
    } else {
      v[k].i = (int32_t)a[k];
    }
  }
  void *fp = im->sym->func_ptr;
  wasm_exec_env_t env = &the_env;
  typedef int32_t I;
  typedef void *P;
  typedef uint32_t L;
  if (!strcmp(sig, "()i")) return (uint32_t)((I(*)(wasm_exec_env_t))fp)(env);
  if (!strcmp(sig, "(i)i")) return (uint32_t)((I(*)(wasm_exec_env_t, I))fp)(env, v[0].i);
  if (!strcmp(sig, "(ii)i")) return (uint32_t)((I(*)(wasm_exec_env_t, I, I))fp)(env, v[0].i, v[1].i);
  if (!strcmp(sig, "(iii)i")) return (uint32_t)((I(*)(wasm_exec_env_t, I, I, I))fp)(env, v[0].i, v[1].i, v[2].i);
  if (!strcmp(sig, "(i)")) { ((void (*)(wasm_exec_env_t, I))fp)(env, v[0].i); return 0; }
  if (!strcmp(sig, "(i*~)i")) return (uint32_t)((I(*)(wasm_exec_env_t, I, P, L))fp)(env, v[0].i, v[1].p, v[2].u);
  if (!strcmp(sig, "(i*~)")) { ((void (*)(wasm_exec_env_t, I, P, L))fp)(env, v[0].i, v[1].p, v[2].u); return 0; }
  if (!strcmp(sig, "(*~)i")) return (uint32_t)((I(*)(wasm_exec_env_t, P, L))fp)(env, v[0].p, v[1].u);
  if (!strcmp(sig, "(*~i)i")) return (uint32_t)((I(*)(wasm_exec_env_t, P, L, I))fp)(env, v[0].p, v[1].u, v[2].i);
  if (!strcmp(sig, "(*~*~)i"))
    return (uint32_t)((I(*)(wasm_exec_env_t, P, L, P, L))fp)(env, v[0].p, v[1].u, v[2].p, v[3].u);
  if (!strcmp(sig, "(*~ii)")) { ((void (*)(wasm_exec_env_t, P, L, I, I))fp)(env, v[0].p, v[1].u, v[2].i, v[3].i); return 0; }
  fail(WASM_RT_TRAP_UNREACHABLE, "emulation: unsupported signature");
}

#define A(...) (const uint32_t[]){__VA_ARGS__}
u32 Z_halZ_millis(struct Z_hal_instance_t *h) { (void)h; return call_native("millis", 0, NULL); }
u32 Z_halZ_gpio_mode(struct Z_hal_instance_t *h, u32 a, u32 b) { (void)h; return call_native("gpio_mode", 2, A(a, b)); }
u32 Z_halZ_gpio_write(struct Z_hal_instance_t *h, u32 a, u32 b) { (void)h; return call_native("gpio_write", 2, A(a, b)); }
u32 Z_halZ_gpio_read(struct Z_hal_instance_t *h, u32 a) { (void)h; return call_native("gpio_read", 1, A(a)); }
u32 Z_halZ_pulse_in(struct Z_hal_instance_t *h, u32 a, u32 b, u32 c) { (void)h; return call_native("pulse_in", 3, A(a, b, c)); }
void Z_halZ_delay_us(struct Z_hal_instance_t *h, u32 a) { (void)h; call_native("delay_us", 1, A(a)); }
u32 Z_halZ_adc_read(struct Z_hal_instance_t *h, u32 a) { (void)h; return call_native("adc_read", 1, A(a)); }
u32 Z_halZ_uart_open(struct Z_hal_instance_t *h, u32 a, u32 b) { (void)h; return call_native("uart_open", 2, A(a, b)); }
u32 Z_halZ_uart_read(struct Z_hal_instance_t *h, u32 a, u32 b, u32 c) { (void)h; return call_native("uart_read", 3, A(a, b, c)); }
u32 Z_halZ_uart_write(struct Z_hal_instance_t *h, u32 a, u32 b, u32 c) { (void)h; return call_native("uart_write", 3, A(a, b, c)); }
u32 Z_halZ_sock_connect(struct Z_hal_instance_t *h, u32 a, u32 b, u32 c) { (void)h; return call_native("sock_connect", 3, A(a, b, c)); }
u32 Z_halZ_sock_status(struct Z_hal_instance_t *h, u32 a) { (void)h; return call_native("sock_status", 1, A(a)); }
u32 Z_halZ_sock_send(struct Z_hal_instance_t *h, u32 a, u32 b, u32 c) { (void)h; return call_native("sock_send", 3, A(a, b, c)); }
u32 Z_halZ_sock_recv(struct Z_hal_instance_t *h, u32 a, u32 b, u32 c) { (void)h; return call_native("sock_recv", 3, A(a, b, c)); }
void Z_halZ_sock_close(struct Z_hal_instance_t *h, u32 a) { (void)h; call_native("sock_close", 1, A(a)); }
u32 Z_halZ_kv_get(struct Z_hal_instance_t *h, u32 a, u32 b, u32 c, u32 d) { (void)h; return call_native("kv_get", 4, A(a, b, c, d)); }
u32 Z_halZ_kv_set(struct Z_hal_instance_t *h, u32 a, u32 b, u32 c, u32 d) { (void)h; return call_native("kv_set", 4, A(a, b, c, d)); }
void Z_halZ_log(struct Z_hal_instance_t *h, u32 a, u32 b, u32 c) { (void)h; call_native("log", 3, A(a, b, c)); }
void Z_halZ_panic(struct Z_hal_instance_t *h, u32 a, u32 b, u32 c, u32 d) { (void)h; call_native("panic", 4, A(a, b, c, d)); }
u32 Z_halZ_random_u32(struct Z_hal_instance_t *h) { (void)h; return call_native("random_u32", 0, NULL); }
u32 Z_halZ_hw_id(struct Z_hal_instance_t *h, u32 a, u32 b) { (void)h; return call_native("hw_id", 2, A(a, b)); }
