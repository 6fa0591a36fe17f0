/* Unit test of boards/host/json_member.c, built and run by c-units.test.ts. */
#include <stdio.h>
#include <string.h>

#include "host.h"

static int failures;
#define CHECK(c) do { if (!(c)) { printf("FAIL line %d: %s\n", __LINE__, #c); failures++; } } while (0)

/* json_member.c logs nothing, but host.h declares these for the rest of the host. */
void platform_log_line(int level, const char *source, const char *text, size_t len) { (void)level; (void)source; (void)text; (void)len; }
void platform_sleep_ms(uint32_t ms) { (void)ms; }

struct walk {
  int count, stop_at;
  char names[200];
};
static bool visit(void *ctx, const char *name, size_t name_len, const char *val, size_t val_len) {
  struct walk *w = ctx;
  (void)val;
  (void)val_len;
  size_t o = strlen(w->names);
  if (o + name_len + 2 < sizeof w->names) {
    if (w->count) w->names[o++] = ',';
    memcpy(w->names + o, name, name_len);
    w->names[o + name_len] = 0;
  }
  return ++w->count != w->stop_at;
}

int main(void) {
  const char *dev =
      " {\"wifi_ssid\":\"my \\\"net\\\"\", \"odd\":\"} { ] [\", \"n\": -12.0, \"t\":true,\"f\" : false,"
      " \"firmware\": {\"uid\":\"u\",\"nested\":{\"a\":[1,{\"b\":\"}\"}]},\"relay_pin\":23}, \"last\":7 }";
  size_t n = strlen(dev);
  const char *v;
  size_t vl;
  long i = 0;
  bool b = false;
  char s[32];

  CHECK(json_member(dev, n, "firmware", &v, &vl));
  CHECK(vl == strlen("{\"uid\":\"u\",\"nested\":{\"a\":[1,{\"b\":\"}\"}]},\"relay_pin\":23}"));
  CHECK(memcmp(v, "{\"uid\"", 6) == 0 && v[vl - 1] == '}');
  /* members of the nested object are not top-level members */
  CHECK(!json_member(dev, n, "relay_pin", &v, &vl));
  CHECK(json_member(dev, n, "firmware", &v, &vl) && json_member_int(v, vl, "relay_pin", &i) && i == 23);
  CHECK(json_member_int(dev, n, "n", &i) && i == -12);
  CHECK(json_member_int(dev, n, "last", &i) && i == 7);
  CHECK(json_member_bool(dev, n, "t", &b) && b);
  CHECK(json_member_bool(dev, n, "f", &b) && !b);
  CHECK(!json_member_bool(dev, n, "n", &b));
  CHECK(json_member_str(dev, n, "wifi_ssid", s, sizeof s) && strcmp(s, "my \"net\"") == 0);
  CHECK(json_member_str(dev, n, "odd", s, sizeof s) && strcmp(s, "} { ] [") == 0);
  CHECK(!json_member_str(dev, n, "wifi_ssid", s, 4)); /* does not fit */
  CHECK(!json_member_int(dev, n, "wifi_ssid", &i));
  CHECK(!json_member(dev, n, "missing", &v, &vl));
  /* malformed or truncated input: no crash, no match past the damage */
  CHECK(!json_member("", 0, "a", &v, &vl));
  CHECK(!json_member("[1,2]", 5, "a", &v, &vl));
  CHECK(!json_member("{\"a\"", 4, "a", &v, &vl));
  CHECK(!json_member("{\"a\":1 \"b\":2}", 13, "b", &v, &vl));
  CHECK(json_member("{\"a\":{\"x\":1", 11, "b", &v, &vl) == false);
  /* the length bounds the scan: a member after `n` bytes is not found */
  CHECK(!json_member("{\"a\":1,\"b\":2}", 7, "b", &v, &vl));

  /* the strict side: json_check says where, json_walk visits every member in order */
  size_t at = 0;
  CHECK(json_check(dev, n, &at) == NULL);
  CHECK(json_check("{\"a\":1,}", 8, &at) != NULL && at == 7);
  CHECK(json_check("{\"a\":01}", 8, &at) != NULL);
  CHECK(json_check("{\"a\":\"\\x\"}", 10, &at) != NULL);
  CHECK(json_check("[1] x", 5, &at) != NULL && at == 4);
  struct walk w = {0, 0, ""};
  CHECK(json_walk(dev, n, visit, &w, &at) == NULL && w.count == 7);
  CHECK(strcmp(w.names, "\"wifi_ssid\",\"odd\",\"n\",\"t\",\"f\",\"firmware\",\"last\"") == 0);
  w.count = 0;
  w.stop_at = 2;
  CHECK(json_walk(dev, n, visit, &w, &at) == NULL && w.count == 2); /* stopped by the callback */
  w.count = 0;
  w.stop_at = 0;
  CHECK(json_walk("[1]", 3, visit, &w, &at) != NULL && w.count == 0);
  CHECK(json_walk("{\"a\":1,\"b\"}", 12, visit, &w, &at) != NULL && w.count == 1);
  CHECK(json_walk("{}", 2, visit, &w, &at) == NULL);

  printf("%d failures\n", failures);
  return failures != 0;
}
