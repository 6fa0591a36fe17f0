/*
 * test-stubs/wasm_export.h - NOT WAMR. The subset of WAMR's
 * core/iwasm/include/wasm_export.h (and lib_export.h) that runtime_wamr.c
 * uses, declared as in WAMR 2.4, so that `make -C boards check-wamr` can
 * compile runtime_wamr.c with -Wall -Wextra -Werror on machines without WAMR.
 * The tests also link runtime_wamr.c against test/native/wamr-emulation/
 * fake_wamr.c, an emulation of these functions on top of wasm2c. A real
 * build uses the real header from the wasm-micro-runtime component.
 */
#ifndef _WASM_EXPORT_H
#define _WASM_EXPORT_H

#include <stdbool.h>
#include <stdint.h>

typedef struct NativeSymbol {
  const char *symbol;
  void *func_ptr;
  const char *signature;
  void *attachment;
} NativeSymbol;

struct WASMModuleCommon;
typedef struct WASMModuleCommon *wasm_module_t;
struct WASMModuleInstanceCommon;
typedef struct WASMModuleInstanceCommon *wasm_module_inst_t;
typedef void WASMFunctionInstanceCommon;
typedef WASMFunctionInstanceCommon *wasm_function_inst_t;
struct WASMMemoryInstance;
typedef struct WASMMemoryInstance *wasm_memory_inst_t;
struct WASMExecEnv;
typedef struct WASMExecEnv *wasm_exec_env_t;
struct WASMFuncType;
typedef struct WASMFuncType *wasm_func_type_t;
struct WASMTableType;
typedef struct WASMTableType *wasm_table_type_t;
struct WASMGlobalType;
typedef struct WASMGlobalType *wasm_global_type_t;
struct WASMMemory;
typedef struct WASMMemory WASMMemoryType;
typedef WASMMemoryType *wasm_memory_type_t;

typedef enum {
  WASM_IMPORT_EXPORT_KIND_FUNC,
  WASM_IMPORT_EXPORT_KIND_TABLE,
  WASM_IMPORT_EXPORT_KIND_MEMORY,
  WASM_IMPORT_EXPORT_KIND_GLOBAL
} wasm_import_export_kind_t;

typedef struct wasm_import_t {
  const char *module_name;
  const char *name;
  wasm_import_export_kind_t kind;
  bool linked;
  union {
    wasm_func_type_t func_type;
    wasm_table_type_t table_type;
    wasm_global_type_t global_type;
    wasm_memory_type_t memory_type;
  } u;
} wasm_import_t;

bool wasm_runtime_init(void);
void wasm_runtime_destroy(void);
void *wasm_runtime_malloc(unsigned int size);
void wasm_runtime_free(void *ptr);
bool wasm_runtime_register_natives(const char *module_name, NativeSymbol *native_symbols,
                                   uint32_t n_native_symbols);
wasm_module_t wasm_runtime_load(uint8_t *buf, uint32_t size, char *error_buf, uint32_t error_buf_size);
void wasm_runtime_unload(wasm_module_t module);
int32_t wasm_runtime_get_import_count(const wasm_module_t module);
void wasm_runtime_get_import_type(const wasm_module_t module, int32_t import_index, wasm_import_t *import_type);
wasm_module_inst_t wasm_runtime_instantiate(const wasm_module_t module, uint32_t default_stack_size,
                                            uint32_t host_managed_heap_size, char *error_buf,
                                            uint32_t error_buf_size);
void wasm_runtime_deinstantiate(wasm_module_inst_t module_inst);
wasm_exec_env_t wasm_runtime_create_exec_env(wasm_module_inst_t module_inst, uint32_t stack_size);
void wasm_runtime_destroy_exec_env(wasm_exec_env_t exec_env);
wasm_function_inst_t wasm_runtime_lookup_function(const wasm_module_inst_t module_inst, const char *name);
uint32_t wasm_func_get_param_count(const wasm_function_inst_t func_inst, const wasm_module_inst_t module_inst);
uint32_t wasm_func_get_result_count(const wasm_function_inst_t func_inst, const wasm_module_inst_t module_inst);
bool wasm_runtime_call_wasm(wasm_exec_env_t exec_env, wasm_function_inst_t function, uint32_t argc,
                            uint32_t argv[]);
const char *wasm_runtime_get_exception(wasm_module_inst_t module_inst);
void wasm_runtime_clear_exception(wasm_module_inst_t module_inst);
wasm_memory_inst_t wasm_runtime_get_default_memory(const wasm_module_inst_t module_inst);
uint64_t wasm_memory_get_cur_page_count(const wasm_memory_inst_t memory_inst);
uint64_t wasm_memory_get_bytes_per_page(const wasm_memory_inst_t memory_inst);
void *wasm_memory_get_base_address(const wasm_memory_inst_t memory_inst);

#endif
