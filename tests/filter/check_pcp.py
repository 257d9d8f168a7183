#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""The per-CPU free page lists of a real vmcore, walked with the kernel's
own debug info (python3-drgn), against vmemtrim's and makedumpfile's
kdump dumps of it. Nothing here goes through vmemtrim's C code: drgn reads
the vmcore with the vmlinux's DWARF; the dumps' bitmaps are parsed by
tests/reader/check_inspect.py.

  check_pcp.py lists VMCORE VMLINUX
      print the lists: one line "pfn order" per entry
  check_pcp.py check --name N [--min F] LISTS VM MDF
      LISTS from "lists"; VM, MDF: vmemtrim's and makedumpfile's dumps at
      one dump level with the free pages bit (16). Asserts: every list
      entry is left out of VM; at least F (default 0.9) of all the pages
      on the lists (entries and the rest of their high-order blocks) are;
      every pfn that VM leaves out and MDF keeps is a page on the lists.
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
                        print(page_to_pfn(page).value_(), order)
    return 0


def cmd_check(argv):
    o, args = ci.opts(argv, ["--name", "--min"])
    if len(args) != 3:
        return 2
    name = o.get("--name", "pcp")
    least = float(o.get("--min", "0.9"))
    entries = {}
    with open(args[0]) as f:
        for line in f:
            pfn, order = line.split()
            entries[int(pfn)] = int(order)
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
    if len(argv) < 2 or argv[1] not in ("lists", "check"):
        print(__doc__, file=sys.stderr)
        return 2
    rc = (cmd_lists if argv[1] == "lists" else cmd_check)(argv[2:])
    if rc == 2:
        print(__doc__, file=sys.stderr)
    return rc


if __name__ == "__main__":
    sys.exit(main(sys.argv))
