package server

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"google.golang.org/grpc"

	sluicev1 "github.com/sluice-io/sluice/gen/go/sluice/v1"
	"github.com/sluice-io/sluice/server/authz"
	"github.com/sluice-io/sluice/server/group"
)

// groupService is GroupCoordinatorService: it routes each request to the
// group's coordinator and serves it there from the coordinator's state.
type groupService struct {
	sluicev1.UnimplementedGroupCoordinatorServiceServer
	b *Broker
}

// coordinatorClient returns a client of the broker that coordinates rt's group.
func (s *groupService) coordinatorClient(ctx context.Context, rt coordinatorRoute) (sluicev1.GroupCoordinatorServiceClient, error) {
	if isForwarded(ctx) {
		return nil, s.b.notCoordinator(rt)
	}
	addr, ok := s.b.peerAddr(rt.leader)
	if !ok {
		return nil, s.b.notCoordinator(rt)
	}
	conn, err := s.b.clientConn(addr)
	if err != nil {
		return nil, err
	}
	return sluicev1.NewGroupCoordinatorServiceClient(conn), nil
}

// route finds the coordinator; fwd is set when the request must go elsewhere.
func (s *groupService) route(ctx context.Context, groupID string) (coordinatorRoute, sluicev1.GroupCoordinatorServiceClient, error) {
	rt, err := s.b.routeGroup(ctx, groupID)
	if err != nil || rt.local {
		return rt, nil, err
	}
	fwd, err := s.coordinatorClient(ctx, rt)
	return rt, fwd, err
}

// checkCommitPartitions refuses a commit that names a topic or partition
// that does not exist: stored, it would be fetched back as a position to read
// from, and shown as the group's offset, for nothing the group can read. The
// response has no per-partition errors, so the whole commit is refused,
// naming the first such offset.
func (s *groupService) checkCommitPartitions(offsets []*sluicev1.CommittedOffset) error {
	for i, o := range offsets {
		t := s.b.meta.Topic(o.GetTopic())
		if t == nil {
			return &notFoundError{fmt.Sprintf("offsets[%d]: %v", i, topicNotFound(o.GetTopic()))}
		}
		if n := len(t.GetPartitions()); int(o.GetPartition()) >= n {
			return &notFoundError{fmt.Sprintf("offsets[%d]: %v", i, partitionNotFound(t.GetName(), o.GetPartition(), n))}
		}
	}
	return nil
}

// CommitOffsets needs READ on the group and on every topic committed to; the
// response has no per-partition errors, so a topic refused refuses the
// commit, naming it.
func (s *groupService) CommitOffsets(ctx context.Context, req *sluicev1.CommitOffsetsRequest) (*sluicev1.CommitOffsetsResponse, error) {
	if err := checkCommitLimits(req, &s.b.cfg.Limits); err != nil {
		return nil, err
	}
	if err := s.b.authorize(ctx, opRead, resGroup, req.GetGroupId()); err != nil {
		return nil, err
	}
	if s.b.checked(ctx) {
		for i, o := range req.GetOffsets() {
			if err := s.b.authorize(ctx, opRead, resTopic, o.GetTopic()); err != nil {
				return nil, fmt.Errorf("offsets[%d]: %w", i, err)
			}
		}
	}
	rt, fwd, err := s.route(ctx, req.GetGroupId())
	if err != nil {
		return nil, err
	}
	if fwd != nil {
		return fwd.CommitOffsets(forwardContext(ctx), req)
	}
	if err := s.b.awaitMetadata(ctx, func() error { return s.checkCommitPartitions(req.GetOffsets()) }); err != nil {
		return nil, err
	}
	offsets := map[group.TP]group.Offset{}
	for _, o := range req.GetOffsets() {
		offsets[group.TP{Topic: o.GetTopic(), Partition: o.GetPartition()}] = group.Offset{Offset: o.GetOffset(), Metadata: o.GetMetadata()}
	}
	err = s.b.groups.Commit(ctx, rt.partition, req.GetGroupId(), req.GetMemberId(), req.GetGeneration(), offsets)
	if err != nil {
		return nil, s.b.coordinatorError(rt, err)
	}
	return &sluicev1.CommitOffsetsResponse{}, nil
}

// FetchOffsets needs DESCRIBE on the group and on each topic named; asked for
// all, it answers with the topics the caller may DESCRIBE.
func (s *groupService) FetchOffsets(ctx context.Context, req *sluicev1.FetchOffsetsRequest) (*sluicev1.FetchOffsetsResponse, error) {
	if err := s.b.authorize(ctx, opDescribe, resGroup, req.GetGroupId()); err != nil {
		return nil, err
	}
	if s.b.checked(ctx) {
		for i, tp := range req.GetPartitions() {
			if err := s.b.authorize(ctx, opDescribe, resTopic, tp.GetTopic()); err != nil {
				return nil, fmt.Errorf("partitions[%d]: %w", i, err)
			}
		}
	}
	resp, err := s.fetchOffsets(ctx, req)
	if err != nil || !s.b.checked(ctx) {
		return resp, err
	}
	resp.Offsets = slices.DeleteFunc(resp.Offsets, func(o *sluicev1.CommittedOffset) bool {
		return !s.b.allowed(ctx, opDescribe, resTopic, o.GetTopic())
	})
	return resp, nil
}

func (s *groupService) fetchOffsets(ctx context.Context, req *sluicev1.FetchOffsetsRequest) (*sluicev1.FetchOffsetsResponse, error) {
	rt, fwd, err := s.route(ctx, req.GetGroupId())
	if err != nil {
		return nil, err
	}
	if fwd != nil {
		return fwd.FetchOffsets(forwardContext(ctx), req)
	}
	asked := group.FromProto(req.GetPartitions())
	got, err := s.b.groups.Fetch(rt.partition, req.GetGroupId(), asked)
	if err != nil {
		return nil, s.b.coordinatorError(rt, err)
	}
	resp := &sluicev1.FetchOffsetsResponse{}
	if len(asked) == 0 {
		for tp := range got {
			asked = append(asked, tp)
		}
	}
	slices.SortFunc(asked, func(a, b group.TP) int {
		if c := strings.Compare(a.Topic, b.Topic); c != 0 {
			return c
		}
		return int(a.Partition - b.Partition)
	})
	for _, tp := range asked {
		o, ok := got[tp]
		co := &sluicev1.CommittedOffset{Topic: tp.Topic, Partition: tp.Partition, Offset: -1}
		if ok {
			co.Offset, co.Metadata = o.Offset, o.Metadata
		}
		resp.Offsets = append(resp.Offsets, co)
	}
	return resp, nil
}

func (s *groupService) DeleteGroup(ctx context.Context, req *sluicev1.DeleteGroupRequest) (*sluicev1.DeleteGroupResponse, error) {
	if err := s.b.authorize(ctx, opDelete, resGroup, req.GetGroupId()); err != nil {
		return nil, err
	}
	rt, fwd, err := s.route(ctx, req.GetGroupId())
	if err != nil {
		return nil, err
	}
	if fwd != nil {
		return fwd.DeleteGroup(forwardContext(ctx), req)
	}
	if err := s.b.groups.Delete(ctx, rt.partition, req.GetGroupId()); err != nil {
		return nil, s.b.coordinatorError(rt, err)
	}
	return &sluicev1.DeleteGroupResponse{}, nil
}

// ListGroups lists the groups of every coordinator: this broker's, and,
// unless the request was forwarded, every other broker's. A caller with
// DESCRIBE on the cluster sees them all, any other the groups it may
// DESCRIBE (Kafka's ListGroups).
func (s *groupService) ListGroups(ctx context.Context, req *sluicev1.ListGroupsRequest) (*sluicev1.ListGroupsResponse, error) {
	resp, err := s.listGroups(ctx, req)
	if err != nil || s.b.allowed(ctx, opDescribe, resCluster, authz.ClusterName) {
		return resp, err
	}
	resp.Groups = slices.DeleteFunc(resp.Groups, func(g *sluicev1.GroupSummary) bool {
		return !s.b.allowed(ctx, opDescribe, resGroup, g.GetGroupId())
	})
	return resp, nil
}

func (s *groupService) listGroups(ctx context.Context, req *sluicev1.ListGroupsRequest) (*sluicev1.ListGroupsResponse, error) {
	resp := &sluicev1.ListGroupsResponse{}
	seen := map[string]bool{}
	for _, g := range s.b.groups.List() {
		seen[g.ID] = true
		resp.Groups = append(resp.Groups, &sluicev1.GroupSummary{GroupId: g.ID, State: g.State, Members: int32(g.Members)})
	}
	if !isForwarded(ctx) {
		for _, br := range s.b.meta.State().GetBrokers() {
			if br.GetId() == s.b.cfg.NodeID {
				continue
			}
			conn, err := s.b.clientConn(br.GetAddress())
			if err != nil {
				return nil, err
			}
			cctx, cancel := context.WithTimeout(ctx, 5*time.Second)
			other, err := sluicev1.NewGroupCoordinatorServiceClient(conn).ListGroups(forwardContext(cctx), req)
			cancel()
			if err != nil {
				continue // a broker that is down coordinates nothing until its partitions move
			}
			for _, g := range other.GetGroups() {
				if !seen[g.GetGroupId()] {
					seen[g.GetGroupId()] = true
					resp.Groups = append(resp.Groups, g)
				}
			}
		}
	}
	slices.SortFunc(resp.Groups, func(a, b *sluicev1.GroupSummary) int { return strings.Compare(a.GetGroupId(), b.GetGroupId()) })
	return resp, nil
}

// MemberSession runs one member's session: the first message joins, then
// heartbeats and revocation confirmations flow up while assignments and
// revocations flow down. A session reaching a broker that does not
// coordinate the group ends at once with a not-coordinator error naming the
// coordinator's address.
func (s *groupService) MemberSession(stream grpc.BidiStreamingServer[sluicev1.MemberSessionRequest, sluicev1.MemberSessionResponse]) error {
	ctx := stream.Context()
	first, err := stream.Recv()
	if errors.Is(err, io.EOF) {
		// The client closed its side without a word: io.EOF returned
		// as is would reach it as Internal.
		return badRequest("join", "the stream ended before its first message; a session starts with a join")
	}
	if err != nil {
		return err
	}
	join := first.GetJoin()
	if join == nil {
		return badRequest("join", "the first message of a session must be a join")
	}
	if err := s.b.authorize(ctx, opRead, resGroup, join.GetGroupId()); err != nil {
		return err
	}
	rt, err := s.b.routeGroup(ctx, join.GetGroupId())
	if err != nil {
		return err
	}
	if !rt.local {
		return s.b.notCoordinator(rt)
	}
	sess, err := s.b.groups.Join(rt.partition, group.Join{
		Group: join.GetGroupId(), Topics: join.GetTopics(), InstanceID: join.GetInstanceId(), Assignor: join.GetAssignor(),
		Timeout: sessionTimeout(join), MemberID: join.GetMemberId(),
	})
	if err != nil {
		return s.b.coordinatorError(rt, err)
	}
	recvDone := make(chan error, 1)
	// Each heartbeat is held to the ACLs as they are now, as Kafka checks
	// READ on the group for every heartbeat.
	mayStay := func() error { return s.b.authorize(ctx, opRead, resGroup, join.GetGroupId()) }
	go func() { recvDone <- receiveMember(stream, sess, mayStay) }()
	for {
		select {
		case msg := <-sess.Out():
			if err := stream.Send(msg); err != nil {
				sess.Leave(false)
				<-recvDone
				return err
			}
		case <-sess.Done():
			// The coordinator ended the session; ending the handler
			// cancels the stream, which ends the receiver.
			return s.b.coordinatorError(rt, sessionEnd(sess.Err()))
		case err := <-recvDone:
			sess.Leave(err == nil)
			return err
		case <-s.b.stopping:
			sess.Leave(false)
			return errShuttingDown
		}
	}
}

func sessionEnd(err error) error {
	if err == nil {
		return errors.New("the session ended")
	}
	return err
}

// receiveMember passes the member's messages to its session until the
// stream ends: nil when the member closed it.
func receiveMember(stream grpc.BidiStreamingServer[sluicev1.MemberSessionRequest, sluicev1.MemberSessionResponse], sess *group.Session, mayStay func() error) error {
	for {
		msg, err := stream.Recv()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		switch k := msg.GetKind().(type) {
		case *sluicev1.MemberSessionRequest_Heartbeat:
			if err := mayStay(); err != nil {
				return err
			}
			sess.Heartbeat()
		case *sluicev1.MemberSessionRequest_RevocationDone:
			sess.RevocationDone(group.FromProto(k.RevocationDone.GetPartitions()))
		case *sluicev1.MemberSessionRequest_Join:
			return badRequest("join", "a session joins once, with its first message")
		}
	}
}

// sessionTimeout is the join's session timeout, or the default.
func sessionTimeout(j *sluicev1.JoinGroup) time.Duration {
	if j.GetSessionTimeoutMs() == 0 {
		return defaultSessionTimeout
	}
	return time.Duration(j.GetSessionTimeoutMs()) * time.Millisecond
}
