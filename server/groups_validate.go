package server

import (
	"fmt"
	"time"

	"google.golang.org/protobuf/proto"

	sluicev1 "github.com/sluice-io/sluice/gen/go/sluice/v1"
	"github.com/sluice-io/sluice/server/group"
)

// Limits of group requests.
const (
	maxGroupIDLen         = 255
	defaultSessionTimeout = 10 * time.Second
	minSessionTimeout     = time.Second
	maxSessionTimeout     = 5 * time.Minute
)

// isInternalTopic reports whether a topic belongs to the broker itself.
func isInternalTopic(name string) bool { return name == offsetsTopic }

func validateGroupID(field, id string) error {
	switch {
	case id == "":
		return badRequest(field, "a group id is required")
	case len(id) > maxGroupIDLen:
		return badRequest(field, "group id is %d characters; the limit is %d", len(id), maxGroupIDLen)
	}
	return nil
}

func validateJoin(j *sluicev1.JoinGroup) error {
	if err := validateGroupID("join.group_id", j.GetGroupId()); err != nil {
		return err
	}
	switch n := len(j.GetTopics()); {
	case n == 0:
		return badRequest("join.topics", "a member subscribes to at least one topic")
	case n > maxSubscribedTopics:
		return badRequest("join.topics", "%d topics; a member subscribes to at most %d", n, maxSubscribedTopics)
	}
	for i, t := range j.GetTopics() {
		if err := validateTopicName(fmt.Sprintf("join.topics[%d]", i), t); err != nil {
			return err
		}
	}
	if ms := j.GetSessionTimeoutMs(); ms != 0 {
		d := time.Duration(ms) * time.Millisecond
		if d < minSessionTimeout || d > maxSessionTimeout {
			return badRequest("join.session_timeout_ms", "must be between %d and %d ms (got %d); 0 means %d",
				minSessionTimeout.Milliseconds(), maxSessionTimeout.Milliseconds(), ms, defaultSessionTimeout.Milliseconds())
		}
	}
	// The lookup's error quotes the name: bound it first.
	if n := len(j.GetAssignor()); n > maxGroupIDLen {
		return badRequest("join.assignor", "assignor name is %d characters; the limit is %d", n, maxGroupIDLen)
	}
	if _, _, err := group.LookupAssignor(j.GetAssignor()); err != nil {
		return badRequest("join.assignor", "%v", err)
	}
	if len(j.GetInstanceId()) > maxGroupIDLen {
		return badRequest("join.instance_id", "instance id is %d characters; the limit is %d", len(j.GetInstanceId()), maxGroupIDLen)
	}
	return validateMemberID("join.member_id", j.GetMemberId())
}

// validateMemberID bounds a member id a client sends back (the coordinator
// makes them; see maxMemberIDLen).
func validateMemberID(field, id string) error {
	if len(id) > maxMemberIDLen {
		return badRequest(field, "member id is %d characters; the limit is %d", len(id), maxMemberIDLen)
	}
	return nil
}

func validateCommit(r *sluicev1.CommitOffsetsRequest) error {
	if err := validateGroupID("group_id", r.GetGroupId()); err != nil {
		return err
	}
	if err := validateMemberID("member_id", r.GetMemberId()); err != nil {
		return err
	}
	switch n := len(r.GetOffsets()); {
	case n == 0:
		return badRequest("offsets", "at least one offset is required")
	case n > maxCommitOffsets:
		return badRequest("offsets", "%d offsets in one commit; the limit is %d", n, maxCommitOffsets)
	}
	for i, o := range r.GetOffsets() {
		if err := validateTopicName(fmt.Sprintf("offsets[%d].topic", i), o.GetTopic()); err != nil {
			return err
		}
		if o.GetPartition() < 0 {
			return badRequest(fmt.Sprintf("offsets[%d].partition", i), "must not be negative (got %d)", o.GetPartition())
		}
		if o.GetOffset() < 0 {
			return badRequest(fmt.Sprintf("offsets[%d].offset", i), "must not be negative (got %d)", o.GetOffset())
		}
	}
	return nil
}

// commitRecordOverhead is what the commit record adds to the request's own
// encoding: the record around it, its length and timestamp.
const commitRecordOverhead = 64

// checkCommitLimits applies the limits of Limits to a commit: each
// metadata at most MaxCommitMetadataBytes (Kafka's
// offset.metadata.max.bytes, so that FetchOffsets stays within a client's
// receive limit), and the whole commit one raft entry of the offsets
// topic. validateCommit checked the rest.
func checkCommitLimits(r *sluicev1.CommitOffsetsRequest, lim *Limits) error {
	for i, o := range r.GetOffsets() {
		if n := len(o.GetMetadata()); n > lim.MaxCommitMetadataBytes {
			return badRequest(fmt.Sprintf("offsets[%d].metadata", i), "metadata is %d bytes; the limit is %d (offset.metadata.max.bytes)", n, lim.MaxCommitMetadataBytes)
		}
	}
	if n := proto.Size(r) + commitRecordOverhead; n > lim.maxPartBytes() {
		return badRequest("offsets", "the commit is %d bytes, over the limit of %d bytes for one raft entry (MaxEntryBytes %d less room for the entry's own fields); commit fewer offsets at a time",
			n, lim.maxPartBytes(), lim.MaxEntryBytes)
	}
	return nil
}

func validateResetOffsets(r *sluicev1.ResetOffsetsRequest) error {
	if err := validateGroupID("group_id", r.GetGroupId()); err != nil {
		return err
	}
	if err := validateTopicName("topic", r.GetTopic()); err != nil {
		return err
	}
	// As in ListOffsets, which the reset asks: a repeat would only
	// repeat the commit.
	seen := make(map[int32]bool, len(r.GetPartitions()))
	for _, p := range r.GetPartitions() {
		if err := listedOnce(seen, p); err != nil {
			return err
		}
	}
	switch to := r.GetTo().(type) {
	case nil:
		return badRequest("to", "say where to reset to: boundary, offset or timestamp_ms")
	case *sluicev1.ResetOffsetsRequest_Boundary:
		if to.Boundary != sluicev1.Boundary_BOUNDARY_EARLIEST && to.Boundary != sluicev1.Boundary_BOUNDARY_LATEST {
			return badRequest("boundary", "must be BOUNDARY_EARLIEST or BOUNDARY_LATEST")
		}
	case *sluicev1.ResetOffsetsRequest_Offset:
		if to.Offset < 0 {
			return badRequest("offset", "must not be negative (got %d)", to.Offset)
		}
	case *sluicev1.ResetOffsetsRequest_TimestampMs:
		if to.TimestampMs < 0 {
			return badRequest("timestamp_ms", "must not be negative (got %d)", to.TimestampMs)
		}
	}
	return nil
}
