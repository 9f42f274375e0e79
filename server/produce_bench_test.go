//go:build unix

package server_test

import (
	"bytes"
	"fmt"
	"syscall"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	sluicev1 "github.com/sluice-io/sluice/gen/go/sluice/v1"
	"github.com/sluice-io/sluice/server/servertest"
)

// BenchmarkProduceStream measures the broker's produce path: one stream
// keeping window requests in flight to one partition of an in-memory
// broker in the same process, each request of records records of 100
// bytes. One iteration is one request; docs/metrics.md compares it with
// and without the metrics.
func BenchmarkProduceStream(b *testing.B) {
	br := servertest.Start(b)
	br.CreateTopic(b, "bench", 1)
	const window = 64
	for _, records := range []int{1, 100} {
		b.Run(fmt.Sprintf("records=%d", records), func(b *testing.B) {
			recs := make([]*sluicev1.Record, records)
			for i := range recs {
				recs[i] = &sluicev1.Record{Value: bytes.Repeat([]byte{'x'}, 100)}
			}
			stream, err := br.ProduceClient.Produce(b.Context())
			if err != nil {
				b.Fatal(err)
			}
			b.SetBytes(int64(records * 100))
			req := &sluicev1.ProduceRequest{Topic: "bench", Partition: proto.Int32(0), Records: recs}
			sent, acked := 0, 0
			recv := func() {
				resp, err := stream.Recv()
				if err != nil {
					b.Fatal(err)
				}
				if resp.GetError() != nil || resp.GetResults()[0].GetError() != nil {
					b.Fatalf("produce: %v", resp)
				}
				acked++
			}
			cpu0 := cpuTime(b)
			for b.Loop() {
				if sent-acked >= window {
					recv()
				}
				req.Sequence = uint64(sent)
				if err := stream.Send(req); err != nil {
					b.Fatal(err)
				}
				sent++
			}
			for acked < sent {
				recv()
			}
			// CPU time of the whole process (broker and client) per request:
			// less disturbed than wall time by other work on the machine.
			b.ReportMetric(float64((cpuTime(b)-cpu0).Nanoseconds())/float64(sent), "cpu-ns/op")
			if err := stream.CloseSend(); err != nil {
				b.Fatal(err)
			}
		})
	}
}

// cpuTime is the user and system CPU time the process has used.
func cpuTime(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
