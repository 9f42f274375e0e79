package server_test

import (
	"fmt"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	sluicev1 "github.com/sluice-io/sluice/gen/go/sluice/v1"
	"github.com/sluice-io/sluice/server"
)

// TestAcksLeaderAnswersBeforeTheCommit: with its followers cut off, a leader
// can commit nothing, yet it acknowledges an acks=leader request once its own
// log holds the records, with the offset they would take; an acks=all request
// sent beside it is never acknowledged.
func TestAcksLeaderAnswersBeforeTheCommit(t *testing.T) {
	faults := &netFaults{cut: map[[2]uint64]bool{}}
	c := startClusterWith(t, 3, func(cfg *server.Config) {
		cfg.WrapTransport = faults.wrap(cfg.NodeID)
		// A long election timeout, so the cut-off leader keeps leading
		// while the test talks to it.
		cfg.TickInterval = 100 * time.Millisecond
	})
	admin := sluicev1.NewAdminServiceClient(c.conn(1))
	waitFor(t, "the topic to be created", func() bool {
		_, err := admin.CreateTopic(t.Context(), &sluicev1.CreateTopicRequest{Name: "acks", Partitions: 1, ReplicationFactor: 3})
		return err == nil
	})
	lead := c.leaderOf("acks", 0)
	produceN(t, c.conn(lead), "acks", "before", 10)

	faults.isolate(lead, []uint64{1, 2, 3})
	stream, err := sluicev1.NewProduceServiceClient(c.conn(lead)).Produce(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	send := func(seq uint64, acks sluicev1.Acks, n int) {
		var recs []*sluicev1.Record
		for i := range n {
			recs = append(recs, &sluicev1.Record{Value: fmt.Appendf(nil, "%d-%d", seq, i)})
		}
		err := stream.Send(&sluicev1.ProduceRequest{Sequence: seq, Topic: "acks", Partition: proto.Int32(0), Acks: acks, Records: recs})
		if err != nil {
			t.Fatal(err)
		}
	}
	send(1, sluicev1.Acks_ACKS_ALL, 3)
	send(2, sluicev1.Acks_ACKS_LEADER, 2)
	send(3, sluicev1.Acks_ACKS_LEADER, 4)

	// The acks=leader answers come first; the acks=all one fails once the
	// leader steps down (CheckQuorum).
	got := map[uint64]*sluicev1.ProduceResponse{}
	for range 3 {
		resp, err := stream.Recv()
		if err != nil {
			t.Fatal(err)
		}
		got[resp.GetSequence()] = resp
		if resp.GetSequence() == 1 && len(got) < 3 {
			t.Fatalf("the acks=all request was answered before the acks=leader ones: %v", resp)
		}
	}
	if e := got[1].GetResults()[0].GetError(); e == nil {
		t.Fatalf("a leader cut off from its followers acknowledged acks=all: %v", got[1])
	}
	// Offsets follow the log: the 3 records of request 1 come first.
	for seq, want := range map[uint64]int64{2: 13, 3: 15} {
		r := got[seq].GetResults()[0]
		if r.GetError() != nil || r.GetBaseOffset() != want {
			t.Fatalf("acks=leader request %d: %v, want base offset %d", seq, got[seq], want)
		}
	}
	faults.heal()
}
