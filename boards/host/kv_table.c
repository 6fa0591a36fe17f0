#include "kv_table.h"

#include <string.h>

bool kv_table_key_ok(const uint8_t *key, int32_t key_len) {
  if (key_len < 1 || key_len > KV_TABLE_KEY) return false;
  for (int32_t i = 0; i < key_len; i++)
    if (key[i] <= 0x20 || key[i] >= 0x7f) return false;
  return true;
}

static int kv_find(const struct kv_table *t, const uint8_t *key, int32_t key_len) {
  for (int i = 0; i < t->count; i++)
    if ((int32_t)strlen(t->slots[i].key) == key_len && memcmp(t->slots[i].key, key, (size_t)key_len) == 0) return i;
  return -1;
}

int32_t kv_table_get(const struct kv_table *t, const uint8_t *key, int32_t key_len, uint8_t *buf, int32_t cap) {
  if (!kv_table_key_ok(key, key_len) || cap < 0) return -2;
  int i = kv_find(t, key, key_len);
  if (i < 0) return -1;
  int32_t n = t->slots[i].len < cap ? t->slots[i].len : cap;
  memcpy(buf, t->slots[i].val, (size_t)n);
  return n;
}

int32_t kv_table_set(struct kv_table *t, const uint8_t *key, int32_t key_len, const uint8_t *val, int32_t val_len) {
  if (!kv_table_key_ok(key, key_len) || val_len < 0 || val_len > KV_TABLE_VAL) return -2;
  int i = kv_find(t, key, key_len);
  if (i < 0) {
    if (t->count == t->cap) return -2;
    i = t->count++;
    memcpy(t->slots[i].key, key, (size_t)key_len);
    t->slots[i].key[key_len] = 0;
  }
  memcpy(t->slots[i].val, val, (size_t)val_len);
  t->slots[i].len = val_len;
  return 0;
}
