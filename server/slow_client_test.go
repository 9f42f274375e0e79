package server_test

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/protobuf/proto"

	sluicev1 "github.com/sluice-io/sluice/gen/go/sluice/v1"
	"github.com/sluice-io/sluice/server/servertest"
)

// TestNonReadingProducerDoesNotStallOtherPartitions: a producer that
// pipelines requests and never reads a response costs only its own stream.
// Once the broker stops reading that stream, a producer of another topic
// on the same broker keeps getting acknowledgements, and so, after the
// stuck stream goes away, does a producer of the stuck topic.
func TestNonReadingProducerDoesNotStallOtherPartitions(t *testing.T) {
	b := servertest.Start(t)
	b.CreateTopic(t, "stuck", 1)
	b.CreateTopic(t, "other", 1)

	// Its own connection, with a fixed 64 KiB window, so that its unread
	// responses fill the client's window and nothing of anyone else's.
	conn, err := grpc.NewClient(b.Addr, grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithInitialWindowSize(64<<10), grpc.WithInitialConnWindowSize(64<<10))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	stream, err := sluicev1.NewProduceServiceClient(conn).Produce(ctx)
	if err != nil {
		t.Fatal(err)
	}
	const maxRequests = 50_000 // bounds the load loop; far beyond what the broker reads
	var sent, lastSend atomic.Int64
	sendDone := make(chan error, 1)
	go func() {
		req := &sluicev1.ProduceRequest{Topic: "stuck", Partition: proto.Int32(0), Records: []*sluicev1.Record{{Value: []byte("never read")}}}
		for i := range maxRequests {
			req.Sequence = uint64(i + 1)
			if err := stream.Send(req); err != nil {
				sendDone <- err
				return
			}
			sent.Add(1)
			lastSend.Store(time.Now().UnixNano())
		}
		sendDone <- nil
	}()
	// Pipelining until the broker stops reading the stream: Send blocks.
	servertest.WaitFor(t, 30*time.Second, func() bool {
		last := lastSend.Load()
		return sent.Load() > 1000 && time.Since(time.Unix(0, last)) > time.Second
	})
	select {
	case err := <-sendDone:
		t.Fatalf("the non-reading producer sent all %d requests (err %v): the broker never pushed back", maxRequests, err)
	default:
	}
	t.Logf("the broker stopped reading the non-reading stream after %d requests", sent.Load())

	for i := range 20 {
		reqCtx, done := context.WithTimeout(t.Context(), 10*time.Second)
		_, err := b.TryProduce(reqCtx, "other", 0, &sluicev1.Record{Value: []byte("still served")})
		done()
		if err != nil {
			t.Fatalf("produce %d to another topic while a producer does not read: %v", i, err)
		}
	}

	cancel()
	<-sendDone
	reqCtx, done := context.WithTimeout(t.Context(), 10*time.Second)
	defer done()
	if _, err := b.TryProduce(reqCtx, "stuck", 0, &sluicev1.Record{Value: []byte("after")}); err != nil {
		t.Fatalf("produce to the stuck topic after its non-reading producer left: %v", err)
	}
}
