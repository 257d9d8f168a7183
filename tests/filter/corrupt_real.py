#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Corrupt struct pages of a real kernel's ELF vmcore, as a crashed kernel
corrupts them, and check what vmemtrim made of it.

  corrupt_real.py patch --seed S --garbage N --buddy N VMCORE CLEAN VICTIMS
      VMCORE is patched in place (give it a copy). CLEAN is vmemtrim's
      -d 31 -e dump of the unpatched vmcore: victims are picked among the
      pfns it left out, so the corruption is visible. N struct pages of
      single allocated pages (PG_lru) or free buddy heads get 64 random
      bytes that no kernel writes (a tail bit without a head, or a
      page->mapping that is no kernel pointer); N other free buddy heads
      get an order no buddy allocator has (private >= 11). VICTIMS gets
      one line per victim: KIND FIRST_PFN NPFNS (the pfns a careful filter
      must now dump: a buddy head's whole block, whose other pages no
      longer belong to a free block anyone can see).
  corrupt_real.py check VICTIMS CLEAN DUMP
      DUMP (vmemtrim -d 31 -e of the patched vmcore) dumps every victim pfn
      and every pfn CLEAN dumps.
TAP lines; exit 1 when a check failed, 2 on usage errors.

The struct pages are found by walking the vmcore's own page tables from
vmemmap_base (tests/reader/check_inspect.py, libkdumpfile reads); bytes
are patched in every PT_LOAD that holds the physical address (the kernel
text PT_LOAD repeats RAM).
"""
import os
import random
import struct
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "reader"))
sys.path.insert(0, os.path.join(HERE, "..", "mkvmcore"))

import check_inspect as ci  # noqa: E402
from check_truth import read_kdump  # noqa: E402

SP = 64
OFF_HEAD, OFF_MAPPING, OFF_PRIVATE, OFF_TYPE = 8, 24, 40, 48
BUDDY = 0xffffff7f
TYPES = (0xffffff7f, 0xfffffeff, 0xfffffdff, 0xfffffbff)


def loads(path):
    return [(p, fs, off) for p, fs, _, off in ci.elf_pt_loads(path)]


def implausible(b, floor):
    head, = struct.unpack_from("<Q", b, OFF_HEAD)
    mapping, = struct.unpack_from("<Q", b, OFF_MAPPING)
    typ, = struct.unpack_from("<I", b, OFF_TYPE)
    if typ in TYPES:
        return False
    ptr = mapping & ~3
    kernel_ptr = ptr >= floor and not ptr & 7
    return bool(head & 1) or (mapping != 0 and not kernel_ptr)


def cmd_patch(argv):
    seed, ngarbage, nbuddy = 0, 0, 0
    while argv and argv[0].startswith("--"):
        opt, val = argv[0], int(argv[1])
        argv = argv[2:]
        if opt == "--seed":
            seed = val
        elif opt == "--garbage":
            ngarbage = val
        elif opt == "--buddy":
            nbuddy = val
        else:
            return usage()
    if len(argv) != 3:
        return usage()
    vmcore, clean, victims = argv
    rng = random.Random(seed)
    kd = ci.Kdumpfile(vmcore)
    vi = kd.vi
    _, mapnr, _, dumped = read_kdump(clean)
    floor = 0xff00000000000000 if kd.levels == 5 else 0xffff800000000000
    _, _, bases = kd.sections(mapnr)
    vbase = min(bases)
    # candidates: excluded pfns, scanned in a random order of 2 MiB steps
    ram_excluded = [p for p in range(0x1000, mapnr, 97)
                    if not dumped[p]]
    rng.shuffle(ram_excluded)
    single, heads, used = [], [], set()
    for p in ram_excluded:
        if len(single) >= ngarbage and len(heads) >= ngarbage + nbuddy:
            break
        for q in range(p, min(p + 64, mapnr)):
            st, pa = kd.walk(vbase + q * SP, mapnr)
            if st != "mapped":
                break
            b = kd.read(kd.kd.KDUMP_KPHYSADDR, pa, SP)
            if b is None:
                break
            flags, = struct.unpack_from("<Q", b, 0)
            head, = struct.unpack_from("<Q", b, OFF_HEAD)
            typ, = struct.unpack_from("<I", b, OFF_TYPE)
            order, = struct.unpack_from("<Q", b, OFF_PRIVATE)
            if typ == BUDDY and order < 11 and not q & ((1 << order) - 1):
                n = 1 << order
                if not any(x in used for x in range(q, q + n)) and \
                        all(not dumped[x] for x in range(q, q + n)):
                    heads.append((q, n, pa))
                    used.update(range(q, q + n))
                break
            lru = int(vi["NUMBER(PG_lru)"])
            headmask = int(vi["NUMBER(PG_head_mask)"])
            if flags & (1 << lru) and not flags & headmask and \
                    not head & 1 and q not in used and not dumped[q]:
                single.append((q, 1, pa))
                used.add(q)
                break
    rng.shuffle(heads)
    garbage = (single[:ngarbage - ngarbage // 2] +
               heads[:ngarbage // 2])
    buddy = heads[ngarbage // 2:ngarbage // 2 + nbuddy]
    if len(garbage) < ngarbage or len(buddy) < nbuddy:
        print("# only %d/%d garbage, %d/%d buddy victims found" %
              (len(garbage), ngarbage, len(buddy), nbuddy))
        return 2
    patches = []
    for q, n, pa in garbage:
        while True:
            b = bytes(rng.getrandbits(8) for _ in range(SP))
            if implausible(b, floor):
                break
        patches.append((pa, b))
    for i, (q, n, pa) in enumerate(buddy):
        bad = (11 + rng.randrange(53), 0xdeadbeef, 1 << 40)[i % 3]
        patches.append((pa + OFF_PRIVATE, struct.pack("<Q", bad)))
    pl = loads(vmcore)
    with open(vmcore, "r+b") as f:
        for pa, b in patches:
            hits = 0
            for paddr, filesz, off in pl:
                if paddr <= pa and pa + len(b) <= paddr + filesz:
                    f.seek(off + pa - paddr)
                    f.write(b)
                    hits += 1
            if not hits:
                print("# paddr %#x is in no PT_LOAD" % pa)
                return 1
    with open(victims, "w") as f:
        for q, n, _ in garbage:
            f.write("garbage %#x %d\n" % (q, n))
        for q, n, _ in buddy:
            f.write("buddy-order %#x %d\n" % (q, n))
    print("# patched %d garbage struct pages, %d buddy orders" %
          (len(garbage), len(buddy)))
    return 0


def cmd_check(argv):
    if len(argv) != 3:
        return usage()
    victims, clean, dump = argv
    want = read_kdump(clean)[3]
    got = read_kdump(dump)[3]
    lost = [p for p in range(len(want)) if want[p] and not got[p]]
    ci.check("corrupt", "every pfn the clean dump has is dumped",
             not lost, "lost: %s" % [hex(p) for p in lost[:8]])
    missing, n = [], 0
    with open(victims) as f:
        for line in f:
            kind, first, count = line.split()
            first, count = int(first, 16), int(count)
            n += 1
            for p in range(first, first + count):
                if not got[p]:
                    missing.append((kind, hex(p)))
    ci.check("corrupt", "all %d victims' pfns are dumped" % n,
             not missing, "missing: %s" % missing[:8])
    return 1 if ci.FAILED else 0


def usage():
    sys.stderr.write(__doc__)
    return 2


def main(argv):
    if len(argv) < 2:
        return usage()
    cmd = {"patch": cmd_patch, "check": cmd_check}.get(argv[1])
    return cmd(argv[2:]) if cmd else usage()


if __name__ == "__main__":
    sys.exit(main(sys.argv))
