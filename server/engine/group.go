package engine

import (
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"go.etcd.io/raft/v3"
	"go.etcd.io/raft/v3/raftpb"
	"go.etcd.io/raft/v3/tracker"
	"google.golang.org/protobuf/proto"

	"github.com/sluice-io/sluice/storage"
)

// group is one hosted raft group. The engine loop and its workers own rn, rd
// and the state machine calls, one goroutine at a time; mu guards what other
// goroutines hand in.
type group struct {
	id   uint64
	self uint64 // this node's id
	rn   *raft.RawNode
	log  *storage.RaftLog
	sm   StateMachine

	mu          sync.Mutex
	inbox       []*raftpb.Message
	inboxBytes  int // messageBytes of inbox, bounded by Config.MaxInboxBytes
	ticks       int
	propose     bool
	removed     bool
	unreachable []uint64
	snapStatus  []snapStatus
	handOff     bool
	transferTo  uint64
	confChanges []*raftpb.ConfChange
	// quiesced stops the ticks of an idle group (see quiesce.go); quiesceReq
	// is a quiescing heartbeat from the leader not yet stepped.
	quiesced   bool
	quiesceReq *raftpb.Message

	queued bool // guarded by Engine.qmu

	// outbox holds messages the engine itself makes for the group (quiescing
	// heartbeats), sent with the cycle's raft messages.
	outbox []Envelope
	// members are the other voters and learners, for keepalives; watch are
	// those a quiesced group depends on, whose silence wakes it.
	members atomic.Pointer[[]uint64]
	watch   atomic.Pointer[[]uint64]

	rd       raft.Ready
	hasReady bool
	early    bool // rd's messages go out before rd is durable (a leader's)
	// hsTerm and hsVote are the term and vote last written to storage.
	hsTerm, hsVote uint64
	applied        bool
	confState      *raftpb.ConfState // set by a conf change until snapshotConf
	term           uint64
	leader         atomic.Uint64
	lastLeader     uint64       // the last non-zero leader, for Stats.LeaderChanges
	voters         atomic.Int64 // size of the configuration, for shutdown hand-off
	// noSuccessor is set when a hand-off found no live voter to take over.
	noSuccessor atomic.Bool

	// While this node leads: what it keeps of each voter (when last seen
	// active, when last caught up), how many were seen within activeWindow
	// (this node included; inSync is 0 when this node does not lead), how
	// many were caught up within CaughtUpWindow, and the largest lag of a
	// voter in entries and bytes (stats.go).
	activeAt     map[uint64]*voterState
	activeWindow time.Duration
	inSync       atomic.Int64
	caughtUp     atomic.Int64
	lagEntries   atomic.Uint64
	lagBytes     atomic.Uint64
	// bytes knows the Data bytes of the recent log, for lagBytes.
	bytes byteLog
	stats *counters
	// inSyncIDs are the voters both active and caught up (the replicas in
	// sync, this node included), sorted; nil when this node does not lead.
	// Replaced, never changed in place.
	inSyncIDs atomic.Pointer[[]uint64]
	scratch   []uint64 // noteActive's, reused each cycle
}

type snapStatus struct {
	node   uint64
	status raft.SnapshotStatus
}

// step feeds the group what arrived since its last cycle and takes its Ready;
// a group left idle may quiesce.
func (g *group) step(e *Engine) {
	g.mu.Lock()
	inbox, ticks, propose, removed := g.inbox, g.ticks, g.propose, g.removed
	unreachable, snaps, handOff, ccs, transferTo := g.unreachable, g.snapStatus, g.handOff, g.confChanges, g.transferTo
	quiesceReq := g.quiesceReq
	g.inbox, g.ticks, g.propose, g.unreachable, g.snapStatus, g.handOff, g.confChanges, g.transferTo = nil, 0, false, nil, nil, false, nil, 0
	g.quiesceReq = nil
	g.inboxBytes = 0
	g.mu.Unlock()
	g.hasReady = false
	if removed {
		return
	}
	for _, id := range unreachable {
		g.rn.ReportUnreachable(id)
	}
	for _, s := range snaps {
		g.rn.ReportSnapshot(s.node, s.status)
	}
	for _, m := range inbox {
		// Errors here are messages raft does not want (from removed peers, stale
		// local messages); raft's retransmission makes dropping them safe.
		_ = g.rn.Step(m)
	}
	for range ticks {
		g.rn.Tick()
	}
	g.noteActive(time.Now())
	if propose {
		g.proposeAll()
	}
	if handOff {
		g.transferToBestFollower()
	}
	if transferTo != 0 {
		g.transferLeadership(transferTo)
	}
	for _, cc := range ccs {
		// A refused change (one already pending) is retried by its proposer.
		_ = g.rn.ProposeConfChange(cc)
	}
	quiet := !propose && !handOff && transferTo == 0 && len(ccs) == 0 && len(unreachable) == 0 && len(snaps) == 0
	if quiet && quiesceReq != nil && onlyHeartbeats(inbox, quiesceReq) {
		e.quiesceFollower(g, quiesceReq)
	}
	hasReady := g.rn.HasReady()
	if quiet && ticks > 0 && !hasReady {
		e.quiesceIdleLeader(g)
	}
	if hasReady {
		g.rd = g.rn.Ready()
		g.hasReady = true
		g.early = g.maySendEarly()
	}
}

// maySendEarly reports whether the Ready's messages may go out before the
// Ready is durable: only a leader's, and only when the Ready changes no term
// or vote and installs no snapshot (see Engine.cycle).
func (g *group) maySendEarly() bool {
	if g.rn.BasicStatus().RaftState != raft.StateLeader || (g.rd.Snapshot != nil && !raft.IsEmptySnap(g.rd.Snapshot)) {
		return false
	}
	hs := g.rd.HardState
	return hs == nil || raft.IsEmptyHardState(hs) || (hs.GetTerm() == g.hsTerm && hs.GetVote() == g.hsVote)
}

// onlyHeartbeats reports whether inbox holds nothing but the quiescing
// heartbeat req and heartbeat responses: a follower that got anything else
// (a retransmitted append, a vote) stays awake.
func onlyHeartbeats(inbox []*raftpb.Message, req *raftpb.Message) bool {
	for _, m := range inbox {
		if m != req && m.GetType() != raftpb.MsgHeartbeatResp {
			return false
		}
	}
	return true
}

func (g *group) proposeAll() {
	var dropped [][]byte
	var dropErr error
	for _, data := range g.sm.Proposals() {
		if err := g.rn.Propose(data); err != nil {
			dropped = append(dropped, data)
			dropErr = err
		}
	}
	if len(dropped) > 0 {
		g.stats.proposalsDropped.Add(uint64(len(dropped)))
		g.sm.Dropped(dropped, dropErr)
	}
}

// noteActive counts the voters raft heard from lately, for min.insync.replicas.
// Progress.RecentActive alone is no measure: CheckQuorum clears it every
// election timeout and a live follower sets it again only with its next
// response, so each voter's last sighting is kept and counted for a window
// of one election timeout. A voter that stops answering thus drops out
// within about two election timeouts.
//
// The same pass measures replication for metrics: a voter is caught up
// while its match reached, within CaughtUpWindow, the index this node had
// durable when the voter was caught up the time before (so a follower a
// round trip behind under steady load stays caught up, and one that stops
// or falls behind drops out after the window), and its lag is what it lacks
// of this node's durable log.
func (g *group) noteActive(now time.Time) {
	if g.leader.Load() != g.self {
		if g.activeAt != nil {
			g.activeAt = nil
			g.inSync.Store(0)
			g.caughtUp.Store(0)
			g.lagEntries.Store(0)
			g.lagBytes.Store(0)
			g.inSyncIDs.Store(nil)
		}
		return
	}
	if g.activeAt == nil {
		g.activeAt = make(map[uint64]*voterState)
	}
	last, err := g.log.LastIndex()
	if err != nil {
		last = 0 // the log failed; the group's next write reports it
	}
	n, caught := int64(0), int64(0)
	var lagEntries, lagBytes uint64
	ids := g.scratch[:0]
	g.rn.WithProgress(func(id uint64, typ raft.ProgressType, pr tracker.Progress) {
		if typ != raft.ProgressTypePeer {
			return
		}
		vs := g.activeAt[id]
		if vs == nil {
			// A new voter (or a new leadership) starts caught up: it has a
			// window to show that it keeps up.
			vs = &voterState{caughtUpAt: now, target: last}
			g.activeAt[id] = vs
		}
		if pr.RecentActive || id == g.self {
			vs.seen = now
		}
		active := !vs.seen.IsZero() && now.Sub(vs.seen) <= g.activeWindow
		if active {
			n++
		}
		if id == g.self {
			caught++
			ids = append(ids, id)
			return
		}
		if pr.Match >= vs.target {
			vs.caughtUpAt, vs.target = now, last
		}
		if now.Sub(vs.caughtUpAt) <= CaughtUpWindow {
			caught++
			if active {
				ids = append(ids, id) // in sync: active and caught up
			}
		}
		if pr.Match < last {
			lagEntries = max(lagEntries, last-pr.Match)
			lagBytes = max(lagBytes, g.bytes.lagBytes(vs, pr.Match))
		}
	})
	g.inSync.Store(n)
	g.caughtUp.Store(caught)
	g.lagEntries.Store(lagEntries)
	g.lagBytes.Store(lagBytes)
	g.scratch = ids
	slices.Sort(ids)
	if old := g.inSyncIDs.Load(); old == nil || !slices.Equal(*old, ids) {
		c := slices.Clone(ids)
		g.inSyncIDs.Store(&c)
	}
}

// transferToBestFollower asks raft to hand leadership to the voter whose log
// is furthest along, so the transfer completes without waiting for catch-up.
func (g *group) transferToBestFollower() {
	st := g.rn.Status()
	if st.RaftState != raft.StateLeader {
		return
	}
	var best, bestMatch uint64
	for id, pr := range st.Progress {
		if id != st.ID && !pr.IsLearner && pr.RecentActive && (best == 0 || pr.Match > bestMatch) {
			best, bestMatch = id, pr.Match
		}
	}
	if best == 0 {
		g.noSuccessor.Store(true)
		return
	}
	g.rn.TransferLeader(best)
}

// transferLeadership hands leadership to node if this node leads and node is a live,
// caught-up voter; otherwise it does nothing (the caller asks again later).
func (g *group) transferLeadership(node uint64) {
	st := g.rn.Status()
	if st.RaftState != raft.StateLeader || node == st.ID {
		return
	}
	pr, ok := st.Progress[node]
	if !ok || pr.IsLearner || !pr.RecentActive || pr.Match < g.rn.BasicStatus().HardState.GetCommit() {
		return
	}
	g.rn.TransferLeader(node)
}

// stage adds the group's Ready to the cycle's batch.
func (g *group) stage(b *storage.Batch) error {
	rd := &g.rd
	if rd.Snapshot != nil && !raft.IsEmptySnap(rd.Snapshot) {
		// One atomic section (crash-safe: see storage.RaftLog.InstallSnapshot).
		restore := func() error { return g.sm.Restore(b, rd.Snapshot) }
		if err := g.log.InstallSnapshot(b, rd.Snapshot, rd.HardState, restore); err != nil {
			return err
		}
		g.setConf(rd.Snapshot.GetMetadata().GetConfState())
		g.applied = true
		g.bytes.reset(rd.Snapshot.GetMetadata().GetIndex())
	}
	if len(rd.Entries) > 0 {
		if err := g.log.Append(b, rd.Entries); err != nil {
			return fmt.Errorf("append entries: %w", err)
		}
		var n uint64
		for _, ent := range rd.Entries {
			n += uint64(len(ent.Data))
		}
		g.bytes.mark(rd.Entries[0].GetIndex(), rd.Entries[len(rd.Entries)-1].GetIndex(), n)
	}
	if rd.HardState != nil && !raft.IsEmptyHardState(rd.HardState) {
		if err := g.log.SetHardState(b, rd.HardState); err != nil {
			return fmt.Errorf("save hard state: %w", err)
		}
		g.hsTerm, g.hsVote = rd.HardState.GetTerm(), rd.HardState.GetVote()
	}
	return g.applyCommitted(b)
}

func (g *group) applyCommitted(b *storage.Batch) error {
	ents := g.rd.CommittedEntries
	if len(ents) == 0 {
		return nil
	}
	for _, ent := range ents {
		if err := g.applyConfChange(b, ent); err != nil {
			return err
		}
	}
	if err := g.sm.Apply(b, ents); err != nil {
		return fmt.Errorf("apply entries %d-%d: %w", ents[0].GetIndex(), ents[len(ents)-1].GetIndex(), err)
	}
	g.applied = true
	return g.compact(b)
}

// compact stages the compaction a Compactor asks for. A point the log cannot
// be compacted to (the log moved on through a snapshot from the leader) is
// skipped: the machine asks again after a later apply.
func (g *group) compact(b *storage.Batch) error {
	c, ok := g.sm.(Compactor)
	if !ok {
		return nil
	}
	index, data, err := c.Compaction()
	if err != nil || index == 0 {
		return err
	}
	if err := g.log.CompactTo(b, index, data); err != nil {
		if errors.Is(err, storage.ErrNotCompactable) {
			return nil
		}
		return fmt.Errorf("compact log to %d: %w", index, err)
	}
	return c.Compacted(b, index)
}

// applyConfChange applies a committed configuration change to raft and
// stages the new configuration, so a restart knows it without replaying the
// entry. A snapshot carrying it follows once the batch is durable (advance).
func (g *group) applyConfChange(b *storage.Batch, ent *raftpb.Entry) error {
	var cc raftpb.ConfChangeI
	switch ent.GetType() {
	case raftpb.EntryConfChange:
		c := &raftpb.ConfChange{}
		if err := proto.Unmarshal(ent.GetData(), c); err != nil {
			return fmt.Errorf("decode conf change at %d: %w", ent.GetIndex(), err)
		}
		cc = c
	case raftpb.EntryConfChangeV2:
		c := &raftpb.ConfChangeV2{}
		if err := proto.Unmarshal(ent.GetData(), c); err != nil {
			return fmt.Errorf("decode conf change at %d: %w", ent.GetIndex(), err)
		}
		cc = c
	default:
		return nil
	}
	cs := g.rn.ApplyConfChange(cc)
	if err := g.log.SetConfState(b, ent.GetIndex(), cs); err != nil {
		return err
	}
	g.confState = cs
	g.setConf(cs)
	return nil
}

// snapshotConf makes a snapshot at the last applied index after a
// configuration change, so that a node added by it (whose empty log raft
// fills from a snapshot) finds itself in the snapshot's configuration.
// Snapshots are metadata only, so this is cheap; it is rare anyway.
func (g *group) snapshotConf(db *storage.DB) error {
	if g.confState == nil {
		return nil
	}
	data, err := g.sm.SnapshotData()
	if err != nil {
		return err
	}
	b := db.NewBatch()
	if _, err := g.log.CreateSnapshot(b, g.sm.AppliedIndex(), g.confState, data); err != nil {
		b.Cancel()
		return err
	}
	g.confState = nil
	if err := b.Commit(); err != nil {
		return &StorageError{Err: fmt.Errorf("raft group %d: commit snapshot: %w", g.id, err)}
	}
	return nil
}

// notePersisted tells a state machine that watches its log which entries
// the cycle made durable.
func (g *group) notePersisted() {
	if po, ok := g.sm.(PersistObserver); ok && len(g.rd.Entries) > 0 {
		po.Persisted(g.rd.Entries)
	}
}

// advance publishes what the cycle made durable and tells raft. It reports
// whether raft has more work for the group already.
func (g *group) advance() bool {
	g.notePersisted()
	if ss := g.rd.SoftState; ss != nil || g.rd.HardState != nil {
		g.noteLeader()
	}
	if g.applied {
		g.sm.Applied()
		g.applied = false
	}
	g.rn.Advance(g.rd)
	g.rd = raft.Ready{}
	g.hasReady = false
	return g.rn.HasReady()
}

func (g *group) noteLeader() {
	st := g.rn.BasicStatus()
	old := g.leader.Load()
	if st.Lead == old && st.HardState.GetTerm() == g.term {
		return
	}
	if st.Lead != 0 && st.Lead != g.lastLeader {
		g.stats.leaderChanges.Add(1)
		g.lastLeader = st.Lead
	}
	g.leader.Store(st.Lead)
	g.term = st.HardState.GetTerm()
	g.sm.LeaderChanged(st.Lead, g.term)
}

// setConf records what the engine keeps of the group's configuration.
func (g *group) setConf(cs *raftpb.ConfState) {
	g.voters.Store(int64(len(cs.GetVoters())))
	members := membersOf(cs, g.self)
	g.members.Store(&members)
}
