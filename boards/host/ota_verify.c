/*
 * ota_verify.c - the signature check of an OTA image on mbed TLS, shared by
 * the posix hosts (Debian's mbed TLS 2.28) and ESP32 (ESP-IDF's 3.x): only
 * calls that both versions have (mbedtls_pk_parse_public_key, mbedtls_pk_verify,
 * SHA-256 through the version's own start/update/finish names).
 *
 * Contract (docs/OTA.md "Signed image"): signature = ECDSA P-256 over
 * SHA-256(module bytes), raw r || s (32 + 32 bytes, big-endian, "IEEE P1363");
 * the key is a PEM SubjectPublicKeyInfo of a prime256v1 key. mbedtls_pk_verify
 * takes the DER form, so r || s is re-encoded here as SEQUENCE { INTEGER r,
 * INTEGER s }; a zero r or s is refused before that (never valid).
 */
#include "ota.h"

#include <stdio.h>
#include <string.h>

#include "mbedtls/ecp.h"
#include "mbedtls/error.h"
#include "mbedtls/pk.h"
#include "mbedtls/sha256.h"
#include "mbedtls/version.h"

/* The longest PEM taken (the RV32 image, short of RAM, builds with less). */
#ifndef OTA_PEM_MAX
#define OTA_PEM_MAX 1024
#endif

#ifndef MBEDTLS_PRIVATE /* 2.x: struct members are public */
#define MBEDTLS_PRIVATE(m) m
#endif

#if MBEDTLS_VERSION_NUMBER < 0x03000000 /* 2.x: the int-returning SHA-256 calls end in _ret */
#define mbedtls_sha256_starts mbedtls_sha256_starts_ret
#define mbedtls_sha256_update mbedtls_sha256_update_ret
#define mbedtls_sha256_finish mbedtls_sha256_finish_ret
#endif

static mbedtls_pk_context key;
static bool key_ready;
static mbedtls_sha256_context sha;

int ota_verify_set_key(const char *pem, size_t len, char *err, size_t err_cap) {
  /* mbed TLS wants a PEM NUL-terminated, with the NUL counted */
  static unsigned char buf[OTA_PEM_MAX]; /* a P-256 SubjectPublicKeyInfo PEM is 178 bytes */
  if (len == 0 || len >= sizeof buf) {
    snprintf(err, err_cap, "the public key is %lu bytes; a PEM P-256 public key is about 180",
             (unsigned long)len);
    return -1;
  }
  memcpy(buf, pem, len);
  buf[len] = 0;
  if (key_ready) mbedtls_pk_free(&key);
  key_ready = false;
  mbedtls_pk_init(&key);
  int rc = mbedtls_pk_parse_public_key(&key, buf, len + 1);
  if (rc != 0) {
    char why[96];
    mbedtls_strerror(rc, why, sizeof why);
    snprintf(err, err_cap, "not a PEM public key (openssl ec -pubout): %s", why);
    mbedtls_pk_free(&key);
    return -1;
  }
  if (mbedtls_pk_get_type(&key) != MBEDTLS_PK_ECKEY ||
      mbedtls_pk_ec(key)->MBEDTLS_PRIVATE(grp).id != MBEDTLS_ECP_DP_SECP256R1) {
    snprintf(err, err_cap, "the public key is not an EC key on P-256 (prime256v1)");
    mbedtls_pk_free(&key);
    return -1;
  }
  key_ready = true;
  return 0;
}

bool ota_verify_has_key(void) { return key_ready; }

void ota_hash_start(void) {
  mbedtls_sha256_init(&sha);
  (void)mbedtls_sha256_starts(&sha, 0);
}
void ota_hash_update(const uint8_t *p, size_t n) { (void)mbedtls_sha256_update(&sha, p, n); }
void ota_hash_finish(uint8_t out[32]) {
  (void)mbedtls_sha256_finish(&sha, out);
  mbedtls_sha256_free(&sha);
}

/* One DER INTEGER of a 32-byte unsigned big-endian value; returns the bytes written. */
static size_t der_int(const uint8_t v[32], uint8_t *out) {
  size_t skip = 0;
  while (skip < 31 && v[skip] == 0) skip++;
  size_t n = 32 - skip;
  bool pad = (v[skip] & 0x80) != 0;
  out[0] = 0x02;
  out[1] = (uint8_t)(n + (pad ? 1 : 0));
  size_t at = 2;
  if (pad) out[at++] = 0;
  memcpy(out + at, v + skip, n);
  return at + n;
}

static bool all_zero(const uint8_t *p, size_t n) {
  uint8_t acc = 0;
  for (size_t i = 0; i < n; i++) acc |= p[i];
  return acc == 0;
}

bool ota_verify_hash(const uint8_t hash[32], const uint8_t sig[OTA_SIG_BYTES]) {
  if (!key_ready || all_zero(sig, 32) || all_zero(sig + 32, 32)) return false;
  uint8_t der[2 + 2 * (2 + 33)];
  size_t n = 2;
  n += der_int(sig, der + n);
  n += der_int(sig + 32, der + n);
  der[0] = 0x30;
  der[1] = (uint8_t)(n - 2);
  return mbedtls_pk_verify(&key, MBEDTLS_MD_SHA256, hash, 32, der, n) == 0;
}
