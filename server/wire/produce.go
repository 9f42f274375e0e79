// Package wire reads and writes the hot messages of the public API directly in
// protobuf wire format. Produce requests are parsed without materialising a Go
// struct per record, and fetch responses are assembled from the stored record
// bytes, so a record is never decoded and re-encoded on its way through.
//
// Stored records are consecutive length-delimited sluice.v1.Record encodings
// (a varint length, then the record's bytes) with no offset field: the offset is
// known only when the batch commits, and is written into each record as a fetch
// response is assembled.
package wire

import (
	"encoding/binary"
	"errors"
	"fmt"
	"unicode/utf8"

	"google.golang.org/protobuf/encoding/protowire"

	sluicev1 "github.com/sluice-io/sluice/gen/go/sluice/v1"
)

// Field numbers of sluice.v1.ProduceRequest, sluice.v1.Record and
// sluice.v1.Header; TestFieldNumbers holds them to the generated descriptors.
const (
	produceSequence      = 1
	produceTopic         = 2
	producePartition     = 3
	produceRecords       = 4
	produceAcks          = 5
	produceProducerID    = 6
	produceProducerEpoch = 7
	produceBaseSequence  = 8

	recordOffset    = 1
	recordTimestamp = 2
	recordKey       = 3
	recordValue     = 4
	recordHeaders   = 5

	headerKey   = 1
	headerValue = 2
)

// ProduceRequest is a parsed sluice.v1.ProduceRequest whose records still
// point into the request's bytes.
type ProduceRequest struct {
	Sequence      uint64
	Topic         string
	Partition     int32
	HasPartition  bool
	Acks          sluicev1.Acks
	ProducerID    int64
	ProducerEpoch int32
	BaseSequence  int32
	Records       []Record
	// Batch is set when the records came compressed (Records then alias
	// Batch.Plain).
	Batch *Batch
}

// Record is one record of a produce request.
type Record struct {
	// Data is the record's encoding without an offset field.
	Data []byte
	// Key aliases Data; nil when the record has no key (an empty key is not nil).
	Key []byte
	// TimestampMs is 0 when the producer left it unset.
	TimestampMs int64
}

// FieldError is a malformed or invalid field of a request.
type FieldError struct {
	Field  string
	Reason string
}

func (e *FieldError) Error() string { return e.Field + ": " + e.Reason }

var errMalformed = errors.New("malformed protobuf")

// ParseLimits bound what ParseProduceRequestWith accepts.
type ParseLimits struct {
	// MaxRecordBytes bounds each record's size (its encoding, less any
	// offset field).
	MaxRecordBytes int
	// MaxDecompressedBytes bounds what a compressed batch decompresses to;
	// decompression stops there.
	MaxDecompressedBytes int
	// MaxHeaders bounds the headers of each record; 0 is no limit.
	MaxHeaders int
}

// consumeTag is protowire.ConsumeTag refusing field numbers above
// protowire.MaxValidNumber (2^29-1). ConsumeTag lets them through (up to
// MaxInt32) but the generated decoders refuse them, so a record stored
// with one would fail to decode in every consumer.
func consumeTag(b []byte) (protowire.Number, protowire.Type, int) {
	num, typ, n := protowire.ConsumeTag(b)
	if n >= 0 && num > protowire.MaxValidNumber {
		return 0, 0, -1
	}
	return num, typ, n
}

// ParseProduceRequest parses b, which the caller must not modify while the
// result is in use. Each record's size (its encoding, less any offset field)
// must be at most maxRecordBytes, and so must a compressed batch
// decompressed.
func ParseProduceRequest(b []byte, maxRecordBytes int) (*ProduceRequest, error) {
	return ParseProduceRequestWith(b, ParseLimits{MaxRecordBytes: maxRecordBytes, MaxDecompressedBytes: maxRecordBytes})
}

// ParseProduceRequestWith is ParseProduceRequest with every limit given.
func ParseProduceRequestWith(b []byte, lim ParseLimits) (*ProduceRequest, error) {
	req := &ProduceRequest{}
	for len(b) > 0 {
		num, typ, n := consumeTag(b)
		if n < 0 {
			return nil, &FieldError{"request", errMalformed.Error()}
		}
		b = b[n:]
		n, err := req.parseField(num, typ, b, lim)
		if err != nil {
			return nil, err
		}
		b = b[n:]
	}
	if req.Batch != nil {
		if err := req.expandBatch(lim); err != nil {
			return nil, err
		}
	}
	return req, nil
}

func (req *ProduceRequest) parseField(num protowire.Number, typ protowire.Type, b []byte, lim ParseLimits) (int, error) {
	switch {
	case num == produceTopic && typ == protowire.BytesType:
		v, n := protowire.ConsumeBytes(b)
		if n < 0 || !utf8.Valid(v) {
			return 0, &FieldError{"topic", "not valid UTF-8"}
		}
		req.Topic = string(v)
		return n, nil
	case num == produceRecords && typ == protowire.BytesType:
		v, n := protowire.ConsumeBytes(b)
		if n < 0 {
			return 0, &FieldError{fmt.Sprintf("records[%d]", len(req.Records)), errMalformed.Error()}
		}
		rec, err := parseRecord(v, len(req.Records), lim)
		if err != nil {
			return 0, err
		}
		req.Records = append(req.Records, rec)
		return n, nil
	case num == produceBatch && typ == protowire.BytesType:
		return req.parseBatchField(b)
	case typ == protowire.VarintType && num >= produceSequence && num <= produceBaseSequence:
		v, n := protowire.ConsumeVarint(b)
		if n < 0 {
			return 0, &FieldError{"request", errMalformed.Error()}
		}
		req.setVarint(num, v)
		return n, nil
	}
	n := protowire.ConsumeFieldValue(num, typ, b)
	if n < 0 {
		return 0, &FieldError{"request", errMalformed.Error()}
	}
	return n, nil
}

func (req *ProduceRequest) setVarint(num protowire.Number, v uint64) {
	switch num {
	case produceSequence:
		req.Sequence = v
	case producePartition:
		req.Partition, req.HasPartition = int32(v), true
	case produceAcks:
		req.Acks = sluicev1.Acks(int32(v))
	case produceProducerID:
		req.ProducerID = int64(v)
	case produceProducerEpoch:
		req.ProducerEpoch = int32(v)
	case produceBaseSequence:
		req.BaseSequence = int32(v)
	}
}

// parseRecord validates one record and finds its key and timestamp. An offset
// set by the producer is dropped: offsets are the broker's to assign.
func parseRecord(b []byte, i int, lim ParseLimits) (Record, error) {
	rec := Record{Data: b}
	headers := 0
	field := func(name string) string { return fmt.Sprintf("records[%d]%s", i, name) }
	hasOffset := false
	for rest := b; len(rest) > 0; {
		num, typ, n := consumeTag(rest)
		if n < 0 {
			return rec, &FieldError{field(""), errMalformed.Error()}
		}
		rest = rest[n:]
		m := protowire.ConsumeFieldValue(num, typ, rest)
		if m < 0 {
			return rec, &FieldError{field(""), errMalformed.Error()}
		}
		val := rest[:m]
		rest = rest[m:]
		switch {
		case num == recordOffset:
			hasOffset = true
		case num == recordTimestamp && typ == protowire.VarintType:
			v, _ := protowire.ConsumeVarint(val)
			rec.TimestampMs = int64(v)
			if rec.TimestampMs < 0 {
				return rec, &FieldError{field(".timestamp_ms"), fmt.Sprintf("must not be negative (got %d)", rec.TimestampMs)}
			}
		case num == recordKey && typ == protowire.BytesType:
			rec.Key, _ = protowire.ConsumeBytes(val)
		case num == recordHeaders && typ == protowire.BytesType:
			h, _ := protowire.ConsumeBytes(val)
			if err := checkHeader(h); err != nil {
				return rec, &FieldError{field(".headers"), err.Error()}
			}
			if headers++; lim.MaxHeaders > 0 && headers > lim.MaxHeaders {
				return rec, &FieldError{field(".headers"), fmt.Sprintf("record has more than %d headers, the broker's limit per record (MaxRecordHeaders)", lim.MaxHeaders)}
			}
		}
	}
	if hasOffset {
		rec.Data = withoutField(b, recordOffset)
		rec.Key = findBytesField(rec.Data, recordKey)
	}
	if len(rec.Data) > lim.MaxRecordBytes {
		return rec, &FieldError{field(""), fmt.Sprintf("record is %d bytes, over the limit of %d bytes (max.message.bytes)", len(rec.Data), lim.MaxRecordBytes)}
	}
	return rec, nil
}

func checkHeader(b []byte) error {
	for len(b) > 0 {
		num, typ, n := consumeTag(b)
		if n < 0 {
			return errMalformed
		}
		b = b[n:]
		m := protowire.ConsumeFieldValue(num, typ, b)
		if m < 0 {
			return errMalformed
		}
		if num == headerKey && typ == protowire.BytesType {
			k, _ := protowire.ConsumeBytes(b[:m])
			if !utf8.Valid(k) {
				return errors.New("header key is not valid UTF-8")
			}
		}
		b = b[m:]
	}
	return nil
}

// withoutField returns a copy of the message b without any occurrence of field num.
func withoutField(b []byte, num protowire.Number) []byte {
	out := make([]byte, 0, len(b))
	for len(b) > 0 {
		n2, typ, n := protowire.ConsumeTag(b)
		m := protowire.ConsumeFieldValue(n2, typ, b[n:])
		if n2 != num {
			out = append(out, b[:n+m]...)
		}
		b = b[n+m:]
	}
	return out
}

// findBytesField returns the last value of bytes field num in b, nil if absent.
func findBytesField(b []byte, num protowire.Number) []byte {
	var v []byte
	for len(b) > 0 {
		n2, typ, n := protowire.ConsumeTag(b)
		m := protowire.ConsumeFieldValue(n2, typ, b[n:])
		if n2 == num && typ == protowire.BytesType {
			v, _ = protowire.ConsumeBytes(b[n : n+m])
		}
		b = b[n+m:]
	}
	return v
}

// MaxRecordOverhead is the most AppendRecord adds to a record's encoding:
// its length prefix and a timestamp field (tag and varint).
const MaxRecordOverhead = 2*binary.MaxVarintLen64 + 1

// AppendRecord appends rec to a stored batch: its length, its bytes, and a
// timestamp field when the producer set none (then ts, the broker's time).
func AppendRecord(dst []byte, rec Record, ts int64) []byte {
	size := len(rec.Data)
	if rec.TimestampMs == 0 {
		size += protowire.SizeTag(recordTimestamp) + protowire.SizeVarint(uint64(ts))
	}
	dst = protowire.AppendVarint(dst, uint64(size))
	dst = append(dst, rec.Data...)
	if rec.TimestampMs == 0 {
		dst = protowire.AppendTag(dst, recordTimestamp, protowire.VarintType)
		dst = protowire.AppendVarint(dst, uint64(ts))
	}
	return dst
}

// AppendRecordAt appends rec to a stored batch with ts as its timestamp,
// replacing the producer's: the broker's log-append time.
func AppendRecordAt(dst []byte, rec Record, ts int64) []byte {
	if rec.TimestampMs != 0 {
		rec = Record{Data: withoutField(rec.Data, recordTimestamp)}
	}
	return AppendRecord(dst, rec, ts)
}

// RecordTimestamp returns the timestamp of a stored record encoding (the
// last one, as protobuf reads it), 0 when it has none.
func RecordTimestamp(rec []byte) int64 {
	var ts int64
	for len(rec) > 0 {
		num, typ, n := protowire.ConsumeTag(rec)
		if n < 0 {
			return ts
		}
		m := protowire.ConsumeFieldValue(num, typ, rec[n:])
		if m < 0 {
			return ts
		}
		if num == recordTimestamp && typ == protowire.VarintType {
			v, _ := protowire.ConsumeVarint(rec[n:])
			ts = int64(v)
		}
		rec = rec[n+m:]
	}
	return ts
}

// AppendProduceRequest appends a ProduceRequest for one partition whose
// records are a stored batch (see AppendRecord): what a broker sends when it
// forwards records to the partition's leader.
func AppendProduceRequest(dst []byte, topic string, partition int32, acks sluicev1.Acks, batch []byte) ([]byte, error) {
	dst = appendProduceHeader(dst, topic, partition, acks)
	err := ForEachRecord(batch, func(rec []byte) bool {
		dst = protowire.AppendTag(dst, produceRecords, protowire.BytesType)
		dst = protowire.AppendBytes(dst, rec)
		return true
	})
	return dst, err
}

// appendProduceHeader appends the fields of a forwarded ProduceRequest other
// than its records.
func appendProduceHeader(dst []byte, topic string, partition int32, acks sluicev1.Acks) []byte {
	dst = protowire.AppendTag(dst, produceSequence, protowire.VarintType)
	dst = protowire.AppendVarint(dst, 1)
	dst = protowire.AppendTag(dst, produceTopic, protowire.BytesType)
	dst = protowire.AppendString(dst, topic)
	dst = protowire.AppendTag(dst, producePartition, protowire.VarintType)
	dst = protowire.AppendVarint(dst, uint64(partition))
	dst = protowire.AppendTag(dst, produceAcks, protowire.VarintType)
	return protowire.AppendVarint(dst, uint64(acks))
}

// PeekSequence returns the sequence of a produce request that failed to parse,
// so its error response still reaches the right waiter; 0 when not found.
// Like the parser it takes the last sequence field, as protobuf does (a
// forwarded request carries two: see AppendSequence), as far as it can read.
func PeekSequence(b []byte) uint64 {
	var seq uint64
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			return seq
		}
		b = b[n:]
		if num == produceSequence && typ == protowire.VarintType {
			v, m := protowire.ConsumeVarint(b)
			if m < 0 {
				return seq
			}
			seq, b = v, b[m:]
			continue
		}
		m := protowire.ConsumeFieldValue(num, typ, b)
		if m < 0 {
			return seq
		}
		b = b[m:]
	}
	return seq
}

// AppendSequence appends a sequence to an encoded ProduceRequest (see
// AppendProduceRequest), replacing the one it had: the last field wins.
func AppendSequence(dst []byte, seq uint64) []byte {
	dst = protowire.AppendTag(dst, produceSequence, protowire.VarintType)
	return protowire.AppendVarint(dst, seq)
}

// AppendProducer appends the idempotent producer fields to an encoded
// ProduceRequest (see AppendProduceRequest).
func AppendProducer(dst []byte, id int64, epoch, baseSequence int32) []byte {
	dst = protowire.AppendTag(dst, produceProducerID, protowire.VarintType)
	dst = protowire.AppendVarint(dst, uint64(id))
	dst = protowire.AppendTag(dst, produceProducerEpoch, protowire.VarintType)
	dst = protowire.AppendVarint(dst, uint64(int64(epoch)))
	dst = protowire.AppendTag(dst, produceBaseSequence, protowire.VarintType)
	return protowire.AppendVarint(dst, uint64(int64(baseSequence)))
}
