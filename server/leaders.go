package server

import (
	"context"
	"time"

	internalv1 "github.com/sluice-io/sluice/gen/go/sluice/internalpb/v1"
)

// A partition leader reports itself to the metadata, so that every broker
// (and every client asking GetMetadata) can route to it. Reports are
// asynchronous and coalesced per partition: only the latest election matters.

type leaderReport struct{ leader, term uint64 }

// noteLeader is the replicas' OnLeader hook: it runs on the raft engine's
// goroutine, so it only records the report and wakes the reporter.
func (b *Broker) noteLeader(group, leader, term uint64) {
	b.offsetsGroupLeader(group, leader, term)
	b.logLeaderChange(group, leader, term)
	if leader != b.cfg.NodeID {
		return
	}
	b.reportMu.Lock()
	b.reports[group] = leaderReport{leader, term}
	b.reportMu.Unlock()
	select {
	case b.reportCh <- struct{}{}:
	default:
	}
}

// reportLeaders proposes the recorded reports until the broker stops.
func (b *Broker) reportLeaders() {
	defer b.bg.Done()
	for {
		select {
		case <-b.stopping:
			return
		case <-b.reportCh:
		}
		for !b.sendReports() {
			select {
			case <-b.stopping:
				return
			case <-time.After(200 * time.Millisecond):
			}
		}
	}
}

// sendReports proposes every pending report in one metadata entry; false if
// they must be retried.
func (b *Broker) sendReports() bool {
	b.reportMu.Lock()
	pending := b.reports
	b.reports = map[uint64]leaderReport{}
	b.reportMu.Unlock()
	if len(pending) == 0 || b.isStopping() {
		return true
	}
	cmd := &internalv1.PartitionLeaders{}
	for group, r := range pending {
		cmd.Leaders = append(cmd.Leaders, &internalv1.PartitionLeader{Group: group, Leader: r.leader, Term: r.term})
	}
	ctx, cancel := context.WithTimeout(b.lifetime, 5*time.Second)
	defer cancel()
	err := b.meta.Propose(ctx, &internalv1.MetadataCommand{Command: &internalv1.MetadataCommand_PartitionLeaders{PartitionLeaders: cmd}})
	if err == nil {
		return true
	}
	// Put back what no newer report replaced.
	b.reportMu.Lock()
	for group, r := range pending {
		if _, newer := b.reports[group]; !newer {
			b.reports[group] = r
		}
	}
	b.reportMu.Unlock()
	return false
}

// preferredLeaderInterval is how often leaders move back to the preferred
// replica (Kafka's auto.leader.rebalance).
const preferredLeaderInterval = 2 * time.Second

// balanceLeaders moves each leadership of this broker to the partition's
// first replica, which placement rotates over the brokers so that leaders
// spread; the engine moves it only once that replica is live and caught up.
func (b *Broker) balanceLeaders() {
	defer b.bg.Done()
	t := time.NewTicker(preferredLeaderInterval)
	defer t.Stop()
	for {
		select {
		case <-b.stopping:
			return
		case <-t.C:
		}
		for _, tp := range b.meta.State().GetTopics() {
			for _, p := range tp.GetPartitions() {
				rs := p.GetReplicas()
				if len(rs) < 2 || rs[0] == b.cfg.NodeID {
					continue
				}
				if r := b.replica(p.GetGroup()); r != nil && r.Leader() == b.cfg.NodeID {
					b.eng.TransferLeadership(p.GetGroup(), rs[0])
				}
			}
		}
	}
}
