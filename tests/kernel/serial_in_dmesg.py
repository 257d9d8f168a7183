#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later
"""The kernel log lines a fixture guest printed on its serial console must
appear, in the same order, in a --dump-dmesg file of its dump.

  serial_in_dmesg.py SERIAL.LOG DMESG

SERIAL.LOG is the fixture's serial.log: the first kernel's console output
(kernel lines "[    1.234567] text", the guest's own echo lines, CR LF
line ends), then the capture kernel's, from its "Linux version" line on.
Only the first kernel's timestamped lines count. The console writes a
record's bytes as they are; makedumpfile's --dump-dmesg format writes a
byte that is neither printable nor white space as \\xNN, so the console
lines are escaped that way before the comparison.
Prints "N M L": the console's kernel lines, how many of them are not in
DMESG in order (then those lines, at most 10, each on a "missing: " line),
and whether the last console line is DMESG's last line (1 or 0).
Exit status 0 when every line is there, 1 otherwise.
"""
import re
import sys

STAMP = re.compile(rb"^\[ *[0-9]+\.[0-9]{6}\] ")
BANNER = re.compile(rb"^\[ *0\.000000\] Linux version ")


def escape(line):
    return "".join(chr(c) if 32 <= c < 127 or c in b"\t\v\f" else
                   "\\x%02x" % c for c in line)


def main(serial, dmesg):
    lines, boots = [], 0
    for raw in open(serial, "rb").read().split(b"\n"):
        raw = raw.rstrip(b"\r")
        if BANNER.match(raw):
            boots += 1
            if boots == 2:  # the capture kernel's console from here on
                break
        if STAMP.match(raw):
            lines.append(escape(raw))
    have = open(dmesg, encoding="latin-1").read().split("\n")
    if have and have[-1] == "":
        have.pop()
    i, missing = 0, []
    for line in lines:
        j = i
        while j < len(have) and have[j] != line:
            j += 1
        if j == len(have):
            missing.append(line)
        else:
            i = j + 1
    last = int(bool(lines) and bool(have) and lines[-1] == have[-1])
    print(len(lines), len(missing), last)
    for m in missing[:10]:
        print("missing: " + m)
    return 0 if lines and not missing else 1


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    sys.exit(main(sys.argv[1], sys.argv[2]))
