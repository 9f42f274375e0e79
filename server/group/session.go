package group

import (
	"slices"
	"sync"
	"time"

	sluicev1 "github.com/sluice-io/sluice/gen/go/sluice/v1"
)

// sessionBuffer bounds the messages waiting to be sent to a member; a
// member that lets more pile up is evicted.
const sessionBuffer = 64

// Join is a member's request to join a group.
type Join struct {
	Group      string
	Topics     []string
	InstanceID string
	Assignor   string
	Timeout    time.Duration
	// MemberID is set by a member rejoining after its stream broke.
	MemberID string
}

// Session is one member's stream as the coordinator sees it. The broker's
// handler sends what Out yields until Done is closed (Err says why), and
// reports what the member sends.
type Session struct {
	c   *Coordinator
	g   *group
	m   *member
	out chan *sluicev1.MemberSessionResponse

	endOnce sync.Once
	done    chan struct{}
	err     error
}

// Out yields the messages for the member.
func (s *Session) Out() <-chan *sluicev1.MemberSessionResponse { return s.out }

// Done is closed when the coordinator ends the session.
func (s *Session) Done() <-chan struct{} { return s.done }

// Err is why the session ended, once Done is closed.
func (s *Session) Err() error {
	<-s.done
	return s.err
}

// end closes the session with err; called with c.mu held.
func (s *Session) end(err error) {
	s.endOnce.Do(func() {
		s.err = err
		close(s.done)
	})
}

// send queues a message; called with c.mu held.
func (s *Session) send(msg *sluicev1.MemberSessionResponse) {
	if s == nil {
		return
	}
	select {
	case s.out <- msg:
	default:
		s.c.evict(s.g, s.m, "it did not read the coordinator's messages")
	}
}

// sendAssignment sends the member its partitions of the current generation.
func (s *Session) sendAssignment(g *group) {
	if s == nil {
		return
	}
	s.send(&sluicev1.MemberSessionResponse{Kind: &sluicev1.MemberSessionResponse_Assignment{
		Assignment: &sluicev1.Assignment{MemberId: s.m.id, Generation: g.generation, Partitions: toProto(s.m.owned)},
	}})
}

// Join adds a member to a group coordinated here (partition is the group's
// offsets partition) and returns its session. The member first gets its id
// and what it owns in the current generation; a new member's partitions
// come with the next generation. A member that names a member id (or static
// instance id) the group still has takes that member's place and
// partitions: no rebalance unless its subscription changed.
func (c *Coordinator) Join(partition int32, j Join) (*Session, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	sh, err := c.shardFor(j.Group, partition)
	if err != nil {
		return nil, err
	}
	g := sh.groups[j.Group]
	if g == nil {
		g = newGroup(j.Group, sh)
		sh.groups[j.Group] = g
	}
	topics := slices.Sorted(slices.Values(j.Topics))
	topics = slices.Compact(topics)
	m := g.find(j.InstanceID, j.MemberID)
	if m != nil {
		if m.session != nil {
			m.session.end(&EvictedError{Group: g.id, Member: m.id, Reason: "a new session of the same member replaced this one"})
		}
		if !slices.Equal(m.topics, topics) {
			m.topics = topics
			g.membershipChanged()
		}
		m.timeout = j.Timeout
	} else {
		if len(g.members) == 0 {
			_, g.assignor, _ = LookupAssignor(j.Assignor)
		}
		m = &member{id: newMemberID(j.InstanceID), instance: j.InstanceID, topics: topics, assignor: j.Assignor,
			timeout: j.Timeout, revoking: map[TP]bool{}}
		g.members[m.id] = m
		g.membershipChanged()
	}
	s := &Session{c: c, g: g, m: m, out: make(chan *sluicev1.MemberSessionResponse, sessionBuffer), done: make(chan struct{})}
	m.session = s
	now := time.Now()
	m.lastHeard = now
	s.sendAssignment(g)
	// Revocations asked of the previous session are asked again.
	if len(m.revoking) > 0 {
		s.send(&sluicev1.MemberSessionResponse{Kind: &sluicev1.MemberSessionResponse_Revocation{
			Revocation: &sluicev1.Revocation{Generation: g.generation, Partitions: toProto(slices.SortedFunc(mapsKeys(m.revoking), compareTP))},
		}})
	}
	c.step(g, now)
	return s, nil
}

// find returns the member a joining one replaces, if any.
func (g *group) find(instance, memberID string) *member {
	if instance != "" {
		for _, m := range g.members {
			if m.instance == instance {
				return m
			}
		}
		return nil
	}
	if m := g.members[memberID]; m != nil && m.instance == "" {
		return m
	}
	return nil
}

// live returns the session's member while the session is its member's
// current one; called with c.mu held.
func (s *Session) live() bool {
	return s.c.current(s.g.shard) && s.g.shard.groups[s.g.id] == s.g && s.g.members[s.m.id] == s.m && s.m.session == s
}

// Heartbeat notes that the member is alive.
func (s *Session) Heartbeat() {
	s.c.mu.Lock()
	defer s.c.mu.Unlock()
	if s.live() {
		s.m.lastHeard = time.Now()
	}
}

// RevocationDone records that the member committed and stopped reading
// partitions it was asked to give up.
func (s *Session) RevocationDone(tps []TP) {
	s.c.mu.Lock()
	defer s.c.mu.Unlock()
	if !s.live() {
		return
	}
	now := time.Now()
	s.m.lastHeard = now
	for _, tp := range tps {
		if s.m.revoking[tp] {
			delete(s.m.revoking, tp)
			s.m.owned = slices.DeleteFunc(s.m.owned, func(o TP) bool { return o == tp })
		}
	}
	if len(s.m.revoking) == 0 {
		s.m.revokeDeadline = time.Time{}
	}
	s.c.step(s.g, now)
}

// Leave ends the session from the member's side. A member that closed its
// stream (clean) leaves the group at once, unless it is static; one whose
// stream broke keeps its partitions for its session timeout, to rejoin.
func (s *Session) Leave(clean bool) {
	s.c.mu.Lock()
	defer s.c.mu.Unlock()
	live := s.live()
	s.end(nil)
	if !live {
		return
	}
	now := time.Now()
	s.m.session = nil
	s.m.lastHeard = now
	if clean && s.m.instance == "" {
		delete(s.g.members, s.m.id)
		s.g.membershipChanged()
		s.c.step(s.g, now)
	}
}
