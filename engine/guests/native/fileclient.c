/* Native file-server client: creates a file through the roottask's file service, writes it in several messages,
 * seeks, reads it back, compares, checks fstat, and reports each step. */
#include "hrstd.h"

#define SIZE 10000

static char data[SIZE], back[SIZE];

int main(void) {
  const char *path = "/tmp/native-notes.txt";
  for (int i = 0; i < SIZE; i++) data[i] = (char)('a' + i % 26);
  long fd = hrt_open(path, HRT_O_CREAT | HRT_O_RDWR | HRT_O_TRUNC, 0644);
  if (fd < 0) {
    hrt_eprintf("open %s failed: %ld\n", path, fd);
    return 1;
  }
  hrt_printf("open %s -> fd %ld\n", path, fd);
  long n = hrt_write_fd((int)fd, data, SIZE);
  hrt_printf("write %d bytes -> %ld\n", SIZE, n);
  struct hrt_stat st;
  long r = hrt_fstat((int)fd, &st);
  hrt_printf("fstat -> %ld, size %lu, mode %o\n", r, (unsigned long)st.size, st.mode);
  hrt_printf("lseek 0 -> %ld\n", hrt_lseek((int)fd, 0, HRT_SEEK_SET));
  n = hrt_read((int)fd, back, SIZE);
  int same = n == SIZE;
  for (int i = 0; same && i < SIZE; i++) same = back[i] == data[i];
  hrt_printf("read back %ld bytes: %s\n", n, same ? "identical" : "DIFFERENT");
  long closed = hrt_close((int)fd);
  hrt_printf("close -> %ld, close again -> %ld\n", closed, hrt_close((int)fd));
  long missing = hrt_open("/no/such/file", HRT_O_RDONLY, 0);
  hrt_printf("open /no/such/file -> %ld\n", missing);
  return same ? 0 : 1;
}
