package storage

import (
	"bytes"
	"errors"
	"sync/atomic"
	"testing"

	"go.etcd.io/raft/v3"
	"go.etcd.io/raft/v3/raftpb"
	"google.golang.org/protobuf/proto"
)

// FuzzDecodeIndexEntry decodes offset index keys and values as stored. An
// entry that decodes is one PutOffsetIndex could have written (its base
// offset not negative) and encodes back to the same bytes.
func FuzzDecodeIndexEntry(f *testing.F) {
	e := IndexEntry{BaseOffset: 1000, RaftIndex: 42, Count: 17, MaxTimestampMs: 1_700_000_000_000}
	f.Add(offsetIndexKey(7, e.BaseOffset), encodeIndexValue(e))
	f.Add(offsetIndexKey(7, 0), encodeIndexValue(IndexEntry{MaxTimestampMs: -1}))
	f.Add(groupKey(kindOffsetIndex, 7), encodeIndexValue(e)[:12])
	f.Fuzz(func(t *testing.T, key, value []byte) {
		e, err := decodeIndexEntry(key, value)
		if err != nil {
			return
		}
		if e.BaseOffset < 0 {
			t.Fatalf("decoded a negative base offset %d", e.BaseOffset)
		}
		if !bytes.Equal(encodeIndexValue(e), value) || !bytes.Equal(offsetIndexKey(0, e.BaseOffset)[groupKeyLen:], key[groupKeyLen:]) {
			t.Fatalf("%+v encodes to %x / %x, was %x / %x", e, offsetIndexKey(0, e.BaseOffset), encodeIndexValue(e), key, value)
		}
	})
}

// FuzzDecodeLogStart decodes the stored dummy entry of a raft log.
func FuzzDecodeLogStart(f *testing.F) {
	f.Add(encodeLogStart(100, 3))
	f.Add(encodeLogStart(0, 0)[:9])
	f.Fuzz(func(t *testing.T, v []byte) {
		index, term, err := decodeLogStart(v)
		if err == nil && !bytes.Equal(encodeLogStart(index, term), v) {
			t.Fatalf("log start %d/%d encodes to %x, was %x", index, term, encodeLogStart(index, term), v)
		}
	})
}

// fuzzGroups gives each fuzz input a group of its own in a shared DB.
var fuzzGroups atomic.Uint64

// FuzzOpenRaftLog stores arbitrary bytes as a group's hard state, snapshot,
// log start, configuration and one entry, as a damaged disk could hold
// them, then opens the group's raft log and reads it as raft does. Nothing
// may panic, and what it returns raft must be able to trust: entries carry
// the indexes they were asked for, with the terms Term reports.
func FuzzOpenRaftLog(f *testing.F) {
	hs, _ := proto.Marshal(hardState(3, 1, 12))
	snap, _ := proto.Marshal(snapshot(10, 2, confState(1, 2, 3), "state"))
	conf, _ := proto.Marshal(&raftpb.SnapshotMetadata{Index: proto.Uint64(11), ConfState: confState(1, 2)})
	ent, _ := proto.Marshal(ents(12, 1, 3)[0])
	f.Add(hs, snap, encodeLogStart(10, 2), conf, ent, uint64(12))
	f.Add([]byte{}, []byte{}, []byte{}, []byte{}, ent, uint64(1))
	db, err := Open(Options{InMemory: true})
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { _ = db.Close() })
	f.Fuzz(func(t *testing.T, hs, snap, logStart, conf, ent []byte, index uint64) {
		group := fuzzGroups.Add(1)
		b := db.NewBatch()
		for kind, v := range map[byte][]byte{kindHardState: hs, kindSnapshot: snap, kindLogStart: logStart, kindConfState: conf} {
			if len(v) > 0 {
				b.put(setOp(groupKey(kind, group), v))
			}
		}
		b.put(setOp(entryKey(group, index), ent))
		if err := b.Commit(); err != nil {
			t.Fatal(err)
		}
		defer func() { _ = db.DeleteGroup(group) }()
		l, err := db.RaftLog(group)
		if err != nil {
			return
		}
		if _, _, err := l.InitialState(); err != nil {
			return
		}
		first, err1 := l.FirstIndex()
		last, err2 := l.LastIndex()
		if err1 != nil || err2 != nil {
			return
		}
		if first > last+1 {
			t.Fatalf("first index %d after last %d + 1", first, last)
		}
		if _, err := l.Term(first - 1); err != nil && !errors.Is(err, raft.ErrCompacted) {
			t.Logf("term of the dummy entry: %v", err)
		}
		got, err := l.Entries(first, last+1, 1<<20)
		if err != nil {
			return
		}
		for i, e := range got {
			if e.GetIndex() != first+uint64(i) {
				t.Fatalf("Entries(%d, %d) returned entry %d at position %d", first, last+1, e.GetIndex(), i)
			}
			if term, err := l.Term(e.GetIndex()); err != nil || term != e.GetTerm() {
				t.Fatalf("entry %d has term %d, Term says %d (%v)", e.GetIndex(), e.GetTerm(), term, err)
			}
		}
	})
}

// TestEntryStoredUnderAnotherIndexIsReportedNotReturned: raft trusts the
// index of every entry storage returns, so an entry whose stored index
// differs from its key is damage, reported as an error (found by
// FuzzOpenRaftLog).
func TestEntryStoredUnderAnotherIndexIsReportedNotReturned(t *testing.T) {
	db := memDB(t)
	data, err := proto.Marshal(ents(12, 1, 3)[0])
	if err != nil {
		t.Fatal(err)
	}
	b := db.NewBatch()
	b.put(setOp(entryKey(5, 1), data))
	if err := b.Commit(); err != nil {
		t.Fatal(err)
	}
	l, err := db.RaftLog(5)
	if err != nil {
		t.Fatal(err)
	}
	got, err := l.Entries(1, 2, 1<<20)
	if err == nil {
		t.Fatalf("Entries(1, 2) returned %d entries (the first with index %d), want an error", len(got), got[0].GetIndex())
	}
	if _, err := l.Term(1); err == nil {
		t.Fatal("Term(1) of a damaged entry returned no error")
	}
}
