package server_test

import (
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"testing"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"

	sluicev1 "github.com/sluice-io/sluice/gen/go/sluice/v1"
	"github.com/sluice-io/sluice/server/partitioner"
)

// produceOne sends one request of one record on a new stream and returns
// the response.
func produceOne(t *testing.T, conn *grpc.ClientConn, req *sluicev1.ProduceRequest) *sluicev1.ProduceResponse {
	t.Helper()
	stream, err := sluicev1.NewProduceServiceClient(conn).Produce(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if err := stream.Send(req); err != nil {
		t.Fatal(err)
	}
	if err := stream.CloseSend(); err != nil {
		t.Fatal(err)
	}
	resp, err := stream.Recv()
	if err != nil {
		t.Fatal(err)
	}
	return resp
}

// produceErr returns the error of the request's only partition, nil when
// it was appended.
func produceErr(resp *sluicev1.ProduceResponse) *sluicev1.Error {
	if resp.GetError() != nil {
		return resp.GetError()
	}
	return resp.GetResults()[0].GetError()
}

func createTopic(t *testing.T, c *testCluster, req *sluicev1.CreateTopicRequest) {
	t.Helper()
	admin := sluicev1.NewAdminServiceClient(c.conn(1))
	waitFor(t, "topic "+req.GetName(), func() bool {
		_, err := admin.CreateTopic(t.Context(), req)
		return err == nil
	})
}

// TestMinInsyncReplicas: with min.insync.replicas=3 on three replicas, an
// acks=all write is refused, retryably and naming the counts, once a
// replica is down, while acks=leader still commits; lowering the config at
// runtime, or the replica's return, lets acks=all through again.
func TestMinInsyncReplicas(t *testing.T) {
	c := startCluster(t, 3)
	createTopic(t, c, &sluicev1.CreateTopicRequest{Name: "isr", Partitions: 1, ReplicationFactor: 3,
		Configs: map[string]string{"min.insync.replicas": "3"}})
	lead := c.leaderOf("isr", 0)
	follower := uint64(1)
	for follower == lead {
		follower++
	}
	other := uint64(6) - lead - follower
	conn := c.conn(other)
	write := func(acks sluicev1.Acks) *sluicev1.Error {
		return produceErr(produceOne(t, conn, &sluicev1.ProduceRequest{Topic: "isr", Partition: new(int32(0)), Acks: acks,
			Records: []*sluicev1.Record{{Value: []byte("v")}}}))
	}
	// Followers count once the leader has heard from them.
	waitFor(t, "an acks=all write with every replica in sync", func() bool { return write(sluicev1.Acks_ACKS_ALL) == nil })

	c.stop(follower)
	var refused *sluicev1.Error
	waitFor(t, "acks=all to be refused with a replica down", func() bool {
		refused = write(sluicev1.Acks_ACKS_ALL)
		return refused != nil && strings.Contains(refused.GetMessage(), "min.insync.replicas")
	})
	if codes.Code(refused.GetCode()) != codes.Unavailable || !refused.GetRetryable() ||
		!strings.Contains(refused.GetMessage(), "2 in-sync replica(s) of 3") || !strings.Contains(refused.GetMessage(), "min.insync.replicas=3") {
		t.Fatalf("refusal %v: want a retryable UNAVAILABLE naming 2 of 3 in sync and min.insync.replicas=3", refused)
	}
	if err := write(sluicev1.Acks_ACKS_LEADER); err != nil {
		t.Fatalf("acks=leader with 2 of 3 replicas: %v", err)
	}

	admin := sluicev1.NewAdminServiceClient(conn)
	if _, err := admin.AlterTopicConfigs(t.Context(), &sluicev1.AlterTopicConfigsRequest{Name: "isr",
		SetConfigs: map[string]string{"min.insync.replicas": "2"}}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "acks=all with min.insync.replicas lowered to 2", func() bool { return write(sluicev1.Acks_ACKS_ALL) == nil })
	if _, err := admin.AlterTopicConfigs(t.Context(), &sluicev1.AlterTopicConfigsRequest{Name: "isr",
		SetConfigs: map[string]string{"min.insync.replicas": "3"}}); err != nil {
		t.Fatal(err)
	}
	c.restart(follower)
	waitFor(t, "acks=all once the replica is back", func() bool { return write(sluicev1.Acks_ACKS_ALL) == nil })
}

// readPartitions reads every partition of a topic through conn (relayed
// where that broker has no replica) and returns the values by partition,
// in offset order from 0.
func readPartitions(t *testing.T, conn *grpc.ClientConn, topic string) map[int32][]string {
	t.Helper()
	stream, err := sluicev1.NewFetchServiceClient(conn).Fetch(t.Context(), &sluicev1.FetchRequest{Topic: topic})
	if err != nil {
		t.Fatal(err)
	}
	out := map[int32][]string{}
	for {
		resp, err := stream.Recv()
		if errors.Is(err, io.EOF) {
			return out
		}
		if err != nil {
			t.Fatalf("read %s: %v", topic, err)
		}
		p := resp.GetPartition()
		for _, r := range resp.GetRecords() {
			if r.GetOffset() != int64(len(out[p])) {
				t.Fatalf("partition %d: offset %d at position %d", p, r.GetOffset(), len(out[p]))
			}
			out[p] = append(out[p], string(r.GetValue()))
		}
	}
}

// produceKeyed produces one record per key, letting the broker choose the
// partition, and returns the partition of each. Retryable errors (a new
// partition's leadership moving to its preferred replica) are retried, as
// clients do.
func produceKeyed(t *testing.T, conn *grpc.ClientConn, topic string, keys []string) []int32 {
	t.Helper()
	out := make([]int32, len(keys))
	for i, k := range keys {
		waitFor(t, "produce of key "+k, func() bool {
			resp := produceOne(t, conn, &sluicev1.ProduceRequest{Topic: topic,
				Records: []*sluicev1.Record{{Key: []byte(k), Value: []byte(k)}}})
			err := produceErr(resp)
			if err != nil && !err.GetRetryable() {
				t.Fatalf("produce key %q: %v", k, err)
			}
			if err == nil {
				out[i] = resp.GetResults()[0].GetPartition()
			}
			return err == nil
		})
	}
	return out
}

// TestRaisePartitions3To6 is the check: raising a topic's partitions
// from 3 to 6 keeps every record readable where it was, and keyed records
// produced afterwards go to murmur2(key) mod 6, through every broker.
func TestRaisePartitions3To6(t *testing.T) {
	c := startCluster(t, 3)
	createTopic(t, c, &sluicev1.CreateTopicRequest{Name: "grow", Partitions: 3, ReplicationFactor: 2})
	keys := make([]string, 60)
	for i := range keys {
		keys[i] = fmt.Sprintf("key-%d", i)
	}
	before := map[int32][]string{}
	for i, p := range produceKeyed(t, c.conn(1), "grow", keys) {
		if want := partitioner.ForKey([]byte(keys[i]), 3); p != want {
			t.Fatalf("key %q went to partition %d, want murmur2 mod 3 = %d", keys[i], p, want)
		}
		before[p] = append(before[p], keys[i])
	}

	resp, err := sluicev1.NewAdminServiceClient(c.conn(2)).CreatePartitions(t.Context(),
		&sluicev1.CreatePartitionsRequest{Name: "grow", Partitions: 6})
	if err != nil {
		t.Fatal(err)
	}
	parts := resp.GetTopic().GetPartitions()
	if len(parts) != 6 {
		t.Fatalf("CreatePartitions answered %d partitions", len(parts))
	}
	for _, p := range parts {
		if len(p.GetReplicaIds()) != 2 || p.GetLeaderId() == 0 {
			t.Fatalf("new partition %v: want 2 replicas and a leader", p)
		}
	}
	// Placement continues the rotation: each partition starts one broker
	// after the one before it, the new ones included.
	for i, p := range parts[1:] {
		prev := parts[i].GetReplicaIds()[0]
		if first := p.GetReplicaIds()[0]; first != prev%3+1 {
			t.Errorf("partition %d placed on %v after partition %d on %v", p.GetPartition(), p.GetReplicaIds(), i, parts[i].GetReplicaIds())
		}
	}

	for id := range c.brokers {
		got := readPartitions(t, c.conn(id), "grow")
		for p := range int32(6) {
			if !slices.Equal(got[p], before[p]) {
				t.Fatalf("through broker %d, partition %d holds %q; want %q", id, p, got[p], before[p])
			}
		}
	}

	after := make([]string, len(keys))
	for i := range keys {
		after[i] = "after-" + keys[i]
	}
	moved := 0
	for id := range c.brokers {
		for i, p := range produceKeyed(t, c.conn(id), "grow", after) {
			want := partitioner.ForKey([]byte(after[i]), 6)
			if p != want {
				t.Fatalf("through broker %d, key %q went to partition %d, want murmur2 mod 6 = %d", id, after[i], p, want)
			}
			if p >= 3 {
				moved++
			}
		}
	}
	if moved == 0 {
		t.Fatal("no key went to a new partition; the check proves nothing")
	}
	// Every new record is in its partition. (A retried write whose first
	// attempt committed after all shows twice: no idempotence here.)
	got := readPartitions(t, c.conn(3), "grow")
	found := map[string]bool{}
	for p, vals := range got {
		if !slices.Equal(vals[:len(before[p])], before[p]) {
			t.Fatalf("partition %d no longer starts with its old records", p)
		}
		for _, v := range vals[len(before[p]):] {
			if want := partitioner.ForKey([]byte(v), 6); want != p {
				t.Fatalf("record %q read from partition %d, want %d", v, p, want)
			}
			found[v] = true
		}
	}
	for _, v := range after {
		if !found[v] {
			t.Fatalf("record %q was acknowledged but is not in the topic", v)
		}
	}
}
