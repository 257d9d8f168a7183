#!/usr/bin/python3
"""Check dumps and readers against mkvmcore's ground truth (FILE.truth).

usage:
  check_truth.py counts REPORT TRUTH LEVEL
      makedumpfile's report (--message-level 31 output) against the
      truth's "count LEVEL" line: every per-class counter, total,
      original and remaining pages.
  check_truth.py bitmap DUMP TRUTH LEVEL [-e|--exact]
      the kdump-compressed DUMP's bitmaps against the truth: the 1st
      bitmap is the PT_LOAD pfns; without -e the 2nd bitmap is exactly
      the pfns dumped at LEVEL; with -e every further pfn missing from
      the 2nd bitmap must be in the truth's removable vmemmap set; with
      --exact they must be that whole set, and DUMP_DH_EXCLUDED_VMEMMAP
      set exactly when it is not empty.
  check_truth.py vcounts REPORT TRUTH LEVEL [-e]
      vmemtrim's report (--message-level 31) against the truth: every
      per-class counter and the total as makedumpfile's; "Original pages"
      is the RAM pfns (ram_pages), remaining = RAM - excluded; with -e the
      vmemmap pages left out equal the truth's removable set.
  check_truth.py removable TRUTH
      recompute every removable vmemmap set from the class runs and the
      vmemmap map (HVO included) and compare with the truth's own sets.
  check_truth.py reader VMCORE TRUTH
      libkdumpfile opens VMCORE: vmcoreinfo, a kernel-text read
      (init_uts_ns), and struct page reads through vmemmap for pfns of
      every section land on the physical pages the truth names; drgn's own
      page-table walker (python3-drgn) must read the same bytes.
Prints "# " detail lines; exit status 0 when everything agrees.
"""
import re
import struct
import sys

NEVER = {"hole", "hwpoison", "offline"}
ALWAYS = {"slab", "kernel", "reserved", "pagetable", "vmemmap", "corrupt"}


def excluded_by_class(cls, d):
    if cls in NEVER:
        return True
    if cls in ALWAYS:
        return False
    if cls in ("cache", "shmem"):
        return bool(d & 6)
    if cls == "cache_private":
        return bool(d & 4)
    if cls in ("anon", "hugetlb"):
        return bool(d & 8)
    if cls == "free":
        return bool(d & 16)
    raise ValueError(cls)


def level_key(d):
    return (bool(d & 6)) | (bool(d & 4) << 1) | (bool(d & 8) << 2) | \
        (bool(d & 16) << 3)


class Truth:
    def __init__(self, path):
        self.runs = []
        self.counts = {}
        self.removable = {}
        self.facts = {}
        self.loads = []
        self.vmemmap = {}
        self.hvo = {}
        self.corrupt = []		# corrupt.py: (kind, start, end)
        self.corrupted = {}		# corrupt.py: kind -> victims
        self.vmcoreinfo_corrupt = []	# corrupt.py: keys dropped or changed
        with open(path) as f:
            for line in f:
                w = line.split()
                if not w or w[0] == "#":
                    continue
                if w[0] == "r":
                    self.runs.append((int(w[1], 16), int(w[2], 16), w[3],
                                      w[4] == "1"))
                elif w[0] == "count":
                    self.counts[int(w[1])] = dict(
                        (k, int(v)) for k, v in
                        (x.split("=") for x in w[2:]))
                elif w[0] == "rm":
                    self.removable.setdefault(int(w[1]), []).append(
                        (int(w[2], 16), int(w[3], 16)))
                elif w[0] == "removable":
                    self.removable.setdefault(int(w[1]), [])
                elif w[0] == "load":
                    self.loads.append((int(w[1], 16), int(w[2], 16)))
                elif w[0] == "vmemmap":
                    self.vmemmap[int(w[1], 16)] = (w[2], int(w[3], 16))
                elif w[0] == "hvo":
                    self.hvo[int(w[1], 16)] = int(w[2], 16)
                elif w[0] == "corrupt" and len(w) == 4:
                    self.corrupt.append((w[1], int(w[2], 16),
                                         int(w[3], 16)))
                elif w[0] == "corrupted":
                    self.corrupted[w[1]] = int(w[2])
                elif w[0] == "vmcoreinfo_corrupt":
                    self.vmcoreinfo_corrupt.append(w[1])
                elif len(w) == 2:
                    self.facts[w[0]] = w[1]
        self.max_pfn = int(self.facts["max_pfn"], 16)

    def dumped(self, d):
        """bytearray, 1 per pfn dumped at level d (zero pages included)"""
        out = bytearray(self.max_pfn)
        for a, b, cls, _ in self.runs:
            b = min(b, self.max_pfn)
            if a < b and not excluded_by_class(cls, d):
                out[a:b] = b"\1" * (b - a)
        return out

    def vmemmap_phys(self, pfn):
        """physical page of pfn's struct page; None when corrupt.py broke
        the section's vmemmap mapping (mode "bad")"""
        mode, base = self.vmemmap[pfn >> 15]
        if mode == "bad":
            return None
        g = (pfn & 32767) >> 6
        head = pfn & ~511
        if head in self.hvo and (pfn - head) >> 6:
            return self.hvo[head]
        return base - g if mode == "pte4k" else base + g


def fail(msg):
    print("# " + msg)
    return 1


REPORT_KEYS = [
    ("Pages filled with zero", "zero"),
    ("Non-private cache pages", "cache"),
    ("Private cache pages", "cache_private"),
    ("User process data pages", "user"),
    ("Free pages", "free"),
    ("Hwpoison pages", "hwpoison"),
    ("Offline pages", "offline"),
    ("Remaining pages", "remaining"),
    ("Original pages", "original"),
    ("Total pages", "total"),
]


def cmd_counts(report, truth, level):
    t = Truth(truth).counts[int(level)]
    text = open(report, errors="replace").read()
    bad = 0
    for label, key in REPORT_KEYS:
        m = re.search(re.escape(label) + r"\s*:\s*(0x[0-9a-fA-F]+)", text)
        if not m:
            bad += fail("report has no '%s'" % label)
            continue
        got = int(m.group(1), 16)
        if got != t[key]:
            bad += fail("%s: makedumpfile %d, truth %d" % (key, got, t[key]))
    return 1 if bad else 0


def expand(bm, n):
    table = [bytes((x >> i) & 1 for i in range(8)) for x in range(256)]
    return bytearray(b"".join(table[x] for x in bm))[:n]


def read_kdump(path):
    with open(path, "rb") as f:
        hdr = f.read(4096)
        if hdr[:8] != b"KDUMP   ":
            raise ValueError("not a kdump-compressed file")
        bs, sub, bmb, mapnr = struct.unpack_from("<iiII", hdr, 428)
        f.seek(bs)
        sh = f.read(104)
        mapnr64 = struct.unpack_from("<Q", sh, 96)[0] or mapnr
        status = struct.unpack_from("<I", hdr, 424)[0]
        half = bmb // 2 * bs
        f.seek((1 + sub) * bs)
        b1 = f.read(half)
        b2 = f.read(half)
    return status, mapnr64, expand(b1, mapnr64), expand(b2, mapnr64)


def runs_of(flags):
    out, i, n = [], 0, len(flags)
    while i < n:
        if not flags[i]:
            j = flags.find(b"\1", i)
            if j < 0:
                break
            i = j
        j = flags.find(b"\0", i)
        j = n if j < 0 else j
        out.append((i, j))
        i = j
    return out


def cmd_vcounts(report, truth, level, ext=False):
    t = Truth(truth)
    d = int(level)
    c = t.counts[d]
    text = open(report, errors="replace").read()
    got = {}
    for label, key in REPORT_KEYS + [("Vmemmap pages (-e)", "vmemmap")]:
        m = re.search(re.escape(label) + r"\s*:\s*(0x[0-9a-fA-F]+)", text)
        if not m:
            return fail("report has no '%s'" % label)
        got[key] = int(m.group(1), 16)
    rem = sum(b - a for a, b in t.removable.get(level_key(d), []))
    want = dict((k, c[k]) for k in ("zero", "cache", "cache_private",
                                    "user", "free", "hwpoison", "offline",
                                    "total"))
    want["original"] = int(t.facts["ram_pages"])
    want["vmemmap"] = rem if ext else 0
    want["remaining"] = want["original"] - sum(
        want[k] for k in ("zero", "cache", "cache_private", "user", "free",
                          "hwpoison", "offline", "vmemmap"))
    bad = 0
    for k, v in want.items():
        if got[k] != v:
            bad += fail("%s: vmemtrim %d, truth %d" % (k, got[k], v))
    print("# level %d: remaining %d, vmemmap left out %d" %
          (d, got["remaining"], got["vmemmap"]))
    return 1 if bad else 0


def cmd_bitmap(dump, truth, level, ext=False, exact=False):
    t = Truth(truth)
    d = int(level)
    status, mapnr, b1, b2 = read_kdump(dump)
    bad = 0
    if mapnr != t.max_pfn:
        bad += fail("max_mapnr %d, truth max_pfn %d" % (mapnr, t.max_pfn))
    load = bytearray(t.max_pfn)
    for a, b in t.loads:
        load[a:b] = b"\1" * (b - a)
    if b1 != load:
        bad += fail("1st bitmap differs from the PT_LOAD pfns")
    want = t.dumped(d)
    if not ext:
        if b2 != want:
            diff = [i for i in range(t.max_pfn) if b2[i] != want[i]][:5]
            bad += fail("2nd bitmap differs from truth at pfns %s" %
                        [hex(x) for x in diff])
        return 1 if bad else 0
    # pfns dumped by class but missing in the -e dump: dropped vmemmap
    extra = bytes(1 if (w and not g) else 0 for w, g in zip(want, b2))
    extra = bytearray(extra)
    rem = bytearray(t.max_pfn)
    for a, b in t.removable.get(level_key(d), []):
        rem[a:b] = b"\1" * (b - a)
    dropped = sum(extra)
    wrong = [i for i, (x, r) in enumerate(zip(extra, rem)) if x and not r]
    added = [i for i in range(t.max_pfn) if b2[i] and not want[i]]
    print("# -e dropped %d vmemmap pages; truth removable %d; status %#x"
          % (dropped, sum(rem), status))
    if wrong:
        bad += fail("-e dropped %d pages that are not removable vmemmap, "
                    "first %s" % (len(wrong), [hex(x) for x in wrong[:5]]))
    if added:
        bad += fail("-e dump keeps %d class-excluded pages" % len(added))
    if exact:
        kept = [i for i in range(t.max_pfn) if rem[i] and not extra[i]]
        if kept:
            bad += fail("-e kept %d removable vmemmap pages, first %s" %
                        (len(kept), [hex(x) for x in kept[:5]]))
        if bool(status & 0x10) != bool(dropped):
            bad += fail("DUMP_DH_EXCLUDED_VMEMMAP is %s with %d pages "
                        "dropped" % (bool(status & 0x10), dropped))
    return 1 if bad else 0


KIND = {"free": 8, "cache": 1, "shmem": 1, "cache_private": 2, "anon": 4,
        "hugetlb": 4}


def key_removes(key, kinds):
    """kinds: set of class names held by one vmemmap page"""
    for c in kinds:
        if c in NEVER:
            continue
        if c in ALWAYS:
            return False
        bit = KIND[c]
        if bit == 1 and not key & 1:
            return False
        if bit == 2 and not key & 2:
            return False
        if bit == 4 and not key & 4:
            return False
        if bit == 8 and not key & 8:
            return False
    return True


def cmd_removable(truth):
    t = Truth(truth)
    names = sorted({r[2] for r in t.runs} | NEVER)
    idx = dict((n, i) for i, n in enumerate(names))
    end = max(b for _, b, _, _ in t.runs)
    cls = bytearray(end)
    for a, b, c, _ in t.runs:
        cls[a:b] = bytes((idx[c],)) * (b - a)
    pages = {}				# phys pfn -> set of class ids
    for s in t.vmemmap:
        if t.vmemmap[s][0] == "bad":
            continue
        s0 = s << 15
        for g in range(512):
            pfn = s0 + g * 64
            ph = t.vmemmap_phys(pfn)
            pages.setdefault(ph, set()).update(cls[pfn:pfn + 64])
    bad = 0
    keys = sorted(t.removable)
    for key in keys:
        want = set(ph for ph, k in pages.items()
                   if key_removes(key, [names[i] for i in k]))
        got = set()
        for a, b in t.removable[key]:
            got.update(range(a, b))
        if want != got:
            bad += fail("key %d: truth lists %d removable pages, recomputed "
                        "%d (%d differ)" % (key, len(got), len(want),
                                            len(want ^ got)))
    print("# %d vmemmap pages, %d keys recomputed" % (len(pages), len(keys)))
    return 1 if bad else 0


def cmd_reader(vmcore, truth):
    import kdumpfile
    t = Truth(truth)
    bad = 0
    k = kdumpfile.kdumpfile(vmcore)
    k.attr["addrxlat.ostype"] = "linux"
    if k.attr["linux.uts.release"] != "6.1.0-56-cloud-amd64":
        bad += fail("uts release %r" % k.attr["linux.uts.release"])
    uts = k.attr["linux.vmcoreinfo.SYMBOL.init_uts_ns"]
    rel = bytes(k.read(kdumpfile.KDUMP_KVADDR, uts + 130, 20))
    if rel != b"6.1.0-56-cloud-amd64":
        bad += fail("init_uts_ns via kernel text reads %r" % rel)
    vb = int(t.facts["vmemmap_base"], 16)
    pfns = []
    for s in sorted(t.vmemmap):
        if t.vmemmap[s][0] == "bad":
            continue
        base = s << 15
        pfns += [base, base + 0x1234, base + 32767]
    for h in t.hvo:
        pfns += [h + 64 * i + 3 for i in range(8)]
    try:
        import drgn
        prog = drgn.Program()
        prog.set_core_dump(vmcore)
        if prog.read(uts + 130, 20) != rel:
            bad += fail("drgn reads init_uts_ns differently")
    except ImportError:
        prog = None
    checked = 0
    for pfn in pfns:
        if pfn >= t.max_pfn:
            continue
        va = vb + pfn * 64
        virt = bytes(k.read(kdumpfile.KDUMP_KVADDR, va & ~4095, 4096))
        ph = t.vmemmap_phys(pfn)
        phys = bytes(k.read(kdumpfile.KDUMP_KPHYSADDR, ph << 12, 4096))
        checked += 1
        if prog is not None and prog.read(va & ~4095, 4096) != virt:
            bad += fail("drgn and libkdumpfile read vmemmap of pfn %#x "
                        "differently" % pfn)
        if virt != phys:
            bad += fail("struct page of pfn %#x: vmemmap page is not "
                        "physical page %#x" % (pfn, ph))
            if bad > 5:
                break
    print("# %d vmemmap pages compared%s" %
          (checked, " (libkdumpfile and drgn)" if prog else ""))
    return 1 if bad else 0


def main(argv):
    if len(argv) >= 5 and argv[1] == "counts":
        return cmd_counts(argv[2], argv[3], argv[4])
    if len(argv) >= 5 and argv[1] == "bitmap":
        exact = "--exact" in argv[5:]
        return cmd_bitmap(argv[2], argv[3], argv[4],
                          exact or "-e" in argv[5:], exact)
    if len(argv) >= 5 and argv[1] == "vcounts":
        return cmd_vcounts(argv[2], argv[3], argv[4], "-e" in argv[5:])
    if len(argv) == 3 and argv[1] == "removable":
        return cmd_removable(argv[2])
    if len(argv) == 4 and argv[1] == "reader":
        return cmd_reader(argv[2], argv[3])
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
