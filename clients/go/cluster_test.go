package sluice_test

import (
	"context"
	"fmt"
	"net"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	sluice "github.com/sluice-io/sluice/clients/go"
)

// startCluster runs n `sluice serve` processes forming one cluster on
// loopback ports reserved for them, and returns their addresses by broker id.
func startCluster(t *testing.T, n int) map[uint64]string {
	t.Helper()
	var addrs, ctl []string
	for i := range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addrs = append(addrs, l.Addr().String())
		l.Close()
		ctl = append(ctl, fmt.Sprintf("%d@%s", i+1, addrs[i]))
	}
	dir := t.TempDir()
	var procs []*broker
	for i, a := range addrs {
		id := strconv.Itoa(i + 1)
		b, err := startBroker(filepath.Join(dir, id), a, "--node-id", id, "--initial-controllers", strings.Join(ctl, ","))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(b.kill)
		procs = append(procs, b)
	}
	out := map[uint64]string{}
	for i, b := range procs {
		if err := b.waitServing(30 * time.Second); err != nil {
			t.Fatal(err)
		}
		out[uint64(i+1)] = addrs[i]
	}
	return out
}

// waitLeaders polls GetMetadata until every partition of topic has a leader.
func waitLeaders(t *testing.T, c *sluice.Client, topic string) sluice.TopicMetadata {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		md, err := c.Metadata(t.Context(), topic)
		if err == nil && len(md.Topics) == 1 {
			ok := true
			for _, p := range md.Topics[0].Partitions {
				ok = ok && p.LeaderID != 0
			}
			if ok {
				return md.Topics[0]
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("partitions of %s still without a leader: %+v, %v", topic, md, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// Three brokers, a topic whose partitions (one replica each) are spread over
// them, and a client that knows only broker 1: the producer sends each
// partition's batches straight to its leader (no broker forwards anything),
// and the consumer reads each partition from the broker that holds it.
func TestProducerRoutesToEachLeaderInACluster(t *testing.T) {
	const partitions, n = 6, 1200
	topic := topicName("routed")
	brokers := startCluster(t, 3)
	c := newClient(t, brokers[1])
	admin := sluice.NewAdmin(c)
	ctx, cancel := context.WithTimeout(t.Context(), 40*time.Second)
	defer cancel()

	// Each broker serves once it is registered, but broker 1 may learn of the
	// others' registration a moment later.
	for deadline := time.Now().Add(20 * time.Second); ; {
		cluster, err := admin.DescribeCluster(ctx)
		if err == nil && len(cluster.Brokers) == 3 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("cluster %+v (%v), want 3 brokers", cluster, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
	createTopic(t, c, sluice.TopicSpec{Name: topic, Partitions: partitions, ReplicationFactor: 1})
	tm := waitLeaders(t, c, topic)
	leaders := map[uint64]bool{}
	for _, p := range tm.Partitions {
		leaders[p.LeaderID] = true
	}
	if len(leaders) != 3 {
		t.Fatalf("leaders %v: the test wants partitions led by all three brokers", tm.Partitions)
	}

	p, _ := sluice.NewProducer(c, sluice.ProducerConfig{BatchMaxRecords: 100})
	defer p.Close()
	recs := make([]*sluice.Record, n)
	for i := range recs {
		recs[i] = testRecord(topic, i)
	}
	reports := produceAll(t, p, recs)
	for i, d := range reports {
		if d.err != nil {
			t.Fatalf("record %d: %v", i, d.err)
		}
	}
	sent := sluice.SentTo(p, topic)
	for _, pm := range tm.Partitions {
		want := brokers[pm.LeaderID]
		for addr, batches := range sent[pm.Partition] {
			if addr != want {
				t.Errorf("partition %d (leader %d at %s): %d batches went to %s", pm.Partition, pm.LeaderID, want, batches, addr)
			}
		}
		if sent[pm.Partition][want] == 0 {
			t.Errorf("partition %d: nothing sent to its leader %s", pm.Partition, want)
		}
	}

	read := consumeAll(t, c, sluice.ConsumerConfig{Topic: topic})
	checkReadBack(t, recs, reports, read)

	offsets, err := admin.ListOffsets(ctx, topic, sluice.Latest)
	if err != nil {
		t.Fatal(err)
	}
	var total int64
	for _, o := range offsets {
		total += o.Offset
	}
	if len(offsets) != partitions || total != n {
		t.Fatalf("high watermarks %+v, want %d records over %d partitions", offsets, n, partitions)
	}
}
