package sluice_test

import (
	"testing"

	sluice "github.com/sluice-io/sluice/clients/go"
)

// TestCompressedProduceAndConsume produces with each codec and reads back:
// every record once, identical, at its reported offset, also when a read
// starts inside a compressed batch.
func TestCompressedProduceAndConsume(t *testing.T) {
	c := newClient(t, brokerAddr)
	for _, codec := range []sluice.Compression{sluice.CompressionGzip, sluice.CompressionSnappy, sluice.CompressionLZ4, sluice.CompressionZstd} {
		t.Run(codec.String(), func(t *testing.T) {
			const n, partitions = 2_000, 2
			topic := topicName("compressed-" + codec.String())
			createTopic(t, c, sluice.TopicSpec{Name: topic, Partitions: partitions})
			p, err := sluice.NewProducer(c, sluice.ProducerConfig{BatchMaxRecords: 300, Compression: codec})
			if err != nil {
				t.Fatal(err)
			}
			defer p.Close()
			recs := make([]*sluice.Record, n)
			for i := range recs {
				recs[i] = testRecord(topic, i)
			}
			reports := produceAll(t, p, recs)
			checkReadBack(t, recs, reports, consumeAll(t, c, sluice.ConsumerConfig{Topic: topic}))

			// From offset 7 of partition 0, inside its first batch.
			read := consumeAll(t, c, sluice.ConsumerConfig{Topic: topic, Partitions: []int32{0}, Start: sluice.AtOffset(7)})
			byOffset := map[int64]*sluice.Record{}
			for i, d := range reports {
				if d.md.Partition == 0 {
					byOffset[d.md.Offset] = recs[i]
				}
			}
			if len(read) != len(byOffset)-7 {
				t.Fatalf("read %d records from offset 7, want %d", len(read), len(byOffset)-7)
			}
			for i, r := range read {
				if r.Offset != int64(7+i) {
					t.Fatalf("record %d of the read has offset %d, want %d", i, r.Offset, 7+i)
				}
				if err := sameRecord(r, byOffset[r.Offset]); err != nil {
					t.Fatalf("offset %d: %v", r.Offset, err)
				}
			}
		})
	}
}

func TestParseCompression(t *testing.T) {
	for _, name := range []string{"none", "gzip", "snappy", "lz4", "zstd"} {
		c, err := sluice.ParseCompression(name)
		if err != nil || c.String() != name {
			t.Errorf("ParseCompression(%q) = %v, %v", name, c, err)
		}
	}
	if _, err := sluice.ParseCompression("brotli"); err == nil {
		t.Error("ParseCompression(brotli) succeeded")
	}
}
