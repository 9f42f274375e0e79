package sluice

import (
	"testing"

	sluicev1 "github.com/sluice-io/sluice/gen/go/sluice/v1"
)

func answer(topic string, leader, epoch uint64) *sluicev1.GetMetadataResponse {
	return &sluicev1.GetMetadataResponse{Topics: []*sluicev1.TopicMetadata{{Name: topic, Partitions: []*sluicev1.PartitionMetadata{
		{Partition: 0, LeaderId: leader, LeaderEpoch: epoch},
	}}}}
}

// A broker cut off from the others names the leader it last knew; the
// majority's answer has the higher epoch and must win, whichever came first.
func TestMergedMetadataBelievesTheHighestLeaderEpoch(t *testing.T) {
	for name, tc := range map[string]struct {
		answers    []*sluicev1.GetMetadataResponse
		wantLeader uint64
	}{
		"stale answer first":      {[]*sluicev1.GetMetadataResponse{answer("t", 3, 4), answer("t", 1, 5), answer("t", 1, 5)}, 1},
		"stale answer last":       {[]*sluicev1.GetMetadataResponse{answer("t", 1, 5), answer("t", 3, 4)}, 1},
		"a leader beats none":     {[]*sluicev1.GetMetadataResponse{answer("t", 0, 6), answer("t", 2, 5)}, 2},
		"only one answer":         {[]*sluicev1.GetMetadataResponse{answer("t", 3, 4)}, 3},
		"topic known to one only": {[]*sluicev1.GetMetadataResponse{{}, answer("t", 2, 1)}, 2},
		"equal epochs keep first": {[]*sluicev1.GetMetadataResponse{answer("t", 2, 5), answer("t", 2, 5)}, 2},
	} {
		t.Run(name, func(t *testing.T) {
			m := mergeMetadata(tc.answers)
			if len(m.GetTopics()) != 1 || len(m.GetTopics()[0].GetPartitions()) != 1 {
				t.Fatalf("merged %v, want one topic of one partition", m)
			}
			if got := m.GetTopics()[0].GetPartitions()[0].GetLeaderId(); got != tc.wantLeader {
				t.Fatalf("leader %d, want %d", got, tc.wantLeader)
			}
		})
	}
}

// A refresh answered by a broker that is behind must not take the cache back
// to an older leader.
func TestCachedLeaderIsNotReplacedByAnOlderEpoch(t *testing.T) {
	c, err := NewClient([]string{"127.0.0.1:1"}, WithMetadataMaxAge(0))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	withBrokers := func(r *sluicev1.GetMetadataResponse) *sluicev1.GetMetadataResponse {
		r.Brokers = []*sluicev1.Broker{{Id: 1, Address: "a:1"}, {Id: 3, Address: "c:1"}}
		return r
	}
	c.apply(withBrokers(answer("t", 1, 5)))
	c.apply(withBrokers(answer("t", 3, 4)))
	if id, _, _ := c.leader("t", 0); id != 1 {
		t.Fatalf("leader %d after an older answer, want 1 (epoch 5)", id)
	}
	c.apply(withBrokers(answer("t", 3, 6)))
	if id, _, _ := c.leader("t", 0); id != 3 {
		t.Fatalf("leader %d after a newer answer, want 3 (epoch 6)", id)
	}
}
