#!/bin/bash
# make bench-kdump: vmemtrim beside Debian's makedumpfile 1.7.2 where a dump
# is really written, on /proc/vmcore in a kdump capture kernel. For each
# guest (tests/kernel/variants.conf: bench-16g, a 16 GiB Debian 6.1 guest
# with the 8g memory mix and nokaslr, capture kernel on 1 CPU; bench-16g-2cpu,
# the same with 2 CPUs in the capture kernel), the kernel fixture boots it
# under QEMU, panics it into kdump (crashkernel=256M) and runs
# bench/kdump-guest.sh in the capture kernel: interleaved rounds of
# makedumpfile, the static vmemtrim and the limit row (bench/limit-vmcore.c)
# on the same /proc/vmcore, writing to real virtio disks. Then
# bench/kdump-report.py writes the figures into bench/RESULTS.md, in the
# block between the bench-kdump markers (bench/report.py keeps that block).
#
# Env: BENCH_KDUMP_RUNS (rounds, default 5), BENCH_KDUMP_VARIANTS (default
# "bench-16g bench-16g-2cpu"), BENCH_KDUMP_RESULTS (default
# bench/RESULTS.md), BUILD, VMEMTRIM_CACHE, and what tests/kernel/fixture.sh
# reads. Each run is a new capture (a run id goes into the capture command,
# so into the fixture's cache key); the kernel download stays cached.
# Raw outputs (serial logs, fixture logs): $BUILD/bench-kdump/.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
BUILD=${BUILD:-build}
export BUILD VMEMTRIM_CACHE=${VMEMTRIM_CACHE:-$HOME/.cache/vmemtrim}
RUNS=${BENCH_KDUMP_RUNS:-5}
VARIANTS=${BENCH_KDUMP_VARIANTS:-bench-16g bench-16g-2cpu}
RESULTS=${BENCH_KDUMP_RESULTS:-bench/RESULTS.md}
OUT=$BUILD/bench-kdump
RUNID=$(date -u +%Y%m%dT%H%M%SZ)-$$
T0=$(date +%s)

say() { echo "bench-kdump: $*" >&2; }
[[ "$RUNS" =~ ^[1-9][0-9]*$ ]] || { say "BENCH_KDUMP_RUNS '$RUNS'"; exit 2; }
for f in "$BUILD/vmemtrim-static" "$BUILD/bench/limit-vmcore" \
	"$BUILD/tests/kdump/maxrss" /usr/bin/makedumpfile; do
	[ -x "$f" ] || { say "missing $f (run make bench-kdump)"; exit 1; }
done
rm -rf "$OUT"
mkdir -p "$OUT"

FILES="$BUILD/vmemtrim-static:/bin/vmemtrim"
FILES+=" $BUILD/bench/limit-vmcore:/bin/limit-vmcore"
FILES+=" $BUILD/tests/kdump/maxrss:/bin/maxrss"
FILES+=" bench/kdump-guest.sh:/bin/bench-kdump"
# glibc loads libgcc_s at pthread_exit() (makedumpfile --num-threads aborts
# without it); ldd does not list it, so CAPTURE_DYNAMIC does not copy it.
LIBGCC=$(ldconfig -p | awk '$1 == "libgcc_s.so.1" && /x86-64/ { print $NF; exit }')
[ -n "$LIBGCC" ] && FILES+=" $LIBGCC:$LIBGCC"
status=0
for v in $VARIANTS; do
	say "$v: boot, panic, $RUNS rounds in the capture kernel (run $RUNID)"
	t=$(date +%s)
	if ! CAPTURE_NAME=benchkdump CAPTURE_DISK=2G CAPTURE_RAW_DISK=1G \
		CAPTURE_FILES="$FILES" CAPTURE_DYNAMIC=/usr/bin/makedumpfile \
		CAPTURE_CMD="sh /bin/bench-kdump $RUNS $RUNID" \
		tests/kernel/fixture.sh "$v" >"$OUT/$v.fixture.out" \
		2>"$OUT/$v.fixture.err"; then
		say "$v: $(grep -m 1 'FAILED stage' "$OUT/$v.fixture.err")"
		tail -n 5 "$OUT/$v.fixture.err" >&2
		status=1
	fi
	dump=$(awk -v k="benchkdump-$v" '$1 == k { print $2 }' \
		"$OUT/$v.fixture.out")
	serial=$(dirname "${dump:-.}")/serial.log
	# a failed run's log stays in the fixture's .tmp directory
	[ -n "$dump" ] && [ -f "$serial" ] ||
		serial=$(ls -dt "$VMEMTRIM_CACHE"/kernel/*/dumps/benchkdump-"$v"-*/serial.log 2>/dev/null |
			head -n 1)
	if [ -f "${serial:-}" ]; then
		tr -d '\r' <"$serial" | grep -a -E '^(MAXRSS|BENCH-KDUMP|limit-vmcore|makedumpfile|vmemtrim)' \
			>"$OUT/$v.log"
	fi
	grep "^fixture: time $v " "$OUT/$v.fixture.err" |
		sed 's/^fixture: time //' >"$OUT/$v.timings"
	say "$v: $(($(date +%s) - t)) s"
done

args=()
for v in $VARIANTS; do
	[ -s "$OUT/$v.log" ] && args+=("$v=$OUT/$v.log")
done
[ ${#args[@]} -gt 0 ] || { say "no results"; exit 1; }
/usr/bin/python3 bench/kdump-report.py --results "$RESULTS" \
	--seconds $(($(date +%s) - T0)) --runs "$RUNS" --dir "$OUT" \
	"${args[@]}" || status=1
say "wrote $RESULTS ($(($(date +%s) - T0)) s in all)"
exit $status
