#!/bin/sh
# Fuzz every built harness briefly (FUZZ_SECONDS each, default 6), so that
# `make check` replays the corpus grown by earlier runs and looks a little
# further. One TAP line per harness comes from fuzz/run.sh; findings are in
# $BUILD/fuzz/findings/NAME/ (see fuzz/README.md).
set -u
# shellcheck disable=SC1091
. tests/lib/tap.sh
BUILD=${BUILD:-build}
seconds=${FUZZ_SECONDS:-6}

bins=$(find "$BUILD/fuzz" -maxdepth 1 -name 'fuzz_*' -type f -perm -u+x \
	2>/dev/null | sort)
if [ -z "$bins" ]; then
	tap_fail "fuzz harnesses are built" \
		"no $BUILD/fuzz/fuzz_* (make fuzz-programs)"
	tap_done
fi
# Every finding fixed so far, replayed by its harness: no report, and
# within 10 s (fuzz/regress/NAME/: the inputs, named after what they hit).
for f in fuzz/regress/*/*; do
	[ -f "$f" ] || continue
	name=$(basename "$(dirname "$f")")
	bin=$BUILD/fuzz/fuzz_$name
	if out=$(timeout 10 "$bin" "$f" 2>&1); then
		tap_ok "regression $name/$(basename "$f") replays clean"
	else
		tap_fail "regression $name/$(basename "$f") replays clean" \
			"$(printf '%s\n' "$out" | tail -n 5)"
	fi
done
tap_note "fuzzing $(echo "$bins" | wc -l) harnesses for $seconds s each"
# shellcheck disable=SC2086 # one word per harness path
fuzz/run.sh "$seconds" $bins || TAP_FAILED=$((TAP_FAILED + 1))
tap_done
