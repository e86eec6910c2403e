#!/usr/bin/env bash
# Builds the guest programs into engine/guests/bin/ (committed, so users without a C toolchain can run them).
# Linux guests: musl-gcc -static (Debian package musl-tools), at -O2 and, as *-O0, without optimisation.
set -euo pipefail
cd "$(dirname "$0")"
command -v musl-gcc >/dev/null || { echo "musl-gcc not found: apt-get install musl-tools" >&2; exit 1; }
mkdir -p bin
for src in linux/*.c; do
  name=$(basename "$src" .c)
  musl-gcc -static -O2 -fno-pie -no-pie -o "bin/$name" "$src"
  musl-gcc -static -O0 -o "bin/$name-O0" "$src"
  strip "bin/$name" "bin/$name-O0"
done
# One static-PIE build, to exercise the loader's relocatable path. Debian's musl-gcc specs link
# Scrt1.o (no self-relocation), so link by hand with musl's rcrt1.o.
musl_lib=/usr/lib/x86_64-linux-musl
musl-gcc -fpie -O2 -c linux/hello.c -o /tmp/hello-pie.$$.o
gcc -nostdlib -static-pie -o bin/hello-pie "$musl_lib/rcrt1.o" "$musl_lib/crti.o" "$(gcc -print-file-name=crtbeginS.o)" \
  /tmp/hello-pie.$$.o "$musl_lib/libc.a" "$(gcc -print-libgcc-file-name)" "$(gcc -print-file-name=crtendS.o)" "$musl_lib/crtn.o"
rm -f /tmp/hello-pie.$$.o
strip bin/hello-pie
ls -l bin
