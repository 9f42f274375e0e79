package storage

import (
	"fmt"
	"testing"

	"go.etcd.io/raft/v3/raftpb"
	"google.golang.org/protobuf/proto"
)

// BenchmarkBatchCommit measures one engine cycle's batch on disk (synced):
// groups partitions each appending entries of entryBytes, with their offset
// index entries, hard states and group states. The large case is split by
// badger into several transactions.
func BenchmarkBatchCommit(b *testing.B) {
	for _, c := range []struct{ groups, entries, entryBytes int }{
		{1, 1, 1 << 10},
		{12, 4, 16 << 10},
		{64, 32, 1 << 10},
	} {
		b.Run(fmt.Sprintf("groups=%d/entries=%d/bytes=%d", c.groups, c.entries, c.entryBytes), func(b *testing.B) {
			db, err := Open(Options{Dir: b.TempDir()})
			if err != nil {
				b.Fatal(err)
			}
			defer db.Close()
			logs := make([]*RaftLog, c.groups)
			for g := range logs {
				if logs[g], err = db.RaftLog(uint64(g + 1)); err != nil {
					b.Fatal(err)
				}
			}
			data := make([]byte, c.entryBytes)
			next := uint64(1)
			b.SetBytes(int64(c.groups * c.entries * c.entryBytes))
			b.ResetTimer()
			for range b.N {
				batch := db.NewBatch()
				for g, l := range logs {
					es := make([]*raftpb.Entry, c.entries)
					for i := range es {
						es[i] = &raftpb.Entry{Index: proto.Uint64(next + uint64(i)), Term: proto.Uint64(1), Data: data}
						batch.PutOffsetIndex(uint64(g+1), IndexEntry{BaseOffset: int64(next) + int64(i), RaftIndex: next + uint64(i), Count: 1})
					}
					if err := l.Append(batch, es); err != nil {
						b.Fatal(err)
					}
					if err := l.SetHardState(batch, hardState(1, 1, next)); err != nil {
						b.Fatal(err)
					}
					batch.PutGroupState(uint64(g+1), data[:64])
				}
				if err := batch.Commit(); err != nil {
					b.Fatal(err)
				}
				next += uint64(c.entries)
			}
		})
	}
}
