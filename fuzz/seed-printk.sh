#!/bin/sh
# Seeds for fuzz_printk (the kernel log reader on memory given by the
# input; the format is in fuzz/fuzz_printk.c):
# - the real-kernel fixture's lockless rings (Debian's 6.1, 4- and 5-level),
#   when cached: the dump's VMCOREINFO and every byte the reader read from
#   it (build/tests/reader/tool-printk-seed), about 600 KiB each;
# - a log_buf of a 5.4 kernel (before 5.10) with caller ids, a dictionary,
#   a wrap marker and a panic after a BUG, written here (under 1 KiB).
#
# Usage: fuzz/seed-printk.sh OUTDIR   (BUILD: the build directory, "build")
set -eu
out=$1
BUILD=${BUILD:-build}
VMEMTRIM_CACHE=${VMEMTRIM_CACHE:-$HOME/.cache/vmemtrim}

for d in "$VMEMTRIM_CACHE"/kernel/*/dumps/vmcore-2g-[0-9a-f]*/dump \
	"$VMEMTRIM_CACHE"/kernel/*/dumps/vmcore-l5-[0-9a-f]*/dump; do
	[ -f "$d" ] || continue
	name=$(basename "$(dirname "$d")")
	"$BUILD/tests/reader/tool-printk-seed" "$d" "$out/ring-$name"
done

/usr/bin/python3 - "$out/log_buf-5.4" <<'PY'
import struct
import sys

BASE = 0xffffffff81000000
BUF = BASE + 0x1000
LEN = 1024
info = ("SYMBOL(log_buf)=%x\nSYMBOL(log_buf_len)=%x\n"
        "SYMBOL(log_first_idx)=%x\nSYMBOL(log_next_idx)=%x\n"
        "SIZE(printk_log)=20\nOFFSET(printk_log.ts_nsec)=0\n"
        "OFFSET(printk_log.len)=8\nOFFSET(printk_log.text_len)=10\n"
        "OFFSET(printk_log.dict_len)=12\nOFFSET(printk_log.caller_id)=16\n"
        % (BASE, BASE + 8, BASE + 12, BASE + 16)).encode()


def record(text, dict_=b"", ts=0, caller=1):
    n = (20 + len(text) + len(dict_) + 3) & ~3
    r = struct.pack("<QHHHBBI", ts, n, len(text), len(dict_), 0, 6, caller)
    return (r + text + dict_).ljust(n, b"\0")


buf = bytearray(LEN)
# The oldest records from 600, a wrap marker, the newest from 0.
old = record(b"Linux version 5.4.0", ts=0) + \
    record(b"pci 0000:00:01.0: probe", b"SUBSYSTEM=pci\0DEVICE=+pci:0000",
           ts=1000)
buf[600:600 + len(old)] = old
new = b""
for i, t in enumerate([b"line before", b"BUG: unable to handle page fault",
                       b"Oops: 0002 [#1] SMP", b"RIP: 0010:0x0",
                       b"Kernel panic - not syncing: Fatal exception",
                       b"caf\xe9 \x01"]):
    new += record(t, ts=2000000 + i, caller=0x80000000 | i)
buf[0:len(new)] = new
head = struct.pack("<QIII", BUF, LEN, 600, len(new)).ljust(0x20, b"\0")
seed = bytes([1]) + struct.pack("<H", len(info)) + info
seed += struct.pack("<QI", BASE, len(head)) + head
seed += struct.pack("<QI", BUF, LEN) + bytes(buf)
open(sys.argv[1], "wb").write(seed)
PY
