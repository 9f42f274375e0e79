package raftmeta

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"testing"
	"time"

	"go.etcd.io/raft/v3/raftpb"

	internalv1 "github.com/sluice-io/sluice/gen/go/sluice/internalpb/v1"
	"github.com/sluice-io/sluice/server/engine"
	"github.com/sluice-io/sluice/server/engine/memnet"
	"github.com/sluice-io/sluice/storage"
)

// metaNode is one broker's metadata group over the in-memory network.
type metaNode struct {
	db  *storage.DB
	eng *engine.Engine
	fsm *FSM
}

func startMetaNode(t *testing.T, net *memnet.Network, id uint64, dir string, voters []uint64) *metaNode {
	t.Helper()
	db := openDB(t, dir)
	eng, err := engine.New(engine.Config{NodeID: id, DB: db, Transport: net.Transport(id),
		TickInterval: 10 * time.Millisecond, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	f, err := Open(Config{NodeID: id, Incarnation: uint64(time.Now().UnixNano()), DB: db, Notify: eng.Notify, SnapshotEntries: 100})
	if err != nil {
		t.Fatal(err)
	}
	if err := eng.AddGroup(Group, voters, f); err != nil {
		t.Fatal(err)
	}
	net.Join(id, eng)
	eng.Start()
	return &metaNode{db: db, eng: eng, fsm: f}
}

func (n *metaNode) stop(t *testing.T, net *memnet.Network, id uint64) {
	net.Leave(id)
	n.eng.Stop()
	if err := n.db.Close(); err != nil {
		t.Fatal(err)
	}
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// configOf is topic t's config "n" in f's state ("" when none).
func configOf(f *FSM) string { return f.Topic("t").GetConfigs()["n"] }

// TestMetadataLogIsCompactedAndServedBySnapshot applies many metadata
// commands; the metadata log must be compacted rather than grow, and both a
// restarting broker and a learner added afterwards (which needs entries the
// log no longer has) must end with the full state.
func TestMetadataLogIsCompactedAndServedBySnapshot(t *testing.T) {
	net := memnet.New()
	defer net.Close()
	dir1 := t.TempDir()
	n1 := startMetaNode(t, net, 1, dir1, []uint64{1})
	waitFor(t, "a controller", func() bool { return n1.fsm.Leader() == 1 })
	ctx := context.Background()
	if err := n1.fsm.Propose(ctx, createCmd("t", 1)); err != nil {
		t.Fatal(err)
	}
	const commands = 400
	var wg sync.WaitGroup
	errs := make(chan error, commands)
	for w := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < commands; i += 8 {
				errs <- n1.fsm.Propose(ctx, &internalv1.MetadataCommand{Command: &internalv1.MetadataCommand_AlterTopicConfigs{
					AlterTopicConfigs: &internalv1.AlterTopicConfigs{Name: "t", SetConfigs: map[string]string{fmt.Sprintf("k%d", i): "v"}},
				}})
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if err := n1.fsm.Propose(ctx, &internalv1.MetadataCommand{Command: &internalv1.MetadataCommand_AlterTopicConfigs{
		AlterTopicConfigs: &internalv1.AlterTopicConfigs{Name: "t", SetConfigs: map[string]string{"n": "last"}},
	}}); err != nil {
		t.Fatal(err)
	}
	want := len(n1.fsm.Topic("t").GetConfigs())
	log1, err := n1.db.RaftLog(Group)
	if err != nil {
		t.Fatal(err)
	}
	first, err := log1.FirstIndex()
	if err != nil {
		t.Fatal(err)
	}
	last, err := log1.LastIndex()
	if err != nil {
		t.Fatal(err)
	}
	if first <= 100 {
		t.Fatalf("metadata log still starts at %d after %d entries: never compacted", first, last)
	}

	// A learner added now needs entries below the log start: it must get the snapshot.
	n2 := startMetaNode(t, net, 2, t.TempDir(), nil)
	defer n2.stop(t, net, 2)
	typ := raftpb.ConfChangeAddLearnerNode
	if err := n1.eng.ProposeConfChange(Group, &raftpb.ConfChange{Type: &typ, NodeId: new(uint64(2))}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the learner to get the state", func() bool { return configOf(n2.fsm) == "last" })
	if got := len(n2.fsm.Topic("t").GetConfigs()); got != want {
		t.Fatalf("learner has %d configs of topic t, want %d", got, want)
	}

	// A restart starts from the stored state and the log after it.
	n1.stop(t, net, 1)
	n1 = startMetaNode(t, net, 1, dir1, nil)
	defer n1.stop(t, net, 1)
	waitFor(t, "the restarted broker to apply its log", func() bool { return configOf(n1.fsm) == "last" })
	if got := len(n1.fsm.Topic("t").GetConfigs()); got != want {
		t.Fatalf("restarted broker has %d configs of topic t, want %d", got, want)
	}
}
