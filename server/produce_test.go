package server_test

import (
	"bytes"
	"fmt"
	"slices"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	sluicev1 "github.com/sluice-io/sluice/gen/go/sluice/v1"
	"github.com/sluice-io/sluice/server/partitioner"
	"github.com/sluice-io/sluice/server/servertest"
)

// TestProduceOffsetsAreConsecutive: each request's records take the offsets
// right after the previous request's, per partition, whether the requests
// come on one stream or on several.
func TestProduceOffsetsAreConsecutive(t *testing.T) {
	b := servertest.Start(t)
	b.CreateTopic(t, "t", 2)
	ps := openProduce(t, b)
	var want []string
	next := int64(0)
	for i, n := range []int{1, 5, 3, 10, 1} {
		recs := valueRecords(fmt.Sprintf("r%d", i), n)
		var base int64
		if i%2 == 0 {
			resp := ps.roundTrip(t, &sluicev1.ProduceRequest{Topic: "t", Partition: proto.Int32(0), Records: recs})
			if resp.GetError() != nil || len(resp.GetResults()) != 1 {
				t.Fatalf("request %d: %v", i, resp)
			}
			res := resp.GetResults()[0]
			if res.GetPartition() != 0 || res.GetRecordCount() != int32(n) || res.GetError() != nil {
				t.Fatalf("request %d: result %v", i, res)
			}
			base = res.GetBaseOffset()
		} else {
			base = b.Produce(t, "t", 0, recs...)[0]
		}
		if base != next {
			t.Fatalf("request %d of %d records got base offset %d, want %d", i, n, base, next)
		}
		next += int64(n)
		want = append(want, values(recs)...)
	}
	got := b.FetchAll(t, "t", 0, 0)
	if !slices.Equal(values(got), want) || !slices.Equal(offsets(got), span(0, len(want))) {
		t.Fatalf("partition 0 holds %q at %v, want %q at 0..%d", values(got), offsets(got), want, len(want)-1)
	}
	if base := b.Produce(t, "t", 1, valueRecords("other", 2)...)[0]; base != 0 {
		t.Fatalf("partition 1 starts at offset %d, want 0", base)
	}
}

// TestProducePipelined: 200 requests sent without waiting get 200 responses,
// one per sequence; records of one partition keep the order of the requests.
func TestProducePipelined(t *testing.T) {
	const n = 200
	b := servertest.Start(t)
	b.CreateTopic(t, "t", 2)
	stream, err := b.ProduceClient.Produce(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	seqOf := func(i int) uint64 { return uint64(7*i + 1000) } // not a counter the broker could guess
	for i := range n {
		req := &sluicev1.ProduceRequest{Sequence: seqOf(i), Topic: "t", Partition: proto.Int32(int32(i % 2)),
			Records: []*sluicev1.Record{{Value: fmt.Appendf(nil, "v-%d", i)}}}
		if err := stream.Send(req); err != nil {
			t.Fatalf("send %d: %v", i, err)
		}
	}
	if err := stream.CloseSend(); err != nil {
		t.Fatal(err)
	}
	bySeq := map[uint64]*sluicev1.ProduceResponse{}
	for range n {
		resp, err := recvTimeout(t, stream.Recv)
		if err != nil {
			t.Fatalf("after %d responses: %v", len(bySeq), err)
		}
		if bySeq[resp.GetSequence()] != nil {
			t.Fatalf("sequence %d answered twice", resp.GetSequence())
		}
		bySeq[resp.GetSequence()] = resp
	}
	if err := streamEnd(t, stream.Recv); err != nil {
		t.Fatalf("stream ended with %v after all responses", err)
	}
	for i := range n {
		resp := bySeq[seqOf(i)]
		if resp == nil {
			t.Fatalf("no response for sequence %d", seqOf(i))
		}
		res := resp.GetResults()
		if resp.GetError() != nil || len(res) != 1 || res[0].GetError() != nil {
			t.Fatalf("request %d: %v", i, resp)
		}
		if res[0].GetPartition() != int32(i%2) || res[0].GetBaseOffset() != int64(i/2) {
			t.Fatalf("request %d landed at %d/%d, want %d/%d", i, res[0].GetPartition(), res[0].GetBaseOffset(), i%2, i/2)
		}
	}
	for p := range int32(2) {
		got := b.FetchAll(t, "t", p, 0)
		if len(got) != n/2 {
			t.Fatalf("partition %d holds %d records, want %d", p, len(got), n/2)
		}
		for j, r := range got {
			if want := fmt.Sprintf("v-%d", 2*j+int(p)); string(r.GetValue()) != want {
				t.Fatalf("partition %d offset %d = %q, want %q", p, j, r.GetValue(), want)
			}
		}
	}
}

// TestRecordRoundTrip: what a producer sends is what a consumer reads: keys,
// values, headers (order, repeated keys, binary values), timestamps, and the
// difference between a null and an empty key or value. The broker stamps
// records without a timestamp and ignores an offset set by the producer.
func TestRecordRoundTrip(t *testing.T) {
	allBytes := make([]byte, 256)
	for i := range allBytes {
		allBytes[i] = byte(i)
	}
	cases := []struct {
		name string
		rec  *sluicev1.Record
	}{
		{"key and value", &sluicev1.Record{Key: []byte("k"), Value: []byte("v"), TimestampMs: 1_700_000_000_001}},
		{"headers", &sluicev1.Record{Value: []byte("v"), TimestampMs: 1, Headers: []*sluicev1.Header{
			{Key: "trace", Value: []byte{0, 0xff, 0x80, '\n'}}, {Key: "trace", Value: []byte("second")},
			{Key: "", Value: []byte("empty key")}, {Key: "empty value"}, {Key: "ключ", Value: allBytes},
		}}},
		{"binary key and value", &sluicev1.Record{Key: allBytes, Value: bytes.Repeat(allBytes, 40), TimestampMs: 2}},
		{"null key and value", &sluicev1.Record{TimestampMs: 3}},
		{"empty key and value", &sluicev1.Record{Key: []byte{}, Value: []byte{}, TimestampMs: 4}},
		{"null key, empty value", &sluicev1.Record{Value: []byte{}, TimestampMs: 5}},
		{"empty key, null value", &sluicev1.Record{Key: []byte{}, TimestampMs: 6}},
		{"no timestamp", &sluicev1.Record{Key: []byte("k"), Value: []byte("stamped by the broker")}},
		{"offset set by the producer", &sluicev1.Record{Offset: 999, Value: []byte("o"), TimestampMs: 7}},
	}
	b := servertest.Start(t)
	b.CreateTopic(t, "t", 1)
	var sent []*sluicev1.Record
	for _, tc := range cases {
		sent = append(sent, tc.rec)
	}
	before := time.Now().UnixMilli()
	b.Produce(t, "t", 0, sent...)               // all in one request
	b.Produce(t, "t", 0, sent[len(sent)-2:]...) // and again in another
	after := time.Now().UnixMilli()
	got := b.FetchAll(t, "t", 0, 0)
	if len(got) != len(sent)+2 {
		t.Fatalf("read %d records, sent %d", len(got), len(sent)+2)
	}
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			checkRoundTrip(t, got[i], tc.rec, int64(i), before, after)
		})
	}
	t.Run("second request", func(t *testing.T) {
		n := len(sent)
		checkRoundTrip(t, got[n], sent[n-2], int64(n), before, after)
		checkRoundTrip(t, got[n+1], sent[n-1], int64(n+1), before, after)
	})
}

func checkRoundTrip(t *testing.T, got, sent *sluicev1.Record, offset, before, after int64) {
	t.Helper()
	want := proto.CloneOf(sent)
	want.Offset = offset
	if sent.GetTimestampMs() == 0 {
		if ts := got.GetTimestampMs(); ts < before || ts > after {
			t.Errorf("broker timestamp %d outside [%d, %d]", ts, before, after)
		}
		want.TimestampMs = got.GetTimestampMs()
	}
	if (got.Key == nil) != (sent.Key == nil) || (got.Value == nil) != (sent.Value == nil) {
		t.Errorf("null/empty not preserved: sent key %v value %v, got key %v value %v",
			nullOr(sent.Key), nullOr(sent.Value), nullOr(got.Key), nullOr(got.Value))
	}
	if !proto.Equal(got, want) {
		t.Errorf("got %v\nwant %v", got, want)
	}
}

func nullOr(b []byte) string {
	if b == nil {
		return "null"
	}
	return fmt.Sprintf("%q", b)
}

// TestKeyedRecordsUseMurmur2: without a partition, a keyed record goes to
// murmur2(key) mod partitions, as Kafka's default partitioner puts it, keyless
// records of the request go together to one partition, and the response has a
// result per partition in the order of each partition's first record.
func TestKeyedRecordsUseMurmur2(t *testing.T) {
	const parts = 5
	b := servertest.Start(t)
	b.CreateTopic(t, "t", parts)
	var recs []*sluicev1.Record
	for i := range 40 {
		recs = append(recs, &sluicev1.Record{Key: fmt.Appendf(nil, "user-%d", i), Value: fmt.Appendf(nil, "v%d", i)})
		if i%10 == 3 {
			recs = append(recs, &sluicev1.Record{Value: fmt.Appendf(nil, "keyless-%d", i)})
		}
	}
	recs = append(recs, &sluicev1.Record{Key: []byte{}, Value: []byte("empty key")})
	resp := b.ProduceRequest(t, &sluicev1.ProduceRequest{Topic: "t", Records: recs})
	if resp.GetError() != nil {
		t.Fatal(resp.GetError())
	}

	// Where each record must land, in request order.
	keyless := int32(-1)
	want := map[int32][]string{}
	var order []int32
	for _, r := range recs {
		var p int32
		if r.Key == nil {
			if keyless < 0 {
				keyless = findValue(t, b, "t", parts, string(r.GetValue()))
			}
			p = keyless
		} else {
			p = partitioner.ForKey(r.GetKey(), parts)
		}
		if _, seen := want[p]; !seen {
			order = append(order, p)
		}
		want[p] = append(want[p], string(r.GetValue()))
	}
	if len(resp.GetResults()) != len(order) {
		t.Fatalf("%d results, want %d (one per partition): %v", len(resp.GetResults()), len(order), resp.GetResults())
	}
	for i, res := range resp.GetResults() {
		if res.GetPartition() != order[i] || int(res.GetRecordCount()) != len(want[order[i]]) || res.GetBaseOffset() != 0 {
			t.Errorf("result %d: %v, want partition %d with %d records at 0", i, res, order[i], len(want[order[i]]))
		}
	}
	for p := range int32(parts) {
		if got := values(b.FetchAll(t, "t", p, 0)); !slices.Equal(got, want[p]) {
			t.Errorf("partition %d holds %q, want %q", p, got, want[p])
		}
	}

	// A named partition wins over the key.
	res := b.ProduceRequest(t, &sluicev1.ProduceRequest{Topic: "t", Partition: proto.Int32(0), Records: recs[:10]})
	if len(res.GetResults()) != 1 || res.GetResults()[0].GetPartition() != 0 || res.GetResults()[0].GetRecordCount() != 10 {
		t.Fatalf("keyed records with partition 0: %v", res)
	}
}

// findValue returns the partition holding a record with the value.
func findValue(t *testing.T, b *servertest.Broker, topic string, parts int32, value string) int32 {
	t.Helper()
	for p := range parts {
		for _, r := range b.FetchAll(t, topic, p, 0) {
			if string(r.GetValue()) == value {
				return p
			}
		}
	}
	t.Fatalf("no partition holds %q", value)
	return -1
}

// TestKeylessRecordsStayTogether: the keyless records of one request land in
// one partition at consecutive offsets; successive requests go round-robin.
func TestKeylessRecordsStayTogether(t *testing.T) {
	const parts = 4
	b := servertest.Start(t)
	b.CreateTopic(t, "t", parts)
	ps := openProduce(t, b)
	used := map[int32]bool{}
	for i := range parts {
		recs := valueRecords(fmt.Sprintf("req%d", i), 5)
		resp := ps.roundTrip(t, &sluicev1.ProduceRequest{Topic: "t", Records: recs})
		if resp.GetError() != nil || len(resp.GetResults()) != 1 {
			t.Fatalf("request %d: want one result, got %v", i, resp)
		}
		res := resp.GetResults()[0]
		if res.GetRecordCount() != 5 {
			t.Fatalf("request %d: %d records in one partition, want 5", i, res.GetRecordCount())
		}
		got := b.FetchAll(t, "t", res.GetPartition(), res.GetBaseOffset())
		if !slices.Equal(values(got[:5]), values(recs)) {
			t.Fatalf("request %d: partition %d from %d holds %q", i, res.GetPartition(), res.GetBaseOffset(), values(got))
		}
		used[res.GetPartition()] = true
	}
	if len(used) != parts {
		t.Errorf("%d keyless requests used partitions %v; round-robin uses each once", parts, used)
	}
}

// TestAcks: every acks mode appends the records; ACKS_NONE answers at once
// with base offset -1 and the records still become readable.
func TestAcks(t *testing.T) {
	b := servertest.Start(t)
	b.CreateTopic(t, "t", 1)
	ps := openProduce(t, b)
	var want []string
	for _, acks := range []sluicev1.Acks{sluicev1.Acks_ACKS_NONE, sluicev1.Acks_ACKS_LEADER, sluicev1.Acks_ACKS_ALL, sluicev1.Acks_ACKS_UNSPECIFIED, sluicev1.Acks_ACKS_NONE} {
		t.Run(acks.String(), func(t *testing.T) {
			recs := valueRecords(acks.String(), 3)
			resp := ps.roundTrip(t, &sluicev1.ProduceRequest{Topic: "t", Partition: proto.Int32(0), Records: recs, Acks: acks})
			if resp.GetError() != nil || len(resp.GetResults()) != 1 || resp.GetResults()[0].GetError() != nil {
				t.Fatalf("response %v", resp)
			}
			res := resp.GetResults()[0]
			wantBase := int64(len(want))
			if acks == sluicev1.Acks_ACKS_NONE {
				wantBase = -1
			}
			if res.GetBaseOffset() != wantBase || res.GetRecordCount() != 3 || res.GetPartition() != 0 {
				t.Fatalf("result %v, want base offset %d and 3 records", res, wantBase)
			}
			want = append(want, values(recs)...)
			servertest.WaitFor(t, 10*time.Second, func() bool { return b.HighWatermarks(t, "t")[0] == int64(len(want)) })
			if got := values(b.FetchAll(t, "t", 0, 0)); !slices.Equal(got, want) {
				t.Fatalf("partition holds %q, want %q", got, want)
			}
		})
	}
}

// TestLargeRecords: records up to the 1 MiB limit, alone or several in one
// request (one raft entry over the entry size), read back intact, one per
// response when they exceed max_bytes.
func TestLargeRecords(t *testing.T) {
	b := servertest.Start(t, servertest.OnDisk()) // in-memory storage cannot hold entries over 64 KiB
	b.CreateTopic(t, "t", 1)
	pattern := func(n int, seed byte) []byte {
		v := make([]byte, n)
		for i := range v {
			v[i] = byte(i*7) + seed
		}
		return v
	}
	sent := []*sluicev1.Record{{Key: []byte("max"), Value: pattern(1<<20-64, 1), TimestampMs: 1}}
	b.Produce(t, "t", 0, sent...)
	three := []*sluicev1.Record{
		{Value: pattern(900<<10, 2), TimestampMs: 2}, {Value: pattern(900<<10, 3), TimestampMs: 3}, {Value: pattern(900<<10, 4), TimestampMs: 4},
	}
	if got := b.Produce(t, "t", 0, three...); got[0] != 1 {
		t.Fatalf("three large records at %v, want 1..3", got)
	}
	sent = append(sent, three...)
	for i, r := range sent {
		r.Offset = int64(i)
	}
	for _, maxBytes := range []int32{0, 1000} {
		t.Run(fmt.Sprintf("max_bytes=%d", maxBytes), func(t *testing.T) {
			resps, err := fetchResponses(t, b, &sluicev1.FetchRequest{Topic: "t", MaxBytes: maxBytes})
			if err != nil {
				t.Fatal(err)
			}
			var got []*sluicev1.Record
			for _, r := range resps {
				if maxBytes > 0 && len(r.GetRecords()) != 1 {
					t.Errorf("a response of %d records over max_bytes %d", len(r.GetRecords()), maxBytes)
				}
				got = append(got, r.GetRecords()...)
			}
			equalRecords(t, got, sent)
		})
	}
}
