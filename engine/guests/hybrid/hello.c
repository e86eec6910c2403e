/* Hybrid app: a musl Linux program (printf, malloc go to the Linux personality) that also makes native Hedron
 * calls with NSCT set — a roottask service, a raw hypercall, and drawing into the framebuffer it was delegated. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "hrstd.h"

int main(int argc, char **argv) {
  (void)argc;
  printf("hybrid: hello from printf (a foreign syscall), argv[0]=%s\n", argv[0]);
  hrt_init();
  hrt_printf("hybrid: hello from the native stdout service (cpu %u of %u)\n", hrt_cpu, hrt_cpus);
  hrt_log("hybrid app says hi on the roottask log");

  /* A raw hypercall by hand: NSCT around pt_ctrl on an object the app owns. */
  uint64_t sm = hrt_sel_alloc(1);
  volatile struct hedron_utcb *u = hedron_my_utcb();
  hedron_hybrid_begin(u);
  unsigned s1 = hedron_create_sm(sm, SEL_OWN_PD, 2);
  unsigned s2 = hedron_sm_down(sm, 0, 0);
  unsigned s3 = hedron_pt_ctrl(sm, 1); /* a semaphore is no portal: BAD_CAP */
  hedron_hybrid_end(u);
  printf("hybrid: create_sm=%u sm_down=%u pt_ctrl(on a semaphore)=%u\n", s1, s2, s3);

  struct hrt_fb fb;
  long r = hrt_framebuffer(&fb);
  if (r < 0) {
    printf("hybrid: no framebuffer (%ld)\n", r);
    return 1;
  }
  uint32_t *line = malloc(fb.width * 4); /* musl's malloc: Linux brk/mmap through the personality */
  for (uint32_t y = 0; y < fb.height; y++) {
    for (uint32_t x = 0; x < fb.width; x++) line[x] = ((x ^ y) & 32) ? 0x2040c0 : ((x * 255 / fb.width) << 8);
    memcpy((char *)fb.pixels + (uint64_t)y * fb.pitch, line, fb.width * 4);
  }
  free(line);
  printf("hybrid: drew a %ux%u xor pattern into the framebuffer at %p\n", fb.width, fb.height, (void *)fb.pixels);
  return 0;
}
