#!/bin/bash
# vmemtrim on a Debian 12 6.12 kernel's dump: the fixture's k612-4g variant
# (linux-image-6.12-cloud-amd64 from bookworm-security, 4 GiB, KASLR on).
# crash 8.0.2 cannot open a 6.12 dump, so the judges are the source vmcore
# itself (read through libkdumpfile and a page-table walk of its own, in
# tests/filter/kdump_bitmaps.py), the guest's serial console, and
# makedumpfile 1.7.2's --dump-dmesg (which reads 6.12's log).
# Asserts:
#  1. the vmcore is the 6.12 kernel's (VMCOREINFO OSRELEASE), 4-level,
#     KASLR moved the kernel;
#  2. vmemtrim -l -d 31 and -l -d 31 -e write dumps (exit 0); every dumped
#     page reads the same from the dump and the vmcore, excluded RAM has no
#     data, the VMCOREINFO is the vmcore's (kdump_bitmaps.py readcmp);
#     -e drops only vmemmap pages whose struct pages all describe pfns the
#     -d 31 dump excludes, and sets EXCLUDED_VMEMMAP (kdump_bitmaps.py
#     vmemmap; makedumpfile -l -d 31 is the peer it notes);
#  3. vmemtrim-inspect --check says "dump: whole" (exit 0) on the vmcore
#     and both dumps, the panic line is the sysrq panic; --json --ranges of
#     the -e dump: the missing struct pages are exactly the groups whose
#     vmemmap page is not dumped (kdump_bitmaps.py missing);
#  4. vmemtrim --dump-dmesg of the vmcore and of both dumps: exit 0, the
#     three files are equal, byte-identical to makedumpfile 1.7.2's of the
#     vmcore, and every kernel line the guest printed on its serial console
#     before the capture kernel booted is in it, in order, the last one
#     last (tests/kernel/serial_in_dmesg.py).
#
# Usage: tests/kernel/test-kernel-612.sh   (from the repo root)
# Env: BUILD, VMEMTRIM_CACHE, and what tests/kernel/fixture.sh reads.
set -uo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
cd "$ROOT" || exit 1
BUILD=${BUILD:-build}
export BUILD VMEMTRIM_CACHE=${VMEMTRIM_CACHE:-$HOME/.cache/vmemtrim}
PY=/usr/bin/python3
KB=$ROOT/tests/filter/kdump_bitmaps.py
OUT=$BUILD/test-work/kernel-612
VARIANT=k612-4g

# shellcheck source=/dev/null
. "$ROOT/tests/lib/tap.sh"
now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", b - a }'; }
T0=$(now)
rm -rf "$OUT"
mkdir -p "$OUT"

make -s "$BUILD/vmemtrim" "$BUILD/vmemtrim-inspect" >"$OUT/make.log" 2>&1
VMEMTRIM=$BUILD/vmemtrim
INSPECT=$BUILD/vmemtrim-inspect
if [ ! -x "$VMEMTRIM" ] || [ ! -x "$INSPECT" ]; then
	tap_fail "vmemtrim and vmemtrim-inspect are built" "$(tail -n 20 "$OUT/make.log")"
	tap_done
fi

# ------------------------------------------------------------------ fixture
t=$(now)
VMCORE=
if tests/kernel/fixture.sh "$VARIANT" >"$OUT/fixture.out" 2>"$OUT/fixture.err"; then
	VMCORE=$(awk -v k="vmcore-$VARIANT" '$1 == k { print $2 }' "$OUT/fixture.out")
fi
if [ -z "$VMCORE" ] || [ ! -f "$VMCORE" ]; then
	tap_fail "fixture: the $VARIANT vmcore" \
		"$(grep -m 1 'FAILED stage' "$OUT/fixture.err")" \
		"$(tail -n 10 "$OUT/fixture.err")"
	tap_done
fi
if grep -q ': cached (' "$OUT/fixture.err"; then how=cached; else how=captured; fi
tap_ok "fixture: $VARIANT $how ($(elapsed "$t" "$(now)") s)"
D=$(dirname "$VMCORE")
[ ! -f "$D/timings" ] ||
	awk '{ printf "# %s: %s %s s (when captured)\n", $1, $2, $3 }' "$D/timings"

# py_tap NAME ARGS...: a Python checker's TAP lines; a checker that fails
# without a "not ok" line (an exception) is one failure
py_tap() {
	local name=$1 st
	shift
	"$PY" "$@" >"$OUT/py.out" 2>&1
	st=$?
	cat "$OUT/py.out"
	if [ "$st" != 0 ] && ! grep -q '^not ok' "$OUT/py.out"; then
		tap_fail "$name exits 0 (status $st)" "$(tail -n 5 "$OUT/py.out")"
	fi
}

# vmcoreinfo KEY: the value of KEY in the vmcore's VMCOREINFO note
vmcoreinfo() {
	head -c 16M "$VMCORE" | tr '\0' '\n' | grep -a -m 1 "^$1=" | cut -d= -f2-
}
rel=$(vmcoreinfo OSRELEASE)
tap_check "VMCOREINFO OSRELEASE is a Debian 12 6.12 kernel ($rel)" \
	grep -q -E '^6\.12\.[0-9]+\+deb12-cloud-amd64$' <<<"$rel"
tap_eq "VMCOREINFO NUMBER(pgtable_l5_enabled)=0 (4-level)" 0 \
	"$(vmcoreinfo 'NUMBER(pgtable_l5_enabled)')"
koff=$(vmcoreinfo KERNELOFFSET)
tap_check "KASLR moved the kernel (KERNELOFFSET=$koff)" \
	test -n "$koff" -a "$koff" != 0
tap_eq "the vmcore is a 4 GiB guest's (3.5 to 4.5 GiB of ELF file)" \
	1 "$(stat -c %s "$VMCORE" | awk '{ print ($1 > 3.5 * 2^30 && $1 < 4.5 * 2^30) }')"

# --------------------------------------------------------------- the filter
for e in 31 31e; do
	args=(-l -d 31)
	[ "$e" = 31e ] && args+=(-e)
	"$VMEMTRIM" "${args[@]}" "$VMCORE" "$OUT/d$e" >"$OUT/d$e.log" 2>&1
	tap_eq "vmemtrim ${args[*]} VMCORE exits 0" 0 "$?"
	tap_note "$(grep -m 1 'pages dumped' "$OUT/d$e.log")"
	py_tap "kdump_bitmaps.py readcmp d$e" "$KB" readcmp --name "d$e" "$VMCORE" "$OUT/d$e"
done
makedumpfile -l -d 31 "$VMCORE" "$OUT/m31" >"$OUT/m31.log" 2>&1
tap_eq "makedumpfile 1.7.2 -l -d 31 VMCORE (the peer) exits 0" 0 "$?"
py_tap "kdump_bitmaps.py vmemmap" "$KB" vmemmap --name d31e "$VMCORE" "$OUT/d31" "$OUT/d31e" "$OUT/m31" -

# -------------------------------------------------------------- the inspector
for f in "$VMCORE" "$OUT/d31" "$OUT/d31e"; do
	n=$(basename "$f")
	[ "$f" = "$VMCORE" ] && n=vmcore
	"$INSPECT" --check "$f" >"$OUT/inspect-$n.txt" 2>&1
	st=$?
	tap_eq "vmemtrim-inspect --check $n exits 0 (whole)" 0 "$st"
	tap_eq "vmemtrim-inspect $n: verdict line says whole" whole \
		"$(sed -n 's/^dump: *\([a-z]*\).*/\1/p' "$OUT/inspect-$n.txt")"
	tap_check "vmemtrim-inspect $n: the panic line is the sysrq panic" \
		grep -q -E '^panic: +\[ *[0-9.]+\] Kernel panic - not syncing: sysrq triggered crash$' \
		"$OUT/inspect-$n.txt"
done
"$INSPECT" --json --ranges "$OUT/d31e" >"$OUT/d31e.json" 2>"$OUT/d31e.json.err"
tap_eq "vmemtrim-inspect --json --ranges of the -e dump exits 0" 0 "$?"
py_tap "kdump_bitmaps.py missing" "$KB" missing --name d31e "$OUT/d31e.json" "$VMCORE" "$OUT/d31e"

# ------------------------------------------------------------ the log reader
for f in "$VMCORE" "$OUT/d31" "$OUT/d31e"; do
	n=$(basename "$f")
	[ "$f" = "$VMCORE" ] && n=vmcore
	"$VMEMTRIM" --dump-dmesg "$f" "$OUT/$n.dmesg" >"$OUT/$n.dmesg.log" 2>&1
	tap_eq "vmemtrim --dump-dmesg $n exits 0" 0 "$?"
done
tap_check "the -d 31 dump's log is the vmcore's" cmp "$OUT/d31.dmesg" "$OUT/vmcore.dmesg"
tap_check "the -e dump's log is the vmcore's" cmp "$OUT/d31e.dmesg" "$OUT/vmcore.dmesg"
makedumpfile --dump-dmesg "$VMCORE" "$OUT/makedumpfile.dmesg" >"$OUT/mdf-dmesg.log" 2>&1
tap_eq "makedumpfile 1.7.2 --dump-dmesg VMCORE exits 0" 0 "$?"
tap_check "vmemtrim's log is byte-identical to makedumpfile's ($(wc -l <"$OUT/vmcore.dmesg") lines)" \
	cmp "$OUT/vmcore.dmesg" "$OUT/makedumpfile.dmesg"
r=$("$PY" "$HERE/serial_in_dmesg.py" "$D/serial.log" "$OUT/vmcore.dmesg")
st=$?
read -r nser nmiss last <<<"$r"
if [ "$st" = 0 ]; then
	tap_ok "every kernel line of the guest's serial console ($nser) is in the log, in order"
else
	tap_fail "every kernel line of the guest's serial console is in the log, in order" \
		"$nmiss of $nser missing" "$(grep '^missing: ' <<<"$r")"
fi
tap_eq "the console's last kernel line is the log's last line" 1 "$last"
tap_check "the console had the sysrq panic" \
	grep -a -q 'Kernel panic - not syncing: sysrq triggered crash' "$D/serial.log"

tap_note "whole test $(elapsed "$T0" "$(now)") s"
tap_done
