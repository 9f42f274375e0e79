package engine

import (
	"log/slog"
	"testing"

	"go.etcd.io/raft/v3/raftpb"
	"google.golang.org/protobuf/proto"

	"github.com/sluice-io/sluice/storage"
)

// idleSM is a state machine with nothing to apply or propose.
type idleSM struct{}

func (idleSM) AppliedIndex() uint64                           { return 0 }
func (idleSM) Apply(*storage.Batch, []*raftpb.Entry) error    { return nil }
func (idleSM) Applied()                                       {}
func (idleSM) SnapshotData() ([]byte, error)                  { return nil, nil }
func (idleSM) Restore(*storage.Batch, *raftpb.Snapshot) error { return nil }
func (idleSM) Proposals() [][]byte                            { return nil }
func (idleSM) Dropped([][]byte, error)                        {}
func (idleSM) LeaderChanged(uint64, uint64)                   {}

// TestPeerMessagesWaitingForACycleAreBounded delivers far more than the
// inbox bound to a group whose cycle does not run (as when its disk
// stalls): what waits stays within the bound, and what was dropped is
// counted, for raft to send again.
func TestPeerMessagesWaitingForACycleAreBounded(t *testing.T) {
	db, err := storage.Open(storage.Options{InMemory: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	const limit = 4 << 20
	e, err := New(Config{NodeID: 1, DB: db, Logger: slog.New(slog.DiscardHandler), MaxInboxBytes: limit})
	if err != nil {
		t.Fatal(err)
	}
	if err := e.AddGroup(7, []uint64{1, 2}, idleSM{}); err != nil {
		t.Fatal(err)
	}
	data := make([]byte, 256<<10)
	const sent = 64 // 16 MiB of entries
	for i := range sent {
		e.Deliver(Envelope{Group: 7, Msg: &raftpb.Message{
			Type: raftpb.MsgApp.Enum(), From: proto.Uint64(2), To: proto.Uint64(1), Term: proto.Uint64(1), Index: proto.Uint64(uint64(i)),
			Entries: []*raftpb.Entry{{Index: proto.Uint64(uint64(i + 1)), Term: proto.Uint64(1), Data: data}},
		}})
	}
	g := e.group(7)
	g.mu.Lock()
	held, bytes := len(g.inbox), 0
	for _, m := range g.inbox {
		for _, ent := range m.Entries {
			bytes += len(ent.Data)
		}
	}
	g.mu.Unlock()
	if bytes > limit {
		t.Fatalf("%d messages holding %d KiB of entries wait for the cycle; the inbox bound is %d KiB", held, bytes>>10, limit>>10)
	}
	if held == 0 {
		t.Fatal("the inbox took no message at all")
	}
	if got := e.InboxDrops(); got != uint64(sent-held) {
		t.Fatalf("%d drops counted, want %d (%d sent, %d held)", got, sent-held, sent, held)
	}
}
