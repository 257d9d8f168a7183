#!/usr/bin/python3
"""Independent check of vmemtrim-inspect's log view (docs/inspect-json.md).

The judge is makedumpfile's --dump-dmesg file of the same vmcore: its
records (a line starting with "[", then the continuation lines indented
by spaces), the panic record (the last "Kernel panic - not syncing:"
one) and the records before it. inspect's text and --json outputs of
DUMP must agree with it.

  check_log.py --inspect BIN --name NAME --dmesg REF.txt DUMP
      [--missing]   (the dump lacks the log: 0 records, all missing)

Prints TAP lines; exit status 1 when any failed.
"""
import json
import subprocess
import sys

FAILED = 0
PANIC = "Kernel panic - not syncing:"


def check(name, what, cond, *details):
    global FAILED
    if cond:
        print("ok - %s: %s" % (name, what))
        return
    FAILED += 1
    print("not ok - %s: %s" % (name, what))
    for d in details:
        for line in str(d).splitlines():
            print("#   " + line)


def check_eq(name, what, want, got):
    check(name, what, want == got, "expected: %r" % (want,),
          "actual:   %r" % (got,))


def records(path):
    """makedumpfile's lines grouped into records (without the '\\n')."""
    recs = []
    with open(path, "rb") as f:
        for line in f.read().decode("latin-1").split("\n")[:-1]:
            if line.startswith("[") or not recs:
                recs.append(line)
            else:
                recs[-1] += "\n" + line
    return recs


def text_of(rec):
    return rec.split("] ", 1)[1] if "] " in rec else rec


def run(argv):
    p = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    return p.returncode, p.stdout.decode("latin-1"), p.stderr.decode()


def main(argv):
    args = dict(zip(argv[1::2], argv[2::2]))
    missing = "--missing" in argv
    dump = argv[-1]
    name, inspect = args["--name"], args["--inspect"]
    recs = records(args["--dmesg"])
    panics = [i for i, r in enumerate(recs) if text_of(r).startswith(PANIC)]
    check(name, "the reference log has a panic record", bool(panics),
          "records: %d" % len(recs))
    if not panics:
        return 1
    p = panics[-1]
    want_lines = recs[max(0, p - 10):p + 1]

    rc, out, err = run([inspect, "--json", dump])
    check_eq(name, "--json exits 0", 0, rc)
    try:
        j = json.loads(out)
    except ValueError as e:
        check(name, "--json prints JSON", False, e, err)
        return 1
    log = j.get("log")
    check(name, "--json has a log object", isinstance(log, dict),
          "log_error: %r" % j.get("log_error"))
    if not isinstance(log, dict):
        return 1
    if missing:
        check_eq(name, "log: no record is readable", 0, log["records"])
        check(name, "log: every record of the reference counted missing",
              log["missing"] >= len(recs) and
              len(log["missing_seq"]) == min(32, log["missing"]),
              "missing %d, reference records %d" % (log["missing"],
                                                     len(recs)))
        check_eq(name, "log: no panic line", None, log["panic"])
        rc, out, err = run([inspect, dump])
        check(name, "text: says the records are not in the dump",
              rc == 0 and ("%d log records are not in the dump" %
                           log["missing"]) in out and
              "panic:          none found" in out, out[-600:])
        return 0
    check_eq(name, "log: records = the reference's", len(recs),
             log["records"])
    check_eq(name, "log: nothing missing or skipped", (0, 0, ""),
             (log["missing"], log["skipped"], log["warning"]))
    check_eq(name, "log: the panic line", recs[p], log["panic"])
    check(name, "log: the panic is the sysrq crash",
          log["panic"].endswith(PANIC + " sysrq triggered crash"),
          log["panic"])
    check_eq(name, "log: the 10 lines before the panic and the panic line",
             want_lines, log["lines"])
    check(name, "log: the line before the panic is sysrq's",
          len(log["lines"]) > 1 and
          log["lines"][-2].endswith("sysrq: Trigger a crash"),
          log["lines"][-2:])
    rc, out, err = run([inspect, dump])
    check_eq(name, "text exits 0", 0, rc)
    lines = out.split("\n")
    at = [i for i, s in enumerate(lines) if s.startswith("panic:")]
    check(name, "text: one panic: line", len(at) == 1, out[-800:])
    if len(at) == 1:
        check_eq(name, "text: the panic line", "panic:          " + recs[p],
                 lines[at[0]])
        got = "\n".join(lines[at[0] + 1:at[0] + 1 +
                              sum(r.count("\n") + 1 for r in want_lines)])
        want = "\n".join("  " + r for r in want_lines)
        check_eq(name, "text: the context lines", want, got)
    check(name, "text: log: N records",
          ("log:            %d records" % len(recs)) in lines, out[-800:])
    return 0


if __name__ == "__main__":
    rc = main(sys.argv)
    sys.exit(1 if FAILED or rc else 0)
