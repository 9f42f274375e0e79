package server

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"google.golang.org/grpc/metadata"

	internalv1 "github.com/sluice-io/sluice/gen/go/sluice/internalpb/v1"
	"github.com/sluice-io/sluice/raftmeta"
	"github.com/sluice-io/sluice/server/group"
	"github.com/sluice-io/sluice/server/partitioner"
)

// Consumer groups: the coordinator of a group is the leader of partition
// murmur2(group id) mod N of the internal offsets topic, created with N
// partitions on first use. Requests reaching another broker are forwarded to
// it (unary calls) or answered with a not-coordinator error naming it
// (member sessions, which clients then open there).

const (
	// offsetsTopic is the internal topic that holds the groups' state.
	offsetsTopic = "__consumer_offsets"
	// defaultOffsetsPartitions is its partition count unless configured.
	defaultOffsetsPartitions = 8
	// coordinatorWait bounds how long a request waits for the coordinator
	// to be elected and loaded before it answers a retryable error.
	coordinatorWait = 5 * time.Second
)

// coordinatorPartition is the offsets partition of a group.
func coordinatorPartition(groupID string, n int32) int32 {
	return partitioner.ForKey([]byte(groupID), n)
}

// newCoordinator starts the broker's group coordinator.
func (b *Broker) newCoordinator() *group.Coordinator {
	return group.New(group.Config{
		NodeID: b.cfg.NodeID, Logger: b.log, CompactRecords: b.cfg.OffsetsCompactRecords,
		Topics: func(name string) (int32, bool) {
			t := b.meta.Topic(name)
			if t == nil {
				return 0, false
			}
			return int32(len(t.GetPartitions())), true
		},
	})
}

// ensureOffsetsTopic creates the offsets topic if it does not exist yet,
// with a replication factor of min(3, brokers).
func (b *Broker) ensureOffsetsTopic(ctx context.Context) (*internalv1.TopicInfo, error) {
	if t := b.meta.Topic(offsetsTopic); t != nil {
		return t, nil
	}
	brokers := b.meta.State().GetBrokers()
	if len(brokers) == 0 {
		return nil, errStarting
	}
	n := int32(b.cfg.OffsetsPartitions)
	rf := int32(min(len(brokers), 3))
	cmd := &internalv1.CreateTopic{
		Name: offsetsTopic, Partitions: n, ReplicationFactor: rf, TopicId: newID(),
		Assignment: place(brokers, offsetsTopic, 0, n, rf),
		// A coordinator rebuilds its groups by replaying its partition, and
		// there is no log compaction yet: retention must never remove a commit.
		Configs: map[string]string{cfgRetentionMs: "-1", cfgRetentionBytes: "-1"},
	}
	err := b.meta.Propose(ctx, &internalv1.MetadataCommand{Command: &internalv1.MetadataCommand_CreateTopic{CreateTopic: cmd}})
	if err != nil && !errors.Is(err, raftmeta.ErrTopicExists) {
		return nil, fmt.Errorf("create %s: %w", offsetsTopic, err)
	}
	b.log.Info("created the offsets topic", "partitions", n, "replication_factor", rf)
	if t := b.meta.Topic(offsetsTopic); t != nil {
		return t, nil
	}
	return nil, errStarting
}

// coordinatorRoute is where a group's requests go.
type coordinatorRoute struct {
	group     string
	partition int32
	local     bool   // this broker coordinates the group and has loaded it
	leader    uint64 // the coordinator, 0 when unknown
}

// routeGroup finds a group's coordinator, waiting (up to coordinatorWait)
// while the offsets partition elects a leader or the local coordinator
// replays it.
func (b *Broker) routeGroup(ctx context.Context, groupID string) (coordinatorRoute, error) {
	t, err := b.ensureOffsetsTopic(ctx)
	if err != nil {
		return coordinatorRoute{}, err
	}
	info := offsetsPartitionOf(t, groupID)
	rt := coordinatorRoute{group: groupID, partition: info.GetPartition()}
	ctx, cancel := context.WithTimeout(ctx, coordinatorWait)
	defer cancel()
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for {
		rt.leader = info.GetLeader()
		if slices.Contains(info.GetReplicas(), b.cfg.NodeID) {
			_, rt.leader = b.settledReplica(ctx, info)
		}
		if rt.leader != b.cfg.NodeID && rt.leader != 0 {
			return rt, nil
		}
		if rt.leader == b.cfg.NodeID && b.groups.Loaded(rt.partition) {
			rt.local = true
			return rt, nil
		}
		select {
		case <-ctx.Done():
			if rt.leader == b.cfg.NodeID {
				return rt, group.ErrLoading
			}
			return rt, b.notCoordinator(rt)
		case <-b.stopping:
			return rt, errShuttingDown
		case <-tick.C:
		}
		if t = b.meta.Topic(offsetsTopic); t == nil {
			return rt, errStarting
		}
		info = t.GetPartitions()[rt.partition]
	}
}

// notCoordinator is the retryable error naming a group's coordinator.
func (b *Broker) notCoordinator(rt coordinatorRoute) error {
	e := &notCoordinatorError{group: rt.group, partition: rt.partition, leader: rt.leader}
	if rt.leader != 0 {
		if addr, ok := b.peerAddr(rt.leader); ok {
			e.addr = addr
		} else {
			e.leader = 0
		}
	}
	return e
}

// coordinatorError names the coordinator in a not-coordinator error of the
// local coordinator (its leadership moved while the request ran).
func (b *Broker) coordinatorError(rt coordinatorRoute, err error) error {
	var nc *group.NotCoordinatorError
	if errors.As(err, &nc) {
		t := b.meta.Topic(offsetsTopic)
		if t != nil {
			rt.leader = t.GetPartitions()[rt.partition].GetLeader()
			if r := b.replica(t.GetPartitions()[rt.partition].GetGroup()); r != nil {
				rt.leader = r.Leader()
			}
		}
		if rt.leader == b.cfg.NodeID {
			rt.leader = 0
		}
		return b.notCoordinator(rt)
	}
	return err
}

// forwardContext marks a request forwarded to the coordinator, so it is
// not forwarded again.
func forwardContext(ctx context.Context) context.Context {
	if id := requestIDFrom(ctx); id != "" {
		// The broker that serves it logs the client's request id.
		return metadata.AppendToOutgoingContext(ctx, forwardedKey, "1", requestIDKey, id)
	}
	return metadata.AppendToOutgoingContext(ctx, forwardedKey, "1")
}
