package storage

import (
	"encoding/binary"
	"errors"
	"fmt"
	"strings"
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
	// check runs on the reopened DB (or, for a failed write, on the DB that
	// saw the failure). done reports that the write completed.
	check func(t *testing.T, db *DB, done bool)
	// crashOnly skips the failed-write runs: the write is finished only by
	// the next Open.
	crashOnly bool
}

// crashAtEveryStep runs sc once to count the transactions its write takes,
// then once per transaction N: a fresh directory, setup, the write cut
// before its Nth transaction (a crash at step N), a reopen, and the check.
// Unless crashOnly, each N also runs as a failed write: the same cut, then
// the check on the same DB, whose RaftLogs reload from disk.
func crashAtEveryStep(t *testing.T, sc crashScenario, minSteps int) {
	t.Helper()
	steps := runCut(t, sc, -1, true)
	if steps < minSteps {
		t.Fatalf("the write took %d transaction(s), want at least %d: the scenario must split it", steps, minSteps)
	}
	for keep := range steps {
		t.Run(fmt.Sprintf("crash_at_%d_of_%d", keep+1, steps), func(t *testing.T) {
			runCut(t, sc, keep, true)
		})
		if !sc.crashOnly {
			t.Run(fmt.Sprintf("fail_at_%d_of_%d", keep+1, steps), func(t *testing.T) {
				runCut(t, sc, keep, false)
			})
		}
	}
}

// runCut runs sc with the write's transactions after the first keep cut
// (none when keep < 0), reopening the directory before the check when
// reopen is set, and returns how many transactions the write took.
func runCut(t *testing.T, sc crashScenario, keep int, reopen bool) int {
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
	if reopen {
		if err := db.Close(); err != nil {
			t.Fatalf("Close after the crash: %v", err)
		}
		db = openDB(t, dir, crashOptions)
	} else {
		db.txns = cut.next
	}
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
	applied := st.applied
	if applied == 0 && snap.GetMetadata().GetIndex() == 1 {
		applied = 1 // a new group: its state is the bootstrap snapshot's
	}
	if applied < first-1 {
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
// leader's snapshot (engine/group.go stage): RaftLog.InstallSnapshot
// with the partition's Restore (replica.Restore: the offset index and
// checkpoints below the snapshot go, the restored state is stored), then the
// entries after the snapshot and the Ready's hard state, which commits two
// of them.
func installSnapshot(b *Batch, l *RaftLog, snap *raftpb.Snapshot, st partState, after []*raftpb.Entry) error {
	idx, term := snap.GetMetadata().GetIndex(), snap.GetMetadata().GetTerm()
	hs := hardState(term, 0, idx+2)
	err := l.InstallSnapshot(b, snap, hs, func() error {
		if err := b.DeleteIndexBefore(crashGroup, int64(st.next)); err != nil {
			return err
		}
		if err := b.DeleteCheckpointsThrough(crashGroup, idx); err != nil {
			return err
		}
		b.PutGroupState(crashGroup, st.encode())
		return nil
	})
	if err != nil {
		return err
	}
	if err := l.Append(b, after); err != nil {
		return err
	}
	return l.SetHardState(b, hs)
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
			checkOther(t, db)
		},
	}, 2)
}

// checkOther checks that otherGroup, which shares the batches under test,
// kept everything produced before them.
func checkOther(t *testing.T, db *DB) {
	t.Helper()
	if st, _, last := checkPartition(t, db, otherGroup); st.applied != 50 || last < 50 {
		t.Fatalf("group %d lost acknowledged entries: state %+v, last index %d", otherGroup, st, last)
	}
}

// Retention compacts a partition's log to a checkpoint: the raft snapshot
// and log start move, and the entries, offset index entries and checkpoints
// below go, in one batch that badger splits. Wherever a crash (or a failed
// write) cuts it, the log opens, and every offset from the log start on
// still reads.
func TestRetentionCompactionSurvivesCrashAtEveryStep(t *testing.T) {
	const n, point = 600, 400
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
			// The cycle as the engine stages it: the TruncatePrefix entry
			// applies (the state's log start moves), then the compaction
			// (RaftLog.CompactTo, replica.Compacted).
			st := loadPartState(t, db, crashGroup)
			st.logStart = point
			snapState := partState{applied: point, logStart: point, next: point}
			b := db.NewBatch()
			b.PutGroupState(crashGroup, st.encode())
			err = errors.Join(
				l.CompactTo(b, point, snapState.encode()),
				b.DeleteIndexBefore(crashGroup, point),
				b.DeleteCheckpointsThrough(crashGroup, point),
				other.Append(b, ents(51, 5, 1)))
			if err != nil {
				b.Cancel()
				return err
			}
			return b.Commit()
		},
		check: func(t *testing.T, db *DB, done bool) {
			st, first, _ := checkPartition(t, db, crashGroup)
			if first != 1 && first != point+1 {
				t.Fatalf("group %d: log starts at %d, want 1 or %d", crashGroup, first, point+1)
			}
			if st.applied != n {
				t.Fatalf("group %d: state %+v, want applied %d", crashGroup, st, n)
			}
			if done && (first != point+1 || st.logStart != point) {
				t.Fatalf("completed compaction left log from %d, state %+v", first, st)
			}
			checkOther(t, db)
		},
	}, 2)
}

// A new replica's group gets its first configuration as a snapshot at index
// 1 (engine.bootstrap). A crash before it is durable leaves a group that
// reads as new, so the next start bootstraps it again; after, a group whose
// log starts after 1.
func TestGroupCreationSurvivesCrashAtEveryStep(t *testing.T) {
	crashAtEveryStep(t, crashScenario{
		setup: func(t *testing.T, db *DB) { produce(t, db, otherGroup, 50) },
		write: func(db *DB) error {
			l, err := db.RaftLog(crashGroup)
			if err != nil {
				return err
			}
			b := db.NewBatch()
			if err := l.ApplySnapshot(b, snapshot(1, 1, confState(1, 2, 3), "")); err != nil {
				b.Cancel()
				return err
			}
			return b.Commit()
		},
		check: func(t *testing.T, db *DB, done bool) {
			_, first, last := checkPartition(t, db, crashGroup)
			if !(first == 1 && last == 0) && !(first == 2 && last == 1) {
				t.Fatalf("group %d: log (%d, %d], want a new group's or the bootstrapped one's", crashGroup, first-1, last)
			}
			if done && last != 1 {
				t.Fatalf("completed bootstrap left log (%d, %d]", first-1, last)
			}
			checkOther(t, db)
		},
	}, 1)
}

// Removing a replica deletes its group in many transactions. A crash part
// way must not leave half a group (a log that no longer opens, which would
// meet a replica placed here again): after the reopen the group is gone (or,
// crashed before the deletion began, whole) and the others are intact.
func TestGroupDeletionSurvivesCrashAtEveryStep(t *testing.T) {
	var before map[uint64]int
	crashAtEveryStep(t, crashScenario{
		crashOnly: true,
		setup: func(t *testing.T, db *DB) {
			produce(t, db, crashGroup, 600)
			produce(t, db, otherGroup, 50)
			before = keysByGroup(t, db)
		},
		write: func(db *DB) error { return db.DeleteGroup(crashGroup) },
		check: func(t *testing.T, db *DB, done bool) {
			after := keysByGroup(t, db)
			if after[crashGroup] == before[crashGroup] && !done {
				// Crashed before the intent was durable: nothing happened.
				checkPartition(t, db, crashGroup)
				checkOther(t, db)
				return
			}
			if after[crashGroup] != 0 {
				t.Fatalf("group %d keeps %d of its %d keys after the reopen", crashGroup, after[crashGroup], before[crashGroup])
			}
			if after[otherGroup] != before[otherGroup] {
				t.Fatalf("group %d has %d keys, had %d", otherGroup, after[otherGroup], before[otherGroup])
			}
			if _, first, last := checkPartition(t, db, crashGroup); first != 1 || last != 0 {
				t.Fatalf("deleted group %d reopens with log (%d, %d]", crashGroup, first-1, last)
			}
			checkOther(t, db)
		},
	}, 2)
}

// A run of glued writes lands in one transaction wherever the transaction
// boundaries fall: a cut keeps all of it or none.
func TestGluedWritesShareOneTransaction(t *testing.T) {
	const n = 400
	for _, at := range []int{0, 1, 57, 99, 100, 101, 250, n - 3} {
		for keep := 0; keep < 8; keep++ {
			db := openDB(t, "", crashOptions)
			ops := make([]op, n)
			for i := range ops {
				ops[i] = setOp(fmt.Appendf(nil, "k%04d", i), []byte("v"))
			}
			ops[at+1].glued, ops[at+2].glued = true, true
			db.txns = &cutCommitter{next: db.txns, keep: keep}
			err := db.write(ops)
			if err != nil && !errors.Is(err, errCut) {
				t.Fatal(err)
			}
			var present [3]bool
			for i := range present {
				v, err := db.get(ops[at+i].key)
				if err != nil {
					t.Fatal(err)
				}
				present[i] = v != nil
			}
			if present[0] != present[1] || present[1] != present[2] {
				t.Fatalf("glued writes %d-%d, cut after %d transactions: present %v", at, at+2, keep, present)
			}
			_ = db.Close()
		}
	}
}

// A run of glued writes that cannot fit one transaction fails the write
// and says why, rather than being split.
func TestGluedWritesTooLargeForOneTransactionFail(t *testing.T) {
	db := openDB(t, "", crashOptions)
	ops := make([]op, 2000)
	for i := range ops {
		ops[i] = setOp(fmt.Appendf(nil, "k%04d", i), []byte("v"))
		ops[i].glued = i > 0
	}
	err := db.write(ops)
	if err == nil || !errors.Is(err, badger.ErrTxnTooBig) || !strings.Contains(err.Error(), "2000 writes that must be atomic") {
		t.Fatalf("write of 2000 glued writes: %v, want an error saying they do not fit one transaction", err)
	}
	if v, err := db.get(ops[0].key); err != nil || v != nil {
		t.Fatalf("first glued write: %q, %v; want nothing written", v, err)
	}
}
