/*
 * sockets_tls_mbedtls.c - sockets_tls.h on mbed TLS (2.28 as in Debian 12,
 * 3.x as in ESP-IDF 5). One shared client configuration (trust store, RNG)
 * made on first use; one mbedtls_ssl_context per connection, reading and
 * writing the non-blocking fd through its own BIO callbacks, so nothing
 * blocks: WANT_READ/WANT_WRITE become "not yet" for the caller.
 *
 * Verification is MBEDTLS_SSL_VERIFY_REQUIRED with the host name set: an
 * untrusted chain, an expired certificate or a certificate for another
 * name ends the handshake. mbed TLS 2.28 matches the name against the DNS
 * names and CN only (no IP SANs): connect to a broker by name.
 */
#include "host.h"
#include "sockets_tls.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "mbedtls/ctr_drbg.h"
#include "mbedtls/entropy.h"
#include "mbedtls/error.h"
#include "mbedtls/net_sockets.h" /* MBEDTLS_ERR_NET_* only */
#include "mbedtls/ssl.h"
#include "mbedtls/version.h"
#include "mbedtls/x509_crt.h"

#ifdef ESP_PLATFORM
#include "esp_crt_bundle.h"
#endif
#if defined(__GLIBC__) && !defined(ESP_PLATFORM)
#include <malloc.h>
#define TLS_HEAP_STATS 1
#endif

#ifndef MSG_NOSIGNAL
#define MSG_NOSIGNAL 0
#endif

/* Debian's (and most distributions') system trust store. */
#ifndef TLS_DEFAULT_CA_FILE
#define TLS_DEFAULT_CA_FILE "/etc/ssl/certs/ca-certificates.crt"
#endif

struct tls_conn {
  mbedtls_ssl_context ssl;
  int fd;
  bool want_write;
  bool done;
  int32_t pending_len; /* a write that returned WANT_WRITE: mbed TLS must be called again with these bytes */
  uint32_t started_ms;
#ifdef TLS_HEAP_STATS
  size_t heap_before;
#endif
};

/* Shared client state (made once). */
static bool ready, failed;
static const char *cfg_ca_file;
static const char *cfg_ca_pem;
static mbedtls_ssl_config conf;
static mbedtls_x509_crt cacert;
static mbedtls_entropy_context entropy;
static mbedtls_ctr_drbg_context drbg;

static uint32_t now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint32_t)((uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u);
}

#ifdef TLS_HEAP_STATS
static size_t heap_in_use(void) { return mallinfo2().uordblks; }
#endif

static void log_mbedtls(const char *what, int rc) {
  char text[120];
  mbedtls_strerror(rc, text, sizeof text);
  host_log(IOTBIND_LOG_INFO, "tls: %s: -0x%04x %s", what, (unsigned)-rc, text);
}

bool sockets_tls_configure(const char *ca_file, const char *ca_pem) {
  cfg_ca_file = ca_file;
  cfg_ca_pem = ca_pem;
  return true;
}

/* Loads the trust store into `cacert`; false when nothing could be loaded. */
static bool load_trust(void) {
  int rc;
  if (cfg_ca_pem) {
    rc = mbedtls_x509_crt_parse(&cacert, (const unsigned char *)cfg_ca_pem, strlen(cfg_ca_pem) + 1);
    if (rc != 0) { log_mbedtls("CA PEM", rc); return false; }
    mbedtls_ssl_conf_ca_chain(&conf, &cacert, NULL);
    return true;
  }
#ifdef ESP_PLATFORM
  if (!cfg_ca_file) return esp_crt_bundle_attach(&conf) == ESP_OK;
#endif
  const char *file = cfg_ca_file ? cfg_ca_file : TLS_DEFAULT_CA_FILE;
  rc = mbedtls_x509_crt_parse_file(&cacert, file);
  /* > 0: some certificates of a system bundle did not parse; the rest are
   * loaded (none parsed is an error). */
  if (rc < 0) {
    log_mbedtls(file, rc);
    return false;
  }
  mbedtls_ssl_conf_ca_chain(&conf, &cacert, NULL);
  return true;
}

static bool setup_once(void) {
  if (ready) return true;
  if (failed) return false;
  mbedtls_ssl_config_init(&conf);
  mbedtls_x509_crt_init(&cacert);
  mbedtls_entropy_init(&entropy);
  mbedtls_ctr_drbg_init(&drbg);
  static const unsigned char pers[] = "iotbind-tank";
  int rc = mbedtls_ctr_drbg_seed(&drbg, mbedtls_entropy_func, &entropy, pers, sizeof pers - 1);
  if (rc == 0) rc = mbedtls_ssl_config_defaults(&conf, MBEDTLS_SSL_IS_CLIENT, MBEDTLS_SSL_TRANSPORT_STREAM, MBEDTLS_SSL_PRESET_DEFAULT);
  if (rc != 0) {
    log_mbedtls("setup", rc);
    failed = true;
    return false;
  }
  mbedtls_ssl_conf_authmode(&conf, MBEDTLS_SSL_VERIFY_REQUIRED);
  mbedtls_ssl_conf_rng(&conf, mbedtls_ctr_drbg_random, &drbg);
  /* Without a loadable trust store every handshake fails as untrusted (never unverified). */
  if (!load_trust()) host_log(IOTBIND_LOG_ERROR, "tls: no trusted CA loaded: every TLS connection will be refused");
  ready = true;
  return true;
}

static int bio_send(void *ctx, const unsigned char *buf, size_t len) {
  struct tls_conn *c = ctx;
  ssize_t n = send(c->fd, buf, len, MSG_NOSIGNAL);
  if (n >= 0) return (int)n;
  if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) return MBEDTLS_ERR_SSL_WANT_WRITE;
  return MBEDTLS_ERR_NET_SEND_FAILED;
}

static int bio_recv(void *ctx, unsigned char *buf, size_t len) {
  struct tls_conn *c = ctx;
  ssize_t n = recv(c->fd, buf, len, 0);
  if (n >= 0) return (int)n; /* 0: EOF */
  if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) return MBEDTLS_ERR_SSL_WANT_READ;
  return MBEDTLS_ERR_NET_RECV_FAILED;
}

struct tls_conn *tls_conn_open(int fd, const char *host) {
  if (!setup_once()) return NULL;
#ifdef TLS_HEAP_STATS
  size_t heap_before = heap_in_use();
#endif
  struct tls_conn *c = calloc(1, sizeof *c);
  if (!c) return NULL;
  c->fd = fd;
  c->started_ms = now_ms();
#ifdef TLS_HEAP_STATS
  c->heap_before = heap_before;
#endif
  mbedtls_ssl_init(&c->ssl);
  int rc = mbedtls_ssl_setup(&c->ssl, &conf);
  if (rc == 0) rc = mbedtls_ssl_set_hostname(&c->ssl, host);
  if (rc != 0) {
    log_mbedtls("start", rc);
    mbedtls_ssl_free(&c->ssl);
    free(c);
    return NULL;
  }
  mbedtls_ssl_set_bio(&c->ssl, c, bio_send, bio_recv, NULL);
  return c;
}

int32_t tls_conn_handshake(struct tls_conn *c) {
  if (c->done) return 1;
  int rc = mbedtls_ssl_handshake(&c->ssl);
  if (rc == 0) {
    c->done = true;
#ifdef TLS_HEAP_STATS
    host_log(IOTBIND_LOG_INFO, "tls: up (%s, %s) in %lu ms, %lu bytes of heap for this connection",
             mbedtls_ssl_get_version(&c->ssl), mbedtls_ssl_get_ciphersuite(&c->ssl),
             (unsigned long)(now_ms() - c->started_ms), (unsigned long)(heap_in_use() - c->heap_before));
#else
    host_log(IOTBIND_LOG_INFO, "tls: up (%s, %s) in %lu ms", mbedtls_ssl_get_version(&c->ssl),
             mbedtls_ssl_get_ciphersuite(&c->ssl), (unsigned long)(now_ms() - c->started_ms));
#endif
    return 1;
  }
  if (rc == MBEDTLS_ERR_SSL_WANT_READ || rc == MBEDTLS_ERR_SSL_WANT_WRITE) {
    c->want_write = rc == MBEDTLS_ERR_SSL_WANT_WRITE;
    return 0;
  }
  uint32_t flags = mbedtls_ssl_get_verify_result(&c->ssl);
  if (rc == MBEDTLS_ERR_X509_CERT_VERIFY_FAILED && flags != 0) {
    char why[160];
    mbedtls_x509_crt_verify_info(why, sizeof why, "", flags);
    for (char *p = why; *p; p++) if (*p == '\n') *p = ' ';
    host_log(IOTBIND_LOG_WARN, "tls: certificate refused: %s", why);
    /* The chain is judged first: a name mismatch counts only on a trusted certificate. */
    if ((flags & ~(uint32_t)MBEDTLS_X509_BADCERT_CN_MISMATCH) == 0) return IOTBIND_SOCK_TLS_NAME_MISMATCH;
    return IOTBIND_SOCK_TLS_UNTRUSTED;
  }
  log_mbedtls("handshake", rc);
  return IOTBIND_SOCK_TLS_FAILED;
}

int32_t tls_conn_send(struct tls_conn *c, const uint8_t *ptr, int32_t len) {
  if (len <= 0) return 0;
  /* The caller resends unaccepted bytes from the same start (sock_send
   * contract), so a pending record is completed with its own length. */
  if (c->pending_len > 0) {
    if (len < c->pending_len) return -1;
    len = c->pending_len;
  }
  int rc = mbedtls_ssl_write(&c->ssl, ptr, (size_t)len);
  if (rc >= 0) {
    c->pending_len = 0;
    return rc;
  }
  if (rc == MBEDTLS_ERR_SSL_WANT_READ || rc == MBEDTLS_ERR_SSL_WANT_WRITE) {
    c->want_write = rc == MBEDTLS_ERR_SSL_WANT_WRITE;
    c->pending_len = len;
    return 0;
  }
  log_mbedtls("send", rc);
  return -1;
}

int32_t tls_conn_recv(struct tls_conn *c, uint8_t *buf, int32_t cap) {
  if (cap <= 0) return 0;
  int rc = mbedtls_ssl_read(&c->ssl, buf, (size_t)cap);
  if (rc > 0) return rc;
  if (rc == MBEDTLS_ERR_SSL_WANT_READ || rc == MBEDTLS_ERR_SSL_WANT_WRITE) {
    c->want_write = rc == MBEDTLS_ERR_SSL_WANT_WRITE;
    return 0;
  }
  if (rc == 0 || rc == MBEDTLS_ERR_SSL_PEER_CLOSE_NOTIFY) return -2;
  log_mbedtls("recv", rc);
  return -1;
}

bool tls_conn_wants_write(const struct tls_conn *c) { return c->want_write; }

bool tls_conn_pending(const struct tls_conn *c) { return mbedtls_ssl_get_bytes_avail(&c->ssl) > 0; }

void tls_conn_close(struct tls_conn *c) {
  if (!c) return;
  if (c->done) (void)mbedtls_ssl_close_notify(&c->ssl);
  mbedtls_ssl_free(&c->ssl);
  free(c);
}
