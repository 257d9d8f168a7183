#!/bin/sh
# make bench-kdump, inside the capture kernel (bench/kdump.sh passes it to
# tests/kernel/fixture.sh as CAPTURE_CMD; installed as /bin/bench-kdump).
# busybox sh: the capture initramfs has no bash.
#
#   sh /bin/bench-kdump RUNS RUN-ID
#
# On the one /proc/vmcore, RUNS rounds; in each, for -l -d 31 and then
# -l -d 31 -e, interleaved A B A B: makedumpfile 1.7.2 (-e with --work-dir
# on the ext4 disk) and vmemtrim (static) write
#   raw: a flattened stream (-F) to the raw disk /dev/vdd;
#   fs:  a file on the ext4 disk /dev/vdc (deleted, then sync, before the
#        next run);
# then limit-vmcore reads what vmemtrim's dump of that configuration holds
# (reference dumps written once, before the rounds). With 2 CPUs online,
# each also runs on 2 threads (--num-threads 2). Every run starts after a
# sync and runs under maxrss ("MAXRSS TAG ..." on the console); TAG is
# CONFIG/OUTPUT/TOOL/THREADS/ROUND. "BENCH-KDUMP ..." lines carry the rest
# (set-up, output bytes) for bench/kdump-report.py. Standard output (the
# fixture's capture) is vmemtrim's reference -e dump.
# RUN-ID only makes each bench run a new capture (the fixture's cache key).
RUNS=${1:-5}
say() { echo "BENCH-KDUMP $*" >&2; }
fail() {
	say "fail $*"
	exit 1
}

i=0
while [ ! -b /dev/vdc ] || [ ! -b /dev/vdd ]; do
	i=$((i + 1))
	[ $i -gt 100 ] && fail "disks /dev/vdc and /dev/vdd did not appear"
	sleep 0.1
done
CPUS=$(grep -c '^processor' /proc/cpuinfo)
say "setup cpus=$CPUS runs=$RUNS run-id=${2:-}"
say "setup $(grep -E '^(MemTotal|MemFree):' /proc/meminfo | tr -s ' ' |
	tr '\n' ' ')"
say "setup vmcore-bytes=$(stat -c %s /proc/vmcore) release=$(uname -r)"
say "setup $(makedumpfile -v 2>&1 | head -n 1)"
say "setup $(vmemtrim --version 2>&1 | head -n 1)"
mkdir -p /mnt
mount -t ext4 /dev/vdc /mnt || fail "mount /dev/vdc"
mkdir -p /mnt/ref /mnt/work
THREADS=1
[ "$CPUS" -ge 2 ] && THREADS="1 2"

# Reference dumps for the limit row (untimed).
vmemtrim -l -d 31 /proc/vmcore /mnt/ref/d31 >/dev/null 2>&1 ||
	fail "vmemtrim -l -d 31 (reference dump)"
vmemtrim -l -d 31 -e /proc/vmcore /mnt/ref/d31e >/dev/null 2>&1 ||
	fail "vmemtrim -l -d 31 -e (reference dump)"
say "setup ref-bytes d31=$(stat -c %s /mnt/ref/d31) d31e=$(stat -c %s /mnt/ref/d31e)"
sync

# one CONFIG OUTPUT TOOL THREADS ROUND: one timed run
one() {
	cfg=$1 out=$2 tool=$3 th=$4 r=$5
	tag=$cfg/$out/$tool/$th/$r
	opts="-l -d 31"
	[ "$cfg" = d31e ] && opts="$opts -e"
	[ "$th" -gt 1 ] && opts="$opts --num-threads $th"
	[ "$tool" = makedumpfile ] && [ "$cfg" = d31e ] &&
		opts="$opts --work-dir /mnt/work"
	rm -f /mnt/dump /mnt/work/*
	sync
	case $out in
	raw)
		# shellcheck disable=SC2086 # opts are words
		maxrss "$tag" $tool -F $opts /proc/vmcore >/dev/vdd \
			2>/tmp/run.log
		;;
	fs)
		# shellcheck disable=SC2086
		maxrss "$tag" $tool $opts /proc/vmcore /mnt/dump >/dev/null \
			2>/tmp/run.log
		say "bytes $tag $(stat -c %s /mnt/dump 2>/dev/null || echo 0)"
		;;
	none)
		maxrss "$tag" limit-vmcore "$th" /proc/vmcore "/mnt/ref/$cfg" \
			2>/tmp/run.log >&2
		;;
	esac
	# the MAXRSS line and the limit's, to the console; the last lines of
	# a failed run's messages (progress lines end in \r)
	grep -E '^MAXRSS|^limit-vmcore' /tmp/run.log >&2
	if ! grep -q '^MAXRSS .* rc=0 ' /tmp/run.log; then
		tr '\r' '\n' </tmp/run.log | grep -v -E '^MAXRSS|^ *$|eta: ' |
			tail -n 3 | sed "s|^|BENCH-KDUMP error $tag: |" >&2
	fi
	sync
}

r=1
while [ "$r" -le "$RUNS" ]; do
	for cfg in d31 d31e; do
		for out in raw fs; do
			for th in $THREADS; do
				one "$cfg" "$out" makedumpfile "$th" "$r"
				one "$cfg" "$out" vmemtrim "$th" "$r"
			done
		done
		for th in $THREADS; do
			one "$cfg" none limit "$th" "$r"
		done
	done
	say "round $r done"
	r=$((r + 1))
done
umount /mnt 2>/dev/null
mount -t ext4 -o ro /dev/vdc /mnt || fail "mount /dev/vdc again"
cat /mnt/ref/d31e
