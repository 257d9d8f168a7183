#!/bin/bash
# Debian's kdump-tools collection path, and kdump-utils' command lines,
# with vmemtrim in place of makedumpfile, set up exactly as docs/kdump.md
# says (its marked blocks are taken from the page itself).
#
# kdump-tools: Debian's own /usr/sbin/kdump-config (from the kdump-tools
# package, fetched with apt-get download and cached) runs `savecore` with
# three lines changed and nothing else: KDUMP_DEFAULTS (a test copy of
# /etc/default/kdump-tools: the package's kdump-tools.conf plus the page's
# settings), vmcore_file (the fixture's 2g vmcore instead of
# /proc/vmcore), and PATH (a test root's usr/bin first). In that root the
# page's two commands ran: its dpkg-divert line as written (DPKG_ROOT set
# to the root), which renamed a makedumpfile there (a shim that logs and
# runs the real one) to makedumpfile.distrib, and its ln -s line with both
# paths inside the root: makedumpfile is a link to vmemtrim (a shim that
# logs and runs the real vmemtrim under the name it was called by). No
# wrapper script.
# Asserts: savecore exits 0 and reports the dmesg and the vmcore saved;
# it ran vmemtrim twice, as `--dump-dmesg VMCORE DIR/dmesg.STAMP` and as
# `-l -d 31 -e -F VMCORE`, and makedumpfile never; the stamp directory
# holds exactly dmesg.STAMP and dump.STAMP (no dump-incomplete);
# dmesg.STAMP is byte-identical to what makedumpfile 1.7.2's --dump-dmesg
# writes for the vmcore; dump.STAMP is a flattened stream whose
# vmemtrim -R is byte-identical to vmemtrim's direct -l -d 31 -e dump of
# the vmcore; crash opens dump.STAMP itself and the reassembled file.
# kdump-utils: the two core_collector lines of the page, run the way
# dracut/99kdumpbase/kdump.sh runs them for a filesystem target
# (COLLECTOR VMCORE DIR/vmcore-incomplete, then mv) and a raw target
# (COLLECTOR VMCORE | dd of=DEV bs=512, onto a device full of old data),
# give the same dump (raw: after vmemtrim -R vmcore < DEV).
#
# Usage: tests/kdump/test-kdump-tools.sh   (from the repo root)
# Env: BUILD, VMEMTRIM_CACHE, CRASH (default crash).
set -uo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
cd "$ROOT" || exit 1
BUILD=${BUILD:-build}
export BUILD VMEMTRIM_CACHE=${VMEMTRIM_CACHE:-$HOME/.cache/vmemtrim}
CRASH=${CRASH:-crash}
DOC=$ROOT/docs/kdump.md
OUT=$BUILD/test-work/kdump-tools
VARIANT=2g

# shellcheck source=/dev/null
. "$ROOT/tests/lib/tap.sh"
# shellcheck source=/dev/null
. "$HERE/crash-session.sh"
now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", b - a }'; }
T0=$(now)
rm -rf "$OUT"
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)

make -s "$BUILD/vmemtrim" "$BUILD/tests/crash-tasks.so" >"$OUT/make.log" 2>&1
VMEMTRIM=$(realpath "$BUILD/vmemtrim" 2>/dev/null)
if [ ! -x "$VMEMTRIM" ]; then
	tap_fail "vmemtrim is built" "$(tail -n 20 "$OUT/make.log")"
	tap_done
fi
# shellcheck disable=SC2034 # run_crash (crash-session.sh) loads it
TASKS=$(realpath "$BUILD/tests/crash-tasks.so")
MAKEDUMPFILE=$(command -v makedumpfile)
tap_check "makedumpfile is installed (the judge of dmesg.STAMP)" \
	test -x "$MAKEDUMPFILE"

# doc_block NAME: the fenced block after "<!-- test: NAME -->" in the page
doc_block() {
	awk -v m="<!-- test: $1 -->" '
		$0 == m { want = 1; next }
		want && /^```/ { if (on) exit; on = 1; next }
		on { print }' "$DOC"
}
DEFAULTS_LINES=$(doc_block kdump-tools-defaults)
DIVERT=$(doc_block makedumpfile-divert)
CONF_FS=$(doc_block kdump-conf-fs)
CONF_STREAM=$(doc_block kdump-conf-stream)
for b in DEFAULTS_LINES DIVERT CONF_FS CONF_STREAM; do
	[ -n "${!b}" ] || tap_fail "docs/kdump.md has its $b block"
done

# ------------------------------------------------ Debian's kdump-tools
# One copy per package version in the cache; apt-get download only when
# the archive has a version the cache lacks.
KT_CACHE=$VMEMTRIM_CACHE/kdump-tools
fetch_kdump_tools() {
	local show ver sha dir tmp
	show=$(apt-cache show --no-all-versions kdump-tools 2>/dev/null)
	if [ -z "$show" ] && [ "$(id -u)" = 0 ]; then
		apt-get update -qq >/dev/null 2>&1
		show=$(apt-cache show --no-all-versions kdump-tools 2>/dev/null)
	fi
	ver=$(sed -n 's/^Version: //p' <<<"$show" | head -n 1)
	sha=$(sed -n 's/^SHA256: //p' <<<"$show" | head -n 1)
	if [ -z "$ver" ]; then
		# offline: the newest cached copy
		dir=$(ls -d "$KT_CACHE"/*/ 2>/dev/null | tail -n 1)
		[ -n "$dir" ] && [ -f "$dir/ok" ] && { echo "${dir%/}"; return 0; }
		echo "apt-cache knows no kdump-tools and nothing is cached" >&2
		return 1
	fi
	dir=$KT_CACHE/${ver//:/_}
	if [ -f "$dir/ok" ] && [ "$(cat "$dir/ok")" = "$sha" ]; then
		echo "$dir"
		return 0
	fi
	rm -rf "$dir" && mkdir -p "$dir/dl"
	tmp=$dir/dl
	local sandbox=()
	[ "$(id -u)" != 0 ] || sandbox=(-o APT::Sandbox::User=root)
	(cd "$tmp" && apt-get download -q "${sandbox[@]}" "kdump-tools=$ver") >&2 ||
		return 1
	dpkg-deb -x "$tmp"/kdump-tools_*.deb "$dir/root" || return 1
	rm -rf "$tmp"
	echo "$sha" >"$dir/ok"
	echo "$dir"
}
if ! KT=$(fetch_kdump_tools 2>"$OUT/fetch.err"); then
	tap_fail "kdump-tools: fetch Debian's package (apt-get download)" \
		"$(tail -n 5 "$OUT/fetch.err")"
	tap_done
fi
KDUMP_CONFIG=$KT/root/usr/sbin/kdump-config
KT_CONF=$KT/root/usr/share/kdump-tools/kdump-tools.conf
tap_ok "kdump-tools: Debian's package $(basename "$KT") ($KDUMP_CONFIG)"

# The lines this test relies on, exactly as kdump-config has them.
tap_check "kdump-config collects with: makedumpfile \$MAKEDUMP_ARGS \$vmcore_file | compress > \"\$KDUMP_CORETEMP\"" \
	grep -q -x -F '	makedumpfile $MAKEDUMP_ARGS $vmcore_file | compress > "$KDUMP_CORETEMP"' "$KDUMP_CONFIG"
tap_check "kdump-config adds -F to MAKEDUMP_ARGS when it is missing" \
	grep -q -F '|| MAKEDUMP_ARGS="${MAKEDUMP_ARGS} -F"' "$KDUMP_CONFIG"
tap_check "kdump-config saves the log with: makedumpfile --dump-dmesg \"\$vmcore\" \"\$outfile\"" \
	grep -q -F '	if makedumpfile --dump-dmesg "$vmcore" "$outfile"; then' "$KDUMP_CONFIG"

W=$OUT/sys
VMCORE=
if tests/kernel/fixture.sh "$VARIANT" >"$OUT/fixture.out" 2>"$OUT/fixture.err"; then
	VMLINUX=$(awk '$1 == "vmlinux" { print $2 }' "$OUT/fixture.out")
	VMCORE=$(awk -v k="vmcore-$VARIANT" '$1 == k { print $2 }' "$OUT/fixture.out")
	RELEASE=$(basename "$(dirname "$VMLINUX")")
fi
if [ -z "$VMCORE" ]; then
	tap_fail "fixture: the $VARIANT vmcore" "$(tail -n 5 "$OUT/fixture.err")"
	tap_done
fi
tap_ok "fixture: vmlinux and the $VARIANT vmcore"

# The system the script sees: /etc/default/kdump-tools, makedumpfile's
# program (a logging shim in front of the real one), diverted, and
# /usr/bin/makedumpfile a link to vmemtrim (a logging shim in front of the
# real one that keeps the name it was called by, as the link does).
mkdir -p "$W/etc/default" "$W/usr/bin" "$W/usr/local/bin" "$W/var/crash" \
	"$W/var/lib/dpkg/info"
: >"$W/var/lib/dpkg/status"
{
	cat "$KT_CONF" # what Debian installs as /etc/default/kdump-tools
	echo "KDUMP_COREDIR=\"$W/var/crash\""
	printf '%s\n' "$DEFAULTS_LINES"
} >"$W/etc/default/kdump-tools"
printf '#!/bin/sh\necho "$*" >>"%s"\nexec "%s" "$@"\n' \
	"$W/makedumpfile.calls" "$MAKEDUMPFILE" >"$W/usr/bin/makedumpfile"
printf '#!/bin/bash\necho "$*" >>"%s"\nexec -a "$0" "%s" "$@"\n' \
	"$W/vmemtrim.calls" "$VMEMTRIM" >"$W/usr/local/bin/vmemtrim"
chmod 755 "$W/usr/bin/makedumpfile" "$W/usr/local/bin/vmemtrim"
# The page's commands: dpkg-divert as written, in the test root; ln -s
# with its two paths in the test root.
: >"$OUT/divert.log"
while IFS= read -r line; do
	case "$line" in
	dpkg-divert\ *)
		# shellcheck disable=SC2086 # the page's words, split as sh would
		DPKG_ROOT=$W $line >>"$OUT/divert.log" 2>&1 ;;
	ln\ -s\ /*\ /*)
		read -r _ _ target link <<<"$line"
		ln -s "$W$target" "$W$link" >>"$OUT/divert.log" 2>&1 ;;
	*) echo "unexpected line: $line" >>"$OUT/divert.log"; false ;;
	esac || break
done <<<"$DIVERT"
if [ -L "$W/usr/bin/makedumpfile" ] && [ -x "$W/usr/bin/makedumpfile.distrib" ]; then
	tap_ok "the page's divert and link commands run in the test root"
else
	tap_fail "the page's divert and link commands run in the test root" \
		"$(cat "$OUT/divert.log")"
fi
tap_eq "dpkg-divert records the local diversion" \
	"local diversion of /usr/bin/makedumpfile to /usr/bin/makedumpfile.distrib" \
	"$(DPKG_ROOT=$W dpkg-divert --list /usr/bin/makedumpfile 2>&1)"
tap_eq "makedumpfile is now the link to vmemtrim" "$W/usr/local/bin/vmemtrim" \
	"$(readlink "$W/usr/bin/makedumpfile")"

sed -e "s#^KDUMP_DEFAULTS=/etc/default/kdump-tools\$#KDUMP_DEFAULTS=$W/etc/default/kdump-tools#" \
	-e "s#^vmcore_file=/proc/vmcore\$#vmcore_file=$VMCORE#" \
	-e "s#^PATH=/bin:/usr/bin:/sbin:/usr/sbin\$#PATH=$W/usr/bin:/bin:/usr/bin:/sbin:/usr/sbin#" \
	"$KDUMP_CONFIG" >"$W/kdump-config"
chmod 755 "$W/kdump-config"
changed=$(diff "$KDUMP_CONFIG" "$W/kdump-config" | grep -c '^>')
tap_eq "the test's kdump-config differs from Debian's in exactly 3 lines (defaults, vmcore, PATH)" \
	3 "$changed"

t=$(now)
(cd "$W" && env -i HOME="$W" TERM=dumb LANG=C sh "$W/kdump-config" savecore) \
	>"$OUT/savecore.log" 2>&1
rc=$?
tap_note "kdump-config savecore: $(elapsed "$t" "$(now)") s"
sed 's/^/savecore: /' "$OUT/savecore.log" | head -n 20 |
	while IFS= read -r l; do tap_note "$l"; done
tap_eq "kdump-config savecore exits 0" 0 "$rc"
tap_check "it says it ran makedumpfile -l -d 31 -e -F on the vmcore" \
	grep -q -F "running makedumpfile -l -d 31 -e -F $VMCORE | compress > " "$OUT/savecore.log"
tap_check "it says the dmesg was saved" grep -q 'saved dmesg content in' "$OUT/savecore.log"
tap_check "it says the vmcore was saved" grep -q 'saved vmcore in' "$OUT/savecore.log"
stamps=$(find "$W/var/crash" -mindepth 1 -maxdepth 1 -type d -printf '%f\n')
nstamps=$(printf '%s\n' "$stamps" | grep -c .)
tap_eq "one stamp directory in KDUMP_COREDIR" 1 "$nstamps"
S=${stamps%%$'\n'*}
SD=$W/var/crash/$S
tap_eq "vmemtrim ran twice, with kdump-tools' arguments: --dump-dmesg, then the dump" \
	"--dump-dmesg $VMCORE $SD/dmesg.$S|-l -d 31 -e -F $VMCORE" \
	"$(paste -s -d '|' "$W/vmemtrim.calls" 2>/dev/null)"
tap_eq "makedumpfile (diverted) never ran" "" "$(cat "$W/makedumpfile.calls" 2>/dev/null)"
tap_eq "the stamp directory holds dmesg.STAMP and dump.STAMP, nothing incomplete" \
	"dmesg.$S dump.$S" "$(ls "$SD" 2>/dev/null | tr '\n' ' ' | sed 's/ $//')"
tap_check "dmesg.STAMP has the sysrq panic" \
	grep -q 'sysrq: Trigger a crash' "$SD/dmesg.$S"
"$MAKEDUMPFILE" --dump-dmesg "$VMCORE" "$OUT/makedumpfile.dmesg" \
	>"$OUT/makedumpfile-dmesg.log" 2>&1
tap_eq "makedumpfile 1.7.2 --dump-dmesg VMCORE (the judge) exits 0" 0 "$?"
tap_check "dmesg.STAMP is byte-identical to makedumpfile's ($(wc -l <"$OUT/makedumpfile.dmesg") lines)" \
	cmp "$SD/dmesg.$S" "$OUT/makedumpfile.dmesg"
tap_eq "dump.STAMP is a flattened stream (makedumpfile's signature)" \
	makedumpfile "$(head -c 12 "$SD/dump.$S" 2>/dev/null)"

"$VMEMTRIM" -l -d 31 -e "$VMCORE" "$OUT/direct.dump" >"$OUT/direct.log" 2>&1
tap_eq "vmemtrim -l -d 31 -e VMCORE (the reference dump) exits 0" 0 "$?"
"$VMEMTRIM" -R "$OUT/kt.dump" <"$SD/dump.$S" >"$OUT/kt-R.log" 2>&1
tap_eq "vmemtrim -R of dump.STAMP exits 0" 0 "$?"
tap_check "it is byte-identical to the direct dump" cmp "$OUT/kt.dump" "$OUT/direct.dump"

# ------------------------------------------------------------- kdump-utils
mkdir -p "$OUT/ku-bin" && ln -s "$VMEMTRIM" "$OUT/ku-bin/vmemtrim"
# dump_fs: $CORE_COLLECTOR /proc/vmcore "$_dump_fs_path/vmcore-incomplete"
CC=${CONF_FS#core_collector }
mkdir -p "$OUT/ku/var/crash/127.0.0.1-DATE"
P=$OUT/ku/var/crash/127.0.0.1-DATE
# shellcheck disable=SC2086 # kdump.sh splits CORE_COLLECTOR the same way
(PATH=$OUT/ku-bin:$PATH && $CC "$VMCORE" "$P/vmcore-incomplete") \
	>"$OUT/ku-fs.log" 2>&1 && sync -f "$P/vmcore-incomplete" &&
	mv "$P/vmcore-incomplete" "$P/vmcore"
tap_eq "kdump-utils filesystem target: '$CONF_FS' writes vmcore" 0 "$?"
tap_check "it is byte-identical to the direct dump" cmp "$P/vmcore" "$OUT/direct.dump"

# dump_raw: $CORE_COLLECTOR /proc/vmcore | dd of="$1" bs=$DD_BLKSIZE
CC=${CONF_STREAM#core_collector }
head -c 64M /dev/urandom >"$OUT/raw.dev" # a device with old data on it
# shellcheck disable=SC2086
(PATH=$OUT/ku-bin:$PATH && $CC "$VMCORE" |
	dd of="$OUT/raw.dev" bs=512 conv=notrunc) >"$OUT/ku-raw.log" 2>&1
tap_eq "kdump-utils raw target: '$CONF_STREAM' | dd of=DEV bs=512" 0 "$?"
"$VMEMTRIM" -R "$OUT/ku-raw.dump" <"$OUT/raw.dev" >"$OUT/ku-raw-R.log" 2>&1
tap_eq "vmemtrim -R vmcore < DEV reads the stream back (and stops at its end mark)" 0 "$?"
tap_check "it is byte-identical to the direct dump" cmp "$OUT/ku-raw.dump" "$OUT/direct.dump"

# ------------------------------------------------------------------- crash
run_crash "$OUT/flat.crash" "$SD/dump.$S" &
run_crash "$OUT/kt.crash" "$OUT/kt.dump" &
wait
check_crash "vmemtrim -R of dump.STAMP" "$OUT/kt.crash" "$RELEASE" "2 GB" \
	"[PARTIAL DUMP] [EXCLUDED VMEMMAP]"
c=$OUT/flat.crash
tap_check "dump.STAMP itself: crash opens it and runs every command to the end" \
	grep -q '^=== end ===$' "$c"
tap_eq "dump.STAMP itself: sys shows RELEASE $RELEASE" "$RELEASE" \
	"$(section "$c" sys | sed -n 's/^ *RELEASE: //p')"
tap_check "dump.STAMP itself: bt runs through sysrq_handle_crash" \
	grep -q ' sysrq_handle_crash at ' <(section "$c" bt)
tap_check "dump.STAMP itself: log has the sysrq panic" \
	grep -q 'sysrq: Trigger a crash' <(section "$c" log)
flags=$(section "$c" sys | sed -n 's/^ *DUMPFILE: [^ ]*  *//p')
tap_note "dump.STAMP itself: crash's DUMPFILE flags: $flags"
tap_eq "dump.STAMP itself: crash does not take the -F stream for incomplete" \
	"" "$(printf '%s' "$flags" | grep -o INCOMPLETE)"

tap_note "whole test $(elapsed "$T0" "$(now)") s"
tap_done
