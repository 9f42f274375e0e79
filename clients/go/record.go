package sluice

import (
	"strconv"
	"time"

	sluicev1 "github.com/sluice-io/sluice/gen/go/sluice/v1"
	"github.com/sluice-io/sluice/server/partitioner"
)

// Record is one event: what a Producer sends and what a Consumer returns.
//
// Key and Value are nil for null, which differs from empty ([]byte{}): a
// record with a nil Key is spread over partitions, one with an empty key goes
// to the partition of the empty key. The producer does not copy Key, Value or
// header values: leave them unchanged until the record's callback ran.
type Record struct {
	Topic string
	Key   []byte
	Value []byte
	// Headers keep their order; keys may repeat.
	Headers []Header
	// Timestamp is the record's time. When producing, the zero Time means
	// "now" on the broker. It has millisecond precision.
	Timestamp time.Time

	// Partition is the record's partition in consumed records. When
	// producing it is used only with ManualPartition; otherwise the
	// producer chooses the partition (the key's, or round-robin for keyless
	// records).
	Partition int32
	// ManualPartition makes the producer send the record to Partition.
	ManualPartition bool
	// Offset is the record's offset in consumed records; ignored when producing.
	Offset int64
}

// Header is one application-defined key/value pair of a record.
type Header struct {
	Key   string
	Value []byte
}

// RecordMetadata is where a produced record was stored.
type RecordMetadata struct {
	Topic     string
	Partition int32
	// Offset is -1 with AcksNone.
	Offset int64
	// Throttle is how long the broker held back the answer to the record's
	// batch because the client is over a quota (the response's
	// throttle_time_ms); 0 when it was not. A throttled record is still
	// stored: quotas slow clients down, they never fail them.
	Throttle time.Duration
}

// PartitionForKey returns the partition of a non-nil key among n partitions:
// (murmur2(key) & 0x7fffffff) % n, as Kafka's default partitioner and the
// Sluice broker compute it.
func PartitionForKey(key []byte, n int32) int32 {
	return partitioner.ForKey(key, n)
}

// Murmur2 is Kafka's murmur2 hash of data (Utils.murmur2), as a signed int32.
func Murmur2(data []byte) int32 {
	return partitioner.Murmur2(data)
}

func (r *Record) toProto() *sluicev1.Record {
	pr := &sluicev1.Record{Key: r.Key, Value: r.Value}
	if !r.Timestamp.IsZero() {
		pr.TimestampMs = r.Timestamp.UnixMilli()
	}
	if len(r.Headers) > 0 {
		pr.Headers = make([]*sluicev1.Header, len(r.Headers))
		for i, h := range r.Headers {
			pr.Headers[i] = &sluicev1.Header{Key: h.Key, Value: h.Value}
		}
	}
	return pr
}

func recordFromProto(topic string, partition int32, pr *sluicev1.Record) *Record {
	r := &Record{
		Topic: topic, Partition: partition, Offset: pr.GetOffset(),
		Key: pr.Key, Value: pr.Value, Timestamp: time.UnixMilli(pr.GetTimestampMs()),
	}
	if n := len(pr.GetHeaders()); n > 0 {
		r.Headers = make([]Header, n)
		for i, h := range pr.GetHeaders() {
			v := h.GetValue()
			if v == nil {
				v = []byte{}
			}
			r.Headers[i] = Header{Key: h.GetKey(), Value: v}
		}
	}
	return r
}

// Position is where a read starts in a partition, or which offset ListOffsets
// looks up. The zero Position is Earliest.
type Position struct {
	kind   positionKind
	offset int64
	time   time.Time
}

type positionKind uint8

const (
	posEarliest positionKind = iota
	posLatest
	posOffset
	posTime
)

var (
	// Earliest is the oldest record still stored (the log start offset).
	Earliest = Position{kind: posEarliest}
	// Latest is the high watermark: only records committed from then on.
	Latest = Position{kind: posLatest}
)

// AtOffset is an absolute offset, between the log start offset and the high
// watermark.
func AtOffset(offset int64) Position { return Position{kind: posOffset, offset: offset} }

// AtTime is the first record whose timestamp is at or after t.
func AtTime(t time.Time) Position { return Position{kind: posTime, time: t} }

func (p Position) String() string {
	switch p.kind {
	case posLatest:
		return "latest"
	case posOffset:
		return "offset " + strconv.FormatInt(p.offset, 10)
	case posTime:
		return "time " + p.time.Format(time.RFC3339Nano)
	}
	return "earliest"
}

func (p Position) toProto() *sluicev1.StartPosition {
	switch p.kind {
	case posLatest:
		return &sluicev1.StartPosition{Position: &sluicev1.StartPosition_Boundary{Boundary: sluicev1.Boundary_BOUNDARY_LATEST}}
	case posOffset:
		return &sluicev1.StartPosition{Position: &sluicev1.StartPosition_Offset{Offset: p.offset}}
	case posTime:
		return &sluicev1.StartPosition{Position: &sluicev1.StartPosition_TimestampMs{TimestampMs: p.time.UnixMilli()}}
	}
	return &sluicev1.StartPosition{Position: &sluicev1.StartPosition_Boundary{Boundary: sluicev1.Boundary_BOUNDARY_EARLIEST}}
}
