#!/bin/bash
# vmemtrim-inspect's log view (issue 22): why did it panic.
#
# For every real fixture vmcore (tests/kernel/fixture.sh; the guests are
# panicked with `echo c > /proc/sysrq-trigger`), the ELF vmcore and
# vmemtrim's `-l -d 31` and `-l -d 31 -e` dumps of it:
#  1. `vmemtrim-inspect --dmesg` prints, byte for byte, makedumpfile
#     --dump-dmesg's file of the vmcore (the reference);
#  2. the text and --json outputs name the panic line ("Kernel panic -
#     not syncing: sysrq triggered crash") and the 10 lines before it
#     ("sysrq: Trigger a crash" last), as the reference has them, and
#     count its records (tests/reader/check_log.py);
# on the 5-level vmcore, makedumpfile's `-l -d 31 -e --work-dir` dump
# lacks the log's pages: inspect says how many records are missing and
# that no panic line is found, exit 0, and --dmesg warns and exits 0;
# a vmcore whose VMCOREINFO lacks the log's keys: inspect exits 0 with a
# "log: unreadable" line naming the key (JSON: log null, log_error), and
# --dmesg exits 1 naming the file; usage: --dmesg with --json is exit 2.
#
# Env: BUILD, VMEMTRIM_CACHE, LOG_VARIANTS (default "2g 2g-nokaslr 8g l5
# hvo").
set -uo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
cd "$ROOT" || exit 1
BUILD=${BUILD:-build}
export BUILD VMEMTRIM_CACHE=${VMEMTRIM_CACHE:-$HOME/.cache/vmemtrim}
OUT=$BUILD/test-work/inspect-log
INSPECT=$BUILD/vmemtrim-inspect
VMEMTRIM=$BUILD/vmemtrim
read -r -a VARIANTS <<<"${LOG_VARIANTS:-2g 2g-nokaslr 8g l5 hvo}"

# shellcheck source=/dev/null
. "$ROOT/tests/lib/tap.sh"
rm -rf "$OUT"
mkdir -p "$OUT"
trap 'rm -rf "$OUT"' EXIT
tap_need_built "$INSPECT" "$VMEMTRIM" "$BUILD/mkvmcore"

# py_tap CMD...: a checker printing TAP lines; dying without a "not ok"
# line is a failure too.
py_tap() {
	local out rc
	out=$("$@" 2>&1)
	rc=$?
	printf '%s\n' "$out"
	TAP_FAILED=$((TAP_FAILED + $(printf '%s\n' "$out" | grep -c '^not ok')))
	if [ $rc -ne 0 ] && ! printf '%s\n' "$out" | grep -q '^not ok'; then
		tap_fail "checker exited $rc without a result: $*" \
			"$(printf '%s\n' "$out" | tail -n 5)"
	fi
}

# same_dmesg NAME REF DUMP: 1.
same_dmesg() {
	if "$INSPECT" --dmesg "$3" >"$OUT/got.txt" 2>"$OUT/got.err" &&
		cmp -s "$2" "$OUT/got.txt"; then
		tap_ok "$1: --dmesg prints makedumpfile --dump-dmesg's file"
	else
		tap_fail "$1: --dmesg prints makedumpfile --dump-dmesg's file" \
			"$(cat "$OUT/got.err")" \
			"$(diff "$2" "$OUT/got.txt" | head -n 5)"
	fi
}

# usage and the unreadable log (synthetic, fast)
syn=$OUT/syn
if ! "$BUILD/mkvmcore" -o "$syn" --ram 256M --profile idle --seed 2 \
	2>"$OUT/mk.err"; then
	tap_fail "mkvmcore writes a small vmcore" "$(cat "$OUT/mk.err")"
else
	# Rename the keys of both log eras in the VMCOREINFO note.
	python3 - "$syn" <<'PY'
import sys
with open(sys.argv[1], "r+b") as f:
    head = f.read(1 << 20)
    for key in (b"SYMBOL(prb)=", b"SYMBOL(log_buf)="):
        at = head.find(key)
        if at >= 0:
            f.seek(at)
            f.write(key.replace(b"SYMBOL", b"SYMBOX"))
PY
	out=$("$INSPECT" "$syn" 2>&1)
	rc=$?
	line=$(printf '%s\n' "$out" | grep '^log:')
	tap_eq "no log keys: inspect exits 0" 0 "$rc"
	case $line in
	"log:            unreadable: "*"SYMBOL(log_buf"*)
		tap_ok "no log keys: a 'log: unreadable' line names the key" ;;
	*) tap_fail "no log keys: a 'log: unreadable' line names the key" \
		"$line" ;;
	esac
	tap_check "no log keys: --json has log null and log_error" \
		sh -c "'$INSPECT' --json '$syn' | python3 -c 'import json,sys
j = json.load(sys.stdin)
assert j[\"log\"] is None and \"SYMBOL(log_buf\" in j[\"log_error\"], j'"
	"$INSPECT" --dmesg "$syn" >/dev/null 2>"$OUT/err"
	rc=$?
	tap_eq "no log keys: --dmesg exits 1" 1 "$rc"
	tap_check "no log keys: --dmesg's one error line names the file" \
		sh -c "[ \$(wc -l <'$OUT/err') -eq 1 ] && grep -qF '$syn' '$OUT/err'"
	"$INSPECT" --dmesg --json "$syn" >/dev/null 2>&1
	tap_eq "usage: --dmesg with --json exits 2" 2 "$?"
	tap_check "usage: --help mentions --dmesg" \
		sh -c "'$INSPECT' --help | grep -q -- --dmesg"
	rm -f "$syn" "$syn.truth"
fi

fixture=$(tests/kernel/fixture.sh "${VARIANTS[@]}" 2>"$OUT/fixture.err")
if [ $? -ne 0 ]; then
	tap_fail "real-kernel fixture (${VARIANTS[*]})" \
		"$(tail -n 5 "$OUT/fixture.err")"
fi
for v in "${VARIANTS[@]}"; do
	elf=$(awk -v k="vmcore-$v" '$1 == k {print $2}' <<<"$fixture")
	if [ -z "$elf" ]; then
		tap_fail "$v: the fixture gives a vmcore"
		continue
	fi
	ref=$OUT/$v.ref
	if ! makedumpfile --dump-dmesg "$elf" "$ref" >"$OUT/mdf.log" 2>&1; then
		tap_fail "$v: makedumpfile --dump-dmesg" "$(tail -n 3 "$OUT/mdf.log")"
		continue
	fi
	for kind in elf d31 e; do
		d=$elf
		case $kind in
		d31) d=$OUT/$v.d31 && "$VMEMTRIM" -l -d 31 "$elf" "$d" \
			>/dev/null 2>&1 ;;
		e) d=$OUT/$v.e && "$VMEMTRIM" -l -d 31 -e "$elf" "$d" \
			>/dev/null 2>&1 ;;
		esac
		if [ ! -s "$d" ]; then
			tap_fail "$v.$kind: vmemtrim writes the dump"
			continue
		fi
		same_dmesg "$v.$kind" "$ref" "$d"
		py_tap python3 tests/reader/check_log.py --inspect "$INSPECT" \
			--name "$v.$kind" --dmesg "$ref" "$d"
		[ "$kind" = elf ] || rm -f "$d"
	done
	if [ "$v" = l5 ]; then
		d=$OUT/l5.mdf-e
		mkdir -p "$OUT/wd"
		if ! makedumpfile -l -d 31 -e --work-dir "$OUT/wd" "$elf" "$d" \
			>"$OUT/mdf.log" 2>&1; then
			tap_fail "l5.mdf-e: makedumpfile -e" \
				"$(tail -n 3 "$OUT/mdf.log")"
			continue
		fi
		py_tap python3 tests/reader/check_log.py --inspect "$INSPECT" \
			--name l5.mdf-e --dmesg "$ref" --missing "$d"
		"$INSPECT" --dmesg "$d" >"$OUT/got.txt" 2>"$OUT/got.err"
		rc=$?
		tap_eq "l5.mdf-e: --dmesg exits 0" 0 "$rc"
		tap_check "l5.mdf-e: --dmesg warns that the records are missing" \
			grep -q "warning: $d: [0-9]* log records are not in the dump" \
			"$OUT/got.err"
		rm -f "$d"
	fi
	rm -f "$ref"
done
tap_done
