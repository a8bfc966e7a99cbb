#!/usr/bin/env bash
# `make install PREFIX=…` into a temporary prefix, then checks what a user gets:
# the binary runs (--version; resolve localhost in a lookup sandbox), links no Swift
# library (ldd), the bash completion loads, the manual renders; `make uninstall`
# removes it all. Prints one line per check; exits 1 on the first failure.
set -euo pipefail
cd "$(dirname "$0")/.."
prefix=$(mktemp -d); trap 'rm -rf "$prefix"' EXIT
fail() { echo "install check failed: $*" >&2; exit 1; }

make -s install PREFIX="$prefix" > /dev/null
bin=$prefix/bin/sockscope
[ -x "$bin" ] || fail "no $bin"
version=$("$bin" --version) || fail "--version"
echo "install check: $bin --version → $version"
if ldd "$bin" | grep -q 'libswift\|libFoundation\|libdispatch'; then fail "the installed binary links Swift libraries: $(ldd "$bin" | grep -o 'lib[A-Za-z_]*swift[A-Za-z_]*' | sort -u | tr '\n' ' ')"; fi
if ldd "$bin" | grep -q 'libpcap'; then fail "the installed binary links libpcap (it is to be loaded with dlopen when a capture starts)"; fi
linked=$(ldd "$bin" | awk '{ print $1 }' | xargs -n1 basename | sort | tr '\n' ' ')
[ "$linked" = "ld-linux-x86-64.so.2 libc.so.6 libm.so.6 linux-vdso.so.1 " ] || fail "the installed binary links more than glibc: $linked"
if readelf -d "$bin" | grep -q 'RPATH\|RUNPATH'; then fail "the installed binary carries an rpath: $(readelf -d "$bin" | grep 'RPATH\|RUNPATH')"; fi
readelf -h "$bin" | grep -q 'Position-Independent' || fail "the installed binary is not PIE"
echo "install check: ldd lists only $linked(no Swift library, libstdc++, libgcc_s or libpcap); no rpath; PIE"
if [ "$(id -u)" = 0 ]; then
  sandbox=$(mktemp -d)
  printf '127.0.0.1 localhost\n::1 localhost\n' > "$sandbox/hosts"; printf 'hosts: files\n' > "$sandbox/nsswitch.conf"
  out=$(unshare --mount --net sh -c "mount --bind $sandbox/hosts /etc/hosts && mount --bind $sandbox/nsswitch.conf /etc/nsswitch.conf && exec $bin resolve --json localhost") || fail "resolve localhost"
  rm -rf "$sandbox"
  echo "$out" | grep -q '"address":"127.0.0.1"' || fail "resolve localhost gave: $out"
  echo "install check: resolve localhost → $(echo "$out" | grep -c '"address"') entries (private /etc/hosts, no network)"
else
  echo "install check: skipped: resolve localhost needs root for a lookup sandbox"
fi
bash -c "source $prefix/share/bash-completion/completions/sockscope && complete -p sockscope" > /dev/null || fail "the bash completion does not load"
echo "install check: the bash completion loads (complete -p sockscope)"
man -l "$prefix/share/man/man1/sockscope.1" 2>/dev/null | grep -q "EXIT STATUS" || fail "the manual does not render"
echo "install check: man -l renders the manual"
make -s uninstall PREFIX="$prefix"
left=$(find "$prefix" -type f | wc -l)
[ "$left" = 0 ] || fail "make uninstall left $left files"
echo "install check: make uninstall removed everything"
