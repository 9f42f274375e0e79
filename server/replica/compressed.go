package replica

import (
	"fmt"

	"google.golang.org/protobuf/encoding/protowire"

	sluicev1 "github.com/sluice-io/sluice/gen/go/sluice/v1"
	"github.com/sluice-io/sluice/server/compress"
)

// Compressed batches are stored as the producer (or the leader, applying the
// topic's compression.type) compressed them: one request, one entry, its
// records field the compressed bytes and its compression field the codec.
// Entries without the field (all entries written before compression existed)
// are uncompressed.

// batchCompression is the field number of ProduceBatch.compression.
const batchCompression = 10

// AppendCompressed queues a compressed batch of count records (the
// compressed bytes of length-delimited encodings, see package wire) as a
// proposal of its own: compressed streams cannot be concatenated into one.
// done is called exactly once, unless AppendCompressed returns an error; as
// for AppendAcks, with leaderAck as soon as this leader's log holds it.
func (r *Replica) AppendCompressed(records []byte, c sluicev1.Compression, count int, maxTS int64, leaderAck bool, done Done) error {
	return r.enqueue(&request{records: records, codec: c, count: count, maxTS: maxTS, done: done, leaderAck: leaderAck})
}

// coalesces reports whether req may share an entry with other requests:
// not a compressed one (compressed streams cannot be concatenated) nor an
// idempotent one (decided alone at apply, see producers.go).
func (req *request) coalesces() bool { return req.codec == compress.None && req.producer == nil }

// appendCompression adds the codec of a compressed entry.
func appendCompression(b []byte, c sluicev1.Compression) []byte {
	if c == compress.None {
		return b
	}
	b = protowire.AppendTag(b, batchCompression, protowire.VarintType)
	return protowire.AppendVarint(b, uint64(c))
}

// Plain returns the batch's records uncompressed (Records itself when the
// batch is not compressed). The broker checked the batch before storing it,
// so a failure here means stored data is damaged.
func (b Batch) Plain() ([]byte, error) {
	out, err := compress.Decode(b.Compression, b.Records, 0)
	if err != nil {
		return nil, fmt.Errorf("batch at offset %d: %w", b.BaseOffset, err)
	}
	return out, nil
}
