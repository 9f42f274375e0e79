package replica

import (
	"errors"
	"math"
	"testing"

	"go.etcd.io/raft/v3/raftpb"
	"google.golang.org/protobuf/proto"

	internalv1 "github.com/sluice-io/sluice/gen/go/sluice/internalpb/v1"
	"github.com/sluice-io/sluice/server/compress"
	"github.com/sluice-io/sluice/storage"
)

// The tests drive the state machine as the engine does: proposals become
// entries, every replica applies the same entries, the batch commits, then
// Applied completes the waiters.

func openDB(t *testing.T) *storage.DB {
	t.Helper()
	db, err := storage.Open(storage.Options{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	return db
}

func openReplica(t *testing.T, db *storage.DB, node uint64, maxProducers int) *Replica {
	t.Helper()
	r, err := Open(Config{Group: 7, Topic: "t", NodeID: node, Incarnation: node, DB: db, Notify: func(uint64) {}, MaxProducers: maxProducers})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(r.Close)
	return r
}

// result is what a waiter was told.
type result struct {
	base int64
	err  error
	done bool
}

func (res *result) callback() Done {
	return func(base int64, err error) { *res = result{base: base, err: err, done: true} }
}

// apply applies data as the next entries on every replica given.
func apply(t *testing.T, data [][]byte, rs ...*Replica) {
	t.Helper()
	for _, r := range rs {
		ents := make([]*raftpb.Entry, len(data))
		for i, d := range data {
			ents[i] = &raftpb.Entry{Index: proto.Uint64(r.AppliedIndex() + uint64(i) + 1), Type: raftpb.EntryNormal.Enum(), Data: d}
		}
		b := r.cfg.DB.NewBatch()
		if err := r.Apply(b, ents); err != nil {
			t.Fatal(err)
		}
		if err := b.Commit(); err != nil {
			t.Fatal(err)
		}
		r.Applied()
	}
}

// produce sends one idempotent request through leader and applies it on
// every replica; it returns what the waiter was told.
func produce(t *testing.T, p Producer, n int, leader *Replica, others ...*Replica) result {
	t.Helper()
	var res result
	leader.LeaderChanged(leader.cfg.NodeID, 1)
	recs := make([]byte, n) // n one-byte records: contents do not matter here
	if err := leader.AppendIdempotent(p, recs, compress.None, n, 1, res.callback()); err != nil {
		t.Fatal(err)
	}
	apply(t, leader.Proposals(), append([]*Replica{leader}, others...)...)
	if !res.done {
		t.Fatal("the request was not completed when its entry applied")
	}
	return res
}

func wantBase(t *testing.T, res result, base int64) {
	t.Helper()
	if res.err != nil || res.base != base {
		t.Fatalf("got base %d, err %v; want base %d", res.base, res.err, base)
	}
}

func TestIdempotentDuplicatesGapsAndFencing(t *testing.T) {
	r := openReplica(t, openDB(t), 1, 0)
	const pid = 42
	wantBase(t, produce(t, Producer{pid, 0, 0}, 3, r), 0)     // seq 0-2
	wantBase(t, produce(t, Producer{pid, 0, 3}, 2, r), 3)     // seq 3-4
	wantBase(t, produce(t, Producer{pid, 0, 0}, 3, r), 0)     // duplicate of the first
	wantBase(t, produce(t, Producer{pid, 0, 3}, 2, r), 3)     // duplicate of the second
	wantBase(t, produce(t, Producer{pid + 1, 0, 0}, 1, r), 5) // another producer
	if hw := r.HighWatermark(); hw != 6 {
		t.Fatalf("high watermark %d after duplicates; want 6", hw)
	}

	// A gap: sequence 7 when 5 is next.
	res := produce(t, Producer{pid, 0, 7}, 1, r)
	var ooo *OutOfOrderSequenceError
	if !errors.As(res.err, &ooo) || ooo.Expected != 5 || ooo.Got != 7 {
		t.Fatalf("gap: got %v; want an out of order sequence error expecting 5, got 7", res.err)
	}
	// A request that overlaps a written batch without matching it.
	if res := produce(t, Producer{pid, 0, 1}, 1, r); !errors.As(res.err, &ooo) {
		t.Fatalf("overlap: got %v; want out of order", res.err)
	}
	// Refused requests take no offsets; the producer carries on at 5.
	wantBase(t, produce(t, Producer{pid, 0, 5}, 1, r), 6)

	// A new epoch starts afresh; the old one is fenced from then on.
	wantBase(t, produce(t, Producer{pid, 1, 0}, 1, r), 7)
	res = produce(t, Producer{pid, 0, 6}, 1, r)
	var fenced *ProducerFencedError
	if !errors.As(res.err, &fenced) || fenced.Epoch != 0 || fenced.Known != 1 {
		t.Fatalf("stale epoch: got %v; want fenced (epoch 0, known 1)", res.err)
	}
	if hw := r.HighWatermark(); hw != 8 {
		t.Fatalf("high watermark %d; want 8", hw)
	}
}

func TestIdempotentWindowIsFiveBatches(t *testing.T) {
	r := openReplica(t, openDB(t), 1, 0)
	for i := range 6 {
		wantBase(t, produce(t, Producer{9, 0, int32(i)}, 1, r), int64(i))
	}
	// Batches 1 to 5 are remembered; batch 0 is not, and is refused rather
	// than written again.
	wantBase(t, produce(t, Producer{9, 0, 1}, 1, r), 1)
	res := produce(t, Producer{9, 0, 0}, 1, r)
	var ooo *OutOfOrderSequenceError
	if !errors.As(res.err, &ooo) || !ooo.OlderThanWindow {
		t.Fatalf("got %v; want out of order, older than the window", res.err)
	}
}

func TestIdempotentSequenceWraps(t *testing.T) {
	r := openReplica(t, openDB(t), 1, 0)
	wantBase(t, produce(t, Producer{5, 0, math.MaxInt32 - 1}, 3, r), 0) // MaxInt32-1, MaxInt32, 0
	wantBase(t, produce(t, Producer{5, 0, 1}, 1, r), 3)
	wantBase(t, produce(t, Producer{5, 0, math.MaxInt32 - 1}, 3, r), 0)
	if got := addSequence(math.MaxInt32, 1); got != 0 {
		t.Fatalf("addSequence(MaxInt32, 1) = %d", got)
	}
}

// TestIdempotentStateSurvivesFailoverRestartAndSnapshot: a duplicate is
// recognised by a follower that became leader, by a replica reopened from
// storage, and by a replica that installed a snapshot of the state.
func TestIdempotentStateSurvivesFailoverRestartAndSnapshot(t *testing.T) {
	dbA, dbB := openDB(t), openDB(t)
	a, b := openReplica(t, dbA, 1, 0), openReplica(t, dbB, 2, 0)
	wantBase(t, produce(t, Producer{7, 3, 0}, 4, a, b), 0)
	wantBase(t, produce(t, Producer{8, 0, 0}, 1, a, b), 4)

	// Failover: b applied the same entries.
	a.LeaderChanged(2, 2)
	wantBase(t, produce(t, Producer{7, 3, 0}, 4, b, a), 0)

	// Restart: the state is read back from storage.
	b.Close()
	b2 := openReplica(t, dbB, 2, 0)
	wantBase(t, produce(t, Producer{7, 3, 0}, 4, b2, a), 0)
	wantBase(t, produce(t, Producer{7, 3, 4}, 1, b2, a), 5)

	// Snapshot install on an empty replica.
	data, err := b2.SnapshotData()
	if err != nil {
		t.Fatal(err)
	}
	c := openReplica(t, openDB(t), 3, 0)
	batch := c.cfg.DB.NewBatch()
	if err := c.Restore(batch, &raftpb.Snapshot{Data: data, Metadata: &raftpb.SnapshotMetadata{Index: proto.Uint64(b2.AppliedIndex())}}); err != nil {
		t.Fatal(err)
	}
	if err := batch.Commit(); err != nil {
		t.Fatal(err)
	}
	c.Applied()
	wantBase(t, produce(t, Producer{7, 3, 4}, 1, c), 5)
	wantBase(t, produce(t, Producer{8, 0, 0}, 1, c), 4)
	res := produce(t, Producer{7, 2, 5}, 1, c)
	var fenced *ProducerFencedError
	if !errors.As(res.err, &fenced) {
		t.Fatalf("stale epoch after snapshot: got %v", res.err)
	}
	if hw := c.HighWatermark(); hw != 6 {
		t.Fatalf("high watermark %d; want 6", hw)
	}
}

// TestIdempotentRequestsTravelAlone: a refused request coalesced with
// others must not affect them, so each idempotent request is its own entry.
func TestIdempotentRequestsTravelAlone(t *testing.T) {
	r := openReplica(t, openDB(t), 1, 0)
	r.LeaderChanged(1, 1)
	var plain1, plain2, idem, gap result
	for _, add := range []func() error{
		func() error { return r.Append([]byte{1}, 1, 1, plain1.callback()) },
		func() error {
			return r.AppendIdempotent(Producer{1, 0, 0}, []byte{1, 2}, compress.None, 2, 1, idem.callback())
		},
		func() error {
			return r.AppendIdempotent(Producer{1, 0, 5}, []byte{1}, compress.None, 1, 1, gap.callback())
		},
		func() error { return r.Append([]byte{1}, 1, 1, plain2.callback()) },
	} {
		if err := add(); err != nil {
			t.Fatal(err)
		}
	}
	props := r.Proposals()
	if len(props) != 4 {
		t.Fatalf("%d entries for 2 plain and 2 idempotent requests; want 4", len(props))
	}
	apply(t, props, r)
	wantBase(t, plain1, 0)
	wantBase(t, idem, 1)
	wantBase(t, plain2, 3)
	if gap.err == nil {
		t.Fatal("the gap was accepted")
	}
}

func TestProducersAreBounded(t *testing.T) {
	r := openReplica(t, openDB(t), 1, 3)
	for id := int64(1); id <= 4; id++ {
		wantBase(t, produce(t, Producer{id, 0, 0}, 1, r), id-1)
	}
	var st internalv1.PartitionState
	data, _ := r.SnapshotData()
	if err := proto.Unmarshal(data, &st); err != nil {
		t.Fatal(err)
	}
	if len(st.GetProducers()) != 3 {
		t.Fatalf("%d producers remembered; want 3", len(st.GetProducers()))
	}
	// Producer 1 wrote least recently and was forgotten: its next batch is
	// taken as a new producer's, whatever its sequence.
	wantBase(t, produce(t, Producer{1, 0, 9}, 1, r), 4)
	wantBase(t, produce(t, Producer{3, 0, 0}, 1, r), 2) // still remembered
}

// TestProducerFieldMatchesProto holds the hand-written producer field to
// ProduceBatch.producer in proto/sluice/internal/v1.
func TestProducerFieldMatchesProto(t *testing.T) {
	data := appendProducer(encodeBatch(proposalID{node: 1}, 1, 2, [][]byte{{1}}), &Producer{ID: 1 << 40, Epoch: 3, BaseSequence: math.MaxInt32})
	var pb internalv1.ProduceBatch
	if err := proto.Unmarshal(data, &pb); err != nil {
		t.Fatal(err)
	}
	if p := pb.GetProducer(); p.GetProducerId() != 1<<40 || p.GetProducerEpoch() != 3 || p.GetBaseSequence() != math.MaxInt32 {
		t.Fatalf("proto view: %v", p)
	}
	e, err := decodeBatch(data)
	if err != nil || e.producer == nil || *e.producer != (Producer{1 << 40, 3, math.MaxInt32}) {
		t.Fatalf("decoded %+v, %v", e.producer, err)
	}
}
