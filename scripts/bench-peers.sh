#!/usr/bin/env bash
# bench-peers.sh runs the same workloads on three-node clusters of NATS
# JetStream (two sync profiles), Apache Kafka (KRaft) and Sluice, one system at
# a time on 127.0.0.1, each driven by its own standard tool, and writes
# docs/bench/peers.json, docs/bench/peers.png and the peers section of
# docs/benchmarks.md. `make bench-peers` builds bin/sluice first.
#
# Everything it runs comes from the registries: nats-server and the nats CLI
# from the Go module proxy, Kafka's jars from Maven Central (bench/peers/kafka/
# pom.xml), matplotlib from PyPI, all into .peers/ (not committed).
#
# Environment:
#   BENCH_PEERS_SECONDS  seconds of each Sluice and Kafka produce run (default 8)
#   BENCH_PEERS_SYSTEMS  which to run (default "nats-always nats-default kafka sluice")
#   TMPDIR               where the clusters keep their data (default /tmp)
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
PATH="$root/bin:$PATH"
command -v sluice >/dev/null || { echo "bench-peers.sh: run 'make bench-peers' (needs bin/sluice)" >&2; exit 1; }
command -v jq >/dev/null || { echo "bench-peers.sh: needs jq" >&2; exit 1; }

dur=${BENCH_PEERS_SECONDS:-8}
systems=${BENCH_PEERS_SYSTEMS:-nats-always nats-default kafka sluice}
peers=$root/.peers
work=$(mktemp -d "${TMPDIR:-/tmp}/sluice-peers.XXXXXX")
rows=$work/rows.jsonl
: >"$rows"
pids=()
cleanup() {
	local p
	for p in "${pids[@]}"; do kill -KILL "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
log() { echo "bench-peers.sh: $(date +%T) $*" >&2; }

nats_version=v2.15.2
natscli_version=v0.5.1
kafka_version=$(sed -n 's|.*<artifactId>kafka_2.13</artifactId><version>\([^<]*\)</version>.*|\1|p' bench/peers/kafka/pom.xml)

# --- installs -------------------------------------------------------------------

install_tools() {
	mkdir -p "$peers/bin" "$peers/kafka"
	[[ -x $peers/bin/nats-server ]] || GOBIN=$peers/bin go install "github.com/nats-io/nats-server/v2@$nats_version"
	[[ -x $peers/bin/nats ]] || GOBIN=$peers/bin go install "github.com/nats-io/natscli/nats@$natscli_version"
	(cd bench/peers/natse2e && go build -o "$peers/bin/natse2e" .)
	if [[ ! -f $peers/kafka/libs/kafka_2.13-$kafka_version.jar ]]; then
		rm -rf "$peers/kafka/libs"
		mvn -q -B -f bench/peers/kafka/pom.xml dependency:copy-dependencies -DoutputDirectory="$peers/kafka/libs"
	fi
	mkdir -p "$peers/kafka/classes"
	javac -d "$peers/kafka/classes" -cp "$peers/kafka/libs/*" bench/peers/kafka/E2E.java
	if [[ ! -x $peers/venv/bin/python ]]; then
		python3 -m venv "$peers/venv"
		"$peers/venv/bin/pip" install -q matplotlib==3.10.7
	fi
}

# --- rows -----------------------------------------------------------------------

# row SYSTEM WORKLOAD RECORDS_PER_S RECORD_SIZE P50_MS P99_MS [key=value...]:
# one result; MB/s is MiB of record values per second; empty latencies are null.
row() {
	local sys=$1 wl=$2 rps=$3 size=$4 p50=${5:-} p99=${6:-}
	shift 6
	local extra='{}' kv
	for kv in "$@"; do extra=$(jq -c --arg k "${kv%%=*}" --arg v "${kv#*=}" '. + {($k): ($v | tonumber? // .)}' <<<"$extra"); done
	jq -nc --arg s "$sys" --arg w "$wl" --argjson r "${rps:-0}" --argjson z "$size" \
		--arg p50 "$p50" --arg p99 "$p99" --argjson x "$extra" \
		'{system: $s, workload: $w, records_per_s: ($r | floor), mb_per_s: ((($r * $z / 1048576) * 100 | round) / 100),
		  p50_ms: ($p50 | tonumber? // null), p99_ms: ($p99 | tonumber? // null)} + $x' >>"$rows"
	log "$sys $wl: $(tail -1 "$rows")"
}

# wl SIZE PARTITIONS PRODUCERS: the workload name; 1 partition and 4
# producers is the headline, named without a suffix.
wl() {
	local size=$1 p=$2 c=$3 name
	name=produce-$([[ $size == 100 ]] && echo 100B || echo 1KiB)-rf3-acks-all
	[[ $p == 1 && $c == 4 ]] || name="$name-p$p-c$c"
	echo "$name"
}

half_of() { jq -rs --arg s "$1" --arg w "$2" 'map(select(.system == $s and .workload == $w)) | .[0].records_per_s // 0 | . / 2 | floor' "$rows"; }
common_rate=5000

wait_until() { # wait_until SECONDS DESCRIPTION COMMAND...: poll a condition
	local limit=$1 what=$2 i
	shift 2
	for ((i = 0; i < limit * 10; i++)); do "$@" >/dev/null 2>&1 && return 0; sleep 0.1; done
	log "timed out waiting for $what"
	return 1
}

# --- NATS JetStream -------------------------------------------------------------

nats_urls="nats://127.0.0.1:14222,nats://127.0.0.1:14223,nats://127.0.0.1:14224"
start_nats() { # start_nats always|default
	local sync=$1 k
	for k in 1 2 3; do
		mkdir -p "$work/nats-$k"
		{
			echo "server_name: n$k"
			echo "listen: 127.0.0.1:$((14221 + k))"
			echo "http: 127.0.0.1:$((18221 + k))"
			echo "jetstream { store_dir: \"$work/nats-$k\"$([[ $sync == always ]] && echo ', sync_interval: always') }"
			echo "cluster { name: bench, listen: 127.0.0.1:$((16221 + k)), routes: [nats-route://127.0.0.1:16222, nats-route://127.0.0.1:16223, nats-route://127.0.0.1:16224] }"
		} >"$work/nats-$k.conf"
		"$peers/bin/nats-server" -c "$work/nats-$k.conf" >"$work/nats-$k.log" 2>&1 &
		pids+=($!)
	done
	for k in 1 2 3; do wait_until 60 "nats $k" curl -sf "http://127.0.0.1:$((18221 + k))/healthz?js-enabled-only=true"; done
	wait_until 60 "a JetStream meta leader" "$peers/bin/nats" -s "$nats_urls" stream ls
}
stop_all() {
	local p
	for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
	for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
	pids=()
	rm -rf "$work"/nats-* "$work"/kafka-* "$work"/sluice-*
}
# nats_stat FILE: msgs/sec of a nats bench summary ("stats: 123,456 msgs/sec ~ ...")
nats_stat() { sed -n 's/.*stats: \([0-9,]*\) msgs\/sec.*/\1/p' "$1" | tail -1 | tr -d ,; }

bench_nats() { # bench_nats always|default
	local sys=nats-$1 size c msgs name
	log "NATS JetStream, sync $1"
	start_nats "$1"
	for size in 100 1024; do
		for c in 1 4; do
			msgs=$([[ $size == 100 ]] && echo 400000 || echo 150000)
			name=$(wl $size 1 $c)
			timeout 180 "$peers/bin/nats" -s "$nats_urls" bench js pub async "bench.$size.$c" --stream "b$size-$c" --create --replicas 3 \
				--storage file --purge --clients $c --msgs $msgs --size ${size}B --no-progress >"$work/$name.out" 2>&1 || true
			row "$sys" "$name" "$(nats_stat "$work/$name.out")" $size "" "" partitions=1 producers=$c streams=1
		done
	done
	# Twelve partitions: a NATS stream is one raft group and `nats bench`
	# publishes to one stream, so twelve streams, each with its own nats bench
	# process of one publisher, all at once. The row's records/s is the sum of
	# the twelve rates, which favours NATS when the processes do not overlap
	# exactly. Sluice runs the same shape: twelve producers, twelve partitions.
	local k bg v total
	for size in 100 1024; do
		msgs=$(($([[ $size == 100 ]] && echo 400000 || echo 150000) / 12))
		name=$(wl $size 12 12)
		bg=()
		for k in $(seq 1 12); do
			timeout 180 "$peers/bin/nats" -s "$nats_urls" bench js pub async "p12.$size.$k" --stream "p12-$size-$k" --create --replicas 3 \
				--storage file --purge --clients 1 --msgs $msgs --size ${size}B --no-progress >"$work/$name-$k.out" 2>&1 &
			bg+=($!)
		done
		wait "${bg[@]}" || true
		total=0
		for k in $(seq 1 12); do
			v=$(nats_stat "$work/$name-$k.out")
			total=$((total + ${v:-0}))
		done
		row "$sys" "$name" "$total" $size "" "" partitions=12 producers=12 streams=12
	done
	"$peers/bin/nats" -s "$nats_urls" bench js ordered --stream b100-4 --msgs 400000 --no-progress >"$work/nats-consume.out" 2>&1 || true
	row "$sys" consume-100B-rf3-p1 "$(nats_stat "$work/nats-consume.out")" 100 "" "" partitions=1
	local half
	half=$(half_of "$sys" "$(wl 100 1 4)")
	for rate in "$half" $common_rate; do
		((rate > 0)) || continue
		"$peers/bin/natse2e" -server "$nats_urls" -rate "$rate" -size 100 -duration "${dur}s" -replicas 3 -stream "e2e$rate" >"$work/e2e.json" 2>"$work/e2e.err" || true
		row "$sys" "$([[ $rate == "$half" ]] && echo e2e-100B-rf3-acks-all-half-max || echo e2e-100B-rf3-acks-all-${common_rate}rps)" \
			"$(jq -r '.records_per_s // 0' "$work/e2e.json")" 100 "$(jq -r '.p50_ms // empty' "$work/e2e.json")" "$(jq -r '.p99_ms // empty' "$work/e2e.json")" \
			rate="$rate" not_received="$(jq -r '.not_received // "n/a"' "$work/e2e.json")"
	done
	stop_all
}

# --- Apache Kafka (KRaft) -------------------------------------------------------

kjava() { java -Xms512m -Xmx1g -Dlog4j2.configurationFile="$root/bench/peers/kafka/log4j2.properties" -cp "$peers/kafka/libs/*:$peers/kafka/classes" "$@"; }
kboot=127.0.0.1:19092,127.0.0.1:19093,127.0.0.1:19094
start_kafka() {
	local k cid
	cid=$(kjava kafka.tools.StorageTool random-uuid | tail -1)
	for k in 1 2 3; do
		cat >"$work/kafka-$k.properties" <<EOF
process.roles=broker,controller
node.id=$k
controller.quorum.voters=1@127.0.0.1:19193,2@127.0.0.1:19194,3@127.0.0.1:19195
listeners=PLAINTEXT://127.0.0.1:$((19091 + k)),CONTROLLER://127.0.0.1:$((19192 + k))
advertised.listeners=PLAINTEXT://127.0.0.1:$((19091 + k))
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT
log.dirs=$work/kafka-$k
default.replication.factor=3
min.insync.replicas=2
offsets.topic.replication.factor=3
transaction.state.log.replication.factor=3
transaction.state.log.min.isr=2
group.initial.rebalance.delay.ms=0
EOF
		kjava kafka.tools.StorageTool format -t "$cid" -c "$work/kafka-$k.properties" >/dev/null
		java -Xms1g -Xmx1g -Dlog4j2.configurationFile="$root/bench/peers/kafka/log4j2.properties" -cp "$peers/kafka/libs/*" \
			kafka.Kafka "$work/kafka-$k.properties" >"$work/kafka-$k.log" 2>&1 &
		pids+=($!)
	done
	wait_until 90 "kafka to serve" kjava org.apache.kafka.tools.TopicCommand --bootstrap-server $kboot --list
}
ktopic() { kjava org.apache.kafka.tools.TopicCommand --bootstrap-server $kboot --create --topic "$1" --partitions "$2" --replication-factor 3 >/dev/null; }
# kafka_perf FILE...: records/s summed over ProducerPerformance summaries,
# the mean of their p50s, the largest p99 and the records sent in all.
kafka_perf() {
	awk '/records sent,.*50th/ { gsub(/[(),]/, ""); r += $4; sent += $1; for (i = 1; i <= NF; i++) { if ($(i+2) == "50th") p50 += $i; if ($(i+2) == "99th" && $i > p99) p99 = $i } n++ }
		END { if (n) printf "%f %f %f %d\n", r, p50 / n, p99, sent; else print "0 - - 0" }' "$@"
}

bench_kafka() {
	local sys=kafka size p c name i rps p50 p99 n sent
	log "Apache Kafka $kafka_version (KRaft)"
	start_kafka
	for size in 100 1024; do
		# ProducerPerformance sends a count, not for a time: a warm-up run (not
		# reported; it also warms the brokers' JIT) measures the rate that makes
		# the runs last about $dur s.
		ktopic "warmup-$size" 1
		timeout 180 java -Xms512m -Xmx1g -Dlog4j2.configurationFile="$root/bench/peers/kafka/log4j2.properties" -cp "$peers/kafka/libs/*" \
			org.apache.kafka.tools.ProducerPerformance --topic "warmup-$size" --num-records $((size == 100 ? 200000 : 40000)) --record-size $size \
			--throughput -1 --producer-props bootstrap.servers=$kboot acks=all batch.size=131072 >"$work/warmup-$size.out" 2>&1 || true
		read -r rps p50 p99 sent < <(kafka_perf "$work/warmup-$size.out")
		for p in 1 12; do
			for c in 1 4; do
				name=$(wl $size $p $c)
				ktopic "$name" $p
				n=$(awk -v r="$rps" -v d="$dur" -v c="$c" 'BEGIN { n = r * d / c; printf "%d\n", (n < 10000 ? 10000 : n) }')
				for ((i = 1; i <= c; i++)); do
					timeout 180 java -Xms512m -Xmx1g -Dlog4j2.configurationFile="$root/bench/peers/kafka/log4j2.properties" -cp "$peers/kafka/libs/*" org.apache.kafka.tools.ProducerPerformance --topic "$name" --num-records $n --record-size $size --throughput -1 \
						--producer-props bootstrap.servers=$kboot acks=all batch.size=131072 >"$work/$name.$i.out" 2>&1 &
				done
				wait_jobs
				read -r rps p50 p99 sent < <(kafka_perf "$work/$name".*.out)
				row "$sys" "$name" "$rps" $size "$p50" "$p99" partitions=$p producers=$c records_sent="$sent"
			done
		done
	done
	for p in 1 12; do
		name=$(wl 100 $p 4)
		# As many records as the produce run left in the topic.
		n=$(jq -rs --arg w "$name" 'map(select(.system == "kafka" and .workload == $w)) | .[0] | (.records_sent // 0)' "$rows")
		kjava org.apache.kafka.tools.ConsumerPerformance --bootstrap-server $kboot --topic "$name" --messages "$n" \
			--timeout 30000 >"$work/kconsume-$p.out" 2>&1 || true
		# The summary's last field is fetch.nMsg.sec (records/s while fetching, joining the group excluded).
		rps=$(awk -F', *' 'NF >= 10 && $1 ~ /^[0-9]/ {print $10}' "$work/kconsume-$p.out" | tail -1)
		row "$sys" consume-100B-rf3-p$p "$rps" 100 "" "" partitions=$p
	done
	local half rate
	half=$(half_of "$sys" "$(wl 100 1 4)")
	for rate in "$half" $common_rate; do
		((rate > 0)) || continue
		ktopic "e2e-$rate" 1
		kjava E2E $kboot "e2e-$rate" "$rate" 100 "$dur" >"$work/e2e.json" 2>"$work/e2e.err" || true
		row "$sys" "$([[ $rate == "$half" ]] && echo e2e-100B-rf3-acks-all-half-max || echo e2e-100B-rf3-acks-all-${common_rate}rps)" \
			"$(jq -r '.records_per_s // 0' "$work/e2e.json")" 100 "$(jq -r '.p50_ms // empty' "$work/e2e.json")" "$(jq -r '.p99_ms // empty' "$work/e2e.json")" \
			rate="$rate" not_received="$(jq -r '.not_received // "n/a"' "$work/e2e.json")"
	done
	stop_all
}
# wait_jobs: wait for the background clients (not the servers in pids).
wait_jobs() {
	local j
	for j in $(jobs -p); do
		[[ " ${pids[*]} " == *" $j "* ]] || wait "$j" || true
	done
}

# --- Sluice ---------------------------------------------------------------------

sluice_ctl="1@127.0.0.1:17071,2@127.0.0.1:17072,3@127.0.0.1:17073"
start_sluice() {
	local k
	for k in 1 2 3; do
		sluice serve --node-id $k --listen 127.0.0.1:$((17070 + k)) --data-dir "$work/sluice-$k" \
			--initial-controllers "$sluice_ctl" >"$work/sluice-$k.log" 2>&1 &
		pids+=($!)
	done
	for k in 1 2 3; do wait_until 60 "sluice $k" grep -q 'msg="sluice broker serving"' "$work/sluice-$k.log"; done
}
# screate TOPIC PARTITIONS: create an RF=3 topic, retrying while the cluster
# elects a controller.
screate() { wait_until 30 "topic $1" sluice --broker 127.0.0.1:17071 topic create "$1" --partitions "$2" --replication-factor 3; }
# sluice_leader TOPIC: the address of partition 0's leader, so that a one-
# partition run is not forwarded (Kafka's and NATS's clients go to the leader).
sluice_leader() {
	local id
	id=$(sluice --broker 127.0.0.1:17071 cluster status --format json --topic "$1" | jq -r '.partitions[] | select(.partition == 0) | .leader_id')
	echo "127.0.0.1:$((17070 + id))"
}

bench_sluice() {
	local sys=sluice size p c name via
	log "Sluice $(git rev-parse --short HEAD)"
	start_sluice
	for size in 100 1024; do
		for p in 1 12; do
			for c in 1 4; do
				name=$(wl $size $p $c)
				screate "$name" $p
				via=$(sluice_leader "$name")
				sluice --broker "$via" bench produce --topic "$name" --record-size $size --acks all --producers $c \
					--records 0 --duration "${dur}s" --json --quiet >"$work/$name.json" 2>"$work/$name.err" || true
				row "$sys" "$name" "$(jq -r '.records_per_sec // 0' "$work/$name.json")" $size \
					"$(jq -r '.latency_ms.p50 // empty' "$work/$name.json")" "$(jq -r '.latency_ms.p99 // empty' "$work/$name.json")" \
					partitions=$p producers=$c
			done
		done
	done
	for size in 100 1024; do # the shape of NATS's twelve-stream rows
		name=$(wl $size 12 12)
		screate "$name" 12
		sluice --broker "$(sluice_leader "$name")" bench produce --topic "$name" --record-size $size --acks all --producers 12 \
			--records 0 --duration "${dur}s" --json --quiet >"$work/$name.json" 2>"$work/$name.err" || true
		row "$sys" "$name" "$(jq -r '.records_per_sec // 0' "$work/$name.json")" $size \
			"$(jq -r '.latency_ms.p50 // empty' "$work/$name.json")" "$(jq -r '.latency_ms.p99 // empty' "$work/$name.json")" \
			partitions=12 producers=12
	done
	for p in 1 12; do
		name=$(wl 100 $p 4)
		sluice --broker "$(sluice_leader "$name")" bench consume --topic "$name" --json --quiet >"$work/consume-$p.json" 2>/dev/null || true
		row "$sys" consume-100B-rf3-p$p "$(jq -r '.records_per_sec // 0' "$work/consume-$p.json")" 100 "" "" partitions=$p
	done
	local half rate
	half=$(half_of "$sys" "$(wl 100 1 4)")
	for rate in "$half" $common_rate; do
		((rate > 0)) || continue
		screate "e2e-$rate" 1
		sluice --broker "$(sluice_leader "e2e-$rate")" bench e2e --topic "e2e-$rate" --rate "$rate" --record-size 100 \
			--duration "${dur}s" --json --quiet >"$work/e2e.json" 2>/dev/null || true
		row "$sys" "$([[ $rate == "$half" ]] && echo e2e-100B-rf3-acks-all-half-max || echo e2e-100B-rf3-acks-all-${common_rate}rps)" \
			"$(jq -r '.rate // 0' "$work/e2e.json")" 100 "$(jq -r '.send_to_receive_ms.p50 // empty' "$work/e2e.json")" \
			"$(jq -r '.send_to_receive_ms.p99 // empty' "$work/e2e.json")" rate="$rate" not_received="$(jq -r '.missing // "n/a"' "$work/e2e.json")"
	done
	stop_all
}

# --- run ------------------------------------------------------------------------

log "installing the peers into $peers"
install_tools
started=$(date +%s)
load_before=$(cut -d' ' -f1-3 /proc/loadavg)
for s in $systems; do
	case $s in
	nats-always) bench_nats always ;;
	nats-default) bench_nats default ;;
	kafka) bench_kafka ;;
	sluice) bench_sluice ;;
	*) log "unknown system $s"; exit 1 ;;
	esac
done
took=$(($(date +%s) - started))

mkdir -p docs/bench
jq -s '.' "$rows" >docs/bench/peers.json
machine=$(jq -n --arg cpu "$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)" --arg cores "$(nproc)" \
	--arg mem "$(awk '/^MemTotal/ {printf "%.1f GiB", $2 / 1048576}' /proc/meminfo)" --arg kernel "$(uname -r)" \
	--arg java "$(java -version 2>&1 | head -1)" --arg go "$(go version)" --arg load "$load_before" \
	--arg nats "$nats_version" --arg natscli "$natscli_version" --arg kafka "$kafka_version" \
	--arg sluice "$(git rev-parse --short HEAD)" --arg took "$took" --arg dur "$dur" \
	'{cpu: $cpu, cores: $cores, memory: $mem, kernel: $kernel, java: $java, go: $go, load_before: $load,
	  nats_server: $nats, nats_cli: $natscli, kafka: $kafka, sluice: $sluice, seconds: ($took | tonumber), run_seconds: ($dur | tonumber)}')
echo "$machine" >docs/bench/peers-machine.json
"$peers/venv/bin/python" bench/peers/report.py docs/bench/peers.json docs/bench/peers-machine.json docs/bench/peers.png docs/benchmarks.md
log "done in ${took} s: docs/bench/peers.json, docs/bench/peers.png, docs/benchmarks.md"
