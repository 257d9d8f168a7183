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
  check_truth.py pcp DUMP REPORT TRUTH LEVEL [-e]
      a vmemtrim dump of an mkvmcore --pcp vmcore: at a LEVEL with
      16 every first page of a block on a per-CPU list (class pcp) is left
      out, the rest of the block (pcp_rest) may be, and every other pfn is
      dumped or not as the truth says (so the lookalikes pcp_fake and
      nocomp are kept); without 16 nothing of them is left out. The
      report's "on per-CPU lists" is the per-CPU pages left out, "Free
      pages" the truth's free plus those, "Pages filled with zero" the
      truth's less the all-zero per-CPU pages left out; the other counters
      are the truth's. With -e: exactly the vmemmap pages whose every
      struct page is of a pfn this dump leaves out (the per-CPU pages it
      left out included) are dropped, as "Vmemmap pages (-e)" says.
      Prints the share of per-CPU pages left out.
  check_truth.py pcpdiff MDF_DUMP VT_DUMP TRUTH
      makedumpfile's and vmemtrim's dumps (no -e) of one --pcp vmcore at
      one level: the pfns makedumpfile dumps and vmemtrim leaves out are
      per-CPU free pages (pcp, pcp_rest), and vmemtrim dumps nothing
      makedumpfile leaves out.
  check_truth.py pcplists VMCORE TRUTH
      libkdumpfile walks every per-CPU list of a --pcp vmcore from its
      head in the per-CPU area (the way a reader with the kernel's debug
      info does): every step's back link agrees, and the entries found
      are exactly the truth's pcp pages.
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
# mkvmcore --pcp: pages on the per-CPU lists (pcp: a block's first page,
# pcp_rest: the others) and their lookalikes (pcp_fake, nocomp) are always
# dumped by makedumpfile; "pcp" below says what vmemtrim does with them.
PCP_FREE = {"pcp", "pcp_rest"}
PCP_KEEP = {"pcp_fake", "nocomp"}
ALWAYS = {"slab", "kernel", "reserved", "pagetable", "vmemmap",
          "corrupt"} | PCP_FREE | PCP_KEEP


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


def report_counters(report, extra):
    """vmemtrim's report counters (REPORT_KEYS and extra), by key; the
    label of the first one missing (a str) when one is"""
    text = open(report, errors="replace").read()
    got = {}
    for label, key in REPORT_KEYS + extra:
        m = re.search(re.escape(label) + r"\s*:\s*(0x[0-9a-fA-F]+)", text)
        if not m:
            return label
        got[key] = int(m.group(1), 16)
    return got


def cmd_vcounts(report, truth, level, ext=False):
    t = Truth(truth)
    d = int(level)
    c = t.counts[d]
    got = report_counters(report, [("Vmemmap pages (-e)", "vmemmap")])
    if isinstance(got, str):
        return fail("report has no '%s'" % got)
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


def removable_by(t, dumped):
    """physical vmemmap pages all of whose struct pages (every mapping,
    HVO included) are of pfns not in dumped (a bytearray per pfn)"""
    keep = {}
    for s in t.vmemmap:
        if t.vmemmap[s][0] == "bad":
            continue
        for pfn in range(s << 15, (s + 1) << 15, 64):
            ph = t.vmemmap_phys(pfn)
            keep[ph] = keep.get(ph, False) or any(dumped[pfn:pfn + 64])
    return set(ph for ph, k in keep.items() if not k)


def cmd_pcp(dump, report, truth, level, ext=False):
    t = Truth(truth)
    d = int(level)
    status, mapnr, b1, b2 = read_kdump(dump)
    want = t.dumped(d)
    bad = 0
    rem = set()
    if ext:
        # this dump's view: the per-CPU pages it left out are not dumped
        view = bytearray(want)
        for a, b, cls, _ in t.runs:
            if cls in PCP_FREE and a < t.max_pfn:
                b = min(b, t.max_pfn)
                view[a:b] = b2[a:b]
        rem = removable_by(t, view)
        for ph in rem:
            if ph < t.max_pfn:
                want[ph] = 0
        if bool(status & 0x10) != bool(rem):
            bad += fail("DUMP_DH_EXCLUDED_VMEMMAP is %s with %d removable "
                        "vmemmap pages" % (bool(status & 0x10), len(rem)))
    if mapnr != t.max_pfn:
        bad += fail("max_mapnr %d, truth max_pfn %d" % (mapnr, t.max_pfn))
    n = {"pcp": 0, "pcp_rest": 0, "keep": 0}
    out = {"pcp": 0, "pcp_rest": 0}
    zero_out = 0
    wrong = []
    for a, b, cls, zero in t.runs:
        b = min(b, t.max_pfn)
        if a >= b:
            continue
        got = b2[a:b]
        if cls in PCP_FREE:
            left = (b - a) - sum(got)
            n[cls] += b - a
            out[cls] += left
            if zero:
                zero_out += left
            if left and not d & 16:
                wrong.append((a, cls, "left out without level 16"))
            if cls == "pcp" and d & 16 and left != b - a:
                wrong.append((a, cls, "entry kept"))
            continue
        if cls in PCP_KEEP:
            n["keep"] += b - a
        if got != want[a:b]:
            i = next(i for i in range(b - a) if got[i] != want[a + i])
            wrong.append((a + i, cls, "dumped" if got[i] else "left out"))
    for pfn, cls, what in wrong[:5]:
        bad += fail("pfn %#x (%s): %s" % (pfn, cls, what))
    if len(wrong) > 5:
        bad += fail("... %d more" % (len(wrong) - 5))
    got = report_counters(report, [("on per-CPU lists", "pcp"),
                                   ("Vmemmap pages (-e)", "vmemmap")])
    if isinstance(got, str):
        return fail("report has no '%s'" % got)
    c = t.counts[d]
    left = out["pcp"] + out["pcp_rest"]
    want_c = dict((k, c[k]) for k in ("cache", "cache_private", "user",
                                      "hwpoison", "offline", "total"))
    want_c["vmemmap"] = len(rem)
    want_c["pcp"] = left
    want_c["free"] = c["free"] + left
    want_c["zero"] = c["zero"] - (zero_out if d & 1 else 0)
    for k, v in want_c.items():
        if got[k] != v:
            bad += fail("%s: vmemtrim %d, truth %d" % (k, got[k], v))
    allp = n["pcp"] + n["pcp_rest"]
    print("# level %d: per-CPU pages %d (entries %d), left out %d (%.1f%%: "
          "entries %d, rest %d); lookalikes kept %d; vmemmap pages "
          "dropped %d" %
          (d, allp, n["pcp"], left, 100.0 * left / allp if allp else 0,
           out["pcp"], out["pcp_rest"], n["keep"], len(rem)))
    return 1 if bad else 0


def cmd_pcpdiff(mdf, vt, truth):
    t = Truth(truth)
    b_m = read_kdump(mdf)[3]
    b_v = read_kdump(vt)[3]
    cls = {}
    for a, b, c, _ in t.runs:
        if c in PCP_FREE:
            for i in range(a, min(b, t.max_pfn)):
                cls[i] = c
    only_m = [i for i in runs_of(bytearray(
        1 if m and not v else 0 for m, v in zip(b_m, b_v)))]
    only_v = sum(1 for m, v in zip(b_m, b_v) if v and not m)
    n = {"pcp": 0, "pcp_rest": 0}
    other = []
    for a, b in only_m:
        for i in range(a, b):
            if i in cls:
                n[cls[i]] += 1
            else:
                other.append(i)
    bad = 0
    if other:
        bad += fail("%d pfns makedumpfile dumps and vmemtrim leaves out are "
                    "not per-CPU free, first %s" %
                    (len(other), [hex(x) for x in other[:5]]))
    if only_v:
        bad += fail("vmemtrim dumps %d pfns makedumpfile leaves out" % only_v)
    print("# makedumpfile dumps %d pages vmemtrim leaves out: per-CPU "
          "entries %d, rest of their blocks %d, other %d; the reverse %d" %
          (n["pcp"] + n["pcp_rest"] + len(other), n["pcp"], n["pcp_rest"],
           len(other), only_v))
    return 1 if bad else 0


def cmd_pcplists(vmcore, truth):
    import kdumpfile
    t = Truth(truth)
    k = kdumpfile.kdumpfile(vmcore)
    k.attr["addrxlat.ostype"] = "linux"
    f = t.facts
    pob = int(f["page_offset_base"], 16)
    vb = int(f["vmemmap_base"], 16)
    area = pob + (int(f["pcp_area_pfn"], 16) << 12)
    lists, off = int(f["pcp_lists"]), int(f["pcp_off_lists"])

    def u64(va):
        return struct.unpack("<Q", bytes(k.read(kdumpfile.KDUMP_KVADDR,
                                                va, 8)))[0]
    found, bad, nlists = set(), 0, 0
    for s in range(int(f["pcp_sets"])):
        for i in range(lists):
            head = area + 256 * s + off + 16 * i
            prev, cur, n = head, u64(head), 0
            while cur != head and n < 100000:
                pfn, rem = divmod(cur - 8 - vb, 64)
                if rem or u64(cur + 8) != prev:
                    bad += fail("list %d.%d: bad link at %#x" % (s, i, cur))
                    break
                found.add(pfn)
                prev, cur, n = cur, u64(cur), n + 1
            if u64(head + 8) != prev:
                bad += fail("list %d.%d: head's prev is not the last entry"
                            % (s, i))
            nlists += 1
    want = set()
    for a, b, c, _ in t.runs:
        if c == "pcp":
            want.update(range(a, b))
    if found != want:
        bad += fail("lists hold %d entries, truth has %d pcp pages (%d "
                    "differ)" % (len(found), len(want), len(found ^ want)))
    print("# %d per-CPU lists walked from their heads: %d entries" %
          (nlists, len(found)))
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
    if len(argv) in (6, 7) and argv[1] == "pcp":
        return cmd_pcp(argv[2], argv[3], argv[4], argv[5],
                       argv[6:] == ["-e"])
    if len(argv) == 5 and argv[1] == "pcpdiff":
        return cmd_pcpdiff(argv[2], argv[3], argv[4])
    if len(argv) == 4 and argv[1] == "pcplists":
        return cmd_pcplists(argv[2], argv[3])
    if len(argv) == 4 and argv[1] == "reader":
        return cmd_reader(argv[2], argv[3])
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
