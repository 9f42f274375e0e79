package server_test

import (
	"bytes"
	"log/slog"
	"strings"
	"sync"
	"testing"

	"go.etcd.io/raft/v3/raftpb"
	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/proto"

	sluicev1 "github.com/sluice-io/sluice/gen/go/sluice/v1"
	"github.com/sluice-io/sluice/server"
	"github.com/sluice-io/sluice/server/engine"
)

// lockedBuffer collects a broker's log lines.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// corruptFrom is a transport fault of broker self: entries it sends that
// carry marker arrive at one of its peers (the lowest-numbered) as bytes no
// replica can decode (what bit rot on that peer would leave), so that
// peer's Apply fails. Only a leader sends entries, so the peer is a follower.
func corruptFrom(self uint64, marker []byte) func(engine.Transport) engine.Transport {
	victim := uint64(1)
	if self == 1 {
		victim = 2
	}
	return func(inner engine.Transport) engine.Transport {
		return engine.TransportFunc(func(msgs []engine.Envelope) {
			out := make([]engine.Envelope, len(msgs))
			for i, env := range msgs {
				out[i] = env
				if env.Msg.GetTo() != victim || env.Msg.GetType() != raftpb.MsgApp {
					continue
				}
				for j, ent := range env.Msg.GetEntries() {
					if bytes.Contains(ent.GetData(), marker) {
						m := proto.CloneOf(env.Msg) // the sender's log holds the original
						m.Entries[j].Data = []byte{0xff, 0xff, 0xff}
						out[i].Msg = m
					}
				}
			}
			inner.Send(out)
		})
	}
}

// TestPartitionFailureStaysOnItsReplica: when one broker's replica of a
// partition fails to apply an entry, that replica stops and the broker says
// which partition failed; the broker keeps serving (its other partitions,
// forwarding, the cluster), and the partition goes on with its other
// replicas.
func TestPartitionFailureStaysOnItsReplica(t *testing.T) {
	poison := []byte("poison-record")
	logs := map[uint64]*lockedBuffer{}
	for id := uint64(1); id <= 3; id++ {
		logs[id] = &lockedBuffer{}
	}
	c := startClusterWith(t, 3, func(cfg *server.Config) {
		cfg.WrapTransport = corruptFrom(cfg.NodeID, poison)
		cfg.Logger = slog.New(slog.NewTextHandler(logs[cfg.NodeID], &slog.HandlerOptions{Level: slog.LevelError}))
	})
	t.Cleanup(func() {
		if t.Failed() {
			for id, l := range logs {
				t.Logf("broker %d log:\n%s", id, l)
			}
		}
	})
	createTopic(t, c, &sluicev1.CreateTopicRequest{Name: "bad", Partitions: 1, ReplicationFactor: 3})
	createTopic(t, c, &sluicev1.CreateTopicRequest{Name: "good", Partitions: 1, ReplicationFactor: 3})
	lead := c.leaderOf("bad", 0)
	write := func(via uint64, topic string, value []byte) *sluicev1.Error {
		return produceErr(produceOne(t, c.conn(via), &sluicev1.ProduceRequest{Topic: topic, Partition: proto.Int32(0),
			Records: []*sluicev1.Record{{Value: value}}}))
	}
	if err := write(lead, "bad", poison); err != nil {
		t.Fatalf("produce the entry a follower cannot apply: %v", err)
	}

	var v uint64 // the broker whose replica failed
	waitFor(t, "a follower to report its failed replica", func() bool {
		for id := uint64(1); id <= 3; id++ {
			select {
			case err := <-c.done[id]:
				c.done[id] <- err // for the cleanup's stop
				t.Fatalf("broker %d stopped: %v", id, err)
			default:
			}
			if strings.Contains(logs[id].String(), "partition replica failed") {
				v = id
				return true
			}
		}
		return false
	})
	lead = c.leaderOf("bad", 0)
	if lead == v {
		t.Fatalf("broker %d still leads bad/0 with its failed replica", v)
	}
	line := logs[v].String()
	if !strings.Contains(line, "topic=bad") || !strings.Contains(line, "partition=0") {
		t.Errorf("the failure log does not name the partition:\n%s", line)
	}
	if strings.Contains(line, string(poison)) {
		t.Errorf("the failure log holds the record's bytes:\n%s", line)
	}
	// Its stopped replica serves no more: a reader following bad/0 there is
	// sent, retryably, to another replica.
	follow, err := sluicev1.NewFetchServiceClient(c.conn(v)).Fetch(t.Context(), &sluicev1.FetchRequest{
		Topic: "bad", Follow: true, Partitions: []*sluicev1.FetchPartition{{Partition: 0, Start: atBoundary(sluicev1.Boundary_BOUNDARY_EARLIEST)}},
	})
	if err != nil {
		t.Fatal(err)
	}
	checkStatus(t, streamEnd(t, follow.Recv), codes.Unavailable)
	// The broker still serves: another partition through it, and the
	// failed partition through its leader.
	for i := range 5 {
		if err := write(v, "good", []byte("good")); err != nil {
			t.Fatalf("produce %d to good through broker %d: %v", i, v, err)
		}
		if err := write(lead, "bad", []byte("after")); err != nil {
			t.Fatalf("produce %d to bad/0 on its leader: %v", i, err)
		}
	}
	select {
	case err := <-c.done[v]:
		c.done[v] <- err // for the cleanup's stop
		t.Fatalf("broker %d stopped: %v", v, err)
	default:
	}
}
