package server

import (
	"github.com/sluice-io/sluice/server/replica"
	"github.com/sluice-io/sluice/server/wire"
)

// timeLookup is where a partition reaches a time.
type timeLookup struct {
	// offset is the first offset whose record timestamp is at or after the
	// time, and timestamp that record's; when found is false no committed
	// record is that late, and offset is the high watermark the lookup saw:
	// where a read for later records starts.
	offset, timestamp int64
	found             bool
}

// offsetForTime finds the first record of r whose timestamp is at or after
// ts. The time index names the batch that holds it; the batch's records are
// then read for their timestamps (timestamps within a batch, and between
// batches, need not increase).
func offsetForTime(r *replica.Replica, ts int64) (timeLookup, error) {
	base, ok, hw, err := r.BatchAtTime(ts)
	if err != nil || !ok {
		return timeLookup{offset: hw}, err
	}
	// The batch found holds a record at or after ts; the loop goes on past
	// it only if storage and records disagree, and ends at the watermark.
	for next := base; next < hw; {
		at, progressed, err := scanBatches(r, next, ts)
		if err != nil || at.found {
			return at, err
		}
		if progressed <= next {
			break
		}
		next = progressed
	}
	return timeLookup{offset: hw}, nil
}

// scanBatches reads batches from offset from and returns the first record at
// or after ts in them, or the offset after the last record read.
func scanBatches(r *replica.Replica, from, ts int64) (at timeLookup, next int64, err error) {
	next = from
	var decodeErr error
	_, _, err = r.Read(from, defaultMaxBytes, func(b replica.Batch) bool {
		off := b.BaseOffset
		var records []byte
		if records, decodeErr = b.Plain(); decodeErr != nil {
			return false
		}
		decodeErr = wire.ForEachRecord(records, func(rec []byte) bool {
			if t := wire.RecordTimestamp(rec); off >= from && t >= ts {
				at = timeLookup{offset: off, timestamp: t, found: true}
				return false
			}
			off++
			return true
		})
		next = b.BaseOffset + int64(b.Count)
		return decodeErr == nil && !at.found
	})
	if err == nil {
		err = decodeErr
	}
	return at, next, err
}
