/* Processes: fork 50 children and reap them, exit statuses and signals as wait reports them, a pipe between
 * processes (blocking reader, EOF, EPIPE/SIGPIPE), SIGCHLD, kill, process groups, and execve of /proc/self/exe. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static volatile sig_atomic_t chld;

static void on_chld(int sig) {
  (void)sig;
  chld++;
}

int main(int argc, char **argv) {
  if (argc > 1 && strcmp(argv[1], "child") == 0) {
    /* Re-executed through /proc/self/exe: the pipe end stayed open (no O_CLOEXEC), the other was closed. */
    int fd = atoi(argv[2]);
    printf("exec'd child: argv[3]=%s, fd %d %s, closed fd %s\n", argv[3], fd, fcntl(fd, F_GETFD) >= 0 ? "open" : "closed",
           fcntl(atoi(argv[4]), F_GETFD) < 0 && errno == EBADF ? "EBADF" : "open");
    fflush(stdout);
    return 42;
  }
  setvbuf(stdout, NULL, _IONBF, 0);
  pid_t self = getpid();
  int sum = 0, reaped = 0;
  for (int i = 0; i < 50; i++) {
    pid_t pid = fork();
    if (pid < 0) { perror("fork"); return 1; }
    if (pid == 0) _exit(getppid() == self ? i : 100);
  }
  for (;;) {
    int status;
    pid_t pid = wait(&status);
    if (pid < 0) { printf("wait: %s after %d children\n", errno == ECHILD ? "ECHILD" : strerror(errno), reaped); break; }
    if (WIFEXITED(status)) sum += WEXITSTATUS(status);
    reaped++;
  }
  printf("50 children: sum of statuses %d (expect %d)\n", sum, 49 * 50 / 2);

  int p[2];
  pipe(p);
  pid_t writer = fork();
  if (writer == 0) {
    close(p[0]);
    for (int i = 0; i < 5; i++) {
      char line[32];
      int n = snprintf(line, sizeof line, "message %d\n", i);
      write(p[1], line, n);
      for (volatile int spin = 0; spin < 200000; spin++);
    }
    _exit(0);
  }
  close(p[1]);
  char buf[256];
  int total = 0;
  ssize_t n;
  while ((n = read(p[0], buf + total, sizeof buf - 1 - total)) > 0) total += n;
  buf[total] = 0;
  printf("read %d bytes until EOF (%zd):\n%s", total, n, buf);
  close(p[0]);
  waitpid(writer, NULL, 0);

  pipe(p);
  close(p[0]);
  signal(SIGPIPE, SIG_IGN);
  ssize_t w = write(p[1], "x", 1);
  printf("write to a pipe without readers: %zd %s\n", w, strerror(errno));
  signal(SIGPIPE, SIG_DFL);
  pid_t piper = fork();
  if (piper == 0) { write(p[1], "x", 1); _exit(0); }
  int status;
  waitpid(piper, &status, 0);
  printf("child writing there: signaled %d by signal %d\n", WIFSIGNALED(status), WTERMSIG(status));
  close(p[1]);

  struct sigaction sa = { .sa_handler = on_chld };
  sigaction(SIGCHLD, &sa, NULL);
  pid_t sleeper = fork();
  if (sleeper == 0) { for (;;) pause(); }
  printf("WNOHANG on a live child: %d\n", waitpid(sleeper, &status, WNOHANG));
  kill(sleeper, SIGTERM);
  while (waitpid(sleeper, &status, 0) < 0 && errno == EINTR);
  printf("killed child: signaled %d signal %d, SIGCHLD seen %d\n", WIFSIGNALED(status), WTERMSIG(status), chld > 0);
  sa.sa_handler = SIG_DFL;
  sigaction(SIGCHLD, &sa, NULL);

  pid_t leader = fork();
  if (leader == 0) {
    setpgid(0, 0);
    printf("child group leader: %d, session same: %d\n", getpgrp() == getpid(), getsid(0) == getsid(getppid()));
    int r = setsid();
    printf("setsid as group leader: %d %s\n", r, strerror(errno));
    _exit(0);
  }
  waitpid(leader, NULL, 0);
  int r = waitpid(leader, NULL, 0);
  printf("waitpid on a reaped child: %d %s\n", r, strerror(errno));

  pipe(p);
  fcntl(p[0], F_SETFD, FD_CLOEXEC);
  pid_t execer = fork();
  if (execer == 0) {
    char fd[16], other[16];
    snprintf(fd, sizeof fd, "%d", p[1]);
    snprintf(other, sizeof other, "%d", p[0]);
    execl("/proc/self/exe", argv[0], "child", fd, "third", other, (char *)NULL);
    perror("execl");
    _exit(127);
  }
  waitpid(execer, &status, 0);
  printf("exec'd child exited %d with %d\n", WIFEXITED(status), WEXITSTATUS(status));
  r = execl("/no/such/program", "x", (char *)NULL);
  printf("execve of a missing file: %d %s\n", r, strerror(errno));
  return 0;
}
