package storage

import (
	"errors"
	"fmt"
	"slices"

	"go.etcd.io/raft/v3"
	"go.etcd.io/raft/v3/raftpb"
	"google.golang.org/protobuf/proto"
)

// The writes below order their staged operations so that a crash part way
// through a Batch that badger split into several transactions (which become
// durable in order) leaves a state that opens correctly:
//   - replaced entries are deleted newest first before new ones are written
//     oldest first (a shorter log, never an old entry after a new one);
//   - a snapshot and the log start it moves to are glued into one
//     transaction, the commit point of ApplySnapshot and CompactTo; the
//     entries below the new log start are deleted after it (phaseCleanup),
//     and leftovers at or below it are ignored and removed on open;
//   - the hard state comes later in the batch (etcd-raft's order: entries,
//     then hard state). A log start durable without the hard state that
//     commits it leaves a commit index below the log start, which etcd-raft
//     refuses for good (state.commit is out of range). CompactTo moves the
//     log start only to an index whose commit is already durable; a snapshot
//     from the leader is installed in a Batch.Atomic section whose commit
//     point also holds a hard state committing the snapshot's index.
//
// A snapshot install must also move the state machine's state with the log:
// InstallSnapshot stages ApplySnapshot, the state machine's Restore and that
// hard state in one Batch.Atomic section, whose
// commit point holds the snapshot, the log start, the restored state and the
// hard state. The etcd-raft README order (entries, then hard state) is the
// caller's part.

// Append stages ents, which must have consecutive indexes. As in
// raft.MemoryStorage, entries at or below the dummy index are ignored and
// every entry at or after the first new index is replaced. A first new index
// past LastIndex()+1 is an error. The RaftLog keeps references to ents; they
// must not be modified afterwards.
func (l *RaftLog) Append(b *Batch, ents []*raftpb.Entry) error {
	if len(ents) == 0 {
		return nil
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if err := l.checkLocked(b); err != nil {
		return err
	}
	ents, err := l.appendable(&l.staged, ents)
	if err != nil || len(ents) == 0 {
		return err
	}
	ops, err := l.appendOps(&l.staged, ents)
	if err != nil {
		return err
	}
	return l.stageLocked(b, l.staged.withAppended(ents), ops)
}

// appendable returns the part of ents that is not compacted in s, checking
// that it is consecutive and leaves no gap after s.last.
func (l *RaftLog) appendable(s *logState, ents []*raftpb.Entry) ([]*raftpb.Entry, error) {
	first, start := s.offset+1, ents[0].GetIndex()
	if start+uint64(len(ents))-1 < first {
		return nil, nil
	}
	if start < first {
		ents, start = ents[first-start:], first
	}
	if start > s.last+1 {
		return nil, fmt.Errorf("storage: raft log of group %d: missing log entry [last: %d, append at: %d]",
			l.group, s.last, start)
	}
	for i, e := range ents {
		if e.GetIndex() != start+uint64(i) {
			return nil, fmt.Errorf("storage: raft log of group %d: appended entry %d has index %d, want %d",
				l.group, i, e.GetIndex(), start+uint64(i))
		}
	}
	return ents, nil
}

// appendOps returns the deletes of the entries that ents replace in s,
// newest first, then the writes of ents.
func (l *RaftLog) appendOps(s *logState, ents []*raftpb.Entry) ([]op, error) {
	ops := l.deleteEntryOps(make([]op, 0, len(ents)), ents[0].GetIndex(), s.last, true)
	for _, e := range ents {
		v, err := proto.Marshal(e)
		if err != nil {
			return nil, fmt.Errorf("storage: raft log of group %d: encode entry %d: %w", l.group, e.GetIndex(), err)
		}
		ops = append(ops, setOp(entryKey(l.group, e.GetIndex()), v))
	}
	return ops, nil
}

// SetHardState stages hs as the group's hard state. A nil hs removes it, so
// that InitialState returns nil again. The RaftLog keeps a copy.
func (l *RaftLog) SetHardState(b *Batch, hs *raftpb.HardState) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if err := l.checkLocked(b); err != nil {
		return err
	}
	key := groupKey(kindHardState, l.group)
	o := delOp(key)
	if hs != nil {
		hs = cloneMsg(hs)
		v, err := proto.Marshal(hs)
		if err != nil {
			return fmt.Errorf("storage: raft log of group %d: encode hard state: %w", l.group, err)
		}
		o = setOp(key, v)
	}
	next := l.staged
	next.hardState = hs
	return l.stageLocked(b, next, []op{o})
}

// SetConfState stages the configuration in force after applying the entry at
// index (a configuration change). InitialState returns it until a snapshot at
// a later index replaces it, so a restarted node knows its membership without
// replaying the change, which lies at or below its applied index.
func (l *RaftLog) SetConfState(b *Batch, index uint64, cs *raftpb.ConfState) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if err := l.checkLocked(b); err != nil {
		return err
	}
	m := &raftpb.SnapshotMetadata{Index: &index, ConfState: cloneMsg(cs)}
	v, err := proto.Marshal(m)
	if err != nil {
		return fmt.Errorf("storage: raft log of group %d: encode conf state: %w", l.group, err)
	}
	next := l.staged
	next.conf = m
	return l.stageLocked(b, next, []op{setOp(groupKey(kindConfState, l.group), v)})
}

// ApplySnapshot stages snap as the group's snapshot and discards the whole
// log, leaving the dummy entry at the snapshot's index. It returns
// raft.ErrSnapOutOfDate if the current snapshot is not older (unless the
// current one is empty, as raft.MemoryStorage allows). The RaftLog keeps a
// copy of snap.
func (l *RaftLog) ApplySnapshot(b *Batch, snap *raftpb.Snapshot) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if err := l.checkLocked(b); err != nil {
		return err
	}
	snap = raftpb.EnsureSnapshot(cloneMsg(snap))
	s := &l.staged
	cur, idx := s.snap.GetMetadata().GetIndex(), snap.GetMetadata().GetIndex()
	if cur != 0 && cur >= idx {
		return raft.ErrSnapOutOfDate
	}
	v, err := proto.Marshal(snap)
	if err != nil {
		return fmt.Errorf("storage: raft log of group %d: encode snapshot: %w", l.group, err)
	}
	// Entries above the snapshot conflict with it (raft installs a snapshot
	// only then) and are uncommitted: deleting them first, newest first,
	// leaves a shorter valid log. Then the commit point, then the garbage
	// below it (see the rule at the top of this file).
	ops := l.deleteEntryOps(nil, max(idx, s.offset)+1, s.last, true)
	for i := range ops {
		ops[i].phase = phasePrepare
	}
	ops = append(ops, l.logStartOps(v, idx, snap.GetMetadata().GetTerm())...)
	ops = append(ops, cleanupOps(l.deleteEntryOps(nil, s.offset+1, min(idx, s.last), false))...)
	return l.stageLocked(b, s.withSnapshot(snap), ops)
}

// InstallSnapshot stages a snapshot sent by the leader as one atomic section
// of b (Batch.Atomic): ApplySnapshot, then restore, which stages the state
// machine's state as of the snapshot into b, then hs, the Ready's hard state,
// with its commit index cut to the snapshot's (the entries after the snapshot
// are not durable yet; the caller stages hs itself after them, as always).
// The section's commit point, one transaction, thus holds the snapshot, the
// log start, the restored state and a hard state committing the snapshot:
// a crash part way through b leaves either the old log, state and hard
// state or the new ones. Without it, a durable log start with the old hard
// state is a commit index below the log, which etcd-raft refuses at every
// restart (state.commit is out of range). hs may be nil or empty.
func (l *RaftLog) InstallSnapshot(b *Batch, snap *raftpb.Snapshot, hs *raftpb.HardState, restore func() error) error {
	return b.Atomic(func() error {
		if err := l.ApplySnapshot(b, snap); err != nil {
			return fmt.Errorf("apply snapshot: %w", err)
		}
		if err := restore(); err != nil {
			return fmt.Errorf("restore state machine: %w", err)
		}
		if hs == nil || raft.IsEmptyHardState(hs) {
			return nil
		}
		hs = cloneMsg(hs)
		hs.Commit = proto.Uint64(snap.GetMetadata().GetIndex())
		if err := l.SetHardState(b, hs); err != nil {
			return fmt.Errorf("save hard state at the snapshot: %w", err)
		}
		return nil
	})
}

// CreateSnapshot stages a snapshot at index i, which must be in
// [FirstIndex()-1, LastIndex()], with the term of entry i, cs (or, if cs is
// nil, the previous snapshot's ConfState) and data; it returns a copy. It
// returns raft.ErrSnapOutOfDate if i is not past the current snapshot and
// raft.ErrCompacted if i is below the dummy entry. The log is unchanged;
// Compact trims it.
func (l *RaftLog) CreateSnapshot(b *Batch, i uint64, cs *raftpb.ConfState, data []byte) (*raftpb.Snapshot, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if err := l.checkLocked(b); err != nil {
		return nil, err
	}
	s := &l.staged
	if i <= s.snap.GetMetadata().GetIndex() {
		return nil, raft.ErrSnapOutOfDate
	}
	if i > s.last {
		return nil, fmt.Errorf("storage: raft log of group %d: snapshot %d is out of bound lastindex(%d): %w",
			l.group, i, s.last, raft.ErrUnavailable)
	}
	term, err := l.termLocked(s, i)
	if err != nil {
		return nil, err
	}
	snap, v, err := l.newSnapshot(s.snap, i, term, cs, data)
	if err != nil {
		return nil, err
	}
	next := *s
	next.snap = snap
	if err := l.stageLocked(b, next, []op{setOp(groupKey(kindSnapshot, l.group), v)}); err != nil {
		return nil, err
	}
	return cloneMsg(snap), nil
}

// newSnapshot returns prev moved to index i and term, with cs if not nil and
// data, and its encoding.
func (l *RaftLog) newSnapshot(prev *raftpb.Snapshot, i, term uint64, cs *raftpb.ConfState,
	data []byte) (*raftpb.Snapshot, []byte, error) {
	snap := cloneMsg(prev)
	snap.Metadata.Index = proto.Uint64(i)
	snap.Metadata.Term = proto.Uint64(term)
	if cs != nil {
		// EnsureConfState so that what is stored reads back the same.
		snap.Metadata.ConfState = raftpb.EnsureConfState(cloneMsg(cs))
	}
	snap.Data = slices.Clone(data)
	v, err := proto.Marshal(snap)
	if err != nil {
		return nil, nil, fmt.Errorf("storage: raft log of group %d: encode snapshot: %w", l.group, err)
	}
	return snap, v, nil
}

// Compact stages the removal of every entry up to compactIndex, which
// becomes the dummy entry. It returns raft.ErrCompacted if compactIndex is
// not past the dummy entry; compactIndex > LastIndex() is an error. The
// caller must not compact past the applied index. It stages one delete per
// removed entry, so compacting often in small steps keeps batches small.
func (l *RaftLog) Compact(b *Batch, compactIndex uint64) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if err := l.checkLocked(b); err != nil {
		return err
	}
	s := &l.staged
	if compactIndex <= s.offset {
		return raft.ErrCompacted
	}
	if compactIndex > s.last {
		return fmt.Errorf("storage: raft log of group %d: compact %d is out of bound lastindex(%d): %w",
			l.group, compactIndex, s.last, raft.ErrUnavailable)
	}
	term, err := l.termLocked(s, compactIndex)
	if err != nil {
		return err
	}
	ops := []op{setOp(groupKey(kindLogStart, l.group), encodeLogStart(compactIndex, term))}
	ops = l.deleteEntryOps(ops, s.offset+1, compactIndex, false)
	return l.stageLocked(b, s.withCompacted(compactIndex, term), ops)
}

// ErrNotCompactable is returned by CompactTo when the log cannot be compacted
// to the index asked for; nothing was staged.
var ErrNotCompactable = errors.New("storage: raft log cannot be compacted there")

// CompactTo stages, as one change, a snapshot at index i carrying data and
// the removal of every entry up to i: how retention discards a prefix of a
// log. Keeping the snapshot exactly at the compaction point means a follower
// that needs a removed entry gets a snapshot after which the leader still
// holds every entry. i must not be past the applied index, and data must be
// the state machine's state right after applying entry i. The snapshot's
// configuration is the one in force at i.
//
// It returns an error wrapping ErrNotCompactable, and stages nothing, when i
// is not past the current snapshot or the dummy entry, is past the last
// entry, or follows a configuration change the log does not know the index of.
func (l *RaftLog) CompactTo(b *Batch, i uint64, data []byte) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if err := l.checkLocked(b); err != nil {
		return err
	}
	s := &l.staged
	snapIndex := s.snap.GetMetadata().GetIndex()
	if i <= snapIndex || i <= s.offset || i > s.last {
		return fmt.Errorf("%w: index %d, snapshot %d, log (%d, %d]", ErrNotCompactable, i, snapIndex, s.offset, s.last)
	}
	cs, ok := s.confStateAt(i)
	if !ok {
		return fmt.Errorf("%w: index %d precedes the configuration change at %d", ErrNotCompactable, i, s.conf.GetIndex())
	}
	term, err := l.termLocked(s, i)
	if err != nil {
		return err
	}
	snap, v, err := l.newSnapshot(s.snap, i, term, cs, data)
	if err != nil {
		return err
	}
	ops := l.logStartOps(v, i, term)
	ops = append(ops, cleanupOps(l.deleteEntryOps(nil, s.offset+1, i, false))...)
	next := s.withCompacted(i, term)
	next.snap = snap
	return l.stageLocked(b, next, ops)
}

// logStartOps returns the writes of an encoded snapshot at index and of the
// log start moved there, glued into one transaction: apart, a crash between
// them would leave a snapshot that does not match the log start.
func (l *RaftLog) logStartOps(snap []byte, index, term uint64) []op {
	start := setOp(groupKey(kindLogStart, l.group), encodeLogStart(index, term))
	start.glued = true
	return []op{setOp(groupKey(kindSnapshot, l.group), snap), start}
}

// deleteEntryOps appends to ops the deletes of entries [lo, hi], newest
// first when descending.
func (l *RaftLog) deleteEntryOps(ops []op, lo, hi uint64, descending bool) []op {
	if lo > hi {
		return ops
	}
	ops = slices.Grow(ops, int(hi-lo+1))
	for i := lo; i <= hi; i++ {
		idx := i
		if descending {
			idx = hi - (i - lo)
		}
		ops = append(ops, delOp(entryKey(l.group, idx)))
	}
	return ops
}

// checkLocked returns an error if l failed or cannot stage into b.
func (l *RaftLog) checkLocked(b *Batch) error {
	switch {
	case l.err != nil:
		return l.err
	case b.db != l.db:
		return fmt.Errorf("storage: raft log of group %d: batch belongs to another DB", l.group)
	case l.pending != nil && l.pending != b:
		return fmt.Errorf("storage: raft log of group %d: writes pending in another batch, not yet committed or cancelled",
			l.group)
	}
	return nil
}

// stageLocked stages ops into b and, if that succeeds, makes next the staged
// state. The first write into b registers l's publish and abort hooks.
func (l *RaftLog) stageLocked(b *Batch, next logState, ops []op) error {
	var hook *batchHook
	if l.pending != b {
		hook = &batchHook{
			publish: func() { l.publish(b) },
			abort:   func(err error) { l.abort(b, err) },
		}
	}
	if err := b.stage(hook, ops...); err != nil {
		return fmt.Errorf("storage: raft log of group %d: %w", l.group, err)
	}
	l.pending, l.staged = b, next
	return nil
}

// publish makes what l staged into b the committed state, once b is durable.
func (l *RaftLog) publish(b *Batch) {
	if l.publishTail(b) && l.share != nil {
		l.share.Update() // outside l.mu: the budget locks it itself
	}
}

// publishTail publishes the staged state and reports whether it did.
func (l *RaftLog) publishTail(b *Batch) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.pending != b || l.err != nil {
		return false
	}
	l.pending = nil
	l.staged = l.staged.trimmed(l.db.opts.TailCacheEntries, l.db.opts.TailCacheBytes)
	l.state = l.staged
	l.tailBytes = 0
	for _, e := range l.state.tail {
		l.tailBytes += int64(len(e.GetData()))
	}
	return true
}

// abort forgets what l staged into b. commitErr is nil when nothing was
// written; otherwise part of b may be on disk and l fails from now on.
func (l *RaftLog) abort(b *Batch, commitErr error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.pending != b {
		return
	}
	l.pending = nil
	l.staged = l.state
	if commitErr != nil && l.err == nil {
		l.err = fmt.Errorf("storage: raft log of group %d: a batch commit failed; reload it with DB.RaftLog: %w",
			l.group, commitErr)
	}
}
