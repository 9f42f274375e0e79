package storage

import (
	"bytes"
	"math"
	"testing"

	"go.etcd.io/raft/v3/raftpb"
	"google.golang.org/protobuf/proto"
)

// TestRaftLogStoresEntriesUpToMaxEntryBytes holds MaxEntryBytes to what
// badger really takes: an entry of exactly that size commits and reads back
// whole, on disk and in memory, next to another one of the same size in the
// same batch (the engine writes several groups' entries at once).
func TestRaftLogStoresEntriesUpToMaxEntryBytes(t *testing.T) {
	for _, tc := range []struct {
		name string
		open func(t *testing.T) *DB
	}{
		{"on disk", func(t *testing.T) *DB { return openDB(t, "", Options{}) }},
		{"in memory", memDB},
	} {
		t.Run(tc.name, func(t *testing.T) {
			db := tc.open(t)
			limit := db.MaxEntryBytes()
			if limit < 1<<20-entryOverhead {
				t.Fatalf("MaxEntryBytes = %d, want at least 1 MiB less the entry overhead", limit)
			}
			data := bytes.Repeat([]byte{0xab}, limit)
			e := func(i uint64) *raftpb.Entry {
				return &raftpb.Entry{Index: proto.Uint64(i), Term: proto.Uint64(math.MaxUint64), Type: raftpb.EntryNormal.Enum(), Data: data}
			}
			l1, _ := db.RaftLog(1)
			l2, _ := db.RaftLog(2)
			commit(t, db, func(b *Batch) error {
				if err := l1.Append(b, []*raftpb.Entry{e(1)}); err != nil {
					return err
				}
				return l2.Append(b, []*raftpb.Entry{e(1)})
			})
			got, err := l2.Entries(1, 2, math.MaxUint64)
			if err != nil || len(got) != 1 || !bytes.Equal(got[0].GetData(), data) {
				t.Fatalf("Entries = %d entries, err %v; want the %d-byte entry back", len(got), err, limit)
			}
		})
	}
}

// TestMaxEntryBytesFollowsTheOptions: the limit comes from the value log
// file size on disk, so raising that raises it.
func TestMaxEntryBytesFollowsTheOptions(t *testing.T) {
	db := openDB(t, "", Options{ValueLogFileSize: 32 << 20})
	if got, want := db.MaxEntryBytes(), 32<<20-entryOverhead; got != want {
		t.Fatalf("MaxEntryBytes = %d, want %d", got, want)
	}
}
