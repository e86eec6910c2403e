// Pipe writes as Linux does them: up to PIPE_BUF bytes are atomic (EAGAIN rather than a part when O_NONBLOCK), a
// longer non-blocking write is a short count, and a blocking one waits for room until every byte went in.
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static char big[300000];

int main(void) {
  int p[2];
  pipe(p);
  fcntl(p[1], F_SETFL, O_NONBLOCK);
  // 15 pages and 3500 bytes in (Linux keeps a pipe as 16 pages; these cases agree with byte accounting).
  ssize_t n = write(p[1], big, 15 * 4096 + 3500);
  printf("fill: %zd\n", n);
  n = write(p[1], big, 1000);
  printf("atomic 1000 into 596 free: %zd %s\n", n, n < 0 ? strerror(errno) : "");
  n = write(p[1], big, 500);
  printf("500 into 596 free: %zd\n", n);
  close(p[0]);
  close(p[1]);
  // 14 pages in: a 12288-byte write is a short count of the 8192 that fit, then the pipe is full.
  pipe(p);
  fcntl(p[1], F_SETFL, O_NONBLOCK);
  write(p[1], big, 14 * 4096);
  n = write(p[1], big, 12288);
  printf("12288 into 8192 free: %zd\n", n);
  n = write(p[1], big, 1);
  printf("full: %zd %s\n", n, n < 0 ? strerror(errno) : "");
  close(p[0]);
  close(p[1]);

  // A blocking write of 300000 bytes while a child drains the pipe: it returns only when all went in.
  pipe(p);
  for (size_t i = 0; i < sizeof big; i++) big[i] = (char)(i * 7);
  pid_t child = fork();
  if (child == 0) {
    close(p[1]);
    char buf[1000];
    long total = 0, sum = 0, r;
    while ((r = read(p[0], buf, sizeof buf)) > 0) {
      for (long i = 0; i < r; i++) sum += (unsigned char)buf[i];
      total += r;
    }
    printf("reader: %ld bytes, sum %ld\n", total, sum);
    _exit(0);
  }
  close(p[0]);
  n = write(p[1], big, sizeof big);
  printf("blocking write: %zd\n", n);
  close(p[1]);
  waitpid(child, NULL, 0);
  return 0;
}
