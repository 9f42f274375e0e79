package engine

import (
	"math"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"go.etcd.io/raft/v3"
	"go.etcd.io/raft/v3/raftpb"
	"go.etcd.io/raft/v3/tracker"
)

// Quiescence: an idle group costs nothing.
//
// A raft group ticks and heartbeats even when nothing happens, and with
// thousands of partitions per broker that idle chatter is most of a broker's
// CPU. So a leader whose group is idle (everything committed, applied and
// replicated to every member, no transfer under way) sends each follower one
// last heartbeat marked Quiesce and stops ticking; a follower that gets it and
// agrees (same leader and term, nothing uncommitted) stops ticking too. Any
// other raft message for the group, a proposal, or a request of the broker
// wakes it, and raft carries on exactly where it stopped.
//
// A quiesced follower no longer hears heartbeats, so it cannot tell by itself
// that its leader died. Brokers send each other a keepalive every heartbeat
// interval instead (one message per pair of brokers, whatever the number of
// groups), and a quiesced group wakes when a member it depends on (a
// follower: its leader; a leader: its followers) has been silent for an
// election timeout. A follower woken that way has its election clock moved
// forward by an election timeout, so the election follows at once rather than
// one more timeout later; a leader is not moved forward, so CheckQuorum judges
// its followers only on what it hears once awake.

// KeepaliveGroup is the group id of keepalive envelopes between engines. It is
// never a raft group: group ids are allocated upwards from 0.
const KeepaliveGroup = math.MaxUint64

// liveness records when each peer engine was last heard from.
type liveness struct {
	mu    sync.RWMutex
	heard map[uint64]*atomic.Int64 // unix nanoseconds
}

func (l *liveness) note(node uint64, now time.Time) {
	l.mu.RLock()
	at := l.heard[node]
	l.mu.RUnlock()
	if at == nil {
		l.mu.Lock()
		if at = l.heard[node]; at == nil {
			at = new(atomic.Int64)
			l.heard[node] = at
		}
		l.mu.Unlock()
	}
	at.Store(now.UnixNano())
}

// since is how long ago node was last heard from; a very long time if never.
func (l *liveness) since(node uint64, now time.Time) time.Duration {
	l.mu.RLock()
	at := l.heard[node]
	l.mu.RUnlock()
	if at == nil {
		return math.MaxInt64
	}
	return now.Sub(time.Unix(0, at.Load()))
}

// quiesceIdleLeader quiesces the group if this node leads it and it is idle,
// queueing the quiescing heartbeats in the group's outbox. It runs on the
// group's worker after a step that left raft with nothing to do.
func (e *Engine) quiesceIdleLeader(g *group) {
	bs := g.rn.BasicStatus()
	if bs.RaftState != raft.StateLeader || bs.LeadTransferee != raft.None {
		return
	}
	commit := bs.HardState.GetCommit()
	if bs.Applied != commit {
		return
	}
	idle := true
	var followers []uint64
	g.rn.WithProgress(func(id uint64, _ raft.ProgressType, pr tracker.Progress) {
		if pr.Match != commit {
			idle = false // not replicated everywhere, or (for this node) not committed
		}
		if id == e.cfg.NodeID {
			return
		}
		if pr.State != tracker.StateReplicate || !pr.RecentActive || !e.live(id) {
			idle = false
		}
		followers = append(followers, id)
	})
	if !idle || !g.tryQuiesce() {
		return
	}
	for _, id := range followers {
		g.outbox = append(g.outbox, Envelope{Group: g.id, Quiesce: true, Msg: &raftpb.Message{
			Type: raftpb.MsgHeartbeat.Enum(), To: new(id), From: new(e.cfg.NodeID), Term: new(bs.HardState.GetTerm()), Commit: new(commit),
		}})
	}
	g.watch.Store(&followers)
}

// quiesceFollower quiesces the group if req, a quiescing heartbeat the group
// just stepped, comes from its leader and this node holds exactly what the
// leader committed.
func (e *Engine) quiesceFollower(g *group, req *raftpb.Message) {
	bs := g.rn.BasicStatus()
	if bs.RaftState != raft.StateFollower || bs.Lead != req.GetFrom() || bs.HardState.GetTerm() != req.GetTerm() ||
		bs.HardState.GetCommit() != req.GetCommit() {
		return
	}
	if last, err := g.log.LastIndex(); err != nil || last != req.GetCommit() {
		return
	}
	if g.tryQuiesce() {
		g.watch.Store(&[]uint64{req.GetFrom()})
	}
}

// tryQuiesce marks the group quiesced unless work arrived since its step.
func (g *group) tryQuiesce() bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	if len(g.inbox) > 0 || g.propose || g.removed || len(g.unreachable) > 0 || len(g.snapStatus) > 0 ||
		g.handOff || g.transferTo != 0 || len(g.confChanges) > 0 {
		return false
	}
	g.quiesced = true
	return true
}

// wakeLocked ends the group's quiescence; g.mu is held.
func (g *group) wakeLocked() { g.quiesced = false }

// live reports whether a peer was heard from within an election timeout.
func (e *Engine) live(node uint64) bool {
	return e.heard.since(node, time.Now()) < e.electionTimeout()
}

func (e *Engine) electionTimeout() time.Duration {
	return time.Duration(e.cfg.ElectionTicks) * e.cfg.TickInterval
}

// silentWatched reports whether a member the quiesced group depends on has
// been silent for an election timeout.
func (e *Engine) silentWatched(g *group, now time.Time) bool {
	w := g.watch.Load()
	if w == nil {
		return false
	}
	return slices.ContainsFunc(*w, func(id uint64) bool { return e.heard.since(id, now) >= e.electionTimeout() })
}

// sendKeepalives tells every peer of any hosted group that this engine lives.
func (e *Engine) sendKeepalives(peers map[uint64]struct{}) {
	if e.cfg.Transport == nil || len(peers) == 0 {
		return
	}
	out := make([]Envelope, 0, len(peers))
	for id := range peers {
		out = append(out, Envelope{Group: KeepaliveGroup, Msg: &raftpb.Message{Type: raftpb.MsgHeartbeat.Enum(), To: new(id), From: new(e.cfg.NodeID)}})
	}
	e.cfg.Transport.Send(out)
}

// membersOf lists a configuration's voters and learners other than self.
func membersOf(cs *raftpb.ConfState, self uint64) []uint64 {
	var out []uint64
	for _, ids := range [][]uint64{cs.GetVoters(), cs.GetLearners(), cs.GetVotersOutgoing(), cs.GetLearnersNext()} {
		for _, id := range ids {
			if id != self && !slices.Contains(out, id) {
				out = append(out, id)
			}
		}
	}
	return out
}

// Quiesced reports whether a hosted group is quiesced here: for tests, and
// for operators wondering why an idle group sends nothing.
func (e *Engine) Quiesced(id uint64) bool {
	g := e.group(id)
	if g == nil {
		return false
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.quiesced
}
