#!/bin/bash
# vmemtrim on memory of a kernel that corrupted itself before it crashed
# (docs/robustness.md, "Corrupt kernels"). Whatever is corrupt, vmemtrim
# must finish (exit 0) with a warning, write a valid dump, keep every page
# it cannot classify with confidence and never drop a vmemmap page it
# cannot prove removable.
#  1. Synthetic (mkvmcore + tests/mkvmcore/corrupt.py, which relabels
#     every pfn whose class became uncertain as "corrupt", a class that is
#     always dumped): garbage struct pages, buddy orders out of range or
#     misaligned, compound heads pointing outside RAM, vmemmap PMDs
#     pointing outside RAM or looping back at their own table, broken
#     mem_section roots, VMCOREINFO lines missing or lying. The bitmaps of
#     -d 31 and -d 31 -e must be exactly the corrupted truth's
#     (check_truth.py bitmap --exact), every dumped page equal the
#     source's, the report say what was skipped. VMCOREINFO that cannot
#     describe the struct pages: every RAM page dumped, no -e.
#  2. The real kernel's 2 GiB vmcore with garbage struct pages and bogus
#     buddy orders (tests/filter/corrupt_real.py): vmemtrim -d 31 -e
#     dumps every victim and everything the clean run dumped, warns, and
#     crash 8.0.2 opens the result: sys, bt, log, ps, kmem -i work.
# Usage: tests/filter/test-filter-corrupt.sh (from the repo root).
set -uo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
cd "$ROOT" || exit 1
BUILD=${BUILD:-build}
export BUILD VMEMTRIM_CACHE=${VMEMTRIM_CACHE:-$HOME/.cache/vmemtrim}
VT=$BUILD/vmemtrim
MK=$BUILD/mkvmcore
READCMP=$BUILD/tests/reader/tool-readcmp
PY=/usr/bin/python3
TRUTH=tests/mkvmcore/check_truth.py
CORRUPT=tests/mkvmcore/corrupt.py
CRASH=${CRASH:-crash}
OUT=$BUILD/test-work/filter-corrupt
# shellcheck source=/dev/null
. "$ROOT/tests/lib/tap.sh"
start=$(date +%s)
rm -rf "$OUT"
mkdir -p "$OUT"

tap_need_built "$VT" "$MK" "$READCMP"

# vt NAME DUMP ARGS...: vmemtrim must succeed; report in DUMP.rep, stderr
# in DUMP.err.
vt() {
	local n=$1 o=$2
	shift 2
	rm -f "$o"
	if "$VT" --message-level 31 "$@" "$o" >"$o.rep" 2>"$o.err"; then
		return 0
	fi
	tap_fail "$n: vmemtrim $* exits 0" "$(tail -n 5 "$o.err")"
	return 1
}

# warned NAME DUMP PATTERN: stderr has a one-line warning matching PATTERN.
warned() {
	if grep -q -E "^vmemtrim: warning: .*$3" "$2.err"; then
		tap_ok "$1: warns ($(grep -m1 -E "$3" "$2.err" | cut -c1-110))"
	else
		tap_fail "$1: warns /$3/" "$(cat "$2.err")"
	fi
}

# tidy NAME: drop the case's vmcore and dumps (GiBs), keep the logs.
tidy() {
	rm -f "$OUT/$1" "$OUT/$1".d31 "$OUT/$1".d31e "$OUT/$1.vmcore"
}

gen() { # NAME MKVMCORE-ARGS...
	local n=$1
	shift
	[ -n "${prev:-}" ] && tidy "$prev"
	prev=$n
	if ! "$MK" -o "$OUT/$n" "$@" >"$OUT/$n.mk" 2>&1; then
		tap_fail "$n: mkvmcore $*" "$(tail -n 3 "$OUT/$n.mk")"
		return 1
	fi
}

corrupt() { # NAME SEED KIND...
	local n=$1 seed=$2 args=()
	shift 2
	for k in "$@"; do args+=(--kind "$k"); done
	if ! "$PY" "$CORRUPT" "$OUT/$n" --seed "$seed" "${args[@]}" \
		>"$OUT/$n.corrupt" 2>&1; then
		tap_fail "$n: corrupt.py ${args[*]}" "$(tail -n 3 "$OUT/$n.corrupt")"
		return 1
	fi
}

# exact NAME WARNING: -d 31 and -d 31 -e of vmcore NAME are exactly the
# corrupted truth's, pages equal the source's, and vmemtrim warned.
exact() {
	local n=$1 w=$2 src=$OUT/$1
	vt "$n -d 31 -e" "$src.d31e" -l -d 31 -e "$src" || return
	vt "$n -d 31" "$src.d31" -l -d 31 "$src" || return
	tap_ok "$n: vmemtrim -d 31 and -d 31 -e exit 0"
	warned "$n" "$src.d31e" "$w"
	tap_check "$n -d 31: bitmaps are the corrupted truth's" \
		"$PY" "$TRUTH" bitmap "$src.d31" "$src.truth" 31
	tap_check "$n -d 31 -e: bitmaps are the corrupted truth's, exactly its removable vmemmap pages dropped" \
		"$PY" "$TRUTH" bitmap "$src.d31e" "$src.truth" 31 --exact
	tap_check "$n -d 31 -e: every dumped page equals the vmcore's" \
		"$READCMP" "$src" "$src.d31e"
}

# everything NAME WARNING: VMCOREINFO cannot be trusted: -d 31 -e dumps
# every RAM page (2nd bitmap = 1st bitmap), leaves no vmemmap page out.
everything() {
	local n=$1 w=$2 src=$OUT/$1
	vt "$n -d 31 -e" "$src.d31e" -l -d 31 -e "$src" || return
	tap_ok "$n: vmemtrim -d 31 -e exits 0"
	warned "$n" "$src.d31e" "$w"
	tap_check "$n: every RAM page is dumped, EXCLUDED_VMEMMAP not set" \
		"$PY" -c '
import sys
sys.path.insert(0, "tests/mkvmcore")
from check_truth import read_kdump
status, n, b1, b2 = read_kdump(sys.argv[1])
sys.exit(0 if b1 == b2 and not status & 0x10 else "b1 != b2 or bit set")
' "$src.d31e"
	tap_check "$n: every dumped page equals the vmcore's" \
		"$READCMP" "$src" "$src.d31e"
	tap_check "$n: the report says classification was off" \
		grep -q '^Classification  : none (' "$src.d31e.rep"
}

# ------------------------------------------------------------- 1. synthetic
B="--ram 2G --profile mixed"
if gen garbage $B --seed 11 && corrupt garbage 1 garbage:40; then
	exact garbage "implausible struct pages"
fi
if gen buddy $B --seed 12 && corrupt buddy 2 buddy-order:30; then
	exact buddy "implausible struct pages"
fi
if gen chead $B --seed 13 && corrupt chead 3 compound-head:20; then
	exact chead "implausible struct pages"
fi
if gen pmd $B --seed 14 --nodes 2 && corrupt pmd 4 pmd-outside:1 pmd-loop:1; then
	exact pmd "struct pages of [0-9]+ pfns could not be read"
	tap_check "pmd: the looping PMD is named by vmemtrim-inspect" \
		sh -c "'$BUILD/vmemtrim-inspect' --ranges '$OUT/pmd' | grep -q 'bad-pte'"
fi
if gen all $B --seed 15 --hvo 4 &&
	corrupt all 5 garbage:20 buddy-order:10 compound-head:10 pmd-outside:1; then
	exact all "implausible struct pages"
fi
# mem_section roots: 64 GiB idle (65 GiB of addresses with the PCI hole)
# has three roots; one broken changes nothing, all three leave no memmap
if gen roots --ram 64G --profile idle --seed 16 && corrupt roots 6 mem-section:1; then
	exact roots "mem_section roots could not be read"
fi
if gen roots2 --ram 64G --profile idle --seed 17 && corrupt roots2 7 mem-section:3; then
	everything roots2 "pages not classified"
fi
# VMCOREINFO: missing keys, and lies the kernel text gives away
for c in 'vmcoreinfo-drop:OFFSET(page.flags)' 'vmcoreinfo-drop:SIZE(page)' \
	'vmcoreinfo-set:NUMBER(PG_lru)=12' 'vmcoreinfo-set:SIZE(page)=56'; do
	n=vi$(echo "$c" | tr -c 'a-zA-Z0-9\n' _ | cut -c12-40)
	if gen "$n" $B --seed 18 && corrupt "$n" 8 "$c"; then
		everything "$n" "pages not classified"
	fi
done
# a lie that says nothing wrong about the kernel text: nothing lost
if gen vilen $B --seed 19 &&
	corrupt vilen 9 'vmcoreinfo-set:LENGTH(zone.free_area)=5'; then
	vt "vilen -d 31 -e" "$OUT/vilen.d31e" -l -d 31 -e "$OUT/vilen" &&
		tap_check "vilen: a smaller LENGTH(zone.free_area) loses no page the truth dumps" \
			"$PY" -c '
import sys
sys.path.insert(0, "tests/mkvmcore")
from check_truth import read_kdump, Truth, level_key
t = Truth(sys.argv[2])
want = t.dumped(31)
for a, b in t.removable.get(level_key(31), []):
    want[a:b] = bytes(b - a)  # -e may drop these
b2 = read_kdump(sys.argv[1])[3]
lost = [p for p in range(len(want)) if want[p] and not b2[p]]
sys.exit("lost %d pfns" % len(lost) if lost else 0)
' "$OUT/vilen.d31e" "$OUT/vilen.truth"
fi

# ----------------------------------------------------------- 2. real kernel
fix=$OUT/fixture.out
if ! tests/kernel/fixture.sh 2g >"$fix" 2>"$OUT/fixture.err"; then
	tap_fail "fixture: the 2g vmcore" "$(tail -n 5 "$OUT/fixture.err")"
	tap_done
fi
VMLINUX=$(awk '$1 == "vmlinux" { print $2 }' "$fix")
SRC=$(awk '$1 == "vmcore-2g" { print $2 }' "$fix")
R=$OUT/real
if vt "real clean -d 31 -e" "$R.clean" -l -d 31 -e "$SRC" &&
	cp --sparse=always "$SRC" "$R.vmcore" &&
	tap_check "real: 16 garbage struct pages and 9 bogus buddy orders patched in" \
		"$PY" tests/filter/corrupt_real.py patch --seed 1 --garbage 16 \
		--buddy 9 "$R.vmcore" "$R.clean" "$R.victims" &&
	vt "real -d 31 -e" "$R.d31e" -l -d 31 -e "$R.vmcore"; then
	tap_ok "real: vmemtrim -d 31 -e exits 0"
	warned real "$R.d31e" "implausible struct pages"
	tap_check "real: every victim and every page of the clean dump is dumped" \
		"$PY" tests/filter/corrupt_real.py check "$R.victims" "$R.clean" "$R.d31e"
	{
		echo "sys"; echo "mark bt"; echo "bt"; echo "mark log"; echo "log"
		echo "mark ps"; echo "ps"; echo "mark kmem"; echo "kmem -i"
		echo "mark end"; echo q
	} | sed 's/^mark \(.*\)/echo === \1 ===/' >"$R.crash.in"
	timeout 600 "$CRASH" -s "$VMLINUX" "$R.d31e" <"$R.crash.in" \
		>"$R.crash" 2>&1
	rc=$?
	tap_eq "real: crash exits 0 on the dump" 0 "$rc"
	tap_check "real: crash's sys names the kernel, bt the panic, log and ps print, kmem -i counts" \
		sh -c "grep -q 'RELEASE: 6.1' '$R.crash' &&
			sed -n '/=== bt ===/,/=== log ===/p' '$R.crash' | grep -q -E 'panic|sysrq' &&
			sed -n '/=== log ===/,/=== ps ===/p' '$R.crash' | grep -q 'Linux version' &&
			sed -n '/=== ps ===/,/=== kmem ===/p' '$R.crash' | grep -q 'swapper' &&
			sed -n '/=== kmem ===/,/=== end ===/p' '$R.crash' | grep -q 'TOTAL MEM' &&
			grep -q '=== end ===' '$R.crash'"
fi

tidy "${prev:-none}"
tidy real
rm -f "$R.clean"
tap_note "whole test $(($(date +%s) - start)) s"
tap_done
