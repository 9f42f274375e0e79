package replica

import (
	"errors"
	"fmt"
)

// NotLeaderError means this broker does not lead the partition; the request
// may succeed on the leader (Leader, 0 when not known yet).
type NotLeaderError struct {
	Leader uint64
}

func (e *NotLeaderError) Error() string {
	if e.Leader == 0 {
		return "the partition has no leader yet"
	}
	return fmt.Sprintf("this broker is not the partition's leader (broker %d is)", e.Leader)
}

// OutOfRangeError means a read asked for an offset the partition does not have.
type OutOfRangeError struct {
	Topic                           string
	Partition                       int32
	Offset, LogStart, HighWatermark int64
}

func (e *OutOfRangeError) Error() string {
	return fmt.Sprintf("offset %d is out of range: the partition holds offsets %d to %d (the high watermark, exclusive)",
		e.Offset, e.LogStart, e.HighWatermark)
}

// EntryTooLargeError refuses a request whose records (as stored) would
// make a raft entry larger than the partition's storage takes. Retrying
// cannot help: the request must be split by the producer.
type EntryTooLargeError struct {
	Size, Limit int
}

func (e *EntryTooLargeError) Error() string {
	return fmt.Sprintf("the records for this partition are %d bytes as stored, over the limit of %d bytes for one raft entry; send fewer records per request", e.Size, e.Limit)
}

var (
	// ErrProposalDropped means raft refused or lost a proposal before it
	// committed; the request was not appended and may be retried.
	ErrProposalDropped = errors.New("the write was not committed because the partition's leadership changed; retry")
	// ErrOverloaded means too many bytes are waiting to be proposed.
	ErrOverloaded = errors.New("the partition has too many writes waiting; retry later")
	// ErrStopped means the replica was closed (partition deleted or broker stopping).
	ErrStopped = errors.New("the partition replica is stopping")
)

// FailedError means the replica stopped because its state machine or its
// storage failed on this broker (see Replica.Failed); the partition's other
// replicas elect a leader without it. It is an ErrStopped.
type FailedError struct {
	Err error
}

func (e *FailedError) Error() string {
	return fmt.Sprintf("the partition's replica on this broker failed and stopped (%v); its other replicas take over", e.Err)
}

func (e *FailedError) Unwrap() []error { return []error{ErrStopped, e.Err} }
