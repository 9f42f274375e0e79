package wire

import (
	"errors"
	"fmt"

	"google.golang.org/protobuf/encoding/protowire"

	sluicev1 "github.com/sluice-io/sluice/gen/go/sluice/v1"
	"github.com/sluice-io/sluice/server/compress"
)

// Field numbers of ProduceRequest.batch, FetchResponse.batches and
// sluice.v1.RecordBatch.
const (
	produceBatch = 10
	fetchBatches = 5

	batchCompression = 1
	batchRecordCount = 2
	batchBaseOffset  = 3
	batchCompressed  = 4
)

// Batch is the compressed batch of a produce request.
type Batch struct {
	Compression sluicev1.Compression
	Count       int64
	// Data is the compressed records; it aliases the request.
	Data []byte
	// Plain is Data decompressed: the records as a batch stores them
	// (length-delimited encodings). The request's Records alias it.
	Plain []byte
}

// parseBatchField reads a ProduceRequest.batch field; the batch is checked
// and expanded once the whole request is read (expandBatch).
func (req *ProduceRequest) parseBatchField(b []byte) (int, error) {
	v, n := protowire.ConsumeBytes(b)
	if n < 0 {
		return 0, &FieldError{"batch", errMalformed.Error()}
	}
	if req.Batch == nil {
		req.Batch = &Batch{}
	}
	for len(v) > 0 {
		num, typ, m := consumeTag(v)
		if m < 0 {
			return 0, &FieldError{"batch", errMalformed.Error()}
		}
		v = v[m:]
		m = protowire.ConsumeFieldValue(num, typ, v)
		if m < 0 {
			return 0, &FieldError{"batch", errMalformed.Error()}
		}
		switch {
		case num == batchCompression && typ == protowire.VarintType:
			c, _ := protowire.ConsumeVarint(v)
			req.Batch.Compression = sluicev1.Compression(int32(c))
		case num == batchRecordCount && typ == protowire.VarintType:
			c, _ := protowire.ConsumeVarint(v)
			req.Batch.Count = int64(int32(c))
		case num == batchCompressed && typ == protowire.BytesType:
			req.Batch.Data, _ = protowire.ConsumeBytes(v[:m])
		}
		v = v[m:]
	}
	return n, nil
}

// expandBatch decompresses the request's batch (at most
// lim.MaxDecompressedBytes, through a reader that stops there) and parses
// its records into req.Records, as if they had come one by one, checking that
// there are as many as the batch says. A batch that does not decompress is
// refused here, so it is never stored.
func (req *ProduceRequest) expandBatch(lim ParseLimits) error {
	bt := req.Batch
	switch {
	case len(req.Records) > 0:
		return &FieldError{"batch", fmt.Sprintf("a request carries records or a batch, not both (got %d records and a batch)", len(req.Records))}
	case !compress.Known(bt.Compression):
		return &FieldError{"batch.compression", fmt.Sprintf("unknown codec %d (known: 0 none, 1 gzip, 2 snappy, 3 lz4, 4 zstd)", int32(bt.Compression))}
	case bt.Count <= 0:
		return &FieldError{"batch.record_count", fmt.Sprintf("must be at least 1 (got %d)", bt.Count)}
	}
	plain, err := compress.Decode(bt.Compression, bt.Data, lim.MaxDecompressedBytes)
	var tooLarge *compress.TooLargeError
	switch {
	case errors.As(err, &tooLarge):
		return &FieldError{"batch.compressed_records", fmt.Sprintf("%d compressed bytes decompress to more than %d bytes, the broker's limit for one batch (MaxDecompressedBytes)", len(bt.Data), lim.MaxDecompressedBytes)}
	case err != nil:
		return &FieldError{"batch.compressed_records", fmt.Sprintf("does not decompress as %s: %v", compress.Name(bt.Compression), err)}
	}
	bt.Plain = plain
	for rest := plain; len(rest) > 0; {
		v, n := protowire.ConsumeBytes(rest)
		if n < 0 {
			return &FieldError{"batch.compressed_records", fmt.Sprintf("record %d is cut short (want each record as a varint length and its encoding)", len(req.Records))}
		}
		rec, err := parseRecord(v, len(req.Records), lim)
		if err != nil {
			var fe *FieldError
			if errors.As(err, &fe) {
				fe.Field = "batch." + fe.Field
			}
			return err
		}
		req.Records = append(req.Records, rec)
		rest = rest[n:]
	}
	if int64(len(req.Records)) != bt.Count {
		return &FieldError{"batch.record_count", fmt.Sprintf("is %d, but compressed_records holds %d records", bt.Count, len(req.Records))}
	}
	return nil
}

// RecordField names record i of the request in errors.
func (req *ProduceRequest) RecordField(i int) string {
	if req.Batch != nil {
		return fmt.Sprintf("batch.records[%d]", i)
	}
	return fmt.Sprintf("records[%d]", i)
}

// AppendCompressedProduceRequest appends a ProduceRequest for one partition
// whose records are a compressed batch: what a broker sends when it forwards
// a compressed part to the partition's leader.
func AppendCompressedProduceRequest(dst []byte, topic string, partition int32, acks sluicev1.Acks, c sluicev1.Compression, count int, data []byte) []byte {
	dst = appendProduceHeader(dst, topic, partition, acks)
	size := protowire.SizeTag(batchCompression) + protowire.SizeVarint(uint64(c)) +
		protowire.SizeTag(batchRecordCount) + protowire.SizeVarint(uint64(count)) +
		protowire.SizeTag(batchCompressed) + protowire.SizeBytes(len(data))
	dst = protowire.AppendTag(dst, produceBatch, protowire.BytesType)
	dst = protowire.AppendVarint(dst, uint64(size))
	dst = protowire.AppendTag(dst, batchCompression, protowire.VarintType)
	dst = protowire.AppendVarint(dst, uint64(c))
	dst = protowire.AppendTag(dst, batchRecordCount, protowire.VarintType)
	dst = protowire.AppendVarint(dst, uint64(count))
	dst = protowire.AppendTag(dst, batchCompressed, protowire.BytesType)
	return protowire.AppendBytes(dst, data)
}

// AddBatch appends a stored compressed batch, whole, with its base offset.
func (r *FetchResponse) AddBatch(base int64, count int, c sluicev1.Compression, data []byte) {
	size := protowire.SizeTag(batchCompression) + protowire.SizeVarint(uint64(c)) +
		protowire.SizeTag(batchRecordCount) + protowire.SizeVarint(uint64(count)) +
		protowire.SizeTag(batchCompressed) + protowire.SizeBytes(len(data))
	if base != 0 {
		size += protowire.SizeTag(batchBaseOffset) + protowire.SizeVarint(uint64(base))
	}
	r.buf = protowire.AppendTag(r.buf, fetchBatches, protowire.BytesType)
	r.buf = protowire.AppendVarint(r.buf, uint64(size))
	r.buf = protowire.AppendTag(r.buf, batchCompression, protowire.VarintType)
	r.buf = protowire.AppendVarint(r.buf, uint64(c))
	r.buf = protowire.AppendTag(r.buf, batchRecordCount, protowire.VarintType)
	r.buf = protowire.AppendVarint(r.buf, uint64(count))
	if base != 0 {
		r.buf = protowire.AppendTag(r.buf, batchBaseOffset, protowire.VarintType)
		r.buf = protowire.AppendVarint(r.buf, uint64(base))
	}
	r.buf = protowire.AppendTag(r.buf, batchCompressed, protowire.BytesType)
	r.buf = protowire.AppendBytes(r.buf, data)
	r.records += count
	r.batches++
}

// Batches is how many compressed batches were added since Reset.
func (r *FetchResponse) Batches() int { return r.batches }

// batchRecordCountOf reads the record_count of a RecordBatch in wire form.
func batchRecordCountOf(b []byte) (int, error) {
	count := 0
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			return 0, ErrCorruptBatch
		}
		b = b[n:]
		m := protowire.ConsumeFieldValue(num, typ, b)
		if m < 0 {
			return 0, ErrCorruptBatch
		}
		if num == batchRecordCount && typ == protowire.VarintType {
			v, _ := protowire.ConsumeVarint(b)
			count = int(int32(v))
		}
		b = b[m:]
	}
	return count, nil
}
