/*
 * json_member.c - the C hosts' JSON: a tolerant look-up of a top-level member
 * for the host's own needs (relay pin, simulator geometry, Wi-Fi credentials),
 * and the strict side: a syntax check that says where, and a walker over the
 * members of an object (config_encode.c encodes the config with it).
 * Allocation-free.
 */
#include "host.h"

#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------ strict walker
 * The strict side: a syntax check that says where (RFC 8259 grammar, nesting
 * at most 32) and a walker over the members of a top-level object, which the
 * config encoder (config_encode.c) builds on. */
/* fn (json_walk): called for each member of the top-level object until it
 * returns false (then `stopped`, at offset `stop_at`); the syntax is checked
 * to the end either way. */
struct jcur {
  const char *t;
  size_t n, i;
  int depth;
  json_member_fn fn;
  void *ctx;
  bool stopped;
  size_t stop_at;
};
static void jws(struct jcur *c) {
  while (c->i < c->n && (c->t[c->i] == ' ' || c->t[c->i] == '\t' || c->t[c->i] == '\n' || c->t[c->i] == '\r')) c->i++;
}
static const char *jvalue(struct jcur *c);
static const char *jstring(struct jcur *c) {
  if (c->i >= c->n || c->t[c->i] != '"') return "expected a string in double quotes";
  for (c->i++; c->i < c->n; c->i++) {
    unsigned char ch = (unsigned char)c->t[c->i];
    if (ch == '"') { c->i++; return NULL; }
    if (ch < 0x20) return "control character in a string";
    if (ch == '\\') {
      c->i++;
      if (c->i >= c->n) break;
      if (c->t[c->i] == 'u') {
        for (int k = 0; k < 4; k++) {
          c->i++;
          if (c->i >= c->n || !strchr("0123456789abcdefABCDEF", c->t[c->i])) return "bad \\u escape";
        }
      } else if (!strchr("\"\\/bfnrt", c->t[c->i])) {
        return "bad escape in a string";
      }
    }
  }
  return "unterminated string";
}
static const char *jnumber(struct jcur *c) {
  size_t s = c->i;
  if (c->i < c->n && c->t[c->i] == '-') c->i++;
  if (c->i >= c->n || c->t[c->i] < '0' || c->t[c->i] > '9') { c->i = s; return "expected a value"; }
  if (c->t[c->i] == '0') c->i++;
  else while (c->i < c->n && c->t[c->i] >= '0' && c->t[c->i] <= '9') c->i++;
  if (c->i < c->n && c->t[c->i] == '.') {
    c->i++;
    if (c->i >= c->n || c->t[c->i] < '0' || c->t[c->i] > '9') return "expected a digit after the decimal point";
    while (c->i < c->n && c->t[c->i] >= '0' && c->t[c->i] <= '9') c->i++;
  }
  if (c->i < c->n && (c->t[c->i] == 'e' || c->t[c->i] == 'E')) {
    c->i++;
    if (c->i < c->n && (c->t[c->i] == '+' || c->t[c->i] == '-')) c->i++;
    if (c->i >= c->n || c->t[c->i] < '0' || c->t[c->i] > '9') return "expected a digit in the exponent";
    while (c->i < c->n && c->t[c->i] >= '0' && c->t[c->i] <= '9') c->i++;
  }
  return NULL;
}
static const char *jcontainer(struct jcur *c, char close) {
  if (++c->depth > 32) return "nested too deeply";
  c->i++;
  jws(c);
  if (c->i < c->n && c->t[c->i] == close) { c->i++; c->depth--; return NULL; }
  for (;;) {
    const char *e;
    size_t k = c->i, k_end = 0;
    if (close == '}') {
      if ((e = jstring(c)) != NULL) return c->i < c->n && c->t[c->i] == '}' ? "trailing comma before }" : "expected a member name in double quotes";
      k_end = c->i;
      jws(c);
      if (c->i >= c->n || c->t[c->i] != ':') return "expected : after the member name";
      c->i++;
    }
    jws(c);
    size_t v = c->i;
    if ((e = jvalue(c)) != NULL) return e;
    if (close == '}' && c->depth == 1 && c->fn && !c->stopped && !c->fn(c->ctx, c->t + k, k_end - k, c->t + v, c->i - v)) {
      c->stopped = true;
      c->stop_at = v;
    }
    jws(c);
    if (c->i < c->n && c->t[c->i] == ',') { c->i++; jws(c); continue; }
    if (c->i < c->n && c->t[c->i] == close) { c->i++; c->depth--; return NULL; }
    return close == '}' ? "expected , or } after a member" : "expected , or ] after an item";
  }
}
static const char *jvalue(struct jcur *c) {
  jws(c);
  if (c->i >= c->n) return "unexpected end of the file";
  char ch = c->t[c->i];
  if (ch == '{') return jcontainer(c, '}');
  if (ch == '[') return jcontainer(c, ']');
  if (ch == '"') return jstring(c);
  if (c->n - c->i >= 4 && memcmp(c->t + c->i, "true", 4) == 0) { c->i += 4; return NULL; }
  if (c->n - c->i >= 5 && memcmp(c->t + c->i, "false", 5) == 0) { c->i += 5; return NULL; }
  if (c->n - c->i >= 4 && memcmp(c->t + c->i, "null", 4) == 0) { c->i += 4; return NULL; }
  return jnumber(c);
}
static const char *jdocument(struct jcur *c, size_t *at) {
  const char *e = jvalue(c);
  if (!e) {
    jws(c);
    if (c->i < c->n) e = "unexpected text after the JSON value";
  }
  *at = c->i;
  return e;
}

const char *json_check(const char *t, size_t n, size_t *at) {
  struct jcur c = {t, n, 0, 0, NULL, NULL, false, 0};
  return jdocument(&c, at);
}

const char *json_walk(const char *t, size_t n, json_member_fn fn, void *ctx, size_t *at) {
  struct jcur c = {t, n, 0, 0, fn, ctx, false, 0};
  jws(&c);
  bool object = c.i < c.n && c.t[c.i] == '{';
  size_t start = c.i;
  const char *e = jdocument(&c, at);
  if (e) return e;
  if (!object) {
    *at = start;
    return "the config must be one JSON object";
  }
  if (c.stopped) *at = c.stop_at;
  return NULL;
}

static size_t skip_ws(const char *s, size_t i, size_t n) {
  while (i < n && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r')) i++;
  return i;
}

/* s[i] is '"': returns the index just past the closing quote (n if none). */
static size_t skip_string(const char *s, size_t i, size_t n) {
  for (i++; i < n; i++) {
    if (s[i] == '\\') i++;
    else if (s[i] == '"') return i + 1;
  }
  return n;
}

/* Returns the index just past the value starting at s[i]. */
static size_t skip_value(const char *s, size_t i, size_t n) {
  if (i >= n) return n;
  if (s[i] == '"') return skip_string(s, i, n);
  if (s[i] == '{' || s[i] == '[') {
    int depth = 0;
    while (i < n) {
      char c = s[i];
      if (c == '"') { i = skip_string(s, i, n); continue; }
      if (c == '{' || c == '[') depth++;
      else if (c == '}' || c == ']') {
        if (--depth == 0) return i + 1;
      }
      i++;
    }
    return n;
  }
  while (i < n && s[i] != ',' && s[i] != '}' && s[i] != ']' && s[i] != ' ' && s[i] != '\t' &&
         s[i] != '\n' && s[i] != '\r')
    i++;
  return i;
}

bool json_member(const char *s, size_t n, const char *name, const char **val, size_t *val_len) {
  size_t name_len = strlen(name);
  size_t i = skip_ws(s, 0, n);
  if (i >= n || s[i] != '{') return false;
  i++;
  for (;;) {
    i = skip_ws(s, i, n);
    if (i >= n || s[i] != '"') return false;
    size_t key = i + 1;
    i = skip_string(s, i, n);
    size_t key_len = i - 1 - key;
    i = skip_ws(s, i, n);
    if (i >= n || s[i] != ':') return false;
    i = skip_ws(s, i + 1, n);
    size_t start = i;
    i = skip_value(s, i, n);
    if (key_len == name_len && memcmp(s + key, name, name_len) == 0 && i > start) {
      *val = s + start;
      *val_len = i - start;
      return true;
    }
    i = skip_ws(s, i, n);
    if (i >= n || s[i] != ',') return false;
    i++;
  }
}

bool json_member_num(const char *s, size_t n, const char *name, double *out) {
  const char *v;
  size_t len;
  char buf[24];
  if (!json_member(s, n, name, &v, &len) || len >= sizeof buf) return false;
  memcpy(buf, v, len);
  buf[len] = 0;
  char *end;
  double d = strtod(buf, &end);
  if (end == buf || *end) return false;
  *out = d;
  return true;
}

bool json_member_int(const char *s, size_t n, const char *name, long *out) {
  double d;
  if (!json_member_num(s, n, name, &d)) return false;
  *out = (long)d;
  return true;
}

bool json_member_bool(const char *s, size_t n, const char *name, bool *out) {
  const char *v;
  size_t len;
  if (!json_member(s, n, name, &v, &len)) return false;
  if (len == 4 && memcmp(v, "true", 4) == 0) *out = true;
  else if (len == 5 && memcmp(v, "false", 5) == 0) *out = false;
  else return false;
  return true;
}

bool json_member_str(const char *s, size_t n, const char *name, char *out, size_t cap) {
  const char *v;
  size_t len, o = 0;
  if (!json_member(s, n, name, &v, &len) || len < 2 || v[0] != '"' || cap == 0) return false;
  for (size_t i = 1; i + 1 < len; i++) {
    char c = v[i];
    if (c == '\\' && i + 2 < len) {
      c = v[++i];
      if (c == 'n') c = '\n';
      else if (c == 't') c = '\t';
      else if (c != '"' && c != '\\' && c != '/') return false; /* \uXXXX etc.: not needed here */
    }
    if (o + 1 >= cap) return false;
    out[o++] = c;
  }
  out[o] = 0;
  return true;
}
