/* Native network client and server in one app, through hrstd's network service client: listen on the lab's loopback,
 * connect, accept, send, echo back, receive, close — then read a file of the FAT disk (if /disk is attached).
 * `serve PORT COUNT`: an echo server for COUNT connections from other apps (blocking accept and receive). */
#include "hrstd.h"

static char buf[8192];

static unsigned parse(const char *s) {
  unsigned v = 0;
  while (*s >= '0' && *s <= '9') v = v * 10 + (unsigned)(*s++ - '0');
  return v;
}

/* Echoes each of `count` connections until its end of stream, one after another. */
static int serve(unsigned port, unsigned count) {
  long lis = hrt_net_socket(HRT_SOCK_STREAM);
  long bound = hrt_net_bind((int)lis, HRT_IPV4(127, 0, 0, 1), port);
  hrt_printf("native echo server: bind %s, listen %ld\n", bound == (long)port ? "ok" : "failed", hrt_net_listen((int)lis, 4));
  for (unsigned c = 0; c < count; c++) {
    long srv = hrt_net_accept((int)lis);
    if (srv < 0) {
      hrt_printf("accept: %ld\n", srv);
      return 1;
    }
    long total = 0;
    for (;;) {
      long n = hrt_net_receive((int)srv, buf, sizeof buf);
      if (n <= 0) break;
      if (hrt_net_send((int)srv, buf, (size_t)n) != n) break;
      total += n;
    }
    hrt_printf("connection %u: echoed %ld bytes, then end of stream\n", c + 1, total);
    hrt_net_close((int)srv);
  }
  hrt_net_close((int)lis);
  return 0;
}

int main(int argc, char **argv) {
  if (argc >= 3 && argv[1][0] == 's') return serve(parse(argv[2]), argc >= 4 ? parse(argv[3]) : 1);
  long lis = hrt_net_socket(HRT_SOCK_STREAM);
  long port = hrt_net_bind((int)lis, HRT_IPV4(127, 0, 0, 1), 0);
  hrt_printf("listen: %ld (ephemeral port: %s)\n", hrt_net_listen((int)lis, 4), port >= 32768 ? "yes" : "no");
  long cli = hrt_net_socket(HRT_SOCK_STREAM);
  hrt_printf("connect: %ld\n", hrt_net_connect((int)cli, HRT_IPV4(127, 0, 0, 1), (unsigned)port));
  long srv = hrt_net_accept((int)lis);
  hrt_printf("accept: %s\n", srv >= 0 ? "a new fd" : "failed");
  for (int i = 0; i < (int)sizeof buf; i++) buf[i] = (char)('a' + i % 26);
  hrt_printf("send 8192 bytes: %ld\n", hrt_net_send((int)cli, buf, sizeof buf));
  long total = 0;
  while (total < (long)sizeof buf) {
    long n = hrt_net_receive((int)srv, buf, sizeof buf);
    if (n <= 0) break;
    hrt_net_send((int)srv, buf, (size_t)n);
    total += n;
  }
  hrt_printf("server echoed %ld bytes\n", total);
  long back = 0;
  int same = 1;
  while (back < total) {
    long n = hrt_net_receive((int)cli, buf, sizeof buf);
    if (n <= 0) break;
    for (long i = 0; i < n; i++) same &= buf[i] == (char)('a' + (back + i) % 26);
    back += n;
  }
  hrt_printf("client received %ld bytes: %s\n", back, same ? "identical" : "DIFFERENT");
  hrt_net_close((int)cli);
  hrt_printf("after the client closed, the server receives %ld\n", hrt_net_receive((int)srv, buf, sizeof buf));
  hrt_printf("connect to an unreachable address: %ld\n", hrt_net_connect((int)hrt_net_socket(HRT_SOCK_STREAM), HRT_IPV4(10, 0, 0, 1), 80));
  hrt_net_close((int)srv);
  hrt_net_close((int)lis);
  long fd = hrt_open("/disk/readme.txt", HRT_O_RDONLY, 0);
  if (fd >= 0) {
    long n = hrt_read((int)fd, buf, sizeof buf - 1);
    buf[n > 0 ? n : 0] = 0;
    hrt_printf("read from the FAT disk: %s", buf);
    hrt_close((int)fd);
  }
  return 0;
}
