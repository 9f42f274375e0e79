package sluice

import (
	"sync/atomic"
	"time"

	sluicev1 "github.com/sluice-io/sluice/gen/go/sluice/v1"
)

// The accumulator is the producer's batching, without I/O: records are
// appended to per-partition queues of batches, and ready picks the batches to
// send. The producer guards it with its mutex.
//
// Invariants: in each partition queue only the last batch may be open (take
// more records); at most one batch per partition is in flight, always the
// head of its queue, and it stays there until it is answered. A batch that
// fails and is retried therefore goes out again before any later batch of
// its partition: records of one partition keep their order.

type topicPartition struct {
	topic     string
	partition int32
}

// pendingRecord is one record waiting for its acknowledgement.
type pendingRecord struct {
	rec  *sluicev1.Record
	size int
	done func(RecordMetadata, error)
}

// batch is the records of one partition sent as one ProduceRequest.
type batch struct {
	tp       topicPartition
	records  []*pendingRecord
	bytes    int
	created  time.Time
	deadline time.Time // records fail with ErrDeliveryTimeout after it
	sealed   bool      // takes no more records: full, or sent once
	attempts int       // sends so far
	sentAt   time.Time
	addr     string                        // the broker of the last send
	stream   atomic.Pointer[produceStream] // the stream of the last send
	lastErr  error
	// The idempotent producer's numbering, fixed at the first send so
	// that every retry carries the same (producerID 0: not numbered).
	producerID    int64
	producerEpoch int32
	baseSequence  int32
	idErr         error // why no producer id could be had, if so
	// compressed is the batch's records compressed, made at the first send
	// (with Compression) and sent again by retries.
	compressed *sluicev1.RecordBatch
}

// partQueue is one partition's batches, oldest first.
type partQueue struct {
	tp           topicPartition
	batches      []*batch
	inFlight     *batch
	backoffUntil time.Time
}

type batchLimits struct {
	maxRecords      int
	maxBytes        int
	linger          time.Duration
	deliveryTimeout time.Duration
}

type accumulator struct {
	lim    batchLimits
	parts  map[topicPartition]*partQueue
	sticky map[string]*batch // the open batch that keyless records of a topic go to
	next   map[string]int32  // the next partition for keyless records of a topic
	seed   func(n int32) int32
}

func newAccumulator(lim batchLimits, seed func(n int32) int32) *accumulator {
	return &accumulator{lim: lim, parts: map[topicPartition]*partQueue{}, sticky: map[string]*batch{}, next: map[string]int32{}, seed: seed}
}

// add appends a record to partition p of topic, or, with p < 0, to the
// partition that keyless records of the topic currently stick to (round-robin
// per batch among n partitions). It returns the batch and whether the record
// opened it; the batch is sealed when it became full.
func (a *accumulator) add(topic string, p, n int32, r *pendingRecord, now time.Time) (b *batch, opened bool) {
	if p < 0 {
		if b := a.sticky[topic]; b != nil && !b.sealed && b.fits(r, a.lim) {
			a.push(b, r)
			return b, false
		}
		next, ok := a.next[topic]
		if !ok {
			next = a.seed(n)
		}
		p = next % n
		a.next[topic] = (p + 1) % n
	}
	tp := topicPartition{topic, p}
	q := a.parts[tp]
	if q == nil {
		q = &partQueue{tp: tp}
		a.parts[tp] = q
	}
	if k := len(q.batches); k > 0 && !q.batches[k-1].sealed && q.batches[k-1].fits(r, a.lim) {
		b = q.batches[k-1]
	} else {
		if k > 0 {
			q.batches[k-1].sealed = true
		}
		b = &batch{tp: tp, created: now, deadline: now.Add(a.lim.deliveryTimeout)}
		q.batches = append(q.batches, b)
		opened = true
	}
	a.push(b, r)
	if r.rec.Key == nil {
		a.sticky[topic] = b
	}
	return b, opened
}

// fits reports whether r may join b: an empty batch takes any record.
func (b *batch) fits(r *pendingRecord, lim batchLimits) bool {
	return len(b.records) == 0 || (len(b.records) < lim.maxRecords && b.bytes+r.size <= lim.maxBytes)
}

func (a *accumulator) push(b *batch, r *pendingRecord) {
	b.records = append(b.records, r)
	b.bytes += r.size
	if len(b.records) >= a.lim.maxRecords || b.bytes >= a.lim.maxBytes {
		b.sealed = true
	}
}

// sendable reports whether the head batch of q may go now (force: flushing
// or closing), and otherwise when it may.
func (a *accumulator) sendable(q *partQueue, now time.Time, force bool) (bool, time.Time) {
	if q.inFlight != nil || len(q.batches) == 0 {
		return false, time.Time{}
	}
	if now.Before(q.backoffUntil) {
		return false, q.backoffUntil
	}
	b := q.batches[0]
	if b.sealed || len(q.batches) > 1 || force || b.attempts > 0 {
		return true, time.Time{}
	}
	due := b.created.Add(a.lim.linger)
	if !now.Before(due) {
		return true, time.Time{}
	}
	return false, due
}

// start marks q's head batch as sent.
func (a *accumulator) start(q *partQueue, now time.Time) *batch {
	b := q.batches[0]
	b.sealed = true
	b.attempts++
	b.sentAt = now
	q.inFlight = b
	return b
}

// finish ends q's in-flight batch: removed when done, else (a retry) left at
// the head with a backoff.
func (a *accumulator) finish(q *partQueue, done bool, backoffUntil time.Time) {
	b := q.inFlight
	q.inFlight = nil
	if !done {
		q.backoffUntil = backoffUntil
		return
	}
	q.backoffUntil = time.Time{}
	if len(q.batches) > 0 && q.batches[0] == b {
		q.batches = q.batches[1:]
	}
	a.dropIfIdle(q)
}

// drop removes q's head batch (it expired before it could be sent).
func (a *accumulator) drop(q *partQueue) *batch {
	b := q.batches[0]
	b.sealed = true
	q.batches = q.batches[1:]
	a.dropIfIdle(q)
	return b
}

func (a *accumulator) dropIfIdle(q *partQueue) {
	if len(q.batches) == 0 && q.inFlight == nil {
		delete(a.parts, q.tp)
	}
}
