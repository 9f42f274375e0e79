package sluice

import (
	"fmt"
	"time"

	sluicev1 "github.com/sluice-io/sluice/gen/go/sluice/v1"
	"github.com/sluice-io/sluice/server/compress"
)

// Compression is the codec a Producer compresses its batches with.
type Compression int32

const (
	// CompressionNone sends records uncompressed (the default).
	CompressionNone Compression = iota
	// CompressionGzip: the best ratio of the four on JSON-like records, and
	// the most CPU.
	CompressionGzip
	// CompressionSnappy: fast, a lower ratio.
	CompressionSnappy
	// CompressionLZ4: the fastest, a ratio close to snappy's.
	CompressionLZ4
	// CompressionZstd: a ratio like gzip's at a fraction of its CPU; the
	// usual choice.
	CompressionZstd
)

// The values equal sluice.v1.Compression's.
var _ = [1]int{}[int(CompressionZstd)-int(sluicev1.Compression_COMPRESSION_ZSTD)]

// ParseCompression returns the codec named none, gzip, snappy, lz4 or zstd.
func ParseCompression(name string) (Compression, error) {
	c, err := compress.Parse(name)
	if err != nil {
		return CompressionNone, fmt.Errorf("sluice: %w", err)
	}
	return Compression(c), nil
}

func (c Compression) String() string { return compress.Name(sluicev1.Compression(c)) }

// compressedBatch builds the RecordBatch of b, once: a retry sends the same
// bytes. Records without a timestamp get the producer's clock first, as
// Kafka producers do, so that the broker can store the batch as it is sent
// instead of adding its own times and compressing again.
func (b *batch) compressedBatch(c Compression) (*sluicev1.RecordBatch, error) {
	if b.compressed != nil {
		return b.compressed, nil
	}
	now := time.Now().UnixMilli()
	recs := make([]*sluicev1.Record, len(b.records))
	for i, r := range b.records {
		if r.rec.GetTimestampMs() == 0 {
			r.rec.TimestampMs = now
		}
		recs[i] = r.rec
	}
	rb, err := compress.NewBatch(sluicev1.Compression(c), recs)
	if err != nil {
		return nil, err
	}
	b.compressed = rb
	return rb, nil
}

// fetchedRecords returns the records of a fetch response: its plain records,
// then those of its compressed batches, decompressed.
func fetchedRecords(resp *sluicev1.FetchResponse) ([]*sluicev1.Record, error) {
	recs := resp.GetRecords()
	for _, b := range resp.GetBatches() {
		more, err := compress.BatchRecords(b, 0)
		if err != nil {
			return nil, fmt.Errorf("sluice: batch at offset %d of partition %d: %w", b.GetBaseOffset(), resp.GetPartition(), err)
		}
		recs = append(recs, more...)
	}
	return recs, nil
}

// acceptedCodecs are the codecs a Consumer decompresses itself: all.
var acceptedCodecs = []sluicev1.Compression{
	sluicev1.Compression_COMPRESSION_GZIP, sluicev1.Compression_COMPRESSION_SNAPPY,
	sluicev1.Compression_COMPRESSION_LZ4, sluicev1.Compression_COMPRESSION_ZSTD,
}
