package server

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	internalv1 "github.com/sluice-io/sluice/gen/go/sluice/internalpb/v1"
	sluicev1 "github.com/sluice-io/sluice/gen/go/sluice/v1"
	"github.com/sluice-io/sluice/raftmeta"
)

// Producer ids are unique in the cluster and issued through the metadata
// group: a ReserveProducerIds command moves the metadata's next producer id
// past the ids it reserves. A broker reserves exactly the ids of the
// InitProducer calls waiting at that moment, one command for all of them,
// and never keeps spare ids for later: so every id below the metadata's next
// id has been handed to a caller, and any broker can refuse an id at or
// above it as never issued (checkProducerIssued). Spare ids would break
// that: a client could write with one before the broker hands it out, and
// the producer that then gets it would have its first writes taken for
// duplicates. An id whose caller gave up before it came is never used.
const (
	// reserveAttempts bounds the retries when other brokers reserve at the
	// same time; each retry sees their reservation applied.
	reserveAttempts = 5
	// reserveTimeout bounds one reservation: it serves callers other than
	// the one making it, so it cannot use that caller's deadline.
	reserveTimeout = 10 * time.Second
)

// unknownProducerError refuses a producer id the cluster never issued
// (Kafka's UNKNOWN_PRODUCER_ID). Accepting one would be worse than an
// error: once the cluster issues that id to a real producer, the state the
// made-up id left makes the real producer's first writes look like
// duplicates, acknowledged and never stored.
type unknownProducerError struct {
	id, next int64
}

func (e *unknownProducerError) Error() string {
	return fmt.Sprintf("producer_id %d was never issued by this cluster (the ids issued so far are below %d); "+
		"call InitProducer for a producer id", e.id, e.next)
}

// checkProducerIssued refuses a producer id at or above the metadata's next
// producer id. Every broker holds the metadata, and the next id is in it
// across restarts, so the leader of any partition can tell (and checks
// requests forwarded to it too). A reservation this broker has
// not applied yet is waited for (awaitMetadata): the issuer hands an id out
// once its reservation applies there, the others apply it a moment later.
func (b *Broker) checkProducerIssued(ctx context.Context, id int64) error {
	return b.awaitMetadata(ctx, func() error {
		if next := raftmeta.NextProducerID(b.meta.State()); id >= next {
			return &unknownProducerError{id: id, next: next}
		}
		return nil
	})
}

// producerIDs batches the InitProducer calls of this broker: while one
// reservation is in flight the calls that come queue, and the next
// reservation serves all of them.
type producerIDs struct {
	mu      sync.Mutex
	queue   []chan idResult
	running bool // reserveQueued is serving the queue
}

type idResult struct {
	id  int64
	err error
}

func newProducerIDs() *producerIDs { return &producerIDs{} }

// allocateProducerID returns a new producer id. A caller that finds no
// reservation running starts reserveQueued, which serves the queue until
// it is empty: a goroutine of its own, so that no caller waits for others'
// batches; it ends with the queue, or when the broker's lifetime (the
// context of its proposals) does.
func (b *Broker) allocateProducerID(ctx context.Context) (int64, error) {
	a := b.producerIDs
	ch := make(chan idResult, 1)
	a.mu.Lock()
	a.queue = append(a.queue, ch)
	if !a.running {
		a.running = true
		go b.reserveQueued()
	}
	a.mu.Unlock()
	select {
	case r := <-ch:
		return r.id, r.err
	case <-ctx.Done():
		return 0, ctx.Err() // the id, when it comes, is never used
	}
}

// reserveQueued reserves ids for the queued callers, a batch per
// reservation, until no caller waits.
func (b *Broker) reserveQueued() {
	a := b.producerIDs
	for {
		a.mu.Lock()
		batch := a.queue
		a.queue = nil
		if len(batch) == 0 {
			a.running = false
			a.mu.Unlock()
			return
		}
		a.mu.Unlock()
		first, err := b.reserveProducerIDs(int64(len(batch)))
		for i, ch := range batch {
			ch <- idResult{id: first + int64(i), err: err}
		}
	}
}

// reserveProducerIDs reserves n consecutive ids and returns the first.
func (b *Broker) reserveProducerIDs(n int64) (int64, error) {
	ctx, cancel := context.WithTimeout(b.lifetime, reserveTimeout)
	defer cancel()
	var err error
	for range reserveAttempts {
		// The proposer's view is at least as new as its last command, so
		// after a conflict the next attempt starts past the other block.
		first := raftmeta.NextProducerID(b.meta.State())
		err = b.meta.Propose(ctx, &internalv1.MetadataCommand{Command: &internalv1.MetadataCommand_ReserveProducerIds{
			ReserveProducerIds: &internalv1.ReserveProducerIds{Broker: b.cfg.NodeID, First: first, Count: n},
		}})
		if err == nil {
			return first, nil
		}
		if !errors.Is(err, raftmeta.ErrConflict) {
			break
		}
	}
	return 0, err
}

// InitProducer gives an idempotent producer its id; the epoch starts at 0.
func (s *produceService) InitProducer(ctx context.Context, _ *sluicev1.InitProducerRequest) (*sluicev1.InitProducerResponse, error) {
	if err := s.b.authorizeInitProducer(ctx); err != nil {
		return nil, err
	}
	id, err := s.b.allocateProducerID(ctx)
	if err != nil {
		return nil, err
	}
	return &sluicev1.InitProducerResponse{ProducerId: id}, nil
}
