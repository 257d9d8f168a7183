#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""Independent checks of vmemtrim's dumps of the real-kernel vmcores.

Nothing here goes through vmemtrim's C code: the kdump files are parsed by
tests/reader/check_inspect.py (header, bitmaps, page descriptors), pages
are read with libkdumpfile, and the vmemmap map (which physical page holds
the struct pages of which pfns) comes from a walk of the source vmcore's
own page tables (check_inspect.Kdumpfile, reading through libkdumpfile).
Run with /usr/bin/python3 (Debian's kdumpfile).

  kdump_bitmaps.py info DUMP
      one line of KEY=VALUE facts: status, version, level, max_pfn, ram,
      bits2 (2nd-bitmap pfns), zero, not_written, b1/b2 (SHA-256 of the
      bitmaps' first max_pfn bits)
  kdump_bitmaps.py readcmp --name N VMCORE DUMP
      every pfn set in DUMP's 2nd bitmap reads the same bytes from DUMP
      and from VMCORE (libkdumpfile both), and the first pfn of every run
      of excluded RAM pfns has no data in DUMP
  kdump_bitmaps.py vmemmap --name N [--mdf-subset assert|auto]
      [--mdf-crash ok|fail] [--report REP] VMCORE VM31 VM31E MDF31 MDF31E
      what -e dropped (VM31 minus VM31E) against the removable vmemmap
      pages (every vmemmap page all of whose struct pages describe pfns
      excluded from VM31) and against makedumpfile's drop (MDF31 minus
      MDF31E); MDF31E may be "-" (makedumpfile made no -e dump)
  kdump_bitmaps.py report --name N [--e] [--err ERR] REP DUMP
      the makedumpfile-style report REP of the run that wrote DUMP: every
      line is there, the excluded categories add up (Original - excluded
      = Remaining), "Pages filled with zero" = DUMP's zero pages, "Total
      pages" = max_pfn; "Excluded N unused vmemmap pages" iff --e (in REP
      or ERR: makedumpfile prints that line on stderr)
  kdump_bitmaps.py missing --name N INSPECT.json VMCORE DUMP
      vmemtrim-inspect's missing struct page ranges of DUMP: every missing
      pfn is excluded in DUMP, and the ranges are exactly the groups of 64
      pfns whose vmemmap page is not in DUMP's 2nd bitmap
TAP lines ("ok - N: ...", "not ok - N: ..." with "#   " details, "# "
notes); exit status 1 when a line failed, 2 on usage errors.
"""
import hashlib
import re
import json
import os
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "reader"))
sys.path.insert(0, os.path.join(HERE, "..", "mkvmcore"))

import check_inspect as ci  # noqa: E402
from check_truth import expand, runs_of  # noqa: E402

PAGE = 4096
PER_VPAGE = PAGE // 64  # struct pages (64 bytes) per vmemmap page


def kdump(path):
    tmp = tempfile.mkdtemp(prefix="kdump_bitmaps.")
    try:
        return ci.KdumpFile(path, tmp)
    finally:
        os.rmdir(tmp)


def bits_int(bm, n):
    """the first n bits of bitmap bm as one integer (bit i = pfn i)"""
    return int.from_bytes(bm[:(n + 7) // 8], "little") & ((1 << n) - 1)


def pfns_of(v):
    """the set bits of integer v, ascending"""
    out = []
    bs = v.to_bytes((v.bit_length() + 7) // 8, "little")
    for i, x in enumerate(bs):
        if x:
            out.extend(8 * i + j for j in range(8) if x >> j & 1)
    return out


def as_bytes(v, n):
    """integer bitmap v of n bits as little-endian bytes (+8 spare)"""
    return v.to_bytes((n + 7) // 8 + 8, "little")


def fmt_pfns(ps, n=8):
    ps = sorted(ps)
    return ", ".join("%#x" % p for p in ps[:n]) + \
        (" ... (%d)" % len(ps) if len(ps) > n else "")


# --- info ---------------------------------------------------------------


def cmd_info(argv):
    if len(argv) != 1:
        return usage()
    k = kdump(argv[0])
    n = k.max_pfn
    facts = {
        "status": "%#x" % k.status, "version": k.version,
        "level": k.dump_level, "max_pfn": n,
        "ram": ci.popcount(k.b1, n), "bits2": k.popcount2(),
        "zero": k.zero, "not_written": k.not_written,
        "flattened": int(k.flattened),
        "release": k.utsname["release"] or "-",
        "b1": hashlib.sha256(bits_int(k.b1, n).to_bytes(
            (n + 7) // 8, "little")).hexdigest()[:16],
        "b2": hashlib.sha256(bits_int(k.b2, n).to_bytes(
            (n + 7) // 8, "little")).hexdigest()[:16],
    }
    print(" ".join("%s=%s" % kv for kv in facts.items()))
    return 0


# --- readcmp --------------------------------------------------------------


def cmd_readcmp(argv):
    o, args = ci.opts(argv, ["--name"])
    if len(args) != 2:
        return usage()
    name = o["--name"]
    vmcore, dump = args
    import kdumpfile
    from kdumpfile.exceptions import NoDataException
    k = kdump(dump)
    n = k.max_pfn
    src = kdumpfile.kdumpfile(vmcore)
    dst = kdumpfile.kdumpfile(dump)
    P = kdumpfile.KDUMP_MACHPHYSADDR
    b2 = expand(k.b2, n)
    compared, mismatches, first = 0, 0, None
    unreadable = []
    chunk = 256
    for a, b in runs_of(b2):
        for p in range(a, b, chunk):
            m = min(chunk, b - p)
            try:
                x = bytes(dst.read(P, p * PAGE, m * PAGE))
            except Exception as e:
                unreadable.append("pfn %#x..%#x from the dump: %s" %
                                  (p, p + m, e))
                continue
            try:
                y = bytes(src.read(P, p * PAGE, m * PAGE))
            except Exception as e:
                unreadable.append("pfn %#x..%#x from the vmcore: %s" %
                                  (p, p + m, e))
                continue
            compared += m
            if x != y:
                for i in range(m):
                    if x[i * PAGE:(i + 1) * PAGE] != y[i * PAGE:(i + 1) * PAGE]:
                        mismatches += 1
                        if first is None:
                            first = p + i
    want = bytes(src.attr["linux.vmcoreinfo.raw"]).decode("latin-1")
    ci.check(name, "the dump carries the vmcore's VMCOREINFO (%d bytes)" %
             len(want), k.vmcoreinfo.rstrip("\0") == want.rstrip("\0"),
             "the dump's: %d bytes at offset %d" %
             (k.size_vmcoreinfo, k.off_vmcoreinfo),
             "first line: %r" % k.vmcoreinfo[:60])
    ci.check(name, "libkdumpfile reads every 2nd-bitmap pfn from both the "
             "dump and the vmcore", not unreadable, *unreadable[:5])
    ci.check(name, "every dumped page (%d) is byte-identical to the "
             "vmcore's (libkdumpfile)" % compared,
             compared == k.popcount2() and mismatches == 0,
             "compared %d of %d 2nd-bitmap pfns" % (compared, k.popcount2()),
             "%d pages differ, the first pfn %s" %
             (mismatches, "%#x" % first if first is not None else "-"))
    # Excluded RAM: libkdumpfile must find no data there.
    b1 = expand(k.b1, n)
    excl = bytearray(x & (y ^ 1) for x, y in zip(b1, b2))
    has_data = []
    rs = runs_of(excl)
    for a, b in rs:
        for p in {a, b - 1}:
            try:
                dst.read(P, p * PAGE, 1)
                has_data.append(p)
            except NoDataException:
                pass
    ci.check(name, "libkdumpfile finds no data at the ends of the %d runs "
             "of excluded RAM pfns" % len(rs), not has_data,
             fmt_pfns(has_data))
    return 0


# --- vmemmap: what -e dropped ----------------------------------------------


class VmemmapMap:
    """vmemmap page (physical pfn) -> the groups of 64 pfns whose struct
    pages it holds, from the source vmcore's page tables"""

    def __init__(self, vmcore, max_pfn):
        kf = ci.Kdumpfile(vmcore)
        secs, sbits, bases = kf.sections(max_pfn)
        if len(bases) != 1:
            raise ValueError("section_mem_map decodes to %d vmemmap bases" %
                             len(bases))
        self.vb = bases.pop()
        self.max_pfn = max_pfn
        self.by_page = {}
        self.unmapped = 0
        self.groups = 0
        for s in secs:
            for p in range(s << sbits, (s + 1) << sbits, PER_VPAGE):
                g = p // PER_VPAGE
                why, pa = kf.walk(self.vb + g * PAGE, 1 << 40)
                if why != "mapped":
                    self.unmapped += 1
                    continue
                self.groups += 1
                self.by_page.setdefault(pa >> 12, []).append(g)
        self.group_page = {g: v for v, gs in self.by_page.items()
                           for g in gs}

    def removable(self, b2):
        """vmemmap pages all of whose struct pages describe pfns not in
        the 2nd bitmap b2 (an integer; pfns >= max_pfn count as excluded)"""
        bs = as_bytes(b2, self.max_pfn)
        zero = bytes(8)
        out = set()
        for v, gs in self.by_page.items():
            if all(bs[8 * g:8 * g + 8] in (zero, b"") for g in gs):
                out.add(v)
        return out


def bitmap2(path):
    k = kdump(path)
    return k, bits_int(k.b2, k.max_pfn)


def cmd_vmemmap(argv):
    o, args = ci.opts(argv, ["--name", "--mdf-subset", "--mdf-crash",
                             "--report"])
    if len(args) != 5:
        return usage()
    name = o["--name"]
    mode = o.get("--mdf-subset", "auto")
    mdf_crash = o.get("--mdf-crash", "ok")
    vmcore, vm31p, vm31ep, mdf31p, mdf31ep = args
    k31, vm31 = bitmap2(vm31p)
    k31e, vm31e = bitmap2(vm31ep)
    n = k31.max_pfn
    vm = VmemmapMap(vmcore, n)
    pages = set(vm.by_page)
    ci.note("%s: %d vmemmap pages hold the struct pages of %d groups of 64 "
            "pfns (vmemmap_base %#x, %d groups unmapped)" %
            (name, len(pages), vm.groups, vm.vb, vm.unmapped))
    extra = vm31e & ~vm31
    ci.check(name, "the -e dump holds no pfn the -d 31 dump lacks",
             not extra, fmt_pfns(pfns_of(extra)))
    dropped = set(pfns_of(vm31 & ~vm31e))
    ci.check(name, "vmemtrim -e drops vmemmap pages (%d)" % len(dropped),
             len(dropped) > 0)
    rem = vm.removable(vm31)
    not_vmemmap = dropped - pages
    ci.check(name, "every page vmemtrim -e drops is a vmemmap page",
             not not_vmemmap, "not vmemmap: " + fmt_pfns(not_vmemmap))
    unsafe = (dropped & pages) - rem
    ci.check(name, "every vmemmap page vmemtrim -e drops describes only "
             "pfns excluded from its -d 31 dump", not unsafe,
             "still needed: " + fmt_pfns(unsafe))
    ci.note("%s: vmemtrim -e drops %d of the %d removable vmemmap pages" %
            (name, len(dropped & rem), len(rem)))
    if "--report" in o:
        rep = ci.parse_report(o["--report"])
        ci.check_eq(name, "the report's \"Excluded N unused vmemmap pages\" "
                    "= the pfns -e dropped", len(dropped),
                    rep.get("vmemmap_dropped"))
    ci.check_eq(name, "the -e dump's header has EXCLUDED_VMEMMAP (0x10)",
                True, bool(k31e.status & 0x10))
    ci.check_eq(name, "the -d 31 dump's header has no EXCLUDED_VMEMMAP",
                False, bool(k31.status & 0x10))

    # makedumpfile, the peer.
    km31, mdf31 = bitmap2(mdf31p)
    only_vm = pfns_of(vm31 & ~mdf31)
    only_mdf = pfns_of(mdf31 & ~vm31)
    ci.note("%s: -d 31 dumps: vmemtrim keeps %d pfns, makedumpfile %d; "
            "%d only in vmemtrim's, %d only in makedumpfile's" %
            (name, bin(vm31).count("1"), bin(mdf31).count("1"),
             len(only_vm), len(only_mdf)))
    if mdf31ep == "-":
        ci.note("%s: makedumpfile -e made no dump: no subset comparison" %
                name)
        return 0
    km31e, mdf31e = bitmap2(mdf31ep)
    mdrop = set(pfns_of(mdf31 & ~mdf31e))
    mextra = mdf31e & ~mdf31
    mrem = vm.removable(mdf31)
    wrong = mdrop - mrem
    ci.note("%s: makedumpfile -e drops %d pages (%d of them not removable "
            "vmemmap pages: %s), status %#x; vmemtrim -e drops %d" %
            (name, len(mdrop), len(wrong), fmt_pfns(wrong, 4),
             km31e.status, len(dropped)))
    missing = mdrop - dropped
    what = ("vmemtrim -e drops every page makedumpfile -e drops "
            "(%d of makedumpfile's %d)" % (len(mdrop & dropped), len(mdrop)))
    broken = wrong or mextra or mdf_crash != "ok"
    if mode == "assert" or not broken:
        ci.check(name, what, not missing,
                 "dropped by makedumpfile, kept by vmemtrim: " +
                 fmt_pfns(missing))
        if mode == "assert":
            ci.check(name, "makedumpfile -e drops only removable vmemmap "
                     "pages here (the comparison's premise)", not wrong,
                     fmt_pfns(wrong))
    else:
        why = []
        if wrong:
            why.append("drops %d pages that are not removable vmemmap "
                       "pages (%s)" % (len(wrong), fmt_pfns(wrong, 4)))
        if mextra:
            why.append("keeps pfns its -d 31 dump lacks")
        if mdf_crash != "ok":
            why.append("crash cannot open its dump")
        ci.note("%s: makedumpfile -e is broken here: %s; of its drops, "
                "%d removable ones, vmemtrim drops %d of those" %
                (name, "; ".join(why), len(mdrop & mrem),
                 len(mdrop & mrem & dropped)))
    return 0


# --- report ---------------------------------------------------------------

LABELS = [("Original pages", "original"),
          ("Pages filled with zero", "zero"),
          ("Non-private cache pages", "cache"),
          ("Private cache pages", "cache_private"),
          ("User process data pages", "user"),
          ("Free pages", "free"),
          ("Hwpoison pages", "hwpoison"),
          ("Offline pages", "offline"),
          ("Remaining pages", "remaining"),
          ("Total pages", "total")]


def parse_full_report(path):
    out, vm = {}, None
    with open(path, errors="replace") as f:
        for line in f:
            s = line.strip()
            for label, key in LABELS:
                if s.startswith(label + " ") and ":" in s:
                    v = s.split(":", 1)[1].split()
                    if v and v[0].startswith("0x"):
                        out[key] = int(v[0], 16)
            m = re.match(r"Excluded (\d+) unused vmemmap pages\b", s)
            if m:
                vm = int(m.group(1))
    return out, vm


def cmd_report(argv):
    o, args = ci.opts(argv, ["--name", "--err"], ["--e"])
    if len(args) != 2:
        return usage()
    name = o["--name"]
    rep, vm = parse_full_report(args[0])
    if vm is None and "--err" in o:
        vm = parse_full_report(o["--err"])[1]
    k = kdump(args[1])
    absent = [label for label, key in LABELS if key not in rep]
    ci.check(name, "the report has all %d makedumpfile lines (hex values)" %
             len(LABELS), not absent, "missing: " + ", ".join(absent))
    if absent:
        return 0
    cats = sum(rep[key] for key in ("zero", "cache", "cache_private", "user",
                                     "free", "hwpoison", "offline"))
    left = rep["original"] - cats
    if "--e" in o and vm is not None and left - vm == rep["remaining"]:
        ci.ok(name, "report: Original pages - excluded categories - unused "
              "vmemmap pages = Remaining pages")
    else:
        # makedumpfile 1.7.2 leaves the vmemmap pages in Remaining.
        ci.check_eq(name, "report: Original pages - excluded categories = "
                    "Remaining pages", left, rep["remaining"])
    ci.check_eq(name, "report: Pages filled with zero = the dump's zero "
                "pages", k.zero, rep["zero"])
    ci.check_eq(name, "report: Total pages = the dump's max_pfn",
                k.max_pfn, rep["total"])
    ram = ci.popcount(k.b1, k.max_pfn)
    ci.note("%s: report excluded %d, Remaining %d; the dump: RAM %d, "
            "stored %d (%d zero)%s" %
            (name, cats, rep["remaining"], ram, k.popcount2(), k.zero,
             ", vmemmap %s" % vm if vm is not None else ""))
    if "--e" in o:
        ci.check(name, "the report says \"Excluded N unused vmemmap "
                 "pages\"", vm is not None)
    else:
        ci.check(name, "the report has no vmemmap line without -e",
                 vm is None)
    return 0


# --- missing: vmemtrim-inspect's ranges ------------------------------------


def cmd_missing(argv):
    o, args = ci.opts(argv, ["--name"])
    if len(args) != 3:
        return usage()
    name = o["--name"]
    jpath, vmcore, dump = args
    with open(jpath) as f:
        j = json.load(f)
    k, b2 = bitmap2(dump)
    n = k.max_pfn
    sp = j.get("struct_pages")
    if not isinstance(sp, dict):
        ci.not_ok(name, "inspect reports struct_pages",
                  j.get("struct_pages_error"))
        return 0
    ranges = j.get("ranges") or []
    ci.check(name, "inspect reports missing struct pages (%s pfns in %d "
             "ranges)" % (sp.get("missing_pfns"), len(ranges)),
             (sp.get("missing_pfns") or 0) > 0 and ranges)
    miss = 0
    for r in ranges:
        a, b = r["start_pfn"], r["end_pfn"]
        miss |= ((1 << (b - a)) - 1) << a
    ci.check_eq(name, "missing_pfns = the pfns of the ranges",
                bin(miss).count("1"), sp.get("missing_pfns"))
    dumped = miss & b2
    ci.check(name, "no pfn lacking its struct page is dumped",
             not dumped, fmt_pfns(pfns_of(dumped)))
    vm = VmemmapMap(vmcore, n)
    bs = as_bytes(b2, n)
    want = bytearray((n + 7) // 8 + 8)
    for g, v in vm.group_page.items():
        if g * PER_VPAGE < n and not ci.bit(bs, v):
            want[8 * g:8 * g + 8] = b"\xff" * 8
    want = int.from_bytes(want, "little") & ((1 << n) - 1)
    ci.check(name, "the missing pfns are exactly the groups whose vmemmap "
             "page is not in the dump (page walk of the vmcore)",
             want == miss,
             "only inspect: " + fmt_pfns(pfns_of(miss & ~want)),
             "only the walk: " + fmt_pfns(pfns_of(want & ~miss)))
    whys = sorted(set(r.get("why") for r in ranges))
    ci.check_eq(name, "every range's why is \"excluded\"", ["excluded"], whys)
    return 0


def usage():
    print(__doc__, file=sys.stderr)
    return 2


def main(argv):
    cmds = {"info": cmd_info, "readcmp": cmd_readcmp,
            "vmemmap": cmd_vmemmap, "missing": cmd_missing,
            "report": cmd_report}
    if len(argv) < 2 or argv[1] not in cmds:
        return usage()
    rc = cmds[argv[1]](argv[2:])
    if rc:
        return rc
    return 1 if ci.FAILED else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
