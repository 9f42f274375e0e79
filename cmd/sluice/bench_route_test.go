package main

import (
	"encoding/json"
	"testing"
)

// TestBenchProduceRoutesToLeaders: on three brokers, a 6-partition run sends
// each partition's requests straight to its leader (a stream per leader) and
// every record is acknowledged; --via-broker sends all through one broker.
func TestBenchProduceRoutesToLeaders(t *testing.T) {
	c := startProcessCluster(t, 3)
	b := c.brokers[1]
	b.mustCLI("", "topic", "create", "routed", "--partitions", "6", "--replication-factor", "3")
	for _, via := range []bool{false, true} {
		args := []string{"bench", "produce", "--topic", "routed", "--records", "6000", "--batch-size", "100",
			"--producers", "2", "--json", "--quiet"}
		if via {
			args = append(args, "--via-broker")
		}
		var s struct {
			Records int64 `json:"records"`
			Failed  int64 `json:"failed"`
		}
		if err := json.Unmarshal([]byte(b.mustCLI("", args...)), &s); err != nil {
			t.Fatal(err)
		}
		if s.Records != 6000 || s.Failed != 0 {
			t.Fatalf("via-broker=%v: %d records acknowledged, %d failed; want 6000 and 0", via, s.Records, s.Failed)
		}
	}
}
