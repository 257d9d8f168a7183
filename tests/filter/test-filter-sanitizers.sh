#!/bin/sh
# vmemtrim and vmemtrim-inspect end to end under ASan+UBSan
# (build/vmemtrim-san, build/vmemtrim-inspect-san) and under valgrind
# memcheck: every path (-e on 2 MiB, 4 KiB and HVO vmemmap, 5-level paging,
# every codec, threads, -F and -R, re-filtering a kdump-compressed dump,
# -i, bad input) runs with zero sanitizer and memcheck reports, and the
# sanitized build writes the same bytes as the plain one.
set -u
# shellcheck disable=SC1091
. tests/lib/tap.sh
BUILD=${BUILD:-build}
VT=$BUILD/vmemtrim
VTS=$BUILD/vmemtrim-san
INS=$BUILD/vmemtrim-inspect-san
MK=$BUILD/mkvmcore
start=$(date +%s)
tmp=$(mktemp -d "${TMPDIR:-/tmp}/test-san.XXXXXX")
trap 'rm -rf "$tmp"' EXIT INT TERM
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=0:exitcode=99
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1:exitcode=99

tap_need_built "$VT" "$VTS" "$INS" "$MK"

# san NAME WANT-RC ARGS...: the sanitized vmemtrim; no report, the exit
# status expected.
san() {
	sn=$1
	want=$2
	shift 2
	"$VTS" "$@" >"$tmp/san.out" 2>"$tmp/san.err"
	rc=$?
	if grep -q -E 'ERROR: (Address|Leak)Sanitizer|runtime error:' \
		"$tmp/san.err"; then
		tap_fail "$sn: no sanitizer report" "$(head -n 20 "$tmp/san.err")"
	elif [ "$rc" != "$want" ]; then
		tap_fail "$sn: exit $want" "exit $rc: $(tail -n 3 "$tmp/san.err")"
	else
		tap_ok "$sn: exit $want, no sanitizer report"
	fi
}

# same NAME ARGS... (last two: VMCORE DUMP): sanitized = plain bytes
same() {
	sn=$1
	shift
	n=$#
	eval "out_=\${$n}"
	san "$sn" 0 "$@"
	set -- "$@"
	# the plain build writes beside it
	args=""
	i=1
	for a in "$@"; do
		if [ $i -eq $n ]; then
			args="$args $out_.plain"
		else
			args="$args $a"
		fi
		i=$((i + 1))
	done
	# shellcheck disable=SC2086
	"$VT" $args >/dev/null 2>&1
	tap_check "$sn: the sanitized build writes the same bytes" \
		cmp "$out_" "$out_.plain"
}

ins() {
	"$INS" "$@" >"$tmp/ins.out" 2>"$tmp/ins.err"
	rc=$?
	if [ $rc -ne 0 ] || grep -q -E 'Sanitizer|runtime error:' \
		"$tmp/ins.err"; then
		tap_fail "vmemtrim-inspect-san $*: exit 0, no report" \
			"exit $rc: $(head -n 10 "$tmp/ins.err")"
	else
		tap_ok "vmemtrim-inspect-san $*: exit 0, no report"
	fi
}

while read -r name args; do
	# shellcheck disable=SC2086
	if ! "$MK" -o "$tmp/$name" $args >/dev/null 2>&1; then
		tap_fail "$name: mkvmcore $args"
		continue
	fi
	same "$name -l -d 31 -e" -l -d 31 -e "$tmp/$name" "$tmp/$name.le"
	same "$name -z -d 1 -e, 3 threads" -z -d 1 -e --num-threads 3 \
		"$tmp/$name" "$tmp/$name.z"
	ins --json --ranges "$tmp/$name.le"
done <<'CASES'
numa-hvo --ram 2G --profile mixed --seed 4 --nodes 2 --hvo 4
l5-4k --ram 1G --profile busy --seed 7 --l5 --vmemmap-4k 0-256M --hvo 2
CASES

m=$tmp/numa-hvo
same "-c -d 31 (zlib)" -c -d 31 "$m" "$tmp/c"
same "-p -d 16 -e (snappy)" -p -d 16 -e "$m" "$tmp/p"
same "refilter a kdump dump: -l -d 31 -e" -l -d 31 -e "$tmp/numa-hvo.z" \
	"$tmp/rf"
"$VTS" -l -d 31 -e -F "$m" >"$tmp/stream" 2>"$tmp/F.err"
tap_eq "-F: exit 0, no report" "0 0" \
	"$? $(grep -c -E 'Sanitizer|runtime error:' "$tmp/F.err")"
"$VTS" -R "$tmp/unflat" <"$tmp/stream" 2>"$tmp/R.err"
tap_eq "-R: exit 0, no report" "0 0" \
	"$? $(grep -c -E 'Sanitizer|runtime error:' "$tmp/R.err")"
tap_check "-F | -R equals the direct dump" cmp "$tmp/unflat" \
	"$tmp/numa-hvo.le"
ins "$tmp/stream"
/usr/bin/python3 tests/lib/elfnotes.py --vmcoreinfo "$m" >"$tmp/vi"
san "-i VMCOREINFO" 0 -l -d 31 -e -i "$tmp/vi" "$m" "$tmp/vi.dump"
printf 'garbage\n' >"$tmp/garbage"
san "garbage input" 1 -d 31 "$tmp/garbage" "$tmp/g.dump"
head -c 300000 "$m" >"$tmp/trunc"
san "a truncated vmcore" 1 -l -d 31 -e "$tmp/trunc" "$tmp/t.dump"
san "an existing DUMPFILE" 1 -l -d 31 "$m" "$tmp/c"

# valgrind memcheck on the plain build
vg() {
	vn=$1
	shift
	valgrind -q --error-exitcode=99 --leak-check=full \
		--errors-for-leak-kinds=definite,indirect "$@" \
		>"$tmp/vg.out" 2>"$tmp/vg.err"
	rc=$?
	if [ $rc -eq 99 ] || grep -q '^==[0-9]*==' "$tmp/vg.err"; then
		tap_fail "$vn: valgrind memcheck reports nothing" \
			"$(grep '^==' "$tmp/vg.err" | head -n 20)"
	else
		tap_ok "$vn: valgrind memcheck reports nothing (exit $rc)"
	fi
}
"$MK" -o "$tmp/small" --ram 256M --profile mixed --seed 11 --hvo 1 \
	>/dev/null 2>&1
vg "vmemtrim -l -d 31 -e" "$VT" -l -d 31 -e "$tmp/small" "$tmp/vg1"
vg "vmemtrim -z -d 1 -e --num-threads 2" "$VT" -z -d 1 -e --num-threads 2 \
	"$tmp/small" "$tmp/vg2"
vg "vmemtrim refiltering" "$VT" -c -d 31 -e "$tmp/vg2" "$tmp/vg3"
vg "vmemtrim-inspect --json --ranges" "$BUILD/vmemtrim-inspect" --json \
	--ranges "$tmp/vg1"

tap_note "test-filter-sanitizers: $(($(date +%s) - start)) s"
tap_done
