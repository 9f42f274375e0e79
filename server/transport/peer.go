package transport

import (
	"context"
	"errors"
	"math/rand/v2"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"go.etcd.io/raft/v3/raftpb"
	"google.golang.org/grpc"
	"google.golang.org/protobuf/encoding/protowire"

	internalv1 "github.com/sluice-io/sluice/gen/go/sluice/internalpb/v1"
)

// Reconnect backoff bounds.
const (
	minBackoff = 50 * time.Millisecond
	maxBackoff = 2 * time.Second
)

// Lanes. Appends carry the records and may be megabytes each; everything
// else (heartbeats, votes, append responses, snapshots, which in Sluice hold
// offsets and never records) is small and is what keeps leaders, elections
// and probing working, so it never waits behind appends: each lane has its own
// connection, stream, queue and sender.
const (
	bulkLane = iota
	priorityLane
	numLanes
)

var laneNames = [numLanes]string{"bulk", "priority"}

// laneOf is the lane a message travels in.
func laneOf(m *raftpb.Message) int {
	if m.GetType() == raftpb.MsgApp {
		return bulkLane
	}
	return priorityLane
}

// peer is the two lanes to one broker.
type peer struct {
	id    uint64
	lanes [numLanes]*lane
	// stats counts what the lanes sent, for PeerStats.
	stats sendStats
}

// sendStats counts what was sent to one peer, over both lanes.
type sendStats struct {
	bytes      atomic.Uint64 // encoded size of the messages sent
	batches    atomic.Uint64 // StreamRequests sent
	reconnects atomic.Uint64 // streams opened again after one ended
	dropped    atomic.Uint64 // messages refused by a full queue or lost with a stream
}

func newPeer(t *Transport, id uint64) *peer {
	p := &peer{id: id}
	for i := range p.lanes {
		p.lanes[i] = newLane(t, id, laneNames[i], &p.stats)
	}
	return p
}

func (p *peer) close() {
	for _, l := range p.lanes {
		l.cancel()
	}
	for _, l := range p.lanes {
		<-l.done
	}
}

// queued is a message waiting in a lane with its size in a StreamRequest.
type queued struct {
	gm   *internalv1.GroupMessage
	size int
}

// lane owns one stream to a peer: a goroutine that dials, opens the stream,
// and sends what is queued in batches of at most BatchBytes, reconnecting
// with backoff when the stream breaks. Its queue holds at most QueueBytes;
// past that, messages are refused, and raft retransmits them.
type lane struct {
	t     *Transport
	peer  uint64
	name  string
	stats *sendStats

	mu    sync.Mutex
	queue []queued
	bytes int
	ready chan struct{} // holds a token while the queue is not empty

	ctx    context.Context
	cancel context.CancelFunc
	done   chan struct{}
}

func newLane(t *Transport, peer uint64, name string, stats *sendStats) *lane {
	ctx, cancel := context.WithCancel(context.Background())
	l := &lane{t: t, peer: peer, name: name, stats: stats, ready: make(chan struct{}, 1), ctx: ctx, cancel: cancel, done: make(chan struct{})}
	go l.run()
	return l
}

// push queues messages in order while they fit in the queue's bytes and
// returns those that did not. A message is always taken by an empty queue, so
// one larger than the bound still goes (alone).
func (l *lane) push(msgs []queued) (refused []queued) {
	l.mu.Lock()
	for i, m := range msgs {
		if len(l.queue) > 0 && l.bytes+m.size > l.t.cfg.QueueBytes {
			refused = msgs[i:]
			break
		}
		l.queue = append(l.queue, m)
		l.bytes += m.size
	}
	l.mu.Unlock()
	l.signal()
	if len(refused) > 0 {
		l.stats.dropped.Add(uint64(len(refused)))
	}
	return refused
}

func (l *lane) signal() {
	select {
	case l.ready <- struct{}{}:
	default:
	}
}

// take removes the longest prefix of the queue within BatchBytes (at least
// one message).
func (l *lane) take() ([]*internalv1.GroupMessage, int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	n, size := 0, 0
	for n < len(l.queue) && (n == 0 || size+l.queue[n].size <= l.t.cfg.BatchBytes) {
		size += l.queue[n].size
		n++
	}
	batch := make([]*internalv1.GroupMessage, n)
	for i := range n {
		batch[i] = l.queue[i].gm
		l.queue[i] = queued{} // let the sent message go
	}
	l.queue = l.queue[n:]
	l.bytes -= size
	if len(l.queue) == 0 {
		l.queue = nil
	} else {
		l.signal()
	}
	return batch, size
}

// queued is the bytes waiting in the lane's queue.
func (l *lane) queuedBytes() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.bytes
}

func (l *lane) run() {
	defer close(l.done)
	backoff := minBackoff
	for first := true; l.ctx.Err() == nil; first = false {
		if !first {
			l.stats.reconnects.Add(1)
		}
		start := time.Now()
		err := l.session()
		if l.ctx.Err() != nil {
			return
		}
		l.t.log.Debug("raft stream to peer ended", "peer", l.peer, "lane", l.name, "err", err)
		l.dropQueued()
		if time.Since(start) > maxBackoff {
			backoff = minBackoff // the stream was healthy for a while
		}
		jitter := time.Duration(rand.Int64N(int64(backoff) / 2))
		select {
		case <-time.After(backoff + jitter):
		case <-l.ctx.Done():
			return
		}
		backoff = min(2*backoff, maxBackoff)
	}
}

// session dials the peer and sends until the stream fails.
func (l *lane) session() error {
	addr, ok := l.t.cfg.Resolve(l.peer)
	if !ok {
		return errors.New("peer address unknown")
	}
	opts := l.t.cfg.DialOptions
	if l.t.cfg.DialOptionsFor != nil {
		opts = append(slices.Clip(opts), l.t.cfg.DialOptionsFor(l.peer)...)
	}
	conn, err := grpc.NewClient(addr, opts...)
	if err != nil {
		return err
	}
	defer conn.Close()
	ctx, cancel := context.WithCancel(l.ctx)
	defer cancel()
	stream, err := internalv1.NewRaftTransportServiceClient(conn).Stream(ctx)
	if err != nil {
		return err
	}
	go drainAcks(stream)
	// What each StreamRequest adds to its messages' sizes: the sender's id.
	fromSize := protowire.SizeTag(1) + protowire.SizeVarint(l.t.cfg.NodeID)
	for {
		batch, size, err := l.next()
		if err != nil {
			return err
		}
		if err := stream.Send(&internalv1.StreamRequest{FromNode: l.t.cfg.NodeID, Messages: batch}); err != nil {
			l.lost(batch)
			return err
		}
		l.stats.bytes.Add(uint64(size + fromSize))
		l.stats.batches.Add(1)
	}
}

func drainAcks(stream grpc.BidiStreamingClient[internalv1.StreamRequest, internalv1.StreamResponse]) {
	for {
		if _, err := stream.Recv(); err != nil {
			return
		}
	}
}

// next waits for queued messages and takes a batch of them, so that a busy
// peer gets few large sends, none over BatchBytes unless one message is.
func (l *lane) next() ([]*internalv1.GroupMessage, int, error) {
	for {
		select {
		case <-l.ready:
		case <-l.ctx.Done():
			return nil, 0, l.ctx.Err()
		}
		if batch, size := l.take(); len(batch) > 0 {
			return batch, size, nil
		}
	}
}

// dropQueued discards what waits for a broken stream; raft retransmits.
func (l *lane) dropQueued() {
	l.mu.Lock()
	q := l.queue
	l.queue, l.bytes = nil, 0
	l.mu.Unlock()
	batch := make([]*internalv1.GroupMessage, len(q))
	for i, m := range q {
		batch[i] = m.gm
	}
	l.lost(batch)
}

func (l *lane) lost(batch []*internalv1.GroupMessage) {
	l.stats.dropped.Add(uint64(len(batch)))
	seen := map[uint64]bool{}
	for _, gm := range batch {
		if !seen[gm.GetGroup()] {
			seen[gm.GetGroup()] = true
			l.t.cfg.Engine.ReportUnreachable(gm.GetGroup(), l.peer)
		}
	}
}
