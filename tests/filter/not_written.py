#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""The pfns of a kdump-compressed DUMP whose data was never written, read
here from the file alone (header, bitmaps, page descriptors), to judge
vmemtrim-inspect's list (docs/inspect-json.md, "not_written").

  not_written.py DUMP
      one JSON object: {"not_written": N, "ranges": [[start, end, count],
      ...]}: a range is a longest run of dumped pfns (2nd bitmap) whose
      descriptor is empty (offset 0) or, in an INCOMPLETE dump, points
      past the end of the file; end is one past its last pfn, count the
      pfns of it not written (the others are not dumped at all).

Regular (not flattened, not split) files only. Exit status 1 on a file
that is none.
"""
import json
import os
import struct
import sys

INCOMPLETE = 0x8


def main(path):
    size = os.path.getsize(path)
    with open(path, "rb") as f:
        hdr = f.read(4096)
        if hdr[:8] != b"KDUMP   ":
            print("%s: not a kdump-compressed file" % path, file=sys.stderr)
            return 1
        version = struct.unpack_from("<i", hdr, 8)[0]
        status, bs, sub, blocks, mapnr = struct.unpack_from("<IiiII", hdr,
                                                            424)
        f.seek(bs + 96)
        mapnr64 = struct.unpack("<Q", f.read(8))[0]
        max_pfn = mapnr64 if version >= 6 and mapnr64 else mapnr
        one = (max_pfn + 7) // 8
        bm2 = (1 + sub) * bs
        if blocks * bs >= 2 * ((one + bs - 1) // bs * bs):
            bm2 += blocks // 2 * bs
        f.seek(bm2)
        b2 = f.read(one)
        dumped = [8 * i + j for i, x in enumerate(b2) if x
                  for j in range(8) if x >> j & 1 and 8 * i + j < max_pfn]
        desc_off = (1 + sub + blocks) * bs
        n = len(dumped)
        f.seek(desc_off)
        descs = f.read(24 * n).ljust(24 * n, b"\0")
    incomplete = status & INCOMPLETE
    ranges, cur, idx, total = [], None, 0, 0
    for pfn in dumped:
        off, dsize = struct.unpack_from("<QI", descs, 24 * idx)
        dpos = desc_off + 24 * idx
        idx += 1
        missing = off == 0 or (incomplete and (
            dpos + 24 > size or off > size or dsize > size - off))
        if not missing:
            cur = None
            continue
        total += 1
        if cur is None:
            cur = [pfn, pfn + 1, 0]
            ranges.append(cur)
        cur[1] = pfn + 1
        cur[2] += 1
    print(json.dumps({"not_written": total, "ranges": ranges}))
    return 0


if __name__ == "__main__":
    if len(sys.argv) != 2:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    sys.exit(main(sys.argv[1]))
