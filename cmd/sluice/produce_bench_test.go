package main

import (
	"io"
	"slices"
	"strings"
	"testing"

	"google.golang.org/grpc"

	sluicev1 "github.com/sluice-io/sluice/gen/go/sluice/v1"
)

// instantProducer acknowledges every request as soon as it arrives, so the
// benchmark measures the client.
type instantProducer struct {
	sluicev1.UnimplementedProduceServiceServer
}

func (instantProducer) Produce(stream sluicev1.ProduceService_ProduceServer) error {
	for {
		req, err := stream.Recv()
		if err != nil {
			return nil // io.EOF once the client is done
		}
		err = stream.Send(&sluicev1.ProduceResponse{
			Sequence: req.GetSequence(),
			Results:  []*sluicev1.ProduceResult{{RecordCount: int32(len(req.GetRecords()))}},
		})
		if err != nil {
			return err
		}
	}
}

// BenchmarkProduce100k sends 100,000 lines of about 20 bytes: the case the CLI
// promises to finish well under a second against a local broker.
func BenchmarkProduce100k(b *testing.B) {
	addr := startServer(b, func(s *grpc.Server) {
		sluicev1.RegisterProduceServiceServer(s, instantProducer{})
	})
	input := strings.Repeat("0123456789abcdefghi\n", 100_000)
	b.SetBytes(int64(len(input)))
	for b.Loop() {
		// A pipe delivering 4 KiB writes, like a shell pipeline, rather than
		// one reader with everything ready.
		pr, pw := io.Pipe()
		go func() {
			for chunk := range slices.Chunk([]byte(input), 4<<10) {
				pw.Write(chunk)
			}
			pw.Close()
		}()
		res := runCLI(b, pr, "--broker", addr, "produce", "t")
		if res.code != 0 || res.stdout != "100000 records acknowledged\n" {
			b.Fatalf("produce = %+v", res)
		}
	}
}
