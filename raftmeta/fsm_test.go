package raftmeta

import (
	"errors"
	"maps"
	"runtime"
	"testing"
	"time"

	"go.etcd.io/raft/v3/raftpb"
	"google.golang.org/protobuf/proto"

	internalv1 "github.com/sluice-io/sluice/gen/go/sluice/internalpb/v1"
	"github.com/sluice-io/sluice/storage"
)

func openDB(t *testing.T, dir string) *storage.DB {
	t.Helper()
	db, err := storage.Open(storage.DefaultOptions(dir))
	if err != nil {
		t.Fatal(err)
	}
	return db
}

// applyCmds applies commands as committed entries from index first on, as
// proposed by node 9 (so no local waiter is involved), and returns the index
// after the last one.
func applyCmds(t *testing.T, f *FSM, db *storage.DB, first uint64, cmds ...*internalv1.MetadataCommand) uint64 {
	t.Helper()
	var ents []*raftpb.Entry
	for i, c := range cmds {
		c.Proposal = &internalv1.ProposalID{Node: 9, Seq: uint64(i)}
		data, err := proto.Marshal(c)
		if err != nil {
			t.Fatal(err)
		}
		ents = append(ents, &raftpb.Entry{Index: new(first + uint64(i)), Term: new(uint64(1)), Type: raftpb.EntryNormal.Enum(), Data: data})
	}
	b := db.NewBatch()
	if err := f.Apply(b, ents); err != nil {
		t.Fatal(err)
	}
	if err := b.Commit(); err != nil {
		t.Fatal(err)
	}
	f.Applied()
	return first + uint64(len(cmds))
}

// replay applies the commands (cmds[i] at index i+1) after the reopened
// state's applied index, as raft does after a restart: the state is written
// every persistEvery entries, not after each.
func replay(t *testing.T, f *FSM, db *storage.DB, cmds []*internalv1.MetadataCommand) {
	t.Helper()
	if from := f.AppliedIndex(); from < uint64(len(cmds)) {
		applyCmds(t, f, db, from+1, cmds[from:]...)
	}
}

func createCmd(name string, partitions int32) *internalv1.MetadataCommand {
	c := &internalv1.CreateTopic{Name: name, Partitions: partitions, ReplicationFactor: 1, TopicId: name + "-id"}
	for range partitions {
		c.Assignment = append(c.Assignment, &internalv1.Replicas{Brokers: []uint64{1}})
	}
	return &internalv1.MetadataCommand{Command: &internalv1.MetadataCommand_CreateTopic{CreateTopic: c}}
}

func deleteCmd(name string) *internalv1.MetadataCommand {
	return &internalv1.MetadataCommand{Command: &internalv1.MetadataCommand_DeleteTopic{DeleteTopic: &internalv1.DeleteTopic{Name: name}}}
}

func TestTopicsGetDistinctGroupsAndSurviveReopen(t *testing.T) {
	dir := t.TempDir()
	db := openDB(t, dir)
	changes := 0
	f, err := Open(Config{NodeID: 1, DB: db, Notify: func(uint64) {}, OnChange: func() { changes++ }})
	if err != nil {
		t.Fatal(err)
	}
	cmds := []*internalv1.MetadataCommand{createCmd("a", 2), createCmd("b", 3), createCmd("a", 5), deleteCmd("a"), createCmd("a", 1)}
	next := applyCmds(t, f, db, 1, cmds[:3]...)
	a, b := f.Topic("a"), f.Topic("b")
	if a == nil || b == nil || len(a.GetPartitions()) != 2 || len(b.GetPartitions()) != 3 {
		t.Fatalf("topics a=%v b=%v", a, b)
	}
	groups := map[uint64]bool{Group: true}
	for _, p := range append(a.GetPartitions(), b.GetPartitions()...) {
		if groups[p.GetGroup()] {
			t.Fatalf("group %d used twice (or by the metadata)", p.GetGroup())
		}
		groups[p.GetGroup()] = true
	}
	applyCmds(t, f, db, next, cmds[3:]...)
	if got := f.Topic("a"); len(got.GetPartitions()) != 1 || groups[got.GetPartitions()[0].GetGroup()] {
		t.Fatalf("recreated topic reuses a group: %v", got)
	}
	if changes != 2 {
		t.Errorf("OnChange ran %d times, want once per applied batch", changes)
	}
	want := f.State()
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	db = openDB(t, dir)
	defer db.Close()
	g, err := Open(Config{NodeID: 1, DB: db, Notify: func(uint64) {}})
	if err != nil {
		t.Fatal(err)
	}
	replay(t, g, db, cmds)
	if !proto.Equal(g.State(), want) || g.AppliedIndex() != 5 {
		t.Fatalf("reopened state differs: applied %d\n%v\nwant\n%v", g.AppliedIndex(), g.State(), want)
	}
}

func TestOutcomesReachTheProposer(t *testing.T) {
	db := openDB(t, t.TempDir())
	defer db.Close()
	f, err := Open(Config{NodeID: 1, Incarnation: 7, DB: db, Notify: func(uint64) {}})
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Propose(t.Context(), createCmd("x", 1)); !errors.Is(err, ErrNoController) {
		t.Fatalf("propose without leadership: %v", err)
	}
	f.LeaderChanged(1, 1)
	done := make(chan error, 2)
	go func() { done <- f.Propose(t.Context(), createCmd("x", 1)) }()
	go func() { done <- f.Propose(t.Context(), deleteCmd("nope")) }()
	var ents []*raftpb.Entry
	deadline := time.Now().Add(10 * time.Second)
	for len(ents) < 2 {
		if time.Now().After(deadline) {
			t.Fatal("proposals did not arrive")
		}
		runtime.Gosched()
		for _, d := range f.Proposals() {
			ents = append(ents, &raftpb.Entry{Index: new(uint64(len(ents) + 1)), Type: raftpb.EntryNormal.Enum(), Data: d})
		}
	}
	b := db.NewBatch()
	if err := f.Apply(b, ents); err != nil {
		t.Fatal(err)
	}
	if err := b.Commit(); err != nil {
		t.Fatal(err)
	}
	f.Applied()
	var notFound, ok int
	for range 2 {
		switch err := <-done; {
		case err == nil:
			ok++
		case errors.Is(err, ErrTopicNotFound):
			notFound++
		default:
			t.Fatalf("unexpected outcome %v", err)
		}
	}
	if ok != 1 || notFound != 1 {
		t.Fatalf("ok=%d notFound=%d", ok, notFound)
	}
}

// TestAlterConfigsAndAddPartitions: configs are set and removed; partitions
// are appended with new groups; a command placed against a count or topic
// that changed meanwhile fails and changes nothing.
func TestAlterConfigsAndAddPartitions(t *testing.T) {
	db := openDB(t, t.TempDir())
	defer db.Close()
	f, err := Open(Config{NodeID: 1, DB: db, Notify: func(uint64) {}})
	if err != nil {
		t.Fatal(err)
	}
	create := createCmd("t", 2)
	create.GetCreateTopic().Configs = map[string]string{"retention.ms": "5", "max.message.bytes": "10"}
	next := applyCmds(t, f, db, 1, create)
	alter := &internalv1.MetadataCommand{Command: &internalv1.MetadataCommand_AlterTopicConfigs{AlterTopicConfigs: &internalv1.AlterTopicConfigs{
		Name: "t", TopicId: "t-id", SetConfigs: map[string]string{"retention.ms": "7", "min.insync.replicas": "1"},
		DeleteConfigs: []string{"max.message.bytes"},
	}}}
	grow := func(current int32, id string, brokers ...uint64) *internalv1.MetadataCommand {
		c := &internalv1.CreatePartitions{Name: "t", TopicId: id, CurrentCount: current}
		for _, b := range brokers {
			c.Assignment = append(c.Assignment, &internalv1.Replicas{Brokers: []uint64{b}})
		}
		return &internalv1.MetadataCommand{Command: &internalv1.MetadataCommand_CreatePartitions{CreatePartitions: c}}
	}
	before := proto.CloneOf(f.Topic("t"))
	applyCmds(t, f, db, next, alter, grow(2, "t-id", 4, 5), grow(2, "t-id", 6), grow(4, "other-id", 6))
	got := f.Topic("t")
	if want := map[string]string{"retention.ms": "7", "min.insync.replicas": "1"}; !maps.Equal(got.GetConfigs(), want) {
		t.Fatalf("configs %v, want %v", got.GetConfigs(), want)
	}
	if len(got.GetPartitions()) != 4 {
		t.Fatalf("%d partitions, want 4 (the stale and the wrong-topic commands must fail)", len(got.GetPartitions()))
	}
	groups := map[uint64]bool{}
	for i, p := range got.GetPartitions() {
		if p.GetPartition() != int32(i) || groups[p.GetGroup()] {
			t.Fatalf("partition %d: %v", i, p)
		}
		groups[p.GetGroup()] = true
		if i < 2 && !proto.Equal(p, before.GetPartitions()[i]) {
			t.Fatalf("old partition %d changed: %v", i, p)
		}
	}
	if r := got.GetPartitions()[3].GetReplicas(); len(r) != 1 || r[0] != 5 {
		t.Fatalf("partition 3 replicas %v, want [5]", r)
	}
	if before.GetConfigs()["max.message.bytes"] != "10" {
		t.Fatal("the published state before the change was modified")
	}
}

func TestConflictOutcomes(t *testing.T) {
	db := openDB(t, t.TempDir())
	defer db.Close()
	f, err := Open(Config{NodeID: 1, DB: db, Notify: func(uint64) {}})
	if err != nil {
		t.Fatal(err)
	}
	f.working = &internalv1.MetadataState{NextGroup: 1}
	if err := f.createTopic(createCmd("t", 1).GetCreateTopic()); err != nil {
		t.Fatal(err)
	}
	err = f.createPartitions(&internalv1.CreatePartitions{Name: "t", TopicId: "t-id", CurrentCount: 3})
	if !errors.Is(err, ErrConflict) {
		t.Fatalf("stale count: %v, want ErrConflict", err)
	}
	err = f.alterTopicConfigs(&internalv1.AlterTopicConfigs{Name: "t", TopicId: "recreated"})
	if !errors.Is(err, ErrTopicNotFound) {
		t.Fatalf("other topic id: %v, want ErrTopicNotFound", err)
	}
}

// TestProducerIDBlocksNeverOverlap: a reservation must name the next
// unreserved id, so of two brokers reserving from the same view one
// conflicts and changes nothing.
func TestProducerIDBlocksNeverOverlap(t *testing.T) {
	db := openDB(t, t.TempDir())
	f, err := Open(Config{NodeID: 1, DB: db, Notify: func(uint64) {}})
	if err != nil {
		t.Fatal(err)
	}
	if got := NextProducerID(f.State()); got != 1 {
		t.Fatalf("first producer id %d; want 1 (0 means none)", got)
	}
	reserve := func(broker uint64, first int64) *internalv1.MetadataCommand {
		return &internalv1.MetadataCommand{Command: &internalv1.MetadataCommand_ReserveProducerIds{
			ReserveProducerIds: &internalv1.ReserveProducerIds{Broker: broker, First: first, Count: 1000},
		}}
	}
	cmds := []*internalv1.MetadataCommand{reserve(1, 1), reserve(2, 1), reserve(2, 1001)}
	next := applyCmds(t, f, db, 1, cmds[0])
	if err := f.execute(reserve(2, 1)); !errors.Is(err, ErrConflict) {
		t.Fatalf("overlapping reservation: %v; want a conflict", err)
	}
	applyCmds(t, f, db, next, cmds[1:]...)
	if got := NextProducerID(f.State()); got != 2001 {
		t.Fatalf("next producer id %d after two blocks; want 2001", got)
	}
	f2, err := Open(Config{NodeID: 1, DB: db, Notify: func(uint64) {}})
	if err != nil {
		t.Fatal(err)
	}
	replay(t, f2, db, cmds)
	if got := NextProducerID(f2.State()); got != 2001 {
		t.Fatalf("next producer id %d after reopening; want 2001", got)
	}
}
