package sluice_test

import (
	"fmt"
	"testing"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	sluice "github.com/sluice-io/sluice/clients/go"
)

// TestProducerFollowsMorePartitions: after a topic grows from 3 to 6
// partitions, keyed records go to murmur2(key) mod 6 from the client that
// grew it at once, and from another client after its next metadata refresh.
func TestProducerFollowsMorePartitions(t *testing.T) {
	adminClient := newClient(t, brokerAddr)
	other, err := sluice.NewClient([]string{brokerAddr}, sluice.WithMetadataMaxAge(200*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { other.Close() })
	topic := topicName("grow")
	createTopic(t, adminClient, sluice.TopicSpec{Name: topic, Partitions: 3})

	producers := map[string]*sluice.Producer{}
	for name, c := range map[string]*sluice.Client{"admin's": adminClient, "other": other} {
		p, err := sluice.NewProducer(c, sluice.ProducerConfig{})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { p.Close() })
		producers[name] = p
	}
	keys := make([]string, 40)
	for i := range keys {
		keys[i] = fmt.Sprintf("key-%d", i)
	}
	// partitionsOf produces one record per key and returns where each went.
	partitionsOf := func(p *sluice.Producer) []int32 {
		t.Helper()
		recs := make([]*sluice.Record, len(keys))
		for i, k := range keys {
			recs[i] = &sluice.Record{Topic: topic, Key: []byte(k), Value: []byte(k)}
		}
		mds, err := p.ProduceSync(t.Context(), recs...)
		if err != nil {
			t.Fatal(err)
		}
		out := make([]int32, len(mds))
		for i, md := range mds {
			out[i] = md.Partition
		}
		return out
	}
	follows := func(got []int32, n int32) bool {
		for i, p := range got {
			if p != sluice.PartitionForKey([]byte(keys[i]), n) {
				return false
			}
		}
		return true
	}
	for name, p := range producers {
		if got := partitionsOf(p); !follows(got, 3) {
			t.Fatalf("%s producer before the change: %v", name, got)
		}
	}

	d, err := sluice.NewAdmin(adminClient).CreatePartitions(t.Context(), topic, 6)
	if err != nil {
		t.Fatal(err)
	}
	if len(d.Partitions) != 6 {
		t.Fatalf("CreatePartitions described %d partitions", len(d.Partitions))
	}
	if got := partitionsOf(producers["admin's"]); !follows(got, 6) {
		t.Fatalf("the admin's own producer right after the change: %v", got)
	}
	deadline := time.Now().Add(10 * time.Second)
	for !follows(partitionsOf(producers["other"]), 6) {
		if time.Now().After(deadline) {
			t.Fatal("the other client's producer still uses 3 partitions after its metadata refreshes")
		}
	}
}

// TestAlterTopicConfigs: configs change and show with the defaults in effect.
func TestAlterTopicConfigs(t *testing.T) {
	c := newClient(t, brokerAddr)
	admin := sluice.NewAdmin(c)
	topic := topicName("configs")
	createTopic(t, c, sluice.TopicSpec{Name: topic, Partitions: 1, Configs: map[string]string{"retention.ms": "1000"}})
	d, err := admin.AlterTopicConfigs(t.Context(), topic, map[string]string{"message.timestamp.type": "LogAppendTime"}, "retention.ms")
	if err != nil {
		t.Fatal(err)
	}
	if len(d.Configs) != 1 || d.Configs["message.timestamp.type"] != "LogAppendTime" || d.EffectiveConfigs["retention.ms"] != "604800000" {
		t.Fatalf("after alter: configs %v, effective %v", d.Configs, d.EffectiveConfigs)
	}
	if _, err := admin.AlterTopicConfigs(t.Context(), topic, map[string]string{"retention.ms": "soon"}); status.Code(err) != codes.InvalidArgument {
		t.Fatalf("an invalid value: %v, want INVALID_ARGUMENT", err)
	}
}
