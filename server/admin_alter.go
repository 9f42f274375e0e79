package server

import (
	"context"
	"fmt"

	internalv1 "github.com/sluice-io/sluice/gen/go/sluice/internalpb/v1"
	sluicev1 "github.com/sluice-io/sluice/gen/go/sluice/v1"
)

// AlterTopicConfigs validates the change against the topic (min.insync.replicas
// depends on its replication factor) and commits it as one metadata command,
// so every broker applies the same configs from the same metadata index on.
func (s *adminService) AlterTopicConfigs(ctx context.Context, req *sluicev1.AlterTopicConfigsRequest) (*sluicev1.AlterTopicConfigsResponse, error) {
	if err := s.b.authorize(ctx, opAlterConfigs, resTopic, req.GetName()); err != nil {
		return nil, err
	}
	if isInternalTopic(req.GetName()) {
		// Its retention must stay unlimited (groups are rebuilt by replaying
		// it) and its other configs are the broker's to choose.
		return nil, badRequest("name", "%q is internal to the group coordinator: its configs cannot be altered", req.GetName())
	}
	t := s.b.meta.Topic(req.GetName())
	if t == nil {
		return nil, topicNotFound(req.GetName())
	}
	if err := validateTopicConfigs("set_configs", req.GetSetConfigs(), t.GetReplicationFactor()); err != nil {
		return nil, err
	}
	cmd := &internalv1.MetadataCommand{Command: &internalv1.MetadataCommand_AlterTopicConfigs{
		AlterTopicConfigs: &internalv1.AlterTopicConfigs{
			Name: t.GetName(), TopicId: t.GetTopicId(), SetConfigs: req.GetSetConfigs(), DeleteConfigs: req.GetDeleteConfigs(),
		},
	}}
	if err := s.b.meta.Propose(ctx, cmd); err != nil {
		return nil, err
	}
	desc, err := s.describe(req.GetName())
	if err != nil {
		return nil, err
	}
	return &sluicev1.AlterTopicConfigsResponse{Topic: desc}, nil
}

// CreatePartitions places the new partitions as CreateTopic does (the
// rotation continues from the last partition) and waits, like CreateTopic,
// until each has a leader. The metadata command carries the count it was
// placed after, so two concurrent raises cannot both apply.
func (s *adminService) CreatePartitions(ctx context.Context, req *sluicev1.CreatePartitionsRequest) (*sluicev1.CreatePartitionsResponse, error) {
	if err := s.b.authorize(ctx, opAlter, resTopic, req.GetName()); err != nil {
		return nil, err
	}
	if isInternalTopic(req.GetName()) {
		// A group's coordinator is the partition its id hashes to: another
		// count would move every group away from its offsets.
		return nil, badRequest("name", "%q is internal to the group coordinator: its partition count cannot be changed "+
			"(each group's offsets live in the partition its id hashes to)", req.GetName())
	}
	t := s.b.meta.Topic(req.GetName())
	if t == nil {
		return nil, topicNotFound(req.GetName())
	}
	cur := int32(len(t.GetPartitions()))
	if req.GetPartitions() <= cur {
		return nil, badRequest("partitions", "topic %q has %s and asked for %d: the partition count can only be raised", t.GetName(), partitionCount(cur), req.GetPartitions())
	}
	brokers := s.b.meta.State().GetBrokers()
	rf := t.GetReplicationFactor()
	if int(rf) > len(brokers) {
		return nil, fmt.Errorf("topic %q has replication factor %d but the cluster has %d broker(s)", t.GetName(), rf, len(brokers))
	}
	cmd := &internalv1.MetadataCommand{Command: &internalv1.MetadataCommand_CreatePartitions{
		CreatePartitions: &internalv1.CreatePartitions{
			Name: t.GetName(), TopicId: t.GetTopicId(), CurrentCount: cur,
			Assignment: place(brokers, req.GetName(), cur, req.GetPartitions(), rf),
		},
	}}
	if err := s.b.meta.Propose(ctx, cmd); err != nil {
		return nil, err
	}
	if err := s.waitForLeaders(ctx, req.GetName()); err != nil {
		return nil, err
	}
	desc, err := s.describe(req.GetName())
	if err != nil {
		return nil, err
	}
	return &sluicev1.CreatePartitionsResponse{Topic: s.b.withoutConfigs(ctx, desc)}, nil
}
