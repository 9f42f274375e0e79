// Package memnet is an in-memory network of raft engines for tests: it
// delivers messages between engines in one process and can drop, delay and
// partition them. Faults are injected here, through the engine's Transport
// interface, never through flags in the engine.
package memnet

import (
	"sync"
	"time"

	"go.etcd.io/raft/v3/raftpb"
	"google.golang.org/protobuf/proto"

	"github.com/sluice-io/sluice/server/engine"
)

// Receiver is the inbound side of a node (an *engine.Engine).
type Receiver interface {
	Deliver(env engine.Envelope)
}

// Network connects nodes by id.
type Network struct {
	mu      sync.Mutex
	nodes   map[uint64]Receiver
	cut     map[[2]uint64]bool // directed links that drop everything
	dropFn  func(from, to uint64, m *raftpb.Message) bool
	delay   time.Duration
	stop    chan struct{}
	wg      sync.WaitGroup
	stopped bool
}

// New creates an empty network.
func New() *Network {
	return &Network{nodes: map[uint64]Receiver{}, cut: map[[2]uint64]bool{}, stop: make(chan struct{})}
}

// Join attaches a node; messages to it are delivered to r.
func (n *Network) Join(id uint64, r Receiver) {
	n.mu.Lock()
	n.nodes[id] = r
	n.mu.Unlock()
}

// Leave detaches a node: messages to it are lost, as to a crashed broker.
func (n *Network) Leave(id uint64) {
	n.mu.Lock()
	delete(n.nodes, id)
	n.mu.Unlock()
}

// Transport returns the transport node id sends through.
func (n *Network) Transport(id uint64) engine.Transport { return transport{n: n, from: id} }

// Isolate cuts every link to and from id.
func (n *Network) Isolate(id uint64) {
	n.mu.Lock()
	defer n.mu.Unlock()
	for other := range n.nodes {
		if other != id {
			n.cut[[2]uint64{id, other}] = true
			n.cut[[2]uint64{other, id}] = true
		}
	}
}

// CutLink drops messages from one node to another (one direction).
func (n *Network) CutLink(from, to uint64) {
	n.mu.Lock()
	n.cut[[2]uint64{from, to}] = true
	n.mu.Unlock()
}

// Heal restores every link and removes the drop function.
func (n *Network) Heal() {
	n.mu.Lock()
	n.cut = map[[2]uint64]bool{}
	n.dropFn = nil
	n.mu.Unlock()
}

// SetDrop installs a function that decides, per message, whether to lose it.
func (n *Network) SetDrop(f func(from, to uint64, m *raftpb.Message) bool) {
	n.mu.Lock()
	n.dropFn = f
	n.mu.Unlock()
}

// SetDelay delays every later message by d.
func (n *Network) SetDelay(d time.Duration) {
	n.mu.Lock()
	n.delay = d
	n.mu.Unlock()
}

// Close stops delayed deliveries still waiting and waits for them.
func (n *Network) Close() {
	n.mu.Lock()
	if !n.stopped {
		n.stopped = true
		close(n.stop)
	}
	n.mu.Unlock()
	n.wg.Wait()
}

type transport struct {
	n    *Network
	from uint64
}

// Send copies each message, as a real network would, so that sender and
// receiver never share raft's structures.
func (t transport) Send(msgs []engine.Envelope) {
	for _, env := range msgs {
		to := env.Msg.GetTo()
		r, delay, ok := t.n.route(t.from, to, env.Msg)
		if !ok {
			continue
		}
		env.Msg = proto.CloneOf(env.Msg)
		if delay == 0 {
			r.Deliver(env)
			continue
		}
		t.n.deliverLater(r, env, delay)
	}
}

func (n *Network) route(from, to uint64, m *raftpb.Message) (Receiver, time.Duration, bool) {
	n.mu.Lock()
	defer n.mu.Unlock()
	r, ok := n.nodes[to]
	if !ok || n.stopped || n.cut[[2]uint64{from, to}] || (n.dropFn != nil && n.dropFn(from, to, m)) {
		return nil, 0, false
	}
	return r, n.delay, true
}

func (n *Network) deliverLater(r Receiver, env engine.Envelope, d time.Duration) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.stopped {
		return
	}
	n.wg.Add(1)
	go func() {
		defer n.wg.Done()
		t := time.NewTimer(d)
		defer t.Stop()
		select {
		case <-t.C:
			r.Deliver(env)
		case <-n.stop:
		}
	}()
}
