/* hello: prints its argv and selected environment variables, then exits with argc.
   The conformance tests run it natively and in the lab and compare the bytes. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

extern char **environ;

int main(int argc, char **argv) {
    printf("Hello from a static Linux binary on Hedron!\n");
    for (int i = 0; i < argc; i++) printf("argv[%d] = \"%s\"\n", i == 0 ? 0 : i, i == 0 ? "(program)" : argv[i]);
    int n = 0;
    for (char **e = environ; *e; e++) {
        if (strncmp(*e, "HEDRON_", 7) == 0) printf("env: %s\n", *e);
        n++;
    }
    printf("%d environment entries, %s\n", n, getenv("HEDRON_LAB") ? "HEDRON_LAB is set" : "HEDRON_LAB is not set");
    fprintf(stderr, "a line on stderr: %d %x %o %5.2s|%-6d|%+d\n", -42, 0xbeef, 8, "abc", 7, 9);
    return argc;
}
