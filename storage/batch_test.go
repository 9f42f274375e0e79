package storage

import (
	"bytes"
	"errors"
	"fmt"
	"testing"
)

// groupView is what a reader can see of one group.
type groupView struct {
	last     uint64
	state    []byte
	index    IndexEntry
	hasIndex bool
}

func viewGroup(t *testing.T, db *DB, group uint64) groupView {
	t.Helper()
	l, err := db.RaftLog(group)
	if err != nil {
		t.Fatalf("RaftLog(%d): %v", group, err)
	}
	var v groupView
	var err1, err2, err3 error
	v.last, err1 = l.LastIndex()
	v.state, err2 = db.GroupState(group)
	v.index, v.hasIndex, err3 = db.FirstIndexEntry(group)
	if err := errors.Join(err1, err2, err3); err != nil {
		t.Fatalf("group %d: %v", group, err)
	}
	return v
}

// stageGroups stages, for each group, entries 1..3, a group state, an index
// entry, and one meta key.
func stageGroups(t *testing.T, db *DB, b *Batch, groups []uint64) {
	t.Helper()
	for _, g := range groups {
		l, err := db.RaftLog(g)
		if err != nil {
			t.Fatal(err)
		}
		if err := l.Append(b, ents(1, 3, 1)); err != nil {
			t.Fatalf("Append group %d: %v", g, err)
		}
		b.PutGroupState(g, fmt.Appendf(nil, "state %d", g))
		b.PutOffsetIndex(g, IndexEntry{BaseOffset: 0, RaftIndex: 2, Count: 5, MaxTimestampMs: 99})
	}
	b.PutMeta([]byte("cluster/id"), []byte("c1"))
}

func TestBatchCommitIsVisibleForAllGroups(t *testing.T) {
	db := memDB(t)
	groups := []uint64{0, 1, 1 << 40}
	b := db.NewBatch()
	stageGroups(t, db, b, groups)
	for _, g := range groups {
		if v := viewGroup(t, db, g); v.last != 0 || v.state != nil || v.hasIndex {
			t.Fatalf("group %d visible before Commit: %+v", g, v)
		}
	}
	if m, _ := db.Meta([]byte("cluster/id")); m != nil {
		t.Fatalf("meta visible before Commit: %q", m)
	}
	if err := b.Commit(); err != nil {
		t.Fatalf("Commit: %v", err)
	}
	for _, g := range groups {
		v := viewGroup(t, db, g)
		want := IndexEntry{BaseOffset: 0, RaftIndex: 2, Count: 5, MaxTimestampMs: 99}
		if v.last != 3 || string(v.state) != fmt.Sprintf("state %d", g) || !v.hasIndex || v.index != want {
			t.Fatalf("group %d after Commit: %+v", g, v)
		}
	}
	if m, err := db.Meta([]byte("cluster/id")); err != nil || string(m) != "c1" {
		t.Fatalf("Meta = %q, %v", m, err)
	}
	if err := b.Commit(); !errors.Is(err, errBatchDone) {
		t.Fatalf("second Commit = %v, want errBatchDone", err)
	}
}

func TestBatchCancelDiscards(t *testing.T) {
	db := memDB(t)
	groups := []uint64{1, 2}
	b := db.NewBatch()
	stageGroups(t, db, b, groups)
	b.Cancel()
	b.Cancel() // no-op
	if err := b.Commit(); !errors.Is(err, errBatchDone) {
		t.Fatalf("Commit after Cancel = %v, want errBatchDone", err)
	}
	for _, g := range groups {
		if v := viewGroup(t, db, g); v.last != 0 || v.state != nil || v.hasIndex {
			t.Fatalf("group %d visible after Cancel: %+v", g, v)
		}
	}
	// The logs are free to stage into a new batch, from their committed state.
	b2 := db.NewBatch()
	stageGroups(t, db, b2, groups)
	if err := b2.Commit(); err != nil {
		t.Fatalf("Commit: %v", err)
	}
	if v := viewGroup(t, db, 2); v.last != 3 {
		t.Fatalf("after second batch: %+v", v)
	}
}

func TestBatchStagingErrorWritesNothing(t *testing.T) {
	db := memDB(t)
	l, _ := db.RaftLog(1)
	b := db.NewBatch()
	if err := l.Append(b, ents(1, 2, 1)); err != nil {
		t.Fatal(err)
	}
	b.PutOffsetIndex(1, IndexEntry{BaseOffset: -1})
	if err := b.Commit(); err == nil {
		t.Fatal("Commit with a negative base offset succeeded")
	}
	if last, _ := l.LastIndex(); last != 0 {
		t.Fatalf("LastIndex = %d after a failed staging, want 0", last)
	}
	// Nothing was written, so the log is still usable.
	commit(t, db, func(b *Batch) error { return l.Append(b, ents(1, 1, 1)) })
}

func TestBatchMetaScanAndDelete(t *testing.T) {
	db := memDB(t)
	commit(t, db, func(b *Batch) error {
		for _, k := range []string{"topic/b", "topic/a", "broker/1", "topic/c"} {
			b.PutMeta([]byte(k), []byte("v "+k))
		}
		return nil
	})
	commit(t, db, func(b *Batch) error { b.DeleteMeta([]byte("topic/b")); return nil })
	var got []string
	err := db.ScanMeta([]byte("topic/"), func(k, v []byte) error {
		if !bytes.Equal(v, append([]byte("v "), k...)) {
			return fmt.Errorf("value of %q is %q", k, v)
		}
		got = append(got, string(k))
		return nil
	})
	if err != nil || fmt.Sprint(got) != "[topic/a topic/c]" {
		t.Fatalf("ScanMeta = %v, %v", got, err)
	}
	stop := errors.New("stop")
	n := 0
	err = db.ScanMeta(nil, func(k, v []byte) error { n++; return stop })
	if err != stop || n != 1 {
		t.Fatalf("ScanMeta with a failing fn = %v after %d calls", err, n)
	}
}

func TestBatchCommitFailurePoisonsRaftLog(t *testing.T) {
	db := openDB(t, "", Options{ValueLogFileSize: 1 << 20})
	l, _ := db.RaftLog(1)
	commit(t, db, func(b *Batch) error { return l.Append(b, ents(1, 2, 1)) })

	b := db.NewBatch()
	if err := l.Append(b, ents(3, 2, 1)); err != nil {
		t.Fatal(err)
	}
	b.PutGroupState(1, make([]byte, 2<<20)) // larger than a value log file
	if err := b.Commit(); err == nil {
		t.Fatal("Commit of an oversized value succeeded")
	}
	if _, err := l.LastIndex(); err == nil {
		t.Fatal("RaftLog usable after a failed Commit")
	}
	l2, err := db.RaftLog(1)
	if err != nil || l2 == l {
		t.Fatalf("RaftLog after failure = %p (old %p), %v; want a reloaded log", l2, l, err)
	}
	if last, _ := l2.LastIndex(); last != 2 {
		t.Fatalf("reloaded LastIndex = %d, want 2", last)
	}
}
