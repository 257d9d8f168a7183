#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Make pages of an ELF vmcore "not in the dump", in place, for the
verdict tests (tests/reader/test-inspect-verdict.sh).

  elf_drop.py VMCORE WHAT...      WHAT: image (the page of SYMBOL(_stext)),
                                  kernel-pud (the page table below the top
                                  table that maps the kernel image), or a
                                  pfn (0x... or decimal)

Each page becomes a PT_LOAD of its own with p_filesz 0 (the reader counts
it excluded); the other loads keep their file offsets. The notes move to
the end of the file so that the longer program header table stays where
it was (crash wants it near the start). Prints the pfns dropped, one per
line.
"""
import struct
import sys

START_KERNEL_MAP = 0xffffffff80000000
PAGE = 4096


def notes(f, phdrs):
    for p in phdrs:
        if p[0] == 4:  # PT_NOTE
            f.seek(p[2])
            yield f.read(p[5])


def vmcoreinfo(f, phdrs):
    for blob in notes(f, phdrs):
        i = blob.find(b"OSRELEASE=")
        if i >= 0:
            text = blob[i:].split(b"\0")[0].decode()
            return dict(l.split("=", 1) for l in text.split("\n") if "=" in l)
    sys.exit("elf_drop: no VMCOREINFO")


def read_paddr(f, phdrs, paddr, n):
    for p in phdrs:
        if p[0] == 1 and p[4] <= paddr < p[4] + p[5]:
            f.seek(p[2] + paddr - p[4])
            return f.read(n)
    sys.exit("elf_drop: paddr %#x not in a PT_LOAD" % paddr)


def target(f, phdrs, vi, what):
    phys_base = int(vi["NUMBER(phys_base)"])
    if what == "image":
        stext = int(vi["SYMBOL(_stext)"], 16)
        return (stext - START_KERNEL_MAP + phys_base) // PAGE
    if what == "kernel-pud":
        top = int(vi["SYMBOL(init_top_pgt)"], 16) - START_KERNEL_MAP + phys_base
        levels = 5 if vi.get("NUMBER(pgtable_l5_enabled)") == "1" else 4
        table = top
        for level in range(levels, 3, -1):  # down to the PUD table
            shift = 12 + 9 * (level - 1)
            idx = (START_KERNEL_MAP >> shift) & 511
            entry, = struct.unpack("<Q", read_paddr(f, phdrs, table + 8 * idx, 8))
            table = entry & 0x000ffffffffff000
        return table // PAGE
    return int(what, 0)


def split(phdrs, pfn):
    out = []
    for p in phdrs:
        typ, flags, off, vaddr, paddr, filesz, memsz, align = p
        a = pfn * PAGE
        if typ != 1 or not (paddr <= a < paddr + filesz):
            out.append(p)
            continue
        head = a - paddr
        if head:
            out.append((typ, flags, off, vaddr, paddr, head, head, align))
        out.append((typ, flags, off + head, vaddr + head if vaddr else 0,
                    a, 0, PAGE, align))
        rest = filesz - head - PAGE
        if rest > 0:
            out.append((typ, flags, off + head + PAGE,
                        vaddr + head + PAGE if vaddr else 0, a + PAGE,
                        rest, memsz - head - PAGE, align))
    return out


def main(argv):
    if len(argv) < 3:
        sys.exit(__doc__)
    with open(argv[1], "r+b") as f:
        eh = f.read(64)
        phoff, = struct.unpack_from("<Q", eh, 32)
        phnum, = struct.unpack_from("<H", eh, 56)
        f.seek(phoff)
        raw = f.read(56 * phnum)
        phdrs = [struct.unpack_from("<IIQQQQQQ", raw, 56 * i)
                 for i in range(phnum)]
        vi = vmcoreinfo(f, phdrs)
        pfns = [target(f, phdrs, vi, w) for w in argv[2:]]
        for pfn in pfns:
            phdrs = split(phdrs, pfn)
        moved = []
        for p in phdrs:
            if p[0] == 4:  # PT_NOTE: copy to the end of the file
                f.seek(p[2])
                blob = f.read(p[5])
                f.seek(0, 2)
                end = (f.tell() + 7) & ~7
                f.seek(end)
                f.write(blob)
                p = p[:2] + (end,) + p[3:]
            moved.append(p)
        first = min(p[2] for p in moved if p[0] == 1 and p[5])
        if phoff + 56 * len(moved) > first:
            sys.exit("elf_drop: no room for %d program headers" % len(moved))
        f.seek(phoff)
        for p in moved:
            f.write(struct.pack("<IIQQQQQQ", *p))
        f.seek(56)
        f.write(struct.pack("<H", len(moved)))
    for pfn in pfns:
        print("%#x" % pfn)


if __name__ == "__main__":
    main(sys.argv)
