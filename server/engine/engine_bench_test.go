package engine_test

import (
	"fmt"
	"log/slog"
	"sync"
	"syscall"
	"testing"
	"time"

	"go.etcd.io/raft/v3/raftpb"

	"github.com/sluice-io/sluice/server/engine"
	"github.com/sluice-io/sluice/server/engine/memnet"
	"github.com/sluice-io/sluice/storage"
)

// benchSM counts the entries it applies and tells a waiter when a target is
// reached; its effects are one group state write per Apply.
type benchSM struct {
	group  uint64
	notify func()

	mu      sync.Mutex
	pending [][]byte
	applied uint64 // raft index
	entries int    // normal entries with data
	want    int
	reached chan struct{}
}

func (s *benchSM) AppliedIndex() uint64 { s.mu.Lock(); defer s.mu.Unlock(); return s.applied }
func (s *benchSM) Apply(b *storage.Batch, ents []*raftpb.Entry) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, e := range ents {
		if e.GetType() == raftpb.EntryNormal && len(e.GetData()) > 0 {
			s.entries++
		}
		s.applied = e.GetIndex()
	}
	b.PutGroupState(s.group, []byte{1})
	return nil
}
func (s *benchSM) Applied() {
	s.mu.Lock()
	if s.reached != nil && s.entries >= s.want {
		close(s.reached)
		s.reached = nil
	}
	s.mu.Unlock()
}
func (s *benchSM) SnapshotData() ([]byte, error)                  { return nil, nil }
func (s *benchSM) Restore(*storage.Batch, *raftpb.Snapshot) error { return nil }
func (s *benchSM) Proposals() [][]byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	p := s.pending
	s.pending = nil
	return p
}

// Dropped proposes again what raft refused (leadership moved under load).
func (s *benchSM) Dropped(data [][]byte, _ error) {
	s.mu.Lock()
	s.pending = append(s.pending, data...)
	s.mu.Unlock()
	s.notify() // queues the group for the next cycle; blocks nothing
}
func (s *benchSM) LeaderChanged(_, _ uint64) {}

// propose queues one entry and returns a channel closed once it applied.
func (s *benchSM) propose(d []byte) <-chan struct{} {
	s.mu.Lock()
	s.pending = append(s.pending, d)
	s.want = s.entries + len(s.pending)
	ch := make(chan struct{})
	s.reached = ch
	s.mu.Unlock()
	s.notify()
	return ch
}

// BenchmarkEngineReplicate measures the engine loop: three engines over an
// in-memory network and in-memory storage (no disk: the loop's own cost
// dominates), 32 groups; each operation proposes one 256-byte entry to
// every group's leader and waits until the leaders applied them all.
func BenchmarkEngineReplicate(b *testing.B) {
	const groups = 32
	net := memnet.New()
	var engines []*engine.Engine
	sms := map[uint64][]*benchSM{}
	for id := uint64(1); id <= 3; id++ {
		db, err := storage.Open(storage.Options{InMemory: true})
		if err != nil {
			b.Fatal(err)
		}
		eng, err := engine.New(engine.Config{NodeID: id, DB: db, Transport: net.Transport(id),
			TickInterval: 100 * time.Millisecond, Logger: slog.New(slog.DiscardHandler)})
		if err != nil {
			b.Fatal(err)
		}
		for g := uint64(1); g <= groups; g++ {
			sm := &benchSM{group: g}
			sm.notify = func() { eng.Notify(g) }
			if err := eng.AddGroup(g, []uint64{1, 2, 3}, sm); err != nil {
				b.Fatal(err)
			}
			sms[id] = append(sms[id], sm)
		}
		net.Join(id, eng)
		eng.Start()
		engines = append(engines, eng)
		defer func() { eng.Stop(); _ = db.Close() }()
	}
	defer net.Close()
	// Each group's leader, once all three agree.
	leaderSMs := make([]*benchSM, groups)
	deadline := time.Now().Add(20 * time.Second)
	for g := uint64(1); g <= groups; g++ {
		for {
			l := engines[0].Leader(g)
			if l != 0 && engines[1].Leader(g) == l && engines[2].Leader(g) == l {
				leaderSMs[g-1] = sms[l][g-1]
				break
			}
			if time.Now().After(deadline) {
				b.Fatalf("group %d elected no leader", g)
			}
			time.Sleep(time.Millisecond)
		}
	}
	data := []byte(fmt.Sprintf("%0256d", 0))
	waits := make([]<-chan struct{}, groups)
	// CPU time per operation (the process's, all goroutines): what the loop
	// costs, less sensitive than wall time to a machine shared with others.
	cpuStart := cpuTime(b)
	b.ResetTimer()
	for b.Loop() {
		for i, sm := range leaderSMs {
			waits[i] = sm.propose(data)
		}
		for _, w := range waits {
			select {
			case <-w:
			case <-time.After(10 * time.Second):
				b.Fatal("proposals not applied within 10 s (one lost with a leadership change?)")
			}
		}
	}
	b.StopTimer()
	b.ReportMetric(float64(cpuTime(b)-cpuStart)/float64(b.N), "cpu-ns/op")
}

// cpuTime is the user and system CPU time the process used so far.
func cpuTime(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
