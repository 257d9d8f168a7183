#!/bin/sh
# vmemtrim under I/O faults, injected by build/tests/faults/libfaultshim.so
# (LD_PRELOAD; tests/faults/shim.c), on a synthetic 256 MiB vmcore, -l -d 23
# -e (kernel pages in pass 2, user pages in pass 3, the shared zero page):
#  (a) read errors (EIO) on given pfns' data and on the vmemmap pages that
#      hold some pfns' struct pages: exit 0, one warning line per run of
#      unreadable pfns (capped at 20, then a line for the rest), the report's
#      "Unreadable pages", exactly those pfns without data, every other page
#      equal to the source, the pfns of unreadable struct pages dumped,
#      the header INCOMPLETE; the same re-filtering a kdump-compressed
#      input; transient errors: retried, or a true dump; the input read
#      through its mapping (SIGBUS on the bad pages) and with --non-mmap:
#      the same dump and warnings; a SIGBUS sent by kill still kills;
#      on the page tables: exit 0, those pages left out, every other
#      page dumped unclassified, INCOMPLETE;
#  (b) ENOSPC after N bytes, for the edges of the file layout and
#      FAULT_POINTS random values of N (a disk that
#      allocates, and one where every byte written costs): exit 2 (0 when
#      it fits), no temporary file left, and DUMPFILE either absent or
#      INCOMPLETE, opened by vmemtrim-inspect (libkdumpfile for a sample),
#      its bitmaps the reference's and its written pages the source's;
#      never a complete-looking file that differs from the reference;
#  (c) SIGKILL after N bytes, for the same kind of N, and just before
#      and after the rename: no DUMPFILE at the final name unless the kill
#      came after the rename, and then it equals the reference; a left-over
#      temporary file says INCOMPLETE; -f keeps the old DUMPFILE.
# Every other point runs with --num-threads 3.
# FAULT_POINTS (default 8; `make check-faults`: 50), FAULT_SEED (default
# random, printed): the fault points.
set -u
# shellcheck disable=SC1091
. tests/lib/tap.sh
BUILD=${BUILD:-build}
FAULT_POINTS=${FAULT_POINTS:-8}
FAULT_SEED=${FAULT_SEED:-$(od -An -N4 -tu4 /dev/urandom | tr -d ' ')}
VMEMTRIM=$BUILD/vmemtrim
INSPECT=$BUILD/vmemtrim-inspect
READCMP=$BUILD/tests/reader/tool-readcmp
MKVMCORE=$BUILD/mkvmcore
SHIM=$(pwd)/$BUILD/tests/faults/libfaultshim.so
PY=/usr/bin/python3
FAULTS=tests/faults/faults.py
ARGS="-l -d 23 -e"
tmp=$(mktemp -d "${TMPDIR:-/tmp}/test-faults.XXXXXX")
trap 'rm -rf "$tmp"' EXIT INT TERM
tap_note "FAULT_POINTS=$FAULT_POINTS FAULT_SEED=$FAULT_SEED"

tap_need_built "$VMEMTRIM" "$INSPECT" "$READCMP" "$MKVMCORE" "$SHIM"

vm=$tmp/vm
if ! out=$("$MKVMCORE" -o "$vm" --ram 256M --profile mixed --seed 7 2>&1); then
	tap_fail "mkvmcore writes the vmcore" "$out"
	tap_done
fi
ref=$tmp/ref
# shellcheck disable=SC2086
if ! out=$("$VMEMTRIM" $ARGS "$vm" "$ref" 2>&1); then
	tap_fail "vmemtrim writes the reference dump" "$out"
	tap_done
fi
out_dir=$tmp/o
mkdir "$out_dir"
dump=$out_dir/dump

# shimmed VAR=VALUE... -- ARG...: vmemtrim $ARGS ARG... under the shim,
# writes to files named $dump* faulted; stderr to $tmp/err. Sets rc.
shimmed() {
	envs=
	while [ "$1" != -- ]; do
		envs="$envs $1"
		shift
	done
	shift
	# shellcheck disable=SC2086
	env LD_PRELOAD="$SHIM" VT_FAULT_WRITE_FILE="$dump*" $envs \
		"$VMEMTRIM" $ARGS "$@" 2>"$tmp/err" >"$tmp/out"
	rc=$?
}

# field KEY LINE: the value of KEY=VALUE in LINE.
field() {
	printf '%s\n' "$2" | tr ' ' '\n' | sed -n "s/^$1=//p"
}

# A reference run under the shim, faults off: the bytes written and the
# space they take; the dump must be the reference, byte for byte.
rm -f "$tmp/log"
shimmed VT_FAULT_LOG="$tmp/log" -- "$vm" "$dump"
log=$(cat "$tmp/log" 2>/dev/null)
written=$(field written "$log")
space=$(field allocated "$log")
tap_eq "under the shim without faults: exit 0" 0 "$rc"
tap_check "under the shim without faults: the reference dump" \
	cmp "$ref" "$dump"
rm -f "$dump"
info=$("$PY" $FAULTS info "$ref")
desc_off=$(field desc_off "$info")
desc_end=$(field desc_end "$info")
tap_note "reference: $(wc -c <"$ref") bytes, $written written," \
	"$space of space, descriptors end at $desc_end; $info"

# --- (a) read errors on the input ----------------------------------------

# Data pfns: 0x120 (slab: pass 2), 0x121 (one bad 512-byte sector),
# 0xc60-0xc63 (anon: pass 3), 0x50e-0x50f (slab then anon: one run over
# both passes), 0x4000 (the kernel image, in two PT_LOADs). Vmemmap pages
# 0xfa06 and 0xfa0a hold the struct pages of pfns 0x180-0x1bf (page cache,
# excluded at -d 23) and 0x280-0x2bf (free): those must be dumped now.
bad="0x120 0xc60 0xc61 0xc62 0xc63 0x50e 0x50f 0x4000 0xfa06 0xfa0a"
# shellcheck disable=SC2086
ranges=$("$PY" $FAULTS ranges "$vm" $bad)
sector=$("$PY" $FAULTS ranges "$vm" 0x121 | sed 's/-.*//')
ranges="$ranges,$((sector + 1024))-$((sector + 1536))"
rm -f "$tmp/log"
shimmed VT_FAULT_EIO_FILE="$vm" VT_FAULT_EIO_RANGES="$ranges" \
	VT_FAULT_LOG="$tmp/log" -- --message-level 23 "$vm" "$dump"
tap_eq "EIO on 11 pfns: exit 0" 0 "$rc"
tap_note "EIO: $(cat "$tmp/log")"
w="vmemtrim: warning: $vm"
want="$w: pfns 0x120-0x121 could not be read (Input/output error); left out of $dump
$w: pfns 0x50e-0x50f could not be read (Input/output error); left out of $dump
$w: pfns 0xc60-0xc63 could not be read (Input/output error); left out of $dump
$w: pfn 0x4000 could not be read (Input/output error); left out of $dump
$w: pfn 0xfa06 could not be read (Input/output error); left out of $dump
$w: pfn 0xfa0a could not be read (Input/output error); left out of $dump
vmemtrim: warning: 11 pages could not be read and are missing from $dump (marked incomplete)
$w: the struct pages of 128 pfns could not be read; their pages were kept"
tap_eq "EIO: one warning line per run of unreadable pfns, then the total" \
	"$want" "$(grep warning "$tmp/err")"
tap_eq "EIO: the report says Unreadable pages : 11" \
	"Unreadable pages : 11" "$(grep '^Unreadable pages' "$tmp/out")"
tap_eq "EIO: the report counts the 128 pfns of unreadable struct pages" \
	"Unclassified pages (dumped) : 128" \
	"$(grep '^Unclassified pages' "$tmp/out")"
info=$("$PY" $FAULTS info "$dump")
tap_eq "EIO: the header says INCOMPLETE" 1 "$(field incomplete "$info")"
cmpout=$("$PY" $FAULTS compare "$ref" "$dump")
tap_eq "EIO: exactly the 11 pfns have no data" \
	"0x120,0x121,0x50e,0x50f,0xc60,0xc61,0xc62,0xc63,0x4000,0xfa06,0xfa0a" \
	"$(field empty "$cmpout")"
tap_eq "EIO: no pfn of the reference's 2nd bitmap is missing" - \
	"$(field lost "$cmpout")"
new=$(field new "$cmpout" | tr ',' '\n')
miss=
for p in $(seq 384 447) $(seq 640 703); do
	printf '%s\n' "$new" | grep -qx "$(printf '0x%x' "$p")" ||
		miss="$miss $(printf '0x%x' "$p")"
done
tap_eq "EIO: the pfns of the unreadable struct pages are dumped" "" "$miss"
rcmp=$("$READCMP" "$vm" "$dump")
case "$rcmp" in
*", 11 not written, 0 mismatches;"*)
	tap_ok "EIO: every other page equals the source (readcmp)" ;;
*)
	tap_fail "EIO: every other page equals the source (readcmp)" \
		"$rcmp" ;;
esac
tap_check "EIO: vmemtrim-inspect opens the dump" "$INSPECT" "$dump"
kd=$("$PY" $FAULTS kdumpfile "$dump" 0x11f 0x120 0x180 0xc64 2>&1)
tap_eq "EIO: libkdumpfile opens it; the missing pfn alone fails" \
	"read 3 failed 1" "$kd"
rm -f "$dump"

# The same faults read through the mapping of the input (the default: the
# shim makes the bad pages of a mapping raise SIGBUS, as the kernel does)
# and with --non-mmap (pread only) give the same dump and the same lines;
# the mapped run read a range of struct pages again after a SIGBUS.
# same_as_pread WHAT DUMP: DUMP and the warnings now in $tmp/err are the
# --non-mmap run's ($tmp/eio-pread and $tmp/err-pread).
same_as_pread() {
	tap_check "$1: the same dump as with --non-mmap" \
		cmp "$2" "$tmp/eio-pread"
	tap_eq "$1: the same warnings as with --non-mmap" \
		"$(cat "$tmp/err-pread")" \
		"$(grep warning "$tmp/err" | sed "s|$2|DUMP|g")"
}
shimmed VT_FAULT_EIO_FILE="$vm" VT_FAULT_EIO_RANGES="$ranges" \
	-- --message-level 31 --non-mmap "$vm" "$tmp/eio-pread"
tap_eq "EIO, --non-mmap: exit 0, struct pages read with pread" \
	"0 1" "$rc $(grep -c '^vmemtrim: debug: .*: struct pages read with pread; 0 ranges' "$tmp/err")"
grep warning "$tmp/err" | sed "s|$tmp/eio-pread|DUMP|g" >"$tmp/err-pread"
shimmed VT_FAULT_EIO_FILE="$vm" VT_FAULT_EIO_RANGES="$ranges" \
	-- --message-level 31 "$vm" "$tmp/eio-mmap"
retry=$(sed -n 's/^vmemtrim: debug: .*: struct pages read in place (mmap); \([0-9]*\) ranges read again after a page of the mapping failed$/\1/p' "$tmp/err")
tap_check "EIO, mapped: a SIGBUS made a range of struct pages be read again ($retry)" \
	test "${retry:-0}" -ge 1
same_as_pread "EIO, mapped" "$tmp/eio-mmap"
# The input read as /proc/vmcore is (the shim says its filesystem is
# /proc): struct pages and page data through bounded mmap windows. With
# the same faults, the bad pages of a window raise SIGBUS and are read
# again with read(). A kernel that refuses to map /proc/vmcore: every
# read is a read().
shimmed VT_FAULT_EIO_FILE="$vm" VT_FAULT_EIO_RANGES="$ranges" \
	VT_FAULT_PROCFS="$vm" -- --message-level 31 "$vm" "$tmp/eio-win"
retry=$(sed -n 's/^vmemtrim: debug: .*: struct pages and page data read through mmap windows; \([0-9]*\) ranges read again after a page of the mapping failed$/\1/p' "$tmp/err")
tap_check "EIO, /proc/vmcore windows: exit 0, SIGBUS made ranges be read again with read() (${retry:-none})" \
	test "$rc" = 0 -a "${retry:-0}" -ge 1
same_as_pread "EIO, /proc/vmcore windows" "$tmp/eio-win"
shimmed VT_FAULT_EIO_FILE="$vm" VT_FAULT_EIO_RANGES="$ranges" \
	VT_FAULT_PROCFS="$vm" VT_FAULT_MMAP_REFUSE=1 \
	-- --message-level 31 "$vm" "$tmp/eio-refused"
tap_eq "EIO, /proc/vmcore that refuses mmap: exit 0" 0 "$rc"
same_as_pread "EIO, /proc/vmcore that refuses mmap" "$tmp/eio-refused"
rm -f "$tmp/eio-mmap" "$tmp/eio-pread" "$tmp/eio-win" "$tmp/eio-refused"

# A SIGBUS that is not a failed page of the mapping (sent by kill) is not
# swallowed: vmemtrim dies of it, leaving no DUMPFILE.
shimmed VT_FAULT_KILL_AFTER=$((written / 2)) VT_FAULT_KILL_SIGNAL=7 \
	-- "$vm" "$dump"
tap_eq "SIGBUS sent mid-write: vmemtrim dies of it (exit 135), no DUMPFILE" \
	"135 no" "$rc $([ -e "$dump" ] && echo yes || echo no)"
rm -f "$out_dir"/*

# 25 unreadable pfns apart: 20 lines, one for the other 5, the total.
pfns=$(seq 3584 2 3632 | awk '{ printf "0x%x ", $1 }')
# shellcheck disable=SC2086
ranges=$("$PY" $FAULTS ranges "$vm" $pfns)
shimmed VT_FAULT_EIO_FILE="$vm" VT_FAULT_EIO_RANGES="$ranges" \
	-- --message-level 23 "$vm" "$dump"
tap_eq "EIO on 25 pfns apart: exit 0" 0 "$rc"
tap_eq "EIO on 25 pfns apart: 20 run lines" 20 \
	"$(grep -c 'warning: .*: pfn 0x.* could not be read' "$tmp/err")"
tap_eq "EIO on 25 pfns apart: then the rest, then the total" \
	"$w: 5 more pages could not be read; left out of $dump
vmemtrim: warning: 25 pages could not be read and are missing from $dump (marked incomplete)" \
	"$(grep warning "$tmp/err" | tail -n 2)"
tap_eq "EIO on 25 pfns apart: Unreadable pages : 25" \
	"Unreadable pages : 25" "$(grep '^Unreadable pages' "$tmp/out")"
rm -f "$dump"

# Re-filtering: EIO on a page's data in a kdump-compressed input.
ranges=$("$PY" $FAULTS stored "$ref" 0xc61)
shimmed VT_FAULT_EIO_FILE="$ref" VT_FAULT_EIO_RANGES="$ranges" \
	-- "$ref" "$dump"
tap_eq "EIO in a kdump-compressed input: exit 0" 0 "$rc"
tap_eq "EIO in a kdump-compressed input: the pfn is named" \
	"vmemtrim: warning: $ref: pfn 0xc61 could not be read (Input/output error); left out of $dump" \
	"$(grep 'warning: .*: pfn' "$tmp/err")"
tap_eq "EIO in a kdump-compressed input: only it has no data" 0xc61 \
	"$(field empty "$("$PY" $FAULTS compare "$ref" "$dump")")"
rm -f "$dump"

# Transient errors (VT_FAULT_EIO_TIMES): one failed read of a range is
# absorbed by the page-by-page retry: the dump is the reference. Two make
# pass 1 see unreadable struct pages that pass 2 may read: the dump must
# still be whole and true, or INCOMPLETE.
ranges=$("$PY" $FAULTS ranges "$vm" 0x120 0xc61 0xfa06)
shimmed VT_FAULT_EIO_FILE="$vm" VT_FAULT_EIO_RANGES="$ranges" \
	VT_FAULT_EIO_TIMES=1 -- "$vm" "$dump"
tap_eq "one transient EIO a range: exit 0" 0 "$rc"
tap_check "one transient EIO a range: the reference dump" cmp "$ref" "$dump"
rm -f "$dump"
ranges=$("$PY" $FAULTS ranges "$vm" 0xfa06)
shimmed VT_FAULT_EIO_FILE="$vm" VT_FAULT_EIO_RANGES="$ranges" \
	VT_FAULT_EIO_TIMES=2 -- "$vm" "$dump"
info=$("$PY" $FAULTS info "$dump" 2>&1)
rcmp=$("$READCMP" "$vm" "$dump" 2>&1)
cmpout=$("$PY" $FAULTS compare "$ref" "$dump" 2>&1)
case "$rc $(field incomplete "$info") $(field lost "$cmpout") $rcmp" in
"0 0 - "*", 0 not written, 0 mismatches;"* | [01]" 1 "*)
	tap_ok "two transient EIOs on struct pages: a true dump or INCOMPLETE" ;;
*)
	tap_fail "two transient EIOs on struct pages: a true dump or INCOMPLETE" \
		"exit $rc; $info" "$cmpout" "$rcmp" ;;
esac
rm -f "$out_dir"/*

# The page tables (pfns 0xf9a9-0xf9ad) cannot be read: which physical
# pages hold the struct pages is unknown. vmemtrim dumps every other page
# unclassified, leaves those five out and says so.
ranges=$("$PY" $FAULTS ranges "$vm" 0xf9a9 0xf9aa 0xf9ab 0xf9ac 0xf9ad)
shimmed VT_FAULT_EIO_FILE="$vm" VT_FAULT_EIO_RANGES="$ranges" -- "$vm" "$dump"
tap_eq "EIO on the page tables: exit 0" 0 "$rc"
tap_eq "EIO on the page tables: the pages left out, and nothing classified" \
	"1 1" "$(grep -c "^vmemtrim: warning: $vm: pfns 0xf9a9-0xf9ad could not be read" "$tmp/err") $(grep -c "^vmemtrim: warning: $vm: pages not classified (.*Input/output error); every page is dumped, no vmemmap page left out"'$' "$tmp/err")"
info=$("$PY" $FAULTS info "$dump" 2>&1)
tap_eq "EIO on the page tables: INCOMPLETE, 5 pages not written" "1 5" \
	"$(field incomplete "$info") $(field not_written "$info")"
tap_check "EIO on the page tables: every written page equals the source" \
	sh -c "'$READCMP' '$vm' '$dump' | grep -q ', 0 mismatches;'"
tap_eq "EIO on the page tables: no temporary file" "dump" "$(ls -A "$out_dir")"
rm -f "$out_dir"/*

# --- EIO writing the bitmaps -------------------------------------------------

# The 2nd bitmap's last byte cannot be written (a bad sector): the
# bitmaps go through the data writer thread, yet the error is reported
# and the dump is kept, marked INCOMPLETE.
shimmed VT_FAULT_WRITE_EIO=$((desc_off - 1))-"$desc_off" -- "$vm" "$dump"
tap_eq "EIO writing the bitmaps: exit 1, one line naming DUMPFILE" "1 1" \
	"$rc $(grep -c "^vmemtrim: $dump: writing the bitmaps: Input/output error" "$tmp/err")"
info=$("$PY" $FAULTS info "$dump" 2>&1)
tap_eq "EIO writing the bitmaps: DUMPFILE is INCOMPLETE" 1 \
	"$(field incomplete "$info")"
tap_check "EIO writing the bitmaps: vmemtrim-inspect opens it" \
	"$INSPECT" "$dump"
tap_eq "EIO writing the bitmaps: no temporary file" "dump" "$(ls -A "$out_dir")"
rm -f "$out_dir"/*

# --- fault points -----------------------------------------------------------

# points MAX: the edges of the layout (nothing, the first header block,
# header and bitmaps, the descriptors, the shared zero page, all but the
# last byte), then FAULT_POINTS numbers in [0, MAX): a quarter below the
# end of the descriptors (where the layout changes), the rest anywhere;
# the same FAULT_SEED gives the same points. Then MAX, where all fits.
points() {
	echo 0 4096 $((desc_off - 1)) "$desc_off" $((desc_end - 1)) \
		"$desc_end" $((desc_end + 4096)) $(($1 - 1)) | tr ' ' '\n'
	awk -v n="$FAULT_POINTS" -v max="$1" -v early=$((2 * desc_end)) \
		-v seed="$FAULT_SEED" 'BEGIN {
		srand(seed)
		for (i = 0; i < n; i++) {
			top = i % 4 == 1 ? early : max
			printf "%d\n", int(rand() * top)
		}
	}'
	echo "$1"
}
npoints=$((FAULT_POINTS + 9))

# threads I: every other point compresses on 3 threads (the same bytes).
threads() {
	[ $(($1 % 2)) = 0 ] && echo --num-threads 3
}

# check_dump WHAT N: after a fault at N, DUMPFILE is absent or INCOMPLETE
# and sound, or the reference itself. Appends to the failure lists.
check_dump() {
	for t in "$out_dir"/dump.vmemtrim-*; do
		[ -e "$t" ] || continue
		bad_tmp="$bad_tmp $2:${t##*/}"
		rm -f "$t"
	done
	if [ ! -f "$dump" ]; then
		none=$((none + 1))
		return
	fi
	info=$("$PY" $FAULTS info "$dump" 2>&1)
	if [ "$(field incomplete "$info")" != 1 ]; then
		if cmp -s "$ref" "$dump"; then
			complete=$((complete + 1))
		else
			bad_complete="$bad_complete $2"
		fi
		rm -f "$dump"
		return
	fi
	incomplete=$((incomplete + 1))
	[ "$rc" = 0 ] && bad_rc="$bad_rc $2:$rc(incomplete)"
	"$INSPECT" "$dump" >/dev/null 2>&1 || bad_inspect="$bad_inspect $2"
	c=$("$PY" $FAULTS compare "$ref" "$dump" 2>&1)
	case "$c" in
	"lost=- new=- "*) ;;
	*) bad_bitmap="$bad_bitmap $2" ;;
	esac
	r=$("$READCMP" "$vm" "$dump")
	case "$r" in
	*" 0 mismatches;"*) ;;
	*) bad_pages="$bad_pages $2" ;;
	esac
	kept=$(printf '%s\n' "$r" |
		sed -n 's/.*(stride 1), \([0-9]*\) equal.*/\1/p')
	kept=${kept:-0}
	[ "$kept" -gt "$max_kept" ] && max_kept=$kept
	if [ "$sampled" -lt 3 ] && [ "$kept" -gt 0 ]; then
		sampled=$((sampled + 1))
		k=$("$PY" $FAULTS sample "$vm" "$dump" 2>&1)
		printf '%s\n' "$k" | grep -Eqx \
			'equal ([1-5]) of \1, unwritten fails ([01]) of \2' ||
			bad_kdf="$bad_kdf $2:$k"
	fi
	rm -f "$dump"
}

# --- (b) ENOSPC ------------------------------------------------------------

for mode in space bytes; do
	none=0 incomplete=0 complete=0 sampled=0 max_kept=0
	bad_rc='' bad_tmp='' bad_complete='' bad_inspect='' bad_bitmap=''
	bad_pages='' bad_kdf='' bad_exists=''
	# every byte written costs in bytes mode: the header twice, too
	total=$space
	[ $mode = bytes ] && total=$written
	start=$(date +%s)
	i=0
	for n in $(points "$total"); do
		i=$((i + 1))
		# shellcheck disable=SC2046
		shimmed VT_FAULT_ENOSPC_MODE=$mode VT_FAULT_ENOSPC_AFTER="$n" \
			-- $(threads $i) "$vm" "$dump"
		if [ "$n" -ge "$total" ]; then
			[ "$rc" = 0 ] || bad_rc="$bad_rc $n:$rc"
		elif [ "$rc" != 2 ] && { [ "$rc" != 1 ] || [ -e "$dump" ]; }; then
			bad_rc="$bad_rc $n:$rc"
		fi
		if [ "$n" -lt "$total" ] && [ "$rc" != 0 ] &&
			! grep -q 'No space left on device' "$tmp/err"; then
			bad_rc="$bad_rc $n:message"
		fi
		# space: header and bitmaps are allocated first, in one go
		if [ $mode = space ] && [ "$n" -lt "$total" ]; then
			has=no
			[ -e "$dump" ] && has=yes
			want=no
			[ "$n" -ge "$desc_off" ] && want=yes
			[ $has = $want ] || bad_exists="$bad_exists $n:$has"
		fi
		check_dump "$mode" "$n"
	done
	end=$(date +%s)
	m="ENOSPC ($mode)"
	tap_eq "$m: exit 2 when the dump does not fit, 0 when it does" "" \
		"$bad_rc"
	tap_eq "$m: no temporary file is left" "" "$bad_tmp"
	tap_eq "$m: DUMPFILE is INCOMPLETE, or absent, or the whole dump" \
		"" "$bad_complete"
	tap_eq "$m: vmemtrim-inspect opens every INCOMPLETE DUMPFILE" "" \
		"$bad_inspect"
	tap_eq "$m: an INCOMPLETE DUMPFILE has the reference's bitmaps" "" \
		"$bad_bitmap"
	tap_eq "$m: its written pages equal the source" "" "$bad_pages"
	if [ $mode = space ]; then
		tap_eq "$m: DUMPFILE is there iff header and bitmaps fit" "" \
			"$bad_exists"
		tap_eq "$m: libkdumpfile reads $sampled of them as written" \
			"" "$bad_kdf"
	fi
	tap_note "$m: $npoints points: $none no DUMPFILE," \
		"$incomplete INCOMPLETE (up to $max_kept pages written)," \
		"$complete complete; $((end - start)) s"
done

# --- (c) SIGKILL -------------------------------------------------------------

bad_rc='' bad_final='' bad_tmp_hdr='' none=0 complete=0 tmps=0
# the last write is the final header over the first one: every byte
# written more than once, as the shim's reference run counted
final_hdr=$((written - space))
start=$(date +%s)
i=0
for n in $(points "$written"); do
	i=$((i + 1))
	# shellcheck disable=SC2046
	shimmed VT_FAULT_KILL_AFTER="$n" -- $(threads $i) "$vm" "$dump"
	if [ "$n" -lt "$written" ]; then
		[ "$rc" = 137 ] || bad_rc="$bad_rc $n:$rc"
		[ -e "$dump" ] && bad_final="$bad_final $n"
	else
		[ "$rc" = 0 ] || bad_rc="$bad_rc $n:$rc"
		if cmp -s "$ref" "$dump"; then
			complete=$((complete + 1))
		else
			bad_final="$bad_final $n(differs)"
		fi
	fi
	[ -e "$dump" ] || none=$((none + 1))
	for t in "$out_dir"/dump.vmemtrim-*; do
		[ -f "$t" ] || continue
		tmps=$((tmps + 1))
		# once its first header block is written, it says INCOMPLETE
		# until the final header goes over it, after all the rest
		st=$(od -An -tu4 -j424 -N4 "$t" | tr -d ' ')
		if [ "$n" -ge $((written - final_hdr)) ]; then
			cmp -s -i "$final_hdr" "$ref" "$t" ||
				bad_tmp_hdr="$bad_tmp_hdr $n:differs"
		elif [ "$n" -ge 4096 ] && [ $((st & 8)) != 8 ]; then
			bad_tmp_hdr="$bad_tmp_hdr $n:$st"
		fi
		rm -f "$t"
	done
	rm -f "$dump"
done
end=$(date +%s)
tap_eq "SIGKILL after N bytes: killed before the end, exit 0 at the end" \
	"" "$bad_rc"
tap_eq "SIGKILL after N bytes: no DUMPFILE; at the end, the reference" "" \
	"$bad_final"
tap_eq "SIGKILL after N bytes: the temporary file is INCOMPLETE till the end" \
	"" "$bad_tmp_hdr"
tap_note "SIGKILL: $npoints points: $none without DUMPFILE" \
	"($tmps temporary files left), $complete complete; $((end - start)) s"

shimmed VT_FAULT_KILL_AT=before-rename -- "$vm" "$dump"
tap_eq "SIGKILL just before the rename: killed" 137 "$rc"
tap_eq "SIGKILL just before the rename: no DUMPFILE" no \
	"$([ -e "$dump" ] && echo yes || echo no)"
rm -f "$out_dir"/dump.vmemtrim-*
shimmed VT_FAULT_KILL_AT=after-rename -- "$vm" "$dump"
tap_eq "SIGKILL just after the rename: killed" 137 "$rc"
tap_check "SIGKILL just after the rename: DUMPFILE is the reference" \
	cmp "$ref" "$dump"
tap_eq "SIGKILL just after the rename: no temporary file" "dump" \
	"$(ls -A "$out_dir")"
printf 'old dump\n' >"$dump"
shimmed VT_FAULT_KILL_AFTER=$((written / 2)) -- -f "$vm" "$dump"
tap_eq "SIGKILL with -f over an old DUMPFILE: killed" 137 "$rc"
tap_eq "SIGKILL with -f over an old DUMPFILE: the old file is intact" \
	"old dump" "$(cat "$dump")"
rm -f "$out_dir"/*

# fsync() fails: the dump is not durable, so it is not installed, and the
# temporary file does not stay behind.
shimmed VT_FAULT_FSYNC_EIO=1 -- "$vm" "$dump"
tap_eq "fsync fails: exit 1" 1 "$rc"
tap_check "fsync fails: one line naming the temporary file and fsync" \
	grep -q "^vmemtrim: $dump.vmemtrim-[A-Za-z0-9]*: fsync: Input/output error$" "$tmp/err"
tap_eq "fsync fails: no DUMPFILE and no temporary file" "" \
	"$(ls -A "$out_dir")"
rm -f "$out_dir"/*
tap_done
