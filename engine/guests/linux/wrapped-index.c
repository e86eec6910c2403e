// Memory operands whose scaled index wraps modulo 2^64, as compiled Rust forms them (Biome indexes a table with
// `(i ^ 0x1ffffffffffffffe) * 40`): base + index*scale + disp is taken modulo 2^64, so the operand is a small
// negative offset from the base. Run often enough for the JIT to compile the loop, too.
#include <stdint.h>
#include <stdio.h>

int main(void) {
  uint64_t table[16];
  for (int i = 0; i < 16; i++) table[i] = 0x1111111111111111ULL * (uint64_t)i;
  uint64_t *end = &table[15];
  uint64_t sum = 0, wrapped = 0, negative = 0;
  for (int round = 0; round < 20000; round++) {
    uint64_t index = 0x1ffffffffffffffeULL, word, lo, hi;
    // index*5 = 0x9ffffffffffffff6, times 8 is -80 modulo 2^64: end - 10 words, i.e. table[5].
    __asm__ volatile("lea (%[i],%[i],4), %[i]\n\tmovups (%[b],%[i],8), %%xmm0\n\tmovq %%xmm0, %[lo]\n\t"
                     "movhlps %%xmm0, %%xmm0\n\tmovq %%xmm0, %[hi]"
                     : [i] "+r"(index), [lo] "=r"(lo), [hi] "=r"(hi) : [b] "r"(end) : "xmm0", "memory");
    // index*8 = -16 modulo 2^64: table[13], read and written through the same wrapped operand.
    index = 0x1ffffffffffffffeULL;
    __asm__ volatile("mov (%[b],%[i],8), %[w]\n\taddq $1, (%[b],%[i],8)" : [w] "=&r"(word) : [b] "r"(end), [i] "r"(index) : "memory");
    // A plain negative index with a displacement: end - 3 words + 8 bytes = table[13].
    int64_t minus = -3;
    __asm__ volatile("mov 8(%[b],%[i],8), %[w]" : [w] "=r"(negative) : [b] "r"(end), [i] "r"(minus) : "memory");
    sum += lo + hi + word;
    wrapped = lo ^ hi;
  }
  printf("table[5]^table[6] %016llx\n", (unsigned long long)wrapped);
  printf("table[13] %016llx (read back %016llx)\n", (unsigned long long)table[13], (unsigned long long)negative);
  printf("sum %016llx\n", (unsigned long long)sum);
  return 0;
}
