#!/bin/sh
# The dump writer (filter/writer/) against other judges and a full disk:
#  (a) complete dumps of every codec, written by tool-writedump, read by
#      libkdumpfile page by page equal the pages written, and the
#      flattened form reassembled by -R is the same file byte for byte;
#  (b) on a 1 MiB tmpfs a bigger dump fails with one line naming the file
#      and the pages written, and leaves DUMPFILE (no temporary file) whose
#      header has DUMP_DH_COMPRESSED_INCOMPLETE, which vmemtrim-inspect
#      reports and libkdumpfile opens, its written pages intact.
set -u
# shellcheck disable=SC1091
. tests/lib/tap.sh
BUILD=${BUILD:-build}
TOOL=$BUILD/tests/filter/tool-writedump
INSPECT=$BUILD/vmemtrim-inspect
PY=/usr/bin/python3
tmp=$(mktemp -d "${TMPDIR:-/tmp}/test-write-enospc.XXXXXX")
mnt=$tmp/small
cleanup() {
	umount "$mnt" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT INT TERM

tap_need_built "$TOOL" "$INSPECT"

# kdf DUMP EXPECTED PFNS: libkdumpfile reads every dumped pfn of DUMP as
# EXPECTED has it (pfn % 10 == 9 is excluded); prints "read N missing M"
# (missing: not written, allowed only when the header says INCOMPLETE).
kdf() {
	"$PY" - "$@" <<'EOF'
import sys
import kdumpfile
path, exp_path, npfns = sys.argv[1], sys.argv[2], int(sys.argv[3])
k = kdumpfile.kdumpfile(path)
exp = open(exp_path, "rb").read()
read = missing = 0
for pfn in range(npfns):
    want = exp[pfn * 4096:(pfn + 1) * 4096]
    try:
        got = k.read(kdumpfile.KDUMP_MACHPHYSADDR, pfn * 4096, 4096)
    except Exception as e:
        if pfn % 10 == 9:
            continue
        missing += 1
        continue
    if pfn % 10 == 9:
        sys.exit("pfn %d is excluded but reads" % pfn)
    if got != want:
        sys.exit("pfn %d reads different bytes" % pfn)
    read += 1
print("read %d missing %d" % (read, missing))
EOF
}

# hdr_status DUMP: the status word of the disk_dump_header (offset 424).
hdr_status() {
	od -An -tu4 -j424 -N4 "$1" | tr -d ' '
}

# --- (a) complete dumps -------------------------------------------------------

n=1024
"$TOOL" -n $n -E "$tmp/expected" -c none "$tmp/unused" >/dev/null 2>&1
rm -f "$tmp/unused"
want="read $((n - n / 10)) missing 0"
for c in none zlib lzo snappy zstd; do
	d=$tmp/dump-$c
	if ! out=$("$TOOL" -n $n -c $c -t 3 -z "$d" 2>&1); then
		tap_fail "$c: tool-writedump writes the dump" "$out"
		continue
	fi
	if out=$(kdf "$d" "$tmp/expected" $n 2>&1); then
		tap_eq "$c: libkdumpfile reads every dumped page as written" \
			"$want" "$out"
	else
		tap_fail "$c: libkdumpfile reads every dumped page as written" \
			"$out"
	fi
	if "$TOOL" -n $n -c $c -t 2 -z -F - 2>"$tmp/err" |
		"$TOOL" -R "$d.R" 2>>"$tmp/err"; then
		tap_check "$c: flattened to stdout, then -R: the same file" \
			cmp "$d" "$d.R"
	else
		tap_fail "$c: flattened to stdout, then -R: the same file" \
			"$(cat "$tmp/err")"
	fi
done
printf 'x' >"$tmp/exists"
"$TOOL" -n 64 "$tmp/exists" >/dev/null 2>"$tmp/err"
rc=$?
tap_eq "an existing DUMPFILE is refused: exit 1" 1 $rc
tap_eq "an existing DUMPFILE is refused: one line naming it" \
	"tool-writedump: $tmp/exists: already exists (use -f to overwrite)" \
	"$(cat "$tmp/err")"
tap_eq "an existing DUMPFILE is left untouched" x "$(cat "$tmp/exists")"

# --- (b) a full disk ------------------------------------------------------------

mkdir "$mnt"
if ! mount -t tmpfs -o size=1m vmemtrim-test "$mnt" 2>"$tmp/err"; then
	tap_fail "mount a 1 MiB tmpfs (needs root)" "$(cat "$tmp/err")"
	tap_done
fi
n=2048 # about 5 MiB of random pages: far more than fits
"$TOOL" -n $n -E "$tmp/expected2" -c none "$tmp/unused" >/dev/null 2>&1
"$TOOL" -n $n -c zlib -t 2 -z "$mnt/dump" >"$tmp/out" 2>"$tmp/err"
rc=$?
tap_eq "full disk: exit status 1" 1 $rc
msg=$(cat "$tmp/err")
tap_eq "full disk: one line of message" 1 "$(wc -l <"$tmp/err")"
case "$msg" in
"tool-writedump: $mnt/dump: No space left on device after "*" of $((n - n / 10)) pages; the dump is marked incomplete")
	tap_ok "full disk: the message names the file and the pages written" ;;
*)
	tap_fail "full disk: the message names the file and the pages written" \
		"$msg" ;;
esac
written=$(printf '%s\n' "$msg" | sed -n 's/.* after \([0-9]*\) of .*/\1/p')
tap_eq "full disk: DUMPFILE is there, no temporary file" "dump" \
	"$(ls "$mnt")"
st=$(hdr_status "$mnt/dump")
tap_eq "full disk: header status = ZLIB | INCOMPLETE" 9 "$st"
if out=$("$INSPECT" "$mnt/dump" 2>&1); then
	case "$out" in
	*COMPRESSED_INCOMPLETE*)
		tap_ok "full disk: vmemtrim-inspect reports INCOMPLETE" ;;
	*)
		tap_fail "full disk: vmemtrim-inspect reports INCOMPLETE" \
			"$out" ;;
	esac
else
	tap_fail "full disk: vmemtrim-inspect opens the dump" "$out"
fi
if out=$(kdf "$mnt/dump" "$tmp/expected2" $n 2>&1); then
	tap_eq "full disk: libkdumpfile reads the $written written pages" \
		"read $written missing $((n - n / 10 - written))" "$out"
else
	tap_fail "full disk: libkdumpfile opens the dump" "$out"
fi
rm -f "$mnt/dump"
tap_check "umount the tmpfs" umount "$mnt"
tap_done
