package group

import (
	"context"
	"maps"
	"slices"
	"time"

	internalv1 "github.com/sluice-io/sluice/gen/go/sluice/internalpb/v1"
)

// Commit stores offsets for a member of a generation. While the group has
// members, the member must be one of them and the generation current (a
// member fenced by a rebalance, a zombie, is refused); a group without
// members takes commits without a member id (tools, manual assignment).
func (c *Coordinator) Commit(ctx context.Context, partition int32, groupID, memberID string, generation int64, offsets map[TP]Offset) error {
	c.mu.Lock()
	sh, err := c.shardFor(groupID, partition)
	if err == nil {
		err = c.checkMember(sh.groups[groupID], groupID, memberID, generation)
	}
	c.mu.Unlock()
	if err != nil {
		return err
	}
	return c.writeOffsets(ctx, sh, groupID, offsets, false)
}

func (c *Coordinator) checkMember(g *group, groupID, memberID string, generation int64) error {
	if g == nil || len(g.members) == 0 {
		if memberID != "" {
			return &UnknownMemberError{Group: groupID, Member: memberID}
		}
		return nil
	}
	m := g.members[memberID]
	if m == nil {
		return &UnknownMemberError{Group: groupID, Member: memberID}
	}
	if generation != g.generation {
		return &StaleGenerationError{Group: groupID, Given: generation, Actual: g.generation}
	}
	if m.session != nil {
		m.lastHeard = time.Now()
	}
	return nil
}

// SetOffsets stores offsets for a group without members (ResetOffsets).
func (c *Coordinator) SetOffsets(ctx context.Context, partition int32, groupID string, offsets map[TP]Offset) error {
	c.mu.Lock()
	sh, err := c.shardFor(groupID, partition)
	if err == nil {
		if g := sh.groups[groupID]; g != nil && len(g.members) > 0 {
			err = &NotEmptyError{Group: groupID, Members: len(g.members), Op: "reset the offsets of"}
		}
	}
	c.mu.Unlock()
	if err != nil {
		return err
	}
	return c.writeOffsets(ctx, sh, groupID, offsets, true)
}

// writeOffsets writes a commit record and applies it once committed.
func (c *Coordinator) writeOffsets(ctx context.Context, sh *shard, groupID string, offsets map[TP]Offset, requireEmpty bool) error {
	if len(offsets) == 0 {
		return nil
	}
	rec, err := encode(commitRecord(groupID, offsets))
	if err != nil {
		return err
	}
	sh.gate.RLock()
	defer sh.gate.RUnlock()
	at, err := sh.log.Append(ctx, [][]byte{rec})
	if err != nil {
		return err
	}
	c.commits.Add(1)
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.current(sh) {
		return nil // committed: the new coordinator replays it
	}
	sh.records++
	g := sh.groups[groupID]
	if g == nil {
		g = newGroup(groupID, sh)
		sh.groups[groupID] = g
	}
	for tp, o := range offsets {
		o.at = at
		g.setOffset(tp, o)
	}
	return nil
}

// Fetch returns a group's committed offsets of the partitions named (all
// when none is); a partition without a commit is absent.
func (c *Coordinator) Fetch(partition int32, groupID string, tps []TP) (map[TP]Offset, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	sh, err := c.shardFor(groupID, partition)
	if err != nil {
		return nil, err
	}
	out := map[TP]Offset{}
	g := sh.groups[groupID]
	if g == nil {
		return out, nil
	}
	if len(tps) == 0 {
		return maps.Clone(g.offsets), nil
	}
	for _, tp := range tps {
		if o, ok := g.offsets[tp]; ok {
			out[tp] = o
		}
	}
	return out, nil
}

// Delete removes a group without members and its offsets.
func (c *Coordinator) Delete(ctx context.Context, partition int32, groupID string) error {
	c.mu.Lock()
	sh, err := c.shardFor(groupID, partition)
	if err == nil {
		g := sh.groups[groupID]
		switch {
		case g == nil:
			err = &GroupNotFoundError{Group: groupID}
		case len(g.members) > 0:
			err = &NotEmptyError{Group: groupID, Members: len(g.members), Op: "delete"}
		}
	}
	c.mu.Unlock()
	if err != nil {
		return err
	}
	rec, err := encode(&internalv1.GroupRecord{Kind: &internalv1.GroupRecord_Deleted{Deleted: &internalv1.GroupDeletedRecord{GroupId: groupID}}})
	if err != nil {
		return err
	}
	sh.gate.RLock()
	defer sh.gate.RUnlock()
	if _, err := sh.log.Append(ctx, [][]byte{rec}); err != nil {
		return err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.current(sh) {
		return nil
	}
	sh.records++
	if g := sh.groups[groupID]; g != nil {
		// A member that joined meanwhile is gone with the group, as on replay.
		for _, m := range g.members {
			if m.session != nil {
				m.session.end(&EvictedError{Group: groupID, Member: m.id, Reason: "the group was deleted"})
			}
		}
		delete(sh.groups, groupID)
	}
	return nil
}

// Member is one member as Describe shows it.
type Member struct {
	ID, InstanceID string
	Topics         []string
	Assigned       []TP
	Connected      bool
}

// Description is a group as Describe shows it.
type Description struct {
	ID, State, Assignor string
	Generation          int64
	Members             []Member
	// Topics are the topics the members subscribe to or the group committed
	// offsets of; Offsets its commits.
	Topics  []string
	Offsets map[TP]Offset
}

// Describe returns a group's state, members and commits.
func (c *Coordinator) Describe(partition int32, groupID string) (*Description, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	sh, err := c.shardFor(groupID, partition)
	if err != nil {
		return nil, err
	}
	g := sh.groups[groupID]
	if g == nil {
		return nil, &GroupNotFoundError{Group: groupID}
	}
	d := &Description{ID: g.id, State: g.state(), Assignor: g.assignor, Generation: g.generation, Offsets: maps.Clone(g.offsets)}
	topics := map[string]bool{}
	for _, m := range g.sortedMembers() {
		d.Members = append(d.Members, Member{ID: m.id, InstanceID: m.instance, Topics: slices.Clone(m.topics),
			Assigned: slices.Clone(m.owned), Connected: m.session != nil})
		for _, t := range m.topics {
			topics[t] = true
		}
	}
	for tp := range g.offsets {
		topics[tp.Topic] = true
	}
	d.Topics = slices.Sorted(maps.Keys(topics))
	return d, nil
}

// Summary is one group as List shows it.
type Summary struct {
	ID, State string
	Members   int
}

// List returns the groups this broker coordinates.
func (c *Coordinator) List() []Summary {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []Summary
	for _, sh := range c.shards {
		if !sh.loaded {
			continue
		}
		for _, g := range sh.groups {
			out = append(out, Summary{ID: g.id, State: g.state(), Members: len(g.members)})
		}
	}
	return out
}
