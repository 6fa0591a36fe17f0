/*
 * modem.c - the framed protocol of docs/UART-MODEM.md over the virt
 * machine's ns16550a UART (0x10000000, PLIC source 10).
 *
 *   0xA5 0x5A | len (u16 LE) | channel (u8) | head check (u8) | payload[len] | Fletcher-16 (u16 LE)
 *
 * The head check is ~(len_lo + len_hi + channel) & 0xFF: a frame whose len
 * or channel was hit is dropped before its len is used. The checksum covers
 * len, channel and payload. A frame with len > MODEM_MAX_PAYLOAD, a bad head
 * check or a bad checksum is dropped and the receiver hunts for the next
 * 0xA5 0x5A. Transmission polls LSR.THRE; reception is polled (the
 * UART interrupt only wakes WFI). A socket data frame that does not fit the
 * socket's buffer stays pending and no more bytes are read from the UART
 * until the firmware has read enough: QEMU then holds the bytes back (flow
 * control end to end, nothing is dropped).
 */
#include <string.h>

#include "rv32.h"

#define UART ((volatile uint8_t *)0x10000000u)
#define UART_RBR 0
#define UART_THR 0
#define UART_IER 1
#define UART_FCR 2
#define UART_LCR 3
#define UART_MCR 4
#define UART_LSR 5
#define LSR_DR 0x01
#define LSR_THRE 0x20

enum rx_state { RX_SYNC0, RX_SYNC1, RX_LEN0, RX_LEN1, RX_CH, RX_HEAD_CHECK, RX_PAYLOAD, RX_SUM0, RX_SUM1, RX_PENDING };

static struct {
  enum rx_state state;
  uint16_t len, got, sum;
  uint8_t ch;
  uint8_t buf[MODEM_MAX_PAYLOAD];
} rx;
static uint32_t sock_events;

uint32_t modem_sock_events(void) { return sock_events; }

void modem_init(void) {
  UART[UART_LCR] = 0x03; /* 8N1 */
  UART[UART_FCR] = 0x01; /* FIFO on */
  UART[UART_MCR] = 0x08; /* OUT2: interrupts to the PLIC */
  UART[UART_IER] = 0x01; /* interrupt on received data (wakes WFI) */
}

static void put(uint8_t c) {
  while (!(UART[UART_LSR] & LSR_THRE)) {
  }
  UART[UART_THR] = c;
}

static uint8_t head_check(const uint8_t head[3]) { return (uint8_t)~(head[0] + head[1] + head[2]); }

struct fletcher { uint16_t a, b; };
static void fl_add(struct fletcher *f, const uint8_t *p, size_t n) {
  for (size_t i = 0; i < n; i++) {
    f->a = (uint16_t)((f->a + p[i]) % 255u);
    f->b = (uint16_t)((f->b + f->a) % 255u);
  }
}

void modem_send(uint8_t ch, const void *a, size_t alen, const void *b, size_t blen) {
  if (alen + blen > MODEM_MAX_PAYLOAD) blen = alen > MODEM_MAX_PAYLOAD ? 0 : MODEM_MAX_PAYLOAD - alen;
  if (alen > MODEM_MAX_PAYLOAD) alen = MODEM_MAX_PAYLOAD;
  uint8_t head[3] = {(uint8_t)(alen + blen), (uint8_t)((alen + blen) >> 8), ch};
  struct fletcher f = {0, 0};
  fl_add(&f, head, 3);
  fl_add(&f, (const uint8_t *)a, alen);
  fl_add(&f, (const uint8_t *)b, blen);
  put(0xA5);
  put(0x5A);
  for (int i = 0; i < 3; i++) put(head[i]);
  put(head_check(head));
  for (size_t i = 0; i < alen; i++) put(((const uint8_t *)a)[i]);
  for (size_t i = 0; i < blen; i++) put(((const uint8_t *)b)[i]);
  put((uint8_t)(f.a));
  put((uint8_t)(f.b));
}

/* true when the frame was handled; false to keep it pending. */
static bool dispatch(void) {
  uint8_t ch = rx.ch;
  if (ch == CH_CONFIG) board_config_frame(rx.buf, rx.len);
  else if (ch == CH_SIM) board_sim_frame(rx.buf, rx.len);
  else if ((ch & 0xF0) == CH_SOCK_CTL) {
    sockets_ctl_frame(ch & 0x0F, rx.buf, rx.len);
    sock_events++;
  } else if ((ch & 0xF0) == CH_SOCK_DATA) {
    if (!sockets_data_frame(ch & 0x0F, rx.buf, rx.len)) return false;
    sock_events++;
  }
  return true; /* unknown channels are ignored */
}

static void frame_done(void) {
  struct fletcher f = {0, 0};
  uint8_t head[3] = {(uint8_t)rx.len, (uint8_t)(rx.len >> 8), rx.ch};
  fl_add(&f, head, 3);
  fl_add(&f, rx.buf, rx.len);
  if (rx.sum != (uint16_t)(f.a | (f.b << 8))) {
    rx.state = RX_SYNC0; /* dropped: hunt for the next frame */
    return;
  }
  rx.state = dispatch() ? RX_SYNC0 : RX_PENDING;
}

static void rx_byte(uint8_t c) {
  switch (rx.state) {
    case RX_SYNC0: if (c == 0xA5) rx.state = RX_SYNC1; break;
    case RX_SYNC1: rx.state = c == 0x5A ? RX_LEN0 : c == 0xA5 ? RX_SYNC1 : RX_SYNC0; break;
    case RX_LEN0: rx.len = c; rx.state = RX_LEN1; break;
    case RX_LEN1:
      rx.len = (uint16_t)(rx.len | (c << 8));
      rx.state = rx.len > MODEM_MAX_PAYLOAD ? RX_SYNC0 : RX_CH;
      break;
    case RX_CH: rx.ch = c; rx.state = RX_HEAD_CHECK; break;
    case RX_HEAD_CHECK: {
      const uint8_t head[3] = {(uint8_t)rx.len, (uint8_t)(rx.len >> 8), rx.ch};
      rx.got = 0;
      rx.state = c != head_check(head) ? RX_SYNC0 : rx.len ? RX_PAYLOAD : RX_SUM0;
      break;
    }
    case RX_PAYLOAD: rx.buf[rx.got++] = c; if (rx.got == rx.len) rx.state = RX_SUM0; break;
    case RX_SUM0: rx.sum = c; rx.state = RX_SUM1; break;
    case RX_SUM1: rx.sum = (uint16_t)(rx.sum | (c << 8)); frame_done(); break;
    case RX_PENDING: break;
  }
}

void modem_poll(void) {
  if (rx.state == RX_PENDING) {
    if (!dispatch()) return;
    rx.state = RX_SYNC0;
  }
  while ((UART[UART_LSR] & LSR_DR) && rx.state != RX_PENDING) rx_byte(UART[UART_RBR]);
}

bool modem_rx_blocked(void);
bool modem_rx_blocked(void) { return rx.state == RX_PENDING; }

void rv32_log_text(int level, const char *source, const char *text, size_t len) {
  char head[24];
  size_t s = strlen(source);
  if (s > sizeof head - 3) s = sizeof head - 3;
  head[0] = (char)level;
  memcpy(head + 1, source, s);
  head[1 + s] = ':';
  head[2 + s] = ' ';
  modem_send(CH_LOG, head, s + 3, text, len);
}
