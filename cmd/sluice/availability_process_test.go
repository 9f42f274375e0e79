package main

import (
	"context"
	"fmt"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	sluice "github.com/sluice-io/sluice/clients/go"
	"github.com/sluice-io/sluice/server/servertest"
)

// TestProducerMovesOnWhenTheLeaderHangs stops (SIGSTOP) the leader of a
// partition for 15 s while a producer with the SDK's default settings
// writes to it. The other two brokers elect a new leader within a few
// seconds; the producer must find it and go on, rather than wait on the
// hung broker for the whole fault. Every acknowledged record must be stored
// once.
func TestProducerMovesOnWhenTheLeaderHangs(t *testing.T) {
	const fault = 15 * time.Second
	c := startProcessCluster(t, 3)
	c.logsOnFailure()
	var addrs []string
	for id := uint64(1); id <= 3; id++ {
		addrs = append(addrs, c.brokers[id].addr)
	}
	client, err := sluice.NewClient(addrs)
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	const topic = "hang"
	if _, err := sluice.NewAdmin(client).CreateTopic(t.Context(), sluice.TopicSpec{Name: topic, Partitions: 1, ReplicationFactor: 3}); err != nil {
		t.Fatal(err)
	}
	var leader uint64
	waitForT(t, "a leader of "+topic, func() bool { var ok bool; leader, ok = c.leader(topic); return ok })

	prod, err := sluice.NewProducer(client, sluice.ProducerConfig{})
	if err != nil {
		t.Fatal(err)
	}
	clock := &servertest.AckClock{}
	ctx, cancel := context.WithCancel(t.Context())
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { // 10 ms apart, for at most a minute
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
	begun := time.Now()
	waitForT(t, "the first acknowledgements", func() bool { return clock.AckedAfter(begun) })

	hung := c.brokers[leader].cmd.Process
	stopped := time.Now()
	if err := hung.Signal(syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	time.Sleep(fault) // the fault itself: the broker stays stopped this long
	if err := hung.Signal(syscall.SIGCONT); err != nil {
		t.Fatal(err)
	}
	resumed := time.Now()
	waitForT(t, "acknowledgements after the fault", func() bool { return clock.AckedAfter(resumed.Add(time.Second)) })
	cancel()
	wg.Wait()
	flushCtx, flushCancel := context.WithTimeout(t.Context(), time.Minute)
	defer flushCancel()
	_ = prod.Flush(flushCtx)
	prod.Close()

	gap := clock.LongestGap(stopped, resumed)
	failed, last := clock.Failed()
	t.Logf("leader %d stopped for %v: longest time without an acknowledgement %v; %d acknowledged, %d failed (last: %v)",
		leader, fault, gap.Round(10*time.Millisecond), len(clock.Acked()), failed, last)
	// The goal is 5 s (election, then the client's discovery); 8 s leaves
	// room for a loaded machine and still fails a producer that waits out a
	// fault of 15 s.
	if gap > 8*time.Second {
		t.Errorf("the producer went %v without an acknowledgement during a %v stop of the leader", gap.Round(10*time.Millisecond), fault)
	}
	checkStoredOnce(t, c, topic, clock.Acked())
}

// checkStoredOnce reads the partition from a broker and checks that each
// acknowledged value is there exactly once.
func checkStoredOnce(t *testing.T, c *processCluster, topic string, acked []string) {
	t.Helper()
	var stored []string
	waitForT(t, "every acknowledged record to be readable", func() bool {
		var err error
		stored, err = readReplica(t, c.conns[1], topic)
		return err == nil && len(stored) >= len(acked)
	})
	count := map[string]int{}
	for _, v := range stored {
		count[v]++
	}
	var lost, dup []string
	for _, v := range acked {
		switch count[v] {
		case 0:
			lost = append(lost, v)
		case 1:
		default:
			dup = append(dup, v)
		}
	}
	if len(lost) > 0 || len(dup) > 0 {
		t.Fatalf("%d acknowledged records lost (%s), %d stored more than once (%s)", len(lost), firstFew(lost), len(dup), firstFew(dup))
	}
}

func firstFew(vs []string) string {
	if len(vs) > 5 {
		return fmt.Sprint(vs[:5], "...")
	}
	return fmt.Sprint(vs)
}
