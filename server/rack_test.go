package server_test

import (
	"fmt"
	"testing"

	sluicev1 "github.com/sluice-io/sluice/gen/go/sluice/v1"
	"github.com/sluice-io/sluice/server"
)

// TestRacksSpreadReplicas: brokers registered with racks a, a, b, b show
// their racks in DescribeCluster, and every partition of an RF=2 topic has
// its two replicas on different racks.
func TestRacksSpreadReplicas(t *testing.T) {
	racks := map[uint64]string{1: "a", 2: "a", 3: "b", 4: "b"}
	c := startClusterWith(t, 4, func(cfg *server.Config) { cfg.Rack = racks[cfg.NodeID] })
	admin := sluicev1.NewAdminServiceClient(c.conn(1))
	waitFor(t, "every broker registered with its rack", func() bool {
		resp, err := admin.DescribeCluster(t.Context(), &sluicev1.DescribeClusterRequest{})
		if err != nil || len(resp.GetBrokers()) != 4 {
			return false
		}
		for _, b := range resp.GetBrokers() {
			if b.GetRack() != racks[b.GetId()] {
				return false
			}
		}
		return true
	})
	resp, err := admin.CreateTopic(t.Context(), &sluicev1.CreateTopicRequest{Name: "racked", Partitions: 8, ReplicationFactor: 2})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range resp.GetTopic().GetPartitions() {
		rs := p.GetReplicaIds()
		if len(rs) != 2 || racks[rs[0]] == racks[rs[1]] {
			t.Fatalf("partition %d: replicas %v on racks %s", p.GetPartition(), rs, fmt.Sprint(racks[rs[0]], racks[rs[1]]))
		}
	}
}
