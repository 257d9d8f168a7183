#!/bin/sh
# /init of the capture (kdump) kernel: load the disk drivers, run the
# capture hook /capture.sh with OUT set to the output disk, record its exit
# status in the disk header (vmcopy status), power off.
/bin/busybox mkdir -p /proc /sys /dev /tmp /usr/bin /usr/sbin /sbin
/bin/busybox --install -s
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev

fail() {
	echo "FIXTURE-FAIL capture $1"
	sync
	poweroff -f
}

echo "FIXTURE-STAGE capture-start"
[ -e /proc/vmcore ] || fail "/proc/vmcore missing (not a capture kernel?)"
for m in $(cat /etc/modules.list); do
	insmod "/lib/modules/$m" || fail "insmod $m"
done
i=0
while [ ! -b /dev/vdb ]; do
	i=$((i + 1))
	[ $i -gt 100 ] && fail "virtio disk vdb did not appear"
	sleep 0.1
done
export OUT=/dev/vdb PATH=/bin:/sbin:/usr/bin:/usr/sbin
echo "FIXTURE-STAGE capture-run"
sh /capture.sh
rc=$?
vmcopy status "$OUT" "$rc" || fail "could not write status"
sync
echo "FIXTURE-STAGE capture-done rc=$rc"
poweroff -f
