/*
 * platform_rv32.c - WAMR's platform layer (platform_api_vmcore.h) for the
 * bare-metal RV32 image: no OS, no threads, no MMU.
 *
 * - Memory: WAMR runs with Alloc_With_Pool (runtime_wamr.c, built with
 *   IOTBIND_WAMR_POOL), so wasm_runtime_malloc takes everything from one static
 *   pool. os_mmap, which WAMR uses for the linear memory when hardware bound
 *   checks are off, takes it from the same pool (zeroed), so the pool's
 *   high-water mark is all the runtime ever used. os_malloc is not used by
 *   the interpreter; it fails.
 * - Time: the CLINT's mtime (10 MHz on QEMU's virt machine), see rv32.h.
 * - Stack boundary: the bottom of the one C stack (linker symbol), which
 *   WAMR checks native calls against.
 * - Log: os_printf/os_vprintf go to the UART modem's log channel.
 */
#include "platform_api_vmcore.h"
#include "platform_api_extension.h"
#include "wasm_export.h"

#include "rv32.h"

int bh_platform_init(void) { return 0; }
void bh_platform_destroy(void) {}

void *os_malloc(unsigned size) { (void)size; return NULL; }
void *os_realloc(void *ptr, unsigned size) { (void)ptr; (void)size; return NULL; }
void os_free(void *ptr) { (void)ptr; }

int os_printf(const char *format, ...) {
  va_list ap;
  va_start(ap, format);
  int n = os_vprintf(format, ap);
  va_end(ap);
  return n;
}

int os_vprintf(const char *format, va_list ap) {
  char buf[160];
  int n = vsnprintf(buf, sizeof buf, format, ap);
  if (n < 0) return n;
  size_t len = (size_t)n < sizeof buf ? (size_t)n : sizeof buf - 1;
  while (len > 0 && buf[len - 1] == '\n') len--;
  if (len > 0) rv32_log_text(0, "wamr", buf, len);
  return n;
}

uint64 os_time_get_boot_us(void) { return rv32_mtime() / (RV32_MTIME_HZ / 1000000u); }
uint64 os_time_thread_cputime_us(void) { return os_time_get_boot_us(); }

korp_tid os_self_thread(void) { return 1; }
uint8 *os_thread_get_stack_boundary(void) { return (uint8 *)&__stack_bottom; }
void os_thread_jit_write_protect_np(bool enabled) { (void)enabled; }

int os_mutex_init(korp_mutex *mutex) { *mutex = 0; return BHT_OK; }
int os_mutex_destroy(korp_mutex *mutex) { (void)mutex; return BHT_OK; }
int os_mutex_lock(korp_mutex *mutex) { (*mutex)++; return BHT_OK; }
int os_mutex_unlock(korp_mutex *mutex) { (*mutex)--; return BHT_OK; }

void *os_mmap(void *hint, size_t size, int prot, int flags, os_file_handle file) {
  (void)hint; (void)prot; (void)flags; (void)file;
  if (size == 0 || size > UINT32_MAX) return NULL;
  void *p = wasm_runtime_malloc((unsigned)size);
  if (p) memset(p, 0, size);
  return p;
}

void os_munmap(void *addr, size_t size) {
  (void)size;
  if (addr) wasm_runtime_free(addr);
}

int os_mprotect(void *addr, size_t size, int prot) { (void)addr; (void)size; (void)prot; return 0; }

void *os_mremap(void *old_addr, size_t old_size, size_t new_size) {
  void *p = os_mmap(NULL, new_size, 0, 0, -1);
  if (p && old_addr) {
    memcpy(p, old_addr, old_size < new_size ? old_size : new_size);
    os_munmap(old_addr, old_size);
  }
  return p;
}

void os_dcache_flush(void) {}
void os_icache_flush(void *start, size_t len) { (void)start; (void)len; }
