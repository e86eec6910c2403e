/* fileio: creates, writes, seeks, reads back and lists files in the working directory,
   exercising open/openat, read/write, lseek, pread/pwrite, fstat/stat and error paths. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static void check(int ok, const char *what) {
    if (!ok) { printf("FAILED: %s (errno %d: %s)\n", what, errno, strerror(errno)); exit(1); }
}

int main(void) {
    const char *name = "fileio-test.txt";
    unlink(name);
    int fd = open(name, O_CREAT | O_RDWR | O_TRUNC, 0644);
    check(fd >= 0, "open for writing");
    for (int i = 0; i < 100; i++) {
        char line[64];
        int n = snprintf(line, sizeof line, "line %03d: %s\n", i, i % 2 ? "odd" : "even");
        check(write(fd, line, n) == n, "write");
    }
    struct stat st;
    check(fstat(fd, &st) == 0, "fstat");
    printf("size after writing: %lld, regular: %d\n", (long long)st.st_size, S_ISREG(st.st_mode));
    check(lseek(fd, 10 * 15, SEEK_SET) == 150, "lseek");
    char buf[32] = {0};
    check(read(fd, buf, 14) == 14, "read");
    printf("at offset 150: [%.14s]\n", buf);
    check(pwrite(fd, "LINE", 4, 0) == 4, "pwrite");
    memset(buf, 0, sizeof buf);
    check(pread(fd, buf, 9, 0) == 9, "pread");
    printf("first bytes: [%s]\n", buf);
    printf("offset still: %lld\n", (long long)lseek(fd, 0, SEEK_CUR));
    close(fd);

    FILE *f = fopen(name, "r");
    check(f != NULL, "fopen");
    char line[64];
    int lines = 0, odd = 0;
    while (fgets(line, sizeof line, f)) { lines++; if (strstr(line, "odd")) odd++; }
    fclose(f);
    printf("lines: %d, odd: %d\n", lines, odd);

    f = fopen(name, "a");
    check(f != NULL, "fopen append");
    fprintf(f, "appended %s %d\n", "text", 12345);
    fclose(f);
    check(stat(name, &st) == 0, "stat");
    printf("size after append: %lld\n", (long long)st.st_size);

    errno = 0;
    int bad = open("does/not/exist.txt", O_RDONLY);
    printf("open missing: %d, errno %s\n", bad, errno == ENOENT ? "ENOENT" : "other");
    errno = 0;
    ssize_t got = read(99, buf, 1);
    printf("read from bad fd: %zd, errno %s\n", got, errno == EBADF ? "EBADF" : "other");
    check(unlink(name) == 0, "unlink");
    printf("exists after unlink: %d\n", access(name, F_OK) == 0);
    return 0;
}
