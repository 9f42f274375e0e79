package replica

import (
	"go.etcd.io/raft/v3/raftpb"
)

// acks=leader: answering once the leader's own log holds the records.
//
// Offsets are assigned when entries apply, from the entries before them, so
// an entry's offsets are known before it commits only to a replica that
// knows every entry between its applied index and that entry: then the
// entry, if it ever commits, commits behind exactly those (raft's log
// matching) and takes the offsets after theirs. Each replica therefore keeps
// the record counts of the entries its log holds above the applied index (the
// tail), learning them as they become durable (Persisted) and dropping a
// suffix that raft overwrote. A leader answers an acks=leader request when
// its entry is durable locally and the tail below it is complete; otherwise
// (a tail not known since a restart or snapshot) the request is answered at
// commit like acks=all. A request answered early whose entry is later lost
// to a leader change was acknowledged and lost, which is what acks=leader
// allows (as Kafka's acks=1).

// tailEntry is one entry of the tail: a raft index and the offsets it takes.
type tailEntry struct {
	index uint64
	count int
}

// Persisted implements engine.PersistObserver: it extends the tail with the
// entries now durable in this replica's log and answers the acks=leader
// requests whose entries are among them.
func (r *Replica) Persisted(ents []*raftpb.Entry) {
	r.pruneTail()
	var ours []completion
	for _, ent := range ents {
		r.cutTail(ent.GetIndex())
		e, isBatch := decodeEntry(ent)
		r.tail = append(r.tail, tailEntry{index: ent.GetIndex(), count: e.count})
		if isBatch && e.proposal.node == r.cfg.NodeID && e.proposal.incarnation == r.cfg.Incarnation &&
			ent.GetIndex() > r.st.GetAppliedIndex() {
			if base, ok := r.tailOffset(ent.GetIndex()); ok {
				ours = append(ours, completion{seq: e.proposal.seq, base: base})
			}
		}
	}
	r.ackLeader(ours)
}

// decodeEntry reads a normal entry's produce batch; anything else (empty
// leader entries, configuration changes) takes no offsets.
func decodeEntry(ent *raftpb.Entry) (batchEntry, bool) {
	if ent.GetType() != raftpb.EntryNormal || len(ent.GetData()) == 0 {
		return batchEntry{}, false
	}
	e, err := decodeBatch(ent.GetData())
	if err != nil {
		return batchEntry{}, false // Apply reports it
	}
	return e, true
}

// pruneTail drops the entries at or below the applied index.
func (r *Replica) pruneTail() {
	applied := r.st.GetAppliedIndex()
	i := 0
	for i < len(r.tail) && r.tail[i].index <= applied {
		i++
	}
	r.tail = r.tail[i:]
}

// cutTail drops the entries at index and above: raft replaced them.
func (r *Replica) cutTail(index uint64) {
	for len(r.tail) > 0 && r.tail[len(r.tail)-1].index >= index {
		r.tail = r.tail[:len(r.tail)-1]
	}
}

// tailOffset is the base offset the entry at index takes if it commits,
// when the tail knows every entry between the applied index and it.
func (r *Replica) tailOffset(index uint64) (int64, bool) {
	next, want := r.st.GetNextOffset(), r.st.GetAppliedIndex()+1
	for _, t := range r.tail {
		if t.index <= r.st.GetAppliedIndex() {
			continue
		}
		if t.index != want {
			return 0, false // a gap: entries persisted before a restart
		}
		if t.index == index {
			return next, true
		}
		next += int64(t.count)
		want++
	}
	return 0, false
}

// ackLeader answers the acks=leader requests of the given proposals; the
// others wait for the commit.
func (r *Replica) ackLeader(cs []completion) {
	if len(cs) == 0 {
		return
	}
	type ack struct {
		req  *request
		base int64
	}
	var acks []ack
	r.mu.Lock()
	for _, c := range cs {
		base := c.base
		for _, req := range r.inflight[c.seq] {
			if req.leaderAck && !req.acked {
				req.acked = true
				acks = append(acks, ack{req, base})
			}
			base += int64(req.count)
		}
	}
	r.mu.Unlock()
	for _, a := range acks {
		a.req.done(a.base, nil)
	}
}
