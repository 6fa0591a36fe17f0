/*
 * sockets_bsd.c - hal_sock_* on non-blocking BSD sockets: POSIX and lwIP
 * (ESP-IDF) alike. Name resolution is getaddrinfo (blocking: on POSIX it
 * reads /etc/hosts or asks the resolver, on lwIP it asks the DNS server
 * from DHCP); every address it returns is tried in turn, so "localhost"
 * that resolves to ::1 first still reaches a broker listening on 127.0.0.1.
 * connect is started with O_NONBLOCK and finished by hal_sock_status through
 * select + getsockopt(SO_ERROR).
 *
 * TLS (port | IOTBIND_SOCK_TLS, docs/ABI.md "TLS"): once TCP is up the
 * socket goes to S_HANDSHAKING and hal_sock_status drives the non-blocking
 * handshake of sockets_tls.h at every tick; send/recv then go through it.
 */
#include "host.h"
#include "sockets_tls.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <string.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#ifndef MSG_NOSIGNAL
#define MSG_NOSIGNAL 0
#endif

#define SOCK_SLOTS 4
#define HOST_MAX 253

enum sock_state { S_FREE = 0, S_CONNECTING, S_HANDSHAKING, S_CONNECTED, S_FAILED };

struct sock {
  enum sock_state state;
  int fd;
  bool tls;              /* terminate TLS once TCP is up */
  int32_t tls_error;     /* the sock_status of a refused handshake (<0), else 0 */
  struct tls_conn *conn; /* S_HANDSHAKING, S_CONNECTED with tls */
  char name[HOST_MAX + 1];
  struct addrinfo *list; /* getaddrinfo result, kept to try the next address */
  struct addrinfo *next; /* next address to try */
};

static struct sock socks[SOCK_SLOTS];
static uint32_t progress; /* hal_sock_recv calls + connects finished */

static struct sock *slot(int32_t h) {
  if (h < 0 || h >= SOCK_SLOTS || socks[h].state == S_FREE) return NULL;
  return &socks[h];
}

static void drop_fd(struct sock *s) {
  tls_conn_close(s->conn);
  s->conn = NULL;
  if (s->fd >= 0) close(s->fd);
  s->fd = -1;
}

/* TCP is up: plain sockets are connected, TLS ones start the handshake. */
static void tcp_up(struct sock *s) {
  if (!s->tls) {
    s->state = S_CONNECTED;
    return;
  }
  s->conn = tls_conn_open(s->fd, s->name);
  if (!s->conn) {
    drop_fd(s);
    s->state = S_FAILED;
    s->tls_error = IOTBIND_SOCK_TLS_FAILED;
    return;
  }
  s->state = S_HANDSHAKING;
}

/* Starts connecting to the next address of s->list; false when none is left. */
static bool connect_next(struct sock *s) {
  while (s->next) {
    struct addrinfo *a = s->next;
    s->next = a->ai_next;
    int fd = socket(a->ai_family, a->ai_socktype, a->ai_protocol);
    if (fd < 0) continue;
    int flags = fcntl(fd, F_GETFL, 0);
    if (flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0) {
      close(fd);
      continue;
    }
    /* Small packets (MQTT, TLS handshake flights) go out at once: no Nagle
     * wait for a delayed ACK (40 ms per TLS handshake flight otherwise). */
    int one = 1;
    (void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    s->fd = fd;
    if (connect(fd, a->ai_addr, a->ai_addrlen) == 0) {
      tcp_up(s);
      return true;
    }
    if (errno == EINPROGRESS || errno == EINTR) {
      s->state = S_CONNECTING;
      return true;
    }
    host_log(IOTBIND_LOG_DEBUG, "sock: connect: %s", strerror(errno));
    drop_fd(s);
  }
  return false;
}

static void fail(struct sock *s, const char *what, int err) {
  host_log(IOTBIND_LOG_INFO, "sock: %s: %s", what, err ? strerror(err) : "closed by peer");
  drop_fd(s);
  s->state = S_FAILED;
}

int32_t hal_sock_connect(const uint8_t *host, int32_t host_len, int32_t port) {
  char name[HOST_MAX + 1], service[8];
  bool tls = (port & IOTBIND_SOCK_TLS) != 0;
  port &= ~IOTBIND_SOCK_TLS;
  if (host_len <= 0 || host_len > HOST_MAX || port <= 0 || port > 65535) return -1;
  memcpy(name, host, (size_t)host_len);
  name[host_len] = 0;
  if (memchr(name, 0, (size_t)host_len)) return -1;
  snprintf(service, sizeof service, "%ld", (long)port);

  int32_t h = 0;
  while (h < SOCK_SLOTS && socks[h].state != S_FREE) h++;
  if (h == SOCK_SLOTS) return -1;
  struct sock *s = &socks[h];
  s->tls = tls;
  s->tls_error = 0;
  s->conn = NULL;
  memcpy(s->name, name, (size_t)host_len + 1);

  struct addrinfo hints;
  memset(&hints, 0, sizeof hints);
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  struct addrinfo *list = NULL;
  int rc = getaddrinfo(name, service, &hints, &list);
  if (rc != 0 || !list) {
#ifdef ESP_PLATFORM /* lwIP has no gai_strerror */
    host_log(IOTBIND_LOG_INFO, "sock: cannot resolve %s: error %d", name, rc);
#else
    host_log(IOTBIND_LOG_INFO, "sock: cannot resolve %s: %s", name, gai_strerror(rc));
#endif
    return -1;
  }
  s->fd = -1;
  s->list = list;
  s->next = list;
  if (!connect_next(s)) {
    freeaddrinfo(list);
    memset(s, 0, sizeof *s);
    host_log(IOTBIND_LOG_INFO, "sock: cannot connect to %s:%s", name, service);
    return -1;
  }
  host_log(IOTBIND_LOG_DEBUG, "sock %ld: connecting to %s:%s%s", (long)h, name, service, tls ? " (TLS)" : "");
  return h;
}

int32_t hal_sock_status(int32_t h) {
  struct sock *s = slot(h);
  if (!s) return -1;
  if (s->state == S_CONNECTING) {
    progress++; /* a connecting socket wakes sockets_wait when it is done */
    fd_set w;
    struct timeval tv = {0, 0};
    FD_ZERO(&w);
    FD_SET(s->fd, &w);
    int n = select(s->fd + 1, NULL, &w, NULL, &tv);
    if (n > 0) {
      int err = 0;
      socklen_t len = sizeof err;
      if (getsockopt(s->fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0) err = errno;
      if (err == 0) {
        tcp_up(s);
        host_log(IOTBIND_LOG_DEBUG, "sock %ld: connected", (long)h);
      } else {
        host_log(IOTBIND_LOG_DEBUG, "sock %ld: connect: %s", (long)h, strerror(err));
        drop_fd(s);
        if (!connect_next(s)) fail(s, "connect failed", err);
      }
    } else if (n < 0 && errno != EINTR) {
      fail(s, "select", errno);
    }
  }
  if (s->state == S_HANDSHAKING) {
    progress++;
    int32_t rc = tls_conn_handshake(s->conn);
    if (rc == 1) s->state = S_CONNECTED;
    else if (rc < 0) {
      drop_fd(s);
      s->state = S_FAILED;
      s->tls_error = rc;
    }
  }
  switch (s->state) {
    case S_CONNECTING: return IOTBIND_SOCK_CONNECTING;
    case S_HANDSHAKING: return IOTBIND_SOCK_HANDSHAKING;
    case S_CONNECTED: return IOTBIND_SOCK_CONNECTED;
    default: return s->tls_error < 0 ? s->tls_error : IOTBIND_SOCK_ERR;
  }
}

int32_t hal_sock_send(int32_t h, const uint8_t *ptr, int32_t len) {
  struct sock *s = slot(h);
  if (!s) return -1;
  if (s->state == S_CONNECTING || s->state == S_HANDSHAKING) return 0;
  if (s->state != S_CONNECTED) return -1;
  if (len <= 0) return 0;
  if (s->conn) {
    int32_t t = tls_conn_send(s->conn, ptr, len);
    if (t < 0) fail(s, "TLS send", 0);
    return t;
  }
  ssize_t n = send(s->fd, ptr, (size_t)len, MSG_NOSIGNAL);
  if (n >= 0) return (int32_t)n;
  if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) return 0;
  fail(s, "send", errno);
  return -1;
}

int32_t hal_sock_recv(int32_t h, uint8_t *buf, int32_t cap) {
  progress++;
  struct sock *s = slot(h);
  if (!s) return -1;
  if (s->state == S_CONNECTING || s->state == S_HANDSHAKING) return 0;
  if (s->state != S_CONNECTED) return -1;
  if (cap <= 0) return 0;
  if (s->conn) {
    int32_t t = tls_conn_recv(s->conn, buf, cap);
    if (t < 0) fail(s, "TLS recv", 0);
    return t;
  }
  ssize_t n = recv(s->fd, buf, (size_t)cap, 0);
  if (n > 0) return (int32_t)n;
  if (n == 0) {
    fail(s, "recv", 0);
    return -1;
  }
  if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) return 0;
  fail(s, "recv", errno);
  return -1;
}

void hal_sock_close(int32_t h) {
  struct sock *s = slot(h);
  if (!s) return;
  drop_fd(s);
  if (s->list) freeaddrinfo(s->list);
  memset(s, 0, sizeof *s);
}

void sockets_close_all(void) {
  for (int32_t h = 0; h < SOCK_SLOTS; h++) hal_sock_close(h);
}

uint32_t sockets_progress(void) { return progress; }

bool sockets_wait(uint32_t ms) {
  fd_set r, w;
  int maxfd = -1;
  FD_ZERO(&r);
  FD_ZERO(&w);
  for (int h = 0; h < SOCK_SLOTS; h++) {
    struct sock *s = &socks[h];
    if (s->conn && tls_conn_pending(s->conn)) return true; /* decrypted bytes wait already */
    if (s->state == S_HANDSHAKING) FD_SET(s->fd, tls_conn_wants_write(s->conn) ? &w : &r);
    else if (s->state == S_CONNECTED) FD_SET(s->fd, &r);
    else if (s->state == S_CONNECTING) FD_SET(s->fd, &w);
    else continue;
    if (s->fd > maxfd) maxfd = s->fd;
  }
  if (maxfd < 0) {
    platform_sleep_ms(ms);
    return false;
  }
  struct timeval tv;
  tv.tv_sec = (long)(ms / 1000);
  tv.tv_usec = (long)(ms % 1000) * 1000;
  return select(maxfd + 1, &r, &w, NULL, &tv) > 0;
}
