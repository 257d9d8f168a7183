#!/bin/sh
# corrupt.py (docs/mkvmcore.md, "Corrupting a vmcore"): every kind patches
# exactly the bytes it says (read back from the vmcore and compared with
# the clean copy), relabels exactly the pfns the documented rule names,
# keeps the truth's runs sorted, merged and covering the same pfns, and
# its rewritten removable sets agree with check_truth.py's recomputation;
# the vmcore still parses (libkdumpfile after VMCOREINFO edits); the same
# seed gives identical files; bad usage exits 2 with one line and changes
# nothing.
set -u
# shellcheck disable=SC1091
. tests/lib/tap.sh
BUILD=${BUILD:-build}
MK=$BUILD/mkvmcore
PY=/usr/bin/python3
CORRUPT=tests/mkvmcore/corrupt.py
CHK="$PY tests/mkvmcore/check_truth.py"
W=$BUILD/test-work/corrupt-tool
rm -rf "$W"
mkdir -p "$W"
trap 'rm -rf "$W"' EXIT
start=$(date +%s)

if [ ! -x "$MK" ]; then
	tap_fail "$MK is built (make $MK)"
	tap_done
fi

# The independent checker: CLEAN CLEAN.truth VMCORE VMCORE.truth KIND...
cat >"$W/verify.py" <<'EOF'
import os
import struct
import sys
sys.path.insert(0, "tests/mkvmcore")
from check_truth import Truth

clean, ctruth, vm, vtruth = sys.argv[1:5]
kinds = sys.argv[5:]
bad = []
T0, T1 = Truth(ctruth), Truth(vtruth)
F = lambda k: int(T0.facts[k], 16)
maxpfn, vb, pob = T0.max_pfn, F("vmemmap_base"), F("page_offset_base")
l5 = T0.facts["l5"] == "1"


def phdrs(path):
    with open(path, "rb") as f:
        eh = f.read(64)
        assert eh[:4] == b"\x7fELF", "not ELF"
        phoff = struct.unpack_from("<Q", eh, 32)[0]
        n = struct.unpack_from("<H", eh, 56)[0]
        f.seek(phoff)
        b = f.read(56 * n)
    return [struct.unpack_from("<IIQQQQQQ", b, 56 * i) for i in range(n)]


P0, P1 = phdrs(clean), phdrs(vm)
if [p for p in P0 if p[0] == 1] != [p for p in P1 if p[0] == 1]:
    bad.append("PT_LOADs changed")
loads = [p for p in P0 if p[0] == 1 and p[3] < 0xffffffff80000000]
ktext = [p for p in P0 if p[0] == 1 and p[3] >= 0xffffffff80000000][0]


def paddr_of(off):
    for p in loads:
        if p[2] <= off < p[2] + p[5]:
            return p[4] + off - p[2], 0
    if ktext[2] <= off < ktext[2] + ktext[5]:
        return ktext[4] + off - ktext[2], 1
    return None, None


# every changed 8-byte word, by physical address (both copies agree),
# from `cmp -l CLEAN VMCORE` (in CMPLIST)
diff = {}
notes_changed = False
words = sorted(set((int(ln.split()[0]) - 1) & ~7 for ln in
                   open(os.environ["CMPLIST"]) if ln.strip()))
with open(clean, "rb") as a, open(vm, "rb") as b:
    for off in words:
        a.seek(off)
        b.seek(off)
        old = struct.unpack("<Q", a.read(8))[0]
        new = struct.unpack("<Q", b.read(8))[0]
        pa, kt = paddr_of(off)
        if pa is None:
            notes_changed = True
            continue
        if pa in diff and diff[pa] != (old, new):
            bad.append("the two copies of %#x differ" % pa)
        diff[pa] = (old, new)

# the truth's runs: sorted, contiguous, merged, same pfns
def cover(t):
    return [(a, b) for a, b, c, _ in t.runs]
r1 = T1.runs
if r1[0][0] != 0 or r1[-1][1] != T0.runs[-1][1] or any(
        r1[i][1] != r1[i + 1][0] for i in range(len(r1) - 1)):
    bad.append("runs do not cover 0 .. end contiguously")
if any(r1[i][2:] == r1[i + 1][2:] for i in range(len(r1) - 1)):
    bad.append("adjacent runs of the same class and zero flag")
if T1.counts:
    bad.append("count lines kept")
end = r1[-1][1]
names = sorted({r[2] for r in T0.runs + T1.runs})
ix = {n: i for i, n in enumerate(names)}
def arr(t):
    o = bytearray(end)
    for a, b, c, _ in t.runs:
        o[a:b] = bytes((ix[c],)) * (b - a)
    return o
C0, C1 = arr(T0), arr(T1)
changed = set(i for i in range(end) if C0[i] != C1[i])
listed = set()
for k, a, b in T1.corrupt:
    listed.update(range(a, b))
if any(C1[p] != ix["corrupt"] for p in changed):
    bad.append("a pfn changed to a class other than corrupt")
if changed != listed:
    bad.append("corrupt lines (%d pfns) != relabelled pfns (%d)" %
               (len(listed), len(changed)))
hole = ix["hole"]
if any(C0[p] == hole for p in changed):
    bad.append("a hole was relabelled")


# struct page address <-> pfn through the clean truth
inv = {}
for s, (mode, base) in T0.vmemmap.items():
    for g in range(512):
        pfn = (s << 15) + g * 64
        inv.setdefault(T0.vmemmap_phys(pfn), pfn)
def sp_pfn(pa):
    p = inv.get(pa >> 12)
    return None if p is None else (p + (pa & 4095) // 64, pa & 63)
def sp_addr(pfn):
    return (T0.vmemmap_phys(pfn) << 12) + (pfn & 63) * 64
f0 = open(clean, "rb")
def rd(pa, n):
    for p in loads:
        if p[4] <= pa < p[4] + p[5]:
            f0.seek(p[2] + pa - p[4])
            return f0.read(n)
def sp_old(pfn):
    return rd(sp_addr(pfn), 64)
def u(b, o, n=8):
    return int.from_bytes(b[o:o + n], "little")

def ranges_of(kind):
    return sorted((a, b) for k, a, b in T1.corrupt if k == kind)

expect = set()			# pfns we derive from the bytes
kernel = (ktext[4] >> 12, (ktext[4] + ktext[5] + 4095) >> 12)
hvo = [(h, h + 512) for h in T0.hvo]
for k, a, b in T1.corrupt:
    if k in ("pmd-outside", "pmd-loop"):
        continue
    if a < 0x100 or a < kernel[1] and b > kernel[0] or any(
            a < e and b > s for s, e in hvo):
        bad.append("%s victim %#x in a forbidden range" % (k, a))
    if {names[C0[p]] for p in range(a, b)} & {"vmemmap", "pagetable"}:
        bad.append("%s victim %#x of class vmemmap/pagetable" % (k, a))

sp_words = {}
for pa, v in diff.items():
    s = sp_pfn(pa)
    if s is not None:
        sp_words.setdefault(s[0], {})[s[1]] = v
PT = ("pmd-outside", "pmd-loop", "mem-section")
other = [pa for pa in diff if sp_pfn(pa) is None]

def block_len(old):
    if u(old, 48, 4) == 0xffffff7f:
        return 1 << u(old, 40)
    return 1

kmin = 0xff00000000000000 if l5 else 0xffff800000000000
for kind in kinds:
    got = ranges_of(kind)
    n = T1.corrupted.get(kind, 0)
    if kind == "garbage":
        want = []
        for p, w in sp_words.items():
            old = sp_old(p)
            new = bytearray(old)
            for o, (x, y) in w.items():
                new[o:o + 8] = y.to_bytes(8, "little")
            ch, m = u(new, 8), u(new, 24)
            impl = (ch & 1 or m and not ((m & ~3) >= kmin and not m & 4))
            if not impl or u(new, 48, 4) in (0xffffff7f, 0xfffffeff,
                                             0xfffffdff, 0xfffffbff):
                bad.append("garbage struct page of %#x is plausible" % p)
            want.append((p, p + block_len(old)))
        if sorted(want) != got or len(got) != n:
            bad.append("garbage: relabelled %s, struct pages say %s" %
                       (got[:4], sorted(want)[:4]))
    elif kind == "buddy-order":
        want = []
        for p, w in sp_words.items():
            old = sp_old(p)
            if list(w) != [40] or u(old, 48, 4) != 0xffffff7f or \
                    u(old, 40) < 1:
                bad.append("buddy-order: pfn %#x changed %s" % (p, list(w)))
                continue
            r, o = u(old, 40), w[40][1]
            if o >= 11 or p & ((1 << o) - 1):
                want.append((p, p + (1 << r)))
            elif o > r:
                q = next(x for x in range(p, p + (1 << o))
                         if names[C0[x]] != "free")
                want.append((q, q + 1))
            else:
                bad.append("buddy-order: %#x order %d -> %d is valid" %
                           (p, r, o))
        if sorted(want) != got or len(got) != n:
            bad.append("buddy-order: relabelled %s, struct pages say %s" %
                       (got, sorted(want)))
    elif kind == "compound-head":
        want = []
        for p, w in sp_words.items():
            if list(w) != [8]:
                bad.append("compound-head: pfn %#x changed %s" % (p, list(w)))
                continue
            v = w[8][1]
            h = v - 1
            if not v & 1 or (vb <= h < vb + maxpfn * 64):
                bad.append("compound-head: %#x -> %#x is a RAM struct page"
                           % (p, v))
            if names[C0[p]] == "hugetlb":
                if p & 511 != 1:
                    bad.append("compound-head: hugetlb pfn %#x not page[1]"
                               % p)
                want.append((p - 1, p + 511))
            else:
                want.append((p, p + block_len(sp_old(p))))
        if sorted(want) != got or len(got) != n:
            bad.append("compound-head: relabelled %s, struct pages say %s" %
                       (got, sorted(want)))
    elif kind in ("pmd-outside", "pmd-loop"):
        secs = [s for s, (mo, _) in T1.vmemmap.items() if mo == "bad"]
        if len(secs) != n or len(other) != n:
            bad.append("%s: %d bad sections, %d changed words" %
                       (kind, len(secs), len(other)))
        for pa in other:
            old, new = diff[pa]
            if names[C0[pa >> 12]] != "pagetable" or not old & 0x80:
                bad.append("%s: %#x is not a vmemmap PMD leaf" % (kind, pa))
            if kind == "pmd-outside" and (
                    not new & 0x80 or (new & 0xfffffffe00000) >> 12 < maxpfn
                    or new & ~0xfffffffe00000 != old & ~0xfffffffe00000):
                bad.append("pmd-outside: entry %#x -> %#x" % (old, new))
            if kind == "pmd-loop" and new != (pa & ~4095) | 0x63:
                bad.append("pmd-loop: entry %#x -> %#x" % (old, new))
        want = set()
        for s in secs:
            base = T0.vmemmap[s][1]
            want.update(p for p in range(s << 15, (s + 1) << 15)
                        if p < end and names[C0[p]] != "hole")
            want.update(range(base, base + 512))
        if want != changed:
            bad.append("%s: relabelled %d pfns, want %d" %
                       (kind, len(changed), len(want)))
    elif kind == "mem-section":
        ms = int(T0.facts["mem_section"], 16) - pob
        for pa in other:
            if not ms <= pa < ms + 2048 * 8:
                bad.append("mem-section: changed %#x outside the roots" % pa)
            old, new = diff[pa]
            if new and (new - pob) >> 12 < maxpfn:
                bad.append("mem-section: root -> %#x is RAM" % new)
        if len(other) != n or changed:
            bad.append("mem-section: %d roots changed, %d pfns relabelled"
                       % (len(other), len(changed)))
        nsec = (end + 32767) >> 15
        used = [x for x in (u(rd(ms, 8 * ((nsec + 255) // 256)), 8 * i)
                            for i in range((nsec + 255) // 256)) if x]
        if (n == len(used)) != ("mem_section_all_broken" in T1.facts):
            bad.append("mem_section_all_broken wrong (%d of %d roots)" %
                       (n, len(used)))
    elif kind.startswith("vmcoreinfo-"):
        if diff or changed or not notes_changed:
            bad.append("%s: %d words, %d pfns changed, notes %s" %
                       (kind, len(diff), len(changed), notes_changed))
        import kdumpfile
        k = kdumpfile.kdumpfile(vm)
        k.attr["addrxlat.ostype"] = "linux"
        raw = bytes(k.attr["linux.vmcoreinfo.raw"]).decode().split("\n")
        key, _, val = os.environ["VI"].partition("=")
        have = [x.split("=", 1)[1] for x in raw if x.split("=", 1)[0] == key]
        if kind == "vmcoreinfo-drop" and have or \
                kind == "vmcoreinfo-set" and have != [val]:
            bad.append("%s: libkdumpfile reads %s = %s" % (kind, key, have))
        if k.attr["linux.uts.release"] != "6.1.0-56-cloud-amd64" or \
                "CRASHTIME" not in raw[-2]:
            bad.append("VMCOREINFO is not intact otherwise")
        if T1.vmcoreinfo_corrupt != [key]:
            bad.append("vmcoreinfo_corrupt lines %s" % T1.vmcoreinfo_corrupt)
        nt = [p for p in P1 if p[0] == 4][0]
        with open(vm, "rb") as f:
            f.seek(nt[2])
            nb = f.read(nt[5] + (-(nt[2] + nt[5]) % 4096))
        if any(nb[nt[5]:]) or nt[5] != nt[6]:
            bad.append("PT_NOTE p_filesz %#x wrong" % nt[5])
# nothing outside the struct pages / PMD entries / roots changed
if kinds and not any(k in PT for k in kinds) and other:
    bad.append("words changed outside struct pages: %s" %
               [hex(x) for x in other[:4]])
# victims never overlap
allr = sorted((a, b) for _, a, b in T1.corrupt)
if any(allr[i][1] > allr[i + 1][0] for i in range(len(allr) - 1)):
    bad.append("two corruptions overlap")
for m in bad[:8]:
    print("# " + m)
print("# %d words patched, %d pfns relabelled" % (len(diff), len(changed)))
sys.exit(1 if bad else 0)
EOF

# undo.py CMPLIST FILE: put back the clean bytes `cmp -l` listed (a copy
# or a checksum of 2 GiB per case would cost seconds; this costs nothing)
cat >"$W/undo.py" <<'EOF'
import os
import sys
fd = os.open(sys.argv[2], os.O_WRONLY)
for ln in open(sys.argv[1]):
    w = ln.split()
    if len(w) == 3:
        os.pwrite(fd, bytes((int(w[1], 8),)), int(w[0]) - 1)
os.close(fd)
EOF

# gen NAME ARGS: a clean vmcore NAME (+ .truth) and its working copy NAME.w
gen() {
	n=$1
	shift
	if ! $MK -o "$W/$n" "$@" 2>"$W/err"; then
		tap_fail "mkvmcore $*" "$(cat "$W/err")"
		return 1
	fi
	cp --sparse=always "$W/$n" "$W/$n.w" && cp "$W/$n.truth" "$W/$n.w.truth"
}
# changes NAME: the bytes corrupt.py changed, listed in NAME.cmp
changes() {
	cmp -l "$W/$1" "$W/$1.w" >"$W/$1.cmp" 2>"$W/err"
	[ ! -s "$W/err" ] || tap_fail "$1: vmcore size unchanged" "$(cat "$W/err")"
}
# restore NAME: the working copy is the clean vmcore again
restore() {
	$PY "$W/undo.py" "$W/$1.cmp" "$W/$1.w"
	cp "$W/$1.truth" "$W/$1.w.truth"
}
# verify NAME [KIND]
verify() {
	n=$1
	shift
	CMPLIST=$W/$n.cmp $PY "$W/verify.py" "$W/$n" "$W/$n.truth" "$W/$n.w" \
		"$W/$n.w.truth" "$@"
}

gen c --ram 2G --profile mixed --seed 3 || tap_done
V=$W/c.w

# one kind at a time
while IFS='|' read -r label seed spec; do
	if ! out=$($PY $CORRUPT "$V" --seed "$seed" --kind "$spec" 2>&1); then
		tap_fail "$label: corrupt.py --kind $spec" "$out"
		continue
	fi
	changes c
	VI=${spec#*:}
	export VI
	tap_check "$label: patched bytes and relabelled pfns follow the rule" \
		verify c "${spec%%:*}"
	tap_check "$label: rewritten removable sets = check_truth.py's" \
		$CHK removable "$V.truth"
	restore c
done <<'CASES'
garbage|1|garbage:40
buddy-order|2|buddy-order:30
compound-head|3|compound-head:20
pmd-outside|4|pmd-outside:2
pmd-loop|5|pmd-loop:1
mem-section|6|mem-section:1
vmcoreinfo-drop|7|vmcoreinfo-drop:OFFSET(page.flags)
vmcoreinfo-set|8|vmcoreinfo-set:NUMBER(PG_lru)=10
CASES

# determinism: the same seed changes the same bytes and writes the same
# truth; another seed does not
for i in 1 2 3; do
	seed=11
	[ $i -eq 3 ] && seed=12
	$PY $CORRUPT "$V" --seed $seed --kind garbage:10 --kind buddy-order:6 \
		--kind compound-head:4 --kind pmd-outside:1 \
		--kind 'vmcoreinfo-set:SIZE(page)=56' >/dev/null 2>&1
	changes c
	cat "$W/c.cmp" "$V.truth" | sha256sum | cut -c1-64 >"$W/sum$i"
	restore c
done
tap_eq "same seed gives identical vmcore and truth (sha256 of changes)" \
	"$(cat "$W/sum1")" "$(cat "$W/sum2")"
if [ "$(cat "$W/sum1")" != "$(cat "$W/sum3")" ]; then
	tap_ok "another seed gives another corruption"
else
	tap_fail "another seed gives another corruption"
fi

# bad usage: exit 2, one line, nothing changed, no temporary file left
while IFS='|' read -r code args; do
	# shellcheck disable=SC2086
	$PY $CORRUPT $args >/dev/null 2>"$W/err"
	rc=$?
	if [ "$rc" -eq "$code" ] && [ "$(wc -l <"$W/err")" -eq 1 ] &&
		cmp -s "$V.truth" "$W/c.truth" && [ ! -e "$V.truth.tmp" ]; then
		tap_ok "rejects '${args#"$W/"}' (exit $rc: $(cut -c1-80 "$W/err"))"
	else
		tap_fail "rejects '${args#"$W/"}'" "exit $rc, want $code" \
			"$(cat "$W/err")"
	fi
done <<CASES
2|$V
2|$V --seed 1
2|$V --seed x --kind garbage:1
2|$V --seed 1 --kind garbage
2|$V --seed 1 --kind garbage:0
2|$V --seed 1 --kind lunch:3
2|$V --seed 1 --kind pmd-outside:100
2|$V --seed 1 --kind mem-section:2
2|$V --seed 1 --kind garbage:1000000
2|$V --seed 1 --kind vmcoreinfo-drop:NO_SUCH_KEY
2|$V --seed 1 --kind vmcoreinfo-set:SIZE(page)
2|$V --seed 1 --kind garbage:1 --bogus
1|$W/nonexistent --seed 1 --kind garbage:1
CASES
tap_check "rejected requests left the vmcore untouched" cmp -s "$W/c" "$V"
rm -f "$W/c" "$V"

# everything at once, HVO and two nodes: victims avoid HVO, never overlap
if gen h --ram 1G --profile mixed --seed 3 --hvo 4 --nodes 2; then
	if out=$($PY $CORRUPT "$W/h.w" --seed 9 --kind garbage:60 \
		--kind buddy-order:30 --kind compound-head:20 \
		--kind pmd-outside:1 --kind pmd-loop:1 2>&1); then
		changes h
		tap_check "all kinds, --hvo 4 --nodes 2: victims allowed, disjoint, truth consistent" \
			verify h
		tap_check "all kinds, --hvo 4 --nodes 2: removable sets = check_truth.py's" \
			$CHK removable "$W/h.w.truth"
		tap_check "all kinds: libkdumpfile and drgn read struct pages of intact sections" \
			$CHK reader "$W/h.w" "$W/h.w.truth"
	else
		tap_fail "all kinds, --hvo 4 --nodes 2: corrupt.py" "$out"
	fi
	rm -f "$W/h" "$W/h.w"
fi

# a vmcore without hugetlb pages: compound-head victims are single pages
if gen i --ram 1G --profile idle --seed 2; then
	if grep -q '^r .* hugetlb' "$W/i.truth"; then
		tap_fail "idle 1G has no hugetlb pages"
	elif out=$($PY $CORRUPT "$W/i.w" --seed 1 --kind compound-head:4 2>&1); then
		changes i
		tap_check "no hugetlb pages: compound-head victims are single pages" \
			verify i compound-head
	else
		tap_fail "no hugetlb pages: compound-head" "$out"
	fi
fi
tap_note "took $(($(date +%s) - start)) s"
tap_done
