#!/bin/bash
# Real-kernel kdump fixture: boots Debian's current cloud kernel in QEMU,
# panics it with a kdump capture kernel loaded, and keeps the captured ELF
# vmcore (sparse) in a cache outside git.
#
# Usage: tests/kernel/fixture.sh [VARIANT...]      (default: all variants
#        but the bench-* ones, which run only when named). Variants of
#        different kernels (variants.conf's kernel field) run one kernel
#        after the other, each kernel's "vmlinux" line before its dumps.
# Env:   BUILD (default build), VMEMTRIM_CACHE (default ~/.cache/vmemtrim),
#        FIXTURE_ACCEL=auto|kvm|tcg (default auto: KVM only if a bounded
#          probe boot succeeds), FIXTURE_TIMEOUT_SCALE (default 1),
#        CAPTURE_CMD: shell command run in the capture kernel that writes a
#          dump to stdout (default: mmap copy of /proc/vmcore),
#        CAPTURE_FILES: "HOSTPATH[:GUESTPATH] ..." extra files for the
#          capture initramfs (e.g. a static vmemtrim binary),
#        CAPTURE_NAME: name of a CAPTURE_CMD result (default capture), so
#          several capture setups of one variant are cached side by side,
#        CAPTURE_DISK: size (e.g. 1G) of an extra disk for CAPTURE_CMD: an
#          empty ext4 filesystem, /dev/vdc in the capture kernel, kept.
#        CAPTURE_RAW_DISK: size of one more disk for CAPTURE_CMD, raw and
#          empty (/dev/vdd, or /dev/vdc without CAPTURE_DISK), not kept,
#        CAPTURE_DYNAMIC: "PROGRAM ..." dynamic programs copied into the
#          capture initramfs's /bin with their shared libraries.
# Stdout: one "NAME PATH" per line (vmlinux, vmcore-VARIANT, or
#         capture-VARIANT when CAPTURE_CMD is set, and capture-VARIANT-disk
#         with CAPTURE_DISK; "capture" is CAPTURE_NAME). Everything else:
#         stderr.
# Details: docs/real-kernel-fixture.md.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
BUILD=${BUILD:-build}
CACHE=${VMEMTRIM_CACHE:-$HOME/.cache/vmemtrim}
ACCEL=${FIXTURE_ACCEL:-auto}
SCALE=${FIXTURE_TIMEOUT_SCALE:-1}
CAPTURE_CMD=${CAPTURE_CMD:-}
CAPTURE_FILES=${CAPTURE_FILES:-}
CAPTURE_NAME=${CAPTURE_NAME:-capture}
CAPTURE_DISK=${CAPTURE_DISK:-}
CAPTURE_RAW_DISK=${CAPTURE_RAW_DISK:-}
CAPTURE_DYNAMIC=${CAPTURE_DYNAMIC:-}
# Bump when host-side logic changes what a captured dump looks like.
FIXTURE_FORMAT=1
# The kernel of a variant without a kernel field; a variant's kernel field
# names another meta package (its -dbg meta package gives the vmlinux).
META_DEFAULT=linux-image-cloud-amd64
MODULES="virtio_pci virtio_blk qemu_fw_cfg"

mkdir -p "$BUILD/tests/kernel" "$CACHE/kernel"
BUILD=$(cd "$BUILD" && pwd)
CACHE=$(cd "$CACHE" && pwd)
WORK=$BUILD/tests/kernel
T0=$(date +%s.%N)

log() { echo "fixture: $*" >&2; }
# fail STAGE [VARIANT] MESSAGE
fail() {
	echo "fixture: FAILED stage $1: ${*:2}" >&2
	exit 1
}
now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", b - a }'; }
# timing VARIANT STAGE SECONDS: stderr and the timings files
timing() {
	log "time $1 $2 $3 s"
	printf '%s %s %s %s\n' "$(date -u +%FT%TZ)" "$1" "$2" "$3" \
		>>"$KDIR/timings.log"
	[ -z "${VTIMINGS:-}" ] || printf '%s %s %s\n' "$1" "$2" "$3" \
		>>"$VTIMINGS"
}
# run_stage STAGE VARIANT CMD...: time a host-side stage, fail loudly. The
# stage runs in a subshell with errexit in force (a function called from an
# `||` list would run with errexit off).
run_stage() {
	local st=$1 v=$2 t rc
	shift 2
	t=$(now)
	set +e
	(
		set -e
		"$@"
	) >&2
	rc=$?
	set -e
	[ "$rc" = 0 ] || fail "$st" "($v) $* (status $rc)"
	timing "$v" "$st" "$(elapsed "$t" "$(now)")"
}

for tool in qemu-system-x86_64 busybox kexec gcc cpio depmod modprobe \
	dpkg-deb apt-cache apt-get mke2fs sha256sum strings gzip flock numfmt; do
	command -v "$tool" >/dev/null ||
		fail setup "missing tool $tool (run scripts/deps.sh)"
done
[ -x /bin/busybox ] && file_busybox=/bin/busybox ||
	file_busybox=$(command -v busybox)
if ldd "$file_busybox" >/dev/null 2>&1; then
	fail setup "$file_busybox is dynamic; install busybox-static"
fi

# ---------------------------------------------------------------- variants
declare -A V_MEM V_CPU V_APPEND V_ANON V_TMPFS V_FILES V_HP V_TIME V_LINE V_META
ALL=()
while IFS= read -r line; do
	case "$line" in '#'* | '') continue ;; esac
	IFS='|' read -r n mem cpu app anon tmpfs files hp tl kern <<<"$line"
	n=$(echo $n)
	# bench-* variants (make bench-kdump) are too big for the default set
	[[ "$n" == bench-* ]] || ALL+=("$n")
	V_MEM[$n]=$(echo $mem)
	V_CPU[$n]=$(echo $cpu)
	V_APPEND[$n]=$(echo $app)
	V_ANON[$n]=$(echo $anon)
	V_TMPFS[$n]=$(echo $tmpfs)
	V_FILES[$n]=$(echo $files)
	V_HP[$n]=$(echo $hp)
	V_TIME[$n]=$(echo $tl)
	kern=$(echo $kern)
	V_META[$n]=${kern:-$META_DEFAULT}
	V_LINE[$n]=$(echo $line)
done <"$HERE/variants.conf"
WANT=("$@")
[ ${#WANT[@]} -gt 0 ] || WANT=("${ALL[@]}")
for v in "${WANT[@]}"; do
	[ -n "${V_MEM[$v]:-}" ] ||
		fail setup "unknown variant '$v' (known: ${!V_MEM[*]})"
done
[[ "$CAPTURE_NAME" =~ ^[a-z][a-z0-9]*$ ]] && [ "$CAPTURE_NAME" != vmcore ] ||
	fail setup "CAPTURE_NAME '$CAPTURE_NAME': give lower-case letters and digits, not vmcore"
if [ -n "$CAPTURE_DISK" ]; then
	[ -n "$CAPTURE_CMD" ] || fail setup "CAPTURE_DISK needs CAPTURE_CMD"
	numfmt --from=iec "$CAPTURE_DISK" >/dev/null 2>&1 ||
		fail setup "CAPTURE_DISK '$CAPTURE_DISK': give a size such as 1G"
fi
if [ -n "$CAPTURE_RAW_DISK" ]; then
	[ -n "$CAPTURE_CMD" ] || fail setup "CAPTURE_RAW_DISK needs CAPTURE_CMD"
	numfmt --from=iec "$CAPTURE_RAW_DISK" >/dev/null 2>&1 ||
		fail setup "CAPTURE_RAW_DISK '$CAPTURE_RAW_DISK': give a size such as 1G"
fi

# Variants of several kernels: one run per kernel, in the order named.
METAS=()
for v in "${WANT[@]}"; do
	case " ${METAS[*]} " in *" ${V_META[$v]} "*) ;; *) METAS+=("${V_META[$v]}") ;; esac
done
if [ ${#METAS[@]} -gt 1 ]; then
	for m in "${METAS[@]}"; do
		group=()
		for v in "${WANT[@]}"; do
			[ "${V_META[$v]}" = "$m" ] && group+=("$v")
		done
		"${BASH_SOURCE[0]}" "${group[@]}" || exit 1
	done
	exit 0
fi
META=${METAS[0]}
META_DBG=$META-dbg
# Every kernel variants.conf names: their cache directories are kept.
ALL_METAS=$(printf '%s\n' "${V_META[@]}" | sort -u)

# ----------------------------------------------------------------- download
# Resolve the kernel from the meta packages; an empty package list (no
# apt-get update yet) finds nothing, so refresh once then.
# (Two apt-cache calls in all: each one costs about half a second.)
DEPS=
resolve() { # META: the linux-image-* package META depends on
	printf '%s\n' "$DEPS" | awk -v m="$1" '
		/^[^ ]/ { cur = $1; next }
		cur == m && $1 == "Depends:" && $2 ~ /^linux-image-/ { print $2; exit }'
}
DEPS=$(apt-cache depends $ALL_METAS $META_DBG 2>/dev/null || true)
IMG=$(resolve $META)
if [ -z "$IMG" ] && [ "$(id -u)" = 0 ]; then
	log "apt-cache knows no $META; running apt-get update"
	apt-get update -qq >/dev/null 2>&1 || true
	DEPS=$(apt-cache depends $ALL_METAS $META_DBG 2>/dev/null || true)
	IMG=$(resolve $META)
fi
[ -n "$IMG" ] || fail download "cannot resolve $META with apt-cache"
DBG=$(resolve $META_DBG)
[ -n "$DBG" ] || fail download "cannot resolve $META_DBG with apt-cache"
KVER=${IMG#linux-image-}
[ "$DBG" = "$IMG-dbg" ] ||
	fail download "$META ($IMG) and $META_DBG ($DBG) disagree"
UNSIGNED=$IMG-unsigned
SHOW=$(apt-cache show --no-all-versions "$UNSIGNED" "$DBG" 2>/dev/null || true)
pkgfield() { # PACKAGE FIELD
	printf '%s\n' "$SHOW" | awk -v p="$1" -v f="$2:" '
		$1 == "Package:" { cur = $2 }
		cur == p && $1 == f { print $2; exit }'
}
PVER=$(pkgfield "$UNSIGNED" Version)
DVER=$(pkgfield "$DBG" Version)
[ -n "$PVER" ] && [ "$PVER" = "$DVER" ] ||
	fail download "$UNSIGNED ($PVER) and $DBG ($DVER) versions differ"
ARCHIVE_ID="$UNSIGNED=$PVER $(pkgfield "$UNSIGNED" SHA256) $DBG=$DVER $(pkgfield "$DBG" SHA256)"
KDIR=$CACHE/kernel/$KVER
VTIMINGS=
log "kernel $KVER ($PVER), cache $KDIR"

# One fixture at a time per cache (a second run waits, then finds the cache).
exec 9>"$CACHE/kernel/.lock"
flock 9 || fail setup "cannot lock $CACHE/kernel/.lock"

# A kernel version in the cache that no variant's meta package resolves to
# any more is stale: the archive moved on. (A meta package apt-cache cannot
# resolve keeps every directory: nothing is known to be stale then.)
KEEP=" "
for m in $ALL_METAS; do
	i=$(resolve "$m")
	[ -n "$i" ] || { KEEP=; break; }
	KEEP="$KEEP${i#linux-image-} "
done
for d in "$CACHE"/kernel/*/; do
	[ -d "$d" ] && [ -n "$KEEP" ] || continue
	[ "${d%/}" = "$KDIR" ] && continue
	case "$KEEP" in *" $(basename "$d") "*) continue ;; esac
	log "removing stale cache ${d%/} (the archive's kernels are now${KEEP% })"
	rm -rf "${d%/}"
done
if [ -f "$KDIR/archive-id" ] && [ "$(cat "$KDIR/archive-id")" != "$ARCHIVE_ID" ]; then
	log "package in the archive changed: rebuilding $KDIR"
	rm -rf "$KDIR"
fi
mkdir -p "$KDIR"

fetch_pkg() { # PKG=VER DIR
	local dir=$2
	rm -rf "$dir" && mkdir -p "$dir"
	# As root, apt's _apt sandbox user cannot write into the cache: say so.
	local sandbox=()
	[ "$(id -u)" != 0 ] || sandbox=(-o APT::Sandbox::User=root)
	if ! (cd "$dir" && apt-get download -q "${sandbox[@]}" "$1" >&2); then
		# Stale package lists point at files the archive dropped.
		[ "$(id -u)" = 0 ] || return 1
		log "apt-get download $1 failed: apt-get update, then once more"
		apt-get update -qq >&2 || return 1
		(cd "$dir" && apt-get download -q "${sandbox[@]}" "$1" >&2) || {
			log "$1 is gone from the archive: run the fixture again"
			return 1
		}
	fi
	ls "$dir"/*.deb >/dev/null
}

fetch_kernel() {
	local t dl=$KDIR/dl
	if [ ! -f "$KDIR/unsigned.ok" ]; then
		fetch_pkg "$UNSIGNED=$PVER" "$dl" || return 1
		rm -rf "$KDIR/root" && mkdir -p "$KDIR/root"
		dpkg-deb -x "$dl"/*.deb "$KDIR/root" || return 1
		rm -rf "$dl"
		touch "$KDIR/unsigned.ok"
	fi
	if [ ! -f "$KDIR/vmlinux.ok" ]; then
		fetch_pkg "$DBG=$DVER" "$dl" || return 1
		rm -rf "$KDIR/dbgx" && mkdir -p "$KDIR/dbgx"
		dpkg-deb --fsys-tarfile "$dl"/*.deb |
			tar -x -C "$KDIR/dbgx" "./usr/lib/debug/boot/vmlinux-$KVER" ||
			return 1
		mv "$KDIR/dbgx/usr/lib/debug/boot/vmlinux-$KVER" "$KDIR/vmlinux"
		rm -rf "$dl" "$KDIR/dbgx"
		touch "$KDIR/vmlinux.ok"
	fi
	echo "$ARCHIVE_ID" >"$KDIR/archive-id"
}

# The bzImage's version string (setup header field kernel_version:
# "RELEASE (BUILDER) UTS_VERSION") must match the vmlinux's linux_banner
# ("Linux version RELEASE (BUILDER) (COMPILER) UTS_VERSION"), so crash reads
# the dump with the symbols of the kernel that ran.
check_build_string() {
	local bz=$KDIR/root/boot/vmlinuz-$KVER off vb rel by uts
	[ -f "$bz" ] || { log "no $bz"; return 1; }
	off=$(od -An -tu2 -j 526 -N 2 "$bz" | tr -d ' ')
	vb=$(dd if="$bz" bs=1 skip=$((off + 512)) count=256 status=none |
		tr '\0' '\n' | head -n 1)
	rel=${vb%% *}
	by=${vb#"$rel "}
	by="${by%%") "*})"
	uts=${vb#"$rel $by "}
	[ "$rel" = "$KVER" ] || { log "bzImage is $rel, not $KVER"; return 1; }
	if [ ! -f "$KDIR/banners" ]; then
		strings -n 40 "$KDIR/vmlinux" | grep "^Linux version " \
			>"$KDIR/banners.tmp" || true
		mv "$KDIR/banners.tmp" "$KDIR/banners"
	fi
	if ! awk -v p="Linux version $rel $by (" -v s=") $uts" \
			'index($0, p) == 1 && substr($0, length($0) - length(s) + 1) == s { f = 1 }
			END { exit !f }' "$KDIR/banners"; then
		rm -f "$KDIR/banners"
		log "bzImage: '$vb'"
		log "no matching linux_banner in the vmlinux"
		return 1
	fi
	echo "$vb" >"$KDIR/build-string"
}

if [ ! -f "$KDIR/unsigned.ok" ] || [ ! -f "$KDIR/vmlinux.ok" ]; then
	run_stage download kernel fetch_kernel
fi
[ -f "$KDIR/archive-id" ] || echo "$ARCHIVE_ID" >"$KDIR/archive-id"
run_stage download-check kernel check_build_string
VMLINUZ=$KDIR/root/boot/vmlinuz-$KVER
VMLINUX=$KDIR/vmlinux
MODROOT=$KDIR/root

# --------------------------------------------------------- cache keys
QEMU_VER=$(qemu-system-x86_64 --version | head -n 1)
BB_VER=$("$file_busybox" 2>&1 | head -n 1 || true)
KEXEC_VER=$(kexec --version 2>&1 | head -n 1 || true)
hash_files() { cat "$@" | sha256sum | cut -c1-64; }
CAPTURE_ID=default
if [ -n "$CAPTURE_CMD" ] || [ -n "$CAPTURE_FILES" ]; then
	CAPTURE_ID="cmd=$CAPTURE_CMD"
	for spec in $CAPTURE_FILES; do
		f=${spec%%:*}
		[ -f "$f" ] || fail initramfs "CAPTURE_FILES: no file $f"
		CAPTURE_ID="$CAPTURE_ID $spec $(sha256sum <"$f" | cut -c1-64)"
	done
	for f in $CAPTURE_DYNAMIC; do
		[ -f "$f" ] || fail initramfs "CAPTURE_DYNAMIC: no file $f"
		CAPTURE_ID="$CAPTURE_ID dyn=$f $(sha256sum <"$f" | cut -c1-64)"
	done
	[ -z "$CAPTURE_DISK" ] || CAPTURE_ID="$CAPTURE_ID disk=$CAPTURE_DISK"
	[ -z "$CAPTURE_RAW_DISK" ] ||
		CAPTURE_ID="$CAPTURE_ID raw=$CAPTURE_RAW_DISK"
fi
INPUTS_ID=$(hash_files "$HERE"/guest/*.sh "$HERE/vmcopy.c" "$HERE/memmix.c")
variant_key() {
	printf '%s\n' "format=$FIXTURE_FORMAT" "archive=$ARCHIVE_ID" \
		"variant=${V_LINE[$1]}" "inputs=$INPUTS_ID" "qemu=$QEMU_VER" \
		"busybox=$BB_VER" "kexec=$KEXEC_VER" "capture=$CAPTURE_ID" |
		sha256sum | cut -c1-16
}
out_name() { [ "$CAPTURE_ID" = default ] && echo "vmcore-$1" || echo "$CAPTURE_NAME-$1"; }
vdir() { echo "$KDIR/dumps/$(out_name "$1")-$(variant_key "$1")"; }

TODO=()
for v in "${WANT[@]}"; do
	d=$(vdir "$v")
	if [ -f "$d/ok" ] && [ -f "$d/dump" ] &&
		{ [ -z "$CAPTURE_DISK" ] || [ -f "$d/disk.img" ]; }; then
		log "$v: cached ($d)"
	else
		TODO+=("$v")
	fi
done

# ---------------------------------------------------------------- initramfs
# cpio_dir DIR OUT: a gzip newc archive of DIR, files owned by root
cpio_dir() {
	(cd "$1" && find . -print0 | LC_ALL=C sort -z |
		cpio --null -o -H newc -R 0:0 --quiet) | gzip -6 >"$2"
}

# add_modules ROOT: the disk and fw_cfg modules and their dependencies, in
# the order modprobe would load them, plus /etc/modules.list.
add_modules() {
	local root=$1 list m rel
	list=$(for m in $MODULES; do
		modprobe -d "$MODROOT" -S "$KVER" --show-depends "$m" ||
			exit 1
	done | awk '$1 == "insmod" { print $2 }') || return 1
	[ -n "$list" ] || return 1
	: >"$root/etc/modules.list"
	for m in $list; do
		rel=${m#"$MODROOT"/lib/modules/"$KVER"/}
		mkdir -p "$root/lib/modules/$(dirname "$rel")"
		cp "$m" "$root/lib/modules/$rel"
		grep -qx "$rel" "$root/etc/modules.list" ||
			echo "$rel" >>"$root/etc/modules.list"
	done
}

base_root() { # DIR INIT
	rm -rf "$1" && mkdir -p "$1"/{bin,sbin,etc,proc,sys,dev,tmp,lib64,boot}
	cp "$file_busybox" "$1/bin/busybox"
	ln -s busybox "$1/bin/sh"
	cp "$2" "$1/init" && chmod 755 "$1/init"
}

# kexec-tools is dynamic: copy it with its libraries.
add_dynamic() { # ROOT BINARY
	local lib
	mkdir -p "$1/bin"
	cp "$2" "$1/bin/"
	for lib in $(ldd "$2" | awk '/=>/ { print $3 } /^\t\/lib/ { print $1 }'); do
		mkdir -p "$1$(dirname "$lib")"
		cp -L "$lib" "$1$lib"
	done
}

build_helpers() {
	gcc -std=gnu11 -O2 -Wall -Wextra -static -o "$WORK/vmcopy" "$HERE/vmcopy.c" &&
		gcc -std=gnu11 -O2 -Wall -Wextra -static -pthread -o "$WORK/memmix" "$HERE/memmix.c"
}

build_initramfs() {
	local cap=$WORK/capture-root first=$WORK/first-root spec f g
	depmod -b "$MODROOT" "$KVER" || return 1
	base_root "$cap" "$HERE/guest/init-capture.sh"
	add_modules "$cap" || return 1
	cp "$WORK/vmcopy" "$cap/bin/vmcopy"
	if [ "$CAPTURE_ID" = default ]; then
		cp "$HERE/guest/capture-default.sh" "$cap/capture.sh"
	else
		{
			echo "# CAPTURE_CMD hook: the command's stdout is the dump."
			echo "set -o pipefail"
			echo "( $CAPTURE_CMD ) | vmcopy stream \"\$OUT\""
		} >"$cap/capture.sh"
		for spec in $CAPTURE_FILES; do
			f=${spec%%:*}
			g=${spec#*:}
			[ "$g" != "$spec" ] || g=/bin/$(basename "$f")
			mkdir -p "$cap$(dirname "$g")"
			cp "$f" "$cap$g"
		done
		for f in $CAPTURE_DYNAMIC; do
			add_dynamic "$cap" "$f" || return 1
		done
	fi
	cpio_dir "$cap" "$WORK/capture.cpio.gz" || return 1

	base_root "$first" "$HERE/guest/init-first.sh"
	add_modules "$first" || return 1
	add_dynamic "$first" "$(command -v kexec)" || return 1
	cp "$WORK/memmix" "$first/bin/memmix"
	cp "$VMLINUZ" "$first/boot/vmlinuz"
	cp "$WORK/capture.cpio.gz" "$first/boot/capture.cpio.gz"
	cpio_dir "$first" "$WORK/first.cpio.gz" || return 1

	base_root "$WORK/probe-root" "$HERE/guest/probe.sh"
	cpio_dir "$WORK/probe-root" "$WORK/probe.cpio.gz"
}

# A disk of real file content for the page cache: the kernel's modules.
build_data_disk() {
	local img=$KDIR/data.img
	[ -f "$img" ] && return 0
	mke2fs -q -F -t ext4 -L fixture-data -d "$MODROOT/lib/modules" \
		"$img.tmp" 256M || return 1
	mv "$img.tmp" "$img"
}

# ----------------------------------------------------------------- QEMU run
# run_qemu LOG TIMEOUT MARKERFILE QEMUARGS...: run QEMU with the serial
# console in LOG; note when each FIXTURE-STAGE marker appears (seconds since
# start) in MARKERFILE. Returns QEMU's status (124 on time-out).
run_qemu() {
	local logf=$1 limit=$2 marks=$3 pid t0 seen="" m st=0
	shift 3
	: >"$logf"
	: >"$marks"
	t0=$(now)
	qemu-system-x86_64 -nodefaults -display none -no-reboot \
		-serial "file:$logf" -monitor none "$@" </dev/null \
		>>"$logf.qemu" 2>&1 &
	pid=$!
	QEMU_PID=$pid
	while kill -0 "$pid" 2>/dev/null; do
		for m in $(grep -a -o 'FIXTURE-STAGE [a-z-]*' "$logf" |
			awk '{ print $2 }'); do
			case " $seen " in *" $m "*) continue ;; esac
			seen="$seen $m"
			echo "$m $(elapsed "$t0" "$(now)")" >>"$marks"
		done
		if [ "$(elapsed "$t0" "$(now)" | cut -d. -f1)" -ge "$limit" ]; then
			kill "$pid" 2>/dev/null
			wait "$pid" 2>/dev/null
			return 124
		fi
		sleep 0.5
	done
	wait "$pid" || st=$?
	QEMU_PID=
	for m in $(grep -a -o 'FIXTURE-STAGE [a-z-]*' "$logf" | awk '{ print $2 }'); do
		case " $seen " in *" $m "*) continue ;; esac
		seen="$seen $m"
		echo "$m $(elapsed "$t0" "$(now)")" >>"$marks"
	done
	return $st
}

# A QEMU still running when the fixture ends (error, signal) is stopped.
QEMU_PID=
stop_qemu() { [ -z "$QEMU_PID" ] || kill "$QEMU_PID" 2>/dev/null || true; }
trap stop_qemu EXIT
trap 'stop_qemu; exit 130' INT TERM

ACCEL_ARGS=()
choose_accel() {
	case "$ACCEL" in
	tcg) ACCEL_ARGS=(-accel "tcg,thread=multi") ; CPU_HOST=0; return ;;
	kvm) ACCEL_ARGS=(-accel kvm) ; CPU_HOST=1; return ;;
	esac
	CPU_HOST=0
	ACCEL_ARGS=(-accel "tcg,thread=multi")
	# The probe's answer holds until the host reboots.
	local memo=$WORK/accel-probe id
	id="$(cat /proc/sys/kernel/random/boot_id 2>/dev/null) $KVER $QEMU_VER"
	if [ -f "$memo" ] && [ "$(head -n 1 "$memo")" = "$id" ]; then
		if [ "$(sed -n 2p "$memo")" = kvm ]; then
			ACCEL_ARGS=(-accel kvm)
			CPU_HOST=1
		fi
		log "accelerator: $(sed -n 2p "$memo") (probed earlier this boot)"
		return
	fi
	if [ -r /dev/kvm ] && [ -w /dev/kvm ]; then
		local t st=0
		t=$(now)
		run_qemu "$WORK/probe.log" 30 "$WORK/probe.marks" -accel kvm \
			-cpu host -m 512M -kernel "$VMLINUZ" \
			-initrd "$WORK/probe.cpio.gz" \
			-append "console=ttyS0 panic=-1" || st=$?
		if grep -q FIXTURE-PROBE-OK "$WORK/probe.log"; then
			ACCEL_ARGS=(-accel kvm)
			CPU_HOST=1
			log "KVM probe boot succeeded: using KVM"
		else
			log "KVM probe boot failed (status $st, log $WORK/probe.log): using TCG"
		fi
		timing kernel accel-probe "$(elapsed "$t" "$(now)")"
	else
		log "no usable /dev/kvm: using TCG"
	fi
	printf '%s\n%s\n' "$id" "$([ "$CPU_HOST" = 1 ] && echo kvm || echo tcg)" >"$memo"
}

# The stage a run died in: the first expected marker that never appeared.
failed_stage() {
	local marks=$1 m
	for m in init:boot boot-ok:boot mix-ok:mix kexec-loaded:kexec-load \
		panic:panic capture-start:panic capture-run:capture \
		capture-done:capture; do
		grep -q "^${m%%:*} " "$marks" || { echo "${m#*:}"; return; }
	done
	echo poweroff
}

# Stage durations from the marker times.
marker_timings() { # VARIANT MARKS TOTAL
	local v=$1 marks=$2 prev=0 m t st
	while read -r m t; do
		case "$m" in
		init) st=boot-kernel ;;
		boot-ok) st=boot-init ;;
		mix-ok) st=mix ;;
		kexec-loaded) st=kexec-load ;;
		panic) st=sync ;;
		capture-start) st=panic-to-capture-kernel ;;
		capture-run) st=capture-init ;;
		capture-done) st=capture ;;
		*) st=$m ;;
		esac
		timing "$v" "$st" "$(elapsed "$prev" "$t")"
		prev=$t
	done <"$marks"
	if grep -q '^capture-done ' "$marks"; then
		timing "$v" poweroff "$(elapsed "$prev" "$3")"
	else
		timing "$v" "$(failed_stage "$marks")-unfinished" "$(elapsed "$prev" "$3")"
	fi
}

check_elf_vmcore() { # FILE
	local f=$1 magic
	magic=$(head -c 4 "$f" | od -An -c | tr -d ' ')
	[ "$magic" = '177ELF' ] || { log "$f: no ELF magic ($magic)"; return 1; }
	# VMCOREINFO sits in a PT_NOTE near the start of the file.
	# (process substitution: grep -q closing the pipe early is no error)
	grep -a -q 'OSRELEASE=' < <(head -c 16M "$f") ||
		{ log "$f: no VMCOREINFO note"; return 1; }
	grep -a -q "OSRELEASE=$KVER$" < <(head -c 16M "$f") ||
		{ log "$f: VMCOREINFO OSRELEASE is not $KVER"; return 1; }
}

check_capture() { # FILE
	local magic
	magic=$(head -c 8 "$1" | tr -d '\0')
	case "$magic" in
	"KDUMP"*) return 0 ;;
	"makedump"*) return 0 ;;
	esac
	check_elf_vmcore "$1"
}

capture_variant() {
	local v=$1 d tmp t st=0 append limit size marks logf stage len cpu
	d=$(vdir "$v")
	tmp=$d.tmp
	rm -rf "$tmp" && mkdir -p "$tmp"
	VTIMINGS=$tmp/timings
	: >"$VTIMINGS"
	size=$(( $(numfmt --from=iec "${V_MEM[$v]}") / 1048576 + 64 ))
	truncate -s "${size}M" "$tmp/out.img"
	local disk=()
	if [ -n "$CAPTURE_DISK" ]; then
		truncate -s "$CAPTURE_DISK" "$tmp/disk.img" &&
			mke2fs -q -F -t ext4 -L capture-disk "$tmp/disk.img" >&2 ||
			fail capture "($v) mke2fs of the capture disk"
		disk=(-drive "file=$tmp/disk.img,if=virtio,format=raw,cache=unsafe")
	fi
	if [ -n "$CAPTURE_RAW_DISK" ]; then
		truncate -s "$CAPTURE_RAW_DISK" "$tmp/raw.img"
		disk+=(-drive "file=$tmp/raw.img,if=virtio,format=raw,cache=unsafe")
	fi
	append="console=ttyS0 crashkernel=256M panic=5 ${V_APPEND[$v]}"
	append="$append fixture.anon=${V_ANON[$v]} fixture.tmpfs=${V_TMPFS[$v]}"
	append="$append fixture.files=${V_FILES[$v]} fixture.hugepages=${V_HP[$v]}"
	limit=$(awk -v a="${V_TIME[$v]}" -v s="$SCALE" 'BEGIN { printf "%d", a * s }')
	cpu=${V_CPU[$v]}
	if [ "$CPU_HOST" = 1 ]; then
		if [ "$cpu" = max ]; then
			cpu=host
		else
			# la57 needs the host CPU to have it under KVM
			cpu=${cpu/max/host}
			grep -qw la57 /proc/cpuinfo || {
				log "$v: host has no la57, this variant runs under TCG"
			}
		fi
	fi
	local accel=("${ACCEL_ARGS[@]}")
	if [ "$CPU_HOST" = 1 ] && [[ "$cpu" == *la57* ]] && ! grep -qw la57 /proc/cpuinfo; then
		accel=(-accel "tcg,thread=multi")
		cpu=${V_CPU[$v]}
	fi
	log "$v: booting ${V_MEM[$v]} guest (-cpu $cpu, ${accel[*]}, limit ${limit}s): $append"
	marks=$tmp/marks
	logf=$tmp/serial.log
	t=$(now)
	run_qemu "$logf" "$limit" "$marks" "${accel[@]}" -cpu "$cpu" -smp 2 \
		-m "${V_MEM[$v]}" -kernel "$VMLINUZ" -initrd "$WORK/first.cpio.gz" \
		-append "$append" \
		-drive "file=$KDIR/data.img,if=virtio,format=raw,snapshot=on" \
		-drive "file=$tmp/out.img,if=virtio,format=raw,cache=unsafe" \
		"${disk[@]}" || st=$?
	local total
	total=$(elapsed "$t" "$(now)")
	marker_timings "$v" "$marks" "$total"
	timing "$v" qemu-total "$total"
	if grep -a -q 'FIXTURE-FAIL' "$logf"; then
		stage=$(grep -a -m 1 -o 'FIXTURE-FAIL [a-z-]*' "$logf" | awk '{ print $2 }')
		grep -a 'FIXTURE-FAIL' "$logf" | head -n 3 >&2
		fail "$stage" "($v) guest reported failure; serial log $logf"
	fi
	if ! grep -q '^capture-done ' "$marks"; then
		stage=$(failed_stage "$marks")
		[ "$st" = 124 ] && fail "$stage" "($v) QEMU timed out after ${limit}s; serial log $logf"
		fail "$stage" "($v) QEMU exited (status $st) before the stage finished; serial log $logf"
	fi
	grep -a -q 'FIXTURE-STAGE capture-done rc=0' "$logf" ||
		fail capture "($v) capture command failed: $(grep -a -o 'capture-done rc=[0-9]*' "$logf"); serial log $logf"
	[ "$st" = 0 ] || fail poweroff "($v) QEMU status $st after capture; serial log $logf"
	t=$(now)
	len=$("$WORK/vmcopy" extract "$tmp/out.img" "$tmp/dump") ||
		fail extract "($v) no valid capture header on the output disk"
	rm -f "$tmp/out.img" "$tmp/raw.img"
	[ "$(stat -c %s "$tmp/dump")" = "$len" ] ||
		fail extract "($v) extracted size differs from header length $len"
	if [ "$CAPTURE_ID" = default ]; then
		check_elf_vmcore "$tmp/dump" || fail extract "($v) not an ELF vmcore with VMCOREINFO"
	else
		check_capture "$tmp/dump" || fail extract "($v) capture is no known dump format"
	fi
	timing "$v" extract "$(elapsed "$t" "$(now)")"
	variant_key "$v" >"$tmp/key"
	echo "${V_LINE[$v]}" >"$tmp/variant"
	printf '%s %s\n' "$len" "$(du -k "$tmp/dump" | cut -f1)" >"$tmp/size"
	touch "$tmp/ok"
	# Older dumps of this variant (other keys) are stale now.
	for o in "$KDIR/dumps/$(out_name "$v")"-*; do
		[[ "$o" =~ /$(out_name "$v")-[0-9a-f]{16}(\.tmp)?$ ]] || continue
		[ "$o" != "$d" ] && [ "$o" != "$tmp" ] && rm -rf "$o"
	done
	rm -rf "$d"
	mv "$tmp" "$d"
	VTIMINGS=
	log "$v: captured $len bytes ($(du -h "$d/dump" | cut -f1) on disk) in $d"
}

if [ ${#TODO[@]} -gt 0 ]; then
	run_stage helpers kernel build_helpers
	run_stage initramfs kernel build_initramfs
	run_stage data-disk kernel build_data_disk
	mkdir -p "$KDIR/dumps"
	choose_accel
	for v in "${TODO[@]}"; do
		capture_variant "$v"
	done
fi

echo "vmlinux $VMLINUX"
for v in "${WANT[@]}"; do
	d=$(vdir "$v")
	[ -f "$d/ok" ] || fail capture "($v) no dump after the run"
	echo "$(out_name "$v") $d/dump"
	[ -z "$CAPTURE_DISK" ] || echo "$(out_name "$v")-disk $d/disk.img"
done
timing kernel fixture-total "$(elapsed "$T0" "$(now)")"
