package server

import (
	"context"
	"errors"
	"fmt"

	internalv1 "github.com/sluice-io/sluice/gen/go/sluice/internalpb/v1"
	sluicev1 "github.com/sluice-io/sluice/gen/go/sluice/v1"
	"github.com/sluice-io/sluice/raftmeta"
)

// Producer ids are unique in the cluster: each broker reserves a block of
// them through the metadata group (a ReserveProducerIds command) and hands
// them out one by one, so only one InitProducer in producerIDBlock writes
// to the metadata. Ids of a block a broker did not hand out before it
// restarted are skipped, never reused.
const (
	producerIDBlock = 1000
	// reserveAttempts bounds the retries when other brokers reserve at the
	// same time; each retry sees their reservation applied.
	reserveAttempts = 5
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

// checkProducerIssued refuses a producer id above every block reserved in
// the metadata. Every broker holds the metadata, and the highest reserved
// block is in it across restarts, so the leader of any partition can tell
// (and checks requests forwarded to it too). A reservation this broker has
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

type producerIDs struct {
	// lock is held while reserving (a channel, so waiters honour their ctx).
	lock      chan struct{}
	next, end int64 // the block being handed out: next..end-1
}

func newProducerIDs() *producerIDs {
	return &producerIDs{lock: make(chan struct{}, 1)}
}

// allocate returns a new producer id.
func (b *Broker) allocateProducerID(ctx context.Context) (int64, error) {
	a := b.producerIDs
	select {
	case a.lock <- struct{}{}:
	case <-ctx.Done():
		return 0, ctx.Err()
	}
	defer func() { <-a.lock }()
	if a.next < a.end {
		a.next++
		return a.next - 1, nil
	}
	var err error
	for range reserveAttempts {
		// The proposer's view is at least as new as its last command, so
		// after a conflict the next attempt starts past the other block.
		first := raftmeta.NextProducerID(b.meta.State())
		err = b.meta.Propose(ctx, &internalv1.MetadataCommand{Command: &internalv1.MetadataCommand_ReserveProducerIds{
			ReserveProducerIds: &internalv1.ReserveProducerIds{Broker: b.cfg.NodeID, First: first, Count: producerIDBlock},
		}})
		if err == nil {
			a.next, a.end = first+1, first+producerIDBlock
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
	id, err := s.b.allocateProducerID(ctx)
	if err != nil {
		return nil, err
	}
	return &sluicev1.InitProducerResponse{ProducerId: id}, nil
}
