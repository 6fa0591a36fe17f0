/*
 * json_member.c - finds a top-level member of a JSON object for the host's own
 * needs (relay pin, simulator geometry, Wi-Fi credentials). Tolerant and
 * allocation-free; it validates nothing: the firmware's config parser decides
 * whether a config is acceptable.
 */
#include "host.h"

#include <stdlib.h>
#include <string.h>

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
