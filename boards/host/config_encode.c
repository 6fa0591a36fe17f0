/*
 * config_encode.c - the JSON config -> the binary config (docs/CONFIG.md
 * "Binary config"): the format byte, then per member [index u8] and an i32
 * LE, or [length u8][UTF-8 bytes] for strings. The same bytes as the Node
 * host's encoder (sim/config-binary.ts) for the same JSON
 * (test/config/binary.test.ts checks it on random configs).
 *
 * It refuses what JSON alone gets wrong, naming the member: syntax, not an
 * object, an unknown or duplicate member, a wrong JSON type, a fraction where
 * an integer belongs, a word not in the list, a string longer than its
 * maximum. Ranges, topic and client-id rules and the cross-member rules are
 * the firmware's (its errors name the member by index: config_render_error).
 */
#include "host.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config_schema.h"

struct enc {
  uint8_t *out;
  size_t cap, len;
  char *err;
  size_t err_cap;
  long status;
  unsigned char seen[IOTBIND_CONFIG_MEMBERS];
};

static bool fail(struct enc *e, long status, const char *name, const char *rule) {
  e->status = status;
  if (name) snprintf(e->err, e->err_cap, "config: member \"%s\": %s", name, rule);
  else snprintf(e->err, e->err_cap, "config: not a well-formed JSON object (%s)", rule);
  return false;
}

static int hex(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return c - 'A' + 10; /* json_walk checked the digits */
}

/* Length of the well-formed UTF-8 sequence at s (RFC 3629), 0 when ill-formed. */
static size_t utf8_len(const unsigned char *s, size_t avail) {
  size_t n;
  unsigned char lo = 0x80, hi = 0xBF;
  if (s[0] < 0x80) return 1;
  if (s[0] >= 0xC2 && s[0] <= 0xDF) n = 2;
  else if (s[0] >= 0xE0 && s[0] <= 0xEF) { n = 3; if (s[0] == 0xE0) lo = 0xA0; else if (s[0] == 0xED) hi = 0x9F; }
  else if (s[0] >= 0xF0 && s[0] <= 0xF4) { n = 4; if (s[0] == 0xF0) lo = 0x90; else if (s[0] == 0xF4) hi = 0x8F; }
  else return 0;
  if (n > avail || s[1] < lo || s[1] > hi) return 0;
  for (size_t k = 2; k < n; k++)
    if (s[k] < 0x80 || s[k] > 0xBF) return 0;
  return n;
}

/* Decodes the JSON string token s (with quotes, syntax already checked) into
 * out: its length, -1 when longer than cap, -2 when it holds a lone surrogate
 * or ill-formed UTF-8. */
static long decode_string(const char *s, size_t n, uint8_t *out, size_t cap) {
  size_t o = 0;
  for (size_t i = 1; i + 1 < n;) {
    unsigned long cp;
    if (s[i] != '\\') {
      size_t k = utf8_len((const unsigned char *)s + i, n - 1 - i);
      if (k == 0) return -2;
      if (o + k > cap) return -1;
      memcpy(out + o, s + i, k);
      o += k;
      i += k;
      continue;
    }
    char c = s[i + 1];
    i += 2;
    if (c != 'u') {
      const char *from = "\"\\/bfnrt", *to = "\"\\/\b\f\n\r\t";
      if (o + 1 > cap) return -1;
      out[o++] = (uint8_t)to[strchr(from, c) - from];
      continue;
    }
    cp = (unsigned long)(hex(s[i]) << 12 | hex(s[i + 1]) << 8 | hex(s[i + 2]) << 4 | hex(s[i + 3]));
    i += 4;
    if (cp >= 0xDC00 && cp <= 0xDFFF) return -2;
    if (cp >= 0xD800 && cp <= 0xDBFF) {
      if (i + 6 > n - 1 || s[i] != '\\' || s[i + 1] != 'u') return -2;
      unsigned long lo = (unsigned long)(hex(s[i + 2]) << 12 | hex(s[i + 3]) << 8 | hex(s[i + 4]) << 4 | hex(s[i + 5]));
      if (lo < 0xDC00 || lo > 0xDFFF) return -2;
      cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
      i += 6;
    }
    size_t k = cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
    if (o + k > cap) return -1;
    if (k == 1) out[o++] = (uint8_t)cp;
    else {
      static const uint8_t lead[5] = {0, 0, 0xC0, 0xE0, 0xF0};
      out[o] = (uint8_t)(lead[k] | (cp >> (6 * (k - 1))));
      for (size_t j = 1; j < k; j++) out[o + j] = (uint8_t)(0x80 | ((cp >> (6 * (k - 1 - j))) & 0x3F));
      o += k;
    }
  }
  return (long)o;
}

static bool put_i32(struct enc *e, long index, long v) {
  if (e->len + 5 > e->cap) return fail(e, CONFIG_ENCODE_EMPTY, NULL, "longer than the config buffer");
  uint32_t u = (uint32_t)v;
  e->out[e->len++] = (uint8_t)index;
  for (int k = 0; k < 4; k++) e->out[e->len++] = (uint8_t)(u >> (8 * k));
  return true;
}

static bool member(void *ctx, const char *name, size_t name_len, const char *v, size_t vl) {
  struct enc *e = ctx;
  char key[512];
  long kl = decode_string(name, name_len, (uint8_t *)key, sizeof key - 1);
  if (kl == -2) return fail(e, CONFIG_ENCODE_SYNTAX, NULL, "a lone surrogate or ill-formed UTF-8 in a member name");
  if (kl < 0) kl = sizeof key - 1; /* longer than any member: unknown, named by its start */
  key[kl] = 0;
  long i = 0;
  while (i < IOTBIND_CONFIG_MEMBERS && (strlen(iotbind_cfg_members[i].name) != (size_t)kl || memcmp(iotbind_cfg_members[i].name, key, (size_t)kl) != 0)) i++;
  if (i == IOTBIND_CONFIG_MEMBERS) return fail(e, CONFIG_ENCODE_MEMBER, key, "is not a known member (see docs/CONFIG.md)");
  const struct iotbind_cfg_member *m = &iotbind_cfg_members[i];
  if (e->seen[i]) return fail(e, CONFIG_ENCODE_MEMBER, m->name, "is given more than once");
  e->seen[i] = 1;
  char rule[200];
  switch (m->kind) {
    case IOTBIND_CFG_BOOL:
      if (vl == 4 && memcmp(v, "true", 4) == 0) return put_i32(e, i, 1);
      if (vl == 5 && memcmp(v, "false", 5) == 0) return put_i32(e, i, 0);
      return fail(e, CONFIG_ENCODE_MEMBER, m->name, "must be true or false");
    case IOTBIND_CFG_WORD: {
      uint8_t w[64];
      long wl = v[0] == '"' ? decode_string(v, vl, w, sizeof w) : -1;
      for (long k = 0; wl >= 0 && m->words[k]; k++)
        if (strlen(m->words[k]) == (size_t)wl && memcmp(m->words[k], w, (size_t)wl) == 0) return put_i32(e, i, k);
      size_t o = (size_t)snprintf(rule, sizeof rule, "must be one of:");
      for (long k = 0; m->words[k] && o < sizeof rule; k++) o += (size_t)snprintf(rule + o, sizeof rule - o, " %s", m->words[k]);
      return fail(e, CONFIG_ENCODE_MEMBER, m->name, rule);
    }
    case IOTBIND_CFG_STRING:
    case IOTBIND_CFG_TOPIC: {
      if (v[0] != '"') return fail(e, CONFIG_ENCODE_MEMBER, m->name, "must be a string");
      if (e->len + 2 > e->cap) return fail(e, CONFIG_ENCODE_EMPTY, NULL, "longer than the config buffer");
      size_t room = e->cap - e->len - 2;
      long n = decode_string(v, vl, e->out + e->len + 2, room < (size_t)m->max ? room : (size_t)m->max);
      if (n == -2) return fail(e, CONFIG_ENCODE_SYNTAX, NULL, "a lone surrogate or ill-formed UTF-8 in a string");
      if (n < 0) {
        snprintf(rule, sizeof rule, "is too long (at most %ld bytes)", m->max);
        return fail(e, CONFIG_ENCODE_MEMBER, m->name, rule);
      }
      e->out[e->len] = (uint8_t)i;
      e->out[e->len + 1] = (uint8_t)n;
      e->len += 2 + (size_t)n;
      return true;
    }
    default: { /* INT, SECONDS, SCALED */
      char num[40];
      if (!(v[0] == '-' || (v[0] >= '0' && v[0] <= '9'))) return fail(e, CONFIG_ENCODE_MEMBER, m->name, "must be a number");
      if (vl >= sizeof num) vl = sizeof num - 1;
      memcpy(num, v, vl);
      num[vl] = 0;
      double d = strtod(num, NULL);
      snprintf(rule, sizeof rule, "must be between %ld and %ld", m->min, m->max);
      if (!isfinite(d)) return fail(e, CONFIG_ENCODE_MEMBER, m->name, rule);
      if (m->kind == IOTBIND_CFG_SCALED) {
        double s = d * 10;
        d = s < 0 ? -floor(-s + 0.5) : floor(s + 0.5);
      } else if (d != floor(d)) {
        return fail(e, CONFIG_ENCODE_MEMBER, m->name, "must be an integer");
      }
      if (d < -2147483648.0 || d > 2147483647.0) return fail(e, CONFIG_ENCODE_MEMBER, m->name, rule);
      return put_i32(e, i, (long)d);
    }
  }
}

long config_encode(const char *json, size_t len, uint8_t *out, size_t cap, char *err, size_t err_cap) {
  struct enc e;
  memset(&e, 0, sizeof e);
  e.out = out;
  e.cap = cap;
  e.err = err;
  e.err_cap = err_cap;
  if (err_cap) err[0] = 0;
  if (len == 0) {
    snprintf(err, err_cap, "config: empty");
    return CONFIG_ENCODE_EMPTY;
  }
  if (cap < 1) {
    fail(&e, CONFIG_ENCODE_EMPTY, NULL, "longer than the config buffer");
    return CONFIG_ENCODE_EMPTY;
  }
  out[e.len++] = IOTBIND_CONFIG_FORMAT;
  size_t at = 0;
  /* One pass; the syntax is checked to the end, and a syntax error wins: a
   * member error must not hide a syntax error after it. */
  const char *syntax = json_walk(json, len, member, &e, &at);
  if (syntax) {
    char why[120];
    snprintf(why, sizeof why, "%s at offset %lu", syntax, (unsigned long)at);
    fail(&e, CONFIG_ENCODE_SYNTAX, NULL, why);
    return CONFIG_ENCODE_SYNTAX;
  }
  if (e.status) return e.status;
  return (long)e.len;
}

const char *config_member_name(long index) {
  return index >= 0 && index < IOTBIND_CONFIG_MEMBERS ? iotbind_cfg_members[index].name : NULL;
}

void config_render_error(const char *text, char *out, size_t cap) {
  static const char prefix[] = "config: member #";
  char *end = NULL;
  long i = -1;
  if (strncmp(text, prefix, sizeof prefix - 1) == 0) i = strtol(text + sizeof prefix - 1, &end, 10);
  const char *name = config_member_name(i);
  if (name && end && *end == ':') snprintf(out, cap, "config: member \"%s\"%s", name, end);
  else snprintf(out, cap, "%s", text);
}

bool config_member_int(const char *config, size_t len, const char *name, long *out) {
  const uint8_t *b = (const uint8_t *)config;
  if (len == 0 || b[0] != IOTBIND_CONFIG_FORMAT) {
    bool flag;
    if (json_member_bool(config, len, name, &flag)) {
      *out = flag;
      return true;
    }
    return json_member_int(config, len, name, out);
  }
  for (size_t i = 1; i < len && b[i] < IOTBIND_CONFIG_MEMBERS;) {
    const struct iotbind_cfg_member *m = &iotbind_cfg_members[b[i]];
    bool str = m->kind == IOTBIND_CFG_STRING || m->kind == IOTBIND_CFG_TOPIC;
    size_t next = str ? (i + 1 < len ? i + 2 + b[i + 1] : len + 1) : i + 5;
    if (next > len) return false;
    if (!str && strcmp(m->name, name) == 0) {
      uint32_t u = (uint32_t)b[i + 1] | (uint32_t)b[i + 2] << 8 | (uint32_t)b[i + 3] << 16 | (uint32_t)b[i + 4] << 24;
      *out = u <= 0x7fffffffu ? (long)u : -(long)(0xffffffffu - u) - 1;
      return true;
    }
    i = next;
  }
  return false;
}
