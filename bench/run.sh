#!/bin/bash
# make bench: vmemtrim and Debian's makedumpfile side by side on the same
# inputs, interleaved (A B A B ...) after one warm-up run of each, so both
# see the same page cache. Writes bench/RESULTS.md and bench/results.svg.
#
# Inputs (generated once, cached under $VMEMTRIM_CACHE/bench): mkvmcore
# idle 16, 64, 256 GiB and busy 16 GiB (1 TiB idle with BENCH_LARGE=1), and
# the real-kernel fixture's 8 GiB vmcore. For each input: -l and -c, -d 31
# with and without -e (makedumpfile with --work-dir), BENCH_RUNS (5) counted
# runs; on busy zlib also vmemtrim --num-threads 2; and the limit row
# (build/bench/limit: read exactly the dumped pages, compress, nothing else).
#
# Every timed run starts after a sync, so no run pays for the previous
# one's dirty pages (vmemtrim fsync()s its dump, and on ext4 an fsync
# writes back whatever else is dirty in the journal). On idle lzo -e both
# tools also run on 2 threads: the 2-core comparison.
#
# Env: BENCH_RUNS, BENCH_LARGE, BENCH_INPUTS (names to keep, e.g.
# "idle-16g real-8g"), BENCH_OUT (output directory; default under the
# cache, on the same disk as the inputs), BENCH_REPORT (default
# bench/RESULTS: writes bench/RESULTS.md and bench/results.svg; else
# BENCH_REPORT.md and BENCH_REPORT.svg).
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
BUILD=${BUILD:-build}
CACHE=${VMEMTRIM_CACHE:-$HOME/.cache/vmemtrim}
export BUILD VMEMTRIM_CACHE=$CACHE
RUNS=${BENCH_RUNS:-5}
IN=$CACHE/bench
OUT=${BENCH_OUT:-$CACHE/bench/out}
TSV=$OUT/results.tsv
VT=$(realpath "$BUILD/vmemtrim")
LIMIT=$(realpath "$BUILD/bench/limit")
mkdir -p "$IN" "$OUT"
: >"$TSV"

say() { echo "bench: $*" >&2; }

# --- inputs ----------------------------------------------------------------
INPUTS=()
gen() { # NAME PROFILE RAM
	local f=$IN/$1.vmcore
	if [ ! -s "$f.truth" ]; then
		say "generating $1 (mkvmcore --profile $2 --ram $3)"
		rm -f "$f" "$f.truth"
		"$BUILD/mkvmcore" -o "$f" --ram "$3" --profile "$2" --seed 1 ||
			exit 1
	fi
	INPUTS+=("$1|$f|$(($(awk '$1=="ram" {print $2}' "$f.truth") >> 30))")
}
gen idle-16g idle 16G
gen idle-64g idle 64G
gen idle-256g idle 256G
gen busy-16g busy 16G
[ "${BENCH_LARGE:-0}" = 1 ] && gen idle-1t idle 1T
if real=$(tests/kernel/fixture.sh 8g 2>"$OUT/fixture.err" |
	awk '$1 == "vmcore-8g" { print $2 }') && [ -n "$real" ]; then
	INPUTS+=("real-8g|$real|8")
else
	say "no real-kernel 8 GiB vmcore: $(tail -n 2 "$OUT/fixture.err")"
fi
if [ -n "${BENCH_INPUTS:-}" ]; then
	keep=()
	for i in "${INPUTS[@]}"; do
		[[ " $BENCH_INPUTS " == *" ${i%%|*} "* ]] && keep+=("$i")
	done
	INPUTS=("${keep[@]}")
fi

# --- one run -----------------------------------------------------------------
# run TOOL INPUT RAM CODEC E THREADS RUN VMCORE: one line of results.tsv
run() {
	local tool=$1 name=$2 ram=$3 codec=$4 e=$5 th=$6 r=$7 src=$8
	local dump=$OUT/$tool.dump log=$OUT/$tool.log tm=$OUT/$tool.time
	local opts="-$codec -d 31" vm
	[ "$e" = e ] && opts+=" -e"
	rm -rf "$dump" "$OUT/work"
	sync
	case $tool in
	vmemtrim)
		/usr/bin/time -f '%e %U %S %M' -o "$tm" "$VT" $opts \
			--num-threads "$th" --message-level 20 "$src" "$dump" \
			>"$log" 2>&1 ;;
	makedumpfile)
		mkdir -p "$OUT/work"
		[ "$e" = e ] && opts+=" --work-dir $OUT/work"
		# one thread: makedumpfile's default (no --num-threads), which
		# reads and compresses on one thread as vmemtrim does
		[ "$th" -gt 1 ] && opts+=" --num-threads $th"
		/usr/bin/time -f '%e %U %S %M' -o "$tm" makedumpfile $opts \
			"$src" "$dump" >"$log" 2>&1 ;;
	limit)
		/usr/bin/time -f '%e %U %S %M' -o "$tm" "$LIMIT" \
			"$([ "$codec" = l ] && echo lzo || echo zlib)" "$th" \
			"$src" "$OUT/vmemtrim.keep" >"$log" 2>&1 ;;
	esac
	local rc=$?
	vm=$(sed -n 's/.*Excluded \([0-9]*\) unused vmemmap pages.*/\1/p' \
		"$log" | head -n 1)
	local bytes=0
	[ -f "$dump" ] && bytes=$(stat -c %s "$dump")
	[ "$tool" = limit ] && bytes=$(sed -n 's/.* \([0-9]*\) compressed bytes/\1/p' "$log")
	# the figures are time's last line ("Command terminated by signal N"
	# or "exited with non-zero status" may come first)
	read -r wall user sys rss < <(tail -n 1 "$tm")
	printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$name" \
		"$ram" "$codec" "$e" "$tool" "$th" "$r" "$wall" \
		"$(awk -v u="$user" -v s="$sys" 'BEGIN { print u + s }')" \
		"$rss" "${bytes:-0}" "${vm:-0}" "$rc" >>"$TSV"
	[ $rc -eq 0 ] || say "$tool $opts $name: exit $rc: $(tail -n 2 "$log")"
}

# --- the matrix --------------------------------------------------------------
T0=$(date +%s)
for i in "${INPUTS[@]}"; do
	IFS='|' read -r name src ram <<<"$i"
	for codec in l c; do
		for e in e -; do
			say "$name -$codec -d 31 ${e/-/} ($RUNS runs each)"
			run vmemtrim "$name" "$ram" $codec $e 1 0 "$src"
			run makedumpfile "$name" "$ram" $codec $e 1 0 "$src"
			for r in $(seq "$RUNS"); do
				run vmemtrim "$name" "$ram" $codec $e 1 "$r" "$src"
				run makedumpfile "$name" "$ram" $codec $e 1 "$r" "$src"
			done
			# the limit row reads what vmemtrim's dump holds
			cp "$OUT/vmemtrim.dump" "$OUT/vmemtrim.keep" 2>/dev/null
			for r in 0 $(seq "$RUNS"); do
				run limit "$name" "$ram" $codec $e 1 "$r" "$src"
			done
			if [[ $name == idle-* && $codec == l && $e == e ]]; then
				for r in 0 $(seq "$RUNS"); do
					run vmemtrim "$name" "$ram" $codec $e 2 "$r" "$src"
					run makedumpfile "$name" "$ram" $codec $e 2 "$r" "$src"
					run limit "$name" "$ram" $codec $e 2 "$r" "$src"
				done
			fi
			if [[ $name == busy-* && $codec == c && $e == e ]]; then
				for r in 0 $(seq "$RUNS"); do
					run vmemtrim "$name" "$ram" $codec $e 2 "$r" "$src"
					run limit "$name" "$ram" $codec $e 2 "$r" "$src"
				done
			fi
		done
	done
done
rm -f "$OUT"/*.dump "$OUT/vmemtrim.keep"
say "matrix done in $(($(date +%s) - T0)) s"
REPORT=${BENCH_REPORT:-bench/RESULTS}
SVG=${BENCH_REPORT:+$BENCH_REPORT.svg}
/usr/bin/python3 bench/report.py "$TSV" "$REPORT.md" "${SVG:-bench/results.svg}" \
	"bench/run.sh (make bench) on commit $(git rev-parse --short HEAD 2>/dev/null || echo '?'), BENCH_RUNS=$RUNS${BENCH_INPUTS:+, BENCH_INPUTS=\"$BENCH_INPUTS\"}"
