#!/bin/sh
# mkvmcore's ground truth agrees with Debian's makedumpfile 1.7.2: per-class
# excluded page counts, the exact bitmaps at several dump levels, -e only
# drops removable vmemmap pages, and libkdumpfile reads the page tables.
# With --pcp (free pages on per-CPU lists, and lookalikes) makedumpfile
# still agrees with the truth: it keeps those pages. vmemtrim leaves out
# every proven per-CPU free page at levels with 16 and nothing else: the
# one difference between the two dumps (check_truth.py pcp, pcpdiff); with
# -e it drops exactly the vmemmap pages of the pfns it leaves out.
set -u
# shellcheck disable=SC1091
. tests/lib/tap.sh
BUILD=${BUILD:-build}
MK=$BUILD/mkvmcore
VT=$BUILD/vmemtrim
PY=/usr/bin/python3
CHK_PY=tests/mkvmcore/check_truth.py
CHK="$PY $CHK_PY"
RAM=${MKVMCORE_TEST_RAM:-2G}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

if ! command -v makedumpfile >/dev/null; then
	tap_fail "makedumpfile is installed"
	tap_done
fi

# name|options (RAM above 3 GiB: the PCI hole; 16 GiB: the larger case)
cases="idle|--profile idle
busy|--profile busy
mixed|--profile mixed
holes|--holes 1G-1280M,1400M-1500M,2000M-2010M
nodes2|--nodes 2 --hvo 4
nokaslr|--no-kaslr --ram 5G
pcp|--profile mixed --pcp
idle16g|--profile idle --ram 16G --nodes 2"

check_case() {
	name=$1
	opts=$2
	v=$tmp/$name
	# shellcheck disable=SC2086
	if ! $MK -o "$v" --ram "$RAM" --seed 11 $opts 2>"$tmp/err"; then
		tap_fail "$name: mkvmcore $opts" "$(cat "$tmp/err")"
		return
	fi
	levels="31 1 2 8 16"
	case $name in
	busy | mixed) levels="$levels 4" ;;
	idle16g) levels=31 ;;
	pcp) levels="31 1" ;;
	esac
	if out=$($CHK removable "$v.truth" 2>&1); then
		tap_ok "$name: removable sets recomputed from the class runs agree"
	else
		tap_fail "$name: removable sets recomputed from the class runs agree" "$out"
	fi
	for d in $levels; do
		rm -f "$v.d$d"
		if ! makedumpfile -l -d "$d" --message-level 31 "$v" "$v.d$d" \
			>"$tmp/rep" 2>&1; then
			tap_fail "$name: makedumpfile -d $d succeeds" \
				"$(tail -n 5 "$tmp/rep")"
			continue
		fi
		if out=$($CHK counts "$tmp/rep" "$v.truth" "$d" 2>&1); then
			tap_ok "$name: makedumpfile -d $d counts equal the truth"
		else
			tap_fail "$name: makedumpfile -d $d counts equal the truth" "$out"
		fi
		if out=$($CHK bitmap "$v.d$d" "$v.truth" "$d" 2>&1); then
			tap_ok "$name: -d $d bitmaps equal the truth"
		else
			tap_fail "$name: -d $d bitmaps equal the truth" "$out"
		fi
		[ "$name" = pcp ] && check_pcp "$v" "$d"
		rm -f "$v.d$d"
	done
}

# checked DESCRIPTION COMMAND...: one assertion, COMMAND's "# " lines shown
checked() {
	cd_desc=$1
	shift
	if out=$("$@" 2>&1); then
		tap_ok "$cd_desc"
		echo "$out"
	else
		tap_fail "$cd_desc" "$out"
	fi
}

# check_pcp VMCORE LEVEL: vmemtrim against the truth and makedumpfile's
# dump VMCORE.dLEVEL.
check_pcp() {
	rm -f "$1.vt"
	if ! "$VT" -l -d "$2" --message-level 31 "$1" "$1.vt" >"$tmp/vrep" 2>&1; then
		tap_fail "pcp: vmemtrim -d $2 succeeds" "$(tail -n 5 "$tmp/vrep")"
		return
	fi
	checked "pcp: vmemtrim -d $2 leaves out every proven per-CPU free page, keeps the lookalikes" \
		"$PY" "$CHK_PY" pcp "$1.vt" "$tmp/vrep" "$1.truth" "$2"
	checked "pcp: -d $2: vmemtrim's dump differs from makedumpfile's in per-CPU free pages only" \
		"$PY" "$CHK_PY" pcpdiff "$1.d$2" "$1.vt" "$1.truth"
	rm -f "$1.vt"
	[ "$2" = 31 ] || return
	if ! "$VT" -l -d 31 -e --message-level 31 "$1" "$1.vt" >"$tmp/vrep" 2>&1; then
		tap_fail "pcp: vmemtrim -d 31 -e succeeds" "$(tail -n 5 "$tmp/vrep")"
		return
	fi
	checked "pcp: vmemtrim -d 31 -e: as above, and exactly the vmemmap pages of pfns it leaves out dropped" \
		"$PY" "$CHK_PY" pcp "$1.vt" "$tmp/vrep" "$1.truth" 31 -e
	rm -f "$1.vt"
}

check_e() {
	name=$1
	v=$tmp/$name
	[ -f "$v" ] || return
	mkdir -p "$tmp/wd"
	rm -f "$v.e"
	if ! makedumpfile -l -d 31 -e --work-dir "$tmp/wd" --message-level 31 \
		"$v" "$v.e" >"$tmp/rep" 2>&1; then
		tap_fail "$name: makedumpfile -d 31 -e succeeds" \
			"$(tail -n 5 "$tmp/rep")"
		return
	fi
	if out=$($CHK bitmap "$v.e" "$v.truth" 31 -e 2>&1); then
		tap_ok "$name: makedumpfile -e drops only removable vmemmap pages"
		echo "$out"
	else
		tap_fail "$name: makedumpfile -e drops only removable vmemmap pages" "$out"
	fi
	rm -f "$v.e"
}

echo "$cases" | while IFS='|' read -r name opts; do
	check_case "$name" "$opts"
	case $name in idle | mixed | nokaslr | idle16g) check_e "$name" ;; esac
	[ "$name" = pcp ] &&
		checked "pcp: libkdumpfile walks every per-CPU list from its head to exactly the truth's entries" \
			"$PY" "$CHK_PY" pcplists "$tmp/$name" "$tmp/$name.truth"
	[ "$name" = mixed ] &&
		checked "libkdumpfile reads vmcoreinfo, kernel text and vmemmap" \
			"$PY" "$CHK_PY" reader "$tmp/$name" "$tmp/$name.truth"
	rm -f "$tmp/$name" "$tmp/$name.truth"
done | tee "$tmp/log"
! grep -q '^not ok' "$tmp/log"
