package replica

import (
	"fmt"
	"math"

	"google.golang.org/protobuf/encoding/protowire"

	internalv1 "github.com/sluice-io/sluice/gen/go/sluice/internalpb/v1"
	sluicev1 "github.com/sluice-io/sluice/gen/go/sluice/v1"
)

// Idempotent producers. A request that carries a producer id, epoch and base
// sequence travels as a raft entry of its own, and the state machine decides
// at apply, on every replica alike, whether it is new, a duplicate or out of
// order. What it remembers of each producer (epoch, last batches) is part of
// PartitionState, so the decision survives leader failover (every replica
// applied the same entries), restarts (the state is stored with each apply)
// and log compaction (checkpoints and snapshots carry it).
//
// Rules, per producer, as Kafka's:
//   - an unknown producer, or a known one with a newer epoch, starts afresh
//     at whatever sequence its batch has (a producer forgotten under the
//     bound below carries on rather than failing);
//   - an older epoch is fenced;
//   - a batch whose first and last sequences equal one of the producer's last
//     producerBatchesKept batches is a duplicate: it takes no offsets and its
//     waiter gets the original base offset;
//   - otherwise the batch must start right after the producer's last sequence.
//
// A partition remembers at most Config.MaxProducers producers
// (DefaultMaxProducers); past that, the one whose last batch is oldest is
// forgotten. Bounding by count rather than idle time keeps the decision
// free of clocks, and the state small: it is written with every apply.

const (
	// producerBatchesKept is how many of a producer's last batches are
	// recognised as duplicates; the Go SDK sends one batch per partition at a
	// time, Kafka clients at most 5.
	producerBatchesKept = 5
	// DefaultMaxProducers bounds the producers a partition remembers.
	DefaultMaxProducers = 1000
)

// Field numbers of sluice.internal.v1.ProducerSequence and of the producer
// field of ProduceBatch; the entry test holds them to the descriptors.
const (
	batchProducer    = 6
	producerSeqID    = 1
	producerSeqEpoch = 2
	producerSeqBase  = 3
)

// Producer names an idempotent request's producer and its first sequence.
type Producer struct {
	ID           int64
	Epoch        int32
	BaseSequence int32
}

// OutOfOrderSequenceError refuses a batch whose sequence does not follow the
// producer's last one (a gap, or a batch older than those remembered).
type OutOfOrderSequenceError struct {
	ProducerID      int64
	Expected, Got   int32
	OlderThanWindow bool
}

func (e *OutOfOrderSequenceError) Error() string {
	if e.OlderThanWindow {
		return fmt.Sprintf("out of order sequence for producer %d: sequence %d was written before the last %d batches the partition remembers (expected %d next)",
			e.ProducerID, e.Got, producerBatchesKept, e.Expected)
	}
	return fmt.Sprintf("out of order sequence for producer %d: expected sequence %d, got %d", e.ProducerID, e.Expected, e.Got)
}

// ProducerFencedError refuses a batch from an older epoch of a producer.
type ProducerFencedError struct {
	ProducerID   int64
	Epoch, Known int32
}

func (e *ProducerFencedError) Error() string {
	return fmt.Sprintf("producer %d is fenced: its epoch %d is older than epoch %d the partition has seen", e.ProducerID, e.Epoch, e.Known)
}

// AppendIdempotent is Append for a request of an idempotent producer. The
// request becomes a raft entry of its own; done gets the records' base
// offset once committed (the original one for a duplicate), or an
// *OutOfOrderSequenceError or *ProducerFencedError decided at apply.
func (r *Replica) AppendIdempotent(p Producer, records []byte, c sluicev1.Compression, count int, maxTS int64, done Done) error {
	return r.enqueue(&request{records: records, codec: c, count: count, maxTS: maxTS, done: done, producer: &p})
}

// appendProducer adds the producer field to an encoded ProduceBatch.
func appendProducer(dst []byte, p *Producer) []byte {
	var inner []byte
	inner = protowire.AppendTag(inner, producerSeqID, protowire.VarintType)
	inner = protowire.AppendVarint(inner, uint64(p.ID))
	inner = protowire.AppendTag(inner, producerSeqEpoch, protowire.VarintType)
	inner = protowire.AppendVarint(inner, uint64(p.Epoch))
	inner = protowire.AppendTag(inner, producerSeqBase, protowire.VarintType)
	inner = protowire.AppendVarint(inner, uint64(p.BaseSequence))
	dst = protowire.AppendTag(dst, batchProducer, protowire.BytesType)
	return protowire.AppendBytes(dst, inner)
}

func decodeProducer(b []byte) (*Producer, error) {
	p := &Producer{}
	for len(b) > 0 {
		num, typ, n := consumeTag(b)
		if n < 0 || typ != protowire.VarintType {
			return nil, errBadEntry
		}
		v, m := protowire.ConsumeVarint(b[n:])
		if m < 0 {
			return nil, errBadEntry
		}
		switch num {
		case producerSeqID:
			p.ID = int64(v)
		case producerSeqEpoch:
			p.Epoch = int32(v)
		case producerSeqBase:
			p.BaseSequence = int32(v)
		}
		b = b[n+m:]
	}
	return p, nil
}

// addSequence returns s+n with Kafka's wrap: after math.MaxInt32 comes 0.
func addSequence(s, n int32) int32 {
	if s > math.MaxInt32-n {
		return n - (math.MaxInt32 - s) - 1
	}
	return s + n
}

// admission is the state machine's verdict on an idempotent batch.
type admission struct {
	state     *internalv1.ProducerState // nil: a producer not known yet
	duplicate bool
	base      int64 // the original base offset of a duplicate
	err       error
}

// admit decides on an idempotent batch of count records; it changes nothing.
func (r *Replica) admit(p *Producer, count int) admission {
	ps := r.producerState(p.ID)
	if ps == nil || p.Epoch > ps.GetEpoch() {
		return admission{state: ps}
	}
	if p.Epoch < ps.GetEpoch() {
		return admission{err: &ProducerFencedError{ProducerID: p.ID, Epoch: p.Epoch, Known: ps.GetEpoch()}}
	}
	if len(ps.GetBatches()) == 0 {
		// Nothing remembered to follow: start afresh, as for a forgotten
		// producer. This broker never writes such a state, but a snapshot
		// or stored state may hold one, and every replica must apply alike.
		return admission{state: ps}
	}
	first, last := p.BaseSequence, addSequence(p.BaseSequence, int32(count-1))
	for _, b := range ps.GetBatches() {
		if b.GetFirstSequence() == first && b.GetLastSequence() == last {
			return admission{state: ps, duplicate: true, base: b.GetBaseOffset()}
		}
	}
	batches := ps.GetBatches()
	expected := addSequence(batches[len(batches)-1].GetLastSequence(), 1)
	if first != expected {
		return admission{err: &OutOfOrderSequenceError{
			ProducerID: p.ID, Expected: expected, Got: first, OlderThanWindow: isBefore(first, batches[0].GetFirstSequence()),
		}}
	}
	return admission{state: ps}
}

// isBefore reports whether sequence a precedes b, allowing for wrap: a is
// within half the sequence space behind b.
func isBefore(a, b int32) bool {
	d := int64(b) - int64(a)
	if d < 0 {
		d += math.MaxInt32 + 1
	}
	return d > 0 && d < math.MaxInt32/2
}

// recordBatch remembers an accepted batch of its producer.
func (r *Replica) recordBatch(adm admission, p *Producer, count int, base int64, index uint64) {
	ps := adm.state
	if ps == nil {
		ps = &internalv1.ProducerState{ProducerId: p.ID, Epoch: p.Epoch}
		r.addProducer(ps)
	}
	if p.Epoch != ps.GetEpoch() {
		ps.Epoch, ps.Batches = p.Epoch, nil
	}
	ps.Batches = append(ps.Batches, &internalv1.ProducerBatch{
		FirstSequence: p.BaseSequence, LastSequence: addSequence(p.BaseSequence, int32(count-1)),
		BaseOffset: base, RecordCount: int32(count),
	})
	if n := len(ps.Batches); n > producerBatchesKept {
		ps.Batches = append(ps.Batches[:0], ps.Batches[n-producerBatchesKept:]...)
	}
	ps.LastIndex = index
}

// producerState finds a producer's state, indexing the list on first use
// (after Open or Restore replaced the state).
func (r *Replica) producerState(id int64) *internalv1.ProducerState {
	if r.producers == nil {
		r.producers = make(map[int64]*internalv1.ProducerState, len(r.st.GetProducers()))
		for _, ps := range r.st.GetProducers() {
			r.producers[ps.GetProducerId()] = ps
		}
	}
	return r.producers[id]
}

// addProducer adds a producer, forgetting the least recently written one
// when the partition remembers too many.
func (r *Replica) addProducer(ps *internalv1.ProducerState) {
	limit := r.cfg.MaxProducers
	if limit <= 0 {
		limit = DefaultMaxProducers
	}
	list := r.st.GetProducers()
	if len(list) >= limit {
		oldest := 0
		for i, p := range list {
			if p.GetLastIndex() < list[oldest].GetLastIndex() {
				oldest = i
			}
		}
		delete(r.producers, list[oldest].GetProducerId())
		list = append(list[:oldest], list[oldest+1:]...)
	}
	r.st.Producers = append(list, ps)
	r.producers[ps.GetProducerId()] = ps
}
