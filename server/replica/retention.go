package replica

import (
	"fmt"
	"time"

	"google.golang.org/protobuf/proto"

	internalv1 "github.com/sluice-io/sluice/gen/go/sluice/internalpb/v1"
	"github.com/sluice-io/sluice/storage"
)

// Retention works on segments, as Kafka's does. A replica ends a segment when
// the records applied since the last boundary reach the segment size (or age)
// by storing a checkpoint: its state right after that entry. Retention moves
// the log start offset to a segment boundary, through a TruncatePrefix entry
// that every replica applies at the same point of the log; then each replica
// compacts its raft log to its newest checkpoint at or below the new log
// start, which becomes its raft snapshot (metadata only). Checkpoints are
// local: replicas may end segments at different entries, and need not agree on
// where they compact, only on the log start offset readers see.

// Retention is a partition's retention limits; a negative value is unlimited.
type Retention struct {
	// Bytes is retention.bytes: whole segments are removed from the front
	// while the rest of the log still holds at least this many bytes.
	Bytes int64
	// Ms is retention.ms: a segment is removed once its newest record is
	// older than this many milliseconds.
	Ms int64
}

// Unlimited keeps everything.
var Unlimited = Retention{Bytes: -1, Ms: -1}

const (
	// maxSegmentBytes and maxSegmentAge bound a segment whatever the limits.
	// A segment boundary costs one small checkpoint write, so segments are far
	// smaller than Kafka's 1 GiB files.
	maxSegmentBytes = 64 << 20
	maxSegmentAge   = 10 * time.Minute
	// segmentsPerLimit segments span a retention limit, so that the log
	// retains at most about 1/segmentsPerLimit more than the limit.
	segmentsPerLimit = 8
	minSegmentBytes  = 64 << 10
	minSegmentAge    = time.Second
)

// segmentStart is where the current segment began.
type segmentStart struct {
	position int64
	at       time.Time
}

// segmentBounds returns the size and age at which a segment ends under lim.
func segmentBounds(lim Retention) (bytes int64, age time.Duration) {
	bytes, age = maxSegmentBytes, maxSegmentAge
	if lim.Bytes >= 0 {
		bytes = min(bytes, max(lim.Bytes/segmentsPerLimit, minSegmentBytes))
	}
	if lim.Ms >= 0 {
		// In milliseconds first: retention.ms may be up to MaxInt64
		// (Kafka's "forever"), whose Duration overflows.
		ms := min(lim.Ms/segmentsPerLimit, maxSegmentAge.Milliseconds())
		age = min(age, max(time.Duration(ms)*time.Millisecond, minSegmentAge))
	}
	return bytes, age
}

// SetRetention changes the limits the replica cuts segments for; the broker
// calls it when a topic's configuration may have changed.
func (r *Replica) SetRetention(lim Retention) {
	bytes, age := segmentBounds(lim)
	r.segmentBytes.Store(bytes)
	r.segmentAge.Store(int64(age))
}

// maybeCheckpoint ends the current segment after the entry just applied if
// it is large or old enough.
func (r *Replica) maybeCheckpoint(b *storage.Batch) error {
	now := time.Now()
	size := r.st.GetNextPosition() - r.segment.position
	if size < r.segmentBytes.Load() && now.Sub(r.segment.at) < time.Duration(r.segmentAge.Load()) {
		return nil
	}
	raw, err := proto.Marshal(r.st)
	if err != nil {
		return fmt.Errorf("encode checkpoint of %s/%d: %w", r.cfg.Topic, r.cfg.Partition, err)
	}
	b.PutCheckpoint(r.cfg.Group, r.st.GetAppliedIndex(), raw)
	r.segment = segmentStart{position: r.st.GetNextPosition(), at: now}
	return nil
}

// applyTruncate moves the log start offset forward (never back, never past
// the high watermark) and asks for a compaction.
func (r *Replica) applyTruncate(logStart int64) {
	logStart = min(logStart, r.st.GetNextOffset())
	if logStart > r.st.GetLogStartOffset() {
		r.st.LogStartOffset = logStart
		r.compactPending = true
	}
}

// RetentionPoint returns the log start offset that lim asks for at time now:
// the end of the last segment past either limit, or the current log start
// when none is. It reads committed state only, so any goroutine may call it.
func (r *Replica) RetentionPoint(lim Retention, now time.Time) (int64, error) {
	logStart, total := r.logStart.Load(), r.position.Load()
	point := logStart
	var decodeErr error
	err := r.cfg.DB.Checkpoints(r.cfg.Group, func(index uint64, raw []byte) bool {
		var ck internalv1.PartitionState
		if decodeErr = proto.Unmarshal(raw, &ck); decodeErr != nil {
			decodeErr = fmt.Errorf("checkpoint at %d: %w", index, decodeErr)
			return false
		}
		if ck.GetNextOffset() <= logStart {
			return true
		}
		// Both conditions hold for a prefix of the segments: the rest of the
		// log shrinks, and the newest timestamp before a boundary grows.
		bySize := lim.Bytes >= 0 && total-ck.GetNextPosition() >= lim.Bytes
		byTime := lim.Ms >= 0 && ck.GetMaxTimestampMs() < now.UnixMilli()-lim.Ms
		if !bySize && !byTime {
			return false
		}
		point = ck.GetNextOffset()
		return true
	})
	if err == nil {
		err = decodeErr
	}
	if err != nil {
		return 0, fmt.Errorf("retention of %s/%d: %w", r.cfg.Topic, r.cfg.Partition, err)
	}
	return point, nil
}

// TruncatePrefix proposes moving the log start offset to logStart. Only the
// leader proposes; the entry's outcome needs no waiter, since a dropped one
// is proposed again at the next retention check.
func (r *Replica) TruncatePrefix(logStart int64) error {
	r.mu.Lock()
	switch {
	case r.closed:
		r.mu.Unlock()
		return ErrStopped
	case r.leader != r.cfg.NodeID:
		leader := r.leader
		r.mu.Unlock()
		return &NotLeaderError{Leader: leader}
	}
	r.truncateTo = max(r.truncateTo, logStart)
	r.mu.Unlock()
	r.cfg.Notify(r.cfg.Group)
	return nil
}

// Compaction implements engine.Compactor: after the log start moved, the
// newest checkpoint at or below it, as the snapshot of a log that starts
// there.
func (r *Replica) Compaction() (uint64, []byte, error) {
	if !r.compactPending {
		return 0, nil, nil
	}
	r.compactPending = false
	var (
		index     uint64
		best      *internalv1.PartitionState
		decodeErr error
	)
	err := r.cfg.DB.Checkpoints(r.cfg.Group, func(i uint64, raw []byte) bool {
		ck := &internalv1.PartitionState{}
		if decodeErr = proto.Unmarshal(raw, ck); decodeErr != nil {
			decodeErr = fmt.Errorf("checkpoint at %d: %w", i, decodeErr)
			return false
		}
		if ck.GetNextOffset() > r.st.GetLogStartOffset() {
			return false
		}
		index, best = i, ck
		return true
	})
	if err == nil {
		err = decodeErr
	}
	if err != nil || best == nil {
		return 0, nil, err
	}
	// A replica that installs this snapshot holds no records before the
	// snapshot's next offset: that is where its log starts, until it applies
	// the entries after the snapshot (among them the TruncatePrefix).
	best.LogStartOffset = best.GetNextOffset()
	best.AppliedIndex = index
	data, err := proto.Marshal(best)
	if err != nil {
		return 0, nil, fmt.Errorf("encode snapshot of %s/%d: %w", r.cfg.Topic, r.cfg.Partition, err)
	}
	r.compactedBelow = best.GetNextOffset()
	return index, data, nil
}

// Compacted implements engine.Compactor: the offset index of the removed
// batches and the checkpoints up to the compaction point go with them.
func (r *Replica) Compacted(b *storage.Batch, index uint64) error {
	if err := b.DeleteIndexBefore(r.cfg.Group, r.compactedBelow); err != nil {
		return err
	}
	if err := b.DeleteCheckpointsThrough(r.cfg.Group, index); err != nil {
		return err
	}
	r.compactionsStaged++ // counted once durable, by Applied
	return nil
}

// Compactions counts the log compactions this replica made durable (the
// broker reclaims disk space after them: before, the deleted keys are not
// yet in badger for its flush to see).
func (r *Replica) Compactions() uint64 { return r.compactions.Load() }
