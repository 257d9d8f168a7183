#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""The per-CPU free page lists of a real vmcore, walked with the kernel's
own debug info (python3-drgn), against vmemtrim's and makedumpfile's
kdump dumps of it. Nothing here goes through vmemtrim's C code: drgn reads
the vmcore with the vmlinux's DWARF; the dumps' bitmaps are parsed by
tests/reader/check_inspect.py.

  check_pcp.py lists VMCORE VMLINUX
      print the lists: one line "pfn order list pcp count" per entry
      (list: a number per list head; pcp: a number per struct
      per_cpu_pages; count: the address of its count)
  check_pcp.py check --name N [--min F] LISTS VM MDF
      LISTS from "lists"; VM, MDF: vmemtrim's and makedumpfile's dumps at
      one dump level with the free pages bit (16). Asserts: every list
      entry is left out of VM; at least F (default 0.9) of all the pages
      on the lists (entries and the rest of their high-order blocks) are;
      every pfn that VM leaves out and MDF keeps is a page on the lists.
  check_pcp.py corrupt --seed S [--count] LISTS VMCORE VICTIMS
      patch VMCORE in place (give it a copy): in each of six lists of at
      least three order-0 entries, one entry's struct page gets one field
      off (a reference, PG_reserved, a mapping, _mapcount 0, its next link
      8 bytes off, its prev link at another page); VICTIMS gets one line
      "FIELD PFN LIST" per patched page. --count: instead, the count of
      one struct per_cpu_pages holding such a list is one page off (the
      victim line names that list).
  check_pcp.py kept [--whole-pcp] LISTS VICTIMS DUMP
      DUMP (vmemtrim -d 31 of the patched vmcore) keeps every page of
      every list a victim is on (--whole-pcp: of every list of the same
      struct per_cpu_pages, as the walk of -x keeps them), and still
      leaves out every page of the other lists.
Run with /usr/bin/python3 (Debian's drgn and kdumpfile). TAP lines; exit
status 1 when a line failed, 2 on usage errors.
"""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "reader"))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import check_inspect as ci  # noqa: E402

# PAGE_ALLOC_COSTLY_ORDER: the orders below and at it have a list per
# migratetype; the one list (or two) after them hold pageblock-order blocks
# (mm/page_alloc.c, include/linux/mmzone.h, 5.14+).
COSTLY_ORDER = 3
PAGEBLOCK_ORDER = 9


def pindex_order(pindex, nlists, pcptypes):
    if nlists <= pcptypes:  # before 5.14: order-0 lists only
        return 0
    if pindex < pcptypes * (COSTLY_ORDER + 1):
        return pindex // pcptypes
    return PAGEBLOCK_ORDER


def cmd_lists(argv):
    import drgn
    from drgn.helpers.linux.cpumask import for_each_possible_cpu
    from drgn.helpers.linux.list import list_for_each_entry
    from drgn.helpers.linux.mm import page_to_pfn
    from drgn.helpers.linux.percpu import per_cpu_ptr

    if len(argv) != 2:
        return 2
    prog = drgn.Program()
    prog.set_core_dump(argv[0])
    prog.load_debug_info([argv[1]])
    pcptypes = prog.constant("MIGRATE_PCPTYPES").value_()
    cpus = list(for_each_possible_cpu(prog))
    lid = npcp = 0
    pgdats = [prog["node_data"][nid]
              for nid in range(prog["nr_node_ids"].value_())]
    for pgdat in pgdats:
        if not pgdat:
            continue
        for z in pgdat.node_zones:
            if not z.present_pages or not z.per_cpu_pageset:
                continue
            for cpu in cpus:
                pcp = per_cpu_ptr(z.per_cpu_pageset, cpu)
                n = len(pcp.lists)
                for i in range(n):
                    order = pindex_order(i, n, pcptypes)
                    for page in list_for_each_entry(
                            "struct page", pcp.lists[i].address_of_(),
                            "pcp_list"):
                        print(page_to_pfn(page).value_(), order, lid,
                              npcp, pcp.count.address_of_().value_())
                    lid += 1
                npcp += 1
    return 0


def read_lists(path):
    """(pfn, order, list) per entry."""
    with open(path) as f:
        return [tuple(int(x) for x in line.split()[:3]) for line in f]


def read_pcps(path):
    """list -> the number of its struct per_cpu_pages."""
    with open(path) as f:
        return {int(w[2]): int(w[3]) for w in (line.split() for line in f)}


SP = 64
OFF_FLAGS, OFF_LRU, OFF_MAPPING, OFF_MAPCOUNT, OFF_REF = 0, 8, 24, 48, 52
PG_RESERVED = 12  # enum pageflags of 6.1
FIELDS = ("refcount", "reserved", "mapping", "mapcount", "next", "prev")


def cmd_corrupt(argv):
    import random
    import struct
    count = "--count" in argv
    o, args = ci.opts([a for a in argv if a != "--count"], ["--seed"])
    if len(args) != 3:
        return 2
    rng = random.Random(int(o.get("--seed", "1")))
    lists = {}
    for pfn, order, lid in read_lists(args[0]):
        lists.setdefault(lid, []).append((pfn, order))
    ok_lists = sorted(lid for lid, es in lists.items()
                      if len(es) >= 3 and all(not o for _, o in es))
    if len(ok_lists) < len(FIELDS):
        print("# only %d lists of 3 order-0 entries" % len(ok_lists))
        return 1
    rng.shuffle(ok_lists)
    kd = ci.Kdumpfile(args[1])
    mapnr = max(p for es in lists.values() for p, _ in es) + 1
    _, _, bases = kd.sections(mapnr)
    vbase = min(bases)
    pl = [(p, fs, off) for p, fs, _, off in ci.elf_pt_loads(args[1])]

    def pa_of(pfn):
        st, pa = kd.walk(vbase + pfn * SP, 1 << 36)
        if st != "mapped":
            raise RuntimeError("struct page of %#x: %s" % (pfn, st))
        return pa

    patches, victims = [], []
    if count:
        lid = ok_lists[0]
        with open(args[0]) as f:
            va = next(int(w[4]) for w in (line.split() for line in f)
                      if int(w[2]) == lid)
        st, pa = kd.walk(va, 1 << 36)
        if st != "mapped":
            raise RuntimeError("count at %#x: %s" % (va, st))
        n, = struct.unpack("<i", kd.read(kd.kd.KDUMP_KPHYSADDR, pa, 4))
        patches.append((pa, struct.pack("<i", n + 1)))
        victims.append(("count", lists[lid][0][0], lid))
    for field, lid in zip(() if count else FIELDS, ok_lists):
        es = lists[lid]
        k = 1 + rng.randrange(len(es) - 2)  # not an end
        pfn = es[k][0]
        pa = pa_of(pfn)
        b = bytearray(kd.read(kd.kd.KDUMP_KPHYSADDR, pa, SP))
        if field == "refcount":
            struct.pack_into("<I", b, OFF_REF, 1)
        elif field == "reserved":
            flags, = struct.unpack_from("<Q", b, OFF_FLAGS)
            struct.pack_into("<Q", b, OFF_FLAGS, flags | 1 << PG_RESERVED)
        elif field == "mapping":
            struct.pack_into("<Q", b, OFF_MAPPING, 0xffff888100200000)
        elif field == "mapcount":
            struct.pack_into("<I", b, OFF_MAPCOUNT, 0)
        elif field == "next":
            nxt, = struct.unpack_from("<Q", b, OFF_LRU)
            struct.pack_into("<Q", b, OFF_LRU, nxt + 8)
        else:
            other = es[0][0] + 1 if es[0][0] + 1 != pfn else es[0][0] + 2
            struct.pack_into("<Q", b, OFF_LRU + 8,
                             vbase + other * SP + OFF_LRU)
        patches.append((pa, bytes(b)))
        victims.append((field, pfn, lid))
    with open(args[1], "r+b") as f:
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
    with open(args[2], "w") as f:
        for field, pfn, lid in victims:
            f.write("%s %d %d\n" % (field, pfn, lid))
    print("# patched %d struct pages: %s" % (len(victims), ", ".join(
        "%s %#x" % (v[0], v[1]) for v in victims)))
    return 0


def cmd_kept(argv):
    whole = "--whole-pcp" in argv
    argv = [a for a in argv if a != "--whole-pcp"]
    if len(argv) != 3:
        return 2
    lists = {}
    for pfn, order, lid in read_lists(argv[0]):
        lists.setdefault(lid, []).append((pfn, order))
    bad = {}
    with open(argv[1]) as f:
        for line in f:
            field, pfn, lid = line.split()
            bad[int(lid)] = field
    if whole:
        pcp = read_pcps(argv[0])
        for lid in list(bad):
            for other in lists:
                if pcp[other] == pcp[lid] and other not in bad:
                    bad[other] = bad[lid] + " (same CPU's lists)"
    tmp = os.path.dirname(os.path.abspath(argv[2]))
    d = ci.KdumpFile(argv[2], tmp)
    for lid in sorted(bad):
        pages = [p + i for p, o in lists[lid] for i in range(1 << o)]
        out = [p for p in pages if not ci.bit(d.b2, p)]
        ci.check("corrupt " + bad[lid],
                 "every page (%d) of the list with one field off is kept" %
                 len(pages), not out,
                 "left out: " + ", ".join("%#x" % p for p in out[:10]))
    others = [p + i for lid, es in lists.items() if lid not in bad
              for p, o in es for i in range(1 << o)]
    kept = [p for p in others if ci.bit(d.b2, p)]
    ci.check("corrupt", "the %d pages of the other lists are left out" %
             len(others), not kept,
             "kept: " + ", ".join("%#x" % p for p in kept[:10]))
    return 1 if ci.FAILED else 0


def cmd_check(argv):
    o, args = ci.opts(argv, ["--name", "--min"])
    if len(args) != 3:
        return 2
    name = o.get("--name", "pcp")
    least = float(o.get("--min", "0.9"))
    entries = {}
    for pfn, order, _ in read_lists(args[0]):
        entries[pfn] = order
    pages = set()
    for pfn, order in entries.items():
        pages.update(range(pfn, pfn + (1 << order)))
    tmp = os.path.dirname(os.path.abspath(args[1]))
    vm = ci.KdumpFile(args[1], tmp)
    md = ci.KdumpFile(args[2], tmp)
    n = vm.max_pfn

    def ram(k, p):
        return p < n and ci.bit(k.b1, p)

    def dumped(k, p):
        return p < n and ci.bit(k.b2, p)

    ci.note("%s: %d list entries, %d pages on the lists (%d of them "
            "order-0 entries)" % (name, len(entries), len(pages),
                                  sum(1 for o in entries.values() if not o)))
    ci.check(name, "the per-CPU lists hold pages", len(entries) > 0)
    kept = sorted(p for p in entries if ram(vm, p) and dumped(vm, p))
    ci.check(name, "every list entry (%d) is left out" % len(entries),
             not kept, "kept: " + ", ".join("%#x" % p for p in kept[:10]) +
             (" ... (%d)" % len(kept) if len(kept) > 10 else ""))
    out = sum(1 for p in pages if ram(vm, p) and not dumped(vm, p))
    frac = out / len(pages) if pages else 0
    ci.check(name, "%.1f%% of the pages on the lists are left out "
             "(at least %.0f%%)" % (100 * frac, 100 * least), frac >= least)
    mdf_out = sum(1 for p in pages if ram(md, p) and not dumped(md, p))
    ci.note("%s: makedumpfile leaves out %d of them" % (name, mdf_out))
    extra = []
    for i in range(0, (n + 7) // 8):
        a, b = vm.b2[i] if i < len(vm.b2) else 0, \
            md.b2[i] if i < len(md.b2) else 0
        x = b & ~a & (vm.b1[i] if i < len(vm.b1) else 0)
        while x:
            j = (x & -x).bit_length() - 1
            x &= x - 1
            p = 8 * i + j
            if p < n and p not in pages:
                extra.append(p)
    ci.check(name, "every page left out that makedumpfile keeps is on a "
             "per-CPU list", not extra,
             "%d others: " % len(extra) +
             ", ".join("%#x" % p for p in extra[:10]))
    return 1 if ci.FAILED else 0


def main(argv):
    cmds = {"lists": cmd_lists, "check": cmd_check, "corrupt": cmd_corrupt,
            "kept": cmd_kept}
    if len(argv) < 2 or argv[1] not in cmds:
        print(__doc__, file=sys.stderr)
        return 2
    rc = cmds[argv[1]](argv[2:])
    if rc == 2:
        print(__doc__, file=sys.stderr)
    return rc


if __name__ == "__main__":
    sys.exit(main(sys.argv))
