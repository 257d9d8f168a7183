#!/bin/sh
# mkvmcore options: determinism, paging variants an independent reader
# (libkdumpfile) walks to the physical pages the truth names, removable sets
# recomputed independently, sparse output, and every bad input rejected
# with a message and no file left behind; --pcp is deterministic too.
set -u
# shellcheck disable=SC1091
. tests/lib/tap.sh
BUILD=${BUILD:-build}
MK=$BUILD/mkvmcore
CHK="/usr/bin/python3 tests/mkvmcore/check_truth.py"
CACHE=${VMEMTRIM_CACHE:-$HOME/.cache/vmemtrim}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
ok() { tap_ok "$@"; }
bad() { tap_fail "$@"; }

# determinism
for i in 1 2; do
	$MK -o "$tmp/d$i" --ram 2G --seed 42 --profile mixed --hvo 3 \
		--vmemmap-4k 1G-1100M 2>"$tmp/err" || bad "mkvmcore run $i" "$(cat "$tmp/err")"
done
s1=$(cat "$tmp/d1" "$tmp/d1.truth" | sha256sum)
s2=$(cat "$tmp/d2" "$tmp/d2.truth" | sha256sum)
if [ "$s1" = "$s2" ] && cmp -s "$tmp/d1" "$tmp/d2" &&
	cmp -s "$tmp/d1.truth" "$tmp/d2.truth"; then
	ok "same seed gives byte-identical vmcore and truth"
else
	bad "same seed gives byte-identical vmcore and truth"
fi
$MK -o "$tmp/d3" --ram 2G --seed 43 --profile mixed 2>/dev/null
if cmp -s "$tmp/d1" "$tmp/d3"; then
	bad "another seed gives another vmcore"
else
	ok "another seed gives another vmcore"
fi
for i in 1 2; do
	$MK -o "$tmp/p$i" --ram 1G --seed 42 --profile busy --pcp 2>"$tmp/err" ||
		bad "mkvmcore --pcp run $i" "$(cat "$tmp/err")"
done
if cmp -s "$tmp/p1" "$tmp/p2" && cmp -s "$tmp/p1.truth" "$tmp/p2.truth"; then
	ok "--pcp: same seed gives byte-identical vmcore and truth"
else
	bad "--pcp: same seed gives byte-identical vmcore and truth"
fi
rm -f "$tmp"/d* "$tmp"/p*

# paging variants, checked by libkdumpfile's page-table walk
while IFS='|' read -r name opts; do
	# shellcheck disable=SC2086
	if ! $MK -o "$tmp/v" --ram 3G --seed 7 $opts 2>"$tmp/err"; then
		bad "$name: mkvmcore $opts" "$(cat "$tmp/err")"
		continue
	fi
	if out=$($CHK reader "$tmp/v" "$tmp/v.truth" 2>&1); then
		ok "$name: libkdumpfile translates vmemmap to the truth's pages"
	else
		bad "$name: libkdumpfile translates vmemmap to the truth's pages" "$out"
	fi
	if out=$($CHK removable "$tmp/v.truth" 2>&1); then
		ok "$name: removable vmemmap sets recomputed from the class runs agree"
	else
		bad "$name: removable vmemmap sets recomputed from the class runs agree" "$out"
	fi
	rm -f "$tmp/v" "$tmp/v.truth"
done <<'CASES'
kaslr|
no-kaslr|--no-kaslr
l5|--l5
l5-no-kaslr|--l5 --no-kaslr
vmemmap-4k|--vmemmap-4k 512M-700M,pfn:0x90000-0x90001
hvo|--hvo 40
hvo-l5-4k|--l5 --hvo 8 --vmemmap-4k 2G-2100M --nodes 2
CASES

# the truth's facts match the options
$MK -o "$tmp/n" --ram 2G --seed 1 --no-kaslr --l5 2>/dev/null
if grep -qx 'page_offset_base 0xff11000000000000' "$tmp/n.truth" &&
	grep -qx 'vmemmap_base 0xffd4000000000000' "$tmp/n.truth" &&
	grep -qx 'kernel_phys 0x1000000' "$tmp/n.truth"; then
	ok "--l5 --no-kaslr uses the fixed 5-level bases and 16 MiB"
else
	bad "--l5 --no-kaslr uses the fixed 5-level bases and 16 MiB"
fi
rm -f "$tmp/n" "$tmp/n.truth"

# sparse output
mkdir -p "$CACHE"
sp=$(mktemp -d "$CACHE/mkvmcore.XXXXXX")
if $MK -o "$sp/big" --ram 64G --profile idle --seed 1 2>"$tmp/err"; then
	size=$(stat -c %s "$sp/big")
	used=$(du -k "$sp/big" | cut -f1)
	if [ "$size" -gt 68000000000 ] && [ "$used" -lt 4000000 ]; then
		ok "64 GiB idle vmcore is sparse ($((used / 1024)) MiB on disk)"
	else
		bad "64 GiB idle vmcore is sparse" "size $size, du ${used}K"
	fi
else
	bad "64 GiB idle vmcore is generated" "$(cat "$tmp/err")"
fi
rm -rf "$sp"

# bad input: non-zero exit, one-line message naming the option, no file
while IFS='|' read -r code opts; do
	out=$tmp/bad
	# shellcheck disable=SC2086
	$MK -o "$out" $opts >"$tmp/stdout" 2>"$tmp/err"
	rc=$?
	lines=$(wc -l <"$tmp/err")
	if [ "$rc" -eq "$code" ] && [ "$lines" -eq 1 ] &&
		grep -q '^mkvmcore: ' "$tmp/err" &&
		[ ! -e "$out" ] && [ ! -e "$out.tmp" ] && [ ! -e "$out.truth" ]; then
		ok "rejects '$opts' (exit $rc: $(cat "$tmp/err"))"
	else
		bad "rejects '$opts'" "exit $rc, want $code" "$(cat "$tmp/err")" \
			"$(ls "$tmp")"
	fi
done <<'CASES'
2|--ram 100M
2|--ram 2X
2|--ram 0
2|
2|--ram 2G --profile lazy
2|--ram 2G --holes 512K-2M
2|--ram 2G --no-kaslr --holes 20M-30M
2|--ram 2G --holes 1G-3G
2|--ram 2G --holes 1G
2|--ram 2G --holes 1G-1000M
2|--ram 2G --nodes 0
2|--ram 2G --nodes 17
2|--ram 2G --vmemmap-4k 5-7
2|--ram 2G --hvo 100000
2|--ram 64T
2|--ram 2G --seed x
2|--ram 2G --bogus
CASES
$MK -o /nonexistent-dir/x --ram 2G >/dev/null 2>"$tmp/err"
rc=$?
if [ $rc -eq 1 ] && [ "$(wc -l <"$tmp/err")" -eq 1 ]; then
	ok "unwritable output exits 1 ($(cat "$tmp/err"))"
else
	bad "unwritable output exits 1" "exit $rc" "$(cat "$tmp/err")"
fi
tap_done
