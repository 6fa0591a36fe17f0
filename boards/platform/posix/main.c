/*
 * main.c - iotbind-tank-host: runs build/firmware.wasm (compiled in through
 * wasm2c) on POSIX against the simulated tank of sim_tank.c.
 *
 *   iotbind-tank-host [options] config.json
 *
 * config.json is the firmware config of docs/ABI.md (member names of
 * assembly/config.ts), e.g. boards/posix/example-config.json. With
 * "broker_tls": true the host terminates TLS, trusting --ca FILE (or the
 * system store).
 */
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "host.h"
#include "posix_platform.h"
#include "sockets_tls.h"
#include "sim_tank.h"

static volatile int stop;

static void on_signal(int sig) {
  (void)sig;
  stop = 1;
}

static void usage(void) {
  fputs("usage: iotbind-tank-host [options] config.json\n"
        "  --level PCT          simulated tank level in %% (default 67)\n"
        "  --temperature C      simulated air temperature (default: the config's temperature_c, else 20)\n"
        "  --sim-file FILE      key=value lines (level, temperature, button, echo) re-read when changed\n"
        "  --kv FILE            key-value storage file (default: in memory only)\n"
        "  --hw-id TEXT         hardware id (default: /etc/machine-id)\n"
        "  --millis-offset MS   start the millisecond clock this far on (u32 wrap tests)\n"
        "  --max-restarts N     exit with status 5 after N restarts after traps (default unlimited)\n"
        "  --wasm FILE          module bytes for a runtime that loads them (WAMR); the wasm2c\n"
        "                       build runs the module it was compiled from and ignores this\n"
        "  --ca FILE            PEM CA bundle trusted for a broker_tls connection\n"
        "                       (default: the system store /etc/ssl/certs/ca-certificates.crt)\n"
        "  --verbose            debug logging\n"
        "exit status: 0 stopped by SIGINT/SIGTERM, 1 usage or I/O error, 2 config refused,\n"
        "             3 module refused, 4 hardware setup failed, 5 too many restarts\n",
        stderr);
}

int main(int argc, char **argv) {
  const char *config_path = NULL, *wasm_path = NULL;
  struct host_params p;
  memset(&p, 0, sizeof p);
  p.max_restarts = -1;
  p.stop = &stop;
  sim.level_pct = 67.0;
  sim.temperature_c = NAN;

  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    const char *v = i + 1 < argc ? argv[i + 1] : NULL;
    if (strcmp(a, "--verbose") == 0) posix_opts.log_level = IOTBIND_LOG_DEBUG;
    else if (a[0] == '-' && a[1] == '-' && !v) { usage(); return 1; }
    else if (strcmp(a, "--level") == 0) { sim.level_pct = atof(v); i++; }
    else if (strcmp(a, "--temperature") == 0) { sim.temperature_c = atof(v); i++; }
    else if (strcmp(a, "--sim-file") == 0) { sim.file = v; i++; }
    else if (strcmp(a, "--kv") == 0) { posix_opts.kv_path = v; i++; }
    else if (strcmp(a, "--hw-id") == 0) { posix_opts.hw_id = v; i++; }
    else if (strcmp(a, "--millis-offset") == 0) { posix_opts.millis_offset = (uint32_t)strtoul(v, NULL, 0); i++; }
    else if (strcmp(a, "--max-restarts") == 0) { p.max_restarts = atoi(v); i++; }
    else if (strcmp(a, "--wasm") == 0) { wasm_path = v; i++; }
    else if (strcmp(a, "--ca") == 0) { sockets_tls_configure(v, NULL); i++; }
    else if (a[0] == '-' || config_path) { usage(); return 1; }
    else config_path = a;
  }
  if (!config_path) { usage(); return 1; }

  static char config[64 * 1024];
  FILE *f = fopen(config_path, "rb");
  if (!f) { perror(config_path); return 1; }
  size_t n = fread(config, 1, sizeof config, f);
  int too_long = !feof(f);
  fclose(f);
  if (too_long) { fprintf(stderr, "%s: too long\n", config_path); return 1; }
  /* the firmware wants the JSON text only: drop a trailing newline */
  while (n > 0 && (config[n - 1] == '\n' || config[n - 1] == '\r')) n--;
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
