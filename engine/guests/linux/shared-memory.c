/* MAP_SHARED across fork: a shared anonymous page is one page for parent and child (each sees the other's
 * writes, also through a pipe-synchronised ping-pong), while a private page is copied; MAP_SHARED of /dev/zero
 * behaves as shared anonymous memory. */
#include <fcntl.h>
#include <stdio.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

int main(void) {
  volatile int *shared = mmap(0, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  volatile int *priv = mmap(0, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  int zero = open("/dev/zero", O_RDWR);
  volatile int *zshared = mmap(0, 8192, PROT_READ | PROT_WRITE, MAP_SHARED, zero, 0);
  if (shared == MAP_FAILED || priv == MAP_FAILED || zshared == MAP_FAILED) return 1;
  shared[0] = 1;
  priv[0] = 1;
  int to_child[2], to_parent[2];
  pipe(to_child);
  pipe(to_parent);
  char b = 0;
  pid_t pid = fork();
  if (pid == 0) {
    printf("child sees shared %d, private %d\n", shared[0], priv[0]);
    shared[0] = 2;
    priv[0] = 2;
    zshared[1024 + 5] = 77;
    for (int round = 0; round < 5; round++) {
      read(to_child[0], &b, 1);
      shared[1] = shared[1] + 10;
      write(to_parent[1], &b, 1);
    }
    fflush(stdout);
    _exit(0);
  }
  for (int round = 0; round < 5; round++) {
    shared[1] = shared[1] + 1;
    write(to_child[1], &b, 1);
    read(to_parent[0], &b, 1);
  }
  int status;
  waitpid(pid, &status, 0);
  printf("parent sees shared %d, private %d, ping-pong %d, /dev/zero page %d\n", shared[0], priv[0], shared[1], zshared[1024 + 5]);
  return 0;
}
