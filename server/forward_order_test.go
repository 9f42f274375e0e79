package server_test

import (
	"fmt"
	"testing"

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
