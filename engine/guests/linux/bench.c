/* bench: a CPU-bound workload for `npm run bench` — hashing (FNV-1a and a CRC32), sorting, integer
   and floating-point arithmetic — that prints checksums so a wrong result cannot pass as fast. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint64_t rng = 0x9e3779b97f4a7c15ull;
static uint64_t next(void) { rng ^= rng << 13; rng ^= rng >> 7; rng ^= rng << 17; return rng; }

static uint32_t crc_table[256];
static void crc_init(void) {
    for (uint32_t i = 0; i < 256; i++) {
        uint32_t c = i;
        for (int k = 0; k < 8; k++) c = c & 1 ? 0xedb88320u ^ (c >> 1) : c >> 1;
        crc_table[i] = c;
    }
}
static uint32_t crc32(const uint8_t *p, size_t n) {
    uint32_t c = 0xffffffffu;
    while (n--) c = crc_table[(c ^ *p++) & 0xff] ^ (c >> 8);
    return c ^ 0xffffffffu;
}
static uint64_t fnv1a(const uint8_t *p, size_t n) {
    uint64_t h = 0xcbf29ce484222325ull;
    while (n--) { h ^= *p++; h *= 0x100000001b3ull; }
    return h;
}
static int cmp_u32(const void *a, const void *b) {
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return (x > y) - (x < y);
}

int main(int argc, char **argv) {
    int scale = argc > 1 ? atoi(argv[1]) : 10;
    size_t n = 1 << 16;
    uint8_t *data = malloc(n);
    uint32_t *keys = malloc(n * sizeof *keys);
    crc_init();
    uint64_t hash = 0, isum = 0;
    uint32_t crc = 0;
    double fsum = 0.0;
    for (int round = 0; round < scale; round++) {
        for (size_t i = 0; i < n; i++) data[i] = (uint8_t)next();
        crc ^= crc32(data, n);
        hash ^= fnv1a(data, n);
        for (size_t i = 0; i < n / 4; i++) keys[i] = (uint32_t)next();
        qsort(keys, n / 4, sizeof *keys, cmp_u32);
        for (size_t i = 0; i < n / 4; i += 97) isum += keys[i] / (i + 1) + keys[i] % 1009;
        double x = 1.0 + round;
        for (int i = 1; i < 20000; i++) {
            x = x * 1.0000001 + 1.0 / i;
            fsum += x / (i + 0.5) - (double)(i % 7) * 0.25;
        }
    }
    printf("crc=%08x fnv=%016llx isum=%llu fsum=%.6f\n", crc, (unsigned long long)hash, (unsigned long long)isum, fsum);
    free(data);
    free(keys);
    return 0;
}
