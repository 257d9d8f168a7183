#!/usr/bin/python3
"""Corrupt a mkvmcore vmcore the way a crashed kernel's memory is corrupt.

usage: corrupt.py VMCORE --seed N --kind SPEC [--kind SPEC]...

SPEC is NAME:COUNT with NAME one of garbage, buddy-order, compound-head,
pmd-outside, pmd-loop, mem-section; or vmcoreinfo-drop:KEY,
vmcoreinfo-set:KEY=VALUE. VMCOREINFO is patched in place and VMCOREINFO.truth
rewritten (tmp + rename) so that it stays an exact ground truth for a
conservative filter: every pfn whose class became uncertain is relabelled
"corrupt" (always dumped), the removable vmemmap sets are recomputed, the
makedumpfile counts are dropped. See docs/mkvmcore.md, "Corrupting a
vmcore: corrupt.py".

Exit status: 0 done, 2 bad usage or impossible request (one line on
stderr), 1 I/O error.
"""
import bisect
import os
import random
import re
import struct
import sys
from array import array

PROG = "corrupt.py"

# 6.1 struct page layout (tests/mkvmcore/kprofile.c)
SIZE_PAGE = 64
OFF_FLAGS = 0
OFF_COMPOUND_HEAD = 8
OFF_MAPPING = 24
OFF_PRIVATE = 40
OFF_PAGE_TYPE = 48
PG_HEAD = 16
PAGE_TYPE_BUDDY = 0xffffff7f
# buddy, offline, table, guard: the page types a real struct page can carry
PAGE_TYPES = (0xffffff7f, 0xfffffeff, 0xfffffdff, 0xfffffbff)
MAX_ORDER = 11
PFN_SECTION_SHIFT = 15
SECTIONS_PER_ROOT = 4096 // 16
PAGE = 4096
PHYS_MASK = 0x000ffffffffff000
PMD_PHYS_MASK = 0x000fffffffe00000
PSE = 0x80
KERNPG_TABLE = 0x63
KTEXT_MIN = 0xffffffff80000000

CLASSES = ["hole", "free", "cache", "cache_private", "shmem", "anon",
           "hugetlb", "slab", "kernel", "reserved", "pagetable", "vmemmap",
           "hwpoison", "offline", "corrupt"]
# removable-set kinds per class (tests/mkvmcore/truth.c class_kind)
KIND_BIT = {"free": 8, "cache": 1, "shmem": 1, "cache_private": 2,
            "anon": 4, "hugetlb": 4, "hole": 0, "hwpoison": 0, "offline": 0}
KIND_ALWAYS = 16
SINGLE = ("cache", "cache_private", "shmem", "anon", "slab", "reserved")
KINDS = ("garbage", "buddy-order", "compound-head", "pmd-outside",
         "pmd-loop", "mem-section")
# victims are chosen kind by kind in this order, coarse units first
ORDER = ("pmd-outside", "pmd-loop", "buddy-order", "compound-head",
         "garbage", "mem-section")


class Usage(Exception):
    """bad usage or impossible request: exit 2"""


class Broken(Exception):
    """unreadable or inconsistent input files: exit 1"""


def hx(v):
    """mkvmcore's %#llx: 0 is "0" """
    return "%#x" % v if v else "0"


def u64(b, o):
    return struct.unpack_from("<Q", b, o)[0]


def u32(b, o):
    return struct.unpack_from("<I", b, o)[0]


def ctz(x):
    return (x & -x).bit_length() - 1


# ------------------------------------------------------------ truth file

class TruthFile:
    """The parts of FILE.truth corrupt.py rewrites, the rest kept verbatim."""

    def __init__(self, path):
        self.head = []		# lines kept in place, before the runs
        self.runs = []		# (start, end, class, zero)
        self.class_lines = []	# (name, line)
        self.vmemmap = {}	# section -> [mode, memmap pfn]
        self.hvo = {}		# head pfn -> shared vmemmap pfn
        self.hvo_lines = []
        self.keys = []		# (key, levels string)
        self.old_corrupt = []	# lines of an earlier corrupt.py run
        self.old_summary = {}
        self.old_misc = []
        self.facts = {}
        self.nodes = []
        self.loads = []
        with open(path) as f:
            for line in f:
                line = line.rstrip("\n")
                w = line.split()
                if not w:
                    continue
                t = w[0]
                if t == "r":
                    self.runs.append((int(w[1], 16), int(w[2], 16), w[3],
                                      int(w[4])))
                elif t == "class":
                    self.class_lines.append((w[1], line))
                elif t == "vmemmap" and len(w) == 4:
                    self.vmemmap[int(w[1], 16)] = [w[2], int(w[3], 16)]
                elif t == "hvo":
                    self.hvo[int(w[1], 16)] = int(w[2], 16)
                    self.hvo_lines.append(line)
                elif t in ("count", "rm"):
                    pass
                elif t == "removable":
                    self.keys.append((int(w[1]), w[2]))
                elif t == "corrupt" and len(w) == 4:
                    self.old_corrupt.append(line)
                elif t == "corrupted":
                    self.old_summary[w[1]] = int(w[2])
                elif t in ("vmcoreinfo_corrupt", "mem_section_all_broken"):
                    self.old_misc.append(line)
                elif line.startswith("# counts dropped by corrupt.py"):
                    pass
                else:
                    self.head.append(line)
                    if t == "node":
                        self.nodes.append((int(w[2], 16), int(w[3], 16)))
                    elif t == "load":
                        self.loads.append((int(w[1], 16), int(w[2], 16)))
                    elif len(w) >= 2 and t != "#":
                        self.facts[t] = w[1]
        if not self.runs or "max_pfn" not in self.facts:
            raise Broken("%s: not a mkvmcore truth file" % path)

    def fact(self, k):
        try:
            return int(self.facts[k], 0)
        except (KeyError, ValueError):
            raise Broken("truth has no fact '%s'" % k)


# ------------------------------------------------------------ ELF vmcore

class Vmcore:
    """Physical reads of the ELF vmcore, with pending patches overlaid."""

    def __init__(self, path):
        self.path = path
        self.fd = os.open(path, os.O_RDONLY)
        eh = os.pread(self.fd, 64, 0)
        if len(eh) < 64 or eh[:4] != b"\x7fELF" or eh[4] != 2:
            raise Broken("%s: not an ELF64 file" % path)
        self.phoff = u64(eh, 32)
        phentsize, phnum = struct.unpack_from("<HH", eh, 54)
        ph = os.pread(self.fd, phentsize * phnum, self.phoff)
        self.phentsize = phentsize
        self.phdrs = []
        self.direct = []		# (paddr, end, offset), sorted
        self.ktext = None
        self.note = None		# index into phdrs
        for i in range(phnum):
            p = struct.unpack_from("<IIQQQQQQ", ph, i * phentsize)
            self.phdrs.append(p)
            typ, _, off, va, pa, fsz = p[:6]
            if typ == 4 and self.note is None:
                self.note = i
            elif typ == 1:
                if va >= KTEXT_MIN:
                    self.ktext = (pa, pa + fsz, off)
                else:
                    self.direct.append((pa, pa + fsz, off))
        self.direct.sort()
        self.dstart = [d[0] for d in self.direct]
        self.patches = {}		# paddr -> bytes (never overlapping)
        self.file_patches = []	# (file offset, bytes): notes, phdr

    def offsets(self, paddr, n):
        """file offsets holding [paddr, paddr+n): direct map, kernel text"""
        i = bisect.bisect_right(self.dstart, paddr) - 1
        out = []
        if i >= 0 and paddr + n <= self.direct[i][1]:
            out.append(self.direct[i][2] + paddr - self.direct[i][0])
        k = self.ktext
        if k and k[0] <= paddr and paddr + n <= k[1]:
            out.append(k[2] + paddr - k[0])
        return out

    def read(self, paddr, n):
        offs = self.offsets(paddr, n)
        if not offs:
            raise Broken("physical %#x is in no PT_LOAD" % paddr)
        b = bytearray(os.pread(self.fd, n, offs[0]))
        if len(b) != n:
            raise Broken("%s: short read at %#x" % (self.path, offs[0]))
        for pa, data in self.patches.items():
            if pa < paddr + n and paddr < pa + len(data):
                a = max(pa, paddr)
                e = min(pa + len(data), paddr + n)
                b[a - paddr:e - paddr] = data[a - pa:e - pa]
        return bytes(b)

    def patch(self, paddr, data):
        if not self.offsets(paddr, len(data)):
            raise Broken("physical %#x is in no PT_LOAD" % paddr)
        self.patches[paddr] = bytes(data)


# ------------------------------------------------------------ the machine

class Machine:
    def __init__(self, vmcore_path, truth):
        self.t = truth
        self.core = Vmcore(vmcore_path)
        self.max_pfn = truth.fact("max_pfn")
        self.l5 = truth.fact("l5")
        self.vmemmap_base = truth.fact("vmemmap_base")
        self.page_offset_base = truth.fact("page_offset_base")
        self.names = list(CLASSES)
        for _, _, c, _ in truth.runs:
            if c not in self.names:
                self.names.append(c)
        self.idx = dict((n, i) for i, n in enumerate(self.names))
        self.end = truth.runs[-1][1]
        # code[pfn] = class id << 1 | zero flag
        self.code = bytearray(self.end)
        for a, b, c, z in truth.runs:
            self.code[a:b] = bytes((self.idx[c] << 1 | z,)) * (b - a)
        self.blocked = bytearray(self.end)	# 1: no victim may touch
        self.blocked[0:0x100] = b"\1" * 0x100
        k = self.core.ktext
        if k:
            a, b = k[0] >> 12, min((k[1] + PAGE - 1) >> 12, self.end)
            self.blocked[a:b] = b"\1" * max(0, b - a)
        for h in truth.hvo:
            self.blocked[h:h + 512] = b"\1" * 512
        self.relabels = []	# (kind, start, end)
        self.summary = {}
        self.misc = []
        self.log = []

    # classes
    def table(self, names):
        """translate table: code byte -> 1 if its class is in names"""
        ids = set(self.idx[n] for n in names if n in self.idx)
        return bytes(1 if (c >> 1) in ids else 0 for c in range(256))

    def cls(self, pfn):
        return self.names[self.code[pfn] >> 1]

    def all_of(self, a, b, names):
        """every pfn of [a, b) is of a class in names"""
        if b > self.end:
            return False
        return b"\0" not in self.code[a:b].translate(self.table(names))

    def free_of(self, a, b):
        return b > self.end or self.blocked.find(b"\1", a, b) < 0

    def block(self, a, b):
        self.blocked[a:b] = b"\1" * (b - a)

    def relabel(self, kind, a, b, keep_holes=False):
        """[a, b) becomes corrupt (holes stay holes when keep_holes)"""
        cor = self.idx["corrupt"] << 1
        hole = self.idx["hole"]
        t = bytes(c if keep_holes and c >> 1 == hole else cor | (c & 1)
                  for c in range(256))
        self.code[a:b] = self.code[a:b].translate(t)
        if not keep_holes:
            self.relabels.append((kind, a, b))
            return
        seg = self.code[a:b].translate(self.table(["hole"]))
        i = 0
        while i < b - a:
            j = seg.find(b"\0", i)
            if j < 0:
                break
            k = seg.find(b"\1", j)
            k = b - a if k < 0 else k
            self.relabels.append((kind, a + j, a + k))
            i = k

    # struct pages
    def sp_paddr(self, pfn):
        v = self.t.vmemmap.get(pfn >> PFN_SECTION_SHIFT)
        if v is None or v[0] not in ("pmd", "split", "pte4k"):
            return None
        mode, base = v
        g = (pfn & 32767) >> 6
        head = pfn & ~511
        if head in self.t.hvo and (pfn - head) >> 6:
            ph = self.t.hvo[head]
        else:
            ph = base - g if mode == "pte4k" else base + g
        return ph << 12 | (pfn & 63) * SIZE_PAGE

    def sp_vaddr(self, pfn):
        return self.vmemmap_base + pfn * SIZE_PAGE

    def struct_page(self, pfn):
        pa = self.sp_paddr(pfn)
        return None if pa is None else self.core.read(pa, SIZE_PAGE)

    def put(self, pfn, off, data):
        self.core.patch(self.sp_paddr(pfn) + off, data)

    def done(self, kind, n):
        self.summary[kind] = self.summary.get(kind, 0) + n


# ------------------------------------------------------------ victims

class Units:
    """Single pages of SINGLE classes and free buddy blocks, drawn
    uniformly; candidates are checked against the struct pages."""

    def __init__(self, m):
        self.m = m
        self.starts = array("Q")
        self.cum = array("Q")		# pages before run i
        n = 0
        free_runs = []
        for a, b, c, _ in m.t.runs:
            if c in SINGLE:
                self.starts.append(a)
                self.cum.append(n)
                n += b - a
            elif c == "free":
                if free_runs and free_runs[-1][1] == a:
                    free_runs[-1][1] = b
                else:
                    free_runs.append([a, b])
        self.nsingle = n
        self.blocks = array("Q")		# head << 4 | order
        for a, b in free_runs:
            p = a
            while p < b:
                o = min(MAX_ORDER - 1, ctz(p) if p else MAX_ORDER - 1)
                while p + (1 << o) > b:
                    o -= 1
                self.blocks.append(p << 4 | o)
                p += 1 << o
        self.big = array("Q", (i for i, x in enumerate(self.blocks)
                               if x & 15))
        self.huge = array("Q")
        for a, b, c, _ in m.t.runs:
            if c == "hugetlb":
                h = (a + 511) & ~511
                while h + 512 <= b:
                    self.huge.append(h)
                    h += 512

    def single(self, i):
        r = bisect.bisect_right(self.cum, i) - 1
        return self.starts[r] + i - self.cum[r]

    def check_single(self, p):
        m = self.m
        if p >= m.end or m.cls(p) not in SINGLE or not m.free_of(p, p + 1):
            return None
        sp = m.struct_page(p)
        if sp is None or u64(sp, OFF_FLAGS) >> PG_HEAD & 1 or \
                u64(sp, OFF_COMPOUND_HEAD) & 1 or \
                u32(sp, OFF_PAGE_TYPE) in PAGE_TYPES:
            return None
        return (p, None)

    def check_block(self, x):
        """(head, order) of a verified free buddy block, or None"""
        m = self.m
        p, o = x >> 4, x & 15
        sp = m.struct_page(p)
        if sp is None or u32(sp, OFF_PAGE_TYPE) != PAGE_TYPE_BUDDY:
            return None
        real = u64(sp, OFF_PRIVATE)
        if real >= MAX_ORDER or p & ((1 << real) - 1):
            return None
        o = real
        if not m.all_of(p, p + (1 << o), ["free"]) or \
                not m.free_of(p, p + (1 << o)):
            return None
        return (p, o)

    def check_unit(self, i):
        if i < self.nsingle:
            return self.check_single(self.single(i))
        return self.check_block(self.blocks[i - self.nsingle])

    def check_huge(self, h):
        m = self.m
        if not m.free_of(h, h + 512) or not m.all_of(h, h + 512,
                                                      ["hugetlb"]):
            return None
        sp, sp1 = m.struct_page(h), m.struct_page(h + 1)
        if sp is None or sp1 is None or not u64(sp, 0) >> PG_HEAD & 1 or \
                u64(sp1, OFF_COMPOUND_HEAD) != m.sp_vaddr(h) | 1:
            return None
        return h


def pick(rng, total, check):
    """a random index in range(total) that check() accepts (its result),
    each index tried once; None when none is accepted. Random draws until
    half are tried, then the rest in order from a random start (no
    coupon-collector tail)."""
    tried = set()
    while len(tried) < total // 2 + 1:
        i = rng.randrange(total)
        if i in tried:
            continue
        tried.add(i)
        r = check(i)
        if r is not None:
            return r
    start = rng.randrange(total) if total else 0
    for k in range(total):
        i = (start + k) % total
        if i not in tried:
            r = check(i)
            if r is not None:
                return r
    return None


def enough(kind, n, total):
    if n > total:
        raise Usage("--kind %s:%d: only %d eligible victims" %
                    (kind, n, total))


def need(r, kind, n, got):
    if r is None:
        raise Usage("--kind %s:%d: only %d eligible victims" %
                    (kind, n, got))
    return r


def unit_range(u):
    p, o = u
    return p, p + (1 if o is None else 1 << o)


def implausible(m, b):
    """struct page bytes no real struct page could hold (see docs)"""
    if u32(b, OFF_PAGE_TYPE) in PAGE_TYPES:
        return False
    ch = u64(b, OFF_COMPOUND_HEAD)
    if ch & 1:
        head = ch - 1
        # stricter than the documented rule: a tail pointer that lands on
        # a real struct page would make a plausible tail
        return not (m.vmemmap_base <= head <
                    m.vmemmap_base + m.max_pfn * SIZE_PAGE and
                    head % SIZE_PAGE == 0)
    mp = u64(b, OFF_MAPPING)
    kmin = 0xff00000000000000 if m.l5 else 0xffff800000000000
    return mp != 0 and not ((mp & ~3) >= kmin and (mp & 4) == 0)


def do_garbage(m, u, rng, n):
    total = u.nsingle + len(u.blocks)
    enough("garbage", n, total)
    for i in range(n):
        v = need(pick(rng, total, u.check_unit), "garbage", n, i)
        while True:
            b = rng.randbytes(SIZE_PAGE)
            if implausible(m, b):
                break
        m.put(v[0], 0, b)
        a, e = unit_range(v)
        m.block(a, e)
        m.relabel("garbage", a, e)
        m.log.append("garbage pfn %s%s" % (
            hx(v[0]), "" if v[1] is None else " (free block order %d)" % v[1]))
    m.done("garbage", n)


def bad_order(rng):
    if rng.random() < 0.5:
        return rng.choice((0xdeadbeef, 1 << 40))
    return rng.randrange(MAX_ORDER, 64)


def do_buddy_order(m, u, rng, n):
    big = len(u.big)
    enough("buddy-order", n, big)
    def chk(i):
        v = u.check_block(u.blocks[u.big[i]])
        return v if v is not None and v[1] >= 1 else None

    for i in range(n):
        variant = "ab"[i % 2]
        v = need(pick(rng, big, chk), "buddy-order", n, i)
        p, o = v
        val = None
        if variant == "b":
            val = ctz(p) + 1
            if val >= MAX_ORDER:
                val, variant = None, "a"
        if val is None:
            val = bad_order(rng)
        m.put(p, OFF_PRIVATE, struct.pack("<Q", val))
        m.block(p, p + (1 << o))
        m.relabel("buddy-order", p, p + (1 << o))
        m.log.append("buddy-order pfn %s order %d -> %s (%s)" % (
            hx(p), o, hx(val),
            "out of range" if variant == "a" else "misaligned"))
    m.done("buddy-order", n)


def bogus_head(m, rng, i):
    if i % 2 == 0:
        return m.sp_vaddr(m.max_pfn + rng.randrange(1, 1 << 24)) | 1
    v = rng.getrandbits(64)
    return (v | 1 << 63) & ~(1 << 56 | 1 << 47) | 1	# non-canonical


def do_compound_head(m, u, rng, n):
    enough("compound-head", n, u.nsingle + len(u.blocks) + len(u.huge))
    nhuge = n // 2 if len(u.huge) else 0
    done = 0
    for i in range(nhuge):
        h = pick(rng, len(u.huge), lambda j: u.check_huge(u.huge[j]))
        if h is None:
            break
        val = bogus_head(m, rng, i)
        m.put(h + 1, OFF_COMPOUND_HEAD, struct.pack("<Q", val))
        m.block(h, h + 512)
        m.relabel("compound-head", h, h + 512)
        m.log.append("compound-head hugetlb %s page[1] -> %s" %
                     (hx(h), hx(val)))
        done += 1
    total = u.nsingle + len(u.blocks)
    for i in range(done, n):
        v = need(pick(rng, total, u.check_unit), "compound-head", n, i)
        val = bogus_head(m, rng, i)
        m.put(v[0], OFF_COMPOUND_HEAD, struct.pack("<Q", val))
        a, e = unit_range(v)
        m.block(a, e)
        m.relabel("compound-head", a, e)
        m.log.append("compound-head pfn %s%s -> %s" % (
            hx(v[0]), "" if v[1] is None else " (free block order %d)" %
            v[1], hx(val)))
    m.done("compound-head", n)


def pmd_entry(m, s):
    """(paddr of the PMD entry mapping section s's memmap, entry, table)"""
    va = m.vmemmap_base + (s << PFN_SECTION_SHIFT) * SIZE_PAGE
    table = m.t.fact("init_top_pgt_phys")
    shifts = (48, 39, 30, 21) if m.l5 else (39, 30, 21)
    for k, sh in enumerate(shifts):
        ea = table + ((va >> sh) & 511) * 8
        e = u64(m.core.read(ea, 8), 0)
        if not e & 1:
            raise Broken("section %s: vmemmap not mapped at level %d" %
                         (hx(s), len(shifts) - k + 1))
        if k == len(shifts) - 1:
            return ea, e, table
        if e & PSE:
            raise Broken("section %s: vmemmap huge leaf above PMD" % hx(s))
        table = e & PHYS_MASK


def pmd_eligible(m, s):
    v = m.t.vmemmap.get(s)
    if v is None or v[0] != "pmd":
        return False
    a, b = s << PFN_SECTION_SHIFT, min((s + 1) << PFN_SECTION_SHIFT, m.end)
    if not m.free_of(a, b):
        return False
    if not m.all_of(a, b, [c for c in m.names if c not in
                           ("kernel", "reserved", "vmemmap", "pagetable",
                            "corrupt")]):
        return False
    for ns, ne in m.t.nodes:	# a node boundary inside the section
        if a < ns < b or a < ne < b:
            return False
    return m.free_of(v[1], v[1] + 512)


def do_pmd(m, rng, kind, n, seq):
    secs = sorted(s for s in m.t.vmemmap if pmd_eligible(m, s))
    if len(secs) < n:
        raise Usage("--kind %s:%d: only %d eligible sections" %
                    (kind, n, len(secs)))
    for s in rng.sample(secs, n):
        if not pmd_eligible(m, s):	# taken by pmd-outside already
            raise Usage("--kind %s: not enough eligible sections" % kind)
        base = m.t.vmemmap[s][1]
        ea, e, table = pmd_entry(m, s)
        if not e & PSE or (e & PMD_PHYS_MASK) >> 12 != base:
            raise Broken("section %s: PMD %#x does not map memmap pfn %s" %
                         (hx(s), e, hx(base)))
        if kind == "pmd-outside":
            seq[0] += 1
            top = ((m.max_pfn << 12) + (1 << 21) - 1) & ~((1 << 21) - 1)
            new = (e & ~PMD_PHYS_MASK) | (top + 0x40000000 * seq[0])
        else:
            new = table | KERNPG_TABLE
        m.core.patch(ea, struct.pack("<Q", new))
        a = s << PFN_SECTION_SHIFT
        b = min(a + (1 << PFN_SECTION_SHIFT), m.end)
        m.block(a, b)
        m.block(base, base + 512)
        m.relabel(kind, a, b, keep_holes=True)
        m.relabel(kind, base, base + 512)
        m.t.vmemmap[s][0] = "bad"
        m.log.append("%s section %s: PMD at %#x %#x -> %#x" %
                     (kind, hx(s), ea, e, new))
    m.done(kind, n)


def do_mem_section(m, rng, n):
    pa = m.t.fact("mem_section") - m.page_offset_base
    nsec = (m.end + (1 << PFN_SECTION_SHIFT) - 1) >> PFN_SECTION_SHIFT
    nroots = (nsec + SECTIONS_PER_ROOT - 1) // SECTIONS_PER_ROOT
    raw = m.core.read(pa, nroots * 8)
    # a root is used when it points at RAM (an earlier run's breakage
    # does not count)
    used = [i for i in range(nroots) if u64(raw, i * 8) and
            0 <= u64(raw, i * 8) - m.page_offset_base < m.max_pfn << 12]
    if n > len(used):
        raise Usage("--kind mem-section:%d: only %d mem_section roots are "
                    "used" % (n, len(used)))
    bogus = m.page_offset_base + (m.max_pfn << 12) + 0x1000000
    for j, r in enumerate(rng.sample(used, n)):
        val = 0 if j % 2 == 0 else bogus
        m.core.patch(pa + r * 8, struct.pack("<Q", val))
        m.log.append("mem-section root %d: %#x -> %#x" %
                     (r, u64(raw, r * 8), val))
    if n == len(used):
        m.misc.append("mem_section_all_broken 1")
    m.done("mem-section", n)


# ------------------------------------------------------------ VMCOREINFO

def notes_of(buf):
    out, o = [], 0
    while o + 12 <= len(buf):
        nsz, dsz, typ = struct.unpack_from("<III", buf, o)
        if nsz == 0 and dsz == 0 and typ == 0:
            break
        nl, dl = (nsz + 3) & ~3, (dsz + 3) & ~3
        if o + 12 + nl + dl > len(buf):
            raise Broken("PT_NOTE: note at %#x overruns the segment" % o)
        out.append((buf[o + 12:o + 12 + nsz], typ,
                    buf[o + 12 + nl:o + 12 + nl + dsz]))
        o += 12 + nl + dl
    return out


def do_vmcoreinfo(m, edits):
    core = m.core
    if core.note is None:
        raise Broken("%s has no PT_NOTE" % core.path)
    ph = core.phdrs[core.note]
    off, fsz = ph[2], ph[5]
    buf = os.pread(core.fd, fsz, off)
    notes = notes_of(buf)
    vi = [i for i, (n, t, _) in enumerate(notes)
          if n.rstrip(b"\0") == b"VMCOREINFO" and t == 0]
    if not vi:
        raise Broken("%s has no VMCOREINFO note" % core.path)
    name, typ, desc = notes[vi[0]]
    lines = desc.decode("latin-1").split("\n")
    for kind, key, val in edits:
        hit = [i for i, ln in enumerate(lines) if ln.split("=", 1)[0] == key]
        if not hit:
            raise Usage("--kind %s:%s: VMCOREINFO has no key '%s'" %
                        (kind, key if val is None else key + "=" + val, key))
        if kind == "vmcoreinfo-drop":
            lines = [ln for i, ln in enumerate(lines) if i not in hit]
        else:
            for i in hit:
                lines[i] = key + "=" + val
        m.misc.append("vmcoreinfo_corrupt %s" % key)
        m.done(kind, 1)
        m.log.append("%s %s%s" % (kind, key, "" if val is None else
                                  " = " + val))
    notes[vi[0]] = (name, typ, "\n".join(lines).encode("latin-1"))
    out = bytearray()
    for n, t, d in notes:
        out += struct.pack("<III", len(n), len(d), t)
        out += n + bytes(-len(n) % 4) + d + bytes(-len(d) % 4)
    nxt = min([p[2] for p in core.phdrs if p[2] > off] +
              [(off + fsz + PAGE - 1) & ~(PAGE - 1)])
    if off + len(out) > nxt:
        raise Usage("VMCOREINFO grows by %d bytes, beyond the notes' page "
                    "padding" % (len(out) - fsz))
    core.file_patches.append((off, bytes(out) + bytes(max(0, fsz -
                                                          len(out)))))
    p = core.note
    core.file_patches.append((core.phoff + p * core.phentsize + 32,
                              struct.pack("<QQ", len(out), len(out))))


# ------------------------------------------------------------ output

def zero_flags(m):
    """pages the patches touched: their all-zero flag may have changed"""
    pages = sorted(set(pa >> 12 for pa in m.core.patches))
    for p in pages:
        if p < m.end:
            z = 1 if m.core.read(p << 12, PAGE) == bytes(PAGE) else 0
            m.code[p] = (m.code[p] & ~1) | z


def runs_of(m):
    out = []
    for mt in re.finditer(rb"(.)\1*", m.code, re.S):
        c = mt.group(1)[0]
        out.append((mt.start(), mt.end(), m.names[c >> 1], c & 1))
    return out


def removable(m, runs):
    """physical vmemmap pfn -> kinds mask of the pfns it describes"""
    kb = bytes((KIND_BIT.get(m.names[c >> 1], KIND_ALWAYS)
                if (c >> 1) < len(m.names) else KIND_ALWAYS)
               for c in range(256))
    kinds = m.code.translate(kb)
    pages = {}
    for s in sorted(m.t.vmemmap):
        if m.t.vmemmap[s][0] == "bad":
            continue
        s0 = s << PFN_SECTION_SHIFT
        for g in range(512):
            pfn = s0 + g * 64
            pa = m.sp_paddr(pfn)
            mask = 0
            for x in set(kinds[pfn:pfn + 64]):
                mask |= x
            ph = pa >> 12
            pages[ph] = pages.get(ph, 0) | mask
    return pages


def truth_text(m):
    t = m.t
    runs = runs_of(m)
    L = list(t.head)
    for a, b, c, z in runs:
        L.append("r %s %s %s %d" % (hx(a), hx(b), c, z))
    cnt, zc = {}, {}
    for a, b, c, z in runs:
        cnt[c] = cnt.get(c, 0) + b - a
        zc[c] = zc.get(c, 0) + (b - a if z else 0)
    seen = set()
    for name, line in t.class_lines:
        seen.add(name)
        if name == "hole":
            L.append(line)
        else:
            L.append("class %s %d zero %d" % (name, cnt.get(name, 0),
                                              zc.get(name, 0)))
    for name in m.names:
        if name not in seen and name in cnt and name != "hole":
            L.append("class %s %d zero %d" % (name, cnt[name], zc[name]))
    for s in sorted(t.vmemmap):
        L.append("vmemmap %s %s %s" % (hx(s), t.vmemmap[s][0],
                                       hx(t.vmemmap[s][1])))
    L += t.hvo_lines
    L.append("# counts dropped by corrupt.py (they describe makedumpfile on "
             "the uncorrupted image)")
    L += t.old_corrupt
    for kind, a, b in m.relabels:
        L.append("corrupt %s %s %s" % (kind, hx(a), hx(b)))
    summ = dict(t.old_summary)
    for k, v in m.summary.items():
        summ[k] = summ.get(k, 0) + v
    for k in sorted(summ):
        L.append("corrupted %s %d" % (k, summ[k]))
    for ln in t.old_misc + m.misc:
        if ln not in L:
            L.append(ln)
    pages = removable(m, runs)
    for key, levels in t.keys:
        ph = sorted(p for p, k in pages.items()
                    if not k & KIND_ALWAYS and not k & 15 & ~key)
        L.append("removable %d %s pages=%d" % (key, levels, len(ph)))
        i = 0
        while i < len(ph):
            j = i
            while j + 1 < len(ph) and ph[j + 1] == ph[j] + 1:
                j += 1
            L.append("rm %d %s %s" % (key, hx(ph[i]), hx(ph[j] + 1)))
            i = j + 1
    return "\n".join(L) + "\n"


# ------------------------------------------------------------ main

def parse_args(argv):
    path, seed, kinds = None, None, []
    i = 0
    while i < len(argv):
        a = argv[i]
        if a in ("-h", "--help"):
            print(__doc__)
            sys.exit(0)
        if a in ("--seed", "--kind") or a.startswith(("--seed=", "--kind=")):
            if "=" in a:
                a, v = a.split("=", 1)
            else:
                i += 1
                if i >= len(argv):
                    raise Usage("%s needs a value" % a)
                v = argv[i]
            if a == "--seed":
                try:
                    seed = int(v, 0)
                except ValueError:
                    raise Usage("--seed: '%s' is not a number" % v)
            else:
                kinds.append(parse_kind(v))
        elif a.startswith("-"):
            raise Usage("unknown option '%s'" % a)
        elif path is None:
            path = a
        else:
            raise Usage("one VMCORE only ('%s')" % a)
        i += 1
    if path is None:
        raise Usage("usage: corrupt.py VMCORE --seed N --kind SPEC...")
    if seed is None:
        raise Usage("--seed N is required")
    if not kinds:
        raise Usage("at least one --kind SPEC is required")
    return path, seed, kinds


def parse_kind(spec):
    name, sep, rest = spec.partition(":")
    if not sep or not rest:
        raise Usage("--kind '%s': want NAME:COUNT" % spec)
    if name == "vmcoreinfo-drop":
        return (name, rest, None)
    if name == "vmcoreinfo-set":
        key, sep, val = rest.partition("=")
        if not sep or not key:
            raise Usage("--kind '%s': want vmcoreinfo-set:KEY=VALUE" % spec)
        return (name, key, val)
    if name not in KINDS:
        raise Usage("--kind '%s': unknown kind '%s'" % (spec, name))
    try:
        n = int(rest, 0)
    except ValueError:
        n = -1
    if n < 1:
        raise Usage("--kind '%s': COUNT must be a positive number" % spec)
    return (name, n, None)


def run(argv):
    path, seed, kinds = parse_args(argv)
    truth_path = path + ".truth"
    t = TruthFile(truth_path)
    m = Machine(path, t)
    rng = random.Random(seed)
    want = {}
    for name, n, _ in kinds:
        if name in KINDS:
            want[name] = want.get(name, 0) + n
    u = Units(m) if set(want) & {"garbage", "buddy-order",
                                 "compound-head"} else None
    seq = [0]
    for name in ORDER:
        n = want.get(name)
        if not n:
            continue
        if name in ("pmd-outside", "pmd-loop"):
            do_pmd(m, rng, name, n, seq)
        elif name == "buddy-order":
            do_buddy_order(m, u, rng, n)
        elif name == "compound-head":
            do_compound_head(m, u, rng, n)
        elif name == "garbage":
            do_garbage(m, u, rng, n)
        elif name == "mem-section":
            do_mem_section(m, rng, n)
    edits = [k for k in kinds if k[0].startswith("vmcoreinfo-")]
    if edits:
        do_vmcoreinfo(m, edits)
    zero_flags(m)
    text = truth_text(m)
    # every patch is known: write the truth aside, patch, then rename
    tmp = truth_path + ".tmp"
    try:
        with open(tmp, "w") as f:
            f.write(text)
        fd = os.open(path, os.O_WRONLY)
        try:
            for pa in sorted(m.core.patches):
                data = m.core.patches[pa]
                for off in m.core.offsets(pa, len(data)):
                    os.pwrite(fd, data, off)
            for off, data in m.core.file_patches:
                os.pwrite(fd, data, off)
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, truth_path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    for ln in m.log:
        print(ln)
    print("%s: %s" % (path, ", ".join("%s %d" % kv for kv in
                                      sorted(m.summary.items()))))
    return 0


def main(argv):
    try:
        return run(argv[1:])
    except Usage as e:
        print("%s: %s" % (PROG, e), file=sys.stderr)
        return 2
    except Broken as e:
        print("%s: %s" % (PROG, e), file=sys.stderr)
        return 1
    except OSError as e:
        print("%s: %s: %s" % (PROG, e.filename or "", e.strerror or e),
              file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
