package server

import (
	"context"
	"errors"
	"fmt"
	"strconv"

	"google.golang.org/genproto/googleapis/rpc/errdetails"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/protoadapt"

	sluicev1 "github.com/sluice-io/sluice/gen/go/sluice/v1"
	"github.com/sluice-io/sluice/raftmeta"
	"github.com/sluice-io/sluice/server/group"
	"github.com/sluice-io/sluice/server/replica"
	"github.com/sluice-io/sluice/server/wire"
)

// The broker's errors become gRPC status here and nowhere else: handlers return
// plain Go errors, and the interceptors (or a stream handler that reports
// per-request errors) pass them through toStatus.

// notFoundError is an unknown topic or partition.
type notFoundError struct{ msg string }

func (e *notFoundError) Error() string { return e.msg }

func topicNotFound(name string) error {
	return &notFoundError{fmt.Sprintf("topic %q not found", name)}
}

func partitionNotFound(topic string, p int32, n int) error {
	if n == 1 {
		return &notFoundError{fmt.Sprintf("topic %q has 1 partition (0); partition %d does not exist", topic, p)}
	}
	return &notFoundError{fmt.Sprintf("topic %q has %d partitions (0 to %d); partition %d does not exist", topic, n, n-1, p)}
}

// partitionCount is "1 partition", "3 partitions".
func partitionCount[N ~int | ~int32](n N) string {
	if n == 1 {
		return "1 partition"
	}
	return fmt.Sprintf("%d partitions", n)
}

// notLeaderError is a partition this broker cannot serve: it hosts no replica
// of it, or its replica does not lead. It names the leader when known.
type notLeaderError struct {
	topic     string
	partition int32
	leader    uint64
	addr      string
}

func (e *notLeaderError) Error() string {
	if e.leader == 0 {
		return fmt.Sprintf("partition %s/%d has no leader at the moment; retry", e.topic, e.partition)
	}
	return fmt.Sprintf("this broker does not lead partition %s/%d; broker %d at %s does", e.topic, e.partition, e.leader, e.addr)
}

// notEnoughReplicasError refuses an acks=all write to a partition with
// fewer in-sync replicas than its min.insync.replicas (Kafka's
// NOT_ENOUGH_REPLICAS). It is retryable: replicas come back.
type notEnoughReplicasError struct {
	topic                  string
	partition              int32
	inSync, replicas, need int
}

func (e *notEnoughReplicasError) Error() string {
	return fmt.Sprintf("partition %s/%d has %d in-sync replica(s) of %d, fewer than min.insync.replicas=%d: "+
		"acks=all writes are refused until more replicas are in sync; retry later", e.topic, e.partition, e.inSync, e.replicas, e.need)
}

// notCoordinatorError is a group request that reached a broker that does
// not coordinate the group; it names the coordinator when known, as a
// not-leader error of the group's offsets partition.
type notCoordinatorError struct {
	group     string
	partition int32
	leader    uint64
	addr      string
}

func (e *notCoordinatorError) Error() string {
	if e.leader == 0 {
		return fmt.Sprintf("group %q has no coordinator at the moment (offsets partition %d is electing its leader); retry", e.group, e.partition)
	}
	return fmt.Sprintf("this broker does not coordinate group %q; broker %d at %s does", e.group, e.leader, e.addr)
}

// badRequest is an invalid request field.
func badRequest(field, format string, args ...any) error {
	return &wire.FieldError{Field: field, Reason: fmt.Sprintf(format, args...)}
}

var (
	// errShuttingDown ends streams while the broker stops.
	errShuttingDown = errors.New("the broker is shutting down; reconnect to another broker or retry")
	// errStarting answers requests that arrive before the broker is ready.
	errStarting = errors.New("the broker is starting; retry in a moment")
)

// toStatus maps an error to the gRPC status a client acts on.
func toStatus(err error) *status.Status {
	if err == nil {
		return nil
	}
	if s, ok := status.FromError(err); ok {
		return s
	}
	var (
		field    *wire.FieldError
		notFound *notFoundError
		notLead  *replica.NotLeaderError
		routed   *notLeaderError
		oor      *replica.OutOfRangeError
		fewISR   *notEnoughReplicasError
		notCoord *notCoordinatorError
		stale    *group.StaleGenerationError
		unknownM *group.UnknownMemberError
		notEmpty *group.NotEmptyError
		noGroup  *group.GroupNotFoundError
		evicted  *group.EvictedError
		coordNC  *group.NotCoordinatorError
		seqErr   *replica.OutOfOrderSequenceError
		fenced   *replica.ProducerFencedError
		tooLarge *replica.EntryTooLargeError
		unknownP *unknownProducerError
		peerDeny *peerDeniedError
		denied   *permissionDeniedError
	)
	switch {
	case errors.As(err, &denied):
		return withDetails(codes.PermissionDenied, err.Error(), &errdetails.ErrorInfo{
			Reason: "ACL_DENIED", Domain: "sluice.io",
			Metadata: map[string]string{
				"principal": denied.principal.String(), "operation": opName(denied.op),
				"resource_type": resName(denied.resType), "resource_name": denied.name,
			},
		})
	case errors.As(err, &field):
		return withDetails(codes.InvalidArgument, err.Error(), &errdetails.BadRequest{
			FieldViolations: []*errdetails.BadRequest_FieldViolation{{Field: field.Field, Description: field.Reason}},
		})
	case errors.As(err, &peerDeny) && peerDeny.unauthenticated:
		return status.New(codes.Unauthenticated, err.Error())
	case errors.As(err, &peerDeny):
		return status.New(codes.PermissionDenied, err.Error())
	case errors.As(err, &tooLarge):
		// Checked at the edge first (checkEntrySizes); this is what the
		// replica says when something else sends too much.
		return withDetails(codes.InvalidArgument, err.Error(), &errdetails.BadRequest{
			FieldViolations: []*errdetails.BadRequest_FieldViolation{{Field: "records", Description: err.Error()}},
		})
	case errors.As(err, &notFound), errors.Is(err, raftmeta.ErrTopicNotFound), errors.Is(err, raftmeta.ErrUserNotFound):
		return status.New(codes.NotFound, err.Error())
	case errors.Is(err, raftmeta.ErrTopicExists):
		return status.New(codes.AlreadyExists, err.Error())
	case errors.Is(err, raftmeta.ErrConflict):
		return status.New(codes.Aborted, err.Error())
	case errors.As(err, &routed):
		return withDetails(codes.Unavailable, err.Error(), &sluicev1.NotLeaderDetail{
			Topic: routed.topic, Partition: routed.partition, LeaderId: routed.leader, LeaderAddress: routed.addr,
		})
	case errors.As(err, &notCoord):
		return withDetails(codes.Unavailable, err.Error(), &sluicev1.NotLeaderDetail{
			Topic: offsetsTopic, Partition: notCoord.partition, LeaderId: notCoord.leader, LeaderAddress: notCoord.addr,
		})
	case errors.As(err, &seqErr):
		return withDetails(codes.FailedPrecondition, err.Error(), &errdetails.ErrorInfo{
			Reason: "OUT_OF_ORDER_SEQUENCE", Domain: "sluice.io",
			Metadata: map[string]string{
				"producer_id":       strconv.FormatInt(seqErr.ProducerID, 10),
				"expected_sequence": strconv.Itoa(int(seqErr.Expected)), "sequence": strconv.Itoa(int(seqErr.Got)),
			},
		})
	case errors.As(err, &fenced):
		return withDetails(codes.FailedPrecondition, err.Error(), &errdetails.ErrorInfo{
			Reason: "PRODUCER_FENCED", Domain: "sluice.io",
			Metadata: map[string]string{
				"producer_id": strconv.FormatInt(fenced.ProducerID, 10),
				"epoch":       strconv.Itoa(int(fenced.Epoch)), "current_epoch": strconv.Itoa(int(fenced.Known)),
			},
		})
	case errors.As(err, &unknownP):
		return withDetails(codes.FailedPrecondition, err.Error(), &errdetails.ErrorInfo{
			Reason: "UNKNOWN_PRODUCER_ID", Domain: "sluice.io",
			Metadata: map[string]string{"producer_id": strconv.FormatInt(unknownP.id, 10)},
		})
	case errors.As(err, &stale), errors.As(err, &unknownM), errors.As(err, &notEmpty):
		// Fencing and admin refusals: retrying the same request cannot succeed.
		return status.New(codes.FailedPrecondition, err.Error())
	case errors.As(err, &noGroup):
		return status.New(codes.NotFound, err.Error())
	case errors.As(err, &evicted):
		return status.New(codes.Aborted, err.Error())
	case errors.As(err, &coordNC), errors.Is(err, group.ErrLoading), errors.Is(err, group.ErrClosed):
		return status.New(codes.Unavailable, err.Error())
	case errors.As(err, &notLead):
		return withDetails(codes.Unavailable, err.Error(), &sluicev1.NotLeaderDetail{LeaderId: notLead.Leader})
	case errors.As(err, &oor):
		return withDetails(codes.OutOfRange, err.Error(), &sluicev1.OffsetOutOfRangeDetail{
			Topic: oor.Topic, Partition: oor.Partition, RequestedOffset: oor.Offset, LogStartOffset: oor.LogStart, HighWatermark: oor.HighWatermark,
		})
	case errors.As(err, &fewISR):
		return withDetails(codes.Unavailable, err.Error(), &errdetails.ErrorInfo{
			Reason: "NOT_ENOUGH_REPLICAS", Domain: "sluice.io",
			Metadata: map[string]string{
				"topic": fewISR.topic, "partition": strconv.Itoa(int(fewISR.partition)),
				"in_sync_replicas": strconv.Itoa(fewISR.inSync), "min_insync_replicas": strconv.Itoa(fewISR.need),
			},
		})
	case errors.Is(err, replica.ErrOverloaded):
		return status.New(codes.ResourceExhausted, err.Error())
	case errors.Is(err, replica.ErrProposalDropped), errors.Is(err, replica.ErrStopped),
		errors.Is(err, raftmeta.ErrDropped), errors.Is(err, raftmeta.ErrNoController),
		errors.Is(err, errShuttingDown), errors.Is(err, errStarting):
		return status.New(codes.Unavailable, err.Error())
	case errors.Is(err, context.Canceled):
		return status.New(codes.Canceled, err.Error())
	case errors.Is(err, context.DeadlineExceeded):
		return status.New(codes.DeadlineExceeded, err.Error())
	}
	return status.New(codes.Internal, err.Error())
}

func withDetails(c codes.Code, msg string, details ...protoadapt.MessageV1) *status.Status {
	s := status.New(c, msg)
	if d, err := s.WithDetails(details...); err == nil {
		return d
	}
	return s
}

// retryable reports whether the same request may succeed when sent again.
func retryable(c codes.Code) bool {
	return c == codes.Unavailable || c == codes.ResourceExhausted || c == codes.Aborted
}

// toError is toStatus for an error reported inside a stream's response.
func toError(err error) *sluicev1.Error {
	s := toStatus(err)
	e := &sluicev1.Error{Code: uint32(s.Code()), Message: s.Message(), Retryable: retryable(s.Code())}
	for _, d := range s.Details() {
		if nl, ok := d.(*sluicev1.NotLeaderDetail); ok {
			e.NotLeader = nl
		}
	}
	return e
}
