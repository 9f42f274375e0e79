package engine_test

import (
	"bytes"
	"fmt"
	"log/slog"
	"slices"
	"testing"
	"time"

	"go.etcd.io/raft/v3/raftpb"

	"github.com/sluice-io/sluice/server/engine"
	"github.com/sluice-io/sluice/server/engine/enginetest"
	"github.com/sluice-io/sluice/server/engine/memnet"
	"github.com/sluice-io/sluice/storage"
)

const group = 1

type node struct {
	id  uint64
	db  *storage.DB
	eng *engine.Engine
	sm  *enginetest.LogSM
}

type cluster struct {
	t     *testing.T
	net   *memnet.Network
	nodes map[uint64]*node
	dirs  map[uint64]string
}

func newCluster(t *testing.T, n int) *cluster {
	c := &cluster{t: t, net: memnet.New(), nodes: map[uint64]*node{}, dirs: map[uint64]string{}}
	for id := uint64(1); id <= uint64(n); id++ {
		c.dirs[id] = t.TempDir()
	}
	// Registered after TempDir, so it runs before the directories go.
	t.Cleanup(c.stop)
	for id := uint64(1); id <= uint64(n); id++ {
		c.start(id, n)
	}
	return c
}

func (c *cluster) start(id uint64, n int) {
	voters := make([]uint64, n)
	for i := range voters {
		voters[i] = uint64(i + 1)
	}
	c.startWith(id, voters)
}

// startWith starts a node whose group, if new, has the given voters; none
// means the node waits to be added by a configuration change.
func (c *cluster) startWith(id uint64, voters []uint64) {
	if c.dirs[id] == "" {
		c.dirs[id] = c.t.TempDir()
		// Registered after TempDir, so the node stops before its directory goes.
		c.t.Cleanup(func() {
			if c.nodes[id] != nil {
				c.crash(id)
			}
		})
	}
	opts := storage.DefaultOptions(c.dirs[id])
	db, err := storage.Open(opts)
	if err != nil {
		c.t.Fatal(err)
	}
	eng, err := engine.New(engine.Config{
		NodeID: id, DB: db, Transport: c.net.Transport(id), TickInterval: 10 * time.Millisecond,
		Logger: slog.New(slog.DiscardHandler),
	})
	if err != nil {
		c.t.Fatal(err)
	}
	sm, err := enginetest.NewLogSM(db, group)
	if err != nil {
		c.t.Fatal(err)
	}
	sm.Notify = func() { eng.Notify(group) }
	if err := eng.AddGroup(group, voters, sm); err != nil {
		c.t.Fatal(err)
	}
	c.net.Join(id, eng)
	eng.Start()
	c.nodes[id] = &node{id: id, db: db, eng: eng, sm: sm}
}

// crash stops a node as if its process died after its last durable cycle.
func (c *cluster) crash(id uint64) {
	nd := c.nodes[id]
	c.net.Leave(id)
	nd.eng.Stop()
	if err := nd.db.Close(); err != nil {
		c.t.Fatal(err)
	}
	delete(c.nodes, id)
}

func (c *cluster) stop() {
	c.net.Close()
	for id := range c.nodes {
		c.crash(id)
	}
}

// leader waits until the given nodes agree on a leader among them.
func (c *cluster) leader(among ...uint64) uint64 {
	var lead uint64
	enginetest.WaitFor(c.t, "a leader", func() bool {
		lead = c.nodes[among[0]].eng.Leader(group)
		if lead == 0 || !slices.Contains(among, lead) {
			return false
		}
		for _, id := range among {
			if c.nodes[id].eng.Leader(group) != lead {
				return false
			}
		}
		l, _ := c.nodes[lead].sm.Snapshot()
		return l == lead
	})
	return lead
}

// proposeAll proposes entries on the leader and waits for them to apply there.
func (c *cluster) proposeAll(lead uint64, prefix string, n int) {
	sm := c.nodes[lead].sm
	_, before := sm.Snapshot()
	for i := range n {
		sm.Propose(fmt.Appendf(nil, "%s-%d", prefix, i))
	}
	enginetest.WaitFor(c.t, "proposals to apply", func() bool {
		_, d := sm.Snapshot()
		return len(d) >= len(before)+n
	})
}

// converged waits until the nodes applied the same entries.
func (c *cluster) converged(ids ...uint64) [][]byte {
	var want [][]byte
	enginetest.WaitFor(c.t, "replicas to converge", func() bool {
		_, want = c.nodes[ids[0]].sm.Snapshot()
		for _, id := range ids[1:] {
			_, got := c.nodes[id].sm.Snapshot()
			if !slices.EqualFunc(got, want, bytes.Equal) {
				return false
			}
		}
		return true
	})
	return want
}

func TestElectionAndReplication(t *testing.T) {
	c := newCluster(t, 3)
	lead := c.leader(1, 2, 3)
	c.proposeAll(lead, "a", 100)
	got := c.converged(1, 2, 3)
	if len(got) != 100 || string(got[0]) != "a-0" || string(got[99]) != "a-99" {
		t.Fatalf("applied %d entries, first %q", len(got), got[0])
	}
}

func TestLeaderLossElectsAnotherAndLosesNothing(t *testing.T) {
	c := newCluster(t, 3)
	old := c.leader(1, 2, 3)
	c.proposeAll(old, "before", 20)
	c.converged(1, 2, 3)

	c.net.Isolate(old)
	var rest []uint64
	for id := range c.nodes {
		if id != old {
			rest = append(rest, id)
		}
	}
	lead := c.leader(rest...)
	if lead == old {
		t.Fatalf("isolated node %d still leads", old)
	}
	c.proposeAll(lead, "after", 20)
	c.net.Heal()
	got := c.converged(1, 2, 3)
	if len(got) != 40 {
		t.Fatalf("applied %d entries after heal, want 40", len(got))
	}
}

func TestLaggingFollowerCatchesUp(t *testing.T) {
	c := newCluster(t, 3)
	lead := c.leader(1, 2, 3)
	lagger := uint64(1)
	if lead == lagger {
		lagger = 2
	}
	// Isolated rather than cut from the leader alone: on a loaded machine the
	// 100 ms election timeout of these tests can move leadership to the third
	// node, which would then replicate to the lagger.
	c.net.Isolate(lagger)
	c.proposeAll(lead, "x", 300)
	if _, d := c.nodes[lagger].sm.Snapshot(); len(d) == 300 {
		t.Fatalf("follower %d applied entries while isolated", lagger)
	}
	c.net.Heal()
	if got := c.converged(1, 2, 3); len(got) != 300 {
		t.Fatalf("applied %d, want 300", len(got))
	}
}

func TestRestartResumesFromStorage(t *testing.T) {
	c := newCluster(t, 3)
	lead := c.leader(1, 2, 3)
	c.proposeAll(lead, "p", 50)
	c.converged(1, 2, 3)
	victim := uint64(3)
	c.crash(victim)
	lead = c.leader(1, 2)
	c.proposeAll(lead, "q", 50)
	c.start(victim, 3)
	// The restarted node resumes after its durable applied index: its state
	// machine (fresh in memory) applies exactly the entries it missed.
	enginetest.WaitFor(t, "the restarted node to apply what it missed", func() bool {
		_, all := c.nodes[lead].sm.Snapshot()
		_, d := c.nodes[victim].sm.Snapshot()
		return len(all) == 100 && slices.EqualFunc(d, all[50:], bytes.Equal)
	})
}

func TestSingleVoterGroupLeadsAtOnce(t *testing.T) {
	c := newCluster(t, 1)
	if lead := c.leader(1); lead != 1 {
		t.Fatalf("leader %d", lead)
	}
	c.proposeAll(1, "solo", 10)
}

// TestLearnerJoinsAndRestarts: a node added as a learner by a configuration
// change receives a snapshot and then the log; after a restart it still
// knows it is a member (the configuration was persisted with the change).
func TestLearnerJoinsAndRestarts(t *testing.T) {
	c := newCluster(t, 3)
	lead := c.leader(1, 2, 3)
	c.proposeAll(lead, "before", 10)
	c.startWith(4, nil)
	typ := raftpb.ConfChangeAddLearnerNode
	if err := c.nodes[lead].eng.ProposeConfChange(group, &raftpb.ConfChange{Type: &typ, NodeId: new(uint64(4))}); err != nil {
		t.Fatal(err)
	}
	enginetest.WaitFor(t, "the learner to join", func() bool { return c.nodes[4].eng.Leader(group) == lead })
	c.proposeAll(lead, "after", 10)
	enginetest.WaitFor(t, "the learner to apply new entries", func() bool {
		_, d := c.nodes[4].sm.Snapshot()
		return len(d) > 0 && string(d[len(d)-1]) == "after-9"
	})
	c.crash(4)
	c.startWith(4, nil)
	c.proposeAll(lead, "later", 5)
	enginetest.WaitFor(t, "the restarted learner to follow again", func() bool {
		_, d := c.nodes[4].sm.Snapshot()
		return len(d) > 0 && string(d[len(d)-1]) == "later-4"
	})
}

// TestInSyncCountsVotersHeardFrom: the leader counts every live voter, a
// follower cut off drops out of the count (and comes back when healed), and
// only the leader reports a count.
func TestInSyncCountsVotersHeardFrom(t *testing.T) {
	c := newCluster(t, 3)
	lead := c.leader(1, 2, 3)
	inSync := func(want int) func() bool {
		return func() bool {
			n, voters, leading := c.nodes[lead].eng.InSync(group)
			return leading && n == want && voters == 3
		}
	}
	enginetest.WaitFor(t, "3 voters in sync", inSync(3))
	for id := range c.nodes {
		if _, _, leading := c.nodes[id].eng.InSync(group); leading != (id == lead) {
			t.Fatalf("node %d reports leading=%v; the leader is %d", id, leading, lead)
		}
	}
	follower := uint64(1)
	if follower == lead {
		follower = 2
	}
	if ids := c.nodes[lead].eng.InSyncReplicas(group); !slices.Equal(ids, []uint64{1, 2, 3}) {
		t.Errorf("InSyncReplicas = %v, want [1 2 3]", ids)
	}
	for id := range c.nodes {
		if ids := c.nodes[id].eng.InSyncReplicas(group); id != lead && ids != nil {
			t.Errorf("follower %d reports in-sync replicas %v", id, ids)
		}
	}
	c.net.Isolate(follower)
	enginetest.WaitFor(t, "2 voters in sync after cutting one off", inSync(2))
	if ids := c.nodes[lead].eng.InSyncReplicas(group); len(ids) != 2 || slices.Contains(ids, follower) {
		t.Errorf("InSyncReplicas = %v with follower %d cut off", ids, follower)
	}
	c.net.Heal()
	enginetest.WaitFor(t, "3 voters in sync after healing", inSync(3))
}
