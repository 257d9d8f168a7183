#!/bin/bash
# The crash extension (build/vmemtrim.so) on the real-kernel fixture's
# dumps (makedumpfile's and vmemtrim's, with and without -e, and the ELF
# vmcore), driven through crash 8.0.2 in batch mode. For every dump, one
# session with the extension and one without run the same commands; the
# outputs are compared section by section (=== NAME === marks).
#
# Asserts: vmemmap -r = vmemtrim-inspect --ranges = libkdumpfile's own
# answer (missing_struct_pages.py); vmemmap -j = vmemtrim-inspect --json
# --ranges (all but "tool" and inspect's own log and verdict); marked
# kmem -p lines = missing pfns; loading prints inspect's verdict (whole;
# damaged on the vmcore with _stext's page dropped); every guarded command
# warns exactly once on a dump lacking struct pages and its output is
# otherwise crash's own; on other dumps nothing else changes at all;
# a FATAL inside a guarded command leaves crash sane; extend -u gives back
# crash's kmem; crash exits 0 every time.
#
# Usage: tests/extension/test-crash-extension.sh   (from the repo root)
# Env: BUILD, VMEMTRIM_CACHE, CRASH (default crash).
set -uo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
cd "$ROOT" || exit 1
BUILD=${BUILD:-build}
export BUILD VMEMTRIM_CACHE=${VMEMTRIM_CACHE:-$HOME/.cache/vmemtrim}
CRASH=${CRASH:-crash}
PY=/usr/bin/python3
OUT=$BUILD/tests/extension

# shellcheck source=/dev/null
. "$ROOT/tests/lib/tap.sh"
now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", b - a }'; }
T0=$(now)
mkdir -p "$OUT"

make -s "$BUILD/vmemtrim.so" "$BUILD/vmemtrim-inspect" "$BUILD/vmemtrim" \
	"$BUILD/tests/crash-tasks.so" >"$OUT/make.log" 2>&1
tap_check "vmemtrim.so, vmemtrim-inspect and crash-tasks.so build" \
	test -f "$BUILD/vmemtrim.so" -a -f "$BUILD/tests/crash-tasks.so"
SO=$(realpath "$BUILD/vmemtrim.so")
TASKS=$(realpath "$BUILD/tests/crash-tasks.so")
INSPECT=$BUILD/vmemtrim-inspect

if ! tests/kernel/fixture.sh 2g-nokaslr 2g >"$OUT/fixture.out" \
	2>"$OUT/fixture.err"; then
	tap_fail "fixture 2g-nokaslr 2g" "$(tail -n 5 "$OUT/fixture.err")"
	tap_done
fi
VMLINUX=$(awk '$1 == "vmlinux" { print $2 }' "$OUT/fixture.out")
NOKASLR=$(awk '$1 == "vmcore-2g-nokaslr" { print $2 }' "$OUT/fixture.out")
KASLR=$(awk '$1 == "vmcore-2g" { print $2 }' "$OUT/fixture.out")
tap_ok "fixture: vmlinux and the 2g-nokaslr, 2g vmcores"

# --------------------------------------------------------------- the dumps
# NAME|VMCORE|HOW: HOW is a makedumpfile or vmemtrim command line (OUT is
# the output, IN the vmcore), or "raw" for the ELF vmcore itself.
DUMPS=(
	"me-nokaslr|$NOKASLR|makedumpfile -l -d 31 -e --work-dir WORK IN OUT"
	"me-kaslr|$KASLR|makedumpfile -l -d 31 -e --work-dir WORK IN OUT"
	"vt-nokaslr|$NOKASLR|$BUILD/vmemtrim -l -d 31 -e IN OUT"
	"vt-kaslr|$KASLR|$BUILD/vmemtrim -z -d 31 -e IN OUT"
	"vt31-kaslr|$KASLR|$BUILD/vmemtrim -l -d 31 IN OUT"
	"d31-nokaslr|$NOKASLR|makedumpfile -l -d 31 IN OUT"
	"elf-nokaslr|$NOKASLR|raw"
)
declare -A PATHOF
NAMES=()
for d in "${DUMPS[@]}"; do
	IFS='|' read -r name vmcore how <<<"$d"
	NAMES+=("$name")
	if [ "$how" = raw ]; then
		PATHOF[$name]=$vmcore
		continue
	fi
	f=$OUT/$name.dump
	rm -rf "$f" "$OUT/$name.work"
	mkdir -p "$OUT/$name.work"
	cmd=${how//WORK/$OUT/$name.work}
	cmd=${cmd//IN/$vmcore}
	cmd=${cmd//OUT/$f}
	$cmd >"$OUT/$name.mkd.log" 2>&1
	tap_check "$name: $cmd" test -s "$f"
	PATHOF[$name]=$f
done

# The facts each session needs, from vmemtrim-inspect; the checks below
# prove them against crash and libkdumpfile.
declare -A MISSING BASE FIRST
for n in "${NAMES[@]}"; do
	f=${PATHOF[$n]}
	"$INSPECT" --json --ranges "$f" >"$OUT/$n.inspect.json"
	"$INSPECT" --ranges "$f" >"$OUT/$n.inspect.txt"
	read -r "MISSING[$n]" "BASE[$n]" "FIRST[$n]" < <($PY - "$OUT/$n.inspect.json" <<'EOF'
import json, sys
j = json.load(open(sys.argv[1]))
r = j["ranges"]
print(j["struct_pages"]["missing_pfns"], j["vmcoreinfo"]["vmemmap_base"],
      hex(r[0]["start_pfn"]) if r else "0x140")
EOF
)
done

# Per vmcore: page_offset_base and an inode, for vtop and files -p.
declare -A POB INODE
prepass() { # VMCORE-NAME DUMP
	{
		echo "extend $TASKS"
		echo "p/x page_offset_base"
		echo "p init_task.fs->pwd.dentry->d_inode"
		echo q
	} | timeout 300 "$CRASH" -s "$VMLINUX" "$2" >"$OUT/pre-$1.out" 2>&1
}
prepass nokaslr "${PATHOF[d31-nokaslr]}" &
prepass kaslr "${PATHOF[me-kaslr]}" &
wait
for v in nokaslr kaslr; do
	POB[$v]=$(sed -n 's/^\$[0-9]* = \(0x[0-9a-f]*\)$/\1/p' "$OUT/pre-$v.out" | head -n 1)
	INODE[$v]=$(sed -n 's/^.*(struct inode \*) 0x\([0-9a-f]*\)$/\1/p' "$OUT/pre-$v.out" | head -n 1)
done
tap_check "crash tells page_offset_base and an inode of both vmcores" \
	test -n "${POB[nokaslr]}" -a -n "${POB[kaslr]}" -a \
	-n "${INODE[nokaslr]}" -a -n "${INODE[kaslr]}"

# ---------------------------------------------------------------- sessions
# The guarded commands, the same in both sessions: NAME|COMMAND.
guarded_cmds() { # DUMP-NAME
	local n=$1 v=nokaslr first page present paddr
	case "$n" in *-kaslr) v=kaslr ;; esac
	first=${FIRST[$n]}
	page=$(printf '%x' $((BASE[$n] + first * 64)))
	present=$(printf '%x' $((BASE[$n] + 0x1000 * 64)))
	paddr=$(printf '%x' $((POB[$v] + first * 4096)))
	cat <<EOF
kmem-p-one|kmem -p $page
kmem-p-present|kmem -p $present
kmem-m|kmem -m flags,_refcount $page
kmem-P|kmem -p -P $(printf '%x' $((first * 4096)))
kmem-i|kmem -i
kmem-f|kmem -f
kmem-addr|kmem $page
vtop|vtop $paddr
files-p|files -p ${INODE[$v]}
rd-S|rd -S $page 4
bt-F|bt -F
kmem-n|kmem -n
kmem-bad|kmem -p zzz
EOF
}

run_session() { # DUMP-NAME ext|plain
	local n=$1 kind=$2 out=$OUT/$1.$2.out
	{
		echo "extend $TASKS"
		if [ "$kind" = ext ]; then
			echo "extend $SO"
			echo "mark vmemmap"; echo "vmemmap"
			echo "mark vmemmap-r"; echo "vmemmap -r"
			echo "mark vmemmap-j"; echo "vmemmap -j"
			echo "mark vmemmap-p"; echo "vmemmap -p ${FIRST[$n]}"
		fi
		echo "mark kmem-p-all"; echo "kmem -p"
		guarded_cmds "$n" | while IFS='|' read -r name cmd; do
			echo "mark $name"; echo "$cmd"
		done
		# After the FATAL of kmem-bad: crash must be sane again.
		echo "mark after-fatal"; echo "help -p"
		echo "mark after-fatal-kmem-i"; echo "kmem -i"
		if [ "$kind" = ext ]; then
			echo "mark unload"; echo "extend -u $SO"
		else
			echo "mark unload"
		fi
		echo "mark unloaded-kmem-i"; echo "kmem -i"
		echo "mark unloaded-kmem-p"; echo "kmem -p $(guarded_cmds "$n" | sed -n 's/^kmem-p-one|kmem -p //p')"
		echo "mark unloaded-help"; echo "help kmem"
		echo "mark end"
		echo q
	} >"$out.in"
	timeout 600 "$CRASH" -s "$VMLINUX" "${PATHOF[$n]}" <"$out.in" >"$out" 2>&1
	echo $? >"$out.rc"
}

TC=$(now)
for n in "${NAMES[@]}"; do
	for kind in ext plain; do
		run_session "$n" "$kind" &
		while [ "$(jobs -rp | wc -l)" -ge 2 ]; do wait -n; done
	done
done
wait
tap_note "crash sessions, two at a time: $(elapsed "$TC" "$(now)") s"

# section FILE NAME: the lines between "=== NAME ===" and the next mark
section() {
	awk -v m="=== $2 ===" '$0 == m { on = 1; next } /^=== .* ===$/ { on = 0 } on' "$1"
}
# crash's own output back from the guarded one: no WARNING line of ours,
# no explanation, no mark.
unguard() {
	grep -v -E '^WARNING: [0-9]+ pfns in [0-9]+ ranges lack struct page data' |
		awk '/^vmemmap: [0-9a-f]+ is in the struct page of pfn / { skip = 2 }
		     skip { skip--; next } { print }' |
		sed 's/ \[struct page excluded\]$//'
}

for n in "${NAMES[@]}"; do
	e=$OUT/$n.ext.out p=$OUT/$n.plain.out m=${MISSING[$n]}
	tap_note "--- $n: ${PATHOF[$n]} ($m pfns lack struct page data)"
	tap_eq "$n: crash exits 0 with the extension" 0 "$(cat "$e.rc")"
	tap_eq "$n: crash exits 0 without it" 0 "$(cat "$p.rc")"
	tap_check "$n: both sessions ran to the end" \
		grep -q '^=== end ===$' "$e" "$p"
	tap_check "$n: the extension loads" \
		grep -q "vmemtrim.so: shared object loaded" "$e"

	# vmemmap -r against vmemtrim-inspect --ranges and libkdumpfile.
	section "$e" vmemmap-r | awk '$1 ~ /^[0-9a-f]+$/ && $2 ~ /^[0-9a-f]+$/ { print $1, $2, $3 }' >"$e.ranges"
	awk '/^  0x/ { print $1, $2, $3 }' "$OUT/$n.inspect.txt" |
		while read -r a b c; do printf '%x %x %d\n' "$a" "$b" "$c"; done \
		>"$OUT/$n.inspect.ranges"
	$PY "$HERE/missing_struct_pages.py" "$VMLINUX" "${PATHOF[$n]}" \
		--check-data >"$OUT/$n.kdumpfile" 2>&1
	kst=$?
	awk 'NF == 2 && $1 ~ /^[0-9a-f]+$/ { print $1, $2 }' "$OUT/$n.kdumpfile" |
		while read -r a b; do echo "$a $b $((0x$b - 0x$a))"; done \
		>"$OUT/$n.kdumpfile.ranges"
	tap_check "$n: vmemmap -r equals vmemtrim-inspect --ranges ($(wc -l <"$e.ranges") ranges)" \
		diff "$OUT/$n.inspect.ranges" "$e.ranges"
	tap_check "$n: vmemmap -r equals libkdumpfile's unreadable vmemmap pages" \
		diff "$OUT/$n.kdumpfile.ranges" "$e.ranges"
	tap_check "$n: no pfn lacking its struct page has its own data in the dump (-e is sound)" \
		test "$kst" = 0
	tap_eq "$n: vmemmap -r total equals inspect's missing_pfns" \
		"TOTAL: $m pfns" "$(section "$e" vmemmap-r | grep -o '^TOTAL: [0-9]* pfns')"
	tap_check "$n: vmemmap summary says $m missing pfns" \
		grep -q "MISSING STRUCT PAGES: $m pfns" <(section "$e" vmemmap)

	section "$e" vmemmap-j >"$e.json"
	tap_check "$n: vmemmap -j equals vmemtrim-inspect --json --ranges but for \"tool\"" \
		$PY -c 'import json,sys
a = json.load(open(sys.argv[1])); b = json.load(open(sys.argv[2]))
t = a.pop("tool"); b.pop("tool")
for k in ("log", "log_error", "verdict", "verdict_error"):
    b.pop(k, None)  # vmemtrim-inspect only (docs/inspect-json.md)
sys.exit(not (a == b and t.startswith("vmemtrim.so")))' "$e.json" "$OUT/$n.inspect.json"
	want=$($PY -c 'import json,sys
v = json.load(open(sys.argv[1]))["verdict"]
print("vmemtrim: dump: whole" if v["dump"] == "whole" else
      "vmemtrim: dump: damaged (%d findings: " % v["findings"])' "$OUT/$n.inspect.json")
	tap_check "$n: loading prints the verdict of vmemtrim-inspect (${want#vmemtrim: dump: })" \
		grep -qF "$want" <(grep '^vmemtrim: dump: ' "$e")

	marked=$(section "$e" kmem-p-all | grep -c '^[0-9a-f]* .* \[struct page excluded\]$')
	tap_eq "$n: kmem -p marks one line per missing pfn" "$m" "$marked"

	if [ "$m" -gt 0 ]; then
		tap_check "$n: vmemmap -p ${FIRST[$n]} says its struct page is excluded" \
			grep -q '^ *STRUCT PAGE: excluded' <(section "$e" vmemmap-p)
		tap_check "$n: loading says the commands are guarded" \
			grep -q "^vmemtrim: $m pfns in .* guarded" "$e"
		bad=""
		for s in kmem-p-all $(guarded_cmds "$n" | cut -d'|' -f1); do
			w=$(section "$e" "$s" | grep -c -E '^WARNING: [0-9]+ pfns in [0-9]+ ranges lack')
			want=1
			[ "$s" = kmem-n ] && want=0 # no struct page read
			[ "$w" = "$want" ] || bad+="$s warned $w times; "
			if ! diff <(section "$e" "$s" | unguard) <(section "$p" "$s") >"$e.$s.diff"; then
				bad+="$s differs from crash's own output; "
			fi
		done
		tap_eq "$n: each guarded command warns once, else prints crash's own output" \
			"" "$bad"
		tap_check "$n: kmem -f's stop on a missing struct page is explained" \
			grep -q '^vmemmap: [0-9a-f]* is in the struct page of pfn .*kmem stops here' \
			<(section "$e" kmem-f | tr -d '\n' | sed 's/vmemmap:/\nvmemmap:/g')
		tap_check "$n: kmem -p of a missing struct page is marked" \
			grep -q '^[0-9a-f]* .* \[struct page excluded\]$' <(section "$e" kmem-p-one)
		tap_check "$n: kmem -p of a present struct page is not marked" \
			test -z "$(section "$e" kmem-p-present | grep '^[0-9a-f]* .* \[struct page excluded\]$')"
	else
		tap_check "$n: nothing printed at load but the verdict and crash's own line" \
			test -z "$(grep '^vmemtrim:' "$e" | grep -v '^vmemtrim: dump: whole$')"
		bad=""
		for s in kmem-p-all $(guarded_cmds "$n" | cut -d'|' -f1); do
			cmp -s <(section "$e" "$s") <(section "$p" "$s") || bad+="$s "
		done
		tap_eq "$n: every command's output is byte-identical to crash without the extension" "" "$bad"
	fi
	tap_check "$n: after a FATAL in a guarded command, errors go the default way again" \
		grep -q '^ *error_path: default$' <(section "$e" after-fatal)
	tap_check "$n: after that FATAL, kmem -i is crash's own (but for the warning)" \
		diff <(section "$e" after-fatal-kmem-i | unguard) <(section "$p" after-fatal-kmem-i)
	tap_check "$n: extend -u unloads the extension" \
		grep -q 'vmemtrim.so: shared object unloaded' <(section "$e" unload)
	for s in unloaded-kmem-i unloaded-kmem-p unloaded-help; do
		tap_check "$n: after extend -u, ${s#unloaded-} is byte-identical to crash's own" \
			cmp -s <(section "$e" "$s") <(section "$p" "$s")
	done
done

# A damaged dump: the 2g-nokaslr vmcore with the page of _stext dropped
# (tests/reader/elf_drop.py); crash opens it, the extension says so.
dmg=$OUT/damaged-image.vmcore
cp --sparse=always "$NOKASLR" "$dmg"
if pfn=$($PY tests/reader/elf_drop.py "$dmg" image 2>"$OUT/drop.err"); then
	printf 'extend %s\nq\n' "$SO" |
		timeout 300 "$CRASH" -s "$VMLINUX" "$dmg" >"$OUT/damaged.out" 2>&1
	tap_check "damaged (_stext page $pfn dropped): loading says dump: damaged (1 findings: kernel-image 1)" \
		grep -qF "vmemtrim: dump: damaged (1 findings: kernel-image 1); vmemtrim-inspect $dmg names them" \
		"$OUT/damaged.out"
else
	tap_fail "elf_drop.py image" "$(cat "$OUT/drop.err")"
fi
rm -f "$dmg"

tap_note "whole test $(elapsed "$T0" "$(now)") s"
tap_done
