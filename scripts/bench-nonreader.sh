#!/usr/bin/env bash
# bench-nonreader.sh measures what a producer that never reads its responses
# costs the other producers of its broker (docs/benchmarks.md, "A producer
# that does not read"). On a fresh single-node broker on 127.0.0.1 it runs,
# RUNS times (default 3), a 5 s `sluice bench produce` to a new topic without,
# then with, bench/nonreader stalled on another topic, and prints records/s.
# Each bench run is cut off after 30 s (a stalled broker answers nothing).
#
# Usage: scripts/bench-nonreader.sh [RUNS]   (builds bin/sluice and bin/nonreader)
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
runs=${1:-3}
addr=127.0.0.1:17071
go build -o bin/sluice ./cmd/sluice
go build -o bin/nonreader ./bench/nonreader
work=$(mktemp -d "${TMPDIR:-/tmp}/sluice-nonreader.XXXXXX")
broker_pid= nr_pid=
cleanup() {
	for p in $nr_pid $broker_pid; do
		kill "$p" 2>/dev/null || true
		wait "$p" 2>/dev/null || true
	done
	rm -rf "$work"
}
trap cleanup EXIT

bin/sluice serve --data-dir "$work/data" --listen "$addr" --log-level warn 2>"$work/broker.log" &
broker_pid=$!
for _ in $(seq 100); do bin/sluice --broker "$addr" topic list >/dev/null 2>&1 && break; sleep 0.1; done
bin/sluice --broker "$addr" topic create stuck --partitions 1 >/dev/null

bench() {
	timeout 30 bin/sluice --broker "$addr" bench produce --topic "$1" --partitions 1 --record-size 100 \
		--acks all --producers 4 --max-in-flight 4 --batch-size 1000 --records 100000000 --duration 5s --json --quiet \
		2>/dev/null | jq -r '.records_per_sec | floor' || echo "none within 30 s"
}

for r in $(seq "$runs"); do
	echo "run $r without a non-reading producer: $(bench "other-a-$r") records/s"
	bin/nonreader --broker "$addr" --topic stuck --hold 60s >"$work/nr.out" &
	nr_pid=$!
	for _ in $(seq 300); do grep -q stalled "$work/nr.out" && break; sleep 0.1; done
	echo "  nonreader: $(cat "$work/nr.out")"
	echo "run $r with a non-reading producer:    $(bench "other-b-$r") records/s"
	kill "$nr_pid"
	wait "$nr_pid" 2>/dev/null || true
	nr_pid=
done
