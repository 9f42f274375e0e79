package raftmeta

import (
	"errors"
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
	next := applyCmds(t, f, db, 1, createCmd("a", 2), createCmd("b", 3), createCmd("a", 5))
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
	applyCmds(t, f, db, next, deleteCmd("a"), createCmd("a", 1))
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
