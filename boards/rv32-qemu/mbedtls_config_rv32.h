/*
 * mbedtls_config_rv32.h - the mbed TLS 2.28 configuration of the RV32 image
 * (MBEDTLS_CONFIG_FILE): only what boards/host/ota_verify.c needs to check an
 * OTA image, SHA-256 and ECDSA P-256 verify of a PEM public key; no TLS, no
 * RNG, no file system, no standard-library allocator. The sources come from
 * the mbedtls-sys-auto crate (boards/runtimes/Cargo.toml, built by rv32.mk).
 *
 * Memory: mbed TLS allocates its bignums through mbedtls_calloc/free, which
 * are ota_rv32.c's: WAMR's pool, or before WAMR runs (the key is parsed at
 * start) a static arena of RV32_MBEDTLS_HEAP bytes; the image has no heap.
 */
#ifndef IOTBIND_MBEDTLS_CONFIG_RV32_H
#define IOTBIND_MBEDTLS_CONFIG_RV32_H

/* allocator: ota_rv32.c (WAMR's pool, before WAMR runs a small static arena) */
#include <stddef.h>
void *rv32_mbed_calloc(size_t n, size_t size);
void rv32_mbed_free(void *p);
#define MBEDTLS_PLATFORM_C
#define MBEDTLS_PLATFORM_MEMORY
#define MBEDTLS_PLATFORM_CALLOC_MACRO rv32_mbed_calloc
#define MBEDTLS_PLATFORM_FREE_MACRO rv32_mbed_free

/* SHA-256 (the smaller, slower loop) and the md layer pk_verify goes through */
#define MBEDTLS_SHA256_C
#define MBEDTLS_SHA256_SMALLER
#define MBEDTLS_MD_C

/* ECDSA verify on P-256 only; windows kept small (RAM over speed) */
#define MBEDTLS_BIGNUM_C
#define MBEDTLS_ECP_C
#define MBEDTLS_ECP_DP_SECP256R1_ENABLED
#define MBEDTLS_ECP_NIST_OPTIM
#define MBEDTLS_ECP_WINDOW_SIZE 2
#define MBEDTLS_ECP_FIXED_POINT_OPTIM 0
#define MBEDTLS_ECP_MAX_BITS 256
#define MBEDTLS_MPI_MAX_SIZE 64
/* verify needs no blinding (every input is public): no internal RNG */
#define MBEDTLS_ECP_NO_INTERNAL_RNG
#define MBEDTLS_ECDSA_C
#define MBEDTLS_ASN1_PARSE_C
#define MBEDTLS_ASN1_WRITE_C

/* the key: PEM SubjectPublicKeyInfo */
#define MBEDTLS_PK_C
#define MBEDTLS_PK_PARSE_C
#define MBEDTLS_PEM_PARSE_C
#define MBEDTLS_BASE64_C
#define MBEDTLS_OID_C

/* mbedtls_strerror without the table of texts (the log then names no reason) */
#define MBEDTLS_ERROR_STRERROR_DUMMY

#include "mbedtls/check_config.h"

#endif
