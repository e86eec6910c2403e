/* cat: copies each named file (or stdin) to stdout with read/write, as the stdin and file-server
   conformance guest; reports errors on stderr like coreutils' cat and exits 1 after any. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static int copy(int fd, const char *name) {
    char buf[4096];
    for (;;) {
        ssize_t n = read(fd, buf, sizeof buf);
        if (n == 0) return 0;
        if (n < 0) { fprintf(stderr, "cat: %s: %s\n", name, strerror(errno)); return 1; }
        for (ssize_t done = 0; done < n;) {
            ssize_t w = write(1, buf + done, n - done);
            if (w < 0) { fprintf(stderr, "cat: write error: %s\n", strerror(errno)); return 1; }
            done += w;
        }
    }
}

int main(int argc, char **argv) {
    if (argc < 2) return copy(0, "-");
    int status = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "-") == 0) { status |= copy(0, "-"); continue; }
        int fd = open(argv[i], O_RDONLY);
        if (fd < 0) { fprintf(stderr, "cat: %s: %s\n", argv[i], strerror(errno)); status = 1; continue; }
        status |= copy(fd, argv[i]);
        close(fd);
    }
    return status;
}
