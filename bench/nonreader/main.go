// Command nonreader is a producer that never reads its responses, for the
// benchmark of what it costs the other producers of its broker
// (docs/benchmarks.md, "A producer that does not read"). It opens one
// produce stream to a topic, pipelines requests until the broker stops
// reading them (gRPC flow control blocks the send), reports how many it
// sent, and holds the stream open, unread, until --hold is over.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"sync/atomic"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/protobuf/proto"

	sluicev1 "github.com/sluice-io/sluice/gen/go/sluice/v1"
)

func main() {
	broker := flag.String("broker", "127.0.0.1:7070", "broker address")
	topic := flag.String("topic", "stuck", "topic to produce to (must exist)")
	size := flag.Int("record-size", 100, "value bytes per record")
	batch := flag.Int("batch-size", 10, "records per request")
	maxRequests := flag.Int("max-requests", 1_000_000, "requests to send at most")
	hold := flag.Duration("hold", time.Minute, "how long to keep the stream open")
	flag.Parse()
	if err := run(*broker, *topic, *size, *batch, *maxRequests, *hold); err != nil {
		fmt.Fprintln(os.Stderr, "nonreader:", err)
		os.Exit(1)
	}
}

func run(broker, topic string, size, batch, maxRequests int, hold time.Duration) error {
	conn, err := grpc.NewClient(broker, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		return err
	}
	defer conn.Close()
	ctx, cancel := context.WithTimeout(context.Background(), hold)
	defer cancel()
	stream, err := sluicev1.NewProduceServiceClient(conn).Produce(ctx)
	if err != nil {
		return err
	}
	recs := make([]*sluicev1.Record, batch)
	for i := range recs {
		recs[i] = &sluicev1.Record{Value: make([]byte, size)}
	}
	var sent atomic.Int64
	go func() {
		req := &sluicev1.ProduceRequest{Topic: topic, Partition: proto.Int32(0), Records: recs}
		for i := range maxRequests {
			req.Sequence = uint64(i + 1)
			if stream.Send(req) != nil {
				return
			}
			sent.Add(1)
		}
	}()
	// Report once sending has stalled for a second: the broker stopped reading.
	last, since := int64(-1), time.Now()
	for ctx.Err() == nil {
		time.Sleep(100 * time.Millisecond)
		if n := sent.Load(); n != last {
			last, since = n, time.Now()
		} else if time.Since(since) > time.Second {
			fmt.Printf("stalled after %d requests; holding the stream unread\n", n)
			break
		}
	}
	<-ctx.Done()
	return nil
}
