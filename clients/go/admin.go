package sluice

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"time"

	"google.golang.org/grpc"

	sluicev1 "github.com/sluice-io/sluice/gen/go/sluice/v1"
)

// Admin manages topics and describes the cluster. Make it with NewAdmin; it
// is safe for concurrent use and needs no closing (its Client does).
type Admin struct {
	c *Client
}

// NewAdmin returns an admin client using c's connections.
func NewAdmin(c *Client) *Admin { return &Admin{c: c} }

// TopicSpec describes a topic to create.
type TopicSpec struct {
	Name string
	// Partitions is at least 1.
	Partitions int32
	// ReplicationFactor 0 means the broker default (min(brokers, 3)).
	ReplicationFactor int32
	// Configs are topic configs such as retention.ms; unknown keys are refused.
	Configs map[string]string
}

// TopicSummary is one line of ListTopics.
type TopicSummary struct {
	Name              string
	TopicID           string
	Partitions        int32
	ReplicationFactor int32
}

// TopicDescription is a topic with its configuration and partitions.
type TopicDescription struct {
	Name              string
	TopicID           string
	ReplicationFactor int32
	// Configs set on the topic (defaults are not listed).
	Configs map[string]string
	// EffectiveConfigs is every topic config with the value in effect: the
	// topic's own, else the broker's default.
	EffectiveConfigs map[string]string
	Partitions       []PartitionDescription
}

// PartitionDescription is one partition's placement and bounds. The bounds
// are those of the answering broker's replica: 0 when it hosts none (use
// ListOffsets, which asks each partition's leader).
type PartitionDescription struct {
	Partition int32
	// LeaderID is 0 when no leader is known.
	LeaderID       uint64
	ReplicaIDs     []uint64
	LogStartOffset int64
	HighWatermark  int64
}

// PartitionOffset is an offset of one partition, from ListOffsets.
type PartitionOffset struct {
	Partition int32
	// Offset is -1 when a time lookup found no record at or after the time.
	Offset int64
	// Timestamp of the record at Offset, for time lookups.
	Timestamp time.Time
}

// Broker is one member of the cluster.
type Broker struct {
	ID      uint64
	Address string
	Rack    string
}

// Cluster describes the brokers.
type Cluster struct {
	ClusterID string
	// ControllerID is the broker id of the metadata leader.
	ControllerID uint64
	Brokers      []Broker
}

// Metadata is the cluster's routing table, as GetMetadata returns it.
type Metadata struct {
	Brokers      []Broker
	ControllerID uint64
	Topics       []TopicMetadata
}

// TopicMetadata is one topic's partitions, for routing.
type TopicMetadata struct {
	Name       string
	TopicID    string
	Partitions []PartitionMetadata
}

// PartitionMetadata is where one partition lives.
type PartitionMetadata struct {
	Partition int32
	// LeaderID is 0 while no leader is known.
	LeaderID   uint64
	ReplicaIDs []uint64
}

// CreateTopic creates a topic and returns its description once the answering
// broker's replicas of it have a leader. It is not retried.
func (a *Admin) CreateTopic(ctx context.Context, spec TopicSpec) (*TopicDescription, error) {
	var resp *sluicev1.CreateTopicResponse
	err := a.c.callAny(ctx, false, func(ctx context.Context, conn *grpc.ClientConn) error {
		var err error
		resp, err = sluicev1.NewAdminServiceClient(conn).CreateTopic(ctx, &sluicev1.CreateTopicRequest{
			Name: spec.Name, Partitions: spec.Partitions, ReplicationFactor: spec.ReplicationFactor, Configs: spec.Configs,
		})
		return err
	})
	if err != nil {
		return nil, err
	}
	return topicFromProto(resp.GetTopic()), nil
}

// DeleteTopic deletes a topic and its records. It is not retried.
func (a *Admin) DeleteTopic(ctx context.Context, name string) error {
	return a.c.callAny(ctx, false, func(ctx context.Context, conn *grpc.ClientConn) error {
		_, err := sluicev1.NewAdminServiceClient(conn).DeleteTopic(ctx, &sluicev1.DeleteTopicRequest{Name: name})
		return err
	})
}

// ListTopics lists every topic, sorted by name.
func (a *Admin) ListTopics(ctx context.Context) ([]TopicSummary, error) {
	var resp *sluicev1.ListTopicsResponse
	err := a.c.callAny(ctx, true, func(ctx context.Context, conn *grpc.ClientConn) error {
		var err error
		resp, err = sluicev1.NewAdminServiceClient(conn).ListTopics(ctx, &sluicev1.ListTopicsRequest{})
		return err
	})
	if err != nil {
		return nil, err
	}
	out := make([]TopicSummary, 0, len(resp.GetTopics()))
	for _, t := range resp.GetTopics() {
		out = append(out, TopicSummary{Name: t.GetName(), TopicID: t.GetTopicId(), Partitions: t.GetPartitions(), ReplicationFactor: t.GetReplicationFactor()})
	}
	return out, nil
}

// DescribeTopic describes a topic's configuration and partitions.
func (a *Admin) DescribeTopic(ctx context.Context, name string) (*TopicDescription, error) {
	var resp *sluicev1.DescribeTopicResponse
	err := a.c.callAny(ctx, true, func(ctx context.Context, conn *grpc.ClientConn) error {
		var err error
		resp, err = sluicev1.NewAdminServiceClient(conn).DescribeTopic(ctx, &sluicev1.DescribeTopicRequest{Name: name})
		return err
	})
	if err != nil {
		return nil, err
	}
	return topicFromProto(resp.GetTopic()), nil
}

// AlterTopicConfigs sets the configs in set and removes those named in
// remove (back to the broker's default), all or nothing, and returns the
// topic as changed. Values are checked as by CreateTopic. Setting configs is
// idempotent, so a retryable failure is retried.
func (a *Admin) AlterTopicConfigs(ctx context.Context, name string, set map[string]string, remove ...string) (*TopicDescription, error) {
	var resp *sluicev1.AlterTopicConfigsResponse
	err := a.c.callAny(ctx, true, func(ctx context.Context, conn *grpc.ClientConn) error {
		var err error
		resp, err = sluicev1.NewAdminServiceClient(conn).AlterTopicConfigs(ctx, &sluicev1.AlterTopicConfigsRequest{
			Name: name, SetConfigs: set, DeleteConfigs: remove,
		})
		return err
	})
	if err != nil {
		return nil, err
	}
	return topicFromProto(resp.GetTopic()), nil
}

// CreatePartitions raises a topic's partition count to partitions (it never
// goes down) and returns the topic once each new partition has a leader. It
// is not retried. This client's metadata is refreshed at once, so its
// producers send keyed records to murmur2(key) mod the new count from then
// on; other clients follow at their next metadata refresh
// (WithMetadataMaxAge).
func (a *Admin) CreatePartitions(ctx context.Context, name string, partitions int32) (*TopicDescription, error) {
	var resp *sluicev1.CreatePartitionsResponse
	err := a.c.callAny(ctx, false, func(ctx context.Context, conn *grpc.ClientConn) error {
		var err error
		resp, err = sluicev1.NewAdminServiceClient(conn).CreatePartitions(ctx, &sluicev1.CreatePartitionsRequest{
			Name: name, Partitions: partitions,
		})
		return err
	})
	if err != nil {
		return nil, err
	}
	// The partitions exist either way; a failed refresh leaves the periodic one.
	_, _ = a.c.Metadata(ctx, name)
	return topicFromProto(resp.GetTopic()), nil
}

// DescribeCluster lists the brokers and names the controller.
func (a *Admin) DescribeCluster(ctx context.Context) (*Cluster, error) {
	var resp *sluicev1.DescribeClusterResponse
	err := a.c.callAny(ctx, true, func(ctx context.Context, conn *grpc.ClientConn) error {
		var err error
		resp, err = sluicev1.NewAdminServiceClient(conn).DescribeCluster(ctx, &sluicev1.DescribeClusterRequest{})
		return err
	})
	if err != nil {
		return nil, err
	}
	return &Cluster{ClusterID: resp.GetClusterId(), ControllerID: resp.GetControllerId(), Brokers: brokersFromProto(resp.GetBrokers())}, nil
}

// Metadata returns the routing metadata of the named topics (all when none is
// named), fresh from the cluster.
func (a *Admin) Metadata(ctx context.Context, topics ...string) (*Metadata, error) {
	return a.c.Metadata(ctx, topics...)
}

// ListOffsets looks up, in each of the partitions (all when none is named),
// the offset at pos: Earliest (the log start offset), Latest (the high
// watermark) or AtTime. Each partition is asked of its leader. The result is
// sorted by partition.
func (a *Admin) ListOffsets(ctx context.Context, topic string, pos Position, partitions ...int32) ([]PartitionOffset, error) {
	req := &sluicev1.ListOffsetsRequest{Topic: topic}
	switch pos.kind {
	case posEarliest:
		req.Spec = &sluicev1.ListOffsetsRequest_Boundary{Boundary: sluicev1.Boundary_BOUNDARY_EARLIEST}
	case posLatest:
		req.Spec = &sluicev1.ListOffsetsRequest_Boundary{Boundary: sluicev1.Boundary_BOUNDARY_LATEST}
	case posTime:
		req.Spec = &sluicev1.ListOffsetsRequest_TimestampMs{TimestampMs: pos.time.UnixMilli()}
	default:
		return nil, fmt.Errorf("sluice: ListOffsets takes Earliest, Latest or AtTime, not %v", pos)
	}
	return a.c.listOffsets(ctx, req, partitions)
}

// listOffsets sends one ListOffsets request per leader broker and merges the
// answers; partitions whose broker answers not-leader are retried after a
// metadata refresh.
func (c *Client) listOffsets(ctx context.Context, req *sluicev1.ListOffsetsRequest, partitions []int32) ([]PartitionOffset, error) {
	n, err := c.partitionCount(ctx, req.GetTopic())
	if err != nil {
		return nil, err
	}
	todo := slices.Clone(partitions)
	if len(todo) == 0 {
		for p := range n {
			todo = append(todo, p)
		}
	}
	for _, p := range todo {
		if p < 0 || p >= n {
			return nil, fmt.Errorf("sluice: topic %q has %d partitions; partition %d does not exist", req.GetTopic(), n, p)
		}
	}
	got := map[int32]PartitionOffset{}
	for attempt := 1; ; attempt++ {
		byAddr := map[string][]int32{}
		for _, p := range todo {
			addr, ok := c.readAddr(req.GetTopic(), p)
			if !ok {
				addr = "" // any broker: it names the right one
			}
			byAddr[addr] = append(byAddr[addr], p)
		}
		var retry []int32
		var lastErr error
		for _, addr := range slices.Sorted(maps.Keys(byAddr)) {
			parts := byAddr[addr]
			r := &sluicev1.ListOffsetsRequest{Topic: req.GetTopic(), Partitions: parts, Spec: req.GetSpec()}
			resp, err := c.listOffsetsAt(ctx, addr, r)
			if err != nil {
				if !IsRetryable(err) || attempt >= 5 {
					return nil, err
				}
				lastErr = err
				retry = append(retry, parts...)
				continue
			}
			for _, o := range resp.GetOffsets() {
				po := PartitionOffset{Partition: o.GetPartition(), Offset: o.GetOffset()}
				if ms := o.GetTimestampMs(); ms != 0 {
					po.Timestamp = time.UnixMilli(ms)
				}
				got[o.GetPartition()] = po
			}
		}
		if len(retry) == 0 {
			break
		}
		todo = retry
		if err := c.refresh(ctx); err != nil {
			return nil, fmt.Errorf("%w (after %w)", err, lastErr)
		}
		if err := sleepCtx(ctx, backoffFor(attempt, c.opts.minRefresh, time.Second)); err != nil {
			return nil, err
		}
	}
	out := slices.Collect(maps.Values(got))
	slices.SortFunc(out, func(a, b PartitionOffset) int { return int(a.Partition - b.Partition) })
	return out, nil
}

func (c *Client) listOffsetsAt(ctx context.Context, addr string, req *sluicev1.ListOffsetsRequest) (*sluicev1.ListOffsetsResponse, error) {
	var resp *sluicev1.ListOffsetsResponse
	call := func(ctx context.Context, conn *grpc.ClientConn) error {
		var err error
		resp, err = sluicev1.NewAdminServiceClient(conn).ListOffsets(ctx, req)
		return err
	}
	if addr == "" {
		return resp, c.callAny(ctx, true, call)
	}
	conn, err := c.conn(addr)
	if err != nil {
		return nil, err
	}
	cctx, cancel := context.WithTimeout(ctx, c.opts.requestTimeout)
	defer cancel()
	if err := fromRPC(call(cctx, conn)); err != nil {
		return nil, err
	}
	return resp, nil
}

func topicFromProto(t *sluicev1.TopicDescription) *TopicDescription {
	d := &TopicDescription{Name: t.GetName(), TopicID: t.GetTopicId(), ReplicationFactor: t.GetReplicationFactor(),
		Configs: maps.Clone(t.GetConfigs()), EffectiveConfigs: maps.Clone(t.GetEffectiveConfigs())}
	for _, p := range t.GetPartitions() {
		d.Partitions = append(d.Partitions, PartitionDescription{
			Partition: p.GetPartition(), LeaderID: p.GetLeaderId(), ReplicaIDs: slices.Clone(p.GetReplicaIds()),
			LogStartOffset: p.GetLogStartOffset(), HighWatermark: p.GetHighWatermark(),
		})
	}
	return d
}

func brokersFromProto(bs []*sluicev1.Broker) []Broker {
	out := make([]Broker, 0, len(bs))
	for _, b := range bs {
		out = append(out, Broker{ID: b.GetId(), Address: b.GetAddress(), Rack: b.GetRack()})
	}
	return out
}

func metadataFromProto(resp *sluicev1.GetMetadataResponse) *Metadata {
	m := &Metadata{Brokers: brokersFromProto(resp.GetBrokers()), ControllerID: resp.GetControllerId()}
	for _, t := range resp.GetTopics() {
		tm := TopicMetadata{Name: t.GetName(), TopicID: t.GetTopicId()}
		for _, p := range t.GetPartitions() {
			tm.Partitions = append(tm.Partitions, PartitionMetadata{Partition: p.GetPartition(), LeaderID: p.GetLeaderId(), ReplicaIDs: slices.Clone(p.GetReplicaIds())})
		}
		m.Topics = append(m.Topics, tm)
	}
	return m
}
