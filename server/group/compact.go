package group

import (
	"context"
	"slices"
	"time"

	internalv1 "github.com/sluice-io/sluice/gen/go/sluice/internalpb/v1"
)

// A coordinator that takes over replays its partition from the log start,
// so without a bound its load time grows with every commit ever made. The
// coordinator bounds it by compacting the log: once the log holds
// CompactRecords records (and at least as many as the state takes) more
// than its last restatement, it appends records
// that restate the whole state of the shard's groups (each group's
// generation and members, its offsets) and moves the log start to the
// first of them. Replaying from there rebuilds the same state. Writes wait
// while it runs (the gate), so the state restated is exactly the log's up
// to that point; a compaction that fails half way leaves restated records
// that repeat the state, which replays the same.

const (
	// DefaultCompactRecords bounds the records a new coordinator replays
	// beyond its groups' state: about 100 ms of replay.
	DefaultCompactRecords = 100_000
	// restateBatchBytes bounds one append of restated records (one raft
	// entry), far under any entry limit.
	restateBatchBytes = 32 << 10
	// restateOffsets bounds the offsets of one restated commit record.
	restateOffsets = 256
	compactTimeout = 30 * time.Second
)

// maybeCompact starts a compaction of sh when its log grew enough; c.mu held.
func (c *Coordinator) maybeCompact(sh *shard) {
	if sh.compacting || sh.records < sh.compactAt {
		return
	}
	sh.compacting = true
	c.wg.Add(1)
	go c.compact(sh)
}

func (c *Coordinator) compact(sh *shard) {
	defer c.wg.Done()
	start := time.Now()
	sh.gate.Lock()
	defer sh.gate.Unlock()
	c.mu.Lock()
	if !c.current(sh) {
		c.mu.Unlock()
		return
	}
	before := sh.records
	recs, err := restatement(sh)
	c.mu.Unlock()
	first := int64(-1)
	if err == nil {
		first, err = c.appendRestatement(sh, recs)
	}
	if err == nil {
		err = sh.log.Truncate(first)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	sh.compacting = false
	if err != nil {
		// Retried once the log grew by as much again; the coordinator may
		// have lost its leadership meanwhile.
		sh.compactAt = sh.records + c.cfg.CompactRecords
		c.log.Info("compact group log failed", "partition", sh.partition, "err", err)
		return
	}
	// Next time once as many records again came, and at least as many as
	// the state: restating costs at most one write per record written.
	sh.records = len(recs)
	sh.compactAt = len(recs) + max(c.cfg.CompactRecords, len(recs))
	c.log.Info("compacted group log", "partition", sh.partition, "records_before", before,
		"records_after", len(recs), "log_start", first, "took", time.Since(start).Round(time.Millisecond))
}

// appendRestatement appends the encoded records in batches of at most
// restateBatchBytes and returns the offset of the first.
func (c *Coordinator) appendRestatement(sh *shard, recs [][]byte) (int64, error) {
	ctx, cancel := context.WithTimeout(sh.ctx, compactTimeout)
	defer cancel()
	first := int64(-1)
	for len(recs) > 0 {
		n, size := 0, 0
		for n < len(recs) && (n == 0 || size+len(recs[n]) <= restateBatchBytes) {
			size += len(recs[n])
			n++
		}
		at, err := sh.log.Append(ctx, recs[:n])
		if err != nil {
			return -1, err
		}
		if first < 0 {
			first = at
		}
		recs = recs[n:]
	}
	return first, nil
}

// restatement encodes the state of sh's groups as records: for each group
// its generation (with every member owning what it owns now) and its
// offsets, in commit records of at most restateOffsets. There is always at
// least one record (a marker when there are no groups), so the log start
// can move. c.mu held.
func restatement(sh *shard) ([][]byte, error) {
	var out [][]byte
	add := func(r *internalv1.GroupRecord) error {
		b, err := encode(r)
		if err == nil {
			out = append(out, b)
		}
		return err
	}
	for _, id := range slices.Sorted(mapsKeys(sh.groups)) {
		g := sh.groups[id]
		if g.generation > 0 || len(g.members) > 0 {
			owned := map[string][]TP{}
			for _, m := range g.members {
				owned[m.id] = m.owned
			}
			if err := add(metadataRecord(g, g.generation, owned)); err != nil {
				return nil, err
			}
		}
		tps := slices.SortedFunc(mapsKeys(g.offsets), compareTP)
		for len(tps) > 0 {
			n := min(len(tps), restateOffsets)
			chunk := map[TP]Offset{}
			for _, tp := range tps[:n] {
				chunk[tp] = g.offsets[tp]
			}
			if err := add(commitRecord(id, chunk)); err != nil {
				return nil, err
			}
			tps = tps[n:]
		}
	}
	if len(out) == 0 {
		if err := add(&internalv1.GroupRecord{Kind: &internalv1.GroupRecord_Marker{Marker: &internalv1.CoordinatorMarker{Term: sh.term}}}); err != nil {
			return nil, err
		}
	}
	return out, nil
}
