#!/bin/sh
# make demo: generate a sample vmcore of a simulated machine, describe it,
# filter it with Debian's makedumpfile (the peer) and with vmemtrim, and
# show with vmemtrim-inspect what vmemtrim's -e dump lacks. Needs `make
# all` first (make demo does it).
set -eu
BUILD=${BUILD:-build}
RAM=${DEMO_RAM:-4G}
dir=$BUILD/demo
mkdir -p "$dir"
rm -rf "${dir:?}"/*
vmcore=$dir/vmcore
truth=$vmcore.truth

field() { awk -v k="$1" '$1 == k { print $2; exit }' "$truth"; }
mib() { echo $(($1 * 4096 / 1048576)); }
now() { date +%s.%N; }
secs() { echo "$1 $2" | awk '{ printf "%.1f", $2 - $1 }'; }

echo "== 1. A synthetic machine: $RAM of RAM, Linux 6.1 x86_64, mixed workload"
t0=$(now)
"$BUILD/mkvmcore" -o "$vmcore" --ram "$RAM" --profile mixed --seed 1
t1=$(now)
echo "   $BUILD/mkvmcore -o $vmcore --ram $RAM --profile mixed --seed 1"
echo "   written in $(secs "$t0" "$t1") s: $(du -h --apparent-size "$vmcore" |
	cut -f1) apparent, $(du -h "$vmcore" | cut -f1) on disk (sparse)"

echo
echo "== 2. What the vmcore is (an ELF core, as /proc/vmcore shows it)"
readelf -lW "$vmcore" | awk '$1 == "LOAD" { n++ } $1 == "NOTE" { k++ }
	END { printf "   %d PT_LOAD segments, %d PT_NOTE\n", n, k }'
/usr/bin/python3 tests/lib/elfnotes.py "$vmcore" |
	awk '{ c[$1]++ } END { for (n in c) printf "   note %-10s x %d\n", n, c[n] }'
/usr/bin/python3 tests/lib/elfnotes.py --vmcoreinfo "$vmcore" |
	grep -E '^(OSRELEASE|KERNELOFFSET|SIZE\(page\)|NUMBER\(pgtable_l5)' |
	sed 's/^/   VMCOREINFO /'
echo "   page_offset_base $(field page_offset_base)," \
	"vmemmap_base $(field vmemmap_base) (KASLR)"

echo
echo "== 3. Its pages by class (from the ground-truth sidecar $truth)"
awk '$1 == "class" && $3 > 0 {
	printf "   %-14s %9d pages %7.1f MiB\n", $2, $3, $3 * 4096 / 1048576 }' \
	"$truth"
vm=$(awk '$1 == "class" && $2 == "vmemmap" { print $3 }' "$truth")
rm31=$(awk '$1 == "removable" && $3 ~ /(=|,)31(,|$)/ {
	sub("pages=", "", $4); print $4 }' "$truth")
echo "   struct pages fill $vm vmemmap pages ($(mib "$vm") MiB);" \
	"at dump level 31, $rm31 of them ($(mib "$rm31") MiB) describe only" \
	"excluded pages: that is what -e can leave out"

echo
echo "== 4. The peer: Debian's makedumpfile $(makedumpfile -v 2>&1 |
	awk 'NR==1 { print $3 }')"
t0=$(now)
makedumpfile -l -d 31 --message-level 1 "$vmcore" "$dir/dump-d31" \
	>"$dir/makedumpfile.log" 2>&1
t1=$(now)
makedumpfile -l -d 31 -e --work-dir "$dir" --message-level 1 "$vmcore" \
	"$dir/dump-d31-e" >"$dir/makedumpfile-e.log" 2>&1
t2=$(now)
printf '   makedumpfile -l -d 31        %6s MiB  %s s\n' \
	$(($(stat -c %s "$dir/dump-d31") / 1048576)) "$(secs "$t0" "$t1")"
printf '   makedumpfile -l -d 31 -e     %6s MiB  %s s\n' \
	$(($(stat -c %s "$dir/dump-d31-e") / 1048576)) "$(secs "$t1" "$t2")"
mde=$(sed -n 's/.*Excluded \([0-9]*\) unused vmemmap pages.*/\1/p' \
	"$dir/makedumpfile-e.log")
echo "   makedumpfile -e left out ${mde:-no} vmemmap pages of the $rm31 that" \
	"describe only excluded pages"

echo
echo "== 5. vmemtrim on the same vmcore"
t0=$(now)
"$BUILD/vmemtrim" -l -d 31 --message-level 4 "$vmcore" "$dir/vt-d31"
t1=$(now)
"$BUILD/vmemtrim" -l -d 31 -e --message-level 20 "$vmcore" "$dir/vt-d31-e" \
	>"$dir/vmemtrim-e.log"
t2=$(now)
printf '   vmemtrim -l -d 31            %6s MiB  %s s\n' \
	$(($(stat -c %s "$dir/vt-d31") / 1048576)) "$(secs "$t0" "$t1")"
printf '   vmemtrim -l -d 31 -e         %6s MiB  %s s\n' \
	$(($(stat -c %s "$dir/vt-d31-e") / 1048576)) "$(secs "$t1" "$t2")"
vte=$(sed -n 's/^Excluded \([0-9]*\) unused vmemmap pages.*/\1/p' \
	"$dir/vmemtrim-e.log")
echo "   vmemtrim -e left out $vte vmemmap pages of the $rm31 that describe" \
	"only excluded pages (makedumpfile: ${mde:-none})"

echo
echo "== 6. The reader: what is in vmemtrim's -e dump, without crash"
inspect=$BUILD/vmemtrim-inspect
echo "   $inspect --ranges $dir/vt-d31-e"
"$inspect" --ranges "$dir/vt-d31-e" >"$dir/inspect.txt"
sed -n '/^status:/p; /^pages:/,/^vmcoreinfo:/p; /^struct pages:/,/^pfn ranges/p' \
	"$dir/inspect.txt" | grep -v -e '^vmcoreinfo:' -e '^pfn ranges' |
	sed 's/^/   /'
echo "   first ranges of pfns whose struct page is not in the dump:"
sed -n '/^pfn ranges/,$p' "$dir/inspect.txt" | sed -n '2,6p' | sed 's/^/   /'
echo "   ..."
tail -n 1 "$dir/inspect.txt" | sed 's/^/   /'
pfn=$(sed -n '/^pfn ranges/,$p' "$dir/inspect.txt" | awk 'NR == 3 { print $1 }')
if [ -n "$pfn" ]; then
	echo "   $inspect --pfn $pfn $dir/vt-d31-e"
	"$inspect" --pfn "$pfn" "$dir/vt-d31-e" | sed -n '/^pfn /,$p' |
		sed 's/^/   /'
fi

