package wire

import (
	"bytes"
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"

	sluicev1 "github.com/sluice-io/sluice/gen/go/sluice/v1"
)

func TestFieldNumbers(t *testing.T) {
	check := func(md protoreflect.MessageDescriptor, name string, want int) {
		t.Helper()
		f := md.Fields().ByName(protoreflect.Name(name))
		if f == nil || int(f.Number()) != want {
			t.Errorf("%s.%s: want field number %d", md.FullName(), name, want)
		}
	}
	pr := (&sluicev1.ProduceRequest{}).ProtoReflect().Descriptor()
	check(pr, "sequence", produceSequence)
	check(pr, "topic", produceTopic)
	check(pr, "partition", producePartition)
	check(pr, "records", produceRecords)
	check(pr, "acks", produceAcks)
	check(pr, "producer_id", produceProducerID)
	check(pr, "producer_epoch", produceProducerEpoch)
	check(pr, "base_sequence", produceBaseSequence)
	rec := (&sluicev1.Record{}).ProtoReflect().Descriptor()
	check(rec, "offset", recordOffset)
	check(rec, "timestamp_ms", recordTimestamp)
	check(rec, "key", recordKey)
	check(rec, "value", recordValue)
	check(rec, "headers", recordHeaders)
	h := (&sluicev1.Header{}).ProtoReflect().Descriptor()
	check(h, "key", headerKey)
	check(h, "value", headerValue)
	fr := (&sluicev1.FetchResponse{}).ProtoReflect().Descriptor()
	check(fr, "partition", fetchPartition)
	check(fr, "records", fetchRecords)
	check(fr, "high_watermark", fetchHighWatermark)
	check(fr, "log_start_offset", fetchLogStartOffset)
}

// TestRoundTrip produces records through ParseProduceRequest and AppendRecord
// and reads them back through FetchResponse with the generated decoder.
func TestRoundTrip(t *testing.T) {
	in := []*sluicev1.Record{
		{Key: []byte("k1"), Value: []byte("v1"), TimestampMs: 1700000000000, Headers: []*sluicev1.Header{{Key: "h", Value: []byte{0, 1}}}},
		{Value: []byte("no key, no timestamp")},
		{Offset: 99, Key: []byte("offset is dropped"), Value: []byte{}},
	}
	raw, err := proto.Marshal(&sluicev1.ProduceRequest{Sequence: 7, Topic: "t", Partition: proto.Int32(3), Records: in, Acks: sluicev1.Acks_ACKS_LEADER})
	if err != nil {
		t.Fatal(err)
	}
	req, err := ParseProduceRequest(raw, 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	if req.Sequence != 7 || req.Topic != "t" || !req.HasPartition || req.Partition != 3 || req.Acks != sluicev1.Acks_ACKS_LEADER || len(req.Records) != 3 {
		t.Fatalf("parsed %+v", req)
	}
	if string(req.Records[0].Key) != "k1" || req.Records[1].Key != nil || string(req.Records[2].Key) != "offset is dropped" {
		t.Fatalf("keys: %q %q %q", req.Records[0].Key, req.Records[1].Key, req.Records[2].Key)
	}
	const now = 1800000000000
	var batch []byte
	for _, r := range req.Records {
		batch = AppendRecord(batch, r, now)
	}
	var resp FetchResponse
	resp.Reset(3)
	off := int64(40)
	if err := ForEachRecord(batch, func(rec []byte) bool { resp.AddRecord(off, rec); off++; return true }); err != nil {
		t.Fatal(err)
	}
	var got sluicev1.FetchResponse
	if err := proto.Unmarshal(resp.Finish(43, 10), &got); err != nil {
		t.Fatal(err)
	}
	if got.GetPartition() != 3 || got.GetHighWatermark() != 43 || got.GetLogStartOffset() != 10 || len(got.GetRecords()) != 3 {
		t.Fatalf("response %v", &got)
	}
	wantTS := []int64{1700000000000, now, now}
	for i, r := range got.GetRecords() {
		if r.GetOffset() != int64(40+i) || r.GetTimestampMs() != wantTS[i] ||
			!bytes.Equal(r.GetKey(), in[i].GetKey()) || !bytes.Equal(r.GetValue(), in[i].GetValue()) ||
			len(r.GetHeaders()) != len(in[i].GetHeaders()) {
			t.Errorf("record %d = %v", i, r)
		}
	}
}

func TestParseProduceRequestRejects(t *testing.T) {
	big := &sluicev1.Record{Value: bytes.Repeat([]byte("x"), 2000)}
	cases := []struct {
		name  string
		req   *sluicev1.ProduceRequest
		field string
	}{
		{"record over limit", &sluicev1.ProduceRequest{Topic: "t", Records: []*sluicev1.Record{{}, big}}, "records[1]"},
		{"negative timestamp", &sluicev1.ProduceRequest{Topic: "t", Records: []*sluicev1.Record{{TimestampMs: -5}}}, "records[0].timestamp_ms"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			raw, _ := proto.Marshal(c.req)
			_, err := ParseProduceRequest(raw, 1024)
			fe, ok := err.(*FieldError)
			if !ok || fe.Field != c.field {
				t.Fatalf("got %v, want an error for %s", err, c.field)
			}
		})
	}
	t.Run("invalid utf8 header key", func(t *testing.T) {
		// Header{key: "\xff"} inside Record{headers} inside ProduceRequest{records}.
		header := []byte{0x0a, 0x01, 0xff}
		rec := append([]byte{0x2a, byte(len(header))}, header...)
		raw := append([]byte{0x22, byte(len(rec))}, rec...)
		_, err := ParseProduceRequest(raw, 1024)
		if err == nil || !strings.Contains(err.Error(), "UTF-8") {
			t.Fatalf("got %v", err)
		}
	})
	t.Run("sequence of a rejected request", func(t *testing.T) {
		raw, _ := proto.Marshal(&sluicev1.ProduceRequest{Sequence: 42, Topic: "t", Records: []*sluicev1.Record{big}})
		if _, err := ParseProduceRequest(raw, 1024); err == nil {
			t.Fatal("oversized record accepted")
		}
		if got := PeekSequence(raw); got != 42 {
			t.Fatalf("PeekSequence = %d, want 42", got)
		}
		// A forwarded request's sequence is appended after the header's:
		// the last one counts, for the parser and for PeekSequence.
		raw = AppendSequence(raw, 7)
		if got := PeekSequence(raw); got != 7 {
			t.Fatalf("PeekSequence after AppendSequence = %d, want 7", got)
		}
	})
	t.Run("truncated", func(t *testing.T) {
		raw, _ := proto.Marshal(&sluicev1.ProduceRequest{Topic: "topic"})
		if _, err := ParseProduceRequest(raw[:len(raw)-2], 1024); err == nil {
			t.Fatal("truncated request parsed")
		}
	})
}

// TestLogAppendTime stores records with the broker's time in place of the
// producer's, and RecordTimestamp reads back what a consumer would decode.
func TestLogAppendTime(t *testing.T) {
	in := []*sluicev1.Record{
		{Key: []byte("k"), Value: []byte("producer time"), TimestampMs: 1700000000000},
		{Value: []byte("no time")},
	}
	raw, err := proto.Marshal(&sluicev1.ProduceRequest{Topic: "t", Records: in})
	if err != nil {
		t.Fatal(err)
	}
	req, err := ParseProduceRequest(raw, 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	const now = 1800000000000
	var createTime, appendTime []byte
	for _, r := range req.Records {
		createTime = AppendRecord(createTime, r, now)
		appendTime = AppendRecordAt(appendTime, r, now)
	}
	check := func(batch []byte, want ...int64) {
		t.Helper()
		i := 0
		err := ForEachRecord(batch, func(rec []byte) bool {
			var r sluicev1.Record
			if err := proto.Unmarshal(rec, &r); err != nil {
				t.Fatal(err)
			}
			if r.GetTimestampMs() != want[i] || RecordTimestamp(rec) != want[i] || !bytes.Equal(r.GetValue(), in[i].GetValue()) {
				t.Errorf("record %d: %v, RecordTimestamp %d; want time %d", i, &r, RecordTimestamp(rec), want[i])
			}
			i++
			return true
		})
		if err != nil || i != len(want) {
			t.Fatalf("%d records, %v", i, err)
		}
	}
	check(createTime, 1700000000000, now)
	check(appendTime, now, now)
	if RecordTimestamp(nil) != 0 {
		t.Error("RecordTimestamp of an empty record is not 0")
	}
}
