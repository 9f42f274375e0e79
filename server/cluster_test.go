package server_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"slices"
	"sync"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"

	sluicev1 "github.com/sluice-io/sluice/gen/go/sluice/v1"
	"github.com/sluice-io/sluice/server"
	"github.com/sluice-io/sluice/server/engine"
	"github.com/sluice-io/sluice/storage"
)

// testCluster is N brokers in this process, on 127.0.0.1, with their own
// data directories, forming one cluster through --initial-controllers.
type testCluster struct {
	t       *testing.T
	adjust  func(*server.Config)
	addrs   map[uint64]string
	dirs    map[uint64]string
	brokers map[uint64]*server.Broker
	done    map[uint64]chan error
	// creds are the clients' transport credentials; nil: plaintext.
	creds credentials.TransportCredentials
	// dial are the options of the test's client connections (credentials).
	dial []grpc.DialOption
}

func startCluster(t *testing.T, n int) *testCluster {
	return startClusterWith(t, n, nil)
}

// startClusterWith lets a test adjust each broker's configuration.
func startClusterWith(t *testing.T, n int, adjust func(*server.Config)) *testCluster {
	return startClusterDialing(t, n, adjust)
}

// startClusterDialing also sets the options of the test's connections.
func startClusterDialing(t *testing.T, n int, adjust func(*server.Config), dial ...grpc.DialOption) *testCluster {
	c := &testCluster{adjust: adjust, t: t, addrs: map[uint64]string{}, dirs: map[uint64]string{}, brokers: map[uint64]*server.Broker{}, done: map[uint64]chan error{}, dial: dial}
	lis := map[uint64]net.Listener{}
	for id := uint64(1); id <= uint64(n); id++ {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		lis[id], c.addrs[id], c.dirs[id] = l, l.Addr().String(), t.TempDir()
	}
	t.Cleanup(func() {
		for id := range c.brokers {
			c.stop(id)
		}
	})
	for id := uint64(1); id <= uint64(n); id++ {
		c.serve(id, lis[id])
	}
	for id := uint64(1); id <= uint64(n); id++ {
		c.awaitReady(id)
	}
	return c
}

// awaitReady polls until the broker serves clients (it answers UNAVAILABLE
// while it registers and starts its replicas).
func (c *testCluster) awaitReady(id uint64) {
	admin := sluicev1.NewAdminServiceClient(c.conn(id))
	waitFor(c.t, fmt.Sprintf("broker %d to be ready", id), func() bool {
		_, err := admin.DescribeCluster(c.t.Context(), &sluicev1.DescribeClusterRequest{})
		return err == nil
	})
}

func (c *testCluster) serve(id uint64, lis net.Listener) {
	cfg := server.Config{
		NodeID: id, Storage: storage.DefaultOptions(c.dirs[id]), Controllers: c.addrs,
		TickInterval: 20 * time.Millisecond, Logger: slog.New(slog.DiscardHandler),
	}
	if c.adjust != nil {
		c.adjust(&cfg)
	}
	b, err := server.New(cfg)
	if err != nil {
		c.t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- b.Serve(context.Background(), lis) }()
	c.brokers[id], c.done[id] = b, done
}

func (c *testCluster) stop(id uint64) {
	c.brokers[id].Shutdown()
	<-c.done[id]
	delete(c.brokers, id)
}

func (c *testCluster) restart(id uint64) {
	l, err := net.Listen("tcp", c.addrs[id])
	if err != nil {
		c.t.Fatal(err)
	}
	c.serve(id, l)
	c.awaitReady(id)
}

func (c *testCluster) conn(id uint64) *grpc.ClientConn {
	creds := c.creds
	if creds == nil {
		creds = insecure.NewCredentials()
	}
	conn, err := grpc.NewClient(c.addrs[id], append([]grpc.DialOption{grpc.WithTransportCredentials(creds)}, c.dial...)...)
	if err != nil {
		c.t.Fatal(err)
	}
	c.t.Cleanup(func() { conn.Close() })
	return conn
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// leaderOf asks a broker which broker leads a partition, once all live
// brokers agree.
func (c *testCluster) leaderOf(topic string, partition int32) uint64 {
	var lead uint64
	waitFor(c.t, "an agreed leader", func() bool {
		lead = 0
		for id := range c.brokers {
			resp, err := sluicev1.NewAdminServiceClient(c.conn(id)).DescribeTopic(c.t.Context(), &sluicev1.DescribeTopicRequest{Name: topic})
			if err != nil {
				return false
			}
			l := resp.GetTopic().GetPartitions()[partition].GetLeaderId()
			if l == 0 {
				continue // a broker without a replica knows no leader
			}
			if (lead != 0 && l != lead) || c.brokers[l] == nil {
				return false
			}
			lead = l
		}
		return lead != 0
	})
	return lead
}

func produceN(t *testing.T, conn *grpc.ClientConn, topic string, prefix string, n int) {
	t.Helper()
	stream, err := sluicev1.NewProduceServiceClient(conn).Produce(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	for i := range n {
		req := &sluicev1.ProduceRequest{Sequence: uint64(i), Topic: topic, Partition: proto.Int32(0),
			Records: []*sluicev1.Record{{Value: fmt.Appendf(nil, "%s-%d", prefix, i)}}}
		if err := stream.Send(req); err != nil {
			t.Fatal(err)
		}
	}
	if err := stream.CloseSend(); err != nil {
		t.Fatal(err)
	}
	for range n {
		resp, err := stream.Recv()
		if err != nil {
			t.Fatal(err)
		}
		if resp.GetError() != nil || resp.GetResults()[0].GetError() != nil {
			t.Fatalf("produce failed: %v", resp)
		}
	}
}

func readAll(t *testing.T, conn *grpc.ClientConn, topic string) []string {
	t.Helper()
	stream, err := sluicev1.NewFetchServiceClient(conn).Fetch(t.Context(), &sluicev1.FetchRequest{
		Topic: topic, Partitions: []*sluicev1.FetchPartition{{Partition: 0}},
	})
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for {
		resp, err := stream.Recv()
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range resp.GetRecords() {
			if r.GetOffset() != int64(len(out)) {
				t.Fatalf("offset %d at position %d", r.GetOffset(), len(out))
			}
			out = append(out, string(r.GetValue()))
		}
	}
}

// TestReplicatedPartitionSurvivesLeaderLoss: a topic with replication factor
// 3 on three brokers; the leader stops; another takes over; nothing
// acknowledged is lost and all replicas hold the same records at the same
// offsets once the old leader is back.
func TestReplicatedPartitionSurvivesLeaderLoss(t *testing.T) {
	c := startCluster(t, 3)
	admin := sluicev1.NewAdminServiceClient(c.conn(1))
	var err error
	waitFor(t, "the topic to be created", func() bool {
		_, err = admin.CreateTopic(t.Context(), &sluicev1.CreateTopicRequest{Name: "r3", Partitions: 1, ReplicationFactor: 3})
		return err == nil
	})
	lead := c.leaderOf("r3", 0)
	produceN(t, c.conn(lead), "r3", "a", 300)

	c.stop(lead)
	next := c.leaderOf("r3", 0)
	if next == lead {
		t.Fatalf("stopped broker %d still leads", lead)
	}
	produceN(t, c.conn(next), "r3", "b", 300)
	c.restart(lead)

	var want []string
	for i := range 300 {
		want = append(want, fmt.Sprintf("a-%d", i))
	}
	for i := range 300 {
		want = append(want, fmt.Sprintf("b-%d", i))
	}
	for id := range c.brokers {
		waitFor(t, fmt.Sprintf("broker %d to hold all records", id), func() bool {
			return len(readAll(t, c.conn(id), "r3")) == len(want)
		})
		got := readAll(t, c.conn(id), "r3")
		for i := range want {
			if got[i] != want[i] {
				t.Fatalf("broker %d offset %d = %q, want %q", id, i, got[i], want[i])
			}
		}
	}
}

// TestReplicationFactorAboveBrokersIsRefused: the placement refuses a
// replication factor the cluster cannot hold.
func TestReplicationFactorAboveBrokersIsRefused(t *testing.T) {
	c := startCluster(t, 3)
	admin := sluicev1.NewAdminServiceClient(c.conn(2))
	var err error
	waitFor(t, "all brokers registered", func() bool {
		resp, derr := admin.DescribeCluster(t.Context(), &sluicev1.DescribeClusterRequest{})
		return derr == nil && len(resp.GetBrokers()) == 3
	})
	_, err = admin.CreateTopic(t.Context(), &sluicev1.CreateTopicRequest{Name: "r4", Partitions: 1, ReplicationFactor: 4})
	if err == nil {
		t.Fatal("replication factor 4 on 3 brokers was accepted")
	}
}

// TestAnyBrokerAcceptsProduce: records sent to a broker that does not lead
// the partition (a follower, or a broker with no replica at all) are
// forwarded to the leader and acknowledged with their offsets.
func TestAnyBrokerAcceptsProduce(t *testing.T) {
	c := startCluster(t, 3)
	admin := sluicev1.NewAdminServiceClient(c.conn(1))
	for _, spec := range []struct {
		name string
		rf   int32
	}{{"spread", 1}, {"mirrored", 3}} {
		waitFor(t, "topic "+spec.name, func() bool {
			_, err := admin.CreateTopic(t.Context(), &sluicev1.CreateTopicRequest{Name: spec.name, Partitions: 3, ReplicationFactor: spec.rf})
			return err == nil
		})
	}
	for _, topic := range []string{"spread", "mirrored"} {
		lead := c.leaderOf(topic, 0)
		for id := range c.brokers {
			if id != lead {
				produceN(t, c.conn(id), topic, fmt.Sprintf("via-%d", id), 20)
			}
		}
		got := readAll(t, c.conn(lead), topic)
		if len(got) != 40 {
			t.Fatalf("%s: leader holds %d records, want 40 forwarded ones", topic, len(got))
		}
		// Reads work through any broker too: one without a replica relays.
		for id := range c.brokers {
			if got := readAll(t, c.conn(id), topic); len(got) != 40 {
				t.Fatalf("%s: read %d records through broker %d, want 40", topic, len(got), id)
			}
		}
	}
}

// TestShutdownHandsOffLeadership: a broker that stops gracefully hands its
// leaderships over first, so a successor leads the moment it is gone, with
// no election timeout.
func TestShutdownHandsOffLeadership(t *testing.T) {
	c := startCluster(t, 3)
	admin := sluicev1.NewAdminServiceClient(c.conn(1))
	waitFor(t, "the topic to be created", func() bool {
		_, err := admin.CreateTopic(t.Context(), &sluicev1.CreateTopicRequest{Name: "handoff", Partitions: 1, ReplicationFactor: 3})
		return err == nil
	})
	lead := c.leaderOf("handoff", 0)
	c.stop(lead)
	successor := uint64(0)
	for id := range c.brokers {
		resp, err := sluicev1.NewAdminServiceClient(c.conn(id)).DescribeTopic(t.Context(), &sluicev1.DescribeTopicRequest{Name: "handoff"})
		if err != nil {
			t.Fatal(err)
		}
		if l := resp.GetTopic().GetPartitions()[0].GetLeaderId(); l == id {
			successor = id
		}
	}
	if successor == 0 {
		t.Fatalf("no broker leads right after broker %d stopped: leadership was not handed off", lead)
	}
}

// TestFourthBrokerJoins: a broker started with Join follows the metadata as a
// learner and receives replicas of topics created after it joined.
func TestFourthBrokerJoins(t *testing.T) {
	c := startCluster(t, 3)
	admin := sluicev1.NewAdminServiceClient(c.conn(1))
	waitFor(t, "a first topic", func() bool {
		_, err := admin.CreateTopic(t.Context(), &sluicev1.CreateTopicRequest{Name: "early", Partitions: 1, ReplicationFactor: 3})
		return err == nil
	})

	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	c.addrs[4], c.dirs[4] = l.Addr().String(), t.TempDir()
	b, err := server.New(server.Config{
		NodeID: 4, Storage: storage.DefaultOptions(c.dirs[4]), Join: c.addrs[1],
		TickInterval: 20 * time.Millisecond, Logger: slog.New(slog.DiscardHandler),
	})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- b.Serve(context.Background(), l) }()
	c.brokers[4], c.done[4] = b, done

	joined := sluicev1.NewAdminServiceClient(c.conn(4))
	waitFor(t, "the new broker to see four brokers and the early topic", func() bool {
		resp, err := joined.DescribeCluster(t.Context(), &sluicev1.DescribeClusterRequest{})
		if err != nil || len(resp.GetBrokers()) != 4 {
			return false
		}
		_, err = joined.DescribeTopic(t.Context(), &sluicev1.DescribeTopicRequest{Name: "early"})
		return err == nil
	})
	if _, err := admin.CreateTopic(t.Context(), &sluicev1.CreateTopicRequest{Name: "late", Partitions: 4, ReplicationFactor: 2}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the new broker to host replicas of the late topic", func() bool {
		resp, err := joined.DescribeTopic(t.Context(), &sluicev1.DescribeTopicRequest{Name: "late"})
		if err != nil {
			return false
		}
		hosted := 0
		for _, p := range resp.GetTopic().GetPartitions() {
			if slices.Contains(p.GetReplicaIds(), 4) && p.GetLeaderId() != 0 {
				hosted++
			}
		}
		return hosted == 2 // four partitions, two replicas each, over four brokers
	})
}

// netFaults cuts links between brokers: each broker's outgoing raft messages
// pass through it.
type netFaults struct {
	mu  sync.Mutex
	cut map[[2]uint64]bool
}

func (n *netFaults) isolate(id uint64, all []uint64) {
	n.mu.Lock()
	defer n.mu.Unlock()
	for _, o := range all {
		if o != id {
			n.cut[[2]uint64{id, o}], n.cut[[2]uint64{o, id}] = true, true
		}
	}
}

func (n *netFaults) heal() {
	n.mu.Lock()
	n.cut = map[[2]uint64]bool{}
	n.mu.Unlock()
}

func (n *netFaults) wrap(from uint64) func(engine.Transport) engine.Transport {
	return func(next engine.Transport) engine.Transport {
		return engine.TransportFunc(func(msgs []engine.Envelope) {
			n.mu.Lock()
			kept := msgs[:0:0]
			for _, m := range msgs {
				if !n.cut[[2]uint64{from, m.Msg.GetTo()}] {
					kept = append(kept, m)
				}
			}
			n.mu.Unlock()
			next.Send(kept)
		})
	}
}

// TestIsolatedLeaderStopsAcknowledging: a leader cut off from the other two
// brokers stops acknowledging writes (CheckQuorum makes it step down within
// the election timeout); the majority elects a leader and goes on; after the
// partition heals no acknowledged record is lost and the replicas agree.
func TestIsolatedLeaderStopsAcknowledging(t *testing.T) {
	faults := &netFaults{cut: map[[2]uint64]bool{}}
	c := startClusterWith(t, 3, func(cfg *server.Config) { cfg.WrapTransport = faults.wrap(cfg.NodeID) })
	admin := sluicev1.NewAdminServiceClient(c.conn(1))
	waitFor(t, "the topic to be created", func() bool {
		_, err := admin.CreateTopic(t.Context(), &sluicev1.CreateTopicRequest{Name: "split", Partitions: 1, ReplicationFactor: 3})
		return err == nil
	})
	old := c.leaderOf("split", 0)
	produceN(t, c.conn(old), "split", "before", 50)

	faults.isolate(old, []uint64{1, 2, 3})
	cutAt := time.Now()
	// The isolated leader may accept requests, but must never acknowledge
	// them: they cannot reach a majority.
	stream, err := sluicev1.NewProduceServiceClient(c.conn(old)).Produce(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	for i := range 20 {
		req := &sluicev1.ProduceRequest{Sequence: uint64(i), Topic: "split", Partition: proto.Int32(0),
			Records: []*sluicev1.Record{{Value: fmt.Appendf(nil, "isolated-%d", i)}}}
		if err := stream.Send(req); err != nil {
			t.Fatal(err)
		}
	}
	for range 20 {
		resp, err := stream.Recv()
		if err != nil {
			t.Fatal(err)
		}
		if resp.GetError() == nil && resp.GetResults()[0].GetError() == nil {
			t.Fatalf("the isolated leader acknowledged %v", resp)
		}
	}
	stepDown := time.Since(cutAt)
	var rest []uint64
	for id := range c.brokers {
		if id != old {
			rest = append(rest, id)
		}
	}
	var next uint64
	waitFor(t, "the majority to elect a leader", func() bool {
		resp, err := sluicev1.NewAdminServiceClient(c.conn(rest[0])).DescribeTopic(t.Context(), &sluicev1.DescribeTopicRequest{Name: "split"})
		next = resp.GetTopic().GetPartitions()[0].GetLeaderId()
		return err == nil && next != 0 && next != old
	})
	produceN(t, c.conn(next), "split", "after", 50)
	faults.heal()
	t.Logf("the isolated leader failed its requests %v after the cut (election timeout %v)", stepDown, 10*20*time.Millisecond)

	var want []string
	for i := range 50 {
		want = append(want, fmt.Sprintf("before-%d", i))
	}
	for i := range 50 {
		want = append(want, fmt.Sprintf("after-%d", i))
	}
	for id := range c.brokers {
		waitFor(t, fmt.Sprintf("broker %d to converge", id), func() bool {
			return slices.Equal(readAll(t, c.conn(id), "split"), want)
		})
	}
}

// TestMetadataNamesEveryLeader: any broker, including one with no replica of
// a partition, tells clients where each partition's leader is.
func TestMetadataNamesEveryLeader(t *testing.T) {
	c := startCluster(t, 3)
	admin := sluicev1.NewAdminServiceClient(c.conn(1))
	waitFor(t, "the topic to be created", func() bool {
		_, err := admin.CreateTopic(t.Context(), &sluicev1.CreateTopicRequest{Name: "routed", Partitions: 6, ReplicationFactor: 1})
		return err == nil
	})
	for id := range c.brokers {
		md := sluicev1.NewAdminServiceClient(c.conn(id))
		waitFor(t, fmt.Sprintf("broker %d to know every leader", id), func() bool {
			resp, err := md.GetMetadata(t.Context(), &sluicev1.GetMetadataRequest{Topics: []string{"routed"}})
			if err != nil || len(resp.GetBrokers()) != 3 {
				return false
			}
			for _, p := range resp.GetTopics()[0].GetPartitions() {
				// Replication factor 1: the only replica leads.
				if p.GetLeaderId() == 0 || p.GetLeaderId() != p.GetReplicaIds()[0] {
					return false
				}
			}
			return true
		})
	}
	_, err := admin.GetMetadata(t.Context(), &sluicev1.GetMetadataRequest{Topics: []string{"nope"}})
	if status.Code(err) != codes.NotFound {
		t.Fatalf("metadata of an unknown topic: %v", err)
	}
}

// TestFetchMixesLocalAndRelayedPartitions: one Fetch stream over partitions
// spread across brokers gets every record once, and max_total_records holds
// across the local reader and the relays.
func TestFetchMixesLocalAndRelayedPartitions(t *testing.T) {
	c := startCluster(t, 3)
	admin := sluicev1.NewAdminServiceClient(c.conn(1))
	waitFor(t, "the topic to be created", func() bool {
		_, err := admin.CreateTopic(t.Context(), &sluicev1.CreateTopicRequest{Name: "mixed", Partitions: 3, ReplicationFactor: 1})
		return err == nil
	})
	stream, err := sluicev1.NewProduceServiceClient(c.conn(1)).Produce(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	for p := range int32(3) {
		var recs []*sluicev1.Record
		for i := range 10 {
			recs = append(recs, &sluicev1.Record{Value: fmt.Appendf(nil, "p%d-%d", p, i)})
		}
		if err := stream.Send(&sluicev1.ProduceRequest{Sequence: uint64(p), Topic: "mixed", Partition: proto.Int32(p), Records: recs}); err != nil {
			t.Fatal(err)
		}
	}
	for range 3 {
		resp, err := stream.Recv()
		if err != nil || resp.GetError() != nil || resp.GetResults()[0].GetError() != nil {
			t.Fatalf("produce: %v %v", resp, err)
		}
	}
	count := func(total int64) int {
		f, err := sluicev1.NewFetchServiceClient(c.conn(1)).Fetch(t.Context(), &sluicev1.FetchRequest{Topic: "mixed", MaxTotalRecords: total})
		if err != nil {
			t.Fatal(err)
		}
		seen := map[string]bool{}
		for {
			resp, err := f.Recv()
			if err == io.EOF {
				return len(seen)
			}
			if err != nil {
				t.Fatal(err)
			}
			for _, r := range resp.GetRecords() {
				if seen[string(r.GetValue())] {
					t.Fatalf("record %s delivered twice", r.GetValue())
				}
				seen[string(r.GetValue())] = true
			}
		}
	}
	if got := count(0); got != 30 {
		t.Fatalf("read %d records of 30", got)
	}
	if got := count(25); got != 25 {
		t.Fatalf("max_total_records 25 gave %d records", got)
	}
}

// TestLeadersFollowPlacement: a new partition's first replica takes the lead,
// so leaders spread over the brokers as placement rotates the first replica.
func TestLeadersFollowPlacement(t *testing.T) {
	c := startCluster(t, 3)
	admin := sluicev1.NewAdminServiceClient(c.conn(1))
	waitFor(t, "the topic to be created", func() bool {
		_, err := admin.CreateTopic(t.Context(), &sluicev1.CreateTopicRequest{Name: "balanced", Partitions: 6, ReplicationFactor: 3})
		return err == nil
	})
	waitFor(t, "each partition to be led by its first replica", func() bool {
		resp, err := admin.GetMetadata(t.Context(), &sluicev1.GetMetadataRequest{Topics: []string{"balanced"}})
		if err != nil {
			return false
		}
		for _, p := range resp.GetTopics()[0].GetPartitions() {
			if p.GetLeaderId() != p.GetReplicaIds()[0] {
				return false
			}
		}
		return true
	})
}
