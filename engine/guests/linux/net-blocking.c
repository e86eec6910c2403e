// What a single-process program meets where Linux would wait for another party, and addresses off the loopback.
// "unreachable": every non-loopback destination is ENETUNREACH (nothing leaves the lab); "accept"/"recv": a blocking wait.
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static struct sockaddr_in addr(const char *ip, int port) {
  struct sockaddr_in a = {0};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  inet_pton(AF_INET, ip, &a.sin_addr);
  return a;
}

int main(int argc, char **argv) {
  const char *what = argc > 1 ? argv[1] : "unreachable";
  if (strcmp(what, "unreachable") == 0) {
    const char *ips[] = {"192.0.2.1", "10.1.2.3", "8.8.8.8"};
    for (int i = 0; i < 3; i++) {
      int t = socket(AF_INET, SOCK_STREAM, 0);
      struct sockaddr_in a = addr(ips[i], 80);
      int r = connect(t, (struct sockaddr *)&a, sizeof a);
      printf("connect %s: %s\n", ips[i], r < 0 ? strerror(errno) : "connected");
      int u = socket(AF_INET, SOCK_DGRAM, 0);
      r = sendto(u, "x", 1, 0, (struct sockaddr *)&a, sizeof a);
      printf("sendto %s: %s\n", ips[i], r < 0 ? strerror(errno) : "sent");
      struct sockaddr_in b = addr(ips[i], 0);
      r = bind(u, (struct sockaddr *)&b, sizeof b);
      printf("bind %s: %s\n", ips[i], r < 0 ? strerror(errno) : "bound");
      close(t);
      close(u);
    }
    return 0;
  }
  int lis = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in a = addr("127.0.0.1", 0);
  bind(lis, (struct sockaddr *)&a, sizeof a);
  listen(lis, 1);
  printf("waiting in %s\n", what);
  fflush(stdout);
  if (strcmp(what, "accept") == 0) {
    accept(lis, NULL, NULL);
  } else {
    socklen_t len = sizeof a;
    getsockname(lis, (struct sockaddr *)&a, &len);
    int c = socket(AF_INET, SOCK_STREAM, 0);
    connect(c, (struct sockaddr *)&a, sizeof a);
    char buf[16];
    recv(c, buf, sizeof buf, 0);
  }
  puts("not reached in a single process");
  return 0;
}
