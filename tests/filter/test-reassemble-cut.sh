#!/bin/bash
# -R of a flattened stream cut off (issue 23; docs/robustness.md, "A
# stream cut off, and what is missing"), on the real-kernel fixture's 2g
# vmcore: `vmemtrim -F -l -d 31` writes the stream once, then copies of it
# cut at a few bytes go through `vmemtrim -R`. Asserts:
#  - cut inside the flattened header or before the bitmaps are whole, or
#    garbage (a bad record header): exit 1, one line on stderr naming
#    standard input, no DUMPFILE and no temporary file;
#  - cut later (50%, 95%, just before the end mark): exit 1, one line
#    naming standard input and the byte of the cut, DUMPFILE marked
#    INCOMPLETE; vmemtrim-inspect --json lists the pfns not written
#    exactly as tests/filter/not_written.py reads them from the file, and
#    its text lists the first 8 ranges and how many more;
#  - the same listing on the dump a full disk leaves (the fault shim's
#    ENOSPC), where pages not written lie among written ones;
#  - crash 8.0.2 opens the dump cut just before the end mark (every page
#    written): sys shows the RELEASE, bt runs through sysrq_handle_crash,
#    log has the sysrq panic. Whether it opens the others depends on the
#    writer's order (notes only).
# About 30 s (one crash session). Env: BUILD, VMEMTRIM_CACHE, CRASH.
set -uo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
cd "$ROOT" || exit 1
BUILD=${BUILD:-build}
export BUILD VMEMTRIM_CACHE=${VMEMTRIM_CACHE:-$HOME/.cache/vmemtrim}
CRASH=${CRASH:-crash}
PY=/usr/bin/python3
VMEMTRIM=$BUILD/vmemtrim
INSPECT=$BUILD/vmemtrim-inspect
SHIM=$BUILD/tests/faults/libfaultshim.so

# shellcheck source=/dev/null
. "$ROOT/tests/lib/tap.sh"
tmp=$(mktemp -d "${TMPDIR:-/tmp}/test-reassemble-cut.XXXXXX")
trap 'rm -rf "$tmp"' EXIT INT TERM
T0=$(date +%s)

tap_need_built "$VMEMTRIM" "$INSPECT" "$SHIM"
if ! tests/kernel/fixture.sh 2g >"$tmp/fixture" 2>"$tmp/fixture.err"; then
	tap_fail "fixture: 2g" "$(tail -n 5 "$tmp/fixture.err")"
	tap_done
fi
VMLINUX=$(awk '$1 == "vmlinux" { print $2 }' "$tmp/fixture")
VMCORE=$(awk '$1 == "vmcore-2g" { print $2 }' "$tmp/fixture")
RELEASE=$(basename "$(dirname "$VMLINUX")")
stream=$tmp/stream
if ! "$VMEMTRIM" -F -l -d 31 "$VMCORE" >"$stream" 2>"$tmp/F.err"; then
	tap_fail "vmemtrim -F -l -d 31 writes the stream" "$(cat "$tmp/F.err")"
	tap_done
fi
S=$(stat -c %s "$stream")
tap_note "the stream is $S bytes"

# rebuild NAME FILE: vmemtrim -R $tmp/NAME.kdump < FILE; sets rc, err.
rebuild() {
	rm -f "$tmp/$1.kdump"
	"$VMEMTRIM" -R "$tmp/$1.kdump" <"$2" 2>"$tmp/$1.err"
	rc=$?
	err=$(cat "$tmp/$1.err")
}

# refused NAME WORDS: exit 1, one line with WORDS, nothing left.
refused() {
	tap_eq "$1: exit 1" 1 "$rc"
	tap_eq "$1: one line on stderr" 1 "$(wc -l <"$tmp/$1.err")"
	tap_check "$1: the line names standard input and says '$2'" \
		grep -qF "vmemtrim: standard input: " "$tmp/$1.err"
	tap_check "$1: ... '$2'" grep -qF -- "$2" "$tmp/$1.err"
	tap_check "$1: no DUMPFILE, no temporary file" \
		test -z "$(ls "$tmp" | grep "^$1\.kdump")"
}

# cut NAME BYTES: the stream's first BYTES bytes.
cut_at() {
	head -c "$2" "$stream" >"$tmp/$1.in"
}

cut_at header 3000
rebuild header "$tmp/header.in"
refused header "ends at byte 3000 inside the flattened header"

cut_at bitmaps 20000
rebuild bitmaps "$tmp/bitmaps.in"
refused bitmaps "cut off at byte 20000 (inside the record at byte "
tap_check "bitmaps: ... says the header and bitmaps were not whole" \
	grep -qF "before the dump's header and bitmaps were whole" \
	"$tmp/bitmaps.err"

# garbage: the second record's size made negative
first=$((16#$(od -An -tx1 -j4104 -N8 "$stream" | tr -d ' \n')))
second=$((4096 + 16 + first))
cp "$stream" "$tmp/garbage.in"
printf '\377\377\377\377\377\377\377\373' |
	dd of="$tmp/garbage.in" bs=1 seek=$((second + 8)) conv=notrunc \
		status=none
rebuild garbage "$tmp/garbage.in"
refused garbage "bad flattened record at byte $second: "

# kept NAME BYTES: a cut the dump survives, checked against not_written.py.
kept() {
	local n=$1 bytes=$2
	cut_at "$n" "$bytes"
	rebuild "$n" "$tmp/$n.in"
	tap_eq "$n: exit 1 (makedumpfile -R of a cut stream: 1)" 1 "$rc"
	tap_eq "$n: one line on stderr" 1 "$(wc -l <"$tmp/$n.err")"
	tap_check "$n: it names standard input and the byte of the cut" \
		grep -qF "vmemtrim: standard input: flattened stream cut off at byte $bytes " \
		"$tmp/$n.err"
	tap_check "$n: ... and says DUMPFILE is marked incomplete" \
		grep -qF "$tmp/$n.kdump is rebuilt from its " "$tmp/$n.err"
	if [ ! -f "$tmp/$n.kdump" ]; then
		tap_fail "$n: DUMPFILE is left" "$err"
		return
	fi
	listed "$n"
}

# listed NAME: $tmp/NAME.kdump is INCOMPLETE, and inspect lists what the
# file says is not written.
listed() {
	local n=$1 status j want got lines more
	status=$(od -An -tu4 -j424 -N4 "$tmp/$n.kdump" | tr -d ' ')
	tap_check "$n: DUMPFILE is marked INCOMPLETE (status $status)" \
		test $((status & 8)) -ne 0
	"$INSPECT" --json "$tmp/$n.kdump" >"$tmp/$n.json" 2>"$tmp/$n.ierr"
	tap_eq "$n: vmemtrim-inspect --json exits 0" 0 "$?"
	want=$("$PY" "$HERE/not_written.py" "$tmp/$n.kdump")
	j=$("$PY" -c '
import json, sys
j = json.load(open(sys.argv[1]))
print(json.dumps({"not_written": j["pages"]["not_written"],
                  "ranges": [[r["start_pfn"], r["end_pfn"], r["count"]]
                             for r in j["not_written"]]}),
      j["pages"]["not_written_ranges"])' "$tmp/$n.json")
	got=${j% *}
	tap_eq "$n: inspect lists the pfns not written as the file says" \
		"$want" "$got"
	tap_eq "$n: pages.not_written_ranges counts them" \
		"$("$PY" -c 'import json,sys; print(len(json.loads(sys.argv[1])["ranges"]))' "$want")" \
		"${j##* }"
	tap_note "$n: $(head -c 200 <<<"$want")"
	"$INSPECT" "$tmp/$n.kdump" >"$tmp/$n.txt" 2>&1
	lines=$(grep -cE '^  (not written, pfns:|  ) +0x[0-9a-f]+-0x' \
		"$tmp/$n.txt")
	more=$(sed -n 's/.*\.\.\. and \([0-9]*\) more ranges.*/\1/p' \
		"$tmp/$n.txt")
	tap_eq "$n: the text lists the first ranges (8 at most) and how many more" \
		"${j##* }" "$((lines + ${more:-0}))"
	tap_check "$n: ... 8 at most" test "$lines" -le 8
}

# a full disk (the fault shim's ENOSPC at half the stream's size) leaves
# pages not written among written ones: the list is not a tail
rm -f "$tmp/enospc.kdump"
env LD_PRELOAD="$ROOT/$SHIM" VT_FAULT_WRITE_FILE="$tmp/enospc.kdump*" \
	VT_FAULT_ENOSPC_AFTER=$((S / 2)) \
	"$VMEMTRIM" -l -d 31 "$VMCORE" "$tmp/enospc.kdump" >/dev/null \
	2>"$tmp/enospc.err"
tap_eq "enospc: vmemtrim exits 2 (a full disk)" 2 "$?"
listed enospc

kept half $((S / 2))
kept late $((S * 95 / 100))
kept endmark $((S - 16))

# crash_opens NAME: sys, bt and log on the rebuilt dump.
crash_opens() {
	printf 'sys\nbt\nlog\nq\n' |
		timeout 300 "$CRASH" -s "$VMLINUX" "$tmp/$1.kdump" \
			>"$tmp/$1.crash" 2>&1
}
crash_opens endmark
tap_eq "endmark: crash's sys shows RELEASE $RELEASE" "$RELEASE" \
	"$(sed -n 's/^ *RELEASE: //p' "$tmp/endmark.crash" | head -n 1)"
tap_check "endmark: crash's bt runs through sysrq_handle_crash" \
	grep -q ' sysrq_handle_crash at ' "$tmp/endmark.crash"
tap_check "endmark: crash's log has the sysrq panic" \
	grep -q 'sysrq: Trigger a crash' "$tmp/endmark.crash"
tap_note "$(($(date +%s) - T0)) s"
tap_done
