package raftmeta

import (
	"testing"

	"go.etcd.io/raft/v3/raftpb"
	"google.golang.org/protobuf/proto"

	internalv1 "github.com/sluice-io/sluice/gen/go/sluice/internalpb/v1"
	sluicev1 "github.com/sluice-io/sluice/gen/go/sluice/v1"
	"github.com/sluice-io/sluice/storage"
)

// fuzzCommands are metadata commands as the brokers propose them.
func fuzzCommands() []*internalv1.MetadataCommand {
	return []*internalv1.MetadataCommand{
		createCmd("a", 2),
		createCmd("orders", 3),
		deleteCmd("a"),
		{Command: &internalv1.MetadataCommand_RegisterBroker{RegisterBroker: &internalv1.RegisterBroker{ClusterId: "c1",
			Broker: &internalv1.BrokerInfo{Id: 2, Address: "127.0.0.1:7071"}}}},
		{Command: &internalv1.MetadataCommand_PartitionLeader{PartitionLeader: &internalv1.PartitionLeader{Group: 2, Leader: 1, Term: 3}}},
		{Command: &internalv1.MetadataCommand_PartitionLeaders{PartitionLeaders: &internalv1.PartitionLeaders{
			Leaders: []*internalv1.PartitionLeader{{Group: 1, Leader: 2, Term: 4}}}}},
		{Command: &internalv1.MetadataCommand_AlterTopicConfigs{AlterTopicConfigs: &internalv1.AlterTopicConfigs{Name: "orders",
			SetConfigs: map[string]string{"retention.ms": "1000"}, DeleteConfigs: []string{"cleanup.policy"}}}},
		{Command: &internalv1.MetadataCommand_CreatePartitions{CreatePartitions: &internalv1.CreatePartitions{Name: "orders", CurrentCount: 3,
			Assignment: []*internalv1.Replicas{{Brokers: []uint64{1}}}}}},
		{Command: &internalv1.MetadataCommand_ReserveProducerIds{ReserveProducerIds: &internalv1.ReserveProducerIds{First: 1, Count: 1000}}},
		upsertUserCmd("alice", sluicev1.ScramMechanism_SCRAM_MECHANISM_SHA_256, "k"),
		{Command: &internalv1.MetadataCommand_DeleteUser{DeleteUser: &internalv1.DeleteUser{Name: "alice"}}},
		addKeyCmd(1),
		setQuotaCmd(userEntity("User:alice"), &sluicev1.QuotaValues{ProduceBytesRate: proto.Int64(1 << 20)}),
		setQuotaCmd(defaultClientEntity(), nil),
		deleteQuotaCmd(userEntity("User:alice"), sluicev1.QuotaType_QUOTA_TYPE_FETCH_BYTES_RATE),
		createACLsCmd(topicACL("orders", "User:alice"), topicACL("orders", "User:alice"), topicACL("a", "User:*")),
		deleteACLsCmd(topicACL("orders", "User:alice")),
	}
}

// FuzzApplyMetadataCommand applies an arbitrary committed entry to the
// metadata state machine of a cluster with a topic. It must not panic, must
// reach the same state on every broker (two state machines apply it
// alike), must not grow the state more than the entry's size allows, and a
// snapshot of the state restores to the same state.
func FuzzApplyMetadataCommand(f *testing.F) {
	for _, c := range fuzzCommands() {
		c.Proposal = &internalv1.ProposalID{Node: 9, Seq: 1}
		data, err := proto.Marshal(c)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	db, err := storage.Open(storage.Options{InMemory: true})
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { _ = db.Close() })
	setup, err := proto.Marshal(createCmd("orders", 3))
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var states [2]*internalv1.MetadataState
		for i := range states {
			fsm, err := Open(Config{NodeID: 1, DB: db, Notify: func(uint64) {}})
			if err != nil {
				t.Fatal(err)
			}
			b := db.NewBatch()
			err = fsm.Apply(b, []*raftpb.Entry{entry(1, setup), entry(2, data)})
			b.Cancel()
			if err != nil {
				return // a command that does not decode stops nothing: the engine reports it
			}
			fsm.Applied()
			states[i] = fsm.State()
		}
		if !proto.Equal(states[0], states[1]) {
			t.Fatalf("two brokers applying the same entry differ:\n%v\n%v", states[0], states[1])
		}
		// A topic's partitions each come from an assignment in the command.
		if size, parts := proto.Size(states[0]), partitionCount(states[0]); parts > 3+len(data) {
			t.Fatalf("a %d-byte entry made %d partitions (state %d bytes)", len(data), parts, size)
		}
		snap, err := proto.Marshal(states[0])
		if err != nil {
			t.Fatal(err)
		}
		fsm, err := Open(Config{NodeID: 1, DB: db, Notify: func(uint64) {}})
		if err != nil {
			t.Fatal(err)
		}
		b := db.NewBatch()
		defer b.Cancel()
		if err := fsm.Restore(b, &raftpb.Snapshot{Data: snap, Metadata: &raftpb.SnapshotMetadata{Index: proto.Uint64(2)}}); err != nil {
			t.Fatalf("the state's own snapshot does not restore: %v", err)
		}
		fsm.Applied()
		if !proto.Equal(fsm.State(), states[0]) {
			t.Fatalf("restored %v, snapshot of %v", fsm.State(), states[0])
		}
	})
}

func entry(index uint64, data []byte) *raftpb.Entry {
	return &raftpb.Entry{Index: proto.Uint64(index), Term: proto.Uint64(1), Type: raftpb.EntryNormal.Enum(), Data: data}
}

func partitionCount(st *internalv1.MetadataState) int {
	n := 0
	for _, t := range st.GetTopics() {
		n += len(t.GetPartitions())
	}
	return n
}

// TestCreateTopicWithoutAnAssignmentPerPartitionIsRefused: a committed
// CreateTopic with fewer assignments than partitions must fail as a
// command, alike on every broker, not panic the engine (found by
// FuzzApplyMetadataCommand).
func TestCreateTopicWithoutAnAssignmentPerPartitionIsRefused(t *testing.T) {
	db := openDB(t, t.TempDir())
	f, err := Open(Config{NodeID: 1, DB: db, Notify: func(uint64) {}})
	if err != nil {
		t.Fatal(err)
	}
	cmd := createCmd("t", 3)
	cmd.GetCreateTopic().Assignment = cmd.GetCreateTopic().Assignment[:1]
	applyCmds(t, f, db, 1, cmd)
	if f.Topic("t") != nil {
		t.Fatalf("topic created from a command with 1 assignment for 3 partitions: %v", f.Topic("t"))
	}
}

// FuzzRestoreMetadataSnapshot restores an arbitrary snapshot, as the
// metadata leader sends one to a broker that fell behind, then applies a
// command to it. Neither may panic, and two brokers doing the same reach
// the same state.
func FuzzRestoreMetadataSnapshot(f *testing.F) {
	st := &internalv1.MetadataState{ClusterId: "c1", NextGroup: 4, NextProducerId: 1001, AppliedIndex: 5,
		Brokers: []*internalv1.BrokerInfo{{Id: 1, Address: "127.0.0.1:7070"}},
		Topics: []*internalv1.TopicInfo{{Name: "orders", TopicId: "orders-id", ReplicationFactor: 1,
			Partitions: []*internalv1.PartitionInfo{{Partition: 0, Group: 1, Replicas: []uint64{1}}, {Partition: 1, Group: 2, Replicas: []uint64{1}}}}}}
	snap, err := proto.Marshal(st)
	if err != nil {
		f.Fatal(err)
	}
	for _, c := range fuzzCommands() {
		data, err := proto.Marshal(c)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(snap, data)
	}
	db, err := storage.Open(storage.Options{InMemory: true})
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { _ = db.Close() })
	f.Fuzz(func(t *testing.T, snap, data []byte) {
		var states [2]*internalv1.MetadataState
		for i := range states {
			fsm, err := Open(Config{NodeID: 1, DB: db, Notify: func(uint64) {}})
			if err != nil {
				t.Fatal(err)
			}
			b := db.NewBatch()
			err = fsm.Restore(b, &raftpb.Snapshot{Data: snap, Metadata: &raftpb.SnapshotMetadata{Index: proto.Uint64(5), Term: proto.Uint64(1)}})
			if err == nil {
				err = fsm.Apply(b, []*raftpb.Entry{entry(6, data)})
			}
			b.Cancel()
			if err != nil {
				return
			}
			fsm.Applied()
			states[i] = fsm.State()
		}
		if !proto.Equal(states[0], states[1]) {
			t.Fatalf("two brokers restoring and applying the same differ:\n%v\n%v", states[0], states[1])
		}
	})
}
