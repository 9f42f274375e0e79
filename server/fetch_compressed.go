package server

import (
	"fmt"
	"slices"

	sluicev1 "github.com/sluice-io/sluice/gen/go/sluice/v1"
	"github.com/sluice-io/sluice/server/compress"
	"github.com/sluice-io/sluice/server/replica"
	"github.com/sluice-io/sluice/server/wire"
)

// A fetch response carries plain records, then compressed batches: a client
// that accepts a batch's codec gets the batch whole, as stored; every other
// record is decompressed here. Plain records come only before the first batch
// of a response, so a batch that must go plain after one ends the response
// and starts the next. A read that starts inside a batch gets that batch's
// remaining records plain, so no client ever sees a record before its start.

// plainMemo keeps the last batch a fetcher decompressed: when a response
// limit cuts a batch, the next response starts inside the same batch.
type plainMemo struct {
	partition int32
	base      int64
	count     int
	records   []byte
}

// acceptedCodecs is what a fetch may send compressed: nothing with a total
// limit, which the sink enforces by trimming plain records.
func acceptedCodecs(req *sluicev1.FetchRequest) []sluicev1.Compression {
	if req.GetMaxTotalRecords() > 0 {
		return nil
	}
	return req.GetAcceptCompression()
}

// sendsWhole reports whether b goes to the client as a compressed batch.
func (f *fetcher) sendsWhole(c *cursor, b replica.Batch) bool {
	return b.Compression != compress.None && b.BaseOffset >= c.next && slices.Contains(f.accept, b.Compression)
}

// addBatch adds the records of b from c.next on to the response, up to its
// limits, and reports whether the response may take more.
func (f *fetcher) addBatch(c *cursor, b replica.Batch, maxRecs int) (more bool, err error) {
	if f.sendsWhole(c, b) {
		fits := f.resp.Records()+b.Count <= maxRecs && f.resp.Size()+len(b.Records) <= f.lim.bytes
		switch {
		case fits || f.resp.Records() == 0 && f.resp.Records()+b.Count <= maxRecs:
			// A batch larger than max_bytes still goes whole when it is first.
			f.resp.AddBatch(b.BaseOffset, b.Count, b.Compression, b.Records)
			c.next = b.BaseOffset + int64(b.Count)
			return f.resp.Records() < maxRecs && f.resp.Size() < f.lim.bytes, nil
		case f.resp.Records() > 0:
			return false, nil // the next response starts with it
		}
		// Alone it holds more than max_records: its first records go plain.
	}
	if f.resp.Batches() > 0 {
		return false, nil
	}
	records, err := f.plain(c, b)
	if err != nil {
		return false, err
	}
	off := b.BaseOffset
	err = wire.ForEachRecord(records, func(rec []byte) bool {
		if off >= c.next {
			f.resp.AddRecord(off, rec)
			c.next = off + 1
		}
		off++
		return f.resp.Records() < maxRecs && f.resp.Size() < f.lim.bytes
	})
	return err == nil && f.resp.Records() < maxRecs && f.resp.Size() < f.lim.bytes, err
}

// plain returns b's records uncompressed, from the memo when the last
// batch decompressed was this one.
func (f *fetcher) plain(c *cursor, b replica.Batch) ([]byte, error) {
	if b.Compression == compress.None {
		return b.Records, nil
	}
	m := &f.memo
	if m.records != nil && m.partition == c.partition && m.base == b.BaseOffset && m.count == b.Count {
		return m.records, nil
	}
	records, err := b.Plain()
	if err != nil {
		return nil, err
	}
	*m = plainMemo{partition: c.partition, base: b.BaseOffset, count: b.Count, records: records}
	return records, nil
}

// validateAcceptCompression refuses codecs the broker does not know: a
// client that lists one expects batches it could never get.
func validateAcceptCompression(codecs []sluicev1.Compression) error {
	for i, c := range codecs {
		if !compress.Known(c) {
			return badRequest(fmt.Sprintf("accept_compression[%d]", i), "unknown codec %d (known: 1 gzip, 2 snappy, 3 lz4, 4 zstd)", int32(c))
		}
	}
	return nil
}
