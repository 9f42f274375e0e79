package server

import (
	"strconv"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/sluice-io/sluice/raftmeta"
	"github.com/sluice-io/sluice/server/engine"
)

// The broker's internal metrics: raft, the engine loop, storage and the
// peer transport (docs/metrics.md). The packages below the broker count in
// plain atomics (engine.Stats, engine.GroupStatus, transport.PeerStats,
// storage.Stats); the collectors here read them when Prometheus scrapes, so
// nothing on a hot path knows about Prometheus. Labels are per topic or per
// peer at most, never per partition.

// internalMetrics holds the metrics the broker observes itself (rather than
// reading from a package at scrape time).
type internalMetrics struct {
	// reclaim is the duration of each ReclaimSpace after retention.
	reclaim prometheus.Histogram
}

func newInternalMetrics() *internalMetrics {
	return &internalMetrics{
		reclaim: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "sluice_storage_reclaim_duration_seconds",
			Help: "Time each reclaim of disk space after retention took (flush, level-0 compaction and value log GC); writes wait while it flushes.",
			// 1 ms to about 65 s.
			Buckets: prometheus.ExponentialBuckets(0.001, 2, 17),
		}),
	}
}

// observeReclaim records one reclaim; m may be nil (a broker built in a test
// without New).
func (m *internalMetrics) observeReclaim(d time.Duration) {
	if m != nil {
		m.reclaim.Observe(d.Seconds())
	}
}

// internalCollectors returns the collectors of the broker's internal
// metrics, for the broker's registry. Each call returns new collectors
// (but the same reclaim histogram): register them once.
func (b *Broker) internalCollectors() []prometheus.Collector {
	cs := []prometheus.Collector{
		&engineCollector{b: b},
		&raftCollector{b: b},
		&storageCollector{b: b},
		&transportCollector{b: b},
	}
	if b.imx != nil {
		cs = append(cs, b.imx.reclaim)
	}
	return cs
}

func desc(name, help string, labels ...string) *prometheus.Desc {
	return prometheus.NewDesc(name, help, labels, nil)
}

// engineCollector reads engine.Stats.
type engineCollector struct{ b *Broker }

var (
	descCycle = desc("sluice_engine_cycle_duration_seconds",
		"Duration of each raft engine cycle that handled at least one group: step, persist (one sync), send, advance.")
	descSync = desc("sluice_engine_sync_duration_seconds",
		"Duration of each cycle's one storage commit, the group commit's sync; cycles with nothing to persist have none.")
	descGroupsPerCycle = desc("sluice_engine_groups_per_cycle",
		"Raft groups each engine cycle stepped.")
	descEntriesPerCycle = desc("sluice_engine_entries_per_cycle",
		"Raft entries each engine cycle appended to the local logs, all groups together.")
	descQuiesced = desc("sluice_engine_quiesced_groups",
		"Raft groups hosted here that are quiesced (idle: no ticks, no heartbeats).")
	descGroups = desc("sluice_engine_groups",
		"Raft groups hosted here (partition replicas and the metadata group).")
	descElections = desc("sluice_raft_elections_total",
		"Campaigns this broker started, in any raft group it hosts (pre-vote rounds included).")
	descLeaderChanges = desc("sluice_raft_leadership_changes_total",
		"Times a raft group hosted here learnt of a leader other than the one it knew before (the first leader after start included).")
	descDropped = desc("sluice_raft_proposals_dropped_total",
		"Proposals raft refused on this broker (no leader known, leadership moving); their requests failed and clients retry.")
	descInboxDrops = desc("sluice_raft_inbox_dropped_total",
		"Raft messages from peers dropped because their group's inbox was full until its next cycle (raft sends them again).")
)

func (c *engineCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descCycle, descSync, descGroupsPerCycle, descEntriesPerCycle,
		descQuiesced, descGroups, descElections, descLeaderChanges, descDropped, descInboxDrops} {
		ch <- d
	}
}

func (c *engineCollector) Collect(ch chan<- prometheus.Metric) {
	s := c.b.eng.Stats()
	ch <- constHistogram(descCycle, s.Cycle, 1e-9)
	ch <- constHistogram(descSync, s.Sync, 1e-9)
	ch <- constHistogram(descGroupsPerCycle, s.GroupsPerCycle, 1)
	ch <- constHistogram(descEntriesPerCycle, s.EntriesPerCycle, 1)
	ch <- prometheus.MustNewConstMetric(descQuiesced, prometheus.GaugeValue, float64(s.Quiesced))
	ch <- prometheus.MustNewConstMetric(descGroups, prometheus.GaugeValue, float64(s.Groups))
	ch <- prometheus.MustNewConstMetric(descElections, prometheus.CounterValue, float64(s.Elections))
	ch <- prometheus.MustNewConstMetric(descLeaderChanges, prometheus.CounterValue, float64(s.LeaderChanges))
	ch <- prometheus.MustNewConstMetric(descDropped, prometheus.CounterValue, float64(s.ProposalsDropped))
	ch <- prometheus.MustNewConstMetric(descInboxDrops, prometheus.CounterValue, float64(s.InboxDrops))
}

// constHistogram turns an engine histogram into Prometheus's cumulative
// buckets, scaling its values (nanoseconds to seconds).
func constHistogram(d *prometheus.Desc, h engine.HistogramSnapshot, scale float64) prometheus.Metric {
	buckets := make(map[float64]uint64, len(h.Bounds))
	var cum uint64
	for i, bound := range h.Bounds {
		cum += h.Counts[i]
		buckets[float64(bound)*scale] = cum
	}
	return prometheus.MustNewConstHistogram(d, h.Count(), float64(h.Sum)*scale, buckets)
}

// raftCollector reads, for every partition in this broker's metadata, what
// the engine knows of its raft group.
type raftCollector struct{ b *Broker }

var (
	descLeaders = desc("sluice_raft_leaders",
		"Partition replicas this broker leads (the metadata group is not counted: see sluice_controller_active).")
	descController = desc("sluice_controller_active",
		"1 when this broker leads the metadata raft group (it is the active controller), else 0.")
	descUnderReplicated = desc("sluice_partitions_under_replicated",
		"Partitions this broker leads in which some voter was not heard from within an election timeout, or has not caught up within 10 s.")
	descLeaderless = desc("sluice_partitions_leaderless",
		"Partitions of the cluster with no leader as this broker sees them: its replica knows none, or (not hosted here) the leader the metadata names is not heard from. Every broker reports the whole cluster: take the max, not the sum.")
	descLagEntries = desc("sluice_raft_follower_lag_entries",
		"Largest number of log entries a follower lacks, over the partitions of the topic this broker leads.", "topic")
	descLagBytes = desc("sluice_raft_follower_lag_bytes",
		"Largest number of record bytes a follower lacks, over the partitions of the topic this broker leads.", "topic")
)

func (c *raftCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descLeaders, descController, descUnderReplicated, descLeaderless, descLagEntries, descLagBytes} {
		ch <- d
	}
}

func (c *raftCollector) Collect(ch chan<- prometheus.Metric) {
	b := c.b
	var leaders, under, leaderless int
	type lag struct{ entries, bytes uint64 }
	lags := map[string]lag{}
	for _, t := range b.meta.State().GetTopics() {
		for _, p := range t.GetPartitions() {
			st, hosted := b.eng.GroupStatus(p.GetGroup())
			if !hosted {
				if l := p.GetLeader(); l == 0 || !b.eng.Live(l) {
					leaderless++
				}
				continue
			}
			if st.Leader == 0 {
				leaderless++
			}
			if !st.Leading {
				continue
			}
			leaders++
			if st.UnderReplicated {
				under++
			}
			l := lags[t.GetName()]
			lags[t.GetName()] = lag{max(l.entries, st.LagEntries), max(l.bytes, st.LagBytes)}
		}
	}
	controller := 0.0
	if st, ok := b.eng.GroupStatus(raftmeta.Group); ok && st.Leading {
		controller = 1
	}
	ch <- prometheus.MustNewConstMetric(descLeaders, prometheus.GaugeValue, float64(leaders))
	ch <- prometheus.MustNewConstMetric(descController, prometheus.GaugeValue, controller)
	ch <- prometheus.MustNewConstMetric(descUnderReplicated, prometheus.GaugeValue, float64(under))
	ch <- prometheus.MustNewConstMetric(descLeaderless, prometheus.GaugeValue, float64(leaderless))
	for topic, l := range lags {
		ch <- prometheus.MustNewConstMetric(descLagEntries, prometheus.GaugeValue, float64(l.entries), topic)
		ch <- prometheus.MustNewConstMetric(descLagBytes, prometheus.GaugeValue, float64(l.bytes), topic)
	}
}

// storageCollector reads storage.DB's files, levels and counters.
type storageCollector struct {
	b *Broker
	// usageErrors counts the scrapes whose directory listing failed.
	usageErrors atomic.Uint64
}

var (
	descStorageBytes = desc("sluice_storage_bytes",
		"Bytes of the broker's storage files on disk, by kind: lsm (SST files: keys, small values, indexes), vlog (value log: large entries), memtable (memtable write-ahead logs), other (manifest and the like).", "kind")
	descGCRuns = desc("sluice_storage_vlog_gc_runs_total",
		"Value log GC runs (one after each reclaim following retention).")
	descGCRewrites = desc("sluice_storage_vlog_gc_rewrites_total",
		"Value log files that value log GC rewrote or deleted.")
	descGCReclaimed = desc("sluice_storage_vlog_gc_reclaimed_bytes_total",
		"Bytes the value log shrank by on disk across value log GC runs.")
	descLevelTables = desc("sluice_storage_lsm_tables",
		"SST tables in each level of the LSM tree; level 0 growing means compaction falls behind writes (badger stalls writes at 15).", "level")
	descLevelBytes = desc("sluice_storage_lsm_level_bytes",
		"Bytes of the SST tables in each level of the LSM tree.", "level")
	descStorageErrors = desc("sluice_storage_usage_errors_total",
		"Scrapes that could not list the storage directory (the sluice_storage_bytes figures are then missing).")
)

func (c *storageCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descStorageBytes, descGCRuns, descGCRewrites, descGCReclaimed, descLevelTables, descLevelBytes, descStorageErrors} {
		ch <- d
	}
}

func (c *storageCollector) Collect(ch chan<- prometheus.Metric) {
	db := c.b.db
	if u, err := db.DiskUsage(); err == nil {
		for kind, n := range map[string]int64{"lsm": u.LSM, "vlog": u.ValueLog, "memtable": u.Memtables, "other": u.Other} {
			ch <- prometheus.MustNewConstMetric(descStorageBytes, prometheus.GaugeValue, float64(n), kind)
		}
	} else {
		// One failed listing must not fail the whole scrape: the figures are
		// missing this time, and the error is counted.
		c.usageErrors.Add(1)
	}
	ch <- prometheus.MustNewConstMetric(descStorageErrors, prometheus.CounterValue, float64(c.usageErrors.Load()))
	s := db.Stats()
	ch <- prometheus.MustNewConstMetric(descGCRuns, prometheus.CounterValue, float64(s.GCRuns))
	ch <- prometheus.MustNewConstMetric(descGCRewrites, prometheus.CounterValue, float64(s.GCRewrites))
	ch <- prometheus.MustNewConstMetric(descGCReclaimed, prometheus.CounterValue, float64(s.GCReclaimedBytes))
	for _, l := range db.Levels() {
		level := strconv.Itoa(l.Level)
		ch <- prometheus.MustNewConstMetric(descLevelTables, prometheus.GaugeValue, float64(l.Tables), level)
		ch <- prometheus.MustNewConstMetric(descLevelBytes, prometheus.GaugeValue, float64(l.Bytes), level)
	}
}

// transportCollector reads transport.PeerStats.
type transportCollector struct{ b *Broker }

var (
	descSent = desc("sluice_transport_sent_bytes_total",
		"Bytes of raft messages sent to the peer broker (encoded batches, gRPC framing not included).", "peer")
	descReceived = desc("sluice_transport_received_bytes_total",
		"Bytes of raft messages received from the peer broker (encoded batches, gRPC framing not included).", "peer")
	descBatches = desc("sluice_transport_batches_total",
		"Batches (stream sends, each up to the peer batch bytes) sent to the peer broker.", "peer")
	descReconnects = desc("sluice_transport_reconnects_total",
		"Streams to the peer broker opened again after one ended (two lanes per peer, each counted).", "peer")
	descQueue = desc("sluice_transport_queue_bytes",
		"Bytes of raft messages waiting to be sent to the peer broker, both lanes.", "peer")
	descPeerDropped = desc("sluice_transport_dropped_messages_total",
		"Raft messages for the peer broker that never left: refused by a full queue or lost with a broken stream (raft sends them again).", "peer")
)

func (c *transportCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descSent, descReceived, descBatches, descReconnects, descQueue, descPeerDropped} {
		ch <- d
	}
}

func (c *transportCollector) Collect(ch chan<- prometheus.Metric) {
	for _, s := range c.b.peer.PeerStats() {
		peer := strconv.FormatUint(s.Node, 10)
		ch <- prometheus.MustNewConstMetric(descSent, prometheus.CounterValue, float64(s.SentBytes), peer)
		ch <- prometheus.MustNewConstMetric(descReceived, prometheus.CounterValue, float64(s.ReceivedBytes), peer)
		ch <- prometheus.MustNewConstMetric(descBatches, prometheus.CounterValue, float64(s.Batches), peer)
		ch <- prometheus.MustNewConstMetric(descReconnects, prometheus.CounterValue, float64(s.Reconnects), peer)
		ch <- prometheus.MustNewConstMetric(descQueue, prometheus.GaugeValue, float64(s.QueueBytes), peer)
		ch <- prometheus.MustNewConstMetric(descPeerDropped, prometheus.CounterValue, float64(s.Dropped), peer)
	}
}
