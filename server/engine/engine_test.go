package engine_test

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"testing"
	"time"

	"go.etcd.io/raft/v3/raftpb"

	"github.com/sluice-io/sluice/server/engine"
	"github.com/sluice-io/sluice/server/engine/memnet"
	"github.com/sluice-io/sluice/storage"
)

// logSM is a state machine that records the data of every applied entry.
type logSM struct {
	mu      sync.Mutex
	applied uint64
	data    [][]byte
	staged  [][]byte
	pending [][]byte
	leader  uint64
	notify  func()
}

func (s *logSM) AppliedIndex() uint64 { s.mu.Lock(); defer s.mu.Unlock(); return s.applied }

func (s *logSM) Apply(b *storage.Batch, ents []*raftpb.Entry) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, e := range ents {
		if e.GetType() == raftpb.EntryNormal && len(e.GetData()) > 0 {
			s.staged = append(s.staged, e.GetData())
		}
		s.applied = e.GetIndex()
	}
	var st [8]byte
	binary.BigEndian.PutUint64(st[:], s.applied)
	b.PutGroupState(group, st[:])
	return nil
}

func (s *logSM) Applied() {
	s.mu.Lock()
	s.data = append(s.data, s.staged...)
	s.staged = nil
	s.mu.Unlock()
}

func (s *logSM) SnapshotData() ([]byte, error) { return nil, nil }

func (s *logSM) Restore(*storage.Batch, *raftpb.Snapshot) error { return fmt.Errorf("not expected") }

func (s *logSM) Proposals() [][]byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	p := s.pending
	s.pending = nil
	return p
}

func (s *logSM) Dropped([][]byte, error) {}

func (s *logSM) LeaderChanged(leader, _ uint64) { s.mu.Lock(); s.leader = leader; s.mu.Unlock() }

func (s *logSM) propose(d []byte) {
	s.mu.Lock()
	s.pending = append(s.pending, d)
	s.mu.Unlock()
	s.notify()
}

func (s *logSM) snapshot() (leader uint64, data [][]byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.leader, slices.Clone(s.data)
}

const group = 1

type node struct {
	id  uint64
	db  *storage.DB
	eng *engine.Engine
	sm  *logSM
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
	sm := &logSM{notify: func() { eng.Notify(group) }}
	if st, err := db.GroupState(group); err != nil {
		c.t.Fatal(err)
	} else if st != nil {
		sm.applied = binary.BigEndian.Uint64(st)
	}
	voters := make([]uint64, n)
	for i := range voters {
		voters[i] = uint64(i + 1)
	}
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

// waitFor polls cond until it holds or the deadline passes.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// leader waits until the given nodes agree on a leader among them.
func (c *cluster) leader(among ...uint64) uint64 {
	var lead uint64
	waitFor(c.t, "a leader", func() bool {
		lead = c.nodes[among[0]].eng.Leader(group)
		if lead == 0 || !slices.Contains(among, lead) {
			return false
		}
		for _, id := range among {
			if c.nodes[id].eng.Leader(group) != lead {
				return false
			}
		}
		l, _ := c.nodes[lead].sm.snapshot()
		return l == lead
	})
	return lead
}

// proposeAll proposes entries on the leader and waits for them to apply there.
func (c *cluster) proposeAll(lead uint64, prefix string, n int) {
	sm := c.nodes[lead].sm
	_, before := sm.snapshot()
	for i := range n {
		sm.propose(fmt.Appendf(nil, "%s-%d", prefix, i))
	}
	waitFor(c.t, "proposals to apply", func() bool {
		_, d := sm.snapshot()
		return len(d) >= len(before)+n
	})
}

// converged waits until the nodes applied the same entries.
func (c *cluster) converged(ids ...uint64) [][]byte {
	var want [][]byte
	waitFor(c.t, "replicas to converge", func() bool {
		_, want = c.nodes[ids[0]].sm.snapshot()
		for _, id := range ids[1:] {
			_, got := c.nodes[id].sm.snapshot()
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
	c.net.CutLink(lead, lagger)
	c.proposeAll(lead, "x", 300)
	if _, d := c.nodes[lagger].sm.snapshot(); len(d) == 300 {
		t.Fatalf("follower %d applied entries through a cut link", lagger)
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
	waitFor(t, "the restarted node to apply what it missed", func() bool {
		_, all := c.nodes[lead].sm.snapshot()
		_, d := c.nodes[victim].sm.snapshot()
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
