// Two programs that talk TCP: `server PORT COUNT` echoes COUNT connections one after another (reports on stderr);
// `client PORT COUNT` connects COUNT times (retrying while nobody listens yet), sends and checks the echo (stdout).
// Started side by side, natively as two processes or in the lab from one boot file.
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include "net-guest.h"

static int server(int port, int count) {
  int one = 1;
  int lis = socket(AF_INET, SOCK_STREAM, 0);
  setsockopt(lis, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  struct sockaddr_in a = v4(port);
  if (bind(lis, (struct sockaddr *)&a, sizeof a) < 0 || listen(lis, 4) < 0) {
    fprintf(stderr, "server: %s\n", strerror(errno));
    return 1;
  }
  fprintf(stderr, "server: listening\n");
  static char buf[65536];
  for (int c = 1; c <= count; c++) {
    int s = accept(lis, NULL, NULL);
    long total = 0;
    for (;;) {
      long n = read(s, buf, sizeof buf);
      if (n <= 0) break;
      if (write_all(s, buf, n) != n) break;
      total += n;
    }
    fprintf(stderr, "server: connection %d: echoed %ld bytes, then end of stream\n", c, total);
    close(s);
  }
  close(lis);
  return 0;
}

static int connect_retrying(int port) {
  struct sockaddr_in a = v4(port);
  for (int tries = 0; tries < 2000; tries++) {
    int c = socket(AF_INET, SOCK_STREAM, 0);
    if (connect(c, (struct sockaddr *)&a, sizeof a) == 0) return c;
    int e = errno;
    close(c);
    if (e != ECONNREFUSED) break;
    struct timespec pause = {0, 5 * 1000 * 1000};
    nanosleep(&pause, NULL);
  }
  return -1;
}

static int client(int port, int count) {
  static char out[65536], back[65536];
  for (int c = 1; c <= count; c++) {
    int s = connect_retrying(port);
    if (s < 0) {
      printf("client: connection %d: %s\n", c, strerror(errno));
      return 1;
    }
    long sent = 0;
    int same = 1;
    // Round trips of growing size, then one 64 KiB message.
    for (int i = 1; i <= 40 + 10 * c; i++) {
      int n = i == 40 + 10 * c ? (int)sizeof out : i * 97;
      for (int j = 0; j < n; j++) out[j] = (char)(c * 31 + i + j * 7);
      if (write_all(s, out, n) != n || read_full(s, back, n) != n) { same = 0; break; }
      same &= memcmp(out, back, n) == 0;
      sent += n;
    }
    shutdown(s, SHUT_WR);
    char x;
    long end = read(s, &x, 1);
    printf("client: connection %d: sent %ld bytes, echo %s, then %s\n", c, sent, same ? "identical" : "DIFFERENT", end == 0 ? "end of stream" : "more data");
    close(s);
  }
  return 0;
}

int main(int argc, char **argv) {
  setvbuf(stdout, NULL, _IOLBF, 0);
  if (argc != 4 || (strcmp(argv[1], "server") != 0 && strcmp(argv[1], "client") != 0)) {
    fprintf(stderr, "usage: net-pair server|client PORT COUNT\n");
    return 2;
  }
  int port = atoi(argv[2]), count = atoi(argv[3]);
  return strcmp(argv[1], "server") == 0 ? server(port, count) : client(port, count);
}
