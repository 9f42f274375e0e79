package server

import (
	"time"

	internalv1 "github.com/sluice-io/sluice/gen/go/sluice/internalpb/v1"
	"github.com/sluice-io/sluice/server/replica"
)

// Kafka's broker defaults: keep records 7 days, whatever their size.
const (
	defaultRetentionMs       = 7 * 24 * time.Hour / time.Millisecond
	defaultRetentionInterval = 30 * time.Second
	// gcDiscardRatio is the share of a value log file that must be garbage
	// before value log GC rewrites it (badger's recommendation).
	gcDiscardRatio = 0.5
	// After the last compaction, disk space is reclaimed again gcRetries
	// times and for gcRetryFor, at most every gcRetryEvery (each reclaim
	// pauses writes while badger flushes).
	gcRetries    = 3
	gcRetryFor   = 5 * time.Second
	gcRetryEvery = time.Second
)

// retentionOf returns a topic's retention limits: its retention.ms and
// retention.bytes configs, or else the broker's defaults. AlterTopicConfigs
// changes take effect at the next retention check. The offsets topic keeps
// everything whatever its configs say: a coordinator rebuilds its groups by
// replaying it, so retention would lose commits.
func (b *Broker) retentionOf(t *internalv1.TopicInfo) replica.Retention {
	if isInternalTopic(t.GetName()) {
		return replica.Unlimited
	}
	return replica.Retention{
		Bytes: topicInt(t, cfgRetentionBytes, b.cfg.RetentionBytes),
		Ms:    topicInt(t, cfgRetentionMs, b.cfg.RetentionMs),
	}
}

// retentionLoop applies retention every RetentionCheckInterval until the
// broker stops.
func (b *Broker) retentionLoop() {
	defer b.bg.Done()
	t := time.NewTicker(b.cfg.RetentionCheckInterval)
	defer t.Stop()
	var (
		compacted   uint64
		lastChange  time.Time
		lastReclaim time.Time
		retries     = gcRetries // reclaims since the last compaction; none before the first
	)
	for {
		select {
		case <-b.stopping:
			return
		case <-b.eng.Failed():
			return
		case now := <-t.C:
			n := b.enforceRetention(now)
			switch {
			case n != compacted:
				compacted, lastChange, lastReclaim, retries = n, now, now, 0
				b.reclaimSpace()
			case (retries < gcRetries || now.Sub(lastChange) < gcRetryFor) && now.Sub(lastReclaim) >= gcRetryEvery:
				// Badger learns which value log files became garbage from
				// compactions, which may not see every deleted value the
				// first time (a read still open, a compaction that finishes
				// later): reclaim again for a while.
				retries++
				lastReclaim = now
				b.reclaimSpace()
			}
		}
	}
}

// enforceRetention gives every local replica its topic's limits and has
// those this broker leads propose a new log start where records fell past
// them. It returns the number of log compactions the replicas made so far.
func (b *Broker) enforceRetention(now time.Time) uint64 {
	var compactions uint64
	for _, t := range b.meta.State().GetTopics() {
		lim := b.retentionOf(t)
		for _, p := range t.GetPartitions() {
			r := b.replica(p.GetGroup())
			if r == nil {
				continue
			}
			compactions += r.Compactions()
			r.SetRetention(lim)
			if r.Leader() != b.cfg.NodeID {
				continue
			}
			point, err := r.RetentionPoint(lim, now)
			if err != nil {
				b.log.Error("retention", "topic", t.GetName(), "partition", p.GetPartition(), "err", err)
				continue
			}
			if start := r.LogStartOffset(); point > start {
				// A replica that stopped leading meanwhile refuses; the next
				// leader proposes it at its next check.
				if r.TruncatePrefix(point) == nil {
					b.log.Info("retention removes records", "topic", t.GetName(), "partition", p.GetPartition(),
						"records", point-start, "up_to_offset", point-1, "log_start_offset", point,
						"retention_ms", lim.Ms, "retention_bytes", lim.Bytes)
				}
			}
		}
	}
	return compactions
}

// reclaimSpace gives back the disk space of removed records: deleting keys
// only marks them, and large entries live in badger's value log until value
// log GC rewrites the files that hold mostly garbage.
func (b *Broker) reclaimSpace() {
	start := time.Now()
	err := b.db.ReclaimSpace(gcDiscardRatio)
	b.imx.observeReclaim(time.Since(start))
	if err != nil {
		b.log.Warn("reclaim disk space after retention", "err", err)
		return
	}
	// Writes wait while badger flushes and compacts: worth seeing in debug logs.
	b.log.Debug("reclaimed disk space after retention", "took", time.Since(start))
}
