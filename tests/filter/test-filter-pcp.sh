#!/bin/bash
# Free pages on the per-CPU lists (issue 25), on the real-kernel fixture's
# vmcores: the lists are walked with the kernel's own debug info
# (python3-drgn with the fixture's vmlinux, tests/filter/check_pcp.py), and
# vmemtrim's dumps, made without a vmlinux (the link proof) and with -x
# VMLINUX (the lists walked by its DWARF), are judged against that walk
# and against makedumpfile 1.7.2's dumps of the same vmcore.
#
# For every variant (2g, 2g-nokaslr, l5, hvo, 8g of 6.1; k612-4g of 6.12)
# and dump level 16 and 31 (6.12: 16 only; crash 8.0.2 cannot open 6.12):
#  1. every list entry is left out, and at least 90% of the pages on the
#     lists (entries and the rest of their high-order blocks); with -x
#     (-d 16): every entry and at least 99% of the pages, and the report
#     says the lists were walked;
#  2. every page vmemtrim leaves out that makedumpfile keeps is a page on
#     the lists (nothing that must be kept is left out);
#  3. the report's "on per-CPU lists" line is there and not above "Free";
#  4. at -d 31, crash opens the dump: kmem -i (TOTAL MEM), kmem -f (the
#     free lists' totals), bt (sysrq_handle_crash), log (the sysrq panic);
#  5. corrupt kernel (the first variant, a copy of its vmcore): in six
#     lists one entry's struct page gets one field off (a reference,
#     PG_reserved, a mapping, _mapcount 0, its next link 8 bytes off, its
#     prev link at another page): at -d 31 every page of those lists is
#     kept, and the other lists' pages are still left out; the same with
#     -x, where a failed walk keeps every list of its CPU's struct
#     per_cpu_pages (their count is checked together), and a warning
#     counts them;
#  6. -x with another kernel's vmlinux: exit 0, one warning naming it, the
#     link proof decides (the same dump as without -x); -x with a file
#     that is not ELF, an ELF file without DWARF, or no file: exit 1, one
#     line naming the file, no DUMPFILE.
# Notes give bytes and seconds of vmemtrim and makedumpfile per dump.
#
# Usage: tests/filter/test-filter-pcp.sh   (from the repo root)
# Env: BUILD, VMEMTRIM_CACHE, CRASH (default crash), PCP_VARIANTS (default
# "2g 2g-nokaslr l5 hvo 8g k612-4g").
set -uo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
cd "$ROOT" || exit 1
BUILD=${BUILD:-build}
export BUILD VMEMTRIM_CACHE=${VMEMTRIM_CACHE:-$HOME/.cache/vmemtrim}
CRASH=${CRASH:-crash}
PY=/usr/bin/python3
OUT=$BUILD/test-work/filter-pcp
read -r -a VARIANTS <<<"${PCP_VARIANTS:-2g 2g-nokaslr l5 hvo 8g k612-4g}"

# shellcheck source=/dev/null
. "$ROOT/tests/lib/tap.sh"
now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", b - a }'; }
rm -rf "$OUT"
mkdir -p "$OUT"

make -s "$BUILD/vmemtrim" "$BUILD/tests/crash-tasks.so" >"$OUT/make.log" 2>&1
VMEMTRIM=$BUILD/vmemtrim
TASKS=$(realpath "$BUILD/tests/crash-tasks.so" 2>/dev/null)
tap_check "vmemtrim and crash-tasks.so are built" \
	test -x "$VMEMTRIM" -a -f "$TASKS"
tap_check "makedumpfile 1.7.2, crash, drgn and kdumpfile are installed" \
	sh -c "makedumpfile -v 2>&1 | grep -q 'version 1.7.2' &&
		command -v '$CRASH' >/dev/null &&
		'$PY' -c 'import drgn, kdumpfile'"

declare -A VMCORE VMLINUX_OF
if ! tests/kernel/fixture.sh "${VARIANTS[@]}" >"$OUT/fixture.out" \
	2>"$OUT/fixture.err"; then
	tap_fail "fixture: ${VARIANTS[*]}" "$(tail -n 5 "$OUT/fixture.err")"
fi
# each kernel's "vmlinux" line comes before its variants' lines
have=()
for v in "${VARIANTS[@]}"; do
	VMCORE[$v]=$(awk -v k="vmcore-$v" '$1 == k { print $2 }' \
		"$OUT/fixture.out")
	VMLINUX_OF[$v]=$(awk -v k="vmcore-$v" '$1 == "vmlinux" { l = $2 }
		$1 == k { print l }' "$OUT/fixture.out")
	[ -n "${VMCORE[$v]}" ] && [ -f "${VMCORE[$v]}" ] &&
		[ -f "${VMLINUX_OF[$v]}" ] && have+=("$v")
done
if [ ${#have[@]} -eq 0 ]; then
	tap_fail "fixture: vmlinux and vmcores" "$(tail -n 5 "$OUT/fixture.err")"
	tap_done
fi
tap_ok "fixture: vmlinux and vmcores of ${have[*]}"

# Run check_pcp.py ARGS: its TAP lines, each named with PREFIX, failures
# counted; NAME in the failure when it did not run.
pytap() { # NAME PREFIX TAPFILE ARGS...
	local name=$1 pre=$2 tap=$3
	shift 3
	"$PY" tests/filter/check_pcp.py "$@" >"$tap" 2>&1
	sed "s/^\(\(not \)\{0,1\}ok\) - /\1 - $pre/" "$tap"
	grep -q "^not ok" "$tap" && TAP_FAILED=$((TAP_FAILED + 1))
	grep -q '^ok' "$tap" ||
		tap_fail "$name: check_pcp.py ran" "$(tail -n 5 "$tap")"
}

# check_pcp.py check of the dump VM against makedumpfile's MD
judge() { # NAME LISTS VM MD MIN
	pytap "$1" "" "$3.tap" check --name "$1" --min "$5" "$2" "$3" "$4"
}

hexval() { # REPORT LABEL
	printf '%d' "$(sed -n "s/^ *$2 *: *\(0x[0-9a-f]*\).*/\1/p" "$1" | head -n 1)"
}

# -x with another kernel's vmlinux on variant V: a warning, and the same
# dump as NONE (V's -d 16 dump without -x)
other_kernel() { # V NONE
	local other= w b=$OUT/other-kernel
	for w in "${have[@]}"; do
		[ "${VMLINUX_OF[$w]}" != "${VMLINUX_OF[$1]}" ] &&
			other=${VMLINUX_OF[$w]}
	done
	if [ -z "$other" ]; then
		tap_fail "-x another kernel's vmlinux" "one kernel's variants only"
		return
	fi
	"$VMEMTRIM" -l -d 16 -x "$other" "${VMCORE[$1]}" "$b.dump" \
		>/dev/null 2>"$b.err"
	tap_eq "-x another kernel's vmlinux: exit 0" 0 "$?"
	tap_check "-x another kernel's vmlinux: one warning naming it" \
		sh -c "test \$(grep -c warning '$b.err') -eq 1 &&
			grep -qF 'vmemtrim: warning: $other: per-CPU lists not walked' '$b.err'"
	tap_check "-x another kernel's vmlinux: the same dump as without -x" \
		cmp -s "$2" "$b.dump"
	rm -f "$b.dump"
}

for v in "${have[@]}"; do
	vc=${VMCORE[$v]} VMLINUX=${VMLINUX_OF[$v]} levels="16 31"
	case $v in k612*) levels=16 ;; esac
	if ! "$PY" tests/filter/check_pcp.py lists "$vc" "$VMLINUX" \
		>"$OUT/$v.lists" 2>"$OUT/$v.lists.err"; then
		tap_fail "$v: drgn walks the per-CPU lists" \
			"$(tail -n 5 "$OUT/$v.lists.err")"
		continue
	fi
	tap_ok "$v: drgn walks the per-CPU lists ($(wc -l <"$OUT/$v.lists") entries)"
	for d in $levels; do
		vm=$OUT/vm-$v-$d.dump md=$OUT/md-$v-$d.dump
		t0=$(now)
		"$VMEMTRIM" -l -d "$d" --message-level 31 "$vc" "$vm" \
			>"$OUT/vm-$v-$d.rep" 2>"$OUT/vm-$v-$d.err"
		rc=$?
		t1=$(now)
		makedumpfile -l -d "$d" "$vc" "$md" >"$OUT/md-$v-$d.rep" 2>&1
		t2=$(now)
		tap_eq "$v -d $d: vmemtrim exits 0" 0 "$rc"
		tap_note "$v -d $d: vmemtrim $(stat -c %s "$vm" 2>/dev/null) bytes $(elapsed "$t0" "$t1") s, makedumpfile $(stat -c %s "$md" 2>/dev/null) bytes $(elapsed "$t1" "$t2") s"
		pcp=$(hexval "$OUT/vm-$v-$d.rep" "on per-CPU lists")
		free=$(hexval "$OUT/vm-$v-$d.rep" "Free pages")
		tap_check "$v -d $d: the report counts $pcp per-CPU free pages of $free free" \
			test -n "$pcp" -a "${pcp:-0}" -gt 0 -a "${pcp:-0}" -le "${free:-0}"
		judge "$v -d $d" "$OUT/$v.lists" "$vm" "$md" 0.9
	done
	# -x: the lists walked with the vmlinux's DWARF, judged at -d 16
	vx=$OUT/vx-$v-16.dump
	t0=$(now)
	"$VMEMTRIM" -l -d 16 --message-level 31 -x "$VMLINUX" "$vc" "$vx" \
		>"$vx.rep" 2>"$vx.err"
	rc=$?
	tap_eq "$v -d 16 -x: vmemtrim exits 0" 0 "$rc"
	tap_note "$v -d 16 -x: vmemtrim $(stat -c %s "$vx" 2>/dev/null) bytes $(elapsed "$t0" "$(now)") s"
	tap_check "$v -d 16 -x: the report says the lists were walked: $(grep -o 'Per-CPU lists.*' "$vx.rep")" \
		grep -q '^Per-CPU lists   : [1-9][0-9]* walked with the vmlinux' "$vx.rep"
	judge "$v -d 16 -x" "$OUT/$v.lists" "$vx" "$OUT/md-$v-16.dump" 0.99
	[ "$v" = "${have[0]}" ] && other_kernel "$v" "$OUT/vm-$v-16.dump"
	[ "$levels" = 16 ] && { rm -f "$OUT"/*-"$v"-*.dump; continue; }
	# crash on the -d 31 dump
	c=$OUT/vm-$v-31.crash
	{
		echo "extend $TASKS"
		echo "mark kmem-i"; echo "kmem -i"
		echo "mark kmem-f"; echo "kmem -f"
		echo "mark bt"; echo "bt"
		echo "mark log"; echo "log"
		echo "mark end"
		echo q
	} >"$c.in"
	timeout 600 "$CRASH" -s "$VMLINUX" "$OUT/vm-$v-31.dump" <"$c.in" \
		>"$c" 2>&1
	tap_eq "$v -d 31: crash exits 0" 0 "$?"
	tap_check "$v -d 31: crash kmem -i prints TOTAL MEM" \
		grep -q '^ *TOTAL MEM ' "$c"
	tap_check "$v -d 31: crash kmem -f prints the free lists" \
		grep -q 'nr_free_pages: [0-9]' "$c"
	tap_check "$v -d 31: crash bt shows sysrq_handle_crash" \
		grep -q 'sysrq_handle_crash' "$c"
	tap_check "$v -d 31: crash log shows the sysrq panic" \
		grep -q 'Kernel panic - not syncing: sysrq triggered crash' "$c"
	rm -f "$OUT"/*-"$v"-*.dump
done

# ---------------------------------------------------------- corrupt kernel
v=${have[0]}
C=$OUT/corrupt
# vmemtrim -x of the patched $C.vmcore into DUMP, judged: every list of a
# victim's struct per_cpu_pages kept, the others' pages left out
corrupt_x() { # NAME VICTIMS DUMP
	"$VMEMTRIM" -l -d 31 -x "${VMLINUX_OF[$v]}" "$C.vmcore" "$3" \
		>"$3.err" 2>&1
	tap_eq "$1: vmemtrim -d 31 exits 0" 0 "$?"
	tap_check "$1: a warning counts the lists kept" \
		grep -q 'per-CPU lists could not be walked' "$3.err"
	pytap "$1" "-x: " "$3.tap" kept --whole-pcp "$OUT/$v.lists" "$2" "$3"
}
if [ -s "$OUT/$v.lists" ] && cp --sparse=always "${VMCORE[$v]}" "$C.vmcore" &&
	tap_check "corrupt $v: six list entries patched, one field off each" \
		"$PY" tests/filter/check_pcp.py corrupt --seed 1 "$OUT/$v.lists" \
		"$C.vmcore" "$C.victims"; then
	"$VMEMTRIM" -l -d 31 "$C.vmcore" "$C.dump" >"$C.err" 2>&1
	tap_eq "corrupt $v: vmemtrim -d 31 exits 0" 0 "$?"
	pytap "corrupt $v" "" "$C.tap" kept "$OUT/$v.lists" "$C.victims" \
		"$C.dump"
	corrupt_x "corrupt $v -x" "$C.victims" "$C.xdump"
fi
rm -f "$C.vmcore" "$C.dump" "$C.xdump"
# -x, a struct per_cpu_pages whose count is one page off: its lists kept
if [ -s "$OUT/$v.lists" ] && cp --sparse=always "${VMCORE[$v]}" "$C.vmcore" &&
	tap_check "corrupt $v: one CPU's count one page off" \
		"$PY" tests/filter/check_pcp.py corrupt --seed 1 --count \
		"$OUT/$v.lists" "$C.vmcore" "$C.cvictims"; then
	corrupt_x "corrupt count $v -x" "$C.cvictims" "$C.cdump"
	tap_check "corrupt count $v -x: other CPUs' lists hold pages (left out)" \
		grep -q '^ok .*the [1-9][0-9]* pages of the other lists' "$C.cdump.tap"
fi
rm -f "$C.vmcore" "$C.cdump"

# --------------------------------------------------------------- bad -x
v=${have[0]} B=$OUT/badx
printf 'not an ELF file\n' >"$B.txt"
for x in "$B.txt" /bin/true "$B.missing"; do
	"$VMEMTRIM" -l -d 16 -x "$x" "${VMCORE[$v]}" "$B.dump" \
		>/dev/null 2>"$B.err"
	rc=$?
	tap_eq "-x $(basename "$x"): exit 1" 1 "$rc"
	tap_check "-x $(basename "$x"): one line naming the file: $(head -c 150 "$B.err")" \
		sh -c "test \$(grep -c . '$B.err') -eq 1 && grep -qF '$x' '$B.err'"
	tap_check "-x $(basename "$x"): no DUMPFILE" test ! -e "$B.dump"
done
tap_done
