package transport_test

import (
	"testing"

	"github.com/sluice-io/sluice/server/engine"
	"github.com/sluice-io/sluice/server/engine/enginetest"
	"github.com/sluice-io/sluice/server/transport"
)

func peerStats(tr *transport.Transport, node uint64) transport.PeerStats {
	for _, s := range tr.PeerStats() {
		if s.Node == node {
			return s
		}
	}
	return transport.PeerStats{Node: node}
}

// TestPeerStatsCountWhatCrossesTheWire: what a leader replicates shows as
// bytes and batches sent to each follower, and once the group is idle the
// bytes a follower counts received from the leader are exactly those the
// leader counts sent to it. A follower that restarts is reconnected to, and
// the leader counts the reconnect.
func TestPeerStatsCountWhatCrossesTheWire(t *testing.T) {
	c := newCluster(t, 3)
	lead := c.leader(1, 2, 3)
	c.propose(lead, string(make([]byte, 1000)), 50)
	c.converged(50, 1, 2, 3)
	follower := uint64(1)
	if follower == lead {
		follower = 2
	}
	sent := peerStats(c.nodes[lead].tr, follower)
	if sent.SentBytes < 50*1000 || sent.Batches == 0 {
		t.Fatalf("leader %d sent follower %d %d bytes in %d batches; want at least the 50 KB replicated", lead, follower, sent.SentBytes, sent.Batches)
	}
	enginetest.WaitFor(t, "the follower's received bytes to equal the leader's sent bytes", func() bool {
		return peerStats(c.nodes[follower].tr, lead).ReceivedBytes == peerStats(c.nodes[lead].tr, follower).SentBytes
	})
	if q := peerStats(c.nodes[lead].tr, follower).QueueBytes; q != 0 {
		t.Fatalf("queue to an idle follower holds %d bytes", q)
	}

	c.stop(follower)
	c.propose(lead, "after", 5)
	c.start(follower, 3)
	enginetest.WaitFor(t, "the leader to count a reconnect to the restarted follower", func() bool {
		return peerStats(c.nodes[lead].tr, follower).Reconnects >= 1
	})
}

// TestPeerStatsShowTheQueueAndDrops: messages waiting for a peer that does
// not read show as queue bytes, and those a full queue refuses as dropped.
func TestPeerStatsShowTheQueueAndDrops(t *testing.T) {
	peer := &fakePeer{stallOnAppend: true}
	addr := startPeer(t, peer)
	eng := &fakeEngine{unreachable: map[uint64]int{}}
	tr := newTransport(t, eng, addr, func(c *transport.Config) { c.QueueBytes = 1 << 20; c.BatchBytes = 64 << 10 })
	// The first append stalls the stream; what follows fills the queue.
	for i := range 200 {
		tr.Send([]engine.Envelope{appendMsg(uint64(i), 32<<10)})
	}
	enginetest.WaitFor(t, "queued bytes and drops for the stalled peer", func() bool {
		s := peerStats(tr, 2)
		return s.QueueBytes > 512<<10 && s.Dropped > 0
	})
}
