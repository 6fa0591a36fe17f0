/*
 * A small key-value table in RAM behind hal_kv_get / hal_kv_set
 * (docs/ABI.md "kv"): keys are 1..KV_TABLE_KEY printable ASCII bytes
 * (0x21..0x7e), values 0..KV_TABLE_VAL bytes. The caller owns the slots
 * (static storage sized for its platform) and decides whether a change is
 * persisted (the posix host writes a file after each set).
 */
#ifndef IOTBIND_KV_TABLE_H
#define IOTBIND_KV_TABLE_H

#include <stdbool.h>
#include <stdint.h>

#define KV_TABLE_KEY 15
#define KV_TABLE_VAL 64

struct kv_entry {
  char key[KV_TABLE_KEY + 1]; /* NUL-terminated */
  uint8_t val[KV_TABLE_VAL];
  int32_t len;
};

struct kv_table {
  struct kv_entry *slots;
  int cap;   /* number of slots */
  int count; /* slots in use, 0..cap */
};

/* True when `key` is a well-formed key (length and bytes). */
bool kv_table_key_ok(const uint8_t *key, int32_t key_len);
/* hal_kv_get's contract: bytes copied (at most cap), -1 not found, -2 bad arguments. */
int32_t kv_table_get(const struct kv_table *t, const uint8_t *key, int32_t key_len, uint8_t *buf, int32_t cap);
/* hal_kv_set's contract: 0 stored, -2 bad arguments or no free slot. */
int32_t kv_table_set(struct kv_table *t, const uint8_t *key, int32_t key_len, const uint8_t *val, int32_t val_len);

#endif
