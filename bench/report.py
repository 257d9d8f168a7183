#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""bench/report.py TSV RESULTS.md results.svg COMMAND

Medians of bench/run.sh's runs (run 0 is the warm-up and is left out),
vmemtrim against makedumpfile and against the limit row, the issue's
targets checked, a Markdown table and an SVG plot (time and size against
RAM for both tools, idle profile, -l -d 31 -e). The block make bench-kdump
writes into RESULTS.md (between its markers) is kept, after this report."""
import os
import platform
import statistics as st
import subprocess
import sys
import time

FIELDS = ["input", "ram", "codec", "e", "tool", "threads", "run", "wall",
          "cpu", "rss", "bytes", "vmemmap"]
FAILED = []  # runs that did not exit 0: (input, codec, e, tool, threads, why)


def load(path):
    """Rows of the TSV; a 13th column is the exit status. A failed run
    (non-zero status, or /usr/bin/time's "Command terminated by signal"
    where the figures belong) is left out of the medians and listed."""
    rows = []
    for line in open(path):
        w = line.rstrip("\n").split("\t")
        if len(w) not in (len(FIELDS), len(FIELDS) + 1):
            continue
        r = dict(zip(FIELDS, w))
        rc = w[len(FIELDS)] if len(w) > len(FIELDS) else "0"
        try:
            for k in ("ram", "threads", "run", "rss", "bytes", "vmemmap"):
                r[k] = int(float(r[k] or 0))
            for k in ("wall", "cpu"):
                r[k] = float(r[k] or 0)
            ok = rc == "0"
        except ValueError:
            ok = False
        if not ok:
            FAILED.append((r["input"], r["codec"], r["e"], r["tool"],
                           r["threads"], "exit %s" % rc if rc != "0"
                           else "killed by a signal"))
            continue
        rows.append(r)
    return rows


def med(rows, key):
    v = [r[key] for r in rows if r["run"] > 0]
    return st.median(v) if v else float("nan")


def group(rows):
    g = {}
    for r in rows:
        k = (r["input"], r["ram"], r["codec"], r["e"], r["tool"],
             r["threads"])
        g.setdefault(k, []).append(r)
    return g


def machine():
    cpu = "?"
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") >> 30
    md = subprocess.run(["makedumpfile", "-v"], capture_output=True,
                        text=True).stdout.split("\n")[0]
    return "%d cores (%s), %d GiB RAM, Linux %s; %s" % (
        os.cpu_count(), cpu, mem, platform.release(), md.strip())


def svg(g, path):
    pts = {}
    for (inp, ram, codec, e, tool, th), rows in g.items():
        if inp.startswith("idle") and codec == "l" and e == "e" and \
                th == 1 and tool in ("vmemtrim", "makedumpfile"):
            pts.setdefault(tool, []).append(
                (ram, med(rows, "wall"), med(rows, "bytes") / 2**20))
    W, H, M = 720, 300, 60
    out = ['<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" '
           'font-family="sans-serif" font-size="12">' % (W, 2 * H)]
    colors = {"vmemtrim": "#1f77b4", "makedumpfile": "#d62728"}
    for panel, (idx, label) in enumerate([(1, "wall time (s)"),
                                          (2, "dump size (MiB)")]):
        y0 = panel * H
        rams = sorted({p[0] for v in pts.values() for p in v}) or [1]
        vmax = max([p[idx] for v in pts.values() for p in v] or [1]) * 1.1
        xmax = max(rams) * 1.05

        def X(r):
            return M + (W - 2 * M) * r / xmax

        def Y(v):
            return y0 + H - M + 10 - (H - 2 * M) * v / vmax
        out.append('<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="black"/>'
                   % (M, Y(0), W - M, Y(0)))
        out.append('<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="black"/>'
                   % (M, Y(0), M, Y(vmax)))
        out.append('<text x="%d" y="%d">%s, idle profile, -l -d 31 -e, '
                   'against RAM (GiB)</text>' % (M, y0 + 20, label))
        for r in rams:
            out.append('<text x="%.0f" y="%.0f" text-anchor="middle">%d'
                       '</text>' % (X(r), Y(0) + 16, r))
        for k in range(5):
            v = vmax * k / 4
            out.append('<text x="%d" y="%.0f" text-anchor="end">%.1f</text>'
                       % (M - 4, Y(v) + 4, v))
        for n, (tool, v) in enumerate(sorted(pts.items())):
            v.sort()
            c = colors.get(tool, "gray")
            out.append('<polyline fill="none" stroke="%s" stroke-width="2" '
                       'points="%s"/>' % (c, " ".join(
                           "%.1f,%.1f" % (X(p[0]), Y(p[idx])) for p in v)))
            for p in v:
                out.append('<circle cx="%.1f" cy="%.1f" r="3" fill="%s"/>'
                           % (X(p[0]), Y(p[idx]), c))
            out.append('<text x="%d" y="%d" fill="%s">%s</text>' %
                       (W - M - 110, y0 + 40 + 16 * n, c, tool))
    out.append("</svg>")
    open(path, "w").write("\n".join(out) + "\n")


def kept_block(path):
    """The blocks other scripts write between their markers in the
    RESULTS.md about to be rewritten (make bench-kdump's, by
    bench/kdump-report.py; the per-CPU free pages figures, by hand from
    bench/pcp.sh): kept as they are, after this report."""
    try:
        old = open(path).read().split("\n")
    except OSError:
        return []
    out = []
    for name in ("bench-kdump", "pcp"):
        begin, end = "<!-- %s: begin" % name, "<!-- %s: end -->" % name
        a = next((i for i, x in enumerate(old) if x.startswith(begin)),
                 None)
        b = next((i for i, x in enumerate(old) if x == end), None)
        if a is not None and b is not None and a < b:
            out += [""] + old[a:b + 1]
    return out


def main(argv):
    if len(argv) != 5:
        print(__doc__, file=sys.stderr)
        return 2
    rows = load(argv[1])
    g = group(rows)
    lines = ["# Benchmark: vmemtrim beside makedumpfile", "",
             "Machine: %s." % machine(),
             "Command: `%s`, run on %s. Medians of the counted runs "
             "(each configuration: one warm-up run of each tool, then the "
             "tools interleaved, A B A B, same input, same page cache). "
             "Output to the same disk as the inputs. Ratios are "
             "vmemtrim / makedumpfile (below 1: vmemtrim is faster or "
             "smaller); the limit row reads exactly the pages vmemtrim's "
             "dump holds and compresses them with the same codec on the "
             "same threads, writing nothing. Every run starts after a "
             "sync; vmemtrim's time includes its fsync() of the dump, "
             "makedumpfile does not fsync." % (
                 argv[4], time.strftime("%Y-%m-%d")), "",
             "| input | RAM GiB | codec | -e | tool | thr | wall s | CPU s "
             "| RSS MiB | bytes | vmemmap dropped | wall ratio | size ratio "
             "| x limit |",
             "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
    keys = sorted(g, key=lambda k: (k[1], k[0], k[2], k[3], k[5],
                                    ["vmemtrim", "makedumpfile",
                                     "limit"].index(k[4])))
    for k in keys:
        inp, ram, codec, e, tool, th = k
        rows_ = g[k]
        md = g.get((inp, ram, codec, e, "makedumpfile", th)) or \
            g.get((inp, ram, codec, e, "makedumpfile", 1))
        lim = g.get((inp, ram, codec, e, "limit", th))
        wall, size = med(rows_, "wall"), med(rows_, "bytes")
        ratio = sratio = xl = ""
        if tool == "vmemtrim" and md:
            ratio = "%.2f" % (wall / med(md, "wall"))
            sratio = "%.3f" % (size / med(md, "bytes"))
        if tool == "vmemtrim" and lim:
            xl = "%.2f" % (wall / med(lim, "wall"))
        lines.append("| %s | %d | %s | %s | %s | %d | %.2f | %.2f | %.1f | "
                     "%s | %s | %s | %s | %s |" % (
                         inp, ram, {"l": "lzo", "c": "zlib"}[codec],
                         "yes" if e == "e" else "no", tool, th, wall,
                         med(rows_, "cpu"), med(rows_, "rss") / 1024,
                         "%d" % size if tool != "limit" else "(%d)" % size,
                         "%d" % med(rows_, "vmemmap") if tool != "limit"
                         else "", ratio, sratio, xl))
    if FAILED:
        lines += ["", "Runs left out of the medians because the tool failed:"]
        lines += ["- %s -%s -d 31%s, %s on %s threads: %s" % (
            i, c, " -e" if e == "e" else "", t, th, why)
            for i, c, e, t, th, why in FAILED]
    lines += ["", "## Targets (issue: benchmarks)", ""]

    def get(inp, codec, e, tool, th=1, key="wall"):
        for k, r in g.items():
            if k[0] == inp and k[2:] == (codec, e, tool, th):
                return med(r, key)
        return float("nan")

    def line(name, ok, text):
        if "nan" in text:  # an input this run left out (BENCH_INPUTS)
            lines.append("- %s: **not measured** (its input was left out)"
                         % name)
            return
        lines.append("- %s: **%s** (%s)" % (name, "met" if ok else "missed",
                                             text))
    w = get("idle-256g", "l", "e", "vmemtrim")
    m = get("idle-256g", "l", "e", "makedumpfile")
    line("256 GiB idle `-l -d 31 -e` wall time at most 0.5x makedumpfile's",
         w <= 0.5 * m, "%.2f s against %.2f s: %.2fx" % (w, m, w / m))
    w2 = get("idle-256g", "l", "e", "vmemtrim", 2)
    m2 = get("idle-256g", "l", "e", "makedumpfile", 2)
    if w2 == w2 and m2 == m2:  # not NaN: the 2-thread rows ran
        w2, m2 = min(w, w2), min(m, m2)
        line("the same on two cores, each tool at its faster thread count",
             w2 <= 0.5 * m2, "%.2f s against %.2f s: %.2fx" %
             (w2, m2, w2 / m2))
    b = get("idle-256g", "l", "e", "vmemtrim", key="bytes")
    mb = get("idle-256g", "l", "e", "makedumpfile", key="bytes")
    line("its output no larger than makedumpfile's", b <= mb,
         "%.0f against %.0f bytes" % (b, mb))
    rss = get("idle-256g", "l", "e", "vmemtrim", key="rss") / 1024
    line("its peak RSS under 64 MiB", rss < 64, "%.1f MiB" % rss)
    t1 = get("busy-16g", "c", "e", "vmemtrim", 1)
    t2 = get("busy-16g", "c", "e", "vmemtrim", 2)
    # what two threads give the compression alone, on this machine
    l1 = get("busy-16g", "c", "e", "limit", 1)
    l2 = get("busy-16g", "c", "e", "limit", 2)
    line("busy zlib: 2 threads at least 1.7x faster than 1", t1 / t2 >= 1.7,
         "16 GiB busy: %.2f s on 1 thread, %.2f s on 2: %.2fx; the limit "
         "row %.2f s and %.2f s: %.2fx" %
         (t1, t2, t1 / t2, l1, l2, l1 / l2))
    w64 = get("idle-64g", "l", "e", "vmemtrim")
    lin = w / w64
    # what the same two inputs ask of any tool: the limit row's time and
    # the dump's size grow less than RAM (the kernel image does not grow)
    ctx = "; on the same inputs the limit row grows %.2fx, makedumpfile " \
        "%.2fx, the dump %.2fx" % (
            get("idle-256g", "l", "e", "limit") /
            get("idle-64g", "l", "e", "limit"),
            m / get("idle-64g", "l", "e", "makedumpfile"),
            b / get("idle-64g", "l", "e", "vmemtrim", key="bytes"))
    line("wall time linear in RAM: 256 GiB over 64 GiB within 4x +-15%",
         3.4 <= lin <= 4.6, "%.2f s / %.2f s = %.2fx%s" %
         (w, w64, lin, ctx))
    worst, wk, within, total = 0, None, 0, 0
    for k in sorted(g):
        if k[4] == "vmemtrim":
            lim = g.get(k[:4] + ("limit", k[5]))
            if lim:
                x = med(g[k], "wall") / med(lim, "wall")
                total += 1
                within += x <= 1.3
                if x > worst:
                    worst, wk = x, k
    name = "%s -%s%s, %d thread%s" % (
        wk[0], wk[2], " -e" if wk[3] == "e" else "", wk[5],
        "s" if wk[5] > 1 else "") if wk else "-"
    line("vmemtrim within 1.3x of the limit row (worst configuration)",
         worst <= 1.3, "worst %.2fx (%s); %d of %d configurations within "
         "1.3x" % (worst, name, within, total))
    open(argv[2], "w").write("\n".join(lines + kept_block(argv[2])) + "\n")
    svg(g, argv[3])
    print("\n".join(lines[-8:]))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
