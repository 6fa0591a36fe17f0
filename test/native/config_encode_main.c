/* Test driver of boards/host/config_encode.c (test/config/binary.test.ts):
 * reads JSON configs, one per line, from stdin; prints per line the binary
 * config as hex, or "ERR <status> <text>". */
#include <stdio.h>
#include <string.h>

#include "host.h"

/* config_encode.c logs nothing, but host.h declares these for the rest of the host. */
void platform_log_line(int level, const char *source, const char *text, size_t len) { (void)level; (void)source; (void)text; (void)len; }
void platform_sleep_ms(uint32_t ms) { (void)ms; }

int main(void) {
  static char line[1 << 16];
  while (fgets(line, sizeof line, stdin)) {
    size_t n = strlen(line);
    if (n > 0 && line[n - 1] == '\n') line[--n] = 0;
    uint8_t out[4096]; /* > IOTBIND_CONFIG_MAX_BYTES */
    char err[256];
    long r = config_encode(line, n, out, sizeof out, err, sizeof err);
    if (r < 0) {
      printf("ERR %ld %s\n", r, err);
      continue;
    }
    for (long i = 0; i < r; i++) printf("%02x", out[i]);
    printf("\n");
  }
  return 0;
}
