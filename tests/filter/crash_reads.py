#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Which pages of a kdump-compressed dump a program read.

  crash_reads.py STRACE DUMP
      STRACE: the output of `strace -f -e trace=openat,close,lseek,read,
      pread64` of a program reading DUMP (e.g. crash). Prints one line per
      dumped pfn whose page descriptor or page data the program read,
      "pfn desc|data", sorted, and a summary on stderr: bytes read from
      the header, the bitmaps, the descriptors and the page data.
"""
import bisect
import os
import re
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "reader"))

import check_inspect as ci  # noqa: E402

OPEN = re.compile(r'^(\d+) +openat\(AT_FDCWD, "([^"]*)".*\) = (\d+)')
CLOSE = re.compile(r'^(\d+) +close\((\d+)\)')
LSEEK = re.compile(r'^(\d+) +lseek\((\d+), (\d+), SEEK_SET\) += (\d+)')
READ = re.compile(r'^(\d+) +read\((\d+), .*, \d+\) += (\d+)')
PREAD = re.compile(r'^(\d+) +pread64\((\d+), .*, \d+, (\d+)\) += (\d+)')


def reads(trace, dump):
    """(offset, length) of every read of DUMP in TRACE."""
    want = os.path.realpath(dump)
    fds, pos = {}, {}
    with open(trace) as f:
        for line in f:
            m = OPEN.match(line)
            if m:
                fd = int(m.group(3))
                fds[fd] = os.path.realpath(m.group(2)) == want
                pos[fd] = 0
                continue
            m = CLOSE.match(line)
            if m:
                fds.pop(int(m.group(2)), None)
                continue
            m = LSEEK.match(line)
            if m and fds.get(int(m.group(2))):
                pos[int(m.group(2))] = int(m.group(4))
                continue
            m = READ.match(line)
            if m and fds.get(int(m.group(2))):
                fd, n = int(m.group(2)), int(m.group(3))
                yield pos[fd], n
                pos[fd] += n
                continue
            m = PREAD.match(line)
            if m and fds.get(int(m.group(2))):
                yield int(m.group(3)), int(m.group(4))


def dumped_pfns(k):
    v = int.from_bytes(k.b2[:(k.max_pfn + 7) // 8], "little")
    out, pfn = [], 0
    while v:
        low = v & -v
        pfn += low.bit_length() - 1
        out.append(pfn)
        v >>= low.bit_length()
        pfn += 1
    return out


def main():
    if len(sys.argv) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    trace, dump = sys.argv[1:]
    tmp = tempfile.mkdtemp(prefix="crash_reads.")
    k = ci.KdumpFile(dump, tmp)
    pfns = dumped_pfns(k)
    desc_off = (1 + k.sub_hdr_size + k.bitmap_blocks) * k.bs
    with open(dump, "rb") as f:
        f.seek(desc_off)
        descs = f.read(24 * len(pfns))
    offs = memoryview(descs).cast("Q")[0::3].tolist()
    sizes = memoryview(descs).cast("I")[2::6].tolist()
    data = sorted((o, s, pfn) for o, s, pfn in zip(offs, sizes, pfns) if o)
    starts = [d[0] for d in data]
    seen = {}
    area = {"header": 0, "bitmaps": 0, "descriptors": 0, "data": 0}
    for off, n in reads(trace, dump):
        if n <= 0:
            continue
        if off < (1 + k.sub_hdr_size) * k.bs:
            area["header"] += n
        elif off < desc_off:
            area["bitmaps"] += n
        elif off < desc_off + 24 * len(pfns):
            area["descriptors"] += n
            for i in range((off - desc_off) // 24,
                           min(len(pfns), (off + n - desc_off - 1) // 24 + 1)):
                seen.setdefault(pfns[i], "desc")
        else:
            area["data"] += n
            i = bisect.bisect_right(starts, off) - 1
            while i < len(data) and i >= 0 and data[i][0] < off + n:
                if data[i][0] + data[i][1] > off:
                    seen[data[i][2]] = "data"
                i += 1
    for pfn in sorted(seen):
        print("%d %s" % (pfn, seen[pfn]))
    print("# read: " + ", ".join("%s %d bytes" % kv for kv in area.items())
          + "; %d pfns" % len(seen), file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
