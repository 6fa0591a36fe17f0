/*
 * host.c - the life cycle of docs/ABI.md, shared by every C host:
 * instantiate, check abi_version, write the config at config_ptr(), init,
 * then tick / wait; on a trap: relay off, log, re-instantiate.
 * Also the two imports that are the same on every platform: log and panic.
 *
 * OTA (ota.h, docs/OTA.md, "C hosts"): after a tick in which the module called
 * ota_activate: shutdown(now), relay off, the staged slot is instantiated as
 * a trial. The trial is confirmed when conn_state() is CONNECTED with
 * counter(MQTT_CONNECTS) >= 1 and counter(OTA_STATUS_ACKED) >= 1 within
 * ota_confirm_ms(); it is rolled back (relay off, previous slot, kv
 * `ota.rollback` = "<REASON> <version>") when it cannot be instantiated or has
 * the wrong ABI (INSTANTIATE_FAILED), traps in init (INIT_TRAPPED) or later
 * (TRAPPED), refuses the config (INIT_REFUSED) or is not confirmed in time
 * (NOT_CONFIRMED).
 */
#include "host.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ota.h"

/* The relay pin and its off level, taken from the config: the host drives it
 * off itself when the module traps. Only when both are read without doubt
 * (relay_known): with a pin or polarity the host cannot read, driving "off"
 * could energise an active-low relay, so the host leaves the pin alone. A
 * refused config never drives the relay: the firmware touched no GPIO before
 * validating it (docs/ABI.md), so the pin is still at its power-on level. */
static long relay_pin = -1;
static bool relay_active_high = true;
static bool relay_known = false;

/* The last panic message, printed with the trap that follows it. */
static char panic_text[160];

void host_log(int level, const char *fmt, ...) {
  char buf[256];
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(buf, sizeof buf, fmt, ap);
  va_end(ap);
  if (n < 0) return;
  if ((size_t)n >= sizeof buf) n = (int)sizeof buf - 1;
  platform_log_line(level, "host", buf, (size_t)n);
}

/* Set while init() runs: the firmware's own "config: ..." error line is the text
   the host reports once, with the config's name, when init refuses. */
static bool in_init;

void hal_log(int32_t level, const uint8_t *ptr, int32_t len) {
  if (in_init && level == IOTBIND_LOG_ERROR && len >= 7 && memcmp(ptr, "config:", 7) == 0) return;
  platform_log_line(level, "fw", (const char *)ptr, (size_t)len);
}

void hal_panic(const uint8_t *ptr, int32_t len, int32_t line, int32_t column) {
  size_t n = (size_t)len < sizeof panic_text - 1 ? (size_t)len : sizeof panic_text - 1;
  memcpy(panic_text, ptr, n);
  panic_text[n] = 0;
  host_log(IOTBIND_LOG_ERROR, "firmware panic: %s (%ld:%ld)", panic_text, (long)line, (long)column);
}

static void relay_off(void) {
  if (!relay_known) return;
  hal_gpio_mode((int32_t)relay_pin, IOTBIND_GPIO_OUTPUT);
  hal_gpio_write((int32_t)relay_pin, relay_active_high ? 0 : 1);
}

static const char *init_status_name(int32_t rc) {
  switch (rc) {
    case IOTBIND_INIT_CONFIG_TOO_LONG: return "CONFIG_TOO_LONG";
    case IOTBIND_INIT_CONFIG_JSON: return "CONFIG_JSON";
    case IOTBIND_INIT_CONFIG_INVALID: return "CONFIG_INVALID";
    case IOTBIND_INIT_ALREADY_CALLED: return "ALREADY_CALLED";
    case IOTBIND_INIT_HAL_FAILED: return "HAL_FAILED";
    default: return "unknown status";
  }
}

/* Copies `len` bytes of module memory at `ptr` out as a C string. */
static void memory_text(uint32_t ptr, uint32_t len, char *out, size_t cap) {
  uint32_t size = 0;
  uint8_t *mem = rt_memory(&size);
  out[0] = 0;
  if (!mem || ptr > size || len > size - ptr) return;
  size_t n = len < cap - 1 ? len : cap - 1;
  memcpy(out, mem + ptr, n);
  out[n] = 0;
}

/* A debug line with the module's status exports; false when it trapped. */
static bool log_status(void) {
  uint32_t level, dist, temp, quality, conn, relay, disc;
  if (!rt_call(IOTBIND_EXPORT_level_permille, 0, &level) || !rt_call(IOTBIND_EXPORT_distance_mm, 0, &dist) ||
      !rt_call(IOTBIND_EXPORT_temperature_decic, 0, &temp) || !rt_call(IOTBIND_EXPORT_reading_quality, 0, &quality) ||
      !rt_call(IOTBIND_EXPORT_conn_state, 0, &conn) || !rt_call(IOTBIND_EXPORT_relay_state, 0, &relay) ||
      !rt_call(IOTBIND_EXPORT_last_disconnect, 0, &disc))
    return false;
  host_log(IOTBIND_LOG_DEBUG, "status: level %ld permille, distance %ld mm, %ld decidegC, quality %ld, conn %ld, relay %ld, last disconnect %ld",
           (long)(int32_t)level, (long)(int32_t)dist, (long)(int32_t)temp, (long)(int32_t)quality, (long)(int32_t)conn,
           (long)(int32_t)relay, (long)(int32_t)disc);
  return true;
}

#define STATUS_EVERY_MS 5000u
/* After this many ticks in a row that asked for 0 ms, wait 1 ms anyway: a
 * module that never lets the host block would starve everything else (on
 * ESP32 the idle task, and the task watchdog resets the chip). */
#define MAX_ZERO_WAITS 50u

/* STEP_SWITCH: the module asked for the staged OTA slot (shutdown already
 * called). STEP_ROLLBACK: a trial failed; *reason says how. */
enum step { STEP_STOPPED, STEP_TRAPPED, STEP_FATAL, STEP_SWITCH, STEP_ROLLBACK };

/* The module to run and how: `trial` makes every failure a rollback. */
struct instance {
  const uint8_t *wasm;
  uint32_t wasm_len;
  uint8_t *owned;   /* the OTA slot's bytes this one runs from (ota_module_free), or NULL */
  uint8_t *release; /* the previous module's bytes: freed once this one is opened */
  bool trial;
  const char *reason; /* out: STEP_ROLLBACK's reason */
};

/* The trial's confirm signal; false when the module trapped. */
static bool trial_confirmed(bool *confirmed) {
  uint32_t conn = 0, connects = 0, acked = 0;
  if (!rt_call(IOTBIND_EXPORT_conn_state, 0, &conn) ||
      !rt_call(IOTBIND_EXPORT_counter, IOTBIND_COUNTER_MQTT_CONNECTS, &connects) ||
      !rt_call(IOTBIND_EXPORT_counter, IOTBIND_COUNTER_OTA_STATUS_ACKED, &acked))
    return false;
  *confirmed = conn == IOTBIND_CONN_CONNECTED && connects >= 1 && acked >= 1;
  return true;
}

/* The module to run next: the active OTA slot's, else the one the platform
 * was started with; read while the previous bytes are still held (`release`,
 * freed by run_instance once the new ones are opened). */
static void pick_module(const struct host_params *p, struct instance *in) {
  uint32_t len = 0;
  uint8_t *slot = ota_active_module(&len);
  in->release = in->owned;
  in->owned = slot;
  in->wasm = slot ? slot : p->wasm;
  in->wasm_len = slot ? len : p->wasm_len;
  in->trial = ota_in_trial();
}

/* A module that cannot run: on trial a rollback with `reason`, else fatal with `code`. */
static enum step refuse(struct instance *in, const char *reason, enum host_exit *exit_code, enum host_exit code) {
  if (in->trial) {
    in->reason = reason;
    return STEP_ROLLBACK;
  }
  *exit_code = code;
  return STEP_FATAL;
}

/* One line for a refused config, the encoder's or the firmware's (`status` an
 * init status): the text, then the file (and where, for a syntax error). */
static void log_config_refusal(const struct host_params *p, long status, const char *text) {
  const char *where = status == IOTBIND_INIT_CONFIG_JSON ? p->config_where : NULL;
  host_log(IOTBIND_LOG_ERROR, "init refused the config: %ld %s: %s%s%s%s%s%s", status, init_status_name((int32_t)status),
           text, p->config_name ? " (in " : "", p->config_name ? p->config_name : "", where ? " at " : "",
           where ? where : "", p->config_name ? ")" : "");
}

/* One instance from open to stop or trap. On STEP_FATAL *exit_code is set. */
static enum step run_instance(const struct host_params *p, struct instance *in, enum host_exit *exit_code) {
  char err[160];
  uint32_t v = 0;
  /* Until init returns OK a trap is INIT_TRAPPED; from then on TRAPPED. */
  enum step trapped = in->trial ? STEP_ROLLBACK : STEP_TRAPPED;

  int opened = rt_open(in->wasm, in->wasm_len, err, sizeof err);
  /* Only now: WAMR tells modules apart by their bytes' address, so the new
   * bytes were allocated while the old ones were still held. */
  ota_module_free(in->release);
  in->release = NULL;
  if (opened != 0) {
    host_log(IOTBIND_LOG_ERROR, "cannot instantiate the module: %s", err);
    return refuse(in, "INSTANTIATE_FAILED", exit_code, HOST_EXIT_MODULE);
  }
  in->reason = "INIT_TRAPPED";
  if (in->trial) { /* first: every rollback reason names the version */
    uint32_t version = 0;
    if (!rt_call(IOTBIND_EXPORT_fw_version, 0, &version)) return trapped;
    ota_trial_version(version);
  }
  if (!rt_call(IOTBIND_EXPORT_abi_version, 0, &v)) return trapped;
  if (v != IOTBIND_ABI_VERSION) {
    host_log(IOTBIND_LOG_ERROR, "module has ABI version %lu, this host speaks %d", (unsigned long)v,
             IOTBIND_ABI_VERSION);
    return refuse(in, "INSTANTIATE_FAILED", exit_code, HOST_EXIT_MODULE);
  }

  uint32_t ptr = 0, cap = 0, size = 0;
  if (!rt_call(IOTBIND_EXPORT_config_ptr, 0, &ptr) || !rt_call(IOTBIND_EXPORT_config_cap, 0, &cap)) return trapped;
  uint8_t *mem = rt_memory(&size);
  if (!mem || ptr > size || cap > size - ptr) {
    host_log(IOTBIND_LOG_ERROR, "the module's config buffer lies outside its memory");
    *exit_code = HOST_EXIT_MODULE;
    return STEP_FATAL;
  }
  /* The JSON config is encoded into the firmware's config buffer (a config
   * that already is binary, e.g. provisioned with `iotbind-tank config
   * encode`, goes in as is). A config the encoder refuses never reaches init:
   * the same one line as the firmware's refusals, naming the member. */
  long bin_len;
  char enc_err[200];
  if (p->config_len > 0 && (uint8_t)p->config[0] == IOTBIND_CONFIG_FORMAT_BYTE) {
    bin_len = p->config_len <= cap ? (long)p->config_len : CONFIG_ENCODE_EMPTY;
    if (bin_len > 0) memcpy(mem + ptr, p->config, p->config_len);
    snprintf(enc_err, sizeof enc_err, "config: the binary config is %lu bytes; the firmware takes at most %lu",
             (unsigned long)p->config_len, (unsigned long)cap);
  } else {
    bin_len = config_encode(p->config, p->config_len, mem + ptr, cap, enc_err, sizeof enc_err);
  }
  if (bin_len < 0) { /* the encoder's statuses are the init statuses they stand for */
    log_config_refusal(p, bin_len, enc_err);
    return refuse(in, "INIT_REFUSED", exit_code, HOST_EXIT_CONFIG);
  }

  uint32_t rc = 0;
  in_init = true;
  bool called = rt_call(IOTBIND_EXPORT_init, (uint32_t)bin_len, &rc);
  in_init = false;
  if (!called) return trapped;
  if ((int32_t)rc != IOTBIND_INIT_OK) {
    uint32_t eptr = 0, elen = 0;
    char text[256];
    if (!rt_call(IOTBIND_EXPORT_error_ptr, 0, &eptr) || !rt_call(IOTBIND_EXPORT_error_len, 0, &elen))
      return trapped;
    char raw[256];
    memory_text(eptr, elen, raw, sizeof raw);
    config_render_error(raw, text, sizeof text);
    log_config_refusal(p, (long)(int32_t)rc, text); /* the firmware's own words */
    return refuse(in, "INIT_REFUSED", exit_code,
                  (int32_t)rc == IOTBIND_INIT_HAL_FAILED ? HOST_EXIT_HAL : HOST_EXIT_CONFIG);
  }
  host_log(IOTBIND_LOG_INFO, "firmware running (ABI %d, config %lu bytes, binary %ld%s)", IOTBIND_ABI_VERSION,
           (unsigned long)p->config_len, bin_len, in->trial ? ", on trial" : "");

  in->reason = "TRAPPED";
  bool woke_early = false;
  uint32_t progress_mark = 0, status_at = hal_millis(), zero_waits = 0, trial_at = hal_millis();
  for (;;) {
    if (*p->stop) {
      uint32_t ignored;
      if (!rt_call(IOTBIND_EXPORT_shutdown, hal_millis(), &ignored)) return trapped;
      return STEP_STOPPED;
    }
    uint32_t wait = 0, now = hal_millis();
    if (!rt_call(IOTBIND_EXPORT_tick, now, &wait)) return trapped;
    if (ota_take_activation()) { /* never inside the import: now that tick has returned */
      uint32_t ignored;
      host_log(IOTBIND_LOG_INFO, "ota: the module asked for the staged module: shutting down");
      if (!rt_call(IOTBIND_EXPORT_shutdown, hal_millis(), &ignored)) return trapped;
      return STEP_SWITCH;
    }
    if (in->trial) {
      bool confirmed = false;
      if (!trial_confirmed(&confirmed)) return trapped;
      if (confirmed) {
        ota_trial_confirm();
        in->trial = false;
        trapped = STEP_TRAPPED;
      } else if ((uint32_t)(hal_millis() - trial_at) >= ota_confirm_ms()) {
        uint32_t ignored;
        host_log(IOTBIND_LOG_WARN, "ota: not confirmed within %lu s", (unsigned long)(ota_confirm_ms() / 1000u));
        in->reason = "NOT_CONFIRMED";
        (void)rt_call(IOTBIND_EXPORT_shutdown, hal_millis(), &ignored);
        return STEP_ROLLBACK;
      }
    }
    if ((uint32_t)(now - status_at) >= STATUS_EVERY_MS) {
      status_at = now;
      if (!log_status()) return trapped;
    }
    /* The firmware returns its real next deadline (docs/ABI.md "Life cycle"):
     * socket data wakes the host earlier (sockets_wait); the host's own
     * deadline is the next status line. */
    uint32_t to_status = STATUS_EVERY_MS - (uint32_t)(hal_millis() - status_at);
    if (to_status > STATUS_EVERY_MS) to_status = 0;
    if (wait > to_status) wait = to_status;
    if (wait > 0) zero_waits = 0;
    else if (++zero_waits >= MAX_ZERO_WAITS) {
      if (zero_waits == MAX_ZERO_WAITS) host_log(IOTBIND_LOG_DEBUG, "tick keeps asking for 0 ms: waiting 1 ms");
      wait = 1;
    }
    /* Woken by a socket that the tick then left alone (data it does not
     * read while backing off, say): sleep without the sockets once, or this
     * loop would spin. */
    if (woke_early && sockets_progress() == progress_mark) {
      platform_sleep_ms(wait);
      woke_early = false;
      continue;
    }
    progress_mark = sockets_progress();
    woke_early = sockets_wait(wait);
  }
}

enum host_exit host_run(const struct host_params *p) {
  long polarity = 1;
  bool polarity_given = config_member_int(p->config, p->config_len, "relay_active_high", &polarity);
  relay_known = config_member_int(p->config, p->config_len, "relay_pin", &relay_pin) && relay_pin >= 0 &&
                relay_pin <= 63 && (!polarity_given || polarity == 0 || polarity == 1);
  relay_active_high = polarity != 0;

  /* The module to run: the active OTA slot's, else the one the platform was
   * started with (slot A's first content). A host restarted during a trial
   * rolls back before anything runs. */
  ota_boot();
  struct instance in;
  memset(&in, 0, sizeof in);
  pick_module(p, &in);

  int restarts = 0;
  enum host_exit result;
  for (;;) {
    enum host_exit code = HOST_EXIT_MODULE;
    panic_text[0] = 0;
    enum step s = run_instance(p, &in, &code);
    sockets_close_all();
    if (s == STEP_STOPPED) {
      rt_close();
      host_log(IOTBIND_LOG_INFO, "stopped");
      result = HOST_EXIT_STOPPED;
      break;
    }
    if (s == STEP_FATAL) {
      rt_close();
      result = code;
      break;
    }
    if (s == STEP_SWITCH || s == STEP_ROLLBACK) {
      /* Relay off across every switch; the next module starts from its config's safe defaults. */
      relay_off();
      if (s == STEP_ROLLBACK && (strcmp(in.reason, "TRAPPED") == 0 || strcmp(in.reason, "INIT_TRAPPED") == 0))
        host_log(IOTBIND_LOG_ERROR, "firmware trapped on trial: %s%s%s", rt_trap_message(),
                 panic_text[0] ? " after panic: " : "", panic_text);
      rt_close();
      if (s == STEP_SWITCH && ota_trial_start() != 0) {
        host_log(IOTBIND_LOG_ERROR, "ota: switch failed; restarting the same module");
      } else if (s == STEP_ROLLBACK) {
        ota_trial_rollback(in.reason);
      }
      pick_module(p, &in);
      restarts = 0;
      if (*p->stop) {
        result = HOST_EXIT_STOPPED;
        break;
      }
      continue;
    }
    /* Trapped: the pump must not keep running while nobody watches it. */
    relay_off();
    host_log(IOTBIND_LOG_ERROR, "firmware trapped: %s%s%s; relay off, restarting", rt_trap_message(),
             panic_text[0] ? " after panic: " : "", panic_text);
    rt_close();
    restarts++;
    if (p->max_restarts >= 0 && restarts > p->max_restarts) {
      host_log(IOTBIND_LOG_ERROR, "giving up after %d restarts", restarts - 1);
      result = HOST_EXIT_RESTARTS;
      break;
    }
    /* 1 s, 2 s, 4 s ... at most 60 s between restarts: a module that traps
     * at once must not hammer the broker. */
    uint32_t delay = 1000u << (restarts - 1 < 6 ? restarts - 1 : 6);
    platform_sleep_ms(delay < 60000 ? delay : 60000);
    if (*p->stop) {
      result = HOST_EXIT_STOPPED;
      break;
    }
  }
  ota_module_free(in.release);
  ota_module_free(in.owned);
  return result;
}
