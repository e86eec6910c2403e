/* hrstd.c — the service clients of hrstd.h over the roottask's portals, plus threads and local portals.
 * Built twice: native (-nostdlib, plain `syscall`) and hybrid (-DHRT_HYBRID, musl, NSCT set around every hypercall). */
#include "hrstd.h"

#ifdef HRT_HYBRID
HEDRON_APP_KIND(hybrid);
#endif

volatile struct hedron_utcb *hrt_utcb = (volatile struct hedron_utcb *)HEDRON_APP_UTCB;
unsigned hrt_cpu;
unsigned hrt_cpus = 1;

#define MAX_CHUNK 4000
#define MAX_STACKS 32
#define STACK_SIZE 0x10000
#define EAGAIN 11
#define EINVAL 22
#define ENOMEM 12

/* ECs the app created, by stack range: a service call finds the calling EC's UTCB by its stack pointer. */
static struct { uint64_t lo, hi; volatile struct hedron_utcb *utcb; } stacks[MAX_STACKS];
static unsigned nstacks;

static volatile struct hedron_utcb *my_utcb(void) {
  uint64_t sp = (uint64_t)__builtin_frame_address(0);
  for (unsigned i = 0; i < nstacks; i++)
    if (sp >= stacks[i].lo && sp < stacks[i].hi) return stacks[i].utcb;
  return hrt_utcb;
}

/* Native hypercalls from this app's code: in a hybrid build, the caller's UTCB carries NSCT for their duration. */
#ifdef HRT_HYBRID
#define NATIVE(expr) ({ volatile struct hedron_utcb *u_ = my_utcb(); hedron_hybrid_begin(u_); __typeof__(expr) r_ = (expr); hedron_hybrid_end(u_); r_; })
#else
#define NATIVE(expr) (expr)
#endif

unsigned hrt_call(uint64_t portal) { return NATIVE(hedron_call(portal, 0)); }

static long word_reply(volatile struct hedron_utcb *u, unsigned status) {
  if (status != HEDRON_SUCCESS) return -(long)(100 + status); /* a failed IPC, told apart from -errno */
  return (long)u->words[0];
}

/* rep movsb: one instruction for the whole copy, as musl's memcpy does, so message copies cost what
   they cost on hardware instead of a byte loop through a volatile pointer. */
static void copy_bytes(void *dst, const void *src, size_t len) {
  __asm__ volatile("rep movsb" : "+D"(dst), "+S"(src), "+c"(len) : : "memory");
}

static void put_bytes(volatile struct hedron_utcb *u, unsigned first_word, const void *buf, size_t len) {
  copy_bytes((void *)&u->words[first_word], buf, len);
}

static size_t length(const char *s) {
  size_t n = 0;
  while (s[n]) n++;
  return n;
}

/* ---- console and log ---- */

static long console(uint64_t portal, const void *buf, size_t len) {
  volatile struct hedron_utcb *u = my_utcb();
  size_t done = 0;
  do {
    size_t n = len - done > MAX_CHUNK ? MAX_CHUNK : len - done;
    u->words[0] = n;
    put_bytes(u, 1, (const uint8_t *)buf + done, n);
    hedron_utcb_set_items(u, 1 + (unsigned)((n + 7) / 8), 0);
    unsigned s = hrt_call(portal);
    if (s != HEDRON_SUCCESS) return -(long)(100 + s);
    done += n;
  } while (done < len);
  return (long)len;
}

long hrt_write(uint64_t stream, const void *buf, size_t len) { return console(stream, buf, len); }
long hrt_puts(const char *s) { return console(SEL_SRV_STDOUT, s, length(s)); }
long hrt_log(const char *s) { return console(SEL_SRV_LOG, s, length(s)); }

static void emit(char *out, size_t size, size_t *pos, char c) {
  if (*pos + 1 < size) out[*pos] = c;
  (*pos)++;
}

int hrt_vsnprintf(char *out, size_t size, const char *fmt, va_list ap) {
  size_t pos = 0;
  for (const char *p = fmt; *p; p++) {
    if (*p != '%') { emit(out, size, &pos, *p); continue; }
    p++;
    char pad = ' ';
    if (*p == '0') { pad = '0'; p++; }
    unsigned width = 0;
    while (*p >= '0' && *p <= '9') width = width * 10 + (unsigned)(*p++ - '0');
    int longs = 0;
    while (*p == 'l' || *p == 'z') { longs++; p++; }
    char digits[24];
    unsigned n = 0;
    const char *str = 0;
    int negative = 0;
    switch (*p) {
      case 'd': case 'i': {
        long long v = longs ? va_arg(ap, long long) : va_arg(ap, int);
        unsigned long long m = v < 0 ? -(unsigned long long)v : (unsigned long long)v;
        negative = v < 0;
        do { digits[n++] = (char)('0' + m % 10); m /= 10; } while (m);
        break;
      }
      case 'u': case 'o': case 'x': case 'X': case 'p': {
        unsigned long long v = *p == 'p' ? (unsigned long long)(uintptr_t)va_arg(ap, void *)
                             : longs ? va_arg(ap, unsigned long long) : va_arg(ap, unsigned);
        unsigned base = *p == 'u' ? 10 : *p == 'o' ? 8 : 16;
        const char *hex = *p == 'X' ? "0123456789ABCDEF" : "0123456789abcdef";
        do { digits[n++] = hex[v % base]; v /= base; } while (v);
        if (*p == 'p') { digits[n++] = 'x'; digits[n++] = '0'; }
        break;
      }
      case 's': str = va_arg(ap, const char *); if (!str) str = "(null)"; break;
      case 'c': digits[n++] = (char)va_arg(ap, int); break;
      case '%': digits[n++] = '%'; break;
      default: emit(out, size, &pos, '%'); if (!*p) p--; else emit(out, size, &pos, *p); continue;
    }
    unsigned len = str ? (unsigned)length(str) : n + (unsigned)negative;
    if (negative && pad == '0') emit(out, size, &pos, '-');
    for (; width > len; width--) emit(out, size, &pos, pad);
    if (negative && pad != '0') emit(out, size, &pos, '-');
    if (str) while (*str) emit(out, size, &pos, *str++);
    else while (n) emit(out, size, &pos, digits[--n]);
  }
  if (size) out[pos < size ? pos : size - 1] = 0;
  return (int)pos;
}

int hrt_snprintf(char *out, size_t size, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int n = hrt_vsnprintf(out, size, fmt, ap);
  va_end(ap);
  return n;
}

static int vprint(uint64_t stream, const char *fmt, va_list ap) {
  char buf[MAX_CHUNK];
  int n = hrt_vsnprintf(buf, sizeof buf, fmt, ap);
  console(stream, buf, (size_t)n < sizeof buf ? (size_t)n : sizeof buf - 1);
  return n;
}

int hrt_printf(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int n = vprint(SEL_SRV_STDOUT, fmt, ap);
  va_end(ap);
  return n;
}

int hrt_eprintf(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int n = vprint(SEL_SRV_STDERR, fmt, ap);
  va_end(ap);
  return n;
}

/* ---- memory ---- */

void *hrt_alloc(size_t size, size_t align) {
  volatile struct hedron_utcb *u = my_utcb();
  u->words[0] = 0;
  u->words[1] = size;
  u->words[2] = align;
  hedron_utcb_set_items(u, 3, 0);
  long r = word_reply(u, hrt_call(SEL_SRV_ALLOC));
  return r > 0 ? (void *)r : 0;
}

void hrt_release(void *addr, size_t size) {
  volatile struct hedron_utcb *u = my_utcb();
  u->words[0] = 1;
  u->words[1] = (uint64_t)addr;
  u->words[2] = size;
  hedron_utcb_set_items(u, 3, 0);
  hrt_call(SEL_SRV_ALLOC);
}

/* ---- files ---- */

long hrt_open(const char *path, int flags, int mode) {
  volatile struct hedron_utcb *u = my_utcb();
  size_t n = length(path);
  if (n > MAX_CHUNK) return -EINVAL;
  u->words[0] = 0;
  u->words[1] = (uint64_t)flags;
  u->words[2] = (uint64_t)mode;
  u->words[3] = n;
  put_bytes(u, 4, path, n);
  hedron_utcb_set_items(u, 4 + (unsigned)((n + 7) / 8), 0);
  return word_reply(u, hrt_call(SEL_SRV_FS));
}

long hrt_read(int fd, void *buf, size_t len) {
  volatile struct hedron_utcb *u = my_utcb();
  size_t done = 0;
  while (done < len) {
    size_t want = len - done > MAX_CHUNK ? MAX_CHUNK : len - done;
    u->words[0] = 1;
    u->words[1] = (uint64_t)fd;
    u->words[2] = want;
    hedron_utcb_set_items(u, 3, 0);
    long r = word_reply(u, hrt_call(SEL_SRV_FS));
    if (r < 0) return done ? (long)done : r;
    copy_bytes((uint8_t *)buf + done, (const void *)&u->words[1], (size_t)r);
    done += (size_t)r;
    if ((size_t)r < want) break;
  }
  return (long)done;
}

long hrt_write_fd(int fd, const void *buf, size_t len) {
  volatile struct hedron_utcb *u = my_utcb();
  size_t done = 0;
  do {
    size_t n = len - done > MAX_CHUNK ? MAX_CHUNK : len - done;
    u->words[0] = 2;
    u->words[1] = (uint64_t)fd;
    u->words[2] = n;
    put_bytes(u, 3, (const uint8_t *)buf + done, n);
    hedron_utcb_set_items(u, 3 + (unsigned)((n + 7) / 8), 0);
    long r = word_reply(u, hrt_call(SEL_SRV_FS));
    if (r < 0) return done ? (long)done : r;
    done += (size_t)r;
  } while (done < len);
  return (long)done;
}

/* A four-word request to a service portal (op and three arguments), its w0 the result. */
static long service_words(uint64_t portal, uint64_t op, uint64_t a, uint64_t b, uint64_t c) {
  volatile struct hedron_utcb *u = my_utcb();
  u->words[0] = op;
  u->words[1] = a;
  u->words[2] = b;
  u->words[3] = c;
  hedron_utcb_set_items(u, 4, 0);
  return word_reply(u, hrt_call(portal));
}

static long net_words(uint64_t op, uint64_t a, uint64_t b, uint64_t c) { return service_words(SEL_SRV_NET, op, a, b, c); }

long hrt_net_socket(int type) { return net_words(0, (uint64_t)type, 0, 0); }
long hrt_net_listen(int fd, int backlog) { return net_words(2, (uint64_t)fd, (uint64_t)backlog, 0); }
long hrt_net_connect(int fd, uint32_t ip, unsigned port) { return net_words(3, (uint64_t)fd, ip, port); }
long hrt_net_accept(int fd) { return net_words(4, (uint64_t)fd, 0, 0); }
long hrt_net_close(int fd) { return net_words(7, (uint64_t)fd, 0, 0); }

long hrt_net_bind(int fd, uint32_t ip, unsigned port) {
  long r = net_words(1, (uint64_t)fd, ip, port);
  return r < 0 ? r : (long)my_utcb()->words[1];
}

long hrt_net_send(int fd, const void *buf, size_t len) {
  volatile struct hedron_utcb *u = my_utcb();
  size_t done = 0;
  do {
    size_t n = len - done > MAX_CHUNK ? MAX_CHUNK : len - done;
    u->words[0] = 5;
    u->words[1] = (uint64_t)fd;
    u->words[2] = n;
    put_bytes(u, 3, (const uint8_t *)buf + done, n);
    hedron_utcb_set_items(u, 3 + (unsigned)((n + 7) / 8), 0);
    long r = word_reply(u, hrt_call(SEL_SRV_NET));
    if (r < 0) return done ? (long)done : r;
    done += (size_t)r;
  } while (done < len);
  return (long)done;
}

long hrt_net_receive(int fd, void *buf, size_t len) {
  volatile struct hedron_utcb *u = my_utcb();
  u->words[0] = 6;
  u->words[1] = (uint64_t)fd;
  u->words[2] = len > MAX_CHUNK ? MAX_CHUNK : len;
  hedron_utcb_set_items(u, 3, 0);
  long r = word_reply(u, hrt_call(SEL_SRV_NET));
  if (r > 0) copy_bytes(buf, (const void *)&u->words[1], (size_t)r);
  return r;
}

static long fs_words(uint64_t op, uint64_t a, uint64_t b, uint64_t c) { return service_words(SEL_SRV_FS, op, a, b, c); }

long hrt_lseek(int fd, long offset, int whence) { return fs_words(3, (uint64_t)fd, (uint64_t)offset, (uint64_t)whence); }
long hrt_close(int fd) { return fs_words(4, (uint64_t)fd, 0, 0); }

long hrt_fstat(int fd, struct hrt_stat *st) {
  long r = fs_words(5, (uint64_t)fd, 0, 0);
  if (r < 0) return r;
  volatile struct hedron_utcb *u = my_utcb();
  st->size = u->words[1];
  st->mode = (uint32_t)u->words[2];
  st->nlink = (uint32_t)u->words[3];
  st->ino = u->words[4];
  return 0;
}

/* ---- processes ---- */

long hrt_spawn(const char *path, const char *const argv[]) {
  volatile struct hedron_utcb *u = my_utcb();
  volatile uint8_t *dst = (volatile uint8_t *)&u->words[2];
  size_t n = 0;
  for (int i = -1; i < 0 || (argv && argv[i]); i++) {
    const char *s = i < 0 ? path : argv[i];
    size_t len = length(s) + 1;
    if (n + len > MAX_CHUNK) return -EINVAL;
    for (size_t j = 0; j < len; j++) dst[n + j] = (uint8_t)s[j];
    n += len;
  }
  u->words[0] = 0;
  u->words[1] = n;
  hedron_utcb_set_items(u, 2 + (unsigned)((n + 7) / 8), 0);
  return word_reply(u, hrt_call(SEL_SRV_PROCESS));
}

/* While the child runs, the reply delegates its exit semaphore into our window: down it, then ask again. */
long hrt_wait(long pid) {
  uint64_t sm = hrt_sel_alloc(1);
  for (;;) {
    volatile struct hedron_utcb *u = my_utcb();
    u->words[0] = 1;
    u->words[1] = (uint64_t)pid;
    u->del_window = hedron_obj_crd(sm, 0, RIGHTS_ALL);
    hedron_utcb_set_items(u, 2, 0);
    long r = word_reply(u, hrt_call(SEL_SRV_PROCESS));
    if (r != -EAGAIN) return r;
    NATIVE(hedron_sm_down(sm, 0, 0)); /* SUCCESS at the exit; BAD_CAP if the semaphore went already */
  }
}

__attribute__((noreturn)) void hrt_exit(int status) {
  volatile struct hedron_utcb *u = my_utcb();
  u->words[0] = (uint64_t)(unsigned)status;
  hedron_utcb_set_items(u, 1, 0);
  hrt_call(SEL_SRV_EXIT);
  for (;;) __asm__ volatile("ud2");
}

static void process_info(void) {
  volatile struct hedron_utcb *u = my_utcb();
  u->words[0] = 2;
  hedron_utcb_set_items(u, 1, 0);
  if (hrt_call(SEL_SRV_PROCESS) != HEDRON_SUCCESS) return;
  hrt_cpu = (unsigned)u->words[1];
  hrt_cpus = (unsigned)u->words[2];
}

void hrt_init(void) {
  hrt_utcb = (volatile struct hedron_utcb *)HEDRON_APP_UTCB;
  process_info();
}

/* ---- framebuffer ---- */

long hrt_framebuffer(struct hrt_fb *fb) {
  volatile struct hedron_utcb *u = my_utcb();
  hedron_utcb_set_items(u, 0, 0);
  long r = word_reply(u, hrt_call(SEL_SRV_FB));
  if (r <= 0) return r < 0 ? r : -ENOMEM;
  fb->pixels = (uint32_t *)r;
  fb->width = (uint32_t)u->words[1];
  fb->height = (uint32_t)u->words[2];
  fb->pitch = (uint32_t)u->words[3];
  return 0;
}

/* ---- the app's own objects ---- */

static uint64_t next_sel = SEL_APP_FIRST;
static uint64_t next_utcb = 0x7fffff000000ull; /* below the Linux stack's 8 MiB and guard page */

uint64_t hrt_sel_alloc(unsigned count) {
  next_sel = (next_sel + count - 1) & ~(uint64_t)(count - 1);
  uint64_t sel = next_sel;
  next_sel += count;
  return sel;
}

uint64_t hrt_utcb_alloc(void) {
  next_utcb -= 0x1000;
  return next_utcb;
}

/* Portal handlers by portal id (the id pt_ctrl gives each portal). */
#define MAX_PORTALS 32
static struct { hrt_portal_fn fn; void *arg; volatile struct hedron_utcb *utcb; } portals[MAX_PORTALS];
static unsigned nportals;

void hrt_portal_dispatch(uint64_t id);
void hrt_portal_dispatch(uint64_t id) {
  if (id < nportals) portals[id].fn(id, portals[id].utcb, portals[id].arg);
}

/* A local EC enters at the portal's IP with RDI = portal id and RSP as it was at its last reply (its stack top,
 * since the call below returns there): call the handler, then reply. */
__asm__(".text\n"
        ".globl hrt_portal_entry\n"
        "hrt_portal_entry:\n"
        "  call hrt_portal_dispatch\n"
        "  mov $1, %edi\n" /* reply */
        "  syscall\n"
        "  ud2\n");
void hrt_portal_entry(void);

/* A stack for a new EC, registered so service calls made on it find that EC's UTCB. */
static uint64_t new_stack(volatile struct hedron_utcb *utcb) {
  if (nstacks == MAX_STACKS) return 0;
  uint8_t *lo = hrt_alloc(STACK_SIZE, STACK_SIZE);
  if (!lo) return 0;
  stacks[nstacks].lo = (uint64_t)lo;
  stacks[nstacks].hi = (uint64_t)lo + STACK_SIZE;
  stacks[nstacks].utcb = utcb;
  nstacks++;
  return (uint64_t)lo + STACK_SIZE;
}

/* A local EC bound to a new portal: the handler table entry is the portal id. */
static long local_portal(struct hrt_portal *p, unsigned cpu, uint64_t mtd, hrt_portal_fn fn, void *arg, uint64_t pt_sel) {
  if (nportals == MAX_PORTALS) return -ENOMEM;
  uint64_t utcb_addr = hrt_utcb_alloc();
  volatile struct hedron_utcb *utcb = (volatile struct hedron_utcb *)utcb_addr;
  uint64_t top = new_stack(utcb);
  if (!top) return -ENOMEM;
  uint64_t ec = hrt_sel_alloc(1);
  unsigned s = NATIVE(hedron_create_ec(ec, SEL_OWN_PD, cpu, utcb_addr, top, 0, 0));
  if (s != HEDRON_SUCCESS) return -(long)(100 + s);
#ifdef HRT_HYBRID
  utcb->flags = UTCB_NSCT; /* the handler only ever makes native calls (its reply) */
#endif
  unsigned id = nportals++;
  portals[id].fn = fn;
  portals[id].arg = arg;
  portals[id].utcb = utcb;
  s = NATIVE(hedron_create_pt(pt_sel, SEL_OWN_PD, ec, mtd, (uint64_t)hrt_portal_entry));
  if (s == HEDRON_SUCCESS) s = NATIVE(hedron_pt_ctrl(pt_sel, id));
  if (s != HEDRON_SUCCESS) return -(long)(100 + s);
  p->pt = pt_sel;
  p->ec = ec;
  p->utcb = utcb;
  return 0;
}

long hrt_portal_create(struct hrt_portal *p, unsigned cpu, uint64_t mtd, hrt_portal_fn fn, void *arg) {
  return local_portal(p, cpu, mtd, fn, arg, hrt_sel_alloc(1));
}

/* ---- threads: a global EC whose STARTUP goes to a portal of our own ---- */

struct thread_start {
  hrt_thread_fn fn;
  void *arg;
  uint64_t stack_top;
  uint64_t done_sm;
  uint64_t park_sm;
};
static struct thread_start thread_starts[MAX_STACKS];
static unsigned nthreads;

__attribute__((noreturn)) static void thread_main(struct thread_start *t) {
  t->fn(t->arg);
  NATIVE(hedron_sm_up(t->done_sm));
  for (;;) NATIVE(hedron_sm_down(t->park_sm, 0, 0)); /* nothing ups it: the EC stays parked until the app exits */
}

/* The STARTUP handler: RIP = thread_main, RSP = the thread's stack, RDI = its start record. */
static void startup(uint64_t id, volatile struct hedron_utcb *u, void *arg) {
  (void)id;
  struct thread_start *t = arg;
  *hedron_exc(u, EXC_MTD) = MTD_RIP_LEN | MTD_RSP | MTD_BSD;
  *hedron_exc(u, EXC_RIP) = (uint64_t)thread_main;
  *hedron_exc_gpr(u, GPR_RSP) = t->stack_top - 8; /* as if called: RSP + 8 is 16-aligned */
  *hedron_exc_gpr(u, GPR_RDI) = (uint64_t)t;
  *hedron_exc_gpr(u, GPR_RSI) = 0;
  *hedron_exc_gpr(u, GPR_RBP) = 0;
}

long hrt_thread_start(struct hrt_thread *t, unsigned cpu, unsigned prio, hrt_thread_fn fn, void *arg) {
  if (nthreads == MAX_STACKS) return -ENOMEM;
  struct thread_start *s = &thread_starts[nthreads++];
  uint64_t utcb_addr = hrt_utcb_alloc();
  s->fn = fn;
  s->arg = arg;
  s->stack_top = new_stack((volatile struct hedron_utcb *)utcb_addr);
  if (!s->stack_top) return -ENOMEM;
  s->done_sm = hrt_sel_alloc(1);
  s->park_sm = hrt_sel_alloc(1);
  unsigned st = NATIVE(hedron_create_sm(s->done_sm, SEL_OWN_PD, 0));
  if (st == HEDRON_SUCCESS) st = NATIVE(hedron_create_sm(s->park_sm, SEL_OWN_PD, 0));
  if (st != HEDRON_SUCCESS) return -(long)(100 + st);
  /* The thread's event base: the roottask's exception portals (so faults are reported), our own STARTUP. */
  uint64_t evt = hrt_sel_alloc(32);
  static const struct { unsigned first, order; } runs[] = { { 0, 4 }, { 16, 3 }, { 24, 2 }, { 28, 1 }, { 31, 0 } };
  for (unsigned i = 0; i < sizeof runs / sizeof runs[0]; i++) {
    st = NATIVE(hedron_pd_delegate(SEL_OWN_PD, SEL_OWN_PD, hedron_obj_crd(runs[i].first, runs[i].order, RIGHTS_ALL),
                                   XFER_DELEGATE, hedron_obj_crd(evt + runs[i].first, runs[i].order, RIGHTS_ALL), 0));
    if (st != HEDRON_SUCCESS) return -(long)(100 + st);
  }
  struct hrt_portal p;
  long r = local_portal(&p, cpu, MTD_RIP_LEN | MTD_RSP, startup, s, evt + VEC_STARTUP);
  if (r < 0) return r;
  t->ec = hrt_sel_alloc(1);
  t->sc = hrt_sel_alloc(1);
  t->done_sm = s->done_sm;
  t->utcb = (volatile struct hedron_utcb *)utcb_addr;
  t->cpu = cpu;
  st = NATIVE(hedron_create_ec(t->ec, SEL_OWN_PD, cpu, utcb_addr, 0, evt, CREATE_EC_GLOBAL));
  if (st == HEDRON_SUCCESS) st = NATIVE(hedron_create_sc(t->sc, SEL_OWN_PD, t->ec, hedron_qpd(prio, 10000)));
  return st == HEDRON_SUCCESS ? 0 : -(long)(100 + st);
}

long hrt_thread_join(struct hrt_thread *t) {
  unsigned s = NATIVE(hedron_sm_down(t->done_sm, 0, 0));
  return s == HEDRON_SUCCESS ? 0 : -(long)(100 + s);
}

/* ---- libc functions gcc may call even in freestanding code ---- */
#ifndef HRT_HYBRID
void *memcpy(void *dst, const void *src, size_t n) {
  uint8_t *d = dst;
  const uint8_t *s = src;
  while (n--) *d++ = *s++;
  return dst;
}

void *memmove(void *dst, const void *src, size_t n) {
  uint8_t *d = dst;
  const uint8_t *s = src;
  if (d < s) while (n--) *d++ = *s++;
  else while (n--) d[n] = s[n];
  return dst;
}

void *memset(void *dst, int c, size_t n) {
  uint8_t *d = dst;
  while (n--) *d++ = (uint8_t)c;
  return dst;
}

int memcmp(const void *a, const void *b, size_t n) {
  const uint8_t *x = a, *y = b;
  for (; n; n--, x++, y++) if (*x != *y) return *x - *y;
  return 0;
}

size_t strlen(const char *s) { return length(s); }
#endif
