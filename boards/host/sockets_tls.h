/*
 * sockets_tls.h - client TLS over a connected non-blocking socket, for
 * sockets_bsd.c (docs/ABI.md "TLS"). One implementation:
 * sockets_tls_mbedtls.c (mbed TLS: Debian's libmbedtls on POSIX, ESP-IDF's
 * mbedtls component on ESP32).
 *
 * Contract: the certificate chain and the host name are always verified;
 * nothing here blocks; every call returns at once and the caller retries
 * when the socket is ready (tls_conn_wants_write tells which readiness).
 */
#ifndef SOCKETS_TLS_H
#define SOCKETS_TLS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct tls_conn;

/* The host's TLS settings, before the first connection. `ca_file`: a PEM
 * bundle to trust; `ca_pem`: PEM text to trust (NUL-terminated); both NULL:
 * the platform's default trust store (POSIX: the system bundle
 * TLS_DEFAULT_CA_FILE; ESP32: the ESP x509 certificate bundle). Returns
 * false (and logs why) when the CA cannot be loaded; connections then fail
 * as untrusted. */
bool sockets_tls_configure(const char *ca_file, const char *ca_pem);

/* Starts a client handshake on connected `fd` for `host` (SNI and the name
 * the certificate must carry). NULL when TLS cannot start (logged). */
struct tls_conn *tls_conn_open(int fd, const char *host);

/* Drives the handshake: 0 in progress, 1 done, or a negative sock_status
 * (IOTBIND_SOCK_TLS_UNTRUSTED, _NAME_MISMATCH, _FAILED). */
int32_t tls_conn_handshake(struct tls_conn *c);

/* Plaintext out: bytes accepted (0 when the socket is full), <0 error. */
int32_t tls_conn_send(struct tls_conn *c, const uint8_t *ptr, int32_t len);

/* Plaintext in: bytes (1 … cap), 0 when nothing yet, -2 closed by peer, -1 error. */
int32_t tls_conn_recv(struct tls_conn *c, uint8_t *buf, int32_t cap);

/* The last operation waits for the socket to become writable (else readable). */
bool tls_conn_wants_write(const struct tls_conn *c);

/* Decrypted bytes already buffered (readable without waiting for the socket). */
bool tls_conn_pending(const struct tls_conn *c);

/* Sends close_notify (best effort) and frees; does not close `fd`. */
void tls_conn_close(struct tls_conn *c);

#endif
