#!/bin/bash
# Bytes and time of `-l -d LEVEL` dumps before and after vmemtrim left out
# the free pages on the per-CPU lists (issue 25), beside makedumpfile, on
# the real-kernel fixture's vmcores and on mkvmcore's synthetic ones.
#
# Bytes: one dump per input and tool. Time: farm-bench, interleaved pairs
# (A B A B ...), medians of RUNS runs after one warm-up: "after" against
# "before", then "after" against makedumpfile. Prints one markdown row per
# input: bytes of the three dumps, the "on per-CPU lists" count of after's
# report, median wall and CPU seconds of each tool, the after/before and
# after/makedumpfile ratios of wall and of CPU time (farm-bench's medians
# of the pairwise ratios). The raw farm-bench output goes to $WORK/*.fb, kept when
# KEEP=1.
#
# Usage: bench/pcp.sh BEFORE AFTER [INPUT...]
#   BEFORE, AFTER: vmemtrim binaries (e.g. one built from the commit before)
#   INPUT: NAME=VMCORE; default: the cached fixture vmcores 2g, 2g-nokaslr,
#   l5, hvo, 8g (Debian 6.1) and k612-4g (Debian 6.12), then mkvmcore's
#   idle, busy and mixed profiles of 2 GiB with --pcp (seed 1).
# Env: RUNS (default 5), LEVEL (default 31), BUILD, VMEMTRIM_CACHE, KEEP.
# The fixture's vmcores are only read, found under
# $VMEMTRIM_CACHE/kernel/*/dumps/vmcore-VARIANT-*/dump (never captured here).
set -uo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT" || exit 1
BUILD=${BUILD:-build}
RUNS=${RUNS:-5}
LEVEL=${LEVEL:-31}
CACHE=${VMEMTRIM_CACHE:-$HOME/.cache/vmemtrim}
BEFORE=$(readlink -f "$1") AFTER=$(readlink -f "$2")
shift 2
for b in "$BEFORE" "$AFTER"; do
	[ -x "$b" ] || { echo "bench/pcp.sh: $b: not a program" >&2; exit 2; }
done
WORK=$(mktemp -d /tmp/vmemtrim-pcp-bench.XXXXXX)
[ "${KEEP:-0}" = 1 ] || trap 'rm -rf "$WORK"' EXIT

inputs=("$@")
if [ ${#inputs[@]} -eq 0 ]; then
	for v in 2g 2g-nokaslr l5 hvo 8g k612-4g; do
		f=$(find "$CACHE"/kernel/*/dumps -maxdepth 1 \
			-name "vmcore-$v-*" 2>/dev/null | sort | head -n 1)
		if [ -z "$f" ] || [ ! -e "$f/ok" ]; then
			echo "bench/pcp.sh: no cached vmcore-$v" >&2
			continue
		fi
		inputs+=("real-$v=$f/dump")
	done
	make -s "$BUILD/mkvmcore" || exit 1
	for p in idle busy mixed; do
		"$BUILD/mkvmcore" -o "$WORK/syn-$p" --ram 2G --profile "$p" \
			--seed 1 --pcp >/dev/null || exit 1
		inputs+=("syn-$p-2g-pcp=$WORK/syn-$p")
	done
fi

# cmd TOOL INPUT OUT: the command line of one dump (a fresh OUT each run)
cmd() {
	case $1 in
	makedumpfile)
		echo "sh -c 'rm -f $3; exec makedumpfile -l -d $LEVEL $2 $3 >/dev/null 2>&1'" ;;
	*)
		echo "sh -c 'exec $1 -f -l -d $LEVEL $2 $3 >/dev/null 2>&1'" ;;
	esac
}

# fb_field FILE ROW COLUMN: a figure of farm-bench's table ("A wall s" 3)
fb_field() {
	awk -v r="$2" -v c="$3" 'index($0, r) == 1 {
		n = split(substr($0, length(r) + 1), f, " "); print f[c - 1] }' "$1"
}

echo "| input | bytes before | bytes after | bytes makedumpfile | per-CPU free pages left out | wall s before / after / makedumpfile | CPU s before / after / makedumpfile | after/before wall, CPU | after/makedumpfile wall, CPU |"
echo "|---|---|---|---|---|---|---|---|---|"
for in in "${inputs[@]}"; do
	name=${in%%=*} file=${in#*=}
	rm -f "$WORK/b" "$WORK/a" "$WORK/m"
	"$BEFORE" -l -d "$LEVEL" "$file" "$WORK/b" >/dev/null 2>&1
	"$AFTER" -l -d "$LEVEL" --message-level 31 "$file" "$WORK/a" \
		>"$WORK/a.rep" 2>&1
	makedumpfile -l -d "$LEVEL" "$file" "$WORK/m" >/dev/null 2>&1
	pcp=$(sed -n 's/^ *on per-CPU lists *: *\(0x[0-9a-f]*\).*/\1/p' \
		"$WORK/a.rep")
	bytes="$(stat -c %s "$WORK/b") | $(stat -c %s "$WORK/a") | $(stat -c %s "$WORK/m")"
	rm -f "$WORK/b" "$WORK/a" "$WORK/m"
	out=$WORK/o
	eval "farm-bench -n $RUNS --timeout 600 --vs \"$(cmd "$BEFORE" "$file" "$out")\" -- $(cmd "$AFTER" "$file" "$out")" \
		>"$WORK/$name.ab.fb" 2>&1
	eval "farm-bench -n $RUNS --timeout 600 --vs \"$(cmd makedumpfile "$file" "$out")\" -- $(cmd "$AFTER" "$file" "$out")" \
		>"$WORK/$name.am.fb" 2>&1
	rm -f "$out"
	ab=$WORK/$name.ab.fb am=$WORK/$name.am.fb
	printf '| %s | %s | %d | %s / %s / %s | %s / %s / %s | %s, %s | %s, %s |\n' \
		"$name" "$bytes" "$((${pcp:-0}))" \
		"$(fb_field "$ab" "B wall s" 3)" "$(fb_field "$ab" "A wall s" 3)" \
		"$(fb_field "$am" "B wall s" 3)" \
		"$(fb_field "$ab" "B cpu s" 3)" "$(fb_field "$ab" "A cpu s" 3)" \
		"$(fb_field "$am" "B cpu s" 3)" \
		"$(fb_field "$ab" "A/B wall" 3)" "$(fb_field "$ab" "A/B cpu" 3)" \
		"$(fb_field "$am" "A/B wall" 3)" "$(fb_field "$am" "A/B cpu" 3)"
done
