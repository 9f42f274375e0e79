package storage

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"sync"

	"github.com/dgraph-io/badger/v4"
)

// ErrGroupDeleted is returned by the methods of a RaftLog whose group was
// removed with DB.DeleteGroup.
var ErrGroupDeleted = errors.New("storage: raft group deleted")

// deleteChunk bounds the number of keys DeleteGroup reads and deletes at a
// time, so deleting a large partition holds neither a long read transaction
// nor all of its keys in memory.
const deleteChunk = 4096

// DB is a broker's storage: one badger database shared by every raft group
// the broker hosts (the metadata group is group 0; each partition replica is
// its own group). It is safe for concurrent use.
type DB struct {
	bdb  *badger.DB
	opts Options

	// mu guards logs. Lock order: DB.mu, then RaftLog.mu, then Batch.mu.
	mu sync.Mutex
	// logs holds the RaftLog of each group that has been opened, so that
	// the group's in-memory view of its log exists once.
	logs map[uint64]*RaftLog
	// tails is the budget the logs' tails share (Options.TailCacheBudgetBytes).
	tails *CacheBudget

	// writeMu is held shared by every write and exclusively by ReclaimSpace
	// and value log GC: badger fails writes (rather than waiting) while
	// DropPrefix runs, and its GC races with writes (runValueLogGCOnce).
	writeMu sync.RWMutex

	// txns commits each badger transaction of a write (txnwrite.go).
	txns txnCommitter

	// gc counts value log GC for Stats (stats.go).
	gc gcStats
}

// Open opens (creating if needed) the database described by opts. Zero
// numeric fields of opts take their DefaultOptions values.
func Open(opts Options) (*DB, error) {
	opts = opts.withDefaults()
	if err := opts.validate(); err != nil {
		return nil, err
	}
	bdb, err := badger.Open(opts.badgerOptions())
	if err != nil {
		return nil, fmt.Errorf("storage: open badger in %q: %w", opts.Dir, err)
	}
	db := &DB{bdb: bdb, opts: opts, logs: make(map[uint64]*RaftLog), txns: badgerCommitter{},
		tails: NewCacheBudget(opts.TailCacheBudgetBytes)}
	if err := db.finishDeletions(); err != nil {
		_ = bdb.Close() // the deletion error is the one to report
		return nil, err
	}
	return db, nil
}

// finishDeletions completes the DeleteGroup calls that a crash interrupted:
// those whose intent record is still there.
func (db *DB) finishDeletions() error {
	keys, err := db.keysWithPrefix([]byte{kindDeleting}, nil, math.MaxInt)
	if err != nil {
		return fmt.Errorf("storage: read interrupted group deletions: %w", err)
	}
	for _, k := range keys {
		group, err := groupOfKey(k)
		if err != nil {
			return fmt.Errorf("storage: interrupted group deletion: %w", err)
		}
		if err := db.deleteGroupKeys(group); err != nil {
			return fmt.Errorf("storage: finish deleting group %d: %w", group, err)
		}
	}
	return nil
}

// Close closes the database. Every RaftLog and Batch of the DB becomes
// unusable; Close must not run concurrently with a Batch.Commit.
func (db *DB) Close() error {
	if err := db.bdb.Close(); err != nil {
		return fmt.Errorf("storage: close badger: %w", err)
	}
	return nil
}

// GroupState returns the state last stored with Batch.PutGroupState for
// group, or nil, nil when there is none. The caller owns the returned slice.
func (db *DB) GroupState(group uint64) ([]byte, error) {
	v, err := db.get(groupKey(kindGroupState, group))
	if err != nil {
		return nil, fmt.Errorf("storage: group %d state: %w", group, err)
	}
	return v, nil
}

// Meta returns the broker-level value stored under key with Batch.PutMeta,
// or nil, nil when there is none. The caller owns the returned slice.
func (db *DB) Meta(key []byte) ([]byte, error) {
	v, err := db.get(metaKey(key))
	if err != nil {
		return nil, fmt.Errorf("storage: meta %q: %w", key, err)
	}
	return v, nil
}

// ScanMeta calls fn, in key order, for every broker-level key that starts
// with prefix (all of them when prefix is empty), from one consistent view.
// fn owns key and value and may keep them. ScanMeta stops at the first error
// fn returns and returns that error unchanged.
func (db *DB) ScanMeta(prefix []byte, fn func(key, value []byte) error) error {
	var fnErr error
	err := db.bdb.View(func(txn *badger.Txn) error {
		it := txn.NewIterator(badger.IteratorOptions{Prefix: metaKey(prefix)})
		defer it.Close()
		for it.Rewind(); it.Valid(); it.Next() {
			item := it.Item()
			v, err := item.ValueCopy(nil)
			if err != nil {
				return fmt.Errorf("read %q: %w", item.Key(), err)
			}
			if fnErr = fn(item.KeyCopy(nil)[1:], v); fnErr != nil {
				return fnErr
			}
		}
		return nil
	})
	if fnErr != nil {
		return fnErr
	}
	if err != nil {
		return fmt.Errorf("storage: scan meta %q: %w", prefix, err)
	}
	return nil
}

// DeleteGroup removes every key of group (raft log, hard state, snapshot,
// offset index, group state) in bounded write batches, each durable when
// written. It is for a replica being removed from this broker: the caller
// must have stopped the group, and must not commit a Batch holding writes
// for it afterwards. The group's open RaftLog, if any, then returns
// ErrGroupDeleted; a later DB.RaftLog(group) starts an empty log.
//
// A deletion takes many transactions, and a group half deleted is not a
// log anyone could open (entries without their log start, a hard state
// without its entries). So DeleteGroup first makes an intent record
// durable and removes it last; Open finishes every deletion whose intent
// it finds, so after a crash the group is gone as if DeleteGroup had
// returned. If DeleteGroup fails, calling it again finishes the job.
func (db *DB) DeleteGroup(group uint64) error {
	db.mu.Lock()
	if l := db.logs[group]; l != nil {
		l.fail(ErrGroupDeleted)
		l.leave()
		delete(db.logs, group)
	}
	db.mu.Unlock()
	if err := db.write([]op{setOp(groupKey(kindDeleting, group), nil)}); err != nil {
		return fmt.Errorf("storage: delete group %d: write intent: %w", group, err)
	}
	if err := db.deleteGroupKeys(group); err != nil {
		return fmt.Errorf("storage: delete group %d: %w", group, err)
	}
	return nil
}

// deleteGroupKeys deletes every key of group, then its intent record.
func (db *DB) deleteGroupKeys(group uint64) error {
	for _, kind := range groupKinds {
		if err := db.deletePrefix(groupKey(kind, group), nil); err != nil {
			return err
		}
	}
	return db.write([]op{delOp(groupKey(kindDeleting, group))})
}

// ReclaimSpace gives back the disk space of deleted keys, as far as badger
// can: it flushes the memtables and compacts level 0 into level 1, which
// drops the deleted values held in the LSM tree and records how much of each
// value log file is garbage, then runs value log GC (RunValueLogGC with
// discardRatio) to delete or rewrite those files. Without the flush, a log
// whose large entries live in the value log holds too few keys to ever fill
// a memtable, so no compaction would run and value log GC would find nothing.
//
// Badger offers that flush and compaction only inside DropPrefix, so this
// writes a marker key under a prefix of its own and drops it. DropPrefix
// blocks writes while it flushes: call it after retention removed data, not
// on every write. It is a no-op in InMemory mode.
func (db *DB) ReclaimSpace(discardRatio float64) error {
	if db.opts.InMemory {
		return nil
	}
	marker := []byte{kindReclaim}
	if err := db.write([]op{setOp(marker, nil)}); err != nil {
		return fmt.Errorf("storage: reclaim space: write marker: %w", err)
	}
	db.writeMu.Lock()
	err := db.bdb.DropPrefix(marker)
	db.writeMu.Unlock()
	if err != nil {
		return fmt.Errorf("storage: reclaim space: flush and compact: %w", err)
	}
	return db.RunValueLogGC(discardRatio)
}

// RunValueLogGC reclaims value log files in which at least discardRatio
// (0 < discardRatio < 1; 0.5 is badger's recommendation) of the bytes belong
// to deleted or overwritten values, until no file qualifies. Retention
// (Compact and DeleteIndexBefore) only deletes keys; this is what gives the
// disk space of large entries back. It is a no-op in InMemory mode.
func (db *DB) RunValueLogGC(discardRatio float64) error {
	if db.opts.InMemory {
		return nil
	}
	db.gc.runs.Add(1)
	before := db.valueLogBytes()
	defer func() {
		if after := db.valueLogBytes(); after < before {
			db.gc.reclaimedBytes.Add(uint64(before - after))
		}
	}()
	for {
		err := db.runValueLogGCOnce(discardRatio)
		switch {
		case err == nil:
			db.gc.rewrites.Add(1)
			continue
		case errors.Is(err, badger.ErrNoRewrite), errors.Is(err, badger.ErrGCInMemoryMode):
			return nil
		default:
			return fmt.Errorf("storage: value log gc: %w", err)
		}
	}
}

// runValueLogGCOnce rewrites at most one value log file while no write of
// ours is in flight. Badger v4.9.6's GC reads the memtable's max version
// (DB.MaxVersion, from valueLog.rewrite) under a lock that its write path
// does not take when it raises that version (memTable.Put): a data race
// with any concurrent write. Writes wait for one file's rewrite, not for
// the whole loop.
func (db *DB) runValueLogGCOnce(discardRatio float64) error {
	db.writeMu.Lock()
	defer db.writeMu.Unlock()
	return db.bdb.RunValueLogGC(discardRatio)
}

// get returns a copy of the value at key, or nil, nil when it is absent.
func (db *DB) get(key []byte) ([]byte, error) {
	var v []byte
	err := db.bdb.View(func(txn *badger.Txn) error {
		var err error
		v, err = getCopy(txn, key)
		return err
	})
	return v, err
}

// getCopy returns a copy of the value at key in txn, or nil, nil when absent.
func getCopy(txn *badger.Txn, key []byte) ([]byte, error) {
	item, err := txn.Get(key)
	if errors.Is(err, badger.ErrKeyNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return item.ValueCopy(nil)
}

// deletePrefix deletes, chunk by chunk, every key that starts with prefix
// and, when upTo is not nil, sorts at or before upTo.
func (db *DB) deletePrefix(prefix, upTo []byte) error {
	for {
		keys, err := db.keysWithPrefix(prefix, upTo, deleteChunk)
		if err != nil || len(keys) == 0 {
			return err
		}
		if err := db.deleteKeys(keys); err != nil {
			return err
		}
	}
}

// keysWithPrefix returns copies of up to limit keys that start with prefix
// and, when upTo is not nil, sort at or before upTo.
func (db *DB) keysWithPrefix(prefix, upTo []byte, limit int) ([][]byte, error) {
	var keys [][]byte
	err := db.bdb.View(func(txn *badger.Txn) error {
		it := txn.NewIterator(badger.IteratorOptions{Prefix: prefix})
		defer it.Close()
		for it.Rewind(); it.Valid() && len(keys) < limit; it.Next() {
			k := it.Item().KeyCopy(nil)
			if upTo != nil && bytes.Compare(k, upTo) > 0 {
				break
			}
			keys = append(keys, k)
		}
		return nil
	})
	return keys, err
}

// deleteKeys deletes keys durably.
func (db *DB) deleteKeys(keys [][]byte) error {
	ops := make([]op, len(keys))
	for i, k := range keys {
		ops[i] = op{key: k, del: true}
	}
	return db.write(ops)
}
