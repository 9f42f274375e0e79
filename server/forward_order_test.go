package server_test

import (
	"fmt"
	"testing"

	"google.golang.org/protobuf/proto"

	sluicev1 "github.com/sluice-io/sluice/gen/go/sluice/v1"
)

// TestForwardedProduceKeepsStreamOrder: records a producer pipelines on one
// stream to a broker that does not lead the partition (one without a
// replica, and a follower) are stored in the order sent, as Kafka stores a
// connection's records when nothing fails. Each round starts on a fresh
// topic, right after its creation, when the leader is still settling.
func TestForwardedProduceKeepsStreamOrder(t *testing.T) {
	const rounds, n = 3, 200
	c := startCluster(t, 3)
	admin := sluicev1.NewAdminServiceClient(c.conn(1))
	for _, rf := range []int32{1, 3} {
		for round := range rounds {
			topic := fmt.Sprintf("order-rf%d-%d", rf, round)
			waitFor(t, "topic "+topic, func() bool {
				_, err := admin.CreateTopic(t.Context(), &sluicev1.CreateTopicRequest{Name: topic, Partitions: 1, ReplicationFactor: rf})
				return err == nil
			})
			// The partition's first replica leads it once elected: produce
			// through another broker at once, without waiting for the election.
			via := c.firstReplicaOther(topic)
			conn := c.conn(via)
			waitFor(t, fmt.Sprintf("broker %d to know %s", via, topic), func() bool {
				_, err := sluicev1.NewAdminServiceClient(conn).DescribeTopic(t.Context(), &sluicev1.DescribeTopicRequest{Name: topic})
				return err == nil
			})
			produceN(t, conn, topic, "r", n)
			got := readAll(t, c.conn(c.leaderOf(topic, 0)), topic)
			if len(got) != n {
				t.Fatalf("%s: %d records stored, want %d", topic, len(got), n)
			}
			for i, v := range got {
				if want := fmt.Sprintf("r-%d", i); v != want {
					t.Fatalf("%s (sent through broker %d): offset %d holds %q, want %q: records stored out of send order", topic, via, i, v, want)
				}
			}
		}
	}
}

// firstReplicaOther is a broker other than the first replica of partition 0
// of topic (its preferred leader), as the metadata on broker 1 says.
func (c *testCluster) firstReplicaOther(topic string) uint64 {
	resp, err := sluicev1.NewAdminServiceClient(c.conn(1)).DescribeTopic(c.t.Context(), &sluicev1.DescribeTopicRequest{Name: topic})
	if err != nil {
		c.t.Fatal(err)
	}
	first := resp.GetTopic().GetPartitions()[0].GetReplicaIds()[0]
	for id := range c.brokers {
		if id != first {
			return id
		}
	}
	c.t.Fatal("no broker besides the first replica")
	return 0
}

// TestForwardedProduceAnswersTruthfullyThroughLeaderHandoff: a producer
// pipelines on one stream to a follower while the leader stops and hands
// its leadership off, so forwarded parts are refused and sent again to the
// successor. Every request is answered, and every acknowledged record is
// stored at the offset its answer gave.
func TestForwardedProduceAnswersTruthfullyThroughLeaderHandoff(t *testing.T) {
	const n = 300
	c := startCluster(t, 3)
	admin := sluicev1.NewAdminServiceClient(c.conn(1))
	waitFor(t, "the topic to be created", func() bool {
		_, err := admin.CreateTopic(t.Context(), &sluicev1.CreateTopicRequest{Name: "handoff", Partitions: 1, ReplicationFactor: 3})
		return err == nil
	})
	lead := c.leaderOf("handoff", 0)
	via := lead%3 + 1
	stream, err := sluicev1.NewProduceServiceClient(c.conn(via)).Produce(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	sent := make(chan struct{})
	go func() {
		defer close(sent)
		for i := range n {
			req := &sluicev1.ProduceRequest{Sequence: uint64(i), Topic: "handoff", Partition: proto.Int32(0),
				Records: []*sluicev1.Record{{Value: fmt.Appendf(nil, "r-%d", i)}}}
			if stream.Send(req) != nil {
				return // Recv reports why
			}
		}
		_ = stream.CloseSend()
	}()
	acked := map[int64]string{}
	for i := range n {
		resp, err := recvTimeout(t, stream.Recv)
		if err != nil {
			t.Fatalf("answer %d of %d: %v", i+1, n, err)
		}
		if i == n/4 {
			c.stop(lead) // mid-pipeline: later parts meet a leader that hands off
		}
		r := resp.GetResults()
		if resp.GetError() == nil && len(r) == 1 && r[0].GetError() == nil {
			acked[r[0].GetBaseOffset()] = fmt.Sprintf("r-%d", resp.GetSequence())
		}
	}
	<-sent
	if len(acked) == 0 {
		t.Fatal("no request acknowledged")
	}
	got := readAll(t, c.conn(c.leaderOf("handoff", 0)), "handoff")
	for off, want := range acked {
		if off >= int64(len(got)) || got[off] != want {
			t.Fatalf("acknowledged %q at offset %d, which holds %q (of %d records)", want, off, valueAt(got, off), len(got))
		}
	}
	t.Logf("%d of %d acknowledged, %d stored", len(acked), n, len(got))
}

func valueAt(vals []string, off int64) string {
	if off < int64(len(vals)) {
		return vals[off]
	}
	return "nothing"
}
