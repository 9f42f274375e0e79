#!/usr/bin/env bash
# test-failures.sh LOG: after a failed `go test`, repeat what failed at the end
# of the output, where CI shows it: each data race report (the two accesses
# first, the goroutines' origins shortened) and every --- FAIL line with the
# lines the test logged. A race report in the middle of a long parallel run is
# otherwise cut off by CI's view of the output's tail.
set -euo pipefail
log=${1:?usage: test-failures.sh LOG}

echo
echo "======== what failed (repeated from $log) ========"
awk '
	/^WARNING: DATA RACE/ { inrace = 1; n = 0; races++; print "---- data race " races; next }
	inrace && /^==================/ { inrace = 0; print ""; next }
	# Keep each stack short: the function lines, not the file:line lines
	# of the runtime and testing packages.
	inrace && n < 80 { if ($0 !~ /^[ \t]+\/usr\/local\/go\/src\//) { print; n++ } }
' "$log"
grep -E -A12 '^\s*--- FAIL' "$log" | grep -v -E "^[[:space:]]+/usr/local/go/src/" | head -200 || true
grep -E "^(FAIL[[:space:]]|panic:)" "$log" | sort -u || true
