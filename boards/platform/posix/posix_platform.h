/* posix_platform.h - options of the posix platform, set by main.c. */
#ifndef IOTBIND_POSIX_PLATFORM_H
#define IOTBIND_POSIX_PLATFORM_H

#include <stdint.h>

struct posix_options {
  const char *kv_path;    /* key-value file, NULL = in memory only */
  const char *hw_id;      /* hardware id, NULL = /etc/machine-id */
  uint32_t millis_offset; /* added to the clock (to test the u32 wrap) */
  int log_level;          /* highest level printed: 0 error .. 3 debug */
  const char *ota_dir;    /* OTA slots and state (--ota-dir), NULL = no OTA */
};

extern struct posix_options posix_opts;

#endif
