#!/bin/sh
# Seeds for fuzz_kdump: Debian makedumpfile's output of a 256M mkvmcore
# (zlib, lzo, -d 0, -e, flattened, the parts of a --split set), each cut to
# its first 64 KiB: header, sub header with the notes, both bitmaps and the
# first page descriptors. The committed seeds in fuzz/seeds/kdump/ are whole
# tiny dumps (zlib, raw and shared zero pages), plain and flattened.
#
# Usage: fuzz/seed-kdump.sh OUTDIR   (BUILD: the build directory, "build")
set -eu
out=$1
BUILD=${BUILD:-build}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

command -v makedumpfile >/dev/null || exit 0
"$BUILD/mkvmcore" -o "$tmp/v" --ram 256M --holes 100M-120M --seed 7
cd "$tmp"
makedumpfile -c -d 31 v c31 >/dev/null 2>&1
makedumpfile -l -d 0 v l0 >/dev/null 2>&1
makedumpfile -l -d 31 -e --work-dir . v e31 >/dev/null 2>&1
makedumpfile -F -l -d 31 v >flat 2>/dev/null
makedumpfile -l -d 31 --splitblock-size 4096 --split v s1 s2 >/dev/null 2>&1
cd - >/dev/null
for f in c31 l0 e31 flat s1 s2; do
	head -c 65536 "$tmp/$f" >"$out/makedumpfile-$f"
done
