package storage

import (
	"encoding/binary"
	"fmt"
)

// Key kinds: the first byte of every key. Ids that follow are big-endian so
// that badger's byte order is numeric order, which is what makes prefix
// iteration return a group's entries, or its offset index, in order.
const (
	// kindEntry | group | index -> raftpb.Entry, marshaled.
	kindEntry byte = 0x01
	// kindHardState | group -> raftpb.HardState, marshaled.
	kindHardState byte = 0x02
	// kindSnapshot | group -> raftpb.Snapshot, marshaled (metadata plus the
	// state machine's small opaque Data).
	kindSnapshot byte = 0x03
	// kindOffsetIndex | group | baseOffset -> indexValue (20 bytes).
	kindOffsetIndex byte = 0x04
	// kindTimeIndex | group | timestampMs -> baseOffset u64: the batches
	// that raised the group's largest timestamp (see timeindex.go).
	kindTimeIndex byte = 0x05
	// kindGroupState | group -> opaque applied state of the group's state machine.
	kindGroupState byte = 0x06
	// kindMeta | key -> opaque broker-level value.
	kindMeta byte = 0x07
	// kindLogStart | group -> index u64 | term u64: the raft log's dummy entry,
	// i.e. the last index removed by Compact or ApplySnapshot. Entry keys at
	// or below it are garbage that readers ignore (see raftlog.go).
	kindLogStart byte = 0x08
	// kindConfState | group -> raftpb.SnapshotMetadata (index and ConfState)
	// of the last configuration change applied since the snapshot.
	kindConfState byte = 0x09
	// kindCheckpoint | group | raftIndex -> opaque state of the group's state
	// machine after applying that entry: the points a log may be compacted
	// to (see checkpoint.go).
	kindCheckpoint byte = 0x0a
	// kindReclaim is the prefix of the one marker key ReclaimSpace writes and
	// drops at once; nothing else is stored under it.
	kindReclaim byte = 0x0b
	// kindDeleting | group -> empty: DeleteGroup's intent record, written
	// before it deletes anything and removed last; Open finishes the
	// deletion of every group that still has one.
	kindDeleting byte = 0x0c
)

// groupKinds lists every kind whose keys start with kind | group; DeleteGroup
// removes all of them.
var groupKinds = []byte{
	kindEntry, kindHardState, kindSnapshot, kindOffsetIndex,
	kindTimeIndex, kindGroupState, kindLogStart, kindConfState, kindCheckpoint,
}

const (
	groupKeyLen   = 1 + 8
	entryKeyLen   = groupKeyLen + 8
	indexValueLen = 8 + 4 + 8
	logStartLen   = 8 + 8
)

// groupKey returns kind | group: the whole key of per-group singletons and
// the iteration prefix of per-group sequences.
func groupKey(kind byte, group uint64) []byte {
	k := make([]byte, groupKeyLen, entryKeyLen)
	k[0] = kind
	binary.BigEndian.PutUint64(k[1:], group)
	return k
}

// groupSeqKey returns kind | group | seq.
func groupSeqKey(kind byte, group, seq uint64) []byte {
	return binary.BigEndian.AppendUint64(groupKey(kind, group), seq)
}

// entryKey returns the key of raft entry index of group.
func entryKey(group, index uint64) []byte {
	return groupSeqKey(kindEntry, group, index)
}

// offsetIndexKey returns the key of the offset index entry at baseOffset,
// which must not be negative (a negative offset would sort after all others).
func offsetIndexKey(group uint64, baseOffset int64) []byte {
	return groupSeqKey(kindOffsetIndex, group, uint64(baseOffset))
}

// metaKey returns the badger key of a broker-level metadata key.
func metaKey(key []byte) []byte {
	k := make([]byte, 0, 1+len(key))
	return append(append(k, kindMeta), key...)
}

// keySeq returns the trailing seq of a kind | group | seq key.
func keySeq(key []byte) (uint64, error) {
	if len(key) != entryKeyLen {
		return 0, fmt.Errorf("key %x: want %d bytes, have %d", key, entryKeyLen, len(key))
	}
	return binary.BigEndian.Uint64(key[groupKeyLen:]), nil
}

// groupOfKey returns the group of a kind | group... key.
func groupOfKey(key []byte) (uint64, error) {
	if len(key) < groupKeyLen {
		return 0, fmt.Errorf("key %x: want at least %d bytes, have %d", key, groupKeyLen, len(key))
	}
	return binary.BigEndian.Uint64(key[1:groupKeyLen]), nil
}

// encodeIndexValue returns the fixed 20-byte value of an offset index entry:
// raftIndex u64 | count u32 | maxTimestampMs i64. BaseOffset is in the key.
func encodeIndexValue(e IndexEntry) []byte {
	v := make([]byte, 0, indexValueLen)
	v = binary.BigEndian.AppendUint64(v, e.RaftIndex)
	v = binary.BigEndian.AppendUint32(v, e.Count)
	return binary.BigEndian.AppendUint64(v, uint64(e.MaxTimestampMs))
}

// decodeIndexEntry rebuilds an IndexEntry from its key and value.
func decodeIndexEntry(key, value []byte) (IndexEntry, error) {
	base, err := keySeq(key)
	if err != nil {
		return IndexEntry{}, err
	}
	if int64(base) < 0 {
		// PutOffsetIndex never writes one; readers rely on offsets >= 0.
		return IndexEntry{}, fmt.Errorf("offset index key %x: negative base offset %d", key, int64(base))
	}
	if len(value) != indexValueLen {
		return IndexEntry{}, fmt.Errorf("offset index value at %d: want %d bytes, have %d",
			base, indexValueLen, len(value))
	}
	return IndexEntry{
		BaseOffset:     int64(base),
		RaftIndex:      binary.BigEndian.Uint64(value),
		Count:          binary.BigEndian.Uint32(value[8:]),
		MaxTimestampMs: int64(binary.BigEndian.Uint64(value[12:])),
	}, nil
}

// encodeLogStart returns the value of a kindLogStart key.
func encodeLogStart(index, term uint64) []byte {
	v := make([]byte, 0, logStartLen)
	v = binary.BigEndian.AppendUint64(v, index)
	return binary.BigEndian.AppendUint64(v, term)
}

// decodeLogStart parses the value of a kindLogStart key.
func decodeLogStart(v []byte) (index, term uint64, err error) {
	if len(v) != logStartLen {
		return 0, 0, fmt.Errorf("log start value: want %d bytes, have %d", logStartLen, len(v))
	}
	return binary.BigEndian.Uint64(v), binary.BigEndian.Uint64(v[8:]), nil
}
