package replica

import (
	"errors"
	"fmt"

	"go.etcd.io/raft/v3"

	"github.com/sluice-io/sluice/storage"
)

// Read calls fn with committed batches from the one holding offset from, in
// order, until fn returns false or about maxBytes were passed (at least one
// batch). The first batch may start before from; callers skip those records.
// It returns the high watermark and log start offset the read was bounded by.
// Reading at the high watermark returns no batch; reading outside
// [log start, high watermark] is an *OutOfRangeError.
func (r *Replica) Read(from int64, maxBytes int, fn func(Batch) bool) (hw, logStart int64, err error) {
	logStart = r.logStart.Load()
	hw = r.hw.Load()
	if from < logStart || from > hw {
		return hw, logStart, &OutOfRangeError{Topic: r.cfg.Topic, Partition: r.cfg.Partition, Offset: from, LogStart: logStart, HighWatermark: hw}
	}
	if from == hw {
		return hw, logStart, nil
	}
	if batches, ok := r.cache.get(from, hw, maxBytes); ok {
		for _, b := range batches {
			if !fn(b) {
				break
			}
		}
		return hw, logStart, nil
	}
	return hw, logStart, r.readStorage(from, hw, maxBytes, fn)
}

func (r *Replica) readStorage(from, hw int64, maxBytes int, fn func(Batch) bool) error {
	var readErr error
	first := true
	err := r.cfg.DB.ReadLog(r.cfg.Group, from, hw, maxBytes, func(ie storage.IndexEntry, data []byte) bool {
		// Offsets are contiguous, so the batch holding from starts at or
		// before it; one that starts after it means retention removed the
		// batches before it since the caller checked the log start.
		if first && ie.BaseOffset > from {
			readErr = r.outOfRange(from)
			return false
		}
		first = false
		e, err := decodeBatch(data)
		if err != nil {
			readErr = fmt.Errorf("raft entry %d: %w", ie.RaftIndex, err)
			return false
		}
		return fn(Batch{BaseOffset: ie.BaseOffset, Count: int(ie.Count), Records: e.records, Compression: e.codec})
	})
	if errors.Is(err, raft.ErrCompacted) {
		err = r.outOfRange(from)
	}
	if err == nil {
		err = readErr
	}
	if err != nil {
		return fmt.Errorf("read %s/%d from offset %d: %w", r.cfg.Topic, r.cfg.Partition, from, err)
	}
	return nil
}

// outOfRange is the error for a read from an offset retention removed,
// with the bounds as they are now.
func (r *Replica) outOfRange(from int64) error {
	return &OutOfRangeError{Topic: r.cfg.Topic, Partition: r.cfg.Partition, Offset: from,
		LogStart: r.logStart.Load(), HighWatermark: r.hw.Load()}
}

// BatchAtTime returns the base offset of the first committed batch whose
// largest record timestamp is at or after ts (the batch holding the first
// record at or after ts, which the caller finds by reading it); ok is false
// when no committed record is that late. hw is the high watermark the
// lookup was bounded by: where a read for later records starts.
func (r *Replica) BatchAtTime(ts int64) (base int64, ok bool, hw int64, err error) {
	logStart := r.logStart.Load()
	hw = r.hw.Load()
	e, ok, err := r.cfg.DB.BatchAtTime(r.cfg.Group, logStart, ts)
	if err != nil {
		return 0, false, hw, fmt.Errorf("find time %d in %s/%d: %w", ts, r.cfg.Topic, r.cfg.Partition, err)
	}
	// Storage may hold batches being applied past the published watermark.
	if !ok || e.BaseOffset >= hw {
		return 0, false, hw, nil
	}
	return max(e.BaseOffset, logStart), true, hw, nil
}
