package storage

import (
	"errors"
	"fmt"
	"math"

	"github.com/dgraph-io/badger/v4"
	"go.etcd.io/raft/v3"
	"go.etcd.io/raft/v3/raftpb"
	"google.golang.org/protobuf/proto"
)

// IndexEntry is one offset index entry: it maps the batch of records with
// offsets [BaseOffset, BaseOffset+Count) to the raft entry holding it.
// The state machine writes it (Batch.PutOffsetIndex) when it applies the entry.
type IndexEntry struct {
	// BaseOffset is the offset of the batch's first record; never negative.
	BaseOffset int64
	// RaftIndex is the index of the raft entry whose Data is the batch.
	RaftIndex uint64
	// Count is the number of records (offsets) in the batch.
	Count uint32
	// MaxTimestampMs is the largest record timestamp in the batch, in
	// milliseconds since the Unix epoch.
	MaxTimestampMs int64
}

// nextOffset returns the offset after the batch's last record.
func (e IndexEntry) nextOffset() int64 { return e.BaseOffset + int64(e.Count) }

// ReadLog calls fn, in offset order, for each indexed batch of group that
// contains offsets >= from and whose BaseOffset < end, passing the index
// entry and the raft entry's Data, which fn owns. end is exclusive (the high
// watermark); a batch at or after end is never passed. It starts at the
// batch containing from (the largest BaseOffset <= from), or at the first
// batch when from precedes them all. It stops when fn returns false, or
// after the batch that takes the total len(data) passed to >= maxBytes; at
// least one batch is passed if any qualifies. An empty group, or from >= end,
// calls fn never.
//
// ReadLog reads one consistent view and may run concurrently with anything.
// If an index entry's raft entry is gone (retention compacted it between the
// caller's choice of from and the read) the error wraps raft.ErrCompacted.
func (db *DB) ReadLog(group uint64, from, end int64, maxBytes int, fn func(e IndexEntry, data []byte) bool) error {
	if from >= end {
		return nil
	}
	err := db.bdb.View(func(txn *badger.Txn) error {
		start, err := batchStart(txn, group, from)
		if err != nil {
			return err
		}
		return readBatches(txn, group, start, from, end, maxBytes, fn)
	})
	if err != nil {
		return fmt.Errorf("storage: group %d: read log from %d: %w", group, from, err)
	}
	return nil
}

// batchStart returns the base offset of the batch that may contain from:
// the largest BaseOffset <= from, or from itself when there is none.
func batchStart(txn *badger.Txn, group uint64, from int64) (int64, error) {
	if from < 0 {
		return 0, nil
	}
	e, ok, err := seekIndex(txn, group, offsetIndexKey(group, from), true)
	if err != nil || !ok {
		return from, err
	}
	return e.BaseOffset, nil
}

// readBatches is ReadLog's loop over the index from base offset start.
func readBatches(txn *badger.Txn, group uint64, start, from, end int64, maxBytes int,
	fn func(IndexEntry, []byte) bool) error {
	it := txn.NewIterator(badger.IteratorOptions{Prefix: groupKey(kindOffsetIndex, group)})
	defer it.Close()
	total := 0
	for it.Seek(offsetIndexKey(group, start)); it.Valid(); it.Next() {
		e, err := itemIndexEntry(it.Item())
		if err != nil {
			return err
		}
		if e.BaseOffset >= end {
			return nil
		}
		if e.nextOffset() <= from {
			continue
		}
		data, err := entryData(txn, group, e.RaftIndex)
		if err != nil {
			return fmt.Errorf("batch at offset %d: %w", e.BaseOffset, err)
		}
		total += len(data)
		if !fn(e, data) || total >= maxBytes {
			return nil
		}
	}
	return nil
}

// entryData returns the Data of raft entry index of group. An entry that
// is gone was compacted: the index entry outlived it.
func entryData(txn *badger.Txn, group, index uint64) ([]byte, error) {
	ent, err := readEntry(txn, group, index)
	if errors.Is(err, errNoEntry) {
		return nil, fmt.Errorf("raft entry %d: %w", index, raft.ErrCompacted)
	}
	if err != nil {
		return nil, err
	}
	return ent.GetData(), nil
}

// errNoEntry is returned by readEntry for an absent entry.
var errNoEntry = errors.New("raft entry not found")

// readEntry returns raft entry index of group; the error wraps errNoEntry
// when the entry is absent.
func readEntry(txn *badger.Txn, group, index uint64) (*raftpb.Entry, error) {
	item, err := txn.Get(entryKey(group, index))
	if errors.Is(err, badger.ErrKeyNotFound) {
		return nil, fmt.Errorf("raft entry %d: %w", index, errNoEntry)
	}
	if err != nil {
		return nil, fmt.Errorf("raft entry %d: %w", index, err)
	}
	return unmarshalEntry(item)
}

// unmarshalEntry decodes the raft entry stored in item. Unmarshal copies
// the bytes it keeps, so the entry outlives the transaction.
func unmarshalEntry(item *badger.Item) (*raftpb.Entry, error) {
	ent := new(raftpb.Entry)
	err := item.Value(func(v []byte) error { return proto.Unmarshal(v, ent) })
	if err != nil {
		return nil, fmt.Errorf("decode raft entry %x: %w", item.Key(), err)
	}
	// raft trusts an entry's index; one that disagrees with its key is
	// damage to report, not an entry to hand on.
	if idx, err := keySeq(item.Key()); err != nil || ent.GetIndex() != idx {
		return nil, fmt.Errorf("raft entry %x holds index %d: the log is damaged", item.Key(), ent.GetIndex())
	}
	return ent, nil
}

// FirstIndexEntry returns the offset index entry of group with the lowest
// BaseOffset; ok is false when the group has none.
func (db *DB) FirstIndexEntry(group uint64) (e IndexEntry, ok bool, err error) {
	return db.edgeIndexEntry(group, false)
}

// LastIndexEntry returns the offset index entry of group with the highest
// BaseOffset; ok is false when the group has none.
func (db *DB) LastIndexEntry(group uint64) (e IndexEntry, ok bool, err error) {
	return db.edgeIndexEntry(group, true)
}

func (db *DB) edgeIndexEntry(group uint64, last bool) (e IndexEntry, ok bool, err error) {
	seek := groupKey(kindOffsetIndex, group)
	if last {
		seek = groupSeqKey(kindOffsetIndex, group, math.MaxUint64)
	}
	err = db.bdb.View(func(txn *badger.Txn) error {
		e, ok, err = seekIndex(txn, group, seek, last)
		return err
	})
	if err != nil {
		return IndexEntry{}, false, fmt.Errorf("storage: group %d: offset index: %w", group, err)
	}
	return e, ok, nil
}

// seekIndex returns the first offset index entry of group at or after key,
// or with reverse the last one at or before key.
func seekIndex(txn *badger.Txn, group uint64, key []byte, reverse bool) (IndexEntry, bool, error) {
	it := txn.NewIterator(badger.IteratorOptions{
		Prefix:  groupKey(kindOffsetIndex, group),
		Reverse: reverse,
	})
	defer it.Close()
	it.Seek(key)
	if !it.Valid() {
		return IndexEntry{}, false, nil
	}
	e, err := itemIndexEntry(it.Item())
	return e, err == nil, err
}

// itemIndexEntry decodes the offset index entry stored in item.
func itemIndexEntry(item *badger.Item) (IndexEntry, error) {
	var e IndexEntry
	err := item.Value(func(v []byte) error {
		var err error
		e, err = decodeIndexEntry(item.Key(), v)
		return err
	})
	return e, err
}
