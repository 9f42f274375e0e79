package storage

import (
	"encoding/binary"
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/dgraph-io/badger/v4"
	"go.etcd.io/raft/v3"
	"go.etcd.io/raft/v3/raftpb"
)

// errCut is what a cut write returns: the simulated crash or disk failure.
var errCut = errors.New("storage test: write cut by the fault injector")

// cutCommitter is the fault-injecting txnCommitter: it commits the first
// keep transactions and fails every later one without writing it, as a
// crash (or a disk that failed) after transaction keep would. A negative
// keep never cuts; n counts the transactions seen either way. Cutting inside
// one Batch.Commit tears that batch: only a prefix of its transactions is
// durable. A test simulates a crash by cutting, closing the DB (which keeps
// exactly what was committed) and opening the same directory again.
type cutCommitter struct {
	next txnCommitter

	mu   sync.Mutex
	keep int
	n    int
}

func (c *cutCommitter) commit(txn *badger.Txn, done func(error)) {
	c.mu.Lock()
	c.n++
	cut := c.keep >= 0 && c.n > c.keep
	c.mu.Unlock()
	if cut {
		txn.Discard()
		done(errCut)
		return
	}
	c.next.commit(txn, done)
}

func (c *cutCommitter) count() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.n
}

// crashOptions split every batch of more than about a hundred writes into
// several badger transactions (15% of the memtable bounds one).
var crashOptions = Options{MemTableSize: 64 << 10, ValueThreshold: 1 << 10, NumMemtables: 2}

// crashScenario is one multi-step write under test.
type crashScenario struct {
	// setup builds the state before the write; every write it makes is
	// durable and acknowledged.
	setup func(t *testing.T, db *DB)
	// write is the multi-step write; it may fail with errCut.
	write func(db *DB) error
	// check runs on the reopened DB. done reports that the write completed.
	check func(t *testing.T, db *DB, done bool)
}

// crashAtEveryStep runs sc once to count the transactions its write takes,
// then once per transaction N: a fresh directory, setup, the write cut
// before its Nth transaction (a crash at step N), a reopen, and the check.
func crashAtEveryStep(t *testing.T, sc crashScenario) {
	t.Helper()
	steps := runCut(t, sc, -1)
	if steps < 2 {
		t.Fatalf("the write took %d transaction(s); the scenario must split it into several", steps)
	}
	for keep := range steps {
		t.Run(fmt.Sprintf("crash_at_%d_of_%d", keep+1, steps), func(t *testing.T) {
			runCut(t, sc, keep)
		})
	}
}

// runCut runs sc with the write's transactions after the first keep cut
// (none when keep < 0) and returns how many the write took.
func runCut(t *testing.T, sc crashScenario, keep int) int {
	t.Helper()
	dir := t.TempDir()
	db := openDB(t, dir, crashOptions)
	sc.setup(t, db)
	cut := &cutCommitter{next: db.txns, keep: keep}
	db.txns = cut
	err := sc.write(db)
	switch {
	case keep < 0 && err != nil:
		t.Fatalf("uncut write: %v", err)
	case keep >= 0 && !errors.Is(err, errCut):
		t.Fatalf("write cut after %d transactions returned %v, want errCut", keep, err)
	}
	if err := db.Close(); err != nil {
		t.Fatalf("Close after the crash: %v", err)
	}
	db = openDB(t, dir, crashOptions)
	sc.check(t, db, keep < 0)
	return cut.count()
}

// partState is the toy partition state machine of these tests, stored as
// the group state: applied raft index, log start offset, next offset. Each
// entry it applies holds one record.
type partState struct{ applied, logStart, next uint64 }

func (s partState) encode() []byte {
	v := binary.BigEndian.AppendUint64(nil, s.applied)
	v = binary.BigEndian.AppendUint64(v, s.logStart)
	return binary.BigEndian.AppendUint64(v, s.next)
}

func loadPartState(t *testing.T, db *DB, group uint64) partState {
	t.Helper()
	v, err := db.GroupState(group)
	if err != nil {
		t.Fatal(err)
	}
	if v == nil {
		return partState{}
	}
	if len(v) != 24 {
		t.Fatalf("group %d state: %d bytes", group, len(v))
	}
	return partState{binary.BigEndian.Uint64(v), binary.BigEndian.Uint64(v[8:]), binary.BigEndian.Uint64(v[16:])}
}

// produce appends n entries of term 1 to group, commits and applies them
// (one record each, a checkpoint every 100 entries), durably.
func produce(t *testing.T, db *DB, group uint64, n int) {
	t.Helper()
	l, err := db.RaftLog(group)
	if err != nil {
		t.Fatal(err)
	}
	st := loadPartState(t, db, group)
	last, _ := l.LastIndex()
	commit(t, db, func(b *Batch) error {
		if err := l.Append(b, ents(last+1, n, 1)); err != nil {
			return err
		}
		if err := l.SetHardState(b, hardState(1, 1, last+uint64(n))); err != nil {
			return err
		}
		for i := last + 1; i <= last+uint64(n); i++ {
			b.PutOffsetIndex(group, IndexEntry{BaseOffset: int64(st.next), RaftIndex: i, Count: 1})
			st.applied, st.next = i, st.next+1
			if i%100 == 0 {
				b.PutCheckpoint(group, i, st.encode())
			}
		}
		b.PutGroupState(group, st.encode())
		return nil
	})
}

// checkPartition checks that group reopens as the engine opens it: raft
// accepts the log, and the state machine holds what the log no longer does
// and no more than was committed. It returns the state and the log bounds.
func checkPartition(t *testing.T, db *DB, group uint64) (st partState, first, last uint64) {
	t.Helper()
	l, err := db.RaftLog(group)
	if err != nil {
		t.Fatalf("open raft log of group %d: %v", group, err)
	}
	hs, _, err := l.InitialState()
	if err != nil {
		t.Fatal(err)
	}
	snap, err := l.Snapshot()
	if err != nil {
		t.Fatal(err)
	}
	st = loadPartState(t, db, group)
	newRawNode(t, l, max(st.applied, snap.GetMetadata().GetIndex()))
	first, _ = l.FirstIndex()
	last, _ = l.LastIndex()
	if st.applied < first-1 {
		t.Fatalf("group %d: state machine applied through %d, but the log starts after %d: entries lost", group, st.applied, first-1)
	}
	if st.applied > hs.GetCommit() {
		t.Fatalf("group %d: state machine applied through %d, past the commit index %d", group, st.applied, hs.GetCommit())
	}
	if got := readOffsets(t, db, group, st); got != st.next-st.logStart {
		t.Fatalf("group %d: read %d records of offsets [%d, %d)", group, got, st.logStart, st.next)
	}
	return st, first, last
}

// readOffsets reads every offset the state machine holds and returns how
// many records it found.
func readOffsets(t *testing.T, db *DB, group uint64, st partState) uint64 {
	t.Helper()
	var n uint64
	err := db.ReadLog(group, int64(st.logStart), int64(st.next), 1<<30, func(e IndexEntry, data []byte) bool {
		if len(data) == 0 {
			t.Errorf("group %d: offset %d: empty entry %d", group, e.BaseOffset, e.RaftIndex)
		}
		n += uint64(e.Count)
		return true
	})
	if err != nil {
		t.Fatalf("group %d: read offsets [%d, %d): %v", group, st.logStart, st.next, err)
	}
	return n
}

// newRawNode builds an etcd-raft node over l as the engine does
// (engine.raftConfig), turning its panic on a log it rejects into a failure.
func newRawNode(t *testing.T, l *RaftLog, applied uint64) {
	t.Helper()
	defer func() {
		if p := recover(); p != nil {
			t.Fatalf("raft.NewRawNode over the reopened log panicked: %v", p)
		}
	}()
	_, err := raft.NewRawNode(&raft.Config{
		ID: 1, ElectionTick: 10, HeartbeatTick: 1, Storage: l, Applied: applied,
		MaxSizePerMsg: 1 << 20, MaxInflightMsgs: 256, CheckQuorum: true, PreVote: true,
		Logger: discardRaftLogger{},
	})
	if err != nil {
		t.Fatalf("raft.NewRawNode over the reopened log: %v", err)
	}
}

// discardRaftLogger drops raft's messages but keeps its panics.
type discardRaftLogger struct{}

func (discardRaftLogger) Debug(...any)                   {}
func (discardRaftLogger) Debugf(string, ...any)          {}
func (discardRaftLogger) Info(...any)                    {}
func (discardRaftLogger) Infof(string, ...any)           {}
func (discardRaftLogger) Warning(...any)                 {}
func (discardRaftLogger) Warningf(string, ...any)        {}
func (discardRaftLogger) Error(...any)                   {}
func (discardRaftLogger) Errorf(string, ...any)          {}
func (discardRaftLogger) Fatal(v ...any)                 { panic(fmt.Sprint(v...)) }
func (discardRaftLogger) Fatalf(format string, v ...any) { panic(fmt.Sprintf(format, v...)) }
func (discardRaftLogger) Panic(v ...any)                 { panic(fmt.Sprint(v...)) }
func (discardRaftLogger) Panicf(format string, v ...any) { panic(fmt.Sprintf(format, v...)) }

const (
	crashGroup = 1
	// otherGroup shares the cycle's batch, as another partition would.
	otherGroup = 2
)

// installSnapshot stages what the engine stages for a Ready that carries a
// leader's snapshot (engine/group.go installSnapshot, replica.Restore): the
// snapshot, the state machine's restored state and a hard state committing
// the snapshot's index as one atomic section, then the entries after it and
// the Ready's hard state.
func installSnapshot(b *Batch, l *RaftLog, snap *raftpb.Snapshot, st partState, after []*raftpb.Entry) error {
	idx, term := snap.GetMetadata().GetIndex(), snap.GetMetadata().GetTerm()
	err := b.Atomic(func() error {
		if err := l.ApplySnapshot(b, snap); err != nil {
			return err
		}
		if err := b.DeleteIndexBefore(crashGroup, int64(st.next)); err != nil {
			return err
		}
		if err := b.DeleteCheckpointsThrough(crashGroup, idx); err != nil {
			return err
		}
		b.PutGroupState(crashGroup, st.encode())
		return l.SetHardState(b, hardState(term, 0, idx))
	})
	if err != nil {
		return err
	}
	if err := l.Append(b, after); err != nil {
		return err
	}
	return l.SetHardState(b, hardState(term, 0, idx+2))
}

// A follower that was down while the leader compacted past it installs the
// leader's snapshot: its whole log, offset index and checkpoints go, in
// one batch that badger splits. Wherever a crash cuts that batch, the broker
// must start again (etcd-raft panics when the hard state's commit is outside
// the log) with either the old state or the snapshot's.
func TestSnapshotInstallSurvivesCrashAtEveryStep(t *testing.T) {
	const n, snapIndex = 600, 5000
	crashAtEveryStep(t, crashScenario{
		setup: func(t *testing.T, db *DB) {
			produce(t, db, crashGroup, n)
			produce(t, db, otherGroup, 50)
		},
		write: func(db *DB) error {
			l, err := db.RaftLog(crashGroup)
			if err != nil {
				return err
			}
			other, err := db.RaftLog(otherGroup)
			if err != nil {
				return err
			}
			restored := partState{applied: snapIndex, logStart: 4000, next: 4000}
			snap := snapshot(snapIndex, 2, confState(1, 2, 3), string(restored.encode()))
			b := db.NewBatch()
			err = errors.Join(
				other.Append(b, ents(51, 5, 1)),
				installSnapshot(b, l, snap, restored, ents(snapIndex+1, 5, 2)))
			if err != nil {
				b.Cancel()
				return err
			}
			return b.Commit()
		},
		check: func(t *testing.T, db *DB, done bool) {
			st, first, _ := checkPartition(t, db, crashGroup)
			switch {
			case st.applied == n && first == 1:
				// Crashed before the install: everything acknowledged is there.
			case st.applied == snapIndex && first == snapIndex+1:
			default:
				t.Fatalf("group %d reopened with state %+v and log from %d: neither the old state nor the snapshot's", crashGroup, st, first)
			}
			if done && st.applied != snapIndex {
				t.Fatalf("completed install left state %+v", st)
			}
			if ost, _, olast := checkPartition(t, db, otherGroup); ost.applied != 50 || olast < 50 {
				t.Fatalf("group %d lost acknowledged entries: state %+v, last index %d", otherGroup, ost, olast)
			}
		},
	})
}
