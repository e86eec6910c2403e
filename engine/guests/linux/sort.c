/* sort: malloc/free, qsort and string handling over pseudo-random data, printing checksums
   so any arithmetic, memory or control-flow error shows up as different output. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint32_t state = 12345;
static uint32_t next(void) { state = state * 1103515245u + 12345u; return state >> 8; }

static int cmp_int(const void *a, const void *b) {
    int x = *(const int *)a, y = *(const int *)b;
    return (x > y) - (x < y);
}

static int cmp_str(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

int main(int argc, char **argv) {
    int n = argc > 1 ? atoi(argv[1]) : 5000;
    int *v = malloc(n * sizeof *v);
    for (int i = 0; i < n; i++) v[i] = (int)(next() % 100000) - 50000;
    qsort(v, n, sizeof *v, cmp_int);
    long long sum = 0;
    int sorted = 1;
    for (int i = 0; i < n; i++) { sum += (long long)v[i] * (i + 1); if (i && v[i - 1] > v[i]) sorted = 0; }
    printf("ints: n=%d sorted=%d min=%d max=%d weighted=%lld\n", n, sorted, v[0], v[n - 1], sum);
    free(v);

    int m = n / 10 + 1;
    char **words = malloc(m * sizeof *words);
    for (int i = 0; i < m; i++) {
        int len = 3 + next() % 12;
        words[i] = malloc(len + 1);
        for (int j = 0; j < len; j++) words[i][j] = 'a' + next() % 26;
        words[i][len] = 0;
    }
    qsort(words, m, sizeof *words, cmp_str);
    unsigned long h = 5381;
    for (int i = 0; i < m; i++) for (char *p = words[i]; *p; p++) h = h * 33 + (unsigned char)*p;
    printf("words: m=%d first=%s last=%s hash=%lu\n", m, words[0], words[m - 1], h);
    char *joined = calloc(1, 64);
    size_t cap = 64, len = 0;
    for (int i = 0; i < m && i < 200; i++) {
        size_t w = strlen(words[i]);
        if (len + w + 2 > cap) { cap *= 2; joined = realloc(joined, cap); }
        memcpy(joined + len, words[i], w);
        len += w;
        joined[len++] = ' ';
        joined[len] = 0;
    }
    printf("joined length %zu, contains 'ab': %s\n", len, strstr(joined, "ab") ? "yes" : "no");
    for (int i = 0; i < m; i++) free(words[i]);
    free(words);
    free(joined);
    return 0;
}
