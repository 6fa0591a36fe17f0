/*
 * ota.c - the five OTA imports and the slot record of every C host with OTA
 * (posix WAMR/wasm3 hosts, ESP32), per docs/OTA.md:
 *
 *   transfer:  IDLE --begin--> RECEIVING --write*--> (finish: verify) --> STAGED
 *              any refusal or ota_abort --> IDLE (the slot is discarded)
 *   slots:     {active, trial, previous} in struct ota_record, saved by the
 *              platform (ota_store_save) BEFORE each switch, so a reset at any
 *              point leaves a record that boots: a record still in trial at
 *              boot is a failed trial (ota_boot rolls back).
 *
 * The image is written straight to the inactive slot as it arrives (the host
 * never holds it in RAM); ota_finish reads the slot back, hashes the module
 * part (all but the last 64 bytes) and checks the signature (the last 64),
 * then the WebAssembly magic and version. The bytes checked are the bytes
 * stored, not the bytes that passed by.
 *
 * Writes: in order, without gaps. A chunk that starts before what is written
 * (a resend) only contributes its new bytes; flash is written once per erase.
 */
#include "ota.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "host.h"

enum rx_state { RX_IDLE, RX_RECEIVING, RX_STAGED };

static bool enabled;
static uint32_t confirm_ms = OTA_CONFIRM_S_DEFAULT * 1000u;
static struct ota_record rec;

static enum rx_state rx;
static int rx_slot;          /* the inactive slot being written */
static uint32_t rx_size;     /* image bytes announced by ota_begin */
static uint32_t rx_written;  /* image bytes stored so far, from 0 */
static uint32_t staged_len;  /* module bytes of the staged image */
static bool activate_pending;

static const uint8_t WASM_HEAD[8] = {0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00};

static void record_default(struct ota_record *r) {
  memset(r, 0, sizeof *r);
  r->magic = OTA_RECORD_MAGIC;
}

static bool record_ok(const struct ota_record *r) {
  return r->magic == OTA_RECORD_MAGIC && r->active <= 1 && r->previous <= 1 && r->trial <= 1 &&
         (r->active == OTA_SLOT_A || r->len[r->active] != 0);
}

int ota_configure(const char *pem, size_t pem_len, uint32_t confirm_s, char *err, size_t err_cap) {
  enabled = false;
  if (ota_verify_set_key(pem, pem_len, err, err_cap) != 0) return IOTBIND_OTA_UNSUPPORTED; /* no usable key */
  if (ota_store_load(&rec) != 0 || !record_ok(&rec)) {
    /* first boot (or a record that does not check out): slot A, saved now so
     * that storage that cannot be written is found at start, not mid-update */
    record_default(&rec);
    if (ota_store_save(&rec) != 0) {
      snprintf(err, err_cap, "cannot write the OTA state record");
      return IOTBIND_OTA_STORAGE;
    }
  }
  confirm_ms = (confirm_s ? confirm_s : OTA_CONFIRM_S_DEFAULT) * 1000u;
  enabled = true;
  return IOTBIND_OTA_OK;
}

bool ota_enabled(void) { return enabled; }
uint32_t ota_confirm_ms(void) { return confirm_ms; }

void ota_version_text(uint32_t v, char *out, size_t cap) {
  if (v == 0) snprintf(out, cap, "?");
  else snprintf(out, cap, "%lu.%lu.%lu", (unsigned long)(v >> 16), (unsigned long)((v >> 8) & 0xff),
                (unsigned long)(v & 0xff));
}

/* ------------------------------------------------------------- imports */

static void rx_drop(void) {
  rx = RX_IDLE;
  activate_pending = false;
}

int32_t hal_ota_begin(uint32_t size) {
  if (!enabled) return IOTBIND_OTA_UNSUPPORTED;
  rx_drop();
  if (size < OTA_MIN_IMAGE || size > ota_store_capacity()) return IOTBIND_OTA_TOO_LARGE;
  /* During a trial the inactive slot holds the module to roll back to. */
  if (rec.trial) {
    host_log(IOTBIND_LOG_WARN, "ota: refused while the running module is on trial (the other slot is its rollback)");
    return IOTBIND_OTA_STORAGE;
  }
  int slot = rec.active ^ 1;
  /* The record must never point at a slot being rewritten. */
  if (rec.len[slot] != 0) {
    rec.len[slot] = 0;
    if (ota_store_save(&rec) != 0) return IOTBIND_OTA_STORAGE;
  }
  if (ota_store_erase(slot, size) != 0) return IOTBIND_OTA_STORAGE;
  rx = RX_RECEIVING;
  rx_slot = slot;
  rx_size = size;
  rx_written = 0;
  host_log(IOTBIND_LOG_INFO, "ota: receiving %lu bytes into slot %c", (unsigned long)size, "AB"[slot]);
  return IOTBIND_OTA_OK;
}

int32_t hal_ota_write(uint32_t offset, const uint8_t *ptr, int32_t len) {
  if (rx != RX_RECEIVING) return IOTBIND_OTA_NOT_STARTED;
  if (len < 0 || offset > rx_written || (uint64_t)offset + (uint64_t)(uint32_t)len > rx_size) {
    rx_drop();
    return IOTBIND_OTA_TRUNCATED;
  }
  uint32_t skip = rx_written - offset; /* a resent chunk: only its new bytes */
  if ((uint32_t)len <= skip) return IOTBIND_OTA_OK;
  if (ota_store_write(rx_slot, rx_written, ptr + skip, (uint32_t)len - skip) != 0) {
    rx_drop();
    return IOTBIND_OTA_STORAGE;
  }
  rx_written = offset + (uint32_t)len;
  return IOTBIND_OTA_OK;
}

int32_t hal_ota_finish(void) {
  if (rx != RX_RECEIVING) return IOTBIND_OTA_NOT_STARTED;
  rx_drop();
  if (rx_written != rx_size) return IOTBIND_OTA_TRUNCATED;
  uint32_t module_len = rx_size - OTA_SIG_BYTES;
  uint8_t buf[256], sig[OTA_SIG_BYTES], hash[32], head[sizeof WASM_HEAD];
  memset(head, 0, sizeof head);
  ota_hash_start();
  for (uint32_t at = 0; at < module_len;) {
    uint32_t n = module_len - at < sizeof buf ? module_len - at : (uint32_t)sizeof buf;
    if (ota_store_read(rx_slot, at, buf, n) != 0) {
      ota_hash_finish(hash);
      return IOTBIND_OTA_STORAGE;
    }
    if (at < sizeof head) memcpy(head + at, buf, n < sizeof head - at ? n : sizeof head - at);
    ota_hash_update(buf, n);
    at += n;
  }
  ota_hash_finish(hash);
  if (ota_store_read(rx_slot, module_len, sig, sizeof sig) != 0) return IOTBIND_OTA_STORAGE;
  if (!ota_verify_hash(hash, sig)) {
    host_log(IOTBIND_LOG_WARN, "ota: refused: the signature does not verify with the configured key");
    return IOTBIND_OTA_BAD_SIGNATURE;
  }
  if (module_len < sizeof WASM_HEAD || memcmp(head, WASM_HEAD, sizeof WASM_HEAD) != 0) {
    host_log(IOTBIND_LOG_WARN, "ota: refused: signed, but not a WebAssembly 1 module");
    return IOTBIND_OTA_NOT_WASM;
  }
  rx = RX_STAGED;
  staged_len = module_len;
  host_log(IOTBIND_LOG_INFO, "ota: %lu-byte module verified and staged in slot %c", (unsigned long)module_len,
           "AB"[rx_slot]);
  return IOTBIND_OTA_OK;
}

void hal_ota_abort(void) {
  if (rx != RX_IDLE) host_log(IOTBIND_LOG_INFO, "ota: transfer dropped");
  rx_drop();
}

void hal_ota_activate(void) {
  if (rx != RX_STAGED) {
    host_log(IOTBIND_LOG_WARN, "ota: activate without a staged module: ignored");
    return;
  }
  activate_pending = true; /* host.c switches after the current export call returns */
}

/* ----------------------------------------------------------- host side */

bool ota_take_activation(void) {
  bool p = activate_pending && rx == RX_STAGED;
  activate_pending = false;
  return p;
}

bool ota_in_trial(void) { return enabled && rec.trial; }

int ota_trial_start(void) {
  struct ota_record next = rec;
  next.len[rx_slot] = staged_len;
  next.previous = rec.active;
  next.active = (uint8_t)rx_slot;
  next.trial = 1;
  next.trial_version = 0;
  rx = RX_IDLE;
  if (ota_store_save(&next) != 0) {
    host_log(IOTBIND_LOG_ERROR, "ota: cannot save the slot record; staying on slot %c", "AB"[rec.active]);
    return IOTBIND_OTA_STORAGE;
  }
  rec = next;
  host_log(IOTBIND_LOG_INFO, "ota: slot %c on trial (confirm within %lu s), slot %c to roll back to", "AB"[rec.active],
           (unsigned long)(confirm_ms / 1000u), "AB"[rec.previous]);
  return IOTBIND_OTA_OK;
}

void ota_trial_version(uint32_t version) {
  if (!rec.trial || rec.trial_version == version) return;
  rec.trial_version = version;
  (void)ota_store_save(&rec);
}

void ota_trial_confirm(void) {
  if (!rec.trial) return;
  rec.trial = 0;
  if (ota_store_save(&rec) != 0) host_log(IOTBIND_LOG_ERROR, "ota: cannot save the confirmed record");
  (void)hal_kv_set((const uint8_t *)OTA_ROLLBACK_KEY, (int32_t)strlen(OTA_ROLLBACK_KEY), (const uint8_t *)"", 0);
  char v[16];
  ota_version_text(rec.trial_version, v, sizeof v);
  host_log(IOTBIND_LOG_INFO, "ota: slot %c (%s) confirmed", "AB"[rec.active], v);
}

void ota_trial_rollback(const char *reason) {
  if (!rec.trial) return;
  char v[16], text[64];
  ota_version_text(rec.trial_version, v, sizeof v);
  int n = snprintf(text, sizeof text, "%s %s", reason, v);
  if (n < 0) n = 0;
  if ((size_t)n >= sizeof text) n = (int)sizeof text - 1;
  uint8_t failed = rec.active;
  rec.active = rec.previous;
  rec.trial = 0;
  rec.len[failed] = 0;
  if (ota_store_save(&rec) != 0) host_log(IOTBIND_LOG_ERROR, "ota: cannot save the rollback record");
  (void)hal_kv_set((const uint8_t *)OTA_ROLLBACK_KEY, (int32_t)strlen(OTA_ROLLBACK_KEY), (const uint8_t *)text, n);
  host_log(IOTBIND_LOG_WARN, "ota: rollback to slot %c: %s", "AB"[rec.active], text);
}

void ota_boot(void) {
  if (!enabled || !rec.trial) return;
  host_log(IOTBIND_LOG_WARN, "ota: the host restarted while slot %c was on trial", "AB"[rec.active]);
  ota_trial_rollback("NOT_CONFIRMED");
}

uint8_t *ota_active_module(uint32_t *len) {
  *len = 0;
  if (!enabled || rec.len[rec.active] == 0) return NULL;
  uint32_t n = rec.len[rec.active];
#ifdef IOTBIND_OTA_MAPPED
  uint8_t *m = (uint8_t *)(uintptr_t)ota_store_map(rec.active); /* never written through: runtime_wamr.c copies it */
  bool read = true;
#else
  uint8_t *m = (uint8_t *)malloc(n);
  if (!m) {
    host_log(IOTBIND_LOG_ERROR, "ota: no memory for the %lu-byte module of slot %c", (unsigned long)n,
             "AB"[rec.active]);
    return NULL;
  }
  bool read = ota_store_read(rec.active, 0, m, n) == 0;
#endif
  if (!read || n < sizeof WASM_HEAD || memcmp(m, WASM_HEAD, sizeof WASM_HEAD) != 0) {
    host_log(IOTBIND_LOG_ERROR, "ota: slot %c is unreadable", "AB"[rec.active]);
    ota_module_free(m);
    return NULL;
  }
  *len = n;
  return m;
}

void ota_module_free(uint8_t *module) {
#ifdef IOTBIND_OTA_MAPPED
  (void)module; /* the slot itself */
#else
  free(module);
#endif
}

void ota_reset_for_test(void) {
  record_default(&rec);
  rx_drop();
}
