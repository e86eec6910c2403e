/* hrstd.h — clients of the roottask's services (the lab's libhrstd): console, log, memory, files, processes,
 * framebuffer, threads and local portals. Messages are the fixed UTCB word layouts of README.md. */
#ifndef HRSTD_H
#define HRSTD_H

#include <stddef.h>
#include <stdint.h>
#include <stdarg.h>
#include "hedron.h"

/* Filled by crt0 from the start registers (native apps); hybrid apps get UTCB/CPU defaults from hrt_init(). */
extern volatile struct hedron_utcb *hrt_utcb;
extern unsigned hrt_cpu;
extern unsigned hrt_cpus;

/* A hybrid app calls this once before any service call (native apps: crt0 does it). */
void hrt_init(void);

/* Every service request is one portal call with the caller's UTCB; in a hybrid build it goes with NSCT set. */
unsigned hrt_call(uint64_t portal);

/* ---- console and log ---- */
long hrt_write(uint64_t stream, const void *buf, size_t len); /* stream = SEL_SRV_STDOUT / SEL_SRV_STDERR */
long hrt_puts(const char *s);                                /* stdout, as given (the service ends each chunk with \n) */
long hrt_log(const char *s);                                 /* the roottask's log (serial) */
int hrt_vsnprintf(char *out, size_t size, const char *fmt, va_list ap); /* %d %i %u %o %x %X %s %c %p %%, l/ll/z, width, 0 */
int hrt_snprintf(char *out, size_t size, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
int hrt_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));  /* one stdout message per call */
int hrt_eprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2))); /* one stderr message per call */

/* ---- memory ---- */
void *hrt_alloc(size_t size, size_t align); /* zeroed pages mapped into the caller; NULL on failure */
void hrt_release(void *addr, size_t size);

/* ---- files (the roottask's file server; results are ≥ 0 or -errno) ---- */
#define HRT_O_RDONLY 0
#define HRT_O_WRONLY 1
#define HRT_O_RDWR 2
#define HRT_O_CREAT 0100
#define HRT_O_TRUNC 01000
#define HRT_O_APPEND 02000
#define HRT_SEEK_SET 0
#define HRT_SEEK_CUR 1
#define HRT_SEEK_END 2
struct hrt_stat {
  uint64_t size;
  uint32_t mode;
  uint32_t nlink;
  uint64_t ino;
};
long hrt_open(const char *path, int flags, int mode);
long hrt_read(int fd, void *buf, size_t len);        /* loops over ≤ 4000-byte messages until len or EOF */
long hrt_write_fd(int fd, const void *buf, size_t len);
long hrt_lseek(int fd, long offset, int whence);
long hrt_close(int fd);
long hrt_fstat(int fd, struct hrt_stat *st);

/* ---- network (the roottask's network service on the lab's loopback; results ≥ 0 or -errno) ---- */
#define HRT_SOCK_STREAM 1
#define HRT_SOCK_DGRAM 2
#define HRT_IPV4(a, b, c, d) (((uint32_t)(a) << 24) | ((uint32_t)(b) << 16) | ((uint32_t)(c) << 8) | (uint32_t)(d))
long hrt_net_socket(int type);
long hrt_net_bind(int fd, uint32_t ip, unsigned port);    /* the port bound (port 0 picks a free one) */
long hrt_net_listen(int fd, int backlog);
long hrt_net_connect(int fd, uint32_t ip, unsigned port);
long hrt_net_accept(int fd);                              /* the connection's fd */
long hrt_net_send(int fd, const void *buf, size_t len);   /* loops over ≤ 4000-byte messages until all is sent */
long hrt_net_receive(int fd, void *buf, size_t len);      /* waits for data: what is queued, up to len; 0 = end of stream */
long hrt_net_close(int fd);

/* ---- processes ---- */
long hrt_spawn(const char *path, const char *const argv[]); /* a file of the boot archive (e.g. "/bin/hello"), argv NULL-ended
                                                            (NULL: just the path); its kind from its ELF; pid or -errno */
long hrt_wait(long pid);                                   /* blocks until it exits; its status, or -errno */
__attribute__((noreturn)) void hrt_exit(int status);

/* ---- framebuffer ---- */
struct hrt_fb {
  uint32_t *pixels; /* 0x00RRGGBB, mapped read-write into the caller */
  uint32_t width, height, pitch; /* pitch in bytes */
};
long hrt_framebuffer(struct hrt_fb *fb);

/* ---- objects of the app's own: selectors, UTCB pages, threads, local portals ---- */
uint64_t hrt_sel_alloc(unsigned count); /* `count` consecutive free selectors, aligned to count (a power of two) */
uint64_t hrt_utcb_alloc(void);          /* a fresh page address for a new EC's UTCB */

/* A local EC serving one portal: fn runs on each call with the handler EC's UTCB (request in, reply out). */
typedef void (*hrt_portal_fn)(uint64_t id, volatile struct hedron_utcb *utcb, void *arg);
struct hrt_portal {
  uint64_t pt;  /* the portal's selector (call it) */
  uint64_t ec;  /* the local EC's selector */
  volatile struct hedron_utcb *utcb;
};
long hrt_portal_create(struct hrt_portal *p, unsigned cpu, uint64_t mtd, hrt_portal_fn fn, void *arg);

/* A global EC with its own SC, started through its own STARTUP portal; it ends by returning from fn. */
typedef void (*hrt_thread_fn)(void *arg);
struct hrt_thread {
  uint64_t ec, sc, done_sm;
  volatile struct hedron_utcb *utcb;
  unsigned cpu;
};
long hrt_thread_start(struct hrt_thread *t, unsigned cpu, unsigned prio, hrt_thread_fn fn, void *arg);
long hrt_thread_join(struct hrt_thread *t);

/* ---- the few libc functions gcc may emit calls to (native builds only; hybrid apps use musl's) ---- */
#ifndef HRT_HYBRID
void *memcpy(void *dst, const void *src, size_t n);
void *memset(void *dst, int c, size_t n);
void *memmove(void *dst, const void *src, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);
#endif

#endif
