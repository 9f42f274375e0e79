package server

import (
	"context"
	"slices"

	sluicev1 "github.com/sluice-io/sluice/gen/go/sluice/v1"
	"github.com/sluice-io/sluice/server/group"
)

// DescribeGroup shows the coordinator's view of a group and, for each
// partition of its topics, the committed offset, the log end offset (the
// leader's high watermark) and the lag between them.
//
// It needs DESCRIBE on the group; the lag is shown for the topics the caller
// may DESCRIBE.
func (s *groupService) DescribeGroup(ctx context.Context, req *sluicev1.DescribeGroupRequest) (*sluicev1.DescribeGroupResponse, error) {
	if err := s.b.authorize(ctx, opDescribe, resGroup, req.GetGroupId()); err != nil {
		return nil, err
	}
	resp, err := s.describeGroup(ctx, req)
	if err != nil || !s.b.checked(ctx) {
		return resp, err
	}
	resp.Partitions = slices.DeleteFunc(resp.Partitions, func(l *sluicev1.PartitionLag) bool {
		return !s.b.allowed(ctx, opDescribe, resTopic, l.GetTopic())
	})
	return resp, nil
}

func (s *groupService) describeGroup(ctx context.Context, req *sluicev1.DescribeGroupRequest) (*sluicev1.DescribeGroupResponse, error) {
	rt, fwd, err := s.route(ctx, req.GetGroupId())
	if err != nil {
		return nil, err
	}
	if fwd != nil {
		return fwd.DescribeGroup(forwardContext(ctx), req)
	}
	d, err := s.b.groups.Describe(rt.partition, req.GetGroupId())
	if err != nil {
		return nil, s.b.coordinatorError(rt, err)
	}
	resp := &sluicev1.DescribeGroupResponse{
		GroupId: d.ID, State: d.State, Generation: d.Generation, Assignor: d.Assignor, CoordinatorId: s.b.cfg.NodeID,
	}
	for _, m := range d.Members {
		resp.Members = append(resp.Members, &sluicev1.GroupMember{
			MemberId: m.ID, InstanceId: m.InstanceID, Topics: m.Topics, Assigned: topicPartitions(m.Assigned), Connected: m.Connected,
		})
	}
	for _, topic := range d.Topics {
		if !s.b.allowed(ctx, opDescribe, resTopic, topic) {
			continue // nor looked up: its offsets are not the caller's to see
		}
		lags, err := s.topicLag(ctx, topic, d.Offsets)
		if err != nil {
			return nil, err
		}
		resp.Partitions = append(resp.Partitions, lags...)
	}
	return resp, nil
}

// topicLag is the lag of a group in every partition of a topic.
func (s *groupService) topicLag(ctx context.Context, topic string, offsets map[group.TP]group.Offset) ([]*sluicev1.PartitionLag, error) {
	t := s.b.meta.Topic(topic)
	if t == nil {
		return nil, nil // a subscription to a topic that does not exist (yet)
	}
	ends, err := s.b.listOffsets(ctx, &sluicev1.ListOffsetsRequest{
		Topic: topic, Spec: &sluicev1.ListOffsetsRequest_Boundary{Boundary: sluicev1.Boundary_BOUNDARY_LATEST},
	})
	if err != nil {
		return nil, err
	}
	var out []*sluicev1.PartitionLag
	for _, p := range t.GetPartitions() {
		pl := &sluicev1.PartitionLag{Topic: topic, Partition: p.GetPartition(), CommittedOffset: -1, Lag: -1, LogEndOffset: ends[p.GetPartition()]}
		if o, ok := offsets[group.TP{Topic: topic, Partition: p.GetPartition()}]; ok {
			pl.CommittedOffset = o.Offset
			pl.Lag = max(pl.LogEndOffset-o.Offset, 0)
		}
		out = append(out, pl)
	}
	return out, nil
}

func topicPartitions(tps []group.TP) []*sluicev1.TopicPartitions {
	var out []*sluicev1.TopicPartitions
	for _, tp := range tps {
		if len(out) == 0 || out[len(out)-1].GetTopic() != tp.Topic {
			out = append(out, &sluicev1.TopicPartitions{Topic: tp.Topic})
		}
		last := out[len(out)-1]
		last.Partitions = append(last.Partitions, tp.Partition)
	}
	return out
}

// ResetOffsets commits, for a group without members, the offsets the
// request names, looked up in the partitions' leaders.
// It needs READ on the group and the topic, as a commit does.
func (s *groupService) ResetOffsets(ctx context.Context, req *sluicev1.ResetOffsetsRequest) (*sluicev1.ResetOffsetsResponse, error) {
	if err := s.b.authorize(ctx, opRead, resGroup, req.GetGroupId()); err != nil {
		return nil, err
	}
	if err := s.b.authorize(ctx, opRead, resTopic, req.GetTopic()); err != nil {
		return nil, err
	}
	rt, fwd, err := s.route(ctx, req.GetGroupId())
	if err != nil {
		return nil, err
	}
	if fwd != nil {
		return fwd.ResetOffsets(forwardContext(ctx), req)
	}
	t := s.b.meta.Topic(req.GetTopic())
	if t == nil {
		return nil, topicNotFound(req.GetTopic())
	}
	for i, p := range req.GetPartitions() {
		if p < 0 || int(p) >= len(t.GetPartitions()) {
			return nil, badRequest("partitions", "partitions[%d]: %v", i, partitionNotFound(t.GetName(), p, len(t.GetPartitions())))
		}
	}
	// Refuse before looking anything up; SetOffsets checks again when it writes.
	if d, err := s.b.groups.Describe(rt.partition, req.GetGroupId()); err == nil && len(d.Members) > 0 {
		return nil, &group.NotEmptyError{Group: req.GetGroupId(), Members: len(d.Members), Op: "reset the offsets of"}
	}
	target, err := s.resetTargets(ctx, req)
	if err != nil {
		return nil, err
	}
	offsets := map[group.TP]group.Offset{}
	resp := &sluicev1.ResetOffsetsResponse{}
	for _, p := range slices.Sorted(mapKeys(target)) {
		offsets[group.TP{Topic: req.GetTopic(), Partition: p}] = group.Offset{Offset: target[p]}
		resp.Offsets = append(resp.Offsets, &sluicev1.CommittedOffset{Topic: req.GetTopic(), Partition: p, Offset: target[p]})
	}
	if err := s.b.groups.SetOffsets(ctx, rt.partition, req.GetGroupId(), offsets); err != nil {
		return nil, s.b.coordinatorError(rt, err)
	}
	return resp, nil
}

// resetTargets resolves a reset request to an offset per partition.
func (s *groupService) resetTargets(ctx context.Context, req *sluicev1.ResetOffsetsRequest) (map[int32]int64, error) {
	lo := &sluicev1.ListOffsetsRequest{Topic: req.GetTopic(), Partitions: req.GetPartitions()}
	switch to := req.GetTo().(type) {
	case *sluicev1.ResetOffsetsRequest_Offset:
		return s.clampedOffsets(ctx, lo, to.Offset)
	case *sluicev1.ResetOffsetsRequest_Boundary:
		return s.boundaryOffsets(ctx, lo, to.Boundary)
	case *sluicev1.ResetOffsetsRequest_TimestampMs:
		lo.Spec = &sluicev1.ListOffsetsRequest_TimestampMs{TimestampMs: to.TimestampMs}
		at, err := s.b.listOffsets(ctx, lo)
		if err != nil {
			return nil, err
		}
		ends, err := s.boundaryOffsets(ctx, lo, sluicev1.Boundary_BOUNDARY_LATEST)
		if err != nil {
			return nil, err
		}
		for p, off := range at {
			if off < 0 { // no record that late: resume at the end
				at[p] = ends[p]
			}
		}
		return at, nil
	}
	return nil, badRequest("to", "say where to reset to: boundary, offset or timestamp_ms")
}

// boundaryOffsets lists the earliest or latest offset of every partition lo
// asks for.
func (s *groupService) boundaryOffsets(ctx context.Context, lo *sluicev1.ListOffsetsRequest, bd sluicev1.Boundary) (map[int32]int64, error) {
	lo.Spec = &sluicev1.ListOffsetsRequest_Boundary{Boundary: bd}
	return s.b.listOffsets(ctx, lo)
}

// clampedOffsets is offset in every partition asked, clamped to each
// partition's log (its log start offset to its high watermark), as Kafka's
// kafka-consumer-groups --to-offset does: an offset outside the log would
// leave the group a position no fetch can start from. The response shows
// the offsets committed, so a client sees where one was clamped.
func (s *groupService) clampedOffsets(ctx context.Context, lo *sluicev1.ListOffsetsRequest, offset int64) (map[int32]int64, error) {
	starts, err := s.boundaryOffsets(ctx, lo, sluicev1.Boundary_BOUNDARY_EARLIEST)
	if err != nil {
		return nil, err
	}
	ends, err := s.boundaryOffsets(ctx, lo, sluicev1.Boundary_BOUNDARY_LATEST)
	if err != nil {
		return nil, err
	}
	for p, end := range ends {
		ends[p] = min(max(offset, starts[p]), end)
	}
	return ends, nil
}

// listOffsets answers a ListOffsets request for every partition asked,
// from each partition's leader (locally when this broker leads it), so
// log end offsets are the leaders' high watermarks.
func (b *Broker) listOffsets(ctx context.Context, req *sluicev1.ListOffsetsRequest) (map[int32]int64, error) {
	t := b.meta.Topic(req.GetTopic())
	if t == nil {
		return nil, topicNotFound(req.GetTopic())
	}
	parts := req.GetPartitions()
	if len(parts) == 0 {
		for _, p := range t.GetPartitions() {
			parts = append(parts, p.GetPartition())
		}
	}
	byBroker := map[uint64][]int32{}
	for _, p := range parts {
		info := t.GetPartitions()[p]
		lead := info.GetLeader()
		r := b.replica(info.GetGroup())
		if r != nil && r.Leader() != 0 {
			lead = r.Leader()
		}
		if r != nil && (lead == 0 || lead == b.cfg.NodeID) {
			lead = b.cfg.NodeID
		}
		if lead == 0 {
			return nil, b.notHosted(t.GetName(), info)
		}
		byBroker[lead] = append(byBroker[lead], p)
	}
	out := map[int32]int64{}
	for id, ps := range byBroker {
		sub := &sluicev1.ListOffsetsRequest{Topic: req.GetTopic(), Partitions: ps, Spec: req.GetSpec()}
		var resp *sluicev1.ListOffsetsResponse
		var err error
		if id == b.cfg.NodeID {
			resp, err = (&adminService{b: b}).ListOffsets(ctx, sub)
		} else {
			resp, err = b.remoteListOffsets(ctx, id, sub)
		}
		if err != nil {
			return nil, err
		}
		for _, o := range resp.GetOffsets() {
			out[o.GetPartition()] = o.GetOffset()
		}
	}
	return out, nil
}

func (b *Broker) remoteListOffsets(ctx context.Context, id uint64, req *sluicev1.ListOffsetsRequest) (*sluicev1.ListOffsetsResponse, error) {
	addr, ok := b.peerAddr(id)
	if !ok {
		return nil, b.notLeader(req.GetTopic(), req.GetPartitions()[0], 0)
	}
	conn, err := b.clientConn(addr)
	if err != nil {
		return nil, err
	}
	return sluicev1.NewAdminServiceClient(conn).ListOffsets(forwardContext(ctx), req)
}

func mapKeys[K comparable, V any](m map[K]V) func(func(K) bool) {
	return func(yield func(K) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}
