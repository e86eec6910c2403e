#!/usr/bin/env bash
# Builds the guest programs into engine/guests/bin/ (committed, so users without a C toolchain can run them).
# Linux guests: musl-gcc -static (musl-tools) at -O2 and -O0 (*-O0), gcc -static with glibc (*-glibc); native/hybrid apps: the SDK.
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
# The same programs linked statically against glibc (bin/NAME-glibc, host gcc): glibc selects its string functions
# through CPUID-driven ifuncs (SSE4.2 pcmpistri, SSSE3 …), so these exercise what the engine's CPUID advertises.
for src in linux/*.c; do
  name=$(basename "$src" .c)
  gcc -static -O2 -o "bin/$name-glibc" "$src" -lm
  strip "bin/$name-glibc"
done
# One static-PIE build, to exercise the loader's relocatable path. Debian's musl-gcc specs link
# Scrt1.o (no self-relocation), so link by hand with musl's rcrt1.o.
musl_lib=/usr/lib/x86_64-linux-musl
musl-gcc -fpie -O2 -c linux/hello.c -o /tmp/hello-pie.$$.o
gcc -nostdlib -static-pie -o bin/hello-pie "$musl_lib/rcrt1.o" "$musl_lib/crti.o" "$(gcc -print-file-name=crtbeginS.o)" \
  /tmp/hello-pie.$$.o "$musl_lib/libc.a" "$(gcc -print-libgcc-file-name)" "$(gcc -print-file-name=crtendS.o)" "$musl_lib/crtn.o"
rm -f /tmp/hello-pie.$$.o
strip bin/hello-pie
# C++ guests (bin/cxx-NAME): g++ -static with libstdc++ and libgcc's unwinder (exceptions, std::thread).
for src in cxx/*.cpp; do
  name=cxx-$(basename "$src" .cpp)
  g++ -static -O2 -pthread -o "bin/$name" "$src"
  strip "bin/$name"
done
# Native Hedron apps (bin/native-NAME, among them the native halves of the §9 benchmark pairs): the host gcc, no libc,
# the SDK's crt0 and hrstd (libgcc for the odd helper). No stack protector (it reads
# %fs:0x28, and a native EC starts with fs.base 0), no libc calls gcc would make of plain loops.
NATIVE_CFLAGS=(-static -nostdlib -ffreestanding -fno-pie -no-pie -O2 -fno-stack-protector -fcf-protection=none
  -fno-tree-loop-distribute-patterns -Wall -Wextra -Isdk)
for src in native/*.c; do
  name=native-$(basename "$src" .c)
  gcc "${NATIVE_CFLAGS[@]}" -o "bin/$name" sdk/crt0.S sdk/hrstd.c "$src" -lgcc
  strip "bin/$name"
done
# Hybrid apps (bin/hybrid-NAME): musl programs with the SDK's hrstd built for NSCT-flagged native calls.
for src in hybrid/*.c; do
  name=hybrid-$(basename "$src" .c)
  musl-gcc -static -O2 -fno-pie -no-pie -DHRT_HYBRID -Wall -Wextra -Isdk -o "bin/$name" sdk/hrstd.c "$src"
  strip "bin/$name"
done

ls -l bin
# The gdb test guest, with symbols (engine/guests/debug/).
musl-gcc -static -g -O0 -fno-pie -no-pie -o debug/gdb-target debug/gdb-target.c
