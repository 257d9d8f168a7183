#!/bin/bash
# vmemtrim --check-params checks the command line as makedumpfile 1.7.2's
# does and touches no file: exit 0 where vmemtrim would run (the same as
# makedumpfile's on the options both share), exit 1 with the reason on
# standard error otherwise, refused makedumpfile options naming the
# alternative. Every run is in an empty directory that stays empty.
#
# Usage: tests/filter/test-check-params.sh   (from the repo root)
set -uo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
cd "$ROOT" || exit 1
BUILD=${BUILD:-build}
# shellcheck source=/dev/null
. "$ROOT/tests/lib/tap.sh"
VMEMTRIM=$(realpath "$BUILD/vmemtrim" 2>/dev/null)
tap_need_built "$VMEMTRIM"
EMPTY=$(mktemp -d /tmp/vmemtrim-check-params.XXXXXX)
trap 'rm -rf "$EMPTY"' EXIT

# both RC ARGS...: vmemtrim's and makedumpfile's --check-params exit RC
both() {
	local want=$1 vrc mrc
	shift
	(cd "$EMPTY" && "$VMEMTRIM" --check-params "$@" >/dev/null 2>&1)
	vrc=$?
	(cd "$EMPTY" && makedumpfile --check-params "$@" >/dev/null 2>&1)
	mrc=$?
	tap_eq "--check-params $*: exit $want, as makedumpfile's" \
		"$want $want" "$vrc $mrc"
}

# refused REASON ARGS...: exit 1, the reason on stderr, nothing on stdout
refused() {
	local why=$1 rc out err
	shift
	out=$(cd "$EMPTY" && "$VMEMTRIM" --check-params "$@" 2>"$EMPTY.err")
	rc=$?
	err=$(cat "$EMPTY.err")
	rm -f "$EMPTY.err"
	if [ "$rc" = 1 ] && [ -z "$out" ] && [[ "$err" == *"$why"* ]]; then
		tap_ok "--check-params $*: exit 1, \"$why\""
	else
		tap_fail "--check-params $*: exit 1, \"$why\"" "exit $rc" \
			"stdout: $out" "stderr: $err"
	fi
}

both 0 -l -d 31 -e --work-dir /nonexistent vmcore dumpfile
both 0 -c -d 1 -f vmcore dumpfile
both 0 -z -d 31 --num-threads 2 vmcore dumpfile
both 0 -F -l -d 31 vmcore
both 0 --dump-dmesg vmcore dmesg.txt
both 0 -R dumpfile
both 1 -d 32 vmcore dumpfile
both 1 -l -d 31 vmcore
both 1 --no-such-option vmcore dumpfile
both 1 --dump-dmesg vmcore
refused "give at most one" -c -l vmcore dumpfile
refused "dump level must be 0 to 31" -d 99 vmcore dumpfile
refused "use makedumpfile -E" -E vmcore dumpfile
refused "--num-threads" --split vmcore d1 d2
refused "vmemtrim-inspect --page" --vtop 0xffffffff81000000 vmcore
refused "use --dump-dmesg" --dump-dmesg --partial-dmesg vmcore log
refused "-F VMCORE > /dev/null" --dry-run -l vmcore dumpfile
refused "use makedumpfile -g" -g vmcoreinfo -x vmlinux
refused "give VMCORE and LOGFILE" --dump-dmesg vmcore
refused "not with -F or -R" -F --dump-dmesg vmcore log
# existing paths are not looked at: makedumpfile's --check-params does not
touch "$EMPTY/dumpfile"
(cd "$EMPTY" && "$VMEMTRIM" --check-params -l -d 31 vmcore dumpfile)
tap_eq "--check-params with an existing DUMPFILE and no VMCORE: exit 0" 0 "$?"
rm -f "$EMPTY/dumpfile"
tap_eq "--check-params created no file" "" "$(ls -A "$EMPTY")"
tap_done
