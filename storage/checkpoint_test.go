package storage

import (
	"errors"
	"testing"

	"go.etcd.io/raft/v3"
)

// TestCompactTo: the snapshot lands exactly at the compaction point, with its
// data and the configuration in force there, the entries up to it are gone,
// and all of it survives a reopen.
func TestCompactTo(t *testing.T) {
	dir := t.TempDir()
	db := openDB(t, dir, Options{})
	l, err := db.RaftLog(1)
	if err != nil {
		t.Fatal(err)
	}
	commit(t, db, func(b *Batch) error { return l.ApplySnapshot(b, snapshot(1, 1, confState(1, 2, 3), "boot")) })
	commit(t, db, func(b *Batch) error { return l.Append(b, ents(2, 20, 2)) })

	for _, bad := range []uint64{1, 22} {
		b := db.NewBatch()
		if err := l.CompactTo(b, bad, nil); !errors.Is(err, ErrNotCompactable) {
			t.Errorf("CompactTo(%d) = %v, want ErrNotCompactable", bad, err)
		}
		b.Cancel()
	}
	commit(t, db, func(b *Batch) error { return l.CompactTo(b, 10, []byte("state at 10")) })

	check := func(l *RaftLog) {
		t.Helper()
		snap, err := l.Snapshot()
		if err != nil {
			t.Fatal(err)
		}
		md := snap.GetMetadata()
		if md.GetIndex() != 10 || md.GetTerm() != 2 || string(snap.GetData()) != "state at 10" ||
			len(md.GetConfState().GetVoters()) != 3 {
			t.Fatalf("snapshot %v", snap)
		}
		if first, _ := l.FirstIndex(); first != 11 {
			t.Fatalf("first index %d, want 11", first)
		}
		if _, err := l.Entries(10, 12, 1<<20); !errors.Is(err, raft.ErrCompacted) {
			t.Fatalf("Entries(10, 12) = %v, want ErrCompacted", err)
		}
		got, err := l.Entries(11, 22, 1<<20)
		if err != nil || len(got) != 11 {
			t.Fatalf("Entries(11, 22): %d entries, %v", len(got), err)
		}
	}
	check(l)
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	db = openDB(t, dir, Options{})
	l, err = db.RaftLog(1)
	if err != nil {
		t.Fatal(err)
	}
	check(l)
	if n := keysByGroup(t, db)[1]; n > 11+5 {
		t.Fatalf("group 1 has %d keys after compaction", n)
	}
}

func TestCheckpoints(t *testing.T) {
	db := memDB(t)
	commit(t, db, func(b *Batch) error {
		for _, i := range []uint64{5, 9, 14} {
			b.PutCheckpoint(1, i, []byte{byte(i)})
		}
		b.PutCheckpoint(2, 7, []byte{7})
		return nil
	})
	list := func(group uint64) []uint64 {
		var out []uint64
		if err := db.Checkpoints(group, func(i uint64, state []byte) bool {
			if state[0] != byte(i) {
				t.Fatalf("checkpoint %d holds %v", i, state)
			}
			out = append(out, i)
			return true
		}); err != nil {
			t.Fatal(err)
		}
		return out
	}
	if got := list(1); len(got) != 3 || got[0] != 5 || got[2] != 14 {
		t.Fatalf("checkpoints of group 1: %v", got)
	}
	commit(t, db, func(b *Batch) error { return b.DeleteCheckpointsThrough(1, 9) })
	if got := list(1); len(got) != 1 || got[0] != 14 {
		t.Fatalf("after deleting through 9: %v", got)
	}
	if got := list(2); len(got) != 1 {
		t.Fatalf("group 2 lost its checkpoint: %v", got)
	}
	if err := db.DeleteGroup(1); err != nil {
		t.Fatal(err)
	}
	if got := list(1); len(got) != 0 {
		t.Fatalf("DeleteGroup left checkpoints %v", got)
	}
}
