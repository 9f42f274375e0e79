package server

import (
	"context"
	"slices"
	"time"

	internalv1 "github.com/sluice-io/sluice/gen/go/sluice/internalpb/v1"
	"github.com/sluice-io/sluice/server/replica"
)

// leaderSettle bounds how long a produce waits for a partition hosted here
// that is electing its leader, or whose replica is still starting, before it
// answers with the retryable not-leader error. An election takes one to two
// election timeouts, so a produce right after CreateTopic or during a
// failover sees a short delay instead of an error every client must handle.
const leaderSettle = 3 * time.Second

// settleTick is how often the wait looks for a replica that does not exist
// yet; once it exists, its Changed channel says when the leader is known.
const settleTick = 10 * time.Millisecond

// settledReplica returns the local replica of p and the leader it knows,
// waiting (up to leaderSettle and ctx) while p is placed here but has no
// replica or no known leader. It returns at once when p is not placed here
// or its leader is known, and returns what it has when the wait runs out.
func (b *Broker) settledReplica(ctx context.Context, p *internalv1.PartitionInfo) (*replica.Replica, uint64) {
	r, lead := b.replicaAndLeader(p.GetGroup())
	if lead != 0 || !slices.Contains(p.GetReplicas(), b.cfg.NodeID) {
		return r, lead
	}
	ctx, cancel := context.WithTimeout(ctx, leaderSettle)
	defer cancel()
	tick := time.NewTicker(settleTick)
	defer tick.Stop()
	for {
		var changed <-chan struct{} // nil until the replica exists: only the tick wakes
		if r != nil {
			changed = r.Changed()
		}
		// Check after taking the channel, so a change in between is not missed.
		r, lead = b.replicaAndLeader(p.GetGroup())
		if lead != 0 || (r != nil && r.Closed()) || b.isStopping() {
			return r, lead
		}
		select {
		case <-ctx.Done():
			return r, lead
		case <-changed:
		case <-tick.C:
		}
	}
}

func (b *Broker) replicaAndLeader(group uint64) (*replica.Replica, uint64) {
	r := b.replica(group)
	if r == nil {
		return nil, 0
	}
	return r, r.Leader()
}
