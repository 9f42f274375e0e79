package main

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	sluicev1 "github.com/sluice-io/sluice/gen/go/sluice/v1"
)

// TestBrokerWithFailedDiskStopsAndOthersTakeOver: on a three-broker
// cluster, the data directory of a partition's leader is removed under it
// while a producer keeps writing. That broker says why and exits non-zero
// within a bounded time (it would otherwise acknowledge writes that no
// restart finds), and the two others elect a new leader that accepts writes.
func TestBrokerWithFailedDiskStopsAndOthersTakeOver(t *testing.T) {
	if testing.Short() {
		t.Skip("process test")
	}
	c := startProcessCluster(t, 3)
	c.logsOnFailure()
	c.brokers[1].mustCLI("", "topic", "create", "disk", "--partitions", "1", "--replication-factor", "3")
	var lead uint64
	waitForT(t, "a leader of disk/0", func() bool {
		var ok bool
		lead, ok = c.leader("disk")
		return ok
	})
	p := &chaosProducer{c: c, topic: "disk"}
	p.run(time.Now().Add(500 * time.Millisecond))
	if len(p.acked) == 0 {
		t.Fatal("no write acknowledged before the disk failed")
	}

	victim := c.brokers[lead]
	if err := os.RemoveAll(victim.dataDir); err != nil {
		t.Fatal(err)
	}
	removed := time.Now()
	// Keep producing to it until it exits.
	ctx, cancel := context.WithCancel(t.Context())
	producing := make(chan struct{})
	defer func() { cancel(); <-producing }()
	conn := c.conns[lead]
	go func() {
		defer close(producing)
		for ctx.Err() == nil {
			reqCtx, done := context.WithTimeout(ctx, time.Second)
			produceOnce(reqCtx, conn, &sluicev1.ProduceRequest{
				Topic: "disk", Partition: proto.Int32(0), Acks: sluicev1.Acks_ACKS_ALL,
				Records: []*sluicev1.Record{{Value: []byte("while the disk is gone")}},
			})
			done()
		}
	}()
	select {
	case err := <-victim.exited:
		cancel()
		t.Logf("broker %d exited %v after its data directory was removed: %v", lead, time.Since(removed).Round(time.Millisecond), err)
		if err == nil {
			t.Errorf("broker %d exited with status 0 after its storage failed, want non-zero", lead)
		}
	case <-time.After(30 * time.Second):
		t.Fatalf("broker %d still runs 30s after its data directory was removed", lead)
	}
	if logs := victim.logs.String(); !strings.Contains(logs, "storage failed") {
		t.Errorf("broker %d's log does not say its storage failed:\n%s", lead, logs)
	}

	cancel()
	<-producing
	delete(c.conns, lead) // c.leader asks only the brokers still running
	var next uint64
	waitForT(t, "another broker to lead disk/0 and accept a write", func() bool {
		var ok bool
		next, ok = c.leader("disk")
		if !ok || next == lead {
			return false
		}
		reqCtx, done := context.WithTimeout(t.Context(), 3*time.Second)
		defer done()
		return produceOnce(reqCtx, c.conns[next], &sluicev1.ProduceRequest{
			Topic: "disk", Partition: proto.Int32(0), Acks: sluicev1.Acks_ACKS_ALL,
			Records: []*sluicev1.Record{{Value: []byte(fmt.Sprintf("after broker %d left", lead))}},
		})
	})
}
