package server_test

import (
	"context"
	"strconv"
	"sync"
	"testing"
	"time"

	sluice "github.com/sluice-io/sluice/clients/go"
	sluicev1 "github.com/sluice-io/sluice/gen/go/sluice/v1"
	"github.com/sluice-io/sluice/server"
	"github.com/sluice-io/sluice/server/servertest"
)

// TestProducerFollowsTheLeaderWhenTheOldOneIsCutOff cuts the leader of a
// partition off from the other brokers while clients still reach all three
// (the raft links fail, the client links do not). The cut-off broker still
// answers metadata requests, naming the leader it last knew; the producer
// must believe the majority, whose leader has the higher epoch, and go on
// within a few seconds rather than for the length of the fault.
func TestProducerFollowsTheLeaderWhenTheOldOneIsCutOff(t *testing.T) {
	const fault = 12 * time.Second
	faults := &netFaults{cut: map[[2]uint64]bool{}}
	c := startClusterWith(t, 3, func(cfg *server.Config) { cfg.WrapTransport = faults.wrap(cfg.NodeID) })
	admin := sluicev1.NewAdminServiceClient(c.conn(1))
	waitFor(t, "the topic to be created", func() bool {
		_, err := admin.CreateTopic(t.Context(), &sluicev1.CreateTopicRequest{Name: "cut", Partitions: 1, ReplicationFactor: 3})
		return err == nil
	})
	old := c.leaderOf("cut", 0)
	// The client knows the cut-off broker first: it is the one it would ask.
	addrs := []string{c.addrs[old]}
	for id, a := range c.addrs {
		if id != old {
			addrs = append(addrs, a)
		}
	}
	client, err := sluice.NewClient(addrs)
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	prod, err := sluice.NewProducer(client, sluice.ProducerConfig{})
	if err != nil {
		t.Fatal(err)
	}
	defer prod.Close()

	clock, stopProducing := pacedProducer(t, prod, "cut")
	start := time.Now()
	waitFor(t, "the first acknowledgements", func() bool { return clock.AckedAfter(start) })

	faults.isolate(old, []uint64{1, 2, 3})
	cutAt := time.Now()
	time.Sleep(fault) // the fault itself: the old leader stays cut off this long
	faults.heal()
	healed := time.Now()
	waitFor(t, "acknowledgements after the heal", func() bool { return clock.AckedAfter(healed.Add(time.Second)) })
	stopProducing()
	flushCtx, flushCancel := context.WithTimeout(t.Context(), time.Minute)
	defer flushCancel()
	if err := prod.Flush(flushCtx); err != nil {
		t.Fatal(err)
	}
	gap := clock.LongestGap(cutAt, healed)
	failed, last := clock.Failed()
	t.Logf("leader %d cut off for %v: longest time without an acknowledgement %v; %d acknowledged, %d failed (last: %v)",
		old, fault, gap.Round(10*time.Millisecond), len(clock.Acked()), failed, last)
	// The goal is 5 s: an election (about 1-2 s) and the client's discovery.
	// 8 s leaves room for a loaded machine and still fails a producer that
	// stays on the cut-off broker for the whole fault.
	if gap > 8*time.Second {
		t.Errorf("the producer went %v without an acknowledgement while the leader was cut off from the other brokers for %v", gap.Round(10*time.Millisecond), fault)
	}

	want := clock.Acked()
	recs, err := fetchAllFrom(t, c.conn(c.leaderOf("cut", 0)), &sluicev1.FetchRequest{Topic: "cut", StartAll: atOffset(0)})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]int{}
	for _, r := range recs[0] {
		got[string(r.GetValue())]++
	}
	for _, v := range want {
		if got[v] != 1 {
			t.Fatalf("acknowledged record %s stored %d times", v, got[v])
		}
	}
}

// pacedProducer produces one record to topic every 10 ms (at most 6,000)
// until stop is called, and clocks the acknowledgements.
func pacedProducer(t *testing.T, prod *sluice.Producer, topic string) (clock *servertest.AckClock, stop func()) {
	clock = &servertest.AckClock{}
	ctx, cancel := context.WithCancel(t.Context())
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		tick := time.NewTicker(10 * time.Millisecond)
		defer tick.Stop()
		for i := 0; i < 6000 && ctx.Err() == nil; i++ {
			v := strconv.Itoa(i)
			done := clock.Done(v)
			prod.Produce(ctx, &sluice.Record{Topic: topic, Value: []byte(v)}, func(_ sluice.RecordMetadata, err error) { done(err) })
			select {
			case <-ctx.Done():
			case <-tick.C:
			}
		}
	}()
	return clock, func() { cancel(); wg.Wait() }
}

// TestLeadershipReturningToARestartedBrokerKeepsProducersGoing restarts the
// preferred leader of a partition. Once it is back and caught up, the leader
// balancer hands the leadership back to it; producers must not notice more
// than a moment's pause.
func TestLeadershipReturningToARestartedBrokerKeepsProducersGoing(t *testing.T) {
	c := startClusterWith(t, 3, nil)
	admin := sluicev1.NewAdminServiceClient(c.conn(1))
	waitFor(t, "the topic to be created", func() bool {
		_, err := admin.CreateTopic(t.Context(), &sluicev1.CreateTopicRequest{Name: "back", Partitions: 1, ReplicationFactor: 3})
		return err == nil
	})
	preferred := c.leaderOf("back", 0)
	var addrs []string
	for _, a := range c.addrs {
		addrs = append(addrs, a)
	}
	client, err := sluice.NewClient(addrs)
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	prod, err := sluice.NewProducer(client, sluice.ProducerConfig{})
	if err != nil {
		t.Fatal(err)
	}
	defer prod.Close()
	clock, stopProducing := pacedProducer(t, prod, "back")
	defer stopProducing()
	begun := time.Now()
	waitFor(t, "the first acknowledgements", func() bool { return clock.AckedAfter(begun) })

	c.stop(preferred)
	stopped := time.Now()
	waitFor(t, "acknowledgements from another leader", func() bool { return clock.AckedAfter(stopped.Add(time.Second)) })
	c.restart(preferred)
	restarted := time.Now()
	waitFor(t, "the leadership to return to the restarted broker", func() bool { return c.leaderOf("back", 0) == preferred })
	returned := time.Now()
	waitFor(t, "acknowledgements from the returned leader", func() bool { return clock.AckedAfter(returned.Add(2 * time.Second)) })
	end := time.Now()
	stopProducing()
	gap := clock.LongestGap(restarted, end)
	t.Logf("broker %d back %v after its restart; longest time without an acknowledgement from the restart on: %v",
		preferred, returned.Sub(restarted).Round(10*time.Millisecond), gap.Round(10*time.Millisecond))
	if gap > 2*time.Second {
		t.Errorf("producers went %v without an acknowledgement while the leadership moved back to a restarted broker", gap.Round(10*time.Millisecond))
	}
}
