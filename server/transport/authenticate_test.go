package transport

import (
	"context"
	"testing"

	"go.etcd.io/raft/v3/raftpb"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	internalv1 "github.com/sluice-io/sluice/gen/go/sluice/internalpb/v1"
)

func raftBatch(t *testing.T, fromNode uint64, msgFrom ...uint64) *internalv1.StreamRequest {
	t.Helper()
	req := &internalv1.StreamRequest{FromNode: fromNode}
	for _, f := range msgFrom {
		data, err := proto.Marshal(&raftpb.Message{Type: raftpb.MsgHeartbeat.Enum(), From: new(f), To: new(uint64(1)), Term: new(uint64(3))})
		if err != nil {
			t.Fatal(err)
		}
		req.Messages = append(req.Messages, &internalv1.GroupMessage{Group: 9, Message: data})
	}
	return req
}

// TestRaftFromAnotherBrokerThanTheCertificateNeverReachesTheEngine: a
// stream whose certificate names broker 2 may carry only broker 2's messages.
func TestRaftFromAnotherBrokerThanTheCertificateNeverReachesTheEngine(t *testing.T) {
	for name, c := range map[string]struct {
		req       *internalv1.StreamRequest
		delivered int
	}{
		"batch from broker 3":          {raftBatch(t, 3, 3), 0},
		"message from broker 3":        {raftBatch(t, 2, 3), 0},
		"second message from broker 3": {raftBatch(t, 2, 2, 3), 1},
	} {
		eng := &recordingEngine{}
		tr := New(Config{NodeID: 1, Engine: eng, Resolve: func(uint64) (string, bool) { return "", false }})
		err := tr.receive(&onceStream{req: c.req}, 2)
		tr.Close()
		if status.Code(err) != codes.PermissionDenied {
			t.Errorf("%s: receive ended with %v, want PERMISSION_DENIED", name, err)
		}
		if len(eng.got) != c.delivered {
			t.Errorf("%s: %d messages reached the engine, want %d (broker 2's own)", name, len(eng.got), c.delivered)
		}
		for _, env := range eng.got {
			if env.Msg.GetFrom() != 2 {
				t.Errorf("%s: a message from broker %d reached the engine", name, env.Msg.GetFrom())
			}
		}
	}
}

func TestRefusedRaftStreamIsNotRead(t *testing.T) {
	eng := &recordingEngine{}
	refuse := status.Error(codes.PermissionDenied, "not a broker")
	tr := New(Config{NodeID: 1, Engine: eng, Resolve: func(uint64) (string, bool) { return "", false },
		Authenticate: func(context.Context) (uint64, error) { return 0, refuse }})
	defer tr.Close()
	s := &onceStream{req: raftBatch(t, 2, 2)}
	if err := tr.Stream(s); status.Code(err) != codes.PermissionDenied {
		t.Fatalf("Stream = %v, want PERMISSION_DENIED", err)
	}
	if len(eng.got) != 0 || s.req == nil {
		t.Fatalf("a refused stream was read: %d messages reached the engine", len(eng.got))
	}
}
