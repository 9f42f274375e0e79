package sluice

import (
	"context"
	"fmt"
	"math"

	"google.golang.org/grpc"

	sluicev1 "github.com/sluice-io/sluice/gen/go/sluice/v1"
)

// The idempotent producer. The producer takes an id and epoch from the
// cluster (ProduceService.InitProducer, on first need) and numbers the
// records of each partition from 0; a batch's numbers are fixed at its first
// send, so a retry carries the same ones and the partition stores the batch
// once (a duplicate is answered with the original offsets). A partition has
// one batch in flight at a time, well within the 5 the broker remembers.
//
// A batch that fails for good (its retries or DeliveryTimeout ran out, or the
// broker refused it: an out of order sequence, a fenced epoch) leaves its
// partition's numbering uncertain: its records may or may not be stored. The
// partition then starts afresh under a new producer id, so the next batches
// are not refused for the gap; the failed batch's records are reported with
// the error.

// idempotence is the producer's numbering state, guarded by Producer.mu.
type idempotence struct {
	enabled  bool
	id       int64 // the current producer id (0: none yet)
	epoch    int32
	fetching bool
	err      error // the last InitProducer failure
	seqs     map[topicPartition]*partitionSequence
}

// partitionSequence is the numbering of one partition: under which
// producer id, and the next sequence.
type partitionSequence struct {
	id    int64
	epoch int32
	next  int32
}

// numberLocked gives b its producer id and sequences unless it has them or
// the producer is not idempotent; false means no producer id is known yet.
func (p *Producer) numberLocked(b *batch) bool {
	if !p.idem.enabled || b.producerID != 0 {
		return true
	}
	s := p.idem.seqs[b.tp]
	if s == nil {
		if p.idem.id == 0 {
			b.idErr = p.idem.err
			return false
		}
		s = &partitionSequence{id: p.idem.id, epoch: p.idem.epoch}
		p.idem.seqs[b.tp] = s
	}
	b.producerID, b.producerEpoch, b.baseSequence = s.id, s.epoch, s.next
	s.next = addSequence(s.next, int32(len(b.records)))
	return true
}

// forgetSequenceLocked restarts the numbering of a failed batch's partition.
// The partition must not go on under the same id at sequence 0 (the broker
// remembers it), so if it used the current id, a new one is fetched.
func (p *Producer) forgetSequenceLocked(b *batch) {
	s := p.idem.seqs[b.tp]
	if b.producerID == 0 || s == nil || s.id != b.producerID {
		return
	}
	delete(p.idem.seqs, b.tp)
	if p.idem.id == b.producerID {
		p.idem.id = 0
	}
}

// fetchIDLocked starts fetching a producer id unless a fetch is under way.
func (p *Producer) fetchIDLocked() {
	if p.idem.fetching || p.idem.id != 0 {
		return
	}
	p.idem.fetching = true
	p.bg.Add(1)
	go func() {
		defer p.bg.Done()
		resp, err := p.initProducer(p.ctx)
		p.mu.Lock()
		p.idem.fetching = false
		if err == nil {
			p.idem.id, p.idem.epoch, p.idem.err = resp.GetProducerId(), resp.GetProducerEpoch(), nil
		} else {
			p.idem.err = fmt.Errorf("sluice: InitProducer: %w", err)
		}
		p.mu.Unlock()
		// The sender sends, or fails the waiting batches when the error is
		// final; after a retryable one it fetches again a backoff later.
		p.poke()
	}()
}

func (p *Producer) initProducer(ctx context.Context) (*sluicev1.InitProducerResponse, error) {
	var resp *sluicev1.InitProducerResponse
	err := p.c.callAny(ctx, true, func(ctx context.Context, conn *grpc.ClientConn) error {
		var err error
		resp, err = sluicev1.NewProduceServiceClient(conn).InitProducer(ctx, &sluicev1.InitProducerRequest{})
		return err
	})
	return resp, err
}

// addSequence returns s+n, wrapping after math.MaxInt32 to 0 as the broker does.
func addSequence(s, n int32) int32 {
	if s > math.MaxInt32-n {
		return n - (math.MaxInt32 - s) - 1
	}
	return s + n
}
