// Command churn opens many produce and fetch streams to one broker, keeps
// them busy, and then waits to be killed: the client side of the measurement
// in docs/memory.md. SIGKILL ends its connections the way a crashed
// client's end; SIGSTOP leaves them open and silent, as a client whose host
// or network vanished.
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"os"
	"sync"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	sluicev1 "github.com/sluice-io/sluice/gen/go/sluice/v1"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:7070", "broker address")
	topic := flag.String("topic", "churn", "topic to produce to and fetch from")
	streams := flag.Int("streams", 150, "produce streams, and as many fetch streams")
	conns := flag.Int("conns", 1, "connections the streams are spread over")
	requests := flag.Int("requests", 64, "requests each produce stream sends without reading a response")
	recordBytes := flag.Int("record-bytes", 64<<10, "bytes of each record")
	flag.Parse()

	ctx := context.Background()
	cs := make([]*grpc.ClientConn, *conns)
	for i := range cs {
		c, err := grpc.NewClient(*addr, grpc.WithTransportCredentials(insecure.NewCredentials()),
			grpc.WithDefaultCallOptions(grpc.MaxCallRecvMsgSize(64<<20)))
		if err != nil {
			log.Fatal(err)
		}
		cs[i] = c
	}
	value := make([]byte, *recordBytes)
	var wg sync.WaitGroup
	for i := range *streams {
		c := cs[i%len(cs)]
		wg.Add(2)
		go func() {
			defer wg.Done()
			produce(ctx, c, *topic, i, *requests, value)
		}()
		go func() {
			defer wg.Done()
			fetch(ctx, c, *topic)
		}()
	}
	wg.Wait()
	fmt.Println("streams open")
	_ = os.Stdout.Sync()
	select {} // until killed
}

// produce sends requests and never reads a response.
func produce(ctx context.Context, c *grpc.ClientConn, topic string, i, n int, value []byte) {
	st, err := sluicev1.NewProduceServiceClient(c).Produce(ctx)
	if err != nil {
		log.Printf("produce %d: %v", i, err)
		return
	}
	for seq := range n {
		req := &sluicev1.ProduceRequest{Sequence: uint64(seq), Topic: topic, Records: []*sluicev1.Record{{Value: value}}}
		done := make(chan error, 1)
		go func() { done <- st.Send(req) }()
		select {
		case err := <-done:
			if err != nil {
				log.Printf("produce %d send: %v", i, err)
				return
			}
		case <-time.After(2 * time.Second):
			return // flow control holds it: the stream is full
		}
	}
}

// fetch follows the topic from its start and reads one response only, so
// the broker's sends fill the stream's window.
func fetch(ctx context.Context, c *grpc.ClientConn, topic string) {
	st, err := sluicev1.NewFetchServiceClient(c).Fetch(ctx, &sluicev1.FetchRequest{
		Topic: topic, Follow: true,
		StartAll: &sluicev1.StartPosition{Position: &sluicev1.StartPosition_Boundary{Boundary: sluicev1.Boundary_BOUNDARY_EARLIEST}},
	})
	if err != nil {
		log.Printf("fetch: %v", err)
		return
	}
	if _, err := st.Recv(); err != nil {
		log.Printf("fetch recv: %v", err)
	}
}
