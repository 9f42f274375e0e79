package storage

import (
	"errors"
	"fmt"
	"io"
	"log"
	"testing"

	"go.etcd.io/raft/v3"
	"go.etcd.io/raft/v3/raftpb"
	"google.golang.org/protobuf/proto"
)

// TestRaftLogErrorsWhereMemoryStoragePanics covers the calls that
// raft.MemoryStorage answers with a panic: RaftLog returns errors instead.
func TestRaftLogErrorsWhereMemoryStoragePanics(t *testing.T) {
	db := memDB(t)
	l, _ := db.RaftLog(1)
	commit(t, db, func(b *Batch) error { return l.Append(b, ents(1, 10, 1)) })
	commit(t, db, func(b *Batch) error { _, err := l.CreateSnapshot(b, 2, nil, nil); return err })
	commit(t, db, func(b *Batch) error { return l.Compact(b, 4) })

	check := func(name string, err error, target error) {
		t.Helper()
		if err == nil || (target != nil && !errors.Is(err, target)) {
			t.Errorf("%s: error %v, want one wrapping %v", name, err, target)
		}
	}
	_, err := l.Entries(5, 12, 100)
	check("Entries past last", err, nil)
	_, err = l.Entries(7, 6, 100)
	check("Entries lo > hi", err, nil)
	b := db.NewBatch()
	defer b.Cancel()
	check("Compact past last", l.Compact(b, 11), raft.ErrUnavailable)
	_, err = l.CreateSnapshot(b, 11, nil, nil)
	check("CreateSnapshot past last", err, raft.ErrUnavailable)
	_, err = l.CreateSnapshot(b, 3, nil, nil) // above the snapshot, below the log start
	check("CreateSnapshot below log start", err, raft.ErrCompacted)
	check("Append with a gap", l.Append(b, ents(12, 1, 1)), nil)
	gappy := append(ents(11, 1, 1), ents(13, 1, 1)...)
	check("Append not consecutive", l.Append(b, gappy), nil)
}

func TestRaftLogOneBatchAtATime(t *testing.T) {
	db := memDB(t)
	l, _ := db.RaftLog(1)
	b1, b2 := db.NewBatch(), db.NewBatch()
	if err := l.Append(b1, ents(1, 2, 1)); err != nil {
		t.Fatal(err)
	}
	if err := l.Append(b2, ents(3, 1, 1)); err == nil {
		t.Fatal("staging into a second batch succeeded")
	}
	// The second batch may still carry other groups' writes.
	b2.PutMeta([]byte("k"), []byte("v"))
	if err := b1.Commit(); err != nil {
		t.Fatal(err)
	}
	if err := l.Append(b2, ents(3, 1, 1)); err != nil {
		t.Fatalf("staging after the first batch committed: %v", err)
	}
	if err := b2.Commit(); err != nil {
		t.Fatal(err)
	}
	if last, _ := l.LastIndex(); last != 3 {
		t.Fatalf("LastIndex = %d, want 3", last)
	}
	// Another DB's batch is refused.
	other := memDB(t)
	ob := other.NewBatch()
	defer ob.Cancel()
	if err := l.Append(ob, ents(4, 1, 1)); err == nil {
		t.Fatal("staging into another DB's batch succeeded")
	}
}

func TestRaftLogReturnsSameInstance(t *testing.T) {
	db := memDB(t)
	a, err1 := db.RaftLog(3)
	b, err2 := db.RaftLog(3)
	if a != b || err1 != nil || err2 != nil {
		t.Fatalf("RaftLog(3) twice = %p, %p (%v, %v)", a, b, err1, err2)
	}
}

// TestRaftLogDrivesRawNode runs a single-node raft group on a RaftLog,
// restarts it from disk, and checks nothing committed is lost.
func TestRaftLogDrivesRawNode(t *testing.T) {
	dir := t.TempDir()
	db := openDB(t, dir, Options{TailCacheEntries: 4})
	n := newNode(t, db, 9)
	if err := n.rn.Bootstrap([]raft.Peer{{ID: 1}}); err != nil {
		t.Fatal(err)
	}
	n.drive()
	if err := n.rn.Campaign(); err != nil {
		t.Fatal(err)
	}
	n.drive()
	for i := range 20 {
		if err := n.rn.Propose(fmt.Appendf(nil, "p%d", i)); err != nil {
			t.Fatal(err)
		}
		n.drive()
	}
	if len(n.applied) != 20 {
		t.Fatalf("applied %d proposals before restart, want 20", len(n.applied))
	}

	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	db = openDB(t, dir, Options{TailCacheEntries: 4})
	n = newNode(t, db, 9)
	// No snapshot holds the ConfState yet: the node learns it is a voter by
	// applying the bootstrap entries again.
	n.drive()
	if err := n.rn.Campaign(); err != nil {
		t.Fatal(err)
	}
	n.drive()
	if err := n.rn.Propose([]byte("after restart")); err != nil {
		t.Fatal(err)
	}
	n.drive()
	// Without Config.Applied raft applies the whole log again.
	if len(n.applied) != 21 || n.applied[0] != "p0" || n.applied[20] != "after restart" {
		t.Fatalf("applied after restart: %q", n.applied)
	}
}

type node struct {
	t       *testing.T
	db      *DB
	log     *RaftLog
	rn      *raft.RawNode
	applied []string
}

func newNode(t *testing.T, db *DB, group uint64) *node {
	t.Helper()
	l, err := db.RaftLog(group)
	if err != nil {
		t.Fatal(err)
	}
	rn, err := raft.NewRawNode(&raft.Config{
		ID: 1, ElectionTick: 10, HeartbeatTick: 1, Storage: l,
		MaxSizePerMsg: 1 << 20, MaxInflightMsgs: 16,
		Logger: &raft.DefaultLogger{Logger: log.New(io.Discard, "", 0)},
	})
	if err != nil {
		t.Fatal(err)
	}
	return &node{t: t, db: db, log: l, rn: rn}
}

// drive handles Ready until there is none, in the etcd-raft README order:
// persist (snapshot, entries, hard state) in one batch, apply, advance.
func (n *node) drive() {
	n.t.Helper()
	for n.rn.HasReady() {
		rd := n.rn.Ready()
		commit(n.t, n.db, func(b *Batch) error {
			var err error
			if !raft.IsEmptySnap(rd.Snapshot) {
				err = n.log.ApplySnapshot(b, rd.Snapshot)
			}
			err = errors.Join(err, n.log.Append(b, rd.Entries))
			if !raft.IsEmptyHardState(rd.HardState) {
				err = errors.Join(err, n.log.SetHardState(b, rd.HardState))
			}
			return err
		})
		for _, e := range rd.CommittedEntries {
			n.apply(e)
		}
		n.rn.Advance(rd)
	}
}

func (n *node) apply(e *raftpb.Entry) {
	switch {
	case e.GetType() == raftpb.EntryConfChange:
		var cc raftpb.ConfChange
		if err := proto.Unmarshal(e.GetData(), &cc); err != nil {
			n.t.Fatal(err)
		}
		n.rn.ApplyConfChange(&cc)
	case len(e.GetData()) > 0:
		n.applied = append(n.applied, string(e.GetData()))
	}
}

// TestRaftLogLoadAfterCrashMidCompaction simulates a crash after Compact
// moved the log start but before it deleted the entries below it: the
// entries are ignored, then removed, when the log is loaded.
func TestRaftLogLoadAfterCrashMidCompaction(t *testing.T) {
	dir := t.TempDir()
	db := openDB(t, dir, Options{})
	l, _ := db.RaftLog(1)
	commit(t, db, func(b *Batch) error { return l.Append(b, ents(1, 10, 2)) })
	// Only the first op Compact would stage.
	err := db.write([]op{setOp(groupKey(kindLogStart, 1), encodeLogStart(6, 2))})
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	db = openDB(t, dir, Options{})
	l, _ = db.RaftLog(1)
	first, _ := l.FirstIndex()
	last, _ := l.LastIndex()
	term, err := l.Term(6)
	if first != 7 || last != 10 || term != 2 || err != nil {
		t.Fatalf("after reload: first %d, last %d, Term(6) = %d, %v", first, last, term, err)
	}
	if _, err := l.Entries(6, 8, 1<<20); err != raft.ErrCompacted {
		t.Fatalf("Entries(6, 8) = %v, want ErrCompacted", err)
	}
	if got := keysByGroup(t, db)[1]; got != 4+1 { // entries 7..10 and the log start
		t.Fatalf("group 1 has %d keys, want 5", got)
	}
}

// TestRaftLogReadRacingCompaction reads entries that a Commit in flight has
// already deleted: raft expects ErrCompacted for a racing compaction.
func TestRaftLogReadRacingCompaction(t *testing.T) {
	db := openDB(t, "", Options{TailCacheEntries: 2})
	l, _ := db.RaftLog(1)
	commit(t, db, func(b *Batch) error { return l.Append(b, ents(1, 10, 1)) })
	b := db.NewBatch()
	if err := l.Compact(b, 6); err != nil {
		t.Fatal(err)
	}
	// The Commit's writes are on disk; its publish hooks have not run yet.
	if err := db.write(b.ops); err != nil {
		t.Fatal(err)
	}
	if _, err := l.Term(4); err != raft.ErrCompacted {
		t.Fatalf("Term(4) during the commit = %v, want ErrCompacted", err)
	}
	if _, err := l.Entries(2, 9, 1<<20); err != raft.ErrCompacted {
		t.Fatalf("Entries(2, 9) during the commit = %v, want ErrCompacted", err)
	}
	if got, err := l.Entries(7, 9, 1<<20); err != nil || len(got) != 2 {
		t.Fatalf("Entries(7, 9) during the commit = %d entries, %v", len(got), err)
	}
	if err := b.Commit(); err != nil {
		t.Fatal(err)
	}
	if first, _ := l.FirstIndex(); first != 7 {
		t.Fatalf("FirstIndex after the commit = %d, want 7", first)
	}
}
