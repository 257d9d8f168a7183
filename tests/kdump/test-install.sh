#!/bin/bash
# make install into a DESTDIR, then the installed programs at work.
#
# Asserts: `make install PREFIX=/usr DESTDIR=D` installs exactly
# usr/bin/{vmemtrim,vmemtrim-inspect} (0755), the crash module at
# usr/lib/crash/extensions/vmemtrim.so, the man pages vmemtrim.8,
# vmemtrim-inspect.1 and usr/share/doc/vmemtrim/{kdump,vmemtrim-crash}.md
# (0644), each equal to the build's or docs/'s; the default
# PREFIX (/usr/local) and CRASH_EXTDIR land where the Makefile says; the
# man pages render without warnings (man -l); the installed vmemtrim writes
# a -l -d 31 -e dump of a real vmcore that the installed vmemtrim-inspect
# reads; crash, run in an empty directory with CRASH_EXTENSIONS set to the
# installed extension directory, loads the installed module with
# `extend vmemtrim.so` (by name, from that path), and its `vmemmap`
# counts equal vmemtrim-inspect's.
#
# Usage: tests/kdump/test-install.sh   (from the repo root)
# Env: BUILD, VMEMTRIM_CACHE, CRASH (default crash).
set -uo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
cd "$ROOT" || exit 1
BUILD=${BUILD:-build}
export BUILD VMEMTRIM_CACHE=${VMEMTRIM_CACHE:-$HOME/.cache/vmemtrim}
CRASH=${CRASH:-crash}
OUT=$BUILD/test-work/kdump-install
VARIANT=2g

# shellcheck source=/dev/null
. "$ROOT/tests/lib/tap.sh"
# shellcheck source=/dev/null
. "$HERE/crash-session.sh"
now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", b - a }'; }
T0=$(now)
rm -rf "$OUT"
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)

# ---------------------------------------------------------- make install
D=$OUT/root
if make -s install PREFIX=/usr DESTDIR="$D" >"$OUT/install.log" 2>&1; then
	tap_ok "make install PREFIX=/usr DESTDIR=$D"
else
	tap_fail "make install PREFIX=/usr DESTDIR=$D" "$(tail -n 20 "$OUT/install.log")"
	tap_done
fi
listing() { (cd "$1" && find . -type f -printf '%m %P\n' | LC_ALL=C sort); }
want="644 usr/lib/crash/extensions/vmemtrim.so
644 usr/share/doc/vmemtrim/kdump.md
644 usr/share/doc/vmemtrim/vmemtrim-crash.md
644 usr/share/man/man1/vmemtrim-inspect.1
644 usr/share/man/man8/vmemtrim.8
755 usr/bin/vmemtrim
755 usr/bin/vmemtrim-inspect"
tap_eq "it installs the two programs, the crash module, the man pages and docs, with their modes" \
	"$want" "$(listing "$D")"
same=""
for pair in usr/bin/vmemtrim:$BUILD/vmemtrim \
	usr/bin/vmemtrim-inspect:$BUILD/vmemtrim-inspect \
	usr/lib/crash/extensions/vmemtrim.so:$BUILD/vmemtrim.so \
	usr/share/man/man1/vmemtrim-inspect.1:docs/vmemtrim-inspect.1 \
	usr/share/man/man8/vmemtrim.8:docs/vmemtrim.8 \
	usr/share/doc/vmemtrim/kdump.md:docs/kdump.md \
	usr/share/doc/vmemtrim/vmemtrim-crash.md:docs/vmemtrim-crash.md; do
	cmp -s "$D/${pair%%:*}" "${pair#*:}" || same="$same ${pair%%:*}"
done
tap_eq "the installed files are the build's programs and docs/ pages" "" "$same"

# Default PREFIX, and CRASH_EXTDIR on its own.
D2=$OUT/root-default
make -s install DESTDIR="$D2" >"$OUT/install-default.log" 2>&1
tap_eq "the default PREFIX is /usr/local, the module in its lib/crash/extensions" \
	"$(sed 's#usr/#usr/local/#' <<<"$want")" "$(listing "$D2")"
D3=$OUT/root-extdir
make -s install DESTDIR="$D3" CRASH_EXTDIR=/usr/lib/crash/extensions \
	>"$OUT/install-extdir.log" 2>&1
tap_check "CRASH_EXTDIR=/usr/lib/crash/extensions puts the module where crash looks by default" \
	test -f "$D3/usr/lib/crash/extensions/vmemtrim.so" -a \
	! -e "$D3/usr/local/lib/crash/extensions/vmemtrim.so"

# ------------------------------------------------------------- man pages
for m in man8/vmemtrim.8 man1/vmemtrim-inspect.1; do
	# man -l: render the installed file as man(1) would; -ww: all warnings
	MANROFFOPT=-ww man -l "$D/usr/share/man/$m" >"$OUT/$(basename "$m").txt" \
		2>"$OUT/$(basename "$m").err"
	rc=$?
	tap_check "man -l renders the installed $(basename "$m") without warnings (exit $rc)" \
		test "$rc" = 0 -a ! -s "$OUT/$(basename "$m").err" -a \
		-s "$OUT/$(basename "$m").txt"
done

# ------------------------------------------------- the installed programs
BIN=$D/usr/bin
tap_eq "installed vmemtrim -v" "vmemtrim 0.1.0" "$("$BIN/vmemtrim" -v 2>&1)"
tap_check "installed vmemtrim-inspect --version runs" "$BIN/vmemtrim-inspect" --version

make -s "$BUILD/tests/crash-tasks.so" >"$OUT/make.log" 2>&1
# shellcheck disable=SC2034 # run_crash (crash-session.sh) loads it
TASKS=$(realpath "$BUILD/tests/crash-tasks.so")
if ! tests/kernel/fixture.sh "$VARIANT" >"$OUT/fixture.out" 2>"$OUT/fixture.err"; then
	tap_fail "fixture: $VARIANT vmcore" "$(tail -n 5 "$OUT/fixture.err")"
	tap_done
fi
VMLINUX=$(awk '$1 == "vmlinux" { print $2 }' "$OUT/fixture.out")
VMCORE=$(awk -v k="vmcore-$VARIANT" '$1 == k { print $2 }' "$OUT/fixture.out")
# shellcheck disable=SC2034 # check_installed (crash-session.sh) reads it
RELEASE=$(basename "$(dirname "$VMLINUX")")
tap_ok "fixture: vmlinux and the $VARIANT vmcore"

# ---------------------------------------- crash: extend vmemtrim.so by name
check_installed installed "$BIN" "$D/usr/lib/crash/extensions" "$VMCORE" "$OUT" "2 GB"

tap_note "whole test $(elapsed "$T0" "$(now)") s"
tap_done
