package transport_test

import (
	"bytes"
	"fmt"
	"log/slog"
	"net"
	"slices"
	"sync"
	"testing"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"

	internalv1 "github.com/sluice-io/sluice/gen/go/sluice/internalpb/v1"
	"github.com/sluice-io/sluice/server/engine"
	"github.com/sluice-io/sluice/server/engine/enginetest"
	"github.com/sluice-io/sluice/server/transport"
	"github.com/sluice-io/sluice/storage"
)

const group = 7

// node is an engine reachable over gRPC on 127.0.0.1.
type node struct {
	id   uint64
	db   *storage.DB
	eng  *engine.Engine
	tr   *transport.Transport
	srv  *grpc.Server
	sm   *enginetest.LogSM
	addr string
}

type cluster struct {
	t     *testing.T
	mu    sync.Mutex
	addrs map[uint64]string
	dirs  map[uint64]string
	nodes map[uint64]*node
}

func newCluster(t *testing.T, n int) *cluster {
	c := &cluster{t: t, addrs: map[uint64]string{}, dirs: map[uint64]string{}, nodes: map[uint64]*node{}}
	for id := uint64(1); id <= uint64(n); id++ {
		c.dirs[id] = t.TempDir()
	}
	t.Cleanup(func() {
		for id := range c.nodes {
			c.stop(id)
		}
	})
	for id := uint64(1); id <= uint64(n); id++ {
		c.start(id, n)
	}
	return c
}

func (c *cluster) resolve(id uint64) (string, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	a, ok := c.addrs[id]
	return a, ok
}

func (c *cluster) start(id uint64, n int) {
	t := c.t
	lis, err := net.Listen("tcp", c.listenAddr(id))
	if err != nil {
		t.Fatal(err)
	}
	db, err := storage.Open(storage.DefaultOptions(c.dirs[id]))
	if err != nil {
		t.Fatal(err)
	}
	nd := &node{id: id, db: db, addr: lis.Addr().String()}
	c.mu.Lock()
	c.addrs[id] = nd.addr
	c.mu.Unlock()
	quiet := slog.New(slog.DiscardHandler)
	nd.eng, err = engine.New(engine.Config{NodeID: id, DB: db, TickInterval: 10 * time.Millisecond, Logger: quiet,
		Transport: engine.TransportFunc(func(m []engine.Envelope) { nd.tr.Send(m) })})
	if err != nil {
		t.Fatal(err)
	}
	nd.tr = transport.New(transport.Config{NodeID: id, Engine: nd.eng, Resolve: c.resolve, Logger: quiet,
		DialOptions: []grpc.DialOption{grpc.WithTransportCredentials(insecure.NewCredentials())}})
	nd.srv = grpc.NewServer()
	internalv1.RegisterRaftTransportServiceServer(nd.srv, nd.tr)
	go func() { _ = nd.srv.Serve(lis) }()
	if nd.sm, err = enginetest.NewLogSM(db, group); err != nil {
		t.Fatal(err)
	}
	nd.sm.Notify = func() { nd.eng.Notify(group) }
	voters := make([]uint64, n)
	for i := range voters {
		voters[i] = uint64(i + 1)
	}
	if err := nd.eng.AddGroup(group, voters, nd.sm); err != nil {
		t.Fatal(err)
	}
	nd.eng.Start()
	c.nodes[id] = nd
}

// listenAddr reuses a node's old port after a restart, as a broker would.
func (c *cluster) listenAddr(id uint64) string {
	if a, ok := c.resolve(id); ok {
		return a
	}
	return "127.0.0.1:0"
}

// stop ends a node: its server first, so peers see the connection fail.
func (c *cluster) stop(id uint64) {
	nd := c.nodes[id]
	nd.srv.Stop()
	nd.eng.Stop()
	nd.tr.Close()
	if err := nd.db.Close(); err != nil {
		c.t.Error(err)
	}
	delete(c.nodes, id)
}

func (c *cluster) leader(among ...uint64) uint64 {
	var lead uint64
	enginetest.WaitFor(c.t, "a leader", func() bool {
		lead = c.nodes[among[0]].eng.Leader(group)
		for _, id := range among {
			if c.nodes[id].eng.Leader(group) != lead {
				return false
			}
		}
		return slices.Contains(among, lead)
	})
	return lead
}

func (c *cluster) propose(lead uint64, prefix string, n int) {
	for i := range n {
		c.nodes[lead].sm.Propose(fmt.Appendf(nil, "%s-%d", prefix, i))
	}
}

func (c *cluster) converged(want int, ids ...uint64) {
	enginetest.WaitFor(c.t, "replicas to converge", func() bool {
		_, first := c.nodes[ids[0]].sm.Snapshot()
		if len(first) != want {
			return false
		}
		for _, id := range ids[1:] {
			if _, d := c.nodes[id].sm.Snapshot(); !slices.EqualFunc(d, first, bytes.Equal) {
				return false
			}
		}
		return true
	})
}

func TestReplicationOverGRPC(t *testing.T) {
	c := newCluster(t, 3)
	lead := c.leader(1, 2, 3)
	c.propose(lead, "a", 200)
	c.converged(200, 1, 2, 3)
}

// TestPeerRestart: a follower that goes away and comes back on the same
// address is reconnected to and catches up; the other two keep committing.
func TestPeerRestart(t *testing.T) {
	c := newCluster(t, 3)
	lead := c.leader(1, 2, 3)
	c.propose(lead, "a", 50)
	c.converged(50, 1, 2, 3)
	follower := uint64(1)
	if follower == lead {
		follower = 2
	}
	c.stop(follower)
	c.propose(lead, "b", 50)
	var rest []uint64
	for id := range c.nodes {
		rest = append(rest, id)
	}
	c.converged(100, rest...)
	c.start(follower, 3)
	enginetest.WaitFor(t, "the restarted follower to catch up", func() bool {
		_, d := c.nodes[follower].sm.Snapshot()
		return len(d) == 50 && string(d[0]) == "b-0"
	})
}
