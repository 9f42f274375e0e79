package server

import (
	"context"
	"regexp"
	"strconv"

	"google.golang.org/grpc"

	internalv1 "github.com/sluice-io/sluice/gen/go/sluice/internalpb/v1"
	sluicev1 "github.com/sluice-io/sluice/gen/go/sluice/v1"
)

// Limits of request fields.
const (
	maxTopicNameLen  = 249 // Kafka's limit
	maxPartitions    = 10000
	defaultMaxRecs   = 10000
	defaultMaxBytes  = 1 << 20
	maxFetchMaxBytes = 16 << 20
)

var topicNameRE = regexp.MustCompile(`^[a-zA-Z0-9._-]+$`)

// validateTopicName applies Kafka's rule for topic names.
func validateTopicName(field, name string) error {
	switch {
	case name == "":
		return badRequest(field, "a topic name is required")
	case len(name) > maxTopicNameLen:
		return badRequest(field, "topic name is %d characters; the limit is %d", len(name), maxTopicNameLen)
	case name == "." || name == "..":
		return badRequest(field, "topic name cannot be %q", name)
	case !topicNameRE.MatchString(name):
		return badRequest(field, "topic name %q may contain only ASCII letters, digits, '.', '_' and '-'", name)
	}
	return nil
}

// validateRequest checks the fields of a request that can be judged without
// looking at the cluster's state; handlers check the rest.
func validateRequest(req any) error {
	switch r := req.(type) {
	case *sluicev1.CreateTopicRequest:
		return validateCreateTopic(r)
	case *sluicev1.DeleteTopicRequest:
		return validateTopicName("name", r.GetName())
	case *sluicev1.DescribeTopicRequest:
		return validateTopicName("name", r.GetName())
	case *sluicev1.AlterTopicConfigsRequest:
		return validateAlterTopicConfigs(r)
	case *sluicev1.CreatePartitionsRequest:
		if err := validateTopicName("name", r.GetName()); err != nil {
			return err
		}
		if r.GetPartitions() < 1 || r.GetPartitions() > maxPartitions {
			return badRequest("partitions", "must be between 1 and %d (got %d)", maxPartitions, r.GetPartitions())
		}
	case *sluicev1.ListOffsetsRequest:
		return validateListOffsets(r)
	case *sluicev1.FetchRequest:
		return validateFetch(r)
	case *sluicev1.MemberSessionRequest:
		if j := r.GetJoin(); j != nil {
			return validateJoin(j)
		}
	case *sluicev1.CommitOffsetsRequest:
		return validateCommit(r)
	case *sluicev1.FetchOffsetsRequest:
		return validateFetchOffsets(r)
	case *sluicev1.GetMetadataRequest:
		// Names are checked as a topic's own are, so that an odd one is
		// refused as such (and a huge one is not echoed back in full).
		for i, name := range r.GetTopics() {
			if err := validateTopicName("topics["+strconv.Itoa(i)+"]", name); err != nil {
				return err
			}
		}
	case *sluicev1.DescribeGroupRequest:
		return validateGroupID("group_id", r.GetGroupId())
	case *sluicev1.DeleteGroupRequest:
		return validateGroupID("group_id", r.GetGroupId())
	case *sluicev1.ResetOffsetsRequest:
		return validateResetOffsets(r)
	case *internalv1.JoinRequest:
		return validateJoinCluster(r)
	}
	return nil
}

// validateJoinCluster bounds what a joining broker registers in the
// metadata, which every broker keeps.
func validateJoinCluster(r *internalv1.JoinRequest) error {
	switch {
	case len(r.GetAddress()) > maxAddressLen:
		return badRequest("address", "address is %d bytes; the limit is %d", len(r.GetAddress()), maxAddressLen)
	case len(r.GetRack()) > maxGroupIDLen:
		return badRequest("rack", "rack is %d bytes; the limit is %d", len(r.GetRack()), maxGroupIDLen)
	}
	return nil
}

func validateCreateTopic(r *sluicev1.CreateTopicRequest) error {
	if err := validateTopicName("name", r.GetName()); err != nil {
		return err
	}
	if r.GetPartitions() < 1 || r.GetPartitions() > maxPartitions {
		return badRequest("partitions", "must be between 1 and %d (got %d)", maxPartitions, r.GetPartitions())
	}
	if r.GetReplicationFactor() < 0 {
		return badRequest("replication_factor", "must not be negative (got %d); 0 means the broker default", r.GetReplicationFactor())
	}
	return validateTopicConfigs("configs", r.GetConfigs(), r.GetReplicationFactor())
}

func validateAlterTopicConfigs(r *sluicev1.AlterTopicConfigsRequest) error {
	if err := validateTopicName("name", r.GetName()); err != nil {
		return err
	}
	if len(r.GetSetConfigs()) == 0 && len(r.GetDeleteConfigs()) == 0 {
		return badRequest("set_configs", "nothing to change: set or delete at least one config")
	}
	if err := validateTopicConfigs("set_configs", r.GetSetConfigs(), 0); err != nil {
		return err
	}
	seen := make(map[string]bool, len(r.GetDeleteConfigs()))
	for i, k := range r.GetDeleteConfigs() {
		field := "delete_configs[" + strconv.Itoa(i) + "]"
		if _, ok := topicConfigs[k]; !ok {
			return validateTopicConfig(field, k, "", 0) // names the known keys
		}
		// Repeats would only grow the metadata command: millions of them
		// made an entry larger than the storage takes.
		if seen[k] {
			return badRequest(field, "%q is listed twice", k)
		}
		seen[k] = true
		if _, ok := r.GetSetConfigs()[k]; ok {
			return badRequest(field, "%q is also in set_configs; a config is either set or deleted", k)
		}
	}
	return nil
}

// listedOnce refuses a partition already in seen (the request's
// "partitions" field lists it twice) and adds it.
func listedOnce(seen map[int32]bool, p int32) error {
	if seen[p] {
		return badRequest("partitions", "partition %d is listed twice", p)
	}
	seen[p] = true
	return nil
}

func validateListOffsets(r *sluicev1.ListOffsetsRequest) error {
	if err := validateTopicName("topic", r.GetTopic()); err != nil {
		return err
	}
	seen := make(map[int32]bool, len(r.GetPartitions()))
	for i, p := range r.GetPartitions() {
		if p < 0 {
			return badRequest("partitions", "partition %d (entry %d) is negative", p, i)
		}
		// As in Fetch: a repeat would only repeat the answer.
		if err := listedOnce(seen, p); err != nil {
			return err
		}
	}
	switch spec := r.GetSpec().(type) {
	case *sluicev1.ListOffsetsRequest_Boundary:
		if b := r.GetBoundary(); b != sluicev1.Boundary_BOUNDARY_EARLIEST && b != sluicev1.Boundary_BOUNDARY_LATEST {
			return badRequest("boundary", "must be BOUNDARY_EARLIEST or BOUNDARY_LATEST")
		}
	case *sluicev1.ListOffsetsRequest_TimestampMs:
		// Kafka's -1 and -2 are boundary here; Fetch and ResetOffsets
		// refuse negative timestamps too.
		if spec.TimestampMs < 0 {
			return badRequest("timestamp_ms", "must not be negative (got %d); use boundary for the earliest or latest offset", spec.TimestampMs)
		}
	default:
		return badRequest("spec", "set boundary or timestamp_ms")
	}
	return nil
}

// validateFetchOffsets checks the group and the partitions asked for, as a
// commit's are checked.
func validateFetchOffsets(r *sluicev1.FetchOffsetsRequest) error {
	if err := validateGroupID("group_id", r.GetGroupId()); err != nil {
		return err
	}
	for i, tp := range r.GetPartitions() {
		field := "partitions[" + strconv.Itoa(i) + "]"
		if err := validateTopicName(field+".topic", tp.GetTopic()); err != nil {
			return err
		}
		for _, p := range tp.GetPartitions() {
			if p < 0 {
				return badRequest(field+".partitions", "partition %d is negative", p)
			}
		}
	}
	return nil
}

func validateFetch(r *sluicev1.FetchRequest) error {
	if err := validateTopicName("topic", r.GetTopic()); err != nil {
		return err
	}
	switch {
	case r.GetMaxRecords() < 0:
		return badRequest("max_records", "must not be negative (got %d)", r.GetMaxRecords())
	case r.GetMaxBytes() < 0 || r.GetMaxBytes() > maxFetchMaxBytes:
		return badRequest("max_bytes", "must be between 0 and %d (got %d)", maxFetchMaxBytes, r.GetMaxBytes())
	case r.GetMaxTotalRecords() < 0:
		return badRequest("max_total_records", "must not be negative (got %d)", r.GetMaxTotalRecords())
	}
	if err := validateStart("start_all", r.GetStartAll()); err != nil {
		return err
	}
	if err := validateAcceptCompression(r.GetAcceptCompression()); err != nil {
		return err
	}
	seen := map[int32]bool{}
	for i, p := range r.GetPartitions() {
		if p.GetPartition() < 0 {
			return badRequest("partitions", "partition %d (entry %d) is negative", p.GetPartition(), i)
		}
		if err := listedOnce(seen, p.GetPartition()); err != nil {
			return err
		}
		if err := validateStart("partitions["+strconv.Itoa(i)+"].start", p.GetStart()); err != nil {
			return err
		}
	}
	return nil
}

func validateStart(field string, s *sluicev1.StartPosition) error {
	switch p := s.GetPosition().(type) {
	case *sluicev1.StartPosition_Offset:
		if p.Offset < 0 {
			return badRequest(field+".offset", "must not be negative (got %d)", p.Offset)
		}
	case *sluicev1.StartPosition_Boundary:
		if p.Boundary != sluicev1.Boundary_BOUNDARY_EARLIEST && p.Boundary != sluicev1.Boundary_BOUNDARY_LATEST {
			return badRequest(field+".boundary", "must be BOUNDARY_EARLIEST or BOUNDARY_LATEST")
		}
	case *sluicev1.StartPosition_TimestampMs:
		if p.TimestampMs < 0 {
			return badRequest(field+".timestamp_ms", "must not be negative (got %d)", p.TimestampMs)
		}
	}
	return nil
}

// Interceptors: validation first, then the handler; errors from either are
// mapped to status by the error interceptors.

func validateUnary(ctx context.Context, req any, _ *grpc.UnaryServerInfo, h grpc.UnaryHandler) (any, error) {
	if err := validateRequest(req); err != nil {
		return nil, err
	}
	return h(ctx, req)
}

func validateStream(srv any, ss grpc.ServerStream, _ *grpc.StreamServerInfo, h grpc.StreamHandler) error {
	return h(srv, &validatingStream{ServerStream: ss})
}

type validatingStream struct{ grpc.ServerStream }

func (s *validatingStream) RecvMsg(m any) error {
	if err := s.ServerStream.RecvMsg(m); err != nil {
		return err
	}
	return validateRequest(m)
}

func statusUnary(ctx context.Context, req any, _ *grpc.UnaryServerInfo, h grpc.UnaryHandler) (any, error) {
	resp, err := h(ctx, req)
	if err != nil {
		return nil, toStatus(err).Err()
	}
	return resp, nil
}

func statusStream(srv any, ss grpc.ServerStream, _ *grpc.StreamServerInfo, h grpc.StreamHandler) error {
	if err := h(srv, ss); err != nil {
		return toStatus(err).Err()
	}
	return nil
}
