/*
 * ota.h - the host side of over-the-air module updates (docs/OTA.md,
 * docs/OTA.md, "C hosts"): the five `hal.ota_*` imports, two slots A/B, the
 * trial/confirm/rollback record, and what it needs from a platform (slot
 * storage) and from the verifier (ota_verify.c, mbed TLS).
 *
 *   runtime adapter natives --> hal_ota_begin/write/finish/abort/activate (ota.c)
 *   host.c                  --> ota_boot, ota_take_activation, ota_trial_*, ota_module
 *   ota.c                   --> ota_store_* (platform: posix files, ESP32 partitions + NVS)
 *                           --> ota_hash_*, ota_verify_* (ota_verify.c)
 *
 * A host built without OTA links ota_none.c instead of ota.c + storage +
 * verifier: ota_begin answers IOTBIND_OTA_UNSUPPORTED and the rest is inert
 * (the wasm2c build, whose module is compiled in, and the RV32 image).
 *
 * Single-threaded: everything runs on the host's one thread (the imports are
 * called from inside the module's export calls, on the same thread).
 */
#ifndef IOTBIND_OTA_H
#define IOTBIND_OTA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "iotbind_hal.h"

#ifdef __cplusplus
extern "C" {
#endif

enum ota_slot { OTA_SLOT_A = 0, OTA_SLOT_B = 1 };

#define OTA_SIG_BYTES 64u      /* ECDSA P-256, raw r || s */
#define OTA_MIN_IMAGE 65u      /* at least one module byte + the signature */
#define OTA_CONFIRM_S_DEFAULT 120u
#define OTA_ROLLBACK_KEY "ota.rollback"

/* The persisted record (posix: a state file; ESP32: one NVS blob). len[s] is
 * the module length in slot s, 0 = slot s holds no module (slot A then means
 * the shipped module the platform was started with). trial_version is the
 * fw_version() of the module on trial (0 = not known yet). */
struct ota_record {
  uint32_t magic;          /* OTA_RECORD_MAGIC: anything else reads as "no record" */
  uint8_t active;          /* enum ota_slot */
  uint8_t trial;           /* 1 while the active slot is on trial */
  uint8_t previous;        /* the slot to roll back to */
  uint8_t reserved;
  uint32_t len[2];
  uint32_t trial_version;
};
#define OTA_RECORD_MAGIC 0x3141544fu /* "OTA1" little-endian */

/* ------------------------------------------------- platform slot storage */
/* Implemented by boards/platform/<p>/ota_<p>.c. Return 0 ok, < 0 failure. */

/* Largest image (module + signature) a slot holds. */
uint32_t ota_store_capacity(void);
/* Prepares `slot` for an image of `size` bytes (erases flash). */
int ota_store_erase(int slot, uint32_t size);
/* Writes n bytes at `offset` of the slot. Each byte is written once after an erase. */
int ota_store_write(int slot, uint32_t offset, const uint8_t *p, uint32_t n);
int ota_store_read(int slot, uint32_t offset, uint8_t *p, uint32_t n);
/* Only with IOTBIND_OTA_MAPPED (storage readable in place, the RV32 image's
 * CFI flash): the slot's first byte. ota_active_module then hands out the
 * slot itself instead of a malloc'd copy. */
const uint8_t *ota_store_map(int slot);
/* The record: 0 read, < 0 none or unreadable (first boot). */
int ota_store_load(struct ota_record *r);
int ota_store_save(const struct ota_record *r);

/* ------------------------------------------------------------- verifier */
/* ota_verify.c (mbed TLS: Debian's 2.28 on posix, ESP-IDF's 3.x on ESP32). */

/* Parses a PEM SubjectPublicKeyInfo (`openssl ec -pubout`) of a P-256 key
 * and keeps it. `pem` need not be NUL-terminated. 0 ok; < 0 with a reason in err. */
int ota_verify_set_key(const char *pem, size_t len, char *err, size_t err_cap);
bool ota_verify_has_key(void);
void ota_hash_start(void);
void ota_hash_update(const uint8_t *p, size_t n);
void ota_hash_finish(uint8_t out[32]);
/* true when sig (raw r || s, big-endian) is an ECDSA P-256 signature of `hash` by the key. */
bool ota_verify_hash(const uint8_t hash[32], const uint8_t sig[OTA_SIG_BYTES]);

/* ------------------------------------------------------------- host side */

/* Enables OTA with the public key (PEM) and the confirm bound; loads the
 * record. 0 ok; IOTBIND_OTA_UNSUPPORTED in a build without OTA; other < 0
 * (bad key, unreadable storage) with a reason in err. Without a successful
 * call, ota_begin answers UNSUPPORTED. */
int ota_configure(const char *pem, size_t pem_len, uint32_t confirm_s, char *err, size_t err_cap);
bool ota_enabled(void);
uint32_t ota_confirm_ms(void);

/* At host start: a record left in trial means the host restarted during a
 * trial: roll back (NOT_CONFIRMED) before anything runs. */
void ota_boot(void);
/* The active slot's module, or NULL when the active slot holds none: run
 * the shipped module. A malloc'd copy (IOTBIND_OTA_MAPPED: the slot in
 * place); either way the caller lets it go with ota_module_free. */
uint8_t *ota_active_module(uint32_t *len);
void ota_module_free(uint8_t *module);
/* true once after hal_ota_activate was called with a staged image. */
bool ota_take_activation(void);
/* The staged slot becomes active, on trial; the record is saved first. 0 ok. */
int ota_trial_start(void);
bool ota_in_trial(void);
/* The trial module's fw_version() (kept for a rollback reason after a restart). */
void ota_trial_version(uint32_t version);
/* Confirmed: trial ends, the rollback reason in kv is cleared. */
void ota_trial_confirm(void);
/* Back to the previous slot; kv `ota.rollback` = "<reason> <major.minor.patch>". */
void ota_trial_rollback(const char *reason);

/* "1.2.3" from fw_version()'s major << 16 | minor << 8 | patch; "?" for 0. */
void ota_version_text(uint32_t v, char *out, size_t cap);

/* Unit tests only: forget everything (key stays). */
void ota_reset_for_test(void);

#ifdef __cplusplus
}
#endif

#endif /* IOTBIND_OTA_H */
