/*
 * Unit test of boards/host/ota.c + ota_verify.c (the C hosts' OTA: signature
 * check on mbed TLS, transfer rules, slot record, trial/confirm/rollback),
 * built with the hosts' strict flags and run by c-units.test.ts, which makes
 * the keys and the signed vectors at test time (openssl + node:crypto):
 *
 *   ota_test PUBKEY.pem P384KEY.pem VECTORS
 *
 * VECTORS: one line per image, "<expected ota_finish code> <image hex>".
 * Storage is in memory here (the platform's part); every transfer is fed in
 * random chunks with random resends of the last chunk.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "host.h"
#include "ota.h"

static int failures;
#define CHECK(c) do { if (!(c)) { printf("FAIL line %d: %s\n", __LINE__, #c); failures++; } } while (0)
#define CHECK_EQ(a, b) do { long a_ = (long)(a), b_ = (long)(b); if (a_ != b_) { printf("FAIL line %d: %s = %ld, expected %ld\n", __LINE__, #a, a_, b_); failures++; } } while (0)

/* ------------------------------------------------------ platform stand-ins */
#define CAP (64u * 1024u)
static uint8_t slots[2][CAP];
static struct ota_record saved;
static bool have_saved;
static int fail_writes, fail_saves;
static char kv_value[80] = "untouched";

uint32_t ota_store_capacity(void) { return CAP; }
int ota_store_erase(int slot, uint32_t size) {
  if (size > CAP) return -1;
  memset(slots[slot], 0xff, CAP);
  return 0;
}
int ota_store_write(int slot, uint32_t offset, const uint8_t *p, uint32_t n) {
  if (fail_writes) return -1;
  for (uint32_t i = 0; i < n; i++) {
    if (slots[slot][offset + i] != 0xff) { printf("FAIL: byte %lu of slot %d written twice\n", (unsigned long)(offset + i), slot); failures++; }
    slots[slot][offset + i] = p[i];
  }
  return 0;
}
int ota_store_read(int slot, uint32_t offset, uint8_t *p, uint32_t n) {
  memcpy(p, slots[slot] + offset, n);
  return 0;
}
int ota_store_load(struct ota_record *r) {
  if (!have_saved) return -1;
  *r = saved;
  return 0;
}
int ota_store_save(const struct ota_record *r) {
  if (fail_saves) return -1;
  saved = *r;
  have_saved = true;
  return 0;
}
int32_t hal_kv_set(const uint8_t *key, int32_t key_len, const uint8_t *val, int32_t val_len) {
  if (key_len != 12 || memcmp(key, OTA_ROLLBACK_KEY, 12) != 0 || val_len > 64) return -2;
  memcpy(kv_value, val, (size_t)val_len);
  kv_value[val_len] = 0;
  return 0;
}
void host_log(int level, const char *fmt, ...) {
  (void)level;
  (void)fmt;
}

/* --------------------------------------------------------------- helpers */
static uint32_t rng = 12345;
static uint32_t rnd(uint32_t n) {
  rng ^= rng << 13;
  rng ^= rng >> 17;
  rng ^= rng << 5;
  return n ? rng % n : 0;
}

/* Feeds a whole image: begin, random 1..512-byte chunks, sometimes the last chunk again; returns finish's code. */
static int32_t push(const uint8_t *img, uint32_t size) {
  int32_t rc = hal_ota_begin(size);
  if (rc != 0) return rc;
  uint32_t at = 0, last_at = 0, last_len = 0;
  while (at < size) {
    if (last_len && rnd(4) == 0) CHECK_EQ(hal_ota_write(last_at, img + last_at, (int32_t)last_len), 0);
    uint32_t n = 1 + rnd(512);
    if (n > size - at) n = size - at;
    rc = hal_ota_write(at, img + at, (int32_t)n);
    if (rc != 0) return rc;
    last_at = at;
    last_len = n;
    at += n;
  }
  return hal_ota_finish();
}

static uint8_t *read_file(const char *path, size_t *len) {
  FILE *f = fopen(path, "rb");
  if (!f) { printf("cannot open %s\n", path); exit(2); }
  static uint8_t buf[1 << 20];
  *len = fread(buf, 1, sizeof buf, f);
  fclose(f);
  uint8_t *out = malloc(*len + 1);
  memcpy(out, buf, *len);
  out[*len] = 0;
  return out;
}

struct vec { int expect; uint8_t *img; uint32_t size; };
static struct vec vecs[256];
static int nvec;

static void load_vectors(const char *path) {
  size_t len;
  char *text = (char *)read_file(path, &len);
  for (char *line = strtok(text, "\n"); line && nvec < 256; line = strtok(NULL, "\n")) {
    char *hex = strchr(line, ' ');
    if (!hex) continue;
    *hex++ = 0;
    size_t n = strlen(hex) / 2;
    struct vec *v = &vecs[nvec++];
    v->expect = atoi(line);
    v->img = malloc(n ? n : 1);
    v->size = (uint32_t)n;
    for (size_t i = 0; i < n; i++) {
      unsigned b;
      sscanf(hex + 2 * i, "%2x", &b);
      v->img[i] = (uint8_t)b;
    }
  }
}

static const struct vec *good(int k) {
  for (int i = 0; i < nvec; i++)
    if (vecs[i].expect == 0 && k-- == 0) return &vecs[i];
  printf("FAIL: not enough good vectors\n");
  exit(2);
}

/* The module bytes of slot `active` as ota_active_module gives them equal the vector's module part. */
static bool runs(const struct vec *v) {
  uint32_t len = 0;
  uint8_t *m = ota_active_module(&len);
  bool same = m && len == v->size - OTA_SIG_BYTES && memcmp(m, v->img, len) == 0;
  free(m);
  return same;
}

int main(int argc, char **argv) {
  if (argc != 4) { printf("usage: ota_test PUBKEY.pem P384KEY.pem VECTORS\n"); return 2; }
  char err[160];
  size_t klen, k384len;
  const char *key = (const char *)read_file(argv[1], &klen);
  const char *k384 = (const char *)read_file(argv[2], &k384len);
  load_vectors(argv[3]);
  CHECK(nvec >= 20);

  /* no key: UNSUPPORTED, nothing else starts */
  CHECK_EQ(hal_ota_begin(1000), IOTBIND_OTA_UNSUPPORTED);
  CHECK_EQ(hal_ota_write(0, (const uint8_t *)"x", 1), IOTBIND_OTA_NOT_STARTED);
  CHECK(ota_configure("garbage", 7, 0, err, sizeof err) < 0 && !ota_enabled());
  CHECK(ota_configure(k384, k384len, 0, err, sizeof err) < 0 && !ota_enabled());
  CHECK(strstr(err, "P-256") != NULL);
  CHECK(ota_configure(key, klen, 0, err, sizeof err) == 0 && ota_enabled());
  CHECK_EQ(ota_confirm_ms(), 120000);
  CHECK(ota_configure(key, klen, 7, err, sizeof err) == 0 && ota_confirm_ms() == 7000);

  /* every vector, fed in random chunks with resends: the expected verdict */
  for (int i = 0; i < nvec; i++) {
    int32_t rc = push(vecs[i].img, vecs[i].size);
    if (rc != vecs[i].expect) {
      printf("FAIL: vector %d (%lu bytes): finish %ld, expected %d\n", i, (unsigned long)vecs[i].size, (long)rc, vecs[i].expect);
      failures++;
    }
    hal_ota_abort();
  }

  /* transfer rules */
  const struct vec *g = good(0);
  CHECK_EQ(hal_ota_begin(OTA_MIN_IMAGE - 1), IOTBIND_OTA_TOO_LARGE);
  CHECK_EQ(hal_ota_begin(CAP + 1), IOTBIND_OTA_TOO_LARGE);
  CHECK_EQ(hal_ota_finish(), IOTBIND_OTA_NOT_STARTED);
  CHECK_EQ(hal_ota_begin(g->size), 0);
  CHECK_EQ(hal_ota_write(1, g->img + 1, 10), IOTBIND_OTA_TRUNCATED);           /* a gap */
  CHECK_EQ(hal_ota_write(0, g->img, 10), IOTBIND_OTA_NOT_STARTED);             /* the transfer was dropped */
  CHECK_EQ(hal_ota_begin(g->size), 0);
  CHECK_EQ(hal_ota_write(0, g->img, (int32_t)g->size - 1), 0);
  CHECK_EQ(hal_ota_write(g->size - 1, g->img, 2), IOTBIND_OTA_TRUNCATED);      /* past size */
  CHECK_EQ(hal_ota_begin(g->size), 0);
  CHECK_EQ(hal_ota_write(0, g->img, (int32_t)g->size - 1), 0);
  CHECK_EQ(hal_ota_finish(), IOTBIND_OTA_TRUNCATED);                           /* one byte short */
  CHECK_EQ(hal_ota_begin(g->size), 0);
  fail_writes = 1;
  CHECK_EQ(hal_ota_write(0, g->img, (int32_t)g->size), IOTBIND_OTA_STORAGE);
  fail_writes = 0;
  CHECK_EQ(push(g->img, g->size), 0);
  hal_ota_abort();                                                             /* staged, then dropped */
  hal_ota_activate();
  CHECK(!ota_take_activation());
  CHECK(ota_active_module(&(uint32_t){0}) == NULL);                            /* still the shipped module */

  /* A -> B: activate, trial, confirm */
  CHECK_EQ(push(g->img, g->size), 0);
  CHECK(!ota_take_activation());
  hal_ota_activate();
  CHECK(ota_take_activation());
  CHECK(!ota_take_activation());                                               /* once */
  CHECK_EQ(ota_trial_start(), 0);
  CHECK(ota_in_trial() && saved.trial == 1 && saved.active == OTA_SLOT_B && saved.previous == OTA_SLOT_A);
  CHECK(runs(g));
  CHECK_EQ(hal_ota_begin(g->size), IOTBIND_OTA_STORAGE);                      /* the other slot is the rollback */
  ota_trial_version(0x010203);
  ota_trial_confirm();
  CHECK(!ota_in_trial() && saved.trial == 0 && strcmp(kv_value, "") == 0);
  CHECK(runs(g));

  /* B -> A: trial, rollback with a reason and the version */
  const struct vec *g2 = good(1);
  CHECK_EQ(push(g2->img, g2->size), 0);
  hal_ota_activate();
  CHECK(ota_take_activation());
  CHECK_EQ(ota_trial_start(), 0);
  CHECK(saved.active == OTA_SLOT_A && runs(g2));
  ota_trial_version(0x010300);
  ota_trial_rollback("INIT_TRAPPED");
  CHECK(strcmp(kv_value, "INIT_TRAPPED 1.3.0") == 0);
  CHECK(!ota_in_trial() && saved.active == OTA_SLOT_B && saved.trial == 0);
  CHECK(runs(g));

  /* a restart during a trial: rollback at boot (NOT_CONFIRMED), version unknown */
  CHECK_EQ(push(g2->img, g2->size), 0);
  hal_ota_activate();
  CHECK(ota_take_activation() && ota_trial_start() == 0 && runs(g2));
  ota_reset_for_test();                                   /* the process is gone; storage stays */
  CHECK(ota_configure(key, klen, 0, err, sizeof err) == 0 && ota_in_trial());
  ota_boot();
  CHECK(strcmp(kv_value, "NOT_CONFIRMED ?") == 0);
  CHECK(!ota_in_trial() && runs(g));
  ota_boot();                                             /* nothing more to do */
  CHECK(runs(g));

  /* a record that cannot be saved: no switch */
  CHECK_EQ(push(g2->img, g2->size), 0);
  hal_ota_activate();
  CHECK(ota_take_activation());
  fail_saves = 1;
  CHECK(ota_trial_start() < 0 && !ota_in_trial());
  fail_saves = 0;
  CHECK(runs(g));

  /* a corrupt record reads as a fresh one: slot A, the shipped module */
  saved.magic = 0;
  ota_reset_for_test();
  CHECK(ota_configure(key, klen, 0, err, sizeof err) == 0 && !ota_in_trial());
  CHECK(ota_active_module(&(uint32_t){0}) == NULL);

  printf("%d failures\n", failures);
  return failures != 0;
}
