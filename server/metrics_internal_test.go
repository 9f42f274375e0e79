package server_test

import (
	"fmt"
	"strconv"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	dto "github.com/prometheus/client_model/go"

	sluicev1 "github.com/sluice-io/sluice/gen/go/sluice/v1"
	"github.com/sluice-io/sluice/server"
	"github.com/sluice-io/sluice/server/servertest"
)

// internalRegistry is a registry holding a broker's internal collectors, as
// the broker's own registry does.
func internalRegistry(t *testing.T, b *server.Broker) *prometheus.Registry {
	t.Helper()
	reg := prometheus.NewPedanticRegistry()
	for _, c := range server.InternalCollectors(b) {
		if err := reg.Register(c); err != nil {
			t.Fatalf("register internal collector: %v", err)
		}
	}
	return reg
}

// internalSample is the value of the series of name with the given labels (pairs of
// name, value), summed over the series that match; a histogram's count.
func internalSample(t *testing.T, reg prometheus.Gatherer, name string, labels ...string) (float64, bool) {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatalf("gather: %v", err)
	}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
		var sum float64
		found := false
		for _, m := range mf.GetMetric() {
			if !hasLabels(m, labels) {
				continue
			}
			found = true
			switch {
			case m.Gauge != nil:
				sum += m.GetGauge().GetValue()
			case m.Counter != nil:
				sum += m.GetCounter().GetValue()
			case m.Histogram != nil:
				sum += float64(m.GetHistogram().GetSampleCount())
			}
		}
		return sum, found
	}
	return 0, false
}

func hasLabels(m *dto.Metric, pairs []string) bool {
	for i := 0; i+1 < len(pairs); i += 2 {
		ok := false
		for _, l := range m.GetLabel() {
			if l.GetName() == pairs[i] && l.GetValue() == pairs[i+1] {
				ok = true
			}
		}
		if !ok {
			return false
		}
	}
	return true
}

// clusterSum sums a series over the live brokers of a cluster.
func (c *testCluster) clusterSum(name string, labels ...string) float64 {
	return c.sumExcept(0, name, labels...)
}

// sumExcept sums a series over the live brokers other than skip.
func (c *testCluster) sumExcept(skip uint64, name string, labels ...string) float64 {
	var sum float64
	for id, b := range c.brokers {
		if id != skip {
			v, _ := internalSample(c.t, internalRegistry(c.t, b), name, labels...)
			sum += v
		}
	}
	return sum
}

// TestInternalMetricsAreExportedAndLintClean: a broker's internal
// collectors register in a pedantic registry, gather without error and pass
// Prometheus's metric lint; every metric the dashboard relies on is there,
// and they describe the broker (one leader per partition, the controller,
// the cycles that committed what was produced, the storage on disk).
func TestInternalMetricsAreExportedAndLintClean(t *testing.T) {
	b := servertest.Start(t, servertest.OnDisk())
	b.CreateTopic(t, "m", 2)
	for i := range 20 {
		b.Produce(t, "m", int32(i%2), &sluicev1.Record{Value: fmt.Appendf(nil, "v-%d", i)})
	}
	reg := internalRegistry(t, b.Server())
	problems, err := testutil.GatherAndLint(reg)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range problems {
		t.Errorf("lint: %s: %s", p.Metric, p.Text)
	}
	for _, name := range []string{
		"sluice_raft_leaders", "sluice_raft_leadership_changes_total", "sluice_raft_elections_total",
		"sluice_raft_proposals_dropped_total", "sluice_partitions_under_replicated", "sluice_partitions_leaderless",
		"sluice_raft_follower_lag_entries", "sluice_raft_follower_lag_bytes", "sluice_controller_active",
		"sluice_engine_cycle_duration_seconds", "sluice_engine_sync_duration_seconds", "sluice_engine_groups_per_cycle",
		"sluice_engine_entries_per_cycle", "sluice_engine_quiesced_groups",
		"sluice_storage_bytes", "sluice_storage_vlog_gc_runs_total", "sluice_storage_vlog_gc_reclaimed_bytes_total",
		"sluice_storage_lsm_tables",
	} {
		if _, ok := internalSample(t, reg, name); !ok {
			t.Errorf("metric %s is not exported", name)
		}
	}
	want := map[string]float64{"sluice_raft_leaders": 2, "sluice_controller_active": 1,
		"sluice_partitions_under_replicated": 0, "sluice_partitions_leaderless": 0}
	for name, v := range want {
		if got, _ := internalSample(t, reg, name); got != v {
			t.Errorf("%s = %v, want %v", name, got, v)
		}
	}
	if n, _ := internalSample(t, reg, "sluice_engine_cycle_duration_seconds"); n == 0 {
		t.Error("the engine cycle histogram has no observations after 20 produce requests")
	}
	if n, _ := internalSample(t, reg, "sluice_engine_sync_duration_seconds"); n == 0 {
		t.Error("the engine sync histogram has no observations after 20 produce requests")
	}
	if n, _ := internalSample(t, reg, "sluice_raft_elections_total"); n == 0 {
		t.Error("no election counted, though the broker leads its groups")
	}
	lsm, _ := internalSample(t, reg, "sluice_storage_bytes", "kind", "lsm")
	vlog, _ := internalSample(t, reg, "sluice_storage_bytes", "kind", "vlog")
	mem, _ := internalSample(t, reg, "sluice_storage_bytes", "kind", "memtable")
	if lsm+vlog+mem == 0 {
		t.Errorf("storage bytes lsm %v, vlog %v, memtable %v: nothing on disk for a broker with data", lsm, vlog, mem)
	}
}

func createR3(t *testing.T, c *testCluster, name string, partitions int32) {
	t.Helper()
	admin := sluicev1.NewAdminServiceClient(c.conn(1))
	waitFor(t, "the topic to be created", func() bool {
		_, err := admin.CreateTopic(t.Context(), &sluicev1.CreateTopicRequest{Name: name, Partitions: partitions, ReplicationFactor: 3})
		return err == nil
	})
	for p := range partitions {
		c.leaderOf(name, p)
	}
}

// TestMetricsFollowABrokerStoppingAndReturning: with one of three brokers
// stopped, the leaders count the partitions it replicates under-replicated
// and its lag grows with what is produced, while no partition is
// leaderless; its leadership moving shows in the leadership changes and
// elections counters; once it is back and caught up, nothing is
// under-replicated and no follower lags.
func TestMetricsFollowABrokerStoppingAndReturning(t *testing.T) {
	c := startCluster(t, 3)
	createR3(t, c, "ur", 3)
	waitFor(t, "nothing under-replicated with all brokers up", func() bool {
		return c.clusterSum("sluice_partitions_under_replicated") == 0
	})
	// No consumer group ran: the offsets topic does not exist yet.
	if got := c.clusterSum("sluice_raft_leaders"); got != 3 {
		t.Fatalf("the brokers lead %v partitions, want the topic's 3", got)
	}
	lead := c.leaderOf("ur", 0)
	// Counted on the brokers that stay up.
	changes := c.sumExcept(lead, "sluice_raft_leadership_changes_total")
	elections := c.sumExcept(lead, "sluice_raft_elections_total")
	c.stop(lead)
	if got := c.clusterSum("sluice_raft_leadership_changes_total"); got <= changes {
		t.Fatalf("leadership changes %v after broker %d stopped, %v before", got, lead, changes)
	}
	if got := c.clusterSum("sluice_raft_elections_total"); got <= elections {
		t.Fatalf("elections %v after broker %d stopped, %v before", got, lead, elections)
	}
	waitFor(t, "the partitions of the stopped broker under-replicated", func() bool {
		return c.clusterSum("sluice_partitions_under_replicated") >= 3
	})
	next := c.leaderOf("ur", 0)
	produceN(t, c.conn(next), "ur", "down", 50)
	// The leader may put many produce requests in one raft entry: at least
	// one entry, and at least the records' bytes.
	waitFor(t, "the stopped broker's lag in entries and bytes", func() bool {
		e := c.clusterSum("sluice_raft_follower_lag_entries", "topic", "ur")
		b := c.clusterSum("sluice_raft_follower_lag_bytes", "topic", "ur")
		return e >= 1 && b >= float64(50*len("down-0"))
	})
	for id, b := range c.brokers {
		if v, _ := internalSample(t, internalRegistry(t, b), "sluice_partitions_leaderless"); v != 0 {
			t.Fatalf("broker %d counts %v leaderless partitions with two of three brokers up", id, v)
		}
	}
	c.restart(lead)
	waitFor(t, "nothing under-replicated once the broker is back", func() bool {
		return c.clusterSum("sluice_partitions_under_replicated") == 0 &&
			c.clusterSum("sluice_raft_follower_lag_entries", "topic", "ur") == 0
	})
}

// TestTransportBytesMoveWhenProducingAtRF3: what the leader of a
// replication-factor-3 partition is sent shows as bytes and batches sent to
// each follower and received by it.
func TestTransportBytesMoveWhenProducingAtRF3(t *testing.T) {
	c := startCluster(t, 3)
	createR3(t, c, "tb", 1)
	lead := c.leaderOf("tb", 0)
	reg := internalRegistry(t, c.brokers[lead])
	before := map[uint64]float64{}
	for id := range c.brokers {
		if id != lead {
			before[id], _ = internalSample(t, reg, "sluice_transport_sent_bytes_total", "peer", fmt.Sprint(id))
		}
	}
	const n = 200
	produceN(t, c.conn(lead), "tb", "payload-payload-payload", n)
	for id := range before {
		sent, _ := internalSample(t, reg, "sluice_transport_sent_bytes_total", "peer", fmt.Sprint(id))
		if sent-before[id] < n*float64(len("payload-payload-payload-0")) {
			t.Errorf("leader %d sent follower %d %v bytes while %d records were produced", lead, id, sent-before[id], n)
		}
		if b, _ := internalSample(t, reg, "sluice_transport_batches_total", "peer", fmt.Sprint(id)); b == 0 {
			t.Errorf("leader %d counts no batches to follower %d", lead, id)
		}
		recv, _ := internalSample(t, internalRegistry(t, c.brokers[id]), "sluice_transport_received_bytes_total", "peer", fmt.Sprint(lead))
		if recv < n*float64(len("payload-payload-payload-0")) {
			t.Errorf("follower %d received %v bytes from leader %d", id, recv, lead)
		}
	}
}

// TestLeaderlessCountsPartitionsWithoutAQuorum: with two of three brokers
// stopped, the survivor's replicas know no leader and it counts their
// partitions leaderless.
func TestLeaderlessCountsPartitionsWithoutAQuorum(t *testing.T) {
	c := startCluster(t, 3)
	createR3(t, c, "lq", 2)
	survivor := uint64(3)
	c.stop(1)
	c.stop(2)
	reg := internalRegistry(t, c.brokers[survivor])
	waitFor(t, "the survivor to count both partitions leaderless", func() bool {
		v, _ := internalSample(t, reg, "sluice_partitions_leaderless")
		return v >= 2
	})
}

// TestReclaimAfterRetentionShowsInStorageMetrics: once retention removed
// records, the reclaim shows in the reclaim duration histogram, and value
// log GC in its runs, rewrites and reclaimed bytes.
func TestReclaimAfterRetentionShowsInStorageMetrics(t *testing.T) {
	c := startClusterWith(t, 1, func(cfg *server.Config) {
		cfg.RetentionCheckInterval = 50 * time.Millisecond
		cfg.Storage.ValueLogFileSize = 2 << 20
	})
	conn := c.conn(1)
	_, err := sluicev1.NewAdminServiceClient(conn).CreateTopic(t.Context(), &sluicev1.CreateTopicRequest{
		Name: "rc", Partitions: 1, Configs: map[string]string{"retention.bytes": strconv.Itoa(1 << 20)},
	})
	if err != nil {
		t.Fatal(err)
	}
	produceBytes(t, conn, "rc", 24<<20, 16<<10, 16)
	reg := internalRegistry(t, c.brokers[1])
	waitFor(t, "a reclaim and value log GC that gave space back", func() bool {
		reclaims, _ := internalSample(t, reg, "sluice_storage_reclaim_duration_seconds")
		runs, _ := internalSample(t, reg, "sluice_storage_vlog_gc_runs_total")
		rewrites, _ := internalSample(t, reg, "sluice_storage_vlog_gc_rewrites_total")
		freed, _ := internalSample(t, reg, "sluice_storage_vlog_gc_reclaimed_bytes_total")
		return reclaims > 0 && runs > 0 && rewrites > 0 && freed > 0
	})
}
