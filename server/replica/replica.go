// Package replica is a partition replica: the state machine of one partition's
// raft group. It coalesces produce requests into raft proposals, assigns
// offsets when entries apply, publishes the high watermark, and serves reads
// from recent batches in memory or from the raft log in storage.
package replica

import (
	"fmt"
	"sync"
	"sync/atomic"
	"time"

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
	// MaxEntryBytes bounds the data of one raft entry, which must fit the
	// storage (0: DB.MaxEntryBytes()). A request whose records would not
	// fit one entry is refused (EntryTooLargeError), and coalescing never
	// builds a larger one.
	MaxEntryBytes int
	// CoalesceBytes is the size up to which requests are coalesced into one
	// entry (0: 1 MiB; never more than MaxEntryBytes allows).
	CoalesceBytes int
	// MaxPendingBytes bounds the bytes waiting to be proposed.
	MaxPendingBytes int
	// CacheBytes bounds the recent batches kept in memory for readers.
	CacheBytes int
	// CacheBudget, when set, is the broker's budget that every replica's
	// cache shares: the least recently used caches are emptied when the
	// total passes it.
	CacheBudget *storage.CacheBudget
	// OnLeader, when set, learns each change of leader or term. It runs on the
	// raft engine's goroutine and must not block.
	OnLeader func(group, leader, term uint64)
	// OnFailed, when set, learns that the replica failed and stopped (see
	// Failed). It runs on the raft engine's goroutine and must not block.
	OnFailed func(group uint64, err error)
	// Retention sets the segment size to start with (see SetRetention); nil
	// means Unlimited.
	Retention *Retention
	// MaxProducers bounds the idempotent producers the partition
	// remembers (0: DefaultMaxProducers); see producers.go.
	MaxProducers int
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
	// leaderAck asks for the answer once the leader's log holds the records
	// (acks=leader); acked records that it was given (see persisted.go).
	leaderAck, acked bool
	// producer is set for an idempotent request (producers.go).
	producer *Producer
}

type completion struct {
	seq  uint64
	base int64
	err  error // an idempotent request refused at apply
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
	term         uint64 // the raft term leader was last heard of in
	closed       bool
	stopErr      error // why the replica stopped (ErrStopped, or a FailedError)
	truncateTo   int64 // a TruncatePrefix to propose, 0 if none

	// Owned by the engine's goroutines.
	st *internalv1.PartitionState
	// maxTS is the largest batch timestamp applied (-1: none yet); a batch
	// that raises it gets a time index entry.
	maxTS          int64
	staged         []Batch
	completions    []completion
	segment        segmentStart
	compactPending bool
	compactedBelow int64
	// tail is what this replica's log holds above the applied index, for
	// acks=leader (persisted.go).
	tail []tailEntry
	// producers indexes st.Producers by id; nil until first used.
	producers map[int64]*internalv1.ProducerState

	// Segment bounds, set by SetRetention.
	segmentBytes atomic.Int64
	segmentAge   atomic.Int64 // a time.Duration

	// Published for readers.
	hw          atomic.Int64
	logStart    atomic.Int64
	position    atomic.Int64
	compactions atomic.Uint64
	cache       cache

	// compactionsStaged counts compactions in the batch being applied
	// (engine goroutine only).
	compactionsStaged uint64

	changedMu sync.Mutex
	changed   chan struct{}
	ended     bool // Close ran: Changed returns closed channels
}

// Open loads a replica's applied state from storage.
func Open(cfg Config) (*Replica, error) {
	if cfg.MaxEntryBytes <= 0 {
		cfg.MaxEntryBytes = cfg.DB.MaxEntryBytes()
	}
	if cfg.MaxEntryBytes <= MaxEntryOverhead {
		return nil, fmt.Errorf("replica %s/%d: MaxEntryBytes %d leaves no room for records", cfg.Topic, cfg.Partition, cfg.MaxEntryBytes)
	}
	if cfg.CoalesceBytes <= 0 {
		cfg.CoalesceBytes = 1 << 20
	}
	cfg.CoalesceBytes = min(cfg.CoalesceBytes, cfg.MaxEntryBytes-MaxEntryOverhead)
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
	lim := Unlimited
	if cfg.Retention != nil {
		lim = *cfg.Retention
	}
	r.SetRetention(lim)
	r.segment = segmentStart{position: r.st.GetNextPosition(), at: time.Now()}
	// A log start that moved before a restart may still have a compaction
	// to catch up with.
	r.compactPending = true
	if cfg.CacheBudget != nil {
		r.cache.share = cfg.CacheBudget.Join(&r.cache)
	}
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

// LeaderTerm is Leader with the raft term this replica last heard of, in
// which that leader leads (or an election runs, when the leader is 0).
func (r *Replica) LeaderTerm() (leader, term uint64) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.leader, r.term
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
// next proposal. done is called exactly once, unless Append returns an error:
// when the records commit (acks=all).
func (r *Replica) Append(records []byte, count int, maxTS int64, done Done) error {
	return r.AppendAcks(records, count, maxTS, false, done)
}

// AppendAcks is Append; with leaderAck, done is called as soon as this
// leader's log holds the records durably and their offsets are known
// (acks=leader), which may be before they commit.
func (r *Replica) AppendAcks(records []byte, count int, maxTS int64, leaderAck bool, done Done) error {
	return r.enqueue(&request{records: records, count: count, maxTS: maxTS, done: done, leaderAck: leaderAck})
}

func (r *Replica) enqueue(req *request) error {
	records := req.records
	if limit := r.cfg.MaxEntryBytes - MaxEntryOverhead; len(records) > limit {
		return &EntryTooLargeError{Size: len(records), Limit: limit}
	}
	r.mu.Lock()
	switch {
	case r.closed:
		err := r.stopErr
		r.mu.Unlock()
		return err
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
	r.stop(ErrStopped)
	r.cache.leave()
}

// Failed implements engine.FailureObserver: the engine stopped the replica's
// raft group because its state machine or storage failed, so the replica
// stops as Close does, every waiting and later request failing with a
// FailedError. Its memory may be ahead of its storage (Apply ran for entries
// that never became durable), so nothing of it is trusted again; a restart
// reopens it from storage.
func (r *Replica) Failed(err error) {
	ferr := &FailedError{Err: err}
	r.stop(ferr)
	if r.cfg.OnFailed != nil {
		r.cfg.OnFailed(r.cfg.Group, ferr)
	}
}

// stop closes the replica: every waiting and later request fails with the
// error of the first stop (a FailedError stays one through a later Close).
func (r *Replica) stop(err error) {
	r.mu.Lock()
	r.closed = true
	if r.stopErr == nil {
		r.stopErr = err
	}
	err = r.stopErr
	failed := r.takeWaitersLocked()
	r.mu.Unlock()
	failAll(failed, err)
	r.end()
}

// Closed reports whether Close or Failed ran.
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

// failAll fails the requests not yet answered (acks=leader ones may have been).
func failAll(reqs []*request, err error) {
	for _, req := range reqs {
		if !req.acked {
			req.done(-1, err)
		}
	}
}

func (r *Replica) publishBounds() {
	r.logStart.Store(r.st.GetLogStartOffset())
	r.hw.Store(r.st.GetNextOffset())
	r.position.Store(r.st.GetNextPosition())
}
