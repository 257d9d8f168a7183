#!/bin/bash
# make static: build/vmemtrim-static, the self-contained vmemtrim for a
# capture initramfs.
#
# Asserts: it has no program interpreter and no dynamic section; it runs in
# an empty root (chroot with nothing but the binary and the input); with
# every codec (-c zlib, -l lzo, -p snappy: C++ linked statically, -z zstd)
# and with -F, its dump of the fixture's 2g vmcore is byte-identical to the
# dynamic build's; the flattened stream's -R is the -l dump.
#
# Usage: tests/kdump/test-static.sh   (from the repo root)
# Env: BUILD, VMEMTRIM_CACHE.
set -uo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
cd "$ROOT" || exit 1
BUILD=${BUILD:-build}
export BUILD VMEMTRIM_CACHE=${VMEMTRIM_CACHE:-$HOME/.cache/vmemtrim}
OUT=$BUILD/test-work/kdump-static
VARIANT=2g

# shellcheck source=/dev/null
. "$ROOT/tests/lib/tap.sh"
rm -rf "$OUT"
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)

if ! make -s static "$BUILD/vmemtrim" >"$OUT/make.log" 2>&1; then
	tap_fail "make static" "$(tail -n 20 "$OUT/make.log")"
	tap_done
fi
STATIC=$(realpath "$BUILD/vmemtrim-static")
DYN=$(realpath "$BUILD/vmemtrim")
tap_ok "make static builds $BUILD/vmemtrim-static ($(stat -c %s "$STATIC") bytes)"
tap_check "it has no program interpreter" \
	sh -c "! readelf -l '$STATIC' | grep -q INTERP"
tap_check "it has no dynamic section (no shared libraries)" \
	sh -c "readelf -d '$STATIC' | grep -q 'no dynamic section'"

if ! tests/kernel/fixture.sh "$VARIANT" >"$OUT/fixture.out" 2>"$OUT/fixture.err"; then
	tap_fail "fixture: the $VARIANT vmcore" "$(tail -n 5 "$OUT/fixture.err")"
	tap_done
fi
VMCORE=$(awk -v k="vmcore-$VARIANT" '$1 == k { print $2 }' "$OUT/fixture.out")
tap_ok "fixture: the $VARIANT vmcore"

# An empty root: only the binary and (a hard link or copy of) the vmcore.
R=$OUT/root
mkdir -p "$R"
cp "$STATIC" "$R/vmemtrim"
ln "$VMCORE" "$R/vmcore" 2>/dev/null || cp --sparse=always "$VMCORE" "$R/vmcore"
chroot_cmd=(chroot)
[ "$(id -u)" = 0 ] || chroot_cmd=(unshare -r chroot)
"${chroot_cmd[@]}" "$R" /vmemtrim -l -d 31 -e /vmcore /dump >"$OUT/chroot.log" 2>&1
rc=$?
tap_eq "it runs in an empty root (${chroot_cmd[*]}: nothing but itself and the vmcore)" 0 "$rc"
[ "$rc" = 0 ] || tap_note "$(cat "$OUT/chroot.log")"

for c in c l p z; do
	"$STATIC" -$c -d 31 -e "$VMCORE" "$OUT/static-$c.dump" >/dev/null 2>"$OUT/static-$c.err"
	s=$?
	"$DYN" -$c -d 31 -e "$VMCORE" "$OUT/dyn-$c.dump" >/dev/null 2>"$OUT/dyn-$c.err"
	d=$?
	tap_eq "-$c -d 31 -e: static and dynamic builds both exit 0" "0 0" "$s $d"
	tap_check "-$c -d 31 -e: the static build's dump is byte-identical to the dynamic build's" \
		cmp "$OUT/static-$c.dump" "$OUT/dyn-$c.dump"
done
tap_check "the chroot's -l dump is the same file" cmp "$R/dump" "$OUT/dyn-l.dump"
rm -f "$R/vmcore"

"$STATIC" -l -d 31 -e -F "$VMCORE" >"$OUT/static.flat" 2>"$OUT/static-F.err"
"$DYN" -l -d 31 -e -F "$VMCORE" >"$OUT/dyn.flat" 2>"$OUT/dyn-F.err"
tap_check "-F: the static build's stream is byte-identical to the dynamic build's" \
	cmp "$OUT/static.flat" "$OUT/dyn.flat"
"$STATIC" -R "$OUT/static-R.dump" <"$OUT/static.flat" >"$OUT/static-R.log" 2>&1
tap_eq "the static build's -R of it exits 0" 0 "$?"
tap_check "and gives the -l dump" cmp "$OUT/static-R.dump" "$OUT/dyn-l.dump"
tap_done
