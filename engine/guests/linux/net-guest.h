/* What the socket guests (net-*.c) share: errno names and report lines, the loopback address, a listener and its
 * port, whole reads and writes. A header, not a .c file: build.sh builds every C file in linux/ as a program of its own. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* "ok" for a result >= 0, else errno's name (its message for the rare ones). */
static inline const char *err(long r) {
  if (r >= 0) return "ok";
  switch (errno) {
    case EAGAIN: return "EAGAIN"; case EINPROGRESS: return "EINPROGRESS"; case ECONNREFUSED: return "ECONNREFUSED";
    case EADDRINUSE: return "EADDRINUSE"; case ECONNRESET: return "ECONNRESET"; case EPIPE: return "EPIPE";
    case ENOTCONN: return "ENOTCONN"; case EISCONN: return "EISCONN"; case ENOTSOCK: return "ENOTSOCK";
    case EINVAL: return "EINVAL"; case EOPNOTSUPP: return "EOPNOTSUPP"; case ENOENT: return "ENOENT";
    case EAFNOSUPPORT: return "EAFNOSUPPORT"; case EDESTADDRREQ: return "EDESTADDRREQ"; case ENOPROTOOPT: return "ENOPROTOOPT";
    case EALREADY: return "EALREADY"; case EADDRNOTAVAIL: return "EADDRNOTAVAIL";
    default: return strerror(errno);
  }
}

/* Report lines: a label padded to LABEL_WIDTH, then "ok" / errno's name (SHOW) or the number (SHOWN). */
#ifndef LABEL_WIDTH
#define LABEL_WIDTH 44
#endif
#define SHOW(label, expr) do { long r_ = (long)(expr); printf("%-*s %s\n", LABEL_WIDTH, label, err(r_)); } while (0)
#define SHOWN(label, expr) do { long r_ = (long)(expr); if (r_ >= 0) printf("%-*s %ld\n", LABEL_WIDTH, label, r_); else printf("%-*s %s\n", LABEL_WIDTH, label, err(r_)); } while (0)

/* 127.0.0.1:port */
static inline struct sockaddr_in v4(int port) {
  struct sockaddr_in a = {0};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  return a;
}

/* The local port of an IPv4 or IPv6 socket. */
static inline int port_of(int fd) {
  struct sockaddr_storage a;
  socklen_t len = sizeof a;
  getsockname(fd, (struct sockaddr *)&a, &len);
  return ntohs(a.ss_family == AF_INET ? ((struct sockaddr_in *)&a)->sin_port : ((struct sockaddr_in6 *)&a)->sin6_port);
}

/* A TCP listener on 127.0.0.1 at a port the stack picks. */
static inline int tcp_listener(int backlog) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in a = v4(0);
  bind(fd, (struct sockaddr *)&a, sizeof a);
  listen(fd, backlog);
  return fd;
}

/* All n bytes, or what went before the first failure (the failure itself if nothing went). */
static inline long write_all(int fd, const char *p, long n) {
  long done = 0;
  while (done < n) {
    long w = write(fd, p + done, n - done);
    if (w <= 0) return w < 0 && done == 0 ? w : done;
    done += w;
  }
  return done;
}

/* n bytes, or fewer at end of stream (a failure before any byte is returned as is). */
static inline long read_full(int fd, char *p, long n) {
  long done = 0;
  while (done < n) {
    long r = read(fd, p + done, n - done);
    if (r <= 0) return r < 0 && done == 0 ? r : done;
    done += r;
  }
  return done;
}
