package group

import (
	"cmp"
	"context"
	"maps"
	"slices"
	"strings"
	"time"

	sluicev1 "github.com/sluice-io/sluice/gen/go/sluice/v1"
)

// persistRetry is the pause after a failed generation write.
const persistRetry = 300 * time.Millisecond

// group is one consumer group's state, guarded by Coordinator.mu.
//
// A rebalance is cooperative: when the target assignment differs from what
// members own, each member first gives up (commits, stops, confirms) the
// partitions it loses; only once none is left to give up is the next
// generation written, with every member owning its target, and sent to the
// members. So a partition never has two owners, and members keep reading
// the partitions they keep throughout.
type group struct {
	id         string
	shard      *shard
	generation int64
	assignor   string
	members    map[string]*member
	offsets    map[TP]Offset

	counts     map[string]int32 // the partition counts target was computed from
	target     map[string][]TP
	dirty      bool // membership changed: compute the target again
	bump       bool // a new generation is due
	persisting bool // the next generation is being written
	retryAt    time.Time
}

// member is one member of a group.
type member struct {
	id, instance string
	topics       []string
	assignor     string
	timeout      time.Duration
	owned        []TP
	// revoking holds the partitions the member was asked to give up and has
	// not confirmed; it must confirm by revokeDeadline.
	revoking       map[TP]bool
	revokeDeadline time.Time
	session        *Session // nil while disconnected
	// lastHeard is the last message of a connected member, or when a
	// disconnected one lost its stream.
	lastHeard time.Time
}

func newGroup(id string, sh *shard) *group {
	return &group{id: id, shard: sh, members: map[string]*member{}, offsets: map[TP]Offset{}, counts: map[string]int32{}}
}

func (g *group) setOffset(tp TP, o Offset) {
	if old, ok := g.offsets[tp]; ok && old.at > o.at {
		return // a later commit of the log already applied
	}
	g.offsets[tp] = o
}

func (g *group) sortedMembers() []*member {
	out := make([]*member, 0, len(g.members))
	for _, m := range g.members {
		out = append(out, m)
	}
	slices.SortFunc(out, func(a, b *member) int { return cmp.Compare(a.id, b.id) })
	return out
}

// state names the group's state as DescribeGroup and ListGroups show it.
func (g *group) state() string {
	switch {
	case len(g.members) == 0:
		return "Empty"
	case g.bump || g.persisting:
		return "Rebalancing"
	}
	return "Stable"
}

// membershipChanged makes the next step compute a new target and write a
// new generation.
func (g *group) membershipChanged() { g.dirty, g.bump = true, true }

// expire evicts members whose session or revocation timed out.
func (c *Coordinator) expire(g *group, now time.Time) {
	for _, m := range g.sortedMembers() {
		switch {
		case m.session != nil && now.Sub(m.lastHeard) > m.timeout:
			c.evict(g, m, "no heartbeat within the session timeout of "+m.timeout.String())
		case m.session == nil && now.Sub(m.lastHeard) > m.timeout:
			c.evict(g, m, "it did not rejoin within the session timeout of "+m.timeout.String())
		case len(m.revoking) > 0 && now.After(m.revokeDeadline):
			c.evict(g, m, "it did not confirm the revocation of its partitions within the session timeout of "+m.timeout.String())
		}
	}
}

// evict removes a member; its partitions go to others in the next generation.
func (c *Coordinator) evict(g *group, m *member, reason string) {
	c.log.Info("group member evicted", "group", g.id, "member", m.id, "reason", reason)
	delete(g.members, m.id)
	if m.session != nil {
		m.session.end(&EvictedError{Group: g.id, Member: m.id, Reason: reason})
		m.session = nil
	}
	g.membershipChanged()
}

// step moves a group's rebalance on as far as it can now.
func (c *Coordinator) step(g *group, now time.Time) {
	if g.persisting || now.Before(g.retryAt) {
		return
	}
	if counts := c.counts(g); g.dirty || !sameCounts(counts, g.counts) {
		g.counts = counts
		g.target = c.assign(g, counts)
		g.dirty = false
		if !g.ownsTarget() {
			g.bump = true
		}
	}
	if !g.bump {
		return
	}
	if c.revoke(g, now) {
		return
	}
	c.startBump(g)
}

// assign computes the target assignment with the group's assignor.
func (c *Coordinator) assign(g *group, counts map[string]int32) map[string][]TP {
	a, _, err := LookupAssignor(g.assignor)
	if err != nil {
		a = Sticky // validated at join; a record from a newer version falls back
	}
	subs := make([]Subscription, 0, len(g.members))
	current := make(map[string][]TP, len(g.members))
	for _, m := range g.members {
		subs = append(subs, Subscription{Member: m.id, Topics: m.topics})
		current[m.id] = m.owned
	}
	return a(subs, counts, current)
}

func (g *group) ownsTarget() bool {
	for id, m := range g.members {
		if !slices.Equal(m.owned, g.target[id]) {
			return false
		}
	}
	return true
}

// revoke asks each member to give up the partitions it owns outside its
// target, once per partition; it reports whether any are still to be given up.
func (c *Coordinator) revoke(g *group, now time.Time) bool {
	pending := false
	for _, m := range g.sortedMembers() {
		var fresh []TP
		for _, tp := range m.owned {
			if slices.Contains(g.target[m.id], tp) {
				continue
			}
			pending = true
			if !m.revoking[tp] {
				m.revoking[tp] = true
				fresh = append(fresh, tp)
			}
		}
		if len(fresh) == 0 {
			continue
		}
		if m.revokeDeadline.IsZero() {
			m.revokeDeadline = now.Add(m.timeout)
		}
		if m.session != nil {
			m.session.send(&sluicev1.MemberSessionResponse{Kind: &sluicev1.MemberSessionResponse_Revocation{
				Revocation: &sluicev1.Revocation{Generation: g.generation, Partitions: toProto(fresh)},
			}})
		}
	}
	return pending
}

// startBump writes the next generation, every member owning its target,
// then applies it and sends each member its assignment.
func (c *Coordinator) startBump(g *group) {
	gen := g.generation + 1
	target := g.target
	rec, err := encode(metadataRecord(g, gen, target))
	if err != nil {
		c.log.Error("encode group generation", "group", g.id, "err", err)
		return
	}
	g.persisting = true
	sh := g.shard
	c.wg.Add(1)
	go func() {
		defer c.wg.Done()
		sh.gate.RLock()
		defer sh.gate.RUnlock()
		ctx, cancel := context.WithTimeout(sh.ctx, 10*time.Second)
		_, err := sh.log.Append(ctx, [][]byte{rec})
		cancel()
		c.mu.Lock()
		defer c.mu.Unlock()
		g.persisting = false
		if !c.current(sh) || sh.groups[g.id] != g {
			return
		}
		now := time.Now()
		if err != nil {
			c.log.Info("write group generation failed; retrying", "group", g.id, "generation", gen, "err", err)
			g.retryAt = now.Add(persistRetry)
			return
		}
		sh.records++
		c.applyGeneration(g, gen, target)
		c.step(g, now)
	}()
}

func (c *Coordinator) applyGeneration(g *group, gen int64, target map[string][]TP) {
	g.generation = gen
	c.rebalances.Add(1)
	if !g.dirty {
		g.bump = false
	}
	for id, m := range g.members {
		if tps, ok := target[id]; ok {
			m.owned = tps
		}
		m.session.sendAssignment(g)
	}
	c.log.Info("group rebalanced", "group", g.id, "generation", gen, "members", len(g.members),
		"member_ids", memberIDs(g.members), "partitions_assigned", assignedCount(g))
}

// maxLoggedMembers bounds the member ids a rebalance line lists.
const maxLoggedMembers = 20

// memberIDs lists the members' ids, sorted, at most maxLoggedMembers of
// them (then "...").
func memberIDs[M any](members map[string]M) string {
	ids := slices.Sorted(maps.Keys(members))
	if len(ids) > maxLoggedMembers {
		ids = append(ids[:maxLoggedMembers], "...")
	}
	return strings.Join(ids, ",")
}

// assignedCount is how many partitions the group's members own.
func assignedCount(g *group) int {
	n := 0
	for _, m := range g.members {
		n += len(m.owned)
	}
	return n
}

func toProto(tps []TP) []*sluicev1.TopicPartitions {
	var out []*sluicev1.TopicPartitions
	for _, a := range toAssigned(tps) {
		out = append(out, &sluicev1.TopicPartitions{Topic: a.GetTopic(), Partitions: a.GetPartitions()})
	}
	return out
}

// FromProto flattens TopicPartitions.
func FromProto(tps []*sluicev1.TopicPartitions) []TP {
	var out []TP
	for _, t := range tps {
		for _, p := range t.GetPartitions() {
			out = append(out, TP{t.GetTopic(), p})
		}
	}
	return out
}
