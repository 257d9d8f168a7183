#!/bin/bash
# Free pages on the per-CPU lists (issue 25), on the real-kernel fixture's
# vmcores: the lists are walked with the kernel's own debug info
# (python3-drgn with the fixture's vmlinux, tests/filter/check_pcp.py), and
# vmemtrim's dumps, made without a vmlinux, are judged against that walk
# and against makedumpfile 1.7.2's dumps of the same vmcore.
#
# For every variant (2g, 2g-nokaslr, l5, hvo, 8g) and dump level 16 and 31:
#  1. every list entry is left out, and at least 90% of the pages on the
#     lists (entries and the rest of their high-order blocks);
#  2. every page vmemtrim leaves out that makedumpfile keeps is a page on
#     the lists (nothing that must be kept is left out);
#  3. the report's "on per-CPU lists" line is there and not above "Free";
#  4. at -d 31, crash opens the dump: kmem -i (TOTAL MEM), kmem -f (the
#     free lists' totals), bt (sysrq_handle_crash), log (the sysrq panic);
#  5. corrupt kernel (the first variant, a copy of its vmcore): in six
#     lists one entry's struct page gets one field off (a reference,
#     PG_reserved, a mapping, _mapcount 0, its next link 8 bytes off, its
#     prev link at another page): at -d 31 every page of those lists is
#     kept, and the other lists' pages are still left out.
# Notes give bytes and seconds of vmemtrim and makedumpfile per dump.
#
# Usage: tests/filter/test-filter-pcp.sh   (from the repo root)
# Env: BUILD, VMEMTRIM_CACHE, CRASH (default crash), PCP_VARIANTS (default
# "2g 2g-nokaslr l5 hvo 8g").
set -uo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
cd "$ROOT" || exit 1
BUILD=${BUILD:-build}
export BUILD VMEMTRIM_CACHE=${VMEMTRIM_CACHE:-$HOME/.cache/vmemtrim}
CRASH=${CRASH:-crash}
PY=/usr/bin/python3
OUT=$BUILD/test-work/filter-pcp
read -r -a VARIANTS <<<"${PCP_VARIANTS:-2g 2g-nokaslr l5 hvo 8g}"

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

declare -A VMCORE
if ! tests/kernel/fixture.sh "${VARIANTS[@]}" >"$OUT/fixture.out" \
	2>"$OUT/fixture.err"; then
	tap_fail "fixture: ${VARIANTS[*]}" "$(tail -n 5 "$OUT/fixture.err")"
fi
VMLINUX=$(awk '$1 == "vmlinux" { print $2; exit }' "$OUT/fixture.out")
have=()
for v in "${VARIANTS[@]}"; do
	VMCORE[$v]=$(awk -v k="vmcore-$v" '$1 == k { print $2 }' \
		"$OUT/fixture.out")
	[ -n "${VMCORE[$v]}" ] && [ -f "${VMCORE[$v]}" ] && have+=("$v")
done
if [ -z "$VMLINUX" ] || [ ${#have[@]} -eq 0 ]; then
	tap_fail "fixture: vmlinux and vmcores" "$(tail -n 5 "$OUT/fixture.err")"
	tap_done
fi
tap_ok "fixture: vmlinux and vmcores of ${have[*]}"

hexval() { # REPORT LABEL
	printf '%d' "$(sed -n "s/^ *$2 *: *\(0x[0-9a-f]*\).*/\1/p" "$1" | head -n 1)"
}

for v in "${have[@]}"; do
	vc=${VMCORE[$v]}
	if ! "$PY" tests/filter/check_pcp.py lists "$vc" "$VMLINUX" \
		>"$OUT/$v.lists" 2>"$OUT/$v.lists.err"; then
		tap_fail "$v: drgn walks the per-CPU lists" \
			"$(tail -n 5 "$OUT/$v.lists.err")"
		continue
	fi
	tap_ok "$v: drgn walks the per-CPU lists ($(wc -l <"$OUT/$v.lists") entries)"
	for d in 16 31; do
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
		"$PY" tests/filter/check_pcp.py check --name "$v -d $d" \
			"$OUT/$v.lists" "$vm" "$md" >"$OUT/check-$v-$d.tap" 2>&1
		cat "$OUT/check-$v-$d.tap"
		grep -q "^not ok" "$OUT/check-$v-$d.tap" &&
			TAP_FAILED=$((TAP_FAILED + 1))
		grep -q '^ok' "$OUT/check-$v-$d.tap" ||
			tap_fail "$v -d $d: check_pcp.py ran" \
				"$(tail -n 5 "$OUT/check-$v-$d.tap")"
	done
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
if [ -s "$OUT/$v.lists" ] && cp --sparse=always "${VMCORE[$v]}" "$C.vmcore" &&
	tap_check "corrupt $v: six list entries patched, one field off each" \
		"$PY" tests/filter/check_pcp.py corrupt --seed 1 "$OUT/$v.lists" \
		"$C.vmcore" "$C.victims"; then
	"$VMEMTRIM" -l -d 31 "$C.vmcore" "$C.dump" >"$C.err" 2>&1
	tap_eq "corrupt $v: vmemtrim -d 31 exits 0" 0 "$?"
	"$PY" tests/filter/check_pcp.py kept "$OUT/$v.lists" "$C.victims" \
		"$C.dump" >"$C.tap" 2>&1
	cat "$C.tap"
	grep -q "^not ok" "$C.tap" && TAP_FAILED=$((TAP_FAILED + 1))
	grep -q "^ok" "$C.tap" ||
		tap_fail "corrupt $v: check_pcp.py kept ran" "$(tail -n 5 "$C.tap")"
fi
rm -f "$C.vmcore" "$C.dump"
tap_done
