package server_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	sluicev1 "github.com/sluice-io/sluice/gen/go/sluice/v1"
	"github.com/sluice-io/sluice/server"
	"github.com/sluice-io/sluice/server/servertest"
)

// TestTopicLifecycle: create, list, describe, produce, look up offsets and
// delete, as an operator would.
func TestTopicLifecycle(t *testing.T) {
	b := servertest.Start(t)
	admin := b.AdminClient
	created, err := admin.CreateTopic(t.Context(), &sluicev1.CreateTopicRequest{
		Name: "orders", Partitions: 3, Configs: map[string]string{"retention.ms": "60000", "cleanup.policy": "delete"}})
	if err != nil {
		t.Fatal(err)
	}
	orders := created.GetTopic()
	checkDescription(t, orders, "orders", []int64{0, 0, 0})
	if len(orders.GetTopicId()) < 16 {
		t.Errorf("topic id %q", orders.GetTopicId())
	}
	if want := map[string]string{"retention.ms": "60000", "cleanup.policy": "delete"}; !mapsEqual(orders.GetConfigs(), want) {
		t.Errorf("configs %v, want %v", orders.GetConfigs(), want)
	}
	billing := b.CreateTopic(t, "billing", 2)
	audit := b.CreateTopic(t, "audit", 1)
	if billing.GetTopicId() == orders.GetTopicId() || audit.GetTopicId() == orders.GetTopicId() {
		t.Errorf("topic ids repeat: %q %q %q", orders.GetTopicId(), billing.GetTopicId(), audit.GetTopicId())
	}

	t.Run("list is sorted by name", func(t *testing.T) {
		checkTopicList(t, b, []*sluicev1.TopicSummary{
			{Name: "audit", TopicId: audit.GetTopicId(), Partitions: 1, ReplicationFactor: 1},
			{Name: "billing", TopicId: billing.GetTopicId(), Partitions: 2, ReplicationFactor: 1},
			{Name: "orders", TopicId: orders.GetTopicId(), Partitions: 3, ReplicationFactor: 1},
		})
	})

	b.Produce(t, "orders", 1, valueRecords("o", 4)...)
	b.Produce(t, "orders", 2, valueRecords("o", 1)...)
	t.Run("describe after produce", func(t *testing.T) {
		d, err := admin.DescribeTopic(t.Context(), &sluicev1.DescribeTopicRequest{Name: "orders"})
		if err != nil {
			t.Fatal(err)
		}
		checkDescription(t, d.GetTopic(), "orders", []int64{0, 4, 1})
		if d.GetTopic().GetTopicId() != orders.GetTopicId() {
			t.Errorf("topic id changed from %q to %q", orders.GetTopicId(), d.GetTopic().GetTopicId())
		}
	})
	t.Run("list offsets", func(t *testing.T) {
		earliest := &sluicev1.ListOffsetsRequest_Boundary{Boundary: sluicev1.Boundary_BOUNDARY_EARLIEST}
		latest := &sluicev1.ListOffsetsRequest_Boundary{Boundary: sluicev1.Boundary_BOUNDARY_LATEST}
		checkOffsets(t, b, &sluicev1.ListOffsetsRequest{Topic: "orders", Spec: earliest}, map[int32]int64{0: 0, 1: 0, 2: 0})
		checkOffsets(t, b, &sluicev1.ListOffsetsRequest{Topic: "orders", Spec: latest}, map[int32]int64{0: 0, 1: 4, 2: 1})
		checkOffsets(t, b, &sluicev1.ListOffsetsRequest{Topic: "orders", Partitions: []int32{1}, Spec: latest}, map[int32]int64{1: 4})
	})

	t.Run("delete", func(t *testing.T) {
		if _, err := admin.DeleteTopic(t.Context(), &sluicev1.DeleteTopicRequest{Name: "billing"}); err != nil {
			t.Fatal(err)
		}
		checkTopicList(t, b, []*sluicev1.TopicSummary{
			{Name: "audit", TopicId: audit.GetTopicId(), Partitions: 1, ReplicationFactor: 1},
			{Name: "orders", TopicId: orders.GetTopicId(), Partitions: 3, ReplicationFactor: 1},
		})
		_, err := admin.DescribeTopic(t.Context(), &sluicev1.DescribeTopicRequest{Name: "billing"})
		checkStatus(t, err, codes.NotFound, `"billing"`)
		_, err = admin.DeleteTopic(t.Context(), &sluicev1.DeleteTopicRequest{Name: "billing"})
		checkStatus(t, err, codes.NotFound, `"billing"`)
		resp := b.ProduceRequest(t, &sluicev1.ProduceRequest{Topic: "billing", Records: valueRecords("b", 1)})
		if resp.GetError().GetCode() != uint32(codes.NotFound) {
			t.Errorf("produce to a deleted topic: %v", resp)
		}
		_, err = b.FetchAllErr(t, &sluicev1.FetchRequest{Topic: "billing"})
		checkStatus(t, err, codes.NotFound, `"billing"`)
		if got := values(b.FetchAll(t, "orders", 1, 0)); len(got) != 4 {
			t.Errorf("orders/1 holds %q after another topic was deleted", got)
		}
	})
}

// checkDescription checks a topic on a single broker: replication 1, each
// partition on broker 1 and led by it, from offset 0 to the high watermarks.
func checkDescription(t *testing.T, d *sluicev1.TopicDescription, name string, hws []int64) {
	t.Helper()
	if d.GetName() != name || d.GetReplicationFactor() != 1 || len(d.GetPartitions()) != len(hws) {
		t.Fatalf("description %v, want %q with replication 1 and %d partitions", d, name, len(hws))
	}
	for i, p := range d.GetPartitions() {
		want := &sluicev1.PartitionDescription{Partition: int32(i), LeaderId: 1, ReplicaIds: []uint64{1}, InSyncReplicaIds: []uint64{1}, LogStartOffset: 0, HighWatermark: hws[i]}
		if !proto.Equal(p, want) {
			t.Errorf("partition %d: %v, want %v", i, p, want)
		}
	}
}

func checkTopicList(t *testing.T, b *servertest.Broker, want []*sluicev1.TopicSummary) {
	t.Helper()
	list, err := b.AdminClient.ListTopics(t.Context(), &sluicev1.ListTopicsRequest{})
	if err != nil {
		t.Fatal(err)
	}
	if !proto.Equal(list, &sluicev1.ListTopicsResponse{Topics: want}) {
		t.Errorf("topics %v, want %v", list.GetTopics(), want)
	}
}

func checkOffsets(t *testing.T, b *servertest.Broker, req *sluicev1.ListOffsetsRequest, want map[int32]int64) {
	t.Helper()
	resp, err := b.AdminClient.ListOffsets(t.Context(), req)
	if err != nil {
		t.Fatal(err)
	}
	got := map[int32]int64{}
	for _, o := range resp.GetOffsets() {
		got[o.GetPartition()] = o.GetOffset()
	}
	if !mapsEqual(got, want) || len(resp.GetOffsets()) != len(want) {
		t.Errorf("ListOffsets(%v) = %v, want %v", req, resp.GetOffsets(), want)
	}
}

func mapsEqual[K comparable, V comparable](a, b map[K]V) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

// TestTopicNames: every name Kafka's rule allows can be created and used.
func TestTopicNames(t *testing.T) {
	b := servertest.Start(t)
	for _, name := range []string{"a", "A-b_c.9", "...", "-", strings.Repeat("n", 249)} {
		t.Run(name[:min(len(name), 10)], func(t *testing.T) {
			b.CreateTopic(t, name, 1)
			b.Produce(t, name, 0, valueRecords(name, 1)...)
			if got := values(b.FetchAll(t, name, 0, 0)); !slices.Equal(got, []string{name + "-0"}) {
				t.Fatalf("read %q", got)
			}
		})
	}
}

// TestDescribeCluster: a single broker is the whole cluster: broker 1 at its
// address, the controller, under a cluster id.
func TestDescribeCluster(t *testing.T) {
	for _, tc := range []struct {
		name      string
		advertise string
	}{{"listener address", ""}, {"advertised address", "sluice-1.example:9092"}} {
		t.Run(tc.name, func(t *testing.T) {
			b := servertest.Start(t, servertest.WithConfig(func(c *server.Config) { c.AdvertiseAddr = tc.advertise }))
			resp, err := b.AdminClient.DescribeCluster(t.Context(), &sluicev1.DescribeClusterRequest{})
			if err != nil {
				t.Fatal(err)
			}
			addr := tc.advertise
			if addr == "" {
				addr = b.Addr
			}
			want := []*sluicev1.Broker{{Id: 1, Address: addr}}
			if resp.GetClusterId() == "" || resp.GetControllerId() != 1 || !proto.Equal(&sluicev1.DescribeClusterResponse{Brokers: want},
				&sluicev1.DescribeClusterResponse{Brokers: resp.GetBrokers()}) {
				t.Fatalf("cluster %v, want brokers %v, controller 1 and a cluster id", resp, want)
			}
		})
	}
}

// TestRecreateDeletedTopic: a deleted topic's name can be used again, and
// the new topic starts empty at offset 0 with nothing of the old one.
func TestRecreateDeletedTopic(t *testing.T) {
	b := servertest.Start(t)
	ids := map[string]bool{}
	for round := range 3 {
		d := b.CreateTopic(t, "again", 2)
		if ids[d.GetTopicId()] {
			t.Fatalf("round %d: topic id %q reused", round, d.GetTopicId())
		}
		ids[d.GetTopicId()] = true
		checkDescription(t, d, "again", []int64{0, 0})
		for p := range int32(2) {
			if got := b.FetchAll(t, "again", p, 0); len(got) != 0 {
				t.Fatalf("round %d: new topic's partition %d holds %q", round, p, values(got))
			}
		}
		first := b.Produce(t, "again", 0, valueRecords("new", 3)...)
		b.Produce(t, "again", 1, valueRecords("new", 2)...)
		if first[0] != 0 {
			t.Fatalf("round %d: first record of the new topic got offset %d", round, first[0])
		}
		if got := values(b.FetchAll(t, "again", 0, 0)); !slices.Equal(got, values(valueRecords("new", 3))) {
			t.Fatalf("round %d: partition 0 holds %q", round, got)
		}
		if _, err := b.AdminClient.DeleteTopic(t.Context(), &sluicev1.DeleteTopicRequest{Name: "again"}); err != nil {
			t.Fatal(err)
		}
	}
}

// TestCreateTopicRightAfterStart: a client that creates a topic as soon as
// a new broker answers gets either a retryable UNAVAILABLE or a usable topic
// (replicated on the broker), never a topic without replicas.
func TestCreateTopicRightAfterStart(t *testing.T) {
	for round := range 5 {
		b := servertest.Start(t, servertest.NoReadyWait())
		var resp *sluicev1.CreateTopicResponse
		var err error
		servertest.WaitFor(t, 20*time.Second, func() bool {
			resp, err = b.AdminClient.CreateTopic(t.Context(), &sluicev1.CreateTopicRequest{Name: "early", Partitions: 1})
			return status.Code(err) != codes.Unavailable
		})
		if err != nil {
			t.Fatalf("round %d: %v", round, err)
		}
		checkDescription(t, resp.GetTopic(), "early", []int64{0})
		b.Stop()
	}
}
