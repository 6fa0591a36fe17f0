/*
 * host.h - what the shared host code (host.c, json_member.c, sockets_bsd.c)
 * offers, and what it needs from a runtime adapter and from a platform.
 *
 *   platform main (boards/platform/<p>/main*.c)
 *        |  host_run()                       host.c: life cycle of ABI.md
 *        v                                   (config, init, tick loop, trap
 *   runtime adapter: rt_*()                  -> relay off -> restart)
 *   (runtime_wasm2c.c | runtime_wamr.c)
 *        |  calls the module, which calls the imports:
 *        v
 *   hal_*() of iotbind_hal.h: platform files + sockets_bsd.c + host.c (log, panic)
 */
#ifndef IOTBIND_HOST_H
#define IOTBIND_HOST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "iotbind_hal.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------ runtime adapter */

/* Loads (if needed) and instantiates a fresh instance of the module.
 * `wasm`/`len` are the module bytes (ignored by wasm2c, whose module is
 * compiled in). 0 ok; <0 with a message in err. */
int rt_open(const uint8_t *wasm, uint32_t len, char *err, size_t err_cap);
/* runtime_wamr.c only: whether this vmlib's loader can let the module bytes
 * go after loading (fast interpreter yes, classic no); the bench driver loads
 * its breakdown module the same way. */
bool rt_wamr_binary_freeable(void);
/* Drops the instance (safe to call when none is open). */
void rt_close(void);
/* Calls export `id` with `arg` (ignored when it takes none); its result (0 for
 * void) goes to *result. false when the module trapped: rt_trap_message()
 * says why, and the instance must be closed and reopened. */
bool rt_call(enum iotbind_export_id id, uint32_t arg, uint32_t *result);
const char *rt_trap_message(void);
/* The module's linear memory (NULL when no instance is open). */
uint8_t *rt_memory(uint32_t *size);
/* The wasm stack of runtimes with their own (WAMR, wasm3; wasm2c runs on the
 * C stack): 4 KiB on a 32-bit target, 8 KiB on 64-bit (frames hold
 * pointers). That is >= 2x the smallest stack with which the bench driver's
 * whole scenario completes (bench/RESULTS.md, "min wasm stack": 1,920 B for
 * WAMR classic at 32 bit, 3,312 B at 64 bit, 2,048 B for wasm3; the bench
 * checks the scenario with half); a deeper call traps (WAMR "wasm operand
 * stack overflow", wasm3 "[trap] stack overflow"), it corrupts nothing. */
#define RT_WASM_STACK_BYTES ((uint32_t)(1024u * sizeof(void *)))
/* Only the adapters of runtimes with their own wasm stack (runtime_wamr.c,
 * runtime_wasm3.c): the wasm stack of the next rt_open, in bytes (default
 * RT_WASM_STACK_BYTES). For the bench's smallest-stack search. */
void rt_set_wasm_stack(uint32_t bytes);
/* Only runtime_wamr.c (a test hook of boards/rv32-qemu): called from inside
 * an import, makes the running call trap with `msg` when the import returns. */
void rt_raise(const char *msg);

/* -------------------------------------------------------------- platform */

/* One log line (text need not be NUL-terminated, has no newline).
 * source is "host" or "fw". */
void platform_log_line(int level, const char *source, const char *text, size_t len);
void platform_sleep_ms(uint32_t ms);

/* ------------------------------------------------------- shared host code */

void host_log(int level, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

/* sockets_bsd.c: BSD/lwIP sockets behind hal_sock_*. */
/* Sleeps up to `ms`, waking early when an open socket has data (or finished
 * connecting). Returns true when it woke early. */
bool sockets_wait(uint32_t ms);
/* Closes every handle (the instance that owned them is gone). */
void sockets_close_all(void);
/* Grows whenever the firmware reads a socket or asks about a connecting
 * one: lets the host tell whether a tick took up what woke it. */
uint32_t sockets_progress(void);

/* json_member.c: a tolerant look-up of top-level members of a JSON object
 * (for the host's own needs: relay pin, simulator, Wi-Fi). It validates
 * nothing; the firmware's parser is the authority on the config. */
bool json_member(const char *json, size_t len, const char *name, const char **val, size_t *val_len);
bool json_member_num(const char *json, size_t len, const char *name, double *out);
bool json_member_int(const char *json, size_t len, const char *name, long *out);
bool json_member_bool(const char *json, size_t len, const char *name, bool *out);
/* Copies a string member (simple escapes \" \\ \/ \n \t decoded) as a C string. */
bool json_member_str(const char *json, size_t len, const char *name, char *out, size_t cap);
/* Strict syntax check: NULL when the `len` bytes are one well-formed JSON value,
 * else what was wrong, with *at its offset. */
const char *json_check(const char *json, size_t len, size_t *at);
/* Calls fn for each member of the top-level object, in order (until fn
 * returns false): the raw name (with its quotes, escapes not decoded) and the
 * raw value. The syntax is checked to the end in the same pass (json_check's
 * grammar). Returns NULL when the whole text is one well-formed object (*at:
 * the value fn returned false for, if it did), else the syntax error, with *at
 * its offset. */
typedef bool (*json_member_fn)(void *ctx, const char *name, size_t name_len, const char *val, size_t val_len);
const char *json_walk(const char *json, size_t len, json_member_fn fn, void *ctx, size_t *at);

/* config_encode.c: the JSON config -> the binary config of docs/CONFIG.md,
 * with the tables generated from config/schema.json (config_schema.h). */
enum config_encode_status { CONFIG_ENCODE_OK = 0, CONFIG_ENCODE_EMPTY = -1, CONFIG_ENCODE_SYNTAX = -2, CONFIG_ENCODE_MEMBER = -3 };
/* Encodes `len` bytes of JSON into out (cap bytes; IOTBIND_CONFIG_MAX_BYTES
 * always suffice). Returns the binary's length (> 0), or a negative status
 * (the init status it stands for) with a one-line text in err naming the
 * member, e.g. `config: member "broker_port": must be a number`. */
long config_encode(const char *json, size_t len, uint8_t *out, size_t cap, char *err, size_t err_cap);
/* A number or boolean (0/1) member of the firmware config, JSON or binary
 * (the host's own needs: relay pin and polarity, ADC settings). */
bool config_member_int(const char *config, size_t len, const char *name, long *out);
/* The name of member `index`, or NULL. */
const char *config_member_name(long index);
/* Copies the firmware's error text into out, with `config: member #<i>:` shown
 * as `config: member "<name>":`. */
void config_render_error(const char *text, char *out, size_t cap);

struct host_params {
  const uint8_t *wasm;      /* module bytes (NULL for wasm2c) */
  uint32_t wasm_len;
  const char *config;       /* the firmware config: JSON (host_run encodes it) or binary (first byte 0xC2) */
  size_t config_len;
  const char *config_name;  /* named in a config refusal, e.g. the file (may be NULL) */
  const char *config_where; /* where the host's own JSON check found a syntax error, e.g. "line 3, column 5: ..."
                               (NULL: none); shown only when init says CONFIG_JSON */
  volatile int *stop;       /* set non-zero (e.g. by a signal) for a clean shutdown */
  int max_restarts;         /* < 0: unlimited */
};

enum host_exit {
  HOST_EXIT_STOPPED = 0,      /* *stop was set; shutdown() called */
  HOST_EXIT_CONFIG = 2,       /* init refused the config (-1 .. -4) */
  HOST_EXIT_MODULE = 3,       /* module failed to load/instantiate or wrong ABI */
  HOST_EXIT_HAL = 4,          /* init returned HAL_FAILED */
  HOST_EXIT_RESTARTS = 5      /* trapped more than max_restarts times */
};

/* Runs the module until *stop is set or it cannot go on. */
enum host_exit host_run(const struct host_params *p);

#ifdef __cplusplus
}
#endif

#endif /* IOTBIND_HOST_H */
