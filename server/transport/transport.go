// Package transport carries raft messages between brokers over gRPC: two
// long-lived streams per peer, one for appends and one for everything else
// (so heartbeats, votes and snapshots never queue behind megabytes of
// appends), each send a batch of messages of every group bound for that peer,
// of at most Config.BatchBytes. It implements engine.Transport for the sending
// side and the internal RaftTransportService for the receiving side.
package transport

import (
	"cmp"
	"context"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"sync/atomic"

	"go.etcd.io/raft/v3/raftpb"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"

	internalv1 "github.com/sluice-io/sluice/gen/go/sluice/internalpb/v1"
	"github.com/sluice-io/sluice/server/engine"
)

// Engine is what the transport needs of the raft engine.
type Engine interface {
	Deliver(env engine.Envelope)
	ReportUnreachable(group, node uint64)
	ReportSnapshot(group, node uint64, ok bool)
}

// Resolver gives a peer's address; ok is false while it is not known.
type Resolver func(node uint64) (addr string, ok bool)

// Config sets up a Transport.
type Config struct {
	NodeID  uint64
	Engine  Engine
	Resolve Resolver
	// DialOptions are used for every peer connection (credentials at least).
	DialOptions []grpc.DialOption
	// DialOptionsFor, when set, adds options for the connection to one peer,
	// after DialOptions (credentials that accept that peer alone).
	DialOptionsFor func(node uint64) []grpc.DialOption
	// BatchBytes bounds one send to a peer (one StreamRequest), whatever the
	// number of groups or messages in it; a single message larger than it is
	// sent alone. 0 means DefaultBatchBytes.
	BatchBytes int
	// QueueBytes bounds the bytes waiting for one peer in each lane; past it
	// messages are dropped and reported unreachable, and raft retransmits
	// once it has probed the follower. An empty queue takes any one message.
	// 0 means DefaultQueueBytes.
	QueueBytes int
	// MaxMessageBytes is the largest message a peer accepts in one send
	// (its receive limit less the batch framing); a larger message is
	// dropped with an error log rather than sent to reset the stream and
	// everything queued on it. 0: no check.
	MaxMessageBytes int
	// Authenticate, when set, names the broker at the other end of an
	// incoming stream (from its verified certificate) or refuses it with a
	// gRPC status; every message of the stream must then come from that
	// broker. A refused stream or message never reaches the engine. Nil
	// accepts every stream, as a cluster without TLS does.
	Authenticate func(ctx context.Context) (node uint64, err error)
	Logger       *slog.Logger
}

// Defaults of Config.
const (
	DefaultBatchBytes = 4 << 20
	DefaultQueueBytes = 64 << 20
)

// BatchOverhead bounds what a StreamRequest adds to the sizes of its
// messages (the sender's id): a receive limit of BatchBytes+BatchOverhead
// fits every batch.
const BatchOverhead = 16

// EncodedSize is what one message adds to a StreamRequest.
func EncodedSize(gm *internalv1.GroupMessage) int {
	n := proto.Size(gm)
	return protowire.SizeTag(2) + protowire.SizeBytes(n)
}

// Transport sends to and receives from peer brokers.
type Transport struct {
	internalv1.UnimplementedRaftTransportServiceServer
	cfg Config
	log *slog.Logger

	mu     sync.Mutex
	peers  map[uint64]*peer
	closed bool
	// received counts the bytes received from each peer (PeerStats).
	received map[uint64]*atomic.Uint64
	// stop ends inbound streams on Close.
	stop chan struct{}
}

// New creates a transport; peers are dialled on first use.
func New(cfg Config) *Transport {
	if cfg.BatchBytes <= 0 {
		cfg.BatchBytes = DefaultBatchBytes
	}
	if cfg.QueueBytes <= 0 {
		cfg.QueueBytes = DefaultQueueBytes
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	return &Transport{cfg: cfg, log: cfg.Logger.With("component", "raft-transport"), peers: map[uint64]*peer{},
		received: map[uint64]*atomic.Uint64{}, stop: make(chan struct{})}
}

// Send implements engine.Transport: it sorts messages by destination and lane
// and queues them without blocking. What cannot be queued is reported
// unreachable, so raft probes that follower and sends again.
func (t *Transport) Send(msgs []engine.Envelope) {
	type key struct {
		to   uint64
		lane int
	}
	byLane := map[key][]queued{}
	envs := map[key][]engine.Envelope{}
	var lost []engine.Envelope
	for _, env := range msgs {
		data, err := proto.Marshal(env.Msg)
		if err != nil {
			t.log.Error("encode raft message", "group", env.Group, "err", err)
			continue
		}
		gm := &internalv1.GroupMessage{Group: env.Group, Message: data, Quiesce: env.Quiesce}
		size := EncodedSize(gm)
		if t.cfg.MaxMessageBytes > 0 && size > t.cfg.MaxMessageBytes {
			t.log.Error("raft message larger than a peer accepts: dropped", "group", env.Group, "peer", env.Msg.GetTo(),
				"type", env.Msg.GetType().String(), "bytes", size, "limit", t.cfg.MaxMessageBytes)
			lost = append(lost, env)
			continue
		}
		k := key{env.Msg.GetTo(), laneOf(env.Msg)}
		byLane[k] = append(byLane[k], queued{gm: gm, size: size})
		envs[k] = append(envs[k], env)
	}
	for k, q := range byLane {
		p := t.peer(k.to)
		if p == nil {
			lost = append(lost, envs[k]...)
			continue
		}
		refused := p.lanes[k.lane].push(q)
		sent := envs[k][:len(q)-len(refused)]
		lost = append(lost, envs[k][len(sent):]...)
		t.reportSnapshots(sent, true)
	}
	t.reportLost(lost)
}

// reportLost tells raft that messages did not leave this broker.
func (t *Transport) reportLost(envs []engine.Envelope) {
	for _, env := range envs {
		t.cfg.Engine.ReportUnreachable(env.Group, env.Msg.GetTo())
	}
	t.reportSnapshots(envs, false)
}

// reportSnapshots completes snapshot sends. Sluice snapshots are metadata
// only (offsets, never records), so they travel in the priority lane with the
// other small messages and count as delivered once queued.
func (t *Transport) reportSnapshots(envs []engine.Envelope, ok bool) {
	for _, env := range envs {
		if env.Msg.GetType() == raftpb.MsgSnap {
			t.cfg.Engine.ReportSnapshot(env.Group, env.Msg.GetTo(), ok)
		}
	}
}

func (t *Transport) peer(id uint64) *peer {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.closed || id == t.cfg.NodeID {
		return nil
	}
	p := t.peers[id]
	if p == nil {
		p = newPeer(t, id)
		t.peers[id] = p
	}
	return p
}

// Close stops every peer's sender and waits for them, and ends the streams
// peers opened to this broker. It is idempotent.
func (t *Transport) Close() {
	t.mu.Lock()
	if !t.closed {
		close(t.stop)
	}
	t.closed = true
	peers := t.peers
	t.peers = map[uint64]*peer{}
	t.mu.Unlock()
	for _, p := range peers {
		p.close()
	}
}

// Stream implements RaftTransportService: it hands every message received from
// a peer to the engine, until the peer or Close ends the stream.
func (t *Transport) Stream(stream grpc.BidiStreamingServer[internalv1.StreamRequest, internalv1.StreamResponse]) error {
	var from uint64 // 0: any sender
	if t.cfg.Authenticate != nil {
		node, err := t.cfg.Authenticate(stream.Context())
		if err != nil {
			return err
		}
		from = node
	}
	done := make(chan error, 1)
	// Returning ends the stream, which unblocks the receiver's Recv.
	go func() { done <- t.receive(stream, from) }()
	select {
	case err := <-done:
		return err
	case <-t.stop:
		return status.Error(codes.Unavailable, "broker is shutting down")
	}
}

// receive hands the stream's messages to the engine. When from is not 0, a
// batch or message from any other broker ends the stream unread.
func (t *Transport) receive(stream grpc.BidiStreamingServer[internalv1.StreamRequest, internalv1.StreamResponse], from uint64) error {
	var batches uint64
	var received *atomic.Uint64 // the sender's counter, looked up once
	for {
		req, err := stream.Recv()
		if err != nil {
			return err
		}
		if from != 0 && req.GetFromNode() != from {
			return status.Errorf(codes.PermissionDenied, "the certificate names broker %d, the raft batch says it is from broker %d", from, req.GetFromNode())
		}
		if received == nil {
			received = t.receivedFrom(req.GetFromNode())
		}
		received.Add(uint64(proto.Size(req)))
		for _, gm := range req.GetMessages() {
			m := &raftpb.Message{}
			if err := proto.Unmarshal(gm.GetMessage(), m); err != nil {
				return fmt.Errorf("decode raft message from node %d: %w", req.GetFromNode(), err)
			}
			if from != 0 && m.GetFrom() != from {
				return status.Errorf(codes.PermissionDenied, "the certificate names broker %d, a raft message of group %d says it is from broker %d", from, gm.GetGroup(), m.GetFrom())
			}
			t.cfg.Engine.Deliver(engine.Envelope{Group: gm.GetGroup(), Msg: m, Quiesce: gm.GetQuiesce()})
		}
		batches++
		// Acknowledgements are advisory (for tests and metrics); raft's own
		// acknowledgements are messages in the other direction.
		if batches%64 == 0 {
			if err := stream.Send(&internalv1.StreamResponse{Batches: batches}); err != nil {
				return err
			}
		}
	}
}

// receivedFrom is the counter of bytes received from node.
func (t *Transport) receivedFrom(node uint64) *atomic.Uint64 {
	t.mu.Lock()
	defer t.mu.Unlock()
	c := t.received[node]
	if c == nil {
		c = new(atomic.Uint64)
		t.received[node] = c
	}
	return c
}

// PeerStats is what the transport counted for one peer since it started.
type PeerStats struct {
	Node uint64
	// SentBytes and ReceivedBytes are the encoded size of the batches
	// (StreamRequests, gRPC's framing not included) sent to and received
	// from the peer; Batches the number sent.
	SentBytes, ReceivedBytes, Batches uint64
	// Reconnects counts the streams to the peer opened again after one
	// ended (each lane has its own).
	Reconnects uint64
	// Dropped counts the messages for the peer that never left: refused by
	// a full queue, or queued on a stream that broke (raft sends them again).
	Dropped uint64
	// QueueBytes is what waits to be sent to the peer now, both lanes.
	QueueBytes int
}

// PeerStats returns the figures of every peer this broker sent to or
// received from, in node order. It takes each lane's lock briefly: call it
// at scrape time.
func (t *Transport) PeerStats() []PeerStats {
	t.mu.Lock()
	byNode := map[uint64]*PeerStats{}
	for id, p := range t.peers {
		s := &PeerStats{Node: id, SentBytes: p.stats.bytes.Load(), Batches: p.stats.batches.Load(),
			Reconnects: p.stats.reconnects.Load(), Dropped: p.stats.dropped.Load()}
		for _, l := range p.lanes {
			s.QueueBytes += l.queuedBytes()
		}
		byNode[id] = s
	}
	for id, c := range t.received {
		s := byNode[id]
		if s == nil {
			s = &PeerStats{Node: id}
			byNode[id] = s
		}
		s.ReceivedBytes = c.Load()
	}
	t.mu.Unlock()
	out := make([]PeerStats, 0, len(byNode))
	for _, s := range byNode {
		out = append(out, *s)
	}
	slices.SortFunc(out, func(a, b PeerStats) int { return cmp.Compare(a.Node, b.Node) })
	return out
}
