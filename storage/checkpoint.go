package storage

import (
	"fmt"
	"math"

	"github.com/dgraph-io/badger/v4"
)

// Checkpoints are the points to which a group's raft log may be compacted.
// A raft snapshot must describe the state machine exactly at its index, and a
// partition's state (offsets, producer state) cannot be rolled back from a
// later one; so the state machine records its state at chosen entries as it
// applies them (a segment boundary), and retention later compacts the log to
// one of them, which becomes the group's raft snapshot. Storage does not
// interpret the state.

// PutCheckpoint stages state as the state of group's state machine right
// after applying raft entry index.
func (b *Batch) PutCheckpoint(group, index uint64, state []byte) {
	b.put(setOp(groupSeqKey(kindCheckpoint, group, index), state))
}

// DeleteCheckpointsThrough stages the removal of group's checkpoints at raft
// indexes <= index. Like DeleteIndexBefore it reads the checkpoints committed
// when it is called, and fails once b is committed or cancelled.
func (b *Batch) DeleteCheckpointsThrough(group, index uint64) error {
	prefix := groupKey(kindCheckpoint, group)
	keys, err := b.db.keysWithPrefix(prefix, groupSeqKey(kindCheckpoint, group, index), math.MaxInt)
	if err != nil {
		return fmt.Errorf("storage: group %d: read checkpoints through %d: %w", group, index, err)
	}
	ops := make([]op, len(keys))
	for i, k := range keys {
		ops[i] = delOp(k)
	}
	return b.stage(nil, cleanupOps(ops)...)
}

// Checkpoints calls fn, in raft index order, with each committed checkpoint
// of group, from one consistent view, until fn returns false. fn owns state.
func (db *DB) Checkpoints(group uint64, fn func(index uint64, state []byte) bool) error {
	err := db.bdb.View(func(txn *badger.Txn) error {
		it := txn.NewIterator(badger.IteratorOptions{Prefix: groupKey(kindCheckpoint, group)})
		defer it.Close()
		for it.Rewind(); it.Valid(); it.Next() {
			index, err := keySeq(it.Item().Key())
			if err != nil {
				return err
			}
			state, err := it.Item().ValueCopy(nil)
			if err != nil {
				return fmt.Errorf("read checkpoint %d: %w", index, err)
			}
			if !fn(index, state) {
				return nil
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("storage: group %d: checkpoints: %w", group, err)
	}
	return nil
}
