#!/bin/bash
# A full disk on the real-kernel fixture's 2g vmcore (Debian 6.1): what
# vmemtrim leaves must be a dump crash 8.0.2 can use (issue 23;
# docs/robustness.md, "A full disk: what goes first").
#
# At `-l -d 31` and `-l -d 31 -e`, the complete dump's size S is measured,
# then vmemtrim writes onto a disk that fills at 30%, 50% and 70% of S (a
# tmpfs of that size; with -e 30% only: 50% and 70% pass too, measured,
# and cost a crash session each), onto a regular file where the fault shim's ENOSPC
# comes at 50% (tests/faults/shim.c), and a flattened stream
# (-F) into a tmpfs of 50%. Asserts, each time:
#  1. vmemtrim exits 2 and leaves DUMPFILE marked INCOMPLETE
#     (DUMP_DH_COMPRESSED_INCOMPLETE, 0x8, in the header's status);
#  2. vmemtrim-inspect counts the pfns whose data is missing, as many as
#     the page descriptors that were never written
#     (tests/filter/kdump_bitmaps.py info);
#  3. the report names the critical kinds written whole: page tables,
#     mem_section roots, node data, CPU stacks, per-CPU areas, slab caches
#     and pid nodes, the log and the kernel data at every fraction, and
#     the kernel read-only data too from 50% on;
#  4. crash opens it (the tmpfs cases): sys shows the RELEASE, bt of the
#     panic task runs through sysrq_handle_crash, log has the sysrq panic.
# -F: the stream, cut, holds the header, the bitmaps and the critical
# set's pages with their descriptors; -R rebuilds it (exit 1, one line
# saying where it was cut) into an INCOMPLETE dump on which 1-4 hold
# too. Needs root (mount). About 75 s.
#
# Usage: tests/filter/test-full-disk-real.sh   (from the repo root)
# Env: BUILD, VMEMTRIM_CACHE, CRASH (default crash), FULLDISK_VARIANTS
# (default "2g"), FULLDISK_PERCENTS (default "30 50 70"),
# FULLDISK_PERCENTS_E (with -e; default "30").
set -uo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
cd "$ROOT" || exit 1
BUILD=${BUILD:-build}
export BUILD VMEMTRIM_CACHE=${VMEMTRIM_CACHE:-$HOME/.cache/vmemtrim}
CRASH=${CRASH:-crash}
PY=/usr/bin/python3
OUT=$ROOT/$BUILD/test-work/test-full-disk-real # absolute: the shim's glob
read -r -a VARIANTS <<<"${FULLDISK_VARIANTS:-2g}"
read -r -a PERCENTS <<<"${FULLDISK_PERCENTS:-30 50 70}"
# -e: the smallest fraction (the set is the larger part of the dump)
read -r -a PERCENTS_E <<<"${FULLDISK_PERCENTS_E:-30}"
VMEMTRIM=$BUILD/vmemtrim
INSPECT=$BUILD/vmemtrim-inspect
SHIM=$ROOT/$BUILD/tests/faults/libfaultshim.so

# shellcheck source=/dev/null
. "$ROOT/tests/lib/tap.sh"
rm -rf "$OUT"
mkdir -p "$OUT/mnt"
cleanup() { umount "$OUT/mnt" 2>/dev/null; }
trap cleanup EXIT INT TERM

make -s "$VMEMTRIM" "$INSPECT" "$SHIM" >"$OUT/make.log" 2>&1
tap_need_built "$VMEMTRIM" "$INSPECT" "$SHIM"
fixture_out=$OUT/fixture.out
if ! tests/kernel/fixture.sh "${VARIANTS[@]}" >"$fixture_out" \
	2>"$OUT/fixture.err"; then
	tap_fail "fixture: ${VARIANTS[*]}" "$(tail -n 5 "$OUT/fixture.err")"
	tap_done
fi
VMLINUX=$(awk '$1 == "vmlinux" { print $2; exit }' "$fixture_out")
RELEASE=$(basename "$(dirname "$VMLINUX")")

# check_left NAME DUMP RC PERCENT CRASH: what a full disk left (asserts 1
# to 4; crash runs when CRASH is 1).
check_left() {
	local n=$1 dump=$2 rc=$3 p=$4 run_crash=$5 status info nw got k
	tap_eq "$n: vmemtrim exits 2 (a full disk)" 2 "$rc"
	if [ ! -f "$dump" ]; then
		tap_fail "$n: DUMPFILE is left"
		return
	fi
	status=$(od -An -tu4 -j424 -N4 "$dump" | tr -d ' ')
	tap_check "$n: DUMPFILE is marked INCOMPLETE (status $status)" \
		test $((status & 8)) -ne 0
	info=$("$PY" "$HERE/kdump_bitmaps.py" info "$dump" 2>&1)
	nw=$(sed -n 's/.*not_written=\([0-9]*\).*/\1/p' <<<"$info")
	got=$("$INSPECT" "$dump" 2>/dev/null |
		sed -n 's/^ *not written: *\([0-9]*\) (dump incomplete)$/\1/p')
	tap_eq "$n: vmemtrim-inspect counts the $nw pfns whose data is missing" \
		"$nw" "$got"
	check_report "$n" "$dump.err" "$p"
	tap_note "$n: $(grep -v '^vmemtrim: .* holds: ' "$dump.err" |
		head -c 300 | tr '\n' ' ')"
	[ "$run_crash" = 1 ] || return
	printf 'sys\nbt\nlog\nq\n' |
		timeout 600 "$CRASH" -s "$VMLINUX" "$dump" >"$dump.crash" 2>&1
	tap_note "$n: crash exits $?"
	tap_eq "$n: crash's sys shows RELEASE $RELEASE" "$RELEASE" \
		"$(sed -n 's/^ *RELEASE: //p' "$dump.crash" | head -n 1)"
	tap_check "$n: crash's bt runs through sysrq_handle_crash" \
		grep -q ' sysrq_handle_crash at ' "$dump.crash"
	tap_check "$n: crash's log has the sysrq panic" \
		grep -q 'sysrq: Trigger a crash' "$dump.crash"
}

# check_report NAME ERR PERCENT: the report's line of the kinds written
# whole (assert 3).
check_report() {
	local n=$1 err=$2 p=$3 whole k
	whole=$(sed -n 's/^vmemtrim: .* holds: \(.*\); written first and whole$/\1/p' "$err")
	local kinds=("page tables" "mem_section roots" "node data" "CPU stacks"
		"per-CPU areas" "slab caches and pid nodes" "log" "kernel data")
	[ "$p" -ge 50 ] && kinds+=("kernel read-only data")
	for k in "${kinds[@]}"; do
		tap_check "$n: the report says $k were written whole" \
			grep -q "\(^\|, \)$k ([0-9]*)" <<<"$whole"
	done
	tap_check "$n: the report counts the pages missing" \
		grep -q '^vmemtrim: .* lacks: .* pages missing in all)$' "$err"
}

# on_tmpfs BYTES: a fresh tmpfs of BYTES (rounded up to pages) on mnt.
on_tmpfs() {
	umount "$OUT/mnt" 2>/dev/null
	mount -t tmpfs -o size=$((($1 + 4095) / 4096 * 4096)) vt-full-disk \
		"$OUT/mnt"
}

T0=$(date +%s)
for v in "${VARIANTS[@]}"; do
	vmcore=$(awk -v k="vmcore-$v" '$1 == k { print $2 }' "$fixture_out")
	for e in "" "-e"; do
		args=(-l -d 31 ${e:+"$e"})
		full=$OUT/$v$e.full
		if ! "$VMEMTRIM" "${args[@]}" "$vmcore" "$full" >/dev/null 2>&1
		then
			tap_fail "$v ${args[*]}: the complete dump is written"
			continue
		fi
		size=$(stat -c %s "$full")
		tap_note "$v ${args[*]}: the complete dump is $size bytes"
		pcts=("${PERCENTS[@]}")
		[ -n "$e" ] && pcts=("${PERCENTS_E[@]}")
		for p in "${pcts[@]}"; do
			n="$v ${args[*]}, a tmpfs of $p%"
			d=$OUT/$v$e-$p.kdump
			if ! on_tmpfs $((size * p / 100)); then
				tap_fail "$n: mount a tmpfs (needs root)"
				continue
			fi
			"$VMEMTRIM" "${args[@]}" "$vmcore" "$OUT/mnt/dump" \
				>/dev/null 2>"$d.err"
			rc=$?
			cp --sparse=always "$OUT/mnt/dump" "$d" 2>/dev/null
			umount "$OUT/mnt"
			check_left "$n" "$d" $rc "$p" 1
		done
		n="$v ${args[*]}, the fault shim's ENOSPC at 50%"
		d=$OUT/$v$e-shim.kdump
		env LD_PRELOAD="$SHIM" VT_FAULT_WRITE_FILE="$d*" \
			VT_FAULT_ENOSPC_AFTER=$((size / 2)) \
			"$VMEMTRIM" "${args[@]}" "$vmcore" "$d" >/dev/null 2>"$d.err"
		check_left "$n" "$d" $? 50 0
		n="$v ${args[*]}, -F into a tmpfs of 50%"
		d=$OUT/$v$e-flat.kdump
		if ! on_tmpfs $((size / 2)); then
			tap_fail "$n: mount a tmpfs (needs root)"
			continue
		fi
		"$VMEMTRIM" -F "${args[@]}" "$vmcore" >"$OUT/mnt/stream" \
			2>"$d.err"
		rc=$?
		cp "$OUT/mnt/stream" "$d.stream"
		umount "$OUT/mnt"
		tap_eq "$n: vmemtrim exits 2 (a full disk)" 2 "$rc"
		check_report "$n" "$d.err" 50
		# -R of the cut stream: an INCOMPLETE dump of its complete
		# records, exit 1 and one line saying where it was cut
		# (docs/robustness.md, "A stream cut off").
		"$VMEMTRIM" -R "$d" <"$d.stream" >/dev/null 2>"$d.rerr"
		tap_eq "$n, then -R: -R exits 1 (the stream is cut off)" 1 $?
		tap_check "$n, then -R: one line says where the stream was cut" \
			grep -q 'flattened stream cut off at byte' "$d.rerr"
		check_left "$n, then -R" "$d" "$rc" 50 1
	done
done
tap_note "$(($(date +%s) - T0)) s"
tap_done
