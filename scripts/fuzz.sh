#!/usr/bin/env bash
# fuzz.sh: run every native Go fuzz target of the module (each
# `func FuzzX(f *testing.F)` in a _test.go file) for FUZZ_TIME each, one after
# the other: `go test -fuzz` takes one target per package per run. Targets are
# found by name in the sources, so a new one is run without being listed here.
#
# A failing input is written by go to the package's testdata/fuzz/FuzzX/,
# where plain `go test` (make test-go) then runs it as a regression test:
# commit it with the fix. Every target is run even after one fails; the
# script fails at the end, naming them.
#
#   FUZZ_TIME      how long each target runs (go's -fuzztime: 60s, or 10000x)
#   FUZZ_PARALLEL  fuzzing processes per target (default: GOMAXPROCS)
#   FUZZ_TARGETS   a regular expression choosing targets by "dir:FuzzName"
set -euo pipefail
cd "$(dirname "$0")/.."

GO=${GO:-go}
FUZZ_TIME=${FUZZ_TIME:-60s}
FUZZ_TARGETS=${FUZZ_TARGETS:-.}
parallel=()
if [[ -n ${FUZZ_PARALLEL:-} ]]; then parallel=(-parallel "$FUZZ_PARALLEL"); fi

# dir:FuzzName for every fuzz target, outside generated code and tools.
mapfile -t targets < <(
	git ls-files '*_test.go' | grep -v -E '^(gen|tools)/' |
		xargs grep -H -o -E '^func Fuzz[A-Za-z0-9_]+\(f \*testing\.F\)' |
		sed -E 's#^(.*)/[^/]+_test\.go:func (Fuzz[A-Za-z0-9_]+).*#\1:\2#' |
		grep -E -- "$FUZZ_TARGETS" | sort -u
)
if [[ ${#targets[@]} -eq 0 ]]; then
	echo "fuzz.sh: no fuzz targets match '$FUZZ_TARGETS'" >&2
	exit 1
fi

log=$(mktemp)
trap 'rm -f "$log"' EXIT
failed=()
start=$SECONDS
echo "fuzz: ${#targets[@]} targets, $FUZZ_TIME each"
for t in "${targets[@]}"; do
	dir=${t%%:*} name=${t#*:}
	if "$GO" test -run '^$' -fuzz "^${name}\$" -fuzztime "$FUZZ_TIME" "${parallel[@]}" "./$dir" >"$log" 2>&1; then
		# The last progress line has the target's exec count.
		echo "ok   $t  $(grep -E '^fuzz: elapsed' "$log" | tail -1 | sed -E 's/^fuzz: //')"
	else
		failed+=("$t")
		echo "FAIL $t"
		grep -v -E '^fuzz: elapsed' "$log" | head -60
	fi
done
echo "fuzz: ${#targets[@]} targets in $((SECONDS - start)) s"
if [[ ${#failed[@]} -gt 0 ]]; then
	echo "fuzz: failed: ${failed[*]}" >&2
	exit 1
fi
