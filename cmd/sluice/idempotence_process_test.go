package main

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/protobuf/proto"

	sluicev1 "github.com/sluice-io/sluice/gen/go/sluice/v1"
)

// TestResendAfterLeaderKillIsWrittenOnce is the idempotent producer's check
// (issue 6): three broker processes, a topic with replication factor 3. An
// idempotent batch is acknowledged, the partition's leader is killed with
// SIGKILL, and the identical request (same producer id, epoch and sequence)
// is sent again through the surviving brokers until one answers. The log
// holds the batch once, and the resend is answered with the original base
// offset.
func TestResendAfterLeaderKillIsWrittenOnce(t *testing.T) {
	if testing.Short() {
		t.Skip("process test")
	}
	c := startProcessCluster(t, 3)
	c.logsOnFailure()
	c.brokers[1].mustCLI("", "topic", "create", "idem", "--partitions", "1", "--replication-factor", "3")
	c.brokers[1].mustCLI("p-0\np-1\np-2\n", "produce", "idem", "--partition", "0")

	var init *sluicev1.InitProducerResponse
	waitForT(t, "a producer id", func() bool {
		var err error
		init, err = sluicev1.NewProduceServiceClient(c.conns[2]).InitProducer(t.Context(), &sluicev1.InitProducerRequest{})
		return err == nil
	})
	req := func(seq int32, prefix string, n int) *sluicev1.ProduceRequest {
		r := &sluicev1.ProduceRequest{
			Topic: "idem", Partition: proto.Int32(0), Acks: sluicev1.Acks_ACKS_ALL,
			ProducerId: init.GetProducerId(), ProducerEpoch: init.GetProducerEpoch(), BaseSequence: seq,
		}
		for i := range n {
			r.Records = append(r.Records, &sluicev1.Record{Value: fmt.Appendf(nil, "%s-%d", prefix, i)})
		}
		return r
	}

	var lead uint64
	waitForT(t, "a leader", func() bool {
		var ok bool
		lead, ok = c.leader("idem")
		return ok
	})
	first := sendUntilAnswered(t, []*grpc.ClientConn{c.conns[lead]}, req(0, "a", 5))
	if first != 3 {
		t.Fatalf("batch written at %d; want 3", first)
	}

	c.brokers[lead].kill()
	var survivors []*grpc.ClientConn
	for id, conn := range c.conns {
		if id != lead {
			survivors = append(survivors, conn)
		}
	}
	start := time.Now()
	again := sendUntilAnswered(t, survivors, req(0, "a", 5))
	t.Logf("the resend was answered %v after the leader was killed", time.Since(start).Round(time.Millisecond))
	if again != first {
		t.Fatalf("the resend was answered with base offset %d; want the original %d", again, first)
	}
	if next := sendUntilAnswered(t, survivors, req(5, "b", 2)); next != 8 {
		t.Fatalf("the next batch was written at %d; want 8", next)
	}

	want := []string{"p-0", "p-1", "p-2", "a-0", "a-1", "a-2", "a-3", "a-4", "b-0", "b-1"}
	for _, conn := range survivors {
		var got []string
		waitForT(t, "a survivor to hold the records", func() bool {
			var err error
			got, err = readReplica(t, conn, "idem")
			return err == nil && len(got) >= len(want)
		})
		if !slices.Equal(got, want) {
			t.Fatalf("the partition holds %q; want %q (each record once)", got, want)
		}
	}
}

// sendUntilAnswered sends req to each broker in turn until one acknowledges
// it (leaders move and elections take a while after a kill) and returns the
// base offset. Any answer other than success or a retryable error fails.
func sendUntilAnswered(t *testing.T, conns []*grpc.ClientConn, req *sluicev1.ProduceRequest) int64 {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	var last string
	for i := 0; time.Now().Before(deadline); i++ {
		ctx, cancel := context.WithTimeout(t.Context(), 3*time.Second)
		resp, err := produceResponse(ctx, conns[i%len(conns)], req)
		cancel()
		switch e := firstError(resp); {
		case err != nil:
			last = err.Error()
		case e != nil && !e.GetRetryable():
			t.Fatalf("produce refused: %v", e)
		case e != nil:
			last = e.GetMessage()
		default:
			return resp.GetResults()[0].GetBaseOffset()
		}
		time.Sleep(50 * time.Millisecond) // an election is under way
	}
	t.Fatalf("no broker acknowledged the request within 30s; last: %s", last)
	return -1
}

func produceResponse(ctx context.Context, conn *grpc.ClientConn, req *sluicev1.ProduceRequest) (*sluicev1.ProduceResponse, error) {
	stream, err := sluicev1.NewProduceServiceClient(conn).Produce(ctx)
	if err != nil {
		return nil, err
	}
	if err := stream.Send(req); err != nil {
		return nil, err
	}
	if err := stream.CloseSend(); err != nil {
		return nil, err
	}
	return stream.Recv()
}

func firstError(resp *sluicev1.ProduceResponse) *sluicev1.Error {
	if e := resp.GetError(); e != nil {
		return e
	}
	for _, r := range resp.GetResults() {
		if e := r.GetError(); e != nil {
			return e
		}
	}
	return nil
}
