/* Signal delivery: handlers for CPU faults (SIGSEGV, SIGFPE, SIGILL, SIGTRAP), self-sent signals, the alternate
   stack and the blocked mask. Prints only what must match native Linux (no addresses that differ by layout). */
#define _GNU_SOURCE
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <ucontext.h>
#include <unistd.h>

static sigjmp_buf jump;
static volatile int seen_sig, seen_code, rip_is_addr, trapno, err;
static void *volatile seen_addr;
static volatile int cr2_is_addr;

static void on_fault(int sig, siginfo_t *si, void *ctx) {
  ucontext_t *uc = ctx;
  seen_sig = sig;
  seen_code = si->si_code;
  seen_addr = si->si_addr;
  rip_is_addr = (void *)uc->uc_mcontext.gregs[REG_RIP] == si->si_addr;
  cr2_is_addr = (void *)uc->uc_mcontext.gregs[REG_CR2] == si->si_addr;
  trapno = (int)uc->uc_mcontext.gregs[REG_TRAPNO];
  /* Only the write and user bits: the present bit depends on the host's demand paging (whether the
     read-only page was already faulted in), which a lab without demand paging does not model. */
  err = (int)uc->uc_mcontext.gregs[REG_ERR] & 6;
  siglongjmp(jump, 1);
}

static void install(int sig, void (*fn)(int, siginfo_t *, void *), int flags) {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_sigaction = fn;
  sa.sa_flags = SA_SIGINFO | flags;
  sigemptyset(&sa.sa_mask);
  sigaction(sig, &sa, 0);
}

static void report(const char *what) {
  printf("%s: signal %d (%s) code %d trapno %d err %d\n", what, seen_sig, strsignal(seen_sig), seen_code, trapno, err);
}

static volatile int trap_count, trap_code;
static volatile unsigned long fpstate_offset;

static void on_trap(int sig, siginfo_t *si, void *ctx) {
  ucontext_t *uc = ctx;
  trap_count++;
  trap_code = si->si_code;
  fpstate_offset = (unsigned long)((char *)uc->uc_mcontext.fpregs - (char *)uc);
  /* What sigreturn restores comes from the frame: change rbx and xmm6 there. */
  uc->uc_mcontext.gregs[REG_RBX] = 0x1234567890abcdefUL;
  uc->uc_mcontext.fpregs->_xmm[6].element[0] = 0xcafef00d;
  (void)sig;
}

static volatile int usr1_count, usr1_code, usr1_pid_ok, usr2_count, nested_order[4], nested_n;
static volatile int mask_has_self, mask_has_extra;

static void on_usr1(int sig, siginfo_t *si, void *ctx) {
  sigset_t cur;
  (void)ctx;
  usr1_count++;
  usr1_code = si->si_code;
  usr1_pid_ok = si->si_pid == getpid();
  sigprocmask(SIG_BLOCK, 0, &cur);
  mask_has_self = sigismember(&cur, sig);
  mask_has_extra = sigismember(&cur, SIGHUP);
  nested_order[nested_n++] = sig;
}

static char altstack[16384];
static volatile int on_alt, alt_flags_onstack;

static void on_usr2(int sig, siginfo_t *si, void *ctx) {
  char local;
  stack_t cur;
  (void)si; (void)ctx;
  usr2_count++;
  on_alt = &local >= altstack && &local < altstack + sizeof altstack;
  sigaltstack(0, &cur);
  alt_flags_onstack = (cur.ss_flags & SS_ONSTACK) != 0;
  nested_order[nested_n++] = sig;
}

static void on_usr1_raises_usr2(int sig, siginfo_t *si, void *ctx) {
  (void)si; (void)ctx;
  nested_order[nested_n++] = sig;
  raise(SIGUSR2);
  nested_order[nested_n++] = -sig;
}

int main(void) {
  install(SIGSEGV, on_fault, 0);
  install(SIGFPE, on_fault, 0);
  install(SIGILL, on_fault, 0);

  if (!sigsetjmp(jump, 1)) *(volatile int *)0x1000 = 1;
  report("write to unmapped page");
  printf("  si_addr %p, cr2 matches si_addr: %d\n", seen_addr, cr2_is_addr);

  static const char rodata[4096] __attribute__((aligned(4096))) = "read-only";
  if (!sigsetjmp(jump, 1)) *(volatile char *)rodata = 'x';
  report("write to read-only page");
  printf("  si_addr is the string: %d\n", seen_addr == (void *)rodata);

  char *page = mmap(0, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (!sigsetjmp(jump, 1)) (void)*(volatile char *)(page + 100);
  report("read of PROT_NONE page");
  printf("  si_addr is page + 100: %d\n", seen_addr == page + 100);

  volatile int num = 7, den = 0;
  if (!sigsetjmp(jump, 1)) num = num / den;
  report("integer divide by zero");
  printf("  si_addr is rip: %d\n", rip_is_addr);

  if (!sigsetjmp(jump, 1)) __asm__ volatile("ud2");
  report("ud2");
  printf("  si_addr is rip: %d\n", rip_is_addr);

  /* An SSE exception unmasked in MXCSR raises #XM: SIGFPE with the exception's code (FPE_FLTDIV). */
  unsigned mxcsr = 0x1f80 & ~(1u << 9), mxcsr_default = 0x1f80;
  volatile double one = 1.0, zero = 0.0, quotient = 0;
  if (!sigsetjmp(jump, 1)) {
    __asm__ volatile("ldmxcsr %0" ::"m"(mxcsr));
    quotient = one / zero;
  }
  __asm__ volatile("ldmxcsr %0" ::"m"(mxcsr_default));
  report("SSE divide by zero, unmasked");
  printf("  si_addr is rip: %d, quotient untouched: %d\n", rip_is_addr, quotient == 0);

  /* The signal mask was saved by sigsetjmp(…, 1): after the jumps nothing stays blocked. */
  sigset_t now;
  sigprocmask(SIG_BLOCK, 0, &now);
  printf("after siglongjmp: SIGSEGV blocked %d, SIGFPE blocked %d\n", sigismember(&now, SIGSEGV), sigismember(&now, SIGFPE));

  install(SIGTRAP, on_trap, 0);
  unsigned long rbx_after, xmm5_after, xmm6_after;
  unsigned long xmm5_in = 0x1122334455667788UL;
  __asm__ volatile(
      "movq %3, %%xmm5\n\tmovq %3, %%xmm6\n\tmov $1, %%ebx\n\tint3\n\tmov %%rbx, %0\n\tmovq %%xmm5, %1\n\tmovq %%xmm6, %2"
      : "=r"(rbx_after), "=r"(xmm5_after), "=r"(xmm6_after)
      : "r"(xmm5_in)
      : "rbx", "xmm5", "xmm6");
  printf("int3: handler ran %d time(s), si_code %d, fpstate at ucontext + %lu\n", trap_count, trap_code, fpstate_offset);
  printf("  after return: rbx %#lx, xmm5 %#lx (kept), xmm6 low %#lx (set in frame)\n", rbx_after, xmm5_after, xmm6_after & 0xffffffff);

  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_sigaction = on_usr1;
  sa.sa_flags = SA_SIGINFO;
  sigemptyset(&sa.sa_mask);
  sigaddset(&sa.sa_mask, SIGHUP);
  sigaction(SIGUSR1, &sa, 0);
  raise(SIGUSR1);
  printf("raise(SIGUSR1): handler ran %d time(s), si_code %d, si_pid is getpid: %d\n", usr1_count, usr1_code, usr1_pid_ok);
  printf("  in handler: SIGUSR1 blocked %d, sa_mask SIGHUP blocked %d\n", mask_has_self, mask_has_extra);
  sigprocmask(SIG_BLOCK, 0, &now);
  printf("  after handler: SIGUSR1 blocked %d, SIGHUP blocked %d\n", sigismember(&now, SIGUSR1), sigismember(&now, SIGHUP));

  kill(getpid(), SIGUSR1);
  printf("kill(getpid(), SIGUSR1): handler ran %d time(s), si_code %d\n", usr1_count, usr1_code);

  sigset_t block;
  sigemptyset(&block);
  sigaddset(&block, SIGUSR1);
  sigprocmask(SIG_BLOCK, &block, 0);
  raise(SIGUSR1);
  sigset_t pending;
  sigpending(&pending);
  printf("blocked raise: handler ran %d time(s), pending %d\n", usr1_count, sigismember(&pending, SIGUSR1));
  sigprocmask(SIG_UNBLOCK, &block, 0);
  sigpending(&pending);
  printf("after unblock: handler ran %d time(s), pending %d\n", usr1_count, sigismember(&pending, SIGUSR1));

  stack_t ss = {.ss_sp = altstack, .ss_size = sizeof altstack, .ss_flags = 0};
  sigaltstack(&ss, 0);
  install(SIGUSR2, on_usr2, SA_ONSTACK);
  raise(SIGUSR2);
  stack_t after;
  sigaltstack(0, &after);
  printf("sigaltstack: handler ran %d time(s), on the alternate stack %d, SS_ONSTACK inside %d, outside %d\n",
         usr2_count, on_alt, alt_flags_onstack, (after.ss_flags & SS_ONSTACK) != 0);

  nested_n = 0;
  install(SIGUSR1, on_usr1_raises_usr2, 0);
  raise(SIGUSR1);
  printf("nested: order");
  for (int i = 0; i < nested_n; i++) printf(" %d", nested_order[i]);
  printf("\n");

  install(SIGUSR2, on_usr2, SA_RESETHAND);
  raise(SIGUSR2);
  sigaction(SIGUSR2, 0, &sa);
  printf("SA_RESETHAND: handler ran %d time(s), disposition now SIG_DFL %d\n", usr2_count, sa.sa_handler == SIG_DFL);

  signal(SIGUSR2, SIG_IGN);
  raise(SIGUSR2);
  printf("SIG_IGN: still here\n");
  return 0;
}
