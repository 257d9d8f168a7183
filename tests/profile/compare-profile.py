#!/usr/bin/python3
"""Compare mkvmcore's kernel profile with a real kernel's, print TAP lines.

usage: compare-profile.py LABEL REAL_VMCOREINFO SYNTHETIC_VMCOREINFO
       compare-profile.py --gdb VMLINUX SYNTHETIC_VMCOREINFO

The first form compares two VMCOREINFO texts: the same keys (less the
documented deviations) and, for every key that does not depend on the
machine or the boot, the same value. The second form checks every struct
size, struct page offset and page flag number of the synthetic VMCOREINFO
against the real vmlinux, evaluated by gdb.
"""
import re
import subprocess
import sys

# Keys whose value depends on the machine, the boot or the build, not on the
# kernel's layout: compared for presence only.
MACHINE_KEYS = re.compile(
    r"^(OSRELEASE|BUILD-ID|CRASHTIME|KERNELOFFSET|SYMBOL\(.*\)|"
    r"NUMBER\(phys_base\))$")
# Keys mkvmcore publishes that Debian's cloud flavour does not: the generic
# Debian 6.1 flavour (CONFIG_MEMORY_FAILURE=y) has them (docs/mkvmcore.md).
SYNTHETIC_ONLY = {"NUMBER(PG_hwpoison)"}

failed = 0


def tap(ok, desc, details=()):
    global failed
    print(("ok - " if ok else "not ok - ") + desc)
    for d in details:
        print("#   " + d)
    if not ok:
        failed += 1


def parse(path):
    out = {}
    with open(path) as f:
        for line in f:
            line = line.rstrip("\n")
            if "=" in line:
                k, v = line.split("=", 1)
                out[k] = v
    return out


def compare(label, real, syn):
    missing = sorted(set(real) - set(syn))
    extra = sorted(set(syn) - set(real) - SYNTHETIC_ONLY)
    tap(not missing and not extra,
        f"{label}: mkvmcore publishes the same VMCOREINFO keys as the "
        f"real kernel ({len(real)} keys)",
        [f"missing in mkvmcore: {k}" for k in missing] +
        [f"not in the real kernel: {k}" for k in extra])
    tap(syn.get("OSRELEASE", "").startswith("6.1."),
        f"{label}: mkvmcore's OSRELEASE is a 6.1 kernel "
        f"({syn.get('OSRELEASE')}, real {real.get('OSRELEASE')})")
    for kind in ("SIZE", "OFFSET", "LENGTH", "NUMBER", "PAGESIZE"):
        keys = [k for k in real if k.startswith(kind) and k in syn and
                not MACHINE_KEYS.match(k)]
        bad = [f"{k}: real {real[k]}, mkvmcore {syn[k]}" for k in keys
               if real[k] != syn[k]]
        tap(keys and not bad,
            f"{label}: {len(keys)} {kind} values equal the real kernel's",
            bad)


# VMCOREINFO names that are typedefs, not struct tags.
TYPEDEFS = {"nodemask_t", "atomic_long_t"}


def ctype(name):
    return name if name in TYPEDEFS else f"struct {name}"


def gdb_expr(key):
    """The gdb expression whose value the VMCOREINFO key must equal."""
    m = re.match(r"^SIZE\((\w+)\)$", key)
    if m:
        return f"sizeof({ctype(m.group(1))})"
    m = re.match(r"^OFFSET\((\w+)\.(\w+)\)$", key)
    if m:
        return f"(long)&(({ctype(m.group(1))} *)0)->{m.group(2)}"
    m = re.match(r"^LENGTH\((\w+)\.(\w+)\)$", key)
    if m:
        member = f"(({ctype(m.group(1))} *)0)->{m.group(2)}"
        return f"sizeof({member}) / sizeof({member}[0])"
    m = re.match(r"^NUMBER\((PG_\w+|HUGETLB_PAGE_DTOR|NR_FREE_PAGES)\)$",
                 key)
    if m and key not in SYNTHETIC_ONLY:
        if m.group(1) == "PG_head_mask":
            return "(long)(1UL << PG_head)"
        return f"(long){m.group(1)}"
    return None


def gdb_check(vmlinux, syn):
    exprs = [(k, gdb_expr(k)) for k in sorted(syn) if gdb_expr(k)]
    cmd = ["gdb", "-batch", "-nx"]
    for _, e in exprs:
        cmd += ["-ex", f"p/d {e}"]
    res = subprocess.run(cmd + [vmlinux], capture_output=True, text=True)
    values = re.findall(r"^\$\d+ = (-?\d+)$", res.stdout, re.M)
    tap(len(values) == len(exprs),
        f"gdb evaluated all {len(exprs)} layout expressions on the vmlinux",
        res.stderr.splitlines()[-5:])
    bad = [f"{k}: vmlinux {v}, mkvmcore {syn[k]}"
           for (k, _), v in zip(exprs, values) if syn[k] != v]
    tap(len(values) == len(exprs) and not bad,
        f"{len(values)} struct sizes, offsets, array lengths and flag "
        f"numbers of mkvmcore equal the real vmlinux's (gdb)", bad)


def main():
    a = sys.argv[1:]
    if len(a) == 3 and a[0] == "--gdb":
        gdb_check(a[1], parse(a[2]))
    elif len(a) == 3:
        compare(a[0], parse(a[1]), parse(a[2]))
    else:
        raise SystemExit(__doc__)
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
