package engine_test

import (
	"sync/atomic"
	"testing"
	"time"

	"go.etcd.io/raft/v3/raftpb"

	"github.com/sluice-io/sluice/server/engine/enginetest"
)

// quiesced waits until every given node has quiesced the group.
func (c *cluster) quiesced(ids ...uint64) {
	enginetest.WaitFor(c.t, "the group to quiesce everywhere", func() bool {
		for _, id := range ids {
			if !c.nodes[id].eng.Quiesced(group) {
				return false
			}
		}
		return true
	})
}

// applied waits until the node has applied n entries.
func (c *cluster) applied(id uint64, n int) {
	enginetest.WaitFor(c.t, "entries to apply", func() bool {
		_, d := c.nodes[id].sm.Snapshot()
		return len(d) >= n
	})
}

// TestIdleGroupGoesSilentAndWakesForWrites: once idle, a group sends no raft
// messages at all (brokers only exchange keepalives), and a write wakes it
// and reaches every replica.
func TestIdleGroupGoesSilentAndWakesForWrites(t *testing.T) {
	c := newCluster(t, 3)
	lead := c.leader(1, 2, 3)
	c.proposeAll(lead, "a", 5)
	c.quiesced(1, 2, 3)

	var raftMsgs, keepalives atomic.Int64
	c.net.SetDrop(func(_, _ uint64, m *raftpb.Message) bool {
		if m.GetTerm() == 0 { // keepalives carry no term; every raft message does
			keepalives.Add(1)
		} else {
			raftMsgs.Add(1)
		}
		return false
	})
	// Absence cannot be polled: watch for 30 ticks, three election timeouts.
	time.Sleep(30 * 10 * time.Millisecond)
	if n := raftMsgs.Load(); n != 0 {
		t.Fatalf("an idle quiesced group sent %d raft messages", n)
	}
	if keepalives.Load() == 0 {
		t.Fatal("no keepalives between the nodes of a quiesced group")
	}
	if lead2 := c.nodes[1].eng.Leader(group); lead2 != lead {
		t.Fatalf("leader changed from %d to %d while idle", lead, lead2)
	}

	c.proposeAll(lead, "b", 5)
	for id := range c.nodes {
		c.applied(id, 10)
	}
	c.quiesced(1, 2, 3)
}

// TestQuiescedGroupElectsWhenLeaderDies: followers of a quiesced group hear
// no heartbeats, so it is the leader's missing keepalives that wake them.
func TestQuiescedGroupElectsWhenLeaderDies(t *testing.T) {
	c := newCluster(t, 3)
	lead := c.leader(1, 2, 3)
	c.proposeAll(lead, "a", 5)
	c.quiesced(1, 2, 3)

	c.crash(lead)
	var rest []uint64
	for id := range c.nodes {
		rest = append(rest, id)
	}
	lead2 := c.leader(rest...)
	c.proposeAll(lead2, "b", 5)
	for _, id := range rest {
		c.applied(id, 10)
	}
}

// TestQuiescedLeaderCutOffStepsDown: a quiesced leader cut off from its
// followers wakes when their keepalives stop, and CheckQuorum makes it step
// down, while the followers elect a leader of their own; after healing, all
// three hold the same entries.
func TestQuiescedLeaderCutOffStepsDown(t *testing.T) {
	c := newCluster(t, 3)
	lead := c.leader(1, 2, 3)
	c.proposeAll(lead, "a", 5)
	c.quiesced(1, 2, 3)

	c.net.Isolate(lead)
	var rest []uint64
	for id := range c.nodes {
		if id != lead {
			rest = append(rest, id)
		}
	}
	lead2 := c.leader(rest...)
	enginetest.WaitFor(t, "the cut-off leader to step down", func() bool {
		return c.nodes[lead].eng.Leader(group) != lead
	})
	c.proposeAll(lead2, "b", 5)
	c.net.Heal()
	for id := range c.nodes {
		c.applied(id, 10)
	}
	_, want := c.nodes[lead2].sm.Snapshot()
	for id := range c.nodes {
		if _, got := c.nodes[id].sm.Snapshot(); len(got) != len(want) {
			t.Fatalf("node %d applied %d entries, the leader %d", id, len(got), len(want))
		}
	}
}
