/*
 * main.c - iotbind-tank-host: runs build/firmware.wasm on POSIX against the
 * simulated tank of sim_tank.c; compiled in through wasm2c
 * (iotbind-tank-host), or loaded with --wasm by WAMR or wasm3
 * (iotbind-tank-host-wamr-classic, -wamr-fast, -wasm3).
 *
 *   iotbind-tank-host [options] config.json
 *
 * config.json is the firmware config of docs/CONFIG.md (JSON, encoded by the
 * host to the binary config; or a binary config made by `iotbind-tank config
 * encode`), e.g. boards/posix/example-config.json. With
 * "broker_tls": true the host terminates TLS, trusting --ca FILE (or the
 * system store).
 */
#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "host.h"
#include "ota.h"
#include "posix_platform.h"
#include "sockets_tls.h"
#include "sim_tank.h"

static volatile int stop;

static void on_signal(int sig) {
  (void)sig;
  stop = 1;
}

static const char USAGE[] =
    "usage: iotbind-tank-host [options] config.json\n"
    "  --level PCT          simulated tank level in % (0..100, default 67)\n"
    "  --temperature C      simulated air temperature (default: the config's temperature_c, else 20)\n"
    "  --sim-file FILE      key=value lines (level, temperature, button, echo) re-read when changed\n"
    "  --kv FILE            key-value storage file (default: in memory only)\n"
    "  --hw-id TEXT         hardware id (default: /etc/machine-id)\n"
    "  --millis-offset MS   start the millisecond clock this far on (u32 wrap tests)\n"
    "  --max-restarts N     exit with status 5 after N restarts after traps (default unlimited)\n"
    "  --wasm FILE          module bytes for a runtime that loads them (WAMR, wasm3); the wasm2c\n"
    "                       build runs the module it was compiled from and ignores this\n"
    "  --ca FILE            PEM CA bundle trusted for a broker_tls connection\n"
    "                       (default: the system store /etc/ssl/certs/ca-certificates.crt)\n"
    "  --ota-dir DIR        OTA: keep the two module slots and their state in DIR (created by you)\n"
    "  --ota-public-key FILE  OTA: PEM P-256 public key that signs updates (openssl ec -pubout);\n"
    "                       with --ota-dir, enables OTA (WAMR and wasm3 builds only)\n"
    "  --ota-confirm-s N    OTA: seconds a new module has to connect and report (default 120)\n"
    "  --verbose            debug logging\n"
    "  -h, --help           this help\n"
    "exit status: 0 stopped by SIGINT/SIGTERM (or --help), 1 usage or I/O error, 2 config refused,\n"
    "             3 module refused, 4 hardware setup failed, 5 too many restarts\n";

/* A usage error: one line naming the problem, exit status 1. */
static int usage_error(const char *what, const char *arg) {
  fprintf(stderr, "iotbind-tank-host: %s%s%s (see iotbind-tank-host --help)\n", what, arg ? " " : "", arg ? arg : "");
  return 1;
}

/* Parses a whole number or a decimal into *out; 0 when `v` is not entirely a finite number in [lo, hi]. */
static int parse_number(const char *v, double lo, double hi, double *out) {
  char *end = NULL;
  double d = strtod(v, &end);
  if (end == v || *end != 0 || !isfinite(d) || d < lo || d > hi) return 0;
  *out = d;
  return 1;
}

int main(int argc, char **argv) {
  const char *config_path = NULL, *wasm_path = NULL, *ota_key_path = NULL;
  uint32_t ota_confirm_s = OTA_CONFIRM_S_DEFAULT;
  struct host_params p;
  memset(&p, 0, sizeof p);
  p.max_restarts = -1;
  p.stop = &stop;
  sim.level_pct = 67.0;
  sim.temperature_c = NAN;

  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    const char *v = i + 1 < argc ? argv[i + 1] : NULL;
    double d = 0;
    if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) { fputs(USAGE, stdout); return 0; }
    if (strcmp(a, "--verbose") == 0) { posix_opts.log_level = IOTBIND_LOG_DEBUG; continue; }
    int known = strcmp(a, "--level") == 0 || strcmp(a, "--temperature") == 0 || strcmp(a, "--sim-file") == 0 ||
                strcmp(a, "--kv") == 0 || strcmp(a, "--hw-id") == 0 || strcmp(a, "--millis-offset") == 0 ||
                strcmp(a, "--max-restarts") == 0 || strcmp(a, "--wasm") == 0 || strcmp(a, "--ca") == 0 ||
                strcmp(a, "--ota-dir") == 0 || strcmp(a, "--ota-public-key") == 0 || strcmp(a, "--ota-confirm-s") == 0;
    if (!known && a[0] == '-' && a[1] != 0) return usage_error("unknown option", a);
    if (!known) {
      if (config_path) return usage_error("more than one config file given:", a);
      config_path = a;
      continue;
    }
    if (!v) {
      fprintf(stderr, "iotbind-tank-host: %s needs a value (see iotbind-tank-host --help)\n", a);
      return 1;
    }
    i++;
    if (strcmp(a, "--level") == 0) {
      if (!parse_number(v, 0, 100, &d)) return usage_error("--level must be a number from 0 to 100, got", v);
      sim.level_pct = d;
    } else if (strcmp(a, "--temperature") == 0) {
      if (!parse_number(v, -60, 90, &d)) return usage_error("--temperature must be a number from -60 to 90 (degrees C), got", v);
      sim.temperature_c = d;
    } else if (strcmp(a, "--millis-offset") == 0) {
      if (!parse_number(v, 0, 4294967295.0, &d) || d != floor(d)) return usage_error("--millis-offset must be a whole number from 0 to 4294967295, got", v);
      posix_opts.millis_offset = (uint32_t)d;
    } else if (strcmp(a, "--max-restarts") == 0) {
      if (!parse_number(v, 0, 1e6, &d) || d != floor(d)) return usage_error("--max-restarts must be a whole number >= 0, got", v);
      p.max_restarts = (int)d;
    } else if (strcmp(a, "--sim-file") == 0) sim.file = v;
    else if (strcmp(a, "--kv") == 0) posix_opts.kv_path = v;
    else if (strcmp(a, "--hw-id") == 0) posix_opts.hw_id = v;
    else if (strcmp(a, "--ca") == 0) sockets_tls_configure(v, NULL);
    else if (strcmp(a, "--ota-dir") == 0) posix_opts.ota_dir = v;
    else if (strcmp(a, "--ota-public-key") == 0) ota_key_path = v;
    else if (strcmp(a, "--ota-confirm-s") == 0) {
      if (!parse_number(v, 1, 86400, &d) || d != floor(d)) return usage_error("--ota-confirm-s must be a whole number of seconds from 1 to 86400, got", v);
      ota_confirm_s = (uint32_t)d;
    }
    else wasm_path = v;
  }
  if (!config_path) return usage_error("no config file given: iotbind-tank-host [options] config.json", NULL);
  if (!ota_key_path != !posix_opts.ota_dir) return usage_error("--ota-dir and --ota-public-key go together", NULL);
  if (ota_key_path) {
    static char pem[4096], why[200];
    FILE *kf = fopen(ota_key_path, "rb");
    if (!kf) { fprintf(stderr, "iotbind-tank-host: cannot open the OTA public key %s: %s\n", ota_key_path, strerror(errno)); return 1; }
    size_t kn = fread(pem, 1, sizeof pem - 1, kf);
    fclose(kf);
    if (ota_configure(pem, kn, ota_confirm_s, why, sizeof why) != 0) {
      fprintf(stderr, "iotbind-tank-host: --ota-public-key %s: %s\n", ota_key_path, why);
      return 1;
    }
  }

  static char config[64 * 1024];
  FILE *f = fopen(config_path, "rb");
  if (!f) { fprintf(stderr, "iotbind-tank-host: cannot open the config %s: %s\n", config_path, strerror(errno)); return 1; }
  size_t n = fread(config, 1, sizeof config, f);
  int too_long = !feof(f);
  fclose(f);
  if (too_long) { fprintf(stderr, "iotbind-tank-host: %s: too long (the firmware takes at most 64 KiB)\n", config_path); return 2; }
  /* A binary config (`iotbind-tank config encode`) goes to the firmware as is;
   * JSON is encoded by host_run. The host says where in the file a JSON
   * syntax error is. */
  bool binary = n > 0 && (uint8_t)config[0] == IOTBIND_CONFIG_FORMAT_BYTE;
  while (!binary && n > 0 && (config[n - 1] == '\n' || config[n - 1] == '\r')) n--;
  static char where[160];
  size_t at = 0;
  const char *syntax = binary ? NULL : json_check(config, n, &at);
  if (syntax) {
    size_t line = 1, col = 1;
    for (size_t k = 0; k < at && k < n; k++) {
      if (config[k] == '\n') { line++; col = 1; } else col++;
    }
    snprintf(where, sizeof where, "line %lu, column %lu: %s", (unsigned long)line, (unsigned long)col, syntax);
    p.config_where = where;
  }
  p.config_name = config_path;
  p.config = config;
  p.config_len = n;

  if (wasm_path) { /* a module is one page of memory plus code: 256 KiB is plenty */
    enum { WASM_MAX = 256 * 1024 };
    uint8_t *wasm = malloc(WASM_MAX);
    f = fopen(wasm_path, "rb");
    if (!wasm || !f) { perror(wasm_path); return 1; }
    p.wasm_len = (uint32_t)fread(wasm, 1, WASM_MAX, f);
    too_long = !feof(f);
    fclose(f);
    if (too_long) { fprintf(stderr, "%s: too long\n", wasm_path); return 1; }
    p.wasm = wasm;
  }

  sim_configure(config, n);
  sim_poll_file();

  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_signal; /* no SA_RESTART: a signal cuts the wait short */
  sigaction(SIGINT, &sa, NULL);
  sigaction(SIGTERM, &sa, NULL);
  signal(SIGPIPE, SIG_IGN);

  return (int)host_run(&p);
}
