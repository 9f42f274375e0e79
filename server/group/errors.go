package group

import (
	"errors"
	"fmt"
)

// The coordinator's errors; server/errors.go maps them to gRPC status.

// NotCoordinatorError means this broker does not coordinate the group: it
// does not lead the offsets partition the group hashes to.
type NotCoordinatorError struct {
	Group     string
	Partition int32
}

func (e *NotCoordinatorError) Error() string {
	return fmt.Sprintf("this broker does not coordinate group %q (offsets partition %d)", e.Group, e.Partition)
}

// StaleGenerationError fences a member of an older generation (a zombie).
type StaleGenerationError struct {
	Group         string
	Given, Actual int64
}

func (e *StaleGenerationError) Error() string {
	return fmt.Sprintf("group %q is at generation %d, the request is from generation %d: the member was fenced by a rebalance; rejoin and commit with the current generation",
		e.Group, e.Actual, e.Given)
}

// UnknownMemberError is a member id the group does not have (it left, was
// evicted, or never joined).
type UnknownMemberError struct {
	Group, Member string
}

func (e *UnknownMemberError) Error() string {
	if e.Member == "" {
		return fmt.Sprintf("group %q has members: commits need a member id and generation", e.Group)
	}
	return fmt.Sprintf("group %q has no member %q (it left or was evicted); rejoin", e.Group, e.Member)
}

// NotEmptyError refuses an operation that needs a group without members.
type NotEmptyError struct {
	Group   string
	Members int
	Op      string
}

func (e *NotEmptyError) Error() string {
	return fmt.Sprintf("cannot %s group %q: it has %d member(s); stop its consumers (or wait for their session timeout) first", e.Op, e.Group, e.Members)
}

// GroupNotFoundError is a group with neither members nor commits.
type GroupNotFoundError struct{ Group string }

func (e *GroupNotFoundError) Error() string { return fmt.Sprintf("group %q not found", e.Group) }

// EvictedError ends a session the coordinator removed from its group.
type EvictedError struct {
	Group, Member, Reason string
}

func (e *EvictedError) Error() string {
	return fmt.Sprintf("member %q was removed from group %q: %s; rejoin", e.Member, e.Group, e.Reason)
}

var (
	// ErrLoading means the coordinator is replaying its log after becoming
	// leader; retry shortly.
	ErrLoading = errors.New("the group coordinator is loading its state after a leader change; retry")
	// ErrClosed means the coordinator stopped (the broker is shutting down).
	ErrClosed = errors.New("the group coordinator stopped")
)
