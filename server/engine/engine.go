package engine

import (
	"errors"
	"fmt"
	"log/slog"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"go.etcd.io/raft/v3"
	"go.etcd.io/raft/v3/raftpb"

	"github.com/sluice-io/sluice/storage"
)

// Config sets up an Engine.
type Config struct {
	// NodeID is this broker's raft id in every group; never 0.
	NodeID uint64
	// DB holds the raft logs and state machine effects of every group.
	DB *storage.DB
	// Transport sends messages to peers; may be nil on a single broker.
	Transport Transport
	// Workers steps groups in parallel; 0 means GOMAXPROCS.
	Workers int
	// TickInterval is raft's logical clock; 0 means 100 ms.
	TickInterval time.Duration
	// ElectionTicks and HeartbeatTicks are in ticks; 0 means 10 and 2: with
	// 100 ms ticks, heartbeats every 200 ms and elections after 1-2 s. Each
	// heartbeat is a message per follower per group, the main idle cost.
	ElectionTicks, HeartbeatTicks int
	// MaxSizePerMsg bounds the entries in one append message (one entry
	// larger than it still goes alone); 0 means DefaultMaxSizePerMsg.
	MaxSizePerMsg uint64
	// MaxInflightMsgs bounds unacknowledged appends per follower; 0 means 256.
	MaxInflightMsgs int
	// MaxInflightBytes bounds the entry bytes of the appends a leader has
	// sent one follower and not yet had acknowledged, per group: a follower
	// far behind is fed at most this much at a time rather than its whole
	// backlog (raft.Config.MaxInflightBytes). At least MaxSizePerMsg; 0
	// means DefaultMaxInflightBytes.
	MaxInflightBytes uint64
	// MaxInboxBytes bounds the bytes of peer messages (entries and
	// snapshot data) waiting for one group's next cycle; past it, Deliver
	// drops what arrives (raft sends it again) rather than let a slow cycle
	// (a stalled disk) queue without limit. A group always takes one
	// message, however large. 0 means 64 MiB.
	MaxInboxBytes int
	Logger        *slog.Logger
}

func (c *Config) setDefaults() {
	if c.Workers <= 0 {
		c.Workers = runtime.GOMAXPROCS(0)
	}
	if c.TickInterval <= 0 {
		c.TickInterval = 100 * time.Millisecond
	}
	if c.ElectionTicks <= 0 {
		c.ElectionTicks = 10
	}
	if c.HeartbeatTicks <= 0 {
		c.HeartbeatTicks = 2
	}
	if c.MaxSizePerMsg == 0 {
		c.MaxSizePerMsg = DefaultMaxSizePerMsg
	}
	if c.MaxInflightMsgs <= 0 {
		c.MaxInflightMsgs = 256
	}
	if c.MaxInflightBytes == 0 {
		c.MaxInflightBytes = max(DefaultMaxInflightBytes, c.MaxSizePerMsg)
	}
	if c.MaxInboxBytes <= 0 {
		c.MaxInboxBytes = 64 << 20
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
}

// Defaults of the append flow control. Four full appends in flight keep a
// follower's link busy up to 16 MiB per round trip (1 Gbit/s at 130 ms, or
// loopback), and bound what one lagging group can have queued for one peer.
const (
	DefaultMaxSizePerMsg    = 4 << 20
	DefaultMaxInflightBytes = 4 * DefaultMaxSizePerMsg
)

// ErrStopped is returned by calls on an engine that has stopped.
var ErrStopped = errors.New("raft engine stopped")

// Engine runs the raft groups of one broker.
//
// Lock order: cycleMu, then mu, then a group's mu, then qmu.
type Engine struct {
	cfg Config
	log *slog.Logger

	// cycleMu is held by the loop for a whole cycle; adding and removing groups
	// take it so that no cycle sees a group half set up or half torn down.
	cycleMu sync.Mutex

	mu     sync.RWMutex
	groups map[uint64]*group

	qmu   sync.Mutex
	queue []*group
	wake  chan struct{}

	heard liveness
	// inboxDrops counts messages dropped from full inboxes; inboxWarned
	// is when that was last logged (unix ns).
	inboxDrops  atomic.Uint64
	inboxWarned atomic.Int64
	// stats is what the engine counts for metrics (stats.go); cycleEntries
	// carries a cycle's appended entries from persist to its observation
	// (the loop's alone, under cycleMu).
	stats        *counters
	cycleEntries int

	tasks chan func()
	stop  chan struct{}
	wg    sync.WaitGroup

	stopOnce sync.Once
	errMu    sync.Mutex
	err      error
	failed   chan struct{}
}

// New creates an engine; Start runs it.
func New(cfg Config) (*Engine, error) {
	if cfg.NodeID == 0 {
		return nil, errors.New("engine: node id must not be 0")
	}
	if cfg.DB == nil {
		return nil, errors.New("engine: no storage")
	}
	cfg.setDefaults()
	if cfg.MaxInflightBytes < cfg.MaxSizePerMsg {
		return nil, fmt.Errorf("engine: max in-flight bytes %d is under the max append size %d", cfg.MaxInflightBytes, cfg.MaxSizePerMsg)
	}
	return &Engine{
		cfg:    cfg,
		log:    cfg.Logger.With("component", "raft-engine"),
		groups: make(map[uint64]*group),
		heard:  liveness{heard: map[uint64]*atomic.Int64{}},
		wake:   make(chan struct{}, 1),
		tasks:  make(chan func()),
		stop:   make(chan struct{}),
		failed: make(chan struct{}),
		stats:  newCounters(),
	}, nil
}

// Start runs the loop, the ticker and the workers until Stop.
func (e *Engine) Start() {
	for i := 0; i < e.cfg.Workers; i++ {
		e.wg.Add(1)
		go e.worker()
	}
	e.wg.Add(2)
	go e.run()
	go e.tick()
}

// Stop ends the loop after its current cycle and waits for every goroutine of
// the engine. Work still queued is dropped: raft recovers it from storage.
func (e *Engine) Stop() {
	e.stopOnce.Do(func() { close(e.stop) })
	e.wg.Wait()
}

// Failed is closed when the engine stopped on an error it cannot recover from
// (storage failed); Err tells which.
func (e *Engine) Failed() <-chan struct{} { return e.failed }

// Err returns the error that stopped the engine, if any.
func (e *Engine) Err() error {
	e.errMu.Lock()
	defer e.errMu.Unlock()
	return e.err
}

func (e *Engine) fail(err error) {
	err = redact(err)
	e.errMu.Lock()
	first := e.err == nil
	if first {
		e.err = err
	}
	e.errMu.Unlock()
	if first {
		e.log.Error("raft engine stopping", "err", err)
		close(e.failed)
		e.stopOnce.Do(func() { close(e.stop) })
	}
}

// AddGroup starts hosting a group. A group with nothing in storage is created
// with the given voters (which must include this node to take part); a group
// that exists on disk resumes from it and voters is ignored. A single-voter
// group campaigns at once, so a one-broker partition has a leader immediately.
func (e *Engine) AddGroup(id uint64, voters []uint64, sm StateMachine) error {
	e.cycleMu.Lock()
	defer e.cycleMu.Unlock()
	e.mu.RLock()
	_, exists := e.groups[id]
	e.mu.RUnlock()
	if exists {
		return fmt.Errorf("raft group %d is already hosted", id)
	}
	g, err := e.newGroup(id, voters, sm)
	if err != nil {
		return fmt.Errorf("add raft group %d: %w", id, err)
	}
	e.mu.Lock()
	e.groups[id] = g
	e.mu.Unlock()
	e.enqueue(g)
	return nil
}

func (e *Engine) newGroup(id uint64, voters []uint64, sm StateMachine) (*group, error) {
	rlog, err := e.cfg.DB.RaftLog(id)
	if err != nil {
		return nil, err
	}
	created, err := e.bootstrap(rlog, voters, sm)
	if err != nil {
		return nil, err
	}
	snap, err := rlog.Snapshot()
	if err != nil {
		return nil, err
	}
	applied := max(sm.AppliedIndex(), snap.GetMetadata().GetIndex())
	rn, err := raft.NewRawNode(e.raftConfig(rlog, applied))
	if err != nil {
		return nil, err
	}
	g := &group{id: id, self: e.cfg.NodeID, rn: rn, log: rlog, sm: sm, stats: e.stats,
		activeWindow: time.Duration(e.cfg.ElectionTicks) * e.cfg.TickInterval}
	last, err := rlog.LastIndex()
	if err != nil {
		return nil, err
	}
	g.bytes.reset(last)
	hs, cs, err := rlog.InitialState()
	if err != nil {
		return nil, err
	}
	g.hsTerm, g.hsVote = hs.GetTerm(), hs.GetVote()
	g.setConf(cs)
	// A single voter leads at once; the first voter of a new group campaigns
	// at once, so the leader placement chose is normally the one elected
	// (the others wait an election timeout before they campaign).
	if (len(cs.GetVoters()) == 1 && cs.GetVoters()[0] == e.cfg.NodeID) || (created && voters[0] == e.cfg.NodeID) {
		if err := rn.Campaign(); err != nil {
			return nil, fmt.Errorf("campaign: %w", err)
		}
	}
	return g, nil
}

// bootstrap gives a new group its first configuration as a snapshot at index 1
// (what etcd-raft recommends over RawNode.Bootstrap): no configuration entries
// enter the log, so the log holds only what the state machine proposed. It
// reports whether it did (the group is new).
func (e *Engine) bootstrap(rlog *storage.RaftLog, voters []uint64, sm StateMachine) (bool, error) {
	last, err := rlog.LastIndex()
	if err != nil {
		return false, err
	}
	if last > 0 || len(voters) == 0 {
		return false, nil
	}
	data, err := sm.SnapshotData()
	if err != nil {
		return false, fmt.Errorf("bootstrap snapshot: %w", err)
	}
	snap := &raftpb.Snapshot{
		Data: data,
		Metadata: &raftpb.SnapshotMetadata{
			Index:     new(uint64(1)),
			Term:      new(uint64(1)),
			ConfState: &raftpb.ConfState{Voters: voters},
		},
	}
	b := e.cfg.DB.NewBatch()
	if err := rlog.ApplySnapshot(b, snap); err != nil {
		b.Cancel()
		return false, fmt.Errorf("bootstrap: %w", err)
	}
	return true, b.Commit()
}

func (e *Engine) raftConfig(rlog *storage.RaftLog, applied uint64) *raft.Config {
	return &raft.Config{
		ID:                       e.cfg.NodeID,
		ElectionTick:             e.cfg.ElectionTicks,
		HeartbeatTick:            e.cfg.HeartbeatTicks,
		Storage:                  rlog,
		Applied:                  applied,
		MaxSizePerMsg:            e.cfg.MaxSizePerMsg,
		MaxCommittedSizePerReady: 16 * e.cfg.MaxSizePerMsg,
		MaxInflightMsgs:          e.cfg.MaxInflightMsgs,
		MaxInflightBytes:         e.cfg.MaxInflightBytes,
		CheckQuorum:              true,
		PreVote:                  true,
		Logger:                   raftLogger{l: e.log, elections: &e.stats.elections},
	}
}

// RemoveGroup stops hosting a group. Its storage is left to the caller.
func (e *Engine) RemoveGroup(id uint64) {
	e.cycleMu.Lock()
	defer e.cycleMu.Unlock()
	e.mu.Lock()
	g := e.groups[id]
	delete(e.groups, id)
	e.mu.Unlock()
	if g != nil {
		g.mu.Lock()
		g.removed = true
		g.mu.Unlock()
	}
}

// Notify tells the engine that a group's state machine has proposals.
func (e *Engine) Notify(id uint64) {
	if g := e.group(id); g != nil {
		g.mu.Lock()
		g.propose = true
		g.wakeLocked()
		g.mu.Unlock()
		e.enqueue(g)
	}
}

// Deliver hands the engine a message from a peer. Messages for groups this
// broker does not host are dropped; raft retransmits. Keepalives only say the
// peer lives (as every message does); anything but a heartbeat response or a quiescing heartbeat
// wakes a quiesced group.
func (e *Engine) Deliver(env Envelope) {
	// Any message shows its sender lives: under load a keepalive may be
	// dropped from a full queue while raft traffic still flows.
	e.heard.note(env.Msg.GetFrom(), time.Now())
	if env.Group == KeepaliveGroup {
		return
	}
	if g := e.group(env.Group); g != nil {
		size := messageBytes(env.Msg)
		g.mu.Lock()
		if len(g.inbox) > 0 && g.inboxBytes+size > e.cfg.MaxInboxBytes {
			g.mu.Unlock()
			e.inboxFull(env)
			return
		}
		g.inbox = append(g.inbox, env.Msg)
		g.inboxBytes += size
		switch {
		case env.Quiesce:
			g.quiesceReq = env.Msg
		case env.Msg.GetType() != raftpb.MsgHeartbeatResp:
			g.wakeLocked()
		}
		g.mu.Unlock()
		e.enqueue(g)
	}
}

// messageBytes is what a message holds in memory, near enough: its entries'
// and snapshot's data plus a fixed overhead.
func messageBytes(m *raftpb.Message) int {
	n := 64 + len(m.GetSnapshot().GetData())
	for _, ent := range m.Entries {
		n += 32 + len(ent.Data)
	}
	return n
}

// inboxFull notes a message dropped from a full inbox, logging at most one
// warning every inboxWarnEvery.
func (e *Engine) inboxFull(env Envelope) {
	e.inboxDrops.Add(1)
	now := time.Now().UnixNano()
	last := e.inboxWarned.Load()
	if now-last < int64(inboxWarnEvery) || !e.inboxWarned.CompareAndSwap(last, now) {
		return
	}
	e.log.Warn("raft messages dropped: a group's inbox is full until its next cycle (raft sends them again)",
		"group", env.Group, "from", env.Msg.GetFrom(), "limit_bytes", e.cfg.MaxInboxBytes, "dropped_total", e.inboxDrops.Load())
}

// InboxDrops counts the peer messages dropped because their group's inbox
// was full.
func (e *Engine) InboxDrops() uint64 { return e.inboxDrops.Load() }

const inboxWarnEvery = 10 * time.Second

// ReportUnreachable tells a group that a message to node was lost, so raft
// stops streaming appends to it and probes instead.
func (e *Engine) ReportUnreachable(id, node uint64) {
	if g := e.group(id); g != nil {
		g.mu.Lock()
		g.unreachable = append(g.unreachable, node)
		g.wakeLocked()
		g.mu.Unlock()
		e.enqueue(g)
	}
}

// ReportSnapshot tells a group whether a snapshot sent to node arrived.
func (e *Engine) ReportSnapshot(id, node uint64, ok bool) {
	if g := e.group(id); g != nil {
		status := raft.SnapshotFinish
		if !ok {
			status = raft.SnapshotFailure
		}
		g.mu.Lock()
		g.snapStatus = append(g.snapStatus, snapStatus{node: node, status: status})
		g.wakeLocked()
		g.mu.Unlock()
		e.enqueue(g)
	}
}

// ProposeConfChange proposes a membership change of a group; raft forwards
// it to the leader. Its outcome shows in the group's configuration.
func (e *Engine) ProposeConfChange(id uint64, cc *raftpb.ConfChange) error {
	g := e.group(id)
	if g == nil {
		return fmt.Errorf("raft group %d is not hosted here", id)
	}
	g.mu.Lock()
	g.confChanges = append(g.confChanges, cc)
	g.wakeLocked()
	g.mu.Unlock()
	e.enqueue(g)
	return nil
}

// TransferLeadership asks a group this node leads to hand leadership to node
// when node is live and caught up: how leaders move back to the preferred
// replica that placement chose. It does nothing otherwise.
func (e *Engine) TransferLeadership(id, node uint64) {
	if g := e.group(id); g != nil {
		g.mu.Lock()
		g.transferTo = node
		g.wakeLocked()
		g.mu.Unlock()
		e.enqueue(g)
	}
}

// HandOffLeadership asks every group this node leads to transfer its
// leadership to another voter; groups with no other voter keep it.
func (e *Engine) HandOffLeadership() {
	e.mu.RLock()
	defer e.mu.RUnlock()
	for _, g := range e.groups {
		if g.leader.Load() == e.cfg.NodeID {
			g.mu.Lock()
			g.handOff = true
			g.wakeLocked()
			g.mu.Unlock()
			e.enqueue(g)
		}
	}
}

// LeadsReplicated counts the groups with more than one voter that this node
// leads, less those a hand-off found no live successor for: what a graceful
// shutdown waits to see reach zero.
func (e *Engine) LeadsReplicated() int {
	e.mu.RLock()
	defer e.mu.RUnlock()
	n := 0
	for _, g := range e.groups {
		if g.leader.Load() == e.cfg.NodeID && g.voters.Load() > 1 && !g.noSuccessor.Load() {
			n++
		}
	}
	return n
}

// Leader returns the group's leader as last seen by this broker (0: unknown).
func (e *Engine) Leader(id uint64) uint64 {
	if g := e.group(id); g != nil {
		return g.leader.Load()
	}
	return 0
}

// InSync reports, for a group this node leads, how many of its voters
// (this node included) raft heard from within about the last election
// timeout, and how many voters the group has; leading is false when this
// node does not lead the group (as of its last cycle) or does not host it.
func (e *Engine) InSync(id uint64) (inSync, voters int, leading bool) {
	g := e.group(id)
	if g == nil {
		return 0, 0, false
	}
	n := g.inSync.Load()
	return int(n), int(g.voters.Load()), n > 0
}

// InSyncReplicas lists, for a group this node leads, the voters in sync:
// counted by InSync (active) and caught up within CaughtUpWindow, this node
// included, sorted; fewer than the voters is what GroupStatus calls
// UnderReplicated. Nil when this node does not lead the group or does not
// host it. The slice is the caller's.
func (e *Engine) InSyncReplicas(id uint64) []uint64 {
	g := e.group(id)
	if g == nil {
		return nil
	}
	ids := g.inSyncIDs.Load()
	if ids == nil || g.inSync.Load() == 0 {
		return nil
	}
	return slices.Clone(*ids)
}

func (e *Engine) group(id uint64) *group {
	e.mu.RLock()
	defer e.mu.RUnlock()
	return e.groups[id]
}

// enqueue puts a group on the run queue unless it is there already.
func (e *Engine) enqueue(g *group) {
	e.qmu.Lock()
	if !g.queued {
		g.queued = true
		e.queue = append(e.queue, g)
	}
	e.qmu.Unlock()
	select {
	case e.wake <- struct{}{}:
	default:
	}
}

// dequeueAll takes every queued group; a group that gets more work while the
// cycle runs is queued again and handled in the next cycle.
func (e *Engine) dequeueAll() []*group {
	e.qmu.Lock()
	defer e.qmu.Unlock()
	gs := e.queue
	e.queue = nil
	for _, g := range gs {
		g.queued = false
	}
	return gs
}

// tick drives raft's clock: every group that is not quiesced gets a tick,
// a quiesced group whose leader or followers went silent is woken, and every
// heartbeat interval the peers of this engine's groups get a keepalive.
func (e *Engine) tick() {
	defer e.wg.Done()
	t := time.NewTicker(e.cfg.TickInterval)
	defer t.Stop()
	for n := 1; ; n++ {
		select {
		case <-e.stop:
			return
		case now := <-t.C:
			var peers map[uint64]struct{}
			if n%e.cfg.HeartbeatTicks == 0 {
				peers = map[uint64]struct{}{}
			}
			e.mu.RLock()
			for _, g := range e.groups {
				if peers != nil {
					for _, id := range *g.members.Load() {
						peers[id] = struct{}{}
					}
				}
				if e.tickGroup(g, now) {
					e.enqueue(g)
				}
			}
			e.mu.RUnlock()
			e.sendKeepalives(peers)
		}
	}
}

// tickGroup gives a group its tick and reports whether it has work: not
// when it is quiesced, unless a member it depends on went silent.
func (e *Engine) tickGroup(g *group, now time.Time) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.quiesced {
		if !e.silentWatched(g, now) {
			return false
		}
		g.wakeLocked()
		if g.leader.Load() != e.cfg.NodeID {
			g.ticks += e.cfg.ElectionTicks // the leader is gone: elect now, not a timeout later
		}
	}
	g.ticks++
	return true
}

func (e *Engine) worker() {
	defer e.wg.Done()
	for {
		select {
		case <-e.stop:
			return
		case f := <-e.tasks:
			f()
		}
	}
}

// parallel runs f for every group on the worker pool and waits for all.
func (e *Engine) parallel(gs []*group, f func(*group)) {
	if len(gs) == 1 {
		f(gs[0])
		return
	}
	var wg sync.WaitGroup
	wg.Add(len(gs))
	for _, g := range gs {
		task := func() { defer wg.Done(); f(g) }
		select {
		case e.tasks <- task:
		case <-e.stop:
			task()
		}
	}
	wg.Wait()
}
