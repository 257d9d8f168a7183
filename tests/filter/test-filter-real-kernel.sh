#!/bin/bash
# vmemtrim (the filter) on the real-kernel fixture's vmcores, judged by
# crash 8.0.2, libkdumpfile and makedumpfile 1.7.2.
#
# For every variant (2g, 2g-nokaslr, l5, hvo, 8g) vmemtrim writes
# `-l -d 31 -e` and `-l -d 31` dumps (on 2g also -c, -p, -z with -e), and
# makedumpfile writes its own `-l -d 31` and `-l -d 31 -e` as the peer.
# Asserts:
#  1. crash opens every vmemtrim -e dump with the vmlinux and the
#     crash-tasks module; sys (RELEASE, "[EXCLUDED VMEMMAP]" on DUMPFILE),
#     bt (sysrq_handle_crash), log (the sysrq panic), ps (init, memmix) and
#     kmem -i (TOTAL MEM) work, and their output equals crash's on the
#     source vmcore (but for DUMPFILE, and kmem -i's SHARED/BUFFERS, which
#     crash 8.0.x counts from struct pages);
#  2. the header (v6, codec bit, dump level 31) has EXCLUDED_VMEMMAP (0x10)
#     when vmemmap pages were dropped; every dumped page reads the same
#     from the dump and the vmcore through libkdumpfile; the report's
#     numbers add up and match the dump;
#  3. what -e dropped is only vmemmap pages all of whose struct pages
#     describe excluded pfns (page walk of the vmcore), and includes every
#     page makedumpfile -e drops (asserted on 2g-nokaslr, and on any variant
#     where makedumpfile's -e is sound; where it is broken, TAP notes say
#     how: aborts, drops nothing, drops pages it must not, crash fails);
#  4. vmemtrim-inspect --json --ranges on the -e dump: the missing struct
#     pages are exactly the groups whose vmemmap page is not dumped, and no
#     missing pfn is dumped;
#  5. `-F` then `-R` gives a file byte-identical to the direct dump (and so
#     does makedumpfile -R of the same stream); crash opens it;
#  6. vmemtrim -d 31 of its own -e dump keeps EXCLUDED_VMEMMAP and the same
#     dumped pfns, with the same page contents.
# Helpers: tests/filter/kdump_bitmaps.py (parses the dumps itself through
# tests/reader/check_inspect.py, reads pages with libkdumpfile).
#
# Usage: tests/filter/test-filter-real-kernel.sh   (from the repo root)
# Env: BUILD, VMEMTRIM_CACHE, CRASH (default crash), VMEMTRIM (default
# $BUILD/vmemtrim; e.g. VMEMTRIM=makedumpfile to try the test itself),
# FILTER_VARIANTS (default "2g 2g-nokaslr l5 hvo 8g").
set -uo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
cd "$ROOT" || exit 1
BUILD=${BUILD:-build}
export BUILD VMEMTRIM_CACHE=${VMEMTRIM_CACHE:-$HOME/.cache/vmemtrim}
CRASH=${CRASH:-crash}
PY=/usr/bin/python3
KB=$HERE/kdump_bitmaps.py
OUT=$BUILD/test-work/filter-real-kernel # not build/tests/filter: tools live there
read -r -a VARIANTS <<<"${FILTER_VARIANTS:-2g 2g-nokaslr l5 hvo 8g}"
CODEC_VARIANT=2g      # -c -p -z as well as -l
STREAM_VARIANT=2g-nokaslr
SUBSET_VARIANT=2g-nokaslr # makedumpfile -e is sound here: the subset is asserted

# shellcheck source=/dev/null
. "$ROOT/tests/lib/tap.sh"
now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", b - a }'; }
T0=$(now)
rm -rf "$OUT"
mkdir -p "$OUT"

# ------------------------------------------------------------ the programs
targets=("$BUILD/vmemtrim-inspect" "$BUILD/tests/crash-tasks.so")
if [ -z "${VMEMTRIM:-}" ]; then
	VMEMTRIM=$BUILD/vmemtrim
	targets+=("$VMEMTRIM")
fi
make -s "${targets[@]}" >"$OUT/make.log" 2>&1
if [ "${VMEMTRIM#*/}" = "$VMEMTRIM" ]; then
	VMEMTRIM=$(command -v "$VMEMTRIM" || echo "$VMEMTRIM")
fi
if [ ! -x "$VMEMTRIM" ]; then
	tap_fail "vmemtrim is built ($VMEMTRIM)" "$(tail -n 20 "$OUT/make.log")"
	tap_done
fi
tap_ok "vmemtrim is built ($VMEMTRIM)"
INSPECT=$BUILD/vmemtrim-inspect
TASKS=$(realpath "$BUILD/tests/crash-tasks.so" 2>/dev/null)
tap_check "vmemtrim-inspect and crash-tasks.so are built" \
	test -x "$INSPECT" -a -f "$TASKS"
tap_check "makedumpfile 1.7.2, crash and $PY with kdumpfile are installed" \
	sh -c "makedumpfile -v 2>&1 | grep -q 'version 1.7.2' &&
		command -v '$CRASH' >/dev/null &&
		'$PY' -c 'import kdumpfile'"

# -------------------------------------------------------------- the fixture
declare -A VMCORE
fixture_out=$OUT/fixture.out
if ! tests/kernel/fixture.sh "${VARIANTS[@]}" >"$fixture_out" \
	2>"$OUT/fixture.err"; then
	# Find which variants work: one call each.
	: >"$fixture_out"
	for v in "${VARIANTS[@]}"; do
		if ! tests/kernel/fixture.sh "$v" >>"$fixture_out" \
			2>"$OUT/fixture-$v.err"; then
			tap_fail "fixture: $v" "$(tail -n 5 "$OUT/fixture-$v.err")"
		fi
	done
fi
VMLINUX=$(awk '$1 == "vmlinux" { print $2; exit }' "$fixture_out")
for v in "${VARIANTS[@]}"; do
	VMCORE[$v]=$(awk -v k="vmcore-$v" '$1 == k { print $2 }' "$fixture_out")
done
have=()
for v in "${VARIANTS[@]}"; do
	[ -n "${VMCORE[$v]}" ] && [ -f "${VMCORE[$v]}" ] && have+=("$v")
done
if [ -z "$VMLINUX" ] || [ ${#have[@]} -eq 0 ]; then
	tap_fail "fixture: vmlinux and vmcores" "$(tail -n 5 "$OUT/fixture.err")"
	tap_done
fi
tap_ok "fixture: vmlinux and vmcores of ${have[*]}"
VARIANTS=("${have[@]}")
RELEASE=$(basename "$(dirname "$VMLINUX")")
has_variant() { [[ " ${VARIANTS[*]} " == *" $1 "* ]]; }

# ------------------------------------------------------------------ filters
# One job per output: NAME|VARIANT|TOOL|OPTIONS. TOOL vm = vmemtrim,
# md = makedumpfile; WORK is replaced by a fresh work directory.
JOBS=()
for v in "${VARIANTS[@]}"; do
	JOBS+=("vm-$v-l-e|$v|vm|-l -d 31 -e --work-dir WORK"
		"vm-$v-l|$v|vm|-l -d 31"
		"md-$v-l|$v|md|-l -d 31"
		"md-$v-l-e|$v|md|-l -d 31 -e --work-dir WORK")
	if [ "$v" = "$CODEC_VARIANT" ]; then
		# Without --work-dir: vmemtrim must not need one.
		JOBS+=("vm-$v-c-e|$v|vm|-c -d 31 -e"
			"vm-$v-p-e|$v|vm|-p -d 31 -e"
			"vm-$v-z-e|$v|vm|-z -d 31 -e"
			"vm-$v-l-e-t2|$v|vm|-l -d 31 -e --num-threads 2")
	fi
done

# run_filter NAME VARIANT TOOL OPTIONS: writes NAME.dump, NAME.rep
# (stdout), NAME.err (stderr), NAME.rc, NAME.time, NAME.cmd
run_filter() {
	local n=$1 v=$2 tool=$3 opts=$4 f=$OUT/$1.dump t
	rm -rf "$f" "$OUT/$n.work"
	mkdir -p "$OUT/$n.work"
	opts=${opts//WORK/$OUT/$n.work}
	local -a cmd
	if [ "$tool" = vm ]; then
		# shellcheck disable=SC2206
		cmd=("$VMEMTRIM" $opts --message-level 31 "${VMCORE[$v]}" "$f")
	else
		# shellcheck disable=SC2206
		cmd=(makedumpfile $opts --message-level 21 "${VMCORE[$v]}" "$f")
	fi
	echo "${cmd[*]}" >"$OUT/$n.cmd"
	t=$(now)
	timeout 300 "${cmd[@]}" >"$OUT/$n.rep" 2>"$OUT/$n.err"
	echo $? >"$OUT/$n.rc"
	elapsed "$t" "$(now)" >"$OUT/$n.time"
	cat "$OUT/$n.rep" "$OUT/$n.err" >"$OUT/$n.all"
}

# The -F stream, -R, and the re-filter of vmemtrim's own -e dump.
run_stream() { # VARIANT
	local n=vm-$1-stream t
	rm -f "$OUT/$n.stream" "$OUT/$n.dump" "$OUT/$n.mdR.dump"
	echo "$VMEMTRIM -l -d 31 -e -F ${VMCORE[$1]} > $OUT/$n.stream" \
		>"$OUT/$n.cmd"
	t=$(now)
	timeout 300 "$VMEMTRIM" -l -d 31 -e -F "${VMCORE[$1]}" \
		>"$OUT/$n.stream" 2>"$OUT/$n.err"
	echo $? >"$OUT/$n.rc"
	timeout 120 "$VMEMTRIM" -R "$OUT/$n.dump" <"$OUT/$n.stream" \
		>"$OUT/$n.R.out" 2>&1
	echo $? >"$OUT/$n.R.rc"
	elapsed "$t" "$(now)" >"$OUT/$n.time"
	# makedumpfile -R waits forever on a stream without its end mark.
	timeout 120 makedumpfile -R "$OUT/$n.mdR.dump" <"$OUT/$n.stream" \
		>"$OUT/$n.mdR.out" 2>&1
	echo $? >"$OUT/$n.mdR.rc"
}
run_refilter() { # VARIANT (after vm-VARIANT-l-e)
	local n=vm-$1-rf
	rm -f "$OUT/$n.dump"
	echo "$VMEMTRIM -l -d 31 --message-level 31 $OUT/vm-$1-l-e.dump $OUT/$n.dump" \
		>"$OUT/$n.cmd"
	timeout 300 "$VMEMTRIM" -l -d 31 --message-level 31 "$OUT/vm-$1-l-e.dump" \
		"$OUT/$n.dump" >"$OUT/$n.rep" 2>"$OUT/$n.err"
	echo $? >"$OUT/$n.rc"
}

two_at_a_time() { while [ "$(jobs -rp | wc -l)" -ge 2 ]; do wait -n; done; }

TF=$(now)
for j in "${JOBS[@]}"; do
	IFS='|' read -r n v tool opts <<<"$j"
	run_filter "$n" "$v" "$tool" "$opts" &
	two_at_a_time
done
has_variant "$STREAM_VARIANT" && { run_stream "$STREAM_VARIANT" & }
wait
for v in "${VARIANTS[@]}"; do
	run_refilter "$v" &
	two_at_a_time
done
wait
tap_note "filters, two at a time: $(elapsed "$TF" "$(now)") s"

# A full disk: -l -d 1 -e of the codec variant (about 300 MB) onto a 64 MiB
# tmpfs. Kernel memory (about 23 MB) is written first, so the dump left
# there (copied out before the unmount) must still serve crash.
FULL=vm-$CODEC_VARIANT-full
run_full_disk() {
	local mnt=$OUT/$FULL.mnt
	rm -f "$OUT/$FULL.dump"
	mkdir -p "$mnt"
	if ! mount -t tmpfs -o size=64m tmpfs "$mnt" 2>"$OUT/$FULL.err"; then
		echo mount >"$OUT/$FULL.rc"
		return
	fi
	"$VMEMTRIM" -l -d 1 -e "${VMCORE[$CODEC_VARIANT]}" "$mnt/dump" \
		>"$OUT/$FULL.rep" 2>"$OUT/$FULL.err"
	echo $? >"$OUT/$FULL.rc"
	ls -A "$mnt" >"$OUT/$FULL.ls"
	[ -f "$mnt/dump" ] && cp "$mnt/dump" "$OUT/$FULL.dump"
	umount "$mnt"
}
has_variant "$CODEC_VARIANT" && run_full_disk

# info NAME-OR-PATH: the KEY=VALUE facts of a dump, as "declare -A" input
declare -A INFO
info() { # NAME PATH: INFO[NAME.KEY]=VALUE
	local kv
	for kv in $($PY "$KB" info "$2" 2>"$OUT/$1.info.err"); do
		INFO[$1.${kv%%=*}]=${kv#*=}
	done
}
fget() { echo "${INFO[$1.$2]:-}"; }

# ------------------------------------------------------------ crash sessions
# One session per dump: the module, then every command between marks.
run_crash() { # NAME DUMP
	local out=$OUT/$1.crash
	{
		echo "extend $TASKS"
		echo "mark sys"; echo "sys"
		echo "mark bt"; echo "bt"
		echo "mark log"; echo "log"
		echo "mark ps"; echo "ps"
		echo "mark kmem-i"; echo "kmem -i"
		echo "mark end"
		echo q
	} >"$out.in"
	timeout 600 "$CRASH" -s "$VMLINUX" "$2" <"$out.in" >"$out" 2>&1
	echo $? >"$out.rc"
}
SESSIONS=()
for v in "${VARIANTS[@]}"; do
	SESSIONS+=("elf-$v|${VMCORE[$v]}")
	for j in "${JOBS[@]}"; do
		IFS='|' read -r n jv tool opts <<<"$j"
		[ "$jv" = "$v" ] || continue
		case $n in *-e) SESSIONS+=("$n|$OUT/$n.dump") ;; esac
	done
	[ "$v" = "$STREAM_VARIANT" ] &&
		SESSIONS+=("vm-$v-stream|$OUT/vm-$v-stream.dump")
	[ "$v" = "$CODEC_VARIANT" ] && SESSIONS+=("vm-$v-rf|$OUT/vm-$v-rf.dump"
		"$FULL|$OUT/$FULL.dump")
done
TC=$(now)
for s in "${SESSIONS[@]}"; do
	IFS='|' read -r n f <<<"$s"
	if [ -s "$f" ]; then
		run_crash "$n" "$f" &
		two_at_a_time
	fi
done
wait
tap_note "${#SESSIONS[@]} crash sessions, two at a time: $(elapsed "$TC" "$(now)") s"

# section FILE NAME: the lines between "=== NAME ===" and the next mark
section() {
	awk -v m="=== $2 ===" '$0 == m { on = 1; next } /^=== .* ===$/ { on = 0 } on' "$1"
}
# comparable NAME SECTION: what must equal crash's output on the vmcore
comparable() {
	case $2 in
	sys) section "$OUT/$1.crash" sys | grep -v '^ *DUMPFILE:' ;;
	kmem-i) section "$OUT/$1.crash" kmem-i | grep -v -E '^ *(SHARED|BUFFERS) ' ;;
	*) section "$OUT/$1.crash" "$2" ;;
	esac
}

# crash_ok NAME VARIANT: did crash work on this dump as on the vmcore?
# Prints nothing when it did, else why not (for makedumpfile's notes).
crash_verdict() {
	local n=$1 v=$2 c=$OUT/$1.crash bad=""
	[ -f "$c" ] || { echo "no session (no dump)"; return; }
	grep -q '^=== end ===$' "$c" || bad+="the session did not reach its end; "
	for s in sys bt log ps kmem-i; do
		cmp -s <(comparable "$n" $s) <(comparable "elf-$v" $s) ||
			bad+="$s differs from the vmcore's; "
	done
	echo "$bad"
}

# check_crash NAME VARIANT E: the asserts of point 1 (E=1: -e dump)
check_crash() {
	local n=$1 v=$2 e=$3 c=$OUT/$1.crash
	if [ ! -f "$c" ]; then
		tap_fail "$n: crash opens the dump" "no dump to open"
		return
	fi
	tap_check "$n: crash opens the dump and runs every command to the end" \
		grep -q '^=== end ===$' "$c"
	tap_check "$n: crash-tasks rebuilds the task table" \
		grep -q '^crash-tasks: [0-9]* tasks' "$c"
	tap_check "$n: sys shows RELEASE $RELEASE" \
		grep -q "^ *RELEASE: $RELEASE\$" <(section "$c" sys)
	if [ "$e" = 1 ]; then
		tap_check "$n: sys shows [EXCLUDED VMEMMAP] on the DUMPFILE line" \
			grep -q '^ *DUMPFILE: .*\[EXCLUDED VMEMMAP\]' <(section "$c" sys)
	fi
	tap_check "$n: bt of the panic task runs through sysrq_handle_crash" \
		grep -q ' sysrq_handle_crash at ' <(section "$c" bt)
	tap_check "$n: log has the sysrq panic" \
		grep -q 'sysrq: Trigger a crash' <(section "$c" log)
	section "$c" ps >"$c.ps"
	tap_check "$n: ps lists init and memmix" \
		test "$(grep -c -E ' init$' "$c.ps")" -ge 1 -a \
		"$(grep -c -E ' memmix$' "$c.ps")" -ge 1
	tap_check "$n: kmem -i prints TOTAL MEM" \
		grep -q '^ *TOTAL MEM ' <(section "$c" kmem-i)
	for s in sys bt log ps kmem-i; do
		local what="$s output equals crash's on the vmcore"
		case $s in
		sys) what+=" (but DUMPFILE)" ;;
		kmem-i) what+=" (but SHARED, BUFFERS)" ;;
		esac
		if diff <(comparable "elf-$v" $s) <(comparable "$n" $s) \
			>"$c.$s.diff"; then
			tap_ok "$n: $what"
		else
			tap_fail "$n: $what" "$(head -n 8 "$c.$s.diff")"
		fi
	done
}

# py_tap CMD...: a checker that prints TAP lines itself; one that dies
# without reporting a failure is a failure.
py_tap() {
	local out rc
	out=$("$@" 2>&1)
	rc=$?
	printf '%s\n' "$out"
	if [ $rc -ne 0 ] && ! printf '%s\n' "$out" | grep -q '^not ok'; then
		tap_fail "checker exited $rc without a result: $*" \
			"$(printf '%s\n' "$out" | tail -n 5)"
	fi
	TAP_FAILED=$((TAP_FAILED + $(printf '%s\n' "$out" | grep -c '^not ok')))
}

status_bit() { # CODEC
	case $1 in c) echo 1 ;; l) echo 2 ;; p) echo 4 ;; z) echo 32 ;; esac
}

# check_run NAME: the filter run exited 0 and wrote a dump
check_run() {
	local n=$1
	if [ "$(cat "$OUT/$n.rc" 2>/dev/null)" = 0 ] && [ -s "$OUT/$n.dump" ]; then
		tap_ok "$n: $(cat "$OUT/$n.cmd") ($(cat "$OUT/$n.time") s)"
		return 0
	fi
	tap_fail "$n: $(cat "$OUT/$n.cmd")" \
		"exit status $(cat "$OUT/$n.rc" 2>/dev/null)" \
		"$(grep -v '^STEP' "$OUT/$n.all" 2>/dev/null | tail -n 8)"
	return 1
}

# check_header NAME CODEC E: header v6, codec bit, level 31, 0x10 iff E
check_header() {
	local n=$1 st want
	info "$n" "$OUT/$n.dump"
	st=$(fget "$n" status)
	if [ -z "$st" ]; then
		tap_fail "$n: the dump parses as kdump-compressed" \
			"$(cat "$OUT/$n.info.err")"
		return 1
	fi
	want=$(status_bit "$2")
	tap_eq "$n: header version 6, dump level 31, complete, not flattened" \
		"6 31 0 0" "$(fget "$n" version) $(fget "$n" level) $(fget "$n" not_written) $(fget "$n" flattened)"
	tap_eq "$n: status has the -$2 codec bit ($want) and only it" \
		"$want" "$((st & 0x27))"
	tap_eq "$n: status has EXCLUDED_VMEMMAP (0x10) iff -e dropped pages" \
		"$3" "$(((st >> 4) & 1))"
	tap_eq "$n: status has no COMPRESSED_INCOMPLETE (0x8)" 0 "$(((st >> 3) & 1))"
	tap_eq "$n: utsname release is $RELEASE" "$RELEASE" "$(fget "$n" release)"
}

# --------------------------------------------------------------- the checks
for v in "${VARIANTS[@]}"; do
	tap_note "=== $v: ${VMCORE[$v]}"
	vmc=${VMCORE[$v]}
	tap_check "elf-$v: crash opens the source vmcore (the reference session)" \
		grep -q '^=== end ===$' "$OUT/elf-$v.crash"

	# vmemtrim's dumps: points 1, 2.
	codecs=(l)
	[ "$v" = "$CODEC_VARIANT" ] && codecs=(l c p z)
	for c in "${codecs[@]}"; do
		n=vm-$v-$c-e
		check_run "$n" || continue
		check_header "$n" "$c" 1
		py_tap $PY "$KB" report --name "$n" --e --err "$OUT/$n.err" \
			"$OUT/$n.rep" "$OUT/$n.dump"
		py_tap $PY "$KB" readcmp --name "$n" "$vmc" "$OUT/$n.dump"
		check_crash "$n" "$v" 1
	done
	if [ "$v" = "$CODEC_VARIANT" ] && check_run "vm-$v-l-e-t2"; then
		tap_check "vm-$v-l-e-t2: --num-threads 2 writes the same bytes as 1 thread" \
			cmp "$OUT/vm-$v-l-e-t2.dump" "$OUT/vm-$v-l-e.dump"
	fi
	n=vm-$v-l
	if check_run "$n"; then
		check_header "$n" l 0
		py_tap $PY "$KB" report --name "$n" --err "$OUT/$n.err" \
			"$OUT/$n.rep" "$OUT/$n.dump"
		py_tap $PY "$KB" readcmp --name "$n" "$vmc" "$OUT/$n.dump"
	fi

	# makedumpfile, the peer: its -d 31 must work; its -e may not.
	check_run "md-$v-l"
	me=md-$v-l-e
	mrc=$(cat "$OUT/$me.rc")
	mdf_e=$OUT/$me.dump
	mdf_crash=ok
	if [ "$mrc" != 0 ] || [ ! -s "$mdf_e" ]; then
		tap_note "$v: makedumpfile -e fails (exit $mrc): $(grep -v '^STEP' "$OUT/$me.all" | grep -i -E 'abort|error|fail|not ' | head -n 3 | tr '\n' ' ')"
		mdf_e=-
		mdf_crash=fail
	else
		info "$me" "$mdf_e"
		why=$(crash_verdict "$me" "$v")
		if [ -n "$why" ]; then
			mdf_crash=fail
			tap_note "$v: crash on makedumpfile's -e dump: $why"
			tap_note "$v:   $(grep -m 2 -E '^crash: |^WARNING|cannot|invalid' "$OUT/$me.crash" | tr '\n' ' ')"
		else
			tap_note "$v: crash on makedumpfile's -e dump works as on the vmcore"
		fi
		tap_note "$v: makedumpfile -e: status $(fget "$me" status), says: $(grep -h -o -E 'Excluded [0-9]* unused vmemmap pages|vmemmap pmd not huge, abort|Can.t find vmemmap pages' "$OUT/$me.all" | sed 's/.*/"&"/' | tr '\n' ' ')"
	fi

	# Point 3: what -e dropped.
	if [ -s "$OUT/vm-$v-l.dump" ] && [ -s "$OUT/vm-$v-l-e.dump" ] &&
		[ -s "$OUT/md-$v-l.dump" ]; then
		mode=auto
		[ "$v" = "$SUBSET_VARIANT" ] && mode=assert
		py_tap $PY "$KB" vmemmap --name "$v" --mdf-subset "$mode" \
			--mdf-crash "$mdf_crash" --report "$OUT/vm-$v-l-e.all" \
			"$vmc" "$OUT/vm-$v-l.dump" "$OUT/vm-$v-l-e.dump" \
			"$OUT/md-$v-l.dump" "$mdf_e"
	else
		tap_fail "$v: the -e comparison has its dumps"
	fi

	# Point 4: vmemtrim-inspect on the -e dump.
	n=vm-$v-l-e
	if [ -s "$OUT/$n.dump" ]; then
		if "$INSPECT" --json --ranges "$OUT/$n.dump" >"$OUT/$n.inspect.json" \
			2>"$OUT/$n.inspect.err"; then
			py_tap $PY "$KB" missing --name "$n" "$OUT/$n.inspect.json" \
				"$vmc" "$OUT/$n.dump"
		else
			tap_fail "$n: vmemtrim-inspect --json --ranges" \
				"$(cat "$OUT/$n.inspect.err")"
		fi
	fi

	# Point 5: -F stream and -R.
	if [ "$v" = "$STREAM_VARIANT" ]; then
		n=vm-$v-stream
		tap_eq "$n: $(cat "$OUT/$n.cmd") exits 0" 0 "$(cat "$OUT/$n.rc")"
		tap_eq "$n: the stream starts with makedumpfile's flattened signature" \
			makedumpfile "$(head -c 12 "$OUT/$n.stream")"
		tap_eq "$n: vmemtrim -R DUMPFILE < stream exits 0" 0 "$(cat "$OUT/$n.R.rc")"
		tap_check "$n: -R's file is byte-identical to the direct -l -d 31 -e dump" \
			cmp "$OUT/$n.dump" "$OUT/vm-$v-l-e.dump"
		tap_check "$n: makedumpfile -R of the same stream exits 0 with the same bytes" \
			sh -c "[ \"\$(cat '$OUT/$n.mdR.rc')\" = 0 ] &&
				cmp '$OUT/$n.mdR.dump' '$OUT/vm-$v-l-e.dump'"
		check_crash "$n" "$v" 1
	fi

	# Point 6: re-filtering vmemtrim's own -e dump.
	n=vm-$v-rf
	if [ "$(cat "$OUT/$n.rc")" = 0 ] && [ -s "$OUT/$n.dump" ]; then
		tap_ok "$n: $(cat "$OUT/$n.cmd")"
		info "$n" "$OUT/$n.dump"
		tap_eq "$n: the re-filtered dump keeps EXCLUDED_VMEMMAP" 1 \
			"$((($(fget "$n" status) >> 4) & 1))"
		tap_eq "$n: it dumps exactly the pfns of the -e dump (2nd bitmap, zero pages)" \
			"$(fget "vm-$v-l-e" b2) $(fget "vm-$v-l-e" zero)" \
			"$(fget "$n" b2) $(fget "$n" zero)"
		tap_eq "$n: same 1st bitmap and max_pfn as the -e dump" \
			"$(fget "vm-$v-l-e" b1) $(fget "vm-$v-l-e" max_pfn)" \
			"$(fget "$n" b1) $(fget "$n" max_pfn)"
		py_tap $PY "$KB" readcmp --name "$n" "$vmc" "$OUT/$n.dump"
		[ "$v" = "$CODEC_VARIANT" ] && check_crash "$n" "$v" 1
	else
		tap_fail "$n: $(cat "$OUT/$n.cmd")" \
			"exit status $(cat "$OUT/$n.rc")" "$(tail -n 5 "$OUT/$n.err")"
	fi
done

# A full disk leaves an INCOMPLETE dump that crash and inspect open.
if has_variant "$CODEC_VARIANT"; then
	n=$FULL
	tap_eq "$n: vmemtrim on a full disk exits 2 (makedumpfile's NOSPACE)" \
		2 "$(cat "$OUT/$n.rc")"
	tap_eq "$n: it says so in one line naming the dump" 1 \
		"$(grep -c 'dump: No space left on device.*marked incomplete' \
			"$OUT/$n.err")"
	tap_eq "$n: the dump is left under its final name, no temporary file" \
		dump "$(cat "$OUT/$n.ls")"
	if [ -s "$OUT/$n.dump" ]; then
		info "$n" "$OUT/$n.dump"
		tap_eq "$n: the header says INCOMPLETE and EXCLUDED_VMEMMAP" 1 \
			"$((($(fget "$n" status) >> 3) & ($(fget "$n" status) >> 4) & 1))"
		tap_check "$n: vmemtrim-inspect opens it and says INCOMPLETE" \
			sh -c "'$INSPECT' '$OUT/$n.dump' | grep -q INCOMPLETE"
		tap_check "$n: crash opens it and runs every command to the end" \
			grep -q '^=== end ===$' "$OUT/$n.crash"
		tap_check "$n: crash's sys shows RELEASE $RELEASE" \
			grep -q "^ *RELEASE: $RELEASE\$" <(section "$OUT/$n.crash" sys)
		tap_check "$n: crash's log has the sysrq panic" \
			grep -q 'sysrq: Trigger a crash' <(section "$OUT/$n.crash" log)
		tap_check "$n: crash's bt runs through sysrq_handle_crash" \
			grep -q ' sysrq_handle_crash at ' <(section "$OUT/$n.crash" bt)
		tap_check "$n: crash's ps lists init" \
			grep -q -E ' init$' <(section "$OUT/$n.crash" ps)
	else
		tap_fail "$n: a dump is left on the full disk"
	fi
fi

tap_note "whole test $(elapsed "$T0" "$(now)") s"
tap_done
