package storage

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"

	"github.com/dgraph-io/badger/v4"
)

// The time index answers "the first offset whose timestamp is at or after
// t" without reading record data. It holds one entry per batch that raised
// the partition's largest timestamp: key timestamp, value the batch's base
// offset. The state machine writes an entry (Batch.PutTimeIndex) only when a
// batch's MaxTimestampMs exceeds every earlier batch's, so entries increase
// in both timestamp and offset, and the first batch whose MaxTimestampMs is
// >= t is exactly the one named by the first entry with timestamp >= t:
// every batch before it has a smaller maximum. That keeps the index small
// (with producer clocks that move forward, about one entry per batch, 24
// bytes of key and value) and a lookup one seek.

const timeValueLen = 8

// timeIndexKey returns the key of the time index entry at timestamp ts,
// which must not be negative.
func timeIndexKey(group uint64, ts int64) []byte {
	return groupSeqKey(kindTimeIndex, group, uint64(ts))
}

// PutTimeIndex stages a time index entry of group: the batch at baseOffset
// is the first whose largest record timestamp reached ts. The caller writes
// one only for a batch whose MaxTimestampMs is larger than that of every
// batch before it (see MaxIndexedTimestamp), in the same Batch as the
// batch's offset index entry. Negative values fail the Commit.
func (b *Batch) PutTimeIndex(group uint64, ts, baseOffset int64) {
	if ts < 0 || baseOffset < 0 {
		b.fail(fmt.Errorf("storage: group %d: negative time index entry %d -> %d", group, ts, baseOffset))
		return
	}
	b.put(setOp(timeIndexKey(group, ts), binary.BigEndian.AppendUint64(nil, uint64(baseOffset))))
}

// MaxIndexedTimestamp returns the largest timestamp in group's time index,
// which is the largest record timestamp the group has applied; ok is false
// when the index is empty. A state machine reads it when it opens, to go on
// writing entries only for batches that raise it.
func (db *DB) MaxIndexedTimestamp(group uint64) (ts int64, ok bool, err error) {
	err = db.bdb.View(func(txn *badger.Txn) error {
		it := txn.NewIterator(badger.IteratorOptions{Prefix: groupKey(kindTimeIndex, group), Reverse: true})
		defer it.Close()
		it.Seek(groupSeqKey(kindTimeIndex, group, math.MaxUint64))
		if !it.Valid() {
			return nil
		}
		seq, err := keySeq(it.Item().Key())
		ts, ok = int64(seq), err == nil
		return err
	})
	if err != nil {
		return 0, false, fmt.Errorf("storage: group %d: time index: %w", group, err)
	}
	return ts, ok, nil
}

// BatchAtTime returns the offset index entry of the first batch, among those
// holding offsets >= from, whose MaxTimestampMs is >= ts; ok is false when
// there is none. The caller bounds the answer by its high watermark: batches
// being applied may be visible here first.
//
// When the time index names a batch below from (retention removed it, or
// this replica started from a snapshot past it), the batches from from on
// are checked one by one through the offset index, which holds each batch's
// largest timestamp: rare, and it reads no record data.
func (db *DB) BatchAtTime(group uint64, from, ts int64) (e IndexEntry, ok bool, err error) {
	err = db.bdb.View(func(txn *badger.Txn) error {
		off, found, err := seekTime(txn, group, max(ts, 0))
		if err != nil || !found {
			return err
		}
		if off >= from {
			e, ok, err = indexEntryAt(txn, group, off)
			if err != nil || (ok && e.MaxTimestampMs >= ts) {
				return err
			}
		}
		e, ok, err = scanForTime(txn, group, from, ts)
		return err
	})
	if err != nil {
		return IndexEntry{}, false, fmt.Errorf("storage: group %d: offset for time %d: %w", group, ts, err)
	}
	return e, ok, nil
}

// seekTime returns the base offset of the first time index entry at or
// after ts.
func seekTime(txn *badger.Txn, group uint64, ts int64) (int64, bool, error) {
	it := txn.NewIterator(badger.IteratorOptions{Prefix: groupKey(kindTimeIndex, group)})
	defer it.Close()
	it.Seek(timeIndexKey(group, ts))
	if !it.Valid() {
		return 0, false, nil
	}
	off, err := itemTimeValue(it.Item())
	return off, err == nil, err
}

func itemTimeValue(item *badger.Item) (int64, error) {
	var off int64
	err := item.Value(func(v []byte) error {
		if len(v) != timeValueLen {
			return fmt.Errorf("time index value %x: want %d bytes, have %d", item.Key(), timeValueLen, len(v))
		}
		off = int64(binary.BigEndian.Uint64(v))
		return nil
	})
	return off, err
}

// indexEntryAt returns the offset index entry at base offset off.
func indexEntryAt(txn *badger.Txn, group uint64, off int64) (IndexEntry, bool, error) {
	item, err := txn.Get(offsetIndexKey(group, off))
	if errors.Is(err, badger.ErrKeyNotFound) {
		return IndexEntry{}, false, nil
	}
	if err != nil {
		return IndexEntry{}, false, err
	}
	e, err := itemIndexEntry(item)
	return e, err == nil, err
}

// scanForTime walks the offset index from the batch holding from to the
// first batch whose MaxTimestampMs is >= ts.
func scanForTime(txn *badger.Txn, group uint64, from, ts int64) (IndexEntry, bool, error) {
	start, err := batchStart(txn, group, from)
	if err != nil {
		return IndexEntry{}, false, err
	}
	it := txn.NewIterator(badger.IteratorOptions{Prefix: groupKey(kindOffsetIndex, group)})
	defer it.Close()
	for it.Seek(offsetIndexKey(group, start)); it.Valid(); it.Next() {
		e, err := itemIndexEntry(it.Item())
		if err != nil {
			return IndexEntry{}, false, err
		}
		if e.nextOffset() > from && e.MaxTimestampMs >= ts {
			return e, true, nil
		}
	}
	return IndexEntry{}, false, nil
}

// deleteTimeIndexBefore stages the removal of the time index entries of
// group that name batches below offset, except the last of them: that one
// records the largest timestamp below offset, which BatchAtTime needs to
// know that batches from offset on may hold timestamps up to it.
func (b *Batch) deleteTimeIndexBefore(group uint64, offset int64) error {
	var keys [][]byte
	err := b.db.bdb.View(func(txn *badger.Txn) error {
		it := txn.NewIterator(badger.IteratorOptions{Prefix: groupKey(kindTimeIndex, group)})
		defer it.Close()
		for it.Rewind(); it.Valid(); it.Next() {
			off, err := itemTimeValue(it.Item())
			if err != nil {
				return err
			}
			if off >= offset {
				break
			}
			keys = append(keys, it.Item().KeyCopy(nil))
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("storage: group %d: read time index below %d: %w", group, offset, err)
	}
	if len(keys) < 2 {
		return nil
	}
	keys = keys[:len(keys)-1]
	ops := make([]op, len(keys))
	for i, k := range keys {
		ops[i] = delOp(k)
	}
	return b.stage(nil, cleanupOps(ops)...)
}
