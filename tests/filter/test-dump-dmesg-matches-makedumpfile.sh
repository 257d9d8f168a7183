#!/bin/bash
# vmemtrim --dump-dmesg writes, byte for byte, what makedumpfile 1.7.2's
# --dump-dmesg writes, and the same text as crash's `log`.
#
# For every real fixture vmcore (tests/kernel/fixture.sh: 2g, 2g-nokaslr,
# 8g, l5, hvo; Debian's 6.1 kernel):
#  1. vmemtrim --dump-dmesg of the ELF vmcore is byte-identical to
#     makedumpfile --dump-dmesg of it (the reference);
#  2. so is vmemtrim --dump-dmesg of vmemtrim's `-l -d 31` and
#     `-l -d 31 -e` dumps and of makedumpfile's `-l -d 31` and
#     `-l -d 31 -e --work-dir` dumps, and makedumpfile --dump-dmesg of
#     each of those dumps (where makedumpfile's -e gives no dump, or
#     cannot read its own, a note says so and the rest is compared);
#  3. crash's `log` on the vmcore (with the fixture's vmlinux), from its
#     first "[" line on (before it crash prints its own warnings), equals
#     the reference: crash 8.0.2 prints the same "[%5lu.%06lu] " lines and
#     indents continuation lines the same way;
# and, on the 2g variant: a flattened (-F) stream gives the same log; an
# existing LOGFILE is refused without -f (exit 1, file untouched, no
# temporary file left) and replaced with -f; a missing VMCORE is exit 1,
# as makedumpfile's.
#
# Usage: tests/filter/test-dump-dmesg-matches-makedumpfile.sh
# Env: BUILD, VMEMTRIM_CACHE, CRASH (default crash), DMESG_VARIANTS
# (default "2g 2g-nokaslr 8g l5 hvo").
set -uo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
cd "$ROOT" || exit 1
BUILD=${BUILD:-build}
export BUILD VMEMTRIM_CACHE=${VMEMTRIM_CACHE:-$HOME/.cache/vmemtrim}
CRASH=${CRASH:-crash}
OUT=$BUILD/test-work/dump-dmesg
read -r -a VARIANTS <<<"${DMESG_VARIANTS:-2g 2g-nokaslr 8g l5 hvo}"

# shellcheck source=/dev/null
. "$ROOT/tests/lib/tap.sh"
rm -rf "$OUT"
mkdir -p "$OUT"
VMEMTRIM=$BUILD/vmemtrim
tap_need_built "$VMEMTRIM"
tap_check "makedumpfile 1.7.2 and crash are installed" \
	sh -c "makedumpfile -v 2>&1 | grep -q 'version 1.7.2' &&
		command -v '$CRASH' >/dev/null"

# ---------------------------------------------------------------- fixture
if ! tests/kernel/fixture.sh "${VARIANTS[@]}" >"$OUT/fixture.out" \
	2>"$OUT/fixture.err"; then
	tap_fail "fixture: ${VARIANTS[*]}" "$(tail -n 5 "$OUT/fixture.err")"
	tap_done
fi
VMLINUX=$(awk '$1 == "vmlinux" { print $2; exit }' "$OUT/fixture.out")
declare -A VMCORE
for v in "${VARIANTS[@]}"; do
	VMCORE[$v]=$(awk -v k="vmcore-$v" '$1 == k { print $2 }' \
		"$OUT/fixture.out")
	if [ ! -f "${VMCORE[$v]}" ]; then
		tap_fail "fixture: vmcore-$v" "$(cat "$OUT/fixture.out")"
		tap_done
	fi
done
tap_ok "fixture: vmlinux and the vmcores of ${VARIANTS[*]}"

# same_log DESC REFERENCE FILE: ok when FILE is byte-identical
same_log() {
	if cmp -s "$2" "$3"; then
		tap_ok "$1 ($(wc -l <"$3") lines)"
	else
		tap_fail "$1" "$(diff "$2" "$3" | head -n 20)"
	fi
}

# vm_dmesg DESC INPUT LOG REFERENCE: vmemtrim --dump-dmesg, exit 0, same log
vm_dmesg() {
	local rc
	rm -f "$3"
	"$VMEMTRIM" --dump-dmesg "$2" "$3" >"$3.out" 2>"$3.err"
	rc=$?
	if [ "$rc" != 0 ] || [ ! -f "$3" ]; then
		tap_fail "$1: vmemtrim --dump-dmesg exits 0" \
			"exit $rc" "$(tail -n 5 "$3.err")"
		return
	fi
	same_log "$1: vmemtrim --dump-dmesg is makedumpfile's, byte for byte" \
		"$4" "$3"
}

# partial_log DESC INPUT LOG REFERENCE: a dump that lacks pages of the log
# buffer: vmemtrim exits 0, prints only lines of the reference, in its
# order, and warns how many records are not in the dump.
partial_log() {
	local rc missing
	rm -f "$3"
	"$VMEMTRIM" --dump-dmesg "$2" "$3" >"$3.out" 2>"$3.err"
	rc=$?
	missing=$(sed -n 's/.* \([0-9]*\) log records are not in the dump.*/\1/p' \
		"$3.err")
	if [ "$rc" = 0 ] && [ -n "$missing" ] && [ "$missing" -gt 0 ] &&
		diff "$4" "$3" | grep -q '^>' -; then
		tap_fail "$1: only the reference's lines" "$(diff "$4" "$3" |
			grep '^>' | head -n 5)"
	elif [ "$rc" = 0 ] && [ -n "$missing" ] && [ "$missing" -gt 0 ]; then
		tap_ok "$1: the log buffer's pages are not all in it:" \
			"$(wc -l <"$3") lines, all the reference's;" \
			"$missing records reported missing"
	else
		tap_fail "$1: exit 0 and missing records reported" \
			"exit $rc" "$(cat "$3.err")"
	fi
}

for v in "${VARIANTS[@]}"; do
	src=${VMCORE[$v]}
	dir=$OUT/$v
	mkdir -p "$dir"
	ref=$dir/makedumpfile-vmcore.log
	if ! makedumpfile --dump-dmesg "$src" "$ref" >"$ref.out" 2>&1; then
		tap_fail "$v: makedumpfile --dump-dmesg of the vmcore" \
			"$(tail -n 5 "$ref.out")"
		continue
	fi
	vm_dmesg "$v vmcore" "$src" "$dir/vmemtrim-vmcore.log" "$ref"

	# the dumps: NAME|TOOL|OPTIONS
	for job in "vm-l|$VMEMTRIM|-l -d 31" "vm-l-e|$VMEMTRIM|-l -d 31 -e" \
		"md-l|makedumpfile|-l -d 31" \
		"md-l-e|makedumpfile|-l -d 31 -e --work-dir $dir"; do
		IFS='|' read -r name tool opts <<<"$job"
		dump=$dir/$name.dump
		# shellcheck disable=SC2086
		if ! "$tool" $opts "$src" "$dump" >"$dump.out" 2>&1 ||
			[ ! -f "$dump" ]; then
			if [ "$name" = md-l-e ]; then
				tap_note "$v: makedumpfile $opts gives no dump" \
					"(known: docs/real-kernel-fixture.md);" \
					"not compared: $(tail -n 1 "$dump.out")"
			else
				tap_fail "$v: $tool $opts" \
					"$(tail -n 5 "$dump.out")"
			fi
			continue
		fi
		makedumpfile --dump-dmesg "$dump" "$dir/makedumpfile-$name.log" \
			>"$dir/makedumpfile-$name.out" 2>&1
		mrc=$?
		if [ "$mrc" != 0 ] && [ "$name" = md-l-e ]; then
			# makedumpfile's -e dropped pages of the log itself
			tap_note "$v: makedumpfile --dump-dmesg cannot read" \
				"its own -e dump: $(grep -v '^$' \
					"$dir/makedumpfile-$name.out" | head -n 1)"
			partial_log "$v $name dump" "$dump" \
				"$dir/vmemtrim-$name.log" "$ref"
		elif [ "$mrc" != 0 ]; then
			tap_fail "$v $name dump: makedumpfile --dump-dmesg of it" \
				"$(tail -n 5 "$dir/makedumpfile-$name.out")"
		else
			vm_dmesg "$v $name dump" "$dump" \
				"$dir/vmemtrim-$name.log" "$ref"
			same_log "$v $name dump: makedumpfile --dump-dmesg of it" \
				"$ref" "$dir/makedumpfile-$name.log"
		fi
		rm -f "$dump"
	done

	# crash's log
	printf 'log\nq\n' >"$dir/crash.in"
	timeout 600 "$CRASH" -s "$VMLINUX" "$src" <"$dir/crash.in" \
		>"$dir/crash.out" 2>&1
	sed -n '/^\[/,$p' "$dir/crash.out" >"$dir/crash.log"
	if [ -s "$dir/crash.log" ]; then
		same_log "$v vmcore: crash's log, from its first [ line on" \
			"$dir/vmemtrim-vmcore.log" "$dir/crash.log"
	else
		tap_fail "$v vmcore: crash's log" "$(tail -n 5 "$dir/crash.out")"
	fi
done

# ------------------------------------------------ the 2g variant's behaviour
v=${VARIANTS[0]}
src=${VMCORE[$v]}
dir=$OUT/$v
ref=$dir/makedumpfile-vmcore.log
if "$VMEMTRIM" -F -l -d 31 "$src" >"$dir/flat.stream" 2>"$dir/flat.err"; then
	vm_dmesg "$v flattened -F stream" "$dir/flat.stream" "$dir/flat.log" "$ref"
else
	tap_fail "$v: vmemtrim -F" "$(tail -n 5 "$dir/flat.err")"
fi
rm -f "$dir/flat.stream"

log=$dir/exists.log
echo "keep me" >"$log"
"$VMEMTRIM" --dump-dmesg "$src" "$log" >/dev/null 2>"$log.err"
tap_eq "an existing LOGFILE without -f: exit 1" 1 "$?"
tap_eq "an existing LOGFILE without -f: left as it was" "keep me" \
	"$(cat "$log")"
tap_check "an existing LOGFILE without -f: the message says use -f" \
	grep -q "already exists (use -f to overwrite)" "$log.err"
"$VMEMTRIM" --dump-dmesg -f "$src" "$log" >/dev/null 2>"$log.err"
tap_eq "an existing LOGFILE with -f: exit 0" 0 "$?"
same_log "an existing LOGFILE with -f: replaced by the log" "$ref" "$log"
tap_eq "no temporary file is left" "" \
	"$(find "$dir" -name '*.vmemtrim-*' | head -n 3)"
"$VMEMTRIM" --dump-dmesg "$dir/no-such-vmcore" "$dir/none.log" 2>/dev/null
vrc=$?
makedumpfile --dump-dmesg "$dir/no-such-vmcore" "$dir/none.log" >/dev/null 2>&1
tap_eq "a missing VMCORE: vmemtrim's exit status is makedumpfile's" \
	"$?" "$vrc"
tap_eq "a missing VMCORE: no LOGFILE" "" "$(ls "$dir/none.log" 2>/dev/null)"
tap_done
