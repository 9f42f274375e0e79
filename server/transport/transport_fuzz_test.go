package transport

import (
	"context"
	"errors"
	"io"
	"testing"

	"go.etcd.io/raft/v3/raftpb"
	"google.golang.org/grpc"
	"google.golang.org/protobuf/proto"

	internalv1 "github.com/sluice-io/sluice/gen/go/sluice/internalpb/v1"
	"github.com/sluice-io/sluice/server/engine"
)

// recordingEngine keeps what the transport delivers.
type recordingEngine struct{ got []engine.Envelope }

func (e *recordingEngine) Deliver(env engine.Envelope)        { e.got = append(e.got, env) }
func (e *recordingEngine) ReportUnreachable(_, _ uint64)      {}
func (e *recordingEngine) ReportSnapshot(_, _ uint64, _ bool) {}

// onceStream is a peer's stream that delivers one request, then ends.
type onceStream struct {
	grpc.ServerStream
	req  *internalv1.StreamRequest
	sent int
}

func (s *onceStream) Recv() (*internalv1.StreamRequest, error) {
	if s.req == nil {
		return nil, io.EOF
	}
	req := s.req
	s.req = nil
	return req, nil
}

func (s *onceStream) Send(*internalv1.StreamResponse) error { s.sent++; return nil }
func (s *onceStream) Context() context.Context              { return context.Background() }

// FuzzReceivePeerStream feeds the receiving side of the raft transport a
// stream request in wire form, as a peer sends it. Decoding happens in
// gRPC's codec (a request that does not decode ends the stream there); the
// transport must then hand the engine exactly the messages of the request,
// in order, each what the peer encoded, and end the stream with an error at
// the first message that does not decode, never panic.
func FuzzReceivePeerStream(f *testing.F) {
	msgs := []*raftpb.Message{
		{Type: raftpb.MsgHeartbeat.Enum(), To: proto.Uint64(1), From: proto.Uint64(2), Term: proto.Uint64(3), Commit: proto.Uint64(7)},
		{Type: raftpb.MsgApp.Enum(), To: proto.Uint64(1), From: proto.Uint64(2), Term: proto.Uint64(3), Index: proto.Uint64(7), LogTerm: proto.Uint64(3),
			Entries: []*raftpb.Entry{{Index: proto.Uint64(8), Term: proto.Uint64(3), Type: raftpb.EntryNormal.Enum(), Data: []byte("records")}}},
		{Type: raftpb.MsgSnap.Enum(), To: proto.Uint64(1), From: proto.Uint64(2), Term: proto.Uint64(3),
			Snapshot: &raftpb.Snapshot{Data: []byte("state"), Metadata: &raftpb.SnapshotMetadata{Index: proto.Uint64(9), Term: proto.Uint64(3),
				ConfState: &raftpb.ConfState{Voters: []uint64{1, 2, 3}}}}},
	}
	req := &internalv1.StreamRequest{FromNode: 2}
	for i, m := range msgs {
		data, err := proto.Marshal(m)
		if err != nil {
			f.Fatal(err)
		}
		req.Messages = append(req.Messages, &internalv1.GroupMessage{Group: uint64(i + 1), Message: data, Quiesce: i == 0})
	}
	raw, err := proto.Marshal(req)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(raw)
	f.Fuzz(func(t *testing.T, raw []byte) {
		var req internalv1.StreamRequest
		if err := proto.Unmarshal(raw, &req); err != nil {
			return
		}
		eng := &recordingEngine{}
		tr := New(Config{NodeID: 1, Engine: eng, Resolve: func(uint64) (string, bool) { return "", false }})
		defer tr.Close()
		err := tr.receive(&onceStream{req: proto.CloneOf(&req)}, 0)
		bad := len(req.GetMessages())
		for i, gm := range req.GetMessages() {
			if proto.Unmarshal(gm.GetMessage(), &raftpb.Message{}) != nil {
				bad = i
				break
			}
		}
		if (bad < len(req.GetMessages())) != (err != nil && !errors.Is(err, io.EOF)) {
			t.Fatalf("message %d of %d does not decode, and receive ended with %v", bad, len(req.GetMessages()), err)
		}
		if len(eng.got) != bad {
			t.Fatalf("delivered %d messages, want the %d before the first bad one", len(eng.got), bad)
		}
		for i, env := range eng.got {
			gm := req.GetMessages()[i]
			var want raftpb.Message
			_ = proto.Unmarshal(gm.GetMessage(), &want)
			if env.Group != gm.GetGroup() || env.Quiesce != gm.GetQuiesce() || !proto.Equal(env.Msg, &want) {
				t.Fatalf("message %d delivered as group %d %v, sent as group %d %v", i, env.Group, env.Msg, gm.GetGroup(), &want)
			}
			again, err := proto.Marshal(env.Msg)
			var back raftpb.Message
			if err != nil || proto.Unmarshal(again, &back) != nil || !proto.Equal(&back, env.Msg) {
				t.Fatalf("message %d does not re-encode to itself: %v", i, err)
			}
		}
	})
}
