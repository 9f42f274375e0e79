package engine_test

import (
	"bytes"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"testing"
	"time"

	"go.etcd.io/raft/v3/raftpb"

	"github.com/sluice-io/sluice/server/engine"
	"github.com/sluice-io/sluice/server/engine/enginetest"
	"github.com/sluice-io/sluice/storage"
)

var errPoison = errors.New("state machine refuses the poison entry")

// failingSM is a LogSM whose Apply fails on an entry "poison", after it has
// staged a write (as a real machine fails half way through its entries).
type failingSM struct {
	*enginetest.LogSM
	mu     sync.Mutex
	failed error
}

func (s *failingSM) Apply(b *storage.Batch, ents []*raftpb.Entry) error {
	for _, e := range ents {
		if bytes.Equal(e.GetData(), []byte("poison")) {
			b.PutGroupState(s.Group, []byte("half-applied"))
			return errPoison
		}
	}
	return s.LogSM.Apply(b, ents)
}

func (s *failingSM) Failed(err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failed = err
}

func (s *failingSM) err() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.failed
}

// TestFailingGroupStopsAloneAndOthersServe: a group whose state machine
// fails to apply stops alone (it is told why, nothing it staged in the
// failing cycle is written), while the engine and its other groups go on.
func TestFailingGroupStopsAloneAndOthersServe(t *testing.T) {
	db, err := storage.Open(storage.DefaultOptions(t.TempDir()))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	eng, err := engine.New(engine.Config{NodeID: 1, DB: db, TickInterval: 10 * time.Millisecond, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	eng.Start()
	defer eng.Stop()
	const healthy, failing = 1, 2
	good, err := enginetest.NewLogSM(db, healthy)
	if err != nil {
		t.Fatal(err)
	}
	good.Notify = func() { eng.Notify(healthy) }
	inner, err := enginetest.NewLogSM(db, failing)
	if err != nil {
		t.Fatal(err)
	}
	inner.Notify = func() { eng.Notify(failing) }
	bad := &failingSM{LogSM: inner}
	for id, sm := range map[uint64]engine.StateMachine{healthy: good, failing: bad} {
		if err := eng.AddGroup(id, []uint64{1}, sm); err != nil {
			t.Fatal(err)
		}
	}
	enginetest.WaitFor(t, "both groups to lead", func() bool { return eng.Leader(healthy) == 1 && eng.Leader(failing) == 1 })
	bad.Propose([]byte("before"))
	enginetest.WaitFor(t, "the failing group to apply its first entry", func() bool { _, d := bad.Snapshot(); return len(d) == 1 })

	// Both groups' entries go into the same cycles while the one fails.
	for i := range 50 {
		good.Propose(fmt.Appendf(nil, "good-%d", i))
		if i == 10 {
			bad.Propose([]byte("poison"))
		}
	}
	enginetest.WaitFor(t, "the failing group to be told", func() bool { return bad.err() != nil || engineFailed(eng) })
	if engineFailed(eng) {
		t.Fatalf("the engine stopped: %v", eng.Err())
	}
	if !errors.Is(bad.err(), errPoison) {
		t.Errorf("Failed got %v, want the Apply error", bad.err())
	}
	enginetest.WaitFor(t, "the healthy group to apply everything", func() bool { _, d := good.Snapshot(); return len(d) == 50 })
	if engineFailed(eng) {
		t.Fatalf("the engine stopped: %v", eng.Err())
	}
	if eng.Leader(failing) != 0 {
		t.Errorf("the failed group still reports leader %d", eng.Leader(failing))
	}
	good.Propose([]byte("after"))
	enginetest.WaitFor(t, "the healthy group to apply after the failure", func() bool { _, d := good.Snapshot(); return len(d) == 51 })
	st, err := db.GroupState(failing)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Equal(st, []byte("half-applied")) {
		t.Error("the failed group's half-staged write was committed")
	}
}

func engineFailed(eng *engine.Engine) bool {
	select {
	case <-eng.Failed():
		return true
	default:
		return false
	}
}
