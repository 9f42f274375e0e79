package sluice_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	sluice "github.com/sluice-io/sluice/clients/go"
)

var topicSeq atomic.Int64

// topicName makes topic names unique within the test binary's broker, so that
// go test -count=N works.
func topicName(base string) string {
	return fmt.Sprintf("%s-%d", base, topicSeq.Add(1))
}

func newClient(t *testing.T, addrs ...string) *sluice.Client {
	t.Helper()
	c, err := sluice.NewClient(addrs)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func createTopic(t *testing.T, c *sluice.Client, spec sluice.TopicSpec) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	if _, err := sluice.NewAdmin(c).CreateTopic(ctx, spec); err != nil {
		t.Fatalf("create topic %s: %v", spec.Name, err)
	}
}

// testRecord is the i-th record of a test: keyed (some keys empty), values of
// every kind (null, empty, binary), repeated and empty header values, some
// timestamps set.
func testRecord(topic string, i int) *sluice.Record {
	r := &sluice.Record{
		Topic: topic,
		Key:   []byte("user-" + strconv.Itoa(i%251)),
		Value: bytes.Repeat([]byte{byte(i), byte(i >> 8), 0, 0xff}, i%7),
		Headers: []sluice.Header{
			{Key: "seq", Value: []byte(strconv.Itoa(i))},
			{Key: "dup", Value: []byte("a")},
			{Key: "dup", Value: []byte{}},
		},
	}
	switch i % 50 {
	case 0:
		r.Value = nil
	case 1:
		r.Key = []byte{}
	case 2:
		r.Timestamp = time.UnixMilli(1_600_000_000_000 + int64(i))
	}
	return r
}

type delivered struct {
	md  sluice.RecordMetadata
	err error
}

// produceAll produces the records and waits for every report.
func produceAll(t *testing.T, p *sluice.Producer, recs []*sluice.Record) []delivered {
	t.Helper()
	out, err := produceReports(t.Context(), p, recs)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// produceReports produces the records and returns every report; the error
// is Flush's (any goroutine may call it).
func produceReports(ctx context.Context, p *sluice.Producer, recs []*sluice.Record) ([]delivered, error) {
	out := make([]delivered, len(recs))
	var wg sync.WaitGroup
	wg.Add(len(recs))
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	for i, r := range recs {
		p.Produce(ctx, r, func(md sluice.RecordMetadata, err error) {
			out[i] = delivered{md, err}
			wg.Done()
		})
	}
	if err := p.Flush(ctx); err != nil {
		return nil, fmt.Errorf("flush: %w", err)
	}
	wg.Wait()
	return out, nil
}

// consumeAll reads a topic to its end.
func consumeAll(t *testing.T, c *sluice.Client, cfg sluice.ConsumerConfig) []*sluice.Record {
	t.Helper()
	cons, err := sluice.NewConsumer(c, cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer cons.Close()
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	var out []*sluice.Record
	for r, err := range cons.Records(ctx) {
		if err != nil {
			t.Fatalf("consume %s: %v", cfg.Topic, err)
		}
		out = append(out, r)
	}
	return out
}

func sameRecord(got, want *sluice.Record) error {
	switch {
	case (got.Key == nil) != (want.Key == nil) || !bytes.Equal(got.Key, want.Key):
		return fmt.Errorf("key %q (nil %v), want %q (nil %v)", got.Key, got.Key == nil, want.Key, want.Key == nil)
	case (got.Value == nil) != (want.Value == nil) || !bytes.Equal(got.Value, want.Value):
		return fmt.Errorf("value %x (nil %v), want %x (nil %v)", got.Value, got.Value == nil, want.Value, want.Value == nil)
	case !slices.EqualFunc(got.Headers, want.Headers, func(a, b sluice.Header) bool { return a.Key == b.Key && bytes.Equal(a.Value, b.Value) }):
		return fmt.Errorf("headers %q, want %q", got.Headers, want.Headers)
	case !want.Timestamp.IsZero() && !got.Timestamp.Equal(want.Timestamp):
		return fmt.Errorf("timestamp %v, want %v", got.Timestamp, want.Timestamp)
	case want.Timestamp.IsZero() && time.Since(got.Timestamp) > time.Hour:
		return fmt.Errorf("timestamp %v: the broker's time was expected", got.Timestamp)
	}
	return nil
}

// checkReadBack matches what was read with what was produced: every record
// once, at the offset its report gave, identical, offsets of each partition
// dense from 0, and in produce order.
func checkReadBack(t *testing.T, recs []*sluice.Record, reports []delivered, read []*sluice.Record) {
	t.Helper()
	type pos struct {
		p   int32
		off int64
	}
	index := map[pos]int{}
	for i, d := range reports {
		if d.err != nil {
			t.Fatalf("record %d: %v", i, d.err)
		}
		index[pos{d.md.Partition, d.md.Offset}] = i
	}
	if len(read) != len(recs) {
		t.Fatalf("read %d records, produced %d", len(read), len(recs))
	}
	next := map[int32]int64{}
	lastIndex := map[int32]int{}
	for _, r := range read {
		if r.Offset != next[r.Partition] {
			t.Fatalf("partition %d: offset %d after %d", r.Partition, r.Offset, next[r.Partition]-1)
		}
		next[r.Partition]++
		i, ok := index[pos{r.Partition, r.Offset}]
		if !ok {
			t.Fatalf("read %d/%d, which no report named", r.Partition, r.Offset)
		}
		if err := sameRecord(r, recs[i]); err != nil {
			t.Fatalf("record %d at %d/%d: %v", i, r.Partition, r.Offset, err)
		}
		if last, ok := lastIndex[r.Partition]; ok && last > i {
			t.Fatalf("partition %d: record %d stored after record %d", r.Partition, last, i)
		}
		lastIndex[r.Partition] = i
	}
}

func TestProduceAndConsumeTenThousandRecords(t *testing.T) {
	const n, partitions = 10_000, 4
	topic := topicName("ten-thousand")
	c := newClient(t, brokerAddr)
	createTopic(t, c, sluice.TopicSpec{Name: topic, Partitions: partitions})
	p, err := sluice.NewProducer(c, sluice.ProducerConfig{BatchMaxRecords: 500})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	recs := make([]*sluice.Record, n)
	for i := range recs {
		recs[i] = testRecord(topic, i)
	}
	reports := produceAll(t, p, recs)
	for i, d := range reports {
		if want := sluice.PartitionForKey(recs[i].Key, partitions); d.err == nil && d.md.Partition != want {
			t.Fatalf("record %d with key %q went to partition %d, murmur2 says %d", i, recs[i].Key, d.md.Partition, want)
		}
	}
	read := consumeAll(t, c, sluice.ConsumerConfig{Topic: topic, FetchMaxRecords: 700})
	checkReadBack(t, recs, reports, read)

	// The bounds agree with what was read.
	ctx := t.Context()
	latest, err := sluice.NewAdmin(c).ListOffsets(ctx, topic, sluice.Latest)
	if err != nil {
		t.Fatal(err)
	}
	var total int64
	for _, o := range latest {
		total += o.Offset
	}
	if len(latest) != partitions || total != n {
		t.Fatalf("high watermarks %+v, want %d records in %d partitions", latest, n, partitions)
	}
}

func TestKeylessRecordsSpreadOverPartitions(t *testing.T) {
	topic := topicName("keyless")
	c := newClient(t, brokerAddr)
	createTopic(t, c, sluice.TopicSpec{Name: topic, Partitions: 3})
	p, _ := sluice.NewProducer(c, sluice.ProducerConfig{BatchMaxRecords: 10, Linger: time.Hour})
	defer p.Close()
	recs := make([]*sluice.Record, 60)
	for i := range recs {
		recs[i] = &sluice.Record{Topic: topic, Value: []byte(strconv.Itoa(i))}
	}
	reports := produceAll(t, p, recs)
	perPartition := map[int32]int{}
	for i, d := range reports {
		if d.err != nil {
			t.Fatal(d.err)
		}
		perPartition[d.md.Partition]++
		// A full batch of 10 keyless records goes to one partition.
		if i%10 != 0 && d.md.Partition != reports[i-1].md.Partition {
			t.Fatalf("record %d left its batch's partition", i)
		}
	}
	if !maps3(perPartition, 20) {
		t.Fatalf("records per partition %v, want 20 each (round-robin per batch)", perPartition)
	}
}

func maps3(m map[int32]int, each int) bool {
	return len(m) == 3 && m[0] == each && m[1] == each && m[2] == each
}

func TestConsumerStartsAndFollows(t *testing.T) {
	topic := topicName("follow")
	c := newClient(t, brokerAddr)
	createTopic(t, c, sluice.TopicSpec{Name: topic, Partitions: 2})
	p, _ := sluice.NewProducer(c, sluice.ProducerConfig{})
	defer p.Close()
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	old := []*sluice.Record{{Topic: topic, Value: []byte("old-0")}, {Topic: topic, Value: []byte("old-1")}}
	if _, err := p.ProduceSync(ctx, old...); err != nil {
		t.Fatal(err)
	}
	cons, _ := sluice.NewConsumer(c, sluice.ConsumerConfig{Topic: topic, Start: sluice.Latest, Follow: true})
	defer cons.Close()
	// The first Next resolves "latest" before anything new is produced.
	firstCtx, stop := context.WithTimeout(ctx, 200*time.Millisecond)
	if _, err := cons.Next(firstCtx); err != context.DeadlineExceeded {
		t.Fatalf("nothing new yet: got %v", err)
	}
	stop()
	go func() {
		for i := range 5 {
			p.Produce(ctx, &sluice.Record{Topic: topic, Key: []byte("k"), Value: []byte("new-" + strconv.Itoa(i))}, nil)
		}
	}()
	for i := range 5 {
		r, err := cons.Next(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if want := "new-" + strconv.Itoa(i); string(r.Value) != want {
			t.Fatalf("read %q, want %q", r.Value, want)
		}
	}
	if err := cons.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := cons.Next(ctx); err != sluice.ErrClosed {
		t.Fatalf("Next after Close: %v", err)
	}
}

func TestConsumerReportsOutOfRange(t *testing.T) {
	topic := topicName("out-of-range")
	c := newClient(t, brokerAddr)
	createTopic(t, c, sluice.TopicSpec{Name: topic, Partitions: 1})
	cons, _ := sluice.NewConsumer(c, sluice.ConsumerConfig{Topic: topic, Start: sluice.AtOffset(99)})
	defer cons.Close()
	_, err := cons.Next(t.Context())
	var se *sluice.Error
	if !errAs(err, &se) || se.Code.String() != "OutOfRange" {
		t.Fatalf("got %v, want OUT_OF_RANGE", err)
	}
}

func TestUnknownTopic(t *testing.T) {
	c := newClient(t, brokerAddr)
	p, _ := sluice.NewProducer(c, sluice.ProducerConfig{})
	defer p.Close()
	_, err := p.ProduceSync(t.Context(), &sluice.Record{Topic: "no-such-topic", Value: []byte("x")})
	var se *sluice.Error
	if !errAs(err, &se) || se.Code.String() != "NotFound" {
		t.Fatalf("got %v, want NOT_FOUND", err)
	}
}

// A broker killed and restarted on its address and data: the producer
// retries until it is back, the follow consumer resumes after the last record
// it got; nothing is lost, duplicated or reordered.
func TestProducerAndConsumerRideOutABrokerRestart(t *testing.T) {
	topic := topicName("restart")
	dir := t.TempDir()
	b, err := startBroker(filepath.Join(dir, "data"), "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(b.kill)
	if err := b.waitServing(30 * time.Second); err != nil {
		t.Fatal(err)
	}
	c := newClient(t, b.addr)
	createTopic(t, c, sluice.TopicSpec{Name: topic, Partitions: 2})
	p, _ := sluice.NewProducer(c, sluice.ProducerConfig{RetryBackoff: 20 * time.Millisecond, RetryBackoffMax: 200 * time.Millisecond, MaxRetries: 100})
	defer p.Close()
	batch := func(from, n int) []*sluice.Record {
		var out []*sluice.Record
		for i := from; i < from+n; i++ {
			out = append(out, &sluice.Record{Topic: topic, Key: []byte(strconv.Itoa(i % 10)), Value: []byte(strconv.Itoa(i))})
		}
		return out
	}
	first := batch(0, 500)
	reports := produceAll(t, p, first)

	cons, _ := sluice.NewConsumer(c, sluice.ConsumerConfig{Topic: topic, Follow: true, FetchMaxRecords: 50, RetryBackoff: 20 * time.Millisecond, MaxRetries: 100})
	defer cons.Close()
	ctx, cancel := context.WithTimeout(t.Context(), 40*time.Second)
	defer cancel()
	var read []*sluice.Record
	for len(read) < 300 {
		r, err := cons.Next(ctx)
		if err != nil {
			t.Fatal(err)
		}
		read = append(read, r)
	}

	b.kill()
	second := batch(500, 500)
	type result struct {
		reports []delivered
		err     error
	}
	done := make(chan result)
	go func() {
		r, err := produceReports(ctx, p, second)
		done <- result{r, err}
	}()
	b2, err := startBroker(filepath.Join(dir, "data"), b.addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(b2.kill)
	if err := b2.waitServing(30 * time.Second); err != nil {
		t.Fatal(err)
	}
	res := <-done
	if res.err != nil {
		t.Fatal(res.err)
	}
	reports = append(reports, res.reports...)
	for len(read) < 1000 {
		r, err := cons.Next(ctx)
		if err != nil {
			t.Fatalf("after %d records: %v", len(read), err)
		}
		read = append(read, r)
	}
	checkReadBack(t, append(first, second...), reports, read)
}

func errAs(err error, target **sluice.Error) bool { return errors.As(err, target) }
