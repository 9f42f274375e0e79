// Package replica is a partition replica: the state machine of one partition's
// raft group. It coalesces produce requests into raft proposals, assigns
// offsets when entries apply, publishes the high watermark, and serves reads
// from recent batches in memory or from the raft log in storage.
package replica

import (
	"fmt"
	"sync"
	"sync/atomic"

	"google.golang.org/protobuf/proto"

	internalv1 "github.com/sluice-io/sluice/gen/go/sluice/internalpb/v1"
	sluicev1 "github.com/sluice-io/sluice/gen/go/sluice/v1"
	"github.com/sluice-io/sluice/storage"
)

// Config describes a replica.
type Config struct {
	Group     uint64
	Topic     string
	Partition int32
	// NodeID and Incarnation (random per broker start) mark this broker's
	// proposals, so it recognises them when they apply.
	NodeID, Incarnation uint64
	DB                  *storage.DB
	// Notify tells the raft engine that the replica has proposals.
	Notify func(group uint64)
	// MaxEntryBytes bounds one raft entry; requests are coalesced up to it.
	MaxEntryBytes int
	// MaxPendingBytes bounds the bytes waiting to be proposed.
	MaxPendingBytes int
	// CacheBytes bounds the recent batches kept in memory for readers.
	CacheBytes int
	// OnLeader, when set, learns each change of leader or term. It runs on the
	// raft engine's goroutine and must not block.
	OnLeader func(group, leader, term uint64)
}

// Done is called once per Append: with the base offset of the request's
// records once they are committed, or with the error that stopped them.
type Done func(baseOffset int64, err error)

type request struct {
	records []byte
	codec   sluicev1.Compression // of records
	count   int
	maxTS   int64
	done    Done
}

type completion struct {
	seq  uint64
	base int64
}

// Replica is one partition's state machine. Produce side methods are safe for
// concurrent use; the engine calls the StateMachine methods one at a time.
type Replica struct {
	cfg Config

	mu           sync.Mutex // guards the proposal side below
	pending      []*request
	pendingBytes int
	inflight     map[uint64][]*request
	seq          uint64
	leader       uint64
	closed       bool

	// Owned by the engine's goroutines.
	st *internalv1.PartitionState
	// maxTS is the largest batch timestamp applied (-1: none yet); a batch
	// that raises it gets a time index entry.
	maxTS       int64
	staged      []Batch
	completions []completion

	// Published for readers.
	hw       atomic.Int64
	logStart atomic.Int64
	cache    cache

	changedMu sync.Mutex
	changed   chan struct{}
	ended     bool // Close ran: Changed returns closed channels
}

// Open loads a replica's applied state from storage.
func Open(cfg Config) (*Replica, error) {
	if cfg.MaxEntryBytes <= 0 {
		cfg.MaxEntryBytes = 1 << 20
	}
	if cfg.MaxPendingBytes <= 0 {
		cfg.MaxPendingBytes = 64 << 20
	}
	if cfg.CacheBytes <= 0 {
		cfg.CacheBytes = 8 << 20
	}
	r := &Replica{
		cfg:      cfg,
		inflight: make(map[uint64][]*request),
		st:       &internalv1.PartitionState{},
		changed:  make(chan struct{}),
	}
	r.cache.limit = cfg.CacheBytes
	raw, err := cfg.DB.GroupState(cfg.Group)
	if err != nil {
		return nil, fmt.Errorf("load state of %s/%d: %w", cfg.Topic, cfg.Partition, err)
	}
	if raw != nil {
		if err := proto.Unmarshal(raw, r.st); err != nil {
			return nil, fmt.Errorf("decode state of %s/%d: %w", cfg.Topic, cfg.Partition, err)
		}
	}
	ts, ok, err := cfg.DB.MaxIndexedTimestamp(cfg.Group)
	if err != nil {
		return nil, fmt.Errorf("load time index of %s/%d: %w", cfg.Topic, cfg.Partition, err)
	}
	r.maxTS = -1
	if ok {
		r.maxTS = ts
	}
	r.publishBounds()
	return r, nil
}

// HighWatermark is the offset the next committed record will get.
func (r *Replica) HighWatermark() int64 { return r.hw.Load() }

// LogStartOffset is the oldest offset still stored.
func (r *Replica) LogStartOffset() int64 { return r.logStart.Load() }

// Leader is the broker leading the partition as this replica last heard (0: none).
func (r *Replica) Leader() uint64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.leader
}

// Changed returns a channel closed the next time the high watermark, the log
// start or the leader moves. Take it before checking the watermark, then wait on it.
// After Close it returns a closed channel, so no reader waits on a replica
// that will never change again.
func (r *Replica) Changed() <-chan struct{} {
	r.changedMu.Lock()
	defer r.changedMu.Unlock()
	return r.changed
}

func (r *Replica) signal() {
	r.changedMu.Lock()
	defer r.changedMu.Unlock()
	if r.ended {
		return
	}
	close(r.changed)
	r.changed = make(chan struct{})
}

// end closes the current channel for good.
func (r *Replica) end() {
	r.changedMu.Lock()
	defer r.changedMu.Unlock()
	if !r.ended {
		r.ended = true
		close(r.changed)
	}
}

// Append queues records (length-delimited encodings, see package wire) for the
// next proposal. done is called exactly once, unless Append returns an error.
func (r *Replica) Append(records []byte, count int, maxTS int64, done Done) error {
	return r.enqueue(&request{records: records, count: count, maxTS: maxTS, done: done})
}

func (r *Replica) enqueue(req *request) error {
	records := req.records
	r.mu.Lock()
	switch {
	case r.closed:
		r.mu.Unlock()
		return ErrStopped
	case r.leader != r.cfg.NodeID:
		leader := r.leader
		r.mu.Unlock()
		return &NotLeaderError{Leader: leader}
	case r.pendingBytes+len(records) > r.cfg.MaxPendingBytes && r.pendingBytes > 0:
		r.mu.Unlock()
		return ErrOverloaded
	}
	r.pending = append(r.pending, req)
	r.pendingBytes += len(records)
	first := len(r.pending) == 1
	r.mu.Unlock()
	if first {
		r.cfg.Notify(r.cfg.Group)
	}
	return nil
}

// Close fails every waiting request; the replica accepts no more.
func (r *Replica) Close() {
	r.mu.Lock()
	r.closed = true
	failed := r.takeWaitersLocked()
	r.mu.Unlock()
	failAll(failed, ErrStopped)
	r.end()
}

// Closed reports whether Close ran.
func (r *Replica) Closed() bool {
	r.changedMu.Lock()
	defer r.changedMu.Unlock()
	return r.ended
}

// takeWaitersLocked removes every pending and in-flight request.
func (r *Replica) takeWaitersLocked() []*request {
	out := r.pending
	for seq, reqs := range r.inflight {
		out = append(out, reqs...)
		delete(r.inflight, seq)
	}
	r.pending, r.pendingBytes = nil, 0
	return out
}

func failAll(reqs []*request, err error) {
	for _, req := range reqs {
		req.done(-1, err)
	}
}

func (r *Replica) publishBounds() {
	r.logStart.Store(r.st.GetLogStartOffset())
	r.hw.Store(r.st.GetNextOffset())
}
