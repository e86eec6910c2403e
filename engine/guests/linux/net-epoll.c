// An epoll TCP echo server with 20 concurrent clients, each a forked child: a non-blocking listener, accept4 until
// EAGAIN, level-triggered reads, EPOLLRDHUP on the clients' half-close. Prints only counts that do not depend on timing.
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>
#include "net-guest.h"

#define CLIENTS 20
#define ROUNDS 8

/** One client: ROUNDS messages, each echoed whole, then a half-close and the server's end of stream. */
static int client(int port, int id) {
  int c = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in a = v4(port);
  if (connect(c, (struct sockaddr *)&a, sizeof a) < 0) return 1;
  for (int r = 0; r < ROUNDS; r++) {
    char msg[512], back[512];
    int n = snprintf(msg, sizeof msg, "client %d round %d %.*s", id, r, id * 20 + r, "........................................................................................................................................................................................................................................................................................................................................................................................................................");
    if (write(c, msg, n) != n) return 2;
    int got = 0;
    while (got < n) {
      int k = read(c, back + got, n - got);
      if (k <= 0) return 3;
      got += k;
    }
    if (memcmp(msg, back, n) != 0) return 4;
  }
  if (shutdown(c, SHUT_WR) < 0) return 5;
  char x;
  if (read(c, &x, 1) != 0) return 6;
  close(c);
  return 0;
}

int main(void) {
  signal(SIGPIPE, SIG_IGN);
  setvbuf(stdout, NULL, _IOLBF, 0);
  int lis = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
  struct sockaddr_in a = v4(0);
  bind(lis, (struct sockaddr *)&a, sizeof a);
  listen(lis, CLIENTS);
  socklen_t len = sizeof a;
  getsockname(lis, (struct sockaddr *)&a, &len);
  int port = ntohs(a.sin_port);
  pid_t pids[CLIENTS];
  for (int i = 0; i < CLIENTS; i++) {
    pids[i] = fork();
    if (pids[i] == 0) { close(lis); _exit(client(port, i)); }
  }
  int ep = epoll_create1(EPOLL_CLOEXEC);
  struct epoll_event ev = {.events = EPOLLIN, .data.fd = lis};
  printf("epoll_ctl ADD listener: %d\n", epoll_ctl(ep, EPOLL_CTL_ADD, lis, &ev));
  int accepted = 0, closed = 0, hups = 0, short_writes = 0, again = 0;
  long echoed = 0;
  while (closed < CLIENTS) {
    struct epoll_event events[8];
    int n = epoll_wait(ep, events, 8, 20000);
    if (n <= 0) { printf("epoll_wait: %d (%s)\n", n, n < 0 ? strerror(errno) : "timeout"); break; }
    for (int i = 0; i < n; i++) {
      int fd = events[i].data.fd;
      if (fd == lis) {
        for (;;) {
          int s = accept4(lis, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
          if (s < 0) { again += errno == EAGAIN; break; }
          accepted++;
          struct epoll_event cev = {.events = EPOLLIN | EPOLLRDHUP, .data.fd = s};
          epoll_ctl(ep, EPOLL_CTL_ADD, s, &cev);
        }
        continue;
      }
      char buf[4096];
      int k = read(fd, buf, sizeof buf);
      if (k > 0) {
        int w = write(fd, buf, k);
        if (w != k) short_writes++;
        else echoed += k;
      } else if (k == 0) {
        hups += (events[i].events & EPOLLRDHUP) != 0;
        epoll_ctl(ep, EPOLL_CTL_DEL, fd, NULL);
        close(fd);
        closed++;
      }
    }
  }
  printf("accepted: %d\nclosed at end of stream: %d\nends seen with EPOLLRDHUP: %d\n", accepted, closed, hups);
  printf("bytes echoed: %ld\nshort writes: %d\naccept loops ended by EAGAIN: %s\n", echoed, short_writes, again > 0 ? "yes" : "no");
  for (int i = 0; i < CLIENTS; i++) {
    int status = 0;
    waitpid(pids[i], &status, 0);
    printf("client %d: %s\n", i, WIFEXITED(status) && WEXITSTATUS(status) == 0 ? "all rounds echoed, end of stream" : "FAILED");
  }
  struct epoll_event none[1];
  printf("epoll_wait with no sockets left: %d\n", epoll_wait(ep, none, 1, 0));
  close(lis);
  close(ep);
  return 0;
}
