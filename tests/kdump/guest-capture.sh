#!/bin/sh
# The kdump path in the fixture's capture kernel (CAPTURE_CMD of
# tests/kernel/fixture.sh; installed as /bin/kdump-capture). On one
# /proc/vmcore, as a distribution's kdump service runs its core_collector:
#   1. onto a filesystem: vmemtrim -l -d 31 -e /proc/vmcore /mnt/vmcore,
#      /mnt being the ext4 disk /dev/vdc (CAPTURE_DISK), with the debug
#      line that says how /proc/vmcore was read (mmap windows);
#   1b. the same with --non-mmap (read() only) to /mnt/vmcore-nonmmap,
#      compared with cmp ("KDUMP-TEST non-mmap same|differs"), removed;
#   2. streamed: vmemtrim -l -d 31 -e -F /proc/vmcore to standard output,
#      which the fixture writes to the raw disk /dev/vdb.
# Each runs under maxrss, which prints "MAXRSS fs|stream ..." (peak RSS)
# on standard error, the serial console. Lines "KDUMP-TEST ..." are notes
# for the host. A failure of step 1 fails the capture (no stream).
say() { echo "KDUMP-TEST $*" >&2; }

i=0
while [ ! -b /dev/vdc ]; do
	i=$((i + 1))
	[ $i -gt 100 ] && { say "fail: /dev/vdc did not appear"; exit 1; }
	sleep 0.1
done
say "meminfo $(grep -E '^(MemTotal|MemFree|MemAvailable):' /proc/meminfo |
	tr -s ' ' | tr '\n' ' ')"
say "vmcore-size $(stat -c %s /proc/vmcore)"
mkdir -p /mnt
mount -t ext4 /dev/vdc /mnt || { say "fail: mount /dev/vdc"; exit 1; }

maxrss fs vmemtrim --message-level 15 -l -d 31 -e /proc/vmcore /mnt/vmcore
rc=$?
say "fs rc=$rc files: $(ls /mnt | tr '\n' ' ')"
if [ $rc = 0 ]; then
	maxrss nonmmap vmemtrim --non-mmap -l -d 31 -e /proc/vmcore \
		/mnt/vmcore-nonmmap
	if cmp /mnt/vmcore /mnt/vmcore-nonmmap >/dev/null 2>&1; then
		say "non-mmap same"
	else
		say "non-mmap differs"
	fi
	rm -f /mnt/vmcore-nonmmap
fi
sync
umount /mnt || { say "fail: umount /mnt"; exit 1; }
[ $rc = 0 ] || exit $rc

exec maxrss stream vmemtrim -l -d 31 -e -F /proc/vmcore
