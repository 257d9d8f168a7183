#!/bin/sh
# /init of the fixture's first kernel: load the disk drivers, build a
# realistic memory mix, load the capture kernel with kexec -p and panic.
# Progress markers "FIXTURE-STAGE <name>" on the console let the host time
# the stages and name the one that failed; "FIXTURE-FAIL <stage> <why>"
# reports a failure seen inside the guest.
# Parameters come from the kernel command line: fixture.anon=MiB (anonymous
# memory), fixture.tmpfs=MiB, fixture.files=N (small files),
# fixture.hugepages=N (reserved at run time; 0 when the boot line has
# hugepages=), fixture.capture_cpus=N (nr_cpus of the capture kernel, 1).
/bin/busybox mkdir -p /proc /sys /dev /tmp /mnt/data /mnt/tmpfs /usr/bin /usr/sbin /sbin
/bin/busybox --install -s
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev

fail() {
	echo "FIXTURE-FAIL $1 $2"
	sync
	poweroff -f
}

param() {
	for w in $(cat /proc/cmdline); do
		case "$w" in "fixture.$1="*) echo "${w#*=}"; return ;; esac
	done
	echo "$2"
}

echo "FIXTURE-STAGE init"
for m in $(cat /etc/modules.list); do
	insmod "/lib/modules/$m" || fail boot "insmod $m"
done
i=0
while [ ! -b /dev/vda ] || [ ! -b /dev/vdb ]; do
	i=$((i + 1))
	[ $i -gt 100 ] && fail boot "virtio disks vda/vdb did not appear"
	sleep 0.1
done
echo "FIXTURE-STAGE boot-ok"

anon=$(param anon 256)
tmpfs=$(param tmpfs 64)
files=$(param files 4000)
hp=$(param hugepages 0)
ccpus=$(param capture_cpus 1)

# Reserved hugetlb pages.
if [ "$hp" -gt 0 ]; then
	echo "$hp" > /proc/sys/vm/nr_hugepages
fi
# Page cache: every file of a disk of real file content (kernel modules).
mount -t ext4 -o ro /dev/vda /mnt/data || fail mix "mount /dev/vda"
find /mnt/data -type f -exec cat {} + > /dev/null || fail mix "read /mnt/data"
# tmpfs: copies of real files, then a file of the requested size.
mount -t tmpfs -o size=$((tmpfs + files / 64 + 64))m tmpfs /mnt/tmpfs
mkdir -p /mnt/tmpfs/copy /mnt/tmpfs/small
find /mnt/data -name '*.ko' | head -n 200 | while read -r f; do
	cp "$f" /mnt/tmpfs/copy/
done
head -c $((tmpfs * 1048576)) /dev/vda > /mnt/tmpfs/blob || fail mix "tmpfs blob"
# Anonymous memory and thousands of small files, held by one process.
/bin/memmix "$anon" /mnt/tmpfs/small "$files" /tmp/memmix.ready &
i=0
while [ ! -e /tmp/memmix.ready ]; do
	i=$((i + 1))
	[ $i -gt 1200 ] && fail mix "memmix did not get ready"
	kill -0 $! 2>/dev/null || fail mix "memmix died"
	sleep 0.5
done
grep -E '^(MemTotal|MemFree|Cached|AnonPages|Shmem|Slab|HugePages_Total|Hugepagesize):' /proc/meminfo
echo "FIXTURE-STAGE mix-ok"

kexec -p /boot/vmlinuz --initrd=/boot/capture.cpio.gz \
	--append="console=ttyS0 irqpoll nr_cpus=$ccpus reset_devices" ||
	fail kexec-load "kexec -p failed"
[ "$(cat /sys/kernel/kexec_crash_loaded)" = 1 ] ||
	fail kexec-load "/sys/kernel/kexec_crash_loaded is not 1"
echo "FIXTURE-STAGE kexec-loaded"
sync
echo "FIXTURE-STAGE panic"
echo c > /proc/sysrq-trigger
sleep 5
fail panic "still running after sysrq-trigger c"
