package replica

import (
	"errors"
	"fmt"

	"google.golang.org/protobuf/encoding/protowire"

	sluicev1 "github.com/sluice-io/sluice/gen/go/sluice/v1"
)

// Field numbers of sluice.internal.v1.ProduceBatch and ProposalID; the entry
// test holds them to the generated descriptors. Entries are written and read
// with protowire so that the records field is never copied on the way.
const (
	batchProposal  = 1
	batchCount     = 2
	batchMaxTS     = 3
	batchRecords   = 4
	batchTruncate  = 5
	truncateOffset = 1
	proposalNode   = 1
	proposalIncarn = 2
	proposalSeq    = 3
)

// MaxEntryOverhead is the most a produce entry's own fields (proposal id,
// count, timestamp, producer, codec, the records' tag and length: about 100
// bytes) add to its records, with room to spare: an entry holds at most
// MaxEntryBytes less this of records.
const MaxEntryOverhead = 256

// proposalID names a proposal across brokers and restarts.
type proposalID struct {
	node, incarnation, seq uint64
}

// batchEntry is a decoded produce entry; records aliases the entry data. A
// retention entry has no records and truncate set (the new log start offset).
type batchEntry struct {
	proposal proposalID
	count    int
	maxTS    int64
	records  []byte
	codec    sluicev1.Compression
	truncate int64
	isTrunc  bool
	producer *Producer // set on an idempotent request's entry
}

// encodeTruncate writes a ProduceBatch that carries only a TruncatePrefix.
func encodeTruncate(logStart int64) []byte {
	var inner []byte
	inner = protowire.AppendTag(inner, truncateOffset, protowire.VarintType)
	inner = protowire.AppendVarint(inner, uint64(logStart))
	b := protowire.AppendTag(nil, batchTruncate, protowire.BytesType)
	return protowire.AppendBytes(b, inner)
}

func appendProposal(dst []byte, p proposalID) []byte {
	var inner []byte
	inner = protowire.AppendTag(inner, proposalNode, protowire.VarintType)
	inner = protowire.AppendVarint(inner, p.node)
	inner = protowire.AppendTag(inner, proposalIncarn, protowire.VarintType)
	inner = protowire.AppendVarint(inner, p.incarnation)
	inner = protowire.AppendTag(inner, proposalSeq, protowire.VarintType)
	inner = protowire.AppendVarint(inner, p.seq)
	dst = protowire.AppendTag(dst, batchProposal, protowire.BytesType)
	return protowire.AppendBytes(dst, inner)
}

// encodeBatch writes a ProduceBatch whose records are the concatenation of parts.
func encodeBatch(p proposalID, count int, maxTS int64, parts [][]byte) []byte {
	size := 0
	for _, part := range parts {
		size += len(part)
	}
	b := make([]byte, 0, size+64)
	b = appendProposal(b, p)
	b = protowire.AppendTag(b, batchCount, protowire.VarintType)
	b = protowire.AppendVarint(b, uint64(count))
	b = protowire.AppendTag(b, batchMaxTS, protowire.VarintType)
	b = protowire.AppendVarint(b, uint64(maxTS))
	b = protowire.AppendTag(b, batchRecords, protowire.BytesType)
	b = protowire.AppendVarint(b, uint64(size))
	for _, part := range parts {
		b = append(b, part...)
	}
	return b
}

var errBadEntry = errors.New("malformed produce entry")

// consumeTag is protowire.ConsumeTag refusing field numbers above
// protowire.MaxValidNumber, as the generated decoders do (ConsumeTag
// accepts up to MaxInt32), so every replica and tool reads an entry alike.
func consumeTag(b []byte) (protowire.Number, protowire.Type, int) {
	num, typ, n := protowire.ConsumeTag(b)
	if n >= 0 && num > protowire.MaxValidNumber {
		return 0, 0, -1
	}
	return num, typ, n
}

func decodeBatch(b []byte) (batchEntry, error) {
	var e batchEntry
	for len(b) > 0 {
		num, typ, n := consumeTag(b)
		if n < 0 {
			return e, errBadEntry
		}
		b = b[n:]
		m := protowire.ConsumeFieldValue(num, typ, b)
		if m < 0 {
			return e, errBadEntry
		}
		if err := e.setField(num, typ, b[:m]); err != nil {
			return e, err
		}
		b = b[m:]
	}
	switch {
	case e.isTrunc && (e.count != 0 || e.truncate < 0):
		return e, fmt.Errorf("%w: retention entry with %d records, log start %d", errBadEntry, e.count, e.truncate)
	case !e.isTrunc && e.count <= 0:
		return e, fmt.Errorf("%w: %d records", errBadEntry, e.count)
	}
	return e, nil
}

func (e *batchEntry) setField(num protowire.Number, typ protowire.Type, v []byte) error {
	switch {
	case num == batchProposal && typ == protowire.BytesType:
		inner, _ := protowire.ConsumeBytes(v)
		return decodeProposal(inner, &e.proposal)
	case num == batchCount && typ == protowire.VarintType:
		// record_count is an int32: read as protobuf does (its low 32
		// bits), so that an entry takes the offsets every decoder sees and
		// never more than the offset index's count can hold.
		c, _ := protowire.ConsumeVarint(v)
		e.count = int(int32(c))
	case num == batchMaxTS && typ == protowire.VarintType:
		ts, _ := protowire.ConsumeVarint(v)
		e.maxTS = int64(ts)
	case num == batchRecords && typ == protowire.BytesType:
		e.records, _ = protowire.ConsumeBytes(v)
	case num == batchProducer && typ == protowire.BytesType:
		inner, _ := protowire.ConsumeBytes(v)
		p, err := decodeProducer(inner)
		e.producer = p
		return err
	case num == batchCompression && typ == protowire.VarintType:
		c, _ := protowire.ConsumeVarint(v)
		e.codec = sluicev1.Compression(int32(c))
	case num == batchTruncate && typ == protowire.BytesType:
		inner, _ := protowire.ConsumeBytes(v)
		e.isTrunc = true
		return decodeTruncate(inner, &e.truncate)
	}
	return nil
}

func decodeTruncate(b []byte, offset *int64) error {
	for len(b) > 0 {
		num, typ, n := consumeTag(b)
		if n < 0 {
			return errBadEntry
		}
		m := protowire.ConsumeFieldValue(num, typ, b[n:])
		if m < 0 {
			return errBadEntry
		}
		if num == truncateOffset && typ == protowire.VarintType {
			v, _ := protowire.ConsumeVarint(b[n:])
			*offset = int64(v)
		}
		b = b[n+m:]
	}
	return nil
}

func decodeProposal(b []byte, p *proposalID) error {
	for len(b) > 0 {
		num, typ, n := consumeTag(b)
		if n < 0 || typ != protowire.VarintType {
			return errBadEntry
		}
		v, m := protowire.ConsumeVarint(b[n:])
		if m < 0 {
			return errBadEntry
		}
		switch num {
		case proposalNode:
			p.node = v
		case proposalIncarn:
			p.incarnation = v
		case proposalSeq:
			p.seq = v
		}
		b = b[n+m:]
	}
	return nil
}
