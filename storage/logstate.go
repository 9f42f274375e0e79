package storage

import (
	"slices"

	"go.etcd.io/raft/v3/raftpb"
)

// logState is one consistent view of a group's raft log, in the terms of
// raft.MemoryStorage: a dummy entry (offset, offsetTerm) followed by the
// entries (offset, last].
//
// Entries in [tailFirst(), last] are in tail. Entries in (offset, tailFirst())
// are on disk, and identical in every logState of the RaftLog: a write that
// replaces one of them moves tailFirst below it (see withAppended), so a
// staged state never reads a disk entry that its own writes changed.
//
// A logState is a value; its slices are shared between copies and never
// modified in place, except by appending past the end of tail, which no
// other copy can see (each copy has its own length).
type logState struct {
	// hardState is nil until the first SetHardState.
	hardState *raftpb.HardState
	// snap is never nil and has its Metadata (and ConfState) set.
	snap *raftpb.Snapshot
	// conf is the configuration applied after the snapshot, nil when none.
	conf *raftpb.SnapshotMetadata

	offset     uint64
	offsetTerm uint64
	last       uint64

	tail []*raftpb.Entry
}

// tailFirst returns the index of tail[0], or last+1 when tail is empty.
func (s *logState) tailFirst() uint64 {
	return s.last + 1 - uint64(len(s.tail))
}

// tailEntry returns entry i if it is in tail.
func (s *logState) tailEntry(i uint64) (*raftpb.Entry, bool) {
	first := s.tailFirst()
	if i < first || i > s.last {
		return nil, false
	}
	return s.tail[i-first], true
}

// withAppended returns s with ents, which are consecutive and start in
// (offset, last+1], replacing every entry at or after ents[0].
func (s logState) withAppended(ents []*raftpb.Entry) logState {
	start, first := ents[0].GetIndex(), s.tailFirst()
	switch {
	case start == s.last+1:
		// Plain append: writes past len(s.tail) only, which no other copy of
		// the slice can see.
		s.tail = append(s.tail, ents...)
	case start > first:
		// Overwrite inside tail: the full slice expression makes append copy,
		// as other copies may still read the replaced entries.
		keep := start - first
		s.tail = append(s.tail[:keep:keep], ents...)
	default:
		// Overwrite at or below tailFirst: the new tail starts at start.
		s.tail = slices.Clone(ents)
	}
	s.last = ents[len(ents)-1].GetIndex()
	return s
}

// withCompacted returns s with the dummy entry moved to i (offset < i <= last).
func (s logState) withCompacted(i, term uint64) logState {
	if first := s.tailFirst(); i >= first {
		// Clone so the dropped entries are not kept alive by the array.
		s.tail = slices.Clone(s.tail[i-first+1:])
	}
	s.offset, s.offsetTerm = i, term
	return s
}

// withSnapshot returns s with the log replaced by the dummy entry of snap.
func (s logState) withSnapshot(snap *raftpb.Snapshot) logState {
	s.snap = snap
	s.offset = snap.GetMetadata().GetIndex()
	s.offsetTerm = snap.GetMetadata().GetTerm()
	s.last = s.offset
	s.tail = nil
	return s
}

// trimmed returns s with tail cut to its newest entries that fit within
// maxEntries and maxBytes of Data. It is applied only to published states,
// whose entries are all on disk.
func (s logState) trimmed(maxEntries, maxBytes int) logState {
	keep, size := 0, 0
	for keep < len(s.tail) && keep < maxEntries {
		size += len(s.tail[len(s.tail)-1-keep].GetData())
		if size > maxBytes {
			break
		}
		keep++
	}
	if keep < len(s.tail) {
		// Clone so the dropped entries are not kept alive by the array.
		s.tail = slices.Clone(s.tail[len(s.tail)-keep:])
	}
	return s
}

// confStateAt returns the configuration in force at index i >= the snapshot's
// index: the snapshot's, or that of the configuration change recorded since,
// if it is at or below i. ok is false when that change is above i (the
// configuration in between is not recorded).
func (s *logState) confStateAt(i uint64) (cs *raftpb.ConfState, ok bool) {
	c := s.conf
	if c == nil || c.GetIndex() <= s.snap.GetMetadata().GetIndex() {
		return s.snap.GetMetadata().GetConfState(), true
	}
	if c.GetIndex() <= i {
		return c.GetConfState(), true
	}
	return nil, false
}
