package group

// Stats is one group as the broker's metrics see it.
type Stats struct {
	ID string
	// Members is how many members the group has, connected or not.
	Members int
	// Offsets are the group's committed offsets.
	Offsets map[TP]int64
}

// Stats returns the groups this broker coordinates and has loaded, with
// their members and commits, for the metrics (a copy: the caller may
// keep it).
func (c *Coordinator) Stats() []Stats {
	c.mu.Lock()
	defer c.mu.Unlock()
	var out []Stats
	for _, sh := range c.shards {
		if !sh.loaded {
			continue
		}
		for _, g := range sh.groups {
			st := Stats{ID: g.id, Members: len(g.members), Offsets: make(map[TP]int64, len(g.offsets))}
			for tp, o := range g.offsets {
				st.Offsets[tp] = o.Offset
			}
			out = append(out, st)
		}
	}
	return out
}

// Rebalances is how many generations this broker's coordinator has
// written and applied since it started: each is one rebalance of a group.
func (c *Coordinator) Rebalances() uint64 { return c.rebalances.Load() }

// Commits is how many commits of offsets (CommitOffsets and ResetOffsets
// requests) this broker's coordinator has written since it started.
func (c *Coordinator) Commits() uint64 { return c.commits.Load() }
