#!/bin/sh
# Seeds for fuzz_elf (which opens any dump format by content):
# - small but valid ELF vmcores cut from mkvmcore output (and from the
#   real-kernel fixture's dumps when they are cached). Each keeps the
#   original ELF header, notes (VMCOREINFO, NT_PRSTATUS) and PT_LOAD
#   addresses, with every PT_LOAD cut to a page or two of real data, so the
#   fuzzer starts from inputs that open and have pages to read;
# - makedumpfile's kdump-compressed output of a 256M mkvmcore (plain zlib,
#   plain zstd, flattened), cut to its first 40 KiB: the headers, both
#   bitmaps and the first page descriptors, which open as they are.
#
# Usage: fuzz/seed-elf.sh OUTDIR   (BUILD: the build directory, "build")
set -eu
out=$1
BUILD=${BUILD:-build}
VMEMTRIM_CACHE=${VMEMTRIM_CACHE:-$HOME/.cache/vmemtrim}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# cut SRC DST PAGES MEMPAGES [LOADS]: rewrite SRC as a small ELF core in DST
# (its first LOADS PT_LOADs, default 3: PAGES pages of data, MEMPAGES of RAM).
cut() {
	/usr/bin/python3 - "$@" <<'PY'
import struct
import sys

src, dst = sys.argv[1], sys.argv[2]
pages, mempages = int(sys.argv[3]), int(sys.argv[4])
nloads = int(sys.argv[5]) if len(sys.argv) > 5 else 3
PAGE = 4096
with open(src, "rb") as f:
    eh = bytearray(f.read(64))
    phoff, = struct.unpack_from("<Q", eh, 32)
    phentsize, phnum = struct.unpack_from("<HH", eh, 54)
    f.seek(phoff)
    phs = [list(struct.unpack_from("<IIQQQQQQ", f.read(phentsize)))
           for _ in range(phnum)]
    notes = []
    for ph in phs:
        if ph[0] == 4:
            f.seek(ph[2])
            notes.append(f.read(ph[5]))
    loads = [ph for ph in phs if ph[0] == 1][:nloads]
    data = []
    for ph in loads:
        f.seek(ph[2])
        data.append(f.read(min(ph[5], pages * PAGE)))
keep = [ph for ph in phs if ph[0] == 4] + loads
struct.pack_into("<Q", eh, 32, 64)
struct.pack_into("<QIHHHHHH", eh, 40, 0, 0, 64, 56, len(keep), 0, 0, 0)
body = bytearray()
off = 64 + 56 * len(keep)
ni = di = 0
for ph in keep:
    if ph[0] == 4:
        ph[2], ph[5], ph[6] = off, len(notes[ni]), len(notes[ni])
        body += notes[ni]
        off += len(notes[ni])
        ni += 1
for ph in keep:
    if ph[0] == 1:
        pad = -off % PAGE
        body += bytes(pad)
        off += pad
        ph[2], ph[5] = off, len(data[di])
        ph[6] = min(ph[6], max(len(data[di]), mempages * PAGE))
        body += data[di]
        off += len(data[di])
        di += 1
with open(dst, "wb") as f:
    f.write(eh)
    for ph in keep:
        f.write(struct.pack("<IIQQQQQQ", *ph))
    f.write(body)
PY
}

# md ARG...: makedumpfile, its progress meter kept out of the way.
md() {
	makedumpfile "$@" 2>"$tmp/md.log" || {
		cat "$tmp/md.log" >&2
		return 1
	}
}

"$BUILD/mkvmcore" -o "$tmp/mk" --ram 256M --seed 1
cut "$tmp/mk" "$out/mkvmcore-1page" 1 1
cut "$tmp/mk" "$out/mkvmcore-zero-tail" 1 16
cut "$tmp/mk" "$out/mkvmcore-1load" 1 1 1
rm -f "$tmp/mk" "$tmp/mk.truth"
"$BUILD/mkvmcore" -o "$tmp/mk" --ram 256M --l5 --no-kaslr
cut "$tmp/mk" "$out/mkvmcore-l5-2pages" 2 2
rm -f "$tmp/mk" "$tmp/mk.truth"
"$BUILD/mkvmcore" -o "$tmp/mk" --ram 256M --profile idle
md -c -d 31 "$tmp/mk" "$tmp/kd"
head -c 40960 "$tmp/kd" >"$out/makedumpfile-c-d31-cut"
rm -f "$tmp/kd"
md -z -d 1 "$tmp/mk" "$tmp/kd"
head -c 40960 "$tmp/kd" >"$out/makedumpfile-z-d1-cut"
md -F -c -d 31 "$tmp/mk" >"$tmp/kd"
head -c 40960 "$tmp/kd" >"$out/makedumpfile-F-c-d31-cut"
rm -f "$tmp/mk" "$tmp/mk.truth" "$tmp/kd"
for d in "$VMEMTRIM_CACHE"/kernel/*/dumps/vmcore-*/dump; do
	[ -f "$d" ] || continue
	v=$(basename "$(dirname "$d")")
	cut "$d" "$out/real-$v" 1 1
done
ls -l "$out"
