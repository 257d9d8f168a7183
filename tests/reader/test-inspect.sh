#!/bin/sh
# vmemtrim-inspect end to end (issue 4): on makedumpfile's outputs of
# synthetic and real-kernel vmcores, everything inspect says is checked
# against independent judges:
#  (a) header fields = tests/reader/check_inspect.py's own parse of the file;
#  (b) page counts = makedumpfile's report and Python's bitmap popcounts;
#  (c) every page the reader returns = the source vmcore's page
#      (build/tests/reader/tool-readcmp);
#  (d) the pfns lacking struct page data = (i) mkvmcore's truth + the 2nd
#      bitmap and (ii) libkdumpfile reading the vmemmap through the dump's
#      page tables;
#  (e) --pfn / --page / --paddr and the text output agree.
# Then bad inputs and usage errors. See docs/inspect-json.md.
set -u
# shellcheck disable=SC1091
. tests/lib/tap.sh
BUILD=${BUILD:-build}
VMEMTRIM_CACHE=${VMEMTRIM_CACHE:-$HOME/.cache/vmemtrim}
export BUILD VMEMTRIM_CACHE
INSPECT=$BUILD/vmemtrim-inspect
READCMP=$BUILD/tests/reader/tool-readcmp
MK=$BUILD/mkvmcore
PY=/usr/bin/python3
# Two cases at a time: the machine has 2 cores.
JOBS=${INSPECT_TEST_JOBS:-2}
start=$(date +%s)
tmp=$(mktemp -d "${TMPDIR:-/tmp}/test-inspect.XXXXXX")
trap 'rm -rf "$tmp"' EXIT INT TERM

tap_need_built "$INSPECT" "$READCMP" "$MK"
if ! command -v makedumpfile >/dev/null; then
	tap_fail "makedumpfile is installed"
	tap_done
fi

# chk ARGS...: the independent checker.
chk() {
	"$PY" tests/reader/check_inspect.py "$@"
}

# py_tap CMD...: run a checker that prints TAP lines itself; a checker
# that dies without reporting a failure is a failure.
py_tap() {
	out=$("$@" 2>&1)
	rc=$?
	printf '%s\n' "$out"
	if [ $rc -ne 0 ] && ! printf '%s\n' "$out" | grep -q '^not ok'; then
		tap_fail "checker exited $rc without a result: $*" \
			"$(printf '%s\n' "$out" | tail -n 5)"
	fi
}

# mdf NAME REPORT OPTIONS... IN OUT...: makedumpfile with its report
# (level 21: report, errors, and -e's "Excluded N unused vmemmap pages").
mdf() {
	n=$1
	rep=$2
	shift 2
	if makedumpfile --message-level 21 "$@" >"$rep" 2>&1; then
		return 0
	fi
	tap_fail "$n: makedumpfile $*" "$(grep -v '^STEP' "$rep" | tail -n 5)"
	return 1
}

# refilter NAME DUMP LEVEL REPORT: makedumpfile re-filtering a kdump file
# at the same level; its Original pages / Memory Hole count the 1st bitmap
# once (the ELF run counts the kernel-text PT_LOAD twice). The output goes
# to a flattened stream on /dev/null: only the report is wanted.
refilter() {
	if makedumpfile --message-level 21 -F -d "$3" "$2" >/dev/null \
		2>"$4"; then
		return 0
	fi
	tap_fail "$1: makedumpfile re-filters the dump" "$(tail -n 5 "$4")"
	return 1
}

# readcmp NAME SOURCE DUMP...: (c)
readcmp() {
	n=$1
	shift
	if out=$("$READCMP" "$@" 2>&1); then
		tap_ok "$n: every page read from the dump equals the source's"
		tap_note "$n: $out"
	else
		tap_fail "$n: every page read from the dump equals the source's" \
			"$out"
	fi
}

# (The case's work directory is $cdir: tests/lib/tap.sh's tap_fail uses $d.)

# check_output NAME SOURCE TRUTH|- LEVEL KIND OUT...: run (a)-(e) on one
# makedumpfile output. KIND: l c e F split d0. The reports are in
# $cdir/NAME.rep (the ELF run) and $cdir/NAME.rf (re-filter).
check_output() {
	n=$1
	src=$2
	truth=$3
	lvl=$4
	kind=$5
	shift 5
	# makedumpfile's --split run reports no zero pages and leaves them
	# out of "Excluded pages" (the split writers find them later): the
	# plain -l run of the same source and level stands in for it.
	rep=$cdir/$n.rep
	[ "$kind" = split ] && rep=$cdir/$base.l.rep
	args="--inspect $INSPECT --name $n"
	# A hand-made dump has no makedumpfile report of its own.
	[ "$kind" = drop ] || args="$args --elf-report $rep"
	[ "$truth" != - ] && args="$args --truth $truth"
	case $kind in
	l | c | d0)
		refilter "$n" "$1" "$lvl" "$cdir/$n.rf" || return
		args="$args --refilter-report $cdir/$n.rf"
		;;
	*)
		# makedumpfile cannot re-filter these: -e dumps fail ("Can't
		# read the buffer of struct page"), -F streams need -R, split
		# sets are several files. Their 1st bitmap is that of the
		# plain -l output of the same source (both come from the
		# PT_LOADs), so that output's re-filter report stands in.
		args="$args --refilter-report $cdir/$base.l.rf"
		args="$args --standin $cdir/$base.l"
		;;
	esac
	[ "$kind" = l ] && args="$args --save-json $cdir/$base.l.json"
	if [ "$kind" = split ]; then
		# libkdumpfile 0.5.1's Python binding aborts (double free) when
		# given a file set (file.set.number=2 + file.set.N.fd), so (ii)
		# is replaced by: the split set's ranges equal those of the
		# single-file -l output, which passed (ii).
		tap_note "$n: (d)(ii) libkdumpfile cannot open split sets;" \
			"compared with $base.l instead"
		args="$args --no-libkdumpfile --ref-json $cdir/$base.l.json"
	fi
	# shellcheck disable=SC2086
	py_tap chk dump $args "$@"
	readcmp "$n" "$src" "$@"
}

# run_outputs BASE SOURCE TRUTH|- KINDS: makedumpfile's outputs of SOURCE
# and the checks of each (KIND drop: a hand-made dump, see below). Outputs
# are removed once checked. The first KIND must be l.
run_outputs() {
	base=$1
	src=$2
	truth=$3
	kinds=$4
	for kind in $kinds; do
		n=$base.$kind
		o=$cdir/$n
		case $kind in
		l) mdf "$n" "$cdir/$n.rep" -l -d 31 "$src" "$o" || continue ;;
		c) mdf "$n" "$cdir/$n.rep" -c -d 31 "$src" "$o" || continue ;;
		d0) mdf "$n" "$cdir/$n.rep" -l -d 0 "$src" "$o" || continue ;;
		e)
			mkdir -p "$cdir/wd"
			mdf "$n" "$cdir/$n.rep" -l -d 31 -e --work-dir "$cdir/wd" \
				"$src" "$o" || continue
			# -e declines some layouts (it then writes a plain
			# -d 31 dump); the checks hold on what was written.
			if grep -q 'unused vmemmap pages' "$cdir/$n.rep"; then
				tap_note "$n: makedumpfile -e:" \
					"$(grep 'unused vmemmap' "$cdir/$n.rep")"
			else
				tap_note "$n: makedumpfile -e declined:" \
					"$(grep -iv '^STEP\|^$' "$cdir/$n.rep" |
						grep -i 'vmemmap\|abort' | head -n 2)"
			fi
			;;
		F)
			if ! makedumpfile --message-level 21 -F -l -d 31 "$src" \
				>"$o" 2>"$cdir/$n.rep"; then
				tap_fail "$n: makedumpfile -F" \
					"$(tail -n 5 "$cdir/$n.rep")"
				continue
			fi
			;;
		drop)
			# makedumpfile -e declines 4K-mapped and HVO vmemmap:
			# take out a pte4k vmemmap page, a vmemmap PTE table
			# and an HVO shared page from the -l output by hand.
			if ! out=$(chk drop --truth "$truth" "$cdir/$base.l" \
				"$o" 2>&1); then
				tap_fail "$n: hand-made dump is written" "$out"
				continue
			fi
			tap_note "$n: the -l output without pfns $out"
			;;
		split)
			mdf "$n" "$cdir/$n.rep" -l -d 31 --split "$src" "$o.1" \
				"$o.2" || continue
			check_output "$n" "$src" "$truth" 31 split "$o.1" "$o.2"
			rm -f "$o.1" "$o.2"
			continue
			;;
		esac
		lvl=31
		[ "$kind" = d0 ] && lvl=0
		check_output "$n" "$src" "$truth" "$lvl" "$kind" "$o"
		# The -l output stays: it stands in for the others' re-filter.
		[ "$kind" = l ] || rm -f "$o"
	done
	rm -f "$cdir/$base.l"
}

# synthetic NAME RAM OPTIONS KINDS
synthetic() {
	name=$1
	cdir=$tmp/$name
	mkdir -p "$cdir"
	v=$cdir/vmcore
	# shellcheck disable=SC2086
	if ! $MK -o "$v" --ram "$2" --seed 4 $3 2>"$cdir/err"; then
		tap_fail "$name: mkvmcore --ram $2 $3" "$(cat "$cdir/err")"
		return
	fi
	run_outputs "$name" "$v" "$v.truth" "$4"
	py_tap chk elf --inspect "$INSPECT" --name "$name.elf" \
		--truth "$v.truth" --kdump-json "$cdir/$name.l.json" "$v"
	rm -rf "$cdir"
}

# real VARIANT ELF KINDS
real() {
	name=real-$1
	cdir=$tmp/$name
	mkdir -p "$cdir"
	run_outputs "$name" "$2" - "$3"
	py_tap chk elf --inspect "$INSPECT" --name "$name.elf" \
		--release "$release" --kdump-json "$cdir/$name.l.json" "$2"
	rm -rf "$cdir"
}

# --- 3. bad input and usage (fast) -------------------------------------------

# bad_input DESC FILE: inspect exits 1 with one stderr line naming FILE.
bad_input() {
	"$INSPECT" --json "$2" >"$tmp/bad.out" 2>"$tmp/bad.err"
	rc=$?
	lines=$(wc -l <"$tmp/bad.err")
	if [ $rc -eq 1 ] && [ "$lines" -eq 1 ] &&
		grep -qF "$2" "$tmp/bad.err"; then
		tap_ok "bad input: $1: exit 1, one stderr line naming the file"
	else
		tap_fail "bad input: $1: exit 1, one stderr line naming the file" \
			"rc $rc, $lines stderr lines:" "$(head -n 5 "$tmp/bad.err")"
	fi
}

# usage_rc DESC WANT ARGS...
usage_rc() {
	desc=$1
	want=$2
	shift 2
	"$INSPECT" "$@" >"$tmp/u.out" 2>"$tmp/u.err"
	rc=$?
	tap_eq "usage: $desc exits $want" "$want" "$rc"
}

bad_inputs() {
	b=$tmp/bad
	mkdir -p "$b"
	if ! $MK -o "$b/small" --ram 256M --profile idle --seed 2 2>"$b/err" ||
		! makedumpfile --message-level 4 -l -d 31 "$b/small" \
			"$b/small.l" >"$b/err" 2>&1 ||
		! makedumpfile --message-level 4 -F -l -d 31 "$b/small" \
			>"$b/small.F" 2>"$b/err"; then
		tap_fail "bad input: the small dumps are made" "$(cat "$b/err")"
		return
	fi
	bad_input "nonexistent file" "$b/does-not-exist"
	: >"$b/empty"
	bad_input "empty file" "$b/empty"
	printf 'this is not a dump\nat all\n' >"$b/text"
	bad_input "text file" "$b/text"
	head -c 300 "$b/small.l" >"$b/trunc300"
	bad_input "kdump header cut at 300 bytes" "$b/trunc300"
	# Cut inside the 2nd bitmap: (1 + sub_hdr_size) blocks + one bitmap.
	cut=$($PY -c 'import struct,sys
h=open(sys.argv[1],"rb").read(440)
bs,sub,bmb=struct.unpack_from("<iiI",h,428)
print((1+sub)*bs+bmb*bs//2+100)' "$b/small.l")
	head -c "$cut" "$b/small.l" >"$b/cut2nd"
	bad_input "kdump file with the 2nd bitmap cut off" "$b/cut2nd"
	# A flattened stream: valid header, then a record with a garbage
	# offset and size, then nothing.
	head -c 4096 "$b/small.F" >"$b/garbage.F"
	printf '\177\377\377\377\377\377\377\360\177\377\377\377\377\377\377\377' \
		>>"$b/garbage.F"
	bad_input "flattened stream with a garbage record" "$b/garbage.F"
	# The same after the real header records: a record whose size runs
	# past the end of the stream.
	head -c 8192 "$b/small.F" >"$b/short.F"
	bad_input "flattened stream cut inside a record" "$b/short.F"
	usage_rc "--pfn notanumber" 2 --pfn notanumber "$b/small.l"
	usage_rc "no DUMPFILE" 2 --json
	usage_rc "unknown option" 2 --no-such-option "$b/small.l"
	usage_rc "--help" 0 --help
	missing=
	for o in --json --ranges --pfn --paddr --page --dmesg --help --version; do
		grep -q -- "$o" "$tmp/u.out" || missing="$missing $o"
	done
	tap_eq "usage: --help mentions every option" "" "$missing"
	rm -rf "$b"
}

# --- run ----------------------------------------------------------------------

bad_inputs

# Real-kernel vmcores (cached; a cold cache boots QEMU: minutes).
if ! fixture_out=$(tests/kernel/fixture.sh 2g 2g-nokaslr l5 hvo \
	2>"$tmp/fixture.err"); then
	tap_fail "real-kernel fixture (2g 2g-nokaslr l5 hvo)" \
		"$(tail -n 5 "$tmp/fixture.err")"
fi
vmlinux=$(echo "$fixture_out" | awk '$1 == "vmlinux" {print $2}')
# The cache directory is named after the kernel release.
release=$(basename "$(dirname "${vmlinux:-/unknown/x}")")

# name|ram|mkvmcore options|outputs (-e only where paging is 4-level)
cases="mixed|2G|--profile mixed --no-kaslr|l c e F split d0
vmemmap4k|2G|--vmemmap-4k 1G-1536M --hvo 8 --holes 1200M-1300M|l c e F split d0 drop
l5|2G|--l5|l c F split d0
nodes2|3G|--nodes 2|l c e F split d0"
# variant|outputs
reals="2g|l c
2g-nokaslr|l e
l5|l F
hvo|l e"

{
	echo "$cases" | while IFS='|' read -r name ram o kinds; do
		echo "synthetic $name $ram|$o|$kinds"
	done
	echo "$reals" | while IFS='|' read -r var kinds; do
		echo "real $var|$kinds"
	done
} >"$tmp/jobs"

# run_job LINE: one case, its TAP lines to $tmp/out.N
run_job() {
	kind=${1%% *}
	rest=${1#* }
	case $kind in
	synthetic)
		name=${rest%% *}
		rest=${rest#* }
		ram=${rest%%|*}
		rest=${rest#*|}
		synthetic "$name" "$ram" "${rest%%|*}" "${rest#*|}"
		;;
	real)
		var=${rest%%|*}
		elf=$(echo "$fixture_out" | awk -v k="vmcore-$var" \
			'$1 == k {print $2}')
		if [ -z "$elf" ]; then
			tap_fail "real-$var: the fixture gives a vmcore"
			return
		fi
		real "$var" "$elf" "${rest#*|}"
		;;
	esac
}

# Jobs run in the background, at most JOBS at once; each leaves
# $tmp/done.N when it ends.
i=0
while IFS= read -r job; do
	while [ "$i" -ge "$JOBS" ] &&
		[ $((i - $(find "$tmp" -maxdepth 1 -name 'done.*' | wc -l))) \
			-ge "$JOBS" ]; do
		sleep 1
	done
	i=$((i + 1))
	(
		t0=$(date +%s)
		run_job "$job"
		tap_note "${job%%|*}: $(($(date +%s) - t0)) s"
		: >"$tmp/done.$i"
	) >"$tmp/out.$i" 2>&1 &
done <"$tmp/jobs"
wait
j=1
while [ $j -le $i ]; do
	cat "$tmp/out.$j"
	f=$(grep -c '^not ok' "$tmp/out.$j")
	TAP_FAILED=$((TAP_FAILED + f))
	j=$((j + 1))
done
tap_note "test-inspect: $(($(date +%s) - start)) s"
tap_done
