package transport

import (
	"context"
	"errors"
	"math/rand/v2"
	"time"

	"google.golang.org/grpc"

	internalv1 "github.com/sluice-io/sluice/gen/go/sluice/internalpb/v1"
)

// Reconnect backoff bounds.
const (
	minBackoff = 50 * time.Millisecond
	maxBackoff = 2 * time.Second
	// maxBatchMessages bounds the messages merged into one stream send.
	maxBatchMessages = 4096
)

// peer owns the stream to one broker: a goroutine that dials, opens the stream,
// and sends queued batches, reconnecting with backoff when the stream breaks.
type peer struct {
	t      *Transport
	id     uint64
	queue  chan []*internalv1.GroupMessage
	ctx    context.Context
	cancel context.CancelFunc
	done   chan struct{}
}

func newPeer(t *Transport, id uint64) *peer {
	ctx, cancel := context.WithCancel(context.Background())
	p := &peer{t: t, id: id, queue: make(chan []*internalv1.GroupMessage, t.cfg.QueueBatches), ctx: ctx, cancel: cancel, done: make(chan struct{})}
	go p.run()
	return p
}

// enqueue queues a batch; false when the queue is full.
func (p *peer) enqueue(batch []*internalv1.GroupMessage) bool {
	select {
	case p.queue <- batch:
		return true
	default:
		return false
	}
}

func (p *peer) close() {
	p.cancel()
	<-p.done
}

func (p *peer) run() {
	defer close(p.done)
	backoff := minBackoff
	for p.ctx.Err() == nil {
		start := time.Now()
		err := p.session()
		if p.ctx.Err() != nil {
			return
		}
		p.t.log.Debug("raft stream to peer ended", "peer", p.id, "err", err)
		p.dropQueued()
		if time.Since(start) > maxBackoff {
			backoff = minBackoff // the stream was healthy for a while
		}
		jitter := time.Duration(rand.Int64N(int64(backoff) / 2))
		select {
		case <-time.After(backoff + jitter):
		case <-p.ctx.Done():
			return
		}
		backoff = min(2*backoff, maxBackoff)
	}
}

// session dials the peer and sends until the stream fails.
func (p *peer) session() error {
	addr, ok := p.t.cfg.Resolve(p.id)
	if !ok {
		return errors.New("peer address unknown")
	}
	conn, err := grpc.NewClient(addr, p.t.cfg.DialOptions...)
	if err != nil {
		return err
	}
	defer conn.Close()
	ctx, cancel := context.WithCancel(p.ctx)
	defer cancel()
	stream, err := internalv1.NewRaftTransportServiceClient(conn).Stream(ctx)
	if err != nil {
		return err
	}
	go drainAcks(stream)
	for {
		batch, err := p.next()
		if err != nil {
			return err
		}
		if err := stream.Send(&internalv1.StreamRequest{FromNode: p.t.cfg.NodeID, Messages: batch}); err != nil {
			p.lost(batch)
			return err
		}
	}
}

func drainAcks(stream grpc.BidiStreamingClient[internalv1.StreamRequest, internalv1.StreamResponse]) {
	for {
		if _, err := stream.Recv(); err != nil {
			return
		}
	}
}

// next waits for a batch and merges whatever else is queued behind it, so that
// a busy peer gets few large sends.
func (p *peer) next() ([]*internalv1.GroupMessage, error) {
	var batch []*internalv1.GroupMessage
	select {
	case batch = <-p.queue:
	case <-p.ctx.Done():
		return nil, p.ctx.Err()
	}
	for len(batch) < maxBatchMessages {
		select {
		case more := <-p.queue:
			batch = append(batch, more...)
		default:
			return batch, nil
		}
	}
	return batch, nil
}

// dropQueued discards what waits for a broken stream; raft retransmits.
func (p *peer) dropQueued() {
	for {
		select {
		case batch := <-p.queue:
			p.lost(batch)
		default:
			return
		}
	}
}

func (p *peer) lost(batch []*internalv1.GroupMessage) {
	seen := map[uint64]bool{}
	for _, gm := range batch {
		if !seen[gm.GetGroup()] {
			seen[gm.GetGroup()] = true
			p.t.cfg.Engine.ReportUnreachable(gm.GetGroup(), p.id)
		}
	}
}
