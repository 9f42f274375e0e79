package sluice

import (
	"context"
	"errors"
	"fmt"
	"io"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	sluicev1 "github.com/sluice-io/sluice/gen/go/sluice/v1"
)

var (
	// ErrClosed is returned by a Client, Producer or Consumer used after Close.
	ErrClosed = errors.New("sluice: closed")
	// ErrDeliveryTimeout fails records that could not be delivered within
	// ProducerConfig.DeliveryTimeout; it wraps the last error seen, if any.
	ErrDeliveryTimeout = errors.New("sluice: delivery timeout")
)

// Error is an error reported by a broker: a gRPC status code with the
// broker's message, and whether sending the same request again may succeed.
// It carries a gRPC status, so status.Code(err) works on it.
type Error struct {
	Code    codes.Code
	Message string
	// Retryable is true when the same request may succeed if sent again
	// (a leader change, an overloaded or starting broker, a broken stream).
	Retryable bool
	// NotLeader is set when the request reached a broker that does not lead
	// (or, for reads, host) the partition; it names the leader when known.
	NotLeader *NotLeader
	// outOfRange is the detail of an OUT_OF_RANGE read: which partition,
	// which offset, and the log's range then.
	outOfRange *sluicev1.OffsetOutOfRangeDetail
}

// NotLeader names the leader of a partition, from a not-leader error.
type NotLeader struct {
	Topic     string
	Partition int32
	// LeaderID is 0 when no leader is known yet.
	LeaderID uint64
	// LeaderAddress is empty when unknown.
	LeaderAddress string
}

func (e *Error) Error() string {
	return fmt.Sprintf("sluice: %s: %s", e.Code, e.Message)
}

// GRPCStatus returns the error as a gRPC status.
func (e *Error) GRPCStatus() *status.Status {
	return status.New(e.Code, e.Message)
}

// IsRetryable reports whether err, or an error it wraps, is a broker error
// that may go away if the request is sent again.
func IsRetryable(err error) bool {
	var e *Error
	return errors.As(err, &e) && e.Retryable
}

// retryableCode says which status codes are worth a retry.
func retryableCode(c codes.Code) bool {
	switch c {
	case codes.Unavailable, codes.ResourceExhausted, codes.Aborted:
		return true
	}
	return false
}

// fromRPC turns an error of a gRPC call into an *Error (context errors of the
// caller's own context pass through unchanged).
func fromRPC(err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		if _, ok := status.FromError(err); !ok {
			return err
		}
	}
	var e *Error
	if errors.As(err, &e) {
		return err
	}
	if errors.Is(err, io.EOF) {
		return &Error{Code: codes.Unavailable, Message: "the stream ended before the broker answered", Retryable: true}
	}
	s, ok := status.FromError(err)
	if !ok {
		return &Error{Code: codes.Unknown, Message: err.Error()}
	}
	out := &Error{Code: s.Code(), Message: s.Message(), Retryable: retryableCode(s.Code())}
	for _, d := range s.Details() {
		switch d := d.(type) {
		case *sluicev1.NotLeaderDetail:
			out.NotLeader = notLeaderFromProto(d)
		case *sluicev1.OffsetOutOfRangeDetail:
			out.outOfRange = d
		}
	}
	return out
}

// fromProto turns an error reported inside a stream's response into an *Error.
func fromProto(e *sluicev1.Error) *Error {
	out := &Error{Code: codes.Code(e.GetCode()), Message: e.GetMessage(), Retryable: e.GetRetryable() || retryableCode(codes.Code(e.GetCode()))}
	if nl := e.GetNotLeader(); nl != nil {
		out.NotLeader = notLeaderFromProto(nl)
	}
	return out
}

func notLeaderFromProto(nl *sluicev1.NotLeaderDetail) *NotLeader {
	return &NotLeader{Topic: nl.GetTopic(), Partition: nl.GetPartition(), LeaderID: nl.GetLeaderId(), LeaderAddress: nl.GetLeaderAddress()}
}
