// What programs read of /proc and ask of memory: /proc/self/{maps,stat,status}, /proc/mounts, /etc/mtab, mincore and
// posix_fadvise. Prints only facts that hold natively on every run (fields checked against getpid() and friends).
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

static char text[1 << 16];

static int slurp(const char *path) {
  int fd = open(path, O_RDONLY);
  if (fd < 0) return -1;
  int n = 0, r;
  while ((r = read(fd, text + n, sizeof text - 1 - n)) > 0) n += r;
  text[n] = 0;
  close(fd);
  return n;
}

static const char *yes(int ok) { return ok ? "yes" : "no"; }

/** The line of /proc/self/maps whose range starts at `start`, or NULL. */
static char *mapping(unsigned long start) {
  char key[32];
  snprintf(key, sizeof key, "%08lx-", start);
  for (char *line = text; *line; line = strchr(line, '\n') + 1) {
    if (strncmp(line, key, strlen(key)) == 0) return line;
    if (!strchr(line, '\n')) break;
  }
  return NULL;
}

int main(void) {
  char exe[256] = {0};
  readlink("/proc/self/exe", exe, sizeof exe - 1);

  // maps: a new anonymous read-only mapping of 3 pages, the stack, and the executable's code.
  char *region = mmap(NULL, 3 * 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  slurp("/proc/self/maps");
  char *line = mapping((unsigned long)region);
  unsigned long lo = 0, hi = 0;
  char perms[8] = {0};
  if (line) sscanf(line, "%lx-%lx %4s", &lo, &hi, perms);
  printf("maps: new mapping of %lu bytes %s\n", hi - lo, perms);
  char *stack = strstr(text, "[stack]");
  printf("maps: [stack] %s, writable %s\n", yes(stack != NULL), yes(stack && strstr(stack - 60 > text ? stack - 60 : text, "rw-p") != NULL));
  char code[300];
  snprintf(code, sizeof code, "r-xp");
  int code_named = 0;
  for (char *l = text; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
    char *end = strchr(l, '\n');
    if (end) *end = 0;
    if (strstr(l, code) && strstr(l, exe)) code_named = 1;
    if (end) *end = '\n';
  }
  printf("maps: code mapped r-x from %s: %s\n", strrchr(exe, '/') + 1, yes(code_named));

  // stat: pid, (comm), state, ppid … num_threads (field 20).
  slurp("/proc/self/stat");
  int pid = 0, ppid = 0;
  char comm[64] = {0}, state = 0;
  sscanf(text, "%d %63s %c %d", &pid, comm, &state, &ppid);
  char *after = strrchr(text, ')') + 2;
  long field[60] = {0};
  int n = 3;
  for (char *tok = strtok(after, " "); tok && n < 60; tok = strtok(NULL, " ")) field[n++] = strtol(tok, NULL, 10);
  printf("stat: pid %s, comm %s, state %c, ppid %s, threads %ld, fields %d\n", yes(pid == getpid()), comm, state,
         yes(ppid == getppid()), field[20], n - 1);

  // status: Name, State, Pid, PPid, Threads.
  slurp("/proc/self/status");
  char name[64] = {0};
  sscanf(strstr(text, "Name:"), "Name:\t%63s", name);
  int spid = 0, sppid = 0, threads = 0;
  sscanf(strstr(text, "\nPid:"), "\nPid:\t%d", &spid);
  sscanf(strstr(text, "\nPPid:"), "\nPPid:\t%d", &sppid);
  sscanf(strstr(text, "\nThreads:"), "\nThreads:\t%d", &threads);
  printf("status: Name %s, %s, Pid %s, PPid %s, Threads %d, SigBlk %s\n", name, strstr(text, "State:\tR (running)") ? "running" : "?",
         yes(spid == getpid()), yes(sppid == getppid()), threads, yes(strstr(text, "\nSigBlk:\t") != NULL));
  char other[64];
  snprintf(other, sizeof other, "/proc/%d/stat", getpid());
  printf("/proc/PID/stat is the same process: %s\n", yes(slurp(other) > 0 && atoi(text) == getpid()));
  printf("/proc/of no process: %s\n", slurp("/proc/999999/stat") < 0 && errno == ENOENT ? "ENOENT" : "?");

  // mounts: the root is mounted, and /etc/mtab says the same.
  printf("/proc/mounts has /: %s\n", yes(slurp("/proc/mounts") > 0 && strstr(text, " / ") != NULL));
  printf("/etc/mtab has /: %s\n", yes(slurp("/etc/mtab") > 0 && strstr(text, " / ") != NULL));

  // mincore: mapped pages are resident, an unmapped page is ENOMEM, an unaligned address EINVAL.
  char *two = mmap(NULL, 2 * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  two[0] = two[4096] = 1;
  unsigned char vec[2] = {9, 9};
  int r = mincore(two, 2 * 4096, vec);
  printf("mincore: %d, resident %d %d\n", r, vec[0] & 1, vec[1] & 1);
  munmap(two + 4096, 4096);
  r = mincore(two, 2 * 4096, vec);
  printf("mincore over an unmapped page: %d %s\n", r, strerror(errno));
  r = mincore(two + 1, 4096, vec);
  printf("mincore unaligned: %d %s\n", r, strerror(errno));

  // posix_fadvise returns the error number itself.
  int fd = open("fadvise.tmp", O_RDWR | O_CREAT | O_TRUNC, 0600);
  write(fd, "data", 4);
  int p[2];
  pipe(p);
  int file = posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL), piped = posix_fadvise(p[0], 0, 0, POSIX_FADV_NORMAL);
  int advice = posix_fadvise(fd, 0, 0, 99), badfd = posix_fadvise(77, 0, 0, POSIX_FADV_NORMAL);
  printf("fadvise: file %d, pipe %s, bad advice %s, bad fd %s\n", file, strerror(piped), strerror(advice), strerror(badfd));
  unlink("fadvise.tmp");
  return 0;
}
