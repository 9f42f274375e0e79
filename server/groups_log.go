package server

import (
	"context"
	"fmt"
	"time"

	"google.golang.org/protobuf/proto"

	internalv1 "github.com/sluice-io/sluice/gen/go/sluice/internalpb/v1"
	sluicev1 "github.com/sluice-io/sluice/gen/go/sluice/v1"
	"github.com/sluice-io/sluice/server/group"
	"github.com/sluice-io/sluice/server/replica"
	"github.com/sluice-io/sluice/server/wire"
)

// offsetsLog is one partition of the offsets topic as the group coordinator
// uses it (group.Log): records appended to the local leader replica and read
// back from it. It looks the replica up on each call, since leadership is
// reported before the broker records a new replica.
type offsetsLog struct {
	b         *Broker
	group     uint64
	partition int32
}

var _ group.Log = (*offsetsLog)(nil)

func (l *offsetsLog) replica() (*replica.Replica, error) {
	r := l.b.replica(l.group)
	if r == nil {
		return nil, &group.NotCoordinatorError{Partition: l.partition}
	}
	return r, nil
}

// Append writes the values as records and waits until they commit: every
// write of the coordinator is acks=all.
func (l *offsetsLog) Append(ctx context.Context, values [][]byte) (int64, error) {
	r, err := l.replica()
	if err != nil {
		return -1, err
	}
	now := time.Now().UnixMilli()
	var batch []byte
	for _, v := range values {
		data, err := proto.Marshal(&sluicev1.Record{Value: v})
		if err != nil {
			return -1, fmt.Errorf("encode group record: %w", err)
		}
		batch = wire.AppendRecord(batch, wire.Record{Data: data}, now)
	}
	type result struct {
		base int64
		err  error
	}
	done := make(chan result, 1)
	if err := r.Append(batch, len(values), now, func(base int64, err error) { done <- result{base, err} }); err != nil {
		return -1, err
	}
	select {
	case res := <-done:
		return res.base, res.err
	case <-ctx.Done():
		return -1, ctx.Err()
	}
}

// Truncate moves the partition's log start to before (asynchronously, as
// retention does; the log is compacted at its next segment boundary).
func (l *offsetsLog) Truncate(before int64) error {
	r, err := l.replica()
	if err != nil {
		return err
	}
	return r.TruncatePrefix(before)
}

// ReadAll reads the partition from its log start to its high watermark.
func (l *offsetsLog) ReadAll(ctx context.Context, fn func(offset int64, value []byte) error) error {
	r, err := l.replica()
	if err != nil {
		return err
	}
	end := r.HighWatermark()
	next := r.LogStartOffset()
	for next < end {
		if err := ctx.Err(); err != nil {
			return err
		}
		from := next
		var fnErr error
		_, _, err := r.Read(from, 1<<20, func(b replica.Batch) bool {
			off := b.BaseOffset
			records, werr := b.Plain()
			if werr != nil {
				fnErr = werr
				return false
			}
			werr = wire.ForEachRecord(records, func(rec []byte) bool {
				defer func() { off++ }()
				if off < from || off >= end {
					return true
				}
				var pr sluicev1.Record
				if err := proto.Unmarshal(rec, &pr); err != nil {
					fnErr = fmt.Errorf("decode record %d of the offsets partition: %w", off, err)
					return false
				}
				fnErr = fn(off, pr.GetValue())
				return fnErr == nil
			})
			if fnErr == nil {
				fnErr = werr
			}
			next = b.BaseOffset + int64(b.Count)
			return fnErr == nil && next < end
		})
		if err != nil {
			return err
		}
		if fnErr != nil {
			return fnErr
		}
		if next <= from {
			return fmt.Errorf("read of offsets partition %d made no progress at offset %d", l.partition, from)
		}
	}
	return nil
}

// offsetsGroupLeader tells the coordinator about a leadership change of a
// raft group if it is a partition of the offsets topic. It runs on the raft
// engine's goroutine and does not block.
func (b *Broker) offsetsGroupLeader(g, leader, term uint64) {
	t := b.meta.Topic(offsetsTopic)
	if t == nil || b.groups == nil {
		return
	}
	for _, p := range t.GetPartitions() {
		if p.GetGroup() == g {
			b.groups.LeaderChanged(p.GetPartition(), leader == b.cfg.NodeID, term,
				&offsetsLog{b: b, group: g, partition: p.GetPartition()})
			return
		}
	}
}

// offsetsPartitionOf finds the offsets topic's partition info of a group id.
func offsetsPartitionOf(t *internalv1.TopicInfo, groupID string) *internalv1.PartitionInfo {
	return t.GetPartitions()[coordinatorPartition(groupID, int32(len(t.GetPartitions())))]
}
