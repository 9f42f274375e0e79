package server

import (
	"cmp"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"hash/fnv"
	"slices"
	"time"

	internalv1 "github.com/sluice-io/sluice/gen/go/sluice/internalpb/v1"
	sluicev1 "github.com/sluice-io/sluice/gen/go/sluice/v1"
	"github.com/sluice-io/sluice/server/replica"
)

// leaderWait bounds how long CreateTopic waits for the new partitions to
// elect leaders before answering.
const leaderWait = 10 * time.Second

// preferredLeaderWait is how long of leaderWait CreateTopic insists on each
// partition being led by its first replica, as placement intends; a new
// group's first replica campaigns at once, so it normally wins in one
// election, and the leader balancer moves any other leader to it.
const preferredLeaderWait = 3 * time.Second

type adminService struct {
	sluicev1.UnimplementedAdminServiceServer
	b *Broker
}

func (s *adminService) CreateTopic(ctx context.Context, req *sluicev1.CreateTopicRequest) (*sluicev1.CreateTopicResponse, error) {
	if err := s.b.authorizeCreateTopic(ctx, req.GetName()); err != nil {
		return nil, err
	}
	if isInternalTopic(req.GetName()) {
		return nil, badRequest("name", "%q is reserved for the broker's internal topic", req.GetName())
	}
	brokers := s.b.meta.State().GetBrokers()
	if len(brokers) == 0 {
		return nil, errStarting
	}
	rf := req.GetReplicationFactor()
	if rf == 0 {
		rf = int32(min(len(brokers), 3))
	}
	if int(rf) > len(brokers) {
		return nil, badRequest("replication_factor", "%d is more than the %d broker(s) in the cluster", rf, len(brokers))
	}
	// Again now that the replication factor is known (min.insync.replicas).
	if err := validateTopicConfigs("configs", req.GetConfigs(), rf); err != nil {
		return nil, err
	}
	cmd := &internalv1.CreateTopic{
		Name: req.GetName(), Partitions: req.GetPartitions(), ReplicationFactor: rf,
		Configs: req.GetConfigs(), TopicId: newID(), Assignment: place(brokers, req.GetName(), 0, req.GetPartitions(), rf),
	}
	err := s.b.meta.Propose(ctx, &internalv1.MetadataCommand{Command: &internalv1.MetadataCommand_CreateTopic{CreateTopic: cmd}})
	if err != nil {
		return nil, err
	}
	if err := s.waitForLeaders(ctx, req.GetName()); err != nil {
		return nil, err
	}
	desc, err := s.describe(req.GetName())
	if err != nil {
		return nil, err
	}
	return &sluicev1.CreateTopicResponse{Topic: s.b.withoutConfigs(ctx, desc)}, nil
}

// place spreads each partition's replicas over the brokers, starting each
// partition one broker further along a rack-alternated order (so that
// leaders, the first replicas, balance) and taking the next brokers on racks
// the partition does not use yet before any on a rack it does: as many racks
// as there are, up to the replication factor. Partition 0 starts at a
// broker chosen by the topic's name, so the leaders of many small topics
// spread too (Kafka starts each topic at a random broker). Partitions
// [from, to) are placed, so partitions added later continue the rotation.
func place(brokers []*internalv1.BrokerInfo, topic string, from, to, rf int32) []*internalv1.Replicas {
	list := rackAlternated(brokers)
	n := len(list)
	h := fnv.New32a()
	_, _ = h.Write([]byte(topic)) // a hash.Hash never fails to write
	start := int(h.Sum32() % uint32(n))
	out := make([]*internalv1.Replicas, 0, to-from)
	for p := from; p < to; p++ {
		r := &internalv1.Replicas{}
		racks := map[string]bool{}
		for _, newRack := range []bool{true, false} {
			for i := 0; i < n && len(r.Brokers) < int(rf); i++ {
				b := list[(start+int(p)+i)%n]
				if (newRack && racks[b.GetRack()]) || slices.Contains(r.Brokers, b.GetId()) {
					continue
				}
				racks[b.GetRack()] = true
				r.Brokers = append(r.Brokers, b.GetId())
			}
		}
		out = append(out, r)
	}
	return out
}

// rackAlternated orders brokers so that neighbours are on different racks
// where possible (Kafka's rack-aware assignment): one broker of each rack in
// turn, racks in name order, brokers in id order within a rack. Consecutive
// brokers then make a partition's replicas, so with at least rf racks no two
// replicas share a rack. Brokers without a rack form a rack of their own.
func rackAlternated(brokers []*internalv1.BrokerInfo) []*internalv1.BrokerInfo {
	byRack := map[string][]*internalv1.BrokerInfo{}
	var racks []string
	for _, b := range brokers {
		if _, ok := byRack[b.GetRack()]; !ok {
			racks = append(racks, b.GetRack())
		}
		byRack[b.GetRack()] = append(byRack[b.GetRack()], b)
	}
	if len(racks) < 2 {
		return brokers
	}
	slices.Sort(racks)
	for _, r := range racks {
		slices.SortFunc(byRack[r], func(a, b *internalv1.BrokerInfo) int { return cmp.Compare(a.GetId(), b.GetId()) })
	}
	out := make([]*internalv1.BrokerInfo, 0, len(brokers))
	for i := 0; len(out) < len(brokers); i++ {
		for _, r := range racks {
			if i < len(byRack[r]) {
				out = append(out, byRack[r][i])
			}
		}
	}
	return out
}

// newID returns 128 random bits in hex: topic and cluster ids.
func newID() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails on supported platforms
	return hex.EncodeToString(b[:])
}

// waitForLeaders polls until the metadata records a leader for every
// partition of the topic and every local replica knows its leader, so that a
// produce right after CreateTopic succeeds through this broker.
func (s *adminService) waitForLeaders(ctx context.Context, name string) error {
	ctx, cancel := context.WithTimeout(ctx, leaderWait)
	defer cancel()
	// For a while only the placement's leaders will do: a client that starts
	// writing at once would otherwise see its first writes fail when the
	// balancer moves leadership to the preferred replica moments later.
	preferredUntil := time.Now().Add(preferredLeaderWait)
	tick := time.NewTicker(5 * time.Millisecond)
	defer tick.Stop()
	for !s.leadersKnown(name, time.Now().Before(preferredUntil)) {
		select {
		case <-ctx.Done():
			return fmt.Errorf("topic %q was created but its partitions have no leader yet: %w", name, ctx.Err())
		case <-tick.C:
		}
	}
	return nil
}

// leadersKnown reports whether every partition of the topic has a leader
// that the metadata records and local replicas know; with preferred, it must
// be the partition's first replica.
func (s *adminService) leadersKnown(name string, preferred bool) bool {
	t := s.b.meta.Topic(name)
	if t == nil {
		return false
	}
	for _, p := range t.GetPartitions() {
		if p.GetLeader() == 0 {
			return false // not yet reported: brokers without a replica cannot route to it
		}
		if preferred && p.GetLeader() != p.GetReplicas()[0] {
			return false
		}
		if !slices.Contains(p.GetReplicas(), s.b.cfg.NodeID) {
			continue
		}
		if r := s.b.replica(p.GetGroup()); r == nil || r.Leader() == 0 {
			return false
		}
	}
	return true
}

func (s *adminService) DeleteTopic(ctx context.Context, req *sluicev1.DeleteTopicRequest) (*sluicev1.DeleteTopicResponse, error) {
	if err := s.b.authorize(ctx, opDelete, resTopic, req.GetName()); err != nil {
		return nil, err
	}
	if isInternalTopic(req.GetName()) {
		return nil, badRequest("name", "%q is internal to the group coordinator and cannot be deleted", req.GetName())
	}
	cmd := &internalv1.MetadataCommand{Command: &internalv1.MetadataCommand_DeleteTopic{
		DeleteTopic: &internalv1.DeleteTopic{Name: req.GetName()},
	}}
	if err := s.b.meta.Propose(ctx, cmd); err != nil {
		return nil, err
	}
	return &sluicev1.DeleteTopicResponse{}, nil
}

// ListTopics lists the topics the caller may DESCRIBE.
func (s *adminService) ListTopics(ctx context.Context, req *sluicev1.ListTopicsRequest) (*sluicev1.ListTopicsResponse, error) {
	resp := &sluicev1.ListTopicsResponse{}
	for _, t := range s.b.meta.State().GetTopics() {
		if (isInternalTopic(t.GetName()) && !req.GetIncludeInternal()) || !s.b.allowed(ctx, opDescribe, resTopic, t.GetName()) {
			continue
		}
		resp.Topics = append(resp.Topics, &sluicev1.TopicSummary{
			Name: t.GetName(), TopicId: t.GetTopicId(),
			Partitions: int32(len(t.GetPartitions())), ReplicationFactor: t.GetReplicationFactor(),
		})
	}
	return resp, nil
}

// DescribeTopic needs DESCRIBE on the topic; its configs are shown to a
// caller that may DESCRIBE_CONFIGS it.
func (s *adminService) DescribeTopic(ctx context.Context, req *sluicev1.DescribeTopicRequest) (*sluicev1.DescribeTopicResponse, error) {
	if err := s.b.authorize(ctx, opDescribe, resTopic, req.GetName()); err != nil {
		return nil, err
	}
	desc, err := s.describe(req.GetName())
	if err != nil {
		return nil, err
	}
	return &sluicev1.DescribeTopicResponse{Topic: s.b.withoutConfigs(ctx, desc)}, nil
}

func (s *adminService) describe(name string) (*sluicev1.TopicDescription, error) {
	t := s.b.meta.Topic(name)
	if t == nil {
		return nil, topicNotFound(name)
	}
	d := &sluicev1.TopicDescription{
		Name: t.GetName(), TopicId: t.GetTopicId(), ReplicationFactor: t.GetReplicationFactor(), Configs: t.GetConfigs(),
		EffectiveConfigs: s.b.effectiveConfigs(t),
	}
	for _, p := range t.GetPartitions() {
		// Leader from the metadata, bounds unknown (0), unless a local replica
		// knows better.
		pd := &sluicev1.PartitionDescription{Partition: p.GetPartition(), ReplicaIds: p.GetReplicas(), LeaderId: p.GetLeader()}
		if r := s.b.replica(p.GetGroup()); r != nil {
			pd.LeaderId, pd.LogStartOffset, pd.HighWatermark = r.Leader(), r.LogStartOffset(), r.HighWatermark()
			// Only a leader knows its followers' progress.
			pd.InSyncReplicaIds = s.b.eng.InSyncReplicas(p.GetGroup())
		}
		d.Partitions = append(d.Partitions, pd)
	}
	return d, nil
}

func (s *adminService) ListOffsets(ctx context.Context, req *sluicev1.ListOffsetsRequest) (*sluicev1.ListOffsetsResponse, error) {
	if err := s.b.authorize(ctx, opDescribe, resTopic, req.GetTopic()); err != nil {
		return nil, err
	}
	t := s.b.meta.Topic(req.GetTopic())
	if t == nil {
		return nil, topicNotFound(req.GetTopic())
	}
	parts := req.GetPartitions()
	if len(parts) == 0 {
		for _, p := range t.GetPartitions() {
			parts = append(parts, p.GetPartition())
		}
	}
	resp := &sluicev1.ListOffsetsResponse{}
	for _, p := range parts {
		if int(p) >= len(t.GetPartitions()) {
			return nil, partitionNotFound(t.GetName(), p, len(t.GetPartitions()))
		}
		info := t.GetPartitions()[p]
		r := s.b.replica(info.GetGroup())
		if r == nil {
			return nil, s.b.notHosted(t.GetName(), info)
		}
		po, err := partitionOffset(r, req)
		if err != nil {
			return nil, err
		}
		po.Partition = p
		resp.Offsets = append(resp.Offsets, po)
	}
	return resp, nil
}

// partitionOffset answers a ListOffsets request for one replica.
func partitionOffset(r *replica.Replica, req *sluicev1.ListOffsetsRequest) (*sluicev1.PartitionOffset, error) {
	if spec, ok := req.GetSpec().(*sluicev1.ListOffsetsRequest_TimestampMs); ok {
		at, err := offsetForTime(r, spec.TimestampMs)
		if err != nil {
			return nil, err
		}
		if !at.found {
			return &sluicev1.PartitionOffset{Offset: -1, TimestampMs: -1}, nil
		}
		return &sluicev1.PartitionOffset{Offset: at.offset, TimestampMs: at.timestamp}, nil
	}
	off := r.LogStartOffset()
	if req.GetBoundary() == sluicev1.Boundary_BOUNDARY_LATEST {
		off = r.HighWatermark()
	}
	return &sluicev1.PartitionOffset{Offset: off}, nil
}

// GetMetadata needs DESCRIBE on each topic named (the first refused fails
// the call, as an unknown one does); without names it lists the topics the
// caller may DESCRIBE.
func (s *adminService) GetMetadata(ctx context.Context, req *sluicev1.GetMetadataRequest) (*sluicev1.GetMetadataResponse, error) {
	if err := s.b.authorizeTopics(ctx, opDescribe, "topics", req.GetTopics()); err != nil {
		return nil, err
	}
	st := s.b.meta.State()
	resp := &sluicev1.GetMetadataResponse{ControllerId: s.b.meta.Leader()}
	for _, br := range st.GetBrokers() {
		resp.Brokers = append(resp.Brokers, &sluicev1.Broker{Id: br.GetId(), Address: br.GetAddress(), Rack: br.GetRack()})
	}
	var topics []*internalv1.TopicInfo
	for _, t := range st.GetTopics() {
		if s.b.allowed(ctx, opDescribe, resTopic, t.GetName()) {
			topics = append(topics, t)
		}
	}
	if len(req.GetTopics()) > 0 {
		topics = nil
		for i, name := range req.GetTopics() {
			t := s.b.meta.Topic(name)
			if t == nil {
				return nil, fmt.Errorf("topics[%d]: %w", i, topicNotFound(name))
			}
			topics = append(topics, t)
		}
	}
	for _, t := range topics {
		tm := &sluicev1.TopicMetadata{Name: t.GetName(), TopicId: t.GetTopicId()}
		for _, p := range t.GetPartitions() {
			lead, epoch := partitionLeader(s.b.replica(p.GetGroup()), p)
			tm.Partitions = append(tm.Partitions, &sluicev1.PartitionMetadata{Partition: p.GetPartition(), LeaderId: lead, ReplicaIds: p.GetReplicas(), LeaderEpoch: epoch})
		}
		resp.Topics = append(resp.Topics, tm)
	}
	return resp, nil
}

// partitionLeader is the leader a broker names for a partition, and its
// term: its own replica's, when it hosts one that knows a leader at least as
// recent as the metadata's report, else the report.
func partitionLeader(r *replica.Replica, p *internalv1.PartitionInfo) (leader, term uint64) {
	leader, term = p.GetLeader(), p.GetLeaderTerm()
	if r == nil {
		return leader, term
	}
	if l, t := r.LeaderTerm(); l != 0 && t >= term {
		return l, t
	}
	return leader, term
}

func (s *adminService) DescribeCluster(ctx context.Context, _ *sluicev1.DescribeClusterRequest) (*sluicev1.DescribeClusterResponse, error) {
	if err := s.b.authorizeCluster(ctx, opDescribe); err != nil {
		return nil, err
	}
	st := s.b.meta.State()
	resp := &sluicev1.DescribeClusterResponse{ClusterId: st.GetClusterId(), ControllerId: s.b.meta.Leader()}
	for _, br := range st.GetBrokers() {
		resp.Brokers = append(resp.Brokers, &sluicev1.Broker{Id: br.GetId(), Address: br.GetAddress(), Rack: br.GetRack()})
	}
	return resp, nil
}
