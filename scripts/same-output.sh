#!/bin/bash
# Are two builds of vmemtrim the same to the byte? Runs OLD and NEW (two
# vmemtrim binaries) with the same options on the same inputs and compares
# every output with cmp: dumps (regular, flattened, -R of the stream),
# --dump-dmesg, the report on stderr. For restructurings that must change
# no output (docs/layout.md).
#
# Usage: scripts/same-output.sh OLD NEW [WORKDIR]
# Inputs: mkvmcore's idle, busy and mixed profiles (built with NEW's tree's
# build/mkvmcore) and, when the real-kernel fixture's cache has them, its
# vmcores (VMEMTRIM_CACHE, default ~/.cache/vmemtrim).
# Exit status 0 when every pair is identical; each difference is named.
set -u
OLD=$(realpath "$1") NEW=$(realpath "$2")
WORK=${3:-$(mktemp -d)}
BUILD=${BUILD:-build}
CACHE=${VMEMTRIM_CACHE:-$HOME/.cache/vmemtrim}
mkdir -p "$WORK"
diffs=0 runs=0

inputs=()
for p in idle:1G busy:768M mixed:1G; do
	v=$WORK/mk-${p%%:*}.vmcore
	[ -s "$v" ] || "$BUILD/mkvmcore" -o "$v" --ram "${p#*:}" \
		--profile "${p%%:*}" --seed 7 >/dev/null || exit 2
	inputs+=("$v")
done
for v in "$CACHE"/kernel/*/dumps/vmcore-*/dump; do
	[ -s "$v" ] && inputs+=("$v")
done

TIMES='s/[0-9]+([.][0-9]+)? (s|ms|MB\/s|MiB\/s)\b/T \2/g'

# same A B: both absent, or the same bytes.
same() {
	if [ -e "$1" ] || [ -e "$2" ]; then cmp -s "$1" "$2"; fi
}

# run TAG ARGS...: both binaries, outputs compared.
run() {
	local tag=$1 in=$2 rc1 rc2
	shift 2
	runs=$((runs + 1))
	rm -f "$WORK/old.out" "$WORK/new.out"
	"$OLD" "$@" "$in" "$WORK/old.out" >"$WORK/old.stdout" 2>"$WORK/old.err"
	rc1=$?
	"$NEW" "$@" "$in" "$WORK/new.out" >"$WORK/new.stdout" 2>"$WORK/new.err"
	rc2=$?
	# The report's times are the only thing allowed to differ.
	sed -i -E "s|$WORK/old.out|OUT|g; s|$OLD|VMEMTRIM|g; $TIMES" \
		"$WORK/old.err" "$WORK/old.stdout"
	sed -i -E "s|$WORK/new.out|OUT|g; s|$NEW|VMEMTRIM|g; $TIMES" \
		"$WORK/new.err" "$WORK/new.stdout"
	if [ $rc1 -ne $rc2 ] || ! same "$WORK/old.out" "$WORK/new.out" ||
		! cmp -s "$WORK/old.err" "$WORK/new.err" ||
		! cmp -s "$WORK/old.stdout" "$WORK/new.stdout"; then
		echo "DIFFERENT: $tag: $* $in (exit $rc1 vs $rc2)"
		diff "$WORK/old.err" "$WORK/new.err" | head -5
		diffs=$((diffs + 1))
	fi
}

for in in "${inputs[@]}"; do
	n=$(basename "$(dirname "$in")")/$(basename "$in")
	run "$n" "$in" -l -d 31 --message-level 31
	run "$n" "$in" -l -d 31 -e --message-level 31
	run "$n" "$in" -z -d 1 --num-threads 3
	run "$n" "$in" -c -d 17 -e --num-threads 2
	run "$n" "$in" -F -l -d 31 -e
	run "$n" "$in" --dump-dmesg
	case $in in *mk-idle*)
		run "$n" "$in" -p -d 0 ;;
	esac
done
# -R: the flattened stream of the last real (or synthetic) input.
last=${inputs[-1]}
"$NEW" -F -l -d 31 "$last" >"$WORK/stream" 2>/dev/null
for b in OLD NEW; do
	bin=${!b}
	rm -f "$WORK/$b.R"
	"$bin" -R "$WORK/$b.R" <"$WORK/stream" 2>"$WORK/$b.Rerr"
done
runs=$((runs + 1))
cmp -s "$WORK/OLD.R" "$WORK/NEW.R" || { echo "DIFFERENT: -R"; diffs=$((diffs + 1)); }
rm -f "$WORK"/old.* "$WORK"/new.* "$WORK"/OLD.R "$WORK"/NEW.R "$WORK/stream"
echo "$runs runs on ${#inputs[@]} inputs: $diffs different"
[ $diffs -eq 0 ]
