# shellcheck shell=sh
# TAP helpers for test scripts. Every assertion prints one line:
# "ok - DESC" or "not ok - DESC"; tests/run-all.sh sums them.
# Source from a test script: . tests/lib/tap.sh

TAP_FAILED=0

# tap_ok DESC: record a passed assertion.
tap_ok() {
	echo "ok - $*"
}

# tap_fail DESC [DETAIL...]: record a failed assertion; details go to
# "# " lines so the log says why.
tap_fail() {
	desc=$1
	shift
	echo "not ok - $desc"
	for d in "$@"; do
		printf '%s\n' "$d" | sed 's/^/#   /'
	done
	TAP_FAILED=$((TAP_FAILED + 1))
}

# tap_check DESC CMD [ARG...]: run CMD; ok when it exits 0. Its output is
# shown as "# " lines only when it fails.
tap_check() {
	desc=$1
	shift
	if out=$("$@" 2>&1); then
		tap_ok "$desc"
	else
		tap_fail "$desc" "command: $*" "$out"
	fi
}

# tap_eq DESC EXPECTED ACTUAL: ok when the two strings are equal.
tap_eq() {
	if [ "$2" = "$3" ]; then
		tap_ok "$1"
	else
		tap_fail "$1" "expected: $2" "actual:   $3"
	fi
}

# tap_note TEXT: a diagnostic line (timings, figures).
tap_note() {
	printf '%s\n' "$*" | sed 's/^/# /'
}

# tap_need_built FILE...: every FILE must be built (executable, or a
# plain file for a shared object); else one failure and the script ends.
tap_need_built() {
	for _tap_f in "$@"; do
		if [ ! -x "$_tap_f" ] && [ ! -f "$_tap_f" ]; then
			tap_fail "$_tap_f is built (make test-programs)"
			tap_done
		fi
	done
}

# tap_done: exit status of the script: 0 when nothing failed.
tap_done() {
	[ "$TAP_FAILED" -eq 0 ]
	exit $?
}
