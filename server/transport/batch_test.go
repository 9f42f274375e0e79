package transport_test

import (
	"log/slog"
	"net"
	"sync"
	"testing"
	"time"

	"go.etcd.io/raft/v3/raftpb"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/protobuf/proto"

	internalv1 "github.com/sluice-io/sluice/gen/go/sluice/internalpb/v1"
	"github.com/sluice-io/sluice/server/engine"
	"github.com/sluice-io/sluice/server/engine/enginetest"
	"github.com/sluice-io/sluice/server/transport"
)

// fakePeer is the receiving broker: it records every batch it is sent and,
// when stallOnAppend is set, stops reading a stream once an append arrives
// on it, as a broker whose link is saturated would.
type fakePeer struct {
	internalv1.UnimplementedRaftTransportServiceServer
	stallOnAppend bool

	mu      sync.Mutex
	batches []*internalv1.StreamRequest
	types   map[raftpb.MessageType]int
}

func (f *fakePeer) Stream(s grpc.BidiStreamingServer[internalv1.StreamRequest, internalv1.StreamResponse]) error {
	for {
		req, err := s.Recv()
		if err != nil {
			return err
		}
		apps := 0
		f.mu.Lock()
		f.batches = append(f.batches, req)
		for _, gm := range req.GetMessages() {
			m := &raftpb.Message{}
			if err := proto.Unmarshal(gm.GetMessage(), m); err != nil {
				f.mu.Unlock()
				return err
			}
			f.types[m.GetType()]++
			if m.GetType() == raftpb.MsgApp {
				apps++
			}
		}
		f.mu.Unlock()
		if f.stallOnAppend && apps > 0 {
			<-s.Context().Done()
			return nil
		}
	}
}

func (f *fakePeer) received(typ raftpb.MessageType) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.types[typ]
}

// fakeEngine records what the transport reports.
type fakeEngine struct {
	mu          sync.Mutex
	unreachable map[uint64]int // by group
}

func (e *fakeEngine) Deliver(engine.Envelope) {}

func (e *fakeEngine) ReportUnreachable(group, _ uint64) {
	e.mu.Lock()
	e.unreachable[group]++
	e.mu.Unlock()
}

func (e *fakeEngine) ReportSnapshot(uint64, uint64, bool) {}

func (e *fakeEngine) unreachableOf(group uint64) int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.unreachable[group]
}

// startPeer serves f on 127.0.0.1 with fixed flow-control windows (no
// dynamic growth), so a stream that is not read blocks its sender soon.
func startPeer(t *testing.T, f *fakePeer) string {
	t.Helper()
	return startPeerLimited(t, f, 64<<20)
}

// startPeerLimited is startPeer with a receive limit.
func startPeerLimited(t *testing.T, f *fakePeer, recvLimit int) string {
	t.Helper()
	f.types = map[raftpb.MessageType]int{}
	lis, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := grpc.NewServer(grpc.MaxRecvMsgSize(recvLimit), grpc.InitialWindowSize(64<<10), grpc.InitialConnWindowSize(64<<10))
	internalv1.RegisterRaftTransportServiceServer(srv, f)
	go func() { _ = srv.Serve(lis) }()
	t.Cleanup(srv.Stop)
	return lis.Addr().String()
}

func newTransport(t *testing.T, eng *fakeEngine, addr string, adjust func(*transport.Config)) *transport.Transport {
	cfg := transport.Config{NodeID: 1, Engine: eng, Logger: slog.New(slog.DiscardHandler),
		Resolve:     func(uint64) (string, bool) { return addr, true },
		DialOptions: []grpc.DialOption{grpc.WithTransportCredentials(insecure.NewCredentials())}}
	adjust(&cfg)
	tr := transport.New(cfg)
	t.Cleanup(tr.Close) // before the server stops (cleanups run last first)
	return tr
}

func appendMsg(group uint64, bytes int) engine.Envelope {
	return engine.Envelope{Group: group, Msg: &raftpb.Message{Type: raftpb.MsgApp.Enum(), To: proto.Uint64(2), From: proto.Uint64(1),
		Term: proto.Uint64(1), Entries: []*raftpb.Entry{{Term: proto.Uint64(1), Index: proto.Uint64(1), Data: make([]byte, bytes)}}}}
}

func heartbeat(group uint64) engine.Envelope {
	return engine.Envelope{Group: group, Msg: &raftpb.Message{Type: raftpb.MsgHeartbeat.Enum(), To: proto.Uint64(2),
		From: proto.Uint64(1), Term: proto.Uint64(1)}}
}

// TestPeerBatchesRespectTheByteCap: however many groups and messages wait
// for a peer, no send carries more than BatchBytes, except a single message
// larger than the cap, which goes alone; and every message arrives.
func TestPeerBatchesRespectTheByteCap(t *testing.T) {
	const capBytes = 256 << 10
	peer := &fakePeer{}
	addr := startPeer(t, peer)
	eng := &fakeEngine{unreachable: map[uint64]int{}}
	tr := newTransport(t, eng, addr, func(c *transport.Config) { c.BatchBytes = capBytes })

	// Sent before the stream is up, so they wait together: 4 MiB of appends
	// of 500 groups of 1-15 KiB each, one of 1 MiB, and heartbeats.
	var msgs []engine.Envelope
	for g := range uint64(500) {
		msgs = append(msgs, appendMsg(g, 1<<10+int(g%15)<<10), heartbeat(g))
		if g == 250 {
			msgs = append(msgs, appendMsg(1000, 1<<20))
		}
	}
	tr.Send(msgs)
	enginetest.WaitFor(t, "every message to arrive", func() bool {
		return peer.received(raftpb.MsgApp) == 501 && peer.received(raftpb.MsgHeartbeat) == 500
	})

	peer.mu.Lock()
	defer peer.mu.Unlock()
	merged := false
	for i, b := range peer.batches {
		size := proto.Size(b)
		if len(b.GetMessages()) > 1 {
			merged = true
			if size > capBytes+transport.BatchOverhead {
				t.Errorf("batch %d: %d messages in %d bytes, over the cap of %d", i, len(b.GetMessages()), size, capBytes)
			}
		} else if size > capBytes && b.GetMessages()[0].GetGroup() != 1000 {
			t.Errorf("batch %d: one message of group %d in %d bytes, over the cap", i, b.GetMessages()[0].GetGroup(), size)
		}
	}
	if !merged {
		t.Error("no batch carried more than one message: nothing was batched")
	}
	for g := range uint64(1001) {
		if n := eng.unreachableOf(g); n > 0 {
			t.Errorf("group %d reported unreachable %d times with nothing lost", g, n)
		}
	}
}

// TestHeartbeatsDoNotWaitBehindAppends: a peer that stops reading appends
// (a saturated link) still receives heartbeats, and the appends that pile up
// for it are bounded in bytes: past the bound they are dropped and reported
// unreachable, so raft probes and sends them again.
func TestHeartbeatsDoNotWaitBehindAppends(t *testing.T) {
	peer := &fakePeer{stallOnAppend: true}
	addr := startPeer(t, peer)
	eng := &fakeEngine{unreachable: map[uint64]int{}}
	tr := newTransport(t, eng, addr, func(c *transport.Config) { c.BatchBytes, c.QueueBytes = 64<<10, 1<<20 })

	tr.Send([]engine.Envelope{appendMsg(1, 8<<10)})
	enginetest.WaitFor(t, "the first append to arrive", func() bool { return peer.received(raftpb.MsgApp) == 1 })
	// 8 MiB more of appends: far more than the flow-control windows and the
	// queue hold while the peer does not read.
	for range 64 {
		tr.Send([]engine.Envelope{appendMsg(1, 128<<10)})
	}
	enginetest.WaitFor(t, "appends past the queue's bytes to be reported lost", func() bool { return eng.unreachableOf(1) > 0 })

	tr.Send([]engine.Envelope{heartbeat(2), heartbeat(3)})
	deadline := time.Now().Add(10 * time.Second)
	for peer.received(raftpb.MsgHeartbeat) < 2 {
		if time.Now().After(deadline) {
			t.Fatalf("heartbeats not received within 10s while appends were blocked (%d appends arrived)", peer.received(raftpb.MsgApp))
		}
		time.Sleep(5 * time.Millisecond)
	}
	if n := eng.unreachableOf(2) + eng.unreachableOf(3); n > 0 {
		t.Errorf("heartbeats reported unreachable %d times", n)
	}
}

// TestMessageOverThePeerLimitDoesNotResetTheStream: a message larger than
// the peer accepts is dropped and reported unreachable, and the messages of
// other groups queued with it still arrive (sending it would reset the
// stream and lose them all).
func TestMessageOverThePeerLimitDoesNotResetTheStream(t *testing.T) {
	const peerLimit = 1 << 20
	peer := &fakePeer{}
	addr := startPeerLimited(t, peer, peerLimit)
	eng := &fakeEngine{unreachable: map[uint64]int{}}
	tr := newTransport(t, eng, addr, func(c *transport.Config) { c.MaxMessageBytes = peerLimit - transport.BatchOverhead })

	msgs := []engine.Envelope{appendMsg(1, 16<<10), appendMsg(2, 2<<20)}
	for g := range uint64(20) {
		msgs = append(msgs, appendMsg(10+g, 16<<10))
	}
	tr.Send(msgs)
	enginetest.WaitFor(t, "the other groups' appends to arrive", func() bool { return peer.received(raftpb.MsgApp) == 21 })
	if eng.unreachableOf(2) == 0 {
		t.Error("the append over the limit was not reported unreachable")
	}
	for _, g := range []uint64{1, 10, 29} {
		if n := eng.unreachableOf(g); n > 0 {
			t.Errorf("group %d reported unreachable %d times", g, n)
		}
	}
}
