package storage

import (
	"encoding/binary"
	"errors"
	"testing"

	"github.com/dgraph-io/badger/v4"
)

// keysByGroup counts the keys of each group (meta keys under group
// ^uint64(0)), read straight from badger.
func keysByGroup(t *testing.T, db *DB) map[uint64]int {
	t.Helper()
	counts := make(map[uint64]int)
	err := db.bdb.View(func(txn *badger.Txn) error {
		it := txn.NewIterator(badger.IteratorOptions{})
		defer it.Close()
		for it.Rewind(); it.Valid(); it.Next() {
			k := it.Item().Key()
			if k[0] == kindMeta {
				counts[^uint64(0)]++
				continue
			}
			counts[binary.BigEndian.Uint64(k[1:groupKeyLen])]++
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return counts
}

// fillGroup writes n entries, a hard state, a snapshot, a compaction, index
// entries and a group state for group.
func fillGroup(t *testing.T, db *DB, group uint64, n int) {
	t.Helper()
	l, err := db.RaftLog(group)
	if err != nil {
		t.Fatal(err)
	}
	commit(t, db, func(b *Batch) error {
		b.PutGroupState(group, []byte("state"))
		b.PutOffsetIndex(group, IndexEntry{BaseOffset: 0, RaftIndex: 2, Count: 1})
		b.PutOffsetIndex(group, IndexEntry{BaseOffset: 1, RaftIndex: 3, Count: 1})
		return errors.Join(l.Append(b, ents(1, n, 1)), l.SetHardState(b, hardState(1, 1, 3)))
	})
	commit(t, db, func(b *Batch) error {
		_, err := l.CreateSnapshot(b, 2, confState(1), []byte("snap"))
		return errors.Join(err, l.Compact(b, 1))
	})
}

func TestDeleteGroup(t *testing.T) {
	db := openDB(t, "", Options{})
	// 1 and 257 differ only in the second-lowest byte of the group id.
	const victim, n = 1, deleteChunk + 100
	for _, g := range []uint64{0, victim, 2, 257} {
		fillGroup(t, db, g, map[bool]int{true: n, false: 5}[g == victim])
	}
	commit(t, db, func(b *Batch) error { b.PutMeta([]byte("m"), []byte("v")); return nil })
	before := keysByGroup(t, db)
	old, _ := db.RaftLog(victim)

	if err := db.DeleteGroup(victim); err != nil {
		t.Fatalf("DeleteGroup: %v", err)
	}
	after := keysByGroup(t, db)
	if after[victim] != 0 {
		t.Fatalf("%d keys of group %d left", after[victim], victim)
	}
	for g, c := range before {
		if g != victim && after[g] != c {
			t.Fatalf("group %d: %d keys before, %d after", g, c, after[g])
		}
	}
	if _, err := old.LastIndex(); !errors.Is(err, ErrGroupDeleted) {
		t.Fatalf("deleted RaftLog LastIndex error = %v, want ErrGroupDeleted", err)
	}
	l, err := db.RaftLog(victim)
	if err != nil {
		t.Fatal(err)
	}
	hs, _, _ := l.InitialState()
	first, _ := l.FirstIndex()
	last, _ := l.LastIndex()
	if hs != nil || first != 1 || last != 0 {
		t.Fatalf("recreated group: hard state %v, first %d, last %d", hs, first, last)
	}
}
