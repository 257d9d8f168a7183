#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
# vmemtrim-inspect's verdict (reader/verdict.c, docs/verdict.md): "dump:
# whole" or "dump: damaged (N findings)", the same in --json, and --check
# as the exit status (0 whole, 3 damaged).
#  - real fixture (VERDICT_VARIANTS, default 2g 2g-nokaslr 8g l5 hvo):
#    the ELF vmcore and vmemtrim's -l -d 31 and -l -d 31 -e dumps are
#    whole; makedumpfile 1.7.2's -l -d 31 -e dump of l5 is damaged (page
#    tables and the log dropped, EXCLUDED_VMEMMAP set with no vmemmap page
#    missing);
#  - synthetic (mkvmcore): clean is whole; the page of _stext dropped, the
#    page table that maps the kernel image dropped (elf_drop.py), a vmemmap
#    PMD pointing outside RAM and a broken mem_section root (corrupt.py)
#    are damaged, each with its finding.
set -uo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
cd "$ROOT" || exit 1
BUILD=${BUILD:-build}
export BUILD VMEMTRIM_CACHE=${VMEMTRIM_CACHE:-$HOME/.cache/vmemtrim}
OUT=$BUILD/test-work/inspect-verdict
INSPECT=$BUILD/vmemtrim-inspect
VMEMTRIM=$BUILD/vmemtrim
read -r -a VARIANTS <<<"${VERDICT_VARIANTS:-2g 2g-nokaslr 8g l5 hvo}"

. "$ROOT/tests/lib/tap.sh"
rm -rf "$OUT"
mkdir -p "$OUT"
trap 'rm -rf "$OUT"' EXIT
tap_need_built "$INSPECT" "$VMEMTRIM" "$BUILD/mkvmcore"

# verdict NAME DUMP WANT [KIND...]: --check's status, the text line, the
# JSON verdict and, for damaged, a count for each KIND
verdict() {
	local name=$1 d=$2 want=$3 rc line kinds
	shift 3
	"$INSPECT" --check "$d" >"$OUT/text" 2>"$OUT/err"
	rc=$?
	line=$(grep '^dump:' "$OUT/text")
	if [ "$want" = whole ]; then
		tap_eq "$name: --check exits 0" 0 "$rc"
		case $line in
		"dump:           whole ("*) tap_ok "$name: dump: whole" ;;
		*) tap_fail "$name: dump: whole" "$line" \
			"$(sed -n '/^dump:/,$p' "$OUT/text" | head -n 6)" \
			"$(cat "$OUT/err")" ;;
		esac
	else
		tap_eq "$name: --check exits 3" 3 "$rc"
		case $line in
		"dump:           damaged ("[0-9]*" findings)")
			tap_ok "$name: dump: damaged (N findings)" ;;
		*) tap_fail "$name: dump: damaged (N findings)" "$line" \
			"$(cat "$OUT/err")" ;;
		esac
	fi
	kinds=$*
	tap_check "$name: --json verdict says $want${kinds:+ ($kinds)}" \
		python3 -c 'import json, sys
j = json.load(open(sys.argv[1]))
v = j["verdict"]
assert v["dump"] == sys.argv[2], v
assert (v["findings"] == 0) == (sys.argv[2] == "whole"), v
assert v["findings"] == sum(v["counts"].values()), v
for k in sys.argv[3:]:
    assert v["counts"][k] > 0, (k, v)
    assert any(e["kind"] == k for e in v["examples"]), (k, v)
if sys.argv[2] == "whole":
    assert v["page_tables"] > 0 and v["image_pages"] > 0, v
' <("$INSPECT" --json "$d") "$want" "$@"
}

# synthetic
syn=$OUT/syn
if ! "$BUILD/mkvmcore" -o "$syn" --ram 4G --profile idle --seed 3 \
	2>"$OUT/mk.err"; then
	tap_fail "mkvmcore writes a vmcore" "$(cat "$OUT/mk.err")"
else
	verdict syn "$syn" whole
	for what in image kernel-pud; do
		cp --sparse=always "$syn" "$OUT/syn-$what"
		pfn=$(python3 tests/reader/elf_drop.py "$OUT/syn-$what" "$what")
		kind=kernel-image
		[ "$what" = image ] || kind=page-table
		verdict "syn-$what" "$OUT/syn-$what" damaged "$kind"
		tap_check "syn-$what: an example names pfn $pfn" \
			sh -c "'$INSPECT' '$OUT/syn-$what' | grep -q 'e.g. $kind: .*pfn $pfn'"
		rm -f "$OUT/syn-$what"
	done
	for k in pmd-outside:bad-entry mem-section:mem-section-root; do
		c=${k%%:*}
		cp --sparse=always "$syn" "$OUT/syn-$c"
		cp "$syn.truth" "$OUT/syn-$c.truth" 2>/dev/null
		if python3 tests/mkvmcore/corrupt.py "$OUT/syn-$c" --seed 1 \
			--kind "$c:1" >"$OUT/corrupt.log" 2>&1; then
			verdict "syn-$c" "$OUT/syn-$c" damaged "${k#*:}"
		else
			tap_fail "corrupt.py --kind $c:1" \
				"$(tail -n 3 "$OUT/corrupt.log")"
		fi
		rm -f "$OUT/syn-$c" "$OUT/syn-$c.truth"
	done
	"$INSPECT" --check --dmesg "$syn" >/dev/null 2>&1
	tap_eq "usage: --check with --dmesg exits 2" 2 "$?"
	tap_check "usage: --help explains --check's exit status 3" \
		sh -c "'$INSPECT' --help | grep -q -- '--check' &&
			'$INSPECT' --help | grep -q '3 with'"
	rm -f "$syn" "$syn.truth"
fi

# the real fixture
fixture=$(tests/kernel/fixture.sh "${VARIANTS[@]}" 2>"$OUT/fixture.err")
if [ $? -ne 0 ]; then
	tap_fail "real-kernel fixture (${VARIANTS[*]})" \
		"$(tail -n 5 "$OUT/fixture.err")"
fi
for v in "${VARIANTS[@]}"; do
	elf=$(awk -v k="vmcore-$v" '$1 == k {print $2}' <<<"$fixture")
	if [ -z "$elf" ]; then
		tap_fail "$v: the fixture gives a vmcore"
		continue
	fi
	verdict "$v.elf" "$elf" whole
	for kind in d31 e; do
		d=$OUT/$v.$kind
		opt=
		[ "$kind" = e ] && opt=-e
		# shellcheck disable=SC2086
		if ! "$VMEMTRIM" -l -d 31 $opt "$elf" "$d" >/dev/null 2>&1; then
			tap_fail "$v.$kind: vmemtrim writes the dump"
			continue
		fi
		verdict "$v.$kind" "$d" whole
		rm -f "$d"
	done
	if [ "$v" = l5 ]; then
		d=$OUT/l5.mdf-e
		mkdir -p "$OUT/wd"
		if makedumpfile -l -d 31 -e --work-dir "$OUT/wd" "$elf" "$d" \
			>"$OUT/mdf.log" 2>&1; then
			verdict l5.mdf-e "$d" damaged page-table log flag-unused
		else
			tap_fail "l5.mdf-e: makedumpfile -e" \
				"$(tail -n 3 "$OUT/mdf.log")"
		fi
		rm -f "$d"
	fi
done
tap_done
