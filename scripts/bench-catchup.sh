#!/usr/bin/env bash
# Follower catch-up: three brokers (`sluice serve`) on 127.0.0.1, a topic with
# replication factor 3; broker 3 is stopped, RECORDS records of 1,000 bytes
# are produced (acks=all, to the other two), broker 3 is started again, and
# `sluice cluster status` is polled until each of its replicas has the
# leader's high watermark. Prints one line per change of the watermarks and
# the time from the restart to caught up (startup included). Needs python3
# and sluice on PATH (or bin/sluice: `make build`). Bounded: the produce by
# 300 s, the catch-up by CATCHUP_TIMEOUT.
#
# Environment:
#   RECORDS          records to produce while broker 3 is down (default 300000: 300 MB)
#   PARTITIONS       partitions of the topic (default 3)
#   CATCHUP_TIMEOUT  seconds to wait for broker 3 to catch up (default 180)
#   BENCH_BASE_PORT  port of broker 1; brokers use BASE..BASE+2 (default 27171)
#   TMPDIR           where the brokers' data directories are made
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
command -v sluice >/dev/null || PATH="$root/bin:$PATH"
command -v sluice >/dev/null || { echo "bench-catchup.sh: sluice not found: run 'make build'" >&2; exit 1; }

records=${RECORDS:-300000}
parts=${PARTITIONS:-3}
timeout_s=${CATCHUP_TIMEOUT:-180}
base=${BENCH_BASE_PORT:-27171}
work=$(mktemp -d "${TMPDIR:-/tmp}/sluice-bench-catchup.XXXXXX")
ctrl="1@127.0.0.1:$base,2@127.0.0.1:$((base + 1)),3@127.0.0.1:$((base + 2))"
declare -A pids=()
cleanup() {
	for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
	for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
	rm -rf "$work"
}
trap cleanup EXIT

start() {
	sluice serve --node-id "$1" --listen "127.0.0.1:$((base + $1 - 1))" --data-dir "$work/b$1" \
		--initial-controllers "$ctrl" --log-level warn >>"$work/b$1.log" 2>&1 &
	pids[$1]=$!
}

for id in 1 2 3; do start "$id"; done
broker="127.0.0.1:$base"
for _ in $(seq 150); do sluice --broker "$broker" cluster status >/dev/null 2>&1 && break; sleep 0.2; done
sluice --broker "$broker" topic create catchup --partitions "$parts" --replication-factor 3

kill "${pids[3]}"
wait "${pids[3]}" || true
unset 'pids[3]'
echo "broker 3 stopped; producing $records records of 1000 B"
timeout 300 sluice --broker "$broker" bench produce --topic catchup --records "$records" --record-size 1000 \
	--batch-size 100 --producers 3 --quiet
start 3
python3 - "$broker" "$timeout_s" <<'PY'
import json, subprocess, sys, time

broker, limit = sys.argv[1], float(sys.argv[2])
t0, last = time.time(), None
while time.time() - t0 < limit:
    r = subprocess.run(["sluice", "--broker", broker, "cluster", "status", "--format", "json", "--topic", "catchup"],
                       capture_output=True, text=True)
    try:
        st = json.loads(r.stdout)
    except ValueError:
        st = {"partitions": []}
    view, done = [], bool(st["partitions"])
    for p in st["partitions"]:
        hw = {x["broker_id"]: x["high_watermark"] for x in p["replicas"]}
        lead = hw.get(p["leader_id"])
        view.append((p["partition"], lead, hw.get(3)))
        done = done and lead is not None and hw.get(3) == lead
    if view != last:
        print("%5.1fs  (partition, leader's high watermark, broker 3's): %s" % (time.time() - t0, view), flush=True)
        last = view
    if done:
        print("broker 3 caught up %.2f s after its restart" % (time.time() - t0))
        sys.exit(0)
    time.sleep(0.25)
print("broker 3 NOT caught up %.0f s after its restart" % limit)
sys.exit(1)
PY
