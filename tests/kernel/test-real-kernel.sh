#!/bin/bash
# Real-kernel test: build (or reuse) the kdump fixture's vmcores, then open
# each with crash 8.0.2 in batch mode and check from crash's OUTPUT (crash
# exits 0 even when a command fails) that the dump is what it claims.
#
# Usage: tests/kernel/test-real-kernel.sh [VARIANT...]   (default: all)
# Run from the repository root. Env: BUILD (default build), VMEMTRIM_CACHE,
# CRASH (default crash), and everything tests/kernel/fixture.sh reads.
# Output: TAP ("ok - ..." / "not ok - ..."), stage timings as "# ..." lines.
set -uo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
BUILD=${BUILD:-build}
export BUILD
export VMEMTRIM_CACHE=${VMEMTRIM_CACHE:-$HOME/.cache/vmemtrim}
CRASH=${CRASH:-crash}
SO=$BUILD/tests/crash-tasks.so

# shellcheck source=/dev/null
. "$ROOT/tests/lib/tap.sh"
ok() { tap_ok "$*"; }
notok() { tap_fail "$*"; }
check() { # DESC COND-STATUS [DIAG]
	if [ "$2" = 0 ]; then ok "$1"; else
		notok "$1"
		[ -z "${3:-}" ] || echo "$3" | sed 's/^/#   /'
	fi
}
finish() { tap_done; }
now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", b - a }'; }

cd "$ROOT" || exit 1
mkdir -p "$BUILD/tests"

# ------------------------------------------------------------ crash module
if [ ! -f "$SO" ] || [ "$HERE/crash-tasks.c" -nt "$SO" ]; then
	gcc -std=gnu11 -Wall -Wextra -fPIC -shared -nostartfiles -DX86_64 \
		-I/usr/include/crash -o "$SO" "$HERE/crash-tasks.c"
fi
check "crash-tasks module builds ($SO)" "$([ -f "$SO" ]; echo $?)"
SO=$(cd "$(dirname "$SO")" && pwd)/$(basename "$SO")

# ----------------------------------------------------------------- fixture
# One fixture run per variant, so one variant's failure names its stage and
# does not hide the others.
VARIANTS=("$@")
if [ ${#VARIANTS[@]} -eq 0 ]; then
	# bench-* variants are make bench-kdump's, not the test's; variants
	# of another kernel (a 10th field) are test-kernel-612.sh's: crash
	# 8.0.2 cannot open a 6.12 dump
	mapfile -t VARIANTS < <(awk -F'|' '/^[a-z0-9]/ && $1 !~ /^bench-/ {
		k = $10; gsub(/[ \t]/, "", k); n = $1; gsub(/[ \t]/, "", n)
		if (k == "") print n }' "$HERE/variants.conf")
fi
FIXOUT=$BUILD/tests/kernel-fixture.out
FIXERR=$BUILD/tests/kernel-fixture.err
: >"$FIXOUT"
: >"$FIXERR"
T0=$(now)
for v in "${VARIANTS[@]}"; do
	t=$(now)
	"$HERE/fixture.sh" "$v" >"$FIXOUT.$v" 2>"$FIXERR.$v"
	st=$?
	cat "$FIXERR.$v" >>"$FIXERR"
	if [ "$st" != 0 ]; then
		notok "fixture: $v ($(grep -m 1 'FAILED stage' "$FIXERR.$v" || echo "status $st"))"
		tail -n 15 "$FIXERR.$v" | sed 's/^/# /'
		continue
	fi
	if grep -q ': cached (' "$FIXERR.$v"; then how=cached; else how=captured; fi
	ok "fixture: $v $how ($(elapsed "$t" "$(now)") s)"
	grep '^fixture: time kernel ' "$FIXERR.$v" | sed 's/^fixture: time /# fixture: /'
	cat "$FIXOUT.$v" >>"$FIXOUT"
done
FIXTIME=$(elapsed "$T0" "$(now)")
VMLINUX=$(awk '$1 == "vmlinux" { print $2; exit }' "$FIXOUT")
[ -n "$VMLINUX" ] || finish
KVER=$(basename "$(dirname "$VMLINUX")")

# vmcoreinfo FILE KEY: the value of KEY in the dump's VMCOREINFO note
vmcoreinfo() {
	head -c 16M "$1" | tr '\0' '\n' | grep -a -m 1 "^$2=" | cut -d= -f2-
}
# section FILE NAME: the crash output between "=== NAME ===" and the next mark
section() {
	awk -v m="=== $2 ===" '$0 == m { on = 1; next } /^=== .* ===$/ { on = 0 } on' "$1"
}

# run_crash VARIANT PATH: one batch session, output in $BUILD/tests/crash-V.out
run_crash() {
	local v=$1 f=$2 out=$BUILD/tests/crash-$1.out t
	t=$(now)
	{
		echo "extend $SO"
		echo "mark sys"; echo "sys"
		echo "mark bt"; echo "bt"
		echo "mark log"; echo "log"
		echo "mark ps"; echo "ps"
		echo "mark kmem-h"; echo "kmem -h"
		echo "mark hvo-key"; echo "p hugetlb_optimize_vmemmap_key.key.enabled.counter"
		echo "mark nr_threads"; echo "p nr_threads"
		echo "mark foreach"; echo "foreach task -R pid"
		echo "mark threads"; echo "ps -g memmix"
		echo "mark end"
		echo "q"
	} | timeout 300 "$CRASH" -s "$VMLINUX" "$f" >"$out" 2>&1
	elapsed "$t" "$(now)" >"$out.time"
}

test_vmcore() { # VARIANT PATH
	local v=$1 f=$2 d out mem want l5 koff n tasks real
	d=$(dirname "$f")
	out=$BUILD/tests/crash-$v.out
	echo "# --- $v: $f ($(du -h "$f" | cut -f1) on disk)"
	if [ -f "$d/timings" ]; then
		awk '{ printf "# %s: %s %s s (when captured)\n", $1, $2, $3 }' "$d/timings"
	fi
	echo "# $v: crash session $(cat "$out.time" 2>/dev/null) s"

	section "$out" sys >"$out.sys"
	check "$v: crash opens the dump and runs the batch" \
		"$(grep -q '^=== end ===$' "$out"; echo $?)" "$(tail -n 5 "$out")"
	check "$v: crash-tasks rebuilt the task table" \
		"$(grep -q '^crash-tasks: [0-9]* tasks' "$out"; echo $?)" \
		"$(grep -m 3 'crash-tasks' "$out")"
	check "$v: sys RELEASE is $KVER" \
		"$(grep -Eq "^ +RELEASE: $KVER\$" "$out.sys"; echo $?)" \
		"$(grep RELEASE "$out.sys")"
	mem=$(sed -n 's/^ *MEMORY: //p' "$out.sys")
	want=$(echo "$v" | sed -n 's/^\([0-9]*\)g.*/\1 GB/p')
	[ -n "$want" ] || want="2 GB"
	check "$v: sys MEMORY is $want" "$([ "$mem" = "$want" ]; echo $?)" "MEMORY: $mem"
	check "$v: sys PANIC is the sysrq crash" \
		"$(grep -q 'PANIC: "Kernel panic - not syncing: sysrq triggered crash' "$out.sys"; echo $?)"
	check "$v: bt of the panic task shows sysrq_handle_crash" \
		"$(section "$out" bt | grep -c ' sysrq_handle_crash at ' >/dev/null; echo $?)" \
		"$(section "$out" bt | head -n 6)"
	check "$v: log has the sysrq crash message" \
		"$(section "$out" log | grep -c 'sysrq: Trigger a crash' >/dev/null; echo $?)"
	section "$out" ps | grep -E '^[> ] +[0-9]+ +[0-9]+ +[0-9]+ +[0-9a-f]+ ' >"$out.ps"
	n=$(wc -l <"$out.ps")
	real=$(awk '$1 != ">" && $1 != 0 || $1 == ">" && $2 != 0' "$out.ps" | wc -l)
	tasks=$(sed -n 's/^ *TASKS: *//p' "$out.sys")
	check "$v: ps lists many real tasks ($real besides the idle tasks)" \
		"$([ "$real" -ge 20 ] && grep -q ' memmix$' "$out.ps" && grep -q ' init$' "$out.ps"; echo $?)" \
		"$(head -n 5 "$out.ps")"
	check "$v: sys TASKS ($tasks) equals the tasks ps prints ($n)" \
		"$([ -n "$tasks" ] && [ "$tasks" = "$n" ]; echo $?)"

	local nrt fe thr
	nrt=$(section "$out" nr_threads | sed -n 's/^.* = \([0-9]*\)$/\1/p' | head -n 1)
	check "$v: ps non-idle tasks ($real) equal the kernel's nr_threads ($nrt)" \
		"$([ -n "$nrt" ] && [ "$real" = "$nrt" ]; echo $?)"
	fe=$(section "$out" foreach | grep -c '^PID: ')
	check "$v: foreach visits every task ($fe of $n)" "$([ "$fe" = "$n" ]; echo $?)"
	thr=$(section "$out" threads | grep -c 'TASK: .*"memmix"')
	check "$v: ps -g finds the 4 threads of memmix ($thr)" \
		"$([ "$thr" = 4 ]; echo $?)" "$(section "$out" threads | head -n 8)"

	l5=$(vmcoreinfo "$f" 'NUMBER(pgtable_l5_enabled)')
	koff=$(vmcoreinfo "$f" KERNELOFFSET)
	case "$v" in
	l5)
		check "$v: VMCOREINFO NUMBER(pgtable_l5_enabled)=1" \
			"$([ "$l5" = 1 ]; echo $?)" "got '$l5'" ;;
	*)
		check "$v: VMCOREINFO NUMBER(pgtable_l5_enabled)=0 (4-level)" \
			"$([ "$l5" = 0 ]; echo $?)" "got '$l5'" ;;
	esac
	case "$v" in
	*nokaslr*)
		check "$v: KERNELOFFSET is 0 or absent" \
			"$([ -z "$koff" ] || [ "$koff" = 0 ]; echo $?)" "got '$koff'" ;;
	*)
		check "$v: KASLR moved the kernel (KERNELOFFSET=$koff)" \
			"$([ -n "$koff" ] && [ "$koff" != 0 ]; echo $?)" ;;
	esac
	if [ "$v" = hvo ]; then
		local hp key
		hp=$(section "$out" kmem-h | awk '$4 == "hugepages-2048kB" || $NF == "hugepages-2048kB" { print $(NF-1) }' | head -n 1)
		check "$v: kmem -h shows the boot-time 2 MiB huge pages (total $hp)" \
			"$([ -n "$hp" ] && [ "$hp" -ge 64 ]; echo $?)" "$(section "$out" kmem-h)"
		key=$(section "$out" hvo-key | sed -n 's/^.* = \([0-9]*\)$/\1/p' | head -n 1)
		check "$v: hugetlb vmemmap optimization is active (key count $key)" \
			"$([ -n "$key" ] && [ "$key" -gt 0 ]; echo $?)" "$(section "$out" hvo-key)"
		check "$v: boot line has hugetlb_free_vmemmap=on" \
			"$(section "$out" log | grep -c 'Command line:.*hugetlb_free_vmemmap=on' >/dev/null; echo $?)"
	fi
}

# crash spends most of a session loading the vmlinux, on one core: run two
# sessions at a time, then check their outputs in order.
TC=$(now)
while read -r name path; do
	case "$name" in
	vmcore-*)
		run_crash "${name#vmcore-}" "$path" &
		while [ "$(jobs -rp | wc -l)" -ge 2 ]; do
			wait -n
		done ;;
	esac
done <"$FIXOUT"
wait
echo "# crash sessions, two at a time: $(elapsed "$TC" "$(now)") s"
while read -r name path; do
	case "$name" in
	vmcore-*) test_vmcore "${name#vmcore-}" "$path" ;;
	esac
done <"$FIXOUT"
echo "# fixture total ${FIXTIME} s, whole test $(elapsed "$T0" "$(now)") s"
finish
