package wire

import (
	"testing"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"

	sluicev1 "github.com/sluice-io/sluice/gen/go/sluice/v1"
	"github.com/sluice-io/sluice/server/compress"
)

func TestBatchFieldNumbers(t *testing.T) {
	check := func(md protoreflect.MessageDescriptor, name string, want int) {
		t.Helper()
		if f := md.Fields().ByName(protoreflect.Name(name)); f == nil || int(f.Number()) != want {
			t.Errorf("%s.%s: want field number %d", md.FullName(), name, want)
		}
	}
	check((&sluicev1.ProduceRequest{}).ProtoReflect().Descriptor(), "batch", produceBatch)
	check((&sluicev1.FetchResponse{}).ProtoReflect().Descriptor(), "batches", fetchBatches)
	rb := (&sluicev1.RecordBatch{}).ProtoReflect().Descriptor()
	check(rb, "compression", batchCompression)
	check(rb, "record_count", batchRecordCount)
	check(rb, "base_offset", batchBaseOffset)
	check(rb, "compressed_records", batchCompressed)
}

// TestCompressedRequestsAndResponses parses a compressed produce request as
// the generated code writes it, and builds a response with a batch that the
// generated code reads back.
func TestCompressedRequestsAndResponses(t *testing.T) {
	recs := []*sluicev1.Record{{TimestampMs: 3, Key: []byte("k")}, {TimestampMs: 4, Offset: 7, Value: []byte("v")}}
	batch, err := compress.NewBatch(sluicev1.Compression_COMPRESSION_LZ4, recs)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := proto.Marshal(&sluicev1.ProduceRequest{Topic: "t", Batch: batch})
	if err != nil {
		t.Fatal(err)
	}
	req, err := ParseProduceRequest(raw, 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	if len(req.Records) != 2 || string(req.Records[0].Key) != "k" || req.Records[1].TimestampMs != 4 ||
		req.Batch.Compression != sluicev1.Compression_COMPRESSION_LZ4 || req.RecordField(1) != "batch.records[1]" {
		t.Fatalf("parsed %+v", req)
	}

	var resp FetchResponse
	resp.Reset(2)
	resp.AddRecord(5, []byte{})
	resp.AddBatch(6, 2, batch.GetCompression(), batch.GetCompressedRecords())
	out := resp.Finish(8, 0)
	if n, err := CountRecords(out); err != nil || n != 3 {
		t.Errorf("CountRecords = %d, %v; want 3", n, err)
	}
	var pb sluicev1.FetchResponse
	if err := proto.Unmarshal(out, &pb); err != nil {
		t.Fatal(err)
	}
	got, err := compress.BatchRecords(pb.GetBatches()[0], 0)
	if err != nil || len(got) != 2 || got[1].GetOffset() != 7 || string(got[1].GetValue()) != "v" {
		t.Fatalf("batch read back as %v, %v", got, err)
	}
	f := AppendCompressedProduceRequest(nil, "t", 1, sluicev1.Acks_ACKS_ALL, batch.GetCompression(), 2, batch.GetCompressedRecords())
	var fr sluicev1.ProduceRequest
	if err := proto.Unmarshal(f, &fr); err != nil || fr.GetPartition() != 1 || !proto.Equal(fr.GetBatch(), batch) {
		t.Fatalf("forwarded request %v, %v; want batch %v", &fr, err, batch)
	}
}
