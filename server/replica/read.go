package replica

import (
	"fmt"

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
	var decodeErr error
	err := r.cfg.DB.ReadLog(r.cfg.Group, from, hw, maxBytes, func(ie storage.IndexEntry, data []byte) bool {
		e, err := decodeBatch(data)
		if err != nil {
			decodeErr = fmt.Errorf("raft entry %d: %w", ie.RaftIndex, err)
			return false
		}
		return fn(Batch{BaseOffset: ie.BaseOffset, Count: int(ie.Count), Records: e.records})
	})
	if err == nil {
		err = decodeErr
	}
	if err != nil {
		return fmt.Errorf("read %s/%d from offset %d: %w", r.cfg.Topic, r.cfg.Partition, from, err)
	}
	return nil
}
