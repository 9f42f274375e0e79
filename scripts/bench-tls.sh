#!/usr/bin/env bash
# The cost of TLS: produce and consume throughput of one local broker with
# TLS off and on (mTLS: the client presents a certificate), runs alternating
# between the two so that the load of a shared machine falls on both alike.
# Each broker is a one-broker `sluice dev` (plaintext, and --tls with its
# local CA). Prints one line per run and a summary (min-max over runs); the
# figures in docs/security.md come from it. Needs jq and sluice on PATH
# (or bin/sluice).
#
# Environment:
#   BENCH_RUNS       runs of each mode (default 3)
#   BENCH_DURATION   seconds of each produce run (default 5)
#   BENCH_BASE_PORT  port of the plaintext broker; the TLS one is +10 (default 27171)
#   TMPDIR           where the brokers' data directories are made
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
command -v sluice >/dev/null || PATH="$root/bin:$PATH"
command -v sluice >/dev/null || { echo "bench-tls.sh: sluice not found: run 'make build'" >&2; exit 1; }
command -v jq >/dev/null || { echo "bench-tls.sh: needs jq" >&2; exit 1; }

runs=${BENCH_RUNS:-3}
dur=${BENCH_DURATION:-5}
base=${BENCH_BASE_PORT:-27171}
work=$(mktemp -d "${TMPDIR:-/tmp}/sluice-bench-tls.XXXXXX")
declare -a pids=()
cleanup() {
	for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
	for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
	rm -rf "$work"
}
trap cleanup EXIT

start() { # mode port [flags]
	local mode=$1 port=$2
	shift 2
	sluice dev --brokers 1 --base-port "$port" --data-dir "$work/$mode" "$@" >"$work/$mode.out" 2>"$work/$mode.log" &
	pids+=($!)
	for _ in $(seq 600); do
		grep -q '^Try:' "$work/$mode.out" && return
		sleep 0.1
	done
	echo "bench-tls.sh: the $mode broker did not start; its log:" >&2
	cat "$work/$mode.log" >&2
	exit 1
}
start plain "$base"
start tls $((base + 10)) --tls

declare -A flags
flags[plain]="--broker 127.0.0.1:$base"
flags[tls]="--broker 127.0.0.1:$((base + 10)) --tls-ca $work/tls/tls/ca.pem --tls-cert $work/tls/tls/client.pem --tls-key $work/tls/tls/client-key.pem"

echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
for i in $(seq "$runs"); do
	for mode in plain tls; do
		# shellcheck disable=SC2086 # flags are words
		sluice ${flags[$mode]} bench produce --topic "tls-bench-$i" --partitions 1 --record-size 100 --acks all \
			--producers 8 --max-in-flight 4 --batch-size 1000 --records 100000000 --duration "${dur}s" --quiet --json \
			>"$work/$mode-produce-$i.json"
		# shellcheck disable=SC2086
		sluice ${flags[$mode]} bench consume --topic "tls-bench-$i" --partitions 0 --quiet --json >"$work/$mode-consume-$i.json"
		jq -r --arg mode "$mode" --arg run "$i" --slurpfile c "$work/$mode-consume-$i.json" \
			'"run \($run) \($mode): produce \(.records_per_sec|floor) records/s \(.mb_per_sec*10|floor/10) MB/s p50 \(.latency_ms.p50) ms; consume \($c[0].records_per_sec|floor) records/s \($c[0].mb_per_sec*10|floor/10) MB/s"' \
			"$work/$mode-produce-$i.json"
	done
done
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
for mode in plain tls; do
	for kind in produce consume; do
		jq -s -r --arg mode "$mode" --arg kind "$kind" \
			'map(.records_per_sec) | "\($mode) \($kind): \(min|floor)-\(max|floor) records/s over \(length) runs"' \
			"$work/$mode-$kind"-*.json
	done
done
