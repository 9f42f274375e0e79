package wire

import (
	"errors"

	"google.golang.org/protobuf/encoding/protowire"
)

// Field numbers of sluice.v1.FetchResponse.
const (
	fetchPartition      = 1
	fetchRecords        = 2
	fetchHighWatermark  = 3
	fetchLogStartOffset = 4
	fetchThrottleTimeMs = 6
)

// ErrCorruptBatch means stored record bytes do not parse; it is never the
// client's fault.
var ErrCorruptBatch = errors.New("stored record batch is corrupt")

// ForEachRecord calls fn with each record encoding of a stored batch, in order,
// until fn returns false.
func ForEachRecord(batch []byte, fn func(rec []byte) bool) error {
	for len(batch) > 0 {
		rec, n := protowire.ConsumeBytes(batch)
		if n < 0 {
			return ErrCorruptBatch
		}
		if !fn(rec) {
			return nil
		}
		batch = batch[n:]
	}
	return nil
}

// FetchResponse builds the wire form of a sluice.v1.FetchResponse.
type FetchResponse struct {
	buf     []byte
	records int // in records and batches
	batches int
}

// Reset starts a response for a partition, reusing the buffer.
func (r *FetchResponse) Reset(partition int32) {
	r.buf = r.buf[:0]
	r.records, r.batches = 0, 0
	if partition != 0 {
		r.buf = protowire.AppendTag(r.buf, fetchPartition, protowire.VarintType)
		r.buf = protowire.AppendVarint(r.buf, uint64(partition))
	}
}

// AddRecord appends a stored record with its offset.
func (r *FetchResponse) AddRecord(offset int64, rec []byte) {
	offsetSize := 0
	if offset != 0 {
		offsetSize = protowire.SizeTag(recordOffset) + protowire.SizeVarint(uint64(offset))
	}
	r.buf = protowire.AppendTag(r.buf, fetchRecords, protowire.BytesType)
	r.buf = protowire.AppendVarint(r.buf, uint64(offsetSize+len(rec)))
	if offset != 0 {
		r.buf = protowire.AppendTag(r.buf, recordOffset, protowire.VarintType)
		r.buf = protowire.AppendVarint(r.buf, uint64(offset))
	}
	r.buf = append(r.buf, rec...)
	r.records++
}

// Records is how many records were added since Reset, those of batches
// included.
func (r *FetchResponse) Records() int { return r.records }

// Size is the response's size so far.
func (r *FetchResponse) Size() int { return len(r.buf) }

// Finish appends the partition bounds and returns the message's bytes, valid
// until the next Reset.
func (r *FetchResponse) Finish(highWatermark, logStartOffset int64) []byte {
	if highWatermark != 0 {
		r.buf = protowire.AppendTag(r.buf, fetchHighWatermark, protowire.VarintType)
		r.buf = protowire.AppendVarint(r.buf, uint64(highWatermark))
	}
	if logStartOffset != 0 {
		r.buf = protowire.AppendTag(r.buf, fetchLogStartOffset, protowire.VarintType)
		r.buf = protowire.AppendVarint(r.buf, uint64(logStartOffset))
	}
	return r.buf
}

// AppendThrottleTime appends throttle_time_ms to a FetchResponse in wire
// form (a field may follow the others; the last one read counts).
func AppendThrottleTime(resp []byte, ms int32) []byte {
	resp = protowire.AppendTag(resp, fetchThrottleTimeMs, protowire.VarintType)
	return protowire.AppendVarint(resp, uint64(ms))
}

// CountRecords counts the records of a FetchResponse in wire form, those of
// its batches included.
func CountRecords(resp []byte) (int, error) {
	n := 0
	for len(resp) > 0 {
		num, typ, m := protowire.ConsumeTag(resp)
		if m < 0 {
			return 0, ErrCorruptBatch
		}
		resp = resp[m:]
		m = protowire.ConsumeFieldValue(num, typ, resp)
		if m < 0 {
			return 0, ErrCorruptBatch
		}
		// Only length-delimited fields 2 and 5 are records and batches: a
		// field of another wire type is unknown to a decoder, so not counted.
		switch {
		case num == fetchRecords && typ == protowire.BytesType:
			n++
		case num == fetchBatches && typ == protowire.BytesType:
			v, _ := protowire.ConsumeBytes(resp[:m])
			c, err := batchRecordCountOf(v)
			if err != nil {
				return 0, err
			}
			n += c
		}
		resp = resp[m:]
	}
	return n, nil
}

// TrimRecords returns a copy of a FetchResponse in wire form keeping only
// its first keep records. It is for responses without batches (a read with a
// total limit is sent uncompressed), which it would pass on whole.
func TrimRecords(resp []byte, keep int) []byte {
	out := make([]byte, 0, len(resp))
	for len(resp) > 0 {
		num, typ, m := protowire.ConsumeTag(resp)
		if m < 0 {
			break
		}
		v := protowire.ConsumeFieldValue(num, typ, resp[m:])
		if v < 0 {
			break
		}
		isRecord := num == fetchRecords && typ == protowire.BytesType
		if !isRecord || keep > 0 {
			out = append(out, resp[:m+v]...)
			if isRecord {
				keep--
			}
		}
		resp = resp[m+v:]
	}
	return out
}
