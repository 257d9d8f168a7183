#!/bin/sh
# mkvmcore's 6.1 kernel profile checked against a real Debian 6.1 kernel:
# the VMCOREINFO of real kdump vmcores (4- and 5-level paging) and the real
# vmlinux read with gdb.
set -u
. tests/lib/tap.sh
BUILD=${BUILD:-build}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
notes=tests/lib/elfnotes.py
cmp=tests/profile/compare-profile.py

if ! tests/kernel/fixture.sh 2g l5 >"$tmp/fixture" 2>"$tmp/fixture.log"; then
	tap_fail "real-kernel fixture (2g, l5) is available" \
		"$(tail -n 5 "$tmp/fixture.log")"
	tap_done
fi
path() { awk -v n="$1" '$1 == n { print $2 }' "$tmp/fixture"; }
vmlinux=$(path vmlinux)

for v in 2g l5; do
	opt=
	[ "$v" = l5 ] && opt=--l5
	# shellcheck disable=SC2086
	if ! "$BUILD/mkvmcore" -o "$tmp/syn-$v" --ram 2G --seed 7 $opt \
		2>"$tmp/mk.log"; then
		tap_fail "mkvmcore $opt writes a vmcore" "$(cat "$tmp/mk.log")"
		continue
	fi
	/usr/bin/python3 $notes --vmcoreinfo "$(path "vmcore-$v")" >"$tmp/real-$v"
	/usr/bin/python3 $notes --vmcoreinfo "$tmp/syn-$v" >"$tmp/info-$v"
	/usr/bin/python3 $cmp "real $v" "$tmp/real-$v" "$tmp/info-$v"
done
/usr/bin/python3 $cmp --gdb "$vmlinux" "$tmp/info-2g"
tap_done
