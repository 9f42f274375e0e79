package raftmeta

import (
	"fmt"
	"testing"

	"go.etcd.io/raft/v3/raftpb"
	"google.golang.org/protobuf/proto"

	internalv1 "github.com/sluice-io/sluice/gen/go/sluice/internalpb/v1"
	"github.com/sluice-io/sluice/storage"
)

// BenchmarkApplyLeaderReport applies one partition leader report (the most
// frequent metadata command) to a cluster of 200 topics of 50 partitions
// (10,000 partitions), one entry per Apply as a quiet cluster commits them.
func BenchmarkApplyLeaderReport(b *testing.B) {
	db, err := storage.Open(storage.Options{InMemory: true})
	if err != nil {
		b.Fatal(err)
	}
	defer func() { _ = db.Close() }()
	f, err := Open(Config{NodeID: 1, DB: db, Notify: func(uint64) {}})
	if err != nil {
		b.Fatal(err)
	}
	index := uint64(1)
	apply := func(cmd *internalv1.MetadataCommand) {
		cmd.Proposal = &internalv1.ProposalID{Node: 9}
		data, err := proto.Marshal(cmd)
		if err != nil {
			b.Fatal(err)
		}
		batch := db.NewBatch()
		ent := &raftpb.Entry{Index: proto.Uint64(index), Term: proto.Uint64(1), Type: raftpb.EntryNormal.Enum(), Data: data}
		if err := f.Apply(batch, []*raftpb.Entry{ent}); err != nil {
			b.Fatal(err)
		}
		batch.Cancel()
		f.Applied()
		index++
	}
	for i := range 200 {
		apply(createCmd(fmt.Sprintf("topic-%03d", i), 50))
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		group := uint64(1 + i%10000)
		apply(&internalv1.MetadataCommand{Command: &internalv1.MetadataCommand_PartitionLeader{
			PartitionLeader: &internalv1.PartitionLeader{Group: group, Leader: 1, Term: uint64(i + 1)},
		}})
	}
}
