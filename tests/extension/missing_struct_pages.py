#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Which pfns lack struct page data in a dump, computed without vmemtrim.

Usage: missing_struct_pages.py VMLINUX DUMP [--check-data]

libkdumpfile (its own page-table walk and bitmaps) reads the struct pages
of each 4 KiB vmemmap page (64 pfns of 64-byte struct pages) at
vmemmap_base, which it reads from the kernel variable of that name (its
address from the vmlinux symbol table plus KERNELOFFSET). A vmemmap page
that reads as "no data" makes its pfns missing. Prints one line per
maximal run, "START END" (hex, end exclusive), then "total N".

--check-data: also prove no missing pfn has its own data in the dump
(makedumpfile -e is only sound when a struct page is dropped with the
pages it describes); prints "data-dumped N" and exits 1 when N > 0.
"""
import subprocess
import sys

import kdumpfile
from kdumpfile.exceptions import AddressTranslationException, NoDataException

STRUCT_PAGE = 64
PAGE = 4096
PER_PAGE = PAGE // STRUCT_PAGE


def symbol(vmlinux, name):
    out = subprocess.run(["nm", vmlinux], capture_output=True, text=True,
                         check=True).stdout
    for line in out.splitlines():
        f = line.split()
        if len(f) == 3 and f[2] == name:
            return int(f[0], 16)
    raise SystemExit("%s: no symbol %s" % (vmlinux, name))


def main(argv):
    if len(argv) < 3:
        raise SystemExit(__doc__)
    vmlinux, dump = argv[1], argv[2]
    k = kdumpfile.kdumpfile(dump)
    k.attr["addrxlat.ostype"] = "linux"
    lines = k.attr["linux.vmcoreinfo.lines"]
    koff = int(lines["KERNELOFFSET"], 16) if "KERNELOFFSET" in lines else 0
    addr = symbol(vmlinux, "vmemmap_base") + koff
    base = int.from_bytes(bytes(k.read(kdumpfile.KDUMP_KVADDR, addr, 8)),
                          "little")
    max_pfn = k.attr["max_pfn"]
    runs = []
    unmapped = 0
    for g in range((max_pfn + PER_PAGE - 1) // PER_PAGE):
        try:
            k.read(kdumpfile.KDUMP_KVADDR, base + g * PAGE, 1)
            continue
        except NoDataException:
            pass
        except AddressTranslationException:
            unmapped += 1  # no struct page at all: not "missing"
            continue
        start, end = g * PER_PAGE, min((g + 1) * PER_PAGE, max_pfn)
        if runs and runs[-1][1] == start:
            runs[-1][1] = end
        else:
            runs.append([start, end])
    total = 0
    for start, end in runs:
        print("%x %x" % (start, end))
        total += end - start
    print("total %d" % total)
    if unmapped:
        print("unmapped-vmemmap-pages %d" % unmapped)
    if "--check-data" in argv:
        dumped = 0
        for start, end in runs:
            for pfn in range(start, end):
                try:
                    k.read(kdumpfile.KDUMP_KPHYSADDR, pfn * PAGE, 1)
                    dumped += 1
                except NoDataException:
                    pass
        print("data-dumped %d" % dumped)
        return 1 if dumped else 0
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
