#!/bin/bash
# Bytes and time of `-l -d LEVEL` dumps before and after vmemtrim left out
# the free pages on the per-CPU lists (issue 25), beside makedumpfile, on
# the real-kernel fixture's vmcores and on mkvmcore's synthetic ones.
# Prints one markdown table row per input and tool: median wall seconds of
# RUNS runs (after one warm-up), median CPU seconds, dump bytes, and the "on per-CPU lists"
# count of the report.
#
# Usage: bench/pcp.sh BEFORE AFTER [INPUT...]
#   BEFORE, AFTER: vmemtrim binaries (e.g. one built from the commit before)
#   INPUT: NAME=VMCORE; default: the fixture's 2g, 2g-nokaslr, l5, hvo, 8g
#   and mkvmcore idle and busy profiles of 2 GiB.
# Env: RUNS (default 3), LEVEL (default 31), BUILD, VMEMTRIM_CACHE.
set -uo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT" || exit 1
BUILD=${BUILD:-build}
RUNS=${RUNS:-3}
LEVEL=${LEVEL:-31}
BEFORE=$1 AFTER=$2
shift 2
WORK=$(mktemp -d /tmp/vmemtrim-pcp-bench.XXXXXX)
trap 'rm -rf "$WORK"' EXIT

inputs=("$@")
if [ ${#inputs[@]} -eq 0 ]; then
	tests/kernel/fixture.sh 2g 2g-nokaslr l5 hvo 8g >"$WORK/fixture.out" ||
		exit 1
	for v in 2g 2g-nokaslr l5 hvo 8g; do
		inputs+=("real-$v=$(awk -v k="vmcore-$v" '$1 == k { print $2 }' \
			"$WORK/fixture.out")")
	done
	make -s "$BUILD/mkvmcore" || exit 1
	for p in idle busy; do
		"$BUILD/mkvmcore" -o "$WORK/syn-$p" --ram 2G --profile "$p" \
			--seed 1 >/dev/null || exit 1
		inputs+=("syn-$p-2g=$WORK/syn-$p")
	done
fi

# median of column $1 of stdin
median() { awk -v c="$1" '{ print $c }' | sort -n |
	awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }

run() { # TOOL INPUT OUT: prints "wall_s cpu_s" (cpu: user + system)
	rm -f "$3" "$3.rep"
	case $1 in
	makedumpfile)
		/usr/bin/time -f "%e %U %S" -o "$3.time" \
			makedumpfile -l -d "$LEVEL" "$2" "$3" >/dev/null 2>&1 ;;
	*)
		/usr/bin/time -f "%e %U %S" -o "$3.time" \
			"$1" -l -d "$LEVEL" --message-level 31 "$2" "$3" \
			>"$3.rep" 2>&1 ;;
	esac
	awk '{ printf "%.2f %.2f\n", $1, $2 + $3 }' "$3.time"
}

echo "| input | tool | wall s | CPU s | bytes | per-CPU free pages left out |"
echo "|---|---|---|---|---|---|"
for in in "${inputs[@]}"; do
	name=${in%%=*} file=${in#*=}
	for tool in before after makedumpfile; do
		case $tool in
		before) bin=$BEFORE ;;
		after) bin=$AFTER ;;
		*) bin=makedumpfile ;;
		esac
		out=$WORK/out
		run "$bin" "$file" "$out" >/dev/null # warm-up
		for _ in $(seq "$RUNS"); do run "$bin" "$file" "$out"; done \
			>"$WORK/times"
		t="$(median 1 <"$WORK/times") | $(median 2 <"$WORK/times")"
		pcp=$(sed -n 's/^ *on per-CPU lists *: *\(0x[0-9a-f]*\).*/\1/p' \
			"$out.rep" 2>/dev/null)
		printf '| %s | %s | %s | %s | %s |\n' "$name" \
			"$([ "$tool" = makedumpfile ] && echo makedumpfile ||
				echo "vmemtrim $tool")" "$t" "$(stat -c %s "$out")" \
			"$([ -n "$pcp" ] && printf '%d' "$pcp" || echo -)"
	done
done
