package storage

import (
	"cmp"
	"errors"
	"fmt"
	"math"
	"slices"
	"sync"
)

// errBatchDone is returned when a Batch is used after Commit or Cancel.
var errBatchDone = errors.New("storage: batch already committed or cancelled")

// op is one staged write: a set of key to value, or a delete of key.
type op struct {
	key, value []byte
	del        bool
	// glued puts the op in the same badger transaction as the op before it,
	// so that a crash keeps both or neither (see txnwrite.go).
	glued bool
	// phase places the op in an atomic section (Batch.Atomic).
	phase opPhase
}

func setOp(key, value []byte) op { return op{key: key, value: value} }
func delOp(key []byte) op        { return op{key: key, del: true} }

// opPhase is where an op goes in an atomic section (Batch.Atomic): before
// its commit point, in it, or after it. Outside a section ops keep their
// staging order, and the phase means nothing.
type opPhase int8

const (
	// phasePrepare ops must be durable before the commit point: deletes that
	// leave a shorter log that is still valid on its own (ApplySnapshot
	// removing the entries above the snapshot, which conflict with it).
	phasePrepare opPhase = -1
	// phaseCommit ops are the commit point: written in one transaction.
	phaseCommit opPhase = 0
	// phaseCleanup ops remove what the commit point made garbage (entries,
	// offset index entries and checkpoints below the new log start); a
	// crash may leave some of it, which readers never reach and open or the
	// next compaction removes.
	phaseCleanup opPhase = 1
)

// cleanupOps marks ops as phaseCleanup and returns them.
func cleanupOps(ops []op) []op {
	for i := range ops {
		ops[i].phase = phaseCleanup
	}
	return ops
}

// batchHook is how a RaftLog learns the outcome of a Batch it staged into.
type batchHook struct {
	// publish runs after the batch is durable.
	publish func()
	// abort runs when nothing of the batch was written (commitErr nil:
	// Cancel, or a staging error) or when the write failed part way.
	abort func(commitErr error)
}

// Batch collects writes for any number of groups and makes them durable
// together, with one sync in the common case. Nothing staged is visible to
// any reader, through the DB or a RaftLog, before Commit writes it, and all
// of it is once Commit returns nil. Writes staged after Commit or Cancel are
// dropped (and logged as errors).
//
// Staging methods keep references to the slices they are given until Commit
// or Cancel; the caller must not modify them meanwhile. A Batch is safe for
// concurrent use; writes are applied in staging order. A Batch that is not
// committed must be cancelled, or the RaftLogs that staged into it refuse
// further writes.
type Batch struct {
	db *DB

	mu sync.Mutex
	// ops are the staged writes, in staging order.
	ops []op
	// hooks are the RaftLogs' callbacks, in the order they first staged.
	hooks []batchHook
	// err is the first staging error; Commit returns it and writes nothing.
	err  error
	done bool
}

// NewBatch returns an empty batch of db.
func (db *DB) NewBatch() *Batch {
	return &Batch{db: db}
}

// PutOffsetIndex stages the offset index entry of group at e.BaseOffset,
// replacing any entry already there. e.BaseOffset must not be negative;
// otherwise Commit fails.
func (b *Batch) PutOffsetIndex(group uint64, e IndexEntry) {
	if e.BaseOffset < 0 {
		b.fail(fmt.Errorf("storage: group %d: negative base offset %d", group, e.BaseOffset))
		return
	}
	b.put(setOp(offsetIndexKey(group, e.BaseOffset), encodeIndexValue(e)))
}

// PutGroupState stages state as the applied state of group's state machine,
// replacing the previous one. state may be empty (but then GroupState returns
// an empty, non-nil slice).
func (b *Batch) PutGroupState(group uint64, state []byte) {
	b.put(setOp(groupKey(kindGroupState, group), state))
}

// PutMeta stages the broker-level value of key.
func (b *Batch) PutMeta(key, value []byte) {
	b.put(setOp(metaKey(key), value))
}

// DeleteMeta stages the removal of the broker-level key; removing an absent
// key is not an error.
func (b *Batch) DeleteMeta(key []byte) {
	b.put(delOp(metaKey(key)))
}

// DeleteIndexBefore stages the removal of group's offset index entries with
// BaseOffset < offset, as retention does before compacting the raft log
// below them, and of the time index entries naming those batches (all but
// the last, which BatchAtTime still needs). An entry is removed whole even
// if its batch holds offsets >= offset, so retention passes the BaseOffset
// of the first batch it keeps. It reads the entries committed when it is
// called; entries staged in b itself are not affected. It fails once b is
// committed or cancelled.
func (b *Batch) DeleteIndexBefore(group uint64, offset int64) error {
	if offset <= 0 {
		return nil
	}
	if err := b.deleteTimeIndexBefore(group, offset); err != nil {
		return err
	}
	prefix := groupKey(kindOffsetIndex, group)
	keys, err := b.db.keysWithPrefix(prefix, offsetIndexKey(group, offset-1), math.MaxInt)
	if err != nil {
		return fmt.Errorf("storage: group %d: read offset index below %d: %w", group, offset, err)
	}
	ops := make([]op, len(keys))
	for i, k := range keys {
		ops[i] = delOp(k)
	}
	return b.stage(nil, cleanupOps(ops)...)
}

// Atomic runs fn, which stages into b, and makes what fn stages one atomic
// section of the batch. Badger writes a large batch as several transactions,
// so a crash may leave any prefix of them; in a section, the ops that form
// its commit point (the snapshot and log start of ApplySnapshot, group
// states, anything not marked otherwise) are moved together and written in
// one transaction, after the section's prepare ops (deletes of the entries
// an installed snapshot replaces, a shorter log that is still valid) and
// before its cleanup ops (deletes below the new log start, which a crash may
// leave behind for open or the next compaction to remove). A crash therefore
// leaves either the state before the section or the state after its commit
// point. The engine stages a snapshot install (RaftLog.ApplySnapshot and the
// state machine's Restore) in a section.
//
// Ops staged by other goroutines while fn runs join the section. The commit
// point must fit one badger transaction (15% of Options.MemTableSize, values
// of ValueThreshold or more counting as pointers); if it does not, Commit
// fails and says so. An error from fn is returned as is; the caller then
// cancels the batch.
func (b *Batch) Atomic(fn func() error) error {
	b.mu.Lock()
	start, done := len(b.ops), b.done
	b.mu.Unlock()
	if done {
		return errBatchDone
	}
	if err := fn(); err != nil {
		return err
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.done {
		return errBatchDone
	}
	section := b.ops[start:]
	slices.SortStableFunc(section, func(x, y op) int { return cmp.Compare(x.phase, y.phase) })
	first := true
	for i := range section {
		if section[i].phase == phaseCommit {
			section[i].glued = !first
			first = false
		}
	}
	return nil
}

// Commit writes everything staged, in staging order, and returns once it is
// durable. Then it publishes the staged RaftLog changes (in the order the
// logs first staged), so that reads through the DB and the RaftLogs see the
// new data. A batch larger than one badger transaction is written as
// several, in staging order (txnwrite.go); a crash then leaves a prefix of
// them on disk, never part of a glued run or of an Atomic section's commit
// point. The writes that take several steps order their ops so that every
// such prefix opens correctly (docs/architecture.md, "Crash safety of
// multi-step writes").
//
// If Commit fails after writing part of the batch, the RaftLogs that staged
// into it fail every later call; DB.RaftLog reloads them from disk.
func (b *Batch) Commit() error {
	ops, hooks, err := b.finish()
	if err != nil {
		runAbort(hooks, nil)
		return err
	}
	if len(ops) > 0 {
		if err := b.db.write(ops); err != nil {
			runAbort(hooks, err)
			return fmt.Errorf("storage: commit batch: %w", err)
		}
	}
	for _, h := range hooks {
		h.publish()
	}
	return nil
}

// Cancel discards everything staged. Calling it after Commit or Cancel
// does nothing.
func (b *Batch) Cancel() {
	_, hooks, err := b.finish()
	if errors.Is(err, errBatchDone) {
		return
	}
	runAbort(hooks, nil)
}

// put stages ops for the methods that have no error result. Staging into a
// finished batch is a bug in the caller; it is logged, since the write it
// drops would otherwise vanish silently.
func (b *Batch) put(ops ...op) {
	if err := b.stage(nil, ops...); err != nil {
		b.db.opts.Logger.Error("storage: write to a finished batch dropped", "key", fmt.Sprintf("%x", ops[0].key))
	}
}

// stage appends ops and, when hook is not nil, registers it. It fails, and
// stages nothing, once the batch is done.
func (b *Batch) stage(hook *batchHook, ops ...op) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.done {
		return errBatchDone
	}
	if hook != nil {
		b.hooks = append(b.hooks, *hook)
	}
	b.ops = append(b.ops, ops...)
	return nil
}

// fail records err as the batch's staging error unless one is recorded.
func (b *Batch) fail(err error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.err == nil {
		b.err = err
	}
}

// finish marks the batch done and hands over its contents and first
// staging error (errBatchDone if it was already done).
func (b *Batch) finish() ([]op, []batchHook, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.done {
		return nil, nil, errBatchDone
	}
	b.done = true
	ops, hooks, err := b.ops, b.hooks, b.err
	b.ops, b.hooks = nil, nil
	return ops, hooks, err
}

func runAbort(hooks []batchHook, commitErr error) {
	for _, h := range hooks {
		h.abort(commitErr)
	}
}
