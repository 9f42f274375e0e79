package wire

import (
	"bytes"
	"errors"
	"testing"

	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"

	sluicev1 "github.com/sluice-io/sluice/gen/go/sluice/v1"
	"github.com/sluice-io/sluice/server/compress"
)

// fuzzMaxRecord is the record limit the fuzz targets parse with: small, so
// that the fuzzer reaches it.
const fuzzMaxRecord = 4096

// fuzzNow stands for the broker's clock when records are stored.
const fuzzNow = 1_800_000_000_000

func fuzzRecords() []*sluicev1.Record {
	return []*sluicev1.Record{
		{Key: []byte("k1"), Value: []byte("v1"), TimestampMs: 1_700_000_000_000, Headers: []*sluicev1.Header{{Key: "h", Value: []byte{0, 1}}}},
		{Value: []byte("no key, no timestamp")},
		{Offset: 99, Key: []byte{}, Value: []byte{}},
		{Key: []byte("héllo"), Headers: []*sluicev1.Header{{Key: "a"}, {Key: "ü", Value: []byte("x")}}},
	}
}

// addProduceSeeds adds produce requests as the SDKs (generated code) and a
// forwarding broker (AppendProduceRequest, AppendCompressedProduceRequest)
// write them.
func addProduceSeeds(f *testing.F) {
	recs := fuzzRecords()
	for _, req := range []*sluicev1.ProduceRequest{
		{Sequence: 7, Topic: "t", Partition: proto.Int32(3), Records: recs, Acks: sluicev1.Acks_ACKS_LEADER},
		{Sequence: 1, Topic: "orders", Records: recs[:1], ProducerId: 5, ProducerEpoch: 1, BaseSequence: 10},
		{Topic: "t"},
		{Topic: "t", Records: []*sluicev1.Record{{TimestampMs: -5}}},
	} {
		raw, err := proto.Marshal(req)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(raw)
	}
	var stored []byte
	for _, r := range recs {
		data, err := proto.Marshal(r)
		if err != nil {
			f.Fatal(err)
		}
		stored = AppendRecord(stored, Record{Data: data, TimestampMs: r.GetTimestampMs()}, fuzzNow)
	}
	fwd, err := AppendProduceRequest(nil, "t", 2, sluicev1.Acks_ACKS_ALL, stored)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(AppendProducer(fwd, 9, 2, 40))
	for _, c := range []sluicev1.Compression{compress.None, sluicev1.Compression_COMPRESSION_GZIP, sluicev1.Compression_COMPRESSION_SNAPPY,
		sluicev1.Compression_COMPRESSION_LZ4, sluicev1.Compression_COMPRESSION_ZSTD} {
		b, err := compress.NewBatch(c, recs)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(AppendCompressedProduceRequest(nil, "t", 1, sluicev1.Acks_ACKS_ALL, c, int(b.GetRecordCount()), b.GetCompressedRecords()))
	}
}

// FuzzParseProduceRequest feeds the broker's produce fast path arbitrary
// request bytes. A request it accepts must mean what the generated decoder
// says it means, keep every record within the limit, and store records that
// a consumer decodes back to what the producer sent.
func FuzzParseProduceRequest(f *testing.F) {
	addProduceSeeds(f)
	f.Fuzz(func(t *testing.T, raw []byte) {
		req, err := ParseProduceRequest(raw, fuzzMaxRecord)
		if err != nil {
			var fe *FieldError
			if !errors.As(err, &fe) || fe.Field == "" || fe.Reason == "" {
				t.Fatalf("error %v (%T) is not a FieldError naming a field", err, err)
			}
			return
		}
		var want sluicev1.ProduceRequest
		if err := proto.Unmarshal(raw, &want); err != nil {
			t.Fatalf("fast path accepted a request the generated decoder refuses: %v", err)
		}
		checkProduceHeader(t, req, &want)
		if req.Batch != nil {
			checkProduceBatch(t, req, want.GetBatch())
		} else if len(req.Records) != len(want.GetRecords()) {
			t.Fatalf("fast path parsed %d records, the generated decoder %d", len(req.Records), len(want.GetRecords()))
		}
		var stored []byte
		for i, rec := range req.Records {
			got := checkParsedRecord(t, i, rec)
			if req.Batch == nil {
				// The broker drops field 1 (offset) whatever its wire type.
				w := proto.CloneOf(want.GetRecords()[i])
				w.Offset = 0
				w.ProtoReflect().SetUnknown(withoutField(w.ProtoReflect().GetUnknown(), recordOffset))
				if !proto.Equal(got, w) {
					t.Fatalf("record %d: fast path kept %v, the generated decoder read %v", i, got, w)
				}
			}
			stored = AppendRecord(stored, rec, fuzzNow)
		}
		checkServed(t, req.Records, stored)
	})
}

func checkProduceHeader(t *testing.T, req *ProduceRequest, want *sluicev1.ProduceRequest) {
	t.Helper()
	if req.Sequence != want.GetSequence() || req.Topic != want.GetTopic() || req.HasPartition != (want.Partition != nil) ||
		req.Partition != want.GetPartition() || req.Acks != want.GetAcks() || req.ProducerID != want.GetProducerId() ||
		req.ProducerEpoch != want.GetProducerEpoch() || req.BaseSequence != want.GetBaseSequence() {
		t.Fatalf("fast path read %+v, the generated decoder %v", req, want)
	}
	if (req.Batch != nil) != (want.Batch != nil) {
		t.Fatalf("fast path batch %v, generated batch %v", req.Batch != nil, want.Batch != nil)
	}
}

// checkProduceBatch holds an accepted compressed batch to the generated
// decoder and to the SDK's reader: what the broker stores, a consumer reads.
func checkProduceBatch(t *testing.T, req *ProduceRequest, want *sluicev1.RecordBatch) {
	t.Helper()
	bt := req.Batch
	if bt.Compression != want.GetCompression() || bt.Count != int64(want.GetRecordCount()) || !bytes.Equal(bt.Data, want.GetCompressedRecords()) {
		t.Fatalf("fast path batch (codec %d, %d records, %d bytes), generated (codec %d, %d records, %d bytes)",
			bt.Compression, bt.Count, len(bt.Data), want.GetCompression(), want.GetRecordCount(), len(want.GetCompressedRecords()))
	}
	if len(bt.Plain) > fuzzMaxRecord {
		t.Fatalf("batch decompressed to %d bytes, over the limit of %d", len(bt.Plain), fuzzMaxRecord)
	}
	recs, err := compress.BatchRecords(want, fuzzMaxRecord)
	if err != nil {
		t.Fatalf("broker accepted a batch the SDK cannot read: %v", err)
	}
	if len(recs) != len(req.Records) {
		t.Fatalf("broker parsed %d records, the SDK %d", len(req.Records), len(recs))
	}
	for i, r := range recs {
		r.Offset = 0
		r.ProtoReflect().SetUnknown(withoutField(r.ProtoReflect().GetUnknown(), recordOffset))
		var got sluicev1.Record
		if err := proto.Unmarshal(req.Records[i].Data, &got); err != nil || !proto.Equal(&got, r) {
			t.Fatalf("record %d: broker kept %v (%v), the SDK read %v", i, &got, err, r)
		}
	}
}

// checkParsedRecord decodes a parsed record and checks what the broker
// derived from it: no offset, the key the partitioner hashes, the timestamp.
func checkParsedRecord(t *testing.T, i int, rec Record) *sluicev1.Record {
	t.Helper()
	if len(rec.Data) > fuzzMaxRecord {
		t.Fatalf("record %d is %d bytes, over the limit of %d", i, len(rec.Data), fuzzMaxRecord)
	}
	var got sluicev1.Record
	if err := proto.Unmarshal(rec.Data, &got); err != nil {
		t.Fatalf("record %d: accepted bytes do not decode: %v", i, err)
	}
	if got.GetOffset() != 0 || (rec.Key == nil) != (got.Key == nil) || !bytes.Equal(rec.Key, got.GetKey()) ||
		rec.TimestampMs != got.GetTimestampMs() || rec.TimestampMs < 0 {
		t.Fatalf("record %d: fast path key %q (nil %v), time %d; decoded %v", i, rec.Key, rec.Key == nil, rec.TimestampMs, &got)
	}
	if RecordTimestamp(rec.Data) != rec.TimestampMs {
		t.Fatalf("record %d: RecordTimestamp %d, parsed %d", i, RecordTimestamp(rec.Data), rec.TimestampMs)
	}
	return &got
}

// checkServed serves a stored batch as a fetch response and reads it with
// the generated decoder: each record at its offset, with the producer's
// time or else the broker's.
func checkServed(t *testing.T, recs []Record, stored []byte) {
	t.Helper()
	const base = 1000
	var resp FetchResponse
	resp.Reset(1)
	off := int64(base)
	if err := ForEachRecord(stored, func(rec []byte) bool { resp.AddRecord(off, rec); off++; return true }); err != nil {
		t.Fatalf("stored batch does not read back: %v", err)
	}
	raw := resp.Finish(off, base)
	var got sluicev1.FetchResponse
	if err := proto.Unmarshal(raw, &got); err != nil {
		t.Fatalf("fetch response does not decode: %v", err)
	}
	if n, err := CountRecords(raw); err != nil || n != len(recs) || len(got.GetRecords()) != len(recs) {
		t.Fatalf("served %d records (CountRecords %d, %v), stored %d", len(got.GetRecords()), n, err, len(recs))
	}
	for i, r := range got.GetRecords() {
		var sent sluicev1.Record
		_ = proto.Unmarshal(recs[i].Data, &sent)
		wantTS := recs[i].TimestampMs
		if wantTS == 0 {
			wantTS = fuzzNow
		}
		if r.GetOffset() != int64(base+i) || r.GetTimestampMs() != wantTS || !bytes.Equal(r.GetKey(), sent.GetKey()) ||
			(r.Key == nil) != (sent.Key == nil) || !bytes.Equal(r.GetValue(), sent.GetValue()) || len(r.GetHeaders()) != len(sent.GetHeaders()) {
			t.Fatalf("record %d served as %v, sent as %v", i, r, &sent)
		}
	}
}

// FuzzRelayedFetchResponse reads fetch responses as a broker relays them
// from another broker (fetch_relay.go): CountRecords and TrimRecords must
// agree with the generated decoder on any response it decodes.
func FuzzRelayedFetchResponse(f *testing.F) {
	var resp FetchResponse
	resp.Reset(3)
	for i, r := range fuzzRecords() {
		data, _ := proto.Marshal(r)
		resp.AddRecord(int64(10+i), data)
	}
	f.Add(bytes.Clone(resp.Finish(14, 10)), 2)
	b, err := compress.NewBatch(sluicev1.Compression_COMPRESSION_LZ4, fuzzRecords())
	if err != nil {
		f.Fatal(err)
	}
	resp.Reset(0)
	resp.AddBatch(20, int(b.GetRecordCount()), b.GetCompression(), b.GetCompressedRecords())
	f.Add(bytes.Clone(resp.Finish(24, 0)), 1)
	f.Fuzz(func(t *testing.T, raw []byte, keep int) {
		n, err := CountRecords(raw)
		var want sluicev1.FetchResponse
		if perr := proto.Unmarshal(raw, &want); perr != nil {
			return // the relay hands the client bytes it cannot decode only as they came
		}
		if err != nil {
			t.Fatalf("CountRecords refused a response the generated decoder reads: %v", err)
		}
		total := len(want.GetRecords())
		for _, bt := range want.GetBatches() {
			total += int(bt.GetRecordCount())
		}
		if n != total {
			t.Fatalf("CountRecords = %d, the response holds %d", n, total)
		}
		keep = max(keep%(len(want.GetRecords())+2), 0)
		trimmed := TrimRecords(raw, keep)
		var got sluicev1.FetchResponse
		if err := proto.Unmarshal(trimmed, &got); err != nil {
			t.Fatalf("trimmed response does not decode: %v", err)
		}
		wantKept := min(keep, len(want.GetRecords()))
		if len(got.GetRecords()) != wantKept {
			t.Fatalf("TrimRecords(%d) kept %d of %d records", keep, len(got.GetRecords()), len(want.GetRecords()))
		}
		for i, r := range got.GetRecords() {
			if !proto.Equal(r, want.GetRecords()[i]) {
				t.Fatalf("trimmed record %d = %v, was %v", i, r, want.GetRecords()[i])
			}
		}
		if got.GetHighWatermark() != want.GetHighWatermark() || got.GetLogStartOffset() != want.GetLogStartOffset() || got.GetPartition() != want.GetPartition() {
			t.Fatalf("trimming changed the bounds: %v, was %v", &got, &want)
		}
	})
}

// FuzzStoredRecords reads a stored batch (length-delimited record
// encodings, as the replica keeps them) the way fetch and time lookups do.
func FuzzStoredRecords(f *testing.F) {
	var stored []byte
	for _, r := range fuzzRecords() {
		data, _ := proto.Marshal(r)
		stored = AppendRecord(stored, Record{Data: data, TimestampMs: r.GetTimestampMs()}, fuzzNow)
	}
	f.Add(stored)
	f.Add(stored[:len(stored)-1])
	f.Fuzz(func(t *testing.T, stored []byte) {
		var recs [][]byte
		err := ForEachRecord(stored, func(rec []byte) bool { recs = append(recs, rec); return true })
		if err != nil && !errors.Is(err, ErrCorruptBatch) {
			t.Fatalf("error %v is not ErrCorruptBatch", err)
		}
		size := 0
		for _, rec := range recs {
			size += protowire.SizeBytes(len(rec))
			var r sluicev1.Record
			if proto.Unmarshal(rec, &r) == nil && RecordTimestamp(rec) != r.GetTimestampMs() {
				t.Fatalf("RecordTimestamp %d, the generated decoder reads %d", RecordTimestamp(rec), r.GetTimestampMs())
			}
		}
		// A length may be a non-minimal varint, so records can take more
		// bytes than their minimal encoding, never fewer.
		if err == nil && size > len(stored) {
			t.Fatalf("records need %d bytes, %d were stored", size, len(stored))
		}
		var resp FetchResponse
		resp.Reset(0)
		for i, rec := range recs {
			resp.AddRecord(int64(i), rec)
		}
		raw := resp.Finish(int64(len(recs)), 0)
		if n, err := CountRecords(raw); err != nil || n != len(recs) {
			t.Fatalf("CountRecords = %d, %v; added %d", n, err, len(recs))
		}
		if n, _ := CountRecords(TrimRecords(raw, 1)); n != min(1, len(recs)) {
			t.Fatalf("TrimRecords(1) kept %d of %d", n, len(recs))
		}
	})
}

// TestRecordWithOutOfRangeFieldNumberIsRefused: a record holding a field
// number above 2^29-1 does not decode in any consumer, so the broker must
// refuse it rather than store it (found by FuzzParseProduceRequest).
func TestRecordWithOutOfRangeFieldNumberIsRefused(t *testing.T) {
	rec := protowire.AppendTag(nil, protowire.MaxValidNumber+1, protowire.VarintType)
	rec = protowire.AppendVarint(rec, 1)
	if err := proto.Unmarshal(rec, &sluicev1.Record{}); err == nil {
		t.Fatal("the generated decoder reads the record; the test no longer shows anything")
	}
	raw := protowire.AppendTag(nil, produceTopic, protowire.BytesType)
	raw = protowire.AppendString(raw, "t")
	raw = protowire.AppendTag(raw, produceRecords, protowire.BytesType)
	raw = protowire.AppendBytes(raw, rec)
	_, err := ParseProduceRequest(raw, 1024)
	var fe *FieldError
	if !errors.As(err, &fe) || fe.Field != "records[0]" {
		t.Fatalf("got %v, want a malformed records[0]", err)
	}
}

// TestCountRecordsCountsOnlyRecordFields: a field 2 that is not length
// delimited is not a record to a decoder, so a relay must not count or keep
// it as one (found by FuzzRelayedFetchResponse).
func TestCountRecordsCountsOnlyRecordFields(t *testing.T) {
	raw := protowire.AppendTag(nil, fetchRecords, protowire.VarintType)
	raw = protowire.AppendVarint(raw, 48)
	if n, err := CountRecords(raw); err != nil || n != 0 {
		t.Fatalf("CountRecords = %d, %v; want 0 records", n, err)
	}
}
