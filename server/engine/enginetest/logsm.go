// Package enginetest has helpers for tests of the raft engine and of the
// transports that carry it.
package enginetest

import (
	"encoding/binary"
	"slices"
	"sync"
	"testing"
	"time"

	"go.etcd.io/raft/v3/raftpb"

	"github.com/sluice-io/sluice/storage"
)

// LogSM is a state machine that records the data of every applied entry and
// persists its applied index as the group state.
type LogSM struct {
	Group  uint64
	Notify func()

	mu      sync.Mutex
	applied uint64
	data    [][]byte
	staged  [][]byte
	pending [][]byte
	leader  uint64
}

// NewLogSM returns a LogSM resuming from the applied index stored in db.
func NewLogSM(db *storage.DB, group uint64) (*LogSM, error) {
	s := &LogSM{Group: group}
	st, err := db.GroupState(group)
	if err != nil {
		return nil, err
	}
	if st != nil {
		s.applied = binary.BigEndian.Uint64(st)
	}
	return s, nil
}

// AppliedIndex implements engine.StateMachine.
func (s *LogSM) AppliedIndex() uint64 { s.mu.Lock(); defer s.mu.Unlock(); return s.applied }

// Apply implements engine.StateMachine.
func (s *LogSM) Apply(b *storage.Batch, ents []*raftpb.Entry) error {
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
	b.PutGroupState(s.Group, st[:])
	return nil
}

// Applied implements engine.StateMachine.
func (s *LogSM) Applied() {
	s.mu.Lock()
	s.data = append(s.data, s.staged...)
	s.staged = nil
	s.mu.Unlock()
}

// SnapshotData implements engine.StateMachine.
func (s *LogSM) SnapshotData() ([]byte, error) { return nil, nil }

// Restore implements engine.StateMachine: LogSM snapshots carry no data, so a
// node that installs one records only what it applies afterwards.
func (s *LogSM) Restore(b *storage.Batch, snap *raftpb.Snapshot) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.applied = snap.GetMetadata().GetIndex()
	s.staged = nil
	var st [8]byte
	binary.BigEndian.PutUint64(st[:], s.applied)
	b.PutGroupState(s.Group, st[:])
	return nil
}

// Proposals implements engine.StateMachine.
func (s *LogSM) Proposals() [][]byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	p := s.pending
	s.pending = nil
	return p
}

// Dropped implements engine.StateMachine.
func (s *LogSM) Dropped([][]byte, error) {}

// LeaderChanged implements engine.StateMachine.
func (s *LogSM) LeaderChanged(leader, _ uint64) { s.mu.Lock(); s.leader = leader; s.mu.Unlock() }

// Propose queues d and tells the engine.
func (s *LogSM) Propose(d []byte) {
	s.mu.Lock()
	s.pending = append(s.pending, d)
	s.mu.Unlock()
	s.Notify()
}

// Snapshot returns the leader the machine heard of and what it applied.
func (s *LogSM) Snapshot() (leader uint64, data [][]byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.leader, slices.Clone(s.data)
}

// WaitFor polls cond until it holds, failing the test after 15 seconds.
func WaitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}
