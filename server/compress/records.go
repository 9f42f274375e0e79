package compress

import (
	"fmt"

	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"

	sluicev1 "github.com/sluice-io/sluice/gen/go/sluice/v1"
)

// AppendRecords appends the records' encodings to dst as a batch stores them:
// for each, a varint length and the sluice.v1.Record bytes. Offsets are left
// out (the broker assigns them).
func AppendRecords(dst []byte, records []*sluicev1.Record) ([]byte, error) {
	opts := proto.MarshalOptions{Deterministic: true}
	for i, r := range records {
		if r.GetOffset() != 0 {
			r = proto.CloneOf(r)
			r.Offset = 0
		}
		dst = protowire.AppendVarint(dst, uint64(opts.Size(r)))
		var err error
		if dst, err = opts.MarshalAppend(dst, r); err != nil {
			return nil, fmt.Errorf("encode record %d: %w", i, err)
		}
	}
	return dst, nil
}

// NewBatch compresses records into one RecordBatch.
func NewBatch(c sluicev1.Compression, records []*sluicev1.Record) (*sluicev1.RecordBatch, error) {
	plain, err := AppendRecords(nil, records)
	if err != nil {
		return nil, err
	}
	data, err := Encode(c, plain)
	if err != nil {
		return nil, err
	}
	return &sluicev1.RecordBatch{Compression: c, RecordCount: int32(len(records)), CompressedRecords: data}, nil
}

// BatchRecords decompresses a batch of a fetch response and returns its
// records, each with its offset (the batch's base offset plus its position).
// limit bounds the decompressed size as in Decode. It fails if the batch
// holds another number of records than it says.
func BatchRecords(b *sluicev1.RecordBatch, limit int) ([]*sluicev1.Record, error) {
	plain, err := Decode(b.GetCompression(), b.GetCompressedRecords(), limit)
	if err != nil {
		return nil, err
	}
	// The count is the sender's word: every record takes at least a byte
	// (its length), so no more than len(plain) are allocated for, and a
	// negative count allocates nothing (and fails below).
	out := make([]*sluicev1.Record, 0, min(max(int(b.GetRecordCount()), 0), len(plain)))
	for len(plain) > 0 {
		data, n := protowire.ConsumeBytes(plain)
		if n < 0 {
			return nil, fmt.Errorf("%w: record %d is cut short", ErrCorrupt, len(out))
		}
		r := &sluicev1.Record{}
		if err := proto.Unmarshal(data, r); err != nil {
			return nil, fmt.Errorf("%w: record %d: %v", ErrCorrupt, len(out), err)
		}
		r.Offset = b.GetBaseOffset() + int64(len(out))
		out = append(out, r)
		plain = plain[n:]
	}
	if len(out) != int(b.GetRecordCount()) {
		return nil, fmt.Errorf("%w: the batch says %d records and holds %d", ErrCorrupt, b.GetRecordCount(), len(out))
	}
	return out, nil
}
