#!/bin/sh
# Run libFuzzer harnesses for a while each and report in TAP.
#
# Usage: fuzz/run.sh SECONDS BIN...   (BIN: build/fuzz/fuzz_NAME)
#
# For each harness: the corpus build/fuzz/corpus/NAME is seeded from the
# committed seeds fuzz/seeds/NAME/ and, when fuzz/seed-NAME.sh exists, from
# what it writes into the directory it is given (seeds cut from mkvmcore or
# makedumpfile output). Crashes, leaks, timeouts and out-of-memory inputs
# are saved in build/fuzz/findings/NAME/; the fuzzer's output goes to
# build/fuzz/logs/NAME.log. One line per harness:
#   ok - fuzz_NAME ran N s, M execs, no findings
#   not ok - fuzz_NAME: finding saved as PATH
# Exit status: 0 when no harness found anything.
# FUZZ_ARGS adds libFuzzer options (e.g. FUZZ_ARGS=-jobs=4).
set -u

if [ $# -lt 2 ]; then
	echo "usage: $0 SECONDS BIN..." >&2
	exit 2
fi
seconds=$1
shift
srcdir=$(dirname "$0")
failed=0

# seed NAME CORPUS LOG: copy the committed seeds and the seed script's
# output. The script runs again only when it changed since it last filled
# this corpus (it may take seconds: it runs mkvmcore and makedumpfile).
seed() {
	if [ -d "$srcdir/seeds/$1" ]; then
		cp "$srcdir/seeds/$1"/* "$2"/ 2>/dev/null
	fi
	[ -x "$srcdir/seed-$1.sh" ] || return 0
	stamp=$2/../.seeded-$1
	if [ -n "$(find "$stamp" -newer "$srcdir/seed-$1.sh" 2>/dev/null)" ]; then
		return 0
	fi
	tmp=$(mktemp -d) || return 1
	if ! "$srcdir/seed-$1.sh" "$tmp" >"$3" 2>&1; then
		rm -rf "$tmp"
		return 1
	fi
	cp "$tmp"/* "$2"/ 2>/dev/null
	rm -rf "$tmp"
	: >"$stamp"
}

# fuzz BIN: run one harness, print its TAP line; non-zero on a finding.
fuzz() {
	bin=$1
	base=$(basename "$bin")
	name=${base#fuzz_}
	top=$(dirname "$bin")
	corpus=$top/corpus/$name
	findings=$top/findings/$name
	log=$top/logs/$name.log
	mkdir -p "$corpus" "$findings" "$top/logs"
	if ! seed "$name" "$corpus" "$top/logs/seed-$name.log"; then
		echo "not ok - $base: seed script fuzz/seed-$name.sh failed"
		sed 's/^/#   /' "$top/logs/seed-$name.log" | tail -n 10
		return 1
	fi
	dict=
	[ -f "$srcdir/$name.dict" ] && dict=-dict=$srcdir/$name.dict
	mark=$top/logs/.start-$name
	: >"$mark"
	start=$(date +%s)
	# shellcheck disable=SC2086 # $dict and $FUZZ_ARGS are word lists
	"$bin" -max_total_time="$seconds" -rss_limit_mb=2048 -timeout=10 \
		-print_final_stats=1 -artifact_prefix="$findings/" $dict \
		${FUZZ_ARGS:-} "$corpus" >"$log" 2>&1
	rc=$?
	end=$(date +%s)
	# Artifacts written by this run (older ones were reported before).
	new=$(find "$findings" -type f -newer "$mark" | sort)
	if [ -n "$new" ]; then
		for f in $new; do
			echo "not ok - $base: finding saved as $f"
		done
		grep -E '^(==[0-9]+==|SUMMARY|    #[0-9])' "$log" | head -n 30 |
			sed 's/^/#   /'
		return 1
	fi
	if [ "$rc" -ne 0 ]; then
		echo "not ok - $base exited $rc without an artifact (log: $log)"
		tail -n 20 "$log" | sed 's/^/#   /'
		return 1
	fi
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
	echo "ok - $base ran $((end - start)) s, ${execs:-?} execs, no findings"
}

for bin in "$@"; do
	fuzz "$bin" || failed=$((failed + 1))
done
[ "$failed" -eq 0 ]
