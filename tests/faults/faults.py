#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Independent helpers of tests/faults/test-faults.sh.

Nothing here goes through vmemtrim's C code: ELF program headers and
kdump-compressed files (header, bitmaps, page descriptors) are parsed
here and by tests/reader/check_inspect.py.

  faults.py ranges VMCORE PFN...
      the byte ranges of VMCORE that hold the data of those pfns (every
      PT_LOAD that covers them), as "START-END,..." (END exclusive), for
      VT_FAULT_EIO_RANGES
  faults.py stored DUMP PFN...
      the byte ranges of DUMP (kdump-compressed) that hold those pfns'
      stored data, "START-END,...", for VT_FAULT_EIO_RANGES
  faults.py info DUMP
      one line: status=0x.. incomplete=0|1 max_pfn=N bits2=N
      not_written=N desc_off=N desc_end=N (the descriptor area)
  faults.py compare REF DUMP
      2nd bitmap of DUMP against REF's, and DUMP's empty descriptors:
      "lost=PFNS new=PFNS empty=PFNS" (pfn lists "0x1,0x2" or "-"):
      lost: in REF's bitmap, not in DUMP's; new: the other way round;
      empty: in DUMP's 2nd bitmap with descriptor offset 0
  faults.py kdumpfile DUMP PFN...
      libkdumpfile opens DUMP and reads each pfn (machine physical);
      prints "read N failed M"
  faults.py sample VMCORE DUMP
      libkdumpfile reads up to 5 pfns of DUMP that have data (first, last,
      between) and one that has none: "equal N of M, unwritten fails K of
      L" (equal: the same bytes as VMCORE has, read by libkdumpfile)
Exit status 0; 1 with a message on stderr when a file cannot be parsed.
"""
import os
import struct
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "reader"))

import check_inspect as ci  # noqa: E402

PAGE = 4096
PT_LOAD = 1


def loads(path):
    """(paddr, offset, filesz) of every PT_LOAD of an ELF64 core file"""
    with open(path, "rb") as f:
        eh = f.read(64)
        if eh[:4] != b"\x7fELF" or eh[4] != 2:
            raise ValueError("%s: not an ELF64 file" % path)
        phoff, = struct.unpack_from("<Q", eh, 32)
        phentsize, phnum = struct.unpack_from("<HH", eh, 54)
        f.seek(phoff)
        out = []
        for _ in range(phnum):
            ph = f.read(phentsize)
            p_type, = struct.unpack_from("<I", ph, 0)
            off, = struct.unpack_from("<Q", ph, 8)
            paddr, filesz = struct.unpack_from("<QQ", ph, 24)
            if p_type == PT_LOAD:
                out.append((paddr, off, filesz))
        return out


def cmd_ranges(argv):
    ls = loads(argv[0])
    out = []
    for a in argv[1:]:
        lo = int(a, 0) * PAGE
        hi = lo + PAGE
        for paddr, off, size in ls:
            s, e = max(lo, paddr), min(hi, paddr + size)
            if s < e:
                out.append("%d-%d" % (off + s - paddr, off + e - paddr))
    print(",".join(out))
    return 0


class Dump:
    """A kdump-compressed file: check_inspect's parse plus descriptors."""

    def __init__(self, path):
        tmp = tempfile.mkdtemp(prefix="faults.")
        try:
            self.k = ci.KdumpFile(path, tmp)
        finally:
            os.rmdir(tmp)
        k = self.k
        n = k.max_pfn
        v = int.from_bytes(k.b2[:(n + 7) // 8], "little") & ((1 << n) - 1)
        self.b2 = v
        self.desc_off = (1 + k.sub_hdr_size + k.bitmap_blocks) * k.bs
        self.desc_end = self.desc_off + 24 * k.popcount2()
        with open(path, "rb") as f:
            f.seek(self.desc_off)
            descs = f.read(24 * k.popcount2())
        self.offs = memoryview(descs).cast("Q")[0::3].tolist()

    def pfns(self):
        bs = self.b2.to_bytes((self.k.max_pfn + 7) // 8, "little")
        out = []
        for i, x in enumerate(bs):
            if x:
                out.extend(8 * i + j for j in range(8) if x >> j & 1)
        return out


def fmt(ps):
    return ",".join("%#x" % p for p in sorted(ps)) or "-"


def cmd_info(argv):
    d = Dump(argv[0])
    k = d.k
    print("status=%#x incomplete=%d max_pfn=%d bits2=%d not_written=%d "
          "desc_off=%d desc_end=%d" % (
              k.status, (k.status >> 3) & 1, k.max_pfn, k.popcount2(),
              k.not_written, d.desc_off, d.desc_end))
    return 0


def cmd_compare(argv):
    ref, dump = Dump(argv[0]), Dump(argv[1])
    rs, ds = set(ref.pfns()), dump.pfns()
    empty = [p for p, o in zip(ds, dump.offs) if o == 0]
    dset = set(ds)
    print("lost=%s new=%s empty=%s" % (fmt(rs - dset), fmt(dset - rs),
                                       fmt(empty)))
    return 0


def cmd_kdumpfile(argv):
    import kdumpfile
    k = kdumpfile.kdumpfile(argv[0])
    read = failed = 0
    for a in argv[1:]:
        try:
            k.read(kdumpfile.KDUMP_MACHPHYSADDR, int(a, 0) * PAGE, PAGE)
            read += 1
        except Exception:
            failed += 1
    print("read %d failed %d" % (read, failed))
    return 0


def cmd_stored(argv):
    d = Dump(argv[0])
    ps = d.pfns()
    out = []
    with open(argv[0], "rb") as f:
        for a in argv[1:]:
            i = ps.index(int(a, 0))
            f.seek(d.desc_off + 24 * i)
            off, size = struct.unpack("<QI", f.read(12))
            out.append("%d-%d" % (off, off + size))
    print(",".join(out))
    return 0


def cmd_sample(argv):
    import kdumpfile
    d = Dump(argv[1])
    ps = d.pfns()
    have = [p for p, o in zip(ps, d.offs) if o]
    none = [p for p, o in zip(ps, d.offs) if not o]
    pick = sorted(set(have[i * (len(have) - 1) // 4] for i in range(5))
                  if have else [])
    src = kdumpfile.kdumpfile(argv[0])
    k = kdumpfile.kdumpfile(argv[1])
    equal = fails = 0
    for p in pick:
        try:
            a = src.read(kdumpfile.KDUMP_MACHPHYSADDR, p * PAGE, PAGE)
            b = k.read(kdumpfile.KDUMP_MACHPHYSADDR, p * PAGE, PAGE)
            equal += a == b
        except Exception:
            pass
    for p in none[:1]:
        try:
            k.read(kdumpfile.KDUMP_MACHPHYSADDR, p * PAGE, PAGE)
        except Exception:
            fails += 1
    print("equal %d of %d, unwritten fails %d of %d" % (
        equal, len(pick), fails, min(len(none), 1)))
    return 0


def main(argv):
    cmds = {"ranges": cmd_ranges, "info": cmd_info,
            "compare": cmd_compare, "kdumpfile": cmd_kdumpfile,
            "sample": cmd_sample, "stored": cmd_stored}
    if len(argv) < 2 or argv[0] not in cmds:
        sys.stderr.write(__doc__)
        return 2
    try:
        return cmds[argv[0]](argv[1:])
    except (OSError, ValueError) as e:
        sys.stderr.write("faults.py: %s\n" % e)
        return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
