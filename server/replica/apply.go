package replica

import (
	"fmt"
	"time"

	"go.etcd.io/raft/v3/raftpb"
	"google.golang.org/protobuf/proto"

	internalv1 "github.com/sluice-io/sluice/gen/go/sluice/internalpb/v1"
	"github.com/sluice-io/sluice/storage"
)

// The methods in this file implement engine.StateMachine.

// AppliedIndex is the raft index of the last applied entry.
func (r *Replica) AppliedIndex() uint64 { return r.st.GetAppliedIndex() }

// Proposals coalesces every queued request into entries of at most
// CoalesceBytes of records (a larger request travels alone, as does an
// idempotent or compressed one, and enqueue refused any request that one
// entry could not hold), remembering which requests each entry carries.
func (r *Replica) Proposals() [][]byte {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out [][]byte
	if r.truncateTo > 0 {
		out = append(out, encodeTruncate(r.truncateTo))
		r.truncateTo = 0
	}
	for start := 0; start < len(r.pending); {
		end, size := start, 0
		for end < len(r.pending) && (end == start || r.pending[start].coalesces() && r.pending[end].coalesces() &&
			size+len(r.pending[end].records) <= r.cfg.CoalesceBytes) {
			size += len(r.pending[end].records)
			end++
		}
		out = append(out, r.proposeLocked(r.pending[start:end]))
		start = end
	}
	r.pending, r.pendingBytes = nil, 0
	return out
}

func (r *Replica) proposeLocked(reqs []*request) []byte {
	r.seq++
	r.inflight[r.seq] = reqs
	parts := make([][]byte, len(reqs))
	count, maxTS := 0, int64(0)
	for i, req := range reqs {
		parts[i] = req.records
		count += req.count
		maxTS = max(maxTS, req.maxTS)
	}
	id := proposalID{node: r.cfg.NodeID, incarnation: r.cfg.Incarnation, seq: r.seq}
	b := encodeBatch(id, count, maxTS, parts)
	if p := reqs[0].producer; p != nil {
		b = appendProducer(b, p)
	}
	return appendCompression(b, reqs[0].codec)
}

// Dropped fails the requests of proposals raft refused.
func (r *Replica) Dropped(data [][]byte, err error) {
	var failed []*request
	r.mu.Lock()
	for _, d := range data {
		if e, derr := decodeBatch(d); derr == nil {
			failed = append(failed, r.inflight[e.proposal.seq]...)
			delete(r.inflight, e.proposal.seq)
		}
	}
	r.mu.Unlock()
	failAll(failed, fmt.Errorf("%w (%v)", ErrProposalDropped, err))
}

// LeaderChanged records the leader; a replica that stops leading fails its
// waiting requests as retryable. Their entries may still commit under the new
// leader (so a retry can duplicate them, as in Kafka without idempotence), but
// no request is ever acknowledged unless its entry committed.
func (r *Replica) LeaderChanged(leader, term uint64) {
	if r.cfg.OnLeader != nil {
		r.cfg.OnLeader(r.cfg.Group, leader, term)
	}
	r.mu.Lock()
	r.leader, r.term = leader, term
	var failed []*request
	if leader != r.cfg.NodeID {
		failed = r.takeWaitersLocked()
	}
	r.mu.Unlock()
	r.signal() // wakes requests waiting for a leader
	failAll(failed, &NotLeaderError{Leader: leader})
}

// Apply assigns offsets to committed produce entries in index order and
// stages their offset index entries and the new applied state. Offsets depend
// only on the entries before, so every replica assigns the same ones.
func (r *Replica) Apply(b *storage.Batch, ents []*raftpb.Entry) error {
	for _, ent := range ents {
		r.st.AppliedIndex = ent.GetIndex()
		if ent.GetType() == raftpb.EntryNormal && len(ent.GetData()) > 0 {
			if err := r.applyEntry(b, ent); err != nil {
				return err
			}
		}
	}
	return r.stageState(b)
}

func (r *Replica) applyEntry(b *storage.Batch, ent *raftpb.Entry) error {
	e, err := decodeBatch(ent.GetData())
	if err != nil {
		return fmt.Errorf("entry %d of %s/%d: %w", ent.GetIndex(), r.cfg.Topic, r.cfg.Partition, err)
	}
	if e.isTrunc {
		r.applyTruncate(e.truncate)
		return nil
	}
	var adm admission
	if e.producer != nil {
		adm = r.admit(e.producer, e.count)
		if adm.err != nil || adm.duplicate {
			// Nothing is appended; only the waiter learns the verdict.
			r.completeOwn(e, adm.base, adm.err)
			return nil
		}
	}
	base := r.st.GetNextOffset()
	r.st.NextOffset = base + int64(e.count)
	r.st.NextPosition += int64(len(e.records))
	r.st.MaxTimestampMs = max(r.st.GetMaxTimestampMs(), e.maxTS)
	b.PutOffsetIndex(r.cfg.Group, storage.IndexEntry{
		BaseOffset: base, RaftIndex: ent.GetIndex(), Count: uint32(e.count), MaxTimestampMs: e.maxTS,
	})
	if e.maxTS > r.maxTS {
		// Entries only for batches that raise the maximum keep the time
		// index small and ordered by both time and offset (storage/timeindex.go).
		b.PutTimeIndex(r.cfg.Group, e.maxTS, base)
		r.maxTS = e.maxTS
	}
	r.staged = append(r.staged, Batch{BaseOffset: base, Count: e.count, Records: e.records, Compression: e.codec})
	if e.producer != nil {
		r.recordBatch(adm, e.producer, e.count, base, ent.GetIndex())
	}
	r.completeOwn(e, base, nil)
	return r.maybeCheckpoint(b)
}

// completeOwn queues the completion of an entry this broker proposed.
func (r *Replica) completeOwn(e batchEntry, base int64, err error) {
	if e.proposal.node == r.cfg.NodeID && e.proposal.incarnation == r.cfg.Incarnation {
		r.completions = append(r.completions, completion{seq: e.proposal.seq, base: base, err: err})
	}
}

func (r *Replica) stageState(b *storage.Batch) error {
	raw, err := proto.Marshal(r.st)
	if err != nil {
		return fmt.Errorf("encode state of %s/%d: %w", r.cfg.Topic, r.cfg.Partition, err)
	}
	b.PutGroupState(r.cfg.Group, raw)
	return nil
}

// Applied makes applied batches visible (cache first, then the high
// watermark, so a reader that sees the watermark finds the records), then
// acknowledges the requests whose entries committed.
func (r *Replica) Applied() {
	r.cache.add(r.staged)
	r.staged = nil
	if r.compactionsStaged > 0 {
		r.compactions.Add(r.compactionsStaged)
		r.compactionsStaged = 0
	}
	r.publishBounds()
	r.signal()
	r.complete()
}

func (r *Replica) complete() {
	if len(r.completions) == 0 {
		return
	}
	type ack struct {
		req  *request
		base int64
		err  error
	}
	var acks []ack
	r.mu.Lock()
	for _, c := range r.completions {
		base := c.base
		for _, req := range r.inflight[c.seq] {
			if !req.acked {
				acks = append(acks, ack{req, base, c.err})
			}
			base += int64(req.count)
		}
		delete(r.inflight, c.seq)
	}
	r.mu.Unlock()
	r.completions = r.completions[:0]
	for _, a := range acks {
		if a.err != nil {
			a.req.done(-1, a.err)
		} else {
			a.req.done(a.base, nil)
		}
	}
}

// SnapshotData is the applied state: offsets, never records.
func (r *Replica) SnapshotData() ([]byte, error) {
	return proto.Marshal(r.st)
}

// Restore takes the state of a snapshot from the leader: the log before its
// index is gone, and offsets continue from the snapshot's next offset.
func (r *Replica) Restore(b *storage.Batch, snap *raftpb.Snapshot) error {
	st := &internalv1.PartitionState{}
	if err := proto.Unmarshal(snap.GetData(), st); err != nil {
		return fmt.Errorf("decode snapshot of %s/%d: %w", r.cfg.Topic, r.cfg.Partition, err)
	}
	st.AppliedIndex = snap.GetMetadata().GetIndex()
	r.st = st
	r.tail = nil // the log below the snapshot is gone; what follows is learnt anew
	r.producers = nil
	r.staged = nil
	r.cache.reset()
	r.segment = segmentStart{position: st.GetNextPosition(), at: time.Now()}
	// The snapshot is where the log now starts; the checkpoints still
	// committed are the ones deleted below.
	r.compactPending = false
	// Whatever this replica held is older than the snapshot, whose log
	// starts after it: its offset index and checkpoints describe raft
	// entries that ApplySnapshot just removed.
	if err := b.DeleteIndexBefore(r.cfg.Group, st.GetNextOffset()); err != nil {
		return err
	}
	if err := b.DeleteCheckpointsThrough(r.cfg.Group, st.GetAppliedIndex()); err != nil {
		return err
	}
	return r.stageState(b)
}
