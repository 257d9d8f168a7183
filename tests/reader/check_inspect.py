#!/usr/bin/python3
"""Independent checks of vmemtrim-inspect (docs/inspect-json.md).

Everything inspect says about a dump is recomputed here without the
project's C code: the kdump header, sub header, bitmaps and page
descriptors are parsed from the file (a flattened stream is un-flattened
here first) per docs/kdump-format.md;
makedumpfile's report gives the page counts; the pfns lacking struct page
data come (i) from mkvmcore's ground truth plus the dump's 2nd bitmap, and
(ii) from libkdumpfile reading every vmemmap page of the dump through the
dump's own page tables. Run with /usr/bin/python3 (Debian's kdumpfile).

Prints TAP lines ("ok - NAME: what" / "not ok - NAME: what" with "#   "
details); exit status 1 when any line failed.

  check_inspect.py dump --inspect BIN --name NAME [--truth FILE.truth]
      [--elf-report REP] [--refilter-report REP] [--no-libkdumpfile]
      [--standin L.DUMP] [--ref-json JSON] [--save-json OUT] DUMP...
  check_inspect.py elf --inspect BIN --name NAME [--truth FILE.truth]
      [--release R] [--kdump-json JSON] ELF
  check_inspect.py header DUMP...     (what this file reads, as JSON)
  check_inspect.py drop --truth FILE.truth SRC OUT   (a hand-made dump
      without a pte4k vmemmap page, a vmemmap PTE table and an HVO page)
"""
import json
import os
import struct
import subprocess
import sys
import tempfile

PAGE = 4096
KTEXT_BASE = 0xffffffff80000000  # __START_KERNEL_map
STATUS_NAMES = [(0x1, "COMPRESSED_ZLIB"), (0x2, "COMPRESSED_LZO"),
                (0x4, "COMPRESSED_SNAPPY"), (0x8, "COMPRESSED_INCOMPLETE"),
                (0x10, "EXCLUDED_VMEMMAP"), (0x20, "COMPRESSED_ZSTD")]
COMPRESSION = {0x1: "zlib", 0x2: "lzo", 0x4: "snappy", 0x20: "zstd"}

FAILED = 0


def ok(name, what):
    print("ok - %s: %s" % (name, what))


def not_ok(name, what, *details):
    global FAILED
    FAILED += 1
    print("not ok - %s: %s" % (name, what))
    for d in details:
        for line in str(d).splitlines():
            print("#   " + line)


def check(name, what, cond, *details):
    if cond:
        ok(name, what)
    else:
        not_ok(name, what, *details)


def check_eq(name, what, want, got):
    check(name, what, want == got, "expected: %r" % (want,),
          "actual:   %r" % (got,))


def note(text):
    for line in str(text).splitlines():
        print("# " + line)


# --- kdump files, parsed here -------------------------------------------


def unflatten(path, out):
    """makedumpfile -R in Python: write the regular file of a -F stream."""
    with open(path, "rb") as f, open(out, "wb") as o:
        hdr = f.read(PAGE)
        if hdr[:12] != b"makedumpfile" or len(hdr) != PAGE:
            raise ValueError("%s: no flattened header" % path)
        typ, ver = struct.unpack_from(">qq", hdr, 16)
        if (typ, ver) != (1, 1):
            raise ValueError("%s: flattened type/version %d/%d" %
                             (path, typ, ver))
        while True:
            rh = f.read(16)
            if len(rh) != 16:
                raise ValueError("%s: stream ends without an end mark" %
                                 path)
            off, size = struct.unpack(">qq", rh)
            if off == -1 and size == -1:
                return
            if off < 0 or size < 0:
                raise ValueError("%s: bad record offset %d size %d" %
                                 (path, off, size))
            data = f.read(size)
            if len(data) != size:
                raise ValueError("%s: truncated record" % path)
            o.seek(off)
            o.write(data)


def popcount(bm, n):
    """set bits among the first n bits of bitmap bm"""
    v = int.from_bytes(bm[:(n + 7) // 8], "little")
    return (v & ((1 << n) - 1)).bit_count()


def bit(bm, n):
    i = n >> 3
    return i < len(bm) and (bm[i] >> (n & 7)) & 1


class KdumpFile:
    """One kdump-compressed file: header, sub header, bitmaps, descs."""

    def __init__(self, path, tmpdir):
        self.path = path
        self.flattened = False
        with open(path, "rb") as f:
            head = f.read(16)
        real = path
        if head[:12] == b"makedumpfile":
            self.flattened = True
            real = os.path.join(tmpdir, "unflat-%d" % id(self))
            unflatten(path, real)
        with open(real, "rb") as f:
            hdr = f.read(PAGE)
            if hdr[:8] != b"KDUMP   ":
                raise ValueError("%s: not a kdump-compressed file" % path)
            self.version = struct.unpack_from("<i", hdr, 8)[0]
            uts = [hdr[12 + 65 * i:12 + 65 * (i + 1)].split(b"\0")[0]
                   .decode("latin-1") for i in range(6)]
            self.utsname = dict(zip(["sysname", "nodename", "release",
                                     "version", "machine", "domainname"],
                                    uts))
            self.tv_sec = struct.unpack_from("<q", hdr, 408)[0]
            (self.status, self.bs, self.sub_hdr_size, self.bitmap_blocks,
             mapnr) = struct.unpack_from("<IiiII", hdr, 424)
            self.nr_cpus = struct.unpack_from("<i", hdr, 460)[0]
            f.seek(self.bs)
            sh = f.read(104)
            self.phys_base, self.dump_level, self.split = \
                struct.unpack_from("<Qii", sh, 0)
            self.off_vmcoreinfo, self.size_vmcoreinfo = \
                struct.unpack_from("<QQ", sh, 32)
            self.start_pfn, self.end_pfn, mapnr64 = \
                struct.unpack_from("<QQQ", sh, 80)
            self.max_pfn = mapnr64 if self.version >= 6 else mapnr
            if not self.split:
                self.start_pfn, self.end_pfn = 0, self.max_pfn
            f.seek(self.off_vmcoreinfo)
            self.vmcoreinfo = f.read(self.size_vmcoreinfo).decode("latin-1")
            one = (self.max_pfn + 7) // 8
            half = self.bitmap_blocks * self.bs // 2
            f.seek((1 + self.sub_hdr_size) * self.bs)
            if self.bitmap_blocks * self.bs < 2 * one:
                self.b1 = self.b2 = f.read(self.bitmap_blocks * self.bs)
            else:
                self.b1 = f.read(half)
                self.b2 = f.read(half)
            if len(self.b2) < one:
                raise ValueError("%s: bitmaps cut off" % path)
            # Page descriptors: one per 2nd-bitmap bit in [start, end).
            n = self.popcount2()
            desc_off = (1 + self.sub_hdr_size + self.bitmap_blocks) * self.bs
            f.seek(desc_off)
            descs = f.read(24 * n)
            if len(descs) != 24 * n:
                raise ValueError("%s: page descriptors cut off" % path)
            offs = memoryview(descs).cast("Q")[0::3].tolist()
            self.not_written = offs.count(0)
            self.zero = 0
            written = [x for x in offs if x]
            if self.dump_level & 1 and written:
                # The shared zero page is the first data written, so it
                # has the lowest offset. (Not desc_off + 24 * n: in a
                # split file the descriptor area is sized for the whole
                # 2nd bitmap but holds only the file's own pfns.)
                first = min(written)
                f.seek(first)
                if f.read(self.bs) == bytes(self.bs):
                    self.zero = offs.count(first)
            self.dumped_bits = n
        if real != path:
            os.unlink(real)

    def popcount2(self):
        v = int.from_bytes(self.b2[:(self.end_pfn + 7) // 8], "little")
        v &= (1 << self.end_pfn) - 1
        v >>= self.start_pfn
        return v.bit_count()


class Dump:
    """A kdump dump (one file or a split set) as this checker reads it."""

    def __init__(self, paths, tmpdir):
        self.files = sorted((KdumpFile(p, tmpdir) for p in paths),
                            key=lambda k: k.start_pfn)
        first = self.files[0]
        self.first = first
        self.max_pfn = first.max_pfn
        self.b1 = first.b1
        if len(self.files) == 1:
            self.b2 = first.b2
        else:
            v = 0
            for k in self.files:
                w = int.from_bytes(k.b2, "little")
                w &= ((1 << k.end_pfn) - 1) & ~((1 << k.start_pfn) - 1)
                v |= w
            self.b2 = v.to_bytes(len(first.b2), "little")
        self.ram = popcount(self.b1, self.max_pfn)
        self.dumped_bits = sum(k.dumped_bits for k in self.files)
        self.zero = sum(k.zero for k in self.files)
        self.not_written = sum(k.not_written for k in self.files)
        self.vmcoreinfo = parse_vmcoreinfo(first.vmcoreinfo)

    def state(self, pfn):
        if pfn >= self.max_pfn or not bit(self.b1, pfn):
            return "not RAM (hole)"
        return "dumped" if bit(self.b2, pfn) else "excluded"

    def header_json(self):
        k = self.first
        return {
            "format": "kdump-flattened" if k.flattened else "kdump",
            "header_version": k.version,
            "status": {"value": k.status,
                       "flags": [n for b, n in STATUS_NAMES
                                 if k.status & b]},
            "compression": next((v for b, v in COMPRESSION.items()
                                 if k.status & b), "none"),
            "dump_level": k.dump_level,
            "utsname": k.utsname,
            "crash_time": k.tv_sec,
            "cpus": k.nr_cpus,
            "page_size": k.bs,
            "max_pfn": k.max_pfn,
            "files": [{"path": f.path,
                       "format": "kdump-flattened" if f.flattened
                       else "kdump",
                       "start_pfn": f.start_pfn, "end_pfn": f.end_pfn}
                      for f in self.files],
        }


def parse_vmcoreinfo(text):
    out = {}
    for line in text.splitlines():
        if "=" in line:
            k, v = line.split("=", 1)
            out[k] = v
    return out


def vmci_int(vi, key, base=10):
    return int(vi[key], base) if key in vi else None


# --- makedumpfile's report ----------------------------------------------


def parse_report(path):
    """the numbers of a makedumpfile --message-level 17 report"""
    out = {}
    names = {"Original pages": "original", "Excluded pages": "excluded",
             "Pages filled with zero": "zero", "Remaining pages": "remaining",
             "Memory Hole": "hole", "Total pages": "total"}
    with open(path, errors="replace") as f:
        for line in f:
            s = line.strip()
            for label, key in names.items():
                if s.startswith(label) and ":" in s:
                    v = int(s.split(":", 1)[1].split()[0], 16)
                    if v >= 1 << 63:
                        v -= 1 << 64
                    out[key] = v
            if s.startswith("Excluded ") and "unused vmemmap pages" in s:
                out["vmemmap_dropped"] = int(s.split()[1])
    return out


# --- struct pages: (i) the ground truth ------------------------------------


class Truth:
    def __init__(self, path):
        self.facts, self.vmemmap, self.hvo = {}, {}, {}
        with open(path) as f:
            for line in f:
                w = line.split()
                if not w or w[0] == "#":
                    continue
                if w[0] == "vmemmap":
                    self.vmemmap[int(w[1], 16)] = (w[2], int(w[3], 16))
                elif w[0] == "hvo":
                    self.hvo[int(w[1], 16)] = int(w[2], 16)
                elif len(w) >= 2 and w[0] not in ("r", "rm", "load",
                                                   "count", "class",
                                                   "node", "removable"):
                    self.facts[w[0]] = w[1]
        self.max_pfn = int(self.facts["max_pfn"], 16)
        self.ram_pages = int(self.facts["ram_pages"])

    def groups(self, max_pfn):
        """{group: physical pfn of its struct pages}, and the pte4k groups
        (their physical pages cannot be derived from the truth)"""
        phys, unknown = {}, set()
        for sec, (mode, base) in self.vmemmap.items():
            for g in range(512):
                p = (sec << 15) + 64 * g
                if p >= max_pfn:
                    break
                if mode == "pte4k":
                    unknown.add(p >> 6)
                    continue
                head = p & ~511
                if head in self.hvo and p - head >= 64:
                    phys[p >> 6] = self.hvo[head]
                else:
                    phys[p >> 6] = base + g
        return phys, unknown


# --- struct pages: (ii) libkdumpfile ----------------------------------------


class Kdumpfile:
    """libkdumpfile reads; our own x86_64 walk only finds the physical page
    (libkdumpfile's Python addrxlat cannot be used together with reads)."""

    def __init__(self, path):
        import kdumpfile
        self.kd = kdumpfile
        self.k = kdumpfile.kdumpfile(path)
        self.k.attr["addrxlat.ostype"] = "linux"
        vi = parse_vmcoreinfo(bytes(
            self.k.attr["linux.vmcoreinfo.raw"]).decode("latin-1"))
        self.vi = vi
        self.levels = 5 if vi.get("NUMBER(pgtable_l5_enabled)") == "1" else 4
        phys_base = int(vi["NUMBER(phys_base)"]) & ((1 << 64) - 1)
        top = int(vi["SYMBOL(init_top_pgt)"], 16)
        self.top = (top - KTEXT_BASE + phys_base) & ((1 << 64) - 1)
        self.sme = int(vi.get("NUMBER(sme_mask)", "0"))
        self.tables = {}

    def read(self, space, addr, n):
        """bytes, or None when the dump has no data there"""
        try:
            return bytes(self.k.read(space, addr, n))
        except Exception:
            return None

    def kv(self, addr, n):
        return self.read(self.kd.KDUMP_KVADDR, addr, n)

    def u64(self, addr):
        b = self.kv(addr, 8)
        return None if b is None else struct.unpack("<Q", b)[0]

    def sections(self, max_pfn):
        """present section numbers below max_pfn, and vmemmap_base as
        section_mem_map decodes it"""
        root = int(self.vi["SYMBOL(mem_section)"], 16)
        bits = int(self.vi["NUMBER(SECTION_SIZE_BITS)"]) - 12
        size = int(self.vi["SIZE(mem_section)"])
        per_root = PAGE // size
        out, bases = [], set()
        nsec = (max_pfn + (1 << bits) - 1) >> bits
        for s in range(nsec):
            r = self.u64(root + 8 * (s // per_root))
            if not r:
                continue
            smm = self.u64(r + size * (s % per_root))
            if smm is None or not smm & 2:  # SECTION_HAS_MEM_MAP
                continue
            out.append(s)
            bases.add(smm & ~0x1f)  # SECTION_MAP_LAST_BIT 5
        return out, bits, bases

    def table(self, paddr):
        t = self.tables.get(paddr)
        if t is None:
            b = self.read(self.kd.KDUMP_KPHYSADDR, paddr, PAGE)
            t = None if b is None else memoryview(b).cast("Q").tolist()
            self.tables[paddr] = t
        return t

    def walk(self, va, max_pfn):
        """('mapped', paddr) or (why, None) for a kernel virtual address"""
        mask = ((1 << 52) - 1) & ~(PAGE - 1) & ~self.sme
        t = self.top
        shifts = [48, 39, 30, 21, 12][5 - self.levels:]
        self.tables_seen = []
        for lvl, sh in enumerate(shifts):
            self.tables_seen.append(t)
            if t >> 12 >= max_pfn:
                return "bad-pte", None
            tab = self.table(t)
            if tab is None:
                return "table-absent", None
            e = tab[(va >> sh) & 511]
            if not e & 1:
                return "unmapped", None
            if sh in (30, 21) and e & 0x80:
                size = 1 << sh
                return "mapped", (e & mask & ~(size - 1)) | (va & (size - 1))
            t = e & mask
        return "mapped", t | (va & (PAGE - 1))


class LkOracle:
    """struct page of any pfn as libkdumpfile sees it: mem_section says
    whether it exists; 'present' when libkdumpfile reads its vmemmap page,
    else why not ('excluded': the page table maps it but the data is not
    in the dump). The physical page comes from our walk of the dump's
    page tables, read through libkdumpfile."""

    def __init__(self, path, dump):
        self.kf = Kdumpfile(path)
        self.dump = dump
        # Sections up to two past max_pfn, for the past-max_pfn queries.
        secs, self.bits, bases = self.kf.sections(
            dump.max_pfn + (2 << 15))
        if len(bases) != 1:
            raise ValueError("section_mem_map decodes to %d vmemmap bases"
                             % len(bases))
        self.vb = bases.pop()
        self.sections = set(secs)
        self.cache = {}
        self.disagree = []

    def has_section(self, p):
        return p >> self.bits in self.sections

    def group(self, g):
        """(why, vmemmap pfn or None) for the 64 pfns of group g"""
        if g in self.cache:
            return self.cache[g]
        va = self.vb + 64 * 64 * g
        why, pa = self.kf.walk(va, self.dump.max_pfn)
        data = self.kf.kv(va, 64)
        if why == "mapped":
            why = "present" if data is not None else "excluded"
            if bool(bit(self.dump.b2, pa >> 12)) != (data is not None):
                self.disagree.append(g * 64)
        elif data is not None:
            self.disagree.append(g * 64)
        r = self.cache[g] = (why, None if pa is None else pa >> 12)
        return r

    def groups(self):
        """{group: why} for every group below max_pfn with struct pages"""
        out = {}
        for s in sorted(self.sections):
            for p in range(s << self.bits,
                           min((s + 1) << self.bits, self.dump.max_pfn), 64):
                out[p >> 6] = self.group(p >> 6)[0]
        return out


class TruthOracle:
    def __init__(self, truth, dump):
        self.dump = dump
        self.phys, self.unknown = truth.groups(1 << 62)
        self.sections = set(truth.vmemmap)

    def has_section(self, p):
        return p >> 15 in self.sections

    def group(self, g):
        vp = self.phys.get(g)
        if vp is None:
            return None
        return ("present" if bit(self.dump.b2, vp) else "excluded", vp)


# --- comparing ranges --------------------------------------------------------


def runs(items):
    """merge sorted (start, end, why) runs: same why and adjacent -> one"""
    out = []
    for a, b, w in items:
        if out and out[-1][1] == a and out[-1][2] == w:
            out[-1] = (out[-1][0], b, w)
        else:
            out.append((a, b, w))
    return out


def group_runs(gmap, max_pfn, only=None):
    """missing-pfn runs (start, end, why) from a per-group map"""
    items = []
    for g in sorted(gmap):
        why = gmap[g]
        if why == "present" or (only is not None and g not in only):
            continue
        items.append((g * 64, min(g * 64 + 64, max_pfn), why))
    return runs(items)


def union(rs):
    return [(a, b) for a, b, _ in runs([(a, b, "") for a, b, _ in rs])]


def clip(rs, keep_groups):
    out = []
    for a, b, w in rs:
        for p in range(a - a % 64, b, 64):
            if p >> 6 in keep_groups:
                out.append((max(a, p), min(b, p + 64), w))
    return runs(out)


def diff_ranges(want, got):
    sw, sg = set(want), set(got)
    lines = ["expected %d runs, inspect %d" % (len(want), len(got))]
    lines += ["only expected: %r" % (r,) for r in sorted(sw - sg)[:5]]
    lines += ["only inspect:  %r" % (r,) for r in sorted(sg - sw)[:5]]
    return lines


def fmt_runs(rs):
    return ", ".join("%#x-%#x %s" % r for r in rs[:4]) + \
        (" ..." if len(rs) > 4 else "")


# --- running inspect ----------------------------------------------------------


def run_inspect(inspect, args):
    p = subprocess.run([inspect] + args, stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, universal_newlines=True)
    return p.returncode, p.stdout, p.stderr


def inspect_json(name, inspect, args, what):
    rc, out, err = run_inspect(inspect, ["--json"] + args)
    if rc != 0:
        not_ok(name, what + " exits 0", "rc %d" % rc, err.strip())
        return None
    try:
        j = json.loads(out)
    except ValueError as e:
        not_ok(name, what + " prints valid JSON", str(e), out[:400])
        return None
    ok(name, what + " succeeds with valid JSON")
    return j


def big_numbers(v, path=""):
    """JSON integers that do not fit 53 bits (the contract: such values
    are hex strings)"""
    if isinstance(v, bool):
        return []
    if isinstance(v, int):
        return [(path, v)] if abs(v) >= 1 << 53 else []
    if isinstance(v, dict):
        return sum((big_numbers(x, path + "." + k) for k, x in v.items()), [])
    if isinstance(v, list):
        return sum((big_numbers(x, "%s[%d]" % (path, i))
                    for i, x in enumerate(v)), [])
    return []


def check_numbers(name, j):
    big = big_numbers(j)
    check(name, "every JSON integer fits 53 bits", not big,
          *["%s = %d" % b for b in big[:4]])


def check_header(name, j, d):
    h = d.header_json()
    for key in ["format", "header_version", "status", "compression",
                "dump_level", "max_pfn", "page_size", "cpus", "utsname",
                "crash_time", "files"]:
        check_eq(name, key + " equals the file's header", h[key], j.get(key))
    check_eq(name, "schema", "vmemtrim-inspect/1", j.get("schema"))


def bits_of(v, limit=8):
    out = []
    while v and len(out) < limit:
        low = v & -v
        out.append(low.bit_length() - 1)
        v ^= low
    return out


def check_pages(name, j, d, elf_rep, ref_rep, standin=None):
    pg = j.get("pages") or {}
    # From this checker's own reading of the bitmaps and descriptors.
    check_eq(name, "pages.total = max_pfn", d.max_pfn, pg.get("total"))
    check_eq(name, "pages.ram = popcount(1st bitmap)", d.ram, pg.get("ram"))
    check_eq(name, "pages.holes = max_pfn - popcount(1st bitmap)",
             d.max_pfn - d.ram, pg.get("holes"))
    check_eq(name, "pages.zero = descriptors on the shared zero page",
             d.zero, pg.get("zero"))
    check_eq(name, "pages.dumped = popcount(2nd bitmap) - zero",
             d.dumped_bits - d.zero, pg.get("dumped"))
    check_eq(name, "pages.excluded = ram - dumped",
             (pg.get("ram") or 0) - (pg.get("dumped") or 0),
             pg.get("excluded"))
    check_eq(name, "pages.not_written = descriptors with offset 0",
             d.not_written, pg.get("not_written"))
    # The re-filter report may be that of a stand-in: the plain -l output
    # of the same source (makedumpfile cannot re-filter -e dumps, -F
    # streams or split sets). Its 1st bitmap should be this dump's, but
    # makedumpfile 1.7.2 does not always write the same one: with
    # --work-dir (-e) it keeps the partial page at the end of a PT_LOAD
    # (real e820 RAM 0x1000-0x9fc00: pfn 0x9f) that its cyclic mode leaves
    # out, and counts it nowhere in its report. Such pfns are listed and
    # accounted for explicitly.
    more = fewer = 0
    if standin is not None:
        mask = (1 << d.max_pfn) - 1
        mine = int.from_bytes(d.b1, "little") & mask
        theirs = int.from_bytes(standin.b1, "little") & mask
        more, fewer = mine & ~theirs, theirs & ~mine
        if more or fewer:
            note("%s: 1st bitmap differs from the stand-in's (the -l "
                 "output): only here %s, only there %s" %
                 (name, ["%#x" % p for p in bits_of(more)],
                  ["%#x" % p for p in bits_of(fewer)]))
    b2 = int.from_bytes(d.b2, "little")
    more_excluded = (more & ~b2).bit_count()
    # From makedumpfile's own reports. The ELF run's "Original pages" and
    # "Memory Hole" are not used: makedumpfile counts the kernel-text
    # PT_LOAD of an ELF vmcore twice (Original > Total, negative Hole).
    # Re-filtering the kdump file counts the 1st bitmap instead, once.
    if elf_rep:
        r = parse_report(elf_rep)
        check_eq(name, "pages.total = makedumpfile Total pages",
                 r.get("total"), pg.get("total"))
        want = r.get("excluded", 0) + r.get("vmemmap_dropped", 0) + \
            more_excluded
        check_eq(name, "pages.excluded = makedumpfile Excluded pages + "
                 "vmemmap pages dropped by -e (%d)%s" %
                 (r.get("vmemmap_dropped", 0),
                  " + RAM pfns only this dump has, not dumped (%d)" %
                  more_excluded if more_excluded else ""),
                 want, pg.get("excluded"))
        check_eq(name, "pages.zero = makedumpfile Pages filled with zero",
                 r.get("zero", 0), pg.get("zero"))
    if ref_rep:
        r = parse_report(ref_rep)
        extra = more.bit_count() - fewer.bit_count()
        how = " (the -l output's%s)" % (
            ", %+d pfns of the 1st bitmap" % extra if extra else "") \
            if standin is not None else ""
        check_eq(name, "pages.ram = Original pages of a makedumpfile "
                 "re-filter" + how, r.get("original", 0) + extra,
                 pg.get("ram"))
        check_eq(name, "pages.holes = Memory Hole of a makedumpfile "
                 "re-filter" + how, r.get("hole", 0) - extra,
                 pg.get("holes"))


def inspect_runs(j):
    return [(r["start_pfn"], r["end_pfn"], r["why"])
            for r in j.get("ranges") or []]


def check_struct_pages(name, j, d, truth, lk, path_for_lk):
    """(d): inspect's ranges against (i) the truth and (ii) libkdumpfile"""
    got = inspect_runs(j)
    bad_count = [r for r in j.get("ranges") or []
                 if r["count"] != r["end_pfn"] - r["start_pfn"]]
    check(name, "every range's count = end_pfn - start_pfn", not bad_count,
          *bad_count[:3])
    check(name, "ranges are in pfn order, not overlapping, and adjacent "
          "ranges differ in why", runs(got) == got and
          all(a[1] <= b[0] for a, b in zip(got, got[1:])), fmt_runs(got))
    sp = j.get("struct_pages")
    if not isinstance(sp, dict):
        not_ok(name, "struct_pages is an object",
               j.get("struct_pages_error"))
        return None
    u = union(got)
    check_eq(name, "struct_pages.missing_pfns = sum of ranges",
             sum(b - a for a, b in u), sp.get("missing_pfns"))
    check_eq(name, "struct_pages.missing_ranges = maximal runs of ranges",
             len(u), sp.get("missing_ranges"))
    check_eq(name, "struct_pages.missing_ram_pfns = ranges & 1st bitmap",
             sum(popcount_range(d.b1, a, b) for a, b in u),
             sp.get("missing_ram_pfns"))
    if truth is not None:
        phys, unknown = truth.groups(d.max_pfn)
        gmap = {g: "present" if bit(d.b2, pp) else "excluded"
                for g, pp in phys.items()}
        want = group_runs(gmap, d.max_pfn)
        mine = clip(got, set(phys))
        extra = " (%d pte4k groups not derivable from the truth, skipped)" \
            % len(unknown) if unknown else ""
        check(name, "(i) ranges = truth's vmemmap map + 2nd bitmap" + extra,
              want == mine, *diff_ranges(want, mine))
        spfns = sum(min(d.max_pfn, (s + 1) << 15) - (s << 15)
                    for s in truth.vmemmap if s << 15 < d.max_pfn)
        check_eq(name, "struct_pages.pfns = pfns of the truth's present "
                 "sections", spfns, sp.get("pfns"))
        if not unknown:
            pages = set(phys.values())
            check_eq(name, "struct_pages.vmemmap_pages = distinct vmemmap "
                     "pages of the truth", len(pages),
                     sp.get("vmemmap_pages"))
            check_eq(name, "struct_pages.vmemmap_pages_excluded = those "
                     "not in the 2nd bitmap",
                     sum(1 for p in pages if not bit(d.b2, p)),
                     sp.get("vmemmap_pages_excluded"))
    if lk:
        try:
            orc = LkOracle(path_for_lk, d)
            gmap = orc.groups()
        except Exception as e:
            not_ok(name, "(ii) libkdumpfile reads the vmemmap",
                   "%s: %s" % (type(e).__name__, e))
            return None
        want = group_runs(gmap, d.max_pfn)
        check(name, "(ii) ranges and why = libkdumpfile's vmemmap reads "
              "(%d groups read)" % len(gmap), want == got,
              *diff_ranges(want, got))
        check(name, "(ii) our page walk and libkdumpfile agree which "
              "vmemmap pages are readable", not orc.disagree,
              "pfns: " + ", ".join("%#x" % p for p in orc.disagree[:8]))
        check_eq(name, "vmcoreinfo.vmemmap_base = section_mem_map decoded",
                 "0x%x" % orc.vb,
                 (j.get("vmcoreinfo") or {}).get("vmemmap_base"))
        spfns = sum(min(d.max_pfn, (s + 1) << orc.bits) - (s << orc.bits)
                    for s in orc.sections if s << orc.bits < d.max_pfn)
        check_eq(name, "struct_pages.pfns = pfns of present mem_sections "
                 "(libkdumpfile)", spfns, sp.get("pfns"))
        pages = set(orc.group(g)[1] for g in gmap) - {None}
        check_eq(name, "struct_pages.vmemmap_pages = distinct mapped "
                 "vmemmap pages (page walk)", len(pages),
                 sp.get("vmemmap_pages"))
        check_eq(name, "struct_pages.vmemmap_pages_excluded = of those, "
                 "not in the 2nd bitmap",
                 sum(1 for p in pages if not bit(d.b2, p)),
                 sp.get("vmemmap_pages_excluded"))
        return orc
    if truth is not None:
        return TruthOracle(truth, d)
    return None


def popcount_range(bm, a, b):
    v = int.from_bytes(bm[a >> 3:((b + 7) >> 3) + 1], "little") >> (a & 7)
    return (v & ((1 << (b - a)) - 1)).bit_count()


def expected_pfn(p, d, vb, orc):
    """the 'pfn' object inspect should print, or None when unknown"""
    e = {"pfn": p, "data": d.state(p)}
    if not orc.has_section(p):
        e.update(struct_page="no-section", struct_page_vaddr=None,
                 struct_page_paddr=None, vmemmap_pfn=None,
                 vmemmap_data=None)
        return e
    va = vb + 64 * p
    r = orc.group(p >> 6)
    if r is None:
        return None
    why, vpfn = r
    e["struct_page"] = why
    e["struct_page_vaddr"] = "0x%x" % va
    if vpfn is None:
        e.update(struct_page_paddr=None, vmemmap_pfn=None, vmemmap_data=None)
    else:
        e["struct_page_paddr"] = "0x%x" % (vpfn * PAGE + va % PAGE)
        e["vmemmap_pfn"] = vpfn
        e["vmemmap_data"] = d.state(vpfn)
    return e


def check_pfns(name, inspect, paths, j, d, orc):
    """(e): --pfn for a missing, a present, a hole and a past-max pfn;
    --page and --paddr say the same as --pfn; the text output agrees"""
    sp = j.get("struct_pages") or {}
    vb = int((j.get("vmcoreinfo") or {}).get("vmemmap_base") or "0", 16)
    if orc is None:
        not_ok(name, "--pfn checks need the truth or libkdumpfile")
        return
    ranges = j.get("ranges") or []
    picks = []
    if ranges:
        # One pfn in the middle of a range of each why.
        for why in sorted(set(r["why"] for r in ranges)):
            rs = [r for r in ranges if r["why"] == why]
            r = rs[len(rs) // 2]
            picks.append(("missing: " + why,
                          (r["start_pfn"] + r["end_pfn"]) // 2))
    elif sp.get("missing_pfns"):
        not_ok(name, "ranges list the missing pfns", "none listed")
    present = [p for p in range(0x100000 >> 12, d.max_pfn, 4099)
               if d.state(p) == "dumped" and not any(
                   r["start_pfn"] <= p < r["end_pfn"] for r in ranges)]
    if present:
        picks.append(("present", present[len(present) // 2]))
    hole = next((p for p in range(d.max_pfn)
                 if d.state(p) == "not RAM (hole)" and orc.has_section(p)),
                None)
    if hole is not None:
        picks.append(("hole", hole))
    picks.append(("max_pfn", d.max_pfn))
    picks.append(("past max_pfn", ((d.max_pfn >> 15) + 1) << 15))
    for kind, p in picks:
        what = "--pfn %#x (%s)" % (p, kind)
        jj = inspect_json(name, inspect, ["--pfn", "%#x" % p] + paths, what)
        if jj is None:
            continue
        got = jj.get("pfn")
        want = expected_pfn(p, d, vb, orc)
        if want is None:
            not_ok(name, what + ": checker cannot compute this pfn")
            continue
        check_eq(name, what + " reports data and struct page as computed",
                 want, got)
        if kind.startswith("missing") or kind == "present":
            for opt, val in (("--page", "%#x" % (vb + 64 * p)),
                             ("--paddr", "%#x" % (p * PAGE + 0x123))):
                j2 = inspect_json(name, inspect, [opt, val] + paths,
                                  "%s %s" % (opt, val))
                if j2 is not None:
                    check_eq(name, "%s %s says the same as %s" %
                             (opt, val, what), got, j2.get("pfn"))
    rc, out, err = run_inspect(inspect, paths)
    line = next((s for s in out.splitlines()
                 if s.startswith("struct pages:")), "")
    m = sp.get("missing_pfns")
    if m == 0:
        want = "struct pages:   all %d present" % sp.get("pfns", -1)
        check_eq(name, "text output: all struct pages present", want, line)
    else:
        check(name, "text output names the %s missing pfns" % m,
              rc == 0 and line.startswith("struct pages:   %s pfns in %s "
                                          "ranges" % (m, sp.get(
                                              "missing_ranges"))),
              "rc %d" % rc, line, err)


# --- commands ----------------------------------------------------------------


def opts(argv, flags, bools=()):
    o, rest, i = {}, [], 0
    while i < len(argv):
        a = argv[i]
        if a in flags:
            o[a] = argv[i + 1]
            i += 2
        elif a in bools:
            o[a] = True
            i += 1
        else:
            rest.append(a)
            i += 1
    return o, rest


def cmd_dump(argv):
    o, paths = opts(argv, ("--inspect", "--name", "--truth", "--elf-report",
                           "--refilter-report", "--ref-json", "--save-json",
                           "--standin"),
                    ("--no-libkdumpfile",))
    name, inspect = o["--name"], o["--inspect"]
    tmp = tempfile.mkdtemp(prefix="check_inspect.")
    try:
        try:
            d = Dump(paths, tmp)
        except Exception as e:
            not_ok(name, "the checker parses the dump",
                   "%s: %s" % (type(e).__name__, e))
            return
        j = inspect_json(name, inspect, ["--ranges"] + paths,
                         "--json --ranges")
        if j is None:
            return
        if "--save-json" in o:
            with open(o["--save-json"], "w") as f:
                json.dump(j, f)
        check_header(name, j, d)
        check_numbers(name, j)
        standin = Dump([o["--standin"]], tmp) if "--standin" in o \
            else None
        check_pages(name, j, d, o.get("--elf-report"),
                    o.get("--refilter-report"), standin)
        truth = Truth(o["--truth"]) if "--truth" in o else None
        lk = "--no-libkdumpfile" not in o
        if lk and len(paths) > 1:
            not_ok(name, "(ii) libkdumpfile opens split sets")
            lk = False
        path_for_lk = paths[0]
        if lk and d.first.flattened:
            # libkdumpfile reads regular files only: un-flatten here.
            path_for_lk = os.path.join(tmp, "unflat")
            unflatten(paths[0], path_for_lk)
        orc = check_struct_pages(name, j, d, truth, lk, path_for_lk)
        if "--ref-json" in o:
            with open(o["--ref-json"]) as f:
                ref = json.load(f)
            check_eq(name, "ranges equal those of the same filter's "
                     "single-file output (libkdumpfile-checked)",
                     inspect_runs(ref), inspect_runs(j))
        check_pfns(name, inspect, paths, j, d, orc)
    finally:
        for f in os.listdir(tmp):
            os.unlink(os.path.join(tmp, f))
        os.rmdir(tmp)


def elf_pt_loads(path):
    """The PT_LOAD headers of an ELF64 file: [(paddr, filesz, memsz, offset)]"""
    with open(path, "rb") as f:
        eh = f.read(64)
        phoff, = struct.unpack_from("<Q", eh, 32)
        phnum, = struct.unpack_from("<H", eh, 56)
        f.seek(phoff)
        out = []
        for _ in range(phnum):
            ph = f.read(56)
            typ, _, off, _, paddr, filesz, memsz, _ = struct.unpack(
                "<IIQQQQQQ", ph)
            if typ == 1:
                out.append((paddr, filesz, memsz, off))
    return out


def elf_loads(path):
    return [(p, m) for p, _, m, _ in elf_pt_loads(path)]


def cmd_elf(argv):
    o, paths = opts(argv, ("--inspect", "--name", "--truth", "--release",
                           "--kdump-json"))
    name, inspect = o["--name"], o["--inspect"]
    j = inspect_json(name, inspect, ["--ranges"] + paths, "--json --ranges")
    if j is None:
        return
    check_eq(name, "format elf", "elf", j.get("format"))
    check_numbers(name, j)
    check_eq(name, "dump_level is null", None, j.get("dump_level"))
    check_eq(name, "header_version 0, status 0, compression none",
             (0, {"value": 0, "flags": []}, "none"),
             (j.get("header_version"), j.get("status"), j.get("compression")))
    ram = set()
    for paddr, memsz in elf_loads(paths[0]):
        ram.update(range(paddr // PAGE, (paddr + memsz + PAGE - 1) // PAGE))
    max_pfn = max(ram) + 1
    pg = j.get("pages") or {}
    check_eq(name, "max_pfn = end of the last PT_LOAD", max_pfn,
             j.get("max_pfn"))
    check_eq(name, "pages.ram = pfns covered by PT_LOADs (counted once)",
             len(ram), pg.get("ram"))
    check_eq(name, "pages.dumped = ram, excluded 0, zero 0", (len(ram), 0, 0),
             (pg.get("dumped"), pg.get("excluded"), pg.get("zero")))
    sp = j.get("struct_pages") or {}
    check_eq(name, "struct pages all present: missing_pfns 0, no ranges",
             (0, 0, []), (sp.get("missing_pfns"), sp.get("missing_ranges"),
                          j.get("ranges")))
    if "--truth" in o:
        t = Truth(o["--truth"])
        check_eq(name, "max_pfn and ram = the truth's", (t.max_pfn,
                                                         t.ram_pages),
                 (j.get("max_pfn"), pg.get("ram")))
    if "--release" in o:
        check_eq(name, "utsname.release = the fixture's kernel release",
                 o["--release"], (j.get("utsname") or {}).get("release"))
        check_eq(name, "vmcoreinfo.release = the fixture's kernel release",
                 o["--release"], (j.get("vmcoreinfo") or {}).get("release"))
    vi = None
    try:
        import kdumpfile
        k = kdumpfile.kdumpfile(paths[0])
        vi = parse_vmcoreinfo(bytes(
            k.attr["linux.vmcoreinfo.raw"]).decode("latin-1"))
    except Exception as e:
        not_ok(name, "libkdumpfile opens the ELF", e)
    if vi:
        want_pb = int(vi["NUMBER(phys_base)"])
        check_eq(name, "vmcoreinfo.phys_base = NUMBER(phys_base) (%s)" %
                 vi["NUMBER(phys_base)"], want_pb,
                 (j.get("vmcoreinfo") or {}).get("phys_base"))
        check_eq(name, "vmcoreinfo.kernel_offset = KERNELOFFSET",
                 "0x%x" % int(vi.get("KERNELOFFSET", "0"), 16),
                 (j.get("vmcoreinfo") or {}).get("kernel_offset"))
        check_eq(name, "crash_time = CRASHTIME",
                 int(vi["CRASHTIME"]) if "CRASHTIME" in vi else None,
                 j.get("crash_time"))
    for kj in o.get("--kdump-json", "").split(","):
        if not kj:
            continue
        with open(kj) as f:
            k = json.load(f)
        # inspect's utsname of the kdump file, which (a) found equal to
        # this checker's parse of its header.
        check_eq(name, "utsname of the ELF (init_uts_ns) = the kdump "
                 "header's utsname (%s)" % os.path.basename(kj),
                 k.get("utsname"), j.get("utsname"))
        check_eq(name, "vmcoreinfo of the ELF = that of %s" %
                 os.path.basename(kj), j.get("vmcoreinfo"),
                 k.get("vmcoreinfo"))


def rewrite_without(src, out, drop):
    """Copy kdump file src to out with the pfns in drop taken out of the
    2nd bitmap (and their descriptors out of the descriptor area; the data
    moves up by the bytes saved). A hand-made dump whose vmemmap pages or
    page tables are missing where makedumpfile -e declines to drop any."""
    with open(src, "rb") as f, open(out, "wb") as o:
        hdr = f.read(PAGE)
        bs, sub, bmb = struct.unpack_from("<iiI", hdr, 428)
        o.write(hdr)
        o.write(f.read(sub * bs))
        half = bmb * bs // 2
        b1 = f.read(half)
        b2 = bytearray(f.read(half))
        o.write(b1)
        n = int.from_bytes(b2, "little").bit_count()
        descs = f.read(24 * n)
        kept, ranks = [], {}
        r = 0
        for i in range(len(b2) * 8):
            if b2[i >> 3] >> (i & 7) & 1:
                ranks[i] = r
                r += 1
        for p in drop:
            if p not in ranks:
                raise ValueError("pfn %#x is not dumped in %s" % (p, src))
        gone = set(ranks[p] for p in drop)
        shift = 24 * len(gone)
        for i in range(n):
            if i in gone:
                continue
            off, size, flags, pf = struct.unpack_from("<QIIQ", descs, 24 * i)
            kept.append(struct.pack("<QIIQ", off - shift if off else 0,
                                    size, flags, pf))
        for p in drop:
            b2[p >> 3] &= ~(1 << (p & 7))
        o.write(b2)
        o.write(b"".join(kept))
        while True:
            chunk = f.read(1 << 22)
            if not chunk:
                break
            o.write(chunk)


def cmd_drop(argv):
    """drop --truth T SRC OUT: a copy of SRC without: the vmemmap page of
    a group in the first pte4k section, the PTE table of a group in the
    last one, and the shared vmemmap page of the first HVO page."""
    o, (src, out) = opts(argv, ("--truth",))
    t = Truth(o["--truth"])
    tmp = tempfile.mkdtemp(prefix="check_inspect.")
    try:
        d = Dump([src], tmp)
    finally:
        os.rmdir(tmp)
    orc = LkOracle(src, d)
    drop = []
    secs = [s for s in sorted(t.vmemmap) if t.vmemmap[s][0] == "pte4k"]
    p = (secs[0] << 15) + 64 * 5
    drop.append(orc.group(p >> 6)[1])
    orc.kf.walk(orc.vb + 64 * ((secs[-1] << 15) + 20000), d.max_pfn)
    drop.append(orc.kf.tables_seen[-1] >> 12)
    head = min(t.hvo)
    drop.append(t.hvo[head])
    rewrite_without(src, out, sorted(set(drop)))
    print(" ".join("%#x" % p for p in sorted(set(drop))))


def cmd_header(argv):
    tmp = tempfile.mkdtemp(prefix="check_inspect.")
    try:
        d = Dump(argv, tmp)
        h = d.header_json()
        h["pages"] = {"ram": d.ram, "dumped_bits": d.dumped_bits,
                      "zero": d.zero, "not_written": d.not_written}
        print(json.dumps(h, indent=1))
    finally:
        os.rmdir(tmp)


def main(argv):
    cmds = {"dump": cmd_dump, "elf": cmd_elf, "header": cmd_header,
            "drop": cmd_drop}
    if len(argv) < 2 or argv[1] not in cmds:
        print(__doc__, file=sys.stderr)
        return 2
    cmds[argv[1]](argv[2:])
    return 1 if FAILED else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
