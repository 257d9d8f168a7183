#!/bin/sh
# Install what vmemtrim's build, demo and tests need, from Debian's packages.
# Idempotent: installs only what is missing. Needs root (or sudo) when
# something is missing; prints what it would install otherwise.
set -eu

PKGS="build-essential pkg-config zlib1g-dev liblzo2-dev libsnappy-dev \
libdw-dev libbz2-dev liblzma-dev \
libzstd-dev libcmocka-dev crash makedumpfile qemu-system-x86 \
busybox-static kexec-tools libkdumpfile-dev python3-libkdumpfile \
python3-drgn cpio gdb kmod clang man-db strace debhelper dpkg-dev \
lintian"

missing=""
for p in $PKGS; do
	st=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
	case "$st" in
	*" installed") ;;
	*) missing="$missing $p" ;;
	esac
done
[ -z "$missing" ] && exit 0

echo "deps: installing:$missing" >&2
if [ "$(id -u)" -ne 0 ]; then
	if command -v sudo >/dev/null 2>&1; then
		SUDO=sudo
	else
		echo "deps: need root to install:$missing" >&2
		exit 1
	fi
else
	SUDO=
fi
export DEBIAN_FRONTEND=noninteractive
# An empty or stale package list finds nothing: refresh once.
$SUDO apt-get update -qq >/dev/null || {
	echo "deps: apt-get update failed" >&2
	exit 1
}
# shellcheck disable=SC2086
$SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null || {
	echo "deps: apt-get install failed for:$missing" >&2
	exit 1
}
