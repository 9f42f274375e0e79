package server_test

import (
	"bytes"
	"fmt"
	"strings"
	"testing"

	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/proto"

	sluicev1 "github.com/sluice-io/sluice/gen/go/sluice/v1"
	"github.com/sluice-io/sluice/server"
	"github.com/sluice-io/sluice/server/compress"
	"github.com/sluice-io/sluice/server/servertest"
)

var allCodecs = []sluicev1.Compression{
	sluicev1.Compression_COMPRESSION_GZIP, sluicev1.Compression_COMPRESSION_SNAPPY,
	sluicev1.Compression_COMPRESSION_LZ4, sluicev1.Compression_COMPRESSION_ZSTD,
}

// richRecords returns n records from index from with keys, headers, values
// and timestamps: everything a compressed batch must carry through.
func richRecords(from, n int) []*sluicev1.Record {
	out := make([]*sluicev1.Record, n)
	for i := range out {
		k := from + i
		out[i] = &sluicev1.Record{
			TimestampMs: 1_700_000_000_000 + int64(k),
			Key:         fmt.Appendf(nil, "key-%d", k%3),
			Value:       fmt.Appendf(nil, `{"n":%d,"pad":%q}`, k, strings.Repeat("abc", 30)),
			Headers:     []*sluicev1.Header{{Key: "trace", Value: fmt.Appendf(nil, "t-%d", k)}, {Key: "trace", Value: []byte{}}},
		}
	}
	return out
}

// withOffsets returns copies of recs with offsets from base on.
func withOffsets(recs []*sluicev1.Record, base int64) []*sluicev1.Record {
	out := make([]*sluicev1.Record, len(recs))
	for i, r := range recs {
		out[i] = proto.CloneOf(r)
		out[i].Offset = base + int64(i)
	}
	return out
}

func batchRequest(t *testing.T, topic string, partition *int32, c sluicev1.Compression, recs []*sluicev1.Record) *sluicev1.ProduceRequest {
	t.Helper()
	batch, err := compress.NewBatch(c, recs)
	if err != nil {
		t.Fatal(err)
	}
	return &sluicev1.ProduceRequest{Topic: topic, Partition: partition, Batch: batch}
}

// produceBatch produces recs as one compressed batch to a partition and
// returns its base offset.
func produceBatch(t *testing.T, b *servertest.Broker, topic string, partition int32, c sluicev1.Compression, recs []*sluicev1.Record) int64 {
	t.Helper()
	resp, err := b.TryProduceRequest(t.Context(), batchRequest(t, topic, proto.Int32(partition), c, recs))
	if err != nil {
		t.Fatal(err)
	}
	if resp.GetError() != nil || len(resp.GetResults()) != 1 || resp.GetResults()[0].GetError() != nil ||
		int(resp.GetResults()[0].GetRecordCount()) != len(recs) {
		t.Fatalf("produce %s batch: %v", c, resp)
	}
	return resp.GetResults()[0].GetBaseOffset()
}

// fetched is what a bounded fetch returned: every record (batches
// decompressed, in stream order) and the batches' codecs.
type fetched struct {
	records []*sluicev1.Record
	batches []sluicev1.Compression
	// plainAfterBatch is set when a response's records held an offset above
	// one of its batches (the order fetch promises).
	plainAfterBatch bool
}

func fetchDecoded(t *testing.T, b *servertest.Broker, req *sluicev1.FetchRequest) fetched {
	t.Helper()
	resps, err := fetchResponses(t, b, req)
	if err != nil {
		t.Fatalf("fetch: %v", err)
	}
	var out fetched
	for _, resp := range resps {
		out.records = append(out.records, resp.GetRecords()...)
		for _, bt := range resp.GetBatches() {
			if n := len(resp.GetRecords()); n > 0 && resp.GetRecords()[n-1].GetOffset() >= bt.GetBaseOffset() {
				out.plainAfterBatch = true
			}
			recs, err := compress.BatchRecords(bt, 0)
			if err != nil {
				t.Fatalf("batch at %d: %v", bt.GetBaseOffset(), err)
			}
			out.records = append(out.records, recs...)
			out.batches = append(out.batches, bt.GetCompression())
		}
	}
	return out
}

func fetchAt(topic string, from int64, accept ...sluicev1.Compression) *sluicev1.FetchRequest {
	return &sluicev1.FetchRequest{
		Topic: topic, Partitions: []*sluicev1.FetchPartition{{Partition: 0, Start: atOffset(from)}}, AcceptCompression: accept,
	}
}

// TestCompressedRoundTrip produces compressed batches with every codec and
// reads them back plain and compressed, from the cache and from storage:
// same records, offsets, keys, headers and timestamps either way.
func TestCompressedRoundTrip(t *testing.T) {
	for _, mode := range []struct {
		name  string
		cache int
	}{{"cache", 0}, {"storage", 1}} {
		t.Run(mode.name, func(t *testing.T) {
			b := servertest.Start(t, servertest.WithConfig(func(c *server.Config) { c.Limits.CacheBytes = mode.cache }))
			for _, c := range allCodecs {
				topic := "t-" + compress.Name(c)
				b.CreateTopic(t, topic, 1)
				var want []*sluicev1.Record
				for i, n := range []int{5, 7, 3} {
					recs := richRecords(len(want), n)
					if base := produceBatch(t, b, topic, 0, c, recs); base != int64(len(want)) {
						t.Fatalf("%s batch %d: base offset %d, want %d", c, i, base, len(want))
					}
					want = append(want, withOffsets(recs, int64(len(want)))...)
				}
				plain := fetchDecoded(t, b, fetchAt(topic, 0))
				equalRecords(t, plain.records, want)
				if len(plain.batches) != 0 {
					t.Errorf("%s: a client that accepts no codec got batches %v", c, plain.batches)
				}
				packed := fetchDecoded(t, b, fetchAt(topic, 0, allCodecs...))
				equalRecords(t, packed.records, want)
				if len(packed.batches) != 3 || packed.batches[0] != c {
					t.Errorf("%s: compressed read got batches %v, want 3 of %v", c, packed.batches, c)
				}
				other := fetchDecoded(t, b, fetchAt(topic, 0, otherCodec(c)))
				equalRecords(t, other.records, want)
				if len(other.batches) != 0 {
					t.Errorf("%s: a client accepting only %v got batches %v", c, otherCodec(c), other.batches)
				}
			}
		})
	}
}

func otherCodec(c sluicev1.Compression) sluicev1.Compression {
	if c == sluicev1.Compression_COMPRESSION_ZSTD {
		return sluicev1.Compression_COMPRESSION_GZIP
	}
	return sluicev1.Compression_COMPRESSION_ZSTD
}

// TestFetchStartsInsideCompressedBatch reads from offsets inside a batch:
// no client sees a record before its start, and a compressed reader gets the
// rest of the first batch plain, then whole batches.
func TestFetchStartsInsideCompressedBatch(t *testing.T) {
	b := servertest.Start(t)
	b.CreateTopic(t, "t", 1)
	zstd := sluicev1.Compression_COMPRESSION_ZSTD
	first, second := richRecords(0, 10), richRecords(10, 5)
	produceBatch(t, b, "t", 0, zstd, first)
	produceBatch(t, b, "t", 0, zstd, second)
	want := withOffsets(append(append([]*sluicev1.Record{}, first...), second...), 0)
	for _, from := range []int64{1, 4, 9, 10, 14} {
		plain := fetchDecoded(t, b, fetchAt("t", from))
		equalRecords(t, plain.records, want[from:])
		packed := fetchDecoded(t, b, fetchAt("t", from, zstd))
		equalRecords(t, packed.records, want[from:])
		if packed.plainAfterBatch {
			t.Errorf("from %d: plain records after a batch in one response", from)
		}
		wantBatches := 1
		if from > 10 {
			wantBatches = 0
		} else if from == 10 {
			wantBatches = 1
		}
		if len(packed.batches) != wantBatches {
			t.Errorf("from %d: got %d whole batches, want %d", from, len(packed.batches), wantBatches)
		}
	}
	// Response limits smaller than a batch cut it into plain records, in
	// order, and never skip or repeat one.
	for _, maxRecs := range []int32{1, 3, 7} {
		req := fetchAt("t", 2, zstd)
		req.MaxRecords = maxRecs
		got := fetchDecoded(t, b, req)
		equalRecords(t, got.records, want[2:])
	}
	req := fetchAt("t", 0, zstd)
	req.MaxBytes = 10 // smaller than any batch: each still goes whole, alone
	resps, err := fetchResponses(t, b, req)
	if err != nil {
		t.Fatal(err)
	}
	if len(resps) != 2 || len(resps[0].GetBatches()) != 1 || len(resps[1].GetBatches()) != 1 {
		t.Errorf("max_bytes 10: got %d responses %v, want two of one batch each", len(resps), resps)
	}
	// A total limit makes the broker send plain records, so it can be exact.
	req = fetchAt("t", 3, zstd)
	req.MaxTotalRecords = 4
	got := fetchDecoded(t, b, req)
	equalRecords(t, got.records, want[3:7])
	if len(got.batches) != 0 {
		t.Errorf("max_total_records: got batches %v", got.batches)
	}
}

// TestCompressedBatchRefused checks that bad batches are refused with
// INVALID_ARGUMENT naming the field, and that nothing of them is stored.
func TestCompressedBatchRefused(t *testing.T) {
	b := servertest.Start(t, servertest.WithConfig(func(c *server.Config) { c.Limits.MaxDecompressedBytes = 1 << 20 }))
	b.CreateTopic(t, "t", 1)
	zstd := sluicev1.Compression_COMPRESSION_ZSTD
	good := func() *sluicev1.ProduceRequest { return batchRequest(t, "t", proto.Int32(0), zstd, richRecords(0, 4)) }
	big, err := compress.NewBatch(zstd, []*sluicev1.Record{{Value: bytes.Repeat([]byte("a"), 2<<20)}})
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name   string
		mutate func(*sluicev1.ProduceRequest)
		field  string
		says   string
	}{
		{"unknown codec", func(r *sluicev1.ProduceRequest) { r.Batch.Compression = 9 }, "batch.compression", "unknown codec 9"},
		{"corrupt", func(r *sluicev1.ProduceRequest) { r.Batch.CompressedRecords[len(r.Batch.CompressedRecords)/2] ^= 0xff }, "batch.compressed_records", "does not decompress"},
		{"wrong codec", func(r *sluicev1.ProduceRequest) { r.Batch.Compression = sluicev1.Compression_COMPRESSION_GZIP }, "batch.compressed_records", "gzip"},
		{"fewer records", func(r *sluicev1.ProduceRequest) { r.Batch.RecordCount = 3 }, "batch.record_count", "holds 4 records"},
		{"more records", func(r *sluicev1.ProduceRequest) { r.Batch.RecordCount = 5 }, "batch.record_count", "holds 4 records"},
		{"no count", func(r *sluicev1.ProduceRequest) { r.Batch.RecordCount = 0 }, "batch.record_count", "at least 1"},
		{"records and batch", func(r *sluicev1.ProduceRequest) { r.Records = richRecords(0, 1) }, "batch", "not both"},
		{"too large", func(r *sluicev1.ProduceRequest) { r.Batch = big }, "batch.compressed_records", fmt.Sprint(1 << 20)},
		{"not records", func(r *sluicev1.ProduceRequest) {
			data, _ := compress.Encode(zstd, []byte{0x7f, 1, 2})
			r.Batch = &sluicev1.RecordBatch{Compression: zstd, RecordCount: 1, CompressedRecords: data}
		}, "batch.compressed_records", "cut short"},
	}
	for _, tc := range cases {
		req := good()
		tc.mutate(req)
		resp, err := b.TryProduceRequest(t.Context(), req)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		e := resp.GetError()
		if codes.Code(e.GetCode()) != codes.InvalidArgument || !strings.HasPrefix(e.GetMessage(), tc.field+":") || !strings.Contains(e.GetMessage(), tc.says) {
			t.Errorf("%s: got %v, want INVALID_ARGUMENT on %s saying %q", tc.name, e, tc.field, tc.says)
		}
	}
	if got := b.FetchAll(t, "t", 0, 0); len(got) != 0 {
		t.Errorf("refused batches stored %d records", len(got))
	}
	_, err = fetchResponses(t, b, &sluicev1.FetchRequest{Topic: "t", AcceptCompression: []sluicev1.Compression{7}})
	st := checkStatus(t, err, codes.InvalidArgument, "unknown codec 7")
	checkBadRequest(t, st, "accept_compression[0]")
}

// TestCompressionTypeRecompresses checks the topic's compression.type: a
// codec recompresses what producers send, uncompressed stores plain, and
// producer (the default) keeps the producer's codec.
func TestCompressionTypeRecompresses(t *testing.T) {
	b := servertest.Start(t)
	gzip, lz4, zstd := sluicev1.Compression_COMPRESSION_GZIP, sluicev1.Compression_COMPRESSION_LZ4, sluicev1.Compression_COMPRESSION_ZSTD
	recs := richRecords(0, 6)

	b.CreateTopic(t, "to-zstd", 1, "compression.type", "zstd")
	b.Produce(t, "to-zstd", 0, recs...)
	produceBatch(t, b, "to-zstd", 0, gzip, recs)
	got := fetchDecoded(t, b, fetchAt("to-zstd", 0, allCodecs...))
	equalRecords(t, got.records, withOffsets(append(append([]*sluicev1.Record{}, recs...), recs...), 0))
	if len(got.batches) != 2 || got.batches[0] != zstd || got.batches[1] != zstd {
		t.Errorf("compression.type=zstd stored batches %v, want two zstd", got.batches)
	}

	b.CreateTopic(t, "plain", 1, "compression.type", "uncompressed")
	produceBatch(t, b, "plain", 0, lz4, recs)
	got = fetchDecoded(t, b, fetchAt("plain", 0, allCodecs...))
	equalRecords(t, got.records, withOffsets(recs, 0))
	if len(got.batches) != 0 {
		t.Errorf("compression.type=uncompressed stored batches %v", got.batches)
	}

	// Records without timestamps get the broker's, so the broker compresses
	// them again with the producer's codec.
	b.CreateTopic(t, "keep", 1)
	stampless := richRecords(0, 3)
	for _, r := range stampless {
		r.TimestampMs = 0
	}
	produceBatch(t, b, "keep", 0, lz4, stampless)
	got = fetchDecoded(t, b, fetchAt("keep", 0, allCodecs...))
	if len(got.batches) != 1 || got.batches[0] != lz4 || len(got.records) != 3 {
		t.Fatalf("compression.type=producer: batches %v, %d records; want one lz4 batch of 3", got.batches, len(got.records))
	}
	for _, r := range got.records {
		if r.GetTimestampMs() == 0 {
			t.Errorf("record %d kept no timestamp", r.GetOffset())
		}
	}

	// LogAppendTime replaces the producer's times inside a compressed batch.
	b.CreateTopic(t, "append-time", 1, "message.timestamp.type", "LogAppendTime")
	produceBatch(t, b, "append-time", 0, zstd, recs)
	for _, r := range fetchDecoded(t, b, fetchAt("append-time", 0)).records {
		if r.GetTimestampMs() < 1_750_000_000_000 {
			t.Errorf("record %d kept the producer's time %d under LogAppendTime", r.GetOffset(), r.GetTimestampMs())
		}
	}
}

// TestPlainClientReadsCompressedTopicIdentically produces the same records
// to an uncompressed topic and, compressed, to another; a client reading
// both plain gets identical records, and a compressed batch sent to no
// partition is split by key like plain records.
func TestPlainClientReadsCompressedTopicIdentically(t *testing.T) {
	b := servertest.Start(t)
	b.CreateTopic(t, "plain", 3)
	b.CreateTopic(t, "packed", 3)
	recs := richRecords(0, 30)
	resp, err := b.TryProduceRequest(t.Context(), &sluicev1.ProduceRequest{Topic: "plain", Records: recs})
	if err != nil || resp.GetError() != nil {
		t.Fatalf("produce plain: %v %v", err, resp)
	}
	resp, err = b.TryProduceRequest(t.Context(), batchRequest(t, "packed", nil, sluicev1.Compression_COMPRESSION_SNAPPY, recs))
	if err != nil || resp.GetError() != nil {
		t.Fatalf("produce compressed: %v %v", err, resp)
	}
	if len(resp.GetResults()) != 3 {
		t.Errorf("keyed records of a batch went to %d partitions, want 3", len(resp.GetResults()))
	}
	for p := range int32(3) {
		equalRecords(t, b.FetchAll(t, "packed", p, 0), b.FetchAll(t, "plain", p, 0))
	}
	// Time lookups read inside compressed batches.
	ts := recs[17].GetTimestampMs()
	for p := range int32(3) {
		for _, r := range b.FetchAll(t, "packed", p, 0) {
			if r.GetTimestampMs() == ts {
				if got := offsetAtTimeIn(t, b, "packed", p, ts); got != r.GetOffset() {
					t.Errorf("offset at time %d in partition %d: %d, want %d", ts, p, got, r.GetOffset())
				}
			}
		}
	}
}

func offsetAtTimeIn(t *testing.T, b *servertest.Broker, topic string, p int32, ms int64) int64 {
	t.Helper()
	resp, err := b.AdminClient.ListOffsets(t.Context(), &sluicev1.ListOffsetsRequest{
		Topic: topic, Partitions: []int32{p}, Spec: &sluicev1.ListOffsetsRequest_TimestampMs{TimestampMs: ms}})
	if err != nil {
		t.Fatal(err)
	}
	return resp.GetOffsets()[0].GetOffset()
}

// TestCompressedBatchStoredAsSent checks that a batch whose records need no
// change is stored and served as the producer compressed it: the broker
// spends no CPU compressing it again.
func TestCompressedBatchStoredAsSent(t *testing.T) {
	b := servertest.Start(t)
	b.CreateTopic(t, "t", 1)
	req := batchRequest(t, "t", proto.Int32(0), sluicev1.Compression_COMPRESSION_ZSTD, richRecords(0, 20))
	sent := bytes.Clone(req.GetBatch().GetCompressedRecords())
	if resp, err := b.TryProduceRequest(t.Context(), req); err != nil || resp.GetError() != nil {
		t.Fatalf("produce: %v %v", err, resp)
	}
	resps, err := fetchResponses(t, b, fetchAt("t", 0, sluicev1.Compression_COMPRESSION_ZSTD))
	if err != nil {
		t.Fatal(err)
	}
	if len(resps) != 1 || len(resps[0].GetBatches()) != 1 || !bytes.Equal(resps[0].GetBatches()[0].GetCompressedRecords(), sent) {
		t.Fatalf("fetched %v, want the batch's bytes as sent", resps)
	}
}
