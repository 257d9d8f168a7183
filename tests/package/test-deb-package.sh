#!/bin/bash
# The Debian packages (debian/): built from a clean copy of the tracked
# files, checked with lintian, installed into and removed from a scratch
# root with dpkg, and used there.
#
# Asserts: debian/changelog, the Makefile and vmemtrim.spec give one
# version; `dpkg-buildpackage -us -uc -b` (nocheck, parallel=2) of a copy
# of the tracked files builds vmemtrim, vmemtrim-crash and
# vmemtrim-kdump-tools and leaves the work tree as it was; each package
# holds exactly its files (programs in usr/bin 0755, vmemtrim.so in
# usr/lib/crash/extensions, the man pages, the docs, the link
# usr/bin/makedumpfile -> vmemtrim); vmemtrim-crash depends on the
# installed crash's release only (its Debian revisions yes, the next
# release no); lintian reports no error; `dpkg --root` installs the
# packages into a scratch root whose dpkg database holds this machine's
# entries for their dependencies (so the dependencies are checked) and a
# makedumpfile owning usr/bin/makedumpfile; the installed vmemtrim
# --version says the Makefile's version and it writes a -l -d 31 -e dump of
# the 2g fixture vmcore; crash, in an empty directory with CRASH_EXTENSIONS
# set to the scratch root's usr/lib/crash/extensions, loads the installed
# module by bare name (`extend vmemtrim.so`), its load line and `vmemmap`
# count the missing struct pages as the installed vmemtrim-inspect does
# and the dump reads back (sys, bt, log, ps); vmemtrim-kdump-tools diverts
# makedumpfile to makedumpfile.distrib (installed twice: the diversion is
# added once), after which `makedumpfile` is vmemtrim for kdump-tools'
# two commands (--dump-dmesg, -F stream); removing it gives makedumpfile
# back unchanged with no diversion left; purging the packages removes
# every file `dpkg -L` listed and leaves the scratch root as it was before;
# this machine's makedumpfile and diversions are never touched.
#
# The scratch root rather than /: `extend vmemtrim.so` by bare name finds
# crash's default directory only with the module in /usr/lib/crash/
# extensions, but installing there would change every other crash session
# on this shared machine (and other tests' `extend vmemtrim.so`) while this
# test runs. crash looks in $CRASH_EXTENSIONS first, so the test points it
# at the scratch root's copy of that directory and checks that the package
# puts the module at usr/lib/crash/extensions/vmemtrim.so.
#
# Maintainer scripts run with dpkg's --force-script-chrootless: the scratch
# root has no shell to chroot into; they honour DPKG_ROOT (dpkg-divert
# reads it), which the test proves by checking this machine's
# /usr/bin/makedumpfile and diversion list before and after.
#
# Usage: tests/package/test-deb-package.sh   (from the repo root)
# Env: BUILD, VMEMTRIM_CACHE, CRASH (default crash).
set -uo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
cd "$ROOT" || exit 1
BUILD=${BUILD:-build}
export BUILD VMEMTRIM_CACHE=${VMEMTRIM_CACHE:-$HOME/.cache/vmemtrim}
CRASH=${CRASH:-crash}
OUT=$BUILD/test-work/package
VARIANT=2g

# shellcheck source=/dev/null
. "$ROOT/tests/lib/tap.sh"
# shellcheck source=/dev/null
. "$ROOT/tests/kdump/crash-session.sh"
now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", b - a }'; }
# tap_rc DESC RC LOG: ok when RC is 0, else the end of LOG says why.
tap_rc() {
	if [ "$2" -eq 0 ]; then
		tap_ok "$1"
	else
		tap_fail "$1 (exit $2)" "$(tail -n 25 "$3")"
	fi
}
T0=$(now)
rm -rf "$OUT"
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)

for t in dpkg-buildpackage dh lintian dpkg-deb git "$CRASH"; do
	command -v "$t" >/dev/null ||
		tap_fail "$t is installed (scripts/deps.sh)"
done
[ "$TAP_FAILED" -eq 0 ] || tap_done

# ------------------------------------------------------------- versions
VERSION=$(sed -n 's/^VERSION := //p' Makefile)
tap_eq "debian/changelog's version is the Makefile's" "$VERSION" \
	"$(dpkg-parsechangelog -S Version 2>/dev/null)"
tap_eq "vmemtrim.spec's version is the Makefile's" "$VERSION" \
	"$(sed -n 's/^Version: *//p' vmemtrim.spec)"

# ------------------------------------- the build, from the tracked files
# Tracked files as they are in the work tree (edits included, build
# outputs and untracked files not).
SRC=$OUT/src/vmemtrim-$VERSION
mkdir -p "$SRC"
status_before=$(git status --porcelain --ignored=no 2>&1)
git ls-files -z | while IFS= read -r -d '' f; do
	[ -e "$f" ] || [ -L "$f" ] && printf '%s\0' "$f"
done | tar --null -T - -cf - | tar -xf - -C "$SRC"
tap_check "the copy holds the tracked files and no build output" \
	test -f "$SRC/debian/rules" -a -f "$SRC/Makefile" -a ! -e "$SRC/$BUILD"
T1=$(now)
# The outer make's job server and BUILD must not reach the package build.
(cd "$SRC" && env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL -u BUILD \
	DEB_BUILD_OPTIONS="nocheck parallel=2" \
	dpkg-buildpackage -us -uc -b) >"$OUT/build.log" 2>&1
rc=$?
tap_rc "dpkg-buildpackage -us -uc -b ($(elapsed "$T1" "$(now)") s)" "$rc" "$OUT/build.log"
tap_eq "the work tree is as it was (git status)" "$status_before" \
	"$(git status --porcelain --ignored=no 2>&1)"
ARCH=$(dpkg --print-architecture)
declare -A DEB
for p in vmemtrim vmemtrim-crash vmemtrim-kdump-tools; do
	DEB[$p]=$OUT/src/${p}_${VERSION}_$ARCH.deb
	tap_check "$p: ${p}_${VERSION}_$ARCH.deb is built" test -s "${DEB[$p]}"
done
[ "$TAP_FAILED" -eq 0 ] || tap_done

# ------------------------------------------------------ package contents
# contents DEB: "MODE PATH[ -> TARGET]" of every file and link
contents() {
	dpkg-deb -c "$1" | awk '$1 !~ /^d/ {
		m = $1; sub(/^[-l]/, "", m); p = $6; sub(/^\.\//, "", p)
		l = ($7 == "->") ? " -> " $8 : ""
		print m, p l }' | LC_ALL=C sort
}
tap_eq "vmemtrim: the programs, man pages and docs" \
	"rw-r--r-- usr/share/doc/vmemtrim/README.md.gz
rw-r--r-- usr/share/doc/vmemtrim/changelog.gz
rw-r--r-- usr/share/doc/vmemtrim/copyright
rw-r--r-- usr/share/doc/vmemtrim/kdump.md.gz
rw-r--r-- usr/share/doc/vmemtrim/vmemtrim-crash.md.gz
rw-r--r-- usr/share/man/man1/vmemtrim-inspect.1.gz
rw-r--r-- usr/share/man/man8/vmemtrim.8.gz
rwxr-xr-x usr/bin/vmemtrim
rwxr-xr-x usr/bin/vmemtrim-inspect" "$(contents "${DEB[vmemtrim]}")"
tap_eq "vmemtrim-crash: vmemtrim.so in crash's extensions directory" \
	"rw-r--r-- usr/lib/crash/extensions/vmemtrim.so
rw-r--r-- usr/share/doc/vmemtrim-crash/changelog.gz
rw-r--r-- usr/share/doc/vmemtrim-crash/copyright" \
	"$(contents "${DEB[vmemtrim-crash]}")"
tap_eq "vmemtrim-kdump-tools: the link usr/bin/makedumpfile -> vmemtrim" \
	"rw-r--r-- usr/share/doc/vmemtrim-kdump-tools/changelog.gz
rw-r--r-- usr/share/doc/vmemtrim-kdump-tools/copyright
rw-r--r-- usr/share/lintian/overrides/vmemtrim-kdump-tools
rwxrwxrwx usr/bin/makedumpfile -> vmemtrim" \
	"$(contents "${DEB[vmemtrim-kdump-tools]}")"
# dh_strip keeps the GNU build id: the same id is the same link.
build_id() { readelf -n "$1" 2>/dev/null | sed -n 's/^ *Build ID: //p'; }
mkdir -p "$OUT/x"
dpkg-deb -x "${DEB[vmemtrim]}" "$OUT/x" && dpkg-deb -x "${DEB[vmemtrim-crash]}" "$OUT/x"
differ=""
for f in usr/bin/vmemtrim usr/bin/vmemtrim-inspect usr/lib/crash/extensions/vmemtrim.so; do
	b=$SRC/build/$(basename "$f")
	id=$(build_id "$OUT/x/$f")
	[ -n "$id" ] && [ "$id" = "$(build_id "$b")" ] || differ="$differ $f"
done
tap_eq "the packaged programs and module are the build's (GNU build id)" "" "$differ"

# vmemtrim-crash's crash dependency: the installed crash's release.
CRASH_PKG=$(dpkg-query -S /usr/include/crash/defs.h | sed -n '1s/:.*//p')
CRASH_VER=$(dpkg-query -W -f='${Version}' "$CRASH_PKG")
DEPENDS=$(dpkg-deb -f "${DEB[vmemtrim-crash]}" Depends)
lo=$(sed -n "s/.*$CRASH_PKG (>= \([^)]*\)).*/\1/p" <<<"$DEPENDS")
hi=$(sed -n "s/.*$CRASH_PKG (<< \([^)]*\)).*/\1/p" <<<"$DEPENDS")
tap_eq "vmemtrim-crash depends on $CRASH_PKG (>= the release of $CRASH_VER, its defs.h)" \
	"${CRASH_VER%-*}" "$lo"
up=${CRASH_VER%-*}
rel=$(sed -n 's/^\([0-9.]*[0-9]\).*/\1/p' <<<"${up#*:}")
next=${rel%.*}.$((${rel##*.} + 1))
ok=""
# satisfied by the installed crash and a stable update of it ...
for v in "$CRASH_VER" "$up-99+deb12u1"; do
	dpkg --compare-versions "$v" ge "$lo" && dpkg --compare-versions "$v" lt "$hi" ||
		ok="$ok; $v refused"
done
# ... but not by the next release or its release candidates
for v in "$next-1" "$next~rc1-1" "${rel%.*}.$((${rel##*.} - 1))-1"; do
	dpkg --compare-versions "$v" ge "$lo" && dpkg --compare-versions "$v" lt "$hi" &&
		ok="$ok; $v accepted"
done
tap_eq "crash $CRASH_VER satisfies '$CRASH_PKG (>= $lo), $CRASH_PKG (<< $hi)', crash $next does not" "" "$ok"

# ---------------------------------------------------------------- lintian
T1=$(now)
lintian --pedantic -I "$OUT/src/vmemtrim_${VERSION}_$ARCH.changes" \
	>"$OUT/lintian.txt" 2>&1
tap_eq "lintian reports no error ($(elapsed "$T1" "$(now)") s)" "" \
	"$(grep -E '^E: ' "$OUT/lintian.txt")"
tap_note "lintian: $(grep -cE '^W: ' "$OUT/lintian.txt") warnings," \
	"$(grep -cE '^[IPX]: ' "$OUT/lintian.txt") notes:" \
	"$(grep -E '^[A-Z]: ' "$OUT/lintian.txt")"

# ----------------------------------------------------- the scratch root
# A dpkg database holding this machine's entries for the packages ours
# depend on (status only, their files are not there), and a makedumpfile
# that owns usr/bin/makedumpfile as on a real kdump-tools system.
R=$OUT/root
mkdir -p "$R/var/lib/dpkg/info" "$R/var/lib/dpkg/updates" \
	"$R/var/lib/dpkg/triggers" "$R/usr/bin"
touch "$R/var/lib/dpkg/available"
deps=$(for d in "${DEB[@]}"; do dpkg-deb -f "$d" Depends; done |
	tr ',|' '\n' | sed 's/(.*//; s/:any//; s/ //g' |
	grep -v -x -E 'vmemtrim.*|' | sort -u)
deps=$(printf '%s\nmakedumpfile\n' "$deps" | sort -u)
: >"$R/var/lib/dpkg/status"
for p in $deps; do
	dpkg-query -s "$p" >>"$R/var/lib/dpkg/status" &&
		echo >>"$R/var/lib/dpkg/status"
	: >"$R/var/lib/dpkg/info/$(dpkg-query -W -f='${binary:Package}' "$p").list"
done
REAL_MDF=$(command -v makedumpfile)
cp "$REAL_MDF" "$R/usr/bin/makedumpfile"
printf '/.\n/usr\n/usr/bin\n/usr/bin/makedumpfile\n' \
	>"$R/var/lib/dpkg/info/makedumpfile.list"
tap_check "scratch root: dpkg knows $(wc -w <<<"$deps") packages ($(tr '\n' ' ' <<<"$deps"))" \
	dpkg --root="$R" -s crash makedumpfile
tree() { (cd "$R" && find . -path ./var/lib/dpkg -prune -o -print | LC_ALL=C sort); }
TREE_BEFORE=$(tree)
HOST_MDF_SUM=$(sha256sum <"$REAL_MDF")
HOST_DIVERSIONS=$(dpkg-divert --list 2>&1 | LC_ALL=C sort)
DPKG=(dpkg --root="$R" --force-script-chrootless)

"${DPKG[@]}" -i "${DEB[vmemtrim]}" "${DEB[vmemtrim-crash]}" \
	>"$OUT/install.log" 2>&1
tap_rc "dpkg --root -i vmemtrim vmemtrim-crash (their dependencies met)" $? "$OUT/install.log"
declare -A LISTED
missing=""
for p in vmemtrim vmemtrim-crash; do
	LISTED[$p]=$(dpkg --root="$R" -L "$p" 2>&1)
	while IFS= read -r f; do
		[ -e "$R$f" ] || missing="$missing $f"
	done <<<"${LISTED[$p]}"
done
tap_eq "every file dpkg -L lists is in the scratch root" "" "$missing"
BIN=$R/usr/bin
tap_eq "the installed vmemtrim --version" "vmemtrim $VERSION" \
	"$("$BIN/vmemtrim" --version 2>&1)"
tap_eq "the installed vmemtrim-inspect --version" "vmemtrim-inspect $VERSION" \
	"$("$BIN/vmemtrim-inspect" --version 2>&1)"

# ------------------------- the installed programs and module on a vmcore
make -s "$BUILD/tests/crash-tasks.so" >"$OUT/make.log" 2>&1
# shellcheck disable=SC2034 # run_crash (crash-session.sh) loads it
TASKS=$(realpath "$BUILD/tests/crash-tasks.so")
VMCORE=
T1=$(now)
if tests/kernel/fixture.sh "$VARIANT" >"$OUT/fixture.out" 2>"$OUT/fixture.err"; then
	VMLINUX=$(awk '$1 == "vmlinux" { print $2 }' "$OUT/fixture.out")
	VMCORE=$(awk -v k="vmcore-$VARIANT" '$1 == k { print $2 }' "$OUT/fixture.out")
	# shellcheck disable=SC2034 # check_installed (crash-session.sh) reads it
	RELEASE=$(basename "$(dirname "$VMLINUX")")
fi
if [ -z "$VMCORE" ] || [ ! -f "$TASKS" ]; then
	tap_fail "fixture: vmlinux, the $VARIANT vmcore and crash-tasks.so" \
		"$(tail -n 5 "$OUT/fixture.err" "$OUT/make.log")"
	tap_done
fi
# fixture.sh waits for other runs' captures (one lock on the cache)
tap_ok "fixture: vmlinux and the $VARIANT vmcore ($(elapsed "$T1" "$(now)") s)"

# crash finds `extend vmemtrim.so` in $CRASH_EXTENSIONS: the scratch root's
# usr/lib/crash/extensions, where the package put the module.
check_installed "package" "$BIN" "$R/usr/lib/crash/extensions" "$VMCORE" "$OUT" "2 GB"

# ------------------------------------------- vmemtrim-kdump-tools opt-in
diversion() { dpkg-divert --root="$R" --list '*' 2>&1; }
for i in 1 2; do
	"${DPKG[@]}" -i "${DEB[vmemtrim-kdump-tools]}" >"$OUT/install-kt$i.log" 2>&1
	tap_rc "dpkg --root -i vmemtrim-kdump-tools (time $i)" $? "$OUT/install-kt$i.log"
done
tap_eq "one diversion: makedumpfile to makedumpfile.distrib by vmemtrim-kdump-tools" \
	"diversion of /usr/bin/makedumpfile to /usr/bin/makedumpfile.distrib by vmemtrim-kdump-tools" \
	"$(diversion)"
tap_eq "usr/bin/makedumpfile is the link to vmemtrim" "vmemtrim" \
	"$(readlink "$BIN/makedumpfile")"
tap_check "makedumpfile's own program is usr/bin/makedumpfile.distrib, unchanged" \
	cmp "$REAL_MDF" "$BIN/makedumpfile.distrib"
tap_eq "makedumpfile --version is vmemtrim's" "vmemtrim $VERSION" \
	"$("$BIN/makedumpfile" --version 2>&1)"
# kdump-config's two commands: the log, then the flattened dump.
"$BIN/makedumpfile" --dump-dmesg "$VMCORE" "$OUT/dmesg" >"$OUT/dmesg.log" 2>&1
tap_check "makedumpfile --dump-dmesg VMCORE LOG (vmemtrim) writes the log with the panic" \
	grep -q 'sysrq: Trigger a crash' "$OUT/dmesg"
"$BIN/makedumpfile" -l -d 31 -e -F "$VMCORE" 2>"$OUT/flat.log" |
	"$BIN/vmemtrim" -R "$OUT/dump-from-flat" >>"$OUT/flat.log" 2>&1
tap_check "makedumpfile -l -d 31 -e -F VMCORE | vmemtrim -R gives the direct dump" \
	cmp "$OUT/dump" "$OUT/dump-from-flat"

"${DPKG[@]}" -r vmemtrim-kdump-tools >"$OUT/remove-kt.log" 2>&1
tap_rc "dpkg --root -r vmemtrim-kdump-tools" $? "$OUT/remove-kt.log"
tap_eq "no diversion is left" "" "$(diversion)"
tap_check "usr/bin/makedumpfile is makedumpfile's own program again, no .distrib" \
	sh -c "[ ! -L '$BIN/makedumpfile' ] && cmp -s '$REAL_MDF' '$BIN/makedumpfile' &&
		[ ! -e '$BIN/makedumpfile.distrib' ]"

# -------------------------------------------------------------- purge
"${DPKG[@]}" --purge vmemtrim-kdump-tools vmemtrim-crash vmemtrim \
	>"$OUT/purge.log" 2>&1
tap_rc "dpkg --root --purge of the three packages" $? "$OUT/purge.log"
left=""
for p in vmemtrim vmemtrim-crash; do
	while IFS= read -r f; do
		[ -d "$R$f" ] && [ ! -L "$R$f" ] && continue
		{ [ -e "$R$f" ] || [ -L "$R$f" ]; } && left="$left $f"
	done <<<"${LISTED[$p]}"
done
tap_eq "no file dpkg -L listed is left" "" "$left"
tap_eq "the scratch root is as before the packages (but var/lib/dpkg)" \
	"$TREE_BEFORE" "$(tree)"
tap_eq "dpkg knows none of the packages any more" "" \
	"$(dpkg-query --root="$R" -W -f='${Package} ${Status}\n' 'vmemtrim*' 2>/dev/null)"
tap_eq "dpkg's info directory keeps nothing of them" "" \
	"$(find "$R/var/lib/dpkg/info" -name 'vmemtrim*')"
tap_eq "this machine's makedumpfile and diversions were not touched" \
	"$HOST_MDF_SUM|$HOST_DIVERSIONS" \
	"$(sha256sum <"$REAL_MDF")|$(dpkg-divert --list 2>&1 | LC_ALL=C sort)"

tap_note "whole test $(elapsed "$T0" "$(now)") s"
tap_done
