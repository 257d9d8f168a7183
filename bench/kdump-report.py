#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""bench/kdump-report.py --results RESULTS.md --seconds S --runs N
        --dir DIR VARIANT=LOG...

make bench-kdump's report: reads the console lines bench/kdump-guest.sh
printed in each capture kernel (MAXRSS CONFIG/OUTPUT/TOOL/THREADS/ROUND,
BENCH-KDUMP setup|bytes, limit-vmcore: ...) and DIR/VARIANT.timings (the
fixture's stage times), and writes the section "Capture kernel
(/proc/vmcore)" into RESULTS.md between the bench-kdump markers: medians,
min-max, peak RSS and bytes of each tool per configuration and output,
vmemtrim / makedumpfile and vmemtrim / limit. The rest of RESULTS.md
(bench/report.py's) is left as it is; without the markers the block is
appended at the end."""
import argparse
import os
import platform
import re
import statistics as st
import subprocess
import time

BEGIN = ("<!-- bench-kdump: begin (written by bench/kdump-report.py; "
         "bench/report.py keeps this block) -->")
END = "<!-- bench-kdump: end -->"
CONFIGS = [("d31", "`-l -d 31`"), ("d31e", "`-l -d 31 -e`")]
OUTPUTS = [("raw", "`-F` stream to a raw virtio disk"),
           ("fs", "file on ext4 (virtio disk)"),
           ("none", "nothing written")]
MAXRSS = re.compile(r"^MAXRSS (\S+)/(\S+)/(\S+)/(\d+)/(\d+) rc=(\d+) "
                    r"ru_maxrss_kb=(\d+) vmhwm_kb=(-?\d+) seconds=([\d.]+)")


def parse(path):
    """Runs {(cfg, out, tool, thr): [run...]}, setup lines, failures
    ([tag, why, messages...])."""
    runs, setup, failed, limit_bytes, out_bytes = {}, [], [], {}, {}
    last_limit = None
    for line in open(path, errors="replace"):
        line = line.strip()
        m = MAXRSS.match(line)
        if m:
            cfg, out, tool, thr, rnd, rc, ru, hwm, sec = m.groups()
            key = (cfg, out, tool, int(thr))
            if rc != "0":
                failed.append(["%s/%s/%s/%s/%s" % (cfg, out, tool, thr, rnd),
                               "exit %s" % rc])
                continue
            runs.setdefault(key, []).append({
                "round": int(rnd), "wall": float(sec),
                "rss": max(int(ru), int(hwm)), "bytes": None})
            if tool == "limit" and last_limit is not None:
                limit_bytes.setdefault(key, []).append(last_limit)
            last_limit = None
        elif line.startswith("limit-vmcore: ") and " pages, " in line:
            w = line.split()
            last_limit = int(w[3])
        elif line.startswith("BENCH-KDUMP bytes "):
            # printed before the run's MAXRSS line
            _, _, tag, n = line.split()
            cfg, out, tool, thr, rnd = tag.split("/")
            out_bytes[(cfg, out, tool, int(thr), int(rnd))] = int(n)
        elif line.startswith("BENCH-KDUMP setup "):
            setup.append(line[len("BENCH-KDUMP setup "):])
        elif line.startswith("BENCH-KDUMP error "):
            # the last lines of a failed run's messages, after its MAXRSS
            tag, _, msg = line[len("BENCH-KDUMP error "):].partition(": ")
            for f in failed:
                if f[0] == tag:
                    f.append(msg.strip())
        elif line.startswith("BENCH-KDUMP fail "):
            failed.append(["guest", line[len("BENCH-KDUMP fail "):]])
    for key, b in limit_bytes.items():
        for r in runs[key]:
            r["bytes"] = st.median(b)
    for key, v in runs.items():
        for r in v:
            r["bytes"] = out_bytes.get(key + (r["round"],), r["bytes"])
    return runs, setup, failed


def machine():
    cpu = "?"
    for line in open("/proc/cpuinfo"):
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") >> 30
    return "%s, %d cores, %d GiB RAM, Linux %s; QEMU %s (TCG)" % (
        cpu, os.cpu_count(), mem, platform.release(),
        subprocess.run(["qemu-system-x86_64", "--version"],
                       capture_output=True, text=True).stdout.split()[3])


def commit():
    def git(*a):
        return subprocess.run(["git"] + list(a), capture_output=True,
                              text=True).stdout.strip()
    c = git("rev-parse", "--short", "HEAD")
    if git("status", "--porcelain", "--untracked-files=no", "--",
           "filter", "reader", "include"):
        c += " with uncommitted changes to the filter or reader"
    return c


def variant_line(name):
    for line in open("tests/kernel/variants.conf"):
        w = [x.strip() for x in line.split("|")]
        if w[0] == name:
            return w
    return None


def timings(path):
    t = {}
    if os.path.exists(path):
        for line in open(path):
            w = line.split()  # VARIANT STAGE SECONDS s
            if len(w) >= 3:
                t[w[1]] = float(w[2])
    return t


def fmt_bytes(v):
    return "" if v is None else "%d" % v


def table(runs):
    rows = ["| options | output | tool | thr | runs | wall s, median "
            "| min-max | peak RSS MiB | bytes | x makedumpfile | x limit |",
            "|---|---|---|---|---|---|---|---|---|---|---|"]
    med = {k: st.median([r["wall"] for r in v]) for k, v in runs.items()}
    ratios = []
    thrs = sorted({k[3] for k in runs})
    for cfg, cname in CONFIGS:
        for out, oname in OUTPUTS:
            for th in thrs:
                for tool in ("makedumpfile", "vmemtrim", "limit"):
                    k = (cfg, out, tool, th)
                    if k not in runs:
                        continue
                    v = runs[k]
                    w = [r["wall"] for r in v]
                    b = [r["bytes"] for r in v if r["bytes"] is not None]
                    vs_mdf = vs_lim = ""
                    if tool == "vmemtrim":
                        m = med.get((cfg, out, "makedumpfile", th))
                        lim = med.get((cfg, "none", "limit", th))
                        # not against a peer that failed some rounds
                        mk = (cfg, out, "makedumpfile", th)
                        if m and len(runs[mk]) >= len(v):
                            vs_mdf = "%.2f" % (med[k] / m)
                            ratios.append((cfg, out, th, med[k] / m))
                        if lim:
                            vs_lim = "%.2f" % (med[k] / lim)
                    rows.append(
                        "| %s | %s | %s | %d | %d | %.2f | %.2f-%.2f | %.1f "
                        "| %s | %s | %s |" % (
                            cname, oname, tool, th, len(v), med[k], min(w),
                            max(w),
                            max(r["rss"] for r in v) / 1024,
                            ("(%d)" % st.median(b) if tool == "limit" else
                             fmt_bytes(st.median(b))) if b else "-",
                            vs_mdf, vs_lim))
    return rows, ratios


def section(args, variants):
    lines = [BEGIN, "", "## Capture kernel (/proc/vmcore)", ""]
    lines.append(
        "Machine: %s. Run on %s (UTC) on commit %s by `make bench-kdump` "
        "(bench/kdump.sh, BENCH_KDUMP_RUNS=%d); the whole bench took %.1f "
        "minutes." % (machine(), time.strftime("%Y-%m-%d %H:%M",
                                                time.gmtime()),
                      commit(), args.runs, args.seconds / 60))
    lines.append("")
    lines.append(
        "Each guest is Debian 12's 6.1 cloud kernel in QEMU (TCG, 2 vCPUs, "
        "`crashkernel=256M`; memory, boot parameters and memory mix as its "
        "line of tests/kernel/variants.conf says: name, memory, -cpu, boot "
        "parameters, anonymous MiB, tmpfs MiB, small files, huge pages, "
        "QEMU time limit; plus the page cache of a 256 MiB disk), panicked "
        "into kdump. In the "
        "capture kernel, on the same /proc/vmcore, %d rounds, "
        "interleaved A B A B: Debian's makedumpfile 1.7.2 (its shared "
        "libraries copied into the initramfs; `-e` with `--work-dir` on "
        "the ext4 disk) and `make static`'s vmemtrim, each writing a "
        "flattened stream (`-F`) to a raw virtio disk and a file on an "
        "ext4 virtio disk (deleted, then `sync`, before the next run), and "
        "the limit row (bench/limit-vmcore: bounded 4 MiB mmap windows of "
        "/proc/vmcore, the struct pages vmemtrim reads to classify and "
        "exactly the pages vmemtrim's dump holds, compressed with lzo, "
        "nothing written; its bytes in parentheses are the compressed "
        "page data). Every run starts after a `sync`; wall time and peak "
        "RSS (the larger of `ru_maxrss` and polled VmHWM) come from "
        "tests/kdump/maxrss. thr is `--num-threads` (compression "
        "threads; vmemtrim classifies on one thread per CPU whatever it "
        "is). Ratios are of medians: vmemtrim / "
        "makedumpfile on the same output and threads, and vmemtrim / the "
        "limit row on the same threads (below 1: faster). The `-F` "
        "stream's bytes are not counted (it is the same dump as the file, "
        "in records). runs: the rounds that exited 0 (failed runs are "
        "listed and left out; no ratio against a tool that failed some). "
        "Host load moves single runs by 30%%: read medians."
        % args.runs)
    for name, path in variants:
        runs, setup, failed = parse(path)
        vl = variant_line(name)
        t = timings(os.path.join(args.dir, name + ".timings"))
        cpus = next((s.split()[0].split("=")[1] for s in setup
                     if s.startswith("cpus=")), "?")
        lines += ["", "### %s: capture kernel on %s CPU%s" % (
            name, cpus, "" if cpus == "1" else "s"), ""]
        if vl:
            lines.append("Variant: `%s`." % " | ".join(vl))
        lines.append("Capture kernel: %s." % "; ".join(
            s for s in setup if not s.startswith("cpus=")))
        if t:
            lines.append(
                "Time: QEMU %.0f s in all (first kernel boot and memory mix "
                "%.0f s, capture kernel %.0f s)." % (
                    t.get("qemu-total", 0),
                    t.get("boot-kernel", 0) + t.get("boot-init", 0) +
                    t.get("mix", 0),
                    t.get("capture", 0)))
        lines.append("")
        rows, ratios = table(runs)
        lines += rows
        if ratios:
            lines.append("")
            lines.append("vmemtrim / makedumpfile (median wall): " + ", ".join(
                "%s %s %d thr %.2f" % (c, o, th, r)
                for c, o, th, r in ratios) + ".")
        if failed:
            lines.append("")
            lines.append("Failed runs (CONFIG/OUTPUT/TOOL/THREADS/ROUND; "
                         "left out of the figures):")
            lines.append("")
            for f in failed:
                lines.append("- %s: %s" % (f[0], "; ".join(
                    "`%s`" % x.replace("`", "'") for x in f[1:])))
    lines += ["", END]
    return lines


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--results", required=True)
    ap.add_argument("--seconds", type=float, default=0)
    ap.add_argument("--runs", type=int, default=0)
    ap.add_argument("--dir", default=".")
    ap.add_argument("logs", nargs="+")
    args = ap.parse_args()
    variants = [tuple(a.split("=", 1)) for a in args.logs]
    block = section(args, variants)
    old = open(args.results).read().split("\n") if os.path.exists(
        args.results) else []
    if BEGIN in old and END in old:
        a, b = old.index(BEGIN), old.index(END)
        new = old[:a] + block + old[b + 1:]
    else:
        while old and old[-1] == "":
            old.pop()
        new = old + ([""] if old else []) + block + [""]
    open(args.results, "w").write("\n".join(new).rstrip("\n") + "\n")
    print("\n".join(block))


if __name__ == "__main__":
    main()
