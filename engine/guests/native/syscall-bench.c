/* Times native Hedron paths the way the thesis did (HEDRON.md §9): a raw pt_ctrl hypercall, and an IPC call/reply
   round trip to a bare handler in the same PD and to the roottask's raw echo portal across PDs; rdtsc around each. */
#include "hedron.h"
#include "hrstd.h"

/* The same-PD callee: replies at once and touches no stack (a local EC re-enters with the RSP of its last reply). */
__asm__(".text\n.globl bare_reply\nbare_reply:\n mov $1, %edi\n syscall\n ud2\n");
void bare_reply(void);

static char handler_stack[4096] __attribute__((aligned(16)));
static uint64_t echo_pt;

static unsigned do_hypercall(void) { return hedron_pt_ctrl(echo_pt, 1); }
static unsigned do_same_pd(void) {
  hedron_utcb_set_items(hrt_utcb, 0, 0);
  return hedron_call(echo_pt, 0);
}
static unsigned do_cross_pd(void) {
  hedron_utcb_set_items(hrt_utcb, 0, 0);
  return hedron_call(SEL_SRV_RAW_ECHO, 0);
}

/* Average cycles of `rounds` timed calls after `warmup` untimed ones; any status but SUCCESS ends the run. */
static uint64_t measure(unsigned (*fn)(void), long warmup, long rounds) {
  for (long i = 0; i < warmup; i++) fn();
  uint64_t total = 0;
  for (long i = 0; i < rounds; i++) {
    uint64_t t0 = hedron_rdtsc();
    unsigned s = fn();
    uint64_t t1 = hedron_rdtsc();
    if (s != HEDRON_SUCCESS) {
      hrt_eprintf("syscall-bench: status %u\n", s);
      hrt_exit(1);
    }
    total += t1 - t0;
  }
  return total / (uint64_t)rounds;
}

static long number(const char *s) {
  long n = 0;
  while (*s >= '0' && *s <= '9') n = n * 10 + (*s++ - '0');
  return n;
}

int main(int argc, char **argv) {
  long rounds = argc > 1 ? number(argv[1]) : 100000;
  long warmup = argc > 2 ? number(argv[2]) : rounds / 10;
  if (rounds < 1) rounds = 1;
  uint64_t sel = hrt_sel_alloc(2);
  uint64_t ec = sel, pt = sel + 1;
  unsigned s = hedron_create_ec(ec, SEL_OWN_PD, hrt_cpu, hrt_utcb_alloc(), (uint64_t)(handler_stack + sizeof handler_stack), 0, 0);
  if (s == HEDRON_SUCCESS) s = hedron_create_pt(pt, SEL_OWN_PD, ec, 0, (uint64_t)bare_reply);
  if (s != HEDRON_SUCCESS) {
    hrt_eprintf("syscall-bench: creating the echo EC and portal failed with status %u\n", s);
    return 1;
  }
  echo_pt = pt;
  hrt_printf("hypercall %llu\n", (unsigned long long)measure(do_hypercall, warmup, rounds));
  hrt_printf("ipc_same_pd %llu\n", (unsigned long long)measure(do_same_pd, warmup, rounds));
  hrt_printf("ipc_cross_pd %llu\n", (unsigned long long)measure(do_cross_pd, warmup, rounds));
  return 0;
}
