package main

import (
	"fmt"
	"sync/atomic"
	"time"

	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"

	sluicev1 "github.com/sluice-io/sluice/gen/go/sluice/v1"
	"github.com/sluice-io/sluice/server/compress"
	"github.com/sluice-io/sluice/server/compress/sample"
)

// bench produce --compression sends each request's records as one batch
// compressed with the codec, and --values json sends JSON events of about
// 1 KiB (package sample) instead of random bytes, which do not compress.
// Batches are encoded and compressed before the run, as the random ones
// are, so the producer's own CPU stays out of the broker's figures: the
// codecs' client-side cost is measured by `make bench-compression`.

// produceBatchField is the field number of ProduceRequest.batch.
const produceBatchField = 10

// batchSource serves requests from a few pre-encoded (and compressed)
// batches.
type batchSource struct {
	batchSize int
	codec     sluicev1.Compression
	json      bool
	size      int // value bytes per random record
	full      [][]byte
	fullBytes []int64 // value bytes of each full batch
	next      atomic.Uint32
}

func newBatchSource(size, batchSize int, codec sluicev1.Compression, json bool) (*batchSource, error) {
	s := &batchSource{batchSize: batchSize, codec: codec, json: json, size: size}
	pool := min(16, max(1, maxPoolBytes/max(batchSize*(s.recordBytes()+8), 1)))
	for i := range pool {
		b, n, err := s.encode(uint64(i), batchSize)
		if err != nil {
			return nil, err
		}
		s.full = append(s.full, b)
		s.fullBytes = append(s.fullBytes, n)
	}
	return s, nil
}

// recordBytes is about the value size of one record.
func (s *batchSource) recordBytes() int {
	if s.json {
		return 1100
	}
	return s.size
}

func (s *batchSource) values(seed uint64, n int) [][]byte {
	if s.json {
		return sample.JSONValues(seed, n)
	}
	return splitValues(randomBytes(s.size*n), s.size, n)
}

// encode builds the records field (or, compressed, the batch field) of a
// request of n records, and their value bytes.
func (s *batchSource) encode(seed uint64, n int) ([]byte, int64, error) {
	values := s.values(seed, n)
	var size int64
	for _, v := range values {
		size += int64(len(v))
	}
	if s.codec == compress.None {
		return encodeRecords(values), size, nil
	}
	now := time.Now().UnixMilli()
	recs := make([]*sluicev1.Record, n)
	for i, v := range values {
		// A timestamp, as the SDK sets, lets the broker store the batch as sent.
		recs[i] = &sluicev1.Record{TimestampMs: now, Value: v}
	}
	batch, err := compress.NewBatch(s.codec, recs)
	if err != nil {
		return nil, 0, err
	}
	raw, err := proto.Marshal(batch)
	if err != nil {
		return nil, 0, fmt.Errorf("encode batch: %w", err)
	}
	b := protowire.AppendTag(nil, produceBatchField, protowire.BytesType)
	return protowire.AppendBytes(b, raw), size, nil
}

func (s *batchSource) batch(n int) ([]byte, int64) {
	if n == s.batchSize {
		i := int(s.next.Add(1)) % len(s.full)
		return s.full[i], s.fullBytes[i]
	}
	// The last, shorter batch of a run. Compressing it cannot fail where
	// the pooled batches did not; if it did, its records go uncompressed.
	if b, size, err := s.encode(uint64(len(s.full)), n); err == nil {
		return b, size
	}
	values := s.values(0, n)
	var size int64
	for _, v := range values {
		size += int64(len(v))
	}
	return encodeRecords(values), size
}
