"""Writes the peers comparison: a PNG plot and the peers section of
docs/benchmarks.md, from the rows scripts/bench-peers.sh measured.

usage: report.py ROWS.json MACHINE.json OUT.png BENCHMARKS.md
"""

import json
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

BEGIN = "<!-- peers:begin (written by scripts/bench-peers.sh) -->"
END = "<!-- peers:end -->"
SYSTEMS = ["sluice", "kafka", "nats-always", "nats-default"]
PEERS = ["kafka", "nats-always", "nats-default"]


def by_key(rows):
    return {(r["system"], r["workload"]): r for r in rows}


def workloads(rows):
    seen = []
    for r in rows:
        if r["workload"] not in seen:
            seen.append(r["workload"])
    return seen


def fmt(v, digits=0):
    if v is None:
        return "n/a"
    if digits == 0:
        return f"{v:,.0f}"
    return f"{v:,.{digits}f}"


def ratio(sluice, peer, lower_is_better=False):
    if not sluice or not peer:
        return "n/a"
    r = peer / sluice if lower_is_better else sluice / peer
    return f"{r:.2f}×"


def plot(rows, out):
    k = by_key(rows)
    thr = [w for w in workloads(rows) if not w.startswith("e2e")]
    lat = [w for w in workloads(rows) if w.startswith("e2e")]
    fig, (a, b) = plt.subplots(2, 1, figsize=(14, 10), gridspec_kw={"height_ratios": [3, 1.4]})
    width = 0.8 / len(SYSTEMS)
    for i, s in enumerate(SYSTEMS):
        xs = [j + i * width for j in range(len(thr))]
        a.bar(xs, [k.get((s, w), {}).get("records_per_s") or 0 for w in thr], width, label=s)
    a.set_xticks([j + 0.4 - width / 2 for j in range(len(thr))])
    a.set_xticklabels(thr, rotation=35, ha="right", fontsize=8)
    a.set_ylabel("records/s (log scale)")
    a.set_yscale("log")
    a.set_title("Throughput, three nodes on one 2-core machine, replication 3, acks=all")
    a.legend()
    for i, s in enumerate(SYSTEMS):
        xs = [j + i * width for j in range(len(lat))]
        b.bar(xs, [k.get((s, w), {}).get("p99_ms") or 0 for w in lat], width, label=f"{s} p99")
    b.set_xticks([j + 0.4 - width / 2 for j in range(len(lat))])
    b.set_xticklabels(lat, fontsize=8)
    b.set_ylabel("ms (p99, send to receive)")
    b.set_yscale("log")
    b.set_title("End-to-end latency p99 (log scale)")
    fig.tight_layout()
    fig.savefig(out, dpi=90)


def table(rows):
    k = by_key(rows)
    head = "| Workload | System | records/s | MiB/s | p50 ms | p99 ms | Sluice/this |\n|---|---|---:|---:|---:|---:|---:|\n"
    lines = []
    for w in workloads(rows):
        s = k.get(("sluice", w))
        for sys_ in SYSTEMS:
            r = k.get((sys_, w))
            if not r:
                continue
            if w.startswith("e2e"):
                rel = "" if sys_ == "sluice" else ratio(s and s["p99_ms"], r["p99_ms"], lower_is_better=True) + " (p99)"
            else:
                rel = "" if sys_ == "sluice" else ratio(s and s["records_per_s"], r["records_per_s"])
            lines.append(
                f"| {w} | {sys_} | {fmt(r['records_per_s'])} | {fmt(r['mb_per_s'], 2)} | "
                f"{fmt(r['p50_ms'], 2)} | {fmt(r['p99_ms'], 2)} | {rel} |"
            )
    return head + "\n".join(lines) + "\n"


def goals(rows):
    k = by_key(rows)

    def get(s, w, f):
        r = k.get((s, w))
        return r and r.get(f)

    def verdict(ok):
        return "**met**" if ok else "**not met**"

    out = ["| Goal | Measured | Verdict |", "|---|---|---|"]
    head = "produce-100B-rf3-acks-all"
    s, n, kf = get("sluice", head, "records_per_s"), get("nats-always", head, "records_per_s"), get("kafka", head, "records_per_s")
    if s and n:
        out.append(f"| Produce 100 B RF=3 acks=all ≥ 3× NATS (sync always) | {s / n:.2f}× | {verdict(s >= 3 * n)} |")
    if s and kf:
        out.append(f"| Produce 100 B RF=3 acks=all ≥ 1× Kafka | {s / kf:.2f}× | {verdict(s >= kf)} |")
    e2e = "e2e-100B-rf3-acks-all-half-max"
    sp = get("sluice", e2e, "p99_ms")
    for peer in ("kafka", "nats-always"):
        pp = get(peer, e2e, "p99_ms")
        if sp and pp:
            out.append(f"| End-to-end p99 at half load no worse than {peer} | {sp:.2f} ms vs {pp:.2f} ms | {verdict(sp <= pp)} |")
    c = "consume-100B-rf3-p1"
    sc, nc = get("sluice", c, "records_per_s"), get("nats-always", c, "records_per_s")
    if sc and nc:
        out.append(f"| Consume ≥ 2× NATS | {sc / nc:.2f}× | {verdict(sc >= 2 * nc)} |")
    return "\n".join(out) + "\n"


def section(rows, machine):
    m = machine
    return f"""{BEGIN}
## Side by side: NATS JetStream, Apache Kafka and Sluice (`make bench-peers`)

Three nodes of each system on 127.0.0.1, one system at a time, on the same
machine: {m['cpu']}, {m['cores']} cores, {m['memory']}, Linux {m['kernel']};
load average before the run {m['load_before']}; the whole run took {m['seconds']} s.
Versions: nats-server {m['nats_server']} and nats CLI {m['nats_cli']} (Go module proxy),
Apache Kafka {m['kafka']} (Maven Central jars, KRaft, {m['java']}), Sluice {m['sluice']}
({m['go']}). Raw rows: [bench/peers.json](bench/peers.json); plot:
[bench/peers.png](bench/peers.png).

![throughput and latency per system](bench/peers.png)

### Goals (issue #7)

{goals(rows)}
### Every row

MiB/s counts record values only. "Sluice/this" is Sluice's records/s over the
row's (above 1: Sluice is faster), or for end-to-end rows the row's p99 over
Sluice's (above 1: Sluice's tail is lower). Latency columns mean different
things per tool, so compare them only within a system: for Sluice produce rows
the time from sending a request of 1,000 records to its acknowledgement; for
Kafka produce rows ProducerPerformance's per-record time from `send()` to the
acknowledgement, which includes the time a record waits in the client's buffer;
`nats bench` reports no produce latency. End-to-end rows are the same
measurement on all three: a 100 B record stamped at sending, produced at a
fixed rate with acks=all to a one-partition (one-stream) RF=3 topic, and
timed when a following consumer receives it.

{table(rows)}
### Settings, so anyone can repeat this

- Every system: three nodes, each its own process, on loopback; replication
  factor 3; data under `$TMPDIR`; one system running at a time.
- **NATS JetStream**: file storage, R3 streams. Profile `nats-always` sets
  `jetstream {{ sync_interval: always }}` (an fsync per write, the equal of
  Sluice's default); `nats-default` keeps NATS's default (fsync every 2 min).
  Produce: `nats bench js pub async SUBJECT --create --replicas 3 --storage file
  --purge --clients C --msgs M --size S` (async publish, 500 in flight per
  client, its default); 400,000 records of 100 B, 150,000 of 1 KiB. A NATS
  stream is one raft group, the equal of one partition, and `nats bench`
  publishes to one stream, so the 12-partition NATS rows (`-p12-c12`) are
  twelve R3 streams, each filled by its own `nats bench` process with one
  publisher (a twelfth of the records each), all twelve at once, their
  records/s summed; Sluice runs the same shape (12 partitions, 12 producers),
  Kafka does not (twelve producer JVMs do not fit this machine). Consume:
  `nats bench js ordered` (an ordered ephemeral consumer) over the 100 B
  4-producer stream. End-to-end: `bench/peers/natse2e` (nats.go, async
  publish at a fixed rate, ordered consumer), because `nats bench` has none.
- **Apache Kafka**: KRaft, each node broker and controller,
  `min.insync.replicas=2`, otherwise Kafka's defaults (which do not fsync on
  write: Kafka relies on replication and the page cache). 1 GiB heap per node.
  Produce: `ProducerPerformance --throughput -1 --producer-props acks=all
  batch.size=131072` (128 KiB batches, about what Sluice's 1,000-record requests
  hold; otherwise the client's defaults, linger.ms 5); C producers are C
  processes at once, their records/s summed, their p50s averaged and the largest
  p99 kept. Consume: `ConsumerPerformance`, records/s while fetching (its
  `fetch.nMsg.sec`, group join excluded). End-to-end:
  `bench/peers/kafka/E2E.java` (KafkaProducer at a fixed rate, acks=all,
  batch.size 128 KiB as above; a
  KafkaConsumer assigned to the partition), because Kafka's EndToEndLatency
  sends one record at a time and cannot hold a rate.
- **Sluice**: `sluice serve` with its defaults (an fsync per raft cycle).
  Produce: `sluice bench produce --acks all --producers C --duration {m['run_seconds']}s`
  (1,000 records per request, 8 in flight per producer), sent to the leader of
  partition 0 (others are forwarded). Consume: `sluice bench consume`.
  End-to-end: `sluice bench e2e --rate R` (send to receive).
- End-to-end runs: at half of the system's own headline maximum
  (`produce-100B-rf3-acks-all`: 1 partition, 4 producers), and at a common
  5,000 records/s.
{END}
"""


def main():
    rows_path, machine_path, png, md = sys.argv[1:5]
    rows = json.load(open(rows_path))
    machine = json.load(open(machine_path))
    plot(rows, png)
    text = open(md).read()
    new = section(rows, machine)
    if BEGIN in text and END in text:
        start = text.index(BEGIN)
        end = text.index(END) + len(END) + 1
        text = text[:start] + new + text[end:]
    else:
        text = text.rstrip("\n") + "\n\n" + new
    open(md, "w").write(text)


if __name__ == "__main__":
    main()
