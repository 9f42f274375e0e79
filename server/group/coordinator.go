// Package group is the consumer group coordinator. The coordinator of a
// group is the leader of one partition of the internal offsets topic (the
// group id's hash modulo its partition count); it keeps the group's members,
// generation, assignment and committed offsets in memory and writes every
// change as a record of that partition (acks=all) before acting on it. A
// broker that becomes leader of an offsets partition replays it, so a
// coordinator failover loses neither commits nor generations.
//
// The broker (package server) implements Log over the partition's replica
// and tells the coordinator which offsets partitions it leads.
package group

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"log/slog"
	"maps"
	"sync"
	"sync/atomic"
	"time"
)

// Log is one partition of the offsets topic as the coordinator uses it.
type Log interface {
	// Append writes records (GroupRecord encodings) and returns the offset of
	// the first once all are committed by the partition's raft group.
	Append(ctx context.Context, values [][]byte) (int64, error)
	// ReadAll calls fn with every committed record from the log start, in
	// offset order, up to the high watermark when it was called.
	ReadAll(ctx context.Context, fn func(offset int64, value []byte) error) error
	// Truncate moves the log start to before: ReadAll no longer reads the
	// records below it. It may take effect later.
	Truncate(before int64) error
}

// Config sets up a Coordinator.
type Config struct {
	// NodeID is written in the marker a new coordinator appends.
	NodeID uint64
	// Topics returns a topic's partition count; false for a topic that does not exist.
	Topics func(name string) (int32, bool)
	// Tick is how often session timeouts are checked (default 100 ms).
	Tick   time.Duration
	Logger *slog.Logger
	// CompactRecords is how many records a shard's log may hold beyond its
	// last restatement of the state before it is restated again and the
	// records before dropped (default DefaultCompactRecords).
	CompactRecords int
}

// Offset is a committed offset.
type Offset struct {
	Offset   int64
	Metadata string
	// at is the log offset of the record that committed it: commits apply
	// in log order even when their writes complete out of order.
	at int64
}

// Coordinator coordinates the groups of the offsets partitions this broker leads.
type Coordinator struct {
	cfg Config
	log *slog.Logger

	mu     sync.Mutex
	shards map[int32]*shard
	closed bool

	stop chan struct{}
	wg   sync.WaitGroup

	// rebalances and commits count for the metrics (stats.go).
	rebalances, commits atomic.Uint64
}

// shard is one offsets partition this broker leads, and its groups.
type shard struct {
	partition int32
	term      uint64
	log       Log
	ctx       context.Context
	cancel    context.CancelFunc
	loaded    bool
	groups    map[string]*group

	// gate is held shared by every write to the log, from its append until
	// the coordinator applied it, and exclusively by a compaction, so that
	// the state a compaction restates is the log's up to that point.
	gate sync.RWMutex
	// records is how many records the log holds from its start (as far as
	// this coordinator knows); compactAt is where the next compaction starts.
	records, compactAt int
	compacting         bool
}

// New returns a coordinator; Close stops it.
func New(cfg Config) *Coordinator {
	if cfg.Tick <= 0 {
		cfg.Tick = 100 * time.Millisecond
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.CompactRecords <= 0 {
		cfg.CompactRecords = DefaultCompactRecords
	}
	c := &Coordinator{cfg: cfg, log: cfg.Logger, shards: map[int32]*shard{}, stop: make(chan struct{})}
	c.wg.Add(1)
	go c.tickLoop()
	return c
}

// Close ends every session and waits for the coordinator's goroutines.
func (c *Coordinator) Close() {
	if c == nil {
		return
	}
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return
	}
	c.closed = true
	close(c.stop)
	for p, sh := range c.shards {
		c.dropLocked(sh, true)
		delete(c.shards, p)
	}
	c.mu.Unlock()
	c.wg.Wait()
}

// LeaderChanged tells the coordinator whether this broker leads an offsets
// partition (in raft term term). It does not block: it runs on the raft
// engine's goroutine. Becoming leader starts a replay of the partition;
// losing it ends the sessions of its groups, whose members find the new
// coordinator.
func (c *Coordinator) LeaderChanged(partition int32, leading bool, term uint64, log Log) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return
	}
	old := c.shards[partition]
	if leading && old != nil && old.term == term {
		return
	}
	if old != nil {
		c.dropLocked(old, false)
		delete(c.shards, partition)
	}
	if !leading {
		return
	}
	ctx, cancel := context.WithCancel(context.Background())
	sh := &shard{partition: partition, term: term, log: log, ctx: ctx, cancel: cancel, groups: map[string]*group{}}
	c.shards[partition] = sh
	c.wg.Add(1)
	go c.load(sh)
}

// dropLocked forgets a shard: its loading stops and its sessions end, with
// ErrClosed when the coordinator stops, else a not-coordinator error that
// sends the members to the partition's new leader.
func (c *Coordinator) dropLocked(sh *shard, closing bool) {
	sh.cancel()
	for _, g := range sh.groups {
		var err error = &NotCoordinatorError{Group: g.id, Partition: sh.partition}
		if closing {
			err = ErrClosed
		}
		for _, m := range g.members {
			if m.session != nil {
				m.session.end(err)
				m.session = nil
			}
		}
	}
}

// shardFor returns the loaded shard of a group's partition.
func (c *Coordinator) shardFor(groupID string, partition int32) (*shard, error) {
	if c.closed {
		return nil, ErrClosed
	}
	sh := c.shards[partition]
	if sh == nil {
		return nil, &NotCoordinatorError{Group: groupID, Partition: partition}
	}
	if !sh.loaded {
		return nil, ErrLoading
	}
	return sh, nil
}

// current reports whether sh is still the shard of its partition.
func (c *Coordinator) current(sh *shard) bool {
	return !c.closed && c.shards[sh.partition] == sh
}

// Loaded reports whether this broker coordinates the groups of an offsets
// partition and has replayed its log.
func (c *Coordinator) Loaded(partition int32) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	sh := c.shards[partition]
	return sh != nil && sh.loaded
}

// TopicsChanged tells the coordinator that the metadata changed: groups
// whose subscribed topics gained partitions (or appeared) rebalance.
func (c *Coordinator) TopicsChanged() {
	c.mu.Lock()
	defer c.mu.Unlock()
	now := time.Now()
	for _, sh := range c.shards {
		if !sh.loaded {
			continue
		}
		for _, g := range sh.groups {
			c.step(g, now)
		}
	}
}

func (c *Coordinator) tickLoop() {
	defer c.wg.Done()
	t := time.NewTicker(c.cfg.Tick)
	defer t.Stop()
	for {
		select {
		case <-c.stop:
			return
		case <-t.C:
		}
		c.tick(time.Now())
	}
}

// tick evicts members whose session or revocation timed out and moves
// every group's rebalance on (it also retries failed writes).
func (c *Coordinator) tick(now time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, sh := range c.shards {
		if !sh.loaded {
			continue
		}
		for _, g := range sh.groups {
			c.expire(g, now)
			c.step(g, now)
		}
		c.maybeCompact(sh)
	}
}

// counts returns the partition counts of the topics g's members subscribe to.
func (c *Coordinator) counts(g *group) map[string]int32 {
	out := map[string]int32{}
	for _, m := range g.members {
		for _, t := range m.topics {
			if n, ok := c.cfg.Topics(t); ok {
				out[t] = n
			}
		}
	}
	return out
}

func sameCounts(a, b map[string]int32) bool { return maps.Equal(a, b) }

func newMemberID(instance string) string {
	var b [8]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails on supported platforms
	prefix := "member"
	if instance != "" {
		prefix = instance
	}
	return prefix + "-" + hex.EncodeToString(b[:])
}

func mapsKeys[K comparable, V any](m map[K]V) func(func(K) bool) { return maps.Keys(m) }
