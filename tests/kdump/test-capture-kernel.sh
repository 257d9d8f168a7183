#!/bin/bash
# vmemtrim as the core_collector of a real kdump capture kernel.
#
# The real-kernel fixture (tests/kernel/fixture.sh) boots Debian's cloud
# kernel as an 8 GiB guest with crashkernel=256M, panics it, and in the
# capture kernel runs tests/kdump/guest-capture.sh with the static
# vmemtrim (make static) and tests/kdump/maxrss.c in the initramfs. On one
# /proc/vmcore the capture kernel runs
#   vmemtrim -l -d 31 -e /proc/vmcore /mnt/vmcore   (ext4 on virtio /dev/vdc)
#   the same with --non-mmap, compared in the guest with cmp and removed
#   vmemtrim -l -d 31 -e -F /proc/vmcore            (streamed to raw /dev/vdb)
# each under maxrss (peak RSS from wait4's ru_maxrss and VmHWM polled in
# /proc/PID/status).
# Asserts: both binaries are static; the capture ran in the reservation
# (MemTotal < 256 MiB) on the 8 GiB guest's vmcore; /proc/vmcore was read
# through mmap windows with no page read again, and --non-mmap (read()
# only) wrote the same bytes; both runs exit 0 with
# a peak RSS under 64 MiB; the ext4 filesystem is clean and holds only
# vmcore (no temporary file); the raw disk holds a flattened stream that
# vmemtrim -R reassembles; the two dumps are byte-identical kdump files
# (v6, level 31, lzo, EXCLUDED_VMEMMAP, complete); crash with the vmlinux
# opens both (sys, bt, log, ps).
# The capture is cached by the fixture (CAPTURE_NAME=kdump), keyed by the
# SHA-256 of every file put in the capture initramfs: a changed vmemtrim
# binary captures again.
#
# Usage: tests/kdump/test-capture-kernel.sh   (from the repo root)
# Env: BUILD, VMEMTRIM_CACHE, CRASH (default crash).
set -uo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
cd "$ROOT" || exit 1
BUILD=${BUILD:-build}
export BUILD VMEMTRIM_CACHE=${VMEMTRIM_CACHE:-$HOME/.cache/vmemtrim}
CRASH=${CRASH:-crash}
PY=/usr/bin/python3
KB=$ROOT/tests/filter/kdump_bitmaps.py
OUT=$BUILD/test-work/kdump-capture
VARIANT=8g
RSS_LIMIT_KB=65536

# shellcheck source=/dev/null
. "$ROOT/tests/lib/tap.sh"
# shellcheck source=/dev/null
. "$HERE/crash-session.sh"
now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", b - a }'; }
T0=$(now)
rm -rf "$OUT"
mkdir -p "$OUT" "$BUILD/tests/kdump"

# ------------------------------------------------------------ the programs
STATIC=$BUILD/vmemtrim-static
MAXRSS=$BUILD/tests/kdump/maxrss
if ! make -s "$STATIC" "$BUILD/vmemtrim" "$BUILD/tests/crash-tasks.so" \
	>"$OUT/make.log" 2>&1; then
	tap_fail "make $STATIC (make static)" "$(tail -n 20 "$OUT/make.log")"
	tap_done
fi
tap_ok "make static builds $STATIC ($(stat -c %s "$STATIC") bytes)"
# Rebuilt only when its source changed: it is part of the capture's key.
if [ ! -x "$MAXRSS" ] || [ "$HERE/maxrss.c" -nt "$MAXRSS" ]; then
	gcc -std=gnu11 -O2 -Wall -Wextra -Werror -static -o "$MAXRSS" \
		"$HERE/maxrss.c" >"$OUT/maxrss.log" 2>&1 || rm -f "$MAXRSS"
fi
if [ ! -x "$MAXRSS" ]; then
	tap_fail "maxrss builds (gcc -static)" "$(cat "$OUT/maxrss.log")"
	tap_done
fi
# static: no program interpreter, no dynamic section
is_static() {
	! readelf -l "$1" | grep -q 'INTERP' &&
		readelf -d "$1" | grep -q 'no dynamic section'
}
tap_check "$STATIC is statically linked (no interpreter, no dynamic section)" \
	is_static "$STATIC"
tap_check "$MAXRSS is statically linked" is_static "$MAXRSS"
# shellcheck disable=SC2034 # run_crash (crash-session.sh) loads it
TASKS=$(realpath "$BUILD/tests/crash-tasks.so")

# ------------------------------------------------------ the capture kernel
FILES="$STATIC:/bin/vmemtrim $MAXRSS:/bin/maxrss"
FILES="$FILES tests/kdump/guest-capture.sh:/bin/kdump-capture"
t=$(now)
if ! CAPTURE_NAME=kdump CAPTURE_DISK=1G CAPTURE_FILES="$FILES" \
	CAPTURE_CMD='sh /bin/kdump-capture' tests/kernel/fixture.sh "$VARIANT" \
	>"$OUT/fixture.out" 2>"$OUT/fixture.err"; then
	tap_fail "fixture: the $VARIANT capture kernel runs vmemtrim" \
		"$(grep -m 1 'FAILED stage' "$OUT/fixture.err")" \
		"$(tail -n 12 "$OUT/fixture.err")"
	serial=$(grep -o 'serial log [^ ]*' "$OUT/fixture.err" | tail -n 1)
	serial=${serial#serial log }
	[ -f "$serial" ] && tap_note "$(grep -a -E 'KDUMP-TEST|MAXRSS|vmemtrim:' "$serial" | tail -n 12)"
	tap_done
fi
FIXTIME=$(elapsed "$t" "$(now)")
if grep -q ': cached (' "$OUT/fixture.err"; then how=cached; else how=captured; fi
tap_ok "fixture: the $VARIANT capture kernel ran vmemtrim ($how, $FIXTIME s)"
grep "^fixture: time $VARIANT " "$OUT/fixture.err" | sed 's/^fixture: /# /'
VMLINUX=$(awk '$1 == "vmlinux" { print $2 }' "$OUT/fixture.out")
STREAM=$(awk -v k="kdump-$VARIANT" '$1 == k { print $2 }' "$OUT/fixture.out")
DISK=$(awk -v k="kdump-$VARIANT-disk" '$1 == k { print $2 }' "$OUT/fixture.out")
SERIAL=$(dirname "$STREAM")/serial.log
RELEASE=$(basename "$(dirname "$VMLINUX")")
for f in "$VMLINUX" "$STREAM" "$DISK" "$SERIAL"; do
	[ -f "$f" ] || { tap_fail "fixture output $f exists"; tap_done; }
done
grep -a -E 'KDUMP-TEST|MAXRSS|^vmemtrim: [0-9]|^vmemtrim: debug: /proc/vmcore' \
	"$SERIAL" | tr -d '\r' >"$OUT/guest.log"
sed 's/^/guest: /' "$OUT/guest.log" | while IFS= read -r l; do tap_note "$l"; done

# ------------------------------------------------- inside the capture kernel
memtotal=$(sed -n 's/.*MemTotal: \([0-9]*\) kB.*/\1/p' "$OUT/guest.log")
tap_check "the capture kernel ran in the crashkernel=256M reservation (MemTotal ${memtotal:-?} kB < 262144)" \
	test -n "$memtotal" -a "${memtotal:-0}" -lt 262144
vmsize=$(sed -n 's/^KDUMP-TEST vmcore-size \([0-9]*\).*/\1/p' "$OUT/guest.log")
tap_check "its /proc/vmcore is the 8 GiB guest's (${vmsize:-?} bytes > 8e9)" \
	test -n "$vmsize" -a "${vmsize:-0}" -gt 8000000000

tap_eq "fs: /proc/vmcore was read through mmap windows, no page read again" \
	"vmemtrim: debug: /proc/vmcore: struct pages and page data read through mmap windows; 0 ranges read again after a page of the mapping failed" \
	"$(grep -m 1 '^vmemtrim: debug: /proc/vmcore' "$OUT/guest.log")"
tap_eq "--non-mmap (read() only) wrote the same dump as the mmap windows" \
	"KDUMP-TEST non-mmap same" "$(grep -m 1 '^KDUMP-TEST non-mmap' "$OUT/guest.log")"

for run in fs stream; do
	line=$(grep -m 1 "^MAXRSS $run " "$OUT/guest.log")
	rc=$(sed -n 's/.* rc=\([0-9]*\).*/\1/p' <<<"$line")
	ru=$(sed -n 's/.* ru_maxrss_kb=\([0-9]*\).*/\1/p' <<<"$line")
	hwm=$(sed -n 's/.* vmhwm_kb=\([0-9]*\).*/\1/p' <<<"$line")
	secs=$(sed -n 's/.* seconds=\([0-9.]*\).*/\1/p' <<<"$line")
	if [ -z "$line" ] || [ -z "$ru" ] || [ -z "$hwm" ]; then
		tap_fail "$run: maxrss reported on the vmemtrim run" "${line:-no MAXRSS $run line}"
		continue
	fi
	tap_eq "$run: vmemtrim exited 0 in the capture kernel ($secs s)" 0 "$rc"
	peak=$((ru > hwm ? ru : hwm))
	tap_check "$run: peak RSS $peak kB (ru_maxrss $ru, VmHWM $hwm) is under 64 MiB" \
		test "$ru" -gt 0 -a "$peak" -lt "$RSS_LIMIT_KB"
done

# -------------------------------------------------- the filesystem (ext4)
tap_check "the ext4 dump disk is clean (e2fsck -fn)" e2fsck -fn "$DISK"
debugfs -R "ls -p /" "$DISK" 2>/dev/null | awk -F/ 'NF > 5 { print $6 }' |
	grep -v -x -E '\.|\.\.|lost\+found' >"$OUT/fs.ls"
tap_eq "the filesystem holds vmcore and no temporary file" vmcore \
	"$(tr '\n' ' ' <"$OUT/fs.ls" | sed 's/ $//')"
debugfs -R "dump /vmcore $OUT/fs.dump" "$DISK" >"$OUT/debugfs.log" 2>&1
tap_check "debugfs copies /vmcore off the filesystem" test -s "$OUT/fs.dump"

# ------------------------------------------------------------ the raw disk
tap_eq "the raw disk holds a flattened stream (makedumpfile's signature)" \
	makedumpfile "$(head -c 12 "$STREAM")"
"$BUILD/vmemtrim" -R "$OUT/raw.dump" <"$STREAM" >"$OUT/R.log" 2>&1
tap_eq "vmemtrim -R raw.dump < stream exits 0" 0 "$?"
tap_check "the reassembled dump is byte-identical to the one on ext4" \
	cmp "$OUT/fs.dump" "$OUT/raw.dump"

for n in fs raw; do
	facts=$($PY "$KB" info "$OUT/$n.dump" 2>"$OUT/$n.info.err")
	st=$(sed -n 's/.*status=\(0x[0-9a-f]*\).*/\1/p' <<<"$facts")
	if [ -z "$st" ]; then
		tap_fail "$n: the dump parses as kdump-compressed" "$(cat "$OUT/$n.info.err")"
		continue
	fi
	get() { sed -n "s/.*\\b$1=\\([^ ]*\\).*/\\1/p" <<<"$facts"; }
	tap_eq "$n: header v6, dump level 31, not flattened, release $RELEASE" \
		"6 31 0 $RELEASE" "$(get version) $(get level) $(get flattened) $(get release)"
	tap_eq "$n: status is lzo (0x2) + EXCLUDED_VMEMMAP (0x10), not INCOMPLETE" \
		0x12 "$st"
	tap_note "$n: $(stat -c %s "$OUT/$n.dump") bytes, $(get bits2) of $(get ram) RAM pages dumped"
done

# ------------------------------------------------------------------- crash
tc=$(now)
run_crash "$OUT/fs.crash" "$OUT/fs.dump" &
run_crash "$OUT/raw.crash" "$OUT/raw.dump" &
wait
tap_note "2 crash sessions: $(elapsed "$tc" "$(now)") s"
for n in fs raw; do
	check_crash "$n" "$OUT/$n.crash" "$RELEASE" "8 GB" \
		"[PARTIAL DUMP] [EXCLUDED VMEMMAP]"
done

tap_note "sizes: vmcore $vmsize bytes; dump $(stat -c %s "$OUT/fs.dump") bytes; stream $(stat -c %s "$STREAM") bytes; static vmemtrim $(stat -c %s "$STATIC") bytes"
tap_note "whole test $(elapsed "$T0" "$(now)") s"
tap_done
