package main

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
)

// statusOf runs `sluice cluster status --format json` against broker p.
func statusOf(t *testing.T, p *brokerProc, args ...string) *clusterStatus {
	t.Helper()
	out := p.mustCLI("", append([]string{"cluster", "status", "--format", "json"}, args...)...)
	var st clusterStatus
	if err := json.Unmarshal([]byte(out), &st); err != nil {
		t.Fatalf("cluster status output %q: %v", out, err)
	}
	return &st
}

// caughtUp reports whether every partition has a leader at high watermark
// want[partition] and every replica has no lag.
func caughtUp(st *clusterStatus, want map[int32]int64) bool {
	for _, p := range st.Partitions {
		if p.LeaderID == 0 || len(p.Replicas) != 3 {
			return false
		}
		for _, r := range p.Replicas {
			if r.Lag == nil || *r.Lag != 0 || r.HighWatermark == nil || *r.HighWatermark != want[p.Partition] {
				return false
			}
		}
	}
	return len(st.Partitions) == len(want)
}

// TestClusterStatusOnProcessCluster runs cluster status against three
// broker processes: replicas of a topic with replication factor 3 reach the
// leader's high watermark, and a killed broker is reported, with its
// replicas' figures unknown, while the others still answer.
func TestClusterStatusOnProcessCluster(t *testing.T) {
	if testing.Short() {
		t.Skip("process test")
	}
	c := startProcessCluster(t, 3)
	b1 := c.brokers[1]
	b1.mustCLI("", "topic", "create", "orders", "--partitions", "2", "--replication-factor", "3")
	b1.mustCLI(numberedLines(25), "produce", "orders", "--partition", "0")
	b1.mustCLI(numberedLines(4), "produce", "orders", "--partition", "1")

	var st *clusterStatus
	waitForT(t, "every replica to reach its leader's high watermark", func() bool {
		st = statusOf(t, c.brokers[2])
		return caughtUp(st, map[int32]int64{0: 25, 1: 4})
	})
	if len(st.Brokers) != 3 || st.ClusterID == "" || st.ControllerID == 0 {
		t.Fatalf("status = %+v", st)
	}
	controllers := 0
	for _, b := range st.Brokers {
		if b.Controller {
			controllers++
		}
		if b.Error != "" || b.Address != c.brokers[b.ID].addr {
			t.Errorf("broker %+v, want address %s and no error", b, c.brokers[b.ID].addr)
		}
	}
	if controllers != 1 {
		t.Errorf("%d brokers marked controller", controllers)
	}

	// Every leader reports all three replicas in sync.
	waitForT(t, "every partition to be ok with replicas 1,2,3 in sync", func() bool {
		st = statusOf(t, c.brokers[2])
		for _, p := range st.Partitions {
			if p.State != stateOK || !slices.Equal(p.InSyncReplicaIDs, []uint64{1, 2, 3}) {
				return false
			}
		}
		return len(st.Partitions) == 2
	})
	text := b1.mustCLI("", "cluster", "status")
	for _, want := range []string{"BROKER  ADDRESS", "HIGH WATERMARK", "2 partitions, 0 without a leader, 0 under-replicated; 0 of 6 replicas behind the leader"} {
		if !strings.Contains(text, want) {
			t.Errorf("text status lacks %q:\n%s", want, text)
		}
	}

	c.brokers[3].kill()
	// Broker 3's replicas drop out of their leaders' in-sync sets (within
	// about two election timeouts): both partitions are under-replicated.
	waitForT(t, "both partitions to be under-replicated with replicas 1,2 in sync", func() bool {
		st = statusOf(t, b1, "--topic", "orders")
		for _, p := range st.Partitions {
			if p.State != stateUnderReplicated || !slices.Equal(p.InSyncReplicaIDs, []uint64{1, 2}) {
				return false
			}
		}
		return len(st.Partitions) == 2
	})
	text = b1.mustCLI("", "cluster", "status")
	if want := "2 partitions, 0 without a leader, 2 under-replicated;"; !strings.Contains(text, want) {
		t.Errorf("text status lacks %q:\n%s", want, text)
	}
	st = statusOf(t, b1, "--topic", "orders")
	for _, b := range st.Brokers {
		if (b.ID == 3) != (b.Error != "") {
			t.Errorf("broker %d error %q", b.ID, b.Error)
		}
	}
	for _, p := range st.Partitions {
		for _, r := range p.Replicas {
			if (r.BrokerID == 3) != (r.HighWatermark == nil) {
				t.Errorf("partition %d replica %d: high watermark %v", p.Partition, r.BrokerID, deref(r.HighWatermark))
			}
		}
	}
	text = b1.mustCLI("", "cluster", "status")
	if want := fmt.Sprintf("broker 3 (%s) did not answer", c.brokers[3].addr); !strings.Contains(text, want) {
		t.Errorf("text status lacks %q:\n%s", want, text)
	}
}
