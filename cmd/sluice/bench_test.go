package main

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	sluicev1 "github.com/sluice-io/sluice/gen/go/sluice/v1"
)

func TestBenchProduceOptions(t *testing.T) {
	valid := func() benchProduceOptions {
		return benchProduceOptions{topic: "t", records: 10, recordSize: 100, partitions: 1, acks: "all",
			producers: 1, batchSize: 10, maxInFlight: 1, compression: "none", values: "random"}
	}
	tests := []struct {
		name    string
		change  func(*benchProduceOptions)
		wantErr string
	}{
		{name: "valid", change: func(*benchProduceOptions) {}},
		{name: "duration instead of records", change: func(o *benchProduceOptions) { o.records, o.duration = 0, time.Second }},
		{name: "empty values", change: func(o *benchProduceOptions) { o.recordSize = 0 }},
		{name: "no topic", change: func(o *benchProduceOptions) { o.topic = "" }, wantErr: "--topic is required"},
		{name: "no bound", change: func(o *benchProduceOptions) { o.records = 0 }, wantErr: "--records 0 needs a --duration"},
		{name: "negative records", change: func(o *benchProduceOptions) { o.records = -1 }, wantErr: "invalid --records -1"},
		{name: "acks", change: func(o *benchProduceOptions) { o.acks = "some" }, wantErr: `invalid --acks "some"`},
		{name: "record size", change: func(o *benchProduceOptions) { o.recordSize = -1 }, wantErr: "invalid --record-size"},
		{name: "partitions", change: func(o *benchProduceOptions) { o.partitions = 0 }, wantErr: "invalid --partitions 0"},
		{name: "producers", change: func(o *benchProduceOptions) { o.producers = 0 }, wantErr: "invalid --producers 0"},
		{name: "batch", change: func(o *benchProduceOptions) { o.batchSize = 0 }, wantErr: "invalid --batch-size 0"},
		{name: "in flight", change: func(o *benchProduceOptions) { o.maxInFlight = 0 }, wantErr: "invalid --max-in-flight 0"},
		{name: "rate", change: func(o *benchProduceOptions) { o.rate = -5 }, wantErr: "invalid --rate -5"},
		{name: "duration", change: func(o *benchProduceOptions) { o.duration = -time.Second }, wantErr: "invalid --duration -1s"},
		{name: "compressed json", change: func(o *benchProduceOptions) { o.compression, o.values = "zstd", "json" }},
		{name: "codec", change: func(o *benchProduceOptions) { o.compression = "brotli" }, wantErr: "invalid --compression"},
		{name: "values", change: func(o *benchProduceOptions) { o.values = "text" }, wantErr: `invalid --values "text"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := valid()
			tt.change(&o)
			load, err := o.load()
			if tt.wantErr == "" {
				if err != nil || load.topic != o.topic || load.acks != sluicev1.Acks_ACKS_ALL {
					t.Fatalf("load() = %+v, %v", load, err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("load() error = %v, want %q", err, tt.wantErr)
			}
		})
	}
}

func TestBenchE2EOptions(t *testing.T) {
	o := benchE2EOptions{topic: "t", rate: 1000, duration: 10 * time.Second, recordSize: 8, partitions: 1,
		acks: "all", batchSize: 1, maxInFlight: 1}
	load, err := o.load()
	if err != nil {
		t.Fatal(err)
	}
	if load.records != 10_000 || load.duration != 20*time.Second || load.producers != 1 {
		t.Errorf("load = records %d duration %s producers %d, want 10000, 20s, 1",
			load.records, load.duration, load.producers)
	}
	for _, bad := range []struct {
		change  func(*benchE2EOptions)
		wantErr string
	}{
		{func(o *benchE2EOptions) { o.recordSize = 7 }, "invalid --record-size 7: must be at least 8"},
		{func(o *benchE2EOptions) { o.acks = "none" }, "--acks none gives no offsets"},
		{func(o *benchE2EOptions) { o.rate = 0 }, "invalid --rate 0"},
		{func(o *benchE2EOptions) { o.duration = 0 }, "invalid --duration 0s"},
	} {
		o := o
		bad.change(&o)
		if _, err := o.load(); err == nil || !strings.Contains(err.Error(), bad.wantErr) {
			t.Errorf("load() error = %v, want %q", err, bad.wantErr)
		}
	}
}

func TestBenchConsumePartitions(t *testing.T) {
	o := benchConsumeOptions{topic: "t"}
	if got := o.partitionList(3); !slices.Equal(got, []int32{0, 1, 2}) {
		t.Errorf("default partitions = %v, want all 3", got)
	}
	o.partitions = []int{2, 0, 2}
	if got := o.partitionList(3); !slices.Equal(got, []int32{0, 2}) {
		t.Errorf("partitions = %v, want [0 2]", got)
	}
	o.partitions = []int{-1}
	if err := o.validate(); err == nil {
		t.Error("validate accepted partition -1")
	}
	o = benchConsumeOptions{}
	if err := o.validate(); err == nil || err.Error() != "--topic is required" {
		t.Errorf("validate() = %v, want --topic is required", err)
	}
}

func TestSendOffset(t *testing.T) {
	tests := []struct {
		n    int64
		rate float64
		want time.Duration
	}{
		{0, 1000, 0},
		{1, 1000, time.Millisecond},
		{1000, 1000, time.Second},
		{3, 2, 1500 * time.Millisecond},
		{300_000, 300_000, time.Second},
	}
	for _, tt := range tests {
		if got := sendOffset(tt.n, tt.rate); got != tt.want {
			t.Errorf("sendOffset(%d, %g) = %s, want %s", tt.n, tt.rate, got, tt.want)
		}
	}
}

func TestRateLimiterSchedule(t *testing.T) {
	start := time.Unix(1000, 0)
	l := newRateLimiter(100, start) // 100 records/s: 10 ms per record
	var got []time.Duration
	for _, n := range []int{10, 10, 5, 1} {
		got = append(got, l.reserve(n).Sub(start))
	}
	want := []time.Duration{0, 100 * time.Millisecond, 200 * time.Millisecond, 250 * time.Millisecond}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("send times = %v, want %v", got, want)
		}
	}
}

func TestRateLimiterUnlimited(t *testing.T) {
	l := newRateLimiter(0, time.Now())
	if err := l.wait(t.Context(), 1_000_000); err != nil {
		t.Fatal(err)
	}
}

func TestRecordBudget(t *testing.T) {
	b := newRecordBudget(25)
	var got []int
	for range 5 {
		got = append(got, b.claim(10))
	}
	if want := []int{10, 10, 5, 0, 0}; !slices.Equal(int32s(got), int32s(want)) {
		t.Errorf("claims = %v, want %v", got, want)
	}
	if n := newRecordBudget(0).claim(7); n != 7 {
		t.Errorf("unlimited budget gave %d, want 7", n)
	}

	// Concurrent claims hand out exactly the total.
	b = newRecordBudget(100_003)
	var mu sync.Mutex
	total := 0
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for n := b.claim(1000); n > 0; n = b.claim(1000) {
				mu.Lock()
				total += n
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if total != 100_003 {
		t.Errorf("claimed %d records, want 100003", total)
	}
}

func int32s(v []int) []int32 {
	out := make([]int32, len(v))
	for i, x := range v {
		out[i] = int32(x)
	}
	return out
}

func TestGroupDigits(t *testing.T) {
	for n, want := range map[int64]string{
		0: "0", 7: "7", 999: "999", 1000: "1,000", 123456: "123,456", 1234567: "1,234,567", -4500: "-4,500",
	} {
		if got := groupDigits(n); got != want {
			t.Errorf("groupDigits(%d) = %q, want %q", n, got, want)
		}
	}
}

func TestFmtMillis(t *testing.T) {
	for ms, want := range map[float64]string{0: "0.00", 1.234: "1.23", 12.34: "12.3", 123.4: "123", 4567.8: "4568"} {
		if got := fmtMillis(ms); got != want {
			t.Errorf("fmtMillis(%g) = %q, want %q", ms, got, want)
		}
	}
}

func TestLatencyRecorder(t *testing.T) {
	r := newLatencyRecorder()
	for i := 1; i <= 100; i++ {
		r.record(time.Duration(i) * time.Millisecond)
	}
	r.record(-time.Second) // counts as 0
	r.record(time.Hour)    // counts as the maximum, one minute
	s := r.stats()
	if s.Count != 102 || s.P50 < 49 || s.P50 > 51 || s.P99 < 98 || s.P99 > 100.1 || s.Max < 59_000 || s.Max > 61_000 {
		t.Errorf("stats = %+v", s)
	}
}

func TestThroughput(t *testing.T) {
	tp := newThroughput(3_000_000, 300_000_000, 10*time.Second)
	if tp.RecordsPerSec != 300_000 || tp.MBPerSec != 30 {
		t.Errorf("throughput = %+v", tp)
	}
	if want := "3,000,000 records in 10.00 s: 300,000 records/s, 30.00 MB/s"; tp.String() != want {
		t.Errorf("String() = %q, want %q", tp.String(), want)
	}
	if zero := newThroughput(0, 0, 0); zero.RecordsPerSec != 0 || zero.MBPerSec != 0 {
		t.Errorf("throughput over no time = %+v", zero)
	}
}

func TestProgressLine(t *testing.T) {
	lat := latencyStats{P50: 3.21, P99: 12.34}
	got := progressLine(3*time.Second, time.Second, 312_000, 31_200_000, &lat)
	want := "   3.0s      312,000 records/s     31.20 MB/s  p50 3.21 ms  p99 12.3 ms"
	if got != want {
		t.Errorf("progressLine = %q, want %q", got, want)
	}
	got = progressLine(2*time.Second, 500*time.Millisecond, 1000, 0, nil)
	if want := "   2.0s        2,000 records/s      0.00 MB/s"; got != want {
		t.Errorf("progressLine = %q, want %q", got, want)
	}
}

func sampleProduceSummary() produceSummary {
	return produceSummary{
		Bench: "produce", Topic: "bench", Partitions: 8, RecordSize: 100, Acks: "all", Producers: 4,
		BatchSize: 1000, MaxInFlight: 8,
		throughput: newThroughput(3_000_000, 300_000_000, 10*time.Second),
		Requests:   3000,
		Latency:    latencyStats{Count: 3000, P50: 4.5, P95: 9.25, P99: 12.5, P999: 20, Max: 150},
	}
}

func TestProduceSummaryText(t *testing.T) {
	s := sampleProduceSummary()
	want := "produce bench: 100-byte records, 8 partitions, acks=all, 4 producers, batch 1000, 8 in flight each, no rate limit\n" +
		"acknowledged 3,000,000 records in 10.00 s: 300,000 records/s, 30.00 MB/s\n" +
		"request latency p50 4.50  p95 9.25  p99 12.5  p99.9 20.0  max 150 ms (3,000 requests)\n"
	if got := s.String(); got != want {
		t.Errorf("String() =\n%s\nwant\n%s", got, want)
	}
	s.Rate, s.Failed, s.Error, s.Interrupted = 50_000, 1000, "topic not found", true
	got := s.String()
	for _, part := range []string{"rate 50,000 records/s\n", "failed 1,000 records: topic not found\n", "interrupted\n"} {
		if !strings.Contains(got, part) {
			t.Errorf("String() = %q, missing %q", got, part)
		}
	}
}

func TestProduceSummaryJSON(t *testing.T) {
	var buf bytes.Buffer
	if err := writeJSON(&buf, sampleProduceSummary()); err != nil {
		t.Fatal(err)
	}
	if strings.Count(buf.String(), "\n") != 1 {
		t.Errorf("JSON is not one line: %q", buf.String())
	}
	var m map[string]any
	if err := json.Unmarshal(buf.Bytes(), &m); err != nil {
		t.Fatal(err)
	}
	lat, _ := m["latency_ms"].(map[string]any)
	if m["records_per_sec"] != 300_000.0 || m["mb_per_sec"] != 30.0 || m["records"] != 3e6 ||
		m["batch_size"] != 1000.0 || lat["p99"] != 12.5 || lat["p99_9"] != 20.0 {
		t.Errorf("JSON = %s", buf.String())
	}
}

func TestE2ESummaryText(t *testing.T) {
	s := e2eSummary{
		Topic: "e2e", Partitions: 1, RecordSize: 100, Acks: "all", BatchSize: 1, Rate: 1000, DurationSecs: 10,
		throughput: newThroughput(10_000, 1_000_000, 10*time.Second), Received: 10_000,
		ProduceLatency:    latencyStats{P50: 1},
		AckToReceive:      latencyStats{P50: 0.5},
		SendToReceive:     latencyStats{P50: 1.5},
		ReceivedBeforeAck: 12, Missing: 3,
	}
	got := s.String()
	for _, part := range []string{
		"e2e e2e: 1,000 records/s for 10s, 100-byte records, 1 partition, acks=all, batch 1\n",
		"acknowledged 10,000 records in 10.00 s: 1,000 records/s, 0.10 MB/s; received 10,000\n",
		"end-to-end (ack to recv)  p50 0.50 ",
		"end-to-end (send to recv) p50 1.50 ",
		"12 records arrived before their acknowledgement",
		"missing 3 acknowledged records",
	} {
		if !strings.Contains(got, part) {
			t.Errorf("String() =\n%s\nmissing %q", got, part)
		}
	}
}

func TestProduceRequestEncoding(t *testing.T) {
	values := [][]byte{[]byte("one"), {}, bytes.Repeat([]byte{0xab}, 300)}
	raw := append(produceHeader(42, "events", 3, sluicev1.Acks_ACKS_LEADER), encodeRecords(values)...)
	var req sluicev1.ProduceRequest
	if err := proto.Unmarshal(raw, &req); err != nil {
		t.Fatal(err)
	}
	if req.GetSequence() != 42 || req.GetTopic() != "events" || req.Partition == nil || req.GetPartition() != 3 ||
		req.GetAcks() != sluicev1.Acks_ACKS_LEADER || len(req.GetRecords()) != 3 {
		t.Fatalf("decoded %v", &req)
	}
	for i, r := range req.GetRecords() {
		if r.Value == nil || !bytes.Equal(r.GetValue(), values[i]) || r.Key != nil || r.GetTimestampMs() != 0 {
			t.Errorf("record %d = %v", i, r)
		}
	}
}

func TestScanFetchResponse(t *testing.T) {
	resp := &sluicev1.FetchResponse{
		Partition: 5,
		Records: []*sluicev1.Record{
			{Offset: 0, Value: []byte("abc")},
			{Offset: 1, TimestampMs: 99, Key: []byte("key"), Value: []byte("value"),
				Headers: []*sluicev1.Header{{Key: "h", Value: []byte("ignored")}}},
			{Offset: 1 << 40},
		},
		HighWatermark:  1<<40 + 1,
		LogStartOffset: 0,
	}
	raw, err := proto.Marshal(resp)
	if err != nil {
		t.Fatal(err)
	}
	want := fetchCount{partition: 5, records: 3, bytes: 3 + 3 + 5, lastOffset: 1 << 40}
	for name, count := range map[string]func([]byte) (fetchCount, error){
		"scan": scanFetchResponse, "decode": decodeFetchResponse,
	} {
		got, err := count(raw)
		if err != nil || got != want {
			t.Errorf("%s = %+v, %v; want %+v", name, got, err, want)
		}
	}
	empty, err := scanFetchResponse(nil)
	if err != nil || empty.records != 0 || empty.lastOffset != -1 {
		t.Errorf("scan of an empty response = %+v, %v", empty, err)
	}
	if _, err := scanFetchResponse(raw[:len(raw)-3]); err == nil {
		t.Error("scan of a truncated response did not fail")
	}
}

// decodeRecords decodes the records field of a produce request.
func decodeRecords(t *testing.T, records []byte) []*sluicev1.Record {
	t.Helper()
	var req sluicev1.ProduceRequest
	if err := proto.Unmarshal(records, &req); err != nil {
		t.Fatal(err)
	}
	return req.GetRecords()
}

func TestRandomSource(t *testing.T) {
	s := newRandomSource(100, 50)
	seen := map[string]bool{}
	for range 3 {
		raw, size := s.batch(50)
		recs := decodeRecords(t, raw)
		if size != 5000 || len(recs) != 50 {
			t.Fatalf("batch(50) = %d records, %d bytes", len(recs), size)
		}
		for _, r := range recs {
			if len(r.GetValue()) != 100 {
				t.Fatalf("value of %d bytes, want 100", len(r.GetValue()))
			}
			seen[string(r.GetValue())] = true
		}
	}
	if len(seen) < 100 {
		t.Errorf("only %d distinct values in 150 records", len(seen))
	}
	raw, size := s.batch(7)
	if recs := decodeRecords(t, raw); len(recs) != 7 || size != 700 {
		t.Errorf("batch(7) = %d records, %d bytes", len(recs), size)
	}
}

func TestTimestampSource(t *testing.T) {
	base := time.Now().Add(-time.Hour)
	s := &timestampSource{base: base, size: 20, fill: bytes.Repeat([]byte{'x'}, 20)}
	raw, size := s.batch(3)
	recs := decodeRecords(t, raw)
	if size != 60 || len(recs) != 3 {
		t.Fatalf("batch(3) = %d records, %d bytes", len(recs), size)
	}
	for _, r := range recs {
		v := r.GetValue()
		sent := time.Duration(binary.BigEndian.Uint64(v))
		if len(v) != 20 || sent < time.Hour || string(v[8:]) != "xxxxxxxxxxxx" {
			t.Errorf("value %q: send time %s after base", v, sent)
		}
	}
}

func TestE2EJoin(t *testing.T) {
	base := time.Unix(1000, 0)
	j := newE2EJoin(base)
	ack := func(partition int32, offset int64, count int32, at time.Time) {
		j.acked(&sluicev1.ProduceResponse{Results: []*sluicev1.ProduceResult{
			{Partition: partition, BaseOffset: offset, RecordCount: count},
		}}, at)
	}
	// Offsets 0-1 of partition 0 are acknowledged, then arrive 5 ms later.
	ack(0, 0, 2, base)
	j.received(recordID{0, 0}, base.Add(5*time.Millisecond))
	j.received(recordID{0, 1}, base.Add(5*time.Millisecond))
	// Offset 0 of partition 1 arrives before its acknowledgement.
	j.received(recordID{1, 0}, base.Add(time.Millisecond))
	ack(1, 0, 1, base.Add(2*time.Millisecond))
	// Offset 2 of partition 0 is acknowledged and never arrives.
	ack(0, 2, 1, base)

	if j.matchedCount() != 3 || j.beforeAck != 1 || len(j.acks) != 1 || len(j.arrivals) != 0 {
		t.Fatalf("matched %d, before ack %d, waiting acks %d arrivals %d",
			j.matchedCount(), j.beforeAck, len(j.acks), len(j.arrivals))
	}
	s := j.ackToReceive.stats()
	if s.Count != 3 || s.Max < 4.99 || s.Max > 5.01 || s.P50 < 4.99 {
		t.Errorf("ack to receive = %+v, want 0, 5 and 5 ms", s)
	}
}
