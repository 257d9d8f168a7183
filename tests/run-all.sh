#!/bin/sh
# Run every test of the project and print one summary line
# "N passed, N failed" over all of them.
#
# A test is an executable tests/**/test-*.sh script or a cmocka binary
# $BUILD/tests/test_*; each prints TAP lines ("ok ..." / "not ok ...").
# A test that exits non-zero without reporting a failure, or that reports
# nothing at all, counts as one failure: a test never passes silently.
#
# Usage: tests/run-all.sh [PATTERN...]   (PATTERN: substring of test paths)
set -u
BUILD=${BUILD:-build}
VMEMTRIM_CACHE=${VMEMTRIM_CACHE:-$HOME/.cache/vmemtrim}
export BUILD VMEMTRIM_CACHE
logdir=$BUILD/test-logs
mkdir -p "$logdir"

tests=$( (find tests -name 'test-*.sh' -type f -perm -u+x
	[ -d "$BUILD/tests" ] && find "$BUILD/tests" -name 'test_*' -type f -perm -u+x
	) | sort)

# selected TEST [PATTERN...]: no pattern selects every test.
selected() {
	t=$1
	shift
	[ $# -eq 0 ] && return 0
	for p in "$@"; do
		case "$t" in *"$p"*) return 0 ;; esac
	done
	return 1
}

passed=0
failed=0
for t in $tests; do
	selected "$t" "$@" || continue
	name=$(echo "$t" | tr '/' '_')
	log=$logdir/$name.log
	echo "== $t"
	start=$(date +%s)
	CMOCKA_MESSAGE_OUTPUT=TAP "./$t" >"$log" 2>&1
	rc=$?
	end=$(date +%s)
	# Show the assertions and diagnostics, not the whole log.
	grep -E '^(ok|not ok)|^#' "$log"
	p=$(grep -cE '^ok' "$log")
	f=$(grep -cE '^not ok' "$log")
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
		echo "not ok - $t exited $rc (log: $log)"
		tail -n 5 "$log" | sed 's/^/#   /'
		f=1
	fi
	if [ "$p" -eq 0 ] && [ "$f" -eq 0 ]; then
		echo "not ok - $t reported no result (log: $log)"
		f=1
	fi
	echo "# $t: $p passed, $f failed, $((end - start)) s"
	passed=$((passed + p))
	failed=$((failed + f))
done
if [ $((passed + failed)) -eq 0 ]; then
	echo "not ok - no test ran (patterns: ${*:-none})"
	failed=1
fi
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
