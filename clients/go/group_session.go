package sluice

import (
	"context"
	"errors"
	"io"
	"time"

	"google.golang.org/grpc/codes"

	sluicev1 "github.com/sluice-io/sluice/gen/go/sluice/v1"
)

// The member's session with its coordinator runs on its own goroutine: it
// finds the coordinator (any broker names it in a not-leader error), joins,
// sends heartbeats and the revocation confirmations Next queues, and passes
// the coordinator's messages to Next. When the stream breaks (the
// coordinator's broker failed or its leadership moved) it rejoins with the
// same member id, so within the session timeout the member keeps its
// partitions; records keep flowing meanwhile.

const (
	defaultSessionTimeout = 10 * time.Second
	sessionRetryMax       = time.Second
)

func (g *GroupConsumer) runSession() {
	defer g.wg.Done()
	addr := ""
	failures := 0
	for g.ctx.Err() == nil {
		if addr == "" {
			cands := g.c.candidates()
			addr = cands[failures%len(cands)]
		}
		joined, err := g.session(addr)
		if g.ctx.Err() != nil {
			return
		}
		if err == nil {
			err = errors.New("the coordinator ended the session")
		}
		g.setSessionErr(err)
		if !joined && refusedForGood(err) {
			g.refusal = err
			close(g.refused)
			return
		}
		var e *Error
		if errors.As(err, &e) && e.NotLeader != nil && e.NotLeader.LeaderAddress != "" && e.NotLeader.LeaderAddress != addr {
			addr = e.NotLeader.LeaderAddress // the coordinator: go there at once
			continue
		}
		addr = ""
		if joined {
			failures = 0
		}
		failures++
		if sleepCtx(g.ctx, backoffFor(failures, 50*time.Millisecond, sessionRetryMax)) != nil {
			return
		}
	}
}

// refusedForGood reports whether a refused join would be refused again
// however often it is sent: the request itself is wrong or not allowed.
func refusedForGood(err error) bool {
	var e *Error
	if !errors.As(err, &e) || e.Retryable || e.NotLeader != nil {
		return false
	}
	switch e.Code {
	case codes.InvalidArgument, codes.PermissionDenied, codes.Unauthenticated, codes.Unimplemented:
		return true
	}
	return false
}

// session runs one stream until it breaks or the consumer closes; joined
// says whether the coordinator accepted the member.
func (g *GroupConsumer) session(addr string) (joined bool, err error) {
	conn, err := g.c.conn(addr)
	if err != nil {
		return false, err
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	stream, err := sluicev1.NewGroupCoordinatorServiceClient(conn).MemberSession(ctx)
	if err != nil {
		return false, fromRPC(err)
	}
	memberID, _ := g.MemberID()
	timeout := g.cfg.SessionTimeout
	join := &sluicev1.JoinGroup{
		GroupId: g.cfg.Group, Topics: g.cfg.Topics, InstanceId: g.cfg.InstanceID, Assignor: g.cfg.Assignor,
		SessionTimeoutMs: int32(timeout.Milliseconds()), MemberId: memberID,
	}
	if err := stream.Send(&sluicev1.MemberSessionRequest{Kind: &sluicev1.MemberSessionRequest_Join{Join: join}}); err != nil {
		return false, fromRPC(err)
	}
	if timeout <= 0 {
		timeout = defaultSessionTimeout
	}
	recvErr := make(chan error, 1)
	first := make(chan struct{})
	go func() { recvErr <- g.receive(stream, first) }()
	beat := time.NewTicker(timeout / 3)
	defer beat.Stop()
	for {
		select {
		case <-first:
			joined, first = true, nil
			g.setSessionErr(nil)
		case msg := <-g.outbox:
			if err := stream.Send(msg); err != nil {
				return joined, g.streamEnd(recvErr, err)
			}
		case <-beat.C:
			if err := stream.Send(&sluicev1.MemberSessionRequest{Kind: &sluicev1.MemberSessionRequest_Heartbeat{Heartbeat: &sluicev1.Heartbeat{}}}); err != nil {
				return joined, g.streamEnd(recvErr, err)
			}
		case err := <-recvErr:
			return joined, err
		case <-g.ctx.Done():
			// Closing our side leaves the group at once; wait briefly for
			// the coordinator to end the stream.
			_ = stream.CloseSend()
			select {
			case <-recvErr:
			case <-time.After(2 * time.Second):
			}
			return joined, nil
		}
	}
}

// streamEnd returns the receiver's error, which says why a send failed.
func (g *GroupConsumer) streamEnd(recvErr <-chan error, sendErr error) error {
	select {
	case err := <-recvErr:
		return err
	case <-time.After(time.Second):
		return fromRPC(sendErr)
	}
}

// receive passes the coordinator's messages to Next until the stream ends.
func (g *GroupConsumer) receive(stream interface {
	Recv() (*sluicev1.MemberSessionResponse, error)
}, first chan struct{}) error {
	for {
		msg, err := stream.Recv()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return fromRPC(err)
		}
		if first != nil {
			close(first)
			first = nil
		}
		select {
		case g.control <- msg:
		case <-g.ctx.Done():
			return nil
		}
	}
}
