package storage

import (
	"errors"
	"fmt"
	"math"
	"sync"

	"github.com/dgraph-io/badger/v4"
	"go.etcd.io/raft/v3"
	"go.etcd.io/raft/v3/raftpb"
	"google.golang.org/protobuf/proto"
)

// RaftLog is the raft.Storage of one group over the shared DB, with the
// semantics and errors of raft.MemoryStorage: a dummy entry at the last
// compacted (or snapshot) index, so FirstIndex is that index + 1 and Term
// works for it.
//
// Writes (Append, SetHardState, ApplySnapshot, CreateSnapshot, Compact) are
// staged into a Batch and take effect, on disk and in what the raft.Storage
// methods return, when the Batch commits. A RaftLog stages into one Batch at
// a time: until that Batch is committed or cancelled, writes for another
// Batch fail. Each write validates against the log as it will be once
// everything already staged commits.
//
// The writes are meant for the goroutine that drives the group; a mutex
// makes all methods safe to call from any goroutine. The newest entries
// (Options.TailCacheEntries, TailCacheBytes) are served from memory, older
// ones from disk. The raft.Storage methods may run while a Commit of this
// log's writes is in flight (raft's AsyncStorageWrites): an entry that the
// Commit is compacting away reads as raft.ErrCompacted, which raft takes for
// a racing compaction; entries that an in-flight Append replaces are still
// in raft's unstable log, so raft does not read them from storage.
type RaftLog struct {
	db    *DB
	group uint64

	mu sync.Mutex
	// state is the committed log: what the raft.Storage methods see.
	state logState
	// staged is state plus the writes staged into pending.
	staged logState
	// pending is the Batch holding staged writes, nil if none.
	pending *Batch
	// err, once set, is returned by every method: the group was deleted, or
	// a Commit failed part way and the log must be reloaded.
	err error
	// tailBytes is the Data size of state's tail, which share accounts for
	// in the DB's budget (Options.TailCacheBudgetBytes); share is called
	// only with mu unlocked.
	tailBytes int64
	share     *CacheShare
}

// Size is the Data bytes of the published tail (Evicter).
func (l *RaftLog) Size() int64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.tailBytes
}

// Evict drops the published tail for the DB's budget (Evicter): its entries
// are all on disk, where reads then find them. Writes staged and not yet
// committed keep their tail until they are published (and charged again).
func (l *RaftLog) Evict() int64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.state.tail = nil
	if l.pending == nil {
		l.staged = l.state
	}
	l.tailBytes = 0
	return 0
}

// leave closes l's account in the DB's budget; l is no longer used.
func (l *RaftLog) leave() {
	if l.share != nil {
		l.share.Leave()
	}
}

var _ raft.Storage = (*RaftLog)(nil)

// RaftLog returns the raft log of group, loading its hard state, snapshot
// and bounds from disk on first use; later calls return the same RaftLog,
// unless it failed (DeleteGroup, a failed Commit), in which case it is
// loaded anew. A group never written to has an empty log, nil hard state and
// an empty snapshot, like a new raft.MemoryStorage.
func (db *DB) RaftLog(group uint64) (*RaftLog, error) {
	db.mu.Lock()
	defer db.mu.Unlock()
	old := db.logs[group]
	if old != nil && old.usable() {
		return old, nil
	}
	l, err := loadRaftLog(db, group)
	if err != nil {
		return nil, fmt.Errorf("storage: open raft log of group %d: %w", group, err)
	}
	if old != nil {
		old.leave()
	}
	l.share = db.tails.Join(l)
	db.logs[group] = l
	return l, nil
}

// loadRaftLog reads the log of group from disk.
func loadRaftLog(db *DB, group uint64) (*RaftLog, error) {
	var s logState
	err := db.bdb.View(func(txn *badger.Txn) error {
		var err error
		s, err = readLogState(txn, group)
		return err
	})
	if err != nil {
		return nil, err
	}
	// Compact and ApplySnapshot move the log start before deleting the
	// entries below it; a crash in between leaves some behind. Nothing
	// reads them; delete them now so that they do not linger.
	if err := db.deletePrefix(groupKey(kindEntry, group), entryKey(group, s.offset)); err != nil {
		return nil, fmt.Errorf("delete entries at or below log start %d: %w", s.offset, err)
	}
	return &RaftLog{db: db, group: group, state: s, staged: s}, nil
}

// readLogState reads the persistent part of a group's log; the tail starts
// empty.
func readLogState(txn *badger.Txn, group uint64) (logState, error) {
	var s logState
	var err error
	if s.hardState, err = readHardState(txn, group); err != nil {
		return s, err
	}
	if s.snap, err = readSnapshot(txn, group); err != nil {
		return s, err
	}
	if s.conf, err = readConfState(txn, group); err != nil {
		return s, err
	}
	if s.offset, s.offsetTerm, err = readLogStart(txn, group, s.snap); err != nil {
		return s, err
	}
	last, err := lastEntryIndex(txn, group)
	s.last = max(last, s.offset)
	return s, err
}

func readHardState(txn *badger.Txn, group uint64) (*raftpb.HardState, error) {
	v, err := getCopy(txn, groupKey(kindHardState, group))
	if err != nil || v == nil {
		return nil, err
	}
	hs := new(raftpb.HardState)
	if err := proto.Unmarshal(v, hs); err != nil {
		return nil, fmt.Errorf("decode hard state: %w", err)
	}
	return hs, nil
}

// readSnapshot returns the group's snapshot, empty if none was stored.
func readSnapshot(txn *badger.Txn, group uint64) (*raftpb.Snapshot, error) {
	v, err := getCopy(txn, groupKey(kindSnapshot, group))
	if err != nil {
		return nil, err
	}
	snap := new(raftpb.Snapshot)
	if err := proto.Unmarshal(v, snap); err != nil {
		return nil, fmt.Errorf("decode snapshot: %w", err)
	}
	return raftpb.EnsureSnapshot(snap), nil
}

// readLogStart returns the dummy entry. Without a stored one (a new group,
// or a crash inside the first ApplySnapshot) it is the snapshot's, which is
// where that ApplySnapshot would have put it.
func readLogStart(txn *badger.Txn, group uint64, snap *raftpb.Snapshot) (index, term uint64, err error) {
	v, err := getCopy(txn, groupKey(kindLogStart, group))
	if err != nil {
		return 0, 0, err
	}
	if v == nil {
		return snap.GetMetadata().GetIndex(), snap.GetMetadata().GetTerm(), nil
	}
	return decodeLogStart(v)
}

// lastEntryIndex returns the highest entry index stored for group, 0 if none.
func lastEntryIndex(txn *badger.Txn, group uint64) (uint64, error) {
	it := txn.NewIterator(badger.IteratorOptions{Prefix: groupKey(kindEntry, group), Reverse: true})
	defer it.Close()
	it.Seek(entryKey(group, math.MaxUint64))
	if !it.Valid() {
		return 0, nil
	}
	return keySeq(it.Item().Key())
}

func readConfState(txn *badger.Txn, group uint64) (*raftpb.SnapshotMetadata, error) {
	v, err := getCopy(txn, groupKey(kindConfState, group))
	if err != nil || v == nil {
		return nil, err
	}
	m := &raftpb.SnapshotMetadata{}
	if err := proto.Unmarshal(v, m); err != nil {
		return nil, fmt.Errorf("decode conf state: %w", err)
	}
	return m, nil
}

// InitialState implements raft.Storage. The hard state is nil until the
// first SetHardState; the ConfState is the snapshot's, never nil. The caller
// owns both.
func (l *RaftLog) InitialState() (*raftpb.HardState, *raftpb.ConfState, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.err != nil {
		return nil, nil, l.err
	}
	cs := l.state.snap.GetMetadata().GetConfState()
	if c := l.state.conf; c != nil && c.GetIndex() > l.state.snap.GetMetadata().GetIndex() {
		cs = c.GetConfState()
	}
	return cloneMsg(l.state.hardState), raftpb.EnsureConfState(cloneMsg(cs)), nil
}

// Entries implements raft.Storage: the entries [lo, hi), cut short before
// the first entry that would take their total proto size past maxSize, but
// at least one. It returns raft.ErrCompacted if lo <= the dummy index and
// raft.ErrUnavailable if the log holds only the dummy entry. hi > LastIndex()+1
// or lo > hi is an error (raft.MemoryStorage panics). The caller owns the
// slice but must not modify the entries.
func (l *RaftLog) Entries(lo, hi, maxSize uint64) ([]*raftpb.Entry, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.err != nil {
		return nil, l.err
	}
	s := &l.state
	switch {
	case lo <= s.offset:
		return nil, raft.ErrCompacted
	case hi > s.last+1:
		return nil, fmt.Errorf("storage: raft log of group %d: entries' hi(%d) is out of bound lastindex(%d)",
			l.group, hi, s.last)
	case s.last == s.offset:
		return nil, raft.ErrUnavailable
	case lo > hi:
		return nil, fmt.Errorf("storage: raft log of group %d: entries' lo(%d) > hi(%d)", l.group, lo, hi)
	}
	return l.entriesLocked(s, lo, hi, maxSize)
}

// entriesLocked returns entries [lo, hi) of s, within s's bounds, limited
// by maxSize: first from disk, then from the tail.
func (l *RaftLog) entriesLocked(s *logState, lo, hi, maxSize uint64) ([]*raftpb.Entry, error) {
	lim := sizeLimit{max: maxSize}
	out := make([]*raftpb.Entry, 0, min(hi-lo, 64))
	first := s.tailFirst()
	if lo < first {
		var err error
		if out, err = l.diskEntries(lo, min(hi, first), &lim, out); err != nil || lim.full {
			return out, err
		}
	}
	for i := max(lo, first); i < hi && lim.admit(s.tail[i-first]); i++ {
		out = append(out, s.tail[i-first])
	}
	return out, nil
}

// diskEntries appends to out the stored entries [lo, hi) that lim admits.
func (l *RaftLog) diskEntries(lo, hi uint64, lim *sizeLimit, out []*raftpb.Entry) ([]*raftpb.Entry, error) {
	err := l.db.bdb.View(func(txn *badger.Txn) error {
		it := txn.NewIterator(badger.IteratorOptions{Prefix: groupKey(kindEntry, l.group)})
		defer it.Close()
		it.Seek(entryKey(l.group, lo))
		for want := lo; want < hi; want++ {
			ent, err := l.iterEntry(it, want)
			if err != nil || !lim.admit(ent) {
				return err
			}
			out = append(out, ent)
			it.Next()
		}
		return nil
	})
	return out, err
}

// iterEntry returns the entry under it, which must be entry want.
func (l *RaftLog) iterEntry(it *badger.Iterator, want uint64) (*raftpb.Entry, error) {
	if !it.Valid() {
		return nil, l.missingLocked(want)
	}
	idx, err := keySeq(it.Item().Key())
	if err != nil {
		return nil, err
	}
	if idx != want {
		return nil, l.missingLocked(want)
	}
	return unmarshalEntry(it.Item())
}

// missingLocked returns the error for entry i of the committed log missing
// on disk: raft.ErrCompacted if a Commit in flight is compacting it away,
// else an error saying the log is damaged.
func (l *RaftLog) missingLocked(i uint64) error {
	if l.pending != nil && i <= l.staged.offset {
		return raft.ErrCompacted
	}
	return fmt.Errorf("storage: raft log of group %d: entry %d missing on disk", l.group, i)
}

// Term implements raft.Storage: the term of entry i, for i in
// [FirstIndex()-1, LastIndex()]. It returns raft.ErrCompacted below that
// range and raft.ErrUnavailable above it.
func (l *RaftLog) Term(i uint64) (uint64, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.err != nil {
		return 0, l.err
	}
	return l.termLocked(&l.state, i)
}

// termLocked returns the term of entry i of s, reading disk below the tail.
func (l *RaftLog) termLocked(s *logState, i uint64) (uint64, error) {
	switch {
	case i < s.offset:
		return 0, raft.ErrCompacted
	case i > s.last:
		return 0, raft.ErrUnavailable
	case i == s.offset:
		return s.offsetTerm, nil
	}
	if e, ok := s.tailEntry(i); ok {
		return e.GetTerm(), nil
	}
	var ent *raftpb.Entry
	err := l.db.bdb.View(func(txn *badger.Txn) error {
		var err error
		ent, err = readEntry(txn, l.group, i)
		return err
	})
	if errors.Is(err, errNoEntry) {
		return 0, l.missingLocked(i)
	}
	if err != nil {
		return 0, fmt.Errorf("storage: raft log of group %d: term of %d: %w", l.group, i, err)
	}
	return ent.GetTerm(), nil
}

// LastIndex implements raft.Storage: the index of the last entry, which is
// the dummy entry's when the log is empty.
func (l *RaftLog) LastIndex() (uint64, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.err != nil {
		return 0, l.err
	}
	return l.state.last, nil
}

// FirstIndex implements raft.Storage: the index after the dummy entry, the
// first that Entries may return (LastIndex()+1 when the log is empty).
func (l *RaftLog) FirstIndex() (uint64, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.err != nil {
		return 0, l.err
	}
	return l.state.offset + 1, nil
}

// Snapshot implements raft.Storage: the latest snapshot, empty (index 0)
// if none; the caller owns it. It never returns
// raft.ErrSnapshotTemporarilyUnavailable: a partition's snapshot is only
// metadata, stored as it is created.
func (l *RaftLog) Snapshot() (*raftpb.Snapshot, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.err != nil {
		return nil, l.err
	}
	return cloneMsg(l.state.snap), nil
}

// usable reports whether l has not failed.
func (l *RaftLog) usable() bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.err == nil
}

// fail makes every later call of l return err (the first err if called twice).
func (l *RaftLog) fail(err error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.err == nil {
		l.err = err
	}
}

// sizeLimit implements raft's limitSize rule one entry at a time.
type sizeLimit struct {
	max, total uint64
	n          int
	// full is set once an entry was refused.
	full bool
}

// admit reports whether e fits: the first entry always does; later ones
// while the total proto size stays within max.
func (lim *sizeLimit) admit(e *raftpb.Entry) bool {
	size := uint64(proto.Size(e))
	if lim.n > 0 && lim.total+size > lim.max {
		lim.full = true
		return false
	}
	lim.total += size
	lim.n++
	return true
}

// cloneMsg returns a deep copy of m (nil for nil).
func cloneMsg[M proto.Message](m M) M {
	return proto.Clone(m).(M)
}
