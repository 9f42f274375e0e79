package main

import (
	"errors"
	"fmt"

	"google.golang.org/grpc"
	"google.golang.org/grpc/encoding"
	"google.golang.org/grpc/mem"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"

	sluicev1 "github.com/sluice-io/sluice/gen/go/sluice/v1"
)

// The benchmarks send produce requests and read fetch responses in protobuf
// wire form, so the client spends little CPU on the machine it shares with
// the broker: record bytes are encoded once and every request reuses them,
// and the consumer counts records without building a message per record.
// Other messages take the standard proto codec.

// Field numbers of the messages the benchmarks encode or scan.
const (
	produceSequence  = 1
	produceTopic     = 2
	producePartition = 3
	produceRecords   = 4
	produceAcks      = 5

	fetchPartitionField = 1
	fetchRecordsField   = 2

	recordOffsetField = 1
	recordKeyField    = 3
	recordValueField  = 4
)

// benchMessage is a message in wire form, as consecutive parts. Sent parts
// are referenced, not copied, until gRPC has written them, so they must not
// change after SendMsg; received messages reuse parts[0].
type benchMessage struct {
	parts [][]byte
}

// bytes returns a received message.
func (m *benchMessage) bytes() []byte {
	if len(m.parts) == 0 {
		return nil
	}
	return m.parts[0]
}

// benchCodec passes benchMessage through and hands anything else to the
// standard proto codec. Its name is "proto", so the broker sees ordinary
// application/grpc+proto calls.
type benchCodec struct{ base encoding.CodecV2 }

func (c benchCodec) Marshal(v any) (mem.BufferSlice, error) {
	m, ok := v.(*benchMessage)
	if !ok {
		return c.base.Marshal(v)
	}
	out := make(mem.BufferSlice, len(m.parts))
	for i, p := range m.parts {
		out[i] = mem.SliceBuffer(p)
	}
	return out, nil
}

func (c benchCodec) Unmarshal(data mem.BufferSlice, v any) error {
	m, ok := v.(*benchMessage)
	if !ok {
		return c.base.Unmarshal(data, v)
	}
	var buf []byte
	if len(m.parts) == 1 {
		buf = m.parts[0]
	}
	n := data.Len()
	if cap(buf) < n {
		buf = make([]byte, n)
	}
	buf = buf[:n]
	data.CopyTo(buf)
	m.parts = [][]byte{buf}
	return nil
}

func (benchCodec) Name() string { return "proto" }

// benchCallOption makes a call use benchCodec.
func benchCallOption() (grpc.CallOption, error) {
	base := encoding.GetCodecV2("proto")
	if base == nil {
		return nil, errors.New("no proto codec registered")
	}
	return grpc.ForceCodecV2(benchCodec{base: base}), nil
}

// produceHeader encodes the fields of a ProduceRequest other than its
// records; the records field follows it in the same message.
func produceHeader(seq uint64, topic string, partition int32, acks sluicev1.Acks) []byte {
	b := make([]byte, 0, 32+len(topic))
	b = protowire.AppendTag(b, produceSequence, protowire.VarintType)
	b = protowire.AppendVarint(b, seq)
	b = protowire.AppendTag(b, produceTopic, protowire.BytesType)
	b = protowire.AppendString(b, topic)
	b = protowire.AppendTag(b, producePartition, protowire.VarintType)
	b = protowire.AppendVarint(b, uint64(partition))
	b = protowire.AppendTag(b, produceAcks, protowire.VarintType)
	return protowire.AppendVarint(b, uint64(acks))
}

// appendRecord appends one element of ProduceRequest.records: a record with
// only a value (no key, timestamp 0 so the broker stamps it).
func appendRecord(b, value []byte) []byte {
	size := protowire.SizeTag(recordValueField) + protowire.SizeBytes(len(value))
	b = protowire.AppendTag(b, produceRecords, protowire.BytesType)
	b = protowire.AppendVarint(b, uint64(size))
	b = protowire.AppendTag(b, recordValueField, protowire.BytesType)
	return protowire.AppendBytes(b, value)
}

// encodeRecords encodes the records field of a request holding values.
func encodeRecords(values [][]byte) []byte {
	size := 0
	for _, v := range values {
		size += 8 + len(v)
	}
	b := make([]byte, 0, size)
	for _, v := range values {
		b = appendRecord(b, v)
	}
	return b
}

// fetchCount is what a fetch response held.
type fetchCount struct {
	partition  int32
	records    int64
	bytes      int64 // keys and values
	lastOffset int64 // of the last record; -1 with no records
}

// scanFetchResponse counts the records of a FetchResponse in wire form
// without decoding them into messages.
func scanFetchResponse(b []byte) (fetchCount, error) {
	c := fetchCount{lastOffset: -1}
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			return c, fmt.Errorf("bad fetch response: %w", protowire.ParseError(n))
		}
		b = b[n:]
		switch {
		case num == fetchPartitionField && typ == protowire.VarintType:
			v, n := protowire.ConsumeVarint(b)
			if n < 0 {
				return c, fmt.Errorf("bad fetch response partition: %w", protowire.ParseError(n))
			}
			c.partition = int32(v)
			b = b[n:]
		case num == fetchRecordsField && typ == protowire.BytesType:
			rec, n := protowire.ConsumeBytes(b)
			if n < 0 {
				return c, fmt.Errorf("bad fetch response record: %w", protowire.ParseError(n))
			}
			offset, size, err := scanRecord(rec)
			if err != nil {
				return c, err
			}
			c.records++
			c.bytes += size
			c.lastOffset = offset
			b = b[n:]
		default:
			n := protowire.ConsumeFieldValue(num, typ, b)
			if n < 0 {
				return c, fmt.Errorf("bad fetch response field %d: %w", num, protowire.ParseError(n))
			}
			b = b[n:]
		}
	}
	return c, nil
}

// scanRecord returns a Record's offset and the size of its key and value.
func scanRecord(b []byte) (offset, size int64, err error) {
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			return 0, 0, fmt.Errorf("bad record: %w", protowire.ParseError(n))
		}
		b = b[n:]
		switch {
		case num == recordOffsetField && typ == protowire.VarintType:
			v, n := protowire.ConsumeVarint(b)
			if n < 0 {
				return 0, 0, fmt.Errorf("bad record offset: %w", protowire.ParseError(n))
			}
			offset = int64(v)
			b = b[n:]
		case (num == recordKeyField || num == recordValueField) && typ == protowire.BytesType:
			v, n := protowire.ConsumeBytes(b)
			if n < 0 {
				return 0, 0, fmt.Errorf("bad record field %d: %w", num, protowire.ParseError(n))
			}
			size += int64(len(v))
			b = b[n:]
		default:
			n := protowire.ConsumeFieldValue(num, typ, b)
			if n < 0 {
				return 0, 0, fmt.Errorf("bad record field %d: %w", num, protowire.ParseError(n))
			}
			b = b[n:]
		}
	}
	return offset, size, nil
}

// decodeFetchResponse counts a fetch response by decoding it fully, as a
// consumer that uses the records would (for --decode).
func decodeFetchResponse(b []byte) (fetchCount, error) {
	var resp sluicev1.FetchResponse
	if err := proto.Unmarshal(b, &resp); err != nil {
		return fetchCount{}, fmt.Errorf("bad fetch response: %w", err)
	}
	c := fetchCount{partition: resp.GetPartition(), lastOffset: -1}
	for _, r := range resp.GetRecords() {
		c.records++
		c.bytes += int64(len(r.GetKey()) + len(r.GetValue()))
		c.lastOffset = r.GetOffset()
	}
	return c, nil
}
