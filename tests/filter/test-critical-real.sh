#!/bin/bash
# The critical set (filter/critical.c) against what crash 8.0.2 reads, on
# the real-kernel fixture's vmcores (docs/robustness.md, "A full disk:
# what goes first").
#
# For each variant, vmemtrim writes `-l -d 31` and `-l -d 31 -e` dumps;
# crash opens each under strace and runs sys, bt and log; the pages whose
# descriptor or data it read (tests/filter/crash_reads.py) are classified
# by tool-critical --classify. Asserts:
#  1. crash's sys, bt (sysrq_handle_crash) and log (the sysrq panic) work;
#  2. every page crash read is in the critical set, but for those whose
#     struct page says slab (the panic task's task_struct and its kin),
#     reserved (memblock allocations: the per-CPU areas, which the dump
#     alone does not locate); no page of the image's text is outside
#     the set (the text crash reads by name is in it); see
#     docs/robustness.md; the counts are TAP notes;
#  3. the set is a few ranges (bounded memory) and is found in a second.
#
# Usage: tests/filter/test-critical-real.sh   (from the repo root)
# Env: BUILD, VMEMTRIM_CACHE, CRASH (default crash), CRITICAL_VARIANTS
# (default "2g 8g").
set -uo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
cd "$ROOT" || exit 1
BUILD=${BUILD:-build}
export BUILD VMEMTRIM_CACHE=${VMEMTRIM_CACHE:-$HOME/.cache/vmemtrim}
CRASH=${CRASH:-crash}
PY=/usr/bin/python3
OUT=$BUILD/test-work/critical-real
read -r -a VARIANTS <<<"${CRITICAL_VARIANTS:-2g 8g}"

# shellcheck source=/dev/null
. "$ROOT/tests/lib/tap.sh"
rm -rf "$OUT"
mkdir -p "$OUT"

TOOL=$BUILD/tests/filter/tool-critical
make -s "$BUILD/vmemtrim" "$TOOL" >"$OUT/make.log" 2>&1
tap_need_built "$BUILD/vmemtrim" "$TOOL"
tap_check "crash, strace and $PY are installed" \
	sh -c "command -v '$CRASH' && command -v strace && test -x '$PY'"

fixture_out=$OUT/fixture.out
if ! tests/kernel/fixture.sh "${VARIANTS[@]}" >"$fixture_out" \
	2>"$OUT/fixture.err"; then
	tap_fail "fixture: ${VARIANTS[*]}" "$(tail -n 5 "$OUT/fixture.err")"
	tap_done
fi
VMLINUX=$(awk '$1 == "vmlinux" { print $2; exit }' "$fixture_out")

for v in "${VARIANTS[@]}"; do
	vmcore=$(awk -v k="vmcore-$v" '$1 == k { print $2 }' "$fixture_out")
	for e in "" "-e"; do
		n="$v -d 31${e:+ $e}"
		d=$OUT/$v${e}.kdump
		if ! "$BUILD/vmemtrim" -l -d 31 ${e:+"$e"} "$vmcore" "$d" \
			>"$d.log" 2>&1; then
			tap_fail "$n: vmemtrim writes the dump" "$(tail -n 3 "$d.log")"
			continue
		fi
		printf 'sys\nbt\nlog\nq\n' >"$d.in"
		timeout 600 strace -f -o "$d.strace" \
			-e trace=openat,lseek,read,pread64 \
			"$CRASH" -s "$VMLINUX" "$d" <"$d.in" >"$d.crash" 2>&1
		tap_check "$n: crash's bt runs through sysrq_handle_crash" \
			grep -q ' sysrq_handle_crash at ' "$d.crash"
		tap_check "$n: crash's log has the sysrq panic" \
			grep -q 'sysrq: Trigger a crash' "$d.crash"
		"$PY" "$HERE/crash_reads.py" "$d.strace" "$d" >"$d.reads" \
			2>"$d.reads.err"
		"$TOOL" "$d" >"$d.set" 2>&1
		"$TOOL" --classify "$d" <"$d.reads" >"$d.cls" 2>&1
		tap_note "$n: crash read $(wc -l <"$d.reads") pages:" \
			"$(cut -d' ' -f2- "$d.cls" | sort | uniq -c |
				tr -s ' ' | paste -sd, -)"
		tap_note "$n: the set: $(grep '^# all' "$d.set")"
		tap_eq "$n: every page crash read is in the set (or slab, reserved, text the set names)" \
			"" "$(awk '$2 == "other" || $2 == "vmalloc" ||
				$2 == "image-text"' "$d.cls" |
				head -n 20)"
		# shellcheck disable=SC2016
		tap_check "$n: the set is found in under 2 s, in under 1000 ranges" \
			awk '/^# all:/ { if ($5 + 0 < 1000 && $7 + 0 < 2) ok = 1 }
				END { exit !ok }' "$d.set"
	done
done
tap_done
