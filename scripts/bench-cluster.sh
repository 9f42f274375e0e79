#!/usr/bin/env bash
# Three-broker benchmarks: the idle cost of 1,000 replicated partitions and
# RF=3 acks=all produce throughput, on this machine, written to
# docs/benchmarks-cluster.md. `make bench-cluster` builds bin/sluice and puts
# bin/ on PATH first. It takes about three minutes and needs jq; with go on
# PATH it also profiles one idle broker.
#
# Environment:
#   BENCH_DURATION      seconds of each produce run (default 10)
#   BENCH_IDLE_SECONDS  seconds of the idle sample (default 30)
#   BENCH_BASE_PORT     port of broker 1; brokers use BASE..BASE+2 and their
#                       pprof servers BASE+100.. (default 27071)
#   BENCH_OUT           report to write (default docs/benchmarks-cluster.md)
#   TMPDIR              where the brokers' data directories are made
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
command -v sluice >/dev/null || PATH="$root/bin:$PATH"
command -v sluice >/dev/null || { echo "bench-cluster.sh: sluice not found: run 'make bench-cluster'" >&2; exit 1; }
command -v jq >/dev/null || { echo "bench-cluster.sh: needs jq" >&2; exit 1; }

dur=${BENCH_DURATION:-10}
idle=${BENCH_IDLE_SECONDS:-30}
base=${BENCH_BASE_PORT:-27071}
out=${BENCH_OUT:-docs/benchmarks-cluster.md}
topics=10
per_topic=100
partitions=$((topics * per_topic))
work=$(mktemp -d "${TMPDIR:-/tmp}/sluice-bench-cluster.XXXXXX")
declare -a pids=()
cleanup() {
	for pid in "${pids[@]}"; do
		[[ -n $pid ]] && kill "$pid" 2>/dev/null || true
	done
	for pid in "${pids[@]}"; do
		[[ -n $pid ]] && wait "$pid" 2>/dev/null || true
	done
	rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
exec 3>&2 # progress lines of the runs go to the terminal

log() { echo "bench-cluster.sh: $*" >&2; }
tck=$(getconf CLK_TCK)
addr() { echo "127.0.0.1:$((base + $1 - 1))"; }
pprof_addr() { echo "127.0.0.1:$((base + 99 + $1))"; }
controllers="1@$(addr 1),2@$(addr 2),3@$(addr 3)"

for k in 1 2 3; do
	for a in "$(addr $k)" "$(pprof_addr $k)"; do
		if (exec 9<>"/dev/tcp/${a%:*}/${a#*:}") 2>/dev/null; then
			log "port ${a#*:} is in use: set BENCH_BASE_PORT"
			exit 1
		fi
	done
done

# --- the disk, before the brokers use it ---------------------------------------

sync4k=$(dd if=/dev/zero of="$work/dd" bs=4k count=1000 oflag=dsync 2>&1 |
	awk '/copied/ {for (i = 1; i <= NF; i++) if ($i == "s,") print 1000 / $(i - 1)}')
rm -f "$work/dd"
load_before=$(cut -d' ' -f1-3 /proc/loadavg)

# --- a cluster ------------------------------------------------------------------

# start_cluster NAME: three brokers with data in $work/NAME, serving once this
# returns; their pids in pids[1..3].
start_cluster() {
	local name=$1 k
	for k in 1 2 3; do
		mkdir -p "$work/$name"
		sluice serve --node-id "$k" --listen "$(addr "$k")" --data-dir "$work/$name/broker-$k" \
			--initial-controllers "$controllers" --pprof "$(pprof_addr "$k")" \
			>"$work/$name/broker-$k.log" 2>&1 &
		pids[k]=$!
	done
	for k in 1 2 3; do
		local i
		for i in $(seq 600); do
			grep -q 'msg="sluice broker serving"' "$work/$name/broker-$k.log" && break
			kill -0 "${pids[k]}" 2>/dev/null || { cat "$work/$name/broker-$k.log" >&2; log "broker $k exited"; exit 1; }
			((i < 600)) || { cat "$work/$name/broker-$k.log" >&2; log "broker $k did not serve within 60 s"; exit 1; }
			sleep 0.1
		done
	done
	log "cluster $name serving on $(addr 1), $(addr 2), $(addr 3) (pids ${pids[*]})"
}

# stop_cluster: SIGTERM to every broker at once; a broker still running
# $stop_limit s later is killed. Sets stop_report to each broker's time to
# exit and notes a problem for a broker that was killed or did not exit 0.
stop_limit=30
stop_cluster() {
	local t0 k status now
	local -a gone=()
	t0=$(date +%s.%N)
	for k in 1 2 3; do kill -TERM "${pids[k]}" 2>/dev/null || true; done
	while :; do
		now=$(date +%s.%N)
		for k in 1 2 3; do
			[[ -z ${gone[k]:-} ]] && ! kill -0 "${pids[k]}" 2>/dev/null &&
				gone[k]=$(awk -v t0="$t0" -v t1="$now" 'BEGIN { printf "%.1f s", t1 - t0 }')
		done
		[[ -n ${gone[1]:-} && -n ${gone[2]:-} && -n ${gone[3]:-} ]] && break
		if awk -v t0="$t0" -v t1="$now" -v l="$stop_limit" 'BEGIN { exit !(t1 - t0 > l) }'; then
			for k in 1 2 3; do
				if [[ -z ${gone[k]:-} ]]; then
					kill -KILL "${pids[k]}" 2>/dev/null || true
					gone[k]="killed after $stop_limit s"
					problems+=("broker $k of cluster $1 had not exited $stop_limit s after SIGTERM and was killed")
				fi
			done
			break
		fi
		sleep 0.1
	done
	for k in 1 2 3; do
		status=0
		wait "${pids[k]}" || status=$?
		((status == 0 || status == 137)) || problems+=("broker $k of cluster $1 exited with status $status after SIGTERM")
		pids[k]=
	done
	stop_report="broker 1 ${gone[1]}, broker 2 ${gone[2]}, broker 3 ${gone[3]}"
}

ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
rss_mib() { awk '/^VmRSS/ {printf "%.0f\n", $2 / 1024}' "/proc/$1/status"; }
hwm_mib() { awk '/^VmHWM/ {printf "%.0f\n", $2 / 1024}' "/proc/$1/status"; }
writes() { awk '/^write_bytes/ {print $2}' "/proc/$1/io" 2>/dev/null || echo 0; }
threads() { awk '/^Threads/ {print $2}' "/proc/$1/status"; }
machine_ticks() { awk '$1 == "cpu" {print $2 + $3 + $4 + $7 + $8 + $9}' /proc/stat; }

# sample_idle NAME SECONDS: each broker's CPU (% of one core), largest RSS seen
# (MiB, sampled every second), peak RSS, disk writes (KB/s) and threads over
# SECONDS, one line per broker in $work/NAME.idle; the whole machine's busy
# cores in $work/NAME.machine.
sample_idle() {
	local name=$1 secs=$2 k s
	local -a t0 w0 max
	local m0
	m0=$(machine_ticks)
	for k in 1 2 3; do t0[k]=$(ticks "${pids[k]}"); w0[k]=$(writes "${pids[k]}"); max[k]=0; done
	local start
	start=$(date +%s.%N)
	for ((s = 0; s < secs; s++)); do
		sleep 1
		for k in 1 2 3; do
			local r
			r=$(rss_mib "${pids[k]}")
			((r > max[k])) && max[k]=$r
		done
	done
	local wall
	wall=$(awk -v t0="$start" -v t1="$(date +%s.%N)" 'BEGIN { print t1 - t0 }')
	: >"$work/$name.idle"
	for k in 1 2 3; do
		awk -v t0="${t0[k]}" -v t1="$(ticks "${pids[k]}")" -v w0="${w0[k]}" -v w1="$(writes "${pids[k]}")" \
			-v tck="$tck" -v wall="$wall" -v rss="${max[k]}" -v hwm="$(hwm_mib "${pids[k]}")" -v th="$(threads "${pids[k]}")" \
			'BEGIN { printf "%.1f %d %d %.1f %d\n", (t1 - t0) / tck / wall * 100, rss, hwm, (w1 - w0) / 1000 / wall, th }' \
			>>"$work/$name.idle"
	done
	awk -v m0="$m0" -v m1="$(machine_ticks)" -v tck="$tck" -v wall="$wall" \
		'BEGIN { printf "%.2f\n", (m1 - m0) / tck / wall }' >"$work/$name.machine"
}
idle_field() { awk -v k="$2" -v f="$3" 'NR == k {print $f}' "$work/$1.idle"; }

status_json() { sluice --broker "$(addr 1)" cluster status --format json "$@"; }

problems=()

# --- idle: 1,000 partitions with three replicas each --------------------------

start_cluster idle
empty_secs=$((idle < 10 ? idle : 10))
log "idle sample without topics (${empty_secs} s)"
sample_idle idle-empty "$empty_secs"

log "creating $topics topics × $per_topic partitions, replication factor 3"
t0=$(date +%s.%N)
for ((i = 0; i < topics; i++)); do
	sluice --broker "$(addr 1)" topic create "idle-$i" --partitions "$per_topic" --replication-factor 3 >/dev/null
done
t1=$(date +%s.%N)
leaderless=$partitions
for i in $(seq 1200); do
	leaderless=$(status_json | jq --argjson n "$partitions" \
		'$n - (.partitions | length) + ([.partitions[] | select(.leader_id == 0)] | length)' 2>/dev/null || echo "$partitions")
	((leaderless == 0)) && break
	sleep 0.1
done
t2=$(date +%s.%N)
create_secs=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }')
leaders_secs=$(awk -v a="$t0" -v b="$t2" 'BEGIN { printf "%.1f", b - a }')
((leaderless == 0)) || problems+=("$leaderless of $partitions partitions had no leader 120 s after creation")
status_json >"$work/idle-status.json"
jq -r '[.partitions | length, (map(.replicas | length) | add)] | @tsv' "$work/idle-status.json" >"$work/idle-counts"
read -r seen_partitions seen_replicas <"$work/idle-counts"
for k in 1 2 3; do
	jq --argjson k "$k" '[.partitions[] | select(.leader_id == $k)] | length' "$work/idle-status.json" >"$work/idle-leads-$k"
done
log "all $partitions partitions have leaders after $leaders_secs s; settling 5 s"
sleep 5
log "idle sample with $partitions partitions (${idle} s)"
sample_idle idle-full "$idle"

# A CPU profile of broker 1, idle, if go is here to read it.
profile=
if command -v go >/dev/null; then
	log "profiling broker 1 for 10 s"
	if go tool pprof -proto -output "$work/idle.pprof" "http://$(pprof_addr 1)/debug/pprof/profile?seconds=10" >/dev/null 2>&1; then
		profile=$work/idle.pprof
	fi
fi
log "stopping the idle cluster"
stop_cluster idle
idle_stop=$stop_report

# share REGEX: the percentage of the profile's samples whose stack has a
# frame matching REGEX.
share() {
	go tool pprof -top -nodefraction=0 -edgefraction=0 -nodecount=1000000 -focus="$1" "$profile" 2>/dev/null |
		awk '/^Showing nodes accounting for/ {gsub(/,/, "", $6); print $6; found = 1} END { if (!found) print "0%" }'
}
profile_total() {
	go tool pprof -top -nodecount=1 "$profile" 2>/dev/null | sed -n 's/.*Total samples = \([^ ]*\) ( *\([^)]*\)).*/\1 of CPU samples in 10 s (\2 of one core)/p'
}

# --- produce: RF=3, acks=all, 100 B records -----------------------------------

start_cluster produce
# leader TOPIC PARTITION: the partition's leader id from the metadata.
leader_of() { status_json --topic "$1" | jq -r --argjson p "$2" '.partitions[] | select(.partition == $p) | .leader_id'; }

commands=()
failed_runs=()
# run NAME BROKER_ID ARGS...: `sluice --broker <broker> ARGS... --json`, its
# summary in $work/NAME.json, the brokers' CPU (cores, 1 2 3), the client's
# and the rest of the machine's in $work/NAME.usage.
run() {
	local name=$1 via=$2
	shift 2
	commands+=("sluice --broker $(addr "$via") $*")
	log "sluice --broker $(addr "$via") $*"
	local -a b0
	local k m0 t0 t1 status=0
	for k in 1 2 3; do b0[k]=$(ticks "${pids[k]}"); done
	m0=$(machine_ticks)
	t0=$(date +%s.%N)
	local TIMEFORMAT='%U %S'
	{ time sluice --broker "$(addr "$via")" "$@" --json >"$work/$name.json" 2>&3 || status=$?; } 2>"$work/$name.time"
	t1=$(date +%s.%N)
	if ((status != 0)) || [[ ! -s $work/$name.json ]]; then
		failed_runs+=("sluice --broker $(addr "$via") $* (exit status $status)")
		[[ -s $work/$name.json ]] || echo '{}' >"$work/$name.json"
	fi
	read -r user sys <"$work/$name.time"
	awk -v b1="${b0[1]}" -v b2="${b0[2]}" -v b3="${b0[3]}" \
		-v e1="$(ticks "${pids[1]}")" -v e2="$(ticks "${pids[2]}")" -v e3="$(ticks "${pids[3]}")" \
		-v m0="$m0" -v m1="$(machine_ticks)" -v t0="$t0" -v t1="$t1" -v tck="$tck" -v u="$user" -v s="$sys" \
		'BEGIN { w = t1 - t0; x1 = (e1 - b1) / tck / w; x2 = (e2 - b2) / tck / w; x3 = (e3 - b3) / tck / w
			c = (u + s) / w; o = (m1 - m0) / tck / w - x1 - x2 - x3 - c
			printf "%.2f %.2f %.2f %.2f %.2f\n", x1, x2, x3, c, (o < 0 ? 0 : o) }' >"$work/$name.usage"
}

p100=(--record-size 100 --acks all --producers 8 --max-in-flight 4 --batch-size 1000)
limit=(--records 100000000 --duration "${dur}s")

sluice --broker "$(addr 1)" topic create bench-p1 --partitions 1 --replication-factor 3 >/dev/null
p1_leader=$(leader_of bench-p1 0)
run p1-leader "$p1_leader" bench produce --topic bench-p1 "${p100[@]}" "${limit[@]}"

sluice --broker "$(addr 1)" topic create bench-p1-fwd --partitions 1 --replication-factor 3 >/dev/null
fwd_leader=$(leader_of bench-p1-fwd 0)
fwd_via=$((fwd_leader % 3 + 1))
run p1-forwarded "$fwd_via" bench produce --topic bench-p1-fwd "${p100[@]}" "${limit[@]}" --via-broker

sluice --broker "$(addr 1)" topic create bench-p12 --partitions 12 --replication-factor 3 >/dev/null
status_json --topic bench-p12 >"$work/p12-status.json"
p12_leaders=$(jq -r '[.partitions[].leader_id | tostring] | join(",")' "$work/p12-status.json")
# The broker that leads the most of the 12 partitions; the rest are forwarded.
p12_via=$(jq -r '[.partitions[].leader_id] | group_by(.) | max_by(length) | .[0]' "$work/p12-status.json")
p12_local=$(jq --argjson k "$p12_via" '[.partitions[] | select(.leader_id == $k)] | length' "$work/p12-status.json")
run p12 "$p12_via" bench produce --topic bench-p12 --partitions 12 "${p100[@]}" "${limit[@]}" --via-broker

# Every replica should hold what its leader acknowledged once the load stops.
sleep 2
status_json --topic bench-p1 --topic bench-p1-fwd --topic bench-p12 >"$work/after-status.json"
max_lag=$(jq '[.partitions[].replicas[].lag // 1e18] | max' "$work/after-status.json")
[[ $max_lag == 0 ]] || problems+=("2 s after the produce runs a replica was still $max_lag records behind its leader (1e18: unknown)")
log "stopping the produce cluster"
stop_cluster produce
produce_stop=$stop_report

# --- the machine ----------------------------------------------------------------

cpu_model=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)
mem=$(awk '/^MemTotal/ {printf "%.1f GiB", $2 / 1048576}' /proc/meminfo)
dev=$(df --output=source "$work" | tail -1)
fstype=$(df --output=fstype "$work" | tail -1)
commit=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
if [[ -n $(git status --porcelain --untracked-files=no 2>/dev/null | grep -v " $out\$" || true) ]]; then
	commit="$commit (with uncommitted changes)"
fi

# --- the report -----------------------------------------------------------------

j() { jq -r "$2 // empty" "$work/$1.json"; }
usage() { awk -v f="$2" '{print $f}' "$work/$1.usage"; }
group() {
	[[ -n $1 ]] || { echo "n/a"; return; }
	awk -v n="$1" 'BEGIN { s = sprintf("%.0f", n); o = ""
		while (length(s) > 3) { o = "," substr(s, length(s) - 2) o; s = substr(s, 1, length(s) - 3) }
		print s o }'
}
num() { [[ -n $1 ]] && printf "%.${2:-1}f" "$1" || echo "n/a"; }
verdict() {
	[[ -n $1 ]] || { echo "not measured"; return; }
	awk -v m="$1" -v t="$2" -v mode="$3" 'BEGIN {
		if ((mode == "ge" && m >= t) || (mode == "le" && m <= t)) { print "**met**"; exit }
		if (mode == "ge") printf "**short** by %.0f%%\n", (t - m) / t * 100
		else printf "**not met**: %.1f× the goal\n", m / t }'
}
maxof() { printf '%s\n' "$@" | sort -g | tail -1; }

idle_cpu_max=$(maxof "$(idle_field idle-full 1 1)" "$(idle_field idle-full 2 1)" "$(idle_field idle-full 3 1)")
idle_rss_max=$(maxof "$(idle_field idle-full 1 2)" "$(idle_field idle-full 2 2)" "$(idle_field idle-full 3 2)")
best=$(jq -rs 'map(.records_per_sec // 0) | max' "$work/p1-leader.json" "$work/p12.json")

# Per raft group: the busiest broker's CPU with the groups less without,
# over the groups; and how many groups 5% of a core would allow at that cost.
per_group=$(awk -v f="$idle_cpu_max" -v e="$(idle_field idle-empty 1 1)" -v n="$partitions" \
	'BEGIN { printf "%.4f", (f - e) / n }')
groups_at_goal=$(awk -v p="$per_group" -v e="$(idle_field idle-empty 1 1)" \
	'BEGIN { if (p > 0) printf "%.0f", (5 - e) / p; else print "n/a" }')
leads1=$(cat "$work/idle-leads-1")

idle_row() { # BROKER
	local k=$1
	echo "| $k | $(cat "$work/idle-leads-$k") | $(idle_field idle-empty "$k" 1) | $(idle_field idle-full "$k" 1) |" \
		"$(idle_field idle-empty "$k" 2) | $(idle_field idle-full "$k" 2) | $(idle_field idle-full "$k" 3) |" \
		"$(idle_field idle-full "$k" 4) | $(idle_field idle-full "$k" 5) |"
}
produce_row() { # NAME LABEL
	local n=$1
	echo "| $2 | $(group "$(j "$n" .records)") | $(num "$(j "$n" .seconds)") | $(group "$(j "$n" .records_per_sec)") |" \
		"$(num "$(j "$n" .mb_per_sec)") | $(num "$(j "$n" .latency_ms.p50)") | $(num "$(j "$n" .latency_ms.p99)") |" \
		"$(num "$(j "$n" .latency_ms.max)") | $(usage "$n" 1) / $(usage "$n" 2) / $(usage "$n" 3) | $(usage "$n" 4) | $(usage "$n" 5) |"
}
# The profile's rows: label, then the regular expression of a function.
profile_categories=(
	'raft groups stepped on the engine'"'"'s workers (`engine.(*Engine).worker`)|engine\.\(\*Engine\)\.worker'
	'· of which ticking (`RawNode.Tick`)|RawNode\)\.Tick'
	'· of which peer messages (`RawNode.Step`)|RawNode\)\.Step'
	'· of which checking for work (`RawNode.HasReady`)|RawNode\)\.HasReady'
	'· of which advancing (`group.advance`)|engine\.\(\*group\)\.advance'
	'the engine'"'"'s cycle loop (`engine.(*Engine).run`)|engine\.\(\*Engine\)\.run'
	'the 100 ms ticker queueing every group (`engine.(*Engine).tick`)|engine\.\(\*Engine\)\.tick'
	'peer messages received and decoded (`transport.(*Transport).receive`)|transport\.\(\*Transport\)\.receive'
	'peer messages written to sockets (gRPC `loopyWriter`)|loopyWriter'
	'memory allocation (`runtime.mallocgc`)|runtime\.mallocgc'
	'garbage collection (`runtime.gcBgMarkWorker`)|runtime\.gcBgMarkWorker'
	'goroutine scheduling (`runtime.schedule`)|runtime\.schedule'
)
profile_rows() {
	if [[ -z $profile ]]; then
		echo "| (no profile: go was not on PATH or the profile failed) | |"
		return
	fi
	local c
	for c in "${profile_categories[@]}"; do
		echo "| ${c%%|*} | $(share "${c#*|}") |"
	done
}

mkdir -p "$(dirname "$out")"
{
	cat <<EOF
# Cluster benchmarks

Generated by \`scripts/bench-cluster.sh\` (\`make bench-cluster\`) on $(date -u '+%Y-%m-%d %H:%M UTC') at commit $commit.
Every figure below comes from that run; rerun the script to refresh them. The
single-broker figures are in [benchmarks.md](benchmarks.md).

## Machine

| | |
|---|---|
| CPUs | $(nproc) × $cpu_model |
| Memory | $mem |
| Kernel | $(uname -sr) |
| Go | $(go version 2>/dev/null | sed 's/^go version //' || echo unknown) |
| Disk | $dev ($fstype) |
| Disk sync speed (dd, oflag=dsync) | $(group "$sync4k") synchronous 4 KiB writes/s |
| Load average before the run | $load_before |

Three brokers (\`sluice serve\`, default options: raft ticks every 100 ms,
heartbeats every 2 ticks, elections after 10, idle groups quiesced; every raft cycle fsynced) on
127.0.0.1 of this one machine, with their clients, so everything shares its
$(nproc) CPUs and one disk. Each cluster starts with empty data directories.

## Goals

| Goal | Measured | |
|---|---|---|
| Idle with $(group $partitions) partitions × 3 replicas: under 5% of one core per broker | $(num "$idle_cpu_max") % (the busiest broker) | $(verdict "$idle_cpu_max" 5 le) |
| Idle with $(group $partitions) partitions × 3 replicas: under 500 MiB resident per broker | $(group "$idle_rss_max") MiB (the largest) | $(verdict "$idle_rss_max" 500 le) |
| ≥ 150,000 records/s of 100 B, RF=3, acks=all | $(group "$best") records/s (best of 1 and 12 partitions) | $(verdict "$best" 150000 ge) |

## Idle cost

A new cluster sat idle for $empty_secs s with no topics, then $topics topics ×
$per_topic partitions with replication factor 3 were created
($(group "$seen_partitions") partitions, $(group "$seen_replicas") replicas, so
$(group $partitions) raft groups on every broker plus the metadata group). Creating
them took $create_secs s; all had a leader $leaders_secs s after the first
create. After 5 s more, the cluster sat idle for $idle s, no client connected.
CPU is utime + stime from \`/proc/PID/stat\` over the sample, in % of one core;
RSS is the largest VmRSS of a once-a-second sample, peak RSS the process's
VmHWM (its largest ever, creation included).

| Broker | Leads | CPU % (no topics) | CPU % ($(group $partitions) partitions) | RSS MiB (no topics) | RSS MiB | Peak RSS MiB | Disk writes KB/s | Threads |
|---|---:|---:|---:|---:|---:|---:|---:|---:|
$(idle_row 1)
$(idle_row 2)
$(idle_row 3)

The whole machine was $(cat "$work/idle-full.machine") cores busy during the sample
($(cat "$work/idle-empty.machine") with no topics), other jobs on it included.
Stopping the idle cluster (SIGTERM to all three at once; a broker still
running after $stop_limit s is killed): $idle_stop.

### Where an idle broker's time goes

A CPU profile of broker 1 while idle (\`go tool pprof\` of
\`/debug/pprof/profile?seconds=10\`, served with \`sluice serve --pprof\`):
$( [[ -n $profile ]] && profile_total || echo "not taken"). Each row is the share
of the samples whose stack holds the named function, so rows overlap (the
\`of which\` rows are inside the first).

| Stack holds | Share of samples |
|---|---:|
$(profile_rows)

How the engine spends it, from its code at this commit (\`server/engine\`
with its defaults: a 100 ms tick, heartbeats every 2 ticks, elections after
10 ticks, CheckQuorum on, quiescence on): an idle group is quiesced. Its
leader sent each follower one last heartbeat marked quiesce, and neither it
nor its followers tick the group any more, so it sends no raft message at
all; brokers instead exchange one keepalive per pair every heartbeat interval,
and a quiesced group wakes only if a member it depends on falls silent. What
remains is the tick goroutine walking every group every tick (to see whether
one must wake), the keepalives, leader reports and the Go runtime. The cost
still grows with the number of
groups, not with traffic: from these figures, each group costs a broker about
$per_group% of a core, so on this machine 5% of a core allows about
$(group "$groups_at_goal") groups per broker at the current tick and heartbeat settings.

## Produce (RF=3, acks=all)

A new cluster; each run creates its topic with replication factor 3 and sends
100 B records for $dur s from 8 producers, each one connection and one stream
with up to 4 requests of 1,000 records in flight (the settings of
[benchmarks.md](benchmarks.md)). These runs use \`sluice bench produce
--via-broker\`, which sends every request to the one broker named by
\`--broker\` (without it, each partition's requests go to its leader, as in
[benchmarks.md](benchmarks.md#side-by-side-nats-jetstream-apache-kafka-and-sluice-make-bench-peers));
a broker that does not lead a
partition forwards its records to the leader (one more hop, and the
forwarding broker's CPU). So:

- **1 partition, to the leader**: \`--broker\` is the partition's leader
  (broker $p1_leader, from \`sluice cluster status\`): no forwarding.
- **1 partition, through a follower**: \`--broker\` is broker $fwd_via, a follower
  (the leader was broker $fwd_leader): every request is forwarded.
- **12 partitions**: leaders (partition 0 to 11) were brokers
  $p12_leaders; \`--broker\` is broker $p12_via, which led
  $p12_local of the 12: the requests for the other $((12 - p12_local)) are forwarded.

Latency is per request (1,000 records), from sending it to its response. CPU
is in cores, averaged over the run: each broker's, the client's, and the rest
of the machine's.

| Run | Records | Seconds | Records/s | MB/s | p50 ms | p99 ms | max ms | Broker 1 / 2 / 3 CPU | Client CPU | Other CPU |
|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|
$(produce_row p1-leader "1 partition, to the leader")
$(produce_row p1-forwarded "1 partition, through a follower")
$(produce_row p12 "12 partitions, $((12 - p12_local)) forwarded")

MB/s counts record values (10^6 bytes). Two seconds after the runs, the
largest replica lag behind its leader in the three topics (from
\`sluice cluster status\`) was $max_lag records. Stopping this cluster
(as above): $produce_stop.

## Commands

The brokers (K = 1, 2, 3):

\`\`\`
$(for k in 1 2 3; do echo "sluice serve --node-id $k --listen $(addr $k) --data-dir DIR/broker-$k --initial-controllers $controllers --pprof $(pprof_addr $k)"; done)
\`\`\`

Idle:

\`\`\`
sluice --broker $(addr 1) topic create idle-N --partitions $per_topic --replication-factor 3   # N = 0..$((topics - 1))
sluice --broker $(addr 1) cluster status --format json    # polled until every partition has a leader
go tool pprof -top http://$(pprof_addr 1)/debug/pprof/profile?seconds=10
\`\`\`

Produce:

\`\`\`
$(printf '%s\n' "${commands[@]}")
\`\`\`
EOF
	if ((${#failed_runs[@]} > 0 || ${#problems[@]} > 0)); then
		echo
		echo "## Failed runs and problems"
		echo
		for f in "${failed_runs[@]}"; do echo "- \`$f\`"; done
		for p in "${problems[@]}"; do echo "- $p"; done
	fi
} >"$out"
log "wrote $out"
