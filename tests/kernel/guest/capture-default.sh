#!/bin/sh
# Default capture hook: the ELF /proc/vmcore, zero pages skipped, to $OUT.
vmcopy copy /proc/vmcore "$OUT"
