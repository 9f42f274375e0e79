package sluice_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"

	sluice "github.com/sluice-io/sluice/clients/go"
)

// These examples run against the broker TestMain starts; brokerAddr is its
// "host:port". Example is the README's example, verbatim (readme_test.go
// checks it).

func Example() {
	ctx := context.Background()
	client, err := sluice.NewClient([]string{brokerAddr}) // any broker of the cluster, "host:port"
	if err != nil {
		log.Fatal(err)
	}
	defer client.Close()
	admin := sluice.NewAdmin(client)
	if _, err := admin.CreateTopic(ctx, sluice.TopicSpec{Name: "greetings", Partitions: 3}); err != nil {
		log.Fatal(err)
	}
	defer admin.DeleteTopic(ctx, "greetings") // when done: the example can run again

	producer, _ := sluice.NewProducer(client, sluice.ProducerConfig{})
	for _, name := range []string{"alice", "bob", "carol"} {
		rec := &sluice.Record{Topic: "greetings", Key: []byte(name), Value: []byte("hello " + name)}
		producer.Produce(ctx, rec, func(md sluice.RecordMetadata, err error) {
			fmt.Printf("acked %s: partition %d, offset %d, error %v\n", name, md.Partition, md.Offset, err)
		})
	}
	producer.Close() // sends what is buffered, waits for every acknowledgement

	consumer, _ := sluice.NewConsumer(client, sluice.ConsumerConfig{Topic: "greetings"}) // every partition, from the earliest offset
	defer consumer.Close()
	for rec, err := range consumer.Records(ctx) { // ends at the end of the log
		if err != nil {
			log.Fatal(err)
		}
		fmt.Printf("read %s: %s\n", rec.Key, rec.Value)
	}
	// Unordered output:
	// acked alice: partition 0, offset 0, error <nil>
	// acked bob: partition 0, offset 1, error <nil>
	// acked carol: partition 2, offset 0, error <nil>
	// read alice: hello alice
	// read bob: hello bob
	// read carol: hello carol
}

func ExampleProducer_ProduceSync() {
	ctx := context.Background()
	client, _ := sluice.NewClient([]string{brokerAddr})
	defer client.Close()
	admin := sluice.NewAdmin(client)
	if _, err := admin.CreateTopic(ctx, sluice.TopicSpec{Name: "orders", Partitions: 4}); err != nil {
		log.Fatal(err)
	}
	defer admin.DeleteTopic(ctx, "orders")
	producer, _ := sluice.NewProducer(client, sluice.ProducerConfig{Acks: sluice.AcksAll})
	defer producer.Close()

	mds, err := producer.ProduceSync(ctx,
		&sluice.Record{Topic: "orders", Key: []byte("user-1"), Value: []byte("paid"),
			Headers: []sluice.Header{{Key: "source", Value: []byte("web")}}},
		&sluice.Record{Topic: "orders", Key: []byte("user-1"), Value: []byte("shipped")},
		&sluice.Record{Topic: "orders", Partition: 3, ManualPartition: true, Value: nil}, // a null value
	)
	if err != nil {
		log.Fatal(err)
	}
	for _, md := range mds {
		fmt.Printf("%s/%d@%d\n", md.Topic, md.Partition, md.Offset)
	}
	// Output:
	// orders/0@0
	// orders/0@1
	// orders/3@0
}

func ExampleConsumer_Next() {
	ctx := context.Background()
	client, _ := sluice.NewClient([]string{brokerAddr})
	defer client.Close()
	admin := sluice.NewAdmin(client)
	if _, err := admin.CreateTopic(ctx, sluice.TopicSpec{Name: "events", Partitions: 1}); err != nil {
		log.Fatal(err)
	}
	defer admin.DeleteTopic(ctx, "events")
	producer, _ := sluice.NewProducer(client, sluice.ProducerConfig{})
	for i := range 5 {
		producer.Produce(ctx, &sluice.Record{Topic: "events", Value: fmt.Appendf(nil, "event %d", i)}, nil)
	}
	producer.Close()

	// Partition 0 from offset 2, up to the end of the log.
	consumer, _ := sluice.NewConsumer(client, sluice.ConsumerConfig{
		Topic: "events", Partitions: []int32{0}, Start: sluice.AtOffset(2),
	})
	defer consumer.Close()
	for {
		rec, err := consumer.Next(ctx)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			log.Fatal(err)
		}
		fmt.Printf("%d: %s\n", rec.Offset, rec.Value)
	}
	fmt.Println("positions:", consumer.Positions())
	// Output:
	// 2: event 2
	// 3: event 3
	// 4: event 4
	// positions: map[0:5]
}

func ExampleAdmin_ListOffsets() {
	ctx := context.Background()
	client, _ := sluice.NewClient([]string{brokerAddr})
	defer client.Close()
	admin := sluice.NewAdmin(client)
	if _, err := admin.CreateTopic(ctx, sluice.TopicSpec{Name: "clicks", Partitions: 2}); err != nil {
		log.Fatal(err)
	}
	defer admin.DeleteTopic(ctx, "clicks")
	producer, _ := sluice.NewProducer(client, sluice.ProducerConfig{})
	for range 3 {
		producer.Produce(ctx, &sluice.Record{Topic: "clicks", Partition: 1, ManualPartition: true, Value: []byte("click")}, nil)
	}
	producer.Close()

	offsets, err := admin.ListOffsets(ctx, "clicks", sluice.Latest)
	if err != nil {
		log.Fatal(err)
	}
	for _, o := range offsets {
		fmt.Printf("partition %d: high watermark %d\n", o.Partition, o.Offset)
	}
	// Output:
	// partition 0: high watermark 0
	// partition 1: high watermark 3
}

func ExampleAdmin_DescribeTopic() {
	ctx := context.Background()
	client, _ := sluice.NewClient([]string{brokerAddr})
	defer client.Close()
	admin := sluice.NewAdmin(client)
	if _, err := admin.CreateTopic(ctx, sluice.TopicSpec{
		Name: "audit", Partitions: 2, Configs: map[string]string{"retention.ms": "86400000"},
	}); err != nil {
		log.Fatal(err)
	}
	defer admin.DeleteTopic(ctx, "audit")
	desc, err := admin.DescribeTopic(ctx, "audit")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(desc.Name, len(desc.Partitions), "partitions, replication", desc.ReplicationFactor, desc.Configs)

	_, err = admin.DescribeTopic(ctx, "no-such-topic")
	var se *sluice.Error
	if errors.As(err, &se) {
		fmt.Println(se.Code, se.Retryable)
	}
	// Output:
	// audit 2 partitions, replication 1 map[retention.ms:86400000]
	// NotFound false
}

func ExamplePartitionForKey() {
	fmt.Println(sluice.PartitionForKey([]byte("foobar"), 12))
	// Output: 6
}
