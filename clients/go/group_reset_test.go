package sluice_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	sluice "github.com/sluice-io/sluice/clients/go"
	sluicev1 "github.com/sluice-io/sluice/gen/go/sluice/v1"
)

// TestGroupConsumerResetsOutOfRangeOffsets: a committed offset outside the
// partition's log (here past its end; retention moving the log start past a
// commit does the same) is where the group's Reset applies, as Kafka's
// auto.offset.reset does, instead of ending the read with OUT_OF_RANGE.
func TestGroupConsumerResetsOutOfRangeOffsets(t *testing.T) {
	topic := topicName("reset-out-of-range")
	c := newClient(t, brokerAddr)
	createTopic(t, c, sluice.TopicSpec{Name: topic, Partitions: 1})
	p, err := sluice.NewProducer(c, sluice.ProducerConfig{})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	produce := func(value string) {
		t.Helper()
		if _, err := p.ProduceSync(t.Context(), &sluice.Record{Topic: topic, Value: []byte(value)}); err != nil {
			t.Fatal(err)
		}
	}
	for _, v := range []string{"a", "b", "c"} {
		produce(v)
	}

	for _, tc := range []struct {
		reset     sluice.Position
		wantValue string
		wantAt    int64
	}{
		{sluice.Earliest, "a", 0},
		{sluice.Latest, "new", 3},
	} {
		t.Run(tc.reset.String(), func(t *testing.T) {
			group := topic + "-" + tc.reset.String()
			commitRaw(t, group, topic, 99999)
			var (
				mu     sync.Mutex
				resets []sluice.OffsetReset
				once   sync.Once
				reset  = make(chan struct{})
			)
			gc, err := sluice.NewGroupConsumer(c, sluice.GroupConsumerConfig{
				Group: group, Topics: []string{topic}, Reset: tc.reset,
				OnReset: func(r sluice.OffsetReset) {
					mu.Lock()
					resets = append(resets, r)
					mu.Unlock()
					once.Do(func() { close(reset) })
				},
			})
			if err != nil {
				t.Fatal(err)
			}
			defer gc.Close()
			ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
			var wg sync.WaitGroup
			defer func() { cancel(); wg.Wait() }()
			if tc.wantValue == "new" {
				// Latest: a record produced once the reset happened is read.
				wg.Add(1)
				go func() {
					defer wg.Done()
					select {
					case <-reset:
						_, _ = p.ProduceSync(ctx, &sluice.Record{Topic: topic, Value: []byte("new")})
					case <-ctx.Done():
					}
				}()
			}
			rec, err := gc.Next(ctx)
			if err != nil {
				t.Fatalf("Next after committing offset 99999 with Reset %v: %v", tc.reset, err)
			}
			if string(rec.Value) != tc.wantValue || rec.Offset != tc.wantAt {
				t.Fatalf("read %q at %d; want %q at %d", rec.Value, rec.Offset, tc.wantValue, tc.wantAt)
			}
			mu.Lock()
			defer mu.Unlock()
			if len(resets) != 1 || resets[0].Offset != 99999 || resets[0].Partition != 0 || resets[0].To != tc.reset {
				t.Fatalf("OnReset saw %+v; want one reset of offset 99999 to %v", resets, tc.reset)
			}
		})
	}
}

// commitRaw commits offset for partition 0 of topic in a group without
// members, as a tool would.
func commitRaw(t *testing.T, group, topic string, offset int64) {
	t.Helper()
	conn, err := grpc.NewClient(brokerAddr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_, err = sluicev1.NewGroupCoordinatorServiceClient(conn).CommitOffsets(t.Context(), &sluicev1.CommitOffsetsRequest{
		GroupId: group, Offsets: []*sluicev1.CommittedOffset{{Topic: topic, Partition: 0, Offset: offset}},
	})
	if err != nil {
		t.Fatalf("commit %d: %v", offset, err)
	}
}
