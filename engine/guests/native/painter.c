/* Native framebuffer painter: asks the framebuffer service for the linear framebuffer and draws a picture into it —
 * a colour gradient, concentric rings, a checkerboard panel and a row of diamonds (no text). */
#include "hrstd.h"

static struct hrt_fb fb;

static void pixel(int x, int y, uint32_t rgb) {
  if (x < 0 || y < 0 || x >= (int)fb.width || y >= (int)fb.height) return;
  fb.pixels[(uint64_t)y * (fb.pitch / 4) + (uint64_t)x] = rgb;
}

static uint32_t rgb(unsigned r, unsigned g, unsigned b) { return (r & 0xff) << 16 | (g & 0xff) << 8 | (b & 0xff); }

int main(void) {
  long r = hrt_framebuffer(&fb);
  if (r < 0) {
    hrt_eprintf("painter: no framebuffer (%ld)\n", r);
    return 1;
  }
  hrt_printf("framebuffer %ux%u pitch %u at %p\n", fb.width, fb.height, fb.pitch, (void *)fb.pixels);
  int w = (int)fb.width, h = (int)fb.height;
  /* Background: red grows left to right, blue top to bottom. */
  for (int y = 0; y < h; y++)
    for (int x = 0; x < w; x++) pixel(x, y, rgb((unsigned)(x * 255 / (w - 1)), 40, (unsigned)(y * 255 / (h - 1))));
  /* Concentric rings around the centre. */
  int cx = w / 2, cy = h / 2;
  for (int y = cy - 200; y <= cy + 200; y++)
    for (int x = cx - 200; x <= cx + 200; x++) {
      int d2 = (x - cx) * (x - cx) + (y - cy) * (y - cy);
      if (d2 <= 200 * 200 && (d2 / 1600) % 2 == 0) pixel(x, y, rgb(255, 255 - (unsigned)(d2 / 160), 0));
    }
  /* A checkerboard panel at the top left. */
  for (int y = 32; y < 32 + 160; y++)
    for (int x = 32; x < 32 + 160; x++) pixel(x, y, ((x / 20) + (y / 20)) % 2 ? rgb(255, 255, 255) : rgb(0, 0, 0));
  /* A row of green diamonds along the bottom. */
  for (int i = 0; i < 8; i++) {
    int dx = 64 + i * (w - 128) / 7, dy = h - 80;
    for (int y = -40; y <= 40; y++)
      for (int x = -40; x <= 40; x++)
        if ((x < 0 ? -x : x) + (y < 0 ? -y : y) <= 40) pixel(dx + x, dy + y, rgb(0, 200, 60 + (unsigned)i * 24));
  }
  /* A white frame around everything. */
  for (int x = 0; x < w; x++) { pixel(x, 0, 0xffffff); pixel(x, h - 1, 0xffffff); }
  for (int y = 0; y < h; y++) { pixel(0, y, 0xffffff); pixel(w - 1, y, 0xffffff); }
  uint32_t sum = 0;
  for (int y = 0; y < h; y += 7)
    for (int x = 0; x < w; x += 7) sum = sum * 31 + fb.pixels[(uint64_t)y * (fb.pitch / 4) + (uint64_t)x];
  hrt_printf("painted: gradient, rings, checkerboard, diamonds; checksum %08x\n", sum);
  return 0;
}
