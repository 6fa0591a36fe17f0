/*
 * ota_posix.c - OTA slot storage of the posix hosts (ota.h): in the
 * directory given with --ota-dir,
 *   slot-a.img, slot-b.img   the image as received (module + 64-byte signature)
 *   state                    one line: active=A trial=0 previous=A len_a=0 len_b=31415 version=65536
 * The state file is replaced atomically (write state.tmp, fsync, rename), so
 * a crash leaves the old or the new record, never half of one.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "host.h"
#include "ota.h"
#include "posix_platform.h"

#define SLOT_CAPACITY (256u * 1024u)

static void slot_path(int slot, char *out, size_t cap) {
  snprintf(out, cap, "%s/slot-%c.img", posix_opts.ota_dir, "ab"[slot & 1]);
}

uint32_t ota_store_capacity(void) { return SLOT_CAPACITY; }

int ota_store_erase(int slot, uint32_t size) {
  char path[1024];
  (void)size;
  slot_path(slot, path, sizeof path);
  FILE *f = fopen(path, "wb");
  if (!f) {
    host_log(IOTBIND_LOG_ERROR, "ota: cannot create %s: %s", path, strerror(errno));
    return -1;
  }
  return fclose(f) == 0 ? 0 : -1;
}

int ota_store_write(int slot, uint32_t offset, const uint8_t *p, uint32_t n) {
  char path[1024];
  slot_path(slot, path, sizeof path);
  FILE *f = fopen(path, "r+b");
  if (!f) return -1;
  int ok = fseek(f, (long)offset, SEEK_SET) == 0 && fwrite(p, 1, n, f) == n;
  if (fclose(f) != 0) ok = 0;
  if (!ok) host_log(IOTBIND_LOG_ERROR, "ota: cannot write %s: %s", path, strerror(errno));
  return ok ? 0 : -1;
}

int ota_store_read(int slot, uint32_t offset, uint8_t *p, uint32_t n) {
  char path[1024];
  slot_path(slot, path, sizeof path);
  FILE *f = fopen(path, "rb");
  if (!f) return -1;
  int ok = fseek(f, (long)offset, SEEK_SET) == 0 && fread(p, 1, n, f) == n;
  fclose(f);
  return ok ? 0 : -1;
}

int ota_store_load(struct ota_record *r) {
  char path[1024], active = 0, previous = 0;
  unsigned trial = 0;
  unsigned long la = 0, lb = 0, version = 0;
  snprintf(path, sizeof path, "%s/state", posix_opts.ota_dir);
  FILE *f = fopen(path, "r");
  if (!f) return -1;
  int n = fscanf(f, "active=%c trial=%u previous=%c len_a=%lu len_b=%lu version=%lu", &active, &trial, &previous,
                 &la, &lb, &version);
  fclose(f);
  if (n != 6 || (active != 'A' && active != 'B') || (previous != 'A' && previous != 'B') || trial > 1 ||
      la > SLOT_CAPACITY || lb > SLOT_CAPACITY) {
    host_log(IOTBIND_LOG_WARN, "ota: %s is not a state record: starting from slot A", path);
    return -1;
  }
  memset(r, 0, sizeof *r);
  r->magic = OTA_RECORD_MAGIC;
  r->active = (uint8_t)(active - 'A');
  r->previous = (uint8_t)(previous - 'A');
  r->trial = (uint8_t)trial;
  r->len[0] = (uint32_t)la;
  r->len[1] = (uint32_t)lb;
  r->trial_version = (uint32_t)version;
  return 0;
}

int ota_store_save(const struct ota_record *r) {
  char path[1024], tmp[1040];
  snprintf(path, sizeof path, "%s/state", posix_opts.ota_dir);
  snprintf(tmp, sizeof tmp, "%s.tmp", path);
  FILE *f = fopen(tmp, "w");
  if (!f) {
    host_log(IOTBIND_LOG_ERROR, "ota: cannot write %s: %s", tmp, strerror(errno));
    return -1;
  }
  fprintf(f, "active=%c trial=%u previous=%c len_a=%lu len_b=%lu version=%lu\n", 'A' + r->active, (unsigned)r->trial,
          'A' + r->previous, (unsigned long)r->len[0], (unsigned long)r->len[1], (unsigned long)r->trial_version);
  int ok = fflush(f) == 0 && fsync(fileno(f)) == 0;
  if (fclose(f) != 0) ok = 0;
  if (!ok || rename(tmp, path) != 0) {
    host_log(IOTBIND_LOG_ERROR, "ota: cannot write %s: %s", path, strerror(errno));
    return -1;
  }
  return 0;
}
