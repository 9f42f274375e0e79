package server_test

import (
	"errors"
	"io"
	"testing"

	"google.golang.org/grpc"
	"google.golang.org/protobuf/proto"

	sluicev1 "github.com/sluice-io/sluice/gen/go/sluice/v1"
	"github.com/sluice-io/sluice/server/compress"
)

// TestCompressedBatchesForwardedAndRelayed produces a compressed batch
// through a broker without the partition's replica (forwarded, compressed,
// to the leader) and reads it through another such broker (relayed): whole
// batches to a client that accepts the codec, the same records to one that
// does not.
func TestCompressedBatchesForwardedAndRelayed(t *testing.T) {
	c := startCluster(t, 3)
	createTopic(t, c, &sluicev1.CreateTopicRequest{Name: "z", Partitions: 1, ReplicationFactor: 1})
	lead := c.leaderOf("z", 0)
	var others []uint64
	for id := range c.brokers {
		if id != lead {
			others = append(others, id)
		}
	}
	zstd := sluicev1.Compression_COMPRESSION_ZSTD
	recs := richRecords(0, 25)
	batch, err := compress.NewBatch(zstd, recs)
	if err != nil {
		t.Fatal(err)
	}
	stream, err := sluicev1.NewProduceServiceClient(c.conn(others[0])).Produce(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if err := stream.Send(&sluicev1.ProduceRequest{Sequence: 1, Topic: "z", Partition: proto.Int32(0), Batch: batch}); err != nil {
		t.Fatal(err)
	}
	resp, err := recvTimeout(t, stream.Recv)
	if err != nil || resp.GetError() != nil || resp.GetResults()[0].GetError() != nil || resp.GetResults()[0].GetRecordCount() != 25 {
		t.Fatalf("forwarded produce: %v, %v", resp, err)
	}
	want := withOffsets(recs, 0)
	for _, accept := range [][]sluicev1.Compression{nil, {zstd}} {
		got, batches := fetchThrough(t, c.conn(others[1]), &sluicev1.FetchRequest{Topic: "z", AcceptCompression: accept})
		equalRecords(t, got, want)
		if wantBatches := len(accept); batches != wantBatches {
			t.Errorf("accepting %v: %d batches through the relay, want %d", accept, batches, wantBatches)
		}
	}
}

// fetchThrough runs a bounded fetch on conn and returns its records (batches
// decompressed) and how many batches came.
func fetchThrough(t *testing.T, conn *grpc.ClientConn, req *sluicev1.FetchRequest) ([]*sluicev1.Record, int) {
	t.Helper()
	stream, err := sluicev1.NewFetchServiceClient(conn).Fetch(t.Context(), req)
	if err != nil {
		t.Fatal(err)
	}
	var out []*sluicev1.Record
	batches := 0
	for {
		resp, err := recvTimeout(t, stream.Recv)
		if errors.Is(err, io.EOF) {
			return out, batches
		}
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, resp.GetRecords()...)
		for _, b := range resp.GetBatches() {
			recs, err := compress.BatchRecords(b, 0)
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, recs...)
			batches++
		}
	}
}
