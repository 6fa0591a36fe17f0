/*
 * ota_rv32.c - OTA storage of the RV32 image (ota.h's ota_store_*): QEMU
 * virt's first CFI flash (pflash0, `-drive if=pflash,format=raw,unit=0,
 * file=FLASH`, a 32 MiB file; Intel/Sharp command set of QEMU's
 * pflash_cfi01: 32-bit bank, 256 KiB erase blocks), at 0x20000000.
 * (QEMU 7.2's virt takes a unit 1 for S-mode firmware and then does not load
 * -kernel; with unit 0 it loads -kernel and resets to the flash's first word.)
 *
 *   block 0  0x000000  the boot vector: `lui t0, 0x80000; jr t0`, to the
 *                      image -kernel put in DRAM (sim/tools/uart-bridge.ts
 *                      writes it);
 *            0x001000  provisioning, written by whoever flashes the device:
 *                      a JSON object {"ota_public_key": "<PEM>",
 *                      "ota_confirm_s": N}, ended by a 0x00 or 0xFF byte.
 *                      No key there = no OTA (ota_begin: UNSUPPORTED).
 *   block 1, 2         the slot record, two copies {seq, ota_record, check}:
 *                      a save erases and writes the OLDER copy, so a reset
 *                      mid-save leaves the other one (the newest valid wins)
 *   block 3            kv `ota.rollback` ({KV_MAGIC, length, text}): the one
 *                      kv key that must survive a reset (hal_rv32.c)
 *   block 4, 5         slot A, slot B: the image as received (module +
 *                      64-byte signature), up to one block (256 KiB)
 *
 * Reads are plain loads (the flash is in read-array mode between commands),
 * so a slot's module is handed to the runtime in place (ota_store_map:
 * runtime_wamr.c copies it into its pool, nothing is held twice in RAM).
 * Writes: 0x40 + one 32-bit word (read back from the array and merged, so a
 * write may start and end anywhere: bytes not written yet are 0xFF after the
 * erase), 0x20/0xD0 block erase, 0x70 status (bit 7 ready, bits 5/4/3/1
 * errors), 0x50 clear status, 0xFF back to read array.
 */
#include <string.h>

#include "host.h"
#include "wasm_export.h"
#include "ota.h"
#include "rv32.h"

#define FLASH_BASE 0x20000000u
#define FLASH_BLOCK (256u * 1024u)
#define BLK_PROVISION 0u
#define BLK_RECORD 1u /* and 2 */
#define BLK_KV 3u
#define BLK_SLOT 4u /* A; B is 5 */
#define PROVISION_OFF 4096u
#define PROVISION_MAX 4096u
#define KV_MAGIC 0x3156564bu /* "KVV1" */

#define CMD_PROGRAM 0x40u
#define CMD_ERASE 0x20u
#define CMD_CONFIRM 0xD0u
#define CMD_STATUS 0x70u
#define CMD_CLEAR 0x50u
#define CMD_READ 0xFFu
#define ST_READY 0x80u
#define ST_ERRORS 0x3Au

static volatile uint32_t *flash_word(uint32_t off) { return (volatile uint32_t *)(uintptr_t)(FLASH_BASE + off); }
static const uint8_t *flash_bytes(uint32_t off) { return (const uint8_t *)(uintptr_t)(FLASH_BASE + off); }

/* After a command: wait for ready, then back to read-array mode. 0 ok. */
static int flash_done(uint32_t off) {
  uint32_t st = 0;
  *flash_word(off) = CMD_STATUS;
  for (uint32_t i = 0; i < 1000000u; i++) {
    st = *flash_word(off);
    if (st & ST_READY) break;
  }
  int ok = (st & ST_READY) && !(st & ST_ERRORS);
  if (!ok) *flash_word(off) = CMD_CLEAR;
  *flash_word(off) = CMD_READ;
  return ok ? 0 : -1;
}

static int flash_erase(uint32_t block) {
  uint32_t off = block * FLASH_BLOCK;
  *flash_word(off) = CMD_ERASE;
  *flash_word(off) = CMD_CONFIRM;
  return flash_done(off);
}

/* Programs n bytes at off (any alignment) into erased flash. */
static int flash_program(uint32_t off, const uint8_t *p, uint32_t n) {
  while (n > 0) {
    uint32_t base = off & ~3u, at = off - base, k = 4u - at < n ? 4u - at : n;
    uint32_t w = *flash_word(base);
    uint8_t b[4];
    memcpy(b, &w, 4);
    memcpy(b + at, p, k);
    memcpy(&w, b, 4);
    *flash_word(base) = CMD_PROGRAM;
    *flash_word(base) = w;
    if (flash_done(base) != 0) return -1;
    off += k;
    p += k;
    n -= k;
  }
  return 0;
}

/* ------------------------------------------------------------- slots */

uint32_t ota_store_capacity(void) { return FLASH_BLOCK; }

static uint32_t slot_off(int slot) { return (BLK_SLOT + (uint32_t)(slot & 1)) * FLASH_BLOCK; }

int ota_store_erase(int slot, uint32_t size) {
  (void)size;
  return flash_erase(BLK_SLOT + (uint32_t)(slot & 1));
}

int ota_store_write(int slot, uint32_t offset, const uint8_t *p, uint32_t n) {
  if (offset > FLASH_BLOCK || n > FLASH_BLOCK - offset) return -1;
  return flash_program(slot_off(slot) + offset, p, n);
}

int ota_store_read(int slot, uint32_t offset, uint8_t *p, uint32_t n) {
  if (offset > FLASH_BLOCK || n > FLASH_BLOCK - offset) return -1;
  memcpy(p, flash_bytes(slot_off(slot) + offset), n);
  return 0;
}

const uint8_t *ota_store_map(int slot) { return flash_bytes(slot_off(slot)); }

/* ------------------------------------------------------------ record */

struct record_copy {
  uint32_t seq;
  struct ota_record r;
  uint32_t check; /* FNV-1a of the bytes before it */
};

static uint32_t fnv1a(const void *p, size_t n) {
  const uint8_t *b = p;
  uint32_t h = 2166136261u;
  for (size_t i = 0; i < n; i++) h = (h ^ b[i]) * 16777619u;
  return h;
}

static bool copy_read(uint32_t which, struct record_copy *c) {
  memcpy(c, flash_bytes((BLK_RECORD + which) * FLASH_BLOCK), sizeof *c);
  return c->check == fnv1a(c, offsetof(struct record_copy, check)) && c->r.magic == OTA_RECORD_MAGIC;
}

static uint32_t newest = 2; /* the copy holding the newest record; 2 = none */
static uint32_t newest_seq;

int ota_store_load(struct ota_record *r) {
  struct record_copy c[2];
  bool ok0 = copy_read(0, &c[0]), ok1 = copy_read(1, &c[1]);
  if (!ok0 && !ok1) return -1;
  newest = ok0 && (!ok1 || (int32_t)(c[0].seq - c[1].seq) > 0) ? 0u : 1u;
  newest_seq = c[newest].seq;
  *r = c[newest].r;
  return 0;
}

int ota_store_save(const struct ota_record *r) {
  struct record_copy c;
  memset(&c, 0, sizeof c);
  c.seq = newest_seq + 1u;
  c.r = *r;
  c.check = fnv1a(&c, offsetof(struct record_copy, check));
  uint32_t target = newest == 0 ? 1u : 0u; /* never the copy that holds the current record */
  if (flash_erase(BLK_RECORD + target) != 0 ||
      flash_program((BLK_RECORD + target) * FLASH_BLOCK, (const uint8_t *)&c, sizeof c) != 0)
    return -1;
  struct record_copy back;
  if (!copy_read(target, &back) || back.seq != c.seq) return -1; /* flash that does not keep what it is given */
  newest = target;
  newest_seq = c.seq;
  return 0;
}

/* -------------------------------------------- kv `ota.rollback` (hal_rv32.c) */

int32_t rv32_flash_kv_get(uint8_t *buf, int32_t cap) {
  uint32_t h[2];
  memcpy(h, flash_bytes(BLK_KV * FLASH_BLOCK), sizeof h);
  if (cap < 0) return -2;
  if (h[0] != KV_MAGIC || h[1] > 255u) return -1; /* never set: absent */
  uint32_t n = h[1] < (uint32_t)cap ? h[1] : (uint32_t)cap; /* as kv_table_get: cut to cap */
  memcpy(buf, flash_bytes(BLK_KV * FLASH_BLOCK + sizeof h), n);
  return (int32_t)n;
}

int32_t rv32_flash_kv_set(const uint8_t *val, int32_t len) {
  if (len < 0 || len > 255) return -2;
  uint32_t h[2] = {KV_MAGIC, (uint32_t)len};
  uint8_t old[256];
  if (rv32_flash_kv_get(old, sizeof old) == len && memcmp(old, val, (size_t)len) == 0) return 0; /* no wear */
  if (flash_erase(BLK_KV) != 0 || flash_program(BLK_KV * FLASH_BLOCK, (const uint8_t *)h, sizeof h) != 0 ||
      flash_program(BLK_KV * FLASH_BLOCK + sizeof h, val, (uint32_t)len) != 0)
    return -1;
  return 0;
}

/* ------------------------------------------------------- provisioning */

/* The provisioning JSON of block 0 (*len 0 when the block is blank). */
const char *rv32_flash_provisioning(size_t *len) {
  const char *p = (const char *)flash_bytes(BLK_PROVISION * FLASH_BLOCK + PROVISION_OFF);
  size_t n = 0;
  while (n < PROVISION_MAX && p[n] != 0 && p[n] != (char)0xFF) n++;
  *len = n;
  return p;
}

/* ------------------------------------------------------ mbed TLS memory */

/* mbed TLS's calloc/free (MBEDTLS_PLATFORM_{CALLOC,FREE}_MACRO of
 * mbedtls_config_rv32.h). A verify's bignums (a few KiB, all freed before
 * ota_finish returns) come from WAMR's pool, which has room then (the module
 * copy the fast loader needed is gone; the classic one's was counted
 * already); STATS' pool_high includes them. The key is parsed at start,
 * before WAMR exists: that takes from a small static arena instead, a stack
 * of blocks (each with the previous top in its 8-byte header; freeing the
 * top block pops it, freeing another one leaves it until nothing is freed,
 * which a parsed key never is). free() tells pool and arena apart by address.
 * ota_heap_high in STATS is the arena's high-water mark. */
#ifndef RV32_MBEDTLS_HEAP
#define RV32_MBEDTLS_HEAP 1024
#endif
static uint8_t arena[RV32_MBEDTLS_HEAP] __attribute__((aligned(8)));
#define NO_BLOCK UINT32_MAX
static uint32_t arena_top, arena_high, top_block = NO_BLOCK;
static bool use_pool; /* set once the key is parsed; mbed TLS runs only inside module calls after that */
struct block_head {
  uint32_t prev;  /* start of the block below, NO_BLOCK for none */
  uint32_t freed; /* 1 once freed: popped when it becomes the top */
};

void *rv32_mbed_calloc(size_t n, size_t size) {
  if (size != 0 && n > (UINT32_MAX - 16u) / size) return NULL;
  uint32_t bytes = (uint32_t)(n * size);
  if (use_pool) {
    void *p = wasm_runtime_malloc(bytes ? bytes : 1u);
    return p ? memset(p, 0, bytes) : NULL;
  }
  uint32_t need = (uint32_t)sizeof(struct block_head) + ((bytes + 7u) & ~7u);
  if (need > sizeof arena - arena_top) return NULL;
  struct block_head h = {top_block, 0};
  memcpy(arena + arena_top, &h, sizeof h);
  top_block = arena_top;
  arena_top += need;
  if (arena_top > arena_high) arena_high = arena_top;
  return memset(arena + top_block + sizeof h, 0, bytes);
}

void rv32_mbed_free(void *p) {
  uint8_t *b = (uint8_t *)p;
  if (!p) return;
  if (b < arena + sizeof(struct block_head) || b >= arena + sizeof arena) {
    wasm_runtime_free(p);
    return;
  }
  struct block_head h;
  memcpy(&h, b - sizeof h, sizeof h);
  h.freed = 1;
  memcpy(b - sizeof h, &h, sizeof h);
  while (top_block != NO_BLOCK) { /* pop every freed block on top */
    memcpy(&h, arena + top_block, sizeof h);
    if (!h.freed) break;
    arena_top = top_block;
    top_block = h.prev;
  }
}

uint32_t rv32_mbedtls_heap_high(void) { return arena_high; }
void rv32_mbedtls_use_pool(void) { use_pool = true; }
