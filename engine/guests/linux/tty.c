// The console as a terminal: isatty, TIOCGWINSZ and tcgetattr/tcsetattr on fds 0-2 — a tty when the lab's own
// streams are terminals, ENOTTY on pipes and files, as natively.
#include <errno.h>
#include <stdio.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <string.h>
#include <unistd.h>

int main(void) {
  for (int fd = 0; fd < 3; fd++) printf("isatty(%d) = %d\n", fd, isatty(fd));
  struct winsize w;
  int r = ioctl(1, TIOCGWINSZ, &w);
  if (r == 0) printf("winsize %dx%d\n", w.ws_row, w.ws_col); else printf("TIOCGWINSZ: %s\n", strerror(errno));
  struct termios t;
  if (tcgetattr(0, &t) == 0) {
    printf("ICANON %d ECHO %d\n", !!(t.c_lflag & ICANON), !!(t.c_lflag & ECHO));
    t.c_lflag &= ~ECHO;
    tcsetattr(0, TCSANOW, &t);
    // What was set is what is read back; echo is restored before exit.
    tcgetattr(0, &t);
    printf("after tcsetattr: ECHO %d\n", !!(t.c_lflag & ECHO));
    t.c_lflag |= ECHO;
    tcsetattr(0, TCSANOW, &t);
  } else printf("tcgetattr: %s\n", strerror(errno));
  return 0;
}
