package engine_test

import (
	"fmt"
	"slices"
	"testing"

	"github.com/sluice-io/sluice/server/engine"
	"github.com/sluice-io/sluice/server/engine/enginetest"
)

// TestElectionsCounted: the campaign of a new single-voter group counts as
// an election and its leader as a leadership change; when a three-node
// group loses its leader, the survivors count the campaigns that elect the
// next one and the change of leader. It also guards the way elections are
// counted (raft's log line): an etcd-raft upgrade that changes it fails here.
func TestElectionsCounted(t *testing.T) {
	solo := newCluster(t, 1)
	solo.leader(1)
	if s := solo.nodes[1].eng.Stats(); s.Elections < 1 || s.LeaderChanges < 1 {
		t.Fatalf("single voter after its first election: elections %d, leader changes %d; want both >= 1", s.Elections, s.LeaderChanges)
	}

	c := newCluster(t, 3)
	old := c.leader(1, 2, 3)
	before := map[uint64]engine.Stats{}
	var rest []uint64
	for id, nd := range c.nodes {
		if id != old {
			rest = append(rest, id)
			before[id] = nd.eng.Stats()
		}
	}
	c.crash(old)
	lead := c.leader(rest...)
	var elections uint64
	for _, id := range rest {
		s := c.nodes[id].eng.Stats()
		elections += s.Elections - before[id].Elections
		if s.LeaderChanges <= before[id].LeaderChanges {
			t.Errorf("node %d counted no leadership change after leader %d died (new leader %d): %d before, %d after",
				id, old, lead, before[id].LeaderChanges, s.LeaderChanges)
		}
	}
	if elections == 0 {
		t.Fatalf("no election counted on the survivors after leader %d died; %d was elected", old, lead)
	}
}

// TestStatsCountCyclesSyncsAndEntries: proposals show in the cycle, sync,
// groups and entries histograms.
func TestStatsCountCyclesSyncsAndEntries(t *testing.T) {
	c := newCluster(t, 1)
	c.leader(1)
	before := c.nodes[1].eng.Stats()
	c.proposeAll(1, "e", 50)
	s := c.nodes[1].eng.Stats()
	if got := s.Cycle.Count() - before.Cycle.Count(); got == 0 {
		t.Fatal("no cycle observed while 50 proposals committed")
	}
	if s.Cycle.Sum <= before.Cycle.Sum {
		t.Fatalf("cycle durations sum did not grow: %d then %d", before.Cycle.Sum, s.Cycle.Sum)
	}
	if s.Sync.Count() == before.Sync.Count() {
		t.Fatal("no sync observed while 50 proposals committed")
	}
	if got := s.EntriesPerCycle.Sum - before.EntriesPerCycle.Sum; got < 50 {
		t.Fatalf("entries per cycle sum grew by %d, want at least the 50 proposed", got)
	}
	if s.GroupsPerCycle.Sum <= before.GroupsPerCycle.Sum {
		t.Fatal("groups per cycle sum did not grow")
	}
	if s.Groups != 1 {
		t.Fatalf("groups = %d, want 1", s.Groups)
	}
	if len(s.Cycle.Counts) != len(engine.DurationBounds)+1 {
		t.Fatalf("cycle histogram has %d buckets for %d bounds", len(s.Cycle.Counts), len(engine.DurationBounds))
	}
}

// TestGroupStatusShowsUnderReplicationAndLag: with a follower cut off, the
// leader reports the group under-replicated and the follower's lag in
// entries and bytes grows with what is proposed; once healed and caught up,
// both return to nothing. Followers report no replication figures.
func TestGroupStatusShowsUnderReplicationAndLag(t *testing.T) {
	c := newCluster(t, 3)
	lead := c.leader(1, 2, 3)
	status := func() engine.GroupStatus {
		s, ok := c.nodes[lead].eng.GroupStatus(group)
		if !ok {
			t.Fatalf("leader %d does not host the group", lead)
		}
		return s
	}
	enginetest.WaitFor(t, "the group fully replicated", func() bool {
		s := status()
		return s.Leading && !s.UnderReplicated && s.LagEntries == 0
	})
	for id, nd := range c.nodes {
		if s, _ := nd.eng.GroupStatus(group); id != lead && (s.Leading || s.UnderReplicated || s.LagEntries != 0) {
			t.Fatalf("follower %d reports %+v", id, s)
		}
	}
	follower := uint64(1)
	if follower == lead {
		follower = 2
	}
	c.net.Isolate(follower)
	const n, size = 40, 1000
	sm := c.nodes[lead].sm
	for i := range n {
		sm.Propose(fmt.Appendf(nil, "%0*d", size, i))
	}
	enginetest.WaitFor(t, "the group under-replicated with the follower's lag", func() bool {
		s := status()
		return s.UnderReplicated && s.InSync == 2 && s.LagEntries >= n && s.LagBytes >= n*size
	})
	// The in-sync replicas DescribeTopic reports say the same: the cut-off
	// follower is out.
	enginetest.WaitFor(t, "the in-sync replicas without the follower", func() bool {
		ids := c.nodes[lead].eng.InSyncReplicas(group)
		return len(ids) == 2 && !slices.Contains(ids, follower) && status().UnderReplicated
	})
	c.net.Heal()
	enginetest.WaitFor(t, "the group fully replicated after healing", func() bool {
		s := status()
		return !s.UnderReplicated && s.LagEntries == 0 && s.LagBytes == 0 && s.CaughtUp == 3 &&
			len(c.nodes[lead].eng.InSyncReplicas(group)) == 3
	})
}

// TestStatsCountQuiescedGroups: an idle group quiesces and is counted.
func TestStatsCountQuiescedGroups(t *testing.T) {
	c := newCluster(t, 3)
	lead := c.leader(1, 2, 3)
	c.proposeAll(lead, "q", 3)
	enginetest.WaitFor(t, "the idle group counted quiesced on every node", func() bool {
		for _, nd := range c.nodes {
			if nd.eng.Stats().Quiesced != 1 {
				return false
			}
		}
		return true
	})
}

// TestStatsCountDroppedProposals: a node that lost its quorum knows no
// leader, and raft refuses what is proposed to it.
func TestStatsCountDroppedProposals(t *testing.T) {
	c := newCluster(t, 3)
	lead := c.leader(1, 2, 3)
	survivor := uint64(1)
	if survivor == lead {
		survivor = 2
	}
	for id := range c.nodes {
		if id != survivor {
			c.crash(id)
		}
	}
	nd := c.nodes[survivor]
	enginetest.WaitFor(t, "the survivor to know no leader", func() bool { return nd.eng.Leader(group) == 0 })
	nd.sm.Propose([]byte("lost"))
	enginetest.WaitFor(t, "the proposal counted dropped", func() bool { return nd.eng.Stats().ProposalsDropped >= 1 })
}
