/*
 * sockets_uart.c - hal_sock_* (and host.h's sockets_* helpers) over the UART
 * modem: the bridge on the other end of the serial line opens the real TCP
 * connection. Frames (docs/UART-MODEM.md), handle h = 0..SOCK_SLOTS-1:
 *
 *   device -> bridge  CH_SOCK_CTL|h  'C' gen port_lo port_hi host...   connect
 *                     CH_SOCK_CTL|h  'X' gen                           close
 *                     CH_SOCK_DATA|h gen bytes...                      send
 *   bridge -> device  CH_SOCK_CTL|h  'O' gen                           connected
 *                     CH_SOCK_CTL|h  'F' gen [reason]                  failed / closed by peer
 *                     CH_SOCK_DATA|h gen bytes...                      received
 *
 * `gen` grows with every connect on a handle: frames of an earlier
 * connection on the same handle (still in flight after a close) are dropped.
 * hal_sock_send hands the bytes to the UART at once (the bridge buffers
 * them), so it never returns 0 once connected.
 */
#include <string.h>

#include "host.h"
#include "rv32.h"

#define SOCK_SLOTS 2
#define SOCK_RX 1024
#define HOST_MAX 253

enum sock_state { S_FREE = 0, S_CONNECTING, S_CONNECTED, S_FAILED };

static struct sock {
  enum sock_state state;
  uint8_t gen;
  uint16_t head, len; /* ring buffer of received bytes */
  uint8_t rx[SOCK_RX];
} socks[SOCK_SLOTS];
static uint8_t next_gen[SOCK_SLOTS];
static uint32_t progress;

static struct sock *slot(int32_t h) {
  if (h < 0 || h >= SOCK_SLOTS || socks[h].state == S_FREE) return NULL;
  return &socks[h];
}

void sockets_ctl_frame(int h, const uint8_t *p, size_t n) {
  if (h >= SOCK_SLOTS || n < 2) return;
  struct sock *s = &socks[h];
  if (s->state == S_FREE || p[1] != s->gen) return; /* an old connection's */
  if (p[0] == 'O' && s->state == S_CONNECTING) s->state = S_CONNECTED;
  else if (p[0] == 'F') {
    host_log(IOTBIND_LOG_INFO, "sock %d: %.*s", h, (int)(n - 2), n > 2 ? (const char *)p + 2 : "closed");
    s->state = S_FAILED;
  }
}

bool sockets_data_frame(int h, const uint8_t *p, size_t n) {
  if (h >= SOCK_SLOTS || n < 1) return true;
  struct sock *s = &socks[h];
  if (s->state != S_CONNECTED || p[0] != s->gen) return true; /* dropped */
  n--;
  if (n > (size_t)(SOCK_RX - s->len)) return false; /* no room yet */
  for (size_t i = 0; i < n; i++) s->rx[(s->head + s->len + i) % SOCK_RX] = p[1 + i];
  s->len = (uint16_t)(s->len + n);
  return true;
}

int32_t hal_sock_connect(const uint8_t *host, int32_t host_len, int32_t port) {
  if (port & IOTBIND_SOCK_TLS) { /* this modem carries plain TCP only (docs/UART-MODEM.md) */
    host_log(IOTBIND_LOG_WARN, "sock: TLS is not offered by the UART modem");
    return -1;
  }
  if (host_len <= 0 || host_len > HOST_MAX || port <= 0 || port > 65535) return -1;
  if (memchr(host, 0, (size_t)host_len)) return -1;
  int32_t h = 0;
  while (h < SOCK_SLOTS && socks[h].state != S_FREE) h++;
  if (h == SOCK_SLOTS) return -1;
  struct sock *s = &socks[h];
  s->state = S_CONNECTING;
  s->gen = ++next_gen[h];
  s->head = s->len = 0;
  uint8_t head[4] = {'C', s->gen, (uint8_t)port, (uint8_t)(port >> 8)};
  modem_send((uint8_t)(CH_SOCK_CTL | h), head, sizeof head, host, (size_t)host_len);
  return h;
}

int32_t hal_sock_status(int32_t h) {
  struct sock *s = slot(h);
  if (!s) return -1;
  if (s->state == S_CONNECTING) {
    progress++;
    modem_poll();
  }
  switch (s->state) {
    case S_CONNECTING: return 0;
    case S_CONNECTED: return 1;
    default: return -1;
  }
}

int32_t hal_sock_send(int32_t h, const uint8_t *ptr, int32_t len) {
  struct sock *s = slot(h);
  if (!s) return -1;
  if (s->state == S_CONNECTING) return 0;
  if (s->state != S_CONNECTED) return -1;
  int32_t sent = 0;
  while (sent < len) {
    int32_t n = len - sent;
    if (n > (int32_t)MODEM_MAX_PAYLOAD - 1) n = (int32_t)MODEM_MAX_PAYLOAD - 1;
    modem_send((uint8_t)(CH_SOCK_DATA | h), &s->gen, 1, ptr + sent, (size_t)n);
    sent += n;
  }
  rv32_window_sent = true;
  return len;
}

extern bool rv32_force_trap;

int32_t hal_sock_recv(int32_t h, uint8_t *buf, int32_t cap) {
  progress++;
  if (rv32_force_trap) { /* the bridge's "trap": this call traps (test of the trap path) */
    rv32_force_trap = false;
    rt_raise("forced trap (bridge)");
    return -1;
  }
  struct sock *s = slot(h);
  if (!s) return -1;
  modem_poll();
  if (s->state == S_CONNECTING) return 0;
  if (s->len == 0) return s->state == S_CONNECTED ? 0 : -1; /* bytes before a failure are delivered first */
  if (cap <= 0) return 0;
  int32_t n = 0;
  while (n < cap && s->len > 0) {
    buf[n++] = s->rx[s->head];
    s->head = (uint16_t)((s->head + 1) % SOCK_RX);
    s->len--;
  }
  modem_poll(); /* a pending frame may fit now */
  return n;
}

void hal_sock_close(int32_t h) {
  struct sock *s = slot(h);
  if (!s) return;
  uint8_t msg[2] = {'X', s->gen};
  modem_send((uint8_t)(CH_SOCK_CTL | h), msg, sizeof msg, NULL, 0);
  s->state = S_FREE;
  s->len = 0;
}

void sockets_close_all(void) {
  for (int32_t h = 0; h < SOCK_SLOTS; h++) hal_sock_close(h);
}

uint32_t sockets_progress(void) { return progress; }

/* Sleeps up to ms in WFI; true when a socket event (data, opened, failed)
 * arrived meanwhile. */
void rv32_window_end(bool woke_by_data);
void rv32_window_begin(void);

bool sockets_wait(uint32_t ms) {
  uint64_t deadline = rv32_mtime() + (uint64_t)ms * (RV32_MTIME_HZ / 1000u);
  uint32_t mark = modem_sock_events();
  static bool woke_by_data;
  rv32_window_end(woke_by_data);
  for (;;) {
    modem_poll();
    woke_by_data = modem_sock_events() != mark;
    if (woke_by_data || rv32_mtime() >= deadline) break;
    rv32_wfi_until(deadline);
  }
  rv32_window_begin();
  return woke_by_data;
}
