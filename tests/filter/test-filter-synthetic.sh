#!/bin/sh
# vmemtrim (the filter) on mkvmcore's synthetic vmcores, judged by the
# ground-truth sidecar and by independent readers:
#  - the 1st bitmap is the PT_LOAD pfns; the 2nd is exactly the pfns the
#    truth dumps at the level, minus (with -e) exactly the truth's
#    removable vmemmap set; EXCLUDED_VMEMMAP is set iff pages were dropped
#    (tests/mkvmcore/check_truth.py bitmap --exact);
#  - the report's counters equal the truth's (check_truth.py vcounts);
#  - every dumped page equals the source's page, read by our reader
#    (tool-readcmp) and by libkdumpfile (tests/filter/kdump_bitmaps.py);
#  - the output does not depend on --num-threads; -F | -R gives the same
#    file; -e needs no --work-dir; refiltering keeps the bit;
#  - profiles: idle, busy, mixed with holes, 2 nodes with HVO, 5-level,
#    4 KiB vmemmap, no KASLR with the PCI hole;
#  - struct pages read through the mapping: the same dump as --non-mmap,
#    and the peak RSS no larger than its (mapped pages are let go);
#  - --classify-threads 1 and 3 write the same dump as the default.
set -u
# shellcheck disable=SC1091
. tests/lib/tap.sh
BUILD=${BUILD:-build}
VT=$BUILD/vmemtrim
MK=$BUILD/mkvmcore
READCMP=$BUILD/tests/reader/tool-readcmp
PY=/usr/bin/python3
TRUTH=tests/mkvmcore/check_truth.py
start=$(date +%s)
tmp=$(mktemp -d "${TMPDIR:-/tmp}/test-filter.XXXXXX")
trap 'rm -rf "$tmp"' EXIT INT TERM

tap_need_built "$VT" "$MK" "$READCMP"

# vt NAME DUMP ARGS...: run vmemtrim with its report into DUMP.rep.
# (No variable called "out": tap_check uses it.)
vt() {
	vn=$1
	vo=$2
	shift 2
	if "$VT" --message-level 31 "$@" >"$vo.rep" 2>"$vo.err"; then
		return 0
	fi
	tap_fail "$vn: vmemtrim $*" "$(tail -n 5 "$vo.err")"
	return 1
}

# level_case NAME VMCORE LEVEL [-e]: one dump, checked against the truth
# (with -e: exactly the removable set dropped; without: nothing dropped).
level_case() {
	ln=$1
	lsrc=$2
	ld=$3
	le=${4:-}
	lo=$tmp/$ln.d$ld$le
	vt "$ln -d $ld $le" "$lo" -l -d "$ld" $le "$lsrc" "$lo" || return 1
	if [ -n "$le" ]; then
		tap_check "$ln -d $ld -e: bitmaps are the truth's, the removable vmemmap pages dropped" \
			"$PY" "$TRUTH" bitmap "$lo" "$lsrc.truth" "$ld" --exact
	else
		tap_check "$ln -d $ld: bitmaps are the truth's" \
			"$PY" "$TRUTH" bitmap "$lo" "$lsrc.truth" "$ld"
	fi
	tap_check "$ln -d $ld $le: report counters are the truth's" \
		"$PY" "$TRUTH" vcounts "$lo.rep" "$lsrc.truth" "$ld" $le
}

# pages NAME VMCORE DUMP: every dumped page equals the source's.
pages() {
	tap_check "$1: every dumped page equals the vmcore's (our reader)" \
		"$READCMP" "$2" "$3"
	tap_check "$1: every dumped page equals the vmcore's (libkdumpfile)" \
		"$PY" tests/filter/kdump_bitmaps.py readcmp --name "$1" "$2" "$3"
}

gen() {
	n=$1
	shift
	if ! "$MK" -o "$tmp/$n" "$@" >"$tmp/$n.mk" 2>&1; then
		tap_fail "$n: mkvmcore $*" "$(tail -n 3 "$tmp/$n.mk")"
		return 1
	fi
}

# --- every profile at -d 31, with and without -e -------------------------

while read -r name args; do
	# shellcheck disable=SC2086
	gen "$name" $args || continue
	level_case "$name" "$tmp/$name" 31
	level_case "$name" "$tmp/$name" 31 -e
	pages "$name -d 31 -e" "$tmp/$name" "$tmp/$name.d31-e"
	rm -f "$tmp/$name.d31"
done <<'CASES'
idle --ram 2G --profile idle --seed 1
busy --ram 2G --profile busy --seed 2
holes --ram 3G --profile mixed --seed 3 --holes 1400M-1500M,2G-2176M
numa-hvo --ram 4G --profile mixed --seed 4 --nodes 2 --hvo 6
l5 --ram 2G --profile mixed --seed 5 --l5
vmemmap-4k --ram 2G --profile idle --seed 6 --vmemmap-4k 512M-1G
l5-4k-hvo --ram 2G --profile idle --seed 7 --l5 --vmemmap-4k 0-256M --hvo 3
nokaslr --ram 5G --profile idle --seed 8 --no-kaslr
CASES

# --- every dump level on one machine -------------------------------------

m=$tmp/mixed
if gen mixed --ram 2G --profile mixed --seed 9 --hvo 2; then
	for d in 0 1 2 4 8 16 24 27; do
		level_case mixed "$m" "$d" -e
	done
	pages "mixed -d 1 -e" "$m" "$m.d1-e"

	# --- codecs, threads, flattened --------------------------------
	for z in -c -p -z ""; do
		o=$tmp/codec$z
		if vt "codec '$z'" "$o" $z -d 31 -e "$m" "$o"; then
			tap_check "codec '$z': bitmaps are the truth's" \
				"$PY" "$TRUTH" bitmap "$o" "$m.truth" 31 --exact
			pages "codec '$z'" "$m" "$o"
		fi
	done
	base=$tmp/codec-z
	for t in 2 3; do
		o=$tmp/threads$t
		vt "threads $t" "$o" -z -d 31 -e --num-threads "$t" "$m" "$o" &&
			tap_check "--num-threads $t writes the same bytes as 1" \
				cmp "$base" "$o"
	done
	if "$VT" -z -d 31 -e -F "$m" >"$tmp/stream" 2>"$tmp/stream.err"; then
		tap_ok "-F writes a stream to standard output"
		if "$VT" -R "$tmp/unflat" <"$tmp/stream" 2>"$tmp/unflat.err"; then
			tap_check "-F | -R gives the same file as a direct dump" \
				cmp "$base" "$tmp/unflat"
		else
			tap_fail "-R rebuilds the dump" "$(cat "$tmp/unflat.err")"
		fi
		tap_check "our reader reads the flattened stream in place" \
			"$READCMP" "$m" "$tmp/stream"
	else
		tap_fail "-F writes a stream" "$(cat "$tmp/stream.err")"
	fi

	# --- -i VMCOREINFO from a file ----------------------------------
	/usr/bin/python3 tests/lib/elfnotes.py --vmcoreinfo "$m" >"$tmp/vi"
	o=$tmp/vi-dump
	if vt "-i VMCOREINFO" "$o" -l -d 31 -e -i "$tmp/vi" "$m" "$o"; then
		tap_check "-i VMCOREINFO: bitmaps are the truth's" \
			"$PY" "$TRUTH" bitmap "$o" "$m.truth" 31 --exact
	fi
	printf 'OSRELEASE=6.1.0\nPAGESIZE=4096\n' >"$tmp/vi-bad"
	"$VT" -l -d 31 -i "$tmp/vi-bad" "$m" "$tmp/vi-bad-dump" \
		>/dev/null 2>"$tmp/vi-bad.err"
	tap_eq "-i with a VMCOREINFO lacking SIZE(page) exits 1, one line" \
		"1 1" "$? $(wc -l <"$tmp/vi-bad.err")"

	# --- refiltering a kdump-compressed dump ------------------------
	o=$tmp/refilter
	if vt "refilter" "$o" -l -d 31 "$tmp/codec-z" "$o"; then
		tap_check "refiltering the -e dump keeps its bitmaps and EXCLUDED_VMEMMAP" \
			"$PY" "$TRUTH" bitmap "$o" "$m.truth" 31 --exact
		pages "refilter" "$m" "$o"
	fi
	o=$tmp/refilter-e
	if vt "refilter -e" "$o" -l -d 31 -e "$tmp/codec-z" "$o"; then
		# The pages the first -e dropped are not dumped now, so the
		# vmemmap pages holding their struct pages may become
		# removable: a second -e may drop more, but only vmemmap.
		tap_check "refiltering with -e again drops only further vmemmap pages" \
			"$PY" - "$o" "$m.truth" <<'PYEOF'
import sys
sys.path.insert(0, "tests/mkvmcore")
import check_truth as ct
t = ct.Truth(sys.argv[2])
status, n, b1, b2 = ct.read_kdump(sys.argv[1])
want = t.dumped(31)
rem = bytearray(t.max_pfn)
for a, b in t.removable[ct.level_key(31)]:
    rem[a:b] = b"\1" * (b - a)
vm = bytearray(t.max_pfn)
for a, b, cls, _ in t.runs:
    if cls == "vmemmap":
        vm[a:min(b, t.max_pfn)] = b"\1" * (min(b, t.max_pfn) - a)
bad = [i for i in range(t.max_pfn) if want[i] and not b2[i] and not vm[i]]
kept = [i for i in range(t.max_pfn) if rem[i] and b2[i]]
more = [i for i in range(t.max_pfn) if b2[i] and not want[i]]
print("# dropped beyond the first -e: %d vmemmap pages" %
      sum(1 for i in range(t.max_pfn) if want[i] and not b2[i] and not rem[i]))
sys.exit(1 if bad or kept or more or not status & 0x10 else 0)
PYEOF
	fi
	o=$tmp/refilter-0
	if vt "refilter -d 0 of -d 31" "$o" -l -d 0 "$tmp/codec-z" "$o"; then
		tap_check "refiltering at a lower level keeps what was excluded" \
			"$PY" "$TRUTH" bitmap "$o" "$m.truth" 31 --exact
	fi

	# --- no damage ---------------------------------------------------
	cp "$base" "$tmp/keep"
	if "$VT" -l -d 31 "$m" "$tmp/keep" >/dev/null 2>"$tmp/keep.err"; then
		tap_fail "an existing DUMPFILE is refused without -f"
	else
		tap_ok "an existing DUMPFILE is refused without -f"
		tap_check "the existing DUMPFILE is left untouched" \
			cmp "$base" "$tmp/keep"
		tap_eq "the refusal is one line naming the file" 1 \
			"$(grep -c "$tmp/keep" "$tmp/keep.err")"
	fi
	if "$VT" -f -l -d 31 "$m" "$tmp/keep" >/dev/null 2>&1; then
		tap_check "-f replaces it" "$PY" "$TRUTH" bitmap "$tmp/keep" \
			"$m.truth" 31
	else
		tap_fail "-f replaces an existing DUMPFILE"
	fi
	tap_eq "no temporary file is left behind" "" \
		"$(find "$tmp" -name '*.vmemtrim-*')"
fi

# --- struct pages through the mapping ---------------------------------------

# A saved vmcore's struct pages are read in place; the mapped pages are let
# go as the reading moves on, so the peak RSS stays that of --non-mmap
# (kept, a 16 GiB machine's 256 MiB of struct pages would stay mapped).
# peak_rss ARGS...: "rc kB" of one vmemtrim run (its ru_maxrss).
peak_rss() {
	"$PY" -c 'import resource, subprocess, sys
rc = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL).returncode
print(rc, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)' "$VT" "$@"
}
if gen idle16 --ram 16G --profile idle --seed 10; then
	vt "idle16 mapped" "$tmp/idle16.d" -l -d 31 -e "$tmp/idle16" \
		"$tmp/idle16.d"
	tap_eq "idle16: struct pages read in place, none again" 1 \
		"$(grep -c 'struct pages read in place (mmap); 0 ranges' "$tmp/idle16.d.err")"
	vt "idle16 --non-mmap" "$tmp/idle16.p" --non-mmap -l -d 31 -e \
		"$tmp/idle16" "$tmp/idle16.p"
	tap_check "idle16: --non-mmap writes the same dump" \
		cmp "$tmp/idle16.d" "$tmp/idle16.p"
	# Pass 1 classifies the 4 GiB blocks on several threads (one per
	# CPU by default); any number gives the same dump as one.
	for n in 1 3; do
		vt "idle16 --classify-threads $n" "$tmp/idle16.t$n" \
			--classify-threads $n -l -d 31 -e "$tmp/idle16" \
			"$tmp/idle16.t$n"
		tap_eq "idle16: --classify-threads $n: classified on $n thread(s)" \
			1 "$(grep -c "struct pages classified on $n thread" \
				"$tmp/idle16.t$n.err")"
		tap_check "idle16: --classify-threads $n writes the same dump as the default" \
			cmp "$tmp/idle16.d" "$tmp/idle16.t$n"
		rm -f "$tmp/idle16.t$n"
	done
	rm -f "$tmp/idle16.d" "$tmp/idle16.p"
	# shellcheck disable=SC2046
	set -- $(peak_rss -l -d 31 -e "$tmp/idle16" "$tmp/idle16.d")
	mrc=$1 mkb=$2
	rm -f "$tmp/idle16.d"
	# shellcheck disable=SC2046
	set -- $(peak_rss --non-mmap -l -d 31 -e "$tmp/idle16" "$tmp/idle16.d")
	tap_check "idle16: peak RSS through the mapping ($mkb kB) within 16 MiB of --non-mmap's ($2 kB)" \
		test "$mrc $1" = "0 0" -a "$mkb" -le $(($2 + 16384))
	rm -f "$tmp/idle16.d"
	# The data of a regular DUMPFILE (the writes of about 4 MiB) is
	# written by a thread of its own, never by the one that compresses
	# (the process itself: its first write is the header).
	strace -f -qq -e trace=pwrite64 -o "$tmp/idle16.st" "$VT" -l -d 31 \
		-e "$tmp/idle16" "$tmp/idle16.d" >/dev/null 2>&1
	tap_eq "idle16: its data is written by a thread of its own, not the compressing one" \
		"0 yes" "$(awk 'NR == 1 { main = $1 }
			/pwrite64\(/ { n = $NF + 0
				if (n > 2097152) { big++; if ($1 == main) bad++ } }
			END { print bad + 0, (big > 2 ? "yes" : "no") }' \
			"$tmp/idle16.st" 2>&1)"
	# So are a block's two bitmaps (128 KiB each for a 4 GiB block): the
	# compressing thread never waits on the file while data is written.
	tap_eq "idle16: its bitmaps are written by that thread too" \
		"0 yes" "$(awk 'NR == 1 { main = $1 }
			/pwrite64\(/ && / 131072, / { n++; if ($1 == main) bad++ }
			END { print bad + 0, (n >= 8 ? "yes" : "no") }' \
			"$tmp/idle16.st" 2>&1)"
	rm -f "$tmp/idle16"*
fi

# --- bad input and usage ---------------------------------------------------

printf 'not a vmcore at all\n' >"$tmp/garbage"
"$VT" -d 31 "$tmp/garbage" "$tmp/out-garbage" >/dev/null 2>"$tmp/g.err"
rc=$?
tap_eq "garbage input exits 1" 1 "$rc"
tap_eq "garbage input: one line naming the file" 1 \
	"$(grep -c "$tmp/garbage" "$tmp/g.err")"
tap_eq "garbage input leaves no DUMPFILE" "" \
	"$(ls "$tmp/out-garbage"* 2>/dev/null)"
head -c 100000 "$tmp/idle" >"$tmp/trunc" 2>/dev/null
"$VT" -d 31 -e "$tmp/trunc" "$tmp/out-trunc" >/dev/null 2>"$tmp/t.err"
tap_eq "a truncated vmcore exits 1" 1 $?
tap_eq "a truncated vmcore leaves no DUMPFILE" "" \
	"$(ls "$tmp/out-trunc"* 2>/dev/null)"
for bad in "-d 32" "-d x" "--num-threads 0" "-c -l" "--bogus" "-E"; do
	# shellcheck disable=SC2086
	"$VT" $bad "$tmp/idle" "$tmp/out-bad" >/dev/null 2>"$tmp/u.err"
	rc=$?
	tap_eq "usage error '$bad' exits 1 with one line" "1 1" \
		"$rc $(wc -l <"$tmp/u.err")"
done
"$VT" -h >"$tmp/help" 2>&1
tap_eq "-h exits 0" 0 $?
tap_check "-h documents -e" grep -q -- "-e " "$tmp/help"
"$VT" -v | grep -q '^vmemtrim [0-9]'
tap_eq "-v prints the version" 0 $?

tap_note "test-filter-synthetic: $(($(date +%s) - start)) s"
tap_done
