package sluice_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/protobuf/proto"

	sluice "github.com/sluice-io/sluice/clients/go"
	sluicev1 "github.com/sluice-io/sluice/gen/go/sluice/v1"
)

// TestProducerReportsThrottleOfItsClientID: a client named by WithClientID
// gets the quota of its client id, and its records report how long the
// broker held them back; a client without it is not held.
func TestProducerReportsThrottleOfItsClientID(t *testing.T) {
	id := topicName("quota-client")
	conn, err := grpc.NewClient(brokerAddr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	admin := sluicev1.NewAdminServiceClient(conn)
	entity := &sluicev1.QuotaEntity{ClientId: &sluicev1.QuotaEntityPart{Match: &sluicev1.QuotaEntityPart_Name{Name: id}}}
	// 10,000 B/s with a burst of 10,000 bytes: 20 KB sent at once is held
	// about a second.
	if _, err := admin.SetQuota(t.Context(), &sluicev1.SetQuotaRequest{Entity: entity, Values: &sluicev1.QuotaValues{ProduceBytesRate: proto.Int64(10000)}}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { admin.DeleteQuota(t.Context(), &sluicev1.DeleteQuotaRequest{Entity: entity}) })

	topic := topicName("quota")
	plain := newClient(t, brokerAddr)
	createTopic(t, plain, sluice.TopicSpec{Name: topic, Partitions: 1})
	named, err := sluice.NewClient([]string{brokerAddr}, sluice.WithClientID(id))
	if err != nil {
		t.Fatal(err)
	}
	defer named.Close()

	produce := func(c *sluice.Client) []sluice.RecordMetadata {
		t.Helper()
		p, err := sluice.NewProducer(c, sluice.ProducerConfig{})
		if err != nil {
			t.Fatal(err)
		}
		defer p.Close()
		recs := make([]*sluice.Record, 20)
		for i := range recs {
			recs[i] = &sluice.Record{Topic: topic, Value: make([]byte, 1000)}
		}
		md, err := p.ProduceSync(t.Context(), recs...)
		if err != nil {
			t.Fatalf("throttled produce failed: %v", err)
		}
		return md
	}
	throttled := false
	for _, m := range produce(named) {
		throttled = throttled || m.Throttle > 0
	}
	if !throttled {
		t.Error("20 KB over a quota of 10,000 B/s: no record reports a throttle")
	}
	for _, m := range produce(plain) {
		if m.Throttle != 0 {
			t.Fatalf("a client without a client id was throttled %v", m.Throttle)
		}
	}
}

// TestConsumerReportsThrottleOfItsClientID: a consumer whose client id has a
// fetch quota is told of each throttled response and still gets every
// record.
func TestConsumerReportsThrottleOfItsClientID(t *testing.T) {
	id := topicName("quota-reader")
	conn, err := grpc.NewClient(brokerAddr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	admin := sluicev1.NewAdminServiceClient(conn)
	entity := &sluicev1.QuotaEntity{ClientId: &sluicev1.QuotaEntityPart{Match: &sluicev1.QuotaEntityPart_Name{Name: id}}}
	if _, err := admin.SetQuota(t.Context(), &sluicev1.SetQuotaRequest{Entity: entity, Values: &sluicev1.QuotaValues{FetchBytesRate: proto.Int64(20000)}}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { admin.DeleteQuota(t.Context(), &sluicev1.DeleteQuotaRequest{Entity: entity}) })

	topic := topicName("quota-read")
	plain := newClient(t, brokerAddr)
	createTopic(t, plain, sluice.TopicSpec{Name: topic, Partitions: 1})
	p, err := sluice.NewProducer(plain, sluice.ProducerConfig{})
	if err != nil {
		t.Fatal(err)
	}
	recs := make([]*sluice.Record, 40)
	for i := range recs {
		recs[i] = &sluice.Record{Topic: topic, Value: make([]byte, 1000)}
	}
	if _, err := p.ProduceSync(t.Context(), recs...); err != nil {
		t.Fatal(err)
	}
	p.Close()

	named, err := sluice.NewClient([]string{brokerAddr}, sluice.WithClientID(id))
	if err != nil {
		t.Fatal(err)
	}
	defer named.Close()
	var mu sync.Mutex
	var throttles []time.Duration
	// 40 KB at 20,000 B/s, 8 KB a response: past the first 20 KB each
	// response is held.
	cons, err := sluice.NewConsumer(named, sluice.ConsumerConfig{Topic: topic, FetchMaxBytes: 8000, OnThrottle: func(d time.Duration) {
		mu.Lock()
		throttles = append(throttles, d)
		mu.Unlock()
	}})
	if err != nil {
		t.Fatal(err)
	}
	defer cons.Close()
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	n := 0
	for _, err := range cons.Records(ctx) {
		if err != nil {
			t.Fatal(err)
		}
		n++
	}
	mu.Lock()
	defer mu.Unlock()
	if n != len(recs) || len(throttles) == 0 {
		t.Fatalf("read %d of %d records, %d throttled responses reported; want all records and some throttled", n, len(recs), len(throttles))
	}
}
