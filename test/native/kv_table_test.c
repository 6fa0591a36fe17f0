/* Unit test of boards/host/kv_table.c (the posix and RV32 hosts' hal_kv_*), built and run by c-units.test.ts. */
#include <stdio.h>
#include <string.h>

#include "kv_table.h"

static int failures;
#define CHECK(c) do { if (!(c)) { printf("FAIL line %d: %s\n", __LINE__, #c); failures++; } } while (0)
#define K(s) (const uint8_t *)(s), (int32_t)strlen(s)

int main(void) {
  struct kv_entry slots[3];
  struct kv_table t = {slots, 3, 0};
  uint8_t buf[KV_TABLE_VAL + 8], big[KV_TABLE_VAL + 1];
  memset(big, 0xab, sizeof big);

  /* keys: 1..15 bytes of 0x21..0x7e, anything else refused without a change */
  CHECK(kv_table_set(&t, (const uint8_t *)"", 0, big, 1) == -2);
  CHECK(kv_table_set(&t, K("sixteen-bytes-xx"), big, 1) == -2);
  CHECK(kv_table_set(&t, K("a b"), big, 1) == -2);
  CHECK(kv_table_set(&t, K("tab\t"), big, 1) == -2);
  CHECK(kv_table_set(&t, K("del\x7f"), big, 1) == -2);
  CHECK(kv_table_set(&t, K("hi\x80"), big, 1) == -2);
  CHECK(kv_table_set(&t, K("k"), big, -1) == -2);
  CHECK(kv_table_set(&t, K("k"), big, KV_TABLE_VAL + 1) == -2);
  CHECK(kv_table_get(&t, K("k"), buf, -1) == -2);
  CHECK(t.count == 0);
  CHECK(kv_table_key_ok(K("fifteen-bytes-x")) && kv_table_key_ok(K("!~")));

  /* round trip, truncation to cap, overwrite, empty value */
  CHECK(kv_table_get(&t, K("relay"), buf, sizeof buf) == -1);
  CHECK(kv_table_set(&t, K("relay"), (const uint8_t *)"on", 2) == 0);
  CHECK(kv_table_get(&t, K("relay"), buf, sizeof buf) == 2 && memcmp(buf, "on", 2) == 0);
  CHECK(kv_table_get(&t, K("relay"), buf, 1) == 1 && buf[0] == 'o');
  CHECK(kv_table_get(&t, K("rela"), buf, sizeof buf) == -1);
  CHECK(kv_table_set(&t, K("relay"), (const uint8_t *)"off", 3) == 0 && t.count == 1);
  CHECK(kv_table_get(&t, K("relay"), buf, sizeof buf) == 3 && memcmp(buf, "off", 3) == 0);
  CHECK(kv_table_set(&t, K("empty"), big, 0) == 0 && kv_table_get(&t, K("empty"), buf, sizeof buf) == 0);
  CHECK(kv_table_set(&t, K("max"), big, KV_TABLE_VAL) == 0 && kv_table_get(&t, K("max"), buf, sizeof buf) == KV_TABLE_VAL);

  /* full: a new key is refused, existing keys still change */
  CHECK(t.count == 3);
  CHECK(kv_table_set(&t, K("new"), big, 1) == -2 && t.count == 3);
  CHECK(kv_table_set(&t, K("empty"), (const uint8_t *)"x", 1) == 0);
  CHECK(kv_table_get(&t, K("empty"), buf, sizeof buf) == 1 && buf[0] == 'x');

  printf("%d failures\n", failures);
  return failures != 0;
}
