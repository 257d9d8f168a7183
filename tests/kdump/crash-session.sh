# shellcheck shell=bash
# crash 8.0.2 in batch mode for the tests of tests/kdump/ (sourced; needs
# tests/lib/tap.sh, CRASH, VMLINUX and TASKS, the crash-tasks module: crash
# 8.0.2 misreads this kernel's pid hash, see docs/real-kernel-fixture.md).

# run_crash OUT DUMP [EXTRA-COMMAND...]: one session, its output in OUT;
# the extra commands run first (after the task module), each in its own
# "=== extraN ===" section.
run_crash() {
	local out=$1 dump=$2 i=0 c
	shift 2
	{
		echo "extend $TASKS"
		for c in "$@"; do
			echo "mark extra$i"
			echo "$c"
			i=$((i + 1))
		done
		echo "mark sys"; echo "sys"
		echo "mark bt"; echo "bt"
		echo "mark log"; echo "log"
		echo "mark ps"; echo "ps"
		echo "mark end"
		echo q
	} >"$out.in"
	timeout 600 "${CRASH:-crash}" -s "$VMLINUX" "$dump" <"$out.in" \
		>"$out" 2>&1
	echo $? >"$out.rc"
}

# section FILE NAME: the lines between "=== NAME ===" and the next mark
section() {
	awk -v m="=== $2 ===" '$0 == m { on = 1; next } /^=== .* ===$/ { on = 0 } on' "$1"
}

# check_crash NAME OUT RELEASE MEMORY FLAGS: the session in OUT opened the
# dump and the kernel's state reads back. MEMORY is crash's "MEMORY:"
# value (e.g. "8 GB"); FLAGS the exact flags crash prints after the
# DUMPFILE name (e.g. "[PARTIAL DUMP] [EXCLUDED VMEMMAP]").
check_crash() {
	local n=$1 c=$2 rel=$3 mem=$4 flags=$5
	tap_check "$n: crash opens the dump and runs every command to the end" \
		grep -q '^=== end ===$' "$c"
	tap_check "$n: crash-tasks rebuilds the task table" \
		grep -q '^crash-tasks: [0-9]* tasks' "$c"
	tap_eq "$n: sys shows RELEASE $rel" "$rel" \
		"$(section "$c" sys | sed -n 's/^ *RELEASE: //p')"
	tap_eq "$n: sys shows MEMORY $mem" "$mem" \
		"$(section "$c" sys | sed -n 's/^ *MEMORY: //p')"
	tap_eq "$n: sys's DUMPFILE line says $flags" "$flags" \
		"$(section "$c" sys | sed -n 's/^ *DUMPFILE: [^ ]*  *//p')"
	tap_check "$n: bt of the panic task runs through sysrq_handle_crash" \
		grep -q ' sysrq_handle_crash at ' <(section "$c" bt)
	tap_check "$n: log has the sysrq panic" \
		grep -q 'sysrq: Trigger a crash' <(section "$c" log)
	section "$c" ps >"$c.ps"
	tap_check "$n: ps lists init and memmix" \
		sh -c "grep -q -E ' init\$' '$c.ps' && grep -q -E ' memmix\$' '$c.ps'"
}

# check_installed NAME BINDIR EXTDIR VMCORE OUT MEMORY: installed programs
# and crash module at work (needs RELEASE too). BINDIR/vmemtrim writes a
# -l -d 31 -e dump of VMCORE (OUT/dump) that BINDIR/vmemtrim-inspect reads
# (EXCLUDED_VMEMMAP, RELEASE, a count of missing struct pages); crash, in
# an empty directory with CRASH_EXTENSIONS=EXTDIR, loads
# EXTDIR/vmemtrim.so by bare name (`extend vmemtrim.so`), its load line
# and `vmemmap` count what vmemtrim-inspect counts, and the dump reads back
# (check_crash; MEMORY as there). Its locals avoid tap.sh's names (out).
check_installed() {
	local n=$1 bin=$2 extdir=$3 vmcore=$4 o=$5 mem=$6 counts c
	"$bin/vmemtrim" -l -d 31 -e "$vmcore" "$o/dump" >"$o/vmemtrim.log" 2>&1
	tap_eq "$n: vmemtrim -l -d 31 -e VMCORE DUMP exits 0" 0 "$?"
	"$bin/vmemtrim-inspect" "$o/dump" >"$o/inspect.txt" 2>&1
	tap_eq "$n: vmemtrim-inspect reads it" 0 "$?"
	tap_check "$n: vmemtrim-inspect: status has EXCLUDED_VMEMMAP, release $RELEASE" \
		sh -c "grep -q '^status: .*EXCLUDED_VMEMMAP' '$o/inspect.txt' &&
			grep -q 'release: *$RELEASE\$' '$o/inspect.txt'"
	# "struct pages:   N pfns in M ranges lack struct page data (...)"
	counts=$(sed -n 's/^struct pages: *\([0-9]*\) pfns in \([0-9]*\) ranges.*/\1 \2/p' \
		"$o/inspect.txt")
	tap_check "$n: vmemtrim-inspect counts missing struct pages (${counts:-none})" \
		test -n "$counts"

	mkdir -p "$o/cwd"
	(cd "$o/cwd" && CRASH_EXTENSIONS=$extdir run_crash "$o/crash.out" \
		"$o/dump" "extend vmemtrim.so" "vmemmap")
	c=$o/crash.out
	tap_check "$n: crash (in an empty directory) loads $extdir/vmemtrim.so by name" \
		grep -q -x "$extdir/vmemtrim.so: shared object loaded" <(section "$c" extra0)
	tap_eq "$n: the module's load line counts the missing struct pages as vmemtrim-inspect does" \
		"$counts" "$(section "$c" extra0 |
			sed -n 's/^vmemtrim: \([0-9]*\) pfns in \([0-9]*\) ranges lack struct page data.*/\1 \2/p')"
	tap_eq "$n: vmemmap (the installed module's command): MISSING STRUCT PAGES as vmemtrim-inspect" \
		"$counts" "$(section "$c" extra1 |
			sed -n 's/^ *MISSING STRUCT PAGES: \([0-9]*\) pfns in \([0-9]*\) ranges.*/\1 \2/p')"
	check_crash "$n" "$c" "$RELEASE" "$mem" "[PARTIAL DUMP] [EXCLUDED VMEMMAP]"
}
