/* Native IPC ping-pong: two global ECs alternate through two semaphores, then the main EC calls a local portal of
 * its own; both print round-trip costs in rdtsc ticks (virtual cycles in the lab). Deterministic: no host time. */
#include "hrstd.h"

#define ROUNDS 1000

static uint64_t sm_ping, sm_pong;

static void pong(void *arg) {
  unsigned long rounds = (unsigned long)arg;
  for (unsigned long i = 0; i < rounds; i++) {
    hedron_sm_down(sm_ping, 0, 0);
    hedron_sm_up(sm_pong);
  }
}

/* The local portal's handler: adds one to word 0 (the reply is what it leaves in its UTCB). */
static void plus_one(uint64_t id, volatile struct hedron_utcb *u, void *arg) {
  (void)id;
  (void)arg;
  u->words[0] = u->words[0] + 1;
  hedron_utcb_set_items(u, 1, 0);
}

struct stats {
  uint64_t min, max, total;
};

static void add(struct stats *s, uint64_t v) {
  if (v < s->min) s->min = v;
  if (v > s->max) s->max = v;
  s->total += v;
}

int main(void) {
  sm_ping = hrt_sel_alloc(1);
  sm_pong = hrt_sel_alloc(1);
  if (hedron_create_sm(sm_ping, SEL_OWN_PD, 0) || hedron_create_sm(sm_pong, SEL_OWN_PD, 0)) {
    hrt_eprintf("pingpong: create_sm failed\n");
    return 1;
  }
  unsigned pong_cpu = hrt_cpus > 1 ? (hrt_cpu + 1) % hrt_cpus : hrt_cpu;
  struct hrt_thread t;
  long r = hrt_thread_start(&t, pong_cpu, 1, pong, (void *)(unsigned long)ROUNDS);
  if (r < 0) {
    hrt_eprintf("pingpong: thread start failed (%ld)\n", r);
    return 1;
  }
  hrt_printf("ping on CPU %u, pong on CPU %u, %d rounds\n", hrt_cpu, pong_cpu, ROUNDS);
  struct stats sm = { ~0ull, 0, 0 };
  for (int i = 0; i < ROUNDS; i++) {
    uint64_t t0 = hedron_rdtsc();
    hedron_sm_up(sm_ping);
    hedron_sm_down(sm_pong, 0, 0);
    add(&sm, hedron_rdtsc() - t0);
  }
  hrt_thread_join(&t);
  hrt_printf("semaphore ping-pong: %d round trips, avg %lu min %lu max %lu cycles\n", ROUNDS,
             (unsigned long)(sm.total / ROUNDS), (unsigned long)sm.min, (unsigned long)sm.max);

  struct hrt_portal p;
  r = hrt_portal_create(&p, hrt_cpu, 0, plus_one, 0);
  if (r < 0) {
    hrt_eprintf("pingpong: portal create failed (%ld)\n", r);
    return 1;
  }
  struct stats ipc = { ~0ull, 0, 0 };
  uint64_t value = 0;
  for (int i = 0; i < ROUNDS; i++) {
    hrt_utcb->words[0] = value;
    hedron_utcb_set_items(hrt_utcb, 1, 0);
    uint64_t t0 = hedron_rdtsc();
    unsigned s = hedron_call(p.pt, 0);
    add(&ipc, hedron_rdtsc() - t0);
    if (s != HEDRON_SUCCESS) {
      hrt_eprintf("pingpong: call failed with status %u\n", s);
      return 1;
    }
    value = hrt_utcb->words[0];
  }
  hrt_printf("portal call+reply (same PD): %d round trips, avg %lu min %lu max %lu cycles, counter %lu\n", ROUNDS,
             (unsigned long)(ipc.total / ROUNDS), (unsigned long)ipc.min, (unsigned long)ipc.max, (unsigned long)value);

  struct stats echo = { ~0ull, 0, 0 };
  for (int i = 0; i < ROUNDS; i++) {
    hedron_utcb_set_items(hrt_utcb, 0, 0);
    uint64_t t0 = hedron_rdtsc();
    hedron_call(SEL_SRV_RAW_ECHO, 0);
    add(&echo, hedron_rdtsc() - t0);
  }
  hrt_printf("portal call+reply (roottask raw echo, across PDs): avg %lu min %lu max %lu cycles\n",
             (unsigned long)(echo.total / ROUNDS), (unsigned long)echo.min, (unsigned long)echo.max);
  return 0;
}
