// Package engine runs many etcd-raft groups on one broker: a fixed pool of
// workers steps them, and one loop persists the work of every group that has any
// in a single storage batch with a single sync (group commit).
//
// The engine owns the raft state of each group. It defines what it needs from the
// layers above it: a StateMachine per group (partition replicas, the metadata
// state machine) and a Transport to peers (in memory for tests, gRPC between
// brokers).
package engine

import (
	"go.etcd.io/raft/v3/raftpb"

	"github.com/sluice-io/sluice/storage"
)

// StateMachine is the replicated state of one raft group. The engine calls every
// method from its own goroutines, never two at once for one group, so an
// implementation needs locks only for what it shares with other goroutines
// (request handlers).
type StateMachine interface {
	// AppliedIndex is the index of the last entry whose effects are durable. The
	// engine asks once, when the group is added, so raft resumes after it.
	AppliedIndex() uint64

	// Apply stages the effects of committed entries, given in index order, into b.
	// Every entry comes through, including empty leader entries and configuration
	// changes, so the machine can track its applied index; only the machine knows
	// which entries carry data. Nothing may become visible to readers yet.
	Apply(b *storage.Batch, ents []*raftpb.Entry) error

	// Applied runs once the batch holding the effects of the last Apply is durable:
	// the place to make them visible and to complete waiting proposals.
	Applied()

	// SnapshotData returns the machine's state as of the last applied entry. Sluice
	// snapshots are metadata only (offsets, not records), so this is small.
	SnapshotData() ([]byte, error)

	// Restore replaces the machine's state with a snapshot sent by the leader,
	// staging durable effects in b; visibility follows in Applied.
	Restore(b *storage.Batch, snap *raftpb.Snapshot) error

	// Proposals hands the engine the entries to propose now. The engine calls it
	// after Engine.Notify for the group, so a machine can coalesce every request
	// that arrived since the last call into as few entries as it likes.
	Proposals() [][]byte

	// Dropped reports proposals that raft refused (no leader, leadership moving).
	// Their waiters must learn of it: a dropped proposal never commits.
	Dropped(data [][]byte, err error)

	// LeaderChanged reports a change of the group's leader (0 when none is known)
	// or term. Proposals waiting on a broker that stopped leading may still
	// commit or may be lost; the machine decides what to tell their waiters.
	LeaderChanged(leader, term uint64)
}

// PersistObserver is implemented by a state machine that acts once its
// entries are durable in this broker's log, before they commit (a partition
// leader answering acks=leader). The engine calls Persisted after the cycle's
// batch is durable and before Applied, with every entry the cycle appended
// to the group's log, in index order; an entry at an index already seen
// replaces it and everything after it (raft overwrote a conflicting suffix).
type PersistObserver interface {
	Persisted(ents []*raftpb.Entry)
}

// Compactor is implemented by state machines that discard a prefix of their
// log (partition retention). After each cycle that applied entries the engine
// asks for a compaction point; when there is one, it stages a raft snapshot
// at that point and the removal of the log up to it (storage.RaftLog.CompactTo)
// into the cycle's batch, then lets the machine stage its own cleanup into the
// same batch, so that both become durable together or not at all.
//
// A follower that needs a removed entry is sent the snapshot and continues
// with the entries after it, which the leader still holds.
type Compactor interface {
	// Compaction returns a raft index at or below the applied index that is
	// already durable, and the machine's snapshot data for the state right
	// after applying it; index 0 when there is nothing to compact. An error
	// fails the group (see FailureObserver).
	Compaction() (index uint64, data []byte, err error)

	// Compacted stages, into b, the machine's cleanup after the log was
	// compacted to index (or reports, with err, that the batch must not
	// commit). It is called only when the engine staged the compaction.
	Compacted(b *storage.Batch, index uint64) error
}

// Envelope is one raft message of one group. Transports carry all three
// fields. Group KeepaliveGroup marks a keepalive between engines, not a raft
// message.
type Envelope struct {
	Group uint64
	Msg   *raftpb.Message
	// Quiesce marks a leader's heartbeat after which an idle follower stops
	// ticking the group (see quiesce.go).
	Quiesce bool
}

// Transport carries raft messages to peer brokers. Send must not block on the
// network: a transport queues, batches or drops, and raft retransmits what is
// lost. Messages arriving from peers are handed to Engine.Deliver.
type Transport interface {
	Send(msgs []Envelope)
}

// TransportFunc adapts a function to Transport.
type TransportFunc func(msgs []Envelope)

// Send calls f.
func (f TransportFunc) Send(msgs []Envelope) { f(msgs) }

// FailureObserver is implemented by a state machine that can stop alone.
// When a group's Ready cannot be staged (its state machine or the staging of
// its raft state failed), the engine discards everything the group staged in
// the cycle, stops hosting the group and calls Failed with the error, on the
// engine's goroutine (it must not block); the broker's other groups go on.
// The machine must consider itself stopped: Apply may have changed its memory
// for entries that will never be durable. A group whose state machine does
// not implement FailureObserver (the metadata) stops the engine instead.
type FailureObserver interface {
	Failed(err error)
}
